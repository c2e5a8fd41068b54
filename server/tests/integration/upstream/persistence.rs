//! The emulator's state file: what one emulator saved, the next one (on another port)
//! carries on with, and a bad file is an error from `Emulator::open`, never a panic.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use app::server::lunanode::actions::*;
use app::server::lunanode::{Credential, UpstreamError};
use lunapanel::emulator::{AccountSpec, Emulator, EmulatorConfig, EmulatorError};

use super::{cred, default_config, key, serve, Upstream, ID_A, ID_B};

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "lunapanel-emulator-{tag}-{}-{}",
            std::process::id(),
            lunapanel::emulator::random_hex()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn state_file(&self) -> PathBuf {
        self.0.join("state.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn with_file(file: &Path, time_scale: f64) -> EmulatorConfig {
    EmulatorConfig {
        state_file: Some(file.to_owned()),
        time_scale,
        ..default_config()
    }
}

fn open_err(file: &Path) -> EmulatorError {
    Emulator::open(with_file(file, 0.0)).unwrap_err()
}

async fn vm_status(u: &Upstream, vm_id: &str) -> String {
    u.client
        .vm_info(
            &u.a,
            &VmInfo {
                vm_id: vm_id.into(),
            },
        )
        .await
        .unwrap()
        .info
        .status_nohtml
}

/// Polls every 25 ms until the VM shows `want`; when it did, or `None` after `limit`.
async fn wait_for_status(
    u: &Upstream,
    vm_id: &str,
    want: &str,
    limit: Duration,
) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if vm_status(u, vm_id).await == want {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

async fn image_status(u: &Upstream, image_id: &str) -> Option<String> {
    u.client
        .image_list(
            &u.a,
            &ImageList {
                region: Some("toronto".into()),
            },
        )
        .await
        .unwrap()
        .images
        .into_iter()
        .find(|i| i.image_id == image_id)
        .map(|i| i.status)
}

async fn credit(u: &Upstream, who: &Credential) -> Result<f64, UpstreamError> {
    u.client
        .billing_credit(who, &BillingCredit {})
        .await
        .map(|c| c.credit)
}

fn web1() -> VmCreate {
    VmCreate {
        hostname: "web1".into(),
        plan_id: "m.2".into(),
        image_id: Some("1000".into()),
        region: Some("toronto".into()),
        ..Default::default()
    }
}

/// The ids of one object of each category, made through the client.
struct Made {
    vm: String,
    key: String,
    volume: String,
    image: String,
    zone: String,
    record: String,
    group: String,
    script: String,
    contact: String,
    domain: String,
}

impl Made {
    /// The numeric ids (the VM's is a UUID).
    fn numeric(&self) -> Vec<u64> {
        [
            &self.key,
            &self.volume,
            &self.image,
            &self.zone,
            &self.record,
            &self.group,
            &self.script,
            &self.contact,
            &self.domain,
        ]
        .iter()
        .map(|id| id.parse().unwrap())
        .collect()
    }
}

/// Lifecycles at 4 % of real time: a VM builds in 1.8 s, image steps take 0.6 s.
const SCALE: f64 = 0.04;
const BUILD: Duration = Duration::from_millis(1_800);

async fn make_one_of_each(u: &Upstream) -> Made {
    let a = &u.a;
    let vm = u.client.vm_create(a, &web1()).await.unwrap().vm_id;
    let key = u
        .client
        .sshkey_add(
            a,
            &SshKeyAdd {
                label: "laptop".into(),
                sshkey: "ssh-ed25519 AAAAC3Nza ada@laptop".into(),
            },
        )
        .await
        .unwrap()
        .key_id;
    let volume = u
        .client
        .volume_create(
            a,
            &VolumeCreate {
                region: "toronto".into(),
                label: "data".into(),
                size: 20,
                image: None,
                snapshot_id: None,
            },
        )
        .await
        .unwrap()
        .volume_id;
    let zone = u
        .client
        .dns2_zone_add(
            a,
            &Dns2ZoneAdd {
                name: "example.com".into(),
                ttl: 3600,
            },
        )
        .await
        .unwrap()
        .zone_id
        .unwrap();
    let record = u
        .client
        .dns2_record_add(
            a,
            &Dns2RecordAdd::new(&zone, "www", Dns2RecordType::A, "203.0.113.10", 300),
        )
        .await
        .unwrap()
        .record_id;
    let group = u
        .client
        .securitygroup_create(
            a,
            &SecurityGroupCreate {
                region: "toronto".into(),
                name: "web".into(),
            },
        )
        .await
        .unwrap()
        .group_id;
    u.client
        .securitygroup_rule_insert(
            a,
            &SecurityGroupRuleInsert {
                region: "toronto".into(),
                group_id: group.clone(),
                direction: RuleDirection::Ingress,
                ip_version: RuleIpVersion::V4,
                protocol: RuleProtocol::Tcp,
                remote_type: RuleRemoteType::Cidr,
                remote_value: "0.0.0.0/0".into(),
                port_min: Some(443),
                port_max: None,
                label: Some("https".into()),
            },
        )
        .await
        .unwrap();
    let script = u
        .client
        .script_create(
            a,
            &ScriptCreate {
                name: "setup".into(),
                content: "#!/bin/sh\necho ok\n".into(),
            },
        )
        .await
        .unwrap()
        .script_id;
    let contact = u
        .client
        .monitor_contact_add(
            a,
            &MonitorContactAdd {
                contact_type: "email".into(),
                rel: "ops@example.com".into(),
            },
        )
        .await
        .unwrap()
        .contact_id
        .unwrap();
    let domain = u
        .client
        .email_domain_add(
            a,
            &EmailDomainAdd {
                name: "example.org".into(),
            },
        )
        .await
        .unwrap()
        .domain_id
        .unwrap();
    // A snapshot needs a built VM.
    assert!(
        wait_for_status(u, &vm, "Online", BUILD * 3).await.is_some(),
        "the VM comes online"
    );
    let image = u
        .client
        .vm_snapshot(
            a,
            &VmSnapshot {
                vm_id: vm.clone(),
                name: "web1 backup".into(),
            },
        )
        .await
        .unwrap()
        .image_id;
    Made {
        vm,
        key,
        volume,
        image,
        zone,
        record,
        group,
        script,
        contact,
        domain,
    }
}

/// Everything in `made` is there, under the same ids.
async fn assert_all_there(u: &Upstream, made: &Made) {
    let a = &u.a;
    let vms = u.client.vm_list(a, &VmList {}).await.unwrap().vms;
    assert!(vms
        .iter()
        .any(|v| v.vm_id == made.vm && v.hostname == "web1"));
    let keys = u.client.sshkey_list(a, &SshKeyList {}).await.unwrap().keys;
    assert!(keys.iter().any(|k| k.id == made.key && k.name == "laptop"));
    let volumes = u
        .client
        .volume_list(a, &VolumeList::default())
        .await
        .unwrap()
        .volumes;
    assert!(volumes
        .iter()
        .any(|v| v.id == made.volume && v.name == "data" && v.size == Some(20)));
    assert!(image_status(u, &made.image).await.is_some(), "the snapshot");
    let zones = u
        .client
        .dns2_zone_list(a, &Dns2ZoneList {})
        .await
        .unwrap()
        .zones;
    assert!(zones
        .iter()
        .any(|z| z.id == made.zone && z.name == "example.com."));
    let records = u
        .client
        .dns2_record_list(
            a,
            &Dns2RecordList {
                zone_id: made.zone.clone(),
            },
        )
        .await
        .unwrap()
        .records;
    assert!(records.iter().any(|r| r.id == made.record
        && r.data == "203.0.113.10"
        && r.kind() == Some(Dns2RecordType::A)));
    let groups = u
        .client
        .securitygroup_list(a, &SecurityGroupList {})
        .await
        .unwrap()
        .securitygroups;
    assert!(groups
        .iter()
        .any(|g| g.securitygroup_id == made.group && g.name == "web"));
    let rules = u
        .client
        .securitygroup_rule_list(
            a,
            &SecurityGroupRuleList {
                region: "toronto".into(),
                group_id: made.group.clone(),
            },
        )
        .await
        .unwrap()
        .rules;
    assert!(
        rules.iter().any(|r| r.direction == "ingress"
            && r.ethertype == "IPv4"
            && r.protocol == "tcp"
            && r.port_range == "443"
            && r.label == "https"),
        "{rules:?}"
    );
    let scripts = u
        .client
        .script_list(a, &ScriptList {})
        .await
        .unwrap()
        .scripts;
    assert!(scripts
        .iter()
        .any(|s| s.id == made.script && s.content_lf() == "#!/bin/sh\necho ok\n"));
    let contacts = u
        .client
        .monitor_contact_list(a, &MonitorContactList {})
        .await
        .unwrap()
        .contacts;
    assert!(contacts
        .iter()
        .any(|c| c.id == made.contact && c.rel == "ops@example.com"));
    let domains = u
        .client
        .email_domain_list(a, &EmailDomainList {})
        .await
        .unwrap()
        .domains;
    assert!(domains
        .iter()
        .any(|d| d.id == made.domain && d.name == "example.org"));
}

#[tokio::test]
async fn a_restarted_emulator_carries_on_from_its_state_file() {
    let dir = TempDir::new("restart");
    let file = dir.state_file();
    let before = serve(Emulator::open(with_file(&file, SCALE)).unwrap()).await;
    let made = make_one_of_each(&before).await;
    // Created just before the restart: it must finish building on its own schedule.
    let building = before
        .client
        .vm_create(&before.a, &web1())
        .await
        .unwrap()
        .vm_id;
    let created = Instant::now();
    let credit_before = credit(&before, &before.a).await.unwrap();
    assert!(credit_before < 50.0, "the VMs cost something");
    let image_before = image_status(&before, &made.image).await.unwrap();
    assert_ne!(image_before, "active", "the snapshot is still being saved");

    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(saved["format"], 1);
    assert_eq!(saved["accounts"].as_array().unwrap().len(), 2);

    // The emulator is down a while; then a new one starts from the file on another port.
    // The config changes B's key, asks another credit for A and adds account C. (Short
    // enough that the VM is still building after the restart on a busy machine too.)
    tokio::time::sleep(Duration::from_millis(400)).await;
    let id_c = "cccccccccccccccc";
    let mut config = with_file(&file, SCALE);
    config.accounts[0].credit = 999.0;
    config.accounts[1].api_key = key('C');
    config.accounts.push(AccountSpec {
        api_id: id_c.into(),
        api_key: key('D'),
        credit: 7.0,
    });
    let after = serve(Emulator::open(config).unwrap()).await;
    assert_ne!(after.base, before.base);

    assert_eq!(vm_status(&after, &building).await, "BUILD");
    assert_eq!(
        vm_status(&after, &made.vm).await,
        "Online",
        "an online VM does not go back to BUILD"
    );
    let online = wait_for_status(&after, &building, "Online", BUILD * 3)
        .await
        .expect("the new VM finishes building");
    let took = online - created;
    assert!(
        took < BUILD + Duration::from_millis(700),
        "built {took:?} after creation: the restart did not restart its build"
    );
    // The snapshot carries on saving too (two 0.6 s steps from when it was taken).
    let deadline = Instant::now() + Duration::from_secs(5);
    while image_status(&after, &made.image).await.as_deref() != Some("active") {
        assert!(Instant::now() < deadline, "the snapshot becomes active");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_all_there(&after, &made).await;

    // New ids continue the saved sequence.
    let old = made.numeric();
    let key_id: u64 = after
        .client
        .sshkey_add(
            &after.a,
            &SshKeyAdd {
                label: "ci".into(),
                sshkey: "ssh-rsa AAAAB3Nza ci".into(),
            },
        )
        .await
        .unwrap()
        .key_id
        .parse()
        .unwrap();
    let script_id: u64 = after
        .client
        .script_create(
            &after.a,
            &ScriptCreate {
                name: "second".into(),
                content: "true".into(),
            },
        )
        .await
        .unwrap()
        .script_id
        .parse()
        .unwrap();
    let newest_old = old.iter().max().copied().unwrap();
    for id in [key_id, script_id] {
        assert!(id > newest_old && !old.contains(&id), "{id} vs {old:?}");
    }

    // The credit went on from where it was, not from the config's 999 or the initial 50.
    let credit_after = credit(&after, &after.a).await.unwrap();
    assert!(
        credit_after <= credit_before && credit_after > credit_before - 1.0,
        "{credit_after} after {credit_before}"
    );

    // Credentials come from the config: B's old key is refused, the new one works; C is new.
    assert_eq!(credit(&after, &after.b).await, Err(UpstreamError::Auth));
    assert!((credit(&after, &cred(ID_B, 'C')).await.unwrap() - 10.0).abs() < 1e-6);
    assert!((credit(&after, &cred(id_c, 'D')).await.unwrap() - 7.0).abs() < 1e-6);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let ids: Vec<&str> = saved["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["api_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ID_A, ID_B, id_c]);
}

#[tokio::test]
async fn bad_state_files_are_errors_naming_the_file() {
    let dir = TempDir::new("bad");
    let file = dir.state_file();
    // (content, whether it is another format rather than invalid JSON, text of the message)
    let cases = [
        ("{\"format\": 1, \"accounts\": [", false, "is not valid"),
        ("not json at all", false, "is not valid"),
        ("{\"accounts\": []}", false, "missing field `format`"),
        (
            "{\"format\": 2, \"accounts\": []}",
            true,
            "has format 2, but this lunapanel reads format 1",
        ),
    ];
    for (content, other_format, text) in cases {
        std::fs::write(&file, content).unwrap();
        let err = open_err(&file);
        let message = err.to_string();
        if other_format {
            assert!(
                matches!(err, EmulatorError::Format { found: 2, .. }),
                "{err:?}"
            );
        } else {
            assert!(matches!(err, EmulatorError::Invalid { .. }), "{err:?}");
        }
        assert!(
            message.contains(text) && message.contains(&file.display().to_string()),
            "{content}: {message}"
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            content,
            "a file that cannot be loaded is left alone"
        );
    }
    // The same account twice.
    let healthy = dir.0.join("healthy.json");
    Emulator::open(with_file(&healthy, 0.0)).unwrap();
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&healthy).unwrap()).unwrap();
    let first = saved["accounts"][0].clone();
    saved["accounts"][1] = first;
    std::fs::write(&file, saved.to_string()).unwrap();
    let err = open_err(&file);
    assert!(
        matches!(err, EmulatorError::Duplicate { ref api_id, .. } if api_id == ID_A),
        "{err:?}"
    );
    // Unreadable: a folder where the file should be.
    let folder = dir.0.join("folder.json");
    std::fs::create_dir(&folder).unwrap();
    let err = open_err(&folder);
    assert!(matches!(err, EmulatorError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot read"), "{err}");
    // Unwritable: the file's folder does not exist.
    let err = open_err(&dir.0.join("missing").join("state.json"));
    assert!(matches!(err, EmulatorError::Write { .. }), "{err:?}");
}

#[tokio::test]
async fn the_state_file_is_private_and_only_open_writes_one() {
    let dir = TempDir::new("private");
    let file = dir.state_file();
    let u = serve(Emulator::open(with_file(&file, 0.0)).unwrap()).await;
    assert!(file.exists(), "created when the emulator opens");
    u.client
        .script_create(
            &u.a,
            &ScriptCreate {
                name: "x".into(),
                content: "true".into(),
            },
        )
        .await
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&key('A')), "the keys are in the file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state.json"], "no temporary file left behind");

    // In memory: `new` ignores a state file, and `open` without one writes nothing.
    let ignored = dir.0.join("ignored.json");
    let config = EmulatorConfig {
        state_file: Some(ignored.clone()),
        ..default_config()
    };
    let memory = serve(Emulator::new(config)).await;
    let memory_too = serve(Emulator::open(default_config()).unwrap()).await;
    for m in [&memory, &memory_too] {
        m.client
            .sshkey_add(
                &m.a,
                &SshKeyAdd {
                    label: "laptop".into(),
                    sshkey: "ssh-ed25519 AAAAC3Nza ada@laptop".into(),
                },
            )
            .await
            .unwrap();
    }
    assert!(!ignored.exists());
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);
}

