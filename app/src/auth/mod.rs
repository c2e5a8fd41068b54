//! Accounts: sign-up, sign-in, sign-out, password change, and what every page needs to know
//! (`panel_info`). Server functions only; the pages are in `crate::pages`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{PanelInfo, SessionUser, SignInOutcome};

pub mod reset;
pub mod totp;

pub mod sessions;

#[cfg(feature = "ssr")]
mod ssr {
    use sha2::{Digest, Sha256};

    use crate::server::context::PanelSettings;
    use crate::server::store::{now_unix, User};
    use crate::types::SessionUser;

    impl From<&User> for SessionUser {
        fn from(u: &User) -> Self {
            SessionUser {
                id: u.id,
                email: u.email.clone(),
                display_name: u.display_name.clone(),
                role: u.role,
            }
        }
    }

    /// Invite tokens are stored only as their SHA-256 (hex).
    pub fn token_hash(token: &str) -> String {
        Sha256::digest(token.trim().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A new invite's secret: the token (only ever in the link), its hash (stored) and when
    /// it expires under the panel's invite lifetime.
    pub struct FreshInvite {
        pub token: String,
        pub token_hash: String,
        pub expires_at: i64,
    }

    impl FreshInvite {
        pub fn new(settings: &PanelSettings) -> Self {
            use base64::Engine;
            use rand::RngCore;
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            let lifetime = i64::try_from(settings.invite_lifetime.as_secs()).unwrap_or(i64::MAX);
            Self {
                token_hash: token_hash(&token),
                token,
                expires_at: now_unix().saturating_add(lifetime),
            }
        }

        /// What the browser gets: the link carrying the token.
        pub fn shown(&self, settings: &PanelSettings, id: i64) -> crate::types::NewInvite {
            crate::types::NewInvite {
                id,
                link: format!("{}/sign-up?invite={}", settings.public_origin, self.token),
                expires_at: self.expires_at,
            }
        }
    }
}
#[cfg(feature = "ssr")]
pub use ssr::{token_hash, FreshInvite};

/// Who is signed in, and how the panel runs.
#[server(endpoint = "panel_info")]
pub async fn get_panel_info() -> Result<PanelInfo, AppError> {
    use crate::server::context::{impersonating, signed_in, state};
    let state = state()?;
    let user = signed_in()?;
    let reseller = impersonating();
    // The next account signed up becomes the administrator while there is none (a demo
    // panel has its demo accounts, none of them the administrator).
    let first_user = user.is_none() && !state.store.has_admin().await?;
    // A customer works through their reseller's account and sees the reseller's branding.
    let account = user.as_ref().map(|u| u.reseller_id.unwrap_or(u.id));
    let (has_credential, upstream) = match account {
        Some(a) => (
            state.store.credential(a).await?.is_some(),
            state.upstream.health(a),
        ),
        None => (false, None),
    };
    let branding = match user.as_ref().and_then(|u| u.reseller_id) {
        Some(r) => Some(state.store.branding(r).await?.unwrap_or_default()),
        None => None,
    };
    let customer_access = match user.as_ref() {
        Some(u) if u.reseller_id.is_some() => Some(crate::types::CustomerAccess {
            enabled: state
                .store
                .customer_policy(u.id)
                .await?
                .unwrap_or_default()
                .enabled,
            suspended: u.suspended,
        }),
        _ => None,
    };
    Ok(PanelInfo {
        user: user.as_ref().map(SessionUser::from),
        demo: state.settings.demo,
        sign_up: state.settings.sign_up,
        first_user,
        demo_sign_in: state.settings.demo_sign_in.clone(),
        has_credential,
        upstream,
        branding,
        viewing_as_by: reseller.as_ref().map(SessionUser::from),
        customer_access,
        must_enrol_second_factor: crate::server::context::must_enrol(),
    })
}

/// Creates an account and signs it in. The first account becomes the administrator; later
/// ones need an invite unless sign-up is open.
///
/// Who has an account is not told (SEC-2.4): the invite (or the invite-only policy) is
/// checked first, before any password is hashed, so without a usable invite every address
/// gets the same answer after the same work. With one, a taken address costs the same
/// hashing as a new one, leaves the invite unused, and is answered with [`TAKEN`], which
/// says nothing about whose the address is.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    confirm: String,
    invite: Option<String>,
) -> Result<SessionUser, AppError> {
    use crate::server::context::{session, state};
    use crate::server::session::start;
    use crate::server::store::{now_unix, NewUser, SignUpGate, StoreError};
    use crate::server::throttle;
    use crate::types::SignUpPolicy;
    use crate::validate::{check_sign_up, normalize_email};

    check_sign_up(&name, &email, &password, &confirm).into_result()?;
    let state = state()?;
    let meta = crate::server::events::current_meta();
    // Per client address: attempts (each costs a password hash and, with open sign-up,
    // can make an account) and unusable invite links (guessing).
    let attempts = [(throttle::SIGN_UP_ADDRESS, meta.ip())];
    let guesses = [(throttle::INVITE_ADDRESS, meta.ip())];
    throttle::check(&state, &attempts).await?;
    throttle::check(&state, &guesses).await?;
    let invite = invite.filter(|t| !t.trim().is_empty());
    let gate = match (invite, state.settings.sign_up) {
        (Some(token), _) => SignUpGate::Invite {
            token_hash: token_hash(&token),
        },
        (None, SignUpPolicy::Open) => SignUpGate::Open,
        (None, SignUpPolicy::InviteOnly) => SignUpGate::FirstUserOnly,
    };
    // The gate first (the store checks it again, atomically, when it inserts).
    match &gate {
        SignUpGate::Open => {}
        // The store's rule: the first account while there is no administrator (a demo
        // account may exist before it) becomes the administrator.
        SignUpGate::FirstUserOnly => {
            if state.store.has_admin().await? {
                return Err(StoreError::SignUpClosed.into());
            }
        }
        SignUpGate::Invite { token_hash } => {
            let usable = state
                .store
                .invite_by_token_hash(token_hash)
                .await?
                .is_some_and(|i| i.is_usable(now_unix()));
            if !usable {
                throttle::failed(&state, &guesses).await?;
                return Err(StoreError::InviteInvalid.into());
            }
        }
    }
    throttle::failed(&state, &attempts).await?;
    let email = normalize_email(&email);
    let password_hash = state.hasher.hash(&password).await?;
    let created = state
        .store
        .create_user(
            NewUser {
                email,
                display_name: name.trim().to_owned(),
                password_hash,
            },
            gate,
        )
        .await;
    let user = match created {
        Ok(user) => user,
        // Rolled back: the invite stays unused for its rightful user.
        Err(StoreError::Duplicate("email")) => {
            tracing::info!("sign-up with an address already in use refused");
            return Err(crate::error::FieldErrors::single("email", TAKEN));
        }
        Err(e) => return Err(e.into()),
    };
    start(&session()?, &user).await?;
    crate::server::events::record(
        &state,
        crate::server::events::Event::by(&user, crate::server::events::action::SIGN_UP),
    )
    .await;
    tracing::info!(
        user_id = user.id,
        role = user.role.as_str(),
        "account created"
    );
    Ok(SessionUser::from(&user))
}

/// The answer to a sign-up (or a reseller's new customer) whose address is already in use:
/// it neither confirms that an account exists nor says whose it is.
pub use crate::error::EMAIL_TAKEN as TAKEN;

/// Signs in. An unknown e-mail, a wrong password and a disabled account all give the same
/// answer after the same amount of work (SEC-2.4). With a second factor on, a right
/// password only leads to [`SignInOutcome::CodeNeeded`] (see [`totp::sign_in_code`]).
#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<SignInOutcome, AppError> {
    use crate::error::FieldErrors;
    use crate::server::context::{session, state};
    use crate::server::events::{action, record, Event};
    use crate::server::session::start;
    use crate::server::store::Outcome;
    use crate::server::throttle;
    use crate::validate::{normalize_email, PASSWORD_MAX_CHARS};

