//! The image area through the panel's server functions against the emulator: fetch an ISO
//! or disk image and watch it become active, details, rename, replicate, delete with a
//! typed confirmation, validation beside the fields, a customer's scope (theirs, another
//! customer's, the reseller's, public templates) and the download streamed through the
//! panel.

use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::image::{ImageRow, ImageView};
use app::server::store::AuditFilter;
use md5::{Digest, Md5};
use reqwest::Client;
use tokio::sync::Notify;

use crate::both;
use crate::harness::{assert_pages_render, eventually, Db, Panel};
use crate::tenancy::{assign, customer, policy, policy_without, reseller};
use crate::upstream::{key, ID_A};

pub(crate) async fn images(panel: &Panel, c: &Client) -> Vec<ImageRow> {
    panel
        .call(c, "images/list", &[])
        .await
        .expect("images/list")
}

fn own(list: &[ImageRow]) -> Vec<&ImageRow> {
    list.iter().filter(|i| !i.public).collect()
}

/// Waits until `c`'s list shows image `id` with `status` (or without it, for `None`).
pub(crate) async fn wait_image(panel: &Panel, c: &Client, id: &str, status: Option<&str>) {
    eventually(&format!("image {id} {status:?}"), 20, || async {
        let list = images(panel, c).await;
        let now = list
            .iter()
            .find(|i| i.image_id == id)
            .map(|i| i.status.clone());
        if now.as_deref() == status {
            Ok(())
        } else {
            Err(now)
        }
    })
    .await
}

fn fetch_form<'a>(
    region: &'a str,
    name: &'a str,
    location: &'a str,
    format: &'a str,
    virtio: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("region", region),
        ("name", name),
        ("location", location),
        ("format", format),
        ("virtio", virtio),
    ]
}

/// Fetches an image through the panel as `c`; returns its id.
pub(crate) async fn fetch(panel: &Panel, c: &Client, name: &str, format: &str) -> String {
    let id: String = panel
        .call(
            c,
            "images/fetch",
            &fetch_form(
                "toronto",
                name,
                "https://images.example.com/disk.img",
                format,
                "false",
            ),
        )
        .await
        .expect("images/fetch");
    assert!(!id.is_empty(), "the emulator names the new image");
    id
}

/// From here on, live pollers only look when a change asks them to; then waits until they
/// are done. Returns the calls so far: a refusal must add none.
async fn hush(panel: &Panel, emu: &lunapanel::emulator::Emulator) -> u64 {
    let long = Duration::from_secs(3600);
    panel.state.live.set_timing(app::server::live::LiveTiming {
        fast: long,
        slow: long,
        fresh_for: long,
        ..Default::default()
    });
    crate::authz::quiet(emu).await
}

