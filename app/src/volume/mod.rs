//! The storage area: block volumes (`volume/*`) and their snapshots. Server functions and the
//! types they share with the pages (`crate::pages::volumes`, `crate::pages::volume_detail`).
//! Every function starts at the one authorization point and calls Luna Node only through its
//! grant; a customer's new volume, snapshot or replicated image is theirs in the same step,
//! and their volume quotas (count and GB) are decided under their quota lock before Luna Node
//! is asked.

use leptos::prelude::*;

pub use crate::model::volume::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::HashMap;
    use std::time::Duration;

    pub use crate::catalog::ssr::regions;
    use crate::error::{AppError, FieldErrors};
    use crate::kinds;
    use crate::server::authz::{Grant, Permission, QuotaLock, Target};
    use crate::server::lunanode::actions as api;
    pub use crate::server::made::{find_made, newest};
    use crate::vm::VmRow;

    use super::*;
    pub use crate::error::refusal;
    pub use crate::server::authz::checked_target as target;

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        FieldErrors::single(field, message)
    }

    /// Every volume of the account (not filtered: quotas count what the ledger says).
    pub async fn all_volumes<P: Permission>(
        base: &Grant<P>,
    ) -> Result<Vec<api::VolumeSummary>, AppError> {
        let g = base.also::<api::VolumeList>(Target::Account).await?;
        let list = g
            .call(&api::VolumeList { region: None }, "The volume list")
            .await?;
        Ok(list.volumes)
    }

    /// `volume/info` of volume `id` (which the caller must be allowed to read).
    pub async fn info<P: Permission>(
        base: &Grant<P>,
        id: &str,
    ) -> Result<api::VolumeDetails, AppError> {
        let g = base
            .also::<api::VolumeInfo>(target(&kinds::VOLUME, id)?)
            .await?;
        let req = api::VolumeInfo {
            volume_id: id.trim().to_owned(),
            region: None,
        };
        Ok(g.call(&req, kinds::VOLUME.what).await?.volume)
    }

    /// The VMs the live poller knows (no upstream call of this request's own).
    pub async fn known_vms<P: Permission>(g: &Grant<P>) -> Vec<VmRow> {
        match g
            .state()
            .live
            .snapshot(g.account, Duration::from_secs(20))
            .await
        {
            Ok(s) => s.vms.clone(),
            Err(_) => Vec::new(),
        }
    }

    /// What `volume/info`'s `attached` names (INFERRED: the VM's id; a hostname is matched
    /// too), as the caller may see it.
    pub fn attached_to<P: Permission>(
        g: &Grant<P>,
        vms: &[VmRow],
        attached: &str,
    ) -> Option<AttachedTo> {
        let attached = attached.trim();
        if attached.is_empty() {
            return None;
        }
        let vm = vms
            .iter()
            .find(|v| v.vm_id == attached)
            .or_else(|| vms.iter().find(|v| v.name == attached));
        let vm_id = vm.map_or(attached, |v| v.vm_id.as_str()).to_owned();
        let visible = g.sees(&kinds::VM, &vm_id);
        Some(AttachedTo {
            name: match vm {
                Some(v) if visible => v.name.clone(),
                _ if visible => vm_id.clone(),
                _ => "a server not in your list".to_owned(),
            },
            vm_id: if visible { vm_id } else { String::new() },
            visible,
        })
    }

    pub fn row(v: api::VolumeSummary, attached: Option<AttachedTo>) -> VolumeRow {
        VolumeRow {
            phase: VolumePhase::of(&v.status),
            id: v.id,
            name: v.name,
            region: v.region,
            size_gb: v.size,
            status: v.status,
            attached,
            created: v.time_created,
        }
    }

    pub fn detail_row(v: api::VolumeDetails, attached: Option<AttachedTo>) -> VolumeRow {
        VolumeRow {
            phase: VolumePhase::of(&v.status),
            id: v.id,
            name: v.name,
            region: v.region,
            size_gb: v.size,
            status: v.status,
            attached,
            created: v.created,
        }
    }

    /// The caller's volumes, each attached one with its VM: from the list when it says
    /// (INFERRED, the documented list does not), else read with `volume/info` for the
    /// volumes that are not plainly available (an answer that fails leaves the row without
    /// it).
    pub async fn volume_rows<P: Permission>(g: &Grant<P>) -> Result<Vec<VolumeRow>, AppError> {
        let listed: Vec<api::VolumeSummary> = all_volumes(g)
            .await?
            .into_iter()
            .filter(|v| g.sees(&kinds::VOLUME, &v.id))
            .collect();
        let unknown: Vec<String> = listed
            .iter()
            .filter(|v| {
                v.attached.trim().is_empty() && VolumePhase::of(&v.status) != VolumePhase::Available
            })
            .map(|v| v.id.clone())
            .collect();
        let infos = futures::future::join_all(unknown.iter().map(|id| info(g, id))).await;
        let mut references: HashMap<String, String> = listed
            .iter()
            .filter(|v| !v.attached.trim().is_empty())
            .map(|v| (v.id.clone(), v.attached.clone()))
            .collect();
        for (id, info) in unknown.into_iter().zip(infos) {
            if let Ok(i) = info {
                references.insert(id, i.attached);
            }
        }
        let vms = if references.is_empty() {
            Vec::new()
        } else {
            known_vms(g).await
        };
        Ok(listed
            .into_iter()
            .map(|v| {
                let to = references.get(&v.id).and_then(|r| attached_to(g, &vms, r));
                row(v, to)
            })
            .collect())
    }

    /// The snapshots of `region` (all of the account's; callers filter).
    pub async fn snapshots_in<P: Permission>(
        base: &Grant<P>,
        region: &str,
    ) -> Result<Vec<api::Snapshot>, AppError> {
        let g = base
            .also_refs::<api::VolumeSnapshotList>(
                Target::Account,
                vec![Target::Region(region.to_owned())],
            )
            .await?;
        let req = api::VolumeSnapshotList {
            region: region.to_owned(),
        };
        Ok(g.call(&req, "The snapshot list").await?.snapshots)
    }

    pub fn snapshot_row(s: api::Snapshot, volume_name: String) -> SnapshotRow {
        SnapshotRow {
            phase: VolumePhase::of(&s.status),
            id: s.id,
            name: s.name,
            volume_id: s.volume_id,
            volume_name,
            region: s.region,
            size_gb: s.size,
            status: s.status,
            created: s.time_created,
        }
    }

    /// Volume id → name, of the volumes the caller may see (snapshots are named with them).
    pub fn names<P: Permission>(
        g: &Grant<P>,
        volumes: &[api::VolumeSummary],
    ) -> HashMap<String, String> {
        volumes
            .iter()
            .filter(|v| g.sees(&kinds::VOLUME, &v.id))
            .map(|v| (v.id.clone(), v.name.clone()))
            .collect()
    }

    /// The caller's snapshots in `regions`, named with their volumes' `names`. A region
    /// whose list fails is reported, not fatal.
    pub async fn snapshot_rows<P: Permission>(
        g: &Grant<P>,
        regions: &[String],
        names: &HashMap<String, String>,
    ) -> SnapshotsView {
        let lists =
            futures::future::join_all(regions.iter().map(|r| snapshots_in(g, r.as_str()))).await;
        let mut view = SnapshotsView::default();
        let mut failed = Vec::new();
        for (region, list) in regions.iter().zip(lists) {
            match list {
                Ok(list) => view.snapshots.extend(
                    list.into_iter()
                        .filter(|s| g.sees(&kinds::SNAPSHOT, &s.id))
                        .map(|mut s| {
                            if s.region.is_empty() {
                                s.region = region.clone();
                            }
                            let name = names.get(&s.volume_id).cloned().unwrap_or_default();
                            snapshot_row(s, name)
                        }),
                ),
                Err(e) => failed.push(format!("{region}: {e}")),
            }
        }
        if !failed.is_empty() {
            view.problem = Some(format!(
                "Snapshots of some regions could not be read ({}).",
                failed.join("; ")
            ));
        }
        view
    }

    /// How many volumes and GB the customer holds, as the ledger (`held`) says, sized from
    /// `listed` or, for one the list does not show (made a moment ago), from `volume/info`.
    /// `replacing` is left out (an extended volume counts with its new size).
    pub async fn usage<'a, P: Permission>(
        g: &Grant<P>,
        held: impl Iterator<Item = &'a str>,
        listed: &[api::VolumeSummary],
        replacing: Option<&str>,
    ) -> (u32, u64) {
        let (mut count, mut gb) = (0u32, 0u64);
        for id in held.filter(|id| Some(*id) != replacing) {
            let size = match listed.iter().find(|v| v.id == id) {
                Some(v) => v.size,
                None => match info(g, id).await {
                    // Gone (deleted outside the panel): not theirs any more.
                    Err(AppError::NotFound(_)) => continue,
                    Ok(d) => d.size,
                    Err(_) => None,
                },
            };
            count += 1;
            gb += size.map_or(0, u64::from);
        }
        (count, gb)
    }

    /// What a volume change asks of the quota.
    pub enum Need {
        /// A new volume of this many GB.
        New(u32),
        /// Volume `id` grows to this many GB.
        Grow(String, u32),
    }

    /// Refuses a customer's new or larger volume when it would pass their volume quotas
    /// (count, total GB), before Luna Node is asked. Counted under their quota lock (held by
    /// the caller until the new volume is claimed) from the ledger as read under it.
    pub async fn check_volume_quota<P: Permission>(
        g: &Grant<P>,
        lock: &QuotaLock,
        need: Need,
    ) -> Result<(), AppError> {
        let Some(customer) = g.customer() else {
            return Ok(());
        };
        let q = customer.policy.quotas.clone();
        if q.volumes.is_none() && q.volume_gb.is_none() {
            return Ok(());
        }
        // What they made in a parallel request since this one began is theirs too.
        let g = &g.under(lock);
        let listed = all_volumes(g).await?;
        let (replacing, adds, gb) = match &need {
            Need::New(gb) => (None, 1, *gb),
            Need::Grow(id, gb) => (Some(id.as_str()), 0, *gb),
        };
        let (count, used) = usage(g, lock.held(kinds::VOLUME.key), &listed, replacing).await;
        if let Some(limit) = q.volumes.filter(|l| adds > 0 && count + adds > *l) {
            return Err(AppError::Quota(format!(
                "Your plan allows {limit} volumes and you have {count}. Delete a volume, or \
                 ask your provider for more."
            )));
        }
        if let Some(limit) = q.volume_gb.filter(|l| used + u64::from(gb) > *l) {
            let what = match need {
                Need::New(gb) => format!("A {gb} GB volume"),
                Need::Grow(_, gb) => format!("Extending to {gb} GB"),
            };
            return Err(AppError::Quota(format!(
                "{what} would pass your volume storage quota: you use {used} of your {limit} \
                 GB. Choose a smaller size, delete a volume, or ask your provider for more."
            )));
        }
        Ok(())
    }
}

