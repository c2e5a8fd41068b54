//! `volume/*` (reference §5): block volumes and their snapshots on the emulated clock.
//!
//! A volume is `creating` → `available` (empty or from a snapshot), or `creating` →
//! `downloading` → `available` when filled from an image (CONFIRMED words); then
//! `attaching` → `in-use` ⇄ `detaching` → `available`, and `extending` → `available`
//! (OpenStack's words and steps, INFERRED for Luna Node). `volume/list` words the status as
//! the real list does (`pending`, `active`; see [`list_status`]). A snapshot is `creating` →
//! `available` (INFERRED).
//!
//! `region` is required only where the current documentation requires it (the 2018 wiki's
//! "region everywhere" is stale), and is checked against the volume's region when given.
//! Refusals follow OpenStack Cinder's rules (INFERRED; the service's texts are UNKNOWN, so
//! the wording is the emulator's, in the service's terse style).

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{s, Ctx, Outcome};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{
    elapsed, instant_serde, region_known, timestamp, unix_now, Durations, Power,
};

/// Largest volume, GB (INFERRED limit; the service's is not documented).
const MAX_SIZE_GB: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Creating,
    Downloading,
    Available,
    InUse,
    Attaching,
    Detaching,
    Extending,
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
    /// The VM it is attached to (from `attaching` until `detaching` is over).
    pub attached: Option<String>,
    pub created: i64,
    /// Filled from an image: `downloading` after `creating`.
    #[serde(default)]
    pub from_image: bool,
    /// Its device on the VM while attached (`/dev/vdb`…).
    #[serde(default)]
    pub device: Option<String>,
    /// The size it is being extended to (`extending`).
    #[serde(default)]
    pub extend_to: Option<u32>,
}

impl Volume {
    /// Attached (or being attached or detached): not to be extended or deleted.
    fn is_attached(&self) -> bool {
        matches!(
            self.phase,
            Phase::InUse | Phase::Attaching | Phase::Detaching
        )
    }

    /// The VM as `volume/info`'s `attached` and `vm/info`'s `volumes` show it: only once
    /// attached, until detached.
    fn shown_attached(&self) -> Option<&str> {
        match self.phase {
            Phase::InUse | Phase::Detaching => self.attached.as_deref(),
            _ => None,
        }
    }
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
            // Catch up on every step that is due (several may have passed between reads).
            loop {
                let step = match v.phase {
                    Phase::Creating | Phase::Downloading => d.volume_create,
                    Phase::Attaching | Phase::Detaching | Phase::Extending => d.volume_step,
                    Phase::Available | Phase::InUse => break,
                };
                if !elapsed(v.since, now, step, scale) {
                    break;
                }
                v.phase = match v.phase {
                    Phase::Creating if v.from_image => Phase::Downloading,
                    Phase::Attaching => Phase::InUse,
                    Phase::Detaching => {
                        v.attached = None;
                        v.device = None;
                        Phase::Available
                    }
                    Phase::Extending => {
                        if let Some(size) = v.extend_to.take() {
                            v.size = size;
                        }
                        Phase::Available
                    }
                    _ => Phase::Available,
                };
                v.since += step.mul_f64(scale);
            }
        }
        for snap in self.snapshots.values_mut() {
            if !snap.ready && elapsed(snap.since, now, d.volume_create, scale) {
                snap.ready = true;
            }
        }
    }

    /// Volumes attached to `vm_id` (as `vm/info` lists them).
    pub fn attached_to<'a>(&'a self, vm_id: &'a str) -> impl Iterator<Item = &'a Volume> + 'a {
        self.volumes
            .values()
            .filter(move |v| v.shown_attached() == Some(vm_id))
    }

    /// Detaches everything attached (or attaching) to `vm_id` (the VM is gone).
    pub fn detach_all(&mut self, vm_id: &str, now: Instant) {
        for v in self.volumes.values_mut() {
            if v.attached.as_deref() == Some(vm_id) {
                v.attached = None;
                v.device = None;
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
        Phase::Attaching => "attaching",
        Phase::Detaching => "detaching",
        Phase::Extending => "extending",
    }
}

/// The word `volume/list` uses, which is not `volume/info`'s (reference §5): the documented
/// list example shows `active` for a usable volume and the 2015 CS list sample `pending`,
/// while info says `available`/`creating` (CONFIRMED). INFERRED: `pending` while the volume is
/// being made; the list's words for the other states are UNKNOWN, so they keep info's.
fn list_status(phase: Phase) -> &'static str {
    match phase {
        Phase::Creating | Phase::Downloading => "pending",
        Phase::Available => "active",
        other => status(other),
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
                v.phase = Phase::Detaching;
                v.since = now;
                Ok(())
            }
            Phase::Available => Err("the volume is not attached".into()),
            other => Err(format!("the volume is {}, not in-use", status(other))),
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

/// `size` in whole GB, 1 to [`MAX_SIZE_GB`]: `0`, `-5`, `1.5`, `ten` are refused (INFERRED).
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
    let from_image = match (ctx.p.opt("image"), ctx.p.opt("snapshot_id")) {
        // Both set is an error (CONFIRMED, WIKI); the wording is the emulator's.
        (Some(_), Some(_)) => return Err("image and snapshot_id cannot both be set".into()),
        (Some(image), None) => {
            ctx.account
                .images
                .bootable(image, &region)
                .ok_or("invalid image")?;
            // Cinder's rule and wording (INFERRED for Luna Node).
            let image_gb = ctx.account.images.size_gb(image).unwrap_or(1);
            if u64::from(size) < image_gb {
                return Err(format!(
                    "Size of specified image {image_gb}GB is larger than volume size {size}GB."
                ));
            }
            true
        }
        (None, Some(snap)) => {
            let snap = snap
                .parse::<u64>()
                .ok()
                .and_then(|id| ctx.account.volumes.snapshots.get(&id))
                .filter(|s| s.region == region)
                .ok_or("invalid snapshot")?;
            if !snap.ready {
                return Err("the snapshot is not available yet".into());
            }
            if size < snap.size {
                return Err(format!(
                    "size must be at least the snapshot's {} GB",
                    snap.size
                ));
            }
            false
        }
        (None, None) => false,
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
            phase: Phase::Creating,
            since: ctx.now,
            attached: None,
            created: unix_now(),
            from_image,
            device: None,
            extend_to: None,
        },
    );
    Ok(ok(obj([("volume_id", s(id))])))
}

