//! Throttling of guessable secrets (issue 13.2, SEC-5.1/5.2): failed sign-ins and
//! second-factor codes per account and per client address, sign-up and invite redemption
//! per address. Counters live in the database, so every panel instance sees the same ones.
//!
//! A rule lets `free` failures pass within its window; each failure after that blocks the
//! key for a growing time (for sign-in 1 s, 2 s, 4 s … up to the cap, 15 minutes by
//! default; sign-up and invites begin at a minute), during
//! which the key is answered 429 with `Retry-After` *without* the password being checked —
//! so a block costs the panel nothing and a guess made during it never counts. The answer
//! is the same whether the e-mail address has an account or not (the account key is the
//! address as typed, normalized), so throttling tells nobody who has an account.

use super::context::ServerState;
use crate::error::AppError;

/// Now, in unix milliseconds: the counters' times are kept in milliseconds, so a block
/// lasts exactly its length (on a whole-second clock a 1 s block begun at 10.9 would end
/// at 11, a tenth of a second later) and `Retry-After` never exceeds it.
fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

/// One kind of counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The counter's scope in the store (`sign_in:account`).
    pub scope: &'static str,
    /// Failures allowed within `window` before blocks begin.
    pub free: i64,
    /// Seconds after the last failure when the count starts again.
    pub window: i64,
    /// The first block, in seconds; each later one doubles (up to the cap).
    pub base: i64,
}

/// Wrong passwords for one e-mail address, from anywhere (SEC-5.2: 5 in 15 minutes).
pub const SIGN_IN_ACCOUNT: Rule = Rule {
    scope: "sign_in:account",
    free: 5,
    window: 900,
    base: 1,
};
/// Wrong passwords from one address, for any accounts (credential stuffing). More than
/// an account's: several people may share an address.
pub const SIGN_IN_ADDRESS: Rule = Rule {
    scope: "sign_in:address",
    free: 20,
    window: 900,
    base: 1,
};
/// Wrong second-factor or recovery codes for one account.
pub const CODE_ACCOUNT: Rule = Rule {
    scope: "code:account",
    free: 5,
    window: 900,
    base: 1,
};
/// Wrong second-factor or recovery codes from one address.
pub const CODE_ADDRESS: Rule = Rule {
    scope: "code:address",
    free: 20,
    window: 900,
    base: 1,
};
/// Sign-up attempts from one address (each costs a password hash; with open sign-up, each
/// can make an account). `free` comes from the settings (`sign_ups_per_hour`).
pub const SIGN_UP_ADDRESS: Rule = Rule {
    scope: "sign_up:address",
    free: 20,
    window: 3600,
    base: 60,
};
/// Unusable invite and password-reset links tried from one address (guessing them).
pub const INVITE_ADDRESS: Rule = Rule {
    scope: "invite:address",
    free: 10,
    window: 3600,
    base: 60,
};

/// The panel's throttle settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// The longest block, in seconds.
    pub cap_secs: i64,
    /// Sign-up attempts allowed per address per hour.
    pub sign_ups_per_hour: i64,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            cap_secs: 900,
            sign_ups_per_hour: SIGN_UP_ADDRESS.free,
        }
    }
}

impl ThrottleSettings {
    /// `rule` as configured here.
    pub fn rule(&self, rule: Rule) -> Rule {
        if rule.scope == SIGN_UP_ADDRESS.scope {
            Rule {
                free: self.sign_ups_per_hour,
                ..rule
            }
        } else {
            rule
        }
    }
}

/// How long the failure numbered `failures` blocks under `rule` (none while free): the
/// rule's base for the first over, doubling, up to `cap`.
pub fn block_secs(rule: Rule, failures: i64, cap: i64) -> Option<i64> {
    let over = failures - rule.free;
    if over <= 0 {
        return None;
    }
    let doubling = u32::try_from(over - 1).unwrap_or(u32::MAX).min(40);
    let secs = rule.base.max(1).saturating_mul(1i64 << doubling);
    Some(secs.min(cap.max(1)))
}

/// The counters a request is checked against: a rule and its key (an account's e-mail or
/// id, or a client address). A `None` key (no address known) is skipped.
pub type Keys<'a> = [(Rule, Option<&'a str>)];

fn present<'a>(
    state: &'a ServerState,
    keys: &'a Keys<'a>,
) -> impl Iterator<Item = (Rule, &'a str)> + 'a {
    let settings = state.settings.throttle;
    keys.iter()
        .filter_map(move |(rule, key)| key.map(|k| (settings.rule(*rule), k)))
}

/// Refuses the request (429, how long to wait) when any of `keys` is blocked now.
pub async fn check(state: &ServerState, keys: &Keys<'_>) -> Result<(), AppError> {
    let now = now_ms();
    let mut wait_ms = 0;
    for (rule, key) in present(state, keys) {
        if let Some(row) = state.store.throttle_state(rule.scope, key).await? {
            wait_ms = wait_ms.max(row.blocked_until - now);
        }
    }
    if wait_ms > 0 {
        // Whole seconds, rounded up: at least 1, at most the block.
        let secs = (wait_ms.unsigned_abs()).div_ceil(1000);
        return Err(AppError::too_many_attempts(secs));
    }
    Ok(())
}

/// Counts a failure against each of `keys`, blocking those over their rule. Returns the
/// longest block it began, in seconds (for the audit; the failure itself is answered as
/// any failure is).
pub async fn failed(state: &ServerState, keys: &Keys<'_>) -> Result<Option<i64>, AppError> {
    let now = now_ms();
    let cap = state.settings.throttle.cap_secs;
    let mut began = None;
    for (rule, key) in present(state, keys) {
        let row = state
            .store
            .throttle_fail(rule.scope, key, now, rule.window.saturating_mul(1000))
            .await?;
        if let Some(secs) = block_secs(rule, row.failures, cap) {
            state
                .store
                .throttle_block(
                    rule.scope,
                    key,
                    now.saturating_add(secs.saturating_mul(1000)),
                )
                .await?;
            began = began.max(Some(secs));
        }
    }
    Ok(began)
}

/// Forgets `keys`' counters (a right password clears its account's count, never an
/// address's: one's own account must not buy more guesses at others').
pub async fn cleared(state: &ServerState, keys: &Keys<'_>) -> Result<(), AppError> {
    for (rule, key) in present(state, keys) {
        state.store.throttle_clear(rule.scope, key).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_begin_after_the_free_failures_and_double_to_the_cap() {
        let secs: Vec<Option<i64>> = (1..=12)
            .map(|f| block_secs(SIGN_IN_ACCOUNT, f, 900))
            .collect();
        assert_eq!(
            secs,
            [
                None,
                None,
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(64)
            ]
        );
        assert_eq!(block_secs(SIGN_IN_ACCOUNT, 30, 900), Some(900));
        assert_eq!(block_secs(SIGN_IN_ACCOUNT, i64::MAX, 900), Some(900));
        assert_eq!(block_secs(SIGN_IN_ACCOUNT, 40, 2), Some(2), "a short cap");
        assert_eq!(block_secs(SIGN_UP_ADDRESS, 21, 900), Some(60));
        assert_eq!(block_secs(SIGN_UP_ADDRESS, 23, 900), Some(240));
    }

    #[test]
    fn sign_ups_per_hour_come_from_the_settings() {
        let s = ThrottleSettings {
            cap_secs: 5,
            sign_ups_per_hour: 3,
        };
        assert_eq!(s.rule(SIGN_UP_ADDRESS).free, 3);
        assert_eq!(s.rule(SIGN_IN_ACCOUNT), SIGN_IN_ACCOUNT);
    }
}