/// The caller's volumes, with the VM each attached one is on.
#[server(name = VolumeListFn, endpoint = "volumes/list")]
pub async fn volume_list() -> Result<VolumesView, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VolumeList>(Target::Account).await?;
    Ok(VolumesView {
        volumes: ssr::volume_rows(&g).await?,
    })
}

/// One volume: its details, the VMs it can be attached to and its snapshots.
#[server(name = VolumeDetailFn, endpoint = "volumes/detail")]
pub async fn volume_detail(volume_id: String) -> Result<VolumeDetail, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VolumeInfo>(ssr::target(&kinds::VOLUME, &volume_id)?).await?;
    let info = ssr::info(&g, &volume_id).await?;
    let (vms, regions) = futures::join!(ssr::known_vms(&g), ssr::regions(&g));
    let attached = ssr::attached_to(&g, &vms, &info.attached);
    let region = info.region.clone();
    let volume = ssr::detail_row(info.clone(), attached);
    // Snapshots only when the region is known (the list needs one).
    let snapshots = if region.is_empty() {
        SnapshotsView::default()
    } else {
        let names = [(info.id.clone(), info.name.clone())].into_iter().collect();
        ssr::snapshot_rows(&g, std::slice::from_ref(&region), &names).await
    };
    Ok(VolumeDetail {
        identification: info.identification,
        vms: vms
            .into_iter()
            .filter(|v| v.region == region && g.sees(&kinds::VM, &v.vm_id))
            .map(|v| VmChoice {
                vm_id: v.vm_id,
                name: v.name,
                region: v.region,
            })
            .collect(),
        snapshots: snapshots
            .snapshots
            .into_iter()
            .filter(|s| s.volume_id == volume.id)
            .collect(),
        regions: regions.unwrap_or_default(),
        volume,
    })
}

