//! Resellers and their customers: the reseller console's server functions, policies
//! (quotas, allow-lists, enabled actions) and branding. The decisions themselves are made
//! at the one authorization point (`crate::server::authz`).

pub use crate::model::tenancy::*;

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::NewInvite;

/// One customer with their policy and ledger entries, for the reseller's customer page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CustomerDetail {
    pub customer: CustomerSummary,
    pub policy: CustomerPolicy,
    pub assignments: Vec<Assignment>,
    /// The names of what is assigned, by `(kind, resource_id)`, as the account lists them
    /// now (missing when gone, or when the kind could not be listed).
    pub names: Vec<LedgerResource>,
    /// Whether they have a second factor (TOTP) turned on.
    #[serde(default)]
    pub second_factor: bool,
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::server::authz::{authorize, Grant, Permission, Target};
    use crate::server::store::User;
    use crate::types::Role;

    use super::*;

    /// Authorizes a reseller's console action. Owners are not resellers; customers (and
    /// resellers viewing as one) never pass.
    pub async fn reseller<P: Permission>(target: Target) -> Result<Grant<P>, AppError> {
        let g = authorize::<P>(target).await?;
        if g.actor.role != Role::Reseller {
            return Err(g.refused(AppError::Forbidden).await);
        }
        Ok(g)
    }

    /// `customer_id` as one of this reseller's customers; anyone else is not found.
    pub async fn own_customer<P: Permission>(
        g: &Grant<P>,
        customer_id: i64,
    ) -> Result<User, AppError> {
        match g.state().store.user_by_id(customer_id).await? {
            Some(u) if u.role == Role::Customer && u.reseller_id == Some(g.actor.id) => Ok(u),
            _ => Err(g.refused(AppError::NotFound("The customer".into())).await),
        }
    }

    pub fn summary(u: User, assignments: &[Assignment]) -> CustomerSummary {
        let mut assigned: Vec<(String, i64)> = Vec::new();
        for a in assignments.iter().filter(|a| a.customer_id == u.id) {
            match assigned.iter_mut().find(|(k, _)| *k == a.kind) {
                Some((_, n)) => *n += 1,
                None => assigned.push((a.kind.clone(), 1)),
            }
        }
        CustomerSummary {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            suspended: u.suspended,
            disabled: u.disabled,
            created_at: u.created_at,
            assigned,
        }
    }
}

/// The reseller's customers.
#[server(endpoint = "customers/list")]
pub async fn list_customers() -> Result<Vec<CustomerSummary>, AppError> {
    use crate::server::authz::Target;
    let g = ssr::reseller::<crate::server::lunanode::actions::VmList>(Target::Account).await?;
    let store = &g.state().store;
    let (customers, ledger) = futures::join!(
        store.list_customers(g.actor.id),
        store.assignments(g.account, None)
    );
    let ledger = ledger?;
    Ok(customers?
        .into_iter()
        .map(|u| ssr::summary(u, &ledger))
        .collect())
}

/// Creates a customer who signs in with this e-mail and password.
#[server(endpoint = "customers/create")]
pub async fn create_customer(
    name: String,
    email: String,
    password: String,
) -> Result<i64, AppError> {
    use crate::server::authz::Target;
    use crate::server::store::{NewUser, StoreError};
    use crate::validate::{email_problem, name_problem, normalize_email, password_problem};
    let g = ssr::reseller::<crate::server::authz::panel::CustomerCreate>(Target::Account).await?;
    let email = normalize_email(&email);
    let mut errors = crate::error::FieldErrors::new();
    if let Some(p) = name_problem(&name) {
        errors.add("name", p);
    }
    if let Some(p) = email_problem(&email) {
        errors.add("email", p);
    }
    if let Some(p) = password_problem(&password, &email) {
        errors.add("password", p);
    }
    errors.into_result()?;
    let hash = g
        .state()
        .hasher
        .hash(&password)
        .await
        .map_err(|e| crate::server::context::internal(format!("hash: {e}")))?;
    let new = NewUser {
        email,
        display_name: name.trim().to_owned(),
        password_hash: hash,
    };
    let store = g.state().store.clone();
    let reseller = g.actor.id;
    let user = g
        .audited(async move {
            store
                .create_customer(reseller, new)
                .await
                .map_err(|e| match e {
                    // Not "already exists": whose accounts the panel holds is no
                    // reseller's business.
                    StoreError::Duplicate(_) => crate::error::FieldErrors::single(
                        "email",
                        "This e-mail address cannot be used for a new customer. Use another \
                         address, or send them an invite link.",
                    ),
                    other => other.into(),
                })
        })
        .await?;
    // The new customer starts with the default policy, written down so the reseller sees
    // exactly what applies.
    g.state()
        .store
        .put_customer_policy(user.id, &CustomerPolicy::default())
        .await?;
    Ok(user.id)
}

