//! The store contract: one suite of cases, each run against SQLite and against PostgreSQL
//! (a fresh database per case, dropped afterwards).

use super::*;
use crate::server::testdb::{pg_skipped, TestDb};

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: format!("User {email}"),
        password_hash: PasswordHash(format!("hash-of-{email}")),
    }
}

async fn case_first_user_is_admin_then_owners(store: SqlStore) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let first = store
        .create_user(new_user("a@example.com"), SignUpGate::FirstUserOnly)
        .await
        .unwrap();
    assert_eq!(first.role, Role::Admin);
    assert!(!first.disabled);
    assert_eq!(first.session_epoch, 0);
    let second = store
        .create_user(new_user("b@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    assert_eq!(second.role, Role::Owner);
    assert_eq!(store.count_users().await.unwrap(), 2);
    let listed = store.list_users().await.unwrap();
    assert_eq!(
        listed.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        ["a@example.com", "b@example.com"]
    );
}

async fn case_invite_only_gate(store: SqlStore) {
    let admin = store
        .create_user(new_user("admin@example.com"), SignUpGate::FirstUserOnly)
        .await
        .unwrap();
    let closed = store
        .create_user(new_user("x@example.com"), SignUpGate::FirstUserOnly)
        .await;
    assert!(
        matches!(closed, Err(StoreError::SignUpClosed)),
        "{closed:?}"
    );
    assert!(
        store
            .user_by_email("x@example.com")
            .await
            .unwrap()
            .is_none(),
        "rolled back"
    );

    let far = now_unix() + 3600;
    let invite = store.create_invite(admin.id, "tok-1", far).await.unwrap();
    assert!(invite.is_usable(now_unix()));
    let wrong = store
        .create_user(
            new_user("x@example.com"),
            SignUpGate::Invite {
                token_hash: "nope".into(),
            },
        )
        .await;
    assert!(matches!(wrong, Err(StoreError::InviteInvalid)), "{wrong:?}");

    let gate = SignUpGate::Invite {
        token_hash: "tok-1".into(),
    };
    let invited = store
        .create_user(new_user("x@example.com"), gate.clone())
        .await
        .unwrap();
    assert_eq!(invited.role, Role::Owner);
    let used = store.invite_by_token_hash("tok-1").await.unwrap().unwrap();
    assert_eq!(used.used_by, Some(invited.id));
    assert!(!used.is_usable(now_unix()));
    let again = store.create_user(new_user("y@example.com"), gate).await;
    assert!(
        matches!(again, Err(StoreError::InviteInvalid)),
        "single use: {again:?}"
    );

    // Expired and revoked invites do not work either.
    store
        .create_invite(admin.id, "tok-old", now_unix() - 1)
        .await
        .unwrap();
    let old = store
        .create_user(
            new_user("z@example.com"),
            SignUpGate::Invite {
                token_hash: "tok-old".into(),
            },
        )
        .await;
    assert!(matches!(old, Err(StoreError::InviteInvalid)));
    let revocable = store.create_invite(admin.id, "tok-r", far).await.unwrap();
    store.revoke_invite(revocable.id).await.unwrap();
    let revoked = store
        .create_user(
            new_user("z@example.com"),
            SignUpGate::Invite {
                token_hash: "tok-r".into(),
            },
        )
        .await;
    assert!(matches!(revoked, Err(StoreError::InviteInvalid)));
    // A used invite cannot be revoked; an unknown one is not found.
    assert!(matches!(
        store.revoke_invite(invite.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.revoke_invite(9999).await,
        Err(StoreError::NotFound)
    ));
    let listed = store.list_invites().await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].id, revocable.id, "newest first");
}

async fn case_duplicate_email(store: SqlStore) {
    store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let dup = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await;
    assert!(
        matches!(dup, Err(StoreError::Duplicate("email"))),
        "{dup:?}"
    );
}

async fn case_lookup_and_password_epochs(store: SqlStore) {
    let u = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let by_id = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(by_id, u);
    assert_eq!(
        store
            .user_by_email("a@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert!(store
        .user_by_email("b@example.com")
        .await
        .unwrap()
        .is_none());
    assert!(store.user_by_id(u.id + 100).await.unwrap().is_none());

    // A rehash keeps sessions; a password change ends them.
    let epoch = store
        .set_password_hash(u.id, PasswordHash("rehashed".into()), false)
        .await
        .unwrap();
    assert_eq!(epoch, 0);
    let epoch = store
        .set_password_hash(u.id, PasswordHash("changed".into()), true)
        .await
        .unwrap();
    assert_eq!(epoch, 1);
    let after = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(after.password_hash, PasswordHash("changed".into()));
    assert_eq!(after.session_epoch, 1);
    assert!(matches!(
        store
            .set_password_hash(9999, PasswordHash("x".into()), true)
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn case_disable_ends_sessions(store: SqlStore) {
    let u = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    store.set_user_disabled(u.id, true).await.unwrap();
    let off = store.user_by_id(u.id).await.unwrap().unwrap();
    assert!(off.disabled);
    assert_eq!(off.session_epoch, 1);
    store.set_user_disabled(u.id, false).await.unwrap();
    let on = store.user_by_id(u.id).await.unwrap().unwrap();
    assert!(!on.disabled);
    assert_eq!(on.session_epoch, 1, "re-enabling does not bump");
    assert!(matches!(
        store.set_user_disabled(9999, true).await,
        Err(StoreError::NotFound)
    ));
}

async fn case_concurrent_first_sign_ups_make_one_admin(store: SqlStore) {
    let mut tasks = Vec::new();
    for i in 0..6 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.create_user(new_user(&format!("u{i}@example.com")), SignUpGate::Open)
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let admins = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.role == Role::Admin)
        .count();
    assert_eq!(admins, 1);
}

async fn case_migrations_are_idempotent(store: SqlStore) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = TestDb::sqlite();
                    let store = connect(&db.url).await.expect("connect sqlite");
                    assert_eq!(store.backend(), Backend::Sqlite);
                    super::$case(store.clone()).await;
                    store.close().await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    if pg_skipped() {
                        return;
                    }
                    let db = TestDb::postgres().await;
                    let store = connect(&db.url).await.expect("connect postgres");
                    assert_eq!(store.backend(), Backend::Postgres);
                    super::$case(store.clone()).await;
                    store.close().await;
                }
            )*
        }
    };
}

contract!(
    case_first_user_is_admin_then_owners,
    case_invite_only_gate,
    case_duplicate_email,
    case_lookup_and_password_epochs,
    case_disable_ends_sessions,
    case_concurrent_first_sign_ups_make_one_admin,
    case_migrations_are_idempotent,
);
