//! Benchmark (not a test): the cost of preparing one Luna Node call (flatten, sign, encode,
//! decode) and round trips per second against the emulator on loopback at concurrency 1 and
//! 32. Run with `server/scripts/bench.sh` (release build).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::server::lunanode::actions::{BillingCredit, VmCreate, VmInfoResponse, VmList};
use app::server::lunanode::sign::sign_request;
use app::server::lunanode::{params, ClientOptions, Credential, LunaNode};
use lunapanel::emulator::{AccountSpec, Emulator, EmulatorConfig};
use secrecy::SecretString;

const VM_INFO: &str = r#"{"success":"yes","info":{"hostname":"web1","ip":"203.0.113.5","privateip":"10.0.0.5",
  "addresses":[{"addr":"10.0.0.5","version":"4","external":""},{"addr":"203.0.113.5","version":"4","external":"1","reverse":"x."}],
  "additionalip":[],"additionalprivateip":[],"ipv6":[],"status":"&lt;b&gt;Online&lt;/b&gt;","status_nohtml":"Online",
  "status_raw":"active","status_color":"green","task_state":"","os":"Ubuntu 24.04 64-bit (template)","security_groups":["default"],
  "volumes":[],"login_details":"username: ubuntu; password: x","bandwidthUsedGB":"1.52"},
  "extra":{"vm_id":"81ebdd9e-178f-49a4-816b-a1fc46fc5869","name":"web1","hostname":"web1","plan_id":"87","primaryip":"203.0.113.5",
  "privateip":"10.0.0.5","ram":"2048","vcpu":"1","storage":"40","bandwidth":"2000","region":"toronto","os_status":"active"}}"#;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let cred = Credential::new("abcdefghijklmnop", SecretString::from("k".repeat(128))).unwrap();

    // 1. CPU cost per call, no I/O.
    let request = VmCreate {
        hostname: "web1".into(),
        plan_id: "m.2".into(),
        image_id: Some("1000".into()),
        securitygroups: vec!["4".into(), "91".into()],
        ..Default::default()
    };
    let n = 50_000;
    let started = Instant::now();
    let mut sink = 0usize;
    for i in 0..n {
        let p = params(&request).unwrap();
        let form = sign_request(&cred, "vm/create/", &p, 1_700_000_000 + i);
        let decoded: VmInfoResponse = serde_json::from_str(VM_INFO).unwrap();
        sink += form.signature.len() + decoded.info.hostname.len();
    }
    let per_call = started.elapsed() / n as u32;
    println!("prepare one call (flatten + sign + encode, and decode a vm/info answer): {per_call:?} per call ({n} calls, checksum {sink})");
    let started = Instant::now();
    for i in 0..n {
        let form = sign_request(&cred, "vm/list/", &BTreeMap::new(), i);
        sink += form.req.len();
    }
    println!(
        "sign only (vm/list, no parameters): {:?} per call (checksum {sink})",
        started.elapsed() / n as u32
    );

    // 2. Round trips against the emulator over loopback.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = Emulator::new(EmulatorConfig {
            accounts: vec![AccountSpec { api_id: "abcdefghijklmnop".into(), api_key: "k".repeat(128), credit: 100.0 }],
            time_scale: 0.0,
            nonce_window: Duration::from_secs(3600),
            ..Default::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = emulator.spawn(listener).unwrap();
        let client = Arc::new(LunaNode::new(&base, ClientOptions::default()).unwrap());
        let cred = Arc::new(cred);
        for _ in 0..5 {
            // The emulator's accounts start without the security groups named above.
            let plain = VmCreate { securitygroups: Vec::new(), ..request.clone() };
            client.vm_create(&cred, &plain).await.unwrap();
        }
        for concurrency in [1usize, 32] {
            for (name, list) in [("billing/credit", false), ("vm/list (5 VMs)", true)] {
                let window = Duration::from_secs(4);
                let started = Instant::now();
                let mut tasks = Vec::new();
                for _ in 0..concurrency {
                    let (client, cred) = (client.clone(), cred.clone());
                    tasks.push(tokio::spawn(async move {
                        let mut latencies = Vec::new();
                        while started.elapsed() < window {
                            let t = Instant::now();
                            if list {
                                client.vm_list(&cred, &VmList {}).await.unwrap();
                            } else {
                                client.billing_credit(&cred, &BillingCredit {}).await.unwrap();
                            }
                            latencies.push(t.elapsed());
                        }
                        latencies
                    }));
                }
                let mut all = Vec::new();
                for t in tasks {
                    all.extend(t.await.unwrap());
                }
                let secs = started.elapsed().as_secs_f64();
                all.sort_unstable();
                println!(
                    "{name:<16} concurrency {concurrency:>2}: {:>7.0} calls/s, p50 {:?}, p99 {:?} ({} calls)",
                    all.len() as f64 / secs,
                    percentile(&all, 0.5),
                    percentile(&all, 0.99),
                    all.len()
                );
            }
        }
    });
}
