//! Live VM status: one poller per account on the server, however many pages watch it
//! (architecture: "tabs never multiply upstream calls"). Pages subscribe through the
//! `/api/live/vms` event stream or read the latest snapshot; the poller lists VMs, reads
//! `vm/info` for VMs that are new, in transition or stale (a bounded number per round),
//! polls fast while anything is in transition and slowly when all is settled, and stops
//! once nobody has looked for a while.
//!
//! Several instances on one PostgreSQL database share the work: only the instance holding
//! an account's lease polls it, the others follow its published snapshots (see
//! [`super::cluster`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::cluster::{Cluster, Notice, Polled, Published, Wakes};

use super::lunanode::actions::{PlanList, VmInfo, VmList};
use super::store::{now_unix, UserId};
use super::upstream::Upstream;
use crate::error::AppError;
use crate::model::vm::{VmListing, VmRow};

/// How often and how much the poller asks.
#[derive(Debug, Clone)]
pub struct LiveTiming {
    /// Between rounds while a VM is in transition.
    pub fast: Duration,
    /// Between rounds while all is settled.
    pub slow: Duration,
    /// A poller with no watchers stops after this long without a request.
    pub linger: Duration,
    /// A settled VM's status is re-read after this long.
    pub stale_after: Duration,
    /// At most this many `vm/info` calls per round.
    pub info_per_round: usize,
    /// A page load finding the list older than this asks for a new round first (so a VM
    /// made elsewhere shows up on opening the page); at most one such round per this long.
    pub fresh_for: Duration,
    /// Several instances: a poller's lease lapses this long after its holder last renewed
    /// it (renewed every third of it), and another instance takes over.
    pub lease: Duration,
    /// After a user's change, that VM is polled fast for this long whatever its state
    /// (bounded: an unknown state is never polled fast for ever).
    pub follow_for: Duration,
}

impl Default for LiveTiming {
    fn default() -> Self {
        Self {
            fast: Duration::from_secs(2),
            slow: Duration::from_secs(30),
            linger: Duration::from_secs(90),
            stale_after: Duration::from_secs(300),
            info_per_round: 25,
            fresh_for: Duration::from_secs(10),
            follow_for: Duration::from_secs(60),
            lease: Duration::from_secs(6),
        }
    }
}

struct Poller {
    tx: watch::Sender<Arc<VmListing>>,
    /// Last time a page asked (subscribing or reading).
    demand: Mutex<Instant>,
    /// Wakes the poller early (after a change the user made, or news from the holder).
    wakes: Wakes,
    /// VMs to re-read at the next round whatever their state.
    dirty: Mutex<Dirty>,
    /// The newest [`Dirty::asked`] a finished round has read (see [`LiveHub::reread`]).
    covered: watch::Sender<u64>,
    /// VMs a user just changed, followed closely (re-read every fast round) until the
    /// instant given: the states a change passes through may have words the panel does
    /// not know, and an unknown state is otherwise polled slowly.
    following: Mutex<HashMap<String, Instant>>,
    done: Mutex<bool>,
    /// Counts finished rounds (a page load waits for the next one when the list is stale).
    rounds: watch::Sender<u64>,
    /// Plan id → name, read once per poller (plans rarely change).
    plan_names: Mutex<Option<HashMap<String, String>>>,
    /// The other instances' asks the last rounds answered (named in each published
    /// snapshot, see [`super::cluster::RECENT_ASKS`]).
    answered: Mutex<std::collections::VecDeque<String>>,
}

/// VMs to re-read, and how many times anyone asked: a round that took the ids of ask `n`
/// covers every ask up to `n`.
#[derive(Debug, Default)]
struct Dirty {
    ids: Vec<String>,
    asked: u64,
    /// Another instance holds the lease: the asks up to this one were passed on to it.
    forwarded: u64,
    /// The holder: other instances' asks (`<instance>:<n>`) the next round answers.
    remote: Vec<String>,
}

/// All pollers of this panel instance.
pub struct LiveHub {
    upstream: Arc<Upstream>,
    /// The other kinds with transitions (images, volumes, snapshots), on the same timing.
    /// It keeps the timing of both.
    lists: Arc<super::lists::ListHub>,
    pollers: Mutex<HashMap<UserId, Arc<Poller>>>,
    /// Who polls what when several instances share the database.
    cluster: Arc<dyn Cluster>,
}

/// How long a change whose effect a page shows from the live VM list (a VM's security
/// groups, its floating IP) waits for that list to have read the VMs it changed
/// ([`LiveHub::reread`]).
pub const REREAD: Duration = Duration::from_secs(5);

