//! The rest of `vm/*` against the emulator: power states, disk swap, reimage, resize,
//! rescue, console, addresses, security groups, snapshots, shelving, usage, fair share.

use std::time::Duration;

use app::server::lunanode::actions::*;
use app::server::lunanode::UpstreamError;

use super::{upstream, upstream_with, Upstream};

async fn create(u: &Upstream) -> String {
    u.client
        .vm_create(
            &u.a,
            &VmCreate {
                hostname: "app1".into(),
                plan_id: "m.2".into(),
                image_id: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id
}

async fn status(u: &Upstream, id: &str) -> VmDetails {
    u.client
        .vm_info(&u.a, &VmInfo { vm_id: id.into() })
        .await
        .unwrap()
        .info
}

#[tokio::test]
async fn power_states_diskswap_rescue_and_shelving() {
    let u = upstream_with(|c| c.time_scale = 0.02).await;
    let id = create(&u).await;
    let err = u
        .client
        .vm_stop(&u.a, &VmStop { vm_id: id.clone() })
        .await
        .unwrap_err();
    assert!(
        matches!(err, UpstreamError::Rejected(ref m) if m.contains("being built")),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(status(&u, &id).await.status_nohtml, "Online");
    let err = u
        .client
        .vm_diskswap(&u.a, &VmDiskswap { vm_id: id.clone() })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the VM must be stopped before disk swap can proceed".into())
    );
    u.client
        .vm_stop(&u.a, &VmStop { vm_id: id.clone() })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let info = status(&u, &id).await;
    assert_eq!(info.status_nohtml, "Offline");
    assert!(info.diskswap.is_some(), "diskswap offered while stopped");
    u.client
        .vm_diskswap(&u.a, &VmDiskswap { vm_id: id.clone() })
        .await
        .unwrap();

    u.client
        .vm_start(&u.a, &VmStart { vm_id: id.clone() })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    u.client
        .vm_rescue(&u.a, &VmRescue { vm_id: id.clone() })
        .await
        .unwrap();
    assert_eq!(status(&u, &id).await.status_raw, "rescued");
    u.client
        .vm_reboot(&u.a, &VmReboot { vm_id: id.clone() })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        status(&u, &id).await.status_nohtml,
        "Online",
        "a reboot leaves rescue"
    );

    u.client
        .vm_shelve(&u.a, &VmShelve { vm_id: id.clone() })
        .await
        .unwrap();
    assert_eq!(status(&u, &id).await.status_nohtml, "Shelved");
    let err = u
        .client
        .vm_start(&u.a, &VmStart { vm_id: id.clone() })
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(ref m) if m.contains("unshelve")));
    u.client
        .vm_unshelve(&u.a, &VmUnshelve { vm_id: id.clone() })
        .await
        .unwrap();
    assert_eq!(status(&u, &id).await.status_nohtml, "Unshelving");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(status(&u, &id).await.status_nohtml, "Online");
    let err = u
        .client
        .vm_unshelve(&u.a, &VmUnshelve { vm_id: id })
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(ref m) if m.contains("not shelved")));
}

async fn plan(u: &Upstream, id: String) -> Option<u32> {
    u.client
        .vm_info(&u.a, &VmInfo { vm_id: id })
        .await
        .unwrap()
        .extra
        .unwrap()
        .ram
}

