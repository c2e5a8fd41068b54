//! The store contract: one suite of cases, each run against SQLite and against PostgreSQL
//! (a fresh database per case, dropped afterwards).

use super::sql::with_pool;
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

/// Issue 8: a demoted admin (the demo account) frees the admin's place for the next sign-up.
async fn case_a_demoted_admin_frees_the_place(store: SqlStore) {
    assert!(!store.has_admin().await.unwrap());
    let demo = store
        .create_user(new_user("demo@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    assert_eq!(demo.role, Role::Admin);
    assert!(store.has_admin().await.unwrap());
    store.demote_admin(demo.id).await.unwrap();
    let demoted = store.user_by_id(demo.id).await.unwrap().unwrap();
    assert_eq!(demoted.role, Role::Owner);
    assert_eq!(
        demoted.session_epoch,
        demo.session_epoch + 1,
        "sessions end"
    );
    assert!(!store.has_admin().await.unwrap());
    assert!(matches!(
        store.demote_admin(demo.id).await,
        Err(StoreError::NotFound)
    ));
    let operator = store
        .create_user(new_user("op@example.com"), SignUpGate::FirstUserOnly)
        .await
        .unwrap();
    assert_eq!(operator.role, Role::Admin, "the next sign-up is the admin");
    let third = store
        .create_user(new_user("c@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    assert_eq!(third.role, Role::Owner);
}

async fn case_migrations_are_idempotent(store: SqlStore) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

fn sealed(version: u32, byte: u8) -> Sealed {
    Sealed {
        version,
        nonce: vec![byte; 24],
        ciphertext: vec![byte; 40],
    }
}

async fn case_credentials_round_trip_and_rotate(store: SqlStore) {
    let a = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let b = store
        .create_user(new_user("b@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    assert!(store.credential(a.id).await.unwrap().is_none());
    for (user, byte) in [(a.id, 1u8), (b.id, 2u8)] {
        store
            .put_credential(NewCredential {
                user_id: user,
                api_id: format!("{user:016}"),
                sealed: sealed(1, byte),
                key_last4: "WXYZ".into(),
                key_fingerprint: "ab12".into(),
                tested_ok: true,
                test_message: "ok".into(),
            })
            .await
            .unwrap();
    }
    let got = store.credential(a.id).await.unwrap().unwrap();
    assert_eq!(got.sealed, sealed(1, 1));
    assert_eq!(got.key_last4, "WXYZ");
    assert_eq!(got.last_test_ok, Some(true));
    assert_eq!(got.last_used_at, None);
    assert!(!format!("{got:?}").contains("ciphertext: ["), "{got:?}");

    store.touch_credential(a.id, 1234).await.unwrap();
    store
        .record_credential_test(a.id, false, "refused", 1300)
        .await
        .unwrap();
    let got = store.credential(a.id).await.unwrap().unwrap();
    assert_eq!(got.last_used_at, Some(1234));
    assert_eq!(
        (
            got.last_test_ok,
            got.last_test_message.as_deref(),
            got.last_test_at
        ),
        (Some(false), Some("refused"), Some(1300))
    );

    assert_eq!(store.credential_versions().await.unwrap(), vec![(1, 2)]);
    let old = store.credentials_not_sealed_with(2, 10).await.unwrap();
    assert_eq!(old.len(), 2);
    // A stale compare (wrong nonce) changes nothing; the right one reseals.
    assert!(!store
        .reseal_credential(a.id, &sealed(1, 9), &sealed(2, 3))
        .await
        .unwrap());
    assert!(store
        .reseal_credential(a.id, &sealed(1, 1), &sealed(2, 3))
        .await
        .unwrap());
    assert_eq!(
        store.credential_versions().await.unwrap(),
        vec![(1, 1), (2, 1)]
    );
    assert_eq!(
        store.credentials_not_sealed_with(2, 10).await.unwrap(),
        vec![(b.id, sealed(1, 2))]
    );

    assert!(store.delete_credential(a.id).await.unwrap());
    assert!(!store.delete_credential(a.id).await.unwrap());
    assert!(store.credential(a.id).await.unwrap().is_none());
}

async fn case_audit_is_append_only(store: SqlStore) {
    let a = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let entry = AuditEntry {
        request_id: Some("req-1".into()),
        actor_user_id: Some(a.id),
        actor_role: Some("owner".into()),
        account_user_id: Some(a.id),
        action: "vm/reboot".into(),
        target: "vm:line\nbreak".into(),
        outcome: Outcome::Pending,
        error_class: None,
        ip: Some("127.0.0.1".into()),
        impersonator_user_id: None,
    };
    let id = store.audit(entry.clone()).await.unwrap();
    store.audit_settle(id, Outcome::Ok, None).await.unwrap();
    // Settled rows cannot be settled again, changed or deleted, even with raw SQL.
    assert!(store.audit_settle(id, Outcome::Failed, None).await.is_err());
    let tamper = with_pool!(store, |p| sqlx::query(
        "UPDATE audit_log SET outcome = 'pending', action = 'nothing' WHERE id = $1"
    )
    .bind(id)
    .execute(p)
    .await
    .map(|_| ()));
    assert!(tamper.is_err(), "update of a settled row must fail");
    let delete = with_pool!(store, |p| sqlx::query(
        "DELETE FROM audit_log WHERE id = $1"
    )
    .bind(id)
    .execute(p)
    .await
    .map(|_| ()));
    assert!(delete.is_err(), "delete must fail");
    // A pending row may only have its outcome settled, not its facts changed.
    let id2 = store.audit(entry.clone()).await.unwrap();
    for column in ["actor_user_id", "impersonator_user_id"] {
        let rewrite = with_pool!(store, |p| sqlx::query(&format!(
            "UPDATE audit_log SET {column} = 999 WHERE id = $1"
        ))
        .bind(id2)
        .execute(p)
        .await
        .map(|_| ()));
        assert!(rewrite.is_err(), "{column} of a pending row is fixed");
    }

    let rows = store.list_audit(Some(a.id), 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].entry.outcome, Outcome::Ok);
    assert_eq!(rows[1].entry.target, "vm:line\nbreak");
    assert_eq!(rows[0].entry.outcome, Outcome::Pending);
    assert!(store
        .list_audit(Some(a.id + 100), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.list_audit(None, 1).await.unwrap().len(), 1);
}

async fn case_customers_belong_to_one_reseller(store: SqlStore) {
    let admin = store
        .create_user(new_user("admin@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let owner = store
        .create_user(new_user("owner@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let reseller = store
        .create_user(new_user("reseller@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    // Only a reseller can have customers.
    assert!(matches!(
        store
            .create_customer(owner.id, new_user("c0@example.com"))
            .await,
        Err(StoreError::NotFound)
    ));
    store.set_reseller(reseller.id, true).await.unwrap();
    assert!(
        store.set_reseller(admin.id, true).await.is_err(),
        "admins stay admins"
    );
    let c1 = store
        .create_customer(reseller.id, new_user("c1@example.com"))
        .await
        .unwrap();
    assert_eq!(c1.role, Role::Customer);
    assert_eq!(c1.reseller_id, Some(reseller.id));
    assert!(!c1.suspended);
    assert!(matches!(
        store
            .create_customer(reseller.id, new_user("c1@example.com"))
            .await,
        Err(StoreError::Duplicate("email"))
    ));
    // An invite from a reseller signs its user up as their customer.
    let far = now_unix() + 3600;
    store
        .create_customer_invite(reseller.id, "tok-c", far)
        .await
        .unwrap();
    assert_eq!(
        store
            .list_customer_invites(reseller.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let c2 = store
        .create_user(
            new_user("c2@example.com"),
            SignUpGate::Invite {
                token_hash: "tok-c".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (c2.role, c2.reseller_id),
        (Role::Customer, Some(reseller.id))
    );
    let ids: Vec<_> = store
        .list_customers(reseller.id)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids, vec![c1.id, c2.id]);
    assert!(store.list_customers(owner.id).await.unwrap().is_empty());

    store.set_suspended(c1.id, true).await.unwrap();
    assert!(store.user_by_id(c1.id).await.unwrap().unwrap().suspended);
    assert!(
        store.set_suspended(owner.id, true).await.is_err(),
        "only customers"
    );

    // The ledger: a resource has at most one customer, only this reseller's.
    store.assign(reseller.id, "vm", "101", c1.id).await.unwrap();
    store.assign(reseller.id, "vm", "102", c2.id).await.unwrap();
    store.assign(reseller.id, "vm", "101", c2.id).await.unwrap();
    assert!(
        store.assign(owner.id, "vm", "9", c1.id).await.is_err(),
        "not the owner's customer"
    );
    let mine = store.assignments(reseller.id, Some(c2.id)).await.unwrap();
    assert_eq!(
        mine.iter()
            .map(|a| a.resource_id.as_str())
            .collect::<Vec<_>>(),
        ["101", "102"]
    );
    assert!(store.unassign(reseller.id, "vm", "102").await.unwrap());
    assert!(!store.unassign(reseller.id, "vm", "102").await.unwrap());

    // Policies and branding round-trip.
    let policy = crate::model::tenancy::CustomerPolicy {
        plans: vec!["1".into()],
        show_login_details: false,
        ..Default::default()
    };
    store.put_customer_policy(c2.id, &policy).await.unwrap();
    assert_eq!(store.customer_policy(c2.id).await.unwrap(), Some(policy));
    assert_eq!(store.customer_policy(c1.id).await.unwrap(), None);
    let branding = crate::model::tenancy::Branding {
        panel_name: "Acme Cloud".into(),
        ..Default::default()
    };
    store.put_branding(reseller.id, &branding).await.unwrap();
    assert_eq!(store.branding(reseller.id).await.unwrap(), Some(branding));

    // Deleting a customer releases what was theirs; another reseller cannot delete them.
    assert!(store.delete_customer(owner.id, c2.id).await.is_err());
    store.delete_customer(reseller.id, c2.id).await.unwrap();
    assert!(store.user_by_id(c2.id).await.unwrap().is_none());
    assert!(store
        .assignments(reseller.id, None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.customer_policy(c2.id).await.unwrap(), None);
}

async fn case_audit_search_filters(store: SqlStore) {
    let a = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let row = |actor: i64, action: &str, target: &str, imp: Option<i64>| AuditEntry {
        request_id: None,
        actor_user_id: Some(actor),
        actor_role: Some("owner".into()),
        account_user_id: Some(a.id),
        action: action.into(),
        target: target.into(),
        outcome: Outcome::Ok,
        error_class: None,
        ip: None,
        impersonator_user_id: imp,
    };
    store
        .audit(row(a.id, "vm/reboot", "vm:1", None))
        .await
        .unwrap();
    store
        .audit(row(50, "vm/stop", "vm:22", Some(a.id)))
        .await
        .unwrap();
    store.audit(row(50, "sshkey/add", "", None)).await.unwrap();
    store
        .audit(AuditEntry {
            outcome: Outcome::Denied,
            ..row(50, "denied/vm/stop", "vm:99", None)
        })
        .await
        .unwrap();
    let find = |f: AuditFilter| {
        let store = store.clone();
        async move {
            store
                .search_audit(&f, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.entry.action)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find(AuditFilter::default()).await.len(), 4);
    assert_eq!(
        find(AuditFilter {
            outcome: Some("denied".into()),
            ..Default::default()
        })
        .await,
        ["denied/vm/stop"]
    );
    assert_eq!(
        find(AuditFilter {
            category: Some("denied/".into()),
            action: Some("denied/vm/".into()),
            ..Default::default()
        })
        .await,
        ["denied/vm/stop"]
    );
    assert!(find(AuditFilter {
        category: Some("auth/".into()),
        ..Default::default()
    })
    .await
    .is_empty());
    assert_eq!(
        find(AuditFilter {
            action: Some("vm/".into()),
            ..Default::default()
        })
        .await,
        ["vm/stop", "vm/reboot"]
    );
    assert_eq!(
        find(AuditFilter {
            target: Some("vm:2".into()),
            ..Default::default()
        })
        .await,
        ["vm/stop"]
    );
    assert_eq!(
        find(AuditFilter {
            scope: Some(AuditScope::Actor(50)),
            ..Default::default()
        })
        .await,
        ["denied/vm/stop", "sshkey/add", "vm/stop"]
    );
    // Rows a reseller acted while viewing as someone are theirs too.
    assert_eq!(
        find(AuditFilter {
            scope: Some(AuditScope::Actor(a.id)),
            ..Default::default()
        })
        .await,
        ["vm/stop", "vm/reboot"]
    );
    assert_eq!(
        find(AuditFilter {
            actor_user_id: Some(a.id),
            action: Some("vm/reboot".into()),
            ..Default::default()
        })
        .await,
        ["vm/reboot"]
    );
    assert!(find(AuditFilter {
        since: Some(now_unix() + 100),
        ..Default::default()
    })
    .await
    .is_empty());
    assert!(find(AuditFilter {
        scope: Some(AuditScope::Account(a.id + 1)),
        ..Default::default()
    })
    .await
    .is_empty());
}

/// Whether `lock` is still waiting after a moment.
async fn waits<F: std::future::Future>(lock: &mut std::pin::Pin<Box<F>>) -> bool {
    tokio::time::timeout(std::time::Duration::from_millis(300), lock.as_mut())
        .await
        .is_err()
}

async fn case_quota_lock_serializes_one_customer(store: SqlStore) {
    let held = store.quota_lock(7).await.unwrap();
    // Another customer is not held up.
    let other = tokio::time::timeout(std::time::Duration::from_secs(5), store.quota_lock(8))
        .await
        .expect("customer 8 waits for customer 7")
        .unwrap();
    drop(other);
    // The same customer waits, on this instance and, on PostgreSQL, on another one.
    let mut here = Box::pin(store.quota_lock(7));
    assert!(
        waits(&mut here).await,
        "a second lock for 7 on this instance"
    );
    let elsewhere = store.as_another_instance();
    let mut there = Box::pin(elsewhere.quota_lock(7));
    if store.backend() == Backend::Postgres {
        assert!(
            waits(&mut there).await,
            "a lock for 7 on another instance sharing PostgreSQL"
        );
    }
    drop(held);
    // Released: the waiters get it in turn, never both at once.
    let hold = |g: QuotaGuard| async move {
        let from = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let until = std::time::Instant::now();
        drop(g);
        (from, until)
    };
    let (a, b) = tokio::join!(async { hold(here.await.unwrap()).await }, async {
        if store.backend() == Backend::Postgres {
            Some(hold(there.await.unwrap()).await)
        } else {
            drop(there);
            None
        }
    });
    if let Some(b) = b {
        assert!(
            a.1 <= b.0 || b.1 <= a.0,
            "two instances held one customer's quota lock at once"
        );
    }
    // Free again afterwards.
    tokio::time::timeout(std::time::Duration::from_secs(5), store.quota_lock(7))
        .await
        .expect("released")
        .unwrap();
}

/// Many customers decide at once, and each, holding its quota lock, reads the store (as the
/// work a lock guards does: the budget, the ledger, the audit row). Locks must leave the
/// pool connections for that work: were every connection held by a lock, every reader
/// would wait the pool's whole acquire timeout (10 s) and fail.
async fn case_quota_locks_leave_connections_for_their_work(store: SqlStore) {
    let started = std::time::Instant::now();
    let work = (100..124).map(|customer| {
        let store = store.clone();
        async move {
            let guard = store.quota_lock(customer).await?;
            // Held while the others take theirs.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            store.user_by_id(customer).await?;
            drop(guard);
            Ok::<_, StoreError>(())
        }
    });
    for done in futures::future::join_all(work).await {
        done.expect("a customer's decision under its quota lock");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "24 decisions took {:?}",
        started.elapsed()
    );
}

async fn case_script_uses_per_account(store: SqlStore) {
    let a = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap()
        .id;
    let b = store
        .create_user(new_user("b@example.com"), SignUpGate::Open)
        .await
        .unwrap()
        .id;
    store.put_script_use(a, "7", "vm-1", "web1").await.unwrap();
    store.put_script_use(a, "7", "vm-2", "web2").await.unwrap();
    // Recorded twice: still once.
    store.put_script_use(a, "7", "vm-1", "web1").await.unwrap();
    store.put_script_use(a, "8", "vm-3", "db").await.unwrap();
    store.put_script_use(b, "7", "vm-9", "other").await.unwrap();
    let uses = store.script_uses(a, "7").await.unwrap();
    assert_eq!(
        uses,
        [
            ("vm-1".to_owned(), "web1".to_owned()),
            ("vm-2".into(), "web2".into())
        ]
    );
    assert_eq!(store.script_uses(b, "7").await.unwrap().len(), 1);
    assert!(store.script_uses(a, "9").await.unwrap().is_empty());
}

async fn case_billing_days_compare_with_an_earlier_day(store: SqlStore) {
    let a = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap()
        .id;
    assert_eq!(store.billing_before(a, "2026-12-03").await.unwrap(), None);
    store
        .put_billing_day(a, "2026-12-01", Some(50.0), 10.0)
        .await
        .unwrap();
    store
        .put_billing_day(a, "2026-12-02", Some(40.0), 12.0)
        .await
        .unwrap();
    // The day's newest reading replaces the earlier one.
    store
        .put_billing_day(a, "2026-12-02", Some(39.5), 14.6)
        .await
        .unwrap();
    store
        .put_billing_day(a, "2026-12-03", None, 20.0)
        .await
        .unwrap();
    assert_eq!(
        store.billing_before(a, "2026-12-03").await.unwrap(),
        Some(("2026-12-02".to_owned(), Some(39.5), 14.6))
    );
    assert_eq!(
        store.billing_before(a, "2026-12-02").await.unwrap(),
        Some(("2026-12-01".to_owned(), Some(50.0), 10.0))
    );
}

async fn case_sessions_are_listed_and_revoked(store: SqlStore) {
    use super::SessionRow;
    let a = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap()
        .id;
    let b = store
        .create_user(new_user("b@example.com"), SignUpGate::Open)
        .await
        .unwrap()
        .id;
    let row = |sid: &str, user: i64, at: i64| SessionRow {
        sid: sid.into(),
        user_id: user,
        created_at: at,
        seen_at: at,
        ip: Some("127.0.0.1".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0".into()),
    };
    for (sid, user, at) in [
        ("s1", a, 100),
        ("s2", a, 200),
        ("s3", a, 300),
        ("t1", b, 100),
    ] {
        store.put_session(&row(sid, user, at)).await.unwrap();
    }
    store
        .touch_session("s1", 400, Some("10.0.0.9"))
        .await
        .unwrap();
    let listed = store.user_sessions(a).await.unwrap();
    let order: Vec<&str> = listed.iter().map(|r| r.sid.as_str()).collect();
    assert_eq!(order, ["s1", "s3", "s2"], "most recently seen first");
    assert_eq!(listed[0].ip.as_deref(), Some("10.0.0.9"));
    // Only its own user can remove a session.
    assert!(!store.delete_session(b, "s2").await.unwrap());
    assert!(store.delete_session(a, "s2").await.unwrap());
    assert!(!store.session_listed(a, "s2").await.unwrap());
    assert!(
        !store.session_listed(b, "s1").await.unwrap(),
        "another user's"
    );
    assert_eq!(
        store.delete_sessions_except(a, Some("s1")).await.unwrap(),
        1
    );
    assert!(store.session_listed(a, "s1").await.unwrap());
    assert!(store.session_listed(b, "t1").await.unwrap(), "b untouched");
    // s1 (seen at 400) and t1 (100) are left.
    assert_eq!(store.count_sessions(0).await.unwrap(), 2);
    assert_eq!(store.count_sessions(400).await.unwrap(), 1, "seen since");
    assert_eq!(store.count_sessions(401).await.unwrap(), 0);
    assert_eq!(store.prune_sessions(150).await.unwrap(), 1, "t1 timed out");
    assert_eq!(store.delete_sessions_except(a, None).await.unwrap(), 1);
}

async fn case_throttle_counts_blocks_and_starts_again(store: SqlStore) {
    assert_eq!(
        store.throttle_state("sign_in:account", "a").await.unwrap(),
        None
    );
    for n in 1..=3 {
        let row = store
            .throttle_fail("sign_in:account", "a", 1000 + n, 900)
            .await
            .unwrap();
        assert_eq!(row.failures, n);
    }
    store
        .throttle_block("sign_in:account", "a", 2000)
        .await
        .unwrap();
    // Another scope and key are apart.
    let other = store
        .throttle_fail("sign_in:address", "a", 1003, 900)
        .await
        .unwrap();
    assert_eq!(other.failures, 1);
    // Long after the last failure, but while blocked: still counting.
    let row = store
        .throttle_fail("sign_in:account", "a", 1950, 900)
        .await
        .unwrap();
    assert_eq!((row.failures, row.blocked_until), (4, 2000));
    // A window after the last failure, the block over: counting starts again.
    let row = store
        .throttle_fail("sign_in:account", "a", 1950 + 900, 900)
        .await
        .unwrap();
    assert_eq!(row.failures, 1);
    // Concurrent failures are each counted.
    let tries = (0..10).map(|_| {
        let s = store.clone();
        tokio::spawn(async move { s.throttle_fail("code:account", "7", 5000, 900).await })
    });
    for t in futures::future::join_all(tries).await {
        t.unwrap().unwrap();
    }
    let row = store.throttle_state("code:account", "7").await.unwrap();
    assert_eq!(row.map(|r| r.failures), Some(10));
    store.throttle_clear("code:account", "7").await.unwrap();
    assert_eq!(
        store.throttle_state("code:account", "7").await.unwrap(),
        None
    );
}

async fn case_second_factor_lifecycle(store: SqlStore) {
    let u = store
        .create_user(new_user("a@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    assert!(store.second_factor(u.id).await.unwrap().is_none());
    // Enrolment: a pending seed, replaced by a second start.
    assert!(store
        .put_pending_second_factor(u.id, &sealed(1, 1))
        .await
        .unwrap());
    assert!(store
        .put_pending_second_factor(u.id, &sealed(1, 2))
        .await
        .unwrap());
    let pending = store.second_factor(u.id).await.unwrap().unwrap();
    assert_eq!(pending.sealed, sealed(1, 2));
    assert!(!pending.enabled);
    assert!(!format!("{pending:?}").contains("nonce"), "{pending:?}");
    assert!(store.second_factor_users().await.unwrap().is_empty());
    // A pending seed accepts no code.
    assert!(!store.accept_second_factor_step(u.id, 5).await.unwrap());
    // Confirming needs the pending seed that was shown (not an older one).
    let hashes = vec!["h1".to_owned(), "h2".to_owned()];
    assert!(!store
        .enable_second_factor(u.id, &sealed(1, 1).nonce, 100, &hashes)
        .await
        .unwrap());
    assert!(store
        .enable_second_factor(u.id, &sealed(1, 2).nonce, 100, &hashes)
        .await
        .unwrap());
    let on = store.second_factor(u.id).await.unwrap().unwrap();
    assert!(on.enabled);
    assert_eq!(on.last_step, Some(100));
    assert_eq!(
        store.user_by_id(u.id).await.unwrap().unwrap().session_epoch,
        1,
        "turning it on ends other sessions"
    );
    assert_eq!(store.second_factor_users().await.unwrap(), vec![u.id]);
    // An enabled seed is never replaced by a new enrolment.
    assert!(!store
        .put_pending_second_factor(u.id, &sealed(1, 3))
        .await
        .unwrap());
    // Steps: only later ones, each once.
    assert!(!store.accept_second_factor_step(u.id, 100).await.unwrap());
    assert!(!store.accept_second_factor_step(u.id, 99).await.unwrap());
    assert!(store.accept_second_factor_step(u.id, 101).await.unwrap());
    assert!(!store.accept_second_factor_step(u.id, 101).await.unwrap());
    // Recovery codes: once each.
    assert_eq!(store.recovery_codes_left(u.id).await.unwrap(), 2);
    assert!(store.use_recovery_code(u.id, "h1").await.unwrap());
    assert!(!store.use_recovery_code(u.id, "h1").await.unwrap());
    assert!(!store.use_recovery_code(u.id, "nope").await.unwrap());
    assert_eq!(store.recovery_codes_left(u.id).await.unwrap(), 1);
    store
        .replace_recovery_codes(u.id, &["h3".to_owned()])
        .await
        .unwrap();
    assert!(!store.use_recovery_code(u.id, "h2").await.unwrap());
    assert_eq!(store.recovery_codes_left(u.id).await.unwrap(), 1);
    // Rotation of the master key.
    assert_eq!(store.second_factor_versions().await.unwrap(), vec![(1, 1)]);
    assert_eq!(
        store.second_factors_not_sealed_with(2, 10).await.unwrap(),
        vec![(u.id, sealed(1, 2))]
    );
    assert!(!store
        .reseal_second_factor(u.id, &sealed(1, 9), &sealed(2, 4))
        .await
        .unwrap());
    assert!(store
        .reseal_second_factor(u.id, &sealed(1, 2), &sealed(2, 4))
        .await
        .unwrap());
    assert!(store
        .second_factors_not_sealed_with(2, 10)
        .await
        .unwrap()
        .is_empty());
    let resealed = store.second_factor(u.id).await.unwrap().unwrap();
    assert_eq!(
        (resealed.sealed, resealed.enabled, resealed.last_step),
        (sealed(2, 4), true, Some(101))
    );
    // Turning it off removes seed and codes and ends other sessions.
    assert_eq!(store.delete_second_factor(u.id).await.unwrap(), Some(true));
    assert_eq!(store.delete_second_factor(u.id).await.unwrap(), None);
    assert_eq!(store.recovery_codes_left(u.id).await.unwrap(), 0);
    assert_eq!(
        store.user_by_id(u.id).await.unwrap().unwrap().session_epoch,
        2
    );
    // Dropping a pending seed ends no session.
    store
        .put_pending_second_factor(u.id, &sealed(1, 5))
        .await
        .unwrap();
    assert_eq!(store.delete_second_factor(u.id).await.unwrap(), Some(false));
    assert_eq!(
        store.user_by_id(u.id).await.unwrap().unwrap().session_epoch,
        2
    );
}

async fn case_second_factor_goes_with_a_deleted_customer(store: SqlStore) {
    store
        .create_user(new_user("admin@example.com"), SignUpGate::FirstUserOnly)
        .await
        .unwrap();
    let r = store
        .create_user(new_user("r@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    store.set_reseller(r.id, true).await.unwrap();
    let c = store
        .create_customer(r.id, new_user("c@example.com"))
        .await
        .unwrap();
    store
        .put_pending_second_factor(c.id, &sealed(1, 1))
        .await
        .unwrap();
    store
        .enable_second_factor(c.id, &sealed(1, 1).nonce, 7, &["h".to_owned()])
        .await
        .unwrap();
    let link = store
        .create_password_reset(c.id, r.id, "reset-c", now_unix() + 60)
        .await
        .unwrap();
    assert_eq!(link.user_id, c.id);
    store.delete_customer(r.id, c.id).await.unwrap();
    assert!(store.second_factor(c.id).await.unwrap().is_none());
    assert_eq!(store.recovery_codes_left(c.id).await.unwrap(), 0);
    assert!(store.password_reset("reset-c").await.unwrap().is_none());
}

async fn case_password_reset_links(store: SqlStore) {
    let admin = store
        .create_user(new_user("admin@example.com"), SignUpGate::FirstUserOnly)
        .await
        .unwrap();
    let u = store
        .create_user(new_user("u@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let now = now_unix();
    let first = store
        .create_password_reset(u.id, admin.id, "tok-1", now + 3600)
        .await
        .unwrap();
    assert_eq!(
        (first.user_id, first.created_by, first.used_at),
        (u.id, Some(admin.id), None)
    );
    assert!(first.is_usable(now));
    assert_eq!(
        store.password_reset("tok-1").await.unwrap().as_ref(),
        Some(&first)
    );
    // A newer link replaces the unused older one.
    store
        .create_password_reset(u.id, admin.id, "tok-2", now + 3600)
        .await
        .unwrap();
    assert!(store.password_reset("tok-1").await.unwrap().is_none());
    let hash = || PasswordHash("new-hash".into());
    assert_eq!(
        store
            .use_password_reset("tok-1", hash(), now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.use_password_reset("nope", hash(), now).await.unwrap(),
        None
    );
    // Expired: refused (checked against the `now` given).
    assert_eq!(
        store
            .use_password_reset("tok-2", hash(), now + 3600)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .use_password_reset("tok-2", hash(), now)
            .await
            .unwrap(),
        Some(u.id)
    );
    let after = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(after.password_hash, hash());
    assert_eq!(after.session_epoch, 1, "every session ends");
    // Single use.
    assert_eq!(
        store
            .use_password_reset("tok-2", hash(), now)
            .await
            .unwrap(),
        None
    );
    let used = store.password_reset("tok-2").await.unwrap().unwrap();
    assert!(used.used_at.is_some() && !used.is_usable(now));
}

async fn case_panel_settings(store: SqlStore) {
    assert_eq!(store.panel_setting("x").await.unwrap(), None);
    store.put_panel_setting("x", "1").await.unwrap();
    store.put_panel_setting("x", "2").await.unwrap();
    store.put_panel_setting("y", "3").await.unwrap();
    assert_eq!(
        store.panel_setting("x").await.unwrap().as_deref(),
        Some("2")
    );
    assert_eq!(
        store.panel_setting("y").await.unwrap().as_deref(),
        Some("3")
    );
}

async fn case_session_check_reads_everything_at_once(store: SqlStore) {
    use super::SessionRow;
    let owner = store
        .create_user(new_user("owner@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    let reseller = store
        .create_user(new_user("reseller@example.com"), SignUpGate::Open)
        .await
        .unwrap();
    store.set_reseller(reseller.id, true).await.unwrap();
    let customer = store
        .create_customer(reseller.id, new_user("c@example.com"))
        .await
        .unwrap();
    for (sid, user) in [("o1", owner.id), ("c1", customer.id)] {
        store
            .put_session(&SessionRow {
                sid: sid.into(),
                user_id: user,
                created_at: 1,
                seen_at: 1,
                ip: None,
                user_agent: None,
            })
            .await
            .unwrap();
    }
    assert!(store
        .session_check(9999, "o1", "p")
        .await
        .unwrap()
        .is_none());

    let check = store
        .session_check(owner.id, "o1", "p")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        check.user,
        store.user_by_id(owner.id).await.unwrap().unwrap()
    );
    assert!(check.listed);
    assert_eq!(check.setting, None);
    assert!(!check.second_factor);
    assert_eq!(check.reseller_active, None);
    assert_eq!(check.account, owner.id);
    assert_eq!(check.credential, None);
    let other = store
        .session_check(owner.id, "c1", "p")
        .await
        .unwrap()
        .unwrap();
    assert!(!other.listed, "another user's session");

    // The credential (and its generation), the setting, the second factor, revocation.
    let before = store.credential_generation();
    let credential = |user: UserId, byte: u8| NewCredential {
        user_id: user,
        api_id: format!("{user:016}"),
        sealed: sealed(1, byte),
        key_last4: "WXYZ".into(),
        key_fingerprint: "ab12".into(),
        tested_ok: true,
        test_message: "ok".into(),
    };
    store.put_credential(credential(owner.id, 1)).await.unwrap();
    store
        .put_credential(credential(reseller.id, 2))
        .await
        .unwrap();
    assert!(store.credential_generation() > before, "writes are counted");
    store.put_panel_setting("p", "true").await.unwrap();
    store
        .put_pending_second_factor(owner.id, &sealed(1, 7))
        .await
        .unwrap();
    let check = store
        .session_check(owner.id, "o1", "p")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.setting.as_deref(), Some("true"));
    assert!(!check.second_factor, "a pending factor is not enabled");
    assert_eq!(check.credential, store.credential(owner.id).await.unwrap());
    assert_eq!(check.credential.unwrap().sealed, sealed(1, 1));
    assert!(store
        .enable_second_factor(owner.id, &sealed(1, 7).nonce, 5, &[])
        .await
        .unwrap());
    let check = store
        .session_check(owner.id, "o1", "p")
        .await
        .unwrap()
        .unwrap();
    assert!(check.second_factor);
    assert!(store.delete_session(owner.id, "o1").await.unwrap());
    let check = store
        .session_check(owner.id, "o1", "p")
        .await
        .unwrap()
        .unwrap();
    assert!(!check.listed, "revoked");

    // A customer acts on their reseller's account and credential.
    let check = store
        .session_check(customer.id, "c1", "p")
        .await
        .unwrap()
        .unwrap();
    assert!(check.listed);
    assert_eq!(check.account, reseller.id);
    assert_eq!(check.reseller_active, Some(true));
    assert_eq!(check.credential.unwrap().sealed, sealed(1, 2));
    let g = store.credential_generation();
    assert!(store
        .reseal_credential(reseller.id, &sealed(1, 2), &sealed(2, 3))
        .await
        .unwrap());
    assert!(store.credential_generation() > g, "a reseal is counted");
    store.set_user_disabled(reseller.id, true).await.unwrap();
    let check = store
        .session_check(customer.id, "c1", "p")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.reseller_active, Some(false));
    assert_eq!(check.credential.unwrap().sealed, sealed(2, 3));
    store.set_user_disabled(reseller.id, false).await.unwrap();
    store.set_reseller(reseller.id, false).await.unwrap();
    let check = store
        .session_check(customer.id, "c1", "p")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.reseller_active, Some(false), "no longer a reseller");
    let g = store.credential_generation();
    assert!(store.delete_credential(reseller.id).await.unwrap());
    assert!(store.credential_generation() > g, "a deletion is counted");
    let check = store
        .session_check(customer.id, "c1", "p")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.credential, None);
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
    case_a_demoted_admin_frees_the_place,
    case_migrations_are_idempotent,
    case_credentials_round_trip_and_rotate,
    case_audit_is_append_only,
    case_customers_belong_to_one_reseller,
    case_audit_search_filters,
    case_quota_lock_serializes_one_customer,
    case_quota_locks_leave_connections_for_their_work,
    case_script_uses_per_account,
    case_billing_days_compare_with_an_earlier_day,
    case_sessions_are_listed_and_revoked,
    case_throttle_counts_blocks_and_starts_again,
    case_second_factor_lifecycle,
    case_second_factor_goes_with_a_deleted_customer,
    case_password_reset_links,
    case_panel_settings,
    case_session_check_reads_everything_at_once,
);
