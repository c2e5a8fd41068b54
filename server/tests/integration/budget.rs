//! Fair use of one Luna Node key (issue 13.8) over real HTTP against the emulator: a
//! customer who loops a page runs out of their own budget (429 with `Retry-After`, nothing
//! sent to Luna Node, no audit row, the breaker untouched) while the reseller's other
//! customers and the reseller are still served; reads from the shared pollers cost nothing;
//! and once the account's budget is spent, everyone on it waits, pollers aside.

use app::error::AppError;
use app::server::store::AuditFilter;
use reqwest::{Client, StatusCode};

use crate::both;
use crate::harness::{eventually, Db, Panel};
use crate::tenancy::{assign, customer, policy, reseller};
use crate::vms::make_vm_elsewhere;

/// Calls a customer may make at once (their rate is one call per 1000 s: nothing refills
/// while the test runs, so every count below is exact).
const CUSTOMER_BURST: usize = 4;

/// What one `vms/usage` call answered: status, `Retry-After` and the error, if any.
struct Answer {
    status: StatusCode,
    retry_after: Option<u64>,
    error: Option<AppError>,
}

/// `vms/usage` (one `vm/usage` call upstream each time: no poller reads usage).
async fn usage(panel: &Panel, c: &Client, vm_id: &str) -> Answer {
    let res = c
        .post(format!("{}/api/vms/usage", panel.base))
        .form(&[("vm_id", vm_id), ("key", "Cpu")])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    let body = res.text().await.unwrap();
    let error = (!status.is_success())
        .then(|| serde_json::from_str(&body).unwrap_or_else(|e| panic!("{status}: {e}: {body}")));
    Answer {
        status,
        retry_after,
        error,
    }
}

/// Asserts a refusal for a spent budget: 429, `Retry-After` equal to the message's wait.
#[track_caller]
fn throttled(a: &Answer) {
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", a.error);
    let Some(AppError::Throttled { retry_after }) = a.error else {
        panic!("expected a refusal to call now, got {:?}", a.error);
    };
    assert_eq!(
        a.retry_after,
        Some(retry_after),
        "Retry-After says the same"
    );
    assert!((1..=1000).contains(&retry_after), "{retry_after}");
    let text = a.error.as_ref().unwrap().to_string();
    assert!(
        text.contains("slow down") && text.contains(&format!("try again in {retry_after} s")),
        "{text}"
    );
}

/// Calls `vms/usage` until refused (at most `most` times); returns how many were served.
async fn flood(panel: &Panel, c: &Client, vm_id: &str, most: usize) -> usize {
    for served in 0..most {
        let a = usage(panel, c, vm_id).await;
        if a.status != StatusCode::OK {
            throttled(&a);
            return served;
        }
    }
    panic!("never refused in {most} calls");
}

async fn one_customer_cannot_spend_the_account(db: Db) {
    let burst = CUSTOMER_BURST.to_string();
    let (panel, emu) = Panel::with_emulator_flags(
        db,
        &[
            ("upstream_customer_rate", "0.001"),
            ("upstream_customer_burst", &burst),
            ("upstream_account_rate", "0.001"),
            ("upstream_account_burst", "40"),
        ],
        |c| c.time_scale = 0.0,
    )
    .await;
    let (_admin, reseller, reseller_id) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[]).await;
    policy(&panel, &reseller, b, &[]).await;
    let vm_a = make_vm_elsewhere(&panel, "a.example", "m.2").await;
    let vm_b = make_vm_elsewhere(&panel, "b.example", "m.2").await;
    assign(&panel, &reseller, a, "vm", &vm_a).await;
    assign(&panel, &reseller, b, "vm", &vm_b).await;

    // Customer A loops the usage graph: their burst is served, then 429 with Retry-After,
    // and nothing more reaches Luna Node however often they ask.
    let before = emu.calls("vm/usage");
    assert_eq!(flood(&panel, &ca, &vm_a, 20).await, CUSTOMER_BURST);
    for _ in 0..10 {
        throttled(&usage(&panel, &ca, &vm_a).await);
    }
    assert_eq!(
        emu.calls("vm/usage"),
        before + CUSTOMER_BURST as u64,
        "a refused call is not sent"
    );
    // A refused change: no call, and no audit row (not even a pending one).
    let r: Result<(), AppError> = panel
        .call(
            &ca,
            "vms/rename",
            &[("vm_id", vm_a.as_str()), ("hostname", "renamed.example")],
        )
        .await;
    assert!(matches!(r, Err(AppError::Throttled { .. })), "{r:?}");
    assert_eq!(emu.calls("vm/rename"), 0);
    let rows = panel
        .state
        .store
        .search_audit(
            &AuditFilter {
                action: Some("vm/".into()),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    // The circuit breaker and the health banner saw nothing.
    assert!(!panel.state.upstream.client.degraded());
    assert_eq!(panel.state.upstream.health(reseller_id), None);

    // Another customer of the same reseller, and the reseller, are still served.
    assert_eq!(usage(&panel, &cb, &vm_b).await.status, StatusCode::OK);
    assert_eq!(usage(&panel, &reseller, &vm_a).await.status, StatusCode::OK);

    // Reads served from the shared pollers spend nothing: the throttled customer still
    // sees their VM list and the palette's index ...
    let listed = eventually("customer A's VM listed", 20, || async {
        let l: app::vm::VmListing = panel.call(&ca, "vms/list", &[]).await.unwrap();
        if l.vms.iter().any(|v| v.vm_id == vm_a) {
            Ok(l)
        } else {
            Err(l)
        }
    })
    .await;
    assert_eq!(listed.vms.len(), 1);
    let index: app::search::SearchIndex = panel.call(&ca, "search/index", &[]).await.unwrap();
    assert!(index.items.iter().any(|i| i.id == vm_a), "{index:?}");
    // ... and customer B, after reading the list many times, still has the rest of their
    // burst for calls (one was spent above).
    for _ in 0..3 * CUSTOMER_BURST {
        let _: app::vm::VmListing = panel.call(&cb, "vms/list", &[]).await.unwrap();
        let _: app::search::SearchIndex = panel.call(&cb, "search/index", &[]).await.unwrap();
    }
    assert_eq!(flood(&panel, &cb, &vm_b, 20).await, CUSTOMER_BURST - 1);

    // The account's budget is the ceiling: once the reseller spends the rest, a customer
    // with a full budget of their own waits too; the pollers go on (the list is served).
    let served = flood(&panel, &reseller, &vm_a, 60).await;
    assert!(served > 0, "the reseller had budget left");
    let (cc, c) = customer(&panel, &reseller, "c@customer.example").await;
    policy(&panel, &reseller, c, &[]).await;
    let vm_c = make_vm_elsewhere(&panel, "c.example", "m.2").await;
    assign(&panel, &reseller, c, "vm", &vm_c).await;
    throttled(&usage(&panel, &cc, &vm_c).await);
    let _: app::vm::VmListing = panel.call(&reseller, "vms/list", &[]).await.unwrap();
    assert!(!panel.state.upstream.client.degraded());
    panel.stop().await;
}

both!(one_customer_cannot_spend_the_account);
