//! BIND zone files (RFC 1035 master files) in and out (server only). Export writes every
//! record; dns2 policies, which a zone file cannot say, go in a comment after the record.
//! Import reads `$ORIGIN`, `$TTL`, comments, blank owners (the previous one), optional TTL
//! and class, parentheses over several lines and quoted strings, and hands each record to
//! the same checks the form uses: a line that fails them, a type the zone kind does not
//! take, a record already in the zone or the zone's own SOA/NS is skipped with the reason.

use crate::model::dns::*;

use super::check;

/// The zone `zone` (ASCII, no dot) with `records`, as a zone file.
pub fn export(zone: &str, ttl: Option<u32>, records: &[RecordRow]) -> String {
    let mut out = format!(
        "; {zone}, exported by lunapanel\n$ORIGIN {zone}.\n$TTL {}\n",
        ttl.unwrap_or(DEFAULT_TTL)
    );
    let mut sorted: Vec<&RecordRow> = records.iter().collect();
    sorted.sort_by(|a, b| {
        (a.name != "@", &a.name, &a.rtype, &a.data).cmp(&(
            b.name != "@",
            &b.name,
            &b.rtype,
            &b.data,
        ))
    });
    for r in sorted {
        let data = if matches!(r.rtype.as_str(), "TXT" | "SPF") {
            check::quote_txt(&r.data)
        } else {
            r.data.clone()
        };
        let ttl = r.ttl.unwrap_or(ttl.unwrap_or(DEFAULT_TTL));
        let prio = r.priority.map(|p| format!("{p} ")).unwrap_or_default();
        out.push_str(&format!("{}\t{ttl}\tIN\t{}\t{prio}{data}", r.name, r.rtype));
        let policy = r.policy();
        if r.route != Route::Plain || r.weight > 0 || !r.monitor_id.is_empty() {
            out.push_str(&format!("\t; lunapanel policy: {policy}"));
        }
        out.push('\n');
    }
    out
}

/// One logical record of a file: its first line and its fields.
struct Entry {
    line: usize,
    text: String,
    fields: Vec<String>,
    /// Whether the line began with white space (the owner is the previous one).
    blank_owner: bool,
}

/// Splits a file into logical entries: comments dropped, parentheses joined, quoted
/// strings kept whole (with their quotes). A quote left open ends the entry with an error.
fn entries(text: &str) -> Vec<Result<Entry, (usize, String, String)>> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let mut fields = Vec::new();
        let mut depth = 0usize;
        let mut current = raw.to_owned();
        let mut whole = raw.trim().to_owned();
        let blank_owner = raw.starts_with([' ', '\t']);
        loop {
            match split_fields(&current, &mut depth, &mut fields) {
                Ok(()) => {}
                Err(e) => {
                    out.push(Err((i + 1, whole.clone(), e)));
                    fields.clear();
                    break;
                }
            }
            if depth == 0 {
                break;
            }
            match lines.next() {
                Some((_, next)) => {
                    whole.push(' ');
                    whole.push_str(next.trim());
                    current = next.to_owned();
                }
                None => {
                    out.push(Err((
                        i + 1,
                        whole.clone(),
                        "A parenthesis is not closed.".into(),
                    )));
                    fields.clear();
                    break;
                }
            }
        }
        if !fields.is_empty() {
            out.push(Ok(Entry {
                line: i + 1,
                text: whole,
                fields,
                blank_owner,
            }));
        }
    }
    out
}

fn split_fields(line: &str, depth: &mut usize, fields: &mut Vec<String>) -> Result<(), String> {
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ';' => break,
            '(' => {
                *depth += 1;
                chars.next();
            }
            ')' => {
                *depth = depth.checked_sub(1).ok_or("A ) has no (.")?;
                chars.next();
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '"' => {
                let mut word = String::from('"');
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    word.push(c);
                    if c == '\\' {
                        if let Some(e) = chars.next() {
                            word.push(e);
                        }
                    } else if c == '"' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err("A quote is not closed.".into());
                }
                fields.push(word);
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, ';' | '(' | ')' | '"') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                fields.push(word);
            }
        }
    }
    Ok(())
}

