//! The second factor (SEC-5.4, issue 13): TOTP codes (RFC 6238: HMAC-SHA-1, 6 digits,
//! 30-second steps, one step of skew either way), single-use recovery codes, the partial
//! session between password and code, and the administrator's "second factor required"
//! policy with its enforcement.
//!
//! Seeds are 160 random bits from the OS, stored only sealed by the vault (purpose
//! `totp-seed`, owner [`seed_owner`]). A code is accepted only for a time step later than
//! the last one accepted (a compare-and-set in the store), so no code works twice, not even
//! on two panel instances at once. Recovery codes carry 120 random bits each and are stored
//! as SHA-256. Codes and seeds never reach a log or an error.

use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tower_sessions::Session;
use zeroize::Zeroizing;

use super::context::{internal, ServerState};
use super::session::{AUTH_KEY, VIEW_AS_KEY};
use super::store::{now_unix, User, UserId};
use super::vault::{seed_owner, Purpose, Sealed};
use crate::error::AppError;
use crate::types::Role;

/// Seconds in one time step.
pub const STEP_SECS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one (RFC 6238's recommended network delay).
pub const SKEW: i64 = 1;
/// Bytes in a seed (160 bits, the HMAC-SHA-1 block's natural key size, RFC 4226 §4).
pub const SEED_LEN: usize = 20;
/// Recovery codes made at once.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes in a recovery code (120 bits: 24 base32 characters).
const RECOVERY_BYTES: usize = 15;
/// Characters in a recovery code (without its dashes).
const RECOVERY_CHARS: usize = 24;

/// The time step `unix` seconds fall in.
pub fn step_at(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECS)
}

