//! The second factor's server functions (issue 13, SEC-5.4): setting up an authenticator
//! app (TOTP) with recovery codes, turning it off, and the second step of signing in. The
//! codes themselves are checked in `crate::server::totp`; the page is
//! `crate::pages::security`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::types::SessionUser;

/// The Sign-in security page (where a second factor is set up).
pub const SECURITY_PAGE: &str = "/account/security";

/// The signed-in user's second factor, for the Sign-in security page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorStatus {
    /// An authenticator app is set up and asked for at sign-in.
    pub enabled: bool,
    /// Set-up was started and waits for its first code.
    pub pending: bool,
    pub recovery_codes_left: u32,
    /// The administrator requires a second factor for this user's role.
    pub required: bool,
}

/// A QR code's modules, row by row (`width` × `width`, `true` = dark), drawn by the page as
/// SVG: the code is made on the server, with no image service involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrMatrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl QrMatrix {
    /// The dark modules as horizontal runs `(x, y, length)` (one SVG rectangle each).
    pub fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        if self.width == 0 {
            return runs;
        }
        for (y, row) in self.dark.chunks(self.width).enumerate() {
            let mut x = 0;
            while x < row.len() {
                if row[x] {
                    let start = x;
                    while x < row.len() && row[x] {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }
}

/// A started set-up: the secret for the authenticator app (shown once, until confirmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The base32 secret in groups of four, for typing into an app.
    pub secret: String,
    /// The `otpauth://` URI the QR code holds.
    pub uri: String,
    pub qr: QrMatrix,
}

/// What a wrong code is told (never which part was wrong).
pub const WRONG_CODE: &str = "That code is not right. Use the newest code your authenticator \
                              app shows (its clock must be correct), or a recovery code.";

#[cfg(feature = "ssr")]
pub mod ssr {
    use tower_sessions::Session;

    use crate::error::{AppError, FieldErrors};
    use crate::server::context::{impersonating, require_user_enrolling, ServerState};
    use crate::server::events::{action, record, Event};
    use crate::server::session::start;
    use crate::server::store::{Outcome, User};
    use crate::server::totp::count_failure;

    /// Session key counting wrong codes on the Sign-in security page.
    const FAILURES_KEY: &str = "totp_failures";

    /// The user managing their own second factor: signed in (possibly still to enrol), and
    /// not a reseller viewing as a customer.
    pub fn own_user() -> Result<User, AppError> {
        let user = require_user_enrolling()?;
        if impersonating().is_some() {
            return Err(AppError::Conflict(
                "You are viewing the panel as a customer. Stop viewing as them to manage \
                 your own sign-in security."
                    .into(),
            ));
        }
        Ok(user)
    }

    /// The demo account is shared by every visitor: no one may lock the others out.
    pub fn refuse_demo(state: &ServerState, user: &User) -> Result<(), AppError> {
        if state
            .settings
            .demo_sign_in
            .as_ref()
            .is_some_and(|demo| demo.email == user.email)
        {
            return Err(AppError::Conflict(
                "The demo account is shared by every visitor, so it cannot have a second \
                 factor. Invite yourself from Administration to try this with your own account."
                    .into(),
            ));
        }
        Ok(())
    }

    /// A wrong code on the Sign-in security page: audited; the fifth in a session ends it.
    pub async fn wrong_code(state: &ServerState, session: &Session, user: &User) -> AppError {
        record(
            state,
            Event::by(user, action::TOTP_FAILED).outcome(Outcome::Failed, Some("wrong_code")),
        )
        .await;
        match count_failure(session, FAILURES_KEY).await {
            Ok(true) => {
                tracing::info!(user_id = user.id, "too many wrong codes; session ended");
                AppError::Unauthenticated
            }
            Ok(false) => FieldErrors::single("code", super::WRONG_CODE),
            Err(e) => e,
        }
    }

    /// Carries this session on under `user`'s new epoch (with a new id): every other session
    /// ended with the change.
    pub async fn restart(
        state: &ServerState,
        session: &Session,
        user: i64,
    ) -> Result<(), AppError> {
        let user = state
            .store
            .user_by_id(user)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        start(session, &user).await?;
        session.remove_value(FAILURES_KEY).await?;
        Ok(())
    }

    /// The issuer name the authenticator app shows: a customer's reseller's panel name (they
    /// never see the provider behind it), else this panel's.
    pub async fn issuer(state: &ServerState, user: &User) -> Result<String, AppError> {
        Ok(match user.reseller_id {
            Some(r) => {
                state
                    .store
                    .branding(r)
                    .await?
                    .unwrap_or_default()
                    .panel_name
            }
            None => "lunapanel".to_owned(),
        })
    }
}

/// The signed-in user's second factor.
#[server(endpoint = "totp/status")]
pub async fn totp_status() -> Result<SecondFactorStatus, AppError> {
    use crate::server::context::state;
    use crate::server::totp::{policy_covers, required_by_policy};
    let (user, state) = (ssr::own_user()?, state()?);
    let factor = state.store.second_factor(user.id).await?;
    let enabled = factor.as_ref().is_some_and(|f| f.enabled);
    let left = if enabled {
        state.store.recovery_codes_left(user.id).await?
    } else {
        0
    };
    Ok(SecondFactorStatus {
        enabled,
        pending: factor.is_some_and(|f| !f.enabled),
        recovery_codes_left: u32::try_from(left).unwrap_or(0),
        required: policy_covers(user.role) && required_by_policy(&state).await?,
    })
}

/// Starts setting up an authenticator app (after the password again, SEC-5.4): a new
/// secret, pending until a code from it is confirmed. Starting again replaces it.
#[server(endpoint = "totp/begin")]
pub async fn begin_totp(password: String) -> Result<TotpEnrolment, AppError> {
    use crate::error::FieldErrors;
    use crate::server::context::state;
    use crate::server::totp::{base32, grouped, new_seed, otpauth_uri, qr_matrix, seal_seed};
    use crate::validate::PASSWORD_MAX_CHARS;

    let (user, state) = (ssr::own_user()?, state()?);
    ssr::refuse_demo(&state, &user)?;
    if password.is_empty() {
        return Err(FieldErrors::single("password", "Enter your password."));
    }
    let verified = password.chars().count() <= PASSWORD_MAX_CHARS
        && state
            .hasher
            .verify(&password, Some(&user.password_hash))
            .await?
            .ok;
    if !verified {
        return Err(FieldErrors::single(
            "password",
            "Your password is not correct.",
        ));
    }
    let seed = new_seed();
    let sealed = seal_seed(&state, user.id, &seed);
    if !state
        .store
        .put_pending_second_factor(user.id, &sealed)
        .await?
    {
        return Err(AppError::Conflict(
            "Two-step sign-in is already on. To move it to another device, turn it off first."
                .into(),
        ));
    }
    let secret = base32(&seed);
    let uri = otpauth_uri(&ssr::issuer(&state, &user).await?, &user.email, &secret);
    Ok(TotpEnrolment {
        secret: grouped(&secret, 4, " "),
        qr: qr_matrix(&uri)?,
        uri,
    })
}

/// Confirms the set-up with a current code from the app: two-step sign-in is on from now
/// (every other session ends; this one carries on). Returns the ten recovery codes, shown
/// only now.
#[server(endpoint = "totp/confirm")]
pub async fn confirm_totp(code: String) -> Result<Vec<String>, AppError> {
    use crate::error::FieldErrors;
    use crate::server::context::{session, state};
    use crate::server::events::{action, record, Event};
    use crate::server::store::{now_unix, Outcome};
    use crate::server::totp::{matching_step, new_recovery_codes, open_seed};

    let (user, state, session) = (ssr::own_user()?, state()?, session()?);
    let pending = match state.store.second_factor(user.id).await? {
        Some(f) if !f.enabled => f,
        Some(_) => return Err(AppError::Conflict("Two-step sign-in is already on.".into())),
        None => {
            return Err(AppError::Conflict(
                "No set-up is waiting for a code. Start again.".into(),
            ))
        }
    };
    let seed = open_seed(&state, user.id, &pending.sealed)?;
    let Some(step) = matching_step(&seed, &code, now_unix(), None) else {
        record(
            &state,
            Event::by(&user, action::TOTP_FAILED).outcome(Outcome::Failed, Some("wrong_code")),
        )
        .await;
        return Err(FieldErrors::single(
            "code",
            "That code is not right. Type the newest code the app shows for this panel, and \
             check that the device's clock is correct.",
        ));
    };
    let (codes, hashes) = new_recovery_codes(user.id);
    if !state
        .store
        .enable_second_factor(user.id, &pending.sealed.nonce, step, &hashes)
        .await?
    {
        return Err(AppError::Conflict(
            "The set-up was started again meanwhile (in another tab?). Use the newest QR code."
                .into(),
        ));
    }
    ssr::restart(&state, &session, user.id).await?;
    record(&state, Event::by(&user, action::TOTP_ENABLE)).await;
    tracing::info!(
        user_id = user.id,
        "second factor turned on; other sessions ended"
    );
    Ok(codes)
}

/// Turns two-step sign-in off; needs a current code or a recovery code. Every other session
/// ends; this one carries on.
#[server(endpoint = "totp/disable")]
pub async fn disable_totp(code: String) -> Result<(), AppError> {
    use crate::server::context::{session, state};
    use crate::server::events::{action, record, Event};
    use crate::server::totp::{has_second_factor, use_code, CodeUse};

    let (user, state, session) = (ssr::own_user()?, state()?, session()?);
    if !has_second_factor(&state, user.id).await? {
        return Err(AppError::Conflict("Two-step sign-in is not on.".into()));
    }
    match use_code(&state, user.id, &code).await? {
        None => return Err(ssr::wrong_code(&state, &session, &user).await),
        Some(CodeUse::Recovery) => record(&state, Event::by(&user, action::RECOVERY_USED)).await,
        Some(CodeUse::Totp) => {}
    }
    state.store.delete_second_factor(user.id).await?;
    ssr::restart(&state, &session, user.id).await?;
    record(&state, Event::by(&user, action::TOTP_DISABLE)).await;
    tracing::info!(
        user_id = user.id,
        "second factor turned off; other sessions ended"
    );
    Ok(())
}

/// Replaces the recovery codes (the old ones stop working); needs a current code. Returns
/// the new codes, shown only now.
#[server(endpoint = "totp/regenerate")]
pub async fn regenerate_recovery_codes(code: String) -> Result<Vec<String>, AppError> {
    use crate::server::context::{session, state};
    use crate::server::events::{action, record, Event};
    use crate::server::totp::{has_second_factor, new_recovery_codes, use_code, CodeUse};

    let (user, state, session) = (ssr::own_user()?, state()?, session()?);
    if !has_second_factor(&state, user.id).await? {
        return Err(AppError::Conflict("Two-step sign-in is not on.".into()));
    }
    match use_code(&state, user.id, &code).await? {
        None => return Err(ssr::wrong_code(&state, &session, &user).await),
        Some(CodeUse::Recovery) => record(&state, Event::by(&user, action::RECOVERY_USED)).await,
        Some(CodeUse::Totp) => {}
    }
    let (codes, hashes) = new_recovery_codes(user.id);
    state.store.replace_recovery_codes(user.id, &hashes).await?;
    record(&state, Event::by(&user, action::RECOVERY_REGENERATE)).await;
    Ok(codes)
}

/// The second step of signing in: the code from the authenticator app (or a recovery code)
/// after a right password. Signs in with a new session id (SEC-3.2). The partial sign-in
/// lasts five minutes and ends at the fifth wrong code.
#[server(endpoint = "sign_in/code")]
pub async fn sign_in_code(code: String) -> Result<SessionUser, AppError> {
    use crate::error::FieldErrors;
    use crate::server::context::{session, state};
    use crate::server::events::{action, record, Event};
    use crate::server::session::start;
    use crate::server::store::{now_unix, Outcome};
    use crate::server::throttle;
    use crate::server::totp::{
        use_code, CodeUse, PartialAuth, MAX_CODE_FAILURES, PARTIAL_KEY, PARTIAL_TTL_SECS,
    };

    let (state, session) = (state()?, session()?);
    let Some(partial) = session.get::<PartialAuth>(PARTIAL_KEY).await? else {
        return Err(AppError::Unauthenticated);
    };
    let user = state.store.user_by_id(partial.uid).await?.filter(|u| {
        !u.disabled
            && u.session_epoch == partial.epoch
            && now_unix() - partial.at < PARTIAL_TTL_SECS
    });
    let Some(user) = user else {
        session.remove_value(PARTIAL_KEY).await?;
        return Err(AppError::Unauthenticated);
    };
    if code.trim().is_empty() {
        return Err(FieldErrors::single(
            "code",
            "Enter the code from your authenticator app, or a recovery code.",
        ));
    }
    // Wrong codes are counted per account (across partial sign-ins: a new password entry
    // does not buy more guesses) and per client address, like passwords (issue 13.2).
    let uid = user.id.to_string();
    let meta = crate::server::events::current_meta();
    let keys = [
        (throttle::CODE_ACCOUNT, Some(uid.as_str())),
        (throttle::CODE_ADDRESS, meta.ip()),
    ];
    throttle::check(&state, &keys).await?;
    match use_code(&state, user.id, &code).await? {
        Some(kind) => {
            throttle::cleared(&state, &keys[..1]).await?;
            start(&session, &user).await?;
            if kind == CodeUse::Recovery {
                record(&state, Event::by(&user, action::RECOVERY_USED)).await;
            }
            record(&state, Event::by(&user, action::SIGN_IN)).await;
            tracing::info!(user_id = user.id, "signed in with a second factor");
            Ok(SessionUser::from(&user))
        }
        None => {
            throttle::failed(&state, &keys).await?;
            record(
                &state,
                Event::by(&user, action::TOTP_FAILED).outcome(Outcome::Failed, Some("wrong_code")),
            )
            .await;
            let failures = partial.failures + 1;
            if failures >= MAX_CODE_FAILURES {
                session.flush().await?;
                tracing::info!(
                    user_id = user.id,
                    "partial sign-in ended after too many wrong codes"
                );
                return Err(AppError::Unauthenticated);
            }
            session
                .insert(
                    PARTIAL_KEY,
                    PartialAuth {
                        failures,
                        ..partial
                    },
                )
                .await?;
            Err(FieldErrors::single("code", WRONG_CODE))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_runs_cover_exactly_the_dark_modules() {
        let m = QrMatrix {
            width: 4,
            dark: [
                [true, true, false, true],
                [false, false, false, false],
                [true, true, true, true],
                [false, true, false, false],
            ]
            .concat(),
        };
        assert_eq!(m.runs(), vec![(0, 0, 2), (3, 0, 1), (0, 2, 4), (1, 3, 1)]);
        assert!(QrMatrix {
            width: 0,
            dark: vec![]
        }
        .runs()
        .is_empty());
    }
}
