//! lunapanel's web app: the route table, pages, components and server functions.
//!
//! Built twice: with `ssr` as the library the server renders and serves server functions
//! from, and with `hydrate` as the wasm bundle that takes over the page in the browser.
//! Server-only code lives in [`server`], gated once below.

// The VM pages' views are deeply nested types; the default limit (128) is too low for the
// release build's layout computation.
#![recursion_limit = "512"]

pub mod admin;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod components;
pub mod credential;
pub mod dns;
pub mod error;
pub mod image;
pub mod mail;
pub mod model;
pub mod monitor;
pub mod network;
pub mod overview;
pub mod pages;
pub mod script;
pub mod search;
pub mod securitygroup;
#[cfg(feature = "ssr")]
pub mod server;
pub mod sshkey;
pub mod tenancy;
pub mod types;
pub mod validate;
pub mod vm;
pub mod volume;

pub use model::kinds;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::shell::ConsoleLayout;
use crate::error::AppError;
use crate::pages::{
    account::AccountPage,
    admin::AdminPage,
    api_key::ApiKeyPage,
    audit::AuditPage,
    catalog::{PlansPage, RegionsPage},
    customers::{BrandingPage, CustomerPage, CustomersPage},
    dns::{DnsPage, LegacyZonePage, ZonePage},
    dns_more::{DynamicDnsPage, ReverseDnsPage},
    floating_ips::FloatingIpsPage,
    image_detail::ImageDetailPage,
    images::{ImageFetchPage, ImagesPage},
    load_balancers::{LbCreatePage, LbDetailPage, LoadBalancersPage},
    mail::MailPage,
    mail_domain::MailDomainPage,
    monitoring::{MonitorCheckPage, MonitoringPage},
    networks::NetworksPage,
    not_found::NotFound,
    overview::OverviewPage,
    reset::ResetPage,
    scripts::{ScriptNewPage, ScriptPage, ScriptsPage},
    security::SecurityPage,
    security_group_detail::SecurityGroupDetailPage,
    security_groups::SecurityGroupsPage,
    sessions::SessionsPage,
    sign_in::SignInPage,
    sign_up::SignUpPage,
    ssh_keys::SshKeysPage,
    vm_create::VmCreatePage,
    vm_detail::VmDetailPage,
    vms::VmsPage,
    volume_detail::VolumeDetailPage,
    volumes::{VolumeCreatePage, VolumesPage},
};
use crate::types::PanelInfo;

/// What every page can reach: who is signed in and how the panel runs, refreshed on demand
/// (after sign-in, sign-up and sign-out).
#[derive(Clone, Copy)]
pub struct PanelContext {
    pub info: Resource<Result<PanelInfo, AppError>>,
    version: RwSignal<u64>,
    /// The same information for the banner above the page, refreshed on its own so that
    /// updating the banner does not rebuild the console (and the page the user is on).
    pub banner: Resource<Result<PanelInfo, AppError>>,
    banner_version: RwSignal<u64>,
}

impl PanelContext {
    fn new() -> Self {
        let version = RwSignal::new(0u64);
        let info = Resource::new(move || version.get(), |_| auth::get_panel_info());
        let banner_version = RwSignal::new(0u64);
        let banner = Resource::new(
            move || (version.get(), banner_version.get()),
            |_| auth::get_panel_info(),
        );
        Self {
            info,
            version,
            banner,
            banner_version,
        }
    }

    /// Fetches the banner's information again (after the API key or Luna Node's state
    /// changed), leaving the rest of the console as it is.
    pub fn refresh_banner(&self) {
        self.banner_version.update(|v| *v += 1);
    }