/// What the create form offers: regions, images, ready snapshots, and (for a customer) how
/// much of their volume quota they use.
#[server(name = VolumeCreateOptionsFn, endpoint = "volumes/create_options")]
pub async fn volume_create_options() -> Result<VolumeCreateOptions, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    use crate::vm::ImageChoice;
    let g = authorize::<api::VolumeList>(Target::Account).await?;
    let images = g.also::<api::ImageList>(Target::Account).await?;
    let (regions, listed, image_list) = futures::join!(
        ssr::regions(&g),
        ssr::all_volumes(&g),
        images.call(&api::ImageList { region: None }, "The image list"),
    );
    let (regions, listed) = (regions?, listed?);
    let codes: Vec<String> = regions.iter().map(|r| r.code.clone()).collect();
    let snapshots = ssr::snapshot_rows(&g, &codes, &ssr::names(&g, &listed)).await;
    let quota = match g.customer() {
        Some(c) => {
            let held: Vec<String> = c.owned(kinds::VOLUME.key).map(str::to_owned).collect();
            let (volumes, gb) =
                ssr::usage(&g, held.iter().map(String::as_str), &listed, None).await;
            Some(VolumeQuotaView {
                volumes,
                volumes_limit: c.policy.quotas.volumes,
                gb,
                gb_limit: c.policy.quotas.volume_gb,
            })
        }
        None => None,
    };
    Ok(VolumeCreateOptions {
        images: images
            .usable_images(image_list?.images)
            .into_iter()
            .filter(|i| i.status == "active" || i.status.is_empty())
            .filter(|i| codes.contains(&i.region))
            .map(|i| ImageChoice {
                public: i.is_public(),
                image_id: i.image_id,
                name: i.name,
                region: i.region,
            })
            .collect(),
        snapshots: snapshots
            .snapshots
            .into_iter()
            .filter(SnapshotRow::ready)
            .collect(),
        regions,
        quota,
    })
}