#[tokio::test]
async fn reimage_resize_snapshot_console_usage() {
    let u = upstream().await;
    let id = create(&u).await;
    u.client
        .vm_reimage(
            &u.a,
            &VmReimage {
                vm_id: id.clone(),
                image_id: "1002".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(status(&u, &id).await.os, "Debian 12 64-bit (template)");
    let err = u
        .client
        .vm_reimage(
            &u.a,
            &VmReimage {
                vm_id: id.clone(),
                image_id: "1102".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::NotFound("invalid image".into()),
        "an image of another region"
    );

    u.client
        .vm_resize(
            &u.a,
            &VmResize {
                vm_id: id.clone(),
                plan_id: "m.4".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(plan(&u, id.clone()).await, Some(4096));
    // A storage downsize "succeeds" and changes nothing, as upstream does.
    u.client
        .vm_resize(
            &u.a,
            &VmResize {
                vm_id: id.clone(),
                plan_id: "s.half".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(plan(&u, id.clone()).await, Some(4096));
    let err = u
        .client
        .vm_resize(
            &u.a,
            &VmResize {
                vm_id: id.clone(),
                plan_id: "x.9".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("invalid plan selection".into())
    );

    let snap = u
        .client
        .vm_snapshot(
            &u.a,
            &VmSnapshot {
                vm_id: id.clone(),
                name: "before upgrade".into(),
            },
        )
        .await
        .unwrap();
    let image = u
        .client
        .image_details(
            &u.a,
            &ImageDetails {
                image_id: snap.image_id.clone(),
            },
        )
        .await
        .unwrap()
        .details;
    assert_eq!(image.name, "before upgrade");
    // The snapshot boots a new VM in the same region once active.
    u.client
        .vm_create(
            &u.a,
            &VmCreate {
                hostname: "clone".into(),
                plan_id: "m.2".into(),
                image_id: Some(snap.image_id),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let vnc = u
        .client
        .vm_vnc(&u.a, &VmVnc { vm_id: id.clone() })
        .await
        .unwrap();
    assert!(vnc
        .vnc_url
        .starts_with("https://toronto-ctrl.lunanode.com:6080/vnc_auto.html?token="));

    for key in ["bandwidth", "cpu", "io"] {
        let usage = u
            .client
            .vm_usage(
                &u.a,
                &VmUsage {
                    vm_id: id.clone(),
                    key: key.into(),
                },
            )
            .await
            .unwrap()
            .usage;
        assert_eq!(usage.len(), 24, "{key}");
        assert!(usage.windows(2).all(|w| w[0].unix_time < w[1].unix_time));
        let present = match key {
            "bandwidth" => usage[0].total_rate.is_some() && usage[0].incoming_rate.is_some(),
            "cpu" => usage[0].percent.is_some(),
            _ => usage[0].read.is_some() && usage[0].write.is_some(),
        };
        assert!(present, "{key}: {:?}", usage[0]);
    }
    let err = u
        .client
        .vm_usage(
            &u.a,
            &VmUsage {
                vm_id: id.clone(),
                key: "disk".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(_)));
    u.client
        .vm_set_fairshare(
            &u.a,
            &VmSetFairshare {
                vm_id: id.clone(),
                charge_for_cpu: true,
                fairshare_nolend: false,
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn addresses_floating_ips_and_security_groups() {
    let u = upstream().await;
    let id = create(&u).await;
    let info = status(&u, &id).await;
    let public = info.ip.clone();
    assert!(!public.is_empty());
    let ips = u
        .client
        .vm_iplist(&u.a, &VmIplist { vm_id: id.clone() })
        .await
        .unwrap()
        .ips;
    assert!(ips.iter().any(|i| i.ip == public && i.kind == "floating"));

    let err = u
        .client
        .vm_floatingip_add(
            &u.a,
            &VmFloatingipAdd {
                vm_id: id.clone(),
                ip: None,
                private_ip: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(ref m) if m.contains("already")));
    // Detach keeping the address, then give it back.
    u.client
        .vm_floatingip_delete(
            &u.a,
            &VmFloatingipDelete {
                vm_id: id.clone(),
                ip: Some(public.clone()),
                keep: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(status(&u, &id).await.ip, "");
    let attached = u
        .client
        .vm_floatingip_add(
            &u.a,
            &VmFloatingipAdd {
                vm_id: id.clone(),
                ip: Some(public.clone()),
                private_ip: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(attached.ip.as_deref(), Some(public.as_str()));
    // Detach and release: it cannot be re-attached by address.
    u.client
        .vm_floatingip_delete(
            &u.a,
            &VmFloatingipDelete {
                vm_id: id.clone(),
                ip: None,
                keep: None,
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .vm_floatingip_add(
            &u.a,
            &VmFloatingipAdd {
                vm_id: id.clone(),
                ip: Some(public),
                private_ip: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, UpstreamError::NotFound(_) | UpstreamError::Rejected(_)),
        "{err:?}"
    );
    let fresh = u
        .client
        .vm_floatingip_add(
            &u.a,
            &VmFloatingipAdd {
                vm_id: id.clone(),
                ip: None,
                private_ip: None,
            },
        )
        .await
        .unwrap();
    assert!(fresh.ip.is_some());

    let added = u
        .client
        .vm_ip_add(
            &u.a,
            &VmIpAdd {
                vm_id: id.clone(),
                ip: None,
            },
        )
        .await
        .unwrap()
        .ip
        .unwrap();
    assert!(status(&u, &id).await.additionalprivateip.contains(&added));
    u.client
        .vm_ip_delete(
            &u.a,
            &VmIpDelete {
                vm_id: id.clone(),
                ip: added.clone(),
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .vm_ip_delete(
            &u.a,
            &VmIpDelete {
                vm_id: id.clone(),
                ip: added,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound(_)), "{err:?}");

    let err = u
        .client
        .vm_securitygroup_add(
            &u.a,
            &VmSecuritygroupAdd {
                vm_id: id.clone(),
                group_id: "999999".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound(_)), "{err:?}");
    let err = u
        .client
        .vm_info(&u.b, &VmInfo { vm_id: id })
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid vm".into()));
}

#[tokio::test]
async fn create_checks_networks_groups_scripts_and_keys() {
    let u = upstream().await;
    let web = u
        .client
        .securitygroup_create(
            &u.a,
            &SecurityGroupCreate {
                region: "toronto".into(),
                name: "web".into(),
            },
        )
        .await
        .unwrap()
        .group_id;
    let script = u
        .client
        .script_create(
            &u.a,
            &ScriptCreate {
                name: "hello".into(),
                content: "#!/bin/sh\necho hi".into(),
            },
        )
        .await
        .unwrap()
        .script_id;
    let net = u
        .client
        .network_create(
            &u.a,
            &NetworkCreate {
                region: "toronto".into(),
                name: "backend".into(),
                subnet: "192.168.40".into(),
                dns: vec!["8.8.8.8".into()],
            },
        )
        .await
        .unwrap()
        .net_id
        .unwrap();
    let base = VmCreate {
        hostname: "web1".into(),
        plan_id: "m.2".into(),
        image_id: Some("1000".into()),
        net_id: Some(net.clone()),
        securitygroups: vec![web.clone()],
        scripts: vec![script.clone()],
        ..Default::default()
    };
    for (req, text) in [
        (
            VmCreate {
                net_id: Some("424242".into()),
                ..base.clone()
            },
            "invalid network",
        ),
        (
            VmCreate {
                securitygroups: vec!["424242".into()],
                ..base.clone()
            },
            "invalid security group",
        ),
        (
            VmCreate {
                scripts: vec!["424242".into()],
                ..base.clone()
            },
            "invalid script",
        ),
        (
            VmCreate {
                key_id: vec!["424242".into()],
                ..base.clone()
            },
            "invalid key",
        ),
        (
            VmCreate {
                region: Some("montreal".into()),
                image_id: Some("1100".into()),
                ..base.clone()
            },
            "invalid network",
        ),
    ] {
        let err = u.client.vm_create(&u.a, &req).await.unwrap_err();
        assert!(
            matches!(&err, UpstreamError::NotFound(m) | UpstreamError::Rejected(m) if m == text),
            "{text}: {err:?}"
        );
    }
    let id = u.client.vm_create(&u.a, &base).await.unwrap().vm_id;
    assert_eq!(status(&u, &id).await.security_groups, ["web"]);

    // Add and remove groups on the running VM; the group in use cannot be deleted.
    let default_group = u
        .client
        .securitygroup_list(&u.a, &SecurityGroupList {})
        .await
        .unwrap()
        .securitygroups
        .into_iter()
        .find(|g| g.name == "default" && g.region == "toronto")
        .unwrap();
    u.client
        .vm_securitygroup_add(
            &u.a,
            &VmSecuritygroupAdd {
                vm_id: id.clone(),
                group_id: default_group.securitygroup_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(status(&u, &id).await.security_groups, ["web", "default"]);
    let err = u
        .client
        .vm_securitygroup_add(
            &u.a,
            &VmSecuritygroupAdd {
                vm_id: id.clone(),
                group_id: web.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(ref m) if m.contains("already")));
    let err = u
        .client
        .securitygroup_delete(
            &u.a,
            &SecurityGroupDelete {
                region: "toronto".into(),
                group_id: web.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(_)), "{err:?}");
    u.client
        .vm_securitygroup_remove(
            &u.a,
            &VmSecuritygroupRemove {
                vm_id: id.clone(),
                group_id: web.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(status(&u, &id).await.security_groups, ["default"]);
    u.client
        .securitygroup_delete(
            &u.a,
            &SecurityGroupDelete {
                region: "toronto".into(),
                group_id: web,
            },
        )
        .await
        .unwrap();
}
