//! The credential vault through the panel: saving (tested first), masking, replacing with
//! re-authentication, deleting, the canary scan, ciphertexts bound to their owner, key
//! rotation under load, and start-up refusing the wrong master key.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::server::upstream::sealed_credential;
use app::server::vault::{credential_owner, rotate, Keyring, Purpose, VaultError};
use lunapanel::emulator::AccountSpec;

use crate::both;
use crate::harness::{Db, Panel, PASSWORD};
use crate::upstream::{key, ID_A, ID_B};

/// A canary key (SEC-1.1): it must never appear anywhere but in memory during a call.
fn canary() -> String {
    format!("CANARYKEY{}", "Z".repeat(119))
}
const CANARY_ID: &str = "canaryapiid00001";

/// Every 16-character window of `secret`, plus its base64 and hex forms.
fn needles(secret: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let mut out: Vec<Vec<u8>> = secret.as_bytes().windows(16).map(<[u8]>::to_vec).collect();
    out.push(
        base64::engine::general_purpose::STANDARD
            .encode(secret)
            .into_bytes(),
    );
    out.push(
        secret
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into_bytes(),
    );
    out.sort();
    out.dedup();
    out
}

fn assert_absent(haystack: &[u8], secret: &str, what: &str) {
    for n in needles(secret) {
        assert!(
            !haystack.windows(n.len()).any(|w| w == n.as_slice()),
            "{what} contains part of the key ({})",
            String::from_utf8_lossy(&n)
        );
    }
}

async fn wrong_and_malformed_keys_are_refused_beside_their_fields(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |_| {}).await;
    let c = panel.owner("a@example.com").await;
    let e = panel
        .save_key(&c, "short", &key('A'), None)
        .await
        .unwrap_err();
    assert!(e.field("api_id").unwrap().contains("16"), "{e:?}");
    let e = panel.save_key(&c, ID_A, "abc", None).await.unwrap_err();
    assert!(e.field("api_key").unwrap().contains("128"), "{e:?}");
    // Well-formed but unknown to Luna Node: refused, with what to check, and not saved.
    let e = panel.save_key(&c, ID_A, &key('X'), None).await.unwrap_err();
    assert!(e.field("api_key").unwrap().contains("refused"), "{e:?}");
    let stored: Option<app::credential::CredentialView> =
        panel.call(&c, "credential/get", &[]).await.unwrap();
    assert!(stored.is_none());
    // Without a key, VM pages say what to do.
    let e = panel
        .call::<serde_json::Value>(&c, "vms/list", &[])
        .await
        .unwrap_err();
    assert_eq!(e, AppError::NoCredential);
    assert!(!panel.info(&c).await.has_credential);
    panel.stop().await;
}

async fn a_good_key_is_stored_masked_and_replacing_it_needs_the_password(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |_| {}).await;
    let c = panel.owner("a@example.com").await;
    let saved = panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    assert_eq!(saved.api_id, ID_A);
    assert_eq!(saved.key_last4, "AAAA");
    assert_eq!(saved.last_test_ok, Some(true));
    assert_eq!(saved.credit, Some(50.0));
    assert_eq!(saved.key_fingerprint.len(), 23);
    assert!(panel.info(&c).await.has_credential);
    // Replacing: the password is required and checked.
    let e = panel.save_key(&c, ID_B, &key('B'), None).await.unwrap_err();
    assert!(e.field("password").is_some(), "{e:?}");
    let e = panel
        .save_key(&c, ID_B, &key('B'), Some("not the password"))
        .await
        .unwrap_err();
    assert!(e.field("password").is_some(), "{e:?}");
    let replaced = panel
        .save_key(&c, ID_B, &key('B'), Some(PASSWORD))
        .await
        .unwrap();
    assert_eq!(
        (replaced.api_id.as_str(), replaced.key_last4.as_str()),
        (ID_B, "BBBB")
    );
    assert_ne!(replaced.key_fingerprint, saved.key_fingerprint);
    // The stored key is used: credit of account B.
    let tested: app::credential::CredentialView =
        panel.call(&c, "credential/test", &[]).await.unwrap();
    assert_eq!(tested.credit, Some(10.0));
    assert_eq!(tested.last_test_ok, Some(true));
    // Deleting erases the row; the pages then ask for a key again.
    panel
        .call::<()>(&c, "credential/delete", &[])
        .await
        .unwrap();
    let user = panel.user("a@example.com").await;
    assert!(panel
        .state
        .store
        .credential(user.id)
        .await
        .unwrap()
        .is_none());
    let e = panel
        .call::<serde_json::Value>(&c, "vms/list", &[])
        .await
        .unwrap_err();
    assert_eq!(e, AppError::NoCredential);
    // Every change is audited once, settled.
    let audit = panel
        .state
        .store
        .list_audit(Some(user.id), 50)
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .rev()
        // Sign-in events are another test's (hardening.rs).
        .filter(|r| !r.entry.action.starts_with("auth/"))
        .map(|r| (r.entry.action.as_str(), r.entry.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("credential/save", "ok"),
            ("credential/save", "ok"),
            ("credential/delete", "ok")
        ]
    );
    panel.stop().await;
}