/// Creates a volume (empty, filled from an image, or from a snapshot); returns its id (`""`
/// when Luna Node made it but it could not be found yet). Every field is checked, and a
/// customer's quota decided, before Luna Node is asked.
#[server(name = VolumeCreateFn, endpoint = "volumes/create")]
pub async fn volume_create(volume: NewVolume) -> Result<String, AppError> {
    use crate::error::FieldErrors;
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let source = VolumeSource::parse(&volume.source);
    let region = volume.region.trim().to_owned();
    // Everything the volume is made from is checked along with the action.
    let mut refs = Vec::new();
    if !region.is_empty() {
        refs.push(Target::Region(region.clone()));
    }
    match &source {
        Some(VolumeSource::Image(id)) => refs.push(ssr::target(&kinds::IMAGE, id)?),
        Some(VolumeSource::Snapshot(id)) => refs.push(ssr::target(&kinds::SNAPSHOT, id)?),
        _ => {}
    }
    let g = authorize_refs::<api::VolumeCreate>(Target::Account, refs).await?;
    let mut errors = FieldErrors::new();
    if let Err(e) = check_volume_name(&volume.name) {
        errors.add("name", e);
    }
    if region.is_empty() {
        errors.add("region", "Choose a region.");
    }
    let size = parse_size(&volume.size)
        .map_err(|e| errors.add("size", e))
        .ok();
    if source.is_none() {
        errors.add("source", "Choose an empty volume, an image or a snapshot.");
    }
    errors.into_result()?;
    let (Some(size), Some(source)) = (size, source) else {
        return Err(ssr::field("size", "Enter a size."));
    };
    // Held until the new volume is claimed: parallel creates are counted one after another.
    let quota = g.quota_lock().await?;
    if let Some(lock) = &quota {
        ssr::check_volume_quota(&g, lock, ssr::Need::New(size)).await?;
    }
    let name = volume.name.trim().to_owned();
    let (image, snapshot_id) = match source {
        VolumeSource::Empty => (None, None),
        VolumeSource::Image(id) => (Some(id), None),
        VolumeSource::Snapshot(id) => (None, Some(id)),
    };
    let from_snapshot = snapshot_id.is_some();
    let created = g
        .call(
            &api::VolumeCreate {
                region: region.clone(),
                label: name.clone(),
                size,
                image,
                snapshot_id,
            },
            "The chosen image or snapshot",
        )
        .await
        .map_err(|e| {
            if from_snapshot {
                ssr::refusal(
                    e,
                    &["at least", "smaller", "size"],
                    "The volume must be at least as large as the snapshot. Choose a larger size.",
                )
            } else {
                e
            }
        })?;
    // `success` means made, even without the id (then found by name and region).
    let volume_id = match created.volume_id {
        id if !id.is_empty() => Some(id),
        _ => {
            let req = api::VolumeList { region: None };
            ssr::find_made(&g, &req, kinds::VOLUME.key, &name, |l| {
                ssr::newest(
                    l.volumes
                        .iter()
                        .filter(|v| v.name == name && v.region == region)
                        .map(|v| v.id.as_str()),
                )
            })
            .await
        }
    };
    let Some(volume_id) = volume_id else {
        return Ok(String::new());
    };
    // Recorded in the same step: a customer's new volume is theirs from the first moment.
    g.claim(&kinds::VOLUME, &volume_id).await?;
    drop(quota);
    Ok(volume_id)
}

