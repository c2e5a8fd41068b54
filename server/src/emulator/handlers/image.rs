//! `image/*` (reference §4): Luna Node's public templates and ISOs in every region, and the
//! account's own images (snapshots, downloads, replicas), which go `queued` → `saving` →
//! `active` on the emulated clock.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{s, Ctx, Outcome};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{
    elapsed, instant_serde, region_known, timestamp, unix_now, Durations, REGIONS, TEMPLATES,
};

/// A public image: the template or ISO at `index` offered in region `region_index`.
/// Ids are stable: 1000 + 100 × region + index (the ISO is index 50).
#[derive(Debug, Clone, PartialEq)]
pub struct PublicImage {
    pub id: u64,
    pub name: String,
    pub region: &'static str,
}

const ISO: &str = "Arch Linux 2024.11.01 64-bit (ISO)";

pub fn public_images() -> Vec<PublicImage> {
    let mut out = Vec::new();
    for (r, (region, _)) in REGIONS.iter().enumerate() {
        let base = 1000 + 100 * r as u64;
        for (t, name) in TEMPLATES.iter().enumerate() {
            out.push(PublicImage {
                id: base + t as u64,
                name: (*name).to_owned(),
                region,
            });
        }
        out.push(PublicImage {
            id: base + 50,
            name: ISO.to_owned(),
            region,
        });
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Queued,
    Saving,
    Active,
}

/// An image's `disk_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskFormat {
    Iso,
    Qcow2,
}

impl DiskFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iso => "iso",
            Self::Qcow2 => "qcow2",
        }
    }
}

/// One of the account's own images.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Image {
    pub id: u64,
    pub name: String,
    pub region: String,
    pub phase: Phase,
    #[serde(with = "instant_serde")]
    pub since: Instant,
    pub size: u64,
    pub disk_format: DiskFormat,
    pub virtio: bool,
    pub created: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub own: BTreeMap<u64, Image>,
}

/// What a new image is.
#[derive(Debug, Clone, Copy)]
pub struct ImageSpec<'a> {
    pub name: &'a str,
    pub region: &'a str,
    /// Bytes.
    pub size: u64,
    pub disk_format: DiskFormat,
    pub virtio: bool,
}

impl State {
    pub fn advance(&mut self, now: Instant, d: Durations, scale: f64) {
        let step = d.image_step.mul_f64(scale);
        for image in self.own.values_mut() {
            // Catch up on every step that is due (several may have passed between reads).
            while image.phase != Phase::Active && elapsed(image.since, now, d.image_step, scale) {
                image.phase = match image.phase {
                    Phase::Queued => Phase::Saving,
                    _ => Phase::Active,
                };
                image.since += step;
            }
        }
    }

    /// Adds a new image, `queued`, with id `id`.
    pub fn add(&mut self, id: u64, spec: ImageSpec<'_>, now: Instant) {
        self.own.insert(
            id,
            Image {
                id,
                name: spec.name.to_owned(),
                region: spec.region.to_owned(),
                phase: Phase::Queued,
                since: now,
                size: spec.size,
                disk_format: spec.disk_format,
                virtio: spec.virtio,
                created: unix_now(),
            },
        );
    }

    /// The name of an image usable to boot in `region` (public, or own and active), if any.
    pub fn bootable(&self, image_id: &str, region: &str) -> Option<String> {
        let id: u64 = image_id.parse().ok()?;
        if let Some(public) = public_images()
            .into_iter()
            .find(|i| i.id == id && i.region == region)
        {
            return Some(public.name);
        }
        self.own
            .get(&id)
            .filter(|i| i.region == region && i.phase == Phase::Active)
            .map(|i| i.name.clone())
    }
}

fn status(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued => "queued",
        Phase::Saving => "saving",
        Phase::Active => "active",
    }
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    Some(match action {
        "list" => list(ctx),
        "details" => details(ctx),
        "delete" => own_id(ctx).map(|id| {
            ctx.account.images.own.remove(&id);
            done()
        }),
        "rename" => rename(ctx),
        "replicate" => replicate(ctx),
        "fetch" => fetch(ctx),
        "retrieve" => retrieve(ctx),
        _ => return None,
    })
}

fn list(ctx: &mut Ctx<'_>) -> Outcome {
    let region = ctx.p.opt("region");
    if region.is_some_and(|r| !region_known(r)) {
        return Err("invalid region".into());
    }
    let wanted = |r: &str| region.is_none_or(|want| want == r);
    let mut images: Vec<Value> = public_images()
        .into_iter()
        .filter(|i| wanted(i.region))
        .map(|i| json!({"image_id": s(i.id), "name": i.name, "region": i.region, "status": "active"}))
        .collect();
    images.extend(
        ctx.account
            .images
            .own
            .values()
            .filter(|i| wanted(&i.region))
            .map(|i| json!({"image_id": s(i.id), "name": i.name, "region": i.region, "status": status(i.phase)})),
    );
    Ok(ok(obj([("images", Value::Array(images))])))
}