/// The lease and snapshot key of `account`'s VM poller.
pub fn vm_key(account: UserId) -> String {
    format!("vms:{account}")
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHub")
            .field("timing", &self.timing())
            .finish_non_exhaustive()
    }
}

impl LiveHub {
    /// One instance alone (its pollers poll whatever its pages watch).
    pub fn new(upstream: Arc<Upstream>, timing: LiveTiming) -> Self {
        Self::in_cluster(upstream, timing, Arc::new(super::cluster::Local))
    }

    fn in_cluster(upstream: Arc<Upstream>, timing: LiveTiming, cluster: Arc<dyn Cluster>) -> Self {
        Self {
            lists: Arc::new(super::lists::ListHub::new(
                upstream.clone(),
                timing,
                cluster.clone(),
            )),
            upstream,
            pollers: Mutex::default(),
            cluster,
        }
    }

    /// One of several instances sharing `cluster`: hears the others' notices and passes
    /// them to its pollers.
    pub fn start(
        upstream: Arc<Upstream>,
        timing: LiveTiming,
        cluster: Arc<dyn Cluster>,
    ) -> Arc<Self> {
        let notices = cluster.notices();
        let hub = Arc::new(Self::in_cluster(upstream, timing, cluster));
        if let Some(mut notices) = notices {
            let weak = Arc::downgrade(&hub);
            tokio::spawn(async move {
                loop {
                    let notice = match notices.recv().await {
                        Ok(n) => n,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    };
                    let Some(hub) = weak.upgrade() else { return };
                    hub.heard(notice);
                }
            });
        }
        hub
    }

