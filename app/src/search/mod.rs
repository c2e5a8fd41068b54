//! The command palette's index: every resource of every kind the viewer may see, from the
//! instance's shared caches (the VM poller, and one poller per kind — the same that keep
//! the pages live), fetched once per opening of the palette and matched in the browser.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::model::search::*;

/// Every resource the caller may see, with where it opens.
#[server(name = SearchIndexFn, endpoint = "search/index")]
pub async fn search_index() -> Result<SearchIndex, AppError> {
    use std::time::Duration;

    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;

    let g = authorize::<api::VmList>(Target::Account).await?;
    if g.state().store.credential(g.account).await?.is_none() {
        return Err(AppError::NoCredential);
    }
    let others: Vec<&'static kinds::Kind> = kinds::KINDS
        .iter()
        .copied()
        .filter(|k| k.key != kinds::VM.key && k.lister.is_some() && k.path.is_some())
        .collect();
    let wait = Duration::from_secs(4);
    let (vms, lists) = futures::join!(
        crate::vm::ssr::snapshot(&g),
        futures::future::join_all(others.iter().map(|k| g.cached_kind(k, wait)))
    );
    let mut index = SearchIndex::default();
    match vms {
        Ok(s) => {
            for v in g.filter_snapshot(&s).vms {
                let extra = [v.ip.as_str(), v.private_ip.as_str(), v.region.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                index.items.push(SearchItem {
                    kind: "Virtual machine".into(),
                    href: kinds::VM.href(&v.vm_id).unwrap_or_default(),
                    name: v.name,
                    id: v.vm_id,
                    extra,
                });
            }
        }
        Err(_) => index.missing.push(kinds::VM.plural.to_owned()),
    }
    for (kind, listed) in others.into_iter().zip(lists) {
        match listed {
            Ok((rows, problem)) => {
                if problem.is_some() && rows.is_empty() {
                    index.missing.push(kind.plural.to_owned());
                }
                for r in rows {
                    let Some(href) = kind.href(&r.id) else {
                        continue;
                    };
                    let mut noun = kind.noun.to_owned();
                    if let Some(first) = noun.get_mut(..1) {
                        first.make_ascii_uppercase();
                    }
                    index.items.push(SearchItem {
                        kind: noun,
                        name: if r.name.trim().is_empty() {
                            r.id.clone()
                        } else {
                            r.name
                        },
                        id: r.id,
                        extra: r.region,
                        href,
                    });
                }
            }
            // A kind this caller may not list (a customer without it) is simply left out.
            Err(AppError::Forbidden | AppError::NotFound(_)) => {}
            Err(_) => index.missing.push(kind.plural.to_owned()),
        }
    }
    Ok(index)
}
