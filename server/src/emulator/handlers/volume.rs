//! `volume/*` (reference §5): block volumes `creating` (or `downloading` when filled from an
//! image) → `available` ⇄ `in-use`, and their snapshots; `volume/list` words the status as
//! the real list does (`pending`, `active`; see [`list_status`]). `region` is required only where the
//! current documentation requires it (the 2018 wiki's "region everywhere" is stale), and is
//! checked against the volume's region when given.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{s, Ctx, Outcome};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{
    elapsed, instant_serde, region_known, timestamp, unix_now, Durations,
};

/// Largest volume, GB (INFERRED limit; the service's is not documented).
const MAX_SIZE_GB: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Creating,
    Downloading,
    Available,
    InUse,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    pub id: u64,
    pub identification: String,
    pub name: String,
    pub region: String,
    pub size: u32,
    pub phase: Phase,
    #[serde(with = "instant_serde")]
    pub since: Instant,
    /// The VM it is attached to (`in-use`).
    pub attached: Option<String>,
    pub created: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: u64,
    pub name: String,
    pub volume_id: u64,
    pub region: String,
    pub size: u32,
    pub ready: bool,
    #[serde(with = "instant_serde")]
    pub since: Instant,
    pub created: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub volumes: BTreeMap<u64, Volume>,
    pub snapshots: BTreeMap<u64, Snapshot>,
}

impl State {
    pub fn advance(&mut self, now: Instant, d: Durations, scale: f64) {
        for v in self.volumes.values_mut() {
            if matches!(v.phase, Phase::Creating | Phase::Downloading)
                && elapsed(v.since, now, d.volume_create, scale)
            {
                v.phase = Phase::Available;
                v.since = now;
            }
        }
        for snap in self.snapshots.values_mut() {
            if !snap.ready && elapsed(snap.since, now, d.volume_create, scale) {
                snap.ready = true;
            }
        }
    }

    /// Volumes attached to `vm_id`.
    pub fn attached_to<'a>(&'a self, vm_id: &'a str) -> impl Iterator<Item = &'a Volume> + 'a {
        self.volumes
            .values()
            .filter(move |v| v.attached.as_deref() == Some(vm_id))
    }

    /// Detaches everything attached to `vm_id` (the VM is gone).
    pub fn detach_all(&mut self, vm_id: &str, now: Instant) {
        for v in self.volumes.values_mut() {
            if v.attached.as_deref() == Some(vm_id) {
                v.attached = None;
                v.phase = Phase::Available;
                v.since = now;
            }
        }
    }
}

fn status(phase: Phase) -> &'static str {
    match phase {
        Phase::Creating => "creating",
        Phase::Downloading => "downloading",
        Phase::Available => "available",
        Phase::InUse => "in-use",
    }
}

/// The word `volume/list` uses, which is not `volume/info`'s (reference §5): the documented
/// list example shows `active` for a usable volume and the 2015 CS list sample `pending`,
/// while info says `available`/`creating` (CONFIRMED). INFERRED: `pending` while the volume is
/// being made; an attached volume's list word is UNKNOWN, so it keeps info's `in-use`.
fn list_status(phase: Phase) -> &'static str {
    match phase {
        Phase::Creating | Phase::Downloading => "pending",
        Phase::Available => "active",
        Phase::InUse => "in-use",
    }
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    Some(match action {
        "create" => create(ctx),
        "list" => list(ctx),
        "info" => info(ctx),
        "attach" => attach(ctx),
        "detach" => with_volume(ctx, |v, now| match v.phase {
            Phase::InUse => {
                v.attached = None;
                v.phase = Phase::Available;
                v.since = now;
                Ok(())
            }
            _ => Err("the volume is not attached".into()),
        }),
        "extend" => extend(ctx),
        "rename" => {
            let name = ctx.p.req("name").map(str::to_owned);
            with_volume(ctx, |v, _| {
                v.name = name?;
                Ok(())
            })
        }
        "delete" => delete(ctx),
        "snapshot-create" => snapshot_create(ctx),
        "snapshot-list" => snapshot_list(ctx),
        "snapshot-delete" => snapshot_delete(ctx),
        "snapshot-replicate" => snapshot_replicate(ctx),
        _ => return None,
    })
}

