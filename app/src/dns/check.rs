//! Checks for DNS input before Luna Node is asked (server only): zone names with
//! internationalized names in both forms, owner names, each record type's data, TTLs and
//! the dns2 routing fields. The messages name the field a form shows them beside. Luna
//! Node's own rules and wording are UNKNOWN (reference §13, §14): these are the rules of
//! DNS itself, and the emulator applies the same ones.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::FieldErrors;
use crate::model::dns::*;
use crate::server::lunanode::actions as api;

/// A zone name as typed → (`xn--` ASCII form without the dot, the Unicode form).
pub fn zone_name(input: &str) -> Result<(String, String), String> {
    let t = input.trim().trim_end_matches('.');
    if t.is_empty() {
        return Err("Enter the domain, e.g. example.com.".into());
    }
    if t.contains("://") || t.contains('/') {
        return Err("Enter the domain alone (example.com), without http:// or a path.".into());
    }
    let ascii = idna::domain_to_ascii(t)
        .map_err(|_| "That is not a valid domain name.".to_owned())?
        .to_ascii_lowercase();
    if !ascii.contains('.') {
        return Err("Enter the whole domain with its ending, e.g. example.com.".into());
    }
    if ascii.contains('_') || !host_ok(&ascii, false) {
        return Err(
            "That is not a valid domain name: letters, digits and hyphens, in labels \
             separated by dots."
                .into(),
        );
    }
    let unicode = display(&ascii);
    Ok((ascii, unicode))
}

/// The Unicode form of an ASCII (possibly `xn--`) name.
pub fn display(ascii: &str) -> String {
    let (unicode, result) = idna::domain_to_unicode(ascii);
    if result.is_ok() {
        unicode
    } else {
        ascii.to_owned()
    }
}

/// Labels of 1–63 letters, digits, `-` (not at either end) or `_`, 253 characters in
/// all; `*` as the first label only when `wildcard`; the last label not all digits (an
/// IP address is not a name).
pub fn host_ok(name: &str, wildcard: bool) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    labels.iter().enumerate().all(|(i, l)| {
        (wildcard && i == 0 && *l == "*")
            || (!l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    }) && !labels
        .last()
        .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()))
}

/// An owner name as typed, relative to `zone` (ASCII, no dot): `@` or empty is the apex,
/// a name ending in a dot is absolute and must lie in the zone, anything else is
/// relative. Returns the relative form (`@`, `www`, `_dmarc`, `*.dev`).
pub fn owner(input: &str, zone: &str) -> Result<String, String> {
    let t = input.trim().to_lowercase();
    if t.is_empty() || t == "@" {
        return Ok("@".into());
    }
    let ascii = idna::domain_to_ascii(t.trim_end_matches('.'))
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or_else(|_| t.trim_end_matches('.').to_owned());
    let relative = if t.ends_with('.') {
        if ascii == zone {
            return Ok("@".into());
        }
        match ascii.strip_suffix(&format!(".{zone}")) {
            Some(r) => r.to_owned(),
            None => {
                return Err(format!(
                    "{} is not inside {zone}: write the name relative to the zone (www), \
                     or end a full name in .{zone}.",
                    t.trim_end_matches('.')
                ))
            }
        }
    } else if let Some(r) = ascii.strip_suffix(&format!(".{zone}")) {
        // "www.example.com" typed without the final dot means the obvious thing.
        r.to_owned()
    } else {
        ascii
    };
    if !host_ok(&format!("{relative}.{zone}"), true) {
        return Err(
            "Use letters, digits, hyphens and underscores, labels separated by dots \
             (or @ for the zone itself)."
                .into(),
        );
    }
    Ok(relative)
}

/// The relative form of a listed name (`www.example.com.` in zone `example.com` → `www`).
pub fn relative(listed: &str, zone: &str) -> String {
    let n = listed.trim().trim_end_matches('.').to_ascii_lowercase();
    if n == zone || n == "@" || n.is_empty() {
        return "@".into();
    }
    n.strip_suffix(&format!(".{zone}"))
        .map(str::to_owned)
        .unwrap_or(n)
}