fn list(ctx: &mut Ctx<'_>) -> Outcome {
    let region = ctx.p.opt("region");
    if region.is_some_and(|r| !region_known(r)) {
        return Err("invalid region".into());
    }
    // No attachment in list rows: the documented example shows none (CONFIRMED fields).
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
            "size": s(v.size),
            // The VM's id (INFERRED: "attached VM reference"), `""` when not attached.
            "attached": v.shown_attached().unwrap_or_default(),
            "created": timestamp(v.created), "status": status(v.phase), "region": v.region,
        }),
    )])))
}

/// `auto` or `/dev/vdb` … `/dev/vdz` (`/dev/vda` is the VM's own disk).
fn device_param(target: &str) -> Option<Option<String>> {
    if target == "auto" {
        return Some(None);
    }
    let letter = target.strip_prefix("/dev/vd")?;
    let mut chars = letter.chars();
    match (chars.next(), chars.next()) {
        (Some(c @ 'b'..='z'), None) => Some(Some(format!("/dev/vd{c}"))),
        _ => None,
    }
}

fn attach(ctx: &mut Ctx<'_>) -> Outcome {
    let id = volume_id(ctx)?;
    let vm_id = ctx.p.req("vm_id")?.to_owned();
    let target = ctx.p.req("target")?;
    let wanted = device_param(target).ok_or("invalid target (auto or /dev/vdb … /dev/vdz)")?;
    let vm = ctx.account.vms.get(&vm_id).ok_or("invalid vm")?;
    if ctx.account.volumes.volumes[&id].region != vm.region {
        return Err("the volume and the VM must be in the same region".into());
    }
    // Nova refuses while the VM is being built (INFERRED for Luna Node).
    if vm.power == Power::Building {
        return Err("the VM is still being built".into());
    }
    let taken: Vec<&str> = ctx
        .account
        .volumes
        .volumes
        .values()
        .filter(|v| v.attached.as_deref() == Some(vm_id.as_str()))
        .filter_map(|v| v.device.as_deref())
        .collect();
    let device = match wanted {
        Some(device) if taken.contains(&device.as_str()) => {
            return Err(format!("the device {device} is already in use on the VM"));
        }
        Some(device) => device,
        None => ('b'..='z')
            .map(|c| format!("/dev/vd{c}"))
            .find(|d| !taken.contains(&d.as_str()))
            .ok_or("the VM has no free device left")?,
    };
    let volume = ctx
        .account
        .volumes
        .volumes
        .get_mut(&id)
        .ok_or("invalid volume")?;
    if volume.phase != Phase::Available {
        return Err(format!(
            "the volume is {}, not available",
            status(volume.phase)
        ));
    }
    volume.phase = Phase::Attaching;
    volume.attached = Some(vm_id);
    volume.device = Some(device);
    volume.since = ctx.now;
    Ok(done())
}

fn extend(ctx: &mut Ctx<'_>) -> Outcome {
    let size = size_param(ctx)?;
    with_volume(ctx, |v, now| {
        // Cinder before API 3.42 extends only detached volumes (INFERRED for Luna Node).
        if v.is_attached() {
            return Err("the volume must be detached (available) to be extended".into());
        }
        if v.phase != Phase::Available {
            return Err(format!("the volume is {}, not available", status(v.phase)));
        }
        if size <= v.size {
            return Err(format!("the new size must be larger than {} GB", v.size));
        }
        v.phase = Phase::Extending;
        v.extend_to = Some(size);
        v.since = now;
        Ok(())
    })
}

