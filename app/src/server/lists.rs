//! Listing any kind of the registry, and live status for the kinds with transitions (an
//! image saving, a volume attaching, a snapshot being made): one poller per account and
//! kind on this instance, however many pages and tabs watch it ("tabs never multiply
//! upstream calls"), fast while an entry is in transition, slow when all is settled, gone
//! once nobody has looked for a while. VMs have their own richer poller ([`super::live`]).
//! Several instances on one PostgreSQL database poll each account and kind once between
//! them (see [`super::cluster`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::future::BoxFuture;
use tokio::sync::watch;

use super::budget::Payer;
use super::cluster::{Cluster, Notice, Polled, Published, Wakes};
use super::live::LiveTiming;
use super::lunanode::actions as api;
use super::store::{now_unix, UserId};
use super::upstream::Upstream;
use crate::error::AppError;
use crate::model::kinds::{Kind, KindSnapshot, Listed};

/// How a kind is listed from Luna Node (the registry entry's `lister`). Called only by code
/// that holds a decision for the account already (a grant, or a stream authorized for it).
/// Each of its calls spends one of the [`Payer`]'s budget (a list by region makes several;
/// the pollers' lists are [`Payer::Panel`]'s, free).
pub type ListFn = fn(Arc<Upstream>, UserId, Payer) -> Listing;

/// What a lister returns.
pub type Listing = BoxFuture<'static, Result<Vec<Listed>, AppError>>;

/// The shape of most listers: one list action, its answer mapped to rows.
fn listed<A>(
    up: Arc<Upstream>,
    account: UserId,
    payer: Payer,
    req: A,
    what: &'static str,
    rows: fn(A::Response) -> Vec<Listed>,
) -> Listing
where
    A: super::lunanode::Action + 'static,
    A::Response: Send,
{
    Box::pin(async move { Ok(rows(up.call_as(payer, account, &req, what).await?)) })
}

fn row(id: String, name: String, region: String, status: String, usable: bool) -> Listed {
    Listed {
        id,
        name,
        region,
        status,
        usable,
    }
}

pub fn vms(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    listed(up, account, payer, api::VmList {}, "The VM list", |l| {
        l.vms
            .into_iter()
            .map(|v| row(v.vm_id, v.name, String::new(), String::new(), true))
            .collect()
    })
}

pub fn sshkeys(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    listed(
        up,
        account,
        payer,
        api::SshKeyList {},
        "The SSH key list",
        |l| {
            l.keys
                .into_iter()
                .map(|k| row(k.id, k.name, String::new(), String::new(), true))
                .collect()
        },
    )
}

/// The account's own images: public templates and ISOs are Luna Node's, not a kind anyone
/// owns (told apart by name: INFERRED, see [`api::ImageSummary::is_public`]).
pub fn images(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    let req = api::ImageList { region: None };
    listed(up, account, payer, req, "The image list", |l| {
        l.images
            .into_iter()
            .filter(|i| !i.is_public())
            .map(|i| {
                let usable = i.status.eq_ignore_ascii_case("active") || i.status.is_empty();
                row(i.image_id, i.name, i.region, i.status, usable)
            })
            .collect()
    })
}

pub fn volumes(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    let req = api::VolumeList { region: None };
    listed(up, account, payer, req, "The volume list", |l| {
        l.volumes
            .into_iter()
            .map(|v| {
                let usable = v.is_usable();
                row(v.id, v.name, v.region, v.status, usable)
            })
            .collect()
    })
}

/// Lists that need a region (`volume/snapshot-list`, `lb/list`; `network/list`, whose
/// entries carry none: reference UNKNOWN) are read once per region.
async fn per_region<T, F>(
    up: &Upstream,
    account: UserId,
    payer: Payer,
    each: impl Fn(String) -> F,
) -> Result<Vec<T>, AppError>
where
    F: std::future::Future<Output = Result<Vec<T>, AppError>>,
{
    let regions = up
        .call_as(payer, account, &api::RegionList {}, "The region list")
        .await?;
    let lists = futures::future::join_all(regions.regions.into_keys().map(each)).await;
    let mut all = Vec::new();
    for l in lists {
        all.extend(l?);
    }
    Ok(all)
}

