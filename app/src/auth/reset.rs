//! Password-reset links without e-mail (issue 13): the administrator (for anyone) or a
//! reseller (for their own customers) makes a single-use link that expires after an hour
//! and hands it over themselves; its holder sets a new password at `/reset`. Only the
//! token's SHA-256 is stored (like invites). Using a link ends every session of the account
//! but keeps its second factor: whoever holds the link still needs the authenticator app
//! (or a recovery code) to sign in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How long a reset link works.
pub const RESET_LINK_LIFETIME_SECS: i64 = 3600;

/// The one answer for a wrong, expired or used link (they are not told apart).
pub const RESET_INVALID: &str = "This reset link cannot be used: it is not valid, has expired \
                                 or was used already. Ask whoever gave it to you for a new one.";

/// Whose password a valid link resets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetTarget {
    pub email: String,
    pub expires_at: i64,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::auth::token_hash;
    use crate::error::AppError;
    use crate::server::context::ServerState;
    use crate::server::events::{action, record, Event};
    use crate::server::store::{now_unix, PasswordReset, User};
    use crate::types::NewResetLink;

    /// Makes a reset link for `target` on behalf of `actor` (whose right to do so the
    /// caller checked); audited. The token exists only in the returned link.
    pub async fn make_link(
        state: &ServerState,
        actor: &User,
        target: &User,
    ) -> Result<NewResetLink, AppError> {
        use base64::Engine;
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let expires_at = now_unix().saturating_add(super::RESET_LINK_LIFETIME_SECS);
        state
            .store
            .create_password_reset(target.id, actor.id, &token_hash(&token), expires_at)
            .await?;
        record(state, on_behalf(actor, target, action::RESET_LINK)).await;
        tracing::info!(
            actor_id = actor.id,
            user_id = target.id,
            "password reset link made"
        );
        Ok(NewResetLink {
            link: format!("{}/reset?token={token}", state.settings.public_origin),
            expires_at,
        })
    }

    /// Removes `target`'s second factor (pending or on) on behalf of `actor`, ending their
    /// sessions; audited. `false` when they had none.
    pub async fn reset_second_factor(
        state: &ServerState,
        actor: &User,
        target: &User,
    ) -> Result<bool, AppError> {
        let removed = state.store.delete_second_factor(target.id).await?;
        if removed.is_some() {
            record(state, on_behalf(actor, target, action::TOTP_RESET)).await;
            tracing::info!(
                actor_id = actor.id,
                user_id = target.id,
                "second factor reset"
            );
        }
        Ok(removed.is_some())
    }

    /// `actor` acting on `target`'s account (shown in the log of that account).
    fn on_behalf(actor: &User, target: &User, action: &str) -> Event {
        Event::by(actor, action)
            .target(format!("user:{}", target.id))
            .account(Some(target.reseller_id.unwrap_or(target.id)))
    }

    /// The usable link with this token, and its user.
    pub async fn usable(
        state: &ServerState,
        token: &str,
    ) -> Result<(PasswordReset, User), AppError> {
        let invalid = || AppError::Conflict(super::RESET_INVALID.into());
        let token = token.trim();
        if token.is_empty() || token.len() > 100 {
            return Err(invalid());
        }
        let link = state
            .store
            .password_reset(&token_hash(token))
            .await?
            .filter(|l| l.is_usable(now_unix()))
            .ok_or_else(invalid)?;
        let user = state
            .store
            .user_by_id(link.user_id)
            .await?
            .ok_or_else(invalid)?;
        Ok((link, user))
    }
}

/// [`ssr::usable`], with unusable links counted against the client's address like invite
/// links (guessing), and refused while that address is blocked.
#[cfg(feature = "ssr")]
async fn guarded(
    state: &crate::server::ServerState,
    token: &str,
) -> Result<
    (
        crate::server::store::PasswordReset,
        crate::server::store::User,
    ),
    AppError,
> {
    use crate::server::throttle;
    let meta = crate::server::events::current_meta();
    let keys = [(throttle::INVITE_ADDRESS, meta.ip())];
    throttle::check(state, &keys).await?;
    let found = ssr::usable(state, token).await;
    if found.is_err() {
        throttle::failed(state, &keys).await?;
    }
    found
}

/// Whose password the link resets (or the one neutral refusal).
#[server(endpoint = "reset/check")]
pub async fn check_reset_link(token: String) -> Result<ResetTarget, AppError> {
    let state = crate::server::context::state()?;
    let (link, user) = guarded(&state, &token).await?;
    Ok(ResetTarget {
        email: user.email,
        expires_at: link.expires_at,
    })
}

/// Sets a new password with a reset link (once). Every session of the account ends; its
/// second factor stays.
#[server(endpoint = "reset/password")]
pub async fn reset_password(
    token: String,
    new_password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::error::FieldErrors;
    use crate::server::events::{action, record, Event};
    use crate::server::store::now_unix;
    use crate::validate::password_problem;

    let state = crate::server::context::state()?;
    let (_, user) = guarded(&state, &token).await?;
    let mut errors = FieldErrors::new();
    if let Some(p) = password_problem(&new_password, &user.email) {
        errors.add("new_password", p);
    }
    if new_password != confirm {
        errors.add("confirm", "The two passwords do not match.");
    }
    errors.into_result()?;
    let hash = state.hasher.hash(&new_password).await?;
    // Checked again, atomically, as it is used: a link works once.
    let used = state
        .store
        .use_password_reset(&crate::auth::token_hash(&token), hash, now_unix())
        .await?;
    if used != Some(user.id) {
        return Err(AppError::Conflict(RESET_INVALID.into()));
    }
    // A reset ends the account's sign-in back-off (SEC-5.2).
    crate::server::throttle::cleared(
        &state,
        &[(
            crate::server::throttle::SIGN_IN_ACCOUNT,
            Some(user.email.as_str()),
        )],
    )
    .await?;
    record(&state, Event::by(&user, action::PASSWORD_RESET)).await;
    tracing::info!(
        user_id = user.id,
        "password reset with a link; every session ended"
    );
    Ok(())
}
