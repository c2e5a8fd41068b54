//! Two-step sign-in (TOTP, SEC-5.4) and password-reset links (issue 13) over real HTTP, on
//! SQLite and PostgreSQL: setting up an authenticator app, signing in with a code (each code
//! once), recovery codes, the partial session between password and code, the
//! administrator's "required for admins and resellers" policy, resetting a second factor
//! and reset links made by the administrator and by resellers.
//!
//! The tests are the authenticator app: they read the secret from the set-up answer and
//! compute codes from it with the panel's own TOTP functions (checked against the RFC 6238
//! vectors in `app::server::totp`).

use std::time::Duration;

use app::auth::reset::{ResetTarget, RESET_INVALID};
use app::auth::token_hash;
use app::auth::totp::{SecondFactorStatus, TotpEnrolment, SECURITY_PAGE};
use app::error::AppError;
use app::server::store::{now_unix, AuditFilter};
use app::server::totp::{base32_decode, code_at, step_at, PartialAuth, PARTIAL_KEY};
use app::types::{NewResetLink, SessionUser, SignInOutcome, UserSummary};
use reqwest::{Client, StatusCode};

use crate::harness::{
    assert_pages_render, conflict, error_beside, not_found, session_cookie, Db, Panel, PASSWORD,
};

/// The password a reset link sets in these tests.
const NEW_PASSWORD: &str = "a brand new passphrase";

/// An authenticator app holding one seed.
struct Authenticator {
    seed: Vec<u8>,
    /// The step of the last code it gave.
    last: i64,
}

impl Authenticator {
    fn new(e: &TotpEnrolment) -> Self {
        let seed = base32_decode(&e.secret).expect("the secret is base32");
        assert_eq!(seed.len(), 20, "a 160-bit seed");
        let plain = e.secret.replace(' ', "");
        assert!(e.uri.starts_with("otpauth://totp/"), "{}", e.uri);
        assert!(e.uri.contains(&format!("secret={plain}&")), "{}", e.uri);
        assert_eq!(e.qr.dark.len(), e.qr.width * e.qr.width);
        Self {
            seed,
            last: i64::MIN,
        }
    }