pub fn snapshots(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    Box::pin(async move {
        per_region(&up, account, payer, |region| {
            let up = up.clone();
            async move {
                let list = up
                    .call_as(
                        payer,
                        account,
                        &api::VolumeSnapshotList {
                            region: region.clone(),
                        },
                        "The snapshot list",
                    )
                    .await?;
                Ok(list
                    .snapshots
                    .into_iter()
                    .map(|s| {
                        let region = if s.region.is_empty() {
                            region.clone()
                        } else {
                            s.region
                        };
                        let usable = settled_ok(&s.status);
                        row(s.id, s.name, region, s.status, usable)
                    })
                    .collect())
            }
        })
        .await
    })
}

pub fn networks(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    Box::pin(async move {
        per_region(&up, account, payer, |region| {
            let up = up.clone();
            async move {
                let list = up
                    .call_as(
                        payer,
                        account,
                        &api::NetworkList {
                            region: Some(region.clone()),
                        },
                        "The network list",
                    )
                    .await?;
                Ok(list
                    .networks
                    .into_iter()
                    .map(|n| {
                        let name = format!("{} ({})", n.name, n.subnet);
                        row(n.net_id, name, region.clone(), String::new(), true)
                    })
                    .collect())
            }
        })
        .await
    })
}

pub fn securitygroups(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    let what = "The security group list";
    listed(up, account, payer, api::SecurityGroupList {}, what, |l| {
        l.securitygroups
            .into_iter()
            .map(|g| row(g.securitygroup_id, g.name, g.region, String::new(), true))
            .collect()
    })
}

pub fn scripts(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    listed(
        up,
        account,
        payer,
        api::ScriptList {},
        "The script list",
        |l| {
            l.scripts
                .into_iter()
                .map(|s| row(s.id, s.name, String::new(), String::new(), true))
                .collect()
        },
    )
}

/// Floating IPs are known by their address; usable when attached to nothing.
pub fn floating(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    listed(
        up,
        account,
        payer,
        api::FloatingList {},
        "The floating IP list",
        |l| {
            l.ips
                .into_iter()
                .map(|f| {
                    let usable = f.attached_id.is_empty();
                    row(f.ip.clone(), f.ip, f.region, f.attached_type, usable)
                })
                .collect()
        },
    )
}

/// Ready words shared by images, volumes and snapshots (any case).
/// Load balancers: `lb/list` needs a region (CONFIRMED: `region not set`).
pub fn lbs(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    Box::pin(async move {
        per_region(&up, account, payer, |region| {
            let up = up.clone();
            async move {
                let req = api::LbList {
                    region: region.clone(),
                    net_id: None,
                };
                let list = up
                    .call_as(payer, account, &req, "The load balancer list")
                    .await?;
                Ok(list
                    .lbs
                    .into_iter()
                    .map(|l| {
                        let region = if l.region.is_empty() {
                            region.clone()
                        } else {
                            l.region
                        };
                        row(l.id, l.name, region, String::new(), true)
                    })
                    .collect())
            }
        })
        .await
    })
}

/// Zone names lose Luna Node's trailing dot (`example.com.` → `example.com`).
fn zone_name(name: &str) -> String {
    name.trim_end_matches('.').to_owned()
}

pub fn zones(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    listed(
        up,
        account,
        payer,
        api::Dns2ZoneList {},
        "The DNS zone list",
        |l| {
            l.zones
                .into_iter()
                .map(|z| row(z.id, zone_name(&z.name), String::new(), String::new(), true))
                .collect()
        },
    )
}

pub fn legacy_zones(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    let what = "The legacy DNS zone list";
    listed(up, account, payer, api::DnsZoneList {}, what, |l| {
        l.zones
            .into_iter()
            .map(|z| {
                row(
                    z.id,
                    zone_name(&z.origin),
                    String::new(),
                    String::new(),
                    true,
                )
            })
            .collect()
    })
}

pub fn dyns(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    let what = "The dynamic DNS list";
    listed(up, account, payer, api::DnsDynList {}, what, |l| {
        l.dyns
            .into_iter()
            .map(|d| row(d.id, d.name, String::new(), String::new(), true))
            .collect()
    })
}