async fn an_image_lives_and_dies_through_the_panel(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.02).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let list = images(&panel, &c).await;
    assert!(own(&list).is_empty() && !list.is_empty());
    assert!(list
        .iter()
        .all(|i| i.public && !i.mine && i.status == "active"));

    // Bad input: a message beside each field, nothing sent upstream.
    let e = panel
        .call::<String>(
            &c,
            "images/fetch",
            &fetch_form("", "x (ISO)", "file:///etc/passwd", "vmdk", "false"),
        )
        .await
        .unwrap_err();
    for field in ["region", "name", "location", "format"] {
        assert!(e.field(field).is_some(), "{field}: {e:?}");
    }
    let e = panel
        .call::<String>(
            &c,
            "images/fetch",
            &fetch_form("toronto", "ok", "example.com/x.iso", "iso", "false"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.field("location").as_deref(),
        Some("Use an address starting with http://, https:// or ftp://.")
    );
    assert_eq!(emu.calls("image/fetch"), 0);

    // An ISO becomes active without anyone asking again.
    let iso: String = panel
        .call(
            &c,
            "images/fetch",
            &fetch_form(
                "toronto",
                "installer",
                "https://mirror.example.org/arch.iso",
                "ISO",
                "false",
            ),
        )
        .await
        .unwrap();
    let first = images(&panel, &c).await;
    let row = first.iter().find(|i| i.image_id == iso).expect("listed");
    assert!(row.mine && !row.public);
    assert!(
        ["queued", "saving"].contains(&row.status.as_str()),
        "a fetched image starts queued: {row:?}"
    );
    wait_image(&panel, &c, &iso, Some("active")).await;
    let d: ImageView = panel
        .call(&c, "images/details", &[("image_id", &iso)])
        .await
        .unwrap();
    assert_eq!(
        (d.name.as_str(), d.region.as_str(), d.disk_format.as_str()),
        ("installer", "toronto", "iso")
    );
    assert_eq!(
        (d.disk_bus.as_str(), d.nic_model.as_str()),
        ("ide", "e1000")
    );
    assert!(d.size.unwrap_or(0) > 0 && !d.checksum.is_empty() && !d.created.is_empty());
    assert!(d.mine && !d.public);
    // A disk image with virtio drivers.
    let disk: String = panel
        .call(
            &c,
            "images/fetch",
            &fetch_form(
                "toronto",
                "disk",
                "ftp://mirror.example.org/d.qcow2",
                "qcow2",
                "true",
            ),
        )
        .await
        .unwrap();
    let d: ImageView = panel
        .call(&c, "images/details", &[("image_id", &disk)])
        .await
        .unwrap();
    assert_eq!(
        (
            d.disk_format.as_str(),
            d.disk_bus.as_str(),
            d.nic_model.as_str()
        ),
        ("qcow2", "virtio", "virtio")
    );
    // A public template's details, not the caller's to change.
    let template = list[0].image_id.clone();
    let d: ImageView = panel
        .call(&c, "images/details", &[("image_id", &template)])
        .await
        .unwrap();
    assert!(d.public && !d.mine);
    // Junk and unknown ids.
    let r: Result<ImageView, AppError> = panel
        .call(&c, "images/details", &[("image_id", "../../x")])
        .await;
    assert_eq!(r.unwrap_err(), AppError::NotFound("The image".into()));
    let r: Result<ImageView, AppError> = panel
        .call(&c, "images/details", &[("image_id", "999999")])
        .await;
    assert_eq!(r.unwrap_err(), AppError::NotFound("The image".into()));

    // Rename.
    let e = panel
        .call::<()>(&c, "images/rename", &[("image_id", &iso), ("name", "  ")])
        .await
        .unwrap_err();
    assert!(e.field("name").is_some(), "{e:?}");
    panel
        .call::<()>(
            &c,
            "images/rename",
            &[("image_id", &iso), ("name", "arch installer")],
        )
        .await
        .unwrap();
    let list = images(&panel, &c).await;
    assert_eq!(
        list.iter().find(|i| i.image_id == iso).unwrap().name,
        "arch installer"
    );

    // Replicate: not where it is, not before it is active, then a copy that becomes active.
    let e = panel
        .call::<String>(
            &c,
            "images/replicate",
            &[("image_id", &iso), ("region", "toronto")],
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.field("region").as_deref(),
        Some("The image is already in toronto; choose another region.")
    );
    assert_eq!(emu.calls("image/replicate"), 0);
    let copy: String = panel
        .call(
            &c,
            "images/replicate",
            &[("image_id", &iso), ("region", "montreal")],
        )
        .await
        .unwrap();
    assert!(!copy.is_empty() && copy != iso);
    let list = images(&panel, &c).await;
    let row = list
        .iter()
        .find(|i| i.image_id == copy)
        .expect("the copy is listed");
    assert_eq!(
        (row.region.as_str(), row.name.as_str()),
        ("montreal", "arch installer")
    );
    wait_image(&panel, &c, &copy, Some("active")).await;

    // Delete: the typed name is checked on the server; a wrong one deletes nothing.
    let e = panel
        .call::<()>(
            &c,
            "images/delete",
            &[("image_id", &iso), ("confirm", "arch")],
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.field("confirm").as_deref(),
        Some("Type the image's name exactly to confirm.")
    );
    assert_eq!(emu.calls("image/delete"), 0);
    panel
        .call::<()>(
            &c,
            "images/delete",
            &[("image_id", &iso), ("confirm", "arch installer")],
        )
        .await
        .unwrap();
    wait_image(&panel, &c, &iso, None).await;
    let r: Result<(), AppError> = panel
        .call(
            &c,
            "images/delete",
            &[("image_id", &iso), ("confirm", "arch installer")],
        )
        .await;
    assert_eq!(r.unwrap_err(), AppError::NotFound("The image".into()));

    // Every change is in the audit log, with the image named.
    let rows = panel
        .state
        .store
        .search_audit(
            &AuditFilter {
                action: Some("image/".into()),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
    let done: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.entry.action.clone(),
                r.entry.target.clone(),
                r.entry.outcome.as_str().to_owned(),
            )
        })
        .collect();
    for want in [
        ("image/delete", format!("image:{iso}"), "ok"),
        ("image/rename", format!("image:{iso}"), "ok"),
        ("image/replicate", format!("image:{iso}"), "ok"),
        ("image/fetch", String::new(), "ok"),
    ] {
        assert!(
            done.iter()
                .any(|(a, t, o)| a == want.0 && *t == want.1 && o == want.2),
            "{want:?} missing from {done:?}"
        );
    }
    panel.stop().await;
}