/// The volume named by `volume_id` (and matching `region`, when given).
fn volume_id(ctx: &Ctx<'_>) -> Result<u64, String> {
    let id = ctx.p.req("volume_id")?;
    let volume = id
        .parse::<u64>()
        .ok()
        .and_then(|id| ctx.account.volumes.volumes.get(&id))
        .ok_or("invalid volume")?;
    if ctx.p.opt("region").is_some_and(|r| r != volume.region) {
        return Err("invalid volume".into());
    }
    Ok(volume.id)
}

fn with_volume(
    ctx: &mut Ctx<'_>,
    f: impl FnOnce(&mut Volume, Instant) -> Result<(), String>,
) -> Outcome {
    let id = volume_id(ctx)?;
    let now = ctx.now;
    let volume = ctx
        .account
        .volumes
        .volumes
        .get_mut(&id)
        .ok_or("invalid volume")?;
    f(volume, now).map(|()| done())
}

fn size_param(ctx: &Ctx<'_>) -> Result<u32, String> {
    ctx.p
        .req("size")?
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_SIZE_GB).contains(n))
        .ok_or_else(|| format!("invalid size (1 to {MAX_SIZE_GB} GB)"))
}

fn create(ctx: &mut Ctx<'_>) -> Outcome {
    let region = ctx.p.req("region")?.to_owned();
    let label = ctx.p.req("label")?.to_owned();
    let size = size_param(ctx)?;
    if !region_known(&region) {
        return Err("invalid region".into());
    }
    let phase = match (ctx.p.opt("image"), ctx.p.opt("snapshot_id")) {
        (Some(_), Some(_)) => return Err("image and snapshot_id cannot both be set".into()),
        (Some(image), None) => {
            ctx.account
                .images
                .bootable(image, &region)
                .ok_or("invalid image")?;
            Phase::Downloading
        }
        (None, Some(snap)) => {
            let snap = snap
                .parse::<u64>()
                .ok()
                .and_then(|id| ctx.account.volumes.snapshots.get(&id))
                .filter(|s| s.region == region)
                .ok_or("invalid snapshot")?;
            if size < snap.size {
                return Err(format!(
                    "size must be at least the snapshot's {} GB",
                    snap.size
                ));
            }
            Phase::Creating
        }
        (None, None) => Phase::Creating,
    };
    let id = ctx.account.next_id();
    ctx.account.volumes.volumes.insert(
        id,
        Volume {
            id,
            identification: uuid::Uuid::new_v4().to_string(),
            name: label,
            region,
            size,
            phase,
            since: ctx.now,
            attached: None,
            created: unix_now(),
        },
    );
    Ok(ok(obj([("volume_id", s(id))])))
}

fn list(ctx: &mut Ctx<'_>) -> Outcome {
    let region = ctx.p.opt("region");
    if region.is_some_and(|r| !region_known(r)) {
        return Err("invalid region".into());
    }
    let volumes: Vec<Value> = ctx
        .account
        .volumes
        .volumes
        .values()
        .filter(|v| region.is_none_or(|r| r == v.region))
        .map(|v| {
            json!({
                "id": s(v.id), "identification": v.identification, "name": v.name,
                "region": v.region, "size": s(v.size), "status": list_status(v.phase),
                "time_created": timestamp(v.created), "user_id": "36",
            })
        })
        .collect();
    Ok(ok(obj([("volumes", Value::Array(volumes))])))
}

fn info(ctx: &mut Ctx<'_>) -> Outcome {
    let id = volume_id(ctx)?;
    let v = &ctx.account.volumes.volumes[&id];
    Ok(ok(obj([(
        "volume",
        json!({
            "id": s(v.id), "identification": v.identification, "name": v.name,
            "size": s(v.size), "attached": v.attached.clone().unwrap_or_default(),
            "created": timestamp(v.created), "status": status(v.phase), "region": v.region,
        }),
    )])))
}

fn attach(ctx: &mut Ctx<'_>) -> Outcome {
    let id = volume_id(ctx)?;
    let vm_id = ctx.p.req("vm_id")?.to_owned();
    let target = ctx.p.req("target")?;
    let device_ok = target == "auto"
        || target.strip_prefix("/dev/vd").is_some_and(|d| {
            d.len() == 1 && ('b'..='z').contains(&d.chars().next().unwrap_or('a'))
        });
    if !device_ok {
        return Err("invalid target (auto or /dev/vdb … /dev/vdz)".into());
    }
    let vm_region = ctx
        .account
        .vms
        .get(&vm_id)
        .map(|vm| vm.region.clone())
        .ok_or("invalid vm")?;
    let volume = ctx
        .account
        .volumes
        .volumes
        .get_mut(&id)
        .ok_or("invalid volume")?;
    if volume.region != vm_region {
        return Err("the volume and the VM must be in the same region".into());
    }
    if volume.phase != Phase::Available {
        return Err(format!(
            "the volume is {}, not available",
            status(volume.phase)
        ));
    }
    volume.phase = Phase::InUse;
    volume.attached = Some(vm_id);
    volume.since = ctx.now;
    Ok(done())
}

