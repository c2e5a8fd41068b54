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

use leptos::lazy;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, ChooseView};

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

/// The code of each area of the panel but sign-in is a split point of its own: with `cargo
/// leptos build --split` an area's pages (and what only they use) are a wasm chunk loaded the
/// first time one of them is opened, or, for the page a visit starts on, named by the
/// server-rendered `<link rel=preload>`s so that it loads with the main module. The first
/// load then carries the framework and one area's code instead of every area's (issue 14),
/// and an area's static data (its pages' text) goes with its code (`build.rs` keeps the data
/// segments apart for wasm-split). One split point per area, not per page: wasm-split makes a
/// chunk for each set of split points that share code, so fewer split points make far fewer
/// chunks (under 500, against 1,170 files with one per page) and less work for the build.
/// Server rendering is unchanged: on the server a lazy route renders like any other.
///
/// The sign-in page is in the main module: the first page of most first visits, it then
/// loads as one file instead of its own chunk and the dozens of small chunks it shares with
/// other areas (each a request with its headers and a module's imports), and what it uses
/// (forms, server functions, errors) most other pages use too.
///
/// For each area: an enum of its pages, which the route table names, and one `#[lazy]`
/// function that builds any of them (the split point). The enum is the routes' view
/// ([`ChooseView`]): one type per area rather than a `Lazy<…>` type per page, so the router's
/// generic code is compiled for 13 view types instead of 44, all of it in the main module.
macro_rules! lazy_areas {
    ($(
        $(#[$doc:meta])*
        $area:ident, $build:ident, $preload:ident {
            $($route:ident => $page:ident),+ $(,)?
        }
    )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum $area {
            $(
                #[doc = concat!("[`", stringify!($page), "`]")]
                $route,
            )+
        }

        #[doc = concat!("Builds a page of [`", stringify!($area), "`] (its area's split point).")]
        #[lazy]
        fn $build(page: $area) -> AnyView {
            match page {
                $($area::$route => view! { <$page /> }.into_any(),)+
            }
        }

        impl ChooseView for $area {
            async fn choose(self) -> AnyView {
                $build(self).await
            }

            async fn preload(&self) {
                // Routing loads the area's chunk before it swaps the page.
                #[cfg(feature = "hydrate")]
                $preload().await;
            }
        }
    )*};
}

