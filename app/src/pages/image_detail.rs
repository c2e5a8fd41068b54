//! `/images/:id`: one image — its details (format, size, checksum, disk bus, network and
//! video models, CPU and cache modes, created); "create a VM from this image" once it is
//! active; and for the caller's own images: rename, replicate to another region, download
//! (streamed through the panel) and delete (its name typed). The page re-reads itself when
//! the shared live stream shows an image change, so a fetch or copy is followed to
//! `active` without a reload; what the user is typing survives (the page is rendered once,
//! its parts follow the data).

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::catalog::catalog_regions;
use crate::components::kit::*;
use crate::components::live::load_in_browser;
use crate::error::AppError;
use crate::image::{
    download_href, image_delete, image_details, image_rename, image_replicate, ImagePhase,
    ImageView,
};
use crate::kinds;
use crate::pages::format::bytes;
use crate::pages::images::{create_vm_href, label, ImageBadge, CREATE_VM, IMAGES};
use crate::vm::RegionView;

const BACK: (&str, &str) = ("/images", "Images");

#[component]
pub fn ImageDetailPage() -> impl IntoView {
    let refresh = Refresh::new();
    let source = DetailSource {
        back: BACK,
        read: image_details,
        loading: "Loading the image…",
        missing: "This image does not exist (any more). It may have been deleted.",
        what: "images",
    };
    view! {
        // Until the image's own name replaces it (also when it does not exist).
        <PageTitle text="Image" />
        {detail_page(source, refresh, |d: &ImageView, id| d.image_id == id, move |d| view! { <ImageBody d refresh /> })}
    }
}

/// A disabled button standing in for a link that cannot be followed now, with the reason
/// beside it.
fn locked(id: &'static str, text: &'static str, reason: String) -> AnyView {
    let reason_id = format!("{id}-reason");
    view! {
        <span class="action-button">
            <button type="button" class="button" id=id disabled aria-describedby=reason_id.clone()>
                {text}
            </button>
            <span class="disabled-reason" id=reason_id>{reason}</span>
        </span>
    }
    .into_any()
}

/// Why a VM cannot be made from the image now, if it cannot.
fn create_vm_reason(phase: ImagePhase, cannot: Option<String>) -> Option<String> {
    match phase {
        ImagePhase::Active => cannot,
        ImagePhase::Saving => {
            Some("Once the image is active, you can create a VM from it.".to_owned())
        }
        ImagePhase::Failed => Some(
            "The image failed: nothing can boot from it. Delete it and fetch it again.".to_owned(),
        ),
        ImagePhase::Unknown => Some("Only an active image can boot a VM.".to_owned()),
    }
}

/// Why the caller's own image cannot be downloaded now, if it cannot.
fn download_reason(phase: ImagePhase, cannot: Option<String>) -> Option<String> {
    cannot.or_else(|| {
        (phase != ImagePhase::Active).then(|| "It can be downloaded once it is active.".to_owned())
    })
}

/// What kind of image this is, in words the viewer may see (customers never see the
/// provider's name).
pub fn origin(d: &ImageView, customer: bool) -> &'static str {
    match (d.mine, d.public, customer) {
        (true, _, _) => "Your image",
        (false, true, false) => "Luna Node template or ISO",
        (false, true, true) => "Public template or ISO",
        (false, false, _) => "Shared by your provider",
    }
}

/// `ISO`, `QCOW2`, … (as Luna Node says it, upper-cased), or "–".
pub fn format_name(disk_format: &str) -> String {
    or_dash(&disk_format.trim().to_ascii_uppercase())
}