/// HOTP (RFC 4226): the `digits`-digit code of `seed` for `counter`.
pub fn hotp(seed: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(seed).expect("HMAC takes keys of any size");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    // Dynamic truncation (RFC 4226 §5.3).
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The six-digit TOTP code of `seed` for time step `step`.
pub fn code_at(seed: &[u8], step: i64) -> String {
    let counter = u64::try_from(step).unwrap_or(0);
    format!(
        "{:0width$}",
        hotp(seed, counter, DIGITS),
        width = DIGITS as usize
    )
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A TOTP code as typed (spaces allowed), when it is six digits.
pub fn totp_digits(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// The time step `code` belongs to, among the steps within [`SKEW`] of `now` that are later
/// than `after` (the last accepted step); `None` when it matches none of them.
pub fn matching_step(seed: &[u8], code: &str, now: i64, after: Option<i64>) -> Option<i64> {
    let code = totp_digits(code)?;
    let current = step_at(now);
    let mut found = None;
    for step in (current - SKEW)..=(current + SKEW) {
        if after.is_some_and(|last| step <= last) || step < 0 {
            continue;
        }
        // Every candidate is compared (no early exit on a match).
        if same(code_at(seed, step).as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// A new random seed.
pub fn new_seed() -> Zeroizing<Vec<u8>> {
    use rand::RngCore;
    let mut seed = Zeroizing::new(vec![0u8; SEED_LEN]);
    rand::rngs::OsRng.fill_bytes(&mut seed);
    seed
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding (what authenticator apps expect).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes unpadded RFC 4648 base32 (case, spaces and `=` ignored); `None` on any other
/// character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let c = c.to_ascii_uppercase();
        let value = BASE32.iter().position(|&b| char::from(b) == c)?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// `text` in groups of `size` characters joined by `sep` (easier to read and type).
pub fn grouped(text: &str, size: usize, sep: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(sep)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `otpauth://` URI authenticator apps read from the QR code (Google Authenticator's
/// key URI format: `issuer:account` label, issuer repeated as a parameter).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        percent(issuer),
        percent(account),
        percent(issuer),
    )
}

/// The QR code of `text`, as modules for the page to draw.
pub fn qr_matrix(text: &str) -> Result<crate::auth::totp::QrMatrix, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| internal(format!("QR code: {e}")))?;
    Ok(crate::auth::totp::QrMatrix {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    })
}

/// A new recovery code: 120 random bits as 24 base32 characters in dashed groups of four.
pub fn new_recovery_code() -> String {
    use rand::RngCore;
    let mut bytes = Zeroizing::new([0u8; RECOVERY_BYTES]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    grouped(&base32(bytes.as_ref()), 4, "-")
}

/// A recovery code as typed, normalised (upper case, no dashes or spaces; the digits a
/// reader may mistake for letters read as those letters); `None` when it cannot be one.
pub fn normalize_recovery(code: &str) -> Option<String> {
    let norm: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            '0' => 'O',
            '1' => 'I',
            '8' => 'B',
            c => c,
        })
        .collect();
    (norm.len() == RECOVERY_CHARS && norm.bytes().all(|b| BASE32.contains(&b))).then_some(norm)
}

/// What is stored of `user`'s recovery code (already normalised): its SHA-256, bound to
/// the user so a hash copied to another row matches nothing.
pub fn recovery_hash(user: UserId, normalized: &str) -> String {
    Sha256::digest(format!("lp1|recovery|{user}|{normalized}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Ten new recovery codes: the codes (shown once) and their hashes (stored).
pub fn new_recovery_codes(user: UserId) -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes = codes
        .iter()
        .map(|c| recovery_hash(user, &normalize_recovery(c).expect("made well-formed")))
        .collect();
    (codes, hashes)
}

/// Seals a seed for `user`.
pub fn seal_seed(state: &ServerState, user: UserId, seed: &[u8]) -> Sealed {
    state
        .upstream
        .keyring
        .seal(Purpose::TotpSeed, &seed_owner(user), seed)
}

/// Opens `user`'s sealed seed.
pub fn open_seed(
    state: &ServerState,
    user: UserId,
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, AppError> {
    state
        .upstream
        .keyring
        .open(Purpose::TotpSeed, &seed_owner(user), sealed)
        .map_err(|e| internal(format!("second-factor seed of user {user}: {e}")))
}

/// Which kind of code was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeUse {
    Totp,
    Recovery,
}

/// Checks `code` — a current TOTP code or an unused recovery code — against `user`'s
/// enabled second factor, and uses it up. `None` when it is wrong, replayed, or `user` has
/// no enabled second factor.
pub async fn use_code(
    state: &ServerState,
    user: UserId,
    code: &str,
) -> Result<Option<CodeUse>, AppError> {
    let Some(factor) = state.store.second_factor(user).await?.filter(|f| f.enabled) else {
        return Ok(None);
    };
    if totp_digits(code).is_some() {
        let seed = open_seed(state, user, &factor.sealed)?;
        let Some(step) = matching_step(&seed, code, now_unix(), factor.last_step) else {
            return Ok(None);
        };
        // The store accepts each step once, whoever asks first.
        let accepted = state.store.accept_second_factor_step(user, step).await?;
        return Ok(accepted.then_some(CodeUse::Totp));
    }
    if let Some(normalized) = normalize_recovery(code) {
        let hash = recovery_hash(user, &normalized);
        let used = state.store.use_recovery_code(user, &hash).await?;
        return Ok(used.then_some(CodeUse::Recovery));
    }
    Ok(None)
}

/// Whether `user` has an enabled second factor.
pub async fn has_second_factor(state: &ServerState, user: UserId) -> Result<bool, AppError> {
    Ok(state
        .store
        .second_factor(user)
        .await?
        .is_some_and(|f| f.enabled))
}

/// The panel setting that makes a second factor required for administrators and resellers
/// (`"true"`; absent or anything else: not required).
pub const REQUIRED_SETTING: &str = "second_factor_required";

/// Whether the administrator requires a second factor for admins and resellers.
pub async fn required_by_policy(state: &ServerState) -> Result<bool, AppError> {
    Ok(state
        .store
        .panel_setting(REQUIRED_SETTING)
        .await?
        .is_some_and(|v| v == "true"))
}

/// The roles the policy covers: those who can reach API keys of their own.
pub fn policy_covers(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Reseller)
}

/// Whether `user` must enrol a second factor before anything else: the policy is on, covers
/// their role, and they have none (the shared demo account never must).
pub async fn must_enrol(state: &ServerState, user: &User) -> Result<bool, AppError> {
    if exempt(state, user) || !required_by_policy(state).await? {
        return Ok(false);
    }
    Ok(!has_second_factor(state, user.id).await?)
}

/// [`must_enrol`] from what was already read: the policy setting's value and whether the
/// user has an enabled second factor (the session check reads both with the user).
pub fn must_enrol_given(
    state: &ServerState,
    user: &User,
    setting: Option<&str>,
    has_second_factor: bool,
) -> bool {
    !exempt(state, user) && setting == Some("true") && !has_second_factor
}

/// The shared demo account (which cannot have a second factor) and roles the policy does
/// not cover never must enrol.
fn exempt(state: &ServerState, user: &User) -> bool {
    let demo = state
        .settings
        .demo_sign_in
        .as_ref()
        .is_some_and(|d| d.email == user.email);
    demo || !policy_covers(user.role)
}

/// Request extension set by the session middleware: the signed-in user must enrol a second
/// factor first; only enrolment (and signing out) is allowed until then.
#[derive(Debug, Clone, Copy)]
pub struct MustEnrol;

/// The page where a second factor is set up (and where users who must are sent).
pub const ENROL_PAGE: &str = crate::auth::totp::SECURITY_PAGE;

/// Server functions a user who must enrol may still call: what every page needs, the
/// public ones, stopping "view as", and enrolment itself.
const ENROL_ALLOWED_FNS: &[&str] = &[
    "panel_info",
    "sign_out",
    "sign_in",
    "sign_up",
    "sign_in/code",
    "reset/check",
    "reset/password",
    "totp/status",
    "totp/begin",
    "totp/confirm",
    // Only stopping: starting a view goes through `require_user`, which refuses.
    "customers/view_as",
];

/// Pages a user who must enrol may still open.
const ENROL_ALLOWED_PAGES: &[&str] = &[ENROL_PAGE, "/sign-in", "/sign-up", "/reset"];

/// Whether a request to `path` is allowed while the user must enrol: the allowed server
/// functions and pages, and the site's static files (`/pkg/…`, the icons) — nothing else,
/// so every server function, stream, download and page is covered, present or future.
pub fn enrolment_allows(path: &str) -> bool {
    if let Some(name) = path.strip_prefix("/api/") {
        return ENROL_ALLOWED_FNS.contains(&name);
    }
    ENROL_ALLOWED_PAGES.contains(&path) || is_static_file(path)
}

/// The site's static files: the build output under `/pkg/` and the top-level files from
/// `public/` (favicon, logo, robots.txt). The same for everyone, so the session middleware
/// does not look up the policy for them.
pub fn is_static_file(path: &str) -> bool {
    if path.starts_with("/pkg/") {
        return true;
    }
    let file = path.strip_prefix('/').unwrap_or(path);
    !file.contains('/')
        && file
            .rsplit_once('.')
            .is_some_and(|(_, ext)| matches!(ext, "svg" | "ico" | "png" | "txt"))
}

/// What the middleware does with a request of a user who must enrol and may not make it:
/// a server function (or other `/api/` route) gets 403 with
/// [`AppError::SecondFactorRequired`] as its body; a page is redirected to the enrolment
/// page; anything else gets 403.
pub fn enrolment_refusal(method: &http::Method, path: &str) -> Response {
    if path.starts_with("/api/") {
        let body = serde_json::to_string(&AppError::SecondFactorRequired)
            .unwrap_or_else(|_| "\"SecondFactorRequired\"".to_owned());
        return (
            http::StatusCode::FORBIDDEN,
            [(http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    if matches!(*method, http::Method::GET | http::Method::HEAD) {
        return Redirect::to(ENROL_PAGE).into_response();
    }
    (
        http::StatusCode::FORBIDDEN,
        AppError::SecondFactorRequired.to_string(),
    )
        .into_response()
}

/// Session key of [`PartialAuth`].
pub const PARTIAL_KEY: &str = "partial_auth";
/// How long a partial sign-in waits for its code.
pub const PARTIAL_TTL_SECS: i64 = 300;
/// Wrong codes that end a partial sign-in (and, on the security page, the session).
pub const MAX_CODE_FAILURES: u32 = 5;

/// A sign-in whose password was right and whose second factor is still to come. It is not
/// a signed-in session ([`AUTH_KEY`] is absent): nothing but `sign_in/code` can use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialAuth {
    pub uid: UserId,
    /// The user's `session_epoch` when the password was checked.
    pub epoch: i64,
    /// When the password was checked.
    pub at: i64,
    /// Wrong codes so far.
    pub failures: u32,
}

/// After a right password: when `user` has a second factor, puts a [`PartialAuth`] in a
/// session with a new id (any earlier sign-in in it ends) and returns `true`; the caller
/// then asks for the code instead of signing in.
pub async fn begin_second_step(
    state: &ServerState,
    session: &Session,
    user: &User,
) -> Result<bool, AppError> {
    if !has_second_factor(state, user.id).await? {
        return Ok(false);
    }
    session.cycle_id().await?;
    session.remove_value(AUTH_KEY).await?;
    session.remove_value(VIEW_AS_KEY).await?;
    session
        .insert(
            PARTIAL_KEY,
            PartialAuth {
                uid: user.id,
                epoch: user.session_epoch,
                at: now_unix(),
                failures: 0,
            },
        )
        .await?;
    Ok(true)
}

/// Counts a wrong code in `session` under `key`; at [`MAX_CODE_FAILURES`] the session is
/// flushed and `true` returned.
pub async fn count_failure(session: &Session, key: &str) -> Result<bool, AppError> {
    let failures = session.get::<u32>(key).await?.unwrap_or(0) + 1;
    if failures >= MAX_CODE_FAILURES {
        session.flush().await?;
        return Ok(true);
    }
    session.insert(key, failures).await?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 seed.
    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, code) in expected.into_iter().enumerate() {
            assert_eq!(hotp(RFC_SEED, counter as u64, 6), code, "counter {counter}");
        }
    }

    #[test]
    fn rfc6238_sha1_vectors() {
        // (time, 8-digit TOTP) from RFC 6238 appendix B, SHA-1 rows.
        let vectors: [(i64, u32); 6] = [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ];
        for (time, code) in vectors {
            let step = u64::try_from(step_at(time)).unwrap();
            assert_eq!(hotp(RFC_SEED, step, 8), code, "T={time}");
            // Our six-digit codes are the same values modulo 10^6.
            assert_eq!(
                code_at(RFC_SEED, step_at(time)),
                format!("{:06}", code % 1_000_000),
                "T={time}"
            );
        }
        assert_eq!(code_at(RFC_SEED, step_at(1111111109)), "081804");
    }

    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let now = 1_700_000_000;
        let s = step_at(now);
        let code = |step| code_at(RFC_SEED, step);
        assert_eq!(matching_step(RFC_SEED, &code(s), now, None), Some(s));
        assert_eq!(
            matching_step(RFC_SEED, &code(s - 1), now, None),
            Some(s - 1)
        );
        assert_eq!(
            matching_step(RFC_SEED, &code(s + 1), now, None),
            Some(s + 1)
        );
        assert_eq!(matching_step(RFC_SEED, &code(s - 2), now, None), None);
        assert_eq!(matching_step(RFC_SEED, &code(s + 2), now, None), None);
        // Spaces are fine; other lengths and letters are not.
        let spaced = format!("{} {}", &code(s)[..3], &code(s)[3..]);
        assert_eq!(matching_step(RFC_SEED, &spaced, now, None), Some(s));
        assert_eq!(matching_step(RFC_SEED, &code(s)[..5], now, None), None);
        assert_eq!(matching_step(RFC_SEED, "abcdef", now, None), None);
        assert_eq!(
            matching_step(b"another seed 1234567", &code(s), now, None),
            None
        );
    }

    #[test]
    fn a_step_is_accepted_only_after_the_last_one() {
        let now = 1_700_000_000;
        let s = step_at(now);
        let code = |step| code_at(RFC_SEED, step);
        // Replay: the step just used is refused, as is an earlier one.
        assert_eq!(matching_step(RFC_SEED, &code(s), now, Some(s)), None);
        assert_eq!(matching_step(RFC_SEED, &code(s - 1), now, Some(s)), None);
        // A later step within the skew still works.
        assert_eq!(
            matching_step(RFC_SEED, &code(s + 1), now, Some(s)),
            Some(s + 1)
        );
        // The previous step works while it is later than the last accepted one.
        assert_eq!(
            matching_step(RFC_SEED, &code(s - 1), now, Some(s - 2)),
            Some(s - 1)
        );
    }

    #[test]
    fn base32_rfc4648_vectors_round_trip() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(
            base32_decode("mzxw 6ytb oi======").unwrap(),
            b"foobar".to_vec()
        );
        assert!(base32_decode("MZ1").is_none());
        let seed = new_seed();
        assert_eq!(seed.len(), SEED_LEN);
        assert_eq!(base32(&seed).len(), 32, "160 bits are 32 characters");
        assert_eq!(base32_decode(&base32(&seed)).unwrap(), seed.to_vec());
        assert_ne!(*new_seed(), *seed, "fresh randomness");
    }

    #[test]
    fn otpauth_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("Acme Cloud", "ada+1@example.com", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Cloud:ada%2B1%40example.com?secret=JBSWY3DPEHPK3PXP\
             &issuer=Acme%20Cloud&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn qr_matrix_is_square() {
        let m = qr_matrix("otpauth://totp/x:y?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(m.width >= 21);
        assert_eq!(m.dark.len(), m.width * m.width);
        // The finder pattern's corner module is dark.
        assert!(m.dark[0]);
    }

    #[test]
    fn recovery_codes_are_long_normalised_and_bound_to_the_user() {
        let (codes, hashes) = new_recovery_codes(7);
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(hashes.len(), RECOVERY_CODES);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 24 + 5, "six dashed groups of four: {code}");
        let norm = normalize_recovery(code).unwrap();
        assert_eq!(recovery_hash(7, &norm), hashes[0]);
        assert_ne!(recovery_hash(8, &norm), hashes[0], "another user's row");
        // Typed loosely: lower case, spaces, no dashes, digits for look-alike letters.
        let loose = code.to_lowercase().replace('-', " ").replace('o', "0");
        assert_eq!(normalize_recovery(&loose).as_deref(), Some(norm.as_str()));
        assert!(normalize_recovery("ABCD-EFGH").is_none());
        assert!(normalize_recovery("123456").is_none());
        assert!(totp_digits(code).is_none());
        assert!(!hashes[0].contains(&norm));
    }

    #[test]
    fn what_a_user_who_must_enrol_may_reach() {
        for ok in [
            "/api/panel_info",
            "/api/sign_out",
            "/api/totp/begin",
            "/api/totp/confirm",
            "/account/security",
            "/sign-in",
            "/pkg/lunapanel.wasm",
            "/favicon.svg",
            "/robots.txt",
        ] {
            assert!(enrolment_allows(ok), "{ok}");
        }
        for refused in [
            "/api/vms/list",
            "/api/totp/disable",
            "/api/live/vms",
            "/api/images/1/download",
            "/audit.csv",
            "/",
            "/vms",
            "/account",
            "/admin",
            "/dns/zones/a.b",
        ] {
            assert!(!enrolment_allows(refused), "{refused}");
        }
        let res = enrolment_refusal(&http::Method::POST, "/api/vms/list");
        assert_eq!(res.status(), http::StatusCode::FORBIDDEN);
        let res = enrolment_refusal(&http::Method::GET, "/vms");
        assert_eq!(res.status(), http::StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], ENROL_PAGE);
    }
}