/// A single-use link that signs its user up as this reseller's customer.
#[server(endpoint = "customers/invite")]
pub async fn invite_customer() -> Result<NewInvite, AppError> {
    use crate::auth::FreshInvite;
    use crate::server::authz::Target;
    let g = ssr::reseller::<crate::server::authz::panel::CustomerInvite>(Target::Account).await?;
    let state = g.state().clone();
    let fresh = FreshInvite::new(&state.settings);
    let reseller = g.actor.id;
    let invite = g
        .audited(async {
            Ok(state
                .store
                .create_customer_invite(reseller, &fresh.token_hash, fresh.expires_at)
                .await?)
        })
        .await?;
    Ok(fresh.shown(&state.settings, invite.id))
}

/// One customer, their policy and what is assigned to them.
#[server(endpoint = "customers/detail")]
pub async fn get_customer(customer_id: i64) -> Result<CustomerDetail, AppError> {
    use crate::server::authz::Target;
    let g =
        ssr::reseller::<crate::server::lunanode::actions::VmList>(Target::Customer(customer_id))
            .await?;
    let user = ssr::own_customer(&g, customer_id).await?;
    let store = &g.state().store;
    let assignments = store.assignments(g.account, Some(customer_id)).await?;
    let policy = store
        .customer_policy(customer_id)
        .await?
        .unwrap_or_default();
    // Each kind they hold, listed once, for the names.
    let kinds = crate::kinds::KINDS
        .iter()
        .filter(|k| assignments.iter().any(|a| a.kind == k.key));
    let names = futures::future::join_all(kinds.map(|k| async { (*k, g.list_kind(k).await) }))
        .await
        .into_iter()
        .flat_map(|(kind, listed)| {
            listed
                .unwrap_or_default()
                .into_iter()
                .map(|r| LedgerResource {
                    kind: kind.key.to_owned(),
                    resource_id: r.id,
                    name: r.name,
                })
        })
        .filter(|r| {
            assignments
                .iter()
                .any(|a| a.kind == r.kind && a.resource_id == r.resource_id)
        })
        .collect();
    let second_factor = crate::server::totp::has_second_factor(g.state(), customer_id).await?;
    Ok(CustomerDetail {
        customer: ssr::summary(user, &assignments),
        policy,
        assignments,
        names,
        second_factor,
    })
}

/// Removes a customer's second factor (they lost their device and recovery codes); their
/// sessions end. Audited.
#[server(endpoint = "customers/reset_second_factor")]
pub async fn reset_customer_second_factor(customer_id: i64) -> Result<(), AppError> {
    use crate::server::authz::Target;
    let g = ssr::reseller::<crate::server::authz::panel::CustomerSecondFactorReset>(
        Target::Customer(customer_id),
    )
    .await?;
    let customer = ssr::own_customer(&g, customer_id).await?;
    crate::auth::reset::ssr::reset_second_factor(g.state(), &g.actor, &customer).await?;
    Ok(())
}

/// Makes a single-use password-reset link for a customer (it expires after an hour). The
/// token exists only in the returned link. Audited.
#[server(endpoint = "customers/reset_link")]
pub async fn customer_reset_link(customer_id: i64) -> Result<crate::types::NewResetLink, AppError> {
    use crate::server::authz::Target;
    let g = ssr::reseller::<crate::server::authz::panel::CustomerResetLink>(Target::Customer(
        customer_id,
    ))
    .await?;
    let customer = ssr::own_customer(&g, customer_id).await?;
    crate::auth::reset::ssr::make_link(g.state(), &g.actor, &customer).await
}