#[component]
fn ImageBody(d: Signal<ImageView>, refresh: Refresh) -> impl IntoView {
    refetch_on_live(&kinds::IMAGE, refresh);
    let viewer = Viewer::current();
    let customer = viewer.is_customer();
    let cannot = viewer.cannot(IMAGES);
    let cannot_create = viewer.cannot(CREATE_VM);
    let (id, mine) = d.with_untracked(|d| (d.image_id.clone(), d.mine));
    let title = Memo::new(move |_| d.with(|d| label(&d.name, &d.image_id)));
    let phase = Memo::new(move |_| d.with(|d| ImagePhase::of(&d.status)));
    let done = refresh.callback();

    let actions = {
        let (id, cannot) = (id.clone(), cannot.clone());
        move || {
            let (id, cannot, cannot_create) = (id.clone(), cannot.clone(), cannot_create.clone());
            let create = {
                let id = id.clone();
                move || match create_vm_reason(phase.get(), cannot_create.clone()) {
                    None => view! {
                        <a class="button primary" id="image-create-vm" href=create_vm_href(&id)>
                            "Create a VM from this image"
                        </a>
                    }
                    .into_any(),
                    Some(why) => locked("image-create-vm", "Create a VM from this image", why),
                }
            };
            let download =
                mine.then_some(move || match download_reason(phase.get(), cannot.clone()) {
                    None => view! {
                        <a class="button" id="image-download" href=download_href(&id) download="">
                            "Download"
                        </a>
                    }
                    .into_any(),
                    Some(why) => locked("image-download", "Download", why),
                });
            view! { {create} {download} }
        }
    };
    let navigate = use_navigate();
    let toasts = Toasts::get();
    let gone = Callback::new(move |_: ()| {
        if let Some(t) = toasts {
            t.success("Image deleted.");
        }
        navigate("/images", Default::default());
    });
    let delete = mine.then(|| {
        let id = id.clone();
        let name = Memo::new(move |_| d.with(|d| d.name.trim().to_owned()));
        let reason = {
            let cannot = cannot.clone();
            Signal::derive(move || {
                cannot.clone().or_else(|| {
                    name.with(String::is_empty).then(|| {
                        "The image has no name to type: rename it first, then delete it.".to_owned()
                    })
                })
            })
        };
        move || {
            let id = id.clone();
            view! {
                <DangerConfirm
                    title="Delete this image"
                    warning="Deleting removes the image from its region. VMs made from it keep running; copies in other regions stay. This cannot be undone."
                    name=name.get()
                    button="Delete image"
                    button_id="delete-image"
                    run=move |typed: String| image_delete(id.clone(), typed)
                    on_success=gone
                    reason=reason
                />
            }
        }
    });
    view! {
        <DetailFrame
            back=BACK
            title=Signal::derive(move || title.get())
            title_id="image-name"
            badge=move || view! { {move || d.with(|d| view! { <ImageBadge status=d.status.clone() /> })} }
            actions=actions
        >
            <Facts d customer />
            {mine.then(|| view! {
                <Rename d cannot=cannot.clone() done />
                <Replicate d phase cannot=cannot.clone() done />
            })}
            {(!mine).then(|| view! { <NotYours d customer /> })}
        </DetailFrame>
        {delete}
    }
}

#[component]
fn Facts(d: Signal<ImageView>, customer: bool) -> impl IntoView {
    move || {
        let d = d.get();
        let origin = origin(&d, customer);
        let read_only = if d.read_only { "Yes" } else { "No" };
        view! {
                <Card title="Details" id="image-facts">
                    <dl class="facts">
                        <dt>"Image ID"</dt>
                        <dd><code id="image-id">{d.image_id.clone()}</code></dd>
                        <dt>"Kind"</dt>
                        <dd>{origin}</dd>
                        <dt>"Region"</dt>
                        <dd id="image-region">{or_dash(&d.region)}</dd>
                        <dt>"Status"</dt>
                        <dd>{or_dash(&d.status)}</dd>
                        <dt>"Format"</dt>
                        <dd id="image-format">{format_name(&d.disk_format)}</dd>
                        <dt>"Size"</dt>
                        <dd>{bytes(d.size)}</dd>
                        <dt>"Checksum"</dt>
                        <dd><code>{or_dash(&d.checksum)}</code></dd>
                        <dt>"Disk bus"</dt>
                        <dd id="image-disk-bus">{or_dash(&d.disk_bus)}</dd>
                        <dt>"Network card"</dt>
                        <dd>{or_dash(&d.nic_model)}</dd>
                        <dt>"Video model"</dt>
                        <dd>{or_dash(&d.video_model)}</dd>
                        <dt>"CPU mode"</dt>
                        <dd>{or_dash(&d.cpu_mode)}</dd>
                        <dt>"Cache mode"</dt>
                        <dd>{or_dash(&d.cache_mode)}</dd>
                        <dt>"Read-only"</dt>
                        <dd>{read_only}</dd>
                        <dt>"Created"</dt>
                        <dd>{or_dash(&d.created)}</dd>
                    </dl>
                </Card>
        }
    }
}

