//! `/images`: the caller's own images apart from the public templates and ISOs, both from
//! one load (search by name or ID, filter by region and status, sort); an image being
//! fetched or copied is followed through `queued` and `saving` to `active` without a reload
//! ([`refetch_on_live`]). `/images/new`: fetch an ISO or a disk image from a URL.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::catalog::catalog_regions;
use crate::components::form::{field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::error::{AppError, FieldErrors};
use crate::image::{
    check_image_name, check_location, image_list, ImageFetchFn, ImagePhase, ImageRow, FORMATS,
};
use crate::kinds;
use crate::pages::format::bytes;
use crate::vm::RegionView;

/// The capability a customer needs to fetch, rename, replicate, download and delete
/// images (`kinds::IMAGE`).
pub const IMAGES: &str = "images";
/// The capability a customer needs to create a VM (from an image or otherwise).
pub const CREATE_VM: &str = "create";

const BACK: (&str, &str) = ("/images", "Images");

/// The status filter filters by what a status means ([`ImagePhase::key`]): the words vary.
const STATUSES: &[(&str, &str)] = &[
    ("active", "Active"),
    ("busy", "Saving"),
    ("error", "Failed"),
    ("other", "Other"),
];

/// The badge's colour class for a phase (the console's `status-*` classes).
pub fn badge_class(phase: ImagePhase) -> &'static str {
    match phase {
        ImagePhase::Active => "ok",
        ImagePhase::Saving => "busy",
        ImagePhase::Failed => "bad",
        ImagePhase::Unknown => "unknown",
    }
}