/// Suspends a customer (their running VMs are stopped; they can sign in and look but not
/// act) or resumes them. Returns how many VMs were stopped.
#[server(endpoint = "customers/suspend")]
pub async fn suspend_customer(customer_id: i64, suspended: bool) -> Result<usize, AppError> {
    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let g = ssr::reseller::<crate::server::authz::panel::CustomerSuspend>(Target::Customer(
        customer_id,
    ))
    .await?;
    ssr::own_customer(&g, customer_id).await?;
    let store = g.state().store.clone();
    g.audited(async move { Ok(store.set_suspended(customer_id, suspended).await?) })
        .await?;
    if !suspended {
        return Ok(0);
    }
    let theirs = g
        .state()
        .store
        .assignments(g.account, Some(customer_id))
        .await?;
    let snapshot = g
        .state()
        .live
        .snapshot(g.account, std::time::Duration::from_secs(20))
        .await?;
    let mut stopped = 0;
    for a in theirs.iter().filter(|a| a.kind == "vm") {
        let running = snapshot.vms.iter().any(|v| {
            // Case and words of the status vary (issue 8): stop whatever may be running.
            use crate::vm::VmPhase;
            v.vm_id == a.resource_id
                && !matches!(v.phase(), Some(VmPhase::Stopped | VmPhase::Shelved))
        });
        if !running {
            continue;
        }
        let stop = g
            .also::<crate::server::lunanode::actions::VmStop>(Target::vm(a.resource_id.clone()))
            .await?;
        let vm = api::VmStop {
            vm_id: a.resource_id.clone(),
        };
        match stop.call(&vm, "The virtual machine").await {
            Ok(_) => stopped += 1,
            Err(e) => tracing::warn!(error = %e, "could not stop a suspended customer's VM"),
        }
        g.state().live.kick(g.account, &[&a.resource_id]);
    }
    Ok(stopped)
}

/// Deletes a customer. Their resources are released to the reseller; nothing is deleted
/// at Luna Node. `confirm` must be the customer's e-mail address.
#[server(endpoint = "customers/delete")]
pub async fn delete_customer(customer_id: i64, confirm: String) -> Result<(), AppError> {
    use crate::server::authz::Target;
    let g =
        ssr::reseller::<crate::server::authz::panel::CustomerDelete>(Target::Customer(customer_id))
            .await?;
    let user = ssr::own_customer(&g, customer_id).await?;
    if crate::validate::normalize_email(&confirm) != user.email {
        return Err(crate::error::FieldErrors::single(
            "confirm",
            "Type the customer's e-mail address exactly to confirm.",
        ));
    }
    let store = g.state().store.clone();
    let reseller = g.actor.id;
    g.audited(async move { Ok(store.delete_customer(reseller, customer_id).await?) })
        .await
}

/// Assigns one of the account's resources to a customer (taking it from anyone else).
#[server(endpoint = "customers/assign")]
pub async fn assign_resource(
    customer_id: i64,
    kind: String,
    resource_id: String,
) -> Result<(), AppError> {
    use crate::server::authz::Target;
    let g =
        ssr::reseller::<crate::server::authz::panel::CustomerAssign>(Target::Customer(customer_id))
            .await?;
    ssr::own_customer(&g, customer_id).await?;
    let Some(kind) = crate::kinds::by_key(&kind) else {
        return Err(crate::error::FieldErrors::single(
            "kind",
            "Choose a kind of resource.",
        ));
    };
    let id = resource_id.trim().to_owned();
    if id.is_empty() || id.len() > 64 || id.chars().any(char::is_whitespace) {
        return Err(crate::error::FieldErrors::single(
            "resource_id",
            "Choose a resource.",
        ));
    }
    let store = g.state().store.clone();
    let account = g.account;
    g.audited(async move { Ok(store.assign(account, kind.key, &id, customer_id).await?) })
        .await
}

/// Releases a resource back to the reseller.
#[server(endpoint = "customers/unassign")]
pub async fn unassign_resource(kind: String, resource_id: String) -> Result<(), AppError> {
    use crate::server::authz::Target;
    let g = ssr::reseller::<crate::server::authz::panel::CustomerUnassign>(Target::Account).await?;
    let store = g.state().store.clone();
    let account = g.account;
    let released = g
        .audited(async move { Ok(store.unassign(account, &kind, &resource_id).await?) })
        .await?;
    if !released {
        return Err(AppError::NotFound("The assignment".into()));
    }
    Ok(())
}

