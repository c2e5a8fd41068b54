//! The console frame around every signed-in page: top bar with the user and sign-out,
//! sidebar navigation (a menu on phones, rendered from [`crate::components::nav::NAV`]), the
//! demo banner, the toast region, and the sign-in guard.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

use crate::auth::SignOut;
use crate::components::action::{ToastRegion, Toasts};
use crate::components::form::{action_error, ActionError};
use crate::components::nav::nav_for;
use crate::error::UpstreamProblem;
use crate::tenancy::{Branding, ViewAs};
use crate::types::{format_unix, CustomerAccess, SessionUser, UpstreamHealth};
use crate::PanelContext;

/// A loading indicator announced to screen readers.
#[component]
pub fn Loading(#[prop(default = "Loading…")] label: &'static str) -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}

/// A page-level error message.
#[component]
pub fn ErrorNotice(message: String) -> impl IntoView {
    view! {
        <div class="notice notice-error" role="alert">
            {message}
        </div>
    }
}

/// A whole-page error: what went wrong and a way to try again.
#[component]
pub fn ErrorPage(message: String) -> impl IntoView {
    view! {
        <main class="standalone" id="main">
            <section class="card narrow error-panel" role="alert">
                <h1>"This page could not be loaded"</h1>
                <p>{message}</p>
                <p>
                    <a class="button primary" href="">
                        "Try again"
                    </a>
                </p>
            </section>
        </main>
    }
}

/// Guards the console: signed-in users get the frame, everyone else the sign-in page; a
/// user who must set up a second factor first is kept on the Sign-in security page (the
/// server refuses everything else to them anyway, and redirects page loads there).
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    let location = leptos_router::hooks::use_location();
    let navigate = leptos_router::hooks::use_navigate();
    // The banner's copy of panel_info, refreshed without rebuilding the console (the
    // security page refreshes it once a second factor is on).
    Effect::new(move |_| {
        let must = ctx
            .banner
            .get()
            .and_then(Result::ok)
            .is_some_and(|i| i.must_enrol_second_factor);
        let page = crate::auth::totp::SECURITY_PAGE;
        if must && location.pathname.get() != page {
            navigate(page, Default::default());
        }
    });
    view! {
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match ctx.info.await {
                    Ok(info) => match info.user {
                        Some(user) => {
                            let (branding, viewing_as_by, access) =
                                (info.branding, info.viewing_as_by, info.customer_access);
                            view! { <Console user demo=info.demo branding viewing_as_by access /> }
                                .into_any()
                        }
                        None => view! { <Redirect path="/sign-in" /> }.into_any(),
                    },
                    Err(e) => view! { <ErrorPage message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What the console says above every page about the account's link to Luna Node.
#[derive(Debug, Clone)]
struct Banner {
    upstream: Option<UpstreamHealth>,
    has_credential: bool,
    /// A customer: the provider behind the panel is not named, and the key is not theirs.
    customer: bool,
}

/// The banner, kept current through its own resource.
#[component]
fn UpstreamBanner() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                ctx.banner.await.ok().map(|info| {
                    let banner = Banner {
                        upstream: info.upstream,
                        has_credential: info.has_credential,
                        customer: info.branding.is_some(),
                    };
                    view! { <BannerText banner /> }
                })
            })}
        </Transition>
    }
}

#[component]
fn BannerText(banner: Banner) -> impl IntoView {
    if banner.customer {
        return match (banner.upstream, banner.has_credential) {
            (None, true) => ().into_any(),
            (upstream, _) => view! {
                <div class="notice notice-warning" role="alert" id="upstream-banner">
                    <strong>"The cloud is not answering right now. "</strong>
                    {upstream
                        .map(|h| format!("Since {}. ", format_unix(h.since)))
                        .unwrap_or_default()}
                    "Your servers keep running; try again in a few minutes or contact support."
                </div>
            }
            .into_any(),
        };
    }
    match (banner.upstream, banner.has_credential) {
        (Some(h), _) => {
            let title = match h.problem {
                UpstreamProblem::KeyRefused => "Luna Node refuses the stored API key. ",
                UpstreamProblem::Timeout => "Luna Node is not answering in time. ",
                UpstreamProblem::Unavailable => "Luna Node cannot be reached. ",
                UpstreamProblem::Rejected => "Luna Node refused a request. ",
                UpstreamProblem::OutcomeUnknown => "Luna Node did not confirm a change. ",
            };
            let action = (h.problem == UpstreamProblem::KeyRefused)
                .then(|| view! { " " <a href="/api-key">"Check the API key"</a> });
            view! {
                <div class="notice notice-warning" role="alert" id="upstream-banner">
                    <strong>{title}</strong>
                    {h.message}
                    {format!(" (since {})", format_unix(h.since))}
                    {action}
                </div>
            }
            .into_any()
        }
        (None, false) => view! {
            <div class="notice notice-info" role="note" id="no-key-banner">
                "No Luna Node API key is stored for this account yet. "
                <a href="/api-key">"Add your API key"</a>
                " to manage VMs and everything else."
            </div>
        }
        .into_any(),
        (None, true) => ().into_any(),
    }
}