/// Why an image that is not the caller's offers no changes.
#[component]
fn NotYours(d: Signal<ImageView>, customer: bool) -> impl IntoView {
    let text = d.with_untracked(|d| match (d.public, customer) {
        (true, false) => "Luna Node offers this template or ISO to every account: boot VMs from it. It cannot be renamed, copied, downloaded or deleted.",
        (true, true) => "A public template or ISO: boot VMs from it. It cannot be renamed, copied, downloaded or deleted.",
        (false, _) => "Your provider lets you boot VMs from this image. Only they can rename, copy, download or delete it.",
    });
    view! {
        <Card title="About this image" id="image-not-yours">
            <p>{text}</p>
        </Card>
    }
}

#[component]
fn Rename(d: Signal<ImageView>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let id = d.with_untracked(|d| d.image_id.clone());
    view! {
        <RenameCard
            kind="image"
            noun="Image"
            current=d.with_untracked(|d| d.name.clone())
            reason=cannot
            run=move |name: String| image_rename(id.clone(), name)
            on_done=done
        />
    }
}

/// The regions an image in `here` can be copied to: `(code, label)` of every other one.
fn copy_targets(regions: &[RegionView], here: &str) -> Vec<(String, String)> {
    regions
        .iter()
        .filter(|r| r.code != here)
        .map(|r| (r.code.clone(), format!("{} ({})", r.name, r.code)))
        .collect()
}

/// Why there is no region to copy to: still loading, not loaded, or none other.
fn no_copy_target(regions: Option<&Result<Vec<RegionView>, AppError>>) -> String {
    match regions {
        None => "Loading the regions…".to_owned(),
        Some(Err(e)) => format!("The regions could not be loaded. {e}"),
        Some(Ok(_)) => "There is no other region to copy it to.".to_owned(),
    }
}

