//! The one authorization point (SEC-6.1): every server function that touches an account's
//! Luna Node resources starts with [`authorize`], which is deny-by-default and returns the
//! [`Grant`] through which alone an upstream call can be made. A grant is typed by the one
//! action it allows (`Grant<api::VolumeDelete>` can only make a `volume/delete` call, checked
//! by the compiler); further decisions in the same request ([`Grant::also`]) reuse the
//! caller's scope, loaded once. Mutations made through a grant are audited (one row:
//! `pending` before the call, settled after).
//!
//! Owners, resellers and the admin act on their own account. A customer acts on their
//! reseller's account, and only on what the ledger says is theirs: every resource id a
//! function touches (the target and the secondary references: image, plan, region, network,
//! security groups, scripts, SSH keys, floating IP…) is checked here before anything else
//! happens, and someone else's id answers *not found* with no upstream call (SEC-6.x).

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::budget::Payer;
use super::context::{internal, require_user, state, ServerState};
use super::lunanode::actions::{ImageList, ImageSummary};
use super::lunanode::Action;
use super::store::{AuditEntry, Outcome, QuotaGuard, User, UserId};
use super::upstream::CarriedCredential;
use crate::error::{AppError, UpstreamProblem};
use crate::model::kinds::{self, Kind};
use crate::model::tenancy::CustomerPolicy;
use crate::types::Role;

/// What a grant allows: one Luna Node action (every [`Action`] is one) or one of the panel's
/// own actions (the markers in [`panel`]), which are authorized and audited the same way.
pub trait Permission: 'static {
    /// The action's path (`volume/delete`, `customer/assign`).
    const PATH: &'static str;
    /// Safe to repeat and changes nothing (a suspended customer may still do it).
    const READ: bool;
    /// A Luna Node action (customers can only ever be granted those).
    const UPSTREAM: bool;
}

impl<A: Action + 'static> Permission for A {
    const PATH: &'static str = A::PATH;
    const READ: bool = A::READ;
    const UPSTREAM: bool = true;
}

/// The panel's own actions: not Luna Node API calls, but authorized and audited the same
/// way. Never a customer's.
pub mod panel {
    macro_rules! panel_actions {
        ($($name:ident = $path:literal),* $(,)?) => {
            $(
                #[doc = concat!("The panel action `", $path, "`.")]
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl super::Permission for $name {
                    const PATH: &'static str = $path;
                    const READ: bool = false;
                    const UPSTREAM: bool = false;
                }
            )*
            /// Every panel action's path.
            pub const ALL: &[&str] = &[$($path),*];
        };
    }
    panel_actions! {
        CredentialSave = "credential/save",
        CredentialDelete = "credential/delete",
        CredentialTest = "credential/test",
        CustomerCreate = "customer/create",
        CustomerInvite = "customer/invite",
        CustomerSuspend = "customer/suspend",
        CustomerDelete = "customer/delete",
        CustomerAssign = "customer/assign",
        CustomerUnassign = "customer/unassign",
        CustomerPolicy = "customer/policy",
        CustomerViewAs = "customer/view_as",
        // Audited as `auth/totp_reset` and `auth/reset_link` (`crate::server::events`).
        CustomerSecondFactorReset = "customer/totp_reset",
        CustomerResetLink = "customer/reset_link",
        BrandingSave = "branding/save",
    }
}

/// What an action is about; becomes the audit row's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The account as a whole (lists, plans, credit, the credential).
    Account,
    /// One resource of a kind of the registry.
    Res(&'static Kind, String),
    Plan(String),
    Region(String),
    /// One of a reseller's customers.
    Customer(UserId),
}

impl Target {
    pub fn res(kind: &'static Kind, id: impl Into<String>) -> Self {
        Target::Res(kind, id.into())
    }

    pub fn vm(id: impl Into<String>) -> Self {
        Self::res(&kinds::VM, id)
    }

    pub fn sshkey(id: impl Into<String>) -> Self {
        Self::res(&kinds::SSHKEY, id)
    }

    pub fn image(id: impl Into<String>) -> Self {
        Self::res(&kinds::IMAGE, id)
    }

    pub fn volume(id: impl Into<String>) -> Self {
        Self::res(&kinds::VOLUME, id)
    }

    pub fn snapshot(id: impl Into<String>) -> Self {
        Self::res(&kinds::SNAPSHOT, id)
    }

    pub fn network(id: impl Into<String>) -> Self {
        Self::res(&kinds::NETWORK, id)
    }

    pub fn securitygroup(id: impl Into<String>) -> Self {
        Self::res(&kinds::SECURITYGROUP, id)
    }

    pub fn script(id: impl Into<String>) -> Self {
        Self::res(&kinds::SCRIPT, id)
    }