/// An image's status as Luna Node words it, coloured by what it means; a spinner while it
/// is being saved. `data-status` holds the word in lower case (journeys wait on it).
#[component]
pub fn ImageBadge(#[prop(into)] status: String) -> impl IntoView {
    let phase = ImagePhase::of(&status);
    let word = status.trim().to_owned();
    let text = if word.is_empty() {
        "Unknown".to_owned()
    } else {
        word.clone()
    };
    view! {
        <span class=format!("status status-{}", badge_class(phase)) data-status=word.to_ascii_lowercase()>
            {phase.in_transition().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            {text}
        </span>
    }
}

/// What an image is called on the page: its name, or its ID when it has none.
pub fn label(name: &str, image_id: &str) -> String {
    if name.trim().is_empty() {
        format!("Image {}", image_id.trim())
    } else {
        name.to_owned()
    }
}

/// Where "create a VM from this image" leads: the wizard with the image chosen.
pub fn create_vm_href(image_id: &str) -> String {
    format!("/vms/new?image={}", image_id.trim())
}

/// The size column's sort value (bytes; missing sizes last).
fn size_key(i: &ImageRow) -> SortValue {
    SortValue::opt_number(i.size.and_then(|s| i64::try_from(s).ok()))
}

/// The account's own (and, for a customer, those their provider shares): the first list.
fn is_own(i: &ImageRow) -> bool {
    !i.public
}

/// Luna Node's public templates and ISOs: the second list.
fn is_public(i: &ImageRow) -> bool {
    i.public
}

/// The image table (both lists): status, name, region, size, and a link to boot a VM from
/// an active image.
fn image_list_spec() -> ListSpec<ImageRow> {
    ListSpec {
        columns: vec![
            Column::new(
                "Status",
                |i: &ImageRow| view! { <ImageBadge status=i.status.clone() /> },
            )
            .sort(|i| SortValue::text(ImagePhase::of(&i.status).key())),
            Column::new("Name", |i: &ImageRow| {
                let shared = (!i.public && !i.mine).then(
                    || view! { <span class="muted small">" · shared by your provider"</span> },
                );
                view! {
                    <a href=format!("/images/{}", i.image_id) class="image-name">
                        {label(&i.name, &i.image_id)}
                    </a>
                    {shared}
                }
            })
            .sort(|i| SortValue::text(&i.name)),
            Column::new("Region", |i: &ImageRow| or_dash(&i.region))
                .sort(|i| SortValue::text(&i.region)),
            Column::new("Size", |i: &ImageRow| bytes(i.size)).sort(size_key),
            Column::new("", |i: &ImageRow| {
                (ImagePhase::of(&i.status) == ImagePhase::Active).then(|| {
                    view! {
                        <a
                            class="button small"
                            href=create_vm_href(&i.image_id)
                            aria-label=format!("Create VM from {}", label(&i.name, &i.image_id))
                        >
                            "Create VM"
                        </a>
                    }
                })
            })
            .class("actions"),
        ],
        search: Some(Search::new("Name or ID", |i| {
            format!("{} {}", i.name, i.image_id)
        })),
        filters: vec![
            Filter::from_rows("region", "Region", "All regions", |i| i.region.clone()),
            Filter::fixed(
                "status",
                "Status",
                "Any status",
                |i| ImagePhase::of(&i.status).key().to_owned(),
                STATUSES,
            ),
        ],
        row_id: |i| i.image_id.clone(),
    }
}

/// The name column: sorted by it at first.
const BY_NAME: usize = 1;

// `images/page`: the list paged on the server (the account's own).
crate::paged_list!(
    ImagePageFn,
    "images/page",
    image_page,
    image_list,
    image_list_spec(),
    Vec<ImageRow>,
    keep = is_own
);

// `images/templates/page`: the list paged on the server (the public templates and ISOs).
crate::paged_list!(
    TemplatePageFn,
    "images/templates/page",
    template_page,
    image_list,
    image_list_spec(),
    Vec<ImageRow>,
    keep = is_public
);

#[component]
pub fn ImagesPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (own_state, own) = paged_source(refresh, image_list_spec(), "", BY_NAME, image_page);
    let (template_state, templates) = paged_source(
        refresh,
        image_list_spec(),
        "template-",
        BY_NAME,
        template_page,
    );
    refetch_on_live(&kinds::IMAGE, refresh);
    let viewer = Viewer::current();
    let can_fetch = viewer.cannot(IMAGES).is_none();
    let fetch = match viewer.cannot(IMAGES) {
        None => view! { <a class="button primary" href="/images/new" id="fetch-image">"Fetch image"</a> }.into_any(),
        Some(why) => view! { <span class="disabled-reason" id="fetch-image-locked">{why}</span> }.into_any(),
    };
    // Customers never see the provider's name.
    let public_heading = if viewer.is_customer() {
        "Templates and ISOs"
    } else {
        "Luna Node templates and ISOs"
    };
    view! {
        <PageTitle text="Images" />
        <div class="page-head">
            <h1>"Images"</h1>
            {fetch}
        </div>
        <h2 id="own-images">"Your images"</h2>
        <p class="muted">"Snapshots of your VMs, images fetched from a URL, and copies from other regions."</p>
        <ResourceList
            id="image"
            noun="images"
            source=own.first
            live=own.live
            state=own_state
            spec=image_list_spec()
            row_attr="data-image-id"
            sort=BY_NAME
            loading="Loading images…"
            empty="No images of your own yet. Fetch an ISO or a disk image from a URL, or snapshot a VM from its page."
            empty_action=move || can_fetch.then(|| view! { <a class="button primary" href="/images/new">"Fetch an image"</a> })
        />
        <h2 id="public-images">{public_heading}</h2>
        <p class="muted">"Ready-made systems and installer discs to boot a VM from."</p>
        <ResourceList
            id="template"
            url_prefix="template-"
            noun="templates and ISOs"
            source=templates.first
            live=templates.live
            state=template_state
            spec=image_list_spec()
            row_attr="data-image-id"
            sort=BY_NAME
            loading="Loading templates…"
            empty="No templates or ISOs are offered to you."
        />
    }
}

/// What the fetch form holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchInput {
    pub region: String,
    pub name: String,
    pub location: String,
    /// `iso` or `qcow2` (a key of [`FORMATS`]); empty until chosen.
    pub format: String,
    pub virtio: bool,
}

/// The fields of the fetch form, as the server names them in its validation errors.
const FETCH_FIELDS: &[&str] = &["region", "name", "location", "format"];

impl FetchInput {
    /// What is wrong before anything is sent, beside the field it concerns: the checks
    /// the server makes again ([`crate::image::image_fetch`]).
    pub fn problems(&self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        if self.region.trim().is_empty() {
            errors.add("region", "Choose a region.");
        }
        if let Err(e) = check_image_name(&self.name) {
            errors.add("name", e);
        }
        if let Err(e) = check_location(&self.location) {
            errors.add("location", e);
        }
        if !FORMATS
            .iter()
            .any(|(key, _)| key.eq_ignore_ascii_case(self.format.trim()))
        {
            errors.add("format", "Choose ISO or QCOW2.");
        }
        errors
    }