/// An own image's id from `image_id` ("invalid image" for public or unknown ones).
fn own_id(ctx: &Ctx<'_>) -> Result<u64, String> {
    let id = ctx.p.req("image_id")?;
    id.parse::<u64>()
        .ok()
        .filter(|id| ctx.account.images.own.contains_key(id))
        .ok_or_else(|| "invalid image".to_owned())
}

fn details(ctx: &mut Ctx<'_>) -> Outcome {
    let id: u64 = ctx
        .p
        .req("image_id")?
        .parse()
        .map_err(|_| "invalid image".to_owned())?;
    let (name, region, phase, size, format, virtio, created) =
        if let Some(i) = ctx.account.images.own.get(&id) {
            (
                i.name.clone(),
                i.region.clone(),
                i.phase,
                i.size,
                i.disk_format,
                i.virtio,
                i.created,
            )
        } else if let Some(p) = public_images().into_iter().find(|p| p.id == id) {
            let iso = p.name.ends_with("(ISO)");
            (
                p.name,
                p.region.to_owned(),
                Phase::Active,
                if iso { 1_048_576_000 } else { 2_361_393_152 },
                if iso {
                    DiskFormat::Iso
                } else {
                    DiskFormat::Qcow2
                },
                !iso,
                1_730_419_200,
            )
        } else {
            return Err("invalid image".into());
        };
    let bus = if virtio {
        ("virtio", "virtio")
    } else {
        ("ide", "e1000")
    };
    Ok(ok(obj([(
        "details",
        json!({
            "name": name, "region": region, "status": status(phase), "size": s(size),
            "checksum": format!("{:032x}", (id as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)),
            "disk_format": format.as_str(), "cache_mode": "writeback", "is_read_only": "no",
            "hw_disk_bus": bus.0, "hw_vif_model": bus.1, "hw_video_model": "cirrus",
            "libvirt_cpu_mode": "host-model",
            // `[]` when empty, as the service's PHP arrays serialise (reference §4).
            "metadata": [],
            "time_created": timestamp(created).trim_end_matches('Z').to_owned() + ".000000",
        }),
    )])))
}

fn rename(ctx: &mut Ctx<'_>) -> Outcome {
    let id = own_id(ctx)?;
    let name = ctx.p.req("name")?.to_owned();
    if let Some(image) = ctx.account.images.own.get_mut(&id) {
        image.name = name;
    }
    Ok(done())
}

fn replicate(ctx: &mut Ctx<'_>) -> Outcome {
    let id = own_id(ctx)?;
    let region = ctx.p.req("region")?;
    if !region_known(region) {
        return Err("invalid region".into());
    }
    let source = ctx.account.images.own[&id].clone();
    if source.phase != Phase::Active {
        return Err("the image is not active yet".into());
    }
    let new_id = ctx.account.next_id();
    let spec = ImageSpec {
        name: &source.name,
        region,
        size: source.size,
        disk_format: source.disk_format,
        virtio: source.virtio,
    };
    ctx.account.images.add(new_id, spec, ctx.now);
    Ok(ok(obj([("image_id", s(new_id))])))
}

fn fetch(ctx: &mut Ctx<'_>) -> Outcome {
    let region = ctx.p.req("region")?;
    let name = ctx.p.req("name")?;
    let location = ctx.p.req("location")?;
    let format = ctx.p.req("format")?;
    if !region_known(region) {
        return Err("invalid region".into());
    }
    let format = match format {
        "iso" => DiskFormat::Iso,
        "qcow2" => DiskFormat::Qcow2,
        _ => return Err("invalid format (use iso or qcow2)".into()),
    };
    let scheme_ok = ["http://", "https://", "ftp://"]
        .iter()
        .any(|p| location.starts_with(p));
    if !scheme_ok || location.len() < 10 {
        return Err("invalid location (an HTTP, HTTPS or FTP URL)".into());
    }
    let virtio = ctx.p.opt("virtio").is_some_and(|v| v == "yes");
    let (region, name) = (region.to_owned(), name.to_owned());
    let id = ctx.account.next_id();
    let spec = ImageSpec {
        name: &name,
        region: &region,
        size: 734_003_200,
        disk_format: format,
        virtio,
    };
    ctx.account.images.add(id, spec, ctx.now);
    Ok(ok(obj([("image_id", s(id))])))
}

/// The raw bytes of an own, active image (the emulator's images are small stand-ins).
fn retrieve(ctx: &mut Ctx<'_>) -> Outcome {
    let id = own_id(ctx)?;
    let image = &ctx.account.images.own[&id];
    if image.phase != Phase::Active {
        return Err("the image is not active yet".into());
    }
    let mut bytes = format!(
        "QFI\u{fb}lunapanel emulated image {} ({})\n",
        image.id, image.name
    )
    .into_bytes();
    bytes.resize(4096, 0);
    Ok(([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}
