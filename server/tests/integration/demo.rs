//! Demo mode: the emulator runs in process, the demo user's key is stored through the vault,
//! and the sample content appears (VMs in several states and regions, and the rest).

use std::time::{Duration, Instant};

use app::vm::VmSnapshot;

use crate::harness::{Db, Panel};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_starts_with_sample_content_behind_the_vault() {
    let panel = Panel::start_with(
        Db::Sqlite,
        &[("demo", "true"), ("demo_time_scale", "0")],
        |_| {},
    )
    .await;
    let c = panel.client();
    panel
        .sign_in(&c, lunapanel::DEMO_EMAIL, lunapanel::DEMO_PASSWORD)
        .await
        .unwrap();
    let info = panel.info(&c).await;
    assert!(info.demo && info.has_credential);
    // The key is stored sealed like any other, and it works.
    let view: app::credential::CredentialView =
        panel.call(&c, "credential/test", &[]).await.unwrap();
    assert_eq!(view.last_test_ok, Some(true));
    let deadline = Instant::now() + Duration::from_secs(20);
    let snapshot = loop {
        let s: VmSnapshot = panel.call(&c, "vms/list", &[]).await.unwrap();
        let has = |status: &str| s.vms.iter().any(|v| v.status.as_deref() == Some(status));
        if s.vms.len() == 6 && has("Online") && has("Offline") && has("Shelved") {
            break s;
        }
        assert!(Instant::now() < deadline, "demo VMs never settled: {s:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut regions: Vec<&str> = snapshot.vms.iter().map(|v| v.region.as_str()).collect();
    regions.sort();
    regions.dedup();
    assert_eq!(regions, ["montreal", "roubaix", "toronto"]);
    let keys: Vec<app::vm::SshKeyView> = panel.call(&c, "sshkeys/list", &[]).await.unwrap();
    assert_eq!(keys.len(), 1);
    let options: app::vm::CreateOptions = panel.call(&c, "vms/create_options", &[]).await.unwrap();
    assert_eq!(options.scripts.len(), 1, "startup script");
    assert!(
        options
            .networks
            .iter()
            .any(|n| n.name.starts_with("backend")),
        "network"
    );
    assert!(
        options.security_groups.iter().any(|g| g.name == "web"),
        "security group"
    );
    assert_eq!(options.volumes.len(), 1, "volume");
    // The emulator's state file sits beside the master key, so a restart resumes it.
    assert!(panel.keydir.join("demo-emulator.json").exists());
    panel.stop().await;
}