/// A host name a record points at: a name with a dot is taken as absolute (a trailing dot
/// is added), a single label as relative to the zone.
fn target(v: &str) -> Result<String, String> {
    let t = v.trim().to_lowercase();
    let bare = t.trim_end_matches('.');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Err("Enter a host name here, not an address.".into());
    }
    let ascii = idna::domain_to_ascii(bare)
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or_else(|_| bare.to_owned());
    if bare.is_empty() || !host_ok(&ascii, false) {
        return Err("Enter a host name, e.g. mail.example.com.".into());
    }
    Ok(if ascii.contains('.') {
        format!("{ascii}.")
    } else {
        ascii
    })
}

/// TXT text as typed: one or more quoted strings (`"a" "b"`, joined) or plain text;
/// returned unquoted (INFERRED: Luna Node quotes the data itself).
pub fn unquote_txt(v: &str) -> Result<String, String> {
    let t = v.trim();
    if !t.starts_with('"') {
        return Ok(t.to_owned());
    }
    let mut out = String::new();
    let mut chars = t.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('"') => {}
            Some(_) => return Err("Text outside the quotes: quote every part, or none.".into()),
        }
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e) => out.push(e),
                    None => break,
                },
                '"' => {
                    closed = true;
                    break;
                }
                c => out.push(c),
            }
        }
        if !closed {
            return Err("A quote is not closed.".into());
        }
    }
    Ok(out)
}

fn number<T: std::str::FromStr>(v: &str) -> Option<T> {
    v.trim().parse().ok()
}

/// A record as checked: what goes to Luna Node.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Relative owner name (`@` for the apex).
    pub name: String,
    pub rtype: String,
    pub data: String,
    pub ttl: u32,
    pub priority: Option<u32>,
    pub route: Route,
    pub weight: u32,
    pub monitor_id: Option<String>,
}

impl Checked {
    /// One line of a zone file / a preview (`www 3600 MX 10 mail.example.com.`).
    pub fn line(&self) -> String {
        let data = if matches!(self.rtype.as_str(), "TXT" | "SPF") {
            quote_txt(&self.data)
        } else {
            self.data.clone()
        };
        match self.priority {
            Some(p) => format!("{} {} {} {p} {data}", self.name, self.ttl, self.rtype),
            None => format!("{} {} {} {data}", self.name, self.ttl, self.rtype),
        }
    }

    /// The same answer as a listed record (TTL, weight and policy aside).
    pub fn same_as(&self, r: &RecordRow) -> bool {
        self.name == r.name
            && self.rtype.eq_ignore_ascii_case(&r.rtype)
            && same_data(&self.data, &r.data)
            && self.priority.unwrap_or(0) == r.priority.unwrap_or(0)
    }

    pub fn dns2(&self, zone_id: &str) -> Result<api::Dns2RecordAdd, String> {
        let record_type = api::Dns2RecordType::ALL
            .into_iter()
            .find(|t| t.as_str() == self.rtype)
            .ok_or_else(|| format!("{} records are not offered here.", self.rtype))?;
        let mut req = api::Dns2RecordAdd::new(
            zone_id,
            self.name.clone(),
            record_type,
            self.data.clone(),
            self.ttl,
        );
        req.aux = self.priority;
        req.weight = (self.weight > 0).then_some(self.weight);
        req.monitor_id = self.monitor_id.clone();
        match &self.route {
            Route::Plain => {}
            Route::Region(r) => {
                req.policy = Some(api::Dns2Policy::Region);
                req.region = Some(r.clone());
            }
            Route::RegionGroup(g) => {
                req.policy = Some(api::Dns2Policy::Region);
                req.regiongroup = Some(g.clone());
            }
            Route::Country(c) => {
                req.policy = Some(api::Dns2Policy::Region);
                req.country = Some(c.clone());
            }
            Route::Continent(c) => {
                req.policy = Some(api::Dns2Policy::Region);
                req.continent = Some(c.clone());
            }
            Route::LatLong(a, b) => {
                req.policy = Some(api::Dns2Policy::Latlong);
                req.latitude = Some(*a);
                req.longitude = Some(*b);
            }
        }
        Ok(req)
    }

