//! Issue 13: sign-in throttling per account and per address (brute force from one and from
//! many addresses), sign-up and invite throttling, the sessions page (list, sign out one,
//! all others, after a password change), `Clear-Site-Data` on sign-out, a new session id
//! for "view as", and every such event on the audit page.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::{Client, StatusCode};

use crate::both;
use crate::harness::{Db, Panel, PASSWORD};

/// Blocks last at most this long here, so "afterwards" comes soon.
const CAP: i64 = 2;

async fn panel(db: Db) -> Panel {
    Panel::start_with(db, &[("sign_up", "open")], |s| s.throttle.cap_secs = CAP).await
}

/// Signs in on `c`; the status and the `Retry-After` header.
async fn try_sign_in(
    panel: &Panel,
    c: &Client,
    email: &str,
    password: &str,
) -> (StatusCode, Option<u64>, String) {
    let res = c
        .post(format!("{}/api/sign_in", panel.base))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, res.text().await.unwrap())
}

fn tally(statuses: &[StatusCode]) -> HashMap<u16, usize> {
    let mut t = HashMap::new();
    for s in statuses {
        *t.entry(s.as_u16()).or_insert(0) += 1;
    }
    t
}

async fn wait_out_the_block() {
    tokio::time::sleep(Duration::from_secs(CAP as u64 + 1)).await;
}

async fn brute_force_from_one_address_ends_in_429s_and_the_owner_still_gets_in(db: Db) {
    let panel = panel(db).await;
    panel.owner("ada@example.com").await;
    let runs_before = panel.state.hasher.runs();
    let attacker = panel.client();
    let mut seen = Vec::new();
    for i in 0..300 {
        let (status, retry, body) =
            try_sign_in(&panel, &attacker, "ada@example.com", &format!("guess {i}")).await;
        // The answer never says which of address or password was wrong.
        let said: app::error::AppError = serde_json::from_str(&body).unwrap();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let secs = retry.expect("a 429 says when to retry");
            assert!((1..=CAP as u64).contains(&secs), "Retry-After {secs}");
            assert!(
                said.to_string().starts_with("Too many attempts. Wait "),
                "{said}"
            );
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
            assert_eq!(said, app::error::AppError::InvalidCredentials);
        }
        seen.push(status);
    }
    let t = tally(&seen);
    // Five free tries; the sixth is checked too, and begins the first block.
    assert_eq!(seen[..6], [StatusCode::UNAUTHORIZED; 6]);
    assert_eq!(seen[6], StatusCode::TOO_MANY_REQUESTS);
    assert!(
        t.get(&429).copied().unwrap_or(0) >= 250,
        "mostly refused: {t:?}"
    );
    // A refused guess costs no password hash: only the few that were checked did.
    let hashed = panel.state.hasher.runs() - runs_before;
    assert!(hashed < 60, "{hashed} hashes for 300 guesses");
    // The right password during a block gets the same refusal (it is not even checked).
    let owner = panel.client();
    let (status, _, _) = try_sign_in(&panel, &owner, "ada@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // An address nobody has behaves the same: five answers, then 429 (no enumeration).
    let probes: Vec<StatusCode> = {
        let mut v = Vec::new();
        for i in 0..8 {
            v.push(
                try_sign_in(&panel, &attacker, "nobody@example.com", &format!("x{i}"))
                    .await
                    .0,
            );
        }
        v
    };
    assert!(
        probes.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{probes:?}"
    );
    // Afterwards the right password works, from anywhere.
    wait_out_the_block().await;
    let elsewhere = panel.client_from("127.0.0.9");
    panel
        .sign_in(&elsewhere, "ada@example.com", PASSWORD)
        .await
        .expect("the owner signs in once the block is over");
    panel.stop().await;
}

async fn brute_force_from_many_addresses_is_stopped_per_account(db: Db) {
    let panel = panel(db).await;
    panel.owner("ada@example.com").await;
    let mut seen = Vec::new();
    for i in 0..120 {
        // A botnet: each guess from another address.
        let ip = format!("127.0.{}.{}", 1 + i / 200, 2 + i % 200);
        let c = panel.client_from(&ip);
        seen.push(
            try_sign_in(&panel, &c, "ada@example.com", &format!("guess {i}"))
                .await
                .0,
        );
    }
    let t = tally(&seen);
    assert!(t.get(&429).copied().unwrap_or(0) >= 100, "{t:?}");
    assert_eq!(
        t.get(&401).copied().unwrap_or(0) + t.get(&429).copied().unwrap_or(0),
        120
    );
    wait_out_the_block().await;
    panel
        .sign_in(&panel.client_from("127.0.9.9"), "ada@example.com", PASSWORD)
        .await
        .expect("the right password works afterwards");
    // A right password clears the account's count: one slip afterwards is not a block.
    let (status, _, _) = try_sign_in(&panel, &panel.client(), "ada@example.com", "one slip").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    panel.stop().await;
}