/// The policy form as typed: limits and lists as text, checked by [`PolicyForm::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    pub vms: String,
    pub vcpu: String,
    pub ram_mb: String,
    pub disk_gb: String,
    pub volumes: String,
    pub volume_gb: String,
    pub floating_ips: String,
    pub load_balancers: String,
    pub security_groups: String,
    pub zones: String,
    pub mail_domains: String,
    pub monitor_checks: String,
    pub monitor_contacts: String,
    pub scripts: String,
    pub plans: String,
    pub regions: String,
    pub images: String,
    /// Keys of the [capability groups](crate::kinds::capabilities) ticked.
    pub enabled: Vec<String>,
    /// The "show VM login details" box: absent (unticked) is off, as a browser sends it.
    pub show_login_details: bool,
}

impl PolicyForm {
    /// The policy, or every problem against its field (`vms`, `plans`, `enabled`, …).
    pub fn parse(&self) -> Result<CustomerPolicy, AppError> {
        let mut errors = crate::error::FieldErrors::new();
        let mut limit = |field: &'static str, text: &str| -> Option<u64> {
            let t = text.trim();
            if t.is_empty() {
                return None;
            }
            match t.parse::<u64>() {
                Ok(n) if n <= 1_000_000 => Some(n),
                _ => {
                    errors.add(
                        field,
                        "Enter a whole number, or leave it empty for no limit.",
                    );
                    None
                }
            }
        };
        let small = |n: Option<u64>| n.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let quotas = Quotas {
            vms: small(limit("vms", &self.vms)),
            vcpu: small(limit("vcpu", &self.vcpu)),
            ram_mb: limit("ram_mb", &self.ram_mb),
            disk_gb: limit("disk_gb", &self.disk_gb),
            volumes: small(limit("volumes", &self.volumes)),
            volume_gb: limit("volume_gb", &self.volume_gb),
            floating_ips: small(limit("floating_ips", &self.floating_ips)),
            load_balancers: small(limit("load_balancers", &self.load_balancers)),
            security_groups: small(limit("security_groups", &self.security_groups)),
            zones: small(limit("zones", &self.zones)),
            mail_domains: small(limit("mail_domains", &self.mail_domains)),
            monitor_checks: small(limit("monitor_checks", &self.monitor_checks)),
            monitor_contacts: small(limit("monitor_contacts", &self.monitor_contacts)),
            scripts: small(limit("scripts", &self.scripts)),
        };
        let list = |text: &str| -> Vec<String> {
            text.split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut on: Vec<String> = Vec::new();
        for e in &self.enabled {
            if !capabilities().any(|c| c.key == e.as_str()) {
                errors.add(
                    "enabled",
                    format!("{e:?} is not something customers can be allowed to do."),
                );
            } else if !on.contains(e) {
                on.push(e.clone());
            }
        }
        errors.into_result()?;
        Ok(CustomerPolicy {
            quotas,
            plans: list(&self.plans),
            regions: list(&self.regions),
            images: list(&self.images),
            enabled: on,
            show_login_details: self.show_login_details,
        })
    }
}

/// Replaces a customer's quotas, allow-lists and enabled actions. Empty limits are no
/// limit; empty plan and region lists allow every plan and region; an empty image list
/// allows none of the reseller's own images (public templates and the customer's own
/// images are always allowed).
#[server(endpoint = "customers/policy")]
pub async fn set_customer_policy(customer_id: i64, form: PolicyForm) -> Result<(), AppError> {
    use crate::server::authz::Target;
    let g =
        ssr::reseller::<crate::server::authz::panel::CustomerPolicy>(Target::Customer(customer_id))
            .await?;
    ssr::own_customer(&g, customer_id).await?;
    let policy = form.parse()?;
    let store = g.state().store.clone();
    g.audited(async move { Ok(store.put_customer_policy(customer_id, &policy).await?) })
        .await
}