pub fn mail_domains(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    let what = "The mail domain list";
    listed(up, account, payer, api::EmailDomainList {}, what, |l| {
        l.domains
            .into_iter()
            .map(|d| row(d.id, d.name, String::new(), String::new(), true))
            .collect()
    })
}

/// Checks are named by their name (their id when they have none).
pub fn monitor_checks(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    let what = "The monitor check list";
    listed(up, account, payer, api::MonitorCheckList {}, what, |l| {
        l.checks
            .into_iter()
            .map(|c| {
                let name = if c.name.trim().is_empty() {
                    c.id.clone()
                } else {
                    c.name
                };
                row(c.id, name, String::new(), c.status, true)
            })
            .collect()
    })
}

/// Contacts are named by their type and address.
pub fn monitor_contacts(up: Arc<Upstream>, account: UserId, payer: Payer) -> Listing {
    let what = "The contact list";
    listed(up, account, payer, api::MonitorContactList {}, what, |l| {
        l.contacts
            .into_iter()
            .map(|c| {
                let name = crate::model::monitor::describe_contact(&c.contact_type, &c.rel);
                row(c.id, name, String::new(), String::new(), true)
            })
            .collect()
    })
}

fn settled_ok(status: &str) -> bool {
    ["active", "available", ""]
        .iter()
        .any(|w| status.eq_ignore_ascii_case(w))
}

struct Poller {
    tx: watch::Sender<Arc<KindSnapshot>>,
    demand: Mutex<Instant>,
    wakes: Wakes,
    /// Polled fast until then whatever the states say (after a user's change).
    follow_until: Mutex<Option<Instant>>,
    /// Another instance holds the lease: a kick of this instance's user not yet passed on
    /// to it (`true`: follow closely).
    unsent: Mutex<Option<bool>>,
    done: Mutex<bool>,
}

/// The lease and snapshot key of `account`'s poller of `kind`.
pub fn kind_key(kind: &Kind, account: UserId) -> String {
    format!("kind:{}:{account}", kind.key)
}

/// The pollers of every kind with transitions but VMs (see [`super::live::LiveHub`], which
/// owns this and shares its timing).
pub struct ListHub {
    upstream: Arc<Upstream>,
    /// The polling rhythm of every poller of this instance (the VM pollers' too); a change
    /// applies at once, also to a poller already asleep.
    timing: watch::Sender<LiveTiming>,
    pollers: Mutex<HashMap<(UserId, &'static str), Arc<Poller>>>,
    cluster: Arc<dyn Cluster>,
}

impl ListHub {
    pub fn new(upstream: Arc<Upstream>, timing: LiveTiming, cluster: Arc<dyn Cluster>) -> Self {
        Self {
            upstream,
            timing: watch::channel(timing).0,
            pollers: Mutex::default(),
            cluster,
        }
    }

    /// Another instance's notice about one of this hub's keys (see [`super::live::LiveHub`]).
    pub(super) fn heard(&self, notice: Notice) {
        let Some((kind, account)) = notice
            .key()
            .strip_prefix("kind:")
            .and_then(|rest| rest.rsplit_once(':'))
        else {
            return;
        };
        let Ok(account) = account.parse::<UserId>() else {
            return;
        };
        let Some(p) = self
            .pollers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|((a, k), _)| *a == account && *k == kind)
            .map(|(_, p)| p.clone())
        else {
            return;
        };
        match notice {
            Notice::Kick { follow, .. } if p.wakes.leading() => {
                if follow {
                    *p.follow_until.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(Instant::now() + self.timing().follow_for);
                }
                p.wakes.kick.notify_one();
            }
            Notice::Published { .. } | Notice::Freed { .. } if !p.wakes.leading() => {
                p.wakes.news.notify_one();
            }
            _ => {}
        }
    }

    pub(super) fn timing(&self) -> LiveTiming {
        self.timing.borrow().clone()
    }

    pub(super) fn set_timing(&self, timing: LiveTiming) {
        self.timing.send_replace(timing);
    }

    pub(super) fn timing_changes(&self) -> watch::Receiver<LiveTiming> {
        self.timing.subscribe()
    }