async fn a_copied_ciphertext_does_not_open_for_another_user(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |_| {}).await;
    let a = panel.owner("a@example.com").await;
    let b = panel.owner("b@example.com").await;
    panel.save_key(&a, ID_A, &key('A'), None).await.unwrap();
    panel.save_key(&b, ID_B, &key('B'), None).await.unwrap();
    let store = &panel.state.store;
    let ua = store.user_by_email("a@example.com").await.unwrap().unwrap();
    let ub = store.user_by_email("b@example.com").await.unwrap().unwrap();
    let ca = store.credential(ua.id).await.unwrap().unwrap();
    // Paste A's sealed key into B's row, as an attacker with database access would.
    let url = &panel.db.url;
    let sql = "UPDATE credentials SET key_version = $1, key_nonce = $2, key_ciphertext = $3 WHERE user_id = $4";
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql)
            .bind(i64::from(ca.sealed.version))
            .bind(&ca.sealed.nonce)
            .bind(&ca.sealed.ciphertext)
            .bind(ub.id)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql)
            .bind(i64::from(ca.sealed.version))
            .bind(&ca.sealed.nonce)
            .bind(&ca.sealed.ciphertext)
            .bind(ub.id)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let before = emu.calls("billing/credit");
    let e: AppError = panel
        .call::<app::credential::CredentialView>(&b, "credential/test", &[])
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Internal { .. }), "{e:?}");
    assert_eq!(
        emu.calls("billing/credit"),
        before,
        "no upstream call with a bad credential"
    );
    // A is unaffected.
    let ok: app::credential::CredentialView = panel.call(&a, "credential/test", &[]).await.unwrap();
    assert_eq!(ok.credit, Some(50.0));
    panel.stop().await;
}

/// SEC-1.1 / SEC-1.6: the canary key never appears in the database file, any server
/// function response or any rendered page.
async fn canary_key_never_leaves_memory(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| {
        c.accounts.push(AccountSpec {
            api_id: CANARY_ID.into(),
            api_key: canary(),
            credit: 5.0,
        });
    })
    .await;
    let c = panel.owner("a@example.com").await;
    let (status, body) = panel
        .call_raw(
            &c,
            "credential/save",
            &[("api_id", CANARY_ID), ("api_key", &canary())],
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert_absent(body.as_bytes(), &canary(), "the save response");
    for (name, args) in [
        ("credential/get", vec![]),
        ("credential/test", vec![]),
        ("panel_info", vec![]),
        ("vms/list", vec![]),
        ("catalog/plans", vec![]),
        ("catalog/regions", vec![]),
        ("vms/create_options", vec![]),
        ("sshkeys/list", vec![]),
        ("images/list", vec![]),
    ] {
        let (status, body) = panel.call_raw(&c, name, &args).await;
        assert!(status.is_success(), "{name}: {status} {body}");
        assert_absent(body.as_bytes(), &canary(), name);
    }
    for page in [
        "/",
        "/api-key",
        "/vms",
        "/vms/new",
        "/plans",
        "/regions",
        "/ssh-keys",
        "/images",
        "/images/new",
        "/account",
    ] {
        let html = c
            .get(format!("{}{page}", panel.base))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_absent(&html, &canary(), page);
    }
    // The database: every file of a SQLite database (WAL included), or every table's
    // contents on PostgreSQL.
    if panel.db.url.starts_with("sqlite:") {
        let path = panel.db.url.trim_start_matches("sqlite://");
        let dir = std::path::Path::new(path).parent().unwrap();
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            assert_absent(&bytes, &canary(), &p.display().to_string());
        }
    } else {
        let pool = sqlx::PgPool::connect(&panel.db.url).await.unwrap();
        for table in [
            "users",
            "credentials",
            "audit_log",
            "invites",
            "tower_sessions.session",
        ] {
            let dump: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {table} t"))
                .fetch_all(&pool)
                .await
                .unwrap_or_default();
            assert_absent(dump.join("\n").as_bytes(), &canary(), table);
        }
        pool.close().await;
    }
    panel.stop().await;
}