async fn customers_see_and_touch_only_their_images(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[]).await;
    policy(&panel, &reseller, b, &[]).await;
    // The reseller's own image (assigned to nobody), one of A's and one the reseller gives B.
    let resellers = fetch(&panel, &reseller, "resellers-golden", "qcow2").await;
    let given = fetch(&panel, &reseller, "given-to-b", "qcow2").await;
    assign(&panel, &reseller, b, "image", &given).await;
    let mine_a = fetch(&panel, &ca, "a-disk", "qcow2").await;
    let held = panel
        .state
        .store
        .assignments(panel.user("reseller@example.com").await.id, Some(a))
        .await
        .unwrap();
    assert!(
        held.iter()
            .any(|x| x.kind == "image" && x.resource_id == mine_a),
        "a customer's fetched image is theirs in the same step: {held:?}"
    );

    // Lists: their own images and the public ones; the reseller sees everything.
    let ids = |l: &[ImageRow]| {
        let mut v: Vec<String> = own(l).iter().map(|i| i.image_id.clone()).collect();
        v.sort();
        v
    };
    let la = images(&panel, &ca).await;
    assert_eq!(ids(&la), std::slice::from_ref(&mine_a));
    assert!(la.iter().any(|i| i.public));
    assert!(la.iter().find(|i| i.image_id == mine_a).unwrap().mine);
    assert_eq!(
        ids(&images(&panel, &cb).await),
        std::slice::from_ref(&given)
    );
    let mut all = vec![resellers.clone(), given.clone(), mine_a.clone()];
    all.sort();
    assert_eq!(ids(&images(&panel, &reseller).await), all);

    // Another customer's image and the reseller's unassigned one: not found for every
    // function, and nothing reaches Luna Node (B's image list is fresh: telling a public
    // template from a private image costs no upstream call).
    for other in [&mine_a, &resellers] {
        for (name, form) in [
            ("images/details", vec![("image_id", other.as_str())]),
            (
                "images/rename",
                vec![("image_id", other.as_str()), ("name", "taken")],
            ),
            (
                "images/delete",
                vec![("image_id", other.as_str()), ("confirm", "a-disk")],
            ),
            (
                "images/replicate",
                vec![("image_id", other.as_str()), ("region", "montreal")],
            ),
        ] {
            let before = hush(&panel, &emu).await;
            let r: Result<serde_json::Value, AppError> = panel.call(&cb, name, &form).await;
            assert_eq!(
                r.unwrap_err(),
                AppError::NotFound("The image".into()),
                "{name} {other}"
            );
            assert_eq!(
                emu.total_calls(),
                before,
                "{name} {other} reached Luna Node"
            );
        }
    }
    // A public template: B may look, but not change it.
    let template = la.iter().find(|i| i.public).unwrap().image_id.clone();
    let d: ImageView = panel
        .call(&cb, "images/details", &[("image_id", &template)])
        .await
        .unwrap();
    assert!(d.public && !d.mine);
    let before = hush(&panel, &emu).await;
    let r: Result<(), AppError> = panel
        .call(
            &cb,
            "images/rename",
            &[("image_id", &template), ("name", "hijacked")],
        )
        .await;
    assert_eq!(r.unwrap_err(), AppError::NotFound("The image".into()));
    assert_eq!(emu.total_calls(), before);

    // An image the reseller lets B boot from (by id) is listed and usable, not B's to
    // delete, rename, copy or download.
    let b_text = b.to_string();
    let form = policy_form(&b_text, &resellers);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let _: () = panel
        .call(&reseller, "customers/policy", &form)
        .await
        .unwrap();
    let lb = images(&panel, &cb).await;
    let row = lb
        .iter()
        .find(|i| i.image_id == resellers)
        .expect("an allowed image is listed");
    assert!(!row.mine && !row.public);
    let _: ImageView = panel
        .call(&cb, "images/details", &[("image_id", &resellers)])
        .await
        .unwrap();
    let before = hush(&panel, &emu).await;
    let r: Result<(), AppError> = panel
        .call(
            &cb,
            "images/delete",
            &[("image_id", &resellers), ("confirm", "resellers-golden")],
        )
        .await;
    assert_eq!(r.unwrap_err(), AppError::NotFound("The image".into()));
    assert_eq!(emu.total_calls(), before);
    assert!(images(&panel, &reseller)
        .await
        .iter()
        .any(|i| i.image_id == resellers));

    // A's copy to another region is A's at once; B never sees it.
    let copy: String = panel
        .call(
            &ca,
            "images/replicate",
            &[("image_id", &mine_a), ("region", "montreal")],
        )
        .await
        .unwrap();
    assert_eq!(ids(&images(&panel, &ca).await).len(), 2);
    assert!(!images(&panel, &cb).await.iter().any(|i| i.image_id == copy));
    // B's own image is B's to rename and delete.
    panel
        .call::<()>(
            &cb,
            "images/rename",
            &[("image_id", &given), ("name", "b's disk")],
        )
        .await
        .unwrap();
    panel
        .call::<()>(
            &cb,
            "images/delete",
            &[("image_id", &given), ("confirm", "b's disk")],
        )
        .await
        .unwrap();
    let held = panel
        .state
        .store
        .assignments(panel.user("reseller@example.com").await.id, Some(b))
        .await
        .unwrap();
    assert!(
        !held.iter().any(|x| x.resource_id == given),
        "a deleted image leaves the ledger: {held:?}"
    );
    // Without the capability, a customer can still look but not fetch.
    let _: () = panel
        .call(
            &reseller,
            "customers/policy",
            &[("customer_id", b_text.as_str()), ("form[vms]", "")],
        )
        .await
        .unwrap();
    let before = hush(&panel, &emu).await;
    let r: Result<String, AppError> = panel
        .call(
            &cb,
            "images/fetch",
            &fetch_form(
                "toronto",
                "nope",
                "https://example.com/x.iso",
                "iso",
                "false",
            ),
        )
        .await;
    assert_eq!(r.unwrap_err(), AppError::Forbidden);
    assert_eq!(emu.total_calls(), before);
    assert!(!images(&panel, &cb).await.is_empty());
    panel.stop().await;
}