    pub fn floating(id: impl Into<String>) -> Self {
        Self::res(&kinds::FLOATING, id)
    }

    /// The kind and id, for a resource.
    pub fn resource(&self) -> Option<(&'static Kind, &str)> {
        match self {
            Target::Res(kind, id) => Some((kind, id)),
            _ => None,
        }
    }

    /// The ledger kind and id (`None` for the account, plans and regions, which are not
    /// owned but allowed).
    pub fn ledger(&self) -> Option<(&'static str, &str)> {
        self.resource().map(|(k, id)| (k.key, id))
    }

    /// What "not found" names.
    pub fn what(&self) -> &'static str {
        match self {
            Target::Account => "The account",
            Target::Res(kind, _) => kind.what,
            Target::Plan(_) => "The plan",
            Target::Region(_) => "The region",
            Target::Customer(_) => "The customer",
        }
    }

    fn audit_text(&self) -> String {
        // Ids come from users: keep the audit text one line (log injection, SEC-5.3).
        let clean = |s: &str| s.escape_debug().to_string();
        match self {
            Target::Account => String::new(),
            Target::Plan(id) => format!("plan:{}", clean(id)),
            Target::Region(id) => format!("region:{}", clean(id)),
            Target::Customer(id) => format!("customer:{id}"),
            Target::Res(kind, id) => format!("{}:{}", kind.key, clean(id)),
        }
    }
}

/// What a customer's grant may see and use: their policy and the ledger of their
/// reseller's account.
#[derive(Debug)]
pub struct CustomerScope {
    pub customer: UserId,
    pub policy: CustomerPolicy,
    pub suspended: bool,
    /// (kind, id) assigned to this customer.
    owned: HashSet<(String, String)>,
    /// (kind, id) assigned to any customer of the account.
    assigned: HashSet<(String, String)>,
}

/// What the ledger and the policy alone say about a customer using an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageUse {
    /// Theirs, or one of the reseller's images the reseller allowed by id.
    Yes,
    /// Another customer's.
    No,
    /// Only if it is a public template or ISO (the reseller's unassigned images are not).
    IfPublic,
}

impl CustomerScope {
    /// Whether the customer may use `target`: their own resources; plans and regions the
    /// reseller allows; images that are theirs or that the reseller allowed by id (an image
    /// another customer owns is never allowed). Public templates are allowed too, but only
    /// the image list tells them apart: see [`CustomerScope::may_use_image`] and
    /// [`ImageCatalog`].
    pub fn may_use(&self, target: &Target) -> bool {
        match target {
            Target::Account => true,
            Target::Plan(id) => self.policy.allows_plan(id),
            Target::Region(code) => self.policy.allows_region(code),
            Target::Res(kind, id) if **kind == kinds::IMAGE => self.image_use(id) == ImageUse::Yes,
            Target::Res(kind, id) => self.owned.contains(&(kind.key.to_owned(), id.to_owned())),
            Target::Customer(_) => false,
        }
    }

    fn image_use(&self, id: &str) -> ImageUse {
        let key = ("image".to_owned(), id.to_owned());
        if self.owned.contains(&key) {
            ImageUse::Yes
        } else if self.assigned.contains(&key) {
            ImageUse::No
        } else if self.policy.allows_image(id) {
            ImageUse::Yes
        } else {
            ImageUse::IfPublic
        }
    }

    /// Whether the customer may boot from (or reimage to) `image`, an entry of the
    /// account's image list: a public template or ISO, one of their own images, or one of
    /// the reseller's the reseller allowed by id. Never the reseller's other images
    /// (snapshots of the reseller's disks).
    pub fn may_use_image(&self, image: &ImageSummary) -> bool {
        match self.image_use(&image.image_id) {
            ImageUse::Yes => true,
            ImageUse::No => false,
            ImageUse::IfPublic => image.is_public(),
        }
    }

    /// Ids of `kind` this customer owns.
    pub fn owned<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.owned
            .iter()
            .filter(move |(k, _)| k == kind)
            .map(|(_, id)| id.as_str())
    }
}

/// How long an account's listed images are trusted. An id not in a fresh list is not
/// public (refused without an upstream call); a template Luna Node adds is usable by
/// customers once the list is re-read (at most this long).
const CATALOG_FRESH: Duration = Duration::from_secs(600);

/// Which image ids of each account are public templates or ISOs, from its `image/list`
/// (public images are recognised by their name's suffix: INFERRED, see
/// [`ImageSummary::is_public`]). Customers' image checks use it, so that deciding on an id
/// the ledger does not know costs no upstream call while the list is fresh (one
/// `image/list` read otherwise, never a change).
#[derive(Debug, Default)]
pub struct ImageCatalog {
    accounts: Mutex<HashMap<UserId, Listed>>,
}