/// Starts viewing the panel as one of the reseller's customers (bannered and audited), or
/// stops (`customer_id` 0).
#[server(endpoint = "customers/view_as")]
pub async fn view_as(customer_id: i64) -> Result<(), AppError> {
    use crate::server::authz::Target;
    use crate::server::context::{impersonating, session, signed_in};
    use crate::server::session::VIEW_AS_KEY;
    use crate::server::store::{AuditEntry, Outcome};
    let session = session()?;
    if customer_id == 0 {
        // Stopping is always allowed, for whoever is really signed in, and audited too.
        let (Some(reseller), Some(customer)) = (impersonating(), signed_in()?) else {
            return Ok(());
        };
        let store = crate::server::context::state()?.store;
        session
            .remove::<i64>(VIEW_AS_KEY)
            .await
            .map_err(|e| crate::server::context::internal(format!("session: {e}")))?;
        session
            .cycle_id()
            .await
            .map_err(|e| crate::server::context::internal(format!("session: {e}")))?;
        store
            .audit(AuditEntry {
                request_id: None,
                actor_user_id: Some(reseller.id),
                actor_role: Some(reseller.role.as_str().to_owned()),
                account_user_id: Some(reseller.id),
                action: "customer/view_as_end".into(),
                target: format!("customer:{}", customer.id),
                outcome: Outcome::Ok,
                error_class: None,
                ip: None,
                impersonator_user_id: None,
            })
            .await?;
        return Ok(());
    }
    let g =
        ssr::reseller::<crate::server::authz::panel::CustomerViewAs>(Target::Customer(customer_id))
            .await?;
    ssr::own_customer(&g, customer_id).await?;
    g.audited(async {
        session
            .insert(VIEW_AS_KEY, customer_id)
            .await
            .map_err(|e| crate::server::context::internal(format!("session: {e}")))?;
        // A change of privilege: a new session id (SEC-3.2).
        session
            .cycle_id()
            .await
            .map_err(|e| crate::server::context::internal(format!("session: {e}")))
    })
    .await
}

/// The reseller's branding for their customers.
#[server(endpoint = "branding/get")]
pub async fn get_branding() -> Result<Branding, AppError> {
    use crate::server::authz::Target;
    let g = ssr::reseller::<crate::server::lunanode::actions::VmList>(Target::Account).await?;
    Ok(g.state()
        .store
        .branding(g.actor.id)
        .await?
        .unwrap_or_default())
}

/// Where a branded console's accent colours come from: a stylesheet made from the two
/// colours in its address. A style attribute would need `'unsafe-inline'` in the page's
/// Content-Security-Policy, and a `<style>` element made in the browser (after a client-side
/// navigation) has no nonce; a stylesheet from the panel itself is allowed either way
/// (SEC-4.4).
pub const ACCENT_CSS_PATH: &str = "/brand.css";

/// The address of the stylesheet with `b`'s accent colours (`#rrggbb`, checked on save).
pub fn accent_css_href(b: &Branding) -> String {
    format!(
        "{ACCENT_CSS_PATH}?light={}&dark={}",
        b.accent_light.trim_start_matches('#'),
        b.accent_dark.trim_start_matches('#')
    )
}

/// The stylesheet for two accent colours of six hex digits each; `None` for anything else
/// (so nothing but a colour ever reaches the CSS).
pub fn accent_css(light: &str, dark: &str) -> Option<String> {
    let hex = |c: &str| c.len() == 6 && c.chars().all(|c| c.is_ascii_hexdigit());
    (hex(light) && hex(dark)).then(|| {
        format!(".console.branded {{ --brand-light: #{light}; --brand-dark: #{dark}; }}\n")
    })
}