async fn one_address_trying_many_accounts_is_stopped_per_address(db: Db) {
    let panel = panel(db).await;
    panel.owner("ada@example.com").await;
    let stuffer = panel.client_from("127.0.0.66");
    // Twenty free, the 21st checked and starting a block, the next refused.
    for i in 0..21 {
        let (status, _, _) = try_sign_in(
            &panel,
            &stuffer,
            &format!("user{i}@example.com"),
            "password1234",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {}", i + 1);
    }
    let (status, retry, _) =
        try_sign_in(&panel, &stuffer, "user21@example.com", "password1234").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some());
    // A forged X-Forwarded-For does not make another address (no trusted proxy).
    let res = stuffer
        .post(format!("{}/api/sign_in", panel.base))
        .header("x-forwarded-for", "203.0.113.5")
        .form(&[
            ("email", "user99@example.com"),
            ("password", "password1234"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Everyone else is untouched: another address is told its password is wrong, not 429.
    let (status, _, _) = try_sign_in(
        &panel,
        &panel.client_from("127.0.0.67"),
        "ada@example.com",
        "wrong one",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    panel.stop().await;
}

async fn sign_ups_and_invite_guesses_are_throttled_per_address(db: Db) {
    let panel = Panel::start_with(db, &[("sign_up", "invite-only")], |s| {
        s.throttle.cap_secs = 60;
    })
    .await;
    panel.admin().await;
    // Guessing invite links: ten tries, the eleventh begins a block, then 429.
    let guesser = panel.client_from("127.0.0.70");
    let mut seen = Vec::new();
    for i in 0..14 {
        let email = format!("g{i}@example.com");
        let form = crate::harness::sign_up_form(&email, Some("not-an-invite"));
        seen.push(panel.call_raw(&guesser, "sign_up", &form).await.0);
    }
    assert_eq!(
        seen[..11],
        [StatusCode::UNPROCESSABLE_ENTITY; 11],
        "{seen:?}"
    );
    assert_eq!(seen[11..], [StatusCode::TOO_MANY_REQUESTS; 3], "{seen:?}");
    // Someone else's sign-up with a real invite is not held up.
    let admin = panel.client();
    panel
        .sign_in(&admin, "admin@example.com", PASSWORD)
        .await
        .unwrap();
    let invite: app::types::NewInvite = panel
        .call(&admin, "admin/create_invite", &[])
        .await
        .unwrap();
    let token = invite.link.rsplit("invite=").next().unwrap().to_owned();
    panel
        .sign_up(
            &panel.client_from("127.0.0.72"),
            "real@example.com",
            Some(&token),
        )
        .await
        .expect("an invite used from another address");
    panel.stop().await;
}

async fn sign_ups_are_throttled_per_address(db: Db) {
    let panel = Panel::start_with(db, &[("sign_up", "open")], |s| {
        s.throttle.cap_secs = 60;
        s.throttle.sign_ups_per_hour = 3;
    })
    .await;
    let mut seen = Vec::new();
    for i in 0..6 {
        let c = panel.client_from("127.0.0.71");
        let email = format!("s{i}@example.com");
        let form = crate::harness::sign_up_form(&email, None);
        seen.push(panel.call_raw(&c, "sign_up", &form).await.0);
    }
    // Three an hour, the fourth goes through and begins a block (a minute here).
    assert_eq!(seen[..4], [StatusCode::OK; 4], "{seen:?}");
    assert_eq!(seen[4..], [StatusCode::TOO_MANY_REQUESTS; 2], "{seen:?}");
    let other = panel.client_from("127.0.0.73");
    panel
        .sign_up(&other, "elsewhere@example.com", None)
        .await
        .expect("another address");
    panel.stop().await;
}

/// The sessions page's list as `c` sees it: (id, current).
async fn sessions(panel: &Panel, c: &Client) -> Vec<(String, bool, String)> {
    let list: Vec<app::auth::sessions::SessionView> =
        panel.call(c, "sessions/list", &[]).await.unwrap();
    list.into_iter()
        .map(|s| (s.id, s.current, s.browser))
        .collect()
}

/// The handle of `c`'s own session.
async fn current_session(panel: &Panel, c: &Client) -> String {
    sessions(panel, c)
        .await
        .into_iter()
        .find(|s| s.1)
        .expect("the current session is listed")
        .0
}

async fn sessions_are_listed_and_signed_out_from_elsewhere(db: Db) {
    let panel = panel(db).await;
    let laptop = panel.owner("ada@example.com").await;
    let phone = panel.client_from("127.0.0.20");
    panel
        .sign_in(&phone, "ada@example.com", PASSWORD)
        .await
        .unwrap();
    let tablet = panel.client_from("127.0.0.21");
    panel
        .sign_in(&tablet, "ada@example.com", PASSWORD)
        .await
        .unwrap();

    let seen = sessions(&panel, &laptop).await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(
        seen.iter().filter(|s| s.1).count(),
        1,
        "one is this session"
    );
    let full: Vec<app::auth::sessions::SessionView> =
        panel.call(&phone, "sessions/list", &[]).await.unwrap();
    let phone_row = full.iter().find(|s| s.current).unwrap();
    assert_eq!(phone_row.ip.as_deref(), Some("127.0.0.20"));

    // The laptop signs the phone out: its next request is signed out.
    let phone_id = phone_row.id.clone();
    let _: () = panel
        .call(&laptop, "sessions/revoke", &[("id", phone_id.as_str())])
        .await
        .unwrap();
    assert!(panel.info(&phone).await.user.is_none(), "phone signed out");
    assert!(panel.info(&tablet).await.user.is_some(), "tablet untouched");
    // Not one's own session this way, and not someone else's.
    let mine = current_session(&panel, &laptop).await;
    let err = panel
        .call::<()>(&laptop, "sessions/revoke", &[("id", mine.as_str())])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Sign out"), "{err}");
    let bob = panel.owner("bob@example.com").await;
    let tablet_id = current_session(&panel, &tablet).await;
    let err = panel
        .call::<()>(&bob, "sessions/revoke", &[("id", tablet_id.as_str())])
        .await
        .unwrap_err();
    assert!(matches!(err, app::error::AppError::NotFound(_)), "{err:?}");
    assert!(panel.info(&tablet).await.user.is_some());

    // All others: the tablet goes, the laptop stays.
    let n: u64 = panel
        .call(&laptop, "sessions/revoke_others", &[])
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(panel.info(&tablet).await.user.is_none());
    assert_eq!(sessions(&panel, &laptop).await.len(), 1);

    // A password change ends every other session and its listing.
    let again = panel.client_from("127.0.0.22");
    panel
        .sign_in(&again, "ada@example.com", PASSWORD)
        .await
        .unwrap();
    let new_password = "a brand new passphrase";
    let _: () = panel
        .call(
            &laptop,
            "change_password",
            &[
                ("current", PASSWORD),
                ("new_password", new_password),
                ("confirm", new_password),
            ],
        )
        .await
        .unwrap();
    assert!(panel.info(&again).await.user.is_none());
    assert_eq!(sessions(&panel, &laptop).await.len(), 1);

    // Sign-out ends the session and tells the browser to clear the panel's site data.
    let res = laptop
        .post(format!("{}/api/sign_out", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let clear = res
        .headers()
        .get("clear-site-data")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    for part in ["\"cache\"", "\"cookies\"", "\"storage\""] {
        assert!(clear.contains(part), "Clear-Site-Data: {clear}");
    }
    assert!(panel
        .state
        .store
        .user_sessions(panel.user("ada@example.com").await.id)
        .await
        .unwrap()
        .is_empty());
    panel.stop().await;
}

async fn view_as_cycles_the_session_id(db: Db) {
    let (panel, _emulator) = Panel::with_emulator(db, |_| {}).await;
    let (_admin, reseller, _) = crate::tenancy::reseller(&panel).await;
    let (_c, customer) = crate::tenancy::customer(&panel, &reseller, "cust@example.com").await;
    // With a bare client, so the cookie can be read.
    let bare = panel.bare_client();
    let res = bare
        .post(format!("{}/api/sign_in", panel.base))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "reseller@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let before = crate::harness::session_cookie(&res)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let id = customer.to_string();
    let res = bare
        .post(format!("{}/api/customers/view_as", panel.base))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", before.clone())
        .form(&[("customer_id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let after = crate::harness::session_cookie(&res)
        .expect("a new session id")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(before, after);
    let info = |cookie: String| {
        bare.post(format!("{}/api/panel_info", panel.base))
            .header("sec-fetch-site", "same-origin")
            .header("cookie", cookie)
            .send()
    };
    let old: app::types::PanelInfo = info(before).await.unwrap().json().await.unwrap();
    assert!(old.user.is_none(), "the id from before the change is dead");
    let new: app::types::PanelInfo = info(after).await.unwrap().json().await.unwrap();
    assert_eq!(new.user.map(|u| u.id), Some(customer));
    panel.stop().await;
}

/// The audit log's actions as `viewer` downloads them with `query` (the page's own filters).
async fn audit_actions(panel: &Panel, viewer: &Client, query: &str) -> Vec<String> {
    let csv = viewer
        .get(format!("{}/audit.csv?{query}", panel.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            l.split("\",\"")
                .nth(5)
                .map(|a| a.trim_matches('"').to_owned())
        })
        .collect()
}

async fn every_sign_in_session_and_admin_event_is_audited(db: Db) {
    let panel = panel(db).await;
    let admin = panel.admin().await;
    let ada = panel.owner("ada@example.com").await;
    let ada_id = panel.user("ada@example.com").await.id.to_string();
    // Sign-in: one failure, one success; a second session signed out from the first.
    let other = panel.client_from("127.0.0.30");
    let (status, _, _) = try_sign_in(&panel, &other, "ada@example.com", "wrong password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    panel
        .sign_in(&other, "ada@example.com", PASSWORD)
        .await
        .unwrap();
    let n: u64 = panel
        .call(&ada, "sessions/revoke_others", &[])
        .await
        .unwrap();
    assert_eq!(n, 1);
    let p2 = "another fine passphrase";
    let _: () = panel
        .call(
            &ada,
            "change_password",
            &[("current", PASSWORD), ("new_password", p2), ("confirm", p2)],
        )
        .await
        .unwrap();
    // The administrator: role, disable, enable, invite, revoke.
    let _: () = panel
        .call(
            &admin,
            "admin/set_reseller",
            &[("user_id", ada_id.as_str()), ("reseller", "true")],
        )
        .await
        .unwrap();
    let invite: app::types::NewInvite = panel
        .call(&admin, "admin/create_invite", &[])
        .await
        .unwrap();
    let invite_id = invite.id.to_string();
    let _: () = panel
        .call(
            &admin,
            "admin/revoke_invite",
            &[("invite_id", invite_id.as_str())],
        )
        .await
        .unwrap();
    let bob = panel.owner("bob@example.com").await;
    let bob_id = panel.user("bob@example.com").await.id.to_string();
    for disabled in ["true", "false"] {
        let _: () = panel
            .call(
                &admin,
                "admin/set_user_disabled",
                &[("user_id", bob_id.as_str()), ("disabled", disabled)],
            )
            .await
            .unwrap();
    }
    // A refusal: an owner calling an administrator's function.
    let (status, _) = panel.call_raw(&ada, "admin/list_users", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let _ = bob;
    // Sign-out.
    let _: () = panel.call(&ada, "sign_out", &[]).await.unwrap();

    let auth = audit_actions(&panel, &admin, "category=auth/").await;
    for want in [
        "auth/sign_up",
        "auth/sign_in_failed",
        "auth/sign_in",
        "auth/sessions_revoke_others",
        "auth/password_change",
        "auth/sign_out",
    ] {
        assert!(auth.iter().any(|a| a == want), "{want} not in {auth:?}");
    }
    assert!(auth.iter().all(|a| a.starts_with("auth/")), "{auth:?}");
    let admin_rows = audit_actions(&panel, &admin, "category=admin/").await;
    for want in [
        "admin/role",
        "admin/invite",
        "admin/invite_revoke",
        "admin/disable",
        "admin/enable",
    ] {
        assert!(
            admin_rows.iter().any(|a| a == want),
            "{want} not in {admin_rows:?}"
        );
    }
    let denied = audit_actions(&panel, &admin, "category=denied/&outcome=denied").await;
    assert!(
        denied.iter().any(|a| a == "denied/admin/list_users"),
        "{denied:?}"
    );
    // Ada sees her account's own events on her audit page, not the administrator's others.
    let ada_again = panel.client();
    panel
        .sign_in(&ada_again, "ada@example.com", p2)
        .await
        .unwrap();
    let hers = audit_actions(&panel, &ada_again, "category=auth/").await;
    assert!(hers.iter().any(|a| a == "auth/password_change"), "{hers:?}");
    let page = panel.page(&ada_again, "/audit?category=auth/").await;
    assert!(
        page.contains("auth/password_change"),
        "the audit page shows it"
    );
    let hers_admin = audit_actions(&panel, &ada_again, "category=admin/").await;
    assert!(
        hers_admin.contains(&"admin/role".to_owned()),
        "the change to her own account: {hers_admin:?}"
    );
    assert!(
        !hers_admin.contains(&"admin/disable".to_owned()),
        "bob's is not hers: {hers_admin:?}"
    );
    // No secret ever reaches the log: neither password appears anywhere in it.
    let all = admin
        .get(format!("{}/audit.csv", panel.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!all.contains(PASSWORD) && !all.contains(p2) && !all.contains("wrong password"));
    panel.stop().await;
}

both!(
    brute_force_from_one_address_ends_in_429s_and_the_owner_still_gets_in,
    brute_force_from_many_addresses_is_stopped_per_account,
    one_address_trying_many_accounts_is_stopped_per_address,
    sign_ups_and_invite_guesses_are_throttled_per_address,
    sign_ups_are_throttled_per_address,
    sessions_are_listed_and_signed_out_from_elsewhere,
    view_as_cycles_the_session_id,
    every_sign_in_session_and_admin_event_is_audited,
);
