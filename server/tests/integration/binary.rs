//! The `lunapanel` binary itself: demo start-up, sign-in with the printed credentials,
//! graceful shutdown on SIGTERM, and start-up refusals with clear messages.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use app::server::testdb::TestDb;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn lunapanel() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lunapanel"));
    // Start from a clean slate: no LUNAPANEL_* from the caller's environment.
    for (k, _) in std::env::vars() {
        if k.starts_with("LUNAPANEL_") {
            cmd.env_remove(k);
        }
    }
    // Never the default ./data beside the crate: a key file (and the demo emulator's state)
    // in a fresh private folder.
    cmd.env(
        "LUNAPANEL_MASTER_KEY_FILE",
        crate::harness::keydir().join("master.key"),
    );
    cmd
}

#[tokio::test]
async fn demo_mode_starts_signs_in_and_stops_on_sigterm() {
    let db = TestDb::sqlite();
    let port = free_port();
    let mut child = lunapanel()
        .env("LUNAPANEL_DATABASE_URL", &db.url)
        .env("LUNAPANEL_LISTEN", format!("127.0.0.1:{port}"))
        .env("LUNAPANEL_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let running = lines.next().unwrap().unwrap();
    assert_eq!(
        running,
        format!("lunapanel is running at http://127.0.0.1:{port}")
    );
    let demo = lines.next().unwrap().unwrap();
    assert!(
        demo.contains(lunapanel::DEMO_EMAIL) && demo.contains(lunapanel::DEMO_PASSWORD),
        "{demo}"
    );
    // Issue 8: start-up says that a default demo listens on loopback only, and who becomes
    // the administrator.
    let said = [lines.next(), lines.next()]
        .into_iter()
        .map(|l| l.unwrap().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        said.contains("on by default") && said.contains("loopback only"),
        "{said}"
    );
    assert!(said.contains("becomes the administrator"), "{said}");

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/api/sign_in"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("email", lunapanel::DEMO_EMAIL),
            ("password", lunapanel::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let info: app::types::PanelInfo = client
        .post(format!("{base}/api/panel_info"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(info.demo);
    assert_eq!(info.user.unwrap().email, lunapanel::DEMO_EMAIL);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(
        logs.contains("request_id"),
        "structured request logs: {logs}"
    );
    assert!(
        !logs.contains(lunapanel::DEMO_PASSWORD),
        "no password in logs"
    );
    assert!(!logs.contains("lp_sid="), "no session cookie in logs");
}

#[test]
fn bad_settings_stop_start_up_with_the_setting_named() {
    let out = lunapanel()
        .env("LUNAPANEL_SIGN_UP", "sometimes")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`sign_up`") && err.contains("LUNAPANEL_SIGN_UP"),
        "{err}"
    );

    let out = lunapanel()
        .args(["--listen", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`listen` (from command-line flag)"));
}

#[test]
fn an_unreachable_database_stops_start_up() {
    let port = free_port();
    let out = lunapanel()
        .env(
            "LUNAPANEL_DATABASE_URL",
            format!("postgres://lp:s3cret-pw@127.0.0.1:{}/none", free_port()),
        )
        .env("LUNAPANEL_LISTEN", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot open the database"), "{err}");
    assert!(!err.contains("s3cret-pw"), "password redacted: {err}");
}

#[test]
fn check_config_prints_redacted_settings() {
    let out = lunapanel()
        .arg("check-config")
        .env(
            "LUNAPANEL_DATABASE_URL",
            "postgres://lp:s3cret-pw@db.example.com/panel",
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("db.example.com") && !text.contains("s3cret-pw"),
        "{text}"
    );
}

#[tokio::test]
async fn the_emulator_runs_on_its_own() {
    let port = free_port();
    let id = "emulatortest0001";
    let key = "k".repeat(128);
    let mut child = lunapanel()
        .args([
            "emulator",
            "--emulator-listen",
            &format!("127.0.0.1:{port}"),
            "--account",
            &format!("{id}:{key}:42.5"),
            "--time-scale",
            "0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    assert_eq!(
        banner,
        format!("Luna Node API emulator at http://127.0.0.1:{port}/api")
    );
    let client = app::server::lunanode::LunaNode::new(
        &format!("http://127.0.0.1:{port}/api"),
        Default::default(),
    )
    .unwrap();
    let cred =
        app::server::lunanode::Credential::new(id, secrecy::SecretString::from(key)).unwrap();
    let credit = client
        .billing_credit(&cred, &app::server::lunanode::actions::BillingCredit {})
        .await
        .unwrap();
    assert!((credit.credit - 42.5).abs() < 1e-6);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());

    let out = lunapanel()
        .args(["emulator", "--account", "short:key"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Runs `cmd` for at most `limit`; `None` (after killing it) if it was still running.
fn output_within(mut cmd: Command, limit: Duration) -> Option<std::process::Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Issue 8, defect 8: demo mode that is on only by default never listens beyond loopback
/// (start-up stops, saying what to set); asked for explicitly it may, with a warning.
#[test]
fn a_default_demo_refuses_a_network_address_and_an_explicit_one_warns() {
    let db = TestDb::sqlite();
    let port = free_port();
    let mut cmd = lunapanel();
    cmd.env("LUNAPANEL_DATABASE_URL", &db.url)
        .env("LUNAPANEL_LISTEN", format!("0.0.0.0:{port}"))
        .env("LUNAPANEL_PUBLIC_URL", format!("http://127.0.0.1:{port}"));
    let out = output_within(cmd, Duration::from_secs(30))
        .expect("a default demo on 0.0.0.0 must not start");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`listen` (from environment variable LUNAPANEL_LISTEN)")
            && err.contains("demo = false")
            && err.contains("LUNAPANEL_DEMO=true"),
        "{err}"
    );

    let mut child = lunapanel()
        .env("LUNAPANEL_DATABASE_URL", &db.url)
        .env("LUNAPANEL_DEMO", "true")
        .env("LUNAPANEL_LISTEN", format!("0.0.0.0:{port}"))
        .env("LUNAPANEL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The reader stays open until the process has exited (it prints more lines).
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let said: Vec<String> = (0..3).map(|_| lines.next().unwrap().unwrap()).collect();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    drop(lines);
    let said = said.join("\n");
    assert!(
        said.contains("Warning") && said.contains(&format!("0.0.0.0:{port}")),
        "{said}"
    );
}
