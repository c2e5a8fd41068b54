//! The mail-domain health view's judgement (server only, no calls): the MX, SPF and DKIM
//! records a hosted domain needs, read from the records of the DNS zone that holds it, and
//! what "publish the missing records" would add. The expected MX host and SPF include are
//! INFERRED (see `crate::model::mail`); DKIM can only be checked for presence and shape
//! (see [`super::dkim`]).

use crate::dns::check::unquote_txt;
use crate::model::dns::RecordRow;
use crate::model::mail::*;

use super::dkim::{parse_txt, TxtCheck};

/// The name of `domain` relative to `zone` (`@` for the zone itself), if the zone holds it.
pub fn relative(domain: &str, zone: &str) -> Option<String> {
    if domain == zone {
        Some("@".into())
    } else {
        domain.strip_suffix(&format!(".{zone}")).map(str::to_owned)
    }
}

/// `label` under relative name `rel` (`@` is the apex).
pub fn under(label: &str, rel: &str) -> String {
    if rel == "@" {
        label.to_owned()
    } else {
        format!("{label}.{rel}")
    }
}

/// The zone (of `zones`, by name) holding `domain`: its own, or the nearest parent.
pub fn zone_for<'a, Z>(domain: &str, zones: &'a [Z], name: impl Fn(&Z) -> &str) -> Option<&'a Z> {
    zones
        .iter()
        .filter(|z| relative(domain, name(z)).is_some())
        .max_by_key(|z| name(z).len())
}

