//! Decoding the API's dialect (reference §2.3, CONFIRMED pattern): numbers and ids as JSON
//! strings, flags as `"yes"/"no"` or `"1"/""`, collections as arrays, as objects keyed by
//! id, or as numbered top-level keys beside `success`, an empty collection as `[]`, and
//! fields that change type. Unknown fields are ignored by every response type.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A number sent as a string (`"512"`, `"0.005"`) or, leniently, as a JSON number.
pub fn num<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match Value::deserialize(d)? {
        Value::String(s) => s.trim().parse().map_err(D::Error::custom),
        Value::Number(n) => n.to_string().parse().map_err(D::Error::custom),
        other => Err(D::Error::custom(format!("expected a number, got {other}"))),
    }
}

/// Like [`num`], but `""`, `null` or a missing field is `None`.
pub fn opt_num<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(D::Error::custom),
        Some(Value::Number(n)) => n.to_string().parse().map(Some).map_err(D::Error::custom),
        Some(other) => Err(D::Error::custom(format!("expected a number, got {other}"))),
    }
}

/// An id: a string (`"12102"`, a UUID) or a JSON number, kept as a string.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(D::Error::custom(format!("expected an id, got {other}"))),
    }
}

/// An optional id: missing, `null`, `""` or `"0"` (an unset numeric column) is `None`;
/// a string or a number otherwise.
pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() || s == "0" => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(D::Error::custom(format!("expected an id, got {other}"))),
    }
}

/// An optional flag: missing, `null` or `""` is `None`, otherwise as [`flag`].
pub fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => flag(v).map(Some).map_err(D::Error::custom),
    }
}

/// A flag: `"yes"`/`"no"`, `"1"`/`"0"`/`""`, `"true"`/`"false"` or a JSON boolean/number;
/// missing or `null` is false.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(Value::Number(n)) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "1" | "true" | "y" => Ok(true),
            "no" | "0" | "" | "false" | "n" => Ok(false),
            other => Err(D::Error::custom(format!("expected a flag, got {other:?}"))),
        },
        Some(other) => Err(D::Error::custom(format!("expected a flag, got {other}"))),
    }
}

/// A string that may also come as a number or `null` (→ `""`).
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(other) => Err(D::Error::custom(format!("expected text, got {other}"))),
    }
}

/// A list of strings that may come as an array, as an id-keyed object, as a comma-separated
/// string, or be missing.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()),
        Some(v) => items(v)
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(D::Error::custom(format!("expected a string, got {other}"))),
            })
            .collect(),
    }
}

/// A collection of `T`: a JSON array, an object keyed by id (values taken in key order,
/// numeric keys numerically), `[]`/`{}`/`""`/missing for none.
pub fn collection<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    items(value)
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(D::Error::custom))
        .collect()
}

/// Like [`collection`], but read row by row: a row that cannot be read (a required number
/// that came as `""` or `null`, a missing id) is left out and logged once, and the other
/// rows are kept. For lists where one odd row must not blank a whole page.
pub fn rows<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    Ok(rows_of(value, &[]))
}

/// The rows of a collection (array, id-keyed object, `[]`, anything else: none), each with
/// its `synonyms` filled ([`fill_synonyms`]) and read as `T`; a row that cannot be read is
/// left out and logged once (see [`rows`]).
pub fn rows_of<T: DeserializeOwned>(collection: Value, synonyms: &[(&str, &str)]) -> Vec<T> {
    items(collection)
        .into_iter()
        .filter_map(|row| match synonymous(row, synonyms) {
            Ok(row) => Some(row),
            Err(e) => {
                odd(std::any::type_name::<T>(), &e.to_string());
                None
            }
        })
        .collect()
}

/// For objects whose key names are UNKNOWN (or differ between actions): each `(field,
/// other)` pair copies `other` into `field` when `field` is missing, `null` or `""`. Pairs
/// are applied in order, so the first spelling present wins, and an object carrying two
/// spellings still reads (a serde `alias` would reject it as a duplicate field).
pub fn fill_synonyms(item: &mut Value, synonyms: &[(&str, &str)]) {
    let Value::Object(map) = item else {
        return;
    };
    for (field, other) in synonyms {
        let missing = match map.get(*field) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        if missing {
            if let Some(v) = map.get(*other).filter(|v| !v.is_null()).cloned() {
                map.insert((*field).to_owned(), v);
            }
        }
    }
}

/// A `T` read from `item` after [`fill_synonyms`].
pub fn synonymous<T: DeserializeOwned>(
    mut item: Value,
    synonyms: &[(&str, &str)],
) -> Result<T, serde_json::Error> {
    fill_synonyms(&mut item, synonyms);
    T::deserialize(item)
}