/// `GET /brand.css?light=rrggbb&dark=rrggbb`: [`accent_css`], cacheable for good (the
/// answer depends on the address alone); 404 for anything but two colours.
#[cfg(feature = "ssr")]
pub async fn accent_css_route(
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let get = |k: &str| q.get(k).map_or("", String::as_str);
    match accent_css(get("light"), get("dark")) {
        Some(css) => (
            [
                (http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (
                    http::header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable",
                ),
            ],
            css,
        )
            .into_response(),
        None => http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// Longest logo or support address accepted.
const BRANDING_URL_MAX: usize = 300;

/// A branding logo: none, an `https://` URL with a plain host (its origin joins the
/// page's `img-src`), or a path on this panel. Anything a browser reads as
/// protocol-relative (`//host`, `/\host`, `\\host`) is refused: it would load from another
/// site while looking local.
pub fn logo_url_ok(u: &str) -> bool {
    u.is_empty()
        || (u.len() <= BRANDING_URL_MAX
            && (crate::validate::is_https_url(u) || crate::validate::is_local_path(u)))
}

/// A support link: none, an `https://` URL with a plain host, or a `mailto:` address.
pub fn support_url_ok(u: &str) -> bool {
    u.is_empty()
        || (u.len() <= BRANDING_URL_MAX
            && (crate::validate::is_https_url(u)
                || u.strip_prefix("mailto:").is_some_and(|m| {
                    !m.is_empty()
                        && !m.chars().any(|c| {
                            c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>')
                        })
                })))
}

/// Checks a branding form; every problem against its field.
pub fn check_branding(b: &Branding) -> crate::error::FieldErrors {
    let mut errors = crate::error::FieldErrors::new();
    let name = b.panel_name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        errors.add("panel_name", "Give the panel a name of 1 to 40 characters.");
    } else if name.to_lowercase().contains("luna node") || name.to_lowercase().contains("lunanode")
    {
        errors.add(
            "panel_name",
            "Customers never see the upstream provider's name; choose your own.",
        );
    }
    if !logo_url_ok(&b.logo_url) {
        errors.add(
            "logo_url",
            "Use an https:// address with a plain host name, or a path on this panel \
             starting with a single /.",
        );
    }
    if !support_url_ok(&b.support_url) {
        errors.add("support_url", "Use an https:// or mailto: address.");
    }
    let colour = |c: &str| {
        c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|c| c.is_ascii_hexdigit())
    };
    if !colour(&b.accent_light) {
        errors.add("accent_light", "Use a colour such as #2563eb.");
    }
    if !colour(&b.accent_dark) {
        errors.add("accent_dark", "Use a colour such as #60a5fa.");
    }
    errors
}

/// Saves the reseller's branding.
#[server(endpoint = "branding/save")]
pub async fn save_branding(
    panel_name: String,
    logo_url: String,
    accent_light: String,
    accent_dark: String,
    support_url: String,
) -> Result<(), AppError> {
    use crate::server::authz::Target;
    let g = ssr::reseller::<crate::server::authz::panel::BrandingSave>(Target::Account).await?;
    let branding = Branding {
        panel_name,
        logo_url: logo_url.trim().to_owned(),
        accent_light: accent_light.trim().to_lowercase(),
        accent_dark: accent_dark.trim().to_lowercase(),
        support_url: support_url.trim().to_owned(),
    };
    check_branding(&branding).into_result()?;
    let branding = Branding {
        panel_name: branding.panel_name.trim().to_owned(),
        ..branding
    };
    let store = g.state().store.clone();
    let reseller = g.actor.id;
    g.audited(async move { Ok(store.put_branding(reseller, &branding).await?) })
        .await
}

/// One upstream resource as the ledger check shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LedgerResource {
    pub kind: String,
    pub resource_id: String,
    pub name: String,
}

/// Where the ledger and the account disagree, or may: resources nobody is assigned (the
/// reseller's own, or new ones made outside the panel) and entries whose resource is gone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Drift {
    pub unassigned: Vec<LedgerResource>,
    /// Ledger entries whose resource no longer exists at the cloud, with their customer.
    pub gone: Vec<Assignment>,
    /// Kinds that could not be listed right now (their entries are not judged).
    pub unchecked: Vec<String>,
}