/// Renames a volume.
#[server(name = VolumeRenameFn, endpoint = "volumes/rename")]
pub async fn volume_rename(volume_id: String, name: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VolumeRename>(ssr::target(&kinds::VOLUME, &volume_id)?).await?;
    check_volume_name(&name).map_err(|e| ssr::field("name", e))?;
    g.call(
        &api::VolumeRename {
            volume_id: volume_id.trim().to_owned(),
            name: name.trim().to_owned(),
        },
        kinds::VOLUME.what,
    )
    .await?;
    Ok(())
}

/// Grows a volume to `size` GB (more than it has; a customer's volume storage quota is
/// decided first).
#[server(name = VolumeExtendFn, endpoint = "volumes/extend")]
pub async fn volume_extend(volume_id: String, size: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VolumeExtend>(ssr::target(&kinds::VOLUME, &volume_id)?).await?;
    let size = parse_size(&size).map_err(|e| ssr::field("size", e))?;
    let id = volume_id.trim().to_owned();
    let info = ssr::info(&g, &id).await?;
    if let Some(now) = info.size.filter(|now| size <= *now) {
        return Err(ssr::field(
            "size",
            format!("The volume has {now} GB; enter a larger size (volumes only grow)."),
        ));
    }
    let quota = g.quota_lock().await?;
    if let Some(lock) = &quota {
        ssr::check_volume_quota(&g, lock, ssr::Need::Grow(id.clone(), size)).await?;
    }
    g.call(
        &api::VolumeExtend {
            volume_id: id,
            size,
            region: None,
        },
        kinds::VOLUME.what,
    )
    .await
    .map_err(|e| {
        ssr::refusal(
            e,
            &["detach", "attached", "in-use", "in use", "available"],
            "A volume can be extended only while it is detached. Detach it from its VM, \
             extend it, then attach it again.",
        )
    })?;
    drop(quota);
    Ok(())
}