    /// The server function's call.
    pub fn call(&self) -> ImageFetchFn {
        ImageFetchFn {
            region: self.region.clone(),
            name: self.name.clone(),
            location: self.location.clone(),
            format: self.format.clone(),
            virtio: self.virtio,
        }
    }
}

/// The format a URL's file name suggests (`.iso`, `.qcow2`), if any.
pub fn guess_format(location: &str) -> Option<&'static str> {
    let path = location.trim().split(['?', '#']).next().unwrap_or_default();
    let file = path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if file.ends_with(".iso") {
        Some("iso")
    } else if file.ends_with(".qcow2") {
        Some("qcow2")
    } else {
        None
    }
}

/// `/images/new`: region, name, address, format and virtio; the image's page once Luna
/// Node has taken the job.
#[component]
pub fn ImageFetchPage() -> impl IntoView {
    let regions = Resource::new(|| (), |_| catalog_regions());
    let cannot = Viewer::current().cannot(IMAGES);
    view! {
        <PageTitle text="Fetch an image" />
        <DetailBack back=BACK />
        <h1>"Fetch an image"</h1>
        <p class="muted">
            "The image is downloaded from the address you give into the region you choose. It is "
            "queued, then saving, and ready to boot VMs from once it is active."
        </p>
        {cannot.clone().map(|why| view! { <p class="notice notice-info" id="fetch-image-locked">{why}</p> })}
        <Transition fallback=|| view! { <Loading label="Loading the regions…" /> }>
            {move || {
                let cannot = cannot.clone();
                Suspend::new(async move {
                    match regions.await {
                        Ok(regions) => view! { <FetchForm regions locked=cannot.is_some() /> }.into_any(),
                        Err(e) => view! { <ProblemNotice error=e what="images" /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn FetchForm(regions: Vec<RegionView>, locked: bool) -> impl IntoView {
    let fetch = ServerAction::<ImageFetchFn>::new();
    let region = RwSignal::new(regions.first().map(|r| r.code.clone()).unwrap_or_default());
    let name = RwSignal::new(String::new());
    let location = RwSignal::new(String::new());
    let format = RwSignal::new(String::new());
    // Until the user picks a format, the address's file name suggests one.
    let format_picked = RwSignal::new(false);
    let virtio = RwSignal::new(false);
    // The browser's own check of the last submit; the server's answer otherwise.
    let local = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local
            .get()
            .or_else(|| fetch.value().get().and_then(Result::err))
    });
    let navigate = use_navigate();
    let toasts = Toasts::get();
    Effect::new(move |_| {
        if let Some(Ok(id)) = fetch.value().get() {
            if let Some(t) = toasts {
                t.success(format!(
                    "Fetching “{}”. It can be used once it is active.",
                    name.get_untracked().trim()
                ));
            }
            let to = if id.trim().is_empty() {
                "/images".to_owned()
            } else {
                format!("/images/{}", id.trim())
            };
            navigate(&to, Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if locked || fetch.pending().get_untracked() {
            return;
        }
        let input = FetchInput {
            region: region.get_untracked(),
            name: name.get_untracked(),
            location: location.get_untracked(),
            format: format.get_untracked(),
            virtio: virtio.get_untracked(),
        };
        match input.problems().into_result() {
            Err(problems) => local.set(Some(problems)),
            Ok(()) => {
                local.set(None);
                fetch.dispatch(input.call());
            }
        }
    };
    let region_error = field_error(error, "region");
    let format_error = field_error(error, "format");
    let region_options = regions
        .into_iter()
        .map(|r| {
            let code = r.code.clone();
            view! { <option value=r.code.clone() selected=move || region.get_untracked() == code>{format!("{} ({})", r.name, r.code)}</option> }
        })
        .collect_view();
    let formats = FORMATS
        .iter()
        .map(|&(key, text)| {
            view! {
                <label class="check">
                    <input
                        type="radio"
                        name="format"
                        id=format!("format-{key}")
                        value=key
                        aria-describedby="field-format-error"
                        prop:checked=move || format.get() == key
                        on:change=move |_| {
                            format.set(key.to_owned());
                            format_picked.set(true);
                        }
                    />
                    {text}
                </label>
            }
        })
        .collect_view();
    view! {
        <form id="fetch-image-form" class="card" novalidate on:submit=submit>
            <fieldset class="plain" disabled=locked>
                <FormAlert error fields=FETCH_FIELDS />
                <div class="field" class:field-invalid=move || region_error.with(Option::is_some)>
                    <label for="field-region">"Region"</label>
                    <select
                        id="field-region"
                        name="region"
                        aria-invalid=move || region_error.with(Option::is_some).to_string()
                        aria-describedby="field-region-error"
                        prop:value=move || region.get()
                        on:change=move |ev| region.set(event_target_value(&ev))
                    >
                        {region_options}
                    </select>
                    <p class="field-error" id="field-region-error" aria-live="polite">{move || region_error.get()}</p>
                </div>
                <Field
                    name="name"
                    label="Name"
                    autocomplete="off"
                    hint="How the image is listed, e.g. “Debian 12 installer”."
                    error=field_error(error, "name")
                    on_input=Callback::new(move |v: String| name.set(v))
                />
                <Field
                    name="location"
                    label="Address"
                    input_type="url"
                    autocomplete="off"
                    hint="An http://, https:// or ftp:// address of the ISO or disk image file."
                    error=field_error(error, "location")
                    on_input=Callback::new(move |v: String| {
                        if !format_picked.get_untracked() {
                            format.set(guess_format(&v).unwrap_or_default().to_owned());
                        }
                        location.set(v);
                    })
                />
                <fieldset class="field plain" class:field-invalid=move || format_error.with(Option::is_some)>
                    <legend>"Format"</legend>
                    {formats}
                    <p class="field-error" id="field-format-error" aria-live="polite">{move || format_error.get()}</p>
                </fieldset>
                <div class="field">
                    <label class="check">
                        <input
                            type="checkbox"
                            id="field-virtio"
                            name="virtio"
                            aria-describedby="field-virtio-hint"
                            prop:checked=move || virtio.get()
                            on:change=move |ev| virtio.set(event_target_checked(&ev))
                        />
                        "Use virtio for the disk and network"
                    </label>
                    <p class="field-hint" id="field-virtio-hint">
                        "Faster, but the system on the image needs virtio drivers (current Linux "
                        "distributions have them; Windows needs the virtio-win drivers). Leave it off "
                        "for an IDE disk and an e1000 network card, which every system supports."
                    </p>
                </div>
                <SubmitButton label="Fetch image" busy_label="Starting the download…" pending=fetch.pending() />
            </fieldset>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::list::ListQuery;

    fn row(id: &str, name: &str, region: &str, status: &str, size: Option<u64>) -> ImageRow {
        ImageRow {
            image_id: id.into(),
            name: name.into(),
            region: region.into(),
            status: status.into(),
            size,
            public: false,
            mine: true,
        }
    }

    fn rows() -> Vec<ImageRow> {
        vec![
            row("11", "web-10 backup", "toronto", "active", Some(3 << 30)),
            row("12", "web-2 backup", "montreal", "saving", None),
            row("13", "installer", "toronto", "queued", Some(1 << 20)),
            // Odd rows: no name, a status the panel has no word for, no region.
            row("14", "", "", "deleted", None),
            row("15", "broken", "roubaix", "killed", Some(5)),
        ]
    }

    fn ids(search: &str, region: &str, status: &str, sort: usize, desc: bool) -> Vec<String> {
        let q = ListQuery {
            search: search.into(),
            filters: vec![region.into(), status.into()],
            sort: Some(sort),
            desc,
        };
        image_list_spec()
            .visible(&rows(), &q)
            .into_iter()
            .map(|r| r.image_id)
            .collect()
    }

    #[test]
    fn images_sort_naturally_with_odd_rows_last() {
        let owner = Owner::new();
        owner.set();
        assert_eq!(
            ids("", "", "", BY_NAME, false),
            ["15", "13", "12", "11", "14"],
            "by name, naturally; the nameless one last"
        );
        assert_eq!(
            ids("", "", "", 3, true),
            ["11", "13", "15", "12", "14"],
            "by size, largest first; unknown sizes last"
        );
        assert_eq!(
            ids("", "", "", 2, false),
            ["12", "15", "11", "13", "14"],
            "by region"
        );
    }

    #[test]
    fn images_filter_by_what_a_status_means_and_by_region() {
        let owner = Owner::new();
        owner.set();
        assert_eq!(
            ids("", "", "busy", BY_NAME, false),
            ["13", "12"],
            "queued and saving"
        );
        assert_eq!(ids("", "", "active", BY_NAME, false), ["11"]);
        assert_eq!(ids("", "", "error", BY_NAME, false), ["15"]);
        assert_eq!(
            ids("", "", "other", BY_NAME, false),
            ["14"],
            "unknown words"
        );
        assert_eq!(ids("", "toronto", "", BY_NAME, false), ["13", "11"]);
        assert_eq!(ids("", "toronto", "busy", BY_NAME, false), ["13"]);
        let regions: Vec<String> = image_list_spec().filters[0]
            .choices(&rows(), "")
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(
            regions,
            ["montreal", "roubaix", "toronto"],
            "no empty region offered"
        );
    }

    #[test]
    fn images_are_found_by_name_or_id() {
        let owner = Owner::new();
        owner.set();
        assert_eq!(ids("BACKUP", "", "", BY_NAME, false), ["12", "11"]);
        assert_eq!(ids("web 10", "", "", BY_NAME, false), ["11"]);
        assert_eq!(
            ids("14", "", "", BY_NAME, false),
            ["14"],
            "a nameless image by its ID"
        );
        assert!(ids("nothing", "", "", BY_NAME, false).is_empty());
    }

    #[test]
    fn own_images_are_apart_from_public_ones() {
        let mut public = row(
            "1000",
            "Ubuntu 22.04 64-bit (template)",
            "toronto",
            "active",
            None,
        );
        public.public = true;
        public.mine = false;
        let mut shared = row("20", "provider's image", "toronto", "active", None);
        shared.mine = false;
        let all = [public, shared, row("21", "mine", "toronto", "active", None)];
        let own: Vec<&str> = all
            .iter()
            .filter(|i| is_own(i))
            .map(|i| i.image_id.as_str())
            .collect();
        let public: Vec<&str> = all
            .iter()
            .filter(|i| is_public(i))
            .map(|i| i.image_id.as_str())
            .collect();
        assert_eq!(
            own,
            ["20", "21"],
            "a customer's shared image is with their own"
        );
        assert_eq!(public, ["1000"]);
    }

    #[test]
    fn odd_values_still_read_well() {
        assert_eq!(label("", " 14 "), "Image 14");
        assert_eq!(label("disk", "14"), "disk");
        assert_eq!(badge_class(ImagePhase::of("")), "unknown");
        assert_eq!(badge_class(ImagePhase::of("SAVING")), "busy");
        assert_eq!(badge_class(ImagePhase::of("killed")), "bad");
        assert_eq!(create_vm_href("77"), "/vms/new?image=77");
        assert_eq!(size_key(&row("1", "", "", "", None)), SortValue::Missing);
        assert_eq!(
            size_key(&row("1", "", "", "", Some(u64::MAX))),
            SortValue::Missing,
            "a size too large to sort is not a panic"
        );
    }

    fn good() -> FetchInput {
        FetchInput {
            region: "toronto".into(),
            name: "installer".into(),
            location: "https://example.com/test.iso".into(),
            format: "iso".into(),
            virtio: true,
        }
    }

    #[test]
    fn the_fetch_form_names_each_bad_field() {
        assert!(good().problems().is_empty());
        let bad = FetchInput {
            region: " ".into(),
            name: "x (ISO)".into(),
            location: "file:///etc/passwd".into(),
            format: "vmdk".into(),
            virtio: false,
        };
        let problems = bad.problems();
        let fields: Vec<&str> = problems.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields, FETCH_FIELDS,
            "one message beside each field, in order"
        );
        assert_eq!(
            FetchInput {
                location: "example.com/x.iso".into(),
                ..good()
            }
            .problems()
            .get("location"),
            Some("Use an address starting with http://, https:// or ftp://.")
        );
        assert_eq!(
            FetchInput {
                format: String::new(),
                ..good()
            }
            .problems()
            .get("format"),
            Some("Choose ISO or QCOW2.")
        );
        assert!(FetchInput {
            format: "QCOW2".into(),
            ..good()
        }
        .problems()
        .is_empty());
        // What is sent is what was typed (the server trims and checks again).
        let call = good().call();
        assert_eq!(
            (call.region.as_str(), call.format.as_str(), call.virtio),
            ("toronto", "iso", true)
        );
    }

    #[test]
    fn the_address_suggests_a_format() {
        assert_eq!(guess_format("https://example.com/test.iso"), Some("iso"));
        assert_eq!(guess_format("https://e.com/d.QCOW2?sig=1#x"), Some("qcow2"));
        assert_eq!(guess_format("https://e.com/iso/readme"), None);
        assert_eq!(
            guess_format("https://e.com/disk.img"),
            None,
            "raw is not offered"
        );
        assert_eq!(guess_format(""), None);
    }
}
