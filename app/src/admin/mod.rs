//! Panel administration: users (disable / enable) and sign-up invites. Admin only.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{InviteSummary, NewInvite, NewResetLink, UserSummary};

/// The signed-in administrator; anyone else is refused, and the refusal audited.
#[cfg(feature = "ssr")]
pub async fn admin(path: &str) -> Result<crate::server::store::User, AppError> {
    use crate::server::context::{require_admin, require_user, state};
    match require_admin() {
        Err(e @ AppError::Forbidden) => {
            let (user, state) = (require_user()?, state()?);
            let meta = crate::server::events::current_meta();
            crate::server::events::denied(&state, &meta, &user, path, "panel", &e).await;
            Err(e)
        }
        other => other,
    }
}

/// The event of an administrator's change to `user_id`'s account (shown to that account
/// too).
#[cfg(feature = "ssr")]
async fn about_user(
    state: &crate::server::ServerState,
    admin: &crate::server::store::User,
    action: &str,
    user_id: i64,
) -> Result<crate::server::events::Event, AppError> {
    let account = state
        .store
        .user_by_id(user_id)
        .await?
        .map(|u| u.reseller_id.unwrap_or(u.id));
    Ok(crate::server::events::Event::by(admin, action)
        .target(format!("user:{user_id}"))
        .account(account.or(Some(admin.id))))
}

#[server(endpoint = "admin/list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    use crate::server::context::state;
    admin("admin/list_users").await?;
    let store = state()?.store;
    let users = store.list_users().await?;
    let with_factor = store.second_factor_users().await?;
    Ok(users
        .into_iter()
        .map(|u| UserSummary {
            second_factor: with_factor.contains(&u.id),
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            disabled: u.disabled,
            created_at: u.created_at,
        })
        .collect())
}

/// Disables (ending every session at once) or re-enables an account.
#[server(endpoint = "admin/set_user_disabled")]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), AppError> {
    use crate::server::context::state;
    use crate::server::events::{action, around};
    let admin = admin("admin/set_user_disabled").await?;
    if admin.id == user_id {
        return Err(AppError::Conflict(
            "You cannot disable your own account. Ask another administrator.".into(),
        ));
    }
    let state = state()?;
    let what = if disabled {
        action::ADMIN_DISABLE
    } else {
        action::ADMIN_ENABLE
    };
    let event = about_user(&state, &admin, what, user_id).await?;
    around(&state, event, async {
        Ok(state.store.set_user_disabled(user_id, disabled).await?)
    })
    .await?;
    tracing::info!(
        admin_id = admin.id,
        user_id,
        disabled,
        "account status changed"
    );
    Ok(())
}

/// Lets an owner serve customers of their own (or takes that away; their customers then
/// cannot act until they are a reseller again).
#[server(endpoint = "admin/set_reseller")]
pub async fn set_reseller(user_id: i64, reseller: bool) -> Result<(), AppError> {
    use crate::server::context::state;
    use crate::server::events::{action, around};
    let admin = admin("admin/set_reseller").await?;
    let state = state()?;
    let event = about_user(&state, &admin, action::ADMIN_ROLE, user_id)
        .await?
        .target(format!(
            "user:{user_id} role:{}",
            if reseller { "reseller" } else { "owner" }
        ));
    around(&state, event, async {
        Ok(state.store.set_reseller(user_id, reseller).await?)
    })
    .await?;
    tracing::info!(
        admin_id = admin.id,
        user_id,
        reseller,
        "reseller status changed"
    );
    Ok(())
}

/// Makes a single-use invite link. The token exists only in the returned link.
#[server(endpoint = "admin/create_invite")]
pub async fn create_invite() -> Result<NewInvite, AppError> {
    use crate::auth::FreshInvite;
    use crate::server::context::state;
    use crate::server::events::{action, record, Event};

    let admin = admin("admin/create_invite").await?;
    let state = state()?;
    let fresh = FreshInvite::new(&state.settings);
    let invite = state
        .store
        .create_invite(admin.id, &fresh.token_hash, fresh.expires_at)
        .await?;
    record(
        &state,
        Event::by(&admin, action::ADMIN_INVITE).target(format!("invite:{}", invite.id)),
    )
    .await;
    tracing::info!(admin_id = admin.id, invite_id = invite.id, "invite created");
    Ok(fresh.shown(&state.settings, invite.id))
}