/// Attaches a volume to one of the caller's VMs in the same region.
#[server(name = VolumeAttachFn, endpoint = "volumes/attach")]
pub async fn volume_attach(volume_id: String, vm_id: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize_refs;
    use crate::server::lunanode::actions as api;
    let vm = vm_id.trim().to_owned();
    let refs = if vm.is_empty() {
        Vec::new()
    } else {
        vec![ssr::target(&kinds::VM, &vm)?]
    };
    let g =
        authorize_refs::<api::VolumeAttach>(ssr::target(&kinds::VOLUME, &volume_id)?, refs).await?;
    if vm.is_empty() {
        return Err(ssr::field("vm_id", "Choose a VM."));
    }
    let id = volume_id.trim().to_owned();
    let vm_info = g.also::<api::VmInfo>(ssr::target(&kinds::VM, &vm)?).await?;
    let vm_req = api::VmInfo { vm_id: vm.clone() };
    let (info, vm_info) = futures::join!(ssr::info(&g, &id), vm_info.call(&vm_req, kinds::VM.what));
    let (info, vm_info) = (info?, vm_info?);
    match VolumePhase::of(&info.status) {
        VolumePhase::Available => {}
        VolumePhase::InUse => {
            return Err(AppError::Conflict(
                "The volume is already attached to a VM. Detach it first.".into(),
            ))
        }
        _ => {
            return Err(AppError::Conflict(format!(
                "The volume is {}; it can be attached once it is available.",
                info.status
            )))
        }
    }
    let vm_region = vm_info.extra.map(|e| e.region).unwrap_or_default();
    if !vm_region.is_empty() && !info.region.is_empty() && vm_region != info.region {
        return Err(ssr::field(
            "vm_id",
            format!(
                "That VM is in {vm_region} and the volume in {}: choose a VM in the same region.",
                info.region
            ),
        ));
    }
    g.call(
        &api::VolumeAttach {
            volume_id: id,
            vm_id: vm,
            target: "auto".into(),
            region: None,
        },
        "The volume or VM",
    )
    .await
    .map_err(|e| {
        ssr::refusal(
            e,
            &["region"],
            "The volume and the VM must be in the same region.",
        )
    })
    .map_err(|e| {
        ssr::refusal(
            e,
            &["being built", "building"],
            "The VM is still being built: attach the volume once it is online.",
        )
    })?;
    Ok(())
}

/// Detaches a volume from its VM.
#[server(name = VolumeDetachFn, endpoint = "volumes/detach")]
pub async fn volume_detach(volume_id: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VolumeDetach>(ssr::target(&kinds::VOLUME, &volume_id)?).await?;
    let id = volume_id.trim().to_owned();
    let info = ssr::info(&g, &id).await?;
    if VolumePhase::of(&info.status) == VolumePhase::Available && info.attached.is_empty() {
        return Err(AppError::Conflict(
            "The volume is not attached to a VM.".into(),
        ));
    }
    g.call(
        &api::VolumeDetach {
            volume_id: id,
            region: None,
        },
        kinds::VOLUME.what,
    )
    .await?;
    Ok(())
}