fn delete(ctx: &mut Ctx<'_>) -> Outcome {
    let id = volume_id(ctx)?;
    let volume = &ctx.account.volumes.volumes[&id];
    // Cinder's rules (INFERRED for Luna Node): not while attached, not while changing, not
    // while it has snapshots.
    if volume.is_attached() {
        return Err("the volume is attached to a VM; detach it first".into());
    }
    if volume.phase != Phase::Available {
        return Err(format!(
            "the volume is {}; wait until it is available",
            status(volume.phase)
        ));
    }
    let snapshots = ctx
        .account
        .volumes
        .snapshots
        .values()
        .filter(|snap| snap.volume_id == id)
        .count();
    if snapshots > 0 {
        return Err(format!(
            "the volume has {snapshots} snapshot(s); delete them first"
        ));
    }
    ctx.account.volumes.volumes.remove(&id);
    Ok(done())
}

fn snapshot_create(ctx: &mut Ctx<'_>) -> Outcome {
    let volume = volume_id(ctx)?;
    let label = ctx.p.req("label")?.to_owned();
    let v = &ctx.account.volumes.volumes[&volume];
    // Available or attached (INFERRED: Luna Node is taken to snapshot attached volumes,
    // as Cinder does when forced); not while it is changing.
    if !matches!(v.phase, Phase::Available | Phase::InUse) {
        return Err(format!(
            "the volume is {}; wait until it is available",
            status(v.phase)
        ));
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
    // The answer is UNKNOWN; INFERRED `snapshot_id`, as `volume/create` names `volume_id`.
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

/// The answer is UNKNOWN: INFERRED `snapshots`, an array of objects in `volume/list`'s
/// habits (`id`, `name`, `time_created`, numbers as strings).
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
    if !ctx.account.volumes.snapshots[&id].ready {
        return Err("the snapshot is not available yet".into());
    }
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
        return Err("the snapshot is not available yet".into());
    }
    let size = super::image::stand_in_size(u64::from(snap.size));
    let image_id = ctx.account.next_id();
    let spec = super::image::ImageSpec {
        name: &image_name,
        region: &dst,
        size,
        disk_format: super::image::DiskFormat::Qcow2,
        virtio: true,
        fails: false,
    };
    ctx.account.images.add(image_id, spec, ctx.now);
    // The answer is UNKNOWN; INFERRED `image_id`, as `image/replicate` answers.
    Ok(ok(obj([("image_id", s(image_id))])))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::emulator::state::REAL_DURATIONS;

    fn volume(phase: Phase, since: Instant, from_image: bool) -> Volume {
        Volume {
            id: 1,
            identification: String::new(),
            name: "v".into(),
            region: "toronto".into(),
            size: 10,
            phase,
            since,
            attached: Some("vm".into()),
            created: 0,
            from_image,
            device: Some("/dev/vdb".into()),
            extend_to: Some(20),
        }
    }

    /// Steps due between two reads are all taken, in order, each from the end of the last.
    #[test]
    fn volumes_catch_up_on_every_step_due() {
        let d = REAL_DURATIONS;
        let t0 = Instant::now();
        let mut state = State::default();
        state.volumes.insert(1, volume(Phase::Creating, t0, true));
        state.advance(t0 + d.volume_create, d, 1.0);
        assert_eq!(state.volumes[&1].phase, Phase::Downloading);
        state.advance(t0 + d.volume_create * 2 - Duration::from_millis(1), d, 1.0);
        assert_eq!(state.volumes[&1].phase, Phase::Downloading);
        state.advance(t0 + d.volume_create * 2, d, 1.0);
        assert_eq!(state.volumes[&1].phase, Phase::Available);

        let mut state = State::default();
        state.volumes.insert(1, volume(Phase::Extending, t0, false));
        state.advance(t0 + d.volume_step, d, 1.0);
        assert_eq!(
            (state.volumes[&1].phase, state.volumes[&1].size),
            (Phase::Available, 20)
        );

        let mut state = State::default();
        state.volumes.insert(1, volume(Phase::Detaching, t0, false));
        state.advance(t0 + d.volume_step, d, 1.0);
        let v = &state.volumes[&1];
        assert_eq!(
            (v.phase, v.attached.as_deref(), v.device.as_deref()),
            (Phase::Available, None, None)
        );
    }

    #[test]
    fn targets() {
        assert_eq!(device_param("auto"), Some(None));
        assert_eq!(device_param("/dev/vdc"), Some(Some("/dev/vdc".into())));
        for bad in ["/dev/vda", "/dev/sdb", "/dev/vdbb", "/dev/vd", "vdb"] {
            assert_eq!(device_param(bad), None, "{bad}");
        }
    }
}