    fn poller(self: &Arc<Self>, account: UserId, kind: &'static Kind) -> Option<Arc<Poller>> {
        let lister = kind.lister?;
        let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = pollers.get(&(account, kind.key)) {
            if !*p.done.lock().unwrap_or_else(|e| e.into_inner()) {
                *p.demand.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                return Some(p.clone());
            }
        }
        let (tx, _) = watch::channel(Arc::new(KindSnapshot {
            kind: kind.key.to_owned(),
            ..Default::default()
        }));
        let poller = Arc::new(Poller {
            tx,
            demand: Mutex::new(Instant::now()),
            wakes: Wakes::default(),
            follow_until: Mutex::default(),
            unsent: Mutex::default(),
            done: Mutex::new(false),
        });
        pollers.insert((account, kind.key), poller.clone());
        let seat = KindSeat {
            hub: self.clone(),
            account,
            kind,
            lister,
            p: poller.clone(),
        };
        // Counted while it runs (metrics), whether it polls or follows another instance.
        let running = super::metrics::poller_running(kind.key);
        let drive = super::cluster::drive(
            self.cluster.clone(),
            kind_key(kind, account),
            seat,
            self.timing_changes(),
        );
        tokio::spawn(async move {
            let _running = running;
            drive.await
        });
        Some(poller)
    }

    /// A stream of `kind`'s lists for `account` (starts its poller). `None` for a kind the
    /// registry gives no lister.
    pub fn subscribe(
        self: &Arc<Self>,
        account: UserId,
        kind: &'static Kind,
    ) -> Option<watch::Receiver<Arc<KindSnapshot>>> {
        Some(self.poller(account, kind)?.tx.subscribe())
    }

    /// Look again at once and follow closely for a while: the user changed something.
    pub fn kick(self: &Arc<Self>, account: UserId, kind: &'static Kind) {
        let follow = self.timing().follow_for;
        if let Some(p) = self.poller(account, kind) {
            *p.follow_until.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Instant::now() + follow);
            *p.unsent.lock().unwrap_or_else(|e| e.into_inner()) = Some(true);
            p.wakes.kick.notify_one();
        }
    }

    /// Look again at once if a poller of `kind` runs for `account` (the user changed
    /// something), without starting one or following closely: for kinds without
    /// transitions, whose shared list readers ([`super::authz::Grant::cached_kind`]) should
    /// see the change without waiting for a slow round.
    /// With several instances, the one polling `kind` may be another: it is told (whether
    /// or not a poller runs here).
    pub fn refresh(&self, account: UserId, kind: &'static Kind) {
        let pollers = self.pollers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pollers.get(&(account, kind.key)) {
            let mut unsent = p.unsent.lock().unwrap_or_else(|e| e.into_inner());
            unsent.get_or_insert(false);
            p.wakes.kick.notify_one();
        } else if self.cluster.shared() {
            let (cluster, k) = (self.cluster.clone(), kind_key(kind, account));
            tokio::spawn(async move {
                let notice = Notice::Kick {
                    k,
                    ids: Vec::new(),
                    follow: false,
                    ask: None,
                };
                cluster.notify(&notice).await;
            });
        }
    }

    /// Stops every poller of `account` (its credential changed or was removed).
    pub fn forget(&self, account: UserId) {
        let mut pollers = self.pollers.lock().unwrap_or_else(|e| e.into_inner());
        pollers.retain(|(a, _), p| {
            if *a == account {
                *p.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
                p.wakes.kick.notify_one();
            }
            *a != account
        });
    }
}

/// A kind's poller as [`super::cluster::drive`] runs it.
struct KindSeat {
    hub: Arc<ListHub>,
    account: UserId,
    kind: &'static Kind,
    lister: ListFn,
    p: Arc<Poller>,
}