fn extend(ctx: &mut Ctx<'_>) -> Outcome {
    let size = size_param(ctx)?;
    with_volume(ctx, |v, _| {
        if v.phase != Phase::Available {
            return Err("the volume must be detached (available) to be extended".into());
        }
        if size <= v.size {
            return Err(format!("the new size must be larger than {} GB", v.size));
        }
        v.size = size;
        Ok(())
    })
}

fn delete(ctx: &mut Ctx<'_>) -> Outcome {
    let id = volume_id(ctx)?;
    if ctx.account.volumes.volumes[&id].phase == Phase::InUse {
        return Err("the volume is attached to a VM; detach it first".into());
    }
    ctx.account.volumes.volumes.remove(&id);
    Ok(done())
}

fn snapshot_create(ctx: &mut Ctx<'_>) -> Outcome {
    let volume = volume_id(ctx)?;
    let label = ctx.p.req("label")?.to_owned();
    let v = &ctx.account.volumes.volumes[&volume];
    if matches!(v.phase, Phase::Creating | Phase::Downloading) {
        return Err("the volume is not ready yet".into());
    }
    let (region, size) = (v.region.clone(), v.size);
    let id = ctx.account.next_id();
    ctx.account.volumes.snapshots.insert(
        id,
        Snapshot {
            id,
            name: label,
            volume_id: volume,
            region,
            size,
            ready: false,
            since: ctx.now,
            created: unix_now(),
        },
    );
    Ok(ok(obj([("snapshot_id", s(id))])))
}

fn region_param(ctx: &Ctx<'_>, name: &str) -> Result<String, String> {
    let region = ctx.p.req(name)?;
    if region_known(region) {
        Ok(region.to_owned())
    } else {
        Err("invalid region".into())
    }
}

fn snapshot_list(ctx: &mut Ctx<'_>) -> Outcome {
    let region = region_param(ctx, "region")?;
    let snapshots: Vec<Value> = ctx
        .account
        .volumes
        .snapshots
        .values()
        .filter(|snap| snap.region == region)
        .map(|snap| {
            json!({
                "id": s(snap.id), "name": snap.name, "volume_id": s(snap.volume_id),
                "region": snap.region, "size": s(snap.size),
                "status": if snap.ready { "available" } else { "creating" },
                "time_created": timestamp(snap.created),
            })
        })
        .collect();
    Ok(ok(obj([("snapshots", Value::Array(snapshots))])))
}

fn snapshot_id(ctx: &Ctx<'_>, region: &str) -> Result<u64, String> {
    ctx.p
        .req("snapshot_id")?
        .parse::<u64>()
        .ok()
        .filter(|id| {
            ctx.account
                .volumes
                .snapshots
                .get(id)
                .is_some_and(|s| s.region == region)
        })
        .ok_or_else(|| "invalid snapshot".to_owned())
}

fn snapshot_delete(ctx: &mut Ctx<'_>) -> Outcome {
    let region = region_param(ctx, "region")?;
    let id = snapshot_id(ctx, &region)?;
    ctx.account.volumes.snapshots.remove(&id);
    Ok(done())
}

fn snapshot_replicate(ctx: &mut Ctx<'_>) -> Outcome {
    let region = region_param(ctx, "region")?;
    let id = snapshot_id(ctx, &region)?;
    let image_name = ctx.p.req("image_name")?.to_owned();
    let dst = region_param(ctx, "dst_region")?;
    let snap = &ctx.account.volumes.snapshots[&id];
    if !snap.ready {
        return Err("the snapshot is not ready yet".into());
    }
    let bytes = u64::from(snap.size) * 1_073_741_824;
    let image_id = ctx.account.next_id();
    let spec = super::image::ImageSpec {
        name: &image_name,
        region: &dst,
        size: bytes,
        disk_format: super::image::DiskFormat::Qcow2,
        virtio: true,
    };
    ctx.account.images.add(image_id, spec, ctx.now);
    Ok(ok(obj([("image_id", s(image_id))])))
}
