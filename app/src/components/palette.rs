//! [`Palette`]: the command palette. Ctrl-K (⌘K on a Mac), or the search button in the top
//! bar for touch, opens it; typing finds any resource the user may see (by name, id, IP
//! address or domain) and any page; arrow keys move, Enter opens, Escape closes. The index
//! is fetched once per opening (from the server's shared caches) and matched here, so
//! keystrokes cost no request.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::error::AppError;
use crate::search::{best, search_index, SearchIndex, SearchItem};

/// How many matches are listed.
const SHOWN: usize = 30;

/// Pages always offered besides the sidebar's (label, path).
const EXTRA_PAGES: &[(&str, &str)] = &[
    ("Create a VM", "/vms/new"),
    ("New startup script", "/scripts/new"),
    ("Reverse DNS", "/dns/reverse"),
    ("Dynamic DNS", "/dns/dynamic"),
];

/// The palette: `pages` are the sidebar's entries the user sees (label, path).
#[component]
pub fn Palette(pages: Vec<(&'static str, &'static str)>) -> impl IntoView {
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0usize);
    let index = RwSignal::new(None::<Result<SearchIndex, AppError>>);
    let loading = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let page_items: Vec<SearchItem> = pages
        .iter()
        .chain(EXTRA_PAGES.iter())
        .filter(|(_, path)| {
            // The extra pages only where their area is in the sidebar.
            let area = path.split('/').nth(1).unwrap_or("");
            pages.iter().any(|(_, p)| p.split('/').nth(1) == Some(area))
        })
        .map(|(label, path)| SearchItem {
            kind: "Page".into(),
            name: (*label).to_owned(),
            id: (*path).to_owned(),
            extra: String::new(),
            href: (*path).to_owned(),
        })
        .collect();
    let items = Memo::new(move |_| {
        let mut all = page_items.clone();
        if let Some(Ok(i)) = index.get() {
            all.extend(i.items);
        }
        all
    });
    let results = Memo::new(move |_| {
        let q = query.get();
        items.with(|all| {
            best(all, &q, SHOWN)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let show = move || {
        open.set(true);
        query.set(String::new());
        selected.set(0);
        loading.set(true);
        leptos::task::spawn_local(async move {
            let fetched = search_index().await;
            // A failed re-read keeps the last good index.
            if fetched.is_ok() || !matches!(index.get_untracked(), Some(Ok(_))) {
                index.set(Some(fetched));
            }
            loading.set(false);
        });
    };
    let hide = move || open.set(false);
    // Ctrl-K / ⌘K anywhere opens it (and closes it when open); removed with the console
    // (signing out and in again must not leave a listener on a disposed palette).
    let listener = window_event_listener(leptos::ev::keydown, move |ev| {
        if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("k") {
            ev.prevent_default();
            match open.try_get_untracked() {
                Some(true) => hide(),
                Some(false) => show(),
                None => {}
            }
        }
    });
    on_cleanup(move || listener.remove());
    Effect::new(move |_| {
        if open.get() {
            if let Some(el) = input.get() {
                let _ = el.focus();
            }
        }
    });
    let navigate = use_navigate();
    let go = move |href: String| {
        open.set(false);
        navigate(&href, Default::default());
    };
    let go_selected = {
        let go = go.clone();
        move || {
            let hit = results.with_untracked(|r| r.get(selected.get_untracked()).cloned());
            if let Some(hit) = hit {
                go(hit.href);
            }
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = results.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                selected.update(|s| *s = (*s + 1) % n);
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                selected.update(|s| *s = (*s + n - 1) % n);
            }
            "Enter" => {
                ev.prevent_default();
                go_selected();
            }
            "Escape" => {
                ev.prevent_default();
                hide();
            }
            _ => {}
        }
    };
    let status = move || {
        let n = results.with(Vec::len);
        let missing = index.with(|i| match i {
            Some(Ok(i)) if !i.missing.is_empty() => {
                format!(" Not searched just now: {}.", i.missing.join(", "))
            }
            Some(Err(e)) => format!(" Only pages: {e}"),
            _ => String::new(),
        });
        let what = if loading.get() && index.with(Option::is_none) {
            "Loading your resources…".to_owned()
        } else if n == 0 {
            "Nothing matches.".to_owned()
        } else if n == SHOWN {
            format!("The first {SHOWN} matches.")
        } else {
            format!("{n} match{}.", if n == 1 { "" } else { "es" })
        };
        format!("{what}{missing}")
    };
    view! {
        <button type="button" class="button subtle palette-open" id="palette-open"
            aria-haspopup="dialog" aria-keyshortcuts="Control+K Meta+K" on:click=move |_| show()>
            <span>"Search"</span>
            <kbd class="palette-kbd" aria-hidden="true">"Ctrl K"</kbd>
        </button>
        <div class="palette-backdrop" hidden=move || !open.get() on:click=move |_| hide()>
            <div class="palette" role="dialog" aria-modal="true" aria-label="Search" id="palette"
                on:click=|ev| ev.stop_propagation()>
                <input node_ref=input id="palette-input" type="search" autocomplete="off" spellcheck="false"
                    role="combobox" aria-expanded="true" aria-controls="palette-list" aria-autocomplete="list"
                    aria-label="Search resources and pages"
                    aria-activedescendant=move || results.with(|r| (!r.is_empty()).then(|| format!("palette-opt-{}", selected.get())))
                    placeholder="Find a VM, an IP address, a domain, a page…"
                    prop:value=move || query.get()
                    on:input=move |ev| { query.set(event_target_value(&ev)); selected.set(0); }
                    on:keydown=on_key />
                <ul id="palette-list" role="listbox" aria-label="Matches">
                    {move || {
                        let go = go.clone();
                        results.get().into_iter().enumerate().map(|(i, hit)| {
                            let go = go.clone();
                            let href = hit.href.clone();
                            view! {
                                <li role="option" id=format!("palette-opt-{i}") class="palette-item"
                                    class:selected=move || selected.get() == i
                                    aria-selected=move || (selected.get() == i).to_string()
                                    data-href=hit.href.clone()
                                    on:mousemove=move |_| selected.set(i)
                                    on:click=move |_| go(href.clone())>
                                    <span class="palette-kind">{hit.kind.clone()}</span>
                                    <span class="palette-name">{hit.name.clone()}</span>
                                    <span class="palette-extra">{hit.extra.clone()}</span>
                                </li>
                            }
                        }).collect_view()
                    }}
                </ul>
                <p class="palette-status muted small" id="palette-status" aria-live="polite">{status}</p>
            </div>
        </div>
    }
}