const CLASSES: &[&str] = &["IN", "CH", "HS", "CS"];

fn is_ttl(w: &str) -> bool {
    !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()) || bind_ttl(w).is_some()
}

/// `3600`, or BIND's units: `1h30m`, `1d`, `2w`.
fn bind_ttl(w: &str) -> Option<u32> {
    if let Ok(n) = w.parse::<u32>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut n: u64 = 0;
    let mut any = false;
    for c in w.chars() {
        if let Some(d) = c.to_digit(10) {
            n = n.checked_mul(10)?.checked_add(u64::from(d))?;
            any = true;
        } else {
            let unit = match c.to_ascii_lowercase() {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return None,
            };
            if !any {
                return None;
            }
            total += n * unit;
            n = 0;
            any = false;
        }
    }
    if any {
        return None;
    }
    u32::try_from(total).ok().filter(|t| *t > 0)
}

/// Reads `text` for zone `zone` (ASCII, no dot) of the given kind. `existing`: the zone's
/// records (duplicates are skipped). Returns the preview and the checked records to add.
pub fn read(
    text: &str,
    zone: &str,
    legacy: bool,
    existing: &[RecordRow],
    regions: &[String],
) -> (ImportPreview, Vec<check::Checked>) {
    let mut preview = ImportPreview::default();
    let mut add: Vec<check::Checked> = Vec::new();
    let mut origin = format!("{zone}.");
    let mut default_ttl: Option<u32> = None;
    let mut previous_owner: Option<String> = None;
    let types = if legacy { LEGACY_TYPES } else { DNS2_TYPES };
    let skip = |p: &mut ImportPreview, line: usize, text: &str, reason: &str| {
        p.skipped.push(ImportLine {
            line,
            text: text.to_owned(),
            reason: reason.to_owned(),
        });
    };
    for entry in entries(text) {
        let e = match entry {
            Ok(e) => e,
            Err((line, text, reason)) => {
                skip(&mut preview, line, &text, &reason);
                continue;
            }
        };
        let f = &e.fields;
        if f[0].starts_with('$') {
            match (f[0].to_ascii_uppercase().as_str(), f.get(1)) {
                ("$ORIGIN", Some(o)) => {
                    let o = o.to_ascii_lowercase();
                    let abs = if o.ends_with('.') {
                        o
                    } else {
                        format!("{o}.{origin}")
                    };
                    if abs == format!("{zone}.") || abs.ends_with(&format!(".{zone}.")) {
                        origin = abs;
                    } else {
                        skip(&mut preview, e.line, &e.text, &format!("$ORIGIN {abs} is outside {zone}: the records after it are read as {origin}"));
                    }
                }
                ("$TTL", Some(t)) => match bind_ttl(t) {
                    Some(t) => default_ttl = Some(t),
                    None => skip(&mut preview, e.line, &e.text, "Not a TTL."),
                },
                (d, _) => skip(
                    &mut preview,
                    e.line,
                    &e.text,
                    &format!(
                        "{d} is not supported: paste the file it names, or the records it makes."
                    ),
                ),
            }
            continue;
        }
        // [owner] [ttl] [class] type data… (ttl and class in either order).
        let mut i = 0;
        let owner_raw = if e.blank_owner {
            match &previous_owner {
                Some(o) => o.clone(),
                None => {
                    skip(
                        &mut preview,
                        e.line,
                        &e.text,
                        "The record has no owner name, and none came before it.",
                    );
                    continue;
                }
            }
        } else {
            i = 1;
            f[0].clone()
        };
        let mut ttl: Option<u32> = None;
        for _ in 0..2 {
            match f.get(i) {
                Some(w)
                    if ttl.is_none()
                        && is_ttl(w)
                        && !types.contains(&w.to_ascii_uppercase().as_str()) =>
                {
                    ttl = bind_ttl(w);
                    i += 1;
                }
                Some(w) if CLASSES.contains(&w.to_ascii_uppercase().as_str()) => {
                    if !w.eq_ignore_ascii_case("IN") {
                        i = usize::MAX;
                        break;
                    }
                    i += 1;
                }
                _ => {}
            }
        }
        if i == usize::MAX {
            skip(
                &mut preview,
                e.line,
                &e.text,
                "Only class IN records are served.",
            );
            continue;
        }
        let Some(rtype) = f.get(i).map(|t| t.to_ascii_uppercase()) else {
            skip(
                &mut preview,
                e.line,
                &e.text,
                "The line has no record type.",
            );
            continue;
        };
        // The owner, absolute (with the dot), from the origin in force.
        let owner_abs = {
            let o = owner_raw.to_ascii_lowercase();
            if o == "@" {
                origin.clone()
            } else if o.ends_with('.') {
                o
            } else {
                format!("{o}.{origin}")
            }
        };
        previous_owner = Some(owner_abs.clone());
        let rest = &f[i + 1..];
        if rtype == "SOA" {
            skip(
                &mut preview,
                e.line,
                &e.text,
                "Luna Node writes the zone's SOA record itself.",
            );
            continue;
        }
        if rtype == "NS" && owner_abs == format!("{zone}.") {
            skip(&mut preview, e.line, &e.text, "The zone's own name servers are Luna Node's (INFERRED): delegate the domain to them at your registrar.");
            continue;
        }
        if !types.contains(&rtype.as_str()) {
            let kind = if legacy {
                "legacy zones"
            } else {
                "Luna Node's DNS"
            };
            skip(
                &mut preview,
                e.line,
                &e.text,
                &format!("{rtype} records are not offered by {kind}."),
            );
            continue;
        }
        let mut form = NewRecord {
            rtype: rtype.clone(),
            name: owner_abs,
            ttl: ttl
                .or(default_ttl)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            route: "plain".into(),
            ..Default::default()
        };
        let relative_target = |w: &str| -> String {
            // Names in a file are relative to the origin unless they end in a dot.
            if w == "@" {
                origin.clone()
            } else if w.ends_with('.') || w == "." {
                w.to_owned()
            } else {
                format!("{w}.{}", origin)
            }
        };
        let data = match (rtype.as_str(), rest) {
            (_, []) => {
                skip(&mut preview, e.line, &e.text, "The record has no data.");
                continue;
            }
            ("MX", [p, host]) if !legacy => {
                form.priority = p.clone();
                relative_target(host)
            }
            ("SRV", [p, w, port, host]) if !legacy => {
                form.priority = p.clone();
                format!("{w} {port} {}", relative_target(host))
            }
            ("MX", [p, host]) => format!("{p} {}", relative_target(host)),
            ("SRV", [p, w, port, host]) => format!("{p} {w} {port} {}", relative_target(host)),
            ("CNAME" | "ALIAS" | "NS" | "PTR", [host]) => relative_target(host),
            ("TXT" | "SPF", words) => words.join(" "),
            (_, words) => words.join(" "),
        };
        form.data = data;
        let line_text = e.text.clone();
        match check::record(&form, zone, legacy, regions, &[]) {
            Ok(c) => {
                if existing.iter().any(|r| c.same_as(r)) {
                    skip(&mut preview, e.line, &line_text, "Already in the zone.");
                } else if add.iter().any(|a| {
                    a.name == c.name
                        && a.rtype == c.rtype
                        && a.data == c.data
                        && a.priority == c.priority
                }) {
                    skip(
                        &mut preview,
                        e.line,
                        &line_text,
                        "The same record is earlier in the file.",
                    );
                } else {
                    preview.add.push(ImportLine {
                        line: e.line,
                        text: c.line(),
                        reason: String::new(),
                    });
                    add.push(c);
                }
            }
            Err(errors) => {
                let reason = errors
                    .0
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join(" ");
                skip(&mut preview, e.line, &line_text, &reason);
            }
        }
    }
    (preview, add)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"; a zone from elsewhere
$ORIGIN example.com.
$TTL 1h
@   IN SOA ns1.other.net. admin.example.com. (
        2024010101 ; serial
        3600 600 86400 300 )
@       IN  NS   ns1.other.net.
@       300 IN  A    203.0.113.5
        IN  AAAA 2001:db8::5
www     IN  CNAME @
mail    IN  A    203.0.113.6
@       IN  MX   10 mail
_sip._udp IN SRV 10 5 5060 sip.example.com.
@       IN  TXT  "v=spf1 mx -all"
big     IN  TXT  ( "part one "
                   "part two" )
@       IN  CAA  0 issue "letsencrypt.org"
bad     IN  A    999.1.1.1
"#;

    #[test]
    fn a_file_becomes_records_and_reasons() {
        let (p, add) = read(FILE, "example.com", false, &[], &[]);
        let texts: Vec<&str> = p.add.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "@ 300 A 203.0.113.5",
                "@ 3600 AAAA 2001:db8::5",
                "www 3600 CNAME example.com.",
                "mail 3600 A 203.0.113.6",
                "@ 3600 MX 10 mail.example.com.",
                "_sip._udp 3600 SRV 10 5 5060 sip.example.com.",
                "@ 3600 TXT \"v=spf1 mx -all\"",
                "big 3600 TXT \"part one part two\"",
            ]
        );
        assert_eq!(add.len(), 8);
        let reasons: Vec<(usize, &str)> = p
            .skipped
            .iter()
            .map(|l| (l.line, l.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert_eq!(reasons[0].0, 4, "SOA, from its first line");
        assert!(reasons[1].1.contains("name servers"));
        assert!(reasons[2].1.contains("CAA"));
        assert_eq!(reasons[3].0, 18);
        assert!(reasons[3].1.contains("IPv4"), "{}", reasons[3].1);
    }

    #[test]
    fn export_reads_back_the_same_records() {
        let (_, add) = read(FILE, "example.com", false, &[], &[]);
        let rows: Vec<RecordRow> = add
            .iter()
            .enumerate()
            .map(|(i, c)| RecordRow {
                id: i.to_string(),
                name: c.name.clone(),
                rtype: c.rtype.clone(),
                data: c.data.clone(),
                ttl: Some(c.ttl),
                priority: c.priority,
                route: if i == 0 {
                    Route::Country("CA".into())
                } else {
                    Route::Plain
                },
                weight: 0,
                global: None,
                monitor_id: String::new(),
                monitor_name: String::new(),
            })
            .collect();
        let text = export("example.com", Some(3600), &rows);
        assert!(text.contains("; lunapanel policy: Country CA"), "{text}");
        let (again, _) = read(&text, "example.com", false, &[], &[]);
        assert_eq!(again.add.len(), rows.len(), "{text}\n{:?}", again.skipped);
        let (dupes, none) = read(&text, "example.com", false, &rows, &[]);
        assert!(
            none.is_empty()
                && dupes
                    .skipped
                    .iter()
                    .all(|l| l.reason == "Already in the zone.")
        );
    }

    #[test]
    fn legacy_zones_keep_priorities_in_data_and_refuse_alias() {
        let file = "@ IN MX 10 mail\n@ IN ALIAS other.net.\nhost IN PTR web\n";
        let (p, add) = read(file, "example.org", true, &[], &[]);
        assert_eq!(add[0].data, "10 mail.example.org.");
        assert_eq!(add[0].priority, None);
        assert!(p.skipped[0].reason.contains("ALIAS"));
        assert_eq!(add[1].data, "web.example.org.");
        assert_eq!(bind_ttl("1h30m"), Some(5400));
        assert_eq!(bind_ttl("h"), None);
        let (p, _) = read("www IN A \"open\n", "example.org", true, &[], &[]);
        assert!(p.skipped[0].reason.contains("quote"));
    }
}