    /// Passes another instance's notice to the poller it is about, if this instance runs it.
    fn heard(&self, notice: Notice) {
        if notice.key().starts_with("kind:") {
            self.lists.heard(notice);
            return;
        }
        let Some(account) = notice
            .key()
            .strip_prefix("vms:")
            .and_then(|a| a.parse::<UserId>().ok())
        else {
            return;
        };
        let Some(p) = self
            .pollers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&account)
            .cloned()
        else {
            return;
        };
        match notice {
            Notice::Kick {
                ids, follow, ask, ..
            } if p.wakes.leading() => {
                {
                    let mut dirty = p.dirty.lock().unwrap_or_else(|e| e.into_inner());
                    dirty.ids.extend(ids.iter().cloned());
                    dirty.remote.extend(ask);
                }
                if follow {
                    let until = Instant::now() + self.timing().follow_for;
                    p.following
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(ids.into_iter().map(|id| (id, until)));
                }
                p.wakes.kick.notify_one();
            }
            Notice::Published { .. } | Notice::Freed { .. } if !p.wakes.leading() => {
                p.wakes.news.notify_one();
            }
            _ => {}
        }
    }

    /// This instance's id among those sharing the database (a poller lease's holder).
    pub fn instance(&self) -> &str {
        self.cluster.instance()
    }

    /// Changes the polling rhythm (tests and benchmarks use short intervals); pollers asleep
    /// take the new one at once.
    pub fn set_timing(&self, timing: LiveTiming) {
        self.lists.set_timing(timing);
    }

    fn timing(&self) -> LiveTiming {
        self.lists.timing()
    }

    fn poller(self: &Arc<Self>, account: UserId) -> Arc<Poller> {
        let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = pollers.get(&account) {
            if !*p.done.lock().unwrap_or_else(|e| e.into_inner()) {
                *p.demand.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                return p.clone();
            }
        }
        let (tx, _) = watch::channel(Arc::new(VmListing::default()));
        let poller = Arc::new(Poller {
            tx,
            demand: Mutex::new(Instant::now()),
            wakes: Wakes::default(),
            dirty: Mutex::default(),
            covered: watch::channel(0).0,
            following: Mutex::default(),
            done: Mutex::new(false),
            rounds: watch::channel(0).0,
            plan_names: Mutex::default(),
            answered: Mutex::default(),
        });
        pollers.insert(account, poller.clone());
        let seat = VmSeat {
            hub: self.clone(),
            account,
            p: poller.clone(),
        };
        // Counted while it runs (metrics), whether it polls or follows another instance.
        let running = super::metrics::poller_running("vm");
        let drive = super::cluster::drive(
            self.cluster.clone(),
            vm_key(account),
            seat,
            self.lists.timing_changes(),
        );
        tokio::spawn(async move {
            let _running = running;
            drive.await
        });
        poller
    }

    /// A stream of snapshots for `account` (starts its poller if needed).
    pub fn subscribe(self: &Arc<Self>, account: UserId) -> watch::Receiver<Arc<VmListing>> {
        self.poller(account).tx.subscribe()
    }

    /// The latest snapshot, waiting (up to `wait`) for the first one after a poller starts.
    pub async fn snapshot(
        self: &Arc<Self>,
        account: UserId,
        wait: Duration,
    ) -> Result<Arc<VmListing>, AppError> {
        let mut rx = self.subscribe(account);
        let first = match tokio::time::timeout(
            wait,
            rx.wait_for(|s| s.listed_at.is_some() || s.problem.is_some()),
        )
        .await
        {
            Ok(Ok(s)) => s.clone(),
            _ => {
                return Err(AppError::Upstream {
                    problem: crate::error::UpstreamProblem::Timeout,
                    message: "Luna Node did not list the VMs in time. Try again in a moment."
                        .into(),
                })
            }
        };
        let fresh_for = self.timing().fresh_for.as_secs() as i64;
        if first.listed_at.is_some_and(|t| now_unix() - t > fresh_for) {
            let p = self.poller(account);
            let mut rounds = p.rounds.subscribe();
            rounds.mark_unchanged();
            // An ask like a kick's (another instance may hold the lease: it is passed on).
            self.mark(account, &[]);
            let _ = tokio::time::timeout(Duration::from_secs(5), rounds.changed()).await;
            return Ok(p.tx.borrow().clone());
        }
        Ok(first)
    }

    /// Re-read these VMs (or just the list) at once: the user changed something.
    pub fn kick(self: &Arc<Self>, account: UserId, vm_ids: &[&str]) {
        self.mark(account, vm_ids);
    }

    /// Re-reads these VMs at once and waits (at most `wait`) until a round has read them:
    /// for a change whose effect a page shows from the live list itself (a VM's security
    /// groups), so that the next read of the list has it. A failed read, or more VMs than
    /// one round reads, leave the rows as they were.
    pub async fn reread(self: &Arc<Self>, account: UserId, vm_ids: &[&str], wait: Duration) {
        let (p, asked) = self.mark(account, vm_ids);
        let mut covered = p.covered.subscribe();
        let _ = tokio::time::timeout(wait, covered.wait_for(|c| *c >= asked)).await;
    }

    /// [`LiveHub::kick`]; returns the poller and the number of this ask.
    fn mark(self: &Arc<Self>, account: UserId, vm_ids: &[&str]) -> (Arc<Poller>, u64) {
        let p = self.poller(account);
        let asked = {
            let mut dirty = p.dirty.lock().unwrap_or_else(|e| e.into_inner());
            dirty.ids.extend(vm_ids.iter().map(|s| (*s).to_owned()));
            dirty.asked += 1;
            dirty.asked
        };
        let until = Instant::now() + self.timing().follow_for;
        p.following
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(vm_ids.iter().map(|s| ((*s).to_owned(), until)));
        p.wakes.kick.notify_one();
        (p, asked)
    }

    /// A stream of `kind`'s lists for `account` (a kind with transitions other than VMs).
    pub fn subscribe_kind(
        self: &Arc<Self>,
        account: UserId,
        kind: &'static crate::model::kinds::Kind,
    ) -> Option<watch::Receiver<Arc<crate::model::kinds::KindSnapshot>>> {
        self.lists.subscribe(account, kind)
    }

    /// Look at `kind`'s list again at once and follow it closely for a while.
    pub fn kick_kind(self: &Arc<Self>, account: UserId, kind: &'static crate::model::kinds::Kind) {
        self.lists.kick(account, kind)
    }

    /// Look at `kind`'s list again at once if a poller of it runs (see
    /// [`super::lists::ListHub::refresh`]).
    pub fn refresh_kind(&self, account: UserId, kind: &'static crate::model::kinds::Kind) {
        self.lists.refresh(account, kind)
    }

    /// Stops and forgets the pollers (the credential changed or was removed).
    pub fn forget(&self, account: UserId) {
        self.lists.forget(account);
        if let Some(p) = self
            .pollers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&account)
        {
            *p.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
            p.wakes.kick.notify_one();
        }
    }

    /// One round; returns whether anything is in transition.
    async fn round(&self, account: UserId, p: &Poller) -> bool {
        let previous = p.tx.borrow().clone();
        let listed = match self.upstream.call(account, &VmList {}, "The VM list").await {
            Ok(l) => l,
            Err(e) => {
                let problem = Some(e.to_string());
                p.tx.send_if_modified(|s| {
                    if s.problem == problem {
                        return false;
                    }
                    *Arc::make_mut(s) = VmListing {
                        problem,
                        ..(**s).clone()
                    };
                    true
                });
                return false;
            }
        };
        let known_plans = p
            .plan_names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let plan_names = match known_plans {
            Some(names) => names,
            None => {
                let names: HashMap<String, String> = self
                    .upstream
                    .call(account, &PlanList {}, "The plan list")
                    .await
                    .map(|l| l.plans.into_iter().map(|p| (p.plan_id, p.name)).collect())
                    .unwrap_or_default();
                if !names.is_empty() {
                    *p.plan_names.lock().unwrap_or_else(|e| e.into_inner()) = Some(names.clone());
                }
                names
            }
        };
        let (dirty, asked) = {
            let mut d = p.dirty.lock().unwrap_or_else(|e| e.into_inner());
            let mut answered = p.answered.lock().unwrap_or_else(|e| e.into_inner());
            answered.extend(d.remote.drain(..));
            let over = answered.len().saturating_sub(super::cluster::RECENT_ASKS);
            answered.drain(..over);
            (std::mem::take(&mut d.ids), d.asked)
        };
        let following: Vec<String> = {
            let mut f = p.following.lock().unwrap_or_else(|e| e.into_inner());
            let at = Instant::now();
            f.retain(|_, until| *until > at);
            f.keys().cloned().collect()
        };
        let known: HashMap<&str, &VmRow> =
            previous.vms.iter().map(|v| (v.vm_id.as_str(), v)).collect();
        let now = now_unix();
        let timing = self.timing();
        let stale = timing.stale_after.as_secs() as i64;
        let mut rows: Vec<VmRow> = listed
            .vms
            .into_iter()
            .map(|v| {
                let old = known.get(v.vm_id.as_str());
                VmRow {
                    status: old.and_then(|o| o.status.clone()),
                    status_raw: old.map(|o| o.status_raw.clone()).unwrap_or_default(),
                    task_state: old.map(|o| o.task_state.clone()).unwrap_or_default(),
                    checked_at: old.and_then(|o| o.checked_at),
                    security_groups: old.map(|o| o.security_groups.clone()).unwrap_or_default(),
                    vm_id: v.vm_id,
                    name: if v.name.is_empty() {
                        v.hostname
                    } else {
                        v.name
                    },
                    plan_name: plan_names
                        .get(&v.plan_id)
                        .cloned()
                        .unwrap_or_else(|| v.plan_id.clone()),
                    plan_id: v.plan_id,
                    region: v.region,
                    ip: v.primaryip,
                    private_ip: v.privateip,
                    vcpu: v.vcpu,
                    ram_mb: v.ram,
                    disk_gb: v.storage,
                }
            })
            .collect();
        // Who needs a fresh vm/info: asked for, in transition, never read, then the stalest.
        let mut wanted: Vec<(u8, i64, usize)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let priority = if dirty.contains(&r.vm_id) {
                    0
                } else if r.in_transition() || following.contains(&r.vm_id) {
                    1
                } else if r.checked_at.is_none() {
                    2
                } else if now - r.checked_at.unwrap_or(0) >= stale {
                    3
                } else {
                    return None;
                };
                Some((priority, r.checked_at.unwrap_or(0), i))
            })
            .collect();
        wanted.sort();
        wanted.truncate(timing.info_per_round);
        let upstream = &self.upstream;
        let infos = futures::future::join_all(wanted.iter().map(|&(_, _, i)| {
            let id = rows[i].vm_id.clone();
            async move {
                let info = upstream
                    .call(account, &VmInfo { vm_id: id }, "The VM")
                    .await;
                (i, info)
            }
        }))
        .await;
        for (i, info) in infos {
            if let Ok(info) = info {
                let row = &mut rows[i];
                row.status = Some(info.info.status_nohtml);
                row.status_raw = info.info.status_raw;
                row.task_state = info.info.task_state;
                row.checked_at = Some(now);
                row.security_groups = info.info.security_groups;
                if row.ip.is_empty() {
                    row.ip = info.info.ip;
                }
            }
        }
        // Fast while something is on its way somewhere known, unread, or just changed by a
        // user; an unknown state alone is settled (slow).
        let busy = rows.iter().any(VmRow::in_transition)
            || rows.iter().any(|r| r.status.is_none())
            || !following.is_empty();
        let next = VmListing {
            vms: rows,
            listed_at: Some(now),
            problem: None,
            paging: None,
        };
        p.tx.send_if_modified(|s| {
            // `listed_at` alone changing is not news to the pages.
            let changed = s.vms != next.vms || s.problem != next.problem || s.listed_at.is_none();
            *s = Arc::new(next);
            changed
        });
        p.covered.send_if_modified(|c| {
            let newer = asked > *c;
            if newer {
                *c = asked;
            }
            newer
        });
        busy
    }
}