both!(
    wrong_and_malformed_keys_are_refused_beside_their_fields,
    a_good_key_is_stored_masked_and_replacing_it_needs_the_password,
    a_copied_ciphertext_does_not_open_for_another_user,
    canary_key_never_leaves_memory,
);

/// SEC-1.4: rotation re-seals every row while requests keep using the keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotation_under_load_fails_no_request() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |_| {}).await;
    let store = panel.state.store.clone();
    let keyring = panel.state.upstream.keyring.clone();
    // Three signed-in users whose keys work, plus 300 rows of other accounts.
    let mut clients = Vec::new();
    for (i, (id, k)) in [(ID_A, 'A'), (ID_B, 'B'), (ID_A, 'A')]
        .into_iter()
        .enumerate()
    {
        let c = panel.owner(&format!("u{i}@example.com")).await;
        panel.save_key(&c, id, &key(k), None).await.unwrap();
        clients.push(c);
    }
    let hash = panel
        .state
        .hasher
        .hash("irrelevant password")
        .await
        .unwrap();
    for i in 0..300 {
        let user = store
            .create_user(
                app::server::store::NewUser {
                    email: format!("bulk{i}@example.com"),
                    display_name: "Bulk".into(),
                    password_hash: hash.clone(),
                },
                app::server::store::SignUpGate::Open,
            )
            .await
            .unwrap();
        store
            .put_credential(sealed_credential(
                &keyring,
                user.id,
                "qqqqqqqqqqqqqqqq",
                &key('Q'),
                String::new(),
            ))
            .await
            .unwrap();
    }
    assert_eq!(store.credential_versions().await.unwrap(), vec![(1, 303)]);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let panel = Arc::new(panel);
    let mut load = Vec::new();
    for c in clients {
        let (panel, stop, ok, failed) = (panel.clone(), stop.clone(), ok.clone(), failed.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                match panel
                    .call::<app::credential::CredentialView>(&c, "credential/test", &[])
                    .await
                {
                    Ok(v) if v.last_test_ok == Some(true) => ok.fetch_add(1, Ordering::SeqCst),
                    other => {
                        eprintln!("request failed during rotation: {other:?}");
                        failed.fetch_add(1, Ordering::SeqCst)
                    }
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The rotation runs as `lunapanel rotate-master-key` would: its own keyring on the file.
    let path = panel.keydir.join("master.key");
    let cli_keyring = Keyring::from_file(&path).unwrap();
    let report = rotate(store.as_ref(), &cli_keyring, Duration::from_millis(300))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for l in load {
        l.await.unwrap();
    }
    assert_eq!(failed.load(Ordering::SeqCst), 0, "no request failed");
    assert!(
        ok.load(Ordering::SeqCst) > 5,
        "traffic ran during the rotation"
    );
    assert_eq!(report.active, 2);
    assert_eq!(report.resealed, 303);
    assert_eq!(report.retired, vec![1]);
    assert_eq!(report.remaining, 0);
    assert_eq!(store.credential_versions().await.unwrap(), vec![(2, 303)]);
    // A fresh start with only the new key opens every row.
    let fresh = Keyring::from_file(&path).unwrap();
    assert_eq!(fresh.current().versions().collect::<Vec<_>>(), vec![2]);
    let mut opened = 0;
    for (user_id, sealed) in store.credentials_not_sealed_with(0, 1000).await.unwrap() {
        fresh
            .open(
                Purpose::UpstreamCredential,
                &credential_owner(user_id),
                &sealed,
            )
            .unwrap();
        opened += 1;
    }
    assert_eq!(opened, 303);
    // A row naming a version nobody has is a typed error, never a panic.
    let (user_id, mut sealed) = store
        .credentials_not_sealed_with(0, 1)
        .await
        .unwrap()
        .remove(0);
    sealed.version = 9;
    assert!(matches!(
        fresh.open(
            Purpose::UpstreamCredential,
            &credential_owner(user_id),
            &sealed
        ),
        Err(VaultError::UnknownVersion(9))
    ));
    Arc::try_unwrap(panel).ok().unwrap().stop().await;
}

/// SEC-1.5: start-up with the wrong or a missing master key stops, changing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_refuses_the_wrong_or_missing_master_key() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |_| {}).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let url = panel.db.url.clone();
    let keyfile = panel.keydir.join("master.key");
    let other = crate::harness::keydir();
    let load = |keyfile: &std::path::Path| {
        lunapanel::config::load(
            None,
            Vec::new(),
            &[
                ("database_url", url.clone()),
                ("demo", "false".into()),
                ("master_key_file", keyfile.display().to_string()),
            ],
        )
        .unwrap()
    };
    let wrong = other.join("wrong.key");
    std::fs::write(
        &wrong,
        app::server::vault::MasterKeys::generate()
            .to_file_text()
            .as_bytes(),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let err = lunapanel::prepare(load(&wrong))
        .await
        .err()
        .expect("wrong key refused");
    assert!(err.to_string().contains("do not open"), "{err}");
    let missing = other.join("missing.key");
    let err = lunapanel::prepare(load(&missing))
        .await
        .err()
        .expect("missing key refused");
    assert!(err.to_string().contains("missing"), "{err}");
    assert!(!missing.exists(), "nothing was created");
    // The right file still works, and the row is unchanged.
    let ok = lunapanel::prepare(load(&keyfile)).await;
    assert!(ok.is_ok());
    let _ = std::fs::remove_dir_all(other);
    panel.stop().await;
}

/// Issue 8, defect 12: a key file deleted while the panel runs is never replaced by a new
/// one (which would orphan every stored key); the re-read fails naming the file, and the
/// keys already loaded keep opening and sealing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_key_file_is_an_error_and_never_recreated_while_running() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |_| {}).await;
    let a = panel.owner("a@example.com").await;
    panel.save_key(&a, ID_A, &key('A'), None).await.unwrap();
    let keyfile = panel.keydir.join("master.key");
    let saved = std::fs::read(&keyfile).unwrap();
    std::fs::remove_file(&keyfile).unwrap();
    let keyring = panel.state.upstream.keyring.clone();
    // The re-read path (what a rotation by another process triggers) reports the file.
    let err = keyring
        .refresh()
        .expect_err("a missing key file is an error");
    assert!(
        err.to_string().contains(&keyfile.display().to_string()),
        "the error names the file: {err}"
    );
    assert!(
        !keyfile.exists(),
        "no new key file was created by the re-read"
    );
    // A value naming a version not loaded triggers a re-read too: an error, nothing created.
    let mut sealed = keyring.seal(Purpose::UpstreamCredential, "o", b"x");
    sealed.version = 7;
    assert!(keyring
        .open(Purpose::UpstreamCredential, "o", &sealed)
        .is_err());
    assert!(!keyfile.exists(), "no new key file was created by an open");
    // The stored key still opens with the keys in memory, and new keys are sealed with them.
    let tested: app::credential::CredentialView =
        panel.call(&a, "credential/test", &[]).await.unwrap();
    assert_eq!(tested.last_test_ok, Some(true));
    let b = panel.owner("b@example.com").await;
    panel.save_key(&b, ID_B, &key('B'), None).await.unwrap();
    let tested: app::credential::CredentialView =
        panel.call(&b, "credential/test", &[]).await.unwrap();
    assert_eq!(tested.credit, Some(10.0));
    assert!(!keyfile.exists(), "no new key file was created by a seal");
    // Putting the file back makes the re-read work again, with the same keys.
    std::fs::write(&keyfile, &saved).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keyfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    keyring.refresh().unwrap();
    let tested: app::credential::CredentialView =
        panel.call(&a, "credential/test", &[]).await.unwrap();
    assert_eq!(tested.last_test_ok, Some(true));
    panel.stop().await;
}
