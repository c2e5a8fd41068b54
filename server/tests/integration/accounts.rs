//! Accounts: sign-up (first user admin, policy, invites), sign-in (uniform failures,
//! rehash), password change, disabling, admin-only functions.

use app::error::AppError;
use app::server::password::M_COST_KIB;
use app::server::store::PasswordHash;
use app::types::{InviteSummary, NewInvite, Role, UserSummary};
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use reqwest::StatusCode;

use crate::harness::{sign_up_form, Db, Panel, PASSWORD};

async fn first_user_is_admin_and_signed_in(db: Db) {
    let panel = Panel::start(db).await;
    let c = panel.client();
    assert!(panel.info(&c).await.first_user);
    let me = panel.sign_up(&c, "Ada@Example.com", None).await.unwrap();
    assert_eq!(me.role, Role::Admin);
    assert_eq!(me.email, "ada@example.com", "stored normalised");
    let info = panel.info(&c).await;
    assert_eq!(info.user.unwrap().id, me.id);
    assert!(!info.first_user);
    // The stored hash is argon2id with the required parameters (SEC-2.1).
    let stored = panel.state.store.user_by_id(me.id).await.unwrap().unwrap();
    assert!(stored
        .password_hash
        .0
        .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    panel.stop().await;
}

async fn sign_up_rules_and_invites(db: Db) {
    let panel = Panel::start(db).await;
    let admin = panel.admin().await;

    // Bad input: every field gets its message; nothing is created.
    let c = panel.client();
    let err = panel
        .call::<serde_json::Value>(
            &c,
            "sign_up",
            &[
                ("name", ""),
                ("email", "nope"),
                ("password", "short"),
                ("confirm", "x"),
            ],
        )
        .await
        .unwrap_err();
    for field in ["name", "email", "password", "confirm"] {
        assert!(err.field(field).is_some(), "{field}: {err:?}");
    }

    // Invite-only (the default): no invite, no account.
    let err = panel
        .sign_up(&c, "bob@example.com", None)
        .await
        .unwrap_err();
    assert!(err.field("invite").unwrap().contains("invite"), "{err:?}");
    assert!(panel
        .state
        .store
        .user_by_email("bob@example.com")
        .await
        .unwrap()
        .is_none());

    // Only the admin can make invites.
    let invite: NewInvite = panel
        .call(&admin, "admin/create_invite", &[])
        .await
        .unwrap();
    let token = invite.link.split("invite=").nth(1).unwrap().to_owned();
    assert!(invite
        .link
        .starts_with(&format!("{}/sign-up?invite=", panel.base)));
    assert!(token.len() >= 43, "256-bit token");
    let bob = panel
        .sign_up(&c, "bob@example.com", Some(&token))
        .await
        .unwrap();
    assert_eq!(bob.role, Role::Owner);

    // Single use.
    let c2 = panel.client();
    let err = panel
        .sign_up(&c2, "carol@example.com", Some(&token))
        .await
        .unwrap_err();
    assert!(err.field("invite").is_some(), "{err:?}");

    // Each error has its own status.
    let (status, _) = panel.call_raw(&c, "sign_up", &[("name", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = panel.call_raw(&c, "admin/list_users", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = panel
        .call_raw(&panel.client(), "admin/list_users", &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Owners cannot make invites or list users.
    let err = panel
        .call::<NewInvite>(&c, "admin/create_invite", &[])
        .await
        .unwrap_err();
    assert_eq!(err, AppError::Forbidden);
    let err = panel
        .call::<Vec<UserSummary>>(&c, "admin/list_users", &[])
        .await
        .unwrap_err();
    assert_eq!(err, AppError::Forbidden);
    // Nobody signed in: unauthenticated.
    let anon = panel.client();
    let err = panel
        .call::<Vec<UserSummary>>(&anon, "admin/list_users", &[])
        .await
        .unwrap_err();
    assert_eq!(err, AppError::Unauthenticated);

    // Revoking: an open invite can be revoked, then it no longer works.
    let second: NewInvite = panel
        .call(&admin, "admin/create_invite", &[])
        .await
        .unwrap();
    let id = second.id.to_string();
    panel
        .call::<()>(&admin, "admin/revoke_invite", &[("invite_id", &id)])
        .await
        .unwrap();
    let token2 = second.link.split("invite=").nth(1).unwrap();
    assert!(panel
        .sign_up(&c2, "carol@example.com", Some(token2))
        .await
        .is_err());
    let listed: Vec<InviteSummary> = panel.call(&admin, "admin/list_invites", &[]).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed
        .iter()
        .any(|i| i.used_by_email.as_deref() == Some("bob@example.com")));
    assert!(listed.iter().any(|i| i.revoked));
    panel.stop().await;
}

async fn open_sign_up_and_duplicates(db: Db) {
    let panel = Panel::start_with(db, &[("sign_up", "open")], |_| {}).await;
    panel.admin().await;
    let c = panel.client();
    let u = panel.sign_up(&c, "bob@example.com", None).await.unwrap();
    assert_eq!(u.role, Role::Owner);
    let err = panel
        .sign_up(&panel.client(), "BOB@example.com", None)
        .await
        .unwrap_err();
    // Refused, without saying that (or whose) an account exists.
    let text = err.field("email").unwrap();
    assert!(
        text.contains("cannot be used") && !text.contains("exist"),
        "{err:?}"
    );
    panel.stop().await;
}

/// A new invite's token, made by `admin`.
async fn new_invite(panel: &Panel, admin: &reqwest::Client) -> String {
    let made: NewInvite = panel.call(admin, "admin/create_invite", &[]).await.unwrap();
    made.link.split("invite=").nth(1).unwrap().to_owned()
}

/// A sign-up attempt on a fresh client (so that no two attempts differ by their cookies).
async fn sign_up_raw(panel: &Panel, email: &str, invite: Option<&str>) -> (StatusCode, String) {
    panel
        .call_raw(&panel.client(), "sign_up", &sign_up_form(email, invite))
        .await
}

/// An invite-only panel does not tell who has an account: without a usable invite a taken
/// address gets the same answer as a new one, and no password is hashed before the invite
/// is checked; with one, a taken address costs the same hashing, leaves the invite unused
/// and is not said to exist.
async fn sign_up_does_not_tell_who_has_an_account(db: Db) {
    let panel = Panel::start(db).await;
    let admin = panel.admin().await;
    let used = new_invite(&panel, &admin).await;
    panel
        .sign_up(&panel.client(), "bob@example.com", Some(&used))
        .await
        .unwrap();
    for token in [None, Some("no-such-invite"), Some(used.as_str())] {
        let runs = panel.state.hasher.runs();
        let taken = sign_up_raw(&panel, "bob@example.com", token).await;
        let new = sign_up_raw(&panel, "nobody@example.com", token).await;
        assert_eq!(
            taken, new,
            "invite {token:?}: taken and new addresses differ"
        );
        assert!(taken.1.contains("invite"), "{taken:?}");
        assert_eq!(
            panel.state.hasher.runs(),
            runs,
            "invite {token:?}: a password was hashed before the invite was checked"
        );
    }
    assert!(panel
        .state
        .store
        .user_by_email("nobody@example.com")
        .await
        .unwrap()
        .is_none());

    let fresh = new_invite(&panel, &admin).await;
    let runs = panel.state.hasher.runs();
    let (status, body) = sign_up_raw(&panel, "BOB@example.com", Some(&fresh)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("cannot be used") && !body.contains("exist"),
        "{body}"
    );
    assert_eq!(
        panel.state.hasher.runs(),
        runs + 1,
        "a taken address costs the same hashing as a new one"
    );
    let carol = panel
        .sign_up(&panel.client(), "carol@example.com", Some(&fresh))
        .await
        .expect("the invite was left unused");
    assert_eq!(carol.role, Role::Owner);
    panel.stop().await;
}

async fn sign_in_failures_are_indistinguishable(db: Db) {
    let panel = Panel::start(db).await;
    let admin = panel.admin().await;
    drop(admin);
    let c = panel.client();
    let unknown = panel
        .call_raw(
            &c,
            "sign_in",
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    let wrong = panel
        .call_raw(
            &c,
            "sign_in",
            &[
                ("email", "admin@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(unknown, wrong, "same status and body");
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    let err: AppError = serde_json::from_str(&wrong.1).unwrap();
    assert_eq!(err, AppError::InvalidCredentials);
    // Empty fields get field messages instead.
    let err = panel.sign_in(&c, "", "").await.unwrap_err();
    assert!(err.field("email").is_some() && err.field("password").is_some());
    // A right password works, case-insensitively on the e-mail.
    panel
        .sign_in(&c, " ADMIN@example.com ", PASSWORD)
        .await
        .unwrap();
    panel.stop().await;
}

async fn weak_hash_is_upgraded_at_sign_in(db: Db) {
    let panel = Panel::start(db).await;
    let admin = panel.admin().await;
    drop(admin);
    let user = panel.user("admin@example.com").await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    panel
        .state
        .store
        .set_password_hash(user.id, PasswordHash(weak.clone()), false)
        .await
        .unwrap();

    let c = panel.client();
    panel
        .sign_in(&c, "admin@example.com", "wrong password!")
        .await
        .unwrap_err();
    let after_wrong = panel
        .state
        .store
        .user_by_id(user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after_wrong.password_hash.0, weak,
        "a wrong password never rewrites"
    );

    panel
        .sign_in(&c, "admin@example.com", PASSWORD)
        .await
        .unwrap();
    let after = panel
        .state
        .store
        .user_by_id(user.id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(after.password_hash.0, weak);
    assert!(after
        .password_hash
        .0
        .contains(&format!("m={M_COST_KIB},t=2,p=1")));
    panel
        .sign_in(&panel.client(), "admin@example.com", PASSWORD)
        .await
        .unwrap();
    panel.stop().await;
}

async fn change_password_ends_other_sessions(db: Db) {
    let panel = Panel::start(db).await;
    let here = panel.admin().await;
    let elsewhere = panel.client();
    panel
        .sign_in(&elsewhere, "admin@example.com", PASSWORD)
        .await
        .unwrap();
    assert!(panel.info(&elsewhere).await.user.is_some());

    // Wrong current password: refused beside the field.
    let err = panel
        .call::<()>(
            &here,
            "change_password",
            &[
                ("current", "not it at all"),
                ("new_password", "a brand new passphrase"),
                ("confirm", "a brand new passphrase"),
            ],
        )
        .await
        .unwrap_err();
    assert!(err.field("current").is_some(), "{err:?}");

    panel
        .call::<()>(
            &here,
            "change_password",
            &[
                ("current", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("confirm", "a brand new passphrase"),
            ],
        )
        .await
        .unwrap();
    assert!(
        panel.info(&here).await.user.is_some(),
        "this session carries on"
    );
    assert!(
        panel.info(&elsewhere).await.user.is_none(),
        "the other session ended"
    );
    let err = panel
        .sign_in(&panel.client(), "admin@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err, AppError::InvalidCredentials, "old password fails");
    panel
        .sign_in(
            &panel.client(),
            "admin@example.com",
            "a brand new passphrase",
        )
        .await
        .unwrap();
    panel.stop().await;
}

async fn disabled_accounts_are_locked_out(db: Db) {
    let panel = Panel::start_with(db, &[("sign_up", "open")], |_| {}).await;
    let admin = panel.admin().await;
    let bob = panel.client();
    let bob_user = panel.sign_up(&bob, "bob@example.com", None).await.unwrap();
    let me = panel.info(&admin).await.user.unwrap();

    let err = panel
        .call::<()>(
            &admin,
            "admin/set_user_disabled",
            &[("user_id", &me.id.to_string()), ("disabled", "true")],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Conflict(_)),
        "cannot disable yourself: {err:?}"
    );
    let err = panel
        .call::<()>(
            &bob,
            "admin/set_user_disabled",
            &[("user_id", &me.id.to_string()), ("disabled", "true")],
        )
        .await
        .unwrap_err();
    assert_eq!(err, AppError::Forbidden);

    panel
        .call::<()>(
            &admin,
            "admin/set_user_disabled",
            &[("user_id", &bob_user.id.to_string()), ("disabled", "true")],
        )
        .await
        .unwrap();
    assert!(
        panel.info(&bob).await.user.is_none(),
        "open session ended at once"
    );
    let err = panel
        .sign_in(&panel.client(), "bob@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AppError::InvalidCredentials,
        "same answer as a wrong password"
    );
    let users: Vec<UserSummary> = panel.call(&admin, "admin/list_users", &[]).await.unwrap();
    assert!(users.iter().find(|u| u.id == bob_user.id).unwrap().disabled);

    panel
        .call::<()>(
            &admin,
            "admin/set_user_disabled",
            &[("user_id", &bob_user.id.to_string()), ("disabled", "false")],
        )
        .await
        .unwrap();
    panel
        .sign_in(&panel.client(), "bob@example.com", PASSWORD)
        .await
        .unwrap();
    panel.stop().await;
}

async fn oversized_bodies_are_refused_without_hashing(db: Db) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let panel = Panel::start(db).await;
    // Raw HTTP: the panel answers from the declared length without reading the body, and
    // may close while a client is still sending it (an HTTP client then sees a broken pipe
    // instead of the answer) — so send the head and a first part only, then read.
    let addr = panel.base.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let length = 1024 * 1024;
    let head = format!(
        "POST /api/sign_in HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n\
         email=a%40example.com&password="
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let _ = tcp.write_all(&[b'x'; 16 * 1024]).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tcp.read_to_end(&mut answer),
    )
    .await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    panel.stop().await;
}

async fn demo_account_password_cannot_be_changed(db: Db) {
    let panel = Panel::start_with(db, &[("demo", "true")], |_| {}).await;
    let c = panel.client();
    panel
        .sign_in(&c, lunapanel::DEMO_EMAIL, lunapanel::DEMO_PASSWORD)
        .await
        .unwrap();
    let err = panel
        .call::<()>(
            &c,
            "change_password",
            &[
                ("current", lunapanel::DEMO_PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("confirm", "a brand new passphrase"),
            ],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    panel
        .sign_in(
            &panel.client(),
            lunapanel::DEMO_EMAIL,
            lunapanel::DEMO_PASSWORD,
        )
        .await
        .unwrap();
    panel.stop().await;
}

crate::both!(
    demo_account_password_cannot_be_changed,
    first_user_is_admin_and_signed_in,
    sign_up_rules_and_invites,
    open_sign_up_and_duplicates,
    sign_up_does_not_tell_who_has_an_account,
    sign_in_failures_are_indistinguishable,
    weak_hash_is_upgraded_at_sign_in,
    change_password_ends_other_sessions,
    disabled_accounts_are_locked_out,
    oversized_bodies_are_refused_without_hashing,
);