#[component]
fn Console(
    user: SessionUser,
    demo: bool,
    branding: Option<Branding>,
    viewing_as_by: Option<SessionUser>,
    /// A customer's enabled capabilities (entries needing one follow them).
    access: Option<CustomerAccess>,
) -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    let menu_open = RwSignal::new(false);
    let sign_out = ServerAction::<SignOut>::new();
    ctx.after_success(sign_out.value(), "/sign-in");
    let stop_viewing = ServerAction::<ViewAs>::new();
    ctx.after_success(stop_viewing.value(), "/customers");
    Toasts::provide();
    let links = nav_for(user.role, access.as_ref())
        .map(|e| {
            view! {
                <li>
                    <A href=e.path exact=e.exact>
                        {e.label}
                    </A>
                </li>
            }
        })
        .collect_view();
    let pages: Vec<(&'static str, &'static str)> = nav_for(user.role, access.as_ref())
        .map(|e| (e.label, e.path))
        .collect();
    let close_menu = move |_| menu_open.set(false);
    // The reseller's accent colours, from a stylesheet of the panel's own (no inline style:
    // see `ACCENT_CSS_PATH`).
    let accent_css = branding
        .as_ref()
        .map(|b| view! { <link rel="stylesheet" href=crate::tenancy::accent_css_href(b) /> });
    let brand_name = branding
        .as_ref()
        .map_or_else(|| "lunapanel".to_owned(), |b| b.panel_name.clone());
    let logo = match &branding {
        None => Some("/logo.svg".to_owned()),
        Some(b) if b.logo_url.is_empty() => None,
        Some(b) => Some(b.logo_url.clone()),
    };
    let support = branding
        .as_ref()
        .map(|b| b.support_url.clone())
        .filter(|u| !u.is_empty());
    let viewing_banner = viewing_as_by.map(|reseller| {
        view! {
            <div class="notice notice-warning" role="alert" id="impersonation-banner">
                <strong>{format!("Viewing as {} ({}). ", user.display_name, user.email)}</strong>
                {format!(
                    "You, {}, see what they see; everything you do is recorded as done by you on their behalf. ",
                    reseller.display_name,
                )}
                <button
                    type="button"
                    class="button subtle"
                    id="stop-viewing"
                    on:click=move |_| {
                        stop_viewing.dispatch(ViewAs { customer_id: 0 });
                    }
                >
                    "Stop viewing as this customer"
                </button>
            </div>
        }
    });

    view! {
        <div
            class="console"
            class:branded=branding.is_some()
            class:menu-open=move || menu_open.get()
        >
            {accent_css}
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <header class="topbar">
                <button
                    type="button"
                    class="menu-button"
                    aria-controls="sidebar"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    <span class="menu-icon" aria-hidden="true"></span>
                    <span class="menu-label">"Menu"</span>
                </button>
                <a class="brand" href="/">
                    {logo.map(|src| view! { <img src=src alt="" width="28" height="28" /> })}
                    <span id="brand-name">{brand_name}</span>
                </a>
                {demo.then(|| view! { <span class="badge badge-demo">"Demo"</span> })}
                <crate::components::palette::Palette pages />
                <div class="topbar-user">
                    <span class="user-name" title=user.email.clone()>
                        {user.display_name.clone()}
                    </span>
                    <button
                        type="button"
                        class="button subtle"
                        id="sign-out"
                        disabled=move || sign_out.pending().get()
                        on:click=move |_| {
                            sign_out.dispatch(SignOut {});
                        }
                    >
                        "Sign out"
                    </button>
                </div>
            </header>
            <nav id="sidebar" class="sidebar" aria-label="Main" on:click=close_menu>
                <ul>
                    {links}
                    {support
                        .map(|href| {
                            view! {
                                <li>
                                    <a href=href rel="noopener">
                                        "Support"
                                    </a>
                                </li>
                            }
                        })}
                </ul>
            </nav>
            <main id="main" class="page" tabindex="-1">
                {demo
                    .then(|| {
                        view! {
                            <div class="notice notice-demo" role="note">
                                <strong>"Demo mode. "</strong>
                                "This is a demonstration panel with a shared demo account. \
                                 Nothing here is real and nothing is billed."
                            </div>
                        }
                    })}
                {viewing_banner}
                <ActionError error=action_error(stop_viewing.value()) />
                <UpstreamBanner />
                <ActionError error=action_error(sign_out.value()) />
                <Outlet />
            </main>
            <ToastRegion />
        </div>
    }
}