#[derive(Debug)]
struct Listed {
    at: Instant,
    public: HashSet<String>,
}

impl ImageCatalog {
    /// Records an image list of `account` just read.
    pub fn learn(&self, account: UserId, images: &[ImageSummary]) {
        let listed = Listed {
            at: Instant::now(),
            public: images
                .iter()
                .filter(|i| i.is_public())
                .map(|i| i.image_id.clone())
                .collect(),
        };
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account, listed);
    }

    /// Forgets `account`'s images (its credential changed).
    pub fn forget(&self, account: UserId) {
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&account);
    }

    /// `Some(public?)` when the catalogue can answer for `id` without a new look.
    fn known(&self, account: UserId, id: &str) -> Option<bool> {
        let accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let listed = accounts.get(&account)?;
        if listed.at.elapsed() > CATALOG_FRESH {
            return None;
        }
        Some(listed.public.contains(id))
    }

    /// Whether image `id` of `account` is a public template or ISO (lists the account's
    /// images, at `payer`'s expense, when the catalogue cannot tell).
    pub async fn is_public(
        &self,
        upstream: &super::upstream::Upstream,
        account: UserId,
        payer: Payer,
        id: &str,
    ) -> Result<bool, AppError> {
        if let Some(public) = self.known(account, id) {
            return Ok(public);
        }
        let req = ImageList { region: None };
        let list = upstream
            .call_as(payer, account, &req, "The image list")
            .await?;
        self.learn(account, &list.images);
        Ok(list
            .images
            .iter()
            .any(|i| i.image_id == id && i.is_public()))
    }
}

/// A customer's quota lock (see [`Grant::quota_lock`]) with their ledger as read under it.
#[derive(Debug)]
pub struct QuotaLock {
    held: Vec<crate::model::tenancy::Assignment>,
    _guard: QuotaGuard,
}

impl QuotaLock {
    /// Ids of `kind` the customer holds, as the ledger says under the lock.
    pub fn held<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.held
            .iter()
            .filter(move |a| a.kind == kind)
            .map(|a| a.resource_id.as_str())
    }

    /// Refuses one more of `kind` when the customer holds `limit` of them already (counted
    /// from the ledger as read under the lock); `None` is no limit.
    pub fn check_count(&self, kind: &Kind, limit: Option<u32>) -> Result<(), AppError> {
        self.check_counts(&[kind], limit, kind.plural)
    }

    /// [`QuotaLock::check_count`] for a quota several kinds share (`what` names them).
    pub fn check_counts(
        &self,
        kinds: &[&Kind],
        limit: Option<u32>,
        what: &str,
    ) -> Result<(), AppError> {
        let Some(limit) = limit else {
            return Ok(());
        };
        let held: usize = kinds.iter().map(|k| self.held(k.key).count()).sum();
        if held >= limit as usize {
            return Err(AppError::Quota(format!(
                "Your plan allows {limit} {what} and you have {held}. Delete one, or ask your \
                 provider for more."
            )));
        }
        Ok(())
    }
}

/// A target for `id` of `kind`, if it looks like an id (or an address: floating IPs are
/// known by theirs) at all: junk answers "not found" with no upstream call.
pub fn checked_target(kind: &'static Kind, id: &str) -> Result<Target, AppError> {
    let id = id.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        return Err(AppError::NotFound(kind.what.into()));
    }
    Ok(Target::res(kind, id))
}

/// Who may look at one kind of an account's resources, and which of them: for live status
/// streams, which push lists rather than make calls.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub account: UserId,
    scope: Scope,
}

impl Viewer {
    pub fn is_customer(&self) -> bool {
        matches!(self.scope, Scope::Customer(_))
    }

    /// Whether the viewer may see the account's resource `(kind, id)`.
    pub fn sees(&self, kind: &Kind, id: &str) -> bool {
        match &self.scope {
            Scope::Whole => true,
            Scope::Customer(c) => c.owned.contains(&(kind.key.to_owned(), id.to_owned())),
        }
    }

    /// A kind's list as this viewer may see it (a customer: theirs, and no provider name).
    pub fn filter_kind(&self, snapshot: &kinds::KindSnapshot) -> kinds::KindSnapshot {
        let mut s = snapshot.clone();
        if let Some(kind) = kinds::by_key(&s.kind) {
            s.rows.retain(|r| self.sees(kind, &r.id));
        } else {
            s.rows.clear();
        }
        if self.is_customer() {
            s.problem = s.problem.map(|p| neutral_text(&p));
        }
        s
    }
}