/// A VM poller as [`super::cluster::drive`] runs it.
struct VmSeat {
    hub: Arc<LiveHub>,
    account: UserId,
    p: Arc<Poller>,
}

#[async_trait::async_trait]
impl Polled for VmSeat {
    fn wakes(&self) -> &Wakes {
        &self.p.wakes
    }

    fn finished(&self, timing: &LiveTiming) -> bool {
        let p = &self.p;
        if *p.done.lock().unwrap_or_else(|e| e.into_inner()) {
            return true;
        }
        let idle = p.tx.receiver_count() == 0
            && p.demand.lock().unwrap_or_else(|e| e.into_inner()).elapsed() > timing.linger;
        if idle {
            *p.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
            let mut pollers = self.hub.pollers.lock().unwrap_or_else(|e| e.into_inner());
            if pollers
                .get(&self.account)
                .is_some_and(|q| Arc::ptr_eq(q, p))
            {
                pollers.remove(&self.account);
            }
        }
        idle
    }

    async fn round(&self) -> bool {
        let busy = self.hub.round(self.account, &self.p).await;
        self.p.rounds.send_modify(|r| *r += 1);
        busy
    }

    fn published(&self) -> String {
        let published = Published {
            snapshot: self.p.tx.borrow().clone(),
            covered: self
                .p
                .answered
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned()
                .collect(),
        };
        serde_json::to_string(&published).unwrap_or_default()
    }