    let mut errors = FieldErrors::new();
    if email.trim().is_empty() {
        errors.add("email", "Enter your e-mail address.");
    }
    if password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    errors.into_result()?;
    // Never hash unbounded input (SEC-2.3); no stored password can be this long anyway.
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::InvalidCredentials);
    }
    let state = state()?;
    let email = normalize_email(&email);
    let meta = crate::server::events::current_meta();
    // Counted per address typed (known or not: the answer must not tell) and per client.
    let keys = [
        (throttle::SIGN_IN_ACCOUNT, Some(email.as_str())),
        (throttle::SIGN_IN_ADDRESS, meta.ip()),
    ];
    if let Err(e) = throttle::check(&state, &keys).await {
        tracing::info!("sign-in refused: throttled");
        return Err(e);
    }
    let user = state.store.user_by_email(&email).await?;
    let verified = state
        .hasher
        .verify(&password, user.as_ref().map(|u| &u.password_hash))
        .await?;
    let Some(user) = user.clone().filter(|u| verified.ok && !u.disabled) else {
        tracing::info!("sign-in refused");
        let blocked = throttle::failed(&state, &keys).await?;
        // The attempt is the account's business when the address has one (its owner and
        // reseller see it); an unknown address is the administrator's alone.
        let mut event = Event::anonymous(action::SIGN_IN_FAILED)
            .target(format!("email:{email}"))
            .outcome(Outcome::Failed, Some("invalid_credentials"));
        if let Some(u) = &user {
            event = event.account(Some(u.reseller_id.unwrap_or(u.id)));
        }
        record(&state, event.clone()).await;
        if let Some(secs) = blocked {
            record(
                &state,
                Event {
                    action: action::THROTTLED.to_owned(),
                    ..event
                }
                .outcome(Outcome::Denied, Some(&format!("blocked_{secs}s"))),
            )
            .await;
        }
        return Err(AppError::InvalidCredentials);
    };
    throttle::cleared(&state, &keys[..1]).await?;
    if verified.needs_rehash {
        let fresh = state.hasher.hash(&password).await?;
        state.store.set_password_hash(user.id, fresh, false).await?;
        tracing::info!(
            user_id = user.id,
            "password re-hashed with current parameters"
        );
    }
    // With a second factor, the code is asked next (`sign_in/code`), in a partial session.
    if crate::server::totp::begin_second_step(&state, &session()?, &user).await? {
        return Ok(SignInOutcome::CodeNeeded);
    }
    start(&session()?, &user).await?;
    record(&state, Event::by(&user, action::SIGN_IN)).await;
    tracing::info!(user_id = user.id, "signed in");
    Ok(SignInOutcome::SignedIn(SessionUser::from(&user)))
}

