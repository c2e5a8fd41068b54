//! The image area (`image/*`, reference §4): the account's own images (snapshots, fetched
//! ISOs and disks, replicas) apart from Luna Node's public templates and ISOs; details,
//! rename, delete, replicate to another region, fetch from a URL, and the download
//! (`image/retrieve`, streamed through the panel: [`ssr::download`]). Server functions and
//! the types the pages share; the pages are `crate::pages::images` and `image_detail`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One image as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRow {
    pub image_id: String,
    pub name: String,
    pub region: String,
    /// `active`, `queued`, `saving`, `killed`, `error` (CONFIRMED); anything else is shown
    /// as it comes.
    pub status: String,
    /// Bytes, when the list says (INFERRED: often absent).
    pub size: Option<u64>,
    /// A Luna Node template or ISO (told apart by its name only: INFERRED).
    pub public: bool,
    /// The caller's to rename, delete, replicate and download: the account's own image, or
    /// for a customer one of theirs (not one the reseller only lets them boot from).
    pub mine: bool,
}

/// Everything about one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageView {
    pub image_id: String,
    pub name: String,
    pub region: String,
    pub status: String,
    pub size: Option<u64>,
    pub checksum: String,
    /// `iso`, `qcow2`, … (absent in the 2015 sample: then empty).
    pub disk_format: String,
    pub cache_mode: String,
    pub read_only: bool,
    /// `ide` or `virtio`.
    pub disk_bus: String,
    /// `e1000` or `virtio`.
    pub nic_model: String,
    pub video_model: String,
    pub cpu_mode: String,
    /// As Luna Node writes it (`2018-12-17T00:23:09.000000`, UTC: INFERRED).
    pub created: String,
    pub public: bool,
    pub mine: bool,
}

/// What the panel makes of an image's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImagePhase {
    Active,
    /// `queued`, `saving` (CONFIRMED) or another of the registry's busy words: on its way
    /// to `active`.
    Saving,
    /// `killed` or `error`.
    Failed,
    /// A status the panel has no word for: shown as it is, not watched.
    Unknown,
}

impl ImagePhase {
    pub fn of(status: &str) -> Self {
        match status.trim().to_ascii_lowercase().as_str() {
            "active" => Self::Active,
            "killed" | "error" => Self::Failed,
            s if crate::kinds::IMAGE.is_busy(s) => Self::Saving,
            _ => Self::Unknown,
        }
    }

    /// Whether the image is still changing on its own (a page watches it until it is not).
    pub fn in_transition(self) -> bool {
        self == Self::Saving
    }

    /// The status filter's value and the badge's colour class.
    pub fn key(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Saving => "busy",
            Self::Failed => "error",
            Self::Unknown => "other",
        }
    }
}

/// The suffixes that mark Luna Node's public images (reference §4).
const PUBLIC_SUFFIXES: [&str; 2] = [" (template)", " (ISO)"];

/// Longest image name the panel sends (Luna Node's limit is UNKNOWN).
pub const NAME_MAX: usize = 64;