    fn adopt(&self, body: &str) {
        let Ok(published) = serde_json::from_str::<Published<VmListing>>(body) else {
            tracing::warn!("unreadable VM snapshot from another instance");
            return;
        };
        let next = published.snapshot;
        self.p.tx.send_if_modified(|s| {
            let changed = s.vms != next.vms || s.problem != next.problem || s.listed_at.is_none();
            *s = Arc::new(next);
            changed
        });
        self.p.rounds.send_modify(|r| *r += 1);
        if let Some(n) =
            super::cluster::covered_for(self.hub.cluster.instance(), &published.covered)
        {
            self.p.covered.send_if_modified(|c| {
                let newer = n > *c;
                if newer {
                    *c = n;
                }
                newer
            });
        }
    }

    fn pending(&self, instance: &str) -> Option<Notice> {
        let mut d = self.p.dirty.lock().unwrap_or_else(|e| e.into_inner());
        if d.asked <= d.forwarded {
            return None;
        }
        d.forwarded = d.asked;
        let ids = std::mem::take(&mut d.ids);
        Some(Notice::Kick {
            k: vm_key(self.account),
            follow: !ids.is_empty(),
            ids,
            ask: Some(format!("{instance}:{}", d.asked)),
        })
    }
}

/// `GET /api/live/vms`: server-sent events, one `snapshot` event (JSON [`VmListing`]) now
/// and one per change. Authorized like `vm/list` at the one authorization point. The session
/// is re-checked on every event and every few seconds: signing out, a password change or
/// being disabled ends the stream. At most [`super::session::STREAMS_PER_USER`] per user.
pub async fn vm_events(
    axum::extract::State(state): axum::extract::State<super::ServerState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;

    let (parts, _) = request.into_parts();
    let actor = parts
        .extensions
        .get::<super::session::Authenticated>()
        .and_then(|a| a.0.clone());
    let Some(actor) = actor else {
        return http::StatusCode::UNAUTHORIZED.into_response();
    };
    let meta = super::authz::RequestMeta::from_parts(&parts);
    let grant = match super::authz::authorize_as::<VmList>(
        actor.clone(),
        state.clone(),
        meta.clone(),
        super::authz::Target::Account,
        Vec::new(),
    )
    .await
    {
        Ok(g) => g,
        Err(e) => {
            let status =
                http::StatusCode::from_u16(e.status_code()).unwrap_or(http::StatusCode::FORBIDDEN);
            return status.into_response();
        }
    };
    // Re-checked on every event and every tick: the stream ends with its session.
    let live = match super::session::LiveSession::open(&parts, &actor) {
        Ok(live) => Arc::new(live),
        Err(refusal) => return refusal.into_response(),
    };
    let rx = state.live.subscribe(grant.account);
    let customer = grant.customer().is_some();
    // `?paged=1&q=…&page=…` (the list page's own parameters): only the page asked for,
    // paged after the viewer's filter, so a large account does not stream every VM.
    let paged = paged_request(&parts.uri);
    snapshot_events(
        rx,
        live,
        state,
        |s: &VmListing| s.listed_at.is_some() || s.problem.is_some(),
        move |snapshot, state| {
            let (actor, meta, paged) = (actor.clone(), meta.clone(), paged.clone());
            async move {
                let seen = if !customer {
                    (*snapshot).clone()
                } else {
                    // A customer's view is decided afresh for every change: a VM assigned
                    // or released meanwhile appears or disappears, a suspension shows at
                    // once.
                    super::authz::authorize_as::<VmList>(
                        actor,
                        state,
                        meta,
                        super::authz::Target::Account,
                        Vec::new(),
                    )
                    .await
                    .map(|grant| grant.filter_snapshot(&snapshot))?
                };
                Ok(match &paged {
                    Some(req) => crate::pages::vms::page_of(seen, req),
                    None => seen,
                })
            }
        },
    )
}

