//! `image/*` (reference §4): Luna Node's public templates and ISOs in every region, and the
//! account's own images (snapshots, downloads, replicas), which go `queued` → `saving` →
//! `active` on the emulated clock — or `killed`, for a download from a host that cannot
//! exist (`*.invalid`).
//!
//! Own images are small stand-ins (a few MB, see [`stand_in_size`]) whose bytes are a
//! deterministic pseudo-random function of the image id ([`body_chunk`]): `image/retrieve`
//! streams them chunk by chunk, and `image/details`' `checksum` is their MD5, as Glance's is.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::IntoResponse;
use md5::{Digest, Md5};
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
    /// The download (or copy) failed; the image stays, unusable, until deleted (CONFIRMED
    /// status; CS deletes such images and retries).
    Killed,
}

/// The size of an own image standing for a disk of `gb` GB: 64 KiB per GB plus an odd
/// remainder (so the last chunk of a download is a short one). A 20 GB disk → 1.3 MB.
pub fn stand_in_size(gb: u64) -> u64 {
    gb.max(1) * 65_536 + 4_099
}

/// Bytes per chunk of an `image/retrieve` body.
const CHUNK: u64 = 65_536;

/// Bytes `offset .. offset + len` of image `id`'s body (`offset` a multiple of 8): word `k`
/// of the body is SplitMix64 of `id` and `k`, so any chunk can be made on its own.
pub fn body_chunk(id: u64, offset: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut word = offset / 8;
    while out.len() < len {
        let mut z =
            (id ^ 0x6c75_6e61_7061_6e6c).wrapping_add(word.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        word += 1;
    }
    out.truncate(len);
    out
}

/// The chunks of image `id`'s body of `size` bytes, made one at a time as they are read.
fn body_chunks(id: u64, size: u64) -> impl Iterator<Item = Vec<u8>> + Send + 'static {
    (0..size.div_ceil(CHUNK)).map(move |i| {
        let offset = i * CHUNK;
        body_chunk(id, offset, (size - offset).min(CHUNK) as usize)
    })
}

/// The MD5 of image `id`'s body, hex.
fn body_checksum(id: u64, size: u64) -> String {
    let mut md5 = Md5::new();
    for chunk in body_chunks(id, size) {
        md5.update(&chunk);
    }
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
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
    /// Ends `killed` instead of `active` (a download from a host that cannot exist).
    #[serde(default)]
    pub fails: bool,
    /// The MD5 of its bytes, once worked out (`""` until then).
    #[serde(default)]
    pub checksum: String,
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
    /// Ends `killed` rather than `active`.
    pub fails: bool,
}

