//! `floating/*` against the emulator.

use app::server::lunanode::actions::*;
use app::server::lunanode::{Credential, UpstreamError};

use super::{upstream, Upstream};

async fn list(u: &Upstream, cred: &Credential) -> Vec<FloatingIp> {
    u.client
        .floating_list(cred, &FloatingList {})
        .await
        .unwrap()
        .ips
}

async fn add(u: &Upstream, cred: &Credential, region: &str) -> String {
    u.client
        .floating_add(
            cred,
            &FloatingAdd {
                region: region.into(),
            },
        )
        .await
        .unwrap()
        .ip
}

#[tokio::test]
async fn add_list_delete() {
    let u = upstream().await;
    assert!(list(&u, &u.a).await.is_empty());
    let first = add(&u, &u.a, "toronto").await;
    let second = add(&u, &u.a, "montreal").await;
    assert!(first.parse::<std::net::Ipv4Addr>().is_ok(), "{first}");
    assert_ne!(first, second);

    let ips = list(&u, &u.a).await;
    assert_eq!(ips.len(), 2);
    let ip = ips.iter().find(|f| f.ip == first).unwrap();
    assert!(ip.is_unattached());
    assert!(ip.id.parse::<u64>().is_ok(), "numeric id");
    assert_eq!(
        (
            ip.region.as_str(),
            ip.attached_id.as_str(),
            ip.attached_name.as_str()
        ),
        ("toronto", "", "")
    );
    let reversed: Vec<&str> = first.rsplit('.').collect();
    assert_eq!(
        ip.hostname,
        format!("{}.rdns.lunanode.com.", reversed.join("."))
    );
    assert_eq!(
        ips.iter().find(|f| f.ip == second).unwrap().region,
        "montreal"
    );

    // Only in its own region.
    let err = u
        .client
        .floating_delete(
            &u.a,
            &FloatingDelete {
                region: "montreal".into(),
                ip: first.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid ip".into()));

    let delete = FloatingDelete {
        region: "toronto".into(),
        ip: first.clone(),
    };
    u.client.floating_delete(&u.a, &delete).await.unwrap();
    let ips = list(&u, &u.a).await;
    assert_eq!(ips.len(), 1);
    assert_eq!(ips[0].ip, second);
    let err = u.client.floating_delete(&u.a, &delete).await.unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid ip".into()));

    // A released address is not handed out again at once.
    assert_ne!(add(&u, &u.a, "toronto").await, first);
}

#[tokio::test]
async fn a_vms_public_ip_is_an_attached_floating_ip() {
    let u = upstream().await;
    let spare = add(&u, &u.a, "toronto").await;
    let vm_id = u
        .client
        .vm_create(
            &u.a,
            &VmCreate {
                hostname: "web1".into(),
                plan_id: "m.2".into(),
                image_id: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id;
    let public = u
        .client
        .vm_info(
            &u.a,
            &VmInfo {
                vm_id: vm_id.clone(),
            },
        )
        .await
        .unwrap()
        .info
        .ip;
    assert!(!public.is_empty());

    let ips = list(&u, &u.a).await;
    let attached = ips
        .iter()
        .find(|f| f.attached_id == vm_id)
        .unwrap_or_else(|| panic!("the VM's IP is listed: {ips:?}"));
    assert_eq!(attached.ip, public);
    assert_eq!(
        (
            attached.attached_type.as_str(),
            attached.attached_name.as_str(),
            attached.region.as_str()
        ),
        ("vm", "web1", "toronto")
    );
    assert!(!attached.hostname.is_empty());
    // The id is stable from one list to the next.
    let again = list(&u, &u.a).await;
    assert_eq!(
        again.iter().find(|f| f.ip == public).unwrap().id,
        attached.id
    );
    let mut ids: Vec<&str> = ips.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ips.len(), "ids are unique");
    assert!(ips.iter().any(|f| f.ip == spare && f.is_unattached()));

    let err = u
        .client
        .floating_delete(
            &u.a,
            &FloatingDelete {
                region: "toronto".into(),
                ip: public.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the floating IP is attached; detach it first".into())
    );
    assert!(list(&u, &u.a).await.iter().any(|f| f.ip == public));
}

#[tokio::test]
async fn validation() {
    let u = upstream().await;
    for (region, text) in [("", "region not set"), ("atlantis", "invalid region")] {
        let err = u
            .client
            .floating_add(
                &u.a,
                &FloatingAdd {
                    region: region.into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err, UpstreamError::Rejected(text.into()));
    }
    let err = u
        .client
        .floating_delete(
            &u.a,
            &FloatingDelete {
                region: "toronto".into(),
                ip: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("ip not set".into()));
    let err = u
        .client
        .floating_delete(
            &u.a,
            &FloatingDelete {
                region: "toronto".into(),
                ip: "198.51.100.77".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid ip".into()));
    assert!(list(&u, &u.a).await.is_empty());
}

#[tokio::test]
async fn accounts_do_not_see_each_others_ips() {
    let u = upstream().await;
    let ip = add(&u, &u.a, "toronto").await;
    assert!(list(&u, &u.b).await.is_empty());
    let err = u
        .client
        .floating_delete(
            &u.b,
            &FloatingDelete {
                region: "toronto".into(),
                ip: ip.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid ip".into()));
    let mine = list(&u, &u.a).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].ip, ip);
    // Addresses are unique across accounts (as Luna Node's are): B never gets A's.
    for _ in 0..5 {
        assert_ne!(add(&u, &u.b, "toronto").await, ip);
    }
}

/// Reverse DNS can be set on any address the account holds, attached or idle (INFERRED),
/// shows as the list's `hostname`, is reset with "." (CONFIRMED), and cannot be set on an
/// address that was given back.
#[tokio::test]
async fn reverse_dns_of_any_held_address_shows_in_the_list() {
    let u = upstream().await;
    let ip = add(&u, &u.a, "toronto").await;
    let set = |name: &str| DnsSet {
        ip: ip.clone(),
        hostname: name.into(),
    };
    u.client
        .dns_set(&u.a, &set("mail.example.com"))
        .await
        .unwrap();
    let row = |ips: Vec<FloatingIp>| ips.into_iter().find(|f| f.ip == ip).unwrap();
    assert_eq!(row(list(&u, &u.a).await).hostname, "mail.example.com.");
    u.client.dns_set(&u.a, &set(".")).await.unwrap();
    assert!(row(list(&u, &u.a).await)
        .hostname
        .ends_with(".rdns.lunanode.com."));
    // Another account cannot name it.
    let err = u
        .client
        .dns_set(&u.b, &set("x.example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, UpstreamError::NotFound(_) | UpstreamError::Rejected(_)),
        "{err:?}"
    );
    u.client
        .dns_set(&u.a, &set("mail.example.com"))
        .await
        .unwrap();
    u.client
        .floating_delete(
            &u.a,
            &FloatingDelete {
                region: "toronto".into(),
                ip: ip.clone(),
            },
        )
        .await
        .unwrap();
    // Gone with the address: setting it again is refused.
    let err = u
        .client
        .dns_set(&u.a, &set("mail.example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, UpstreamError::NotFound(_) | UpstreamError::Rejected(_)),
        "{err:?}"
    );
}