/// Deletes a volume; `confirm` must be its name. Refused while it is attached (checked here
/// first, and Luna Node's own refusal says the same).
#[server(name = VolumeDeleteFn, endpoint = "volumes/delete")]
pub async fn volume_delete(volume_id: String, confirm: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    const ATTACHED: &str = "The volume is attached to a VM: detach it first, then delete it.";
    let g = authorize::<api::VolumeDelete>(ssr::target(&kinds::VOLUME, &volume_id)?).await?;
    let id = volume_id.trim().to_owned();
    let info = ssr::info(&g, &id).await?;
    let name = if info.name.trim().is_empty() {
        info.id.clone()
    } else {
        info.name.clone()
    };
    if confirm.trim() != name.trim() {
        return Err(ssr::field(
            "confirm",
            "Type the volume's name exactly to confirm.",
        ));
    }
    if VolumePhase::of(&info.status) == VolumePhase::InUse || !info.attached.trim().is_empty() {
        return Err(AppError::Conflict(ATTACHED.into()));
    }
    g.call(
        &api::VolumeDelete {
            volume_id: id.clone(),
            region: None,
        },
        kinds::VOLUME.what,
    )
    .await
    .map_err(|e| ssr::refusal(e, &["attached", "in-use", "in use", "detach"], ATTACHED))
    .map_err(|e| {
        ssr::refusal(
            e,
            &["snapshot"],
            "The volume has snapshots: delete them first (replicate one to an image to keep it).",
        )
    })?;
    g.release(&kinds::VOLUME, &id).await;
    Ok(())
}

/// The caller's volume snapshots in every region they may use.
#[server(name = SnapshotListFn, endpoint = "snapshots/list")]
pub async fn snapshot_list() -> Result<SnapshotsView, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VolumeSnapshotList>(Target::Account).await?;
    let (regions, volumes) = futures::join!(ssr::regions(&g), ssr::all_volumes(&g));
    let regions = regions?;
    let codes: Vec<String> = regions.iter().map(|r| r.code.clone()).collect();
    let names = ssr::names(&g, &volumes.unwrap_or_default());
    Ok(SnapshotsView {
        regions,
        ..ssr::snapshot_rows(&g, &codes, &names).await
    })
}

/// Takes a snapshot of a volume; returns its id (`""` when Luna Node made it but it could
/// not be found yet).
#[server(name = SnapshotCreateFn, endpoint = "snapshots/create")]
pub async fn snapshot_create(volume_id: String, name: String) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g =
        authorize::<api::VolumeSnapshotCreate>(ssr::target(&kinds::VOLUME, &volume_id)?).await?;
    check_volume_name(&name).map_err(|e| ssr::field("name", e))?;
    let (id, name) = (volume_id.trim().to_owned(), name.trim().to_owned());
    let made = g
        .call(
            &api::VolumeSnapshotCreate {
                volume_id: id.clone(),
                label: name.clone(),
                region: None,
            },
            kinds::VOLUME.what,
        )
        .await?;
    // The answer's id is UNKNOWN: without it, the newest snapshot of this volume and name.
    let snapshot_id = match made.snapshot_id {
        Some(s) if !s.is_empty() => Some(s),
        // The list needs the volume's region.
        _ => match ssr::info(&g, &id).await {
            Ok(info) => {
                let req = api::VolumeSnapshotList {
                    region: info.region,
                };
                ssr::find_made(&g, &req, kinds::SNAPSHOT.key, &name, |l| {
                    ssr::newest(
                        l.snapshots
                            .iter()
                            .filter(|s| s.name == name && s.volume_id == id)
                            .map(|s| s.id.as_str()),
                    )
                })
                .await
            }
            Err(e) => {
                tracing::warn!(error = %e, "a snapshot was made without its id, and its volume could not be read");
                None
            }
        },
    };
    match snapshot_id {
        Some(s) => {
            g.claim(&kinds::SNAPSHOT, &s).await?;
            Ok(s)
        }
        None => Ok(String::new()),
    }
}

/// Deletes a volume snapshot of `region`.
#[server(name = SnapshotDeleteFn, endpoint = "snapshots/delete")]
pub async fn snapshot_delete(snapshot_id: String, region: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let region = region.trim().to_owned();
    let g = authorize_refs::<api::VolumeSnapshotDelete>(
        ssr::target(&kinds::SNAPSHOT, &snapshot_id)?,
        vec![Target::Region(region.clone())],
    )
    .await?;
    if region.is_empty() {
        return Err(ssr::field("region", "Say which region the snapshot is in."));
    }
    let id = snapshot_id.trim().to_owned();
    g.call(
        &api::VolumeSnapshotDelete {
            region,
            snapshot_id: id.clone(),
        },
        kinds::SNAPSHOT.what,
    )
    .await?;
    g.release(&kinds::SNAPSHOT, &id).await;
    Ok(())
}