/// A reference to another object, in whatever shape it comes (shapes INFERRED: the VM a
/// volume is attached to, the volume a snapshot was taken of): a string or number as it is;
/// an object's `vm_id`, `volume_id`, `server_id`, `instance_id` or `id`; the first of a
/// list's. `""` when there is none or it is unreadable (an unreadable one is logged once):
/// never an error, so an odd reference cannot hide the row that carries it.
pub fn reference<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    fn reference(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Object(map) => ["vm_id", "volume_id", "server_id", "instance_id", "id"]
                .iter()
                .find_map(|k| map.get(*k).and_then(reference))
                .filter(|s| !s.is_empty()),
            Value::Array(list) => list.first().and_then(reference),
            Value::Null | Value::Bool(_) => None,
        }
    }
    let value = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    Ok(match (&value, reference(&value)) {
        (_, Some(r)) => r,
        (Value::Null | Value::Bool(false), None) => String::new(),
        (Value::Array(a), None) if a.is_empty() => String::new(),
        (other, None) => {
            odd("a reference", &other.to_string());
            String::new()
        }
    })
}

/// Like [`flag`], but a value that is not a flag is `false` (logged once): for flags a page
/// can be shown without.
pub fn lenient_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    let shown = value.as_ref().map(Value::to_string).unwrap_or_default();
    Ok(
        flag(value.unwrap_or(Value::Null)).unwrap_or_else(|e: serde_json::Error| {
            odd("a flag", &format!("{shown}: {e}"));
            false
        }),
    )
}

/// Like [`opt_num`], but a value that is not a number either is `None` too (logged once):
/// for numbers a row can be shown without.
pub fn lenient_num<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let parsed = match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|e: T::Err| (s.clone(), e.to_string())),
        Some(Value::Number(n)) => n
            .to_string()
            .parse()
            .map_err(|e: T::Err| (n.to_string(), e.to_string())),
        Some(other) => Err((other.to_string(), "not a number".to_owned())),
    };
    Ok(parsed
        .map_err(|(value, e)| odd("a number", &format!("{value:?}: {e}")))
        .ok())
}

/// Logs something odd in an answer, once per distinct text for the life of the process
/// (lists are read again and again; the log should say it once, not at every poll).
pub fn odd(what: &str, detail: &str) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let line = format!("{what}: {detail}");
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    // Bounded: past this many distinct oddities, further ones are not logged.
    if seen.len() < 256 && seen.insert(line.clone()) {
        tracing::warn!(target: "lunapanel::upstream", "Luna Node sent something odd, left out or shown as unknown: {line}");
    }
}

/// A map of `T` keyed by string (e.g. `region/list`'s code → name); `[]` is empty.
pub fn keyed<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Array(a)) if a.is_empty() => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                serde_json::from_value(v)
                    .map(|v| (k, v))
                    .map_err(D::Error::custom)
            })
            .collect(),
        Some(other) => Err(D::Error::custom(format!("expected an object, got {other}"))),
    }
}

/// A field whose type changes (image `metadata`: `""` or `[]` or an object): anything that
/// is not an object is an empty map.
pub fn lenient_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Value>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        Some(Value::Object(map)) => Ok(map.into_iter().collect()),
        _ => Ok(BTreeMap::new()),
    }
}

/// The values of an array or object (object keys that are numbers in numeric order, then
/// the rest in key order).
fn items(value: Value) -> Vec<Value> {
    match value {
        Value::Array(a) => a,
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(
                |(a, _), (b, _)| match (a.parse::<u64>(), b.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => std::cmp::Ordering::Less,
                    (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
                    (Err(_), Err(_)) => a.cmp(b),
                },
            );
            entries.into_iter().map(|(_, v)| v).collect()
        }
        _ => Vec::new(),
    }
}

