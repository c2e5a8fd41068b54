//! Answers in the service's own dialect: a PHP `json_encode` object — every scalar a
//! string, `/` escaped as `\/`, non-ASCII as `\uXXXX` (reference §2.1, CONFIRMED) — sent
//! with HTTP 200 whether the call succeeded or not, labelled `text/html` as PHP labels
//! whatever a script prints unless told otherwise (so a client must not rely on the type).

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// Encodes like PHP's `json_encode` with default flags.
pub fn php_json(value: &Value) -> String {
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len() + 16);
    for c in plain.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

/// The content type of every JSON answer (PHP's default header).
pub const CONTENT_TYPE_HTML: &str = "text/html; charset=UTF-8";

fn reply(value: &Value) -> Response {
    ([(CONTENT_TYPE, CONTENT_TYPE_HTML)], php_json(value)).into_response()
}

/// `{"success":"yes", …fields}`.
pub fn ok(fields: Map<String, Value>) -> Response {
    let mut body = Map::new();
    body.insert("success".into(), "yes".into());
    body.extend(fields);
    reply(&Value::Object(body))
}

/// `{"success":"yes"}` and nothing else.
pub fn done() -> Response {
    ok(Map::new())
}

/// `{"success":"no","error":text}`.
pub fn fail(text: &str) -> Response {
    reply(&json!({ "success": "no", "error": text }))
}

/// Builds a JSON object from `(key, value)` pairs.
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_php() {
        let v = json!({"url": "https://x/y", "name": "café 🚀"});
        let s = php_json(&v);
        assert!(s.contains(r"https:\/\/x\/y"), "{s}");
        assert!(s.contains(r"caf\u00e9 \ud83d\ude80"), "{s}");
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