    pub fn legacy(&self, zone_id: &str) -> Result<api::DnsRecordAdd, String> {
        let record_type = api::DnsRecordType::ALL
            .into_iter()
            .find(|t| t.as_str() == self.rtype)
            .ok_or_else(|| format!("{} records are not offered here.", self.rtype))?;
        Ok(api::DnsRecordAdd {
            zone_id: zone_id.to_owned(),
            name: self.name.clone(),
            data: self.data.clone(),
            ttl: self.ttl,
            record_type,
        })
    }
}

/// Data compared as DNS compares it: names without case or final dot.
fn same_data(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .map(|w| w.trim_end_matches('.').to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    a == b || norm(a) == norm(b)
}

/// TXT data written for a zone file: quoted, in strings of at most 255 bytes.
pub fn quote_txt(text: &str) -> String {
    let mut parts = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        let piece = match c {
            '"' => "\\\"".to_owned(),
            '\\' => "\\\\".to_owned(),
            c => c.to_string(),
        };
        if current.len() + piece.len() > 255 {
            parts.push(std::mem::take(&mut current));
        }
        current.push_str(&piece);
    }
    parts.push(current);
    parts
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a typed record for zone `zone` (ASCII, no dot). `regions`: the region codes
/// the region policy may name; `checks`: the monitor checks failover may name.
pub fn record(
    form: &NewRecord,
    zone: &str,
    legacy: bool,
    regions: &[String],
    checks: &[CheckChoice],
) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::new();
    let rtype = form.rtype.trim().to_ascii_uppercase();
    let types = if legacy { LEGACY_TYPES } else { DNS2_TYPES };
    if !types.contains(&rtype.as_str()) {
        errors.add(
            "rtype",
            format!("Choose one of the types: {}.", types.join(", ")),
        );
        return Err(errors);
    }
    let name = owner(&form.name, zone)
        .map_err(|e| errors.add("name", e))
        .unwrap_or_default();
    if rtype == "CNAME" && name == "@" {
        errors.add(
            "name",
            if legacy {
                "A CNAME cannot be at the zone itself."
            } else {
                "A CNAME cannot be at the zone itself: use an ALIAS record there."
            },
        );
    }
    let ttl = match form.ttl.trim() {
        "" => DEFAULT_TTL,
        t => match number::<u32>(t).filter(|t| (1..=i32::MAX as u32).contains(t)) {
            Some(t) => t,
            None => {
                errors.add("ttl", "Enter the TTL in seconds (e.g. 3600).");
                DEFAULT_TTL
            }
        },
    };
    let priority = if has_priority(&rtype, legacy) {
        match number::<u16>(&form.priority) {
            Some(p) => Some(u32::from(p)),
            None => {
                errors.add(
                    "priority",
                    "Enter the priority, 0 to 65535 (lower is tried first).",
                );
                None
            }
        }
    } else {
        None
    };
    let data = match record_data(&rtype, &form.data, legacy) {
        Ok(d) => d,
        Err(e) => {
            errors.add("data", e);
            String::new()
        }
    };
    let (route, weight, monitor_id) = if legacy {
        (Route::Plain, 0, None)
    } else {
        routing(form, regions, checks, &mut errors)
    };
    errors.into_result().map_err(|e| match e {
        crate::error::AppError::Validation(f) => f,
        _ => FieldErrors::new(),
    })?;
    Ok(Checked {
        name,
        rtype,
        data,
        ttl,
        priority,
        route,
        weight,
        monitor_id,
    })
}