#[tokio::test]
async fn a_failed_save_does_not_fail_the_request() {
    let dir = TempDir::new("failing");
    let folder = dir.0.join("sub");
    std::fs::create_dir(&folder).unwrap();
    let file = folder.join("state.json");
    let u = serve(Emulator::open(with_file(&file, 0.0)).unwrap()).await;
    std::fs::remove_dir_all(&folder).unwrap();
    let add = |label: &str| SshKeyAdd {
        label: label.into(),
        sshkey: "ssh-ed25519 AAAAC3Nza ada@laptop".into(),
    };
    u.client.sshkey_add(&u.a, &add("one")).await.unwrap();
    assert!(!file.exists());
    // Once the folder is back, the next request saves everything, the missed change too.
    std::fs::create_dir(&folder).unwrap();
    u.client.sshkey_add(&u.a, &add("two")).await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("\"one\"") && text.contains("\"two\""),
        "{text}"
    );
}

/// Storage part-way through its steps carries on after a restart, and a state file written
/// before volumes had devices and images had checksums (fields added later) still opens.
#[tokio::test]
async fn storage_in_transit_survives_a_restart_and_older_files_open() {
    let dir = TempDir::new("storage");
    let file = dir.state_file();
    // Everything at once first; then at half speed (attach 2 s) to be caught mid-way.
    let before = serve(Emulator::open(with_file(&file, 0.0)).unwrap()).await;
    let a = &before.a;
    let vm_id = before.client.vm_create(a, &web1()).await.unwrap().vm_id;
    let volume = before
        .client
        .volume_create(
            a,
            &VolumeCreate {
                region: "toronto".into(),
                label: "data".into(),
                size: 10,
                image: None,
                snapshot_id: None,
            },
        )
        .await
        .unwrap()
        .volume_id;
    let image = before
        .client
        .image_fetch(
            a,
            &ImageFetch {
                region: "toronto".into(),
                name: "iso".into(),
                location: "https://example.com/a.iso".into(),
                format: ImageFormat::Iso,
                virtio: false,
            },
        )
        .await
        .unwrap()
        .image_id;
    let checksum = image_details(&before, &image).await.checksum;
    drop(before);

    // Restart slower, attach, restart again while attaching.
    let slow = serve(Emulator::open(with_file(&file, 0.5)).unwrap()).await;
    slow.client
        .volume_attach(
            &slow.a,
            &VolumeAttach {
                volume_id: volume.clone(),
                vm_id: vm_id.clone(),
                target: "/dev/vdc".into(),
                region: None,
            },
        )
        .await
        .unwrap();
    let broken = slow
        .client
        .image_fetch(
            &slow.a,
            &ImageFetch {
                region: "toronto".into(),
                name: "broken".into(),
                location: "http://nowhere.invalid/x.qcow2".into(),
                format: ImageFormat::Qcow2,
                virtio: true,
            },
        )
        .await
        .unwrap()
        .image_id;
    drop(slow);

    // Take the fields added with issue 9 out, as an older file would lack them.
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let mut stripped = 0;
    for account in saved["accounts"].as_array_mut().unwrap() {
        for v in account["volumes"]["volumes"]
            .as_object_mut()
            .unwrap()
            .values_mut()
        {
            let v = v.as_object_mut().unwrap();
            for field in ["from_image", "device", "extend_to"] {
                stripped += usize::from(v.remove(field).is_some());
            }
        }
        for i in account["images"]["own"]
            .as_object_mut()
            .unwrap()
            .values_mut()
        {
            let i = i.as_object_mut().unwrap();
            for field in ["fails", "checksum"] {
                stripped += usize::from(i.remove(field).is_some());
            }
        }
    }
    assert_eq!(stripped, 3 + 2 * 2, "the fields were there to take out");
    let older = with_file(&file, 0.0);
    std::fs::write(&file, serde_json::to_vec(&saved).unwrap()).unwrap();
    let after = serve(Emulator::open(older).unwrap()).await;
    let v = after
        .client
        .volume_info(
            &after.a,
            &VolumeInfo {
                volume_id: volume.clone(),
                region: None,
            },
        )
        .await
        .unwrap()
        .volume;
    assert_eq!(
        (v.status.as_str(), v.attached_vm()),
        ("in-use", Some(vm_id.as_str())),
        "the attach carried on"
    );
    assert_eq!(
        image_details(&after, &image).await.checksum,
        checksum,
        "the same bytes"
    );
    // Without its `fails` flag an older file's image cannot know it was to fail: active.
    assert_eq!(image_details(&after, &broken).await.status, "active");
}

async fn image_details(u: &Upstream, id: &str) -> ImageInfo {
    u.client
        .image_details(
            &u.a,
            &ImageDetails {
                image_id: id.into(),
            },
        )
        .await
        .unwrap()
        .details
}

/// An image fetched from a host that cannot exist is killed after a restart too.
#[tokio::test]
async fn a_failing_download_fails_after_a_restart() {
    let dir = TempDir::new("killed");
    let file = dir.state_file();
    let before = serve(Emulator::open(with_file(&file, 0.5)).unwrap()).await;
    let image = before
        .client
        .image_fetch(
            &before.a,
            &ImageFetch {
                region: "toronto".into(),
                name: "broken".into(),
                location: "http://nowhere.invalid/x.qcow2".into(),
                format: ImageFormat::Qcow2,
                virtio: false,
            },
        )
        .await
        .unwrap()
        .image_id;
    drop(before);
    let after = serve(Emulator::open(with_file(&file, 0.0)).unwrap()).await;
    assert_eq!(
        image_status(&after, &image).await.as_deref(),
        Some("killed")
    );
}