#[server(endpoint = "admin/list_invites")]
pub async fn list_invites() -> Result<Vec<InviteSummary>, AppError> {
    use std::collections::HashMap;

    use crate::server::context::state;
    use crate::server::store::now_unix;

    admin("admin/list_invites").await?;
    let store = state()?.store;
    let emails: HashMap<i64, String> = store
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let now = now_unix();
    Ok(store
        .list_invites()
        .await?
        .into_iter()
        .map(|i| InviteSummary {
            id: i.id,
            created_at: i.created_at,
            expires_at: i.expires_at,
            used_by_email: i.used_by.and_then(|id| emails.get(&id).cloned()),
            revoked: i.revoked,
            usable: i.is_usable(now),
        })
        .collect())
}

#[server(endpoint = "admin/revoke_invite")]
pub async fn revoke_invite(invite_id: i64) -> Result<(), AppError> {
    use crate::server::context::state;
    use crate::server::events::{action, around, Event};
    let admin = admin("admin/revoke_invite").await?;
    let state = state()?;
    let event =
        Event::by(&admin, action::ADMIN_INVITE_REVOKE).target(format!("invite:{invite_id}"));
    around(&state, event, async {
        state
            .store
            .revoke_invite(invite_id)
            .await
            .map_err(|e| match e {
                crate::server::store::StoreError::NotFound => {
                    AppError::NotFound("An unused invite with that number".into())
                }
                other => other.into(),
            })
    })
    .await?;
    tracing::info!(admin_id = admin.id, invite_id, "invite revoked");
    Ok(())
}

/// Whether administrators and resellers must have a second factor.
#[server(endpoint = "admin/second_factor_policy")]
pub async fn second_factor_policy() -> Result<bool, AppError> {
    use crate::server::context::state;
    admin("admin/second_factor_policy").await?;
    crate::server::totp::required_by_policy(&state()?).await
}

/// Requires (or stops requiring) a second factor of administrators and resellers; those
/// without one are sent to set it up before anything else. The administrator must have
/// one first.
#[server(endpoint = "admin/set_second_factor_policy")]
pub async fn set_second_factor_policy(require: bool) -> Result<(), AppError> {
    use crate::server::context::state;
    use crate::server::events::{action, record, Event};
    use crate::server::totp::{has_second_factor, REQUIRED_SETTING};

    let admin = admin("admin/set_second_factor_policy").await?;
    let state = state()?;
    if require && !has_second_factor(&state, admin.id).await? {
        return Err(AppError::Conflict(
            "Turn on two-step sign-in for your own account first (Account → Sign-in \
             security), so that you are not sent there yourself."
                .into(),
        ));
    }
    state
        .store
        .put_panel_setting(REQUIRED_SETTING, if require { "true" } else { "false" })
        .await?;
    record(
        &state,
        Event::by(&admin, action::ADMIN_SETTINGS)
            .target(format!("setting:{REQUIRED_SETTING}={require}")),
    )
    .await;
    tracing::info!(admin_id = admin.id, require, "second-factor policy changed");
    Ok(())
}

/// The user `user_id` as someone else the administrator acts on (not themselves: their own
/// password and second factor are changed on their Account pages).
#[cfg(feature = "ssr")]
async fn other_user(
    admin: &crate::server::store::User,
    user_id: i64,
    own: &str,
) -> Result<crate::server::store::User, AppError> {
    if admin.id == user_id {
        return Err(AppError::Conflict(own.to_owned()));
    }
    crate::server::context::state()?
        .store
        .user_by_id(user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("The user".into()))
}

/// Removes a user's second factor (they lost their device and recovery codes); their
/// sessions end. Audited.
#[server(endpoint = "admin/reset_second_factor")]
pub async fn reset_second_factor(user_id: i64) -> Result<(), AppError> {
    use crate::server::context::state;
    let (admin, state) = (admin("admin/reset_second_factor").await?, state()?);
    let user = other_user(
        &admin,
        user_id,
        "Turn your own second factor off on the Sign-in security page.",
    )
    .await?;
    crate::auth::reset::ssr::reset_second_factor(&state, &admin, &user).await?;
    Ok(())
}

/// Makes a single-use password-reset link for a user (it expires after an hour). The token
/// exists only in the returned link. Audited.
#[server(endpoint = "admin/reset_link")]
pub async fn create_reset_link(user_id: i64) -> Result<NewResetLink, AppError> {
    use crate::server::context::state;
    let (admin, state) = (admin("admin/reset_link").await?, state()?);
    let user = other_user(
        &admin,
        user_id,
        "Change your own password on the Account page.",
    )
    .await?;
    crate::auth::reset::ssr::make_link(&state, &admin, &user).await
}