/// The data of one record type, normalized (a trailing dot on absolute names, TXT
/// unquoted).
pub fn record_data(rtype: &str, data: &str, legacy: bool) -> Result<String, String> {
    let d = data.trim();
    if d.is_empty() {
        return Err(data_hint(rtype, legacy).to_owned());
    }
    let words: Vec<&str> = d.split_whitespace().collect();
    let port_ok = |w: &str| number::<u16>(w).is_some();
    match rtype {
        "A" => d
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .map_err(|_| "Enter an IPv4 address, e.g. 203.0.113.5.".into()),
        "AAAA" => d
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .map_err(|_| "Enter an IPv6 address, e.g. 2001:db8::5.".into()),
        "CNAME" | "ALIAS" | "NS" | "PTR" => target(d),
        "MX" if legacy => match words.as_slice() {
            [p, host] if port_ok(p) => Ok(format!("{p} {}", target(host)?)),
            _ => Err("Enter the priority and the mail server: 10 mail.example.com.".into()),
        },
        "MX" => target(d),
        "SRV" => {
            let fields = if legacy {
                if words.len() != 4 || !port_ok(words[0]) {
                    return Err(
                        "Enter priority, weight, port and target: 10 5 5060 sip.example.com."
                            .into(),
                    );
                }
                &words[1..]
            } else {
                &words[..]
            };
            match fields {
                [w, port, host] if port_ok(w) && port_ok(port) => {
                    let host = if *host == "." {
                        ".".to_owned()
                    } else {
                        target(host)?
                    };
                    let head = if legacy {
                        format!("{} ", words[0])
                    } else {
                        String::new()
                    };
                    Ok(format!("{head}{w} {port} {host}"))
                }
                _ => Err(data_hint("SRV", legacy).to_owned()),
            }
        }
        "TXT" | "SPF" => {
            let text = unquote_txt(d)?;
            if text.chars().any(char::is_control) {
                return Err("Text cannot hold control characters.".into());
            }
            if text.chars().count() > 4000 {
                return Err("Text is limited to 4000 characters.".into());
            }
            let lower = text.to_ascii_lowercase();
            if rtype == "SPF" && !(lower == "v=spf1" || lower.starts_with("v=spf1 ")) {
                return Err("SPF text starts with v=spf1.".into());
            }
            Ok(text)
        }
        "HINFO" => match quoted_words(d).as_deref() {
            Some([_, _]) => Ok(d.to_owned()),
            _ => Err("Enter two values, each quoted: \"Intel\" \"Linux\".".into()),
        },
        "NAPTR" => match quoted_words(d).as_deref() {
            Some([order, pref, _, _, _, _]) if port_ok(order) && port_ok(pref) => Ok(d.to_owned()),
            _ => Err(data_hint("NAPTR", true).to_owned()),
        },
        "RP" => match words.as_slice() {
            [mbox, txt] => Ok(format!(
                "{} {}",
                target(mbox)?,
                if *txt == "." {
                    ".".to_owned()
                } else {
                    target(txt)?
                }
            )),
            _ => Err(data_hint("RP", true).to_owned()),
        },
        _ => Err("That record type is not offered here.".into()),
    }
}

/// Words where a quoted string counts as one; `None` for an unclosed quote.
fn quoted_words(v: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = v.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                word.push(c);
            }
            if !closed {
                return None;
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        out.push(word);
    }
    Some(out)
}