    /// Fetches `panel_info` again (call after the signed-in user changed).
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }

    /// Once an action's `value` holds a success, fetches `panel_info` again and navigates
    /// to `path` (after sign-in, sign-up and sign-out). Call from a component.
    pub fn after_success<S, T>(self, value: S, path: &'static str)
    where
        S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
        T: 'static,
    {
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            if let Some(Ok(_)) = value.get() {
                self.refresh();
                navigate(path, Default::default());
            }
        });
    }

    /// Once a sign-in's or sign-up's `value` holds a success, loads `/` as a new document.
    /// A page's Content-Security-Policy is made per document for whoever is signed in (a
    /// customer's includes their reseller's logo host), and nothing fetched for the
    /// signed-out page stays in memory. Call from a component.
    pub fn enter_after_success<S, T>(value: S)
    where
        S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
        T: 'static,
    {
        Effect::new(move |_| {
            if let Some(Ok(_)) = value.get() {
                #[cfg(feature = "hydrate")]
                let _ = window().location().set_href("/");
            }
        });
    }
}

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(PanelContext::new());
    // Effects run only in the browser, after hydration: mark the page as live (end-to-end
    // tests wait for this before interacting).
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|page: String| format!("{page} · lunapanel") />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/sign-in") view=SignInPage />
                <Route path=path!("/sign-up") view=SignUpPage />
                <Route path=path!("/reset") view=ResetPage />
                <ParentRoute path=path!("") view=ConsoleLayout>
                    <Route path=path!("") view=OverviewPage />
                    <Route path=path!("account") view=AccountPage />
                    <Route path=path!("account/sessions") view=SessionsPage />
                    <Route path=path!("account/security") view=SecurityPage />
                    <Route path=path!("admin") view=AdminPage />
                    <Route path=path!("api-key") view=ApiKeyPage />
                    <Route path=path!("vms") view=VmsPage />
                    <Route path=path!("vms/new") view=VmCreatePage />
                    <Route path=path!("vms/:id") view=VmDetailPage />
                    <Route path=path!("images") view=ImagesPage />
                    <Route path=path!("images/new") view=ImageFetchPage />
                    <Route path=path!("images/:id") view=ImageDetailPage />
                    <Route path=path!("volumes") view=VolumesPage />
                    <Route path=path!("volumes/new") view=VolumeCreatePage />
                    <Route path=path!("volumes/:id") view=VolumeDetailPage />
                    <Route path=path!("floating-ips") view=FloatingIpsPage />
                    <Route path=path!("networks") view=NetworksPage />
                    <Route path=path!("load-balancers") view=LoadBalancersPage />
                    <Route path=path!("load-balancers/new") view=LbCreatePage />
                    <Route path=path!("load-balancers/:id") view=LbDetailPage />
                    <Route path=path!("security-groups") view=SecurityGroupsPage />
                    <Route path=path!("security-groups/:id") view=SecurityGroupDetailPage />
                    <Route path=path!("dns") view=DnsPage />
                    <Route path=path!("dns/zones/:id") view=ZonePage />
                    <Route path=path!("dns/legacy/:id") view=LegacyZonePage />
                    <Route path=path!("dns/reverse") view=ReverseDnsPage />
                    <Route path=path!("dns/dynamic") view=DynamicDnsPage />
                    <Route path=path!("mail") view=MailPage />
                    <Route path=path!("mail/:id") view=MailDomainPage />
                    <Route path=path!("monitoring") view=MonitoringPage />
                    <Route path=path!("monitoring/checks/:id") view=MonitorCheckPage />
                    <Route path=path!("plans") view=PlansPage />
                    <Route path=path!("regions") view=RegionsPage />
                    <Route path=path!("ssh-keys") view=SshKeysPage />
                    <Route path=path!("scripts") view=ScriptsPage />
                    <Route path=path!("scripts/new") view=ScriptNewPage />
                    <Route path=path!("scripts/:id") view=ScriptPage />
                    <Route path=path!("customers") view=CustomersPage />
                    <Route path=path!("customers/:id") view=CustomerPage />
                    <Route path=path!("branding") view=BrandingPage />
                    <Route path=path!("audit") view=AuditPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The wasm entry point: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