lazy_areas! {
    /// Signing up and resetting a password.
    AccessArea, access_area, __preload_access_area {
        SignUpRoute => SignUpPage,
        ResetRoute => ResetPage,
    }
    /// The console's frame (navigation, palette, banner, live status) around every
    /// signed-in page.
    ConsoleArea, console_area, __preload_console_area {
        ConsoleRoute => ConsoleLayout,
    }
    /// The overview.
    OverviewArea, overview_area, __preload_overview_area {
        OverviewRoute => OverviewPage,
    }
    /// The user's account, sessions, second factor and API key; the panel's admin.
    AccountArea, account_area, __preload_account_area {
        AccountRoute => AccountPage,
        SessionsRoute => SessionsPage,
        SecurityRoute => SecurityPage,
        AdminRoute => AdminPage,
        ApiKeyRoute => ApiKeyPage,
    }
    /// Virtual machines.
    VmArea, vm_area, __preload_vm_area {
        VmsRoute => VmsPage,
        VmCreateRoute => VmCreatePage,
        VmDetailRoute => VmDetailPage,
    }
    /// Images.
    ImageArea, image_area, __preload_image_area {
        ImagesRoute => ImagesPage,
        ImageFetchRoute => ImageFetchPage,
        ImageDetailRoute => ImageDetailPage,
    }
    /// Volumes and their snapshots.
    VolumeArea, volume_area, __preload_volume_area {
        VolumesRoute => VolumesPage,
        VolumeCreateRoute => VolumeCreatePage,
        VolumeDetailRoute => VolumeDetailPage,
    }
    /// Floating IPs, virtual networks, load balancers and security groups.
    NetworkArea, network_area, __preload_network_area {
        FloatingIpsRoute => FloatingIpsPage,
        NetworksRoute => NetworksPage,
        LoadBalancersRoute => LoadBalancersPage,
        LbCreateRoute => LbCreatePage,
        LbDetailRoute => LbDetailPage,
        SecurityGroupsRoute => SecurityGroupsPage,
        SecurityGroupDetailRoute => SecurityGroupDetailPage,
    }
    /// DNS: zones (dns2 and legacy), reverse DNS and dynamic names.
    DnsArea, dns_area, __preload_dns_area {
        DnsRoute => DnsPage,
        ZoneRoute => ZonePage,
        LegacyZoneRoute => LegacyZonePage,
        ReverseDnsRoute => ReverseDnsPage,
        DynamicDnsRoute => DynamicDnsPage,
    }
    /// Hosted e-mail.
    MailArea, mail_area, __preload_mail_area {
        MailRoute => MailPage,
        MailDomainRoute => MailDomainPage,
    }
    /// Monitoring.
    MonitorArea, monitor_area, __preload_monitor_area {
        MonitoringRoute => MonitoringPage,
        MonitorCheckRoute => MonitorCheckPage,
    }
    /// Plans, regions, SSH keys and startup scripts.
    CatalogArea, catalog_area, __preload_catalog_area {
        PlansRoute => PlansPage,
        RegionsRoute => RegionsPage,
        SshKeysRoute => SshKeysPage,
        ScriptsRoute => ScriptsPage,
        ScriptNewRoute => ScriptNewPage,
        ScriptRoute => ScriptPage,
    }
    /// A reseller's customers, branding and audit log.
    ResellerArea, reseller_area, __preload_reseller_area {
        CustomersRoute => CustomersPage,
        CustomerRoute => CustomerPage,
        BrandingRoute => BrandingPage,
        AuditRoute => AuditPage,
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

    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/sign-in") view=SignInPage />
                <Route path=path!("/sign-up") view=AccessArea::SignUpRoute />
                <Route path=path!("/reset") view=AccessArea::ResetRoute />
                <ParentRoute path=path!("") view=ConsoleArea::ConsoleRoute>
                    <Route path=path!("") view=OverviewArea::OverviewRoute />
                    <Route path=path!("account") view=AccountArea::AccountRoute />
                    <Route path=path!("account/sessions") view=AccountArea::SessionsRoute />
                    <Route path=path!("account/security") view=AccountArea::SecurityRoute />
                    <Route path=path!("admin") view=AccountArea::AdminRoute />
                    <Route path=path!("api-key") view=AccountArea::ApiKeyRoute />
                    <Route path=path!("vms") view=VmArea::VmsRoute />
                    <Route path=path!("vms/new") view=VmArea::VmCreateRoute />
                    <Route path=path!("vms/:id") view=VmArea::VmDetailRoute />
                    <Route path=path!("images") view=ImageArea::ImagesRoute />
                    <Route path=path!("images/new") view=ImageArea::ImageFetchRoute />
                    <Route path=path!("images/:id") view=ImageArea::ImageDetailRoute />
                    <Route path=path!("volumes") view=VolumeArea::VolumesRoute />
                    <Route path=path!("volumes/new") view=VolumeArea::VolumeCreateRoute />
                    <Route path=path!("volumes/:id") view=VolumeArea::VolumeDetailRoute />
                    <Route path=path!("floating-ips") view=NetworkArea::FloatingIpsRoute />
                    <Route path=path!("networks") view=NetworkArea::NetworksRoute />
                    <Route path=path!("load-balancers") view=NetworkArea::LoadBalancersRoute />
                    <Route path=path!("load-balancers/new") view=NetworkArea::LbCreateRoute />
                    <Route path=path!("load-balancers/:id") view=NetworkArea::LbDetailRoute />
                    <Route path=path!("security-groups") view=NetworkArea::SecurityGroupsRoute />
                    <Route path=path!("security-groups/:id") view=NetworkArea::SecurityGroupDetailRoute />
                    <Route path=path!("dns") view=DnsArea::DnsRoute />
                    <Route path=path!("dns/zones/:id") view=DnsArea::ZoneRoute />
                    <Route path=path!("dns/legacy/:id") view=DnsArea::LegacyZoneRoute />
                    <Route path=path!("dns/reverse") view=DnsArea::ReverseDnsRoute />
                    <Route path=path!("dns/dynamic") view=DnsArea::DynamicDnsRoute />
                    <Route path=path!("mail") view=MailArea::MailRoute />
                    <Route path=path!("mail/:id") view=MailArea::MailDomainRoute />
                    <Route path=path!("monitoring") view=MonitorArea::MonitoringRoute />
                    <Route path=path!("monitoring/checks/:id") view=MonitorArea::MonitorCheckRoute />
                    <Route path=path!("plans") view=CatalogArea::PlansRoute />
                    <Route path=path!("regions") view=CatalogArea::RegionsRoute />
                    <Route path=path!("ssh-keys") view=CatalogArea::SshKeysRoute />
                    <Route path=path!("scripts") view=CatalogArea::ScriptsRoute />
                    <Route path=path!("scripts/new") view=CatalogArea::ScriptNewRoute />
                    <Route path=path!("scripts/:id") view=CatalogArea::ScriptRoute />
                    <Route path=path!("customers") view=ResellerArea::CustomersRoute />
                    <Route path=path!("customers/:id") view=ResellerArea::CustomerRoute />
                    <Route path=path!("branding") view=ResellerArea::BrandingRoute />
                    <Route path=path!("audit") view=ResellerArea::AuditRoute />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The wasm entry point: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        stale_chunks::reload_if_chunk_missing(&info.to_string());
    }));
    // Lazy areas: hydration waits for the chunks of the page the visit starts on (as
    // `hydrate_lazy` does). Once the whole page has hydrated, mark it as live: end-to-end
    // tests wait for this before they interact, and an effect would run too early (while an
    // area's chunk is still loading, its part of the page is not yet hydrated).
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body, App).await.forget();
        stale_chunks::hydrated();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

/// An open page whose panel was updated since it loaded: the update replaced the area
/// chunks (their URLs carry the build's name), so opening an area the page has not loaded yet
/// fails. The split loader then panics, and the panel loads the page again, now with the
/// new build, instead of leaving a page that no longer answers. At most once per address:
/// if the fresh page fails the same way, the build itself is broken and reloading again
/// would only loop.
#[cfg(feature = "hydrate")]
mod stale_chunks {
    const KEY: &str = "lunapanel-reloaded-for-missing-chunk";

    /// How the split loader's panic begins (`wasm_split_macros`, pinned by Cargo.lock: it
    /// `expect`s the load, so the message goes on with the error's `Debug`).
    const MISSING_CHUNK: &str = "load callback should succeed";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok().flatten()
    }

    pub fn reload_if_chunk_missing(panic: &str) {
        if !panic.contains(MISSING_CHUNK) {
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let here = window.location().href().unwrap_or_default();
        if let Some(storage) = storage() {
            if storage.get_item(KEY).ok().flatten().as_deref() == Some(here.as_str()) {
                return;
            }
            let _ = storage.set_item(KEY, &here);
        }
        let _ = window.location().reload();
    }

    /// The page hydrated: a later missing chunk may reload it again.
    pub fn hydrated() {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(KEY);
        }
    }
}