/// Compares the ledger with what the account really holds.
#[server(endpoint = "customers/drift")]
pub async fn ledger_drift() -> Result<Drift, AppError> {
    use std::collections::HashSet;

    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let g = ssr::reseller::<api::VmList>(Target::Account).await?;
    // Every kind of the registry a customer can own, listed at once.
    let lists = futures::future::join_all(
        crate::kinds::KINDS
            .iter()
            .filter(|k| k.lister.is_some())
            .map(|k| async { (*k, g.list_kind(k).await) }),
    )
    .await;
    let mut have: Vec<(&str, Option<Vec<LedgerResource>>)> = lists
        .into_iter()
        .map(|(kind, listed)| {
            let listed = listed.ok().map(|rows| {
                rows.into_iter()
                    .map(|r| LedgerResource {
                        kind: kind.key.to_owned(),
                        resource_id: r.id,
                        name: r.name,
                    })
                    .collect()
            });
            (kind.key, listed)
        })
        .collect();
    let ledger = g.state().store.assignments(g.account, None).await?;
    let known: HashSet<(&str, &str)> = ledger
        .iter()
        .map(|a| (a.kind.as_str(), a.resource_id.as_str()))
        .collect();
    let mut drift = Drift {
        unassigned: Vec::new(),
        gone: Vec::new(),
        unchecked: Vec::new(),
    };
    for (kind, listed) in &mut have {
        let Some(listed) = listed else {
            drift.unchecked.push((*kind).to_owned());
            continue;
        };
        let present: HashSet<&str> = listed.iter().map(|r| r.resource_id.as_str()).collect();
        drift.gone.extend(
            ledger
                .iter()
                .filter(|a| a.kind == *kind && !present.contains(a.resource_id.as_str()))
                .cloned(),
        );
        drift.unassigned.extend(
            listed
                .iter()
                .filter(|r| !known.contains(&(*kind, r.resource_id.as_str())))
                .cloned(),
        );
    }
    Ok(drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_logo(logo_url: &str) -> Branding {
        Branding {
            logo_url: logo_url.into(),
            ..Branding::default()
        }
    }

    #[test]
    fn branding_logo_must_be_https_or_a_local_path() {
        for ok in [
            "",
            "https://cdn.example.com/acme.png",
            "https://cdn.example.com:8443/acme.svg",
            "/logo.svg",
            "/brand/acme.png",
        ] {
            assert!(check_branding(&with_logo(ok)).is_empty(), "{ok}");
        }
        for bad in [
            "//evil.example/x",
            "/\\evil.example/x",
            "\\\\evil",
            "\\\\evil.example/x",
            "/\t/evil.example/x",
            "http://cdn.example.com/acme.png",
            "javascript:alert(1)",
            "data:image/svg+xml,<svg/onload=alert(1)>",
            "https://cdn.example.com@evil.example/x",
            "https:\\\\evil.example",
            "logo.png",
            "/",
        ] {
            let e = check_branding(&with_logo(bad));
            assert!(e.get("logo_url").is_some(), "{bad:?} accepted");
        }
        let long = format!("https://cdn.example.com/{}", "a".repeat(300));
        assert!(check_branding(&with_logo(&long)).get("logo_url").is_some());
    }

    #[test]
    fn accent_stylesheet_holds_only_colours() {
        let b = Branding {
            accent_light: "#0f766e".into(),
            accent_dark: "#2dd4bf".into(),
            ..Branding::default()
        };
        assert_eq!(accent_css_href(&b), "/brand.css?light=0f766e&dark=2dd4bf");
        assert_eq!(
            accent_css("0f766e", "2dd4bf").unwrap(),
            ".console.branded { --brand-light: #0f766e; --brand-dark: #2dd4bf; }\n"
        );
        for (light, dark) in [
            ("", "2dd4bf"),
            ("0f766e", "2dd4b"),
            ("#0f766e", "2dd4bf"),
            ("0f766e}", "2dd4bf"),
            ("red;}*{", "2dd4bf"),
            ("0f766g", "2dd4bf"),
        ] {
            assert!(accent_css(light, dark).is_none(), "{light} {dark}");
        }
    }

    #[test]
    fn support_link_is_https_or_mailto() {
        let with = |support_url: &str| Branding {
            support_url: support_url.into(),
            ..Branding::default()
        };
        for ok in ["", "https://help.example.com/", "mailto:help@example.com"] {
            assert!(check_branding(&with(ok)).is_empty(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "http://help.example.com/",
            "//help.example.com/",
            "mailto:",
            "mailto:a b@example.com",
        ] {
            assert!(
                check_branding(&with(bad)).get("support_url").is_some(),
                "{bad}"
            );
        }
    }
}