/// Copies a snapshot of `region` to `dst_region` as an image named `image_name`; returns the
/// image's id (`""` when Luna Node made it but it could not be found yet). A customer's new
/// image is theirs.
#[server(name = SnapshotReplicateFn, endpoint = "snapshots/replicate")]
pub async fn snapshot_replicate(
    snapshot_id: String,
    region: String,
    dst_region: String,
    image_name: String,
) -> Result<String, AppError> {
    use crate::error::FieldErrors;
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let (region, dst) = (region.trim().to_owned(), dst_region.trim().to_owned());
    let refs = [&region, &dst]
        .into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| Target::Region(r.clone()))
        .collect();
    let g = authorize_refs::<api::VolumeSnapshotReplicate>(
        ssr::target(&kinds::SNAPSHOT, &snapshot_id)?,
        refs,
    )
    .await?;
    let mut errors = FieldErrors::new();
    if let Err(e) = check_volume_name(&image_name) {
        errors.add("image_name", e);
    }
    if dst.is_empty() {
        errors.add("dst_region", "Choose the region to copy it to.");
    }
    if region.is_empty() {
        errors.add("region", "Say which region the snapshot is in.");
    }
    errors.into_result()?;
    let name = image_name.trim().to_owned();
    let made = g
        .call(
            &api::VolumeSnapshotReplicate {
                region,
                snapshot_id: snapshot_id.trim().to_owned(),
                image_name: name.clone(),
                dst_region: dst.clone(),
            },
            kinds::SNAPSHOT.what,
        )
        .await
        .map_err(|e| {
            ssr::refusal(
                e,
                &["not ready", "creating"],
                "The snapshot is not ready yet. Try again once it is available.",
            )
        })?;
    // The answer's id is UNKNOWN: without it, the newest own image of this name there.
    let image_id = match made.image_id {
        id if !id.is_empty() => Some(id),
        _ => {
            let req = api::ImageList {
                region: Some(dst.clone()),
            };
            ssr::find_made(&g, &req, kinds::IMAGE.key, &name, |l| {
                ssr::newest(
                    l.images
                        .iter()
                        .filter(|i| i.name == name && !i.is_public())
                        .map(|i| i.image_id.as_str()),
                )
            })
            .await
        }
    };
    match image_id {
        Some(id) => {
            g.claim(&kinds::IMAGE, &id).await?;
            Ok(id)
        }
        None => Ok(String::new()),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::ssr::{refusal, target};
    use crate::error::{AppError, UpstreamProblem};
    use crate::kinds;

    fn rejected(message: &str) -> AppError {
        AppError::Upstream {
            problem: UpstreamProblem::Rejected,
            message: format!("Luna Node refused the request: {message}"),
        }
    }

    #[test]
    fn luna_nodes_refusals_say_what_to_do() {
        let say = "Detach it first.";
        let mapped = refusal(
            rejected("the volume is attached to a VM; detach it first"),
            &["attached"],
            say,
        );
        assert_eq!(mapped, AppError::Conflict(say.into()));
        // Other refusals, and other errors, pass as they are.
        let other = rejected("invalid size");
        assert_eq!(refusal(other.clone(), &["attached"], say), other);
        let down = AppError::Upstream {
            problem: UpstreamProblem::Unavailable,
            message: "attached".into(),
        };
        assert_eq!(refusal(down.clone(), &["attached"], say), down);
    }

    #[test]
    fn junk_ids_are_not_found_before_anything_is_asked() {
        for junk in ["", " ", "../etc", "a b", &"9".repeat(65), "1;2"] {
            assert_eq!(
                target(&kinds::VOLUME, junk),
                Err(AppError::NotFound("The volume".into())),
                "{junk:?}"
            );
        }
        assert!(target(&kinds::SNAPSHOT, " 4682 ").is_ok());
    }
}
