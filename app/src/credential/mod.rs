//! The account's Luna Node API credential: saved through the vault, tested with
//! `billing/credit`, shown only as API ID, last four characters and fingerprint. The key
//! field is write-only: no server function ever returns the key.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the API key page shows about the stored credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialView {
    pub api_id: String,
    pub key_last4: String,
    pub key_fingerprint: String,
    pub added_at: i64,
    pub last_used_at: Option<i64>,
    pub last_test_at: Option<i64>,
    pub last_test_ok: Option<bool>,
    pub last_test_message: Option<String>,
    /// Account credit in USD, when the last test read it.
    pub credit: Option<f64>,
}

/// Checks the shapes Luna Node uses (16 and 128 letters or digits) before anything is sent.
pub fn check_credential(api_id: &str, api_key: &str) -> crate::error::FieldErrors {
    let mut errors = crate::error::FieldErrors::new();
    let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    let id = api_id.trim();
    if id.is_empty() {
        errors.add(
            "api_id",
            "Enter the API ID (16 letters and digits, from Luna Node's API page).",
        );
    } else if id.len() != 16 || !alnum(id) {
        errors.add(
            "api_id",
            format!(
                "An API ID is 16 letters and digits; this one has {} characters.",
                id.chars().count()
            ),
        );
    }
    let key = api_key.trim();
    if key.is_empty() {
        errors.add("api_key", "Enter the API key (128 letters and digits).");
    } else if key.len() != 128 || !alnum(key) {
        errors.add("api_key", format!("An API key is 128 letters and digits; this one has {} characters. Copy it again from Luna Node.", key.chars().count()));
    }
    errors
}

#[cfg(feature = "ssr")]
mod ssr {
    use secrecy::SecretString;

    use super::CredentialView;
    use crate::error::AppError;
    use crate::server::lunanode::actions::BillingCredit;
    use crate::server::lunanode::{Credential, UpstreamError};
    use crate::server::store::StoredCredential;
    use crate::server::upstream::upstream_error;

    pub fn view(c: &StoredCredential, credit: Option<f64>) -> CredentialView {
        CredentialView {
            api_id: c.api_id.clone(),
            key_last4: c.key_last4.clone(),
            key_fingerprint: c.key_fingerprint.clone(),
            added_at: c.created_at,
            last_used_at: c.last_used_at,
            last_test_at: c.last_test_at,
            last_test_ok: c.last_test_ok,
            last_test_message: c.last_test_message.clone(),
            credit,
        }
    }

    /// Tests a credential with `billing/credit`: Ok(credit) or the user-facing error.
    pub async fn test(
        upstream: &crate::server::upstream::Upstream,
        cred: &Credential,
    ) -> Result<f64, AppError> {
        match upstream.call_with(cred, &BillingCredit {}).await {
            Ok(c) => Ok(c.credit),
            Err(UpstreamError::Auth) => Err(crate::error::FieldErrors::single(
                "api_key",
                "Luna Node refused this API ID and key. Check both were copied completely, \
                 that the key is not restricted to other IP addresses, and that it has not \
                 been deleted.",
            )),
            Err(e) => Err(upstream_error(e, "The account")),
        }
    }

    pub fn credential(api_id: &str, api_key: &str) -> Result<Credential, AppError> {
        Credential::new(api_id.trim(), SecretString::from(api_key.trim().to_owned()))
            .map_err(|e| crate::error::FieldErrors::single("api_key", e.to_string()))
    }
}

/// The stored credential of the signed-in user's account, if any (never the key).
#[server(endpoint = "credential/get")]
pub async fn get_credential() -> Result<Option<CredentialView>, AppError> {
    use crate::server::context::{require_user, state};
    let user = require_user()?;
    if user.role == crate::types::Role::Customer {
        // A customer works through their reseller's key, which is not theirs to see.
        return Err(AppError::Forbidden);
    }
    let stored = state()?.store.credential(user.id).await?;
    Ok(stored.as_ref().map(|c| ssr::view(c, None)))
}