/// Items stored as numbered top-level keys next to `success` (`sshkey/list`,
/// `securitygroup/rule-list`; reference §2.3, CONFIRMED): the values of every key that is a
/// whole number, in numeric order.
pub fn numbered_top_level<T: DeserializeOwned>(body: &Value) -> Result<Vec<T>, serde_json::Error> {
    let Some(map) = body.as_object() else {
        return Ok(Vec::new());
    };
    let mut numbered: Vec<(u64, &Value)> = map
        .iter()
        .filter_map(|(k, v)| k.parse::<u64>().ok().map(|n| (n, v)))
        .collect();
    numbered.sort_by_key(|(n, _)| *n);
    numbered
        .into_iter()
        .map(|(_, v)| T::deserialize(v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Sample {
        #[serde(deserialize_with = "num")]
        ram: u32,
        #[serde(deserialize_with = "num")]
        price: f64,
        #[serde(default, deserialize_with = "opt_num")]
        size: Option<u64>,
        #[serde(deserialize_with = "id")]
        vm_id: String,
        #[serde(default, deserialize_with = "flag")]
        external: bool,
        #[serde(default, deserialize_with = "flag")]
        is_read_only: bool,
        #[serde(default, deserialize_with = "strings")]
        ipv6: Vec<String>,
        #[serde(default, deserialize_with = "lenient_map")]
        metadata: BTreeMap<String, Value>,
    }

    #[test]
    fn numbers_as_strings_flags_and_type_changing_fields() {
        let s: Sample = serde_json::from_str(
            r#"{"ram":"512","price":"0.005","size":"","vm_id":"81ebdd9e-178f-49a4-816b-a1fc46fc5869",
                "external":"1","is_read_only":"no","ipv6":["2602:ffb6::1"],"metadata":"","extra":"ignored"}"#,
        )
        .unwrap();
        assert_eq!(s.ram, 512);
        assert!((s.price - 0.005).abs() < 1e-12);
        assert_eq!(s.size, None);
        assert!(s.external && !s.is_read_only);
        assert_eq!(s.ipv6, ["2602:ffb6::1"]);
        assert!(s.metadata.is_empty());
        // The same fields as JSON numbers / other spellings / missing.
        let s: Sample = serde_json::from_str(
            r#"{"ram":1024,"price":1,"size":"305135616","vm_id":12102,"external":"","metadata":[]}"#,
        )
        .unwrap();
        assert_eq!(
            (s.ram, s.size, s.vm_id.as_str()),
            (1024, Some(305_135_616), "12102")
        );
        assert!(!s.external && !s.is_read_only && s.ipv6.is_empty());
        let s: Sample =
            serde_json::from_str(r#"{"ram":"1","price":"2","vm_id":"x","metadata":{"k":"v"}}"#)
                .unwrap();
        assert_eq!(s.metadata["k"], "v");
        assert!(
            serde_json::from_str::<Sample>(r#"{"ram":"lots","price":"1","vm_id":"x"}"#).is_err()
        );
    }

    #[derive(Debug, Deserialize)]
    struct Coll {
        #[serde(default, deserialize_with = "collection")]
        items: Vec<Item>,
    }
    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        #[serde(deserialize_with = "id")]
        id: String,
    }

    #[test]
    fn collections_in_all_three_layouts() {
        let arr: Coll = serde_json::from_str(r#"{"items":[{"id":"1"},{"id":"2"}]}"#).unwrap();
        let obj: Coll =
            serde_json::from_str(r#"{"items":{"10":{"id":"10"},"9":{"id":"9"}}}"#).unwrap();
        let empty: Coll = serde_json::from_str(r#"{"items":[]}"#).unwrap();
        let missing: Coll = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(arr.items.len(), 2);
        assert_eq!(
            obj.items,
            [Item { id: "9".into() }, Item { id: "10".into() }],
            "numeric order"
        );
        assert!(empty.items.is_empty() && missing.items.is_empty());
        let top: Value = serde_json::from_str(
            r#"{"1":{"id":"b"},"success":"yes","0":{"id":"a"},"10":{"id":"c"}}"#,
        )
        .unwrap();
        let listed: Vec<Item> = numbered_top_level(&top).unwrap();
        assert_eq!(
            listed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        let none: Vec<Item> = numbered_top_level(&serde_json::json!({"success":"yes"})).unwrap();
        assert!(none.is_empty());
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Sized {
        #[serde(deserialize_with = "id")]
        id: String,
        #[serde(deserialize_with = "num")]
        ram: u32,
        #[serde(default, deserialize_with = "lenient_num")]
        size: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    struct Rows {
        #[serde(default, deserialize_with = "rows")]
        items: Vec<Sized>,
    }

    #[test]
    fn an_odd_row_is_left_out_and_the_rest_kept() {
        let r: Rows = serde_json::from_str(
            r#"{"items":[{"id":"1","ram":"512","size":"10"},{"id":"2","ram":""},{"id":"3","ram":null},
                {"ram":"1"},{"id":"5","ram":"2048","size":""},{"id":"6","ram":"1","size":"lots"},{"id":"7","ram":"1","size":null}]}"#,
        )
        .unwrap();
        let got: Vec<(&str, Option<u32>)> =
            r.items.iter().map(|i| (i.id.as_str(), i.size)).collect();
        assert_eq!(
            got,
            [("1", Some(10)), ("5", None), ("6", None), ("7", None)]
        );
        let keyed: Rows =
            serde_json::from_str(r#"{"items":{"9":{"id":"9","ram":"1"},"8":{"id":"8","ram":[]}}}"#)
                .unwrap();
        assert_eq!(keyed.items.len(), 1);
        let none: Rows = serde_json::from_str(r#"{"items":[]}"#).unwrap();
        assert!(none.items.is_empty());
    }

    #[test]
    fn keyed_maps_accept_the_empty_array() {
        #[derive(Deserialize)]
        struct R {
            #[serde(deserialize_with = "keyed")]
            regions: BTreeMap<String, String>,
        }
        let r: R = serde_json::from_str(r#"{"regions":{"toronto":"Toronto, Canada"}}"#).unwrap();
        assert_eq!(r.regions["toronto"], "Toronto, Canada");
        let r: R = serde_json::from_str(r#"{"regions":[]}"#).unwrap();
        assert!(r.regions.is_empty());
    }
}