/// Decides whether `actor` may look at `kind`'s list (the same rule as a grant for the
/// kind's list action): the account whose list it is and the viewer's scope.
pub async fn viewer(
    actor: &User,
    state: &ServerState,
    kind: &'static Kind,
) -> Result<Viewer, AppError> {
    let (account, scope) = load_scope(actor, state, None).await?;
    if let Scope::Customer(c) = &scope {
        if !c.policy.allows(kind.list) {
            return Err(AppError::Forbidden);
        }
    }
    Ok(Viewer { account, scope })
}

/// Whose view a grant has of the account.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The account's owner (or reseller, or the admin on their own account): everything.
    Whole,
    Customer(Arc<CustomerScope>),
}

/// Who asked, from where.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    request_id: Option<String>,
    ip: Option<String>,
    /// The reseller viewing as the signed-in customer, if that is what this request is.
    impersonator: Option<UserId>,
}

impl RequestMeta {
    /// A request known only by its peer's address (a route no session signs in to).
    pub fn from_peer(ip: std::net::IpAddr) -> Self {
        Self {
            request_id: None,
            ip: Some(ip.to_string()),
            impersonator: None,
        }
    }

    pub fn from_parts(parts: &http::request::Parts) -> Self {
        Self {
            // A client's own `x-request-id` reaches the audit log only when it looks like
            // one (the server sets a UUID when there is none; issue 13.6).
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .filter(|v| is_request_id(v))
                .map(str::to_owned),
            ip: client_addr(parts).map(|ip| ip.to_string()),
            impersonator: parts
                .extensions
                .get::<super::session::Impersonating>()
                .map(|i| i.0.id),
        }
    }
}

impl RequestMeta {
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }

    pub fn impersonator(&self) -> Option<UserId> {
        self.impersonator
    }
}

/// The client's address as the panel believes it (request extension set by the server's
/// `client_addr` gate): the connection's peer, or — only when that peer is a configured
/// trusted proxy — the address the proxy says it forwarded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The client's address for this request: [`ClientAddr`], else the connection's peer.
pub fn client_addr(parts: &http::request::Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<ClientAddr>()
        .map(|c| c.0)
        .or_else(|| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        })
}