    /// A code the panel has not seen: for the current step, or the step after the last
    /// code given (waiting until the panel's window of one step either way reaches it).
    /// Never the previous step, which the panel's clock may already have left.
    async fn code(&mut self) -> String {
        loop {
            let now = step_at(now_unix());
            let step = (self.last + 1).max(now);
            if step <= now + 1 {
                self.last = step;
                return code_at(&self.seed, step);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The last code given again.
    fn replayed(&self) -> String {
        code_at(&self.seed, self.last)
    }
}

/// A panel where anyone may sign up.
async fn open_panel(db: Db) -> Panel {
    Panel::start_with(db, &[("sign_up", "open")], |_| {}).await
}

async fn status(panel: &Panel, c: &Client) -> SecondFactorStatus {
    panel
        .call(c, "totp/status", &[])
        .await
        .expect("totp/status")
}

/// Sets up two-step sign-in for `c`'s user; the app and the ten recovery codes.
async fn enrol(panel: &Panel, c: &Client) -> (Authenticator, Vec<String>) {
    let e: TotpEnrolment = panel
        .call(c, "totp/begin", &[("password", PASSWORD)])
        .await
        .expect("totp/begin");
    let mut app = Authenticator::new(&e);
    let code = app.code().await;
    let codes: Vec<String> = panel
        .call(c, "totp/confirm", &[("code", code.as_str())])
        .await
        .expect("totp/confirm");
    assert_eq!(codes.len(), 10);
    (app, codes)
}

/// The second step of signing in on `c`.
async fn send_code(panel: &Panel, c: &Client, code: &str) -> Result<SessionUser, AppError> {
    panel.call(c, "sign_in/code", &[("code", code)]).await
}

/// Signs `email` in on a fresh client, with the password and then `code`.
async fn sign_in_with_code(panel: &Panel, email: &str, code: &str) -> Client {
    let c = panel.client();
    assert_eq!(
        panel.sign_in_outcome(&c, email, PASSWORD).await.unwrap(),
        SignInOutcome::CodeNeeded
    );
    send_code(panel, &c, code).await.expect("sign_in/code");
    c
}

/// Whether `c` is signed in.
async fn signed_in(panel: &Panel, c: &Client) -> bool {
    panel.info(c).await.user.is_some()
}

/// How many audit rows have `action`.
async fn audited(panel: &Panel, action: &str) -> usize {
    panel
        .state
        .store
        .search_audit(
            &AuditFilter {
                action: Some(action.to_owned()),
                ..Default::default()
            },
            1000,
        )
        .await
        .unwrap()
        .len()
}

/// A wrong code (the right one with its first digit changed).
fn wrong(code: &str) -> String {
    let first = code.as_bytes()[0] - b'0';
    format!("{}{}", (first + 1) % 10, &code[1..])
}

async fn enrol_then_sign_in_with_each_code_once(db: Db) {
    let panel = open_panel(db).await;
    let email = "admin@example.com";
    let admin = panel.admin().await;
    let elsewhere = panel.client();
    panel.sign_in(&elsewhere, email, PASSWORD).await.unwrap();
    let s = status(&panel, &admin).await;
    assert!(!s.enabled && !s.pending && !s.required, "{s:?}");

    // Starting needs the password again; the secret is pending until a code confirms it.
    let r = panel
        .call::<TotpEnrolment>(&admin, "totp/begin", &[("password", "not my password")])
        .await;
    error_beside(r, "password");
    let e: TotpEnrolment = panel
        .call(&admin, "totp/begin", &[("password", PASSWORD)])
        .await
        .unwrap();
    let mut app = Authenticator::new(&e);
    assert!(status(&panel, &admin).await.pending);
    let code = app.code().await;
    let r = panel
        .call::<Vec<String>>(&admin, "totp/confirm", &[("code", wrong(&code).as_str())])
        .await;
    error_beside(r, "code");
    assert!(!status(&panel, &admin).await.enabled);
    let recovery: Vec<String> = panel
        .call(&admin, "totp/confirm", &[("code", code.as_str())])
        .await
        .unwrap();
    assert_eq!(recovery.len(), 10);
    let s = status(&panel, &admin).await;
    assert!(
        s.enabled && !s.pending && s.recovery_codes_left == 10,
        "{s:?}"
    );
    // Turning it on ends the other sessions; this one carries on.
    assert!(signed_in(&panel, &admin).await);
    assert!(!signed_in(&panel, &elsewhere).await);
    assert_pages_render(&panel, &admin, &[(SECURITY_PAGE, "recovery-codes-left")], 1).await;
    // Starting again while it is on is refused.
    conflict(
        panel
            .call::<TotpEnrolment>(&admin, "totp/begin", &[("password", PASSWORD)])
            .await,
        "already on",
    );

    // Signing in is two steps now; the partial session can do nothing else.
    let c = panel.client();
    assert_eq!(
        panel.sign_in_outcome(&c, email, PASSWORD).await.unwrap(),
        SignInOutcome::CodeNeeded
    );
    for name in ["vms/list", "admin/list_users", "totp/status"] {
        let (st, body) = panel.call_raw(&c, name, &[]).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{name}: {body}");
    }
    assert!(!signed_in(&panel, &c).await);
    let res = c
        .get(format!("{}/account", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The code that confirmed the set-up is spent; a fresh one signs in.
    error_beside(send_code(&panel, &c, &app.replayed()).await, "code");
    let code = app.code().await;
    let me = send_code(&panel, &c, &code).await.unwrap();
    assert_eq!(me.email, email);
    assert!(signed_in(&panel, &c).await);
    // The same code again, in a new sign-in: refused.
    let c2 = panel.client();
    assert_eq!(
        panel.sign_in_outcome(&c2, email, PASSWORD).await.unwrap(),
        SignInOutcome::CodeNeeded
    );
    error_beside(send_code(&panel, &c2, &code).await, "code");
    // A recovery code works once, typed loosely too.
    let loose = recovery[0].to_lowercase().replace('-', " ");
    send_code(&panel, &c2, &loose).await.unwrap();
    assert!(signed_in(&panel, &c2).await);
    let c3 = panel.client();
    panel.sign_in_outcome(&c3, email, PASSWORD).await.unwrap();
    error_beside(send_code(&panel, &c3, &recovery[0]).await, "code");
    send_code(&panel, &c3, &recovery[1]).await.unwrap();
    assert_eq!(status(&panel, &c3).await.recovery_codes_left, 8);

    // New recovery codes need a current code; the old ones stop working.
    let r = panel
        .call::<Vec<String>>(&c3, "totp/regenerate", &[("code", "123 456")])
        .await;
    error_beside(r, "code");
    let fresh: Vec<String> = panel
        .call(&c3, "totp/regenerate", &[("code", recovery[2].as_str())])
        .await
        .unwrap();
    assert_eq!(status(&panel, &c3).await.recovery_codes_left, 10);
    let c4 = panel.client();
    panel.sign_in_outcome(&c4, email, PASSWORD).await.unwrap();
    error_beside(send_code(&panel, &c4, &recovery[3]).await, "code");

    // Turning it off needs a code (a recovery code will do); other sessions end.
    let r = panel
        .call::<()>(&c3, "totp/disable", &[("code", "not a code")])
        .await;
    error_beside(r, "code");
    let _: () = panel
        .call(&c3, "totp/disable", &[("code", fresh[0].as_str())])
        .await
        .unwrap();
    assert!(signed_in(&panel, &c3).await);
    assert!(!signed_in(&panel, &c2).await);
    assert!(!status(&panel, &c3).await.enabled);
    panel
        .sign_in(&panel.client(), email, PASSWORD)
        .await
        .unwrap();

    // Audited, without the codes.
    assert_eq!(audited(&panel, "auth/totp_enable").await, 1);
    assert_eq!(audited(&panel, "auth/totp_disable").await, 1);
    // Two sign-ins, new codes and turning off.
    assert_eq!(audited(&panel, "auth/recovery_code_used").await, 4);
    assert_eq!(audited(&panel, "auth/recovery_codes_regenerate").await, 1);
    assert!(audited(&panel, "auth/totp_failed").await >= 6);
    let rows = panel
        .state
        .store
        .search_audit(&AuditFilter::default(), 1000)
        .await
        .unwrap();
    for row in rows {
        let text = format!("{row:?}");
        assert!(
            !text.contains(&code) && !text.contains(&recovery[0]) && !text.contains(&fresh[0]),
            "{text}"
        );
    }
    panel.stop().await;
}

/// A client without a cookie jar, whose session cookie the test carries itself.
struct Manual {
    client: Client,
    cookie: Option<String>,
}

impl Manual {
    async fn call(&mut self, panel: &Panel, name: &str, form: &[(&str, &str)]) -> StatusCode {
        let mut req = self
            .client
            .post(format!("{}/api/{name}", panel.base))
            .header("sec-fetch-site", "same-origin")
            .form(form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        if let Some(set) = session_cookie(&res) {
            self.cookie = Some(set.split(';').next().unwrap().to_owned());
        }
        res.status()
    }

    /// The session's id.
    fn id(&self) -> tower_sessions::session::Id {
        let cookie = self.cookie.as_deref().expect("a session cookie");
        cookie.split_once('=').unwrap().1.parse().unwrap()
    }
}

async fn partial_sign_ins_end_after_five_wrong_codes_or_five_minutes(db: Db) {
    let panel = open_panel(db).await;
    let email = "admin@example.com";
    let admin = panel.admin().await;
    let (mut app, _) = enrol(&panel, &admin).await;
    let c = panel.client();
    panel.sign_in_outcome(&c, email, PASSWORD).await.unwrap();
    let code = app.code().await;
    for i in 1..5 {
        let r = send_code(&panel, &c, &wrong(&code)).await;
        assert!(r.unwrap_err().field("code").is_some(), "wrong code {i}");
    }
    // The fifth wrong code ends the partial sign-in: even the right one is refused now.
    assert_eq!(
        send_code(&panel, &c, &wrong(&code)).await.unwrap_err(),
        AppError::Unauthenticated
    );
    assert_eq!(
        send_code(&panel, &c, &code).await.unwrap_err(),
        AppError::Unauthenticated
    );
    assert!(!signed_in(&panel, &c).await);
    assert_eq!(audited(&panel, "auth/totp_failed").await, 5);
    // The password starts a new one, where the (unused) code works.
    send_code(&panel, &c, "000000").await.unwrap_err();
    panel.sign_in_outcome(&c, email, PASSWORD).await.unwrap();
    send_code(&panel, &c, &code).await.unwrap();

    // A partial sign-in older than five minutes is over.
    let mut m = Manual {
        client: panel.bare_client(),
        cookie: None,
    };
    let st = m
        .call(
            &panel,
            "sign_in",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let id = m.id();
    {
        use tower_sessions::SessionStore;
        let mut record = panel.sessions.load(&id).await.unwrap().expect("stored");
        let mut partial: PartialAuth =
            serde_json::from_value(record.data[PARTIAL_KEY].clone()).unwrap();
        assert!(!record.data.contains_key("auth"), "not signed in");
        partial.at -= 301;
        record
            .data
            .insert(PARTIAL_KEY.into(), serde_json::to_value(partial).unwrap());
        panel.sessions.save(&record).await.unwrap();
    }
    let code = app.code().await;
    let st = m
        .call(&panel, "sign_in/code", &[("code", code.as_str())])
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // A fresh partial sign-in gets a new session id, and the code signs in with another.
    m.call(
        &panel,
        "sign_in",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    let partial_id = m.id();
    assert_ne!(partial_id, id);
    let st = m
        .call(&panel, "sign_in/code", &[("code", code.as_str())])
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_ne!(m.id(), partial_id, "a new id once signed in (SEC-3.2)");
    panel.stop().await;
}

async fn wrong_codes_are_throttled_across_partial_sign_ins(db: Db) {
    let panel = Panel::start_with(db, &[("sign_up", "open")], |s| s.throttle.cap_secs = 2).await;
    let email = "admin@example.com";
    let admin = panel.admin().await;
    let (mut app, _) = enrol(&panel, &admin).await;
    let code = app.code().await;
    // Five wrong codes end a partial sign-in; a new password entry does not buy more.
    let c = panel.client();
    panel.sign_in_outcome(&c, email, PASSWORD).await.unwrap();
    for _ in 0..5 {
        send_code(&panel, &c, &wrong(&code)).await.unwrap_err();
    }
    panel.sign_in_outcome(&c, email, PASSWORD).await.unwrap();
    // The sixth wrong code for the account begins a block: even the right one waits.
    assert!(send_code(&panel, &c, &wrong(&code))
        .await
        .unwrap_err()
        .field("code")
        .is_some());
    let (status, body) = panel
        .call_raw(&c, "sign_in/code", &[("code", code.as_str())])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Afterwards the right code works.
    tokio::time::sleep(Duration::from_secs(3)).await;
    send_code(&panel, &c, &code)
        .await
        .expect("the right code after the block");
    assert!(signed_in(&panel, &c).await);
    panel.stop().await;
}

async fn required_second_factor_sends_admins_and_resellers_to_enrol(db: Db) {
    let panel = open_panel(db).await;
    let admin = panel.admin().await;
    let reseller = panel.owner("reseller@example.com").await;
    let owner = panel.owner("owner@example.com").await;
    let id = panel.user("reseller@example.com").await.id.to_string();
    let _: () = panel
        .call(
            &admin,
            "admin/set_reseller",
            &[("user_id", id.as_str()), ("reseller", "true")],
        )
        .await
        .unwrap();
    let _: i64 = panel
        .call(
            &reseller,
            "customers/create",
            &[
                ("name", "A Customer"),
                ("email", "customer@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    let customer = panel.client();
    panel
        .sign_in(&customer, "customer@example.com", PASSWORD)
        .await
        .unwrap();

    // The administrator must have one before requiring it.
    conflict(
        panel
            .call::<()>(
                &admin,
                "admin/set_second_factor_policy",
                &[("require", "true")],
            )
            .await,
        "your own account first",
    );
    enrol(&panel, &admin).await;
    let _: () = panel
        .call(
            &admin,
            "admin/set_second_factor_policy",
            &[("require", "true")],
        )
        .await
        .unwrap();
    assert!(panel
        .call::<bool>(&admin, "admin/second_factor_policy", &[])
        .await
        .unwrap());
    assert_eq!(audited(&panel, "admin/settings").await, 1);

    // The reseller has none: every server function but enrolment answers a clear refusal,
    // every page sends them to the security page.
    let info = panel.info(&reseller).await;
    assert!(info.must_enrol_second_factor && info.user.is_some());
    for name in [
        "customers/list",
        "vms/list",
        "change_password",
        "totp/disable",
    ] {
        let (st, body) = panel.call_raw(&reseller, name, &[]).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{name}: {body}");
        let e: AppError = serde_json::from_str(&body).unwrap();
        assert_eq!(e, AppError::SecondFactorRequired, "{name}");
    }
    for path in ["/", "/customers", "/account", "/audit.csv"] {
        let res = reseller
            .get(format!("{}{path}", panel.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], SECURITY_PAGE, "{path}");
    }
    let res = reseller
        .get(format!("{}/api/live/vms", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_pages_render(
        &panel,
        &reseller,
        &[(SECURITY_PAGE, "second-factor-required")],
        1,
    )
    .await;
    assert!(status(&panel, &reseller).await.required);
    // Owners and customers are not covered by the policy.
    for c in [&owner, &customer] {
        assert!(!panel.info(c).await.must_enrol_second_factor);
        let res = c
            .get(format!("{}/account", panel.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // Once set up, the reseller is in.
    enrol(&panel, &reseller).await;
    assert!(!panel.info(&reseller).await.must_enrol_second_factor);
    let _: Vec<serde_json::Value> = panel.call(&reseller, "customers/list", &[]).await.unwrap();
    // Turning the policy off again.
    let _: () = panel
        .call(
            &admin,
            "admin/set_second_factor_policy",
            &[("require", "false")],
        )
        .await
        .unwrap();
    assert!(!panel
        .call::<bool>(&admin, "admin/second_factor_policy", &[])
        .await
        .unwrap());
    panel.stop().await;
}

/// The token of a reset link.
fn token_of(link: &NewResetLink) -> &str {
    link.link
        .split_once("/reset?token=")
        .expect("a /reset link")
        .1
}

/// A reset form setting [`NEW_PASSWORD`] with `token`.
fn form(token: &str) -> [(&'static str, &str); 3] {
    [
        ("token", token),
        ("new_password", NEW_PASSWORD),
        ("confirm", NEW_PASSWORD),
    ]
}

async fn resellers_help_their_own_customers_only(db: Db) {
    let panel = open_panel(db).await;
    let admin = panel.admin().await;
    let mut resellers = Vec::new();
    for email in ["reseller@example.com", "other-reseller@example.com"] {
        let c = panel.owner(email).await;
        let id = panel.user(email).await.id.to_string();
        let _: () = panel
            .call(
                &admin,
                "admin/set_reseller",
                &[("user_id", id.as_str()), ("reseller", "true")],
            )
            .await
            .unwrap();
        resellers.push(c);
    }
    let (reseller, other) = (&resellers[0], &resellers[1]);
    let mut customers = Vec::new();
    for (r, email) in [
        (reseller, "customer@example.com"),
        (other, "someone-elses@example.com"),
    ] {
        let id: i64 = panel
            .call(
                r,
                "customers/create",
                &[
                    ("name", "A Customer"),
                    ("email", email),
                    ("password", PASSWORD),
                ],
            )
            .await
            .unwrap();
        customers.push(id.to_string());
    }
    let (mine, theirs) = (customers[0].as_str(), customers[1].as_str());
    let customer = panel.client();
    panel
        .sign_in(&customer, "customer@example.com", PASSWORD)
        .await
        .unwrap();
    let (_, codes) = enrol(&panel, &customer).await;
    let detail: app::tenancy::CustomerDetail = panel
        .call(reseller, "customers/detail", &[("customer_id", mine)])
        .await
        .unwrap();
    assert!(detail.second_factor);

    // Someone else's customer, another reseller, the administrator: not found, nothing done.
    let other_id = panel
        .user("other-reseller@example.com")
        .await
        .id
        .to_string();
    let admin_id = panel.user("admin@example.com").await.id.to_string();
    for id in [theirs, other_id.as_str(), admin_id.as_str()] {
        for name in ["customers/reset_second_factor", "customers/reset_link"] {
            let (st, body) = panel.call_raw(reseller, name, &[("customer_id", id)]).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{name} {id}: {body}");
        }
    }
    not_found(
        panel
            .call::<NewResetLink>(other, "customers/reset_link", &[("customer_id", mine)])
            .await,
    );
    // A customer cannot use the reseller console.
    let (st, _) = panel
        .call_raw(&customer, "customers/reset_link", &[("customer_id", mine)])
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Resetting the customer's second factor ends their sessions; the password alone
    // signs in again.
    let _: () = panel
        .call(
            reseller,
            "customers/reset_second_factor",
            &[("customer_id", mine)],
        )
        .await
        .unwrap();
    assert!(!signed_in(&panel, &customer).await);
    let customer = panel.client();
    panel
        .sign_in(&customer, "customer@example.com", PASSWORD)
        .await
        .unwrap();
    assert_eq!(audited(&panel, "auth/totp_reset").await, 1);
    // Their old recovery codes went with it.
    let (mut app, _) = enrol(&panel, &customer).await;
    let c = panel.client();
    panel
        .sign_in_outcome(&c, "customer@example.com", PASSWORD)
        .await
        .unwrap();
    error_beside(send_code(&panel, &c, &codes[0]).await, "code");

    // A reset link works once and keeps the second factor.
    let link: NewResetLink = panel
        .call(reseller, "customers/reset_link", &[("customer_id", mine)])
        .await
        .unwrap();
    assert!(link.link.starts_with(&panel.base), "{}", link.link);
    assert!(link.expires_at > now_unix() + 3500 && link.expires_at <= now_unix() + 3600);
    let token = token_of(&link);
    let target: ResetTarget = panel
        .call(&panel.client(), "reset/check", &[("token", token)])
        .await
        .unwrap();
    assert_eq!(target.email, "customer@example.com");
    let page = format!("/reset?token={token}");
    assert_pages_render(
        &panel,
        &panel.client(),
        &[(page.as_str(), "customer@example.com")],
        1,
    )
    .await;
    let anyone = panel.client();
    let weak = panel
        .call::<()>(
            &anyone,
            "reset/password",
            &[
                ("token", token),
                ("new_password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    error_beside(weak, "new_password");
    let _: () = panel
        .call(
            &anyone,
            "reset/password",
            &[
                ("token", token),
                ("new_password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await
        .unwrap();
    assert!(!signed_in(&panel, &customer).await, "every session ended");
    assert_eq!(
        panel
            .sign_in_outcome(&panel.client(), "customer@example.com", PASSWORD)
            .await
            .unwrap_err(),
        AppError::InvalidCredentials
    );
    let c = panel.client();
    assert_eq!(
        panel
            .sign_in_outcome(&c, "customer@example.com", NEW_PASSWORD)
            .await
            .unwrap(),
        SignInOutcome::CodeNeeded,
        "the second factor stays"
    );
    let code = app.code().await;
    send_code(&panel, &c, &code).await.unwrap();

    // Used, wrong and expired links: one neutral answer.
    let user_id = panel.user("customer@example.com").await.id;
    let reseller_id = panel.user("reseller@example.com").await.id;
    panel
        .state
        .store
        .create_password_reset(user_id, reseller_id, &token_hash("expired"), now_unix() - 1)
        .await
        .unwrap();
    for t in [token, "no-such-token", "expired", ""] {
        let e = panel
            .call::<()>(
                &anyone,
                "reset/password",
                &[
                    ("token", t),
                    ("new_password", "yet another passphrase"),
                    ("confirm", "yet another passphrase"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e, AppError::Conflict(RESET_INVALID.into()), "{t:?}");
        let e = panel
            .call::<ResetTarget>(&anyone, "reset/check", &[("token", t)])
            .await
            .unwrap_err();
        assert_eq!(e, AppError::Conflict(RESET_INVALID.into()), "{t:?}");
    }
    assert_pages_render(
        &panel,
        &anyone,
        &[("/reset?token=expired", "reset-invalid")],
        1,
    )
    .await;
    assert_eq!(audited(&panel, "auth/reset_link").await, 1);
    assert_eq!(audited(&panel, "auth/password_reset").await, 1);
    panel.stop().await;
}

async fn the_admin_helps_anyone_but_themselves(db: Db) {
    let panel = open_panel(db).await;
    let admin = panel.admin().await;
    let owner = panel.owner("owner@example.com").await;
    enrol(&panel, &owner).await;
    let id = panel.user("owner@example.com").await.id;
    let users: Vec<UserSummary> = panel.call(&admin, "admin/list_users", &[]).await.unwrap();
    let row = |users: &[UserSummary]| users.iter().find(|u| u.id == id).unwrap().second_factor;
    assert!(row(&users));
    let id_text = id.to_string();
    let _: () = panel
        .call(
            &admin,
            "admin/reset_second_factor",
            &[("user_id", id_text.as_str())],
        )
        .await
        .unwrap();
    assert!(!signed_in(&panel, &owner).await);
    let users: Vec<UserSummary> = panel.call(&admin, "admin/list_users", &[]).await.unwrap();
    assert!(!row(&users));
    panel
        .sign_in(&panel.client(), "owner@example.com", PASSWORD)
        .await
        .unwrap();
    // Their own are changed on their own pages.
    let me = panel.user("admin@example.com").await.id.to_string();
    conflict(
        panel
            .call::<()>(
                &admin,
                "admin/reset_second_factor",
                &[("user_id", me.as_str())],
            )
            .await,
        "Sign-in security",
    );
    conflict(
        panel
            .call::<NewResetLink>(&admin, "admin/reset_link", &[("user_id", me.as_str())])
            .await,
        "Account page",
    );
    not_found(
        panel
            .call::<NewResetLink>(&admin, "admin/reset_link", &[("user_id", "9999")])
            .await,
    );
    // Others' are not the owner's to touch.
    let (st, _) = panel
        .call_raw(&owner, "admin/reset_link", &[("user_id", me.as_str())])
        .await;
    assert!(st == StatusCode::FORBIDDEN || st == StatusCode::UNAUTHORIZED);
    // A link made by the administrator: once.
    let link: NewResetLink = panel
        .call(&admin, "admin/reset_link", &[("user_id", id_text.as_str())])
        .await
        .unwrap();
    // A newer link replaces it.
    let newer: NewResetLink = panel
        .call(&admin, "admin/reset_link", &[("user_id", id_text.as_str())])
        .await
        .unwrap();
    let (old, new) = (token_of(&link), token_of(&newer));
    let anyone = panel.client();
    conflict(
        panel
            .call::<()>(&anyone, "reset/password", &form(old))
            .await,
        "cannot be used",
    );
    let _: () = panel
        .call(&anyone, "reset/password", &form(new))
        .await
        .unwrap();
    conflict(
        panel
            .call::<()>(&anyone, "reset/password", &form(new))
            .await,
        "cannot be used",
    );
    panel
        .sign_in(&panel.client(), "owner@example.com", NEW_PASSWORD)
        .await
        .unwrap();

    // Nobody resets the administrator's: the operator does, at the console.
    enrol(&panel, &admin).await;
    let config = lunapanel::config::load(
        None,
        Vec::new(),
        &[
            ("database_url", panel.db.url.clone()),
            ("demo", "false".into()),
            (
                "master_key_file",
                panel.keydir.join("master.key").display().to_string(),
            ),
        ],
    )
    .unwrap();
    assert!(
        lunapanel::reset_second_factor(&config, " ADMIN@example.com")
            .await
            .unwrap()
    );
    assert!(!signed_in(&panel, &admin).await);
    assert!(
        !lunapanel::reset_second_factor(&config, "admin@example.com")
            .await
            .unwrap()
    );
    let e = lunapanel::reset_second_factor(&config, "nobody@example.com")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no account"), "{e}");
    panel
        .sign_in(&panel.client(), "admin@example.com", PASSWORD)
        .await
        .unwrap();
    assert_eq!(audited(&panel, "auth/totp_reset").await, 2);
    panel.stop().await;
}

async fn a_master_key_rotation_reseals_seeds(db: Db) {
    let panel = open_panel(db).await;
    let admin = panel.admin().await;
    let (mut app, _) = enrol(&panel, &admin).await;
    let store = panel.state.store.clone();
    assert_eq!(store.second_factor_versions().await.unwrap(), vec![(1, 1)]);
    let keyring = app::server::vault::Keyring::from_file(&panel.keydir.join("master.key")).unwrap();
    let report = app::server::vault::rotate(store.as_ref(), &keyring, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        (report.active, report.resealed, report.remaining),
        (2, 1, 0)
    );
    assert_eq!(report.retired, vec![1]);
    assert_eq!(store.second_factor_versions().await.unwrap(), vec![(2, 1)]);
    // The running panel follows the key file and still checks codes.
    let code = app.code().await;
    sign_in_with_code(&panel, "admin@example.com", &code).await;
    panel.stop().await;
}

crate::both!(
    wrong_codes_are_throttled_across_partial_sign_ins,
    enrol_then_sign_in_with_each_code_once,
    partial_sign_ins_end_after_five_wrong_codes_or_five_minutes,
    required_second_factor_sends_admins_and_resellers_to_enrol,
    resellers_help_their_own_customers_only,
    the_admin_helps_anyone_but_themselves,
    a_master_key_rotation_reseals_seeds,
);