impl State {
    pub fn advance(&mut self, now: Instant, d: Durations, scale: f64) {
        let step = d.image_step.mul_f64(scale);
        for image in self.own.values_mut() {
            // Catch up on every step that is due (several may have passed between reads).
            while matches!(image.phase, Phase::Queued | Phase::Saving)
                && elapsed(image.since, now, d.image_step, scale)
            {
                image.phase = match image.phase {
                    Phase::Queued => Phase::Saving,
                    _ if image.fails => Phase::Killed,
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
                fails: spec.fails,
                checksum: String::new(),
            },
        );
    }

    /// An image's size in whole GB (rounded up; at least 1), public or own, for the
    /// "volume too small" rule; `None` if there is no such image.
    pub fn size_gb(&self, image_id: &str) -> Option<u64> {
        let id: u64 = image_id.parse().ok()?;
        let bytes = match self.own.get(&id) {
            Some(image) => image.size,
            None => public_size(&public_images().into_iter().find(|p| p.id == id)?.name),
        };
        Some(bytes.div_ceil(1 << 30).max(1))
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
        Phase::Killed => "killed",
    }
}

/// The stated size of a public image (bytes; never downloaded, so no stand-in).
fn public_size(name: &str) -> u64 {
    if name.ends_with("(ISO)") {
        1_048_576_000
    } else {
        2_361_393_152
    }
}

/// Why an own image that is not active cannot be used (INFERRED wording; the service's is
/// UNKNOWN).
fn not_active(phase: Phase) -> String {
    match phase {
        Phase::Killed => "the image failed (killed); delete it and try again".into(),
        _ => "the image is not active yet".into(),
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
    let (name, region, phase, size, format, virtio, created, checksum) =
        if let Some(i) = ctx.account.images.own.get_mut(&id) {
            if i.checksum.is_empty() {
                i.checksum = body_checksum(i.id, i.size);
            }
            (
                i.name.clone(),
                i.region.clone(),
                i.phase,
                i.size,
                i.disk_format,
                i.virtio,
                i.created,
                i.checksum.clone(),
            )
        } else if let Some(p) = public_images().into_iter().find(|p| p.id == id) {
            let iso = p.name.ends_with("(ISO)");
            let size = public_size(&p.name);
            (
                p.name,
                p.region.to_owned(),
                Phase::Active,
                size,
                if iso {
                    DiskFormat::Iso
                } else {
                    DiskFormat::Qcow2
                },
                !iso,
                1_730_419_200,
                format!(
                    "{:032x}",
                    (id as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
                ),
            )
        } else {
            return Err("invalid image".into());
        };
    // virtio=yes at fetch gives virtio disk and network (CONFIRMED); otherwise ide/e1000.
    let bus = if virtio {
        ("virtio", "virtio")
    } else {
        ("ide", "e1000")
    };
    Ok(ok(obj([(
        "details",
        json!({
            "name": name, "region": region, "status": status(phase), "size": s(size),
            "checksum": checksum,
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
        return Err(not_active(source.phase));
    }
    let new_id = ctx.account.next_id();
    let spec = ImageSpec {
        name: &source.name,
        region,
        size: source.size,
        disk_format: source.disk_format,
        virtio: source.virtio,
        fails: false,
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
    // An HTTP, HTTPS or FTP URL with a host (CONFIRMED: those schemes; the wording INFERRED).
    let host = url::Url::parse(location)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https" | "ftp"))
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .filter(|h| !h.is_empty())
        .ok_or("invalid location (an HTTP, HTTPS or FTP URL)")?;
    // A host that cannot exist (RFC 2606 `.invalid`) is accepted, as the service cannot
    // know before trying; the download then fails and the image ends `killed`.
    let fails = host == "invalid" || host.ends_with(".invalid");
    // Presence counts, whatever the value (INFERRED, as the wiki says of vm/create's
    // `volume_virtio`): a client must leave it out for ide/e1000.
    let virtio = ctx.p.0.contains_key("virtio");
    let seed = location
        .bytes()
        .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let (region, name) = (region.to_owned(), name.to_owned());
    let id = ctx.account.next_id();
    let spec = ImageSpec {
        name: &name,
        region: &region,
        // An ISO or disk image of 20 to 59 GB's stand-in: 1.3 to 3.9 MB.
        size: stand_in_size(20 + seed % 40),
        disk_format: format,
        virtio,
        fails,
    };
    ctx.account.images.add(id, spec, ctx.now);
    Ok(ok(obj([("image_id", s(id))])))
}

/// The raw bytes of an own, active image, streamed in chunks made as they are sent, with
/// `Content-Type: application/octet-stream` and the length (the service's headers are
/// UNKNOWN). Errors are the usual small JSON body.
fn retrieve(ctx: &mut Ctx<'_>) -> Outcome {
    let id = own_id(ctx)?;
    let image = &ctx.account.images.own[&id];
    if image.phase != Phase::Active {
        return Err(not_active(image.phase));
    }
    let chunks = body_chunks(image.id, image.size).map(Ok::<_, std::convert::Infallible>);
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream".to_owned()),
            (CONTENT_LENGTH, image.size.to_string()),
        ],
        Body::from_stream(futures::stream::iter(chunks)),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_the_same_however_it_is_cut() {
        let whole = body_chunk(4001, 0, 1000);
        assert_eq!(&body_chunk(4001, 8, 100)[..], &whole[8..108]);
        assert_ne!(body_chunk(4002, 0, 100), whole[..100]);
        let size = stand_in_size(1);
        let joined: Vec<u8> = body_chunks(4001, size).flatten().collect();
        assert_eq!(joined.len() as u64, size);
        assert_eq!(&joined[..1000], &whole[..]);
        assert_eq!(body_chunks(4001, size).count(), 2, "64 KiB and a short one");
        assert_eq!(body_checksum(4001, size).len(), 32);
    }
}