/// Whether a client-sent request id may be recorded: 1 to 64 characters of letters,
/// digits, `-`, `_` and `.` (a UUID is; a line break, markup or a novel is not).
pub fn is_request_id(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Permission to perform one action (`P`) on one target of one account. The caller's scope
/// is shared by every grant of the same request.
pub struct Grant<P> {
    pub actor: User,
    /// Whose Luna Node account (and credential) the action uses.
    pub account: UserId,
    pub scope: Scope,
    target: Target,
    meta: RequestMeta,
    state: ServerState,
    /// The credential row read with the request's session check (issue 14.4), used by
    /// [`Grant::call`] instead of reading it again.
    carried: Option<Arc<CarriedCredential>>,
    _allows: PhantomData<fn() -> P>,
}

impl<P> Clone for Grant<P> {
    fn clone(&self) -> Self {
        Self {
            actor: self.actor.clone(),
            account: self.account,
            scope: self.scope.clone(),
            target: self.target.clone(),
            meta: self.meta.clone(),
            state: self.state.clone(),
            carried: self.carried.clone(),
            _allows: PhantomData,
        }
    }
}

impl<P: Permission> std::fmt::Debug for Grant<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("action", &P::PATH)
            .field("actor", &self.actor.id)
            .field("account", &self.account)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// Decides whether the signed-in user may perform `P` on `target`. Deny by default: an
/// unknown role or no session is refused. Call it before any `.await` of the server
/// function (it reads the request context); further decisions in the same function go
/// through [`Grant::also`], which reuses the scope loaded here.
pub async fn authorize<P: Permission>(target: Target) -> Result<Grant<P>, AppError> {
    authorize_refs::<P>(target, Vec::new()).await
}

/// [`authorize`] for a function that also uses other resources (`refs`): the image of a
/// reimage, the plan of a resize, the VM a volume is attached to, everything a new VM is
/// made with.
pub async fn authorize_refs<P: Permission>(
    target: Target,
    refs: Vec<Target>,
) -> Result<Grant<P>, AppError> {
    let (actor, state, meta) = (require_user()?, state()?, super::events::current_meta());
    let carried = super::context::carried_credential();
    authorize_carried::<P>(actor, state, meta, carried, target, refs).await
}

/// [`authorize`] for callers outside a server function (the live-status stream, the
/// download route): the same decision from an explicit actor, state and request.
pub async fn authorize_as<P: Permission>(
    actor: User,
    state: ServerState,
    meta: RequestMeta,
    target: Target,
    refs: Vec<Target>,
) -> Result<Grant<P>, AppError> {
    authorize_carried::<P>(actor, state, meta, None, target, refs).await
}

/// [`authorize_as`] with what the request's session check read ([`CarriedCredential`]).
async fn authorize_carried<P: Permission>(
    actor: User,
    state: ServerState,
    meta: RequestMeta,
    carried: Option<Arc<CarriedCredential>>,
    target: Target,
    refs: Vec<Target>,
) -> Result<Grant<P>, AppError> {
    let (account, scope) = match load_scope(&actor, &state, carried.as_deref()).await {
        Ok(loaded) => loaded,
        Err(e) => {
            if matches!(e, AppError::Forbidden) {
                super::events::denied(&state, &meta, &actor, P::PATH, &target.audit_text(), &e)
                    .await;
            }
            return Err(e);
        }
    };
    let grant = Grant {
        actor,
        account,
        scope,
        target,
        meta,
        state,
        carried: carried.filter(|c| c.account == account),
        _allows: PhantomData,
    };
    grant.decide(&refs).await?;
    Ok(grant)
}

/// Whose account the actor acts on, and what of it they may see: read once per request.
/// `carried` (what the session check read, when it is about `actor`'s account) saves
/// reading the reseller again.
async fn load_scope(
    actor: &User,
    state: &ServerState,
    carried: Option<&CarriedCredential>,
) -> Result<(UserId, Scope), AppError> {
    match actor.role {
        Role::Admin | Role::Owner | Role::Reseller => Ok((actor.id, Scope::Whole)),
        Role::Customer => {
            let Some(reseller) = actor.reseller_id else {
                return Err(internal(format!("customer {} has no reseller", actor.id)));
            };
            // A reseller who was disabled or stopped being a reseller takes their
            // customers' access with them.
            let active = match carried
                .filter(|c| c.account == reseller)
                .and_then(|c| c.reseller_active)
            {
                Some(active) => active,
                None => matches!(
                    state.store.user_by_id(reseller).await?,
                    Some(r) if r.role == Role::Reseller && !r.disabled
                ),
            };
            if !active {
                return Err(AppError::Forbidden);
            }
            let policy = state
                .store
                .customer_policy(actor.id)
                .await?
                .unwrap_or_default();
            let ledger = state.store.assignments(reseller, None).await?;
            let mut scope = CustomerScope {
                customer: actor.id,
                policy,
                suspended: actor.suspended,
                owned: HashSet::new(),
                assigned: HashSet::new(),
            };
            for a in ledger {
                let key = (a.kind, a.resource_id);
                if a.customer_id == actor.id {
                    scope.owned.insert(key.clone());
                }
                scope.assigned.insert(key);
            }
            Ok((reseller, Scope::Customer(Arc::new(scope))))
        }
    }
}

/// A message about Luna Node, with the provider's name taken out (for customers).
pub fn neutral_text(message: &str) -> String {
    message
        .replace("Luna Node's API", "The cloud")
        .replace("Luna Node refused the request", "The request was refused")
        .replace("Luna Node", "The cloud")
}

/// An error as a customer should read it: never the name of the provider behind their
/// reseller's panel, nor a request to fix a key that is not theirs.
fn neutral_error(e: AppError) -> AppError {
    match e {
        AppError::NoCredential
        | AppError::Upstream {
            problem: UpstreamProblem::KeyRefused,
            ..
        } => AppError::Upstream {
            problem: UpstreamProblem::Unavailable,
            message: "The cloud is not available to this panel right now. Your provider \
                          has been told; try again later."
                .into(),
        },
        AppError::Upstream { problem, message } => AppError::Upstream {
            problem,
            message: neutral_text(&message),
        },
        other => other,
    }
}

fn error_class(e: &AppError) -> &'static str {
    super::events::class_of(e)
}

impl<P: Permission> Grant<P> {
    pub fn state(&self) -> &ServerState {
        &self.state
    }