/// The download link of image `id`, fetched by `c`.
async fn get_download(panel: &Panel, c: &Client, id: &str) -> reqwest::Response {
    c.get(format!("{}{}", panel.base, app::image::download_href(id)))
        .send()
        .await
        .expect("download request")
}

/// A gate between the panel and Luna Node (the emulator) that passes everything on, but
/// holds an `image/retrieve` body after its first chunk until `release` is notified: a
/// panel that gathered the whole image before answering would never show the browser a
/// first byte.
async fn gated_upstream(upstream: String, release: Arc<Notify>) -> String {
    use axum::extract::{Request, State};
    use axum::response::IntoResponse;
    use futures::StreamExt;
    async fn pass(
        State((client, upstream, release)): State<(reqwest::Client, String, Arc<Notify>)>,
        req: Request,
    ) -> axum::response::Response {
        let path = req.uri().path().to_owned();
        let ctype = req.headers().get("content-type").cloned();
        let body = axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .unwrap();
        let mut forward = client.post(format!("{upstream}{path}")).body(body);
        if let Some(ctype) = ctype {
            forward = forward.header("content-type", ctype);
        }
        let res = forward.send().await.unwrap();
        let status = res.status().as_u16();
        let mut headers = axum::http::HeaderMap::new();
        for name in ["content-type", "content-length"] {
            if let Some(v) = res.headers().get(name) {
                headers.insert(name, v.clone());
            }
        }
        let gated = path.contains("image/retrieve");
        let chunks =
            futures::stream::unfold((res.bytes_stream(), 0usize), move |(mut body, sent)| {
                let release = release.clone();
                async move {
                    if gated && sent == 1 {
                        release.notified().await;
                    }
                    let chunk = body.next().await?;
                    Some((chunk, (body, sent + 1)))
                }
            });
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            headers,
            axum::body::Body::from_stream(chunks),
        )
            .into_response()
    }
    let app =
        axum::Router::new()
            .fallback(pass)
            .with_state((reqwest::Client::new(), upstream, release));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn downloads_stream_through_the_panel(db: Db) {
    let release = Arc::new(Notify::new());
    let emulator = lunapanel::emulator::Emulator::new(crate::upstream::default_config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = emulator.spawn(listener).unwrap();
    let gate = gated_upstream(upstream, release.clone()).await;
    let panel =
        Panel::start_with(db, &[("upstream_url", &gate), ("sign_up", "open")], |_| {}).await;
    let emu = &emulator;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[]).await;
    policy(&panel, &reseller, b, &[]).await;
    let image = fetch(&panel, &ca, "a's disk", "qcow2").await;
    let d: ImageView = panel
        .call(&ca, "images/details", &[("image_id", &image)])
        .await
        .unwrap();
    assert_eq!(d.status, "active", "instant lifecycles");
    let size = d.size.expect("the emulator says the size");

    // The first chunk reaches the browser while Luna Node still holds the rest.
    let mut res = tokio::time::timeout(Duration::from_secs(10), get_download(&panel, &ca, &image))
        .await
        .expect("the answer starts before the image is whole upstream");
    assert_eq!(res.status(), 200);
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename=\"a_s_disk.qcow2\""
    );
    assert_eq!(header(&res, "content-type"), "application/octet-stream");
    assert_eq!(header(&res, "content-length"), size.to_string());
    let first = tokio::time::timeout(Duration::from_secs(10), res.chunk())
        .await
        .expect("the first bytes arrive before the image is whole upstream")
        .unwrap()
        .expect("a first chunk");
    assert!(!first.is_empty() && (first.len() as u64) < size);
    release.notify_one();
    let mut md5 = Md5::new();
    md5.update(&first);
    let mut total = first.len() as u64;
    while let Some(chunk) = res.chunk().await.unwrap() {
        total += chunk.len() as u64;
        md5.update(&chunk);
    }
    assert_eq!(total, size, "every byte");
    let sum: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        sum, d.checksum,
        "the very bytes: their MD5 is the image's checksum"
    );

    // Refused before anything reaches Luna Node: another customer's image, the reseller's
    // own, signed out; junk ids; not found for the owner's own account either.
    let resellers = fetch(&panel, &reseller, "resellers-golden", "qcow2").await;
    let _ = images(&panel, &cb).await;
    for id in [&image, &resellers] {
        let before = crate::authz::quiet(emu).await;
        let res = get_download(&panel, &cb, id).await;
        assert_eq!(res.status(), 404, "{id}");
        assert_eq!(res.text().await.unwrap(), "The image was not found.");
        assert_eq!(emu.total_calls(), before, "{id} reached Luna Node");
    }
    let before = emu.total_calls();
    let res = get_download(&panel, &panel.client(), &image).await;
    assert_eq!(res.status(), 401);
    let res = get_download(&panel, &ca, "..%2F..%2Fetc").await;
    assert_eq!(res.status(), 404);
    assert_eq!(emu.total_calls(), before);
    // An image still saving, or one whose download failed, says so.
    let failed: String = panel
        .call(
            &ca,
            "images/fetch",
            &fetch_form(
                "toronto",
                "broken",
                "https://nowhere.invalid/x.iso",
                "iso",
                "false",
            ),
        )
        .await
        .unwrap();
    let res = get_download(&panel, &ca, &failed).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("nothing to download"));
    // Without the capability: refused.
    let b_text = b.to_string();
    let _: () = panel
        .call(
            &reseller,
            "customers/policy",
            &[("customer_id", b_text.as_str()), ("form[vms]", "")],
        )
        .await
        .unwrap();
    let given = fetch(&panel, &reseller, "given", "qcow2").await;
    assign(&panel, &reseller, b, "image", &given).await;
    assert_eq!(get_download(&panel, &cb, &given).await.status(), 403);
    // The owner of the account downloads any of its images.
    release.notify_one();
    let res = get_download(&panel, &reseller, &image).await;
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.unwrap();
    assert_eq!(body.len() as u64, size);
    panel.stop().await;
}

