//! DKIM keys (server only): the panel makes the key pair, hands the private half to Luna
//! Node (`email/domain-dkim-set`) and shows the public half as the TXT record to publish.
//! The private key lives only in memory for that one call: never in the panel's database,
//! a log, an error text or an answer to the browser (it is wiped after the call).
//!
//! Luna Node never shows a domain's key again (its domain list carries only the selector,
//! INFERRED), and the panel keeps nothing: the TXT value can be shown only right after the
//! key is made. Later, the health view can only check that the zone holds a well-formed
//! DKIM record under the domain's current selector (see [`parse_txt`]), not that it
//! matches the key Luna Node signs with. A new key gets a new selector, so a record left
//! from an older key never sits where the new one belongs.

use base64::Engine;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

/// RSA key size: 2048 bits (RFC 8301: signers use at least 1024, 2048 recommended; a
/// 2048-bit public key still fits a TXT record's data in 400 characters).
pub const BITS: usize = 2048;

/// A new key pair.
pub struct KeyPair {
    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form the emulator and common DKIM
    /// signers load; wiped when dropped.
    pub private_pem: Zeroizing<String>,
    /// The public key (SubjectPublicKeyInfo DER), base64: the record's `p=`.
    pub public_b64: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("private_pem", &"[REDACTED]")
            .field("public_b64", &self.public_b64)
            .finish()
    }
}

/// Makes an RSA key pair of `bits` (slow: call it off the async runtime's threads).
pub fn generate(bits: usize) -> Result<KeyPair, String> {
    let mut rng = rand::rngs::OsRng;
    let key = RsaPrivateKey::new(&mut rng, bits).map_err(|e| format!("RSA key: {e}"))?;
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("PKCS#8: {e}"))?;
    let public = RsaPublicKey::from(&key)
        .to_public_key_der()
        .map_err(|e| format!("public key: {e}"))?;
    Ok(KeyPair {
        private_pem,
        public_b64: base64::engine::general_purpose::STANDARD.encode(public.as_bytes()),
    })
}

/// The TXT record's text for a public key.
pub fn txt_value(public_b64: &str) -> String {
    format!("v=DKIM1; k=rsa; p={public_b64}")
}

/// A selector for a key made at `now` (`lp` and the time, to the second), never the
/// domain's `current` one: a new key never takes the name of an older one.
pub fn new_selector(now: time::OffsetDateTime, current: &str) -> String {
    let base = format!(
        "lp{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut selector = base.clone();
    let mut n = 0;
    while selector == current {
        n += 1;
        selector = format!("{base}{n}");
    }
    selector
}

/// What a DKIM TXT record says, as far as the panel can check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtCheck {
    /// A usable RSA public key of this many bits.
    Rsa(usize),
    /// `p=` empty: the key was revoked (RFC 6376 §3.6.1).
    Revoked,
    /// Something else, with what is wrong.
    Bad(String),
}

/// Reads a DKIM TXT record's text (tags `v`, `k`, `p`, … separated by `;`, RFC 6376 §3.6.1).
pub fn parse_txt(text: &str) -> TxtCheck {
    let mut tags = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return TxtCheck::Bad(format!("“{part}” is not a tag=value pair."));
        };
        tags.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    if let Some(pos) = tags.iter().position(|(k, _)| k == "v") {
        if pos != 0 || tags[0].1 != "DKIM1" {
            return TxtCheck::Bad("v=DKIM1 must come first.".into());
        }
    }
    let get = |name: &str| {
        tags.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(k) = get("k") {
        if !k.eq_ignore_ascii_case("rsa") {
            return TxtCheck::Bad(format!("k={k}: the panel's keys are RSA."));
        }
    }
    let Some(p) = get("p") else {
        return TxtCheck::Bad("There is no p= (public key).".into());
    };
    let p: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    if p.is_empty() {
        return TxtCheck::Revoked;
    }
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(&p) else {
        return TxtCheck::Bad("p= is not base64.".into());
    };
    // SubjectPublicKeyInfo is what DKIM tools publish; a bare RSAPublicKey is read too.
    match RsaPublicKey::from_public_key_der(&der).or_else(|_| RsaPublicKey::from_pkcs1_der(&der)) {
        Ok(key) => TxtCheck::Rsa(key.size() * 8),
        Err(_) => TxtCheck::Bad("p= is not an RSA public key.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_reads_back_from_its_record() {
        // 1024 bits keeps the test quick; the panel makes 2048-bit keys.
        let pair = generate(1024).unwrap();
        assert!(pair
            .private_pem
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pair
            .private_pem
            .trim_end()
            .ends_with("-----END PRIVATE KEY-----"));
        let debug = format!("{pair:?}");
        assert!(!debug.contains("BEGIN") && debug.contains("REDACTED"));
        let value = txt_value(&pair.public_b64);
        assert!(value.starts_with("v=DKIM1; k=rsa; p=MI"));
        assert_eq!(parse_txt(&value), TxtCheck::Rsa(1024));
        // Spaces inside p= (a record split over strings) and no v= are fine.
        let (head, tail) = pair.public_b64.split_at(40);
        assert_eq!(
            parse_txt(&format!("k=rsa; p={head} {tail}")),
            TxtCheck::Rsa(1024)
        );
    }

    #[test]
    fn bad_records_say_why() {
        assert_eq!(parse_txt("v=DKIM1; k=rsa; p="), TxtCheck::Revoked);
        for bad in [
            "",
            "v=DKIM1; k=rsa",
            "k=rsa; v=DKIM1; p=AAAA",
            "v=DKIM1; k=ed25519; p=AAAA",
            "v=DKIM1; p=not base64!",
            "v=DKIM1; p=AAAA",
            "hello",
        ] {
            assert!(matches!(parse_txt(bad), TxtCheck::Bad(_)), "{bad}");
        }
    }

    #[test]
    fn selectors_follow_the_clock() {
        // 2026-03-04 05:06:07 UTC
        let t = time::OffsetDateTime::from_unix_timestamp(1_772_600_767).unwrap();
        let s = new_selector(t, "");
        assert_eq!(s, "lp20260304050607");
        assert_eq!(
            new_selector(t, &s),
            "lp202603040506071",
            "within the same second"
        );
        assert_eq!(crate::model::mail::selector_problem(&s), None);
    }
}