#[async_trait::async_trait]
impl Polled for KindSeat {
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
            let key = (self.account, self.kind.key);
            let mut pollers = self.hub.pollers.lock().unwrap_or_else(|e| e.into_inner());
            if pollers.get(&key).is_some_and(|q| Arc::ptr_eq(q, p)) {
                pollers.remove(&key);
            }
        }
        idle
    }

    /// Whether to poll fast next: something in transition, or a user's change followed.
    async fn round(&self) -> bool {
        let (p, kind) = (&self.p, self.kind);
        // The panel's own fixed load: not charged to anyone's budget.
        let busy = match (self.lister)(self.hub.upstream.clone(), self.account, Payer::Panel).await
        {
            Ok(rows) => {
                let busy = rows.iter().any(|r| kind.is_busy(&r.status));
                p.tx.send_modify(|s| {
                    *s = Arc::new(KindSnapshot {
                        kind: kind.key.to_owned(),
                        rows,
                        listed_at: Some(now_unix()),
                        problem: None,
                    })
                });
                busy
            }
            Err(e) => {
                let problem = Some(e.to_string());
                p.tx.send_if_modified(|s| {
                    if s.problem == problem {
                        return false;
                    }
                    let mut next = (**s).clone();
                    next.problem = problem.clone();
                    *s = Arc::new(next);
                    true
                });
                false
            }
        };
        let following = p
            .follow_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|until| Instant::now() < until);
        busy || following
    }

    fn published(&self) -> String {
        let published = Published {
            snapshot: self.p.tx.borrow().clone(),
            covered: Vec::new(),
        };
        serde_json::to_string(&published).unwrap_or_default()
    }

    fn adopt(&self, body: &str) {
        match serde_json::from_str::<Published<KindSnapshot>>(body) {
            Ok(published) => {
                self.p.tx.send_modify(|s| *s = Arc::new(published.snapshot));
            }
            Err(_) => tracing::warn!("unreadable list snapshot from another instance"),
        }
    }

    fn pending(&self, _instance: &str) -> Option<Notice> {
        let follow = self
            .p
            .unsent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        Some(Notice::Kick {
            k: kind_key(self.kind, self.account),
            ids: Vec::new(),
            follow,
            ask: None,
        })
    }
}

/// `GET /api/live/{kind}` (the kind's `api` segment, e.g. `volumes`): server-sent
/// events, one `snapshot` event (JSON [`KindSnapshot`]) now and one per change, for a kind
/// with transitions. Authorized like the kind's list at the one authorization point; a
/// customer's rows are filtered to theirs, decided afresh for every change. The session is
/// re-checked every few seconds (see [`super::live::vm_events`]).
pub async fn kind_events(
    axum::extract::State(state): axum::extract::State<super::ServerState>,
    axum::extract::Path(plural): axum::extract::Path<String>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;

    let Some(kind) = crate::model::kinds::KINDS
        .iter()
        .copied()
        .find(|k| k.transitions && k.lister.is_some() && k.api == plural)
    else {
        return http::StatusCode::NOT_FOUND.into_response();
    };
    let (parts, _) = request.into_parts();
    let actor = parts
        .extensions
        .get::<super::session::Authenticated>()
        .and_then(|a| a.0.clone());
    let Some(actor) = actor else {
        return http::StatusCode::UNAUTHORIZED.into_response();
    };
    let viewer = match super::authz::viewer(&actor, &state, kind).await {
        Ok(v) => v,
        Err(e) => {
            let status =
                http::StatusCode::from_u16(e.status_code()).unwrap_or(http::StatusCode::FORBIDDEN);
            return status.into_response();
        }
    };
    let live = match super::session::LiveSession::open(&parts, &actor) {
        Ok(live) => Arc::new(live),
        Err(refusal) => return refusal.into_response(),
    };
    let Some(rx) = state.live.subscribe_kind(viewer.account, kind) else {
        return http::StatusCode::NOT_FOUND.into_response();
    };
    let customer = viewer.is_customer();
    super::live::snapshot_events(
        rx,
        live,
        state,
        |s: &KindSnapshot| s.listed_at.is_some() || s.problem.is_some(),
        move |snapshot, state| {
            let actor = actor.clone();
            async move {
                if !customer {
                    return Ok((*snapshot).clone());
                }
                // Decided afresh for every change: assignments and suspensions show at once.
                super::authz::viewer(&actor, &state, kind)
                    .await
                    .map(|v| v.filter_kind(&snapshot))
            }
        },
    )
}
