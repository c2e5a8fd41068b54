//! `lb/*` against the emulator.

use app::server::lunanode::actions::*;
use app::server::lunanode::{Credential, UpstreamError};

use super::{upstream, Upstream};

const REGION: &str = "toronto";

/// The region's default network.
async fn default_net(u: &Upstream, cred: &Credential) -> String {
    let nets = u
        .client
        .network_list(
            cred,
            &NetworkList {
                region: Some(REGION.into()),
            },
        )
        .await
        .unwrap()
        .networks;
    nets.into_iter()
        .find(|n| n.name == "Luna Node")
        .unwrap()
        .net_id
}

fn web(net_id: &str) -> LbCreate {
    LbCreate {
        region: REGION.into(),
        net_id: net_id.into(),
        name: "web".into(),
        method: LbMethod::LeastConnections,
        protocol: LbProtocol::Http,
        connection_limit: 500,
        port: 80,
    }
}

async fn list(u: &Upstream, cred: &Credential, net_id: Option<&str>) -> Vec<LbSummary> {
    u.client
        .lb_list(
            cred,
            &LbList {
                region: REGION.into(),
                net_id: net_id.map(Into::into),
            },
        )
        .await
        .unwrap()
        .lbs
}

async fn info(u: &Upstream, cred: &Credential, lb_id: &str) -> LbDetails {
    u.client
        .lb_info(
            cred,
            &LbInfo {
                region: REGION.into(),
                lb_id: lb_id.into(),
            },
        )
        .await
        .unwrap()
        .info
}