fn routing(
    form: &NewRecord,
    regions: &[String],
    checks: &[CheckChoice],
    errors: &mut FieldErrors,
) -> (Route, u32, Option<String>) {
    let weight = match form.weight.trim() {
        "" => 0,
        w => number::<u16>(w).map(u32::from).unwrap_or_else(|| {
            errors.add(
                "weight",
                "Enter a weight from 0 to 65535 (0: not weighted).",
            );
            0
        }),
    };
    let label = |field: &str, v: &str, errors: &mut FieldErrors| -> String {
        let v = v.trim();
        if v.is_empty() {
            errors.add(field, "Fill this in for the policy chosen.");
        } else if v.len() > 64
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '))
        {
            errors.add(field, "Letters, digits, hyphens and spaces only.");
        }
        v.to_owned()
    };
    let route = match form.route.trim() {
        "" | "plain" => Route::Plain,
        "region" => {
            let r = form.region.trim().to_owned();
            if !regions.contains(&r) {
                errors.add(
                    "region",
                    format!("Choose one of the regions: {}.", regions.join(", ")),
                );
            }
            Route::Region(r)
        }
        "regiongroup" => Route::RegionGroup(label("regiongroup", &form.regiongroup, errors)),
        "country" => {
            let c = form.country.trim().to_ascii_uppercase();
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                errors.add(
                    "country",
                    "Enter the country's two-letter code (CA, DE, JP).",
                );
            }
            Route::Country(c)
        }
        "continent" => {
            let c = form.continent.trim().to_ascii_uppercase();
            if !CONTINENTS.iter().any(|(code, _)| *code == c) {
                errors.add("continent", "Choose a continent.");
            }
            Route::Continent(c)
        }
        "latlong" => {
            let lat = number::<f64>(&form.latitude).filter(|x| x.is_finite() && x.abs() <= 90.0);
            let long = number::<f64>(&form.longitude).filter(|x| x.is_finite() && x.abs() <= 180.0);
            if lat.is_none() {
                errors.add("latitude", "Enter a latitude from -90 to 90 (43.65).");
            }
            if long.is_none() {
                errors.add("longitude", "Enter a longitude from -180 to 180 (-79.38).");
            }
            Route::LatLong(lat.unwrap_or_default(), long.unwrap_or_default())
        }
        _ => {
            errors.add("route", "Choose a policy.");
            Route::Plain
        }
    };
    let monitor = match form.monitor_id.trim() {
        "" => None,
        id if checks.iter().any(|c| c.id == id) => Some(id.to_owned()),
        _ => {
            errors.add("monitor_id", "Choose one of your monitor checks.");
            None
        }
    };
    (route, weight, monitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(rtype: &str, name: &str, data: &str) -> NewRecord {
        NewRecord {
            rtype: rtype.into(),
            name: name.into(),
            data: data.into(),
            ..Default::default()
        }
    }

    #[test]
    fn zone_names_in_both_forms() {
        assert_eq!(
            zone_name(" Example.COM. ").unwrap(),
            ("example.com".into(), "example.com".into())
        );
        let (ascii, unicode) = zone_name("bücher.example").unwrap();
        assert_eq!(ascii, "xn--bcher-kva.example");
        assert_eq!(unicode, "bücher.example");
        assert_eq!(
            zone_name("xn--bcher-kva.example").unwrap().1,
            "bücher.example"
        );
        for bad in [
            "",
            "com",
            "https://example.com",
            "exa mple.com",
            "-a.com",
            "1.2.3.4",
            "a_b.com",
        ] {
            assert!(zone_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn owner_names_relative_to_the_zone() {
        let z = "example.com";
        assert_eq!(owner("", z).unwrap(), "@");
        assert_eq!(owner("example.com.", z).unwrap(), "@");
        assert_eq!(owner("WWW", z).unwrap(), "www");
        assert_eq!(owner("www.example.com", z).unwrap(), "www");
        assert_eq!(owner("_dmarc", z).unwrap(), "_dmarc");
        assert_eq!(owner("*.dev", z).unwrap(), "*.dev");
        assert!(owner("www.other.org.", z).is_err());
        assert!(owner("a b", z).is_err());
        assert!(owner("dev.*", z).is_err());
        assert_eq!(relative("www.example.com.", z), "www");
        assert_eq!(relative("example.com.", z), "@");
    }

    #[test]
    fn each_type_checks_its_data() {
        let ok = |t: &str, d: &str, legacy: bool| record_data(t, d, legacy);
        assert_eq!(ok("A", " 203.0.113.5 ", false).unwrap(), "203.0.113.5");
        assert!(ok("A", "2001:db8::1", false).is_err());
        assert!(ok("AAAA", "2001:db8::1", false).is_ok());
        assert_eq!(
            ok("CNAME", "web.example.net", false).unwrap(),
            "web.example.net."
        );
        assert_eq!(ok("CNAME", "web", false).unwrap(), "web");
        assert!(ok("CNAME", "203.0.113.5", false).is_err());
        assert_eq!(
            ok("MX", "10 mail.example.com", true).unwrap(),
            "10 mail.example.com."
        );
        assert!(ok("MX", "mail.example.com", true).is_err());
        assert_eq!(
            ok("SRV", "5 5060 sip.example.com", false).unwrap(),
            "5 5060 sip.example.com."
        );
        assert!(ok("SRV", "5 sip.example.com", false).is_err());
        assert_eq!(ok("SRV", "10 5 5060 .", true).unwrap(), "10 5 5060 .");
        assert_eq!(
            ok("TXT", "\"v=DKIM1; k=rsa; \" \"p=AB\\\"C\"", false).unwrap(),
            "v=DKIM1; k=rsa; p=AB\"C"
        );
        assert!(ok("TXT", "\"open", false).is_err());
        assert!(ok("SPF", "hello", false).is_err());
        assert!(ok("SPF", "v=spf1 mx -all", false).is_ok());
        assert!(ok("HINFO", "\"Intel\" \"Linux\"", true).is_ok());
        assert!(ok(
            "NAPTR",
            "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
            true
        )
        .is_ok());
    }

    #[test]
    fn forms_are_checked_field_by_field() {
        let z = "example.com";
        let regions = vec!["toronto".to_owned()];
        let checks = vec![CheckChoice {
            id: "7".into(),
            name: "web".into(),
        }];
        let r = record(
            &form("mx", "@", "mail.example.com"),
            z,
            false,
            &regions,
            &[],
        )
        .unwrap_err();
        assert!(r.get("priority").is_some());
        let mut f = form("A", "www", "203.0.113.5");
        f.route = "region".into();
        f.region = "mars".into();
        f.weight = "x".into();
        f.monitor_id = "8".into();
        let e = record(&f, z, false, &regions, &checks).unwrap_err();
        assert!(
            e.get("region").is_some() && e.get("weight").is_some() && e.get("monitor_id").is_some()
        );
        f.region = "toronto".into();
        f.weight = "5".into();
        f.monitor_id = "7".into();
        let c = record(&f, z, false, &regions, &checks).unwrap();
        assert_eq!(
            (c.route.clone(), c.weight, c.monitor_id.as_deref()),
            (Route::Region("toronto".into()), 5, Some("7"))
        );
        let req = c.dns2("3").unwrap();
        assert_eq!(
            (req.policy, req.region.as_deref(), req.weight),
            (Some(api::Dns2Policy::Region), Some("toronto"), Some(5))
        );
        let cname = record(
            &form("CNAME", "@", "web.example.net"),
            z,
            false,
            &regions,
            &[],
        )
        .unwrap_err();
        assert!(cname.get("name").unwrap().contains("ALIAS"));
        assert!(
            record(&form("ALIAS", "@", "x.example.net"), z, true, &[], &[])
                .unwrap_err()
                .get("rtype")
                .is_some()
        );
        let t = record(
            &form("TXT", "_dmarc", "v=DMARC1; p=none"),
            z,
            false,
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(t.line(), "_dmarc 3600 TXT \"v=DMARC1; p=none\"");
    }

    #[test]
    fn long_text_is_split_into_quoted_strings() {
        let long = "a".repeat(300);
        let q = quote_txt(&long);
        assert!(q.starts_with(&format!("\"{}\" \"", "a".repeat(255))));
        assert_eq!(unquote_txt(&q).unwrap(), long);
        assert_eq!(quote_txt("say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