/// The page a live VM stream asks for (`paged=1` and the list page's parameters); `None`
/// for the whole list.
fn paged_request(uri: &http::Uri) -> Option<crate::components::list_rules::PageRequest> {
    let params: Vec<(String, String)> =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|q| q.0)
            .unwrap_or_default();
    let get = |k: &str| {
        params
            .iter()
            .rev()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    (get("paged").as_deref() == Some("1")).then(|| crate::pages::vms::request_of(get))
}

/// The server-sent-event stream every live page reads (`/api/live/vms`, `/api/live/<kind>`):
/// one `snapshot` event (JSON) per change of `rx` once `ready` holds for it, each passed
/// through `view` (what this viewer may see, decided afresh for every change); a comment
/// line every [`super::session::STREAM_RECHECK`] so a browser that went away is noticed.
/// The session is re-checked on every event and tick: the stream ends with its session,
/// and when the poller behind `rx` goes away.
pub(crate) fn snapshot_events<T, V, F>(
    rx: tokio::sync::watch::Receiver<Arc<T>>,
    live: Arc<super::session::LiveSession>,
    state: super::ServerState,
    ready: fn(&T) -> bool,
    view: V,
) -> axum::response::Response
where
    T: serde::Serialize + Send + Sync + 'static,
    V: Fn(Arc<T>, super::ServerState) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = Result<T, crate::error::AppError>> + Send + 'static,
{
    use axum::response::sse::{Event, KeepAlive, Sse};
    use axum::response::IntoResponse;
    use futures::StreamExt;

    enum Item<T> {
        Snapshot(Arc<T>),
        Tick,
        End,
    }
    let view = Arc::new(view);
    let snapshots = tokio_stream::wrappers::WatchStream::new(rx)
        .filter(move |s| std::future::ready(ready(s)))
        .map(Item::Snapshot)
        .chain(futures::stream::once(std::future::ready(Item::End)));
    let recheck = super::session::STREAM_RECHECK;
    let ticks = futures::stream::unfold(
        tokio::time::interval_at(tokio::time::Instant::now() + recheck, recheck),
        |mut interval| async move {
            interval.tick().await;
            Some((Item::Tick, interval))
        },
    );
    let stream = futures::stream::select(snapshots, ticks)
        .then(move |item| {
            let (state, live, view) = (state.clone(), live.clone(), view.clone());
            async move {
                if matches!(item, Item::End) || !live.is_current(&state).await {
                    return None;
                }
                let Item::Snapshot(snapshot) = item else {
                    // A comment line: also notices a browser that went away.
                    return Some(Ok(Event::default().comment("")));
                };
                Some(
                    view(snapshot, state)
                        .await
                        .map_err(|e| std::io::Error::other(e.to_string()))
                        .and_then(|snapshot| {
                            Event::default()
                                .event("snapshot")
                                .json_data(&snapshot)
                                .map_err(|e| std::io::Error::other(e.to_string()))
                        }),
                )
            }
        })
        .take_while(|event| std::future::ready(event.is_some()))
        .filter_map(std::future::ready);
    // Counted open until the response's body (this stream) is dropped.
    let open = super::metrics::stream_open();
    let stream = stream.inspect(move |_| {
        let _open = &open;
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