/// Tests and saves the account's API ID and key. Replacing a stored key needs the panel
/// password again (SEC-1.6). A key Luna Node refuses is not saved.
#[server(endpoint = "credential/save")]
pub async fn save_credential(
    api_id: String,
    api_key: String,
    password: Option<String>,
) -> Result<CredentialView, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::upstream::sealed_credential;

    let grant = authorize::<crate::server::authz::panel::CredentialSave>(Target::Account).await?;
    check_credential(&api_id, &api_key).into_result()?;
    let state = grant.state().clone();
    let account = grant.account;
    if state.store.credential(account).await?.is_some() {
        let password = password.unwrap_or_default();
        if password.is_empty() {
            return Err(crate::error::FieldErrors::single(
                "password",
                "Enter your panel password to replace the stored key.",
            ));
        }
        let hash = grant.actor.password_hash.clone();
        if !state.hasher.verify(&password, Some(&hash)).await?.ok {
            return Err(crate::error::FieldErrors::single(
                "password",
                "That is not your panel password.",
            ));
        }
    }
    let cred = ssr::credential(&api_id, &api_key)?;
    // Testing the key is a call like any other: the account's budget pays for it.
    grant.spend().await?;
    let credit = ssr::test(&state.upstream, &cred).await?;
    drop(cred);
    let mut api_key = api_key;
    let new = sealed_credential(
        &state.upstream.keyring,
        account,
        api_id.trim(),
        api_key.trim(),
        format!("Luna Node accepted the key (credit ${credit:.2})."),
    );
    // The argument's copy of the key is wiped as soon as it is sealed.
    zeroize::Zeroize::zeroize(&mut api_key);
    grant
        .audited(async { Ok(state.store.put_credential(new).await?) })
        .await?;
    state.upstream.forget(account);
    state.images.forget(account);
    state.live.forget(account);
    let stored = state
        .store
        .credential(account)
        .await?
        .ok_or_else(|| crate::server::context::internal("credential vanished after save"))?;
    Ok(ssr::view(&stored, Some(credit)))
}

/// Tests the stored credential again and records the result.
#[server(endpoint = "credential/test")]
pub async fn test_credential() -> Result<CredentialView, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::store::now_unix;
    let grant = authorize::<crate::server::authz::panel::CredentialTest>(Target::Account).await?;
    let state = grant.state().clone();
    let cred = state.upstream.credential(grant.account).await?;
    grant.spend().await?;
    let result = ssr::test(&state.upstream, &cred).await;
    drop(cred);
    let (ok, message, credit) = match &result {
        Ok(c) => (
            true,
            format!("Luna Node accepted the key (credit ${c:.2})."),
            Some(*c),
        ),
        Err(e) => (false, e.to_string(), None),
    };
    state
        .store
        .record_credential_test(grant.account, ok, &message, now_unix())
        .await?;
    let stored = state
        .store
        .credential(grant.account)
        .await?
        .ok_or(AppError::NoCredential)?;
    Ok(ssr::view(&stored, credit))
}

/// Erases the stored credential (the ciphertext goes with the row).
#[server(endpoint = "credential/delete")]
pub async fn delete_credential() -> Result<(), AppError> {
    use crate::server::authz::{authorize, Target};
    let grant = authorize::<crate::server::authz::panel::CredentialDelete>(Target::Account).await?;
    let state = grant.state().clone();
    let account = grant.account;
    let existed = grant
        .audited(async { Ok(state.store.delete_credential(account).await?) })
        .await?;
    state.upstream.forget(account);
    state.images.forget(account);
    state.live.forget(account);
    if !existed {
        return Err(AppError::NotFound("The stored API key".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_shapes_are_checked_beside_their_fields() {
        let ok_id = "A".repeat(16);
        let ok_key = "b".repeat(128);
        assert!(check_credential(&ok_id, &ok_key).is_empty());
        let e = check_credential("short", &ok_key);
        assert!(e.get("api_id").unwrap().contains("16"));
        let e = check_credential(&ok_id, &"k".repeat(127));
        assert!(e.get("api_key").unwrap().contains("127"));
        let e = check_credential("", "");
        assert!(e.get("api_id").is_some() && e.get("api_key").is_some());
    }
}
