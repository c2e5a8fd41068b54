//! The command palette's index and matching: every resource the viewer may see (by name,
//! id, IP address or domain) and every page, ranked as the user types. Matching runs in
//! the browser over an index fetched once per opening, so typing costs no request.

use serde::{Deserialize, Serialize};

/// One thing the palette can open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchItem {
    /// "Virtual machine", "Volume", "Page".
    pub kind: String,
    pub name: String,
    pub id: String,
    /// Also matched and shown: addresses, region, a domain's ASCII form.
    pub extra: String,
    pub href: String,
}

/// The resources of the index, with the kinds whose list could not be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchIndex {
    pub items: Vec<SearchItem>,
    pub missing: Vec<String>,
}

/// How well `item` matches `query` (lower is better); `None`: not at all. Every word of
/// the query must occur (case aside) in the name, id or extra; a name or id starting with
/// the query ranks first, then a word of it, then anywhere.
pub fn score(item: &SearchItem, query: &str) -> Option<u32> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Some(if item.kind == "Page" { 0 } else { 10 });
    }
    let name = item.name.to_lowercase();
    let id = item.id.to_lowercase();
    let extra = item.extra.to_lowercase();
    let hay = format!("{name} {id} {extra} {}", item.kind.to_lowercase());
    if !q.split_whitespace().all(|w| hay.contains(w)) {
        return None;
    }
    let exact = name == q || id == q || extra.split_whitespace().any(|e| e == q);
    let prefix = name.starts_with(&q) || id.starts_with(&q);
    let word = name
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w.starts_with(&q))
        || extra.split_whitespace().any(|e| e.starts_with(&q));
    let base = if exact {
        0
    } else if prefix {
        1
    } else if word {
        2
    } else {
        3
    };
    // Pages before resources at the same rank, shorter names first.
    let page = u32::from(item.kind != "Page");
    Some(base * 1000 + page * 500 + u32::try_from(name.len().min(400)).unwrap_or(400))
}

/// The best `limit` matches of `query`, best first (stable among equals).
pub fn best<'a>(items: &'a [SearchItem], query: &str, limit: usize) -> Vec<&'a SearchItem> {
    let mut hits: Vec<(u32, usize, &SearchItem)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| score(it, query).map(|s| (s, i, it)))
        .collect();
    hits.sort_by_key(|(s, i, _)| (*s, *i));
    hits.into_iter().take(limit).map(|(_, _, it)| it).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &str, name: &str, id: &str, extra: &str) -> SearchItem {
        SearchItem {
            kind: kind.into(),
            name: name.into(),
            id: id.into(),
            extra: extra.into(),
            href: format!("/x/{id}"),
        }
    }

    #[test]
    fn finds_by_name_id_address_and_domain() {
        let items = vec![
            item(
                "Virtual machine",
                "web-1",
                "9ddab570",
                "203.0.113.10 10.0.0.5",
            ),
            item("Virtual machine", "db-1", "1f2e", "203.0.113.11"),
            item("DNS zone", "example.com", "12", ""),
            item("Page", "Volumes", "/volumes", ""),
            item("Volume", "web-data", "77", "toronto"),
        ];
        let names = |q: &str| {
            best(&items, q, 10)
                .iter()
                .map(|i| i.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("203.0.113.11"), ["db-1"]);
        assert_eq!(names("10.0.0.5"), ["web-1"]);
        assert_eq!(names("9ddab"), ["web-1"]);
        assert_eq!(names("example"), ["example.com"]);
        // A prefix of the name before a word inside it; every word must match.
        assert_eq!(names("web"), ["web-1", "web-data"]);
        assert_eq!(names("data web"), ["web-data"]);
        assert_eq!(names("VOL"), ["Volumes", "web-data"]);
        assert!(names("nothing-like-it").is_empty());
        // Nothing typed: pages first.
        assert_eq!(names("")[0], "Volumes");
        assert_eq!(best(&items, "", 2).len(), 2);
    }
}
