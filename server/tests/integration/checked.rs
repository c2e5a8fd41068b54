//! The one-round-trip session check (issue 14.4): each request reads its user, whether its
//! session is still listed, the second-factor policy and factor, and the acting account's
//! sealed credential in one query, and carries the credential to the upstream call. A
//! revoked session, a changed credential (here or on another instance) and a changed policy
//! are all seen by the very next request.

use reqwest::StatusCode;

use app::error::AppError;
use app::overview::AccountSummary;
use app::server::totp::REQUIRED_SETTING;

use crate::both;
use crate::harness::{Db, Panel, PASSWORD};
use crate::upstream::{key, ID_A, ID_B};

/// The credit of the account the client's user acts on, read upstream with the stored key
/// (account A has 50, account B 10).
async fn credit(panel: &Panel, c: &reqwest::Client) -> Result<Option<f64>, AppError> {
    panel
        .call::<AccountSummary>(c, "overview/summary", &[])
        .await
        .map(|s| s.credit)
}

async fn a_revoked_session_is_refused_at_its_next_request(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |_| {}).await;
    let first = panel.owner("a@example.com").await;
    panel.save_key(&first, ID_A, &key('A'), None).await.unwrap();
    let second = panel.client();
    panel
        .sign_in(&second, "a@example.com", PASSWORD)
        .await
        .unwrap();
    assert_eq!(credit(&panel, &second).await.unwrap(), Some(50.0));
    let n: u64 = panel
        .call(&first, "sessions/revoke_others", &[])
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        credit(&panel, &second).await.unwrap_err(),
        AppError::Unauthenticated
    );
    assert!(panel.info(&second).await.user.is_none());
    assert_eq!(credit(&panel, &first).await.unwrap(), Some(50.0));
    panel.stop().await;
}

async fn a_changed_credential_is_used_by_the_next_request(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |_| {}).await;
    let c = panel.owner("a@example.com").await;
    assert_eq!(
        credit(&panel, &c).await.unwrap_err(),
        AppError::NoCredential
    );
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    assert_eq!(credit(&panel, &c).await.unwrap(), Some(50.0));
    panel
        .save_key(&c, ID_B, &key('B'), Some(PASSWORD))
        .await
        .unwrap();
    assert_eq!(credit(&panel, &c).await.unwrap(), Some(10.0));

    // Replaced on another instance (same database): this one's next request uses it.
    let other = panel.another_instance(&[]).await;
    other
        .save_key(&c, ID_A, &key('A'), Some(PASSWORD))
        .await
        .unwrap();
    assert_eq!(credit(&panel, &c).await.unwrap(), Some(50.0));
    // Deleted there: no credential here either.
    other
        .call::<()>(&c, "credential/delete", &[])
        .await
        .unwrap();
    assert_eq!(
        credit(&panel, &c).await.unwrap_err(),
        AppError::NoCredential
    );
    other.stop().await;
    panel.stop().await;
}

async fn a_changed_second_factor_policy_applies_to_the_next_request(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |_| {}).await;
    let admin = panel.admin().await;
    panel.save_key(&admin, ID_A, &key('A'), None).await.unwrap();
    assert_eq!(credit(&panel, &admin).await.unwrap(), Some(50.0));
    // Required (as another instance's administrator would set it): the admin has no second
    // factor, so their next request is refused.
    let store = panel.state.store.clone();
    store
        .put_panel_setting(REQUIRED_SETTING, "true")
        .await
        .unwrap();
    let (st, body) = panel.call_raw(&admin, "overview/summary", &[]).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let e: AppError = serde_json::from_str(&body).unwrap();
    assert_eq!(e, AppError::SecondFactorRequired);
    assert!(panel.info(&admin).await.must_enrol_second_factor);
    store
        .put_panel_setting(REQUIRED_SETTING, "false")
        .await
        .unwrap();
    assert!(!panel.info(&admin).await.must_enrol_second_factor);
    assert_eq!(credit(&panel, &admin).await.unwrap(), Some(50.0));
    panel.stop().await;
}

both!(
    a_revoked_session_is_refused_at_its_next_request,
    a_changed_credential_is_used_by_the_next_request,
    a_changed_second_factor_policy_applies_to_the_next_request,
);