fn host(data: &str) -> String {
    data.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// A listed TXT record's text (quoted or not).
pub fn text(r: &RecordRow) -> String {
    unquote_txt(&r.data).unwrap_or_else(|_| r.data.clone())
}

fn is_spf(text: &str) -> bool {
    let lower = text.trim().to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

/// Whether an SPF record's text allows Luna Node's servers (the expected include).
fn spf_allows(text: &str) -> bool {
    text.split_whitespace().any(|m| {
        m.trim_start_matches('+')
            .eq_ignore_ascii_case(EXPECTED_SPF_INCLUDE_INFERRED)
    })
}

/// An SPF record's text with the expected include added right after `v=spf1` (before any
/// `all`, which ends evaluation).
pub fn spf_merged(text: &str) -> String {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    words.insert(1.min(words.len()), EXPECTED_SPF_INCLUDE_INFERRED);
    words.join(" ")
}

/// The checks of `domain` against the records of the zone holding it at relative name
/// `rel`.
pub fn assess(domain: &MailDomainRow, rel: &str, records: &[RecordRow]) -> Vec<HealthCheck> {
    vec![
        mx(rel, records),
        spf(rel, records),
        dkim(domain, rel, records),
    ]
}

fn mx(rel: &str, records: &[RecordRow]) -> HealthCheck {
    let want = host(EXPECTED_MX_HOST_INFERRED);
    let found: Vec<&RecordRow> = records
        .iter()
        .filter(|r| r.name == rel && r.rtype == "MX")
        .collect();
    let ours = found.iter().any(|r| host(&r.data) == want);
    let others = found.iter().any(|r| host(&r.data) != want);
    let (status, advice, publishable) = match (ours, others) {
        (true, false) => (Health::Good, "Mail for the domain comes to the expected host.".to_owned(), false),
        (true, true) => (
            Health::Warn,
            "Other MX records send some mail elsewhere: remove them on the zone's page if this domain's mail is hosted here alone.".to_owned(),
            false,
        ),
        (false, true) => (
            Health::Warn,
            "The domain's mail goes to other hosts. Publishing adds the expected MX beside them; remove the others on the zone's page.".to_owned(),
            true,
        ),
        (false, false) => (
            Health::Missing,
            "No MX record: mail to this domain cannot be delivered here.".to_owned(),
            true,
        ),
    };
    HealthCheck {
        key: "mx".into(),
        label: "MX (where mail is delivered)".into(),
        status,
        name: rel.to_owned(),
        found: found
            .iter()
            .map(|r| format!("{} {}", r.priority.unwrap_or(0), r.data))
            .collect(),
        expected: format!("{EXPECTED_MX_PRIORITY_INFERRED} {EXPECTED_MX_HOST_INFERRED}"),
        advice,
        publishable,
    }
}

fn spf(rel: &str, records: &[RecordRow]) -> HealthCheck {
    let found: Vec<String> = records
        .iter()
        .filter(|r| r.name == rel && matches!(r.rtype.as_str(), "TXT" | "SPF"))
        .map(text)
        .filter(|t| is_spf(t))
        .collect();
    let (status, advice, publishable) = match found.as_slice() {
        [] => (
            Health::Missing,
            "No SPF record: receivers may treat the domain's mail as spoofed.".to_owned(),
            true,
        ),
        [one] if spf_allows(one) => (
            Health::Good,
            "The SPF record allows the expected servers.".to_owned(),
            false,
        ),
        [one] => (
            Health::Warn,
            format!(
                "The SPF record does not allow the expected servers. Publishing replaces it with: {}",
                spf_merged(one)
            ),
            true,
        ),
        _ => (
            Health::Warn,
            "More than one SPF record makes SPF fail everywhere: merge them into one on the zone's page.".to_owned(),
            false,
        ),
    };
    HealthCheck {
        key: "spf".into(),
        label: "SPF (who may send)".into(),
        status,
        name: rel.to_owned(),
        found,
        expected: match status {
            Health::Warn if publishable => spf_merged(&text_of_one(records, rel)),
            _ => expected_spf(),
        },
        advice,
        publishable,
    }
}

fn text_of_one(records: &[RecordRow], rel: &str) -> String {
    records
        .iter()
        .filter(|r| r.name == rel && matches!(r.rtype.as_str(), "TXT" | "SPF"))
        .map(text)
        .find(|t| is_spf(t))
        .unwrap_or_else(expected_spf)
}

fn dkim(domain: &MailDomainRow, rel: &str, records: &[RecordRow]) -> HealthCheck {
    if !domain.dkim_on() {
        return HealthCheck {
            key: "dkim".into(),
            label: "DKIM (signed mail)".into(),
            status: Health::Off,
            name: under("<selector>._domainkey", rel),
            found: Vec::new(),
            expected: "v=DKIM1; k=rsa; p=…".into(),
            advice: "DKIM signing is off: turn it on on the domain's page to sign outgoing mail."
                .into(),
            publishable: false,
        };
    }
    let name = under(&format!("{}._domainkey", domain.dkim_selector), rel);
    let texts: Vec<String> = records
        .iter()
        .filter(|r| r.name == name && r.rtype == "TXT")
        .map(text)
        .collect();
    let checks: Vec<TxtCheck> = texts.iter().map(|t| parse_txt(t)).collect();
    let (status, advice) = if checks.iter().any(|c| matches!(c, TxtCheck::Rsa(_))) {
        // INFERRED: a well-formed key under the current selector is taken for the one Luna
        // Node signs with; Luna Node never shows its key, so the two cannot be compared.
        (
            Health::Good,
            "A DKIM key is published under the current selector. (Luna Node never shows the key it signs with, so the panel cannot compare the two: if receivers report DKIM failures, make a new key.)".to_owned(),
        )
    } else if checks.is_empty() {
        (
            Health::Missing,
            "No DKIM record under the current selector: receivers cannot verify the signatures. The key's public half was shown only when it was made; publishing makes a new key and publishes it.".to_owned(),
        )
    } else {
        let why: Vec<String> = checks
            .iter()
            .map(|c| match c {
                TxtCheck::Revoked => "the key there is revoked (empty p=)".to_owned(),
                TxtCheck::Bad(b) => b.clone(),
                TxtCheck::Rsa(_) => String::new(),
            })
            .collect();
        (
            Health::Warn,
            format!(
                "The record under the current selector is not usable: {} Publishing makes a new key and publishes it.",
                why.join(" ")
            ),
        )
    };
    HealthCheck {
        key: "dkim".into(),
        label: "DKIM (signed mail)".into(),
        publishable: status != Health::Good,
        status,
        name,
        found: texts,
        expected: "v=DKIM1; k=rsa; p=<the public key>".into(),
        advice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dns::Route;

    fn rec(name: &str, rtype: &str, data: &str, priority: Option<u32>) -> RecordRow {
        RecordRow {
            id: format!("{name}-{rtype}-{data}"),
            name: name.into(),
            rtype: rtype.into(),
            data: data.into(),
            ttl: Some(3600),
            priority,
            route: Route::Plain,
            weight: 0,
            global: None,
            monitor_id: String::new(),
            monitor_name: String::new(),
        }
    }

    fn domain(selector: &str) -> MailDomainRow {
        MailDomainRow {
            id: "1".into(),
            name: "example.com".into(),
            display: "example.com".into(),
            dkim_selector: selector.into(),
            users: None,
            aliases: None,
        }
    }

    fn status(checks: &[HealthCheck], key: &str) -> Health {
        checks.iter().find(|c| c.key == key).unwrap().status
    }

    #[test]
    fn zones_and_names() {
        assert_eq!(relative("example.com", "example.com").as_deref(), Some("@"));
        assert_eq!(
            relative("m.example.com", "example.com").as_deref(),
            Some("m")
        );
        assert_eq!(relative("badexample.com", "example.com"), None);
        assert_eq!(under("s._domainkey", "@"), "s._domainkey");
        assert_eq!(under("s._domainkey", "m"), "s._domainkey.m");
        let zones = ["com", "example.com", "other.org", "m.example.com.au"];
        assert_eq!(
            zone_for("m.example.com", &zones, |z| z),
            Some(&"example.com"),
            "the nearest parent"
        );
        assert_eq!(zone_for("x.net", &zones, |z| z), None);
    }

    #[test]
    fn an_empty_zone_misses_everything_and_dkim_off_is_fine() {
        let c = assess(&domain(""), "@", &[]);
        assert_eq!(status(&c, "mx"), Health::Missing);
        assert_eq!(status(&c, "spf"), Health::Missing);
        assert_eq!(status(&c, "dkim"), Health::Off);
        assert!(c.iter().filter(|c| c.publishable).count() == 2);
    }

    #[test]
    fn good_records_are_recognised() {
        let pair = super::super::dkim::generate(1024).unwrap();
        let value = super::super::dkim::txt_value(&pair.public_b64);
        let records = [
            rec("@", "MX", "Mail.LunaNode.com.", Some(10)),
            rec(
                "@",
                "TXT",
                "\"v=spf1 include:_spf.lunanode.com ~all\"",
                None,
            ),
            rec("@", "TXT", "google-site-verification=x", None),
            rec("s1._domainkey", "TXT", &value, None),
        ];
        let c = assess(&domain("s1"), "@", &records);
        for key in ["mx", "spf", "dkim"] {
            assert_eq!(status(&c, key), Health::Good, "{key}: {c:?}");
        }
        assert!(c.iter().all(|c| !c.publishable));
        // The same key under another selector is not this domain's record.
        let c = assess(&domain("s2"), "@", &records);
        assert_eq!(status(&c, "dkim"), Health::Missing);
        assert_eq!(c[2].name, "s2._domainkey");
        // A subdomain looks under its own name.
        let c = assess(&domain("s1"), "m", &records);
        assert_eq!(status(&c, "mx"), Health::Missing);
        assert_eq!(c[2].name, "s1._domainkey.m");
    }

    #[test]
    fn what_is_there_but_wrong_is_a_warning() {
        let records = [
            rec("@", "MX", "mx.elsewhere.net.", Some(5)),
            rec("@", "TXT", "v=spf1 mx -all", None),
            rec("s1._domainkey", "TXT", "v=DKIM1; k=rsa; p=", None),
        ];
        let c = assess(&domain("s1"), "@", &records);
        assert_eq!(status(&c, "mx"), Health::Warn);
        assert!(c[0].publishable, "ours can be added beside theirs");
        assert_eq!(c[0].found, ["5 mx.elsewhere.net."]);
        assert_eq!(status(&c, "spf"), Health::Warn);
        assert_eq!(c[1].expected, "v=spf1 include:_spf.lunanode.com mx -all");
        assert!(c[1].publishable);
        assert_eq!(status(&c, "dkim"), Health::Warn);
        assert!(c[2].advice.contains("revoked"));
        let two_spf = [
            rec("@", "TXT", "v=spf1 mx -all", None),
            rec("@", "TXT", "v=spf1 a -all", None),
        ];
        let c = assess(&domain(""), "@", &two_spf);
        assert_eq!((status(&c, "spf"), c[1].publishable), (Health::Warn, false));
    }

    #[test]
    fn spf_merging() {
        assert_eq!(
            spf_merged("v=spf1 -all"),
            "v=spf1 include:_spf.lunanode.com -all"
        );
        assert!(spf_allows("v=spf1 +include:_spf.lunanode.com ~all"));
        assert!(!spf_allows("v=spf1 include:_spf.lunanode.com.evil ~all"));
        assert!(is_spf("V=SPF1 -all") && !is_spf("v=spf10"));
    }
}