/// The policy form for `customer` with every capability and `images` allowed by id.
fn policy_form<'a>(customer: &'a str, images: &'a str) -> Vec<(String, String)> {
    let mut form = vec![
        ("customer_id".to_owned(), customer.to_owned()),
        ("form[images]".to_owned(), images.to_owned()),
    ];
    for (i, c) in app::kinds::capabilities().enumerate() {
        form.push((format!("form[enabled][{i}]"), c.key.to_owned()));
    }
    form
}

/// Every image page renders its content on the server (not an error notice), for a first
/// visit without JavaScript and for the hydration that follows; names render as text; a
/// public template offers no changes; a customer reads no provider's name and, without
/// the images capability, is told why the changes are off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_pages_render_on_the_server() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let evil = "<img src=x onerror=alert(1)>";
    let id = fetch(&panel, &reseller, "rendered-image", "iso").await;
    fetch(&panel, &reseller, evil, "qcow2").await;
    wait_image(&panel, &reseller, &id, Some("active")).await;
    let public = images(&panel, &reseller)
        .await
        .into_iter()
        .find(|i| i.public)
        .expect("a public template")
        .image_id;
    let detail = format!("/images/{id}");
    let public_page = format!("/images/{public}");
    let create_link = format!("/vms/new?image={id}");
    let pages: &[(&str, &str)] = &[
        ("/images", "rendered-image"),
        ("/images", "Luna Node templates and ISOs"),
        ("/images/new", "Toronto, Canada"),
        (detail.as_str(), "Checksum"),
        (detail.as_str(), create_link.as_str()),
        (detail.as_str(), "Delete this image"),
        (public_page.as_str(), "Luna Node template or ISO"),
    ];
    assert_pages_render(&panel, &reseller, pages, 3).await;
    let list = panel.page(&reseller, "/images").await;
    assert!(
        list.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "escaped"
    );
    assert!(!list.contains(evil), "never as markup");
    let template = panel.page(&reseller, &public_page).await;
    assert!(!template.contains("Delete this image") && !template.contains("image-rename"));

    // A customer holding the image, whose provider did not turn on the images capability.
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    policy_without(&panel, &reseller, a, &[], "images").await;
    assign(&panel, &reseller, a, "image", &id).await;
    let list = panel.page(&ca, "/images").await;
    assert!(list.contains("rendered-image") && list.contains("Templates and ISOs"));
    assert!(!list.contains("Luna Node templates"), "no provider's name");
    assert!(list.contains("fetch-image-locked") && list.contains("has not turned on"));
    let page = panel.page(&ca, &detail).await;
    assert!(page.contains("rendered-image") && page.contains("has not turned on"));
    assert!(!page.contains("Luna Node template"));
    panel.stop().await;
}

both!(
    an_image_lives_and_dies_through_the_panel,
    customers_see_and_touch_only_their_images,
    downloads_stream_through_the_panel,
);