    pub fn action(&self) -> &'static str {
        P::PATH
    }

    /// The address the request came from (the connection's peer), when known.
    pub fn client_ip(&self) -> Option<&str> {
        self.meta.ip.as_deref()
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The decision itself, on this grant's scope: may its caller do `P` on its target
    /// using `refs`?
    /// [`Grant::decide_path`] for `P`; a refusal (not allowed, not theirs, suspended) is
    /// audited (issue 13.7) — failures of the panel or of Luna Node are not refusals.
    async fn decide(&self, refs: &[Target]) -> Result<(), AppError> {
        let decided = self.decide_path(P::PATH, P::READ, P::UPSTREAM, refs).await;
        if let Err(e @ (AppError::Forbidden | AppError::NotFound(_) | AppError::Suspended)) =
            &decided
        {
            super::events::denied(
                &self.state,
                &self.meta,
                &self.actor,
                P::PATH,
                &self.target.audit_text(),
                e,
            )
            .await;
        }
        decided
    }

    async fn decide_path(
        &self,
        path: &str,
        read: bool,
        upstream: bool,
        refs: &[Target],
    ) -> Result<(), AppError> {
        let Scope::Customer(scope) = &self.scope else {
            return Ok(());
        };
        if !upstream {
            // The credential and other panel actions are the reseller's alone.
            return Err(AppError::Forbidden);
        }
        if !scope.policy.allows(path) {
            return Err(AppError::Forbidden);
        }
        if scope.suspended && !read {
            return Err(AppError::Suspended);
        }
        // Someone else's id (or one that does not exist) is simply not found: nothing
        // reaches Luna Node. An image that is neither theirs nor allowed by id must be a
        // public template; that is asked of the account's image catalogue last, once
        // everything else passed.
        let mut if_public = Vec::new();
        for t in std::iter::once(&self.target).chain(refs.iter()) {
            match t {
                Target::Res(kind, id)
                    if **kind == kinds::IMAGE && scope.image_use(id) == ImageUse::IfPublic =>
                {
                    if_public.push(id);
                }
                t if !scope.may_use(t) => return Err(AppError::NotFound(t.what().into())),
                _ => {}
            }
        }
        for id in if_public {
            let public = self
                .state
                .images
                .is_public(&self.state.upstream, self.account, self.payer(), id)
                .await
                .map_err(neutral_error)?;
            if !public {
                return Err(AppError::NotFound(kinds::IMAGE.what.into()));
            }
        }
        Ok(())
    }

    /// Another decision for the same caller and request, on the scope already loaded: for
    /// server functions that touch several things. Needs no request context, so it works
    /// after an `.await` (where, in server rendering, the context is no longer reachable).
    pub async fn also<Q: Permission>(&self, target: Target) -> Result<Grant<Q>, AppError> {
        self.also_refs::<Q>(target, Vec::new()).await
    }

    /// [`Grant::also`] with secondary references.
    pub async fn also_refs<Q: Permission>(
        &self,
        target: Target,
        refs: Vec<Target>,
    ) -> Result<Grant<Q>, AppError> {
        let grant = Grant {
            actor: self.actor.clone(),
            account: self.account,
            scope: self.scope.clone(),
            target,
            meta: self.meta.clone(),
            state: self.state.clone(),
            carried: self.carried.clone(),
            _allows: PhantomData,
        };
        grant.decide(&refs).await?;
        Ok(grant)
    }

    /// `kind`'s list as this grant's caller may see it, from the instance's shared poller
    /// of the kind (started if none runs): no upstream call when a page or an earlier
    /// search already keeps it current, and no budget spent ([`super::budget`]). Waits up
    /// to `wait` for a first answer; then the last known rows (possibly none) and the
    /// poller's problem, if any (also when it has not answered yet).
    pub async fn cached_kind(
        &self,
        kind: &'static Kind,
        wait: std::time::Duration,
    ) -> Result<(Vec<kinds::Listed>, Option<String>), AppError> {
        let probe = Grant::<P> {
            target: Target::Account,
            ..self.clone()
        };
        probe.decide_path(kind.list, true, true, &[]).await?;
        let Some(mut rx) = self.state.live.subscribe_kind(self.account, kind) else {
            return Err(internal(format!("kind {} has no lister", kind.key)));
        };
        let answered = {
            let first = rx.wait_for(|s| s.listed_at.is_some() || s.problem.is_some());
            match tokio::time::timeout(wait, first).await {
                Ok(Ok(s)) => Some(s.clone()),
                _ => None,
            }
        };
        let snapshot = answered.unwrap_or_else(|| rx.borrow().clone());
        let rows = snapshot
            .rows
            .iter()
            .filter(|r| self.sees(kind, &r.id))
            .cloned()
            .collect();
        // No list yet (the poller did not answer within `wait`) is a problem too: the
        // rows are not known, which an empty list must not pass for.
        let problem = snapshot.problem.clone().or_else(|| {
            snapshot.listed_at.is_none().then(|| {
                format!(
                    "Luna Node did not list the {} in time. Try again in a moment.",
                    kind.plural
                )
            })
        });
        let problem = problem.map(|p| {
            if self.customer().is_some() {
                neutral_text(&p)
            } else {
                p
            }
        });
        Ok((rows, problem))
    }

    /// `kind`'s list as this grant's caller may see it (a customer: what is theirs), read
    /// through the registry's lister. Decided like a grant for the kind's list action. Each
    /// upstream call spends the caller's budget: prefer [`Grant::cached_kind`], which does
    /// not, where the shared poller's list will do.
    pub async fn list_kind(&self, kind: &'static Kind) -> Result<Vec<kinds::Listed>, AppError> {
        let Some(lister) = kind.lister else {
            return Err(internal(format!("kind {} has no lister", kind.key)));
        };
        let target = Target::Account;
        let probe = Grant::<P> {
            target,
            ..self.clone()
        };
        probe.decide_path(kind.list, true, true, &[]).await?;
        let rows = lister(self.state.upstream.clone(), self.account, self.payer())
            .await
            .map_err(|e| self.neutral(e))?;
        Ok(rows
            .into_iter()
            .filter(|r| self.sees(kind, &r.id))
            .collect())
    }

    /// Whose budget this grant's upstream calls spend: the customer's (and so their
    /// reseller's account's) for a customer, the account's for everyone else.
    pub fn payer(&self) -> Payer {
        match &self.scope {
            Scope::Whole => Payer::Account(self.account),
            Scope::Customer(c) => Payer::Customer {
                account: self.account,
                customer: c.customer,
            },
        }
    }

    /// Spends one upstream call of this grant's budget ([`Grant::payer`]), for a call made
    /// other than through [`Grant::call`] (which spends it itself): refused
    /// ([`AppError::Throttled`]) when it is spent, and the call must then not be made.
    pub async fn spend(&self) -> Result<(), AppError> {
        let spent = self.state.upstream.spend(self.payer()).await;
        super::metrics::note_budget(P::PATH, &spent);
        spent
    }

    /// The customer's view, if this grant is a customer's.
    pub fn customer(&self) -> Option<&CustomerScope> {
        match &self.scope {
            Scope::Whole => None,
            Scope::Customer(c) => Some(c),
        }
    }

    /// Whether this grant may see the account's resource `(kind, id)`.
    pub fn sees(&self, kind: &Kind, id: &str) -> bool {
        match &self.scope {
            Scope::Whole => true,
            Scope::Customer(c) => c.owned.contains(&(kind.key.to_owned(), id.to_owned())),
        }
    }

    /// Whether this grant may use `target` (lists of choices are filtered with it).
    pub fn may_use(&self, target: &Target) -> bool {
        match &self.scope {
            Scope::Whole => true,
            Scope::Customer(c) => c.may_use(target),
        }
    }

    /// For a customer's grant: waits until no other quota decision of theirs is under way
    /// (on any instance) and holds that until the returned lock is dropped, which must be
    /// after the new resource is claimed. The lock also reads what they hold afresh.
    /// `None` for everyone else (no quotas).
    pub async fn quota_lock(&self) -> Result<Option<QuotaLock>, AppError> {
        let Scope::Customer(c) = &self.scope else {
            return Ok(None);
        };
        let guard = self.state.store.quota_lock(c.customer).await?;
        let held = self
            .state
            .store
            .assignments(self.account, Some(c.customer))
            .await?;
        Ok(Some(QuotaLock {
            held,
            _guard: guard,
        }))
    }

    /// This grant with the customer's holdings as read under their quota `lock` (what they
    /// made in a parallel request since this request's scope was loaded is theirs too).
    pub fn under(&self, lock: &QuotaLock) -> Grant<P> {
        let mut g = self.clone();
        if let Scope::Customer(c) = &self.scope {
            let mut owned = c.owned.clone();
            owned.extend(
                lock.held
                    .iter()
                    .map(|a| (a.kind.clone(), a.resource_id.clone())),
            );
            g.scope = Scope::Customer(Arc::new(CustomerScope {
                customer: c.customer,
                policy: c.policy.clone(),
                suspended: c.suspended,
                owned,
                assigned: c.assigned.clone(),
            }));
        }
        g
    }

    /// The entries of an image list this grant may boot from (all of them for everyone
    /// but a customer: see [`CustomerScope::may_use_image`]). Remembers the list in the
    /// account's [`ImageCatalog`].
    pub fn usable_images(&self, images: Vec<ImageSummary>) -> Vec<ImageSummary> {
        self.state.images.learn(self.account, &images);
        match &self.scope {
            Scope::Whole => images,
            Scope::Customer(c) => images.into_iter().filter(|i| c.may_use_image(i)).collect(),
        }
    }

    /// Forgets a resource this grant just deleted from the ledger (whoever owned it). A
    /// failure is logged: the drift view shows the stale entry.
    pub async fn release(&self, kind: &'static Kind, resource_id: &str) {
        self.kick_res(kind, resource_id);
        let kind = kind.key;
        if let Err(e) = self
            .state
            .store
            .unassign(self.account, kind, resource_id)
            .await
        {
            tracing::warn!(error = %e, kind, "could not release a deleted resource");
        }
    }

    /// The VM list as this grant may see it.
    pub fn filter_snapshot(
        &self,
        snapshot: &crate::model::vm::VmListing,
    ) -> crate::model::vm::VmListing {
        let mut s = snapshot.clone();
        if self.customer().is_some() {
            s.vms.retain(|v| self.sees(&kinds::VM, &v.vm_id));
            s.problem = s.problem.map(|p| neutral_text(&p));
        }
        s
    }

    /// Records that a resource this grant just made is the acting customer's (nothing for
    /// everyone else: what they make is their account's own).
    pub async fn claim(&self, kind: &'static Kind, resource_id: &str) -> Result<(), AppError> {
        self.kick_res(kind, resource_id);
        if let Scope::Customer(c) = &self.scope {
            self.state
                .store
                .assign(self.account, kind.key, resource_id, c.customer)
                .await?;
        }
        Ok(())
    }

    /// An error as this grant's user should read it: a customer is never shown the name of
    /// the provider behind their reseller's panel, nor told to fix a key that is not theirs.
    pub fn neutral(&self, e: AppError) -> AppError {
        if self.customer().is_none() {
            return e;
        }
        neutral_error(e)
    }

    /// Has live status look again at the target at once (after a change, or when a
    /// change's outcome is unknown). Calls through the grant do it themselves.
    pub fn kick(&self) {
        if let Target::Res(kind, id) = &self.target {
            self.kick_res(kind, id);
        }
    }

    /// Has live status look again at `kind` (`id` in it) at once; for a kind without
    /// transitions, only a poller already running (the shared list other pages read).
    fn kick_res(&self, kind: &'static Kind, id: &str) {
        if *kind == kinds::VM {
            self.state.live.kick(self.account, &[id]);
        } else if kind.transitions {
            self.state.live.kick_kind(self.account, kind);
        } else {
            self.state.live.refresh_kind(self.account, kind);
        }
    }

    /// Audits a refusal decided after the grant (a reseller-only action asked by someone
    /// else, another reseller's customer) and returns it.
    pub async fn refused(&self, e: AppError) -> AppError {
        super::events::denied(
            &self.state,
            &self.meta,
            &self.actor,
            P::PATH,
            &self.target.audit_text(),
            &e,
        )
        .await;
        e
    }

    /// Audits a panel-local mutation (no upstream call of its own) around `work`.
    pub async fn audited<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        let row = self.begin().await?;
        let result = work.await;
        self.settle(row, &result).await;
        result
    }

    async fn begin(&self) -> Result<i64, AppError> {
        Ok(self
            .state
            .store
            .audit(AuditEntry {
                request_id: self.meta.request_id.clone(),
                actor_user_id: Some(self.actor.id),
                actor_role: Some(self.actor.role.as_str().to_owned()),
                account_user_id: Some(self.account),
                action: P::PATH.to_owned(),
                target: self.target.audit_text(),
                outcome: Outcome::Pending,
                error_class: None,
                ip: self.meta.ip.clone(),
                impersonator_user_id: self.meta.impersonator,
            })
            .await?)
    }

    /// Settles audit row `row` with `result`'s outcome, which it returns.
    async fn settle<T>(&self, row: i64, result: &Result<T, AppError>) -> Outcome {
        let (outcome, class) = match result {
            Ok(_) => (Outcome::Ok, None),
            Err(
                e @ AppError::Upstream {
                    problem: UpstreamProblem::Timeout | UpstreamProblem::OutcomeUnknown,
                    ..
                },
            ) => (Outcome::Unknown, Some(error_class(e))),
            Err(e) => (Outcome::Failed, Some(error_class(e))),
        };
        if let Err(e) = self.state.store.audit_settle(row, outcome, class).await {
            tracing::error!(row, error = %e, "could not settle an audit row");
        }
        outcome
    }
}

