//! Pages render on one thread each.
//!
//! Leptos 0.8's reactive graph can deadlock when one page's render runs on two threads at
//! once: a resource's task, starting on one worker, registers with its `<Suspense>` while
//! holding the resource's lock, and the `<Suspense>`'s effect, running on another worker,
//! holds its own lock and waits for the resource's. Each thread waits for the other
//! forever (leptos-rs/leptos#4673, open; reactive_graph 0.2.16 is the newest 0.2). On a
//! machine with two workers, one such render stopped the whole panel: every later request
//! waited in the listen queue. It was seen once in the browser journeys, on `/audit`.
//!
//! So every page is rendered, from the handler to the last byte of its streamed body, on
//! one of a few single-threaded runtimes ([`LocalPoolHandle`]): the tasks the render spawns
//! (resources, `<Suspense>`'s effects) go to the same runtime, so no two threads ever
//! touch one render's graph. Different pages still render in parallel on different
//! threads. The response goes out through a channel, so compression, headers and the
//! connection stay on the main runtime. Server functions (`/api/`) run as before: they
//! make no `<Suspense>`.

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio_util::task::LocalPoolHandle;

/// How many chunks of a page's body may wait for the client before the render itself
/// waits (a page streams as a few chunks: the shell, then each `<Suspense>` resolved).
const CHUNKS_IN_FLIGHT: usize = 8;

fn pool() -> &'static LocalPoolHandle {
    static POOL: OnceLock<LocalPoolHandle> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
        LocalPoolHandle::new(threads)
    })
}

/// Whether a request is for a page (rendered by Leptos) rather than a server function or
/// a file of the build.
fn is_page(path: &str) -> bool {
    !path.starts_with("/api/") && !crate::gates::is_build_output(path)
}

/// Middleware: renders a page on one thread of the pool (see the module's comment).
pub async fn on_one_thread(req: Request, next: Next) -> Response {
    if !is_page(req.uri().path()) {
        return next.run(req).await;
    }
    let (head_tx, head_rx) = tokio::sync::oneshot::channel();
    let (body_tx, body_rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
    pool().spawn_pinned(move || async move {
        let (parts, body) = next.run(req).await.into_parts();
        if head_tx.send(parts).is_err() {
            return;
        }
        let mut chunks = body.into_data_stream();
        while let Some(chunk) = chunks.next().await {
            // The client went away: stop rendering.
            if body_tx.send(chunk).await.is_err() {
                return;
            }
        }
    });
    match head_rx.await {
        Ok(parts) => Response::from_parts(
            parts,
            Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(body_rx)),
        ),
        // The render's task ended without a response (it panicked): as any handler's panic.
        Err(_) => http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_rendered_on_the_pool_and_server_functions_are_not() {
        assert!(is_page("/"));
        assert!(is_page("/vms/123"));
        assert!(is_page("/audit"));
        assert!(!is_page("/api/vms/page"));
        assert!(!is_page("/pkg/lunapanel.wasm"));
    }

    /// A page's render and every task it spawns run on one thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_render_and_its_tasks_stay_on_one_thread() {
        async fn render() -> Response {
            let here = std::thread::current().id();
            let mut seen = Vec::new();
            for _ in 0..20 {
                let spawned = tokio::spawn(async { std::thread::current().id() });
                seen.push(spawned.await.unwrap());
                tokio::task::yield_now().await;
                seen.push(std::thread::current().id());
            }
            let same = seen.iter().all(|t| *t == here);
            // Spawned tasks go to a single-threaded runtime: they cannot run elsewhere.
            let flavor = tokio::runtime::Handle::current().runtime_flavor();
            let one = same && flavor == tokio::runtime::RuntimeFlavor::CurrentThread;
            Body::from(if one { "one thread" } else { "several threads" }).into_response()
        }
        let app = axum::Router::new()
            .route("/page", axum::routing::get(render))
            .layer(axum::middleware::from_fn(on_one_thread));
        let res = tower::ServiceExt::oneshot(
            app,
            Request::builder().uri("/page").body(Body::empty()).unwrap(),
        )
        .await
        .unwrap();
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        assert_eq!(&body[..], b"one thread");
    }
}
