//! The rules of a list, apart from how it is drawn: search by text, per-list filters, sort
//! by a column either way with a stable tie-break, and pages (sizes 25/50/100/200, default
//! 50; a page past the end shows the last one). Pure, so the server pages exactly as the
//! browser does and the tests below pin it down. [`super::list::ListSpec`] drives them with a
//! list's columns; a list's server function pages its rows with them before sending any.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// The page sizes offered.
pub const SIZES: [usize; 4] = [25, 50, 100, 200];
/// The page size unless one is asked for.
pub const DEFAULT_SIZE: usize = 50;

/// What a column sorts by. Text sorts naturally (`web-2` before `web-10`, case aside);
/// missing values sort last in both directions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Text(String),
    Number(i64),
    Missing,
}

impl SortValue {
    /// Text; empty (or blank) text is [`SortValue::Missing`].
    pub fn text(s: &str) -> Self {
        if s.trim().is_empty() {
            SortValue::Missing
        } else {
            SortValue::Text(s.to_owned())
        }
    }

    pub fn opt_text(s: Option<&str>) -> Self {
        s.map_or(SortValue::Missing, SortValue::text)
    }

    pub fn number(n: impl Into<i64>) -> Self {
        SortValue::Number(n.into())
    }

    pub fn opt_number<N: Into<i64>>(n: Option<N>) -> Self {
        n.map_or(SortValue::Missing, SortValue::number)
    }
}

/// Compares two sort values; `desc` reverses everything but where missing values go.
pub fn compare(a: &SortValue, b: &SortValue, desc: bool) -> Ordering {
    let flip = |o: Ordering| if desc { o.reverse() } else { o };
    match (a, b) {
        (SortValue::Missing, SortValue::Missing) => Ordering::Equal,
        (SortValue::Missing, _) => Ordering::Greater,
        (_, SortValue::Missing) => Ordering::Less,
        (SortValue::Number(x), SortValue::Number(y)) => flip(x.cmp(y)),
        (SortValue::Text(x), SortValue::Text(y)) => flip(natural(x, y)),
        (SortValue::Number(_), SortValue::Text(_)) => flip(Ordering::Less),
        (SortValue::Text(_), SortValue::Number(_)) => flip(Ordering::Greater),
    }
}

/// Natural order: runs of digits compare as numbers, the rest case-insensitively; exact
/// spelling breaks ties.
pub fn natural(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, chunk)) if *d == digit => chunk.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, x), (db, y)) in ca.iter().zip(cb.iter()) {
        let o = match (da, db) {
            (true, true) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            _ => x.to_lowercase().cmp(&y.to_lowercase()),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// Whether every whitespace-separated term of `query` occurs in `haystack`, ignoring case.
pub fn matches_search(haystack: &str, query: &str) -> bool {
    let haystack = haystack.to_lowercase();
    query
        .split_whitespace()
        .all(|term| haystack.contains(&term.to_lowercase()))
}

/// A row's value for a filter (or its text, or its identity).
pub type RowText<T> = fn(&T) -> String;
/// A column's sort key.
pub type SortKey<T> = fn(&T) -> SortValue;

/// How a list picks and orders its rows: each a plain function of a row.
pub struct Rules<'a, T> {
    /// The text a row is found by (none: the search keeps every row).
    pub search: Option<RowText<T>>,
    /// Each filter's value of a row, with the chosen value (`""` keeps every row).
    pub filters: Vec<(RowText<T>, &'a str)>,
    /// The sort key and whether descending (none: the rows keep their order).
    pub sort: Option<(SortKey<T>, bool)>,
    /// The row's identity: breaks ties, so equal keys keep one order on every page.
    pub id: RowText<T>,
}

impl<T: Clone> Rules<'_, T> {
    /// The rows `query` finds, filtered and sorted.
    pub fn select(&self, rows: &[T], query: &str) -> Vec<T> {
        let mut out: Vec<T> = rows
            .iter()
            .filter(|r| self.search.is_none_or(|s| matches_search(&s(r), query)))
            .filter(|r| {
                self.filters
                    .iter()
                    .all(|(value, chosen)| chosen.is_empty() || value(r) == *chosen)
            })
            .cloned()
            .collect();
        if let Some((key, desc)) = self.sort {
            let id = self.id;
            // Keys computed once per row, not once per comparison.
            let mut keyed: Vec<(SortValue, String, T)> =
                out.into_iter().map(|r| (key(&r), id(&r), r)).collect();
            keyed.sort_by(|a, b| compare(&a.0, &b.0, desc).then_with(|| natural(&a.1, &b.1)));
            out = keyed.into_iter().map(|(_, _, r)| r).collect();
        }
        out
    }
}

/// `size` if it is one offered, else the default.
pub fn clamp_size(size: usize) -> usize {
    if SIZES.contains(&size) {
        size
    } else {
        DEFAULT_SIZE
    }
}

/// How many pages `filtered` rows make (at least one, empty).
pub fn page_count(filtered: usize, size: usize) -> usize {
    let size = clamp_size(size);
    filtered.div_ceil(size).max(1)
}

/// Where a page stands, as the pager shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    /// Every row the viewer may see, before the search and filters.
    pub total: usize,
    /// The rows the search and filters keep.
    pub filtered: usize,
    /// The page shown, from 1 (clamped to the last).
    pub page: usize,
    pub size: usize,
    /// The values each filter offering values from the rows may choose (all rows', not
    /// only this page's), in the filters' order; empty for a fixed filter.
    #[serde(default)]
    pub choices: Vec<Vec<String>>,
}