/// Copy the image to another region (picked from the regions the caller may use).
#[component]
fn Replicate(
    d: Signal<ImageView>,
    phase: Memo<ImagePhase>,
    cannot: Option<String>,
    done: Callback<()>,
) -> impl IntoView {
    let id = d.with_untracked(|d| d.image_id.clone());
    // Loaded in the browser: this card sits inside the page's loading boundary.
    let regions = load_in_browser(catalog_regions);
    let error = RwSignal::new(None::<AppError>);
    let copy = RwSignal::new(None::<String>);
    let reason = Signal::derive(move || {
        cannot.clone().or_else(|| {
            (phase.get() != ImagePhase::Active)
                .then(|| "The image can be copied once it is active.".to_owned())
        })
    });
    let choices = Signal::derive(move || {
        let here = d.with(|d| d.region.clone());
        regions.with(|r| match r {
            Some(Ok(list)) => copy_targets(list, &here),
            _ => Vec::new(),
        })
    });
    let none = Signal::derive(move || regions.with(|r| no_copy_target(r.as_ref())));
    view! {
        <Card title="Copy to another region" id="image-replicate-card">
            <p class="muted">"The copy is a separate image of yours in that region, saved like a new one."</p>
            <ChoiceAction
                id="image-replicate"
                label="Region"
                choices
                none
                button="Copy"
                pending_label="Copying…"
                success="Copying the image. The copy is saved, then active."
                reason
                run=move |region: String| {
                    let id = id.clone();
                    async move {
                        let r = keep_error(error, image_replicate(id, region).await);
                        if let Ok(new_id) = &r {
                            copy.try_set(Some(new_id.clone()));
                        }
                        r
                    }
                }
                on_done=done
                error=Signal::derive(move || error.get().and_then(|e| e.field("region")))
            />
            {move || copy.get().map(|new_id| {
                if new_id.trim().is_empty() {
                    view! { <p id="image-replicate-copy">"The copy will appear in the " <a href="/images">"image list"</a> "."</p> }.into_any()
                } else {
                    view! { <p id="image-replicate-copy">"The copy: " <a href=format!("/images/{new_id}")>{format!("image {new_id}")}</a></p> }.into_any()
                }
            })}
        </Card>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_of(mine: bool, public: bool) -> ImageView {
        ImageView {
            image_id: "7".into(),
            name: String::new(),
            region: String::new(),
            status: String::new(),
            size: None,
            checksum: String::new(),
            disk_format: String::new(),
            cache_mode: String::new(),
            read_only: false,
            disk_bus: String::new(),
            nic_model: String::new(),
            video_model: String::new(),
            cpu_mode: String::new(),
            created: String::new(),
            public,
            mine,
        }
    }

    #[test]
    fn customers_never_read_the_providers_name() {
        for (mine, public) in [(true, false), (false, true), (false, false)] {
            let d = view_of(mine, public);
            assert!(!origin(&d, true).contains("Luna Node"), "{mine} {public}");
        }
        assert_eq!(
            origin(&view_of(false, true), false),
            "Luna Node template or ISO"
        );
        assert_eq!(origin(&view_of(true, false), true), "Your image");
        assert_eq!(
            origin(&view_of(false, false), true),
            "Shared by your provider"
        );
    }

    #[test]
    fn a_vm_is_made_only_from_an_active_image_and_with_the_capability() {
        assert_eq!(create_vm_reason(ImagePhase::Active, None), None);
        let off = Some("Your provider has not turned on “Create servers”.".to_owned());
        assert_eq!(create_vm_reason(ImagePhase::Active, off.clone()), off);
        for status in ["queued", "saving", "killed", "deleted", ""] {
            assert!(
                create_vm_reason(ImagePhase::of(status), None).is_some(),
                "{status}"
            );
        }
    }

    #[test]
    fn a_download_waits_for_active_and_the_capability() {
        assert_eq!(download_reason(ImagePhase::Active, None), None);
        assert!(download_reason(ImagePhase::Saving, None)
            .unwrap()
            .contains("once it is active"));
        let off = Some("suspended".to_owned());
        assert_eq!(download_reason(ImagePhase::Active, off.clone()), off);
    }

    #[test]
    fn an_image_is_copied_to_another_region() {
        let region = |code: &str, name: &str| RegionView {
            code: code.into(),
            name: name.into(),
        };
        let regions = vec![region("toronto", "Toronto"), region("roubaix", "Roubaix")];
        assert_eq!(
            copy_targets(&regions, "toronto"),
            [("roubaix".to_owned(), "Roubaix (roubaix)".to_owned())]
        );
        assert_eq!(
            copy_targets(&regions, "").len(),
            2,
            "an image without a region"
        );
        assert!(no_copy_target(None).contains("Loading"));
        assert!(no_copy_target(Some(&Err(AppError::NoCredential))).contains("could not be loaded"));
        assert!(no_copy_target(Some(&Ok(regions))).contains("no other region"));
    }

    #[test]
    fn missing_details_read_as_dashes() {
        assert_eq!(format_name("qcow2"), "QCOW2");
        assert_eq!(format_name(" "), "–");
    }
}