/// Checks a name for a new or renamed image.
pub fn check_image_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Give the image a name.".into());
    }
    if name.chars().count() > NAME_MAX {
        return Err(format!("At most {NAME_MAX} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("A name cannot contain line breaks or tabs.".into());
    }
    // The panel tells public images from the account's own by these suffixes alone.
    if PUBLIC_SUFFIXES
        .iter()
        .any(|s| name.ends_with(s.trim_start()))
    {
        return Err(
            "Names ending in \"(template)\" or \"(ISO)\" are kept for Luna Node's public images."
                .into(),
        );
    }
    Ok(())
}

/// Longest URL the panel sends to `image/fetch`.
pub const LOCATION_MAX: usize = 2048;

/// Checks the address Luna Node is to fetch an image from: an `http://`, `https://` or
/// `ftp://` URL with a host (reference §4: "HTTP/HTTPS/FTP URL").
pub fn check_location(location: &str) -> Result<(), String> {
    let url = location.trim();
    if url.is_empty() {
        return Err("Enter the address of the ISO or disk image.".into());
    }
    if url.len() > LOCATION_MAX {
        return Err(format!("At most {LOCATION_MAX} characters."));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("An address cannot contain spaces; encode them as %20.".into());
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = ["http://", "https://", "ftp://"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
    else {
        return Err("Use an address starting with http://, https:// or ftp://.".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:_".contains(c));
    if !host_ok {
        return Err("The address needs a host name, as in https://example.com/disk.iso.".into());
    }
    Ok(())
}

/// `image/fetch`'s formats.
pub const FORMATS: [(&str, &str); 2] = [
    ("iso", "ISO (installer disc)"),
    ("qcow2", "QCOW2 (disk image)"),
];

/// A file name for a downloaded image: its name made safe for a `Content-Disposition`
/// header (letters, digits, `-`, `_`, `.`; at most 80 characters), plus the format's
/// extension.
pub fn download_name(name: &str, disk_format: &str, image_id: &str) -> String {
    let mut base: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    base = base.trim_matches(['.', '_']).to_owned();
    if base.is_empty() {
        base = format!("image-{image_id}");
    }
    let ext = match disk_format.trim().to_ascii_lowercase().as_str() {
        "iso" => "iso",
        "qcow2" => "qcow2",
        "raw" => "img",
        _ => "bin",
    };
    let ext_lower = format!(".{ext}");
    if base.to_ascii_lowercase().ends_with(&ext_lower) {
        base
    } else {
        format!("{base}.{ext}")
    }
}

/// Where the browser downloads image `image_id` from.
pub fn download_href(image_id: &str) -> String {
    format!("/api/images/{image_id}/download")
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! Server-side pieces of the image area: the id check, the ownership rule for changes,
    //! and the download route.

    use super::{download_name, ImagePhase};
    use crate::error::{AppError, FieldErrors};
    use crate::kinds::IMAGE as KIND;
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;
    use crate::server::lunanode::ImageBytes;
    use crate::server::made::{find_made, newest};

    /// What "not found" names.
    pub const IMAGE: &str = KIND.what;

    /// Checks that `image_id` looks like an image id (numeric strings, CONFIRMED; kept
    /// tolerant) before anything is asked of Luna Node.
    pub fn image_target(image_id: &str) -> Result<Target, AppError> {
        let id = image_id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(AppError::NotFound(IMAGE.into()));
        }
        Ok(Target::image(id))
    }

    /// Whether `g`'s user may change, copy or download image `id`: for a customer only
    /// their own images, not the reseller's images they may boot from (allowed by id) nor
    /// public templates. Authorization lets a customer *use* those; acting on them is the
    /// owner's alone.
    pub fn mine<P: Permission>(g: &Grant<P>, id: &str) -> bool {
        g.customer().is_none() || g.sees(&KIND, id)
    }

    /// [`mine`], or "not found".
    pub fn require_mine<P: Permission>(g: &Grant<P>, id: &str) -> Result<(), AppError> {
        if mine(g, id) {
            Ok(())
        } else {
            Err(AppError::NotFound(IMAGE.into()))
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        FieldErrors::single(field, message)
    }

    /// Image `id`'s details, read with a grant for `image/details` taken from `base`.
    pub async fn details<P: Permission>(
        base: &Grant<P>,
        id: &str,
    ) -> Result<api::ImageInfo, AppError> {
        let g = base.also::<api::ImageDetails>(image_target(id)?).await?;
        let req = api::ImageDetails {
            image_id: id.to_owned(),
        };
        Ok(g.call(&req, IMAGE).await?.details)
    }

    /// The image `image/fetch` or `image/replicate` made, when the answer did not name it
    /// (CONFIRMED to name it; an empty id is tolerated): the newest of the account's own
    /// images with this name in this region that `known` did not hold before the call.
    pub async fn made_image<P: Permission>(
        g: &Grant<P>,
        name: &str,
        region: &str,
        known: &[String],
    ) -> Option<String> {
        let req = api::ImageList {
            region: Some(region.to_owned()),
        };
        find_made(g, &req, KIND.key, name, |l| {
            newest(
                l.images
                    .iter()
                    .filter(|i| i.name == name && !i.is_public() && !known.contains(&i.image_id))
                    .map(|i| i.image_id.as_str()),
            )
        })
        .await
    }

    /// `image/retrieve` is not an [`Action`](crate::server::lunanode::Action) (its answer is
    /// bytes, not JSON), yet it is granted like one: a customer needs the images capability
    /// and the image must be theirs to look at.
    impl Permission for api::ImageRetrieve {
        const PATH: &'static str = api::IMAGE_RETRIEVE.path;
        const READ: bool = api::IMAGE_RETRIEVE.read;
        const UPSTREAM: bool = true;
    }

    /// The bytes of the image `g` was granted, as Luna Node sends them (the one way to make
    /// an `image/retrieve` call: only with its grant, whose budget it spends). A customer's
    /// error is told neutrally.
    pub async fn retrieve(g: &Grant<api::ImageRetrieve>) -> Result<ImageBytes, AppError> {
        let Some((_, id)) = g.target().resource() else {
            return Err(crate::server::context::internal(
                "image/retrieve without an image",
            ));
        };
        g.spend().await?;
        g.state()
            .upstream
            .retrieve_image(g.account, id)
            .await
            .map_err(|e| g.neutral(e))
    }

    /// `GET /api/images/{image_id}/download`: the image's bytes from `image/retrieve`, passed
    /// on to the browser chunk by chunk as they arrive (never the whole image in memory),
    /// as an attachment named after the image. Authorized like a server function (the
    /// session, then a grant for `image/retrieve` on that image, which must be the caller's);
    /// refusals and problems before the first byte are a status with a line of text. A
    /// download counts as one of the user's open streams, and ends when their session does
    /// (checked every few seconds).
    pub async fn download(
        axum::extract::State(state): axum::extract::State<crate::server::context::ServerState>,
        axum::extract::Path(image_id): axum::extract::Path<String>,
        request: axum::extract::Request,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let (parts, _) = request.into_parts();
        let actor = parts
            .extensions
            .get::<crate::server::session::Authenticated>()
            .and_then(|a| a.0.clone());
        let Some(actor) = actor else {
            return refusal(AppError::Unauthenticated);
        };
        let live = match crate::server::session::LiveSession::open(&parts, &actor) {
            Ok(live) => live,
            Err((status, _)) if status == http::StatusCode::TOO_MANY_REQUESTS => {
                return (
                    status,
                    "Too many downloads and live pages are open for this account. Wait for a \
                     download to finish or close some of the panel's tabs, then try again.",
                )
                    .into_response();
            }
            Err(refusal) => return refusal.into_response(),
        };
        let opened = open_download(&state, actor, &parts, &image_id).await;
        let (bytes, filename) = match opened {
            Ok(opened) => opened,
            Err(e) => return refusal(e),
        };
        let length = bytes.content_length;
        let body = stream_until_signed_out(bytes, live, state);
        let mut response = axum::body::Body::from_stream(body).into_response();
        let headers = response.headers_mut();
        let set = |headers: &mut http::HeaderMap, name, value: String| {
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        };
        // Luna Node's own label is UNKNOWN: the panel says what it is.
        set(
            headers,
            http::header::CONTENT_TYPE,
            "application/octet-stream".into(),
        );
        set(
            headers,
            http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        );
        if let Some(n) = length {
            set(headers, http::header::CONTENT_LENGTH, n.to_string());
        }
        response
    }

    /// Everything before the first byte: the grant, the image's details (its name and
    /// whether it is ready) and the opened download with the file name.
    async fn open_download(
        state: &crate::server::context::ServerState,
        actor: crate::server::store::User,
        parts: &http::request::Parts,
        image_id: &str,
    ) -> Result<(ImageBytes, String), AppError> {
        let meta = crate::server::authz::RequestMeta::from_parts(parts);
        let g = crate::server::authz::authorize_as::<api::ImageRetrieve>(
            actor,
            state.clone(),
            meta,
            image_target(image_id)?,
            Vec::new(),
        )
        .await?;
        let id = image_id.trim();
        require_mine(&g, id)?;
        let image = details(&g, id).await?;
        match ImagePhase::of(&image.status) {
            ImagePhase::Active => {}
            ImagePhase::Saving => {
                return Err(AppError::Conflict(
                    "The image is still being saved. Download it once it is active.".into(),
                ))
            }
            ImagePhase::Failed => {
                return Err(AppError::Conflict(format!(
                    "The image failed (status \u{201c}{}\u{201d}): there is nothing to \
                     download. Delete it, then fetch or copy it again.",
                    image.status.trim()
                )))
            }
            ImagePhase::Unknown => {
                return Err(AppError::Conflict(format!(
                    "The image is \u{201c}{}\u{201d}, not active, so it cannot be downloaded yet.",
                    image.status.trim()
                )))
            }
        }
        let bytes = retrieve(&g).await?;
        Ok((bytes, download_name(&image.name, &image.disk_format, id)))
    }

    /// `bytes`, ended early (the browser then reports the download incomplete) if the
    /// session ends or Luna Node breaks off; each problem is logged.
    fn stream_until_signed_out(
        bytes: ImageBytes,
        live: crate::server::session::LiveSession,
        state: crate::server::context::ServerState,
    ) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
        use futures::StreamExt;
        let recheck = crate::server::session::STREAM_RECHECK;
        let live = std::sync::Arc::new(live);
        let checked = std::sync::Arc::new(std::sync::Mutex::new(std::time::Instant::now()));
        bytes.then(move |chunk| {
            let (live, state, checked) = (live.clone(), state.clone(), checked.clone());
            async move {
                let due = {
                    let mut at = checked.lock().unwrap_or_else(|p| p.into_inner());
                    let due = at.elapsed() >= recheck;
                    if due {
                        *at = std::time::Instant::now();
                    }
                    due
                };
                if due && !live.is_current(&state).await {
                    return Err(std::io::Error::other("the session ended during a download"));
                }
                chunk.map_err(|e| {
                    tracing::warn!(error = %e, "an image download broke off upstream");
                    std::io::Error::other(e.to_string())
                })
            }
        })
    }

    /// A refusal or problem as the download link's answer: its status and one line.
    fn refusal(e: AppError) -> axum::response::Response {
        use axum::response::IntoResponse;
        let status = http::StatusCode::from_u16(e.status_code())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            e.to_string(),
        )
            .into_response();
        if let Some(secs) = e.retry_after() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        response
    }

    /// The ids of the account's images in `region` now (to tell a new one apart).
    pub async fn known_images<P: Permission>(g: &Grant<P>, region: &str) -> Vec<String> {
        let listed = async {
            let list = g.also::<api::ImageList>(Target::Account).await?;
            let req = api::ImageList {
                region: Some(region.to_owned()),
            };
            list.call(&req, "The image list").await
        };
        listed
            .await
            .map(|l| l.images.into_iter().map(|i| i.image_id).collect())
            .unwrap_or_default()
    }
}

/// The images the caller may see: the account's own and Luna Node's public templates and
/// ISOs (a customer: their own, the public ones, and those their provider lets them boot
/// from).
#[server(name = ImageListFn, endpoint = "images/list")]
pub async fn image_list() -> Result<Vec<ImageRow>, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::ImageList>(Target::Account).await?;
    let listed = g
        .call(&api::ImageList { region: None }, "The image list")
        .await?;
    Ok(g.usable_images(listed.images)
        .into_iter()
        .map(|i| {
            let public = i.is_public();
            ImageRow {
                mine: !public && ssr::mine(&g, &i.image_id),
                public,
                image_id: i.image_id,
                name: i.name,
                region: i.region,
                status: i.status,
                size: i.size,
            }
        })
        .collect())
}

/// One image's details.
#[server(name = ImageDetailsFn, endpoint = "images/details")]
pub async fn image_details(image_id: String) -> Result<ImageView, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::ImageDetails>(ssr::image_target(&image_id)?).await?;
    let id = image_id.trim().to_owned();
    let d = g
        .call(
            &api::ImageDetails {
                image_id: id.clone(),
            },
            ssr::IMAGE,
        )
        .await?
        .details;
    let public = PUBLIC_SUFFIXES.iter().any(|s| d.name.ends_with(s));
    Ok(ImageView {
        mine: !public && ssr::mine(&g, &id),
        public,
        image_id: id,
        name: d.name,
        region: d.region,
        status: d.status,
        size: d.size,
        checksum: d.checksum,
        disk_format: d.disk_format,
        cache_mode: d.cache_mode,
        read_only: d.is_read_only,
        disk_bus: d.hw_disk_bus,
        nic_model: d.hw_vif_model,
        video_model: d.hw_video_model,
        cpu_mode: d.libvirt_cpu_mode,
        created: d.time_created,
    })
}

/// Renames one of the caller's images.
#[server(name = ImageRenameFn, endpoint = "images/rename")]
pub async fn image_rename(image_id: String, name: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::ImageRename>(ssr::image_target(&image_id)?).await?;
    let id = image_id.trim().to_owned();
    ssr::require_mine(&g, &id)?;
    check_image_name(&name).map_err(|e| ssr::field("name", e))?;
    g.call(
        &api::ImageRename {
            image_id: id,
            name: name.trim().to_owned(),
        },
        ssr::IMAGE,
    )
    .await?;
    Ok(())
}

/// Deletes one of the caller's images; `confirm` must be its name (checked here, not only
/// in the browser).
#[server(name = ImageDeleteFn, endpoint = "images/delete")]
pub async fn image_delete(image_id: String, confirm: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::ImageDelete>(ssr::image_target(&image_id)?).await?;
    let id = image_id.trim().to_owned();
    ssr::require_mine(&g, &id)?;
    let image = ssr::details(&g, &id).await?;
    if confirm.trim() != image.name.trim() {
        return Err(ssr::field(
            "confirm",
            "Type the image's name exactly to confirm.",
        ));
    }
    g.call(
        &api::ImageDelete {
            image_id: id.clone(),
        },
        ssr::IMAGE,
    )
    .await?;
    g.release(&crate::kinds::IMAGE, &id).await;
    Ok(())
}

/// Copies one of the caller's images to another region; returns the copy's id (`""` when
/// Luna Node made it but it is not listed yet). A customer's copy is theirs at once.
#[server(name = ImageReplicateFn, endpoint = "images/replicate")]
pub async fn image_replicate(image_id: String, region: String) -> Result<String, AppError> {
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let region = region.trim().to_owned();
    let refs = if region.is_empty() {
        Vec::new()
    } else {
        vec![Target::Region(region.clone())]
    };
    let g = authorize_refs::<api::ImageReplicate>(ssr::image_target(&image_id)?, refs).await?;
    let id = image_id.trim().to_owned();
    ssr::require_mine(&g, &id)?;
    if region.is_empty() {
        return Err(ssr::field(
            "region",
            "Choose the region to copy the image to.",
        ));
    }
    let source = ssr::details(&g, &id).await?;
    if source.region == region {
        return Err(ssr::field(
            "region",
            format!("The image is already in {region}; choose another region."),
        ));
    }
    if ImagePhase::of(&source.status) != ImagePhase::Active {
        return Err(ssr::field(
            "region",
            "The image can be copied once it is active.",
        ));
    }
    let known = ssr::known_images(&g, &region).await;
    let made = g
        .call(
            &api::ImageReplicate {
                image_id: id,
                region: region.clone(),
            },
            "The image or region",
        )
        .await?;
    let new_id = match made.image_id {
        id if !id.trim().is_empty() => Some(id),
        _ => ssr::made_image(&g, &source.name, &region, &known).await,
    };
    match new_id {
        Some(new_id) => {
            g.claim(&crate::kinds::IMAGE, &new_id).await?;
            Ok(new_id)
        }
        None => Ok(String::new()),
    }
}

/// Has Luna Node download an ISO or a disk image from `location` into `region`; returns
/// the new image's id (`""` when made but not listed yet). It starts `queued`, then
/// `saving`, then becomes `active`. A customer's image is theirs at once.
#[server(name = ImageFetchFn, endpoint = "images/fetch")]
pub async fn image_fetch(
    region: String,
    name: String,
    location: String,
    format: String,
    virtio: bool,
) -> Result<String, AppError> {
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let region = region.trim().to_owned();
    let refs = if region.is_empty() {
        Vec::new()
    } else {
        vec![Target::Region(region.clone())]
    };
    let g = authorize_refs::<api::ImageFetch>(Target::Account, refs).await?;
    let mut errors = crate::error::FieldErrors::new();
    if region.is_empty() {
        errors.add("region", "Choose a region.");
    }
    if let Err(e) = check_image_name(&name) {
        errors.add("name", e);
    }
    if let Err(e) = check_location(&location) {
        errors.add("location", e);
    }
    let format = format.parse::<api::ImageFormat>();
    if format.is_err() {
        errors.add("format", "Choose ISO or QCOW2.");
    }
    errors.into_result()?;
    let Ok(format) = format else {
        return Err(ssr::field("format", "Choose ISO or QCOW2."));
    };
    let name = name.trim().to_owned();
    let known = ssr::known_images(&g, &region).await;
    let made = g
        .call(
            &api::ImageFetch {
                region: region.clone(),
                name: name.clone(),
                location: location.trim().to_owned(),
                format,
                virtio,
            },
            "The region",
        )
        .await?;
    let new_id = match made.image_id {
        id if !id.trim().is_empty() => Some(id),
        _ => ssr::made_image(&g, &name, &region, &known).await,
    };
    match new_id {
        Some(new_id) => {
            g.claim(&crate::kinds::IMAGE, &new_id).await?;
            Ok(new_id)
        }
        None => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_image_name("debian-12 backup").is_ok());
        assert!(check_image_name("  ").is_err());
        assert!(check_image_name(&"x".repeat(NAME_MAX + 1)).is_err());
        assert!(check_image_name("a\nb").is_err());
        assert!(check_image_name("Ubuntu 22.04 (template)").is_err());
        assert!(check_image_name("mine (ISO)").is_err());
        assert!(check_image_name("mine(ISO)").is_err());
    }

    #[test]
    fn locations_are_checked() {
        for ok in [
            "https://example.com/disk.iso",
            "http://10.0.0.1:8080/a.qcow2",
            "FTP://user:pw@mirror.example.org/pub/x.iso",
            "https://[2001:db8::1]/x.iso",
        ] {
            assert!(check_location(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "example.com/disk.iso",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://exa mple.com/x.iso",
            "https://ex<ample.com/",
        ] {
            assert!(check_location(bad).is_err(), "{bad}");
        }
        assert!(check_location(&format!("https://e.com/{}", "a".repeat(LOCATION_MAX))).is_err());
    }

    #[test]
    fn download_names_are_safe() {
        assert_eq!(download_name("my disk", "qcow2", "7"), "my_disk.qcow2");
        assert_eq!(download_name("arch.iso", "iso", "7"), "arch.iso");
        assert_eq!(download_name("\"; rm -rf /", "", "7"), "rm_-rf.bin");
        assert_eq!(download_name("ééé", "raw", "7"), "image-7.img");
    }

    #[test]
    fn phases() {
        assert_eq!(ImagePhase::of("Active"), ImagePhase::Active);
        assert!(ImagePhase::of("queued").in_transition());
        assert!(ImagePhase::of("saving").in_transition());
        assert_eq!(ImagePhase::of("killed"), ImagePhase::Failed);
        assert!(!ImagePhase::of("deleted").in_transition());
    }
}