impl PageInfo {
    pub fn pages(&self) -> usize {
        page_count(self.filtered, self.size)
    }

    /// The rows shown, from 1: `51–100`; `0–0` when none.
    pub fn first_last(&self) -> (usize, usize) {
        if self.filtered == 0 {
            return (0, 0);
        }
        let first = (self.page - 1) * self.size + 1;
        (first, (first + self.size - 1).min(self.filtered))
    }

    /// `51–100 of 520`.
    pub fn range_text(&self) -> String {
        let (first, last) = self.first_last();
        format!("{first}–{last} of {}", self.filtered)
    }
}

/// Page `page` (from 1; 0 and past-the-end clamp) of `size` (clamped) of `filtered` rows.
pub fn paginate<T>(filtered: Vec<T>, total: usize, page: usize, size: usize) -> (Vec<T>, PageInfo) {
    let size = clamp_size(size);
    let count = filtered.len();
    let page = page.clamp(1, page_count(count, size));
    let rows = filtered
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    let info = PageInfo {
        total,
        filtered: count,
        page,
        size,
        choices: Vec::new(),
    };
    (rows, info)
}

/// What a list asks its server function for: search, filters (in the list's order), sort
/// (a column index), direction, page and size. Every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PageRequest {
    pub search: String,
    pub filters: Vec<String>,
    pub sort: Option<usize>,
    pub desc: bool,
    pub page: usize,
    pub size: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Row {
        id: String,
        name: String,
        region: &'static str,
        ram: Option<u32>,
    }

    fn rows(n: usize) -> Vec<Row> {
        (1..=n)
            .map(|i| Row {
                id: format!("{i}"),
                name: format!("web-{}", i % 7),
                region: if i % 2 == 0 { "toronto" } else { "montreal" },
                ram: (i % 5 != 0).then_some((i % 3) as u32 * 1024),
            })
            .collect()
    }

    fn rules(region: &str, sort: Option<(SortKey<Row>, bool)>) -> Rules<'_, Row> {
        Rules {
            search: Some(|r| format!("{} {}", r.name, r.id)),
            filters: vec![(|r| r.region.to_owned(), region)],
            sort,
            id: |r| r.id.clone(),
        }
    }

    fn ids(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn search_filters_every_term_ignoring_case() {
        let all = rows(30);
        let r = rules("", None);
        assert_eq!(r.select(&all, "").len(), 30);
        assert_eq!(ids(&r.select(&all, "WEB-3 1")), ["10", "17"]);
        assert!(r.select(&all, "nothing").is_empty());
        let toronto = rules("toronto", None);
        assert!(toronto
            .select(&all, "")
            .iter()
            .all(|r| r.region == "toronto"));
        assert_eq!(toronto.select(&all, "").len(), 15);
    }

    #[test]
    fn sorts_either_way_with_ties_broken_by_id_and_missing_last() {
        let all = rows(10);
        let by_ram: fn(&Row) -> SortValue = |r| SortValue::opt_number(r.ram);
        let asc = rules("", Some((by_ram, false))).select(&all, "");
        // RAM 0: 3, 6, 9; 1024: 1, 4, 7; 2048: 2, 8; missing: 5, 10 (last, by id).
        assert_eq!(
            ids(&asc),
            ["3", "6", "9", "1", "4", "7", "2", "8", "5", "10"]
        );
        let desc = rules("", Some((by_ram, true))).select(&all, "");
        assert_eq!(
            ids(&desc),
            ["2", "8", "1", "4", "7", "3", "6", "9", "5", "10"]
        );
        let by_name: fn(&Row) -> SortValue = |r| SortValue::text(&r.name);
        let named = rules("", Some((by_name, false))).select(&all, "");
        assert_eq!(ids(&named)[..3], ["7", "1", "8"]);
    }

    #[test]
    fn pages_clamp_their_number_and_size() {
        let all: Vec<usize> = (1..=520).collect();
        let (rows, info) = paginate(all.clone(), 600, 1, 50);
        assert_eq!((rows[0], rows.len()), (1, 50));
        assert_eq!(info.range_text(), "1–50 of 520");
        assert_eq!((info.total, info.pages()), (600, 11));
        let (rows, info) = paginate(all.clone(), 520, 2, 50);
        assert_eq!(info.range_text(), "51–100 of 520");
        assert_eq!(rows[0], 51);
        // Past the end: the last page, with what is left.
        let (rows, info) = paginate(all.clone(), 520, 99, 50);
        assert_eq!((info.page, rows.len(), rows[0]), (11, 20, 501));
        assert_eq!(info.range_text(), "501–520 of 520");
        // Page 0 is the first; an unknown size is the default.
        let (_, info) = paginate(all.clone(), 520, 0, 7);
        assert_eq!((info.page, info.size), (1, DEFAULT_SIZE));
        let (rows, info) = paginate(all, 520, 2, 200);
        assert_eq!((rows.len(), info.pages()), (200, 3));
        // Nothing found: one empty page.
        let (rows, info) = paginate(Vec::<u8>::new(), 5, 3, 25);
        assert!(rows.is_empty());
        assert_eq!((info.page, info.pages()), (1, 1));
        assert_eq!(info.range_text(), "0–0 of 0");
    }

    #[test]
    fn natural_order() {
        assert_eq!(natural("web-2", "web-10"), Ordering::Less);
        assert_eq!(natural("a", "B"), Ordering::Less);
        assert_eq!(
            compare(&SortValue::Missing, &SortValue::number(1), true),
            Ordering::Greater
        );
    }
}