#[tokio::test]
async fn lb_lifecycle_with_members() {
    let u = upstream().await;
    assert!(list(&u, &u.a, None).await.is_empty());
    let net_id = default_net(&u, &u.a).await;
    let lb_id = u
        .client
        .lb_create(&u.a, &web(&net_id))
        .await
        .unwrap()
        .lb_id
        .expect("the emulator answers lb_id");

    let lbs = list(&u, &u.a, None).await;
    assert_eq!(
        lbs,
        [LbSummary {
            id: lb_id.clone(),
            name: "web".into(),
            region: REGION.into()
        }]
    );
    assert_eq!(list(&u, &u.a, Some(&net_id)).await.len(), 1);
    assert!(
        list(&u, &u.a, Some("999999")).await.is_empty(),
        "net_id filters"
    );
    let montreal = u
        .client
        .lb_list(
            &u.a,
            &LbList {
                region: "montreal".into(),
                net_id: None,
            },
        )
        .await
        .unwrap();
    assert!(montreal.lbs.is_empty(), "lists are per region");

    let details = info(&u, &u.a, &lb_id).await;
    assert_eq!(details.name, "web");
    assert_eq!(details.net_id, net_id);
    assert_eq!(
        (details.method.as_str(), details.protocol.as_str()),
        ("LEAST_CONNECTIONS", "HTTP")
    );
    assert_eq!(
        (details.port, details.connection_limit),
        (Some(80), Some(500))
    );
    assert_eq!(
        details.vip, "172.20.0.10",
        "first address of the network from .10"
    );
    assert!(details.members.is_empty() && details.floating_ip.is_empty());

    // A second load balancer in the same network gets the next address.
    let second = u
        .client
        .lb_create(
            &u.a,
            &LbCreate {
                name: "api".into(),
                method: LbMethod::SourceIp,
                protocol: LbProtocol::Tcp,
                connection_limit: -1,
                port: 443,
                ..web(&net_id)
            },
        )
        .await
        .unwrap()
        .lb_id
        .unwrap();
    let api = info(&u, &u.a, &second).await;
    assert_eq!(api.vip, "172.20.0.11");
    assert_eq!(api.connection_limit, Some(-1));

    for (ip, port) in [("10.20.0.5", 8080), ("10.20.0.6", 8080)] {
        u.client
            .lb_member_add(
                &u.a,
                &LbMemberAdd {
                    region: REGION.into(),
                    lb_id: lb_id.clone(),
                    ip: ip.into(),
                    port,
                },
            )
            .await
            .unwrap();
    }
    let members = info(&u, &u.a, &lb_id).await.members;
    assert_eq!(members.len(), 2);
    assert_eq!(
        (
            members[0].ip.as_str(),
            members[0].port,
            members[0].status.as_str()
        ),
        ("10.20.0.5", Some(8080), "ACTIVE")
    );
    let dup = u
        .client
        .lb_member_add(
            &u.a,
            &LbMemberAdd {
                region: REGION.into(),
                lb_id: lb_id.clone(),
                ip: "10.20.0.5".into(),
                port: 8080,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(dup, UpstreamError::Rejected("member already exists".into()));

    let remove = LbMemberRemove {
        region: REGION.into(),
        lb_id: lb_id.clone(),
        member_id: members[0].id.clone(),
    };
    u.client.lb_member_remove(&u.a, &remove).await.unwrap();
    let left = info(&u, &u.a, &lb_id).await.members;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, members[1].id);
    let err = u.client.lb_member_remove(&u.a, &remove).await.unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid member".into()));

    u.client
        .lb_delete(
            &u.a,
            &LbDelete {
                region: REGION.into(),
                lb_id: lb_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(list(&u, &u.a, None).await.len(), 1);
    let err = u
        .client
        .lb_info(
            &u.a,
            &LbInfo {
                region: REGION.into(),
                lb_id,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid load balancer".into()));
}

#[tokio::test]
async fn associate_attaches_a_floating_ip_and_delete_gives_it_back() {
    let u = upstream().await;
    let net_id = default_net(&u, &u.a).await;
    let lb_id = u
        .client
        .lb_create(&u.a, &web(&net_id))
        .await
        .unwrap()
        .lb_id
        .unwrap();
    let add = FloatingAdd {
        region: REGION.into(),
    };
    let first = u.client.floating_add(&u.a, &add).await.unwrap().ip;
    let second = u.client.floating_add(&u.a, &add).await.unwrap().ip;
    let associate = |ip: &str| LbAssociate {
        region: REGION.into(),
        lb_id: lb_id.clone(),
        ip: ip.into(),
    };
    u.client
        .lb_associate(&u.a, &associate(&first))
        .await
        .unwrap();
    assert_eq!(info(&u, &u.a, &lb_id).await.floating_ip, first);
    let ips = u
        .client
        .floating_list(&u.a, &FloatingList {})
        .await
        .unwrap()
        .ips;
    let attached = ips.iter().find(|f| f.ip == first).unwrap();
    assert_eq!(
        (
            attached.attached_type.as_str(),
            attached.attached_id.as_str(),
            attached.attached_name.as_str()
        ),
        ("lb", lb_id.as_str(), "web")
    );

    // Associating again is a no-op; another IP replaces the first, which stays unattached.
    u.client
        .lb_associate(&u.a, &associate(&first))
        .await
        .unwrap();
    u.client
        .lb_associate(&u.a, &associate(&second))
        .await
        .unwrap();
    assert_eq!(info(&u, &u.a, &lb_id).await.floating_ip, second);
    let ips = u
        .client
        .floating_list(&u.a, &FloatingList {})
        .await
        .unwrap()
        .ips;
    assert!(ips.iter().find(|f| f.ip == first).unwrap().is_unattached());

    // Not a floating IP of this account / region.
    for ip in ["198.51.100.250", "not-an-ip"] {
        let err = u
            .client
            .lb_associate(&u.a, &associate(ip))
            .await
            .unwrap_err();
        assert_eq!(err, UpstreamError::NotFound("invalid floating ip".into()));
    }
    let montreal = u
        .client
        .floating_add(
            &u.a,
            &FloatingAdd {
                region: "montreal".into(),
            },
        )
        .await
        .unwrap()
        .ip;
    let err = u
        .client
        .lb_associate(&u.a, &associate(&montreal))
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid floating ip".into()));

    u.client
        .lb_delete(
            &u.a,
            &LbDelete {
                region: REGION.into(),
                lb_id,
            },
        )
        .await
        .unwrap();
    let ips = u
        .client
        .floating_list(&u.a, &FloatingList {})
        .await
        .unwrap()
        .ips;
    assert_eq!(ips.len(), 3);
    assert!(ips.iter().all(FloatingIp::is_unattached), "{ips:?}");
}

#[tokio::test]
async fn create_and_member_validation() {
    let u = upstream().await;
    let net_id = default_net(&u, &u.a).await;
    let cases = [
        (
            LbCreate {
                region: String::new(),
                ..web(&net_id)
            },
            "region not set",
        ),
        (
            LbCreate {
                name: String::new(),
                ..web(&net_id)
            },
            "name not set",
        ),
        (
            LbCreate {
                region: "atlantis".into(),
                ..web(&net_id)
            },
            "invalid region",
        ),
        (
            LbCreate {
                port: 0,
                ..web(&net_id)
            },
            "invalid port",
        ),
        (
            LbCreate {
                connection_limit: 0,
                ..web(&net_id)
            },
            "invalid connection_limit",
        ),
        (
            LbCreate {
                connection_limit: -2,
                ..web(&net_id)
            },
            "invalid connection_limit",
        ),
    ];
    for (req, text) in cases {
        let err = u.client.lb_create(&u.a, &req).await.unwrap_err();
        assert_eq!(err, UpstreamError::Rejected(text.into()), "{req:?}");
    }
    // The network must exist in that region.
    let err = u.client.lb_create(&u.a, &web("999999")).await.unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid network".into()));
    let err = u
        .client
        .lb_create(
            &u.a,
            &LbCreate {
                region: "montreal".into(),
                ..web(&net_id)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid network".into()));

    // lb/list requires the region (CONFIRMED text).
    let err = u
        .client
        .lb_list(
            &u.a,
            &LbList {
                region: String::new(),
                net_id: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("region not set".into()));

    let lb_id = u
        .client
        .lb_create(&u.a, &web(&net_id))
        .await
        .unwrap()
        .lb_id
        .unwrap();
    let member = |ip: &str, port: u16| LbMemberAdd {
        region: REGION.into(),
        lb_id: lb_id.clone(),
        ip: ip.into(),
        port,
    };
    for (req, err) in [
        (
            member("10.0.0.300", 80),
            UpstreamError::Rejected("invalid IP address".into()),
        ),
        (
            member("0.0.0.0", 80),
            UpstreamError::Rejected("invalid IP address".into()),
        ),
        (
            member("10.0.0.3", 0),
            UpstreamError::Rejected("invalid port".into()),
        ),
        (member("", 80), UpstreamError::Rejected("ip not set".into())),
        (
            LbMemberAdd {
                lb_id: "999999".into(),
                ..member("10.0.0.3", 80)
            },
            UpstreamError::NotFound("invalid load balancer".into()),
        ),
    ] {
        assert_eq!(
            u.client.lb_member_add(&u.a, &req).await.unwrap_err(),
            err,
            "{req:?}"
        );
    }
    assert!(info(&u, &u.a, &lb_id).await.members.is_empty());
    let err = u
        .client
        .lb_member_remove(
            &u.a,
            &LbMemberRemove {
                region: REGION.into(),
                lb_id: lb_id.clone(),
                member_id: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("member_id not set".into()));
    // The id is scoped to its region.
    let err = u
        .client
        .lb_info(
            &u.a,
            &LbInfo {
                region: "montreal".into(),
                lb_id,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid load balancer".into()));
}

#[tokio::test]
async fn accounts_do_not_see_each_others_load_balancers() {
    let u = upstream().await;
    let net_id = default_net(&u, &u.a).await;
    let lb_id = u
        .client
        .lb_create(&u.a, &web(&net_id))
        .await
        .unwrap()
        .lb_id
        .unwrap();
    assert!(list(&u, &u.b, None).await.is_empty());
    let not_found = UpstreamError::NotFound("invalid load balancer".into());
    let err = u
        .client
        .lb_info(
            &u.b,
            &LbInfo {
                region: REGION.into(),
                lb_id: lb_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found);
    let err = u
        .client
        .lb_member_add(
            &u.b,
            &LbMemberAdd {
                region: REGION.into(),
                lb_id: lb_id.clone(),
                ip: "10.0.0.3".into(),
                port: 80,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found);
    let err = u
        .client
        .lb_delete(
            &u.b,
            &LbDelete {
                region: REGION.into(),
                lb_id: lb_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found);
    // Nor can b build on a's private network.
    let a_net = u
        .client
        .network_create(
            &u.a,
            &NetworkCreate {
                region: REGION.into(),
                name: "private".into(),
                subnet: "192.168.50".into(),
                dns: vec!["1.1.1.1".into()],
            },
        )
        .await
        .unwrap()
        .net_id
        .unwrap();
    let err = u.client.lb_create(&u.b, &web(&a_net)).await.unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid network".into()));
    assert!(list(&u, &u.b, None).await.is_empty());
    assert_eq!(list(&u, &u.a, None).await.len(), 1, "a's is untouched");
    assert!(info(&u, &u.a, &lb_id).await.members.is_empty());
}

/// A deleted VM leaves the members of every balancer it was in (INFERRED: the reference
/// says nothing; the emulator keeps no member no one can act on); other members stay.
#[tokio::test]
async fn a_deleted_vm_leaves_the_balancers_members() {
    let u = upstream().await;
    let net_id = default_net(&u, &u.a).await;
    let lb_id = u
        .client
        .lb_create(&u.a, &web(&net_id))
        .await
        .unwrap()
        .lb_id
        .unwrap();
    let mut vms = Vec::new();
    for name in ["m1", "m2"] {
        let id = u
            .client
            .vm_create(
                &u.a,
                &VmCreate {
                    hostname: name.into(),
                    plan_id: "87".into(),
                    image_id: Some("1000".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .vm_id;
        let ip = u
            .client
            .vm_info(&u.a, &VmInfo { vm_id: id.clone() })
            .await
            .unwrap()
            .info
            .privateip;
        u.client
            .lb_member_add(
                &u.a,
                &LbMemberAdd {
                    region: REGION.into(),
                    lb_id: lb_id.clone(),
                    ip: ip.clone(),
                    port: 8080,
                },
            )
            .await
            .unwrap();
        vms.push((id, ip));
    }
    assert_eq!(info(&u, &u.a, &lb_id).await.members.len(), 2);
    u.client
        .vm_delete(
            &u.a,
            &VmDelete {
                vm_id: vms[0].0.clone(),
            },
        )
        .await
        .unwrap();
    let left: Vec<String> = info(&u, &u.a, &lb_id)
        .await
        .members
        .into_iter()
        .map(|m| m.ip)
        .collect();
    assert_eq!(left, [vms[1].1.clone()]);
}