/// Ends this session on the server, and has the browser clear what it kept of the panel
/// (`Clear-Site-Data`: cache, cookies, storage).
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::context::{impersonating, session, signed_in, state};
    use crate::server::events::{action, record, Event};
    let state = state()?;
    // While viewing as a customer, it is the reseller who signs out.
    if let Some(user) = impersonating().or(signed_in()?) {
        tracing::info!(user_id = user.id, "signed out");
        record(&state, Event::by(&user, action::SIGN_OUT)).await;
    }
    crate::server::session::end(&state, &session()?).await?;
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::HeaderName::from_static("clear-site-data"),
            http::HeaderValue::from_static("\"cache\", \"cookies\", \"storage\""),
        );
    }
    Ok(())
}

/// Changes the signed-in user's password and ends all their other sessions.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current: String,
    new_password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::error::FieldErrors;
    use crate::server::context::{require_user, session, state};
    use crate::server::session::start;
    use crate::validate::check_password_change;

    let user = require_user()?;
    let state = state()?;
    if state
        .settings
        .demo_sign_in
        .as_ref()
        .is_some_and(|demo| demo.email == user.email)
    {
        return Err(AppError::Conflict(
            "The demo account is shared by every visitor, so its password cannot be changed. \
             Invite yourself from Administration to try this with your own account."
                .into(),
        ));
    }
    check_password_change(&current, &new_password, &confirm, &user.email).into_result()?;
    let verified = state
        .hasher
        .verify(&current, Some(&user.password_hash))
        .await?;
    if !verified.ok {
        return Err(FieldErrors::single(
            "current",
            "Your current password is not correct.",
        ));
    }
    let fresh = state.hasher.hash(&new_password).await?;
    state.store.set_password_hash(user.id, fresh, true).await?;
    // This session carries on under the new epoch (and a new id); all others have ended.
    let user = state
        .store
        .user_by_id(user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let sid = start(&session()?, &user).await?;
    state
        .store
        .delete_sessions_except(user.id, Some(&sid))
        .await?;
    crate::server::events::record(
        &state,
        crate::server::events::Event::by(&user, crate::server::events::action::PASSWORD_CHANGE),
    )
    .await;
    tracing::info!(user_id = user.id, "password changed; other sessions ended");
    Ok(())
}