impl<A: Action + 'static> Grant<A> {
    /// Makes the upstream call this grant is for (the type allows no other). `what` names
    /// the target in "not found". A mutation writes its audit row before the call and
    /// settles it after. The call spends one of the caller's budget first: when that is
    /// spent, the answer is [`AppError::Throttled`], with no call, no audit row and nothing
    /// for the circuit breaker (a refused call is not a call).
    /// A read of reference data kept from a moment ago ([`super::refcache`]) is answered
    /// from it: no call and no budget.
    pub async fn call(&self, req: &A, what: &str) -> Result<A::Response, AppError> {
        if let Some(hit) = self.state.upstream.cached(self.account, req, what) {
            return hit.map_err(|e| self.neutral(e));
        }
        self.spend().await?;
        let carried = self.carried.as_deref();
        if A::READ {
            let result = (self.state.upstream)
                .call_carried(self.account, carried, req, what)
                .await;
            return result.map_err(|e| self.neutral(e));
        }
        let row = self.begin().await?;
        let result = (self.state.upstream)
            .call_carried(self.account, carried, req, what)
            .await;
        let outcome = self.settle(row, &result).await;
        if outcome == Outcome::Ok || outcome == Outcome::Unknown {
            // Changed, or Luna Node may have made the change: have live status look
            // again at once (and follow the target closely for a while).
            self.kick();
        }
        result.map_err(|e| self.neutral(e))
    }
}
