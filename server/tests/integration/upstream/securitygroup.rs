//! `securitygroup/*` against the emulator.

use app::server::lunanode::actions::*;
use app::server::lunanode::{Credential, UpstreamError};

use super::{upstream, Upstream};

const REGION: &str = "toronto";

async fn groups(u: &Upstream, cred: &Credential) -> Vec<SecurityGroup> {
    u.client
        .securitygroup_list(cred, &SecurityGroupList {})
        .await
        .unwrap()
        .securitygroups
}

async fn rules(u: &Upstream, cred: &Credential, group_id: &str) -> Vec<SecurityGroupRule> {
    u.client
        .securitygroup_rule_list(
            cred,
            &SecurityGroupRuleList {
                region: REGION.into(),
                group_id: group_id.into(),
            },
        )
        .await
        .unwrap()
        .rules
}

async fn create(u: &Upstream, cred: &Credential, name: &str) -> String {
    u.client
        .securitygroup_create(
            cred,
            &SecurityGroupCreate {
                region: REGION.into(),
                name: name.into(),
            },
        )
        .await
        .unwrap()
        .group_id
}

fn ssh(group_id: &str) -> SecurityGroupRuleInsert {
    SecurityGroupRuleInsert {
        region: REGION.into(),
        group_id: group_id.into(),
        direction: RuleDirection::Ingress,
        ip_version: RuleIpVersion::V4,
        protocol: RuleProtocol::Tcp,
        remote_type: RuleRemoteType::Cidr,
        remote_value: "0.0.0.0/0".into(),
        port_min: Some(22),
        port_max: None,
        label: Some("ssh".into()),
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn every_region_has_a_default_group_with_the_egress_rules() {
    let u = upstream().await;
    let all = groups(&u, &u.a).await;
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|g| g.name == "default"));
    let mut regions: Vec<&str> = all.iter().map(|g| g.region.as_str()).collect();
    regions.sort_unstable();
    assert_eq!(regions, ["montreal", "roubaix", "toronto"]);

    let default = all.iter().find(|g| g.region == REGION).unwrap();
    let listed = rules(&u, &u.a, &default.securitygroup_id).await;
    assert_eq!(listed.len(), 2);
    for (rule, ethertype) in listed.iter().zip(["IPv6", "IPv4"]) {
        assert!(is_uuid(&rule.id), "{rule:?}");
        assert_eq!(
            (
                rule.direction.as_str(),
                rule.ethertype.as_str(),
                rule.protocol.as_str(),
                rule.port_range.as_str(),
                rule.remote.as_str(),
                rule.label.as_str()
            ),
            ("egress", ethertype, "*", "*", "*", "")
        );
    }

    let id = default.securitygroup_id.clone();
    let err = u
        .client
        .securitygroup_delete(
            &u.a,
            &SecurityGroupDelete {
                region: REGION.into(),
                group_id: id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the default security group cannot be deleted".into())
    );
    let err = u
        .client
        .securitygroup_rename(
            &u.a,
            &SecurityGroupRename {
                region: REGION.into(),
                group_id: id,
                name: "renamed".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the default security group cannot be renamed".into())
    );
    let err = u
        .client
        .securitygroup_create(
            &u.a,
            &SecurityGroupCreate {
                region: REGION.into(),
                name: "default".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(_)), "{err:?}");
    assert_eq!(groups(&u, &u.a).await.len(), 3);
}

#[tokio::test]
async fn create_rename_delete() {
    let u = upstream().await;
    let id = create(&u, &u.a, "web").await;
    assert!(id.parse::<u64>().is_ok(), "numeric id");
    let all = groups(&u, &u.a).await;
    assert_eq!(all.len(), 4);
    let made = all.iter().find(|g| g.securitygroup_id == id).unwrap();
    assert_eq!((made.name.as_str(), made.region.as_str()), ("web", REGION));
    assert_eq!(
        rules(&u, &u.a, &id).await.len(),
        2,
        "new groups allow egress"
    );

    // Names are unique per region (VMs know their groups by name).
    let dup = SecurityGroupCreate {
        region: REGION.into(),
        name: "WEB".into(),
    };
    let err = u.client.securitygroup_create(&u.a, &dup).await.unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("a security group named WEB already exists".into())
    );
    u.client
        .securitygroup_create(
            &u.a,
            &SecurityGroupCreate {
                region: "montreal".into(),
                ..dup
            },
        )
        .await
        .unwrap();
    assert_eq!(groups(&u, &u.a).await.len(), 5);

    let rename = SecurityGroupRename {
        region: REGION.into(),
        group_id: id.clone(),
        name: "frontend".into(),
    };
    u.client.securitygroup_rename(&u.a, &rename).await.unwrap();
    u.client
        .securitygroup_rename(&u.a, &rename)
        .await
        .expect("renaming to its own name is fine");
    let err = u
        .client
        .securitygroup_rename(
            &u.a,
            &SecurityGroupRename {
                name: String::new(),
                ..rename.clone()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("name not set".into()));
    let all = groups(&u, &u.a).await;
    assert_eq!(
        all.iter().find(|g| g.securitygroup_id == id).unwrap().name,
        "frontend"
    );

    // Scoped to its region.
    let wrong_region = SecurityGroupDelete {
        region: "montreal".into(),
        group_id: id.clone(),
    };
    let err = u
        .client
        .securitygroup_delete(&u.a, &wrong_region)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::NotFound("invalid security group".into())
    );

    let delete = SecurityGroupDelete {
        region: REGION.into(),
        group_id: id,
    };
    u.client.securitygroup_delete(&u.a, &delete).await.unwrap();
    assert_eq!(groups(&u, &u.a).await.len(), 4);
    let err = u
        .client
        .securitygroup_delete(&u.a, &delete)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::NotFound("invalid security group".into())
    );
}

#[tokio::test]
async fn rules_insert_list_delete() {
    let u = upstream().await;
    let web = create(&u, &u.a, "web").await;
    let db = create(&u, &u.a, "db").await;

    u.client
        .securitygroup_rule_insert(&u.a, &ssh(&web))
        .await
        .unwrap();
    u.client
        .securitygroup_rule_insert(
            &u.a,
            &SecurityGroupRuleInsert {
                protocol: RuleProtocol::Udp,
                remote_value: "10.1.2.3/8".into(),
                port_min: Some(1000),
                port_max: Some(2000),
                label: None,
                ..ssh(&web)
            },
        )
        .await
        .unwrap();
    u.client
        .securitygroup_rule_insert(
            &u.a,
            &SecurityGroupRuleInsert {
                ip_version: RuleIpVersion::V6,
                protocol: RuleProtocol::Icmp,
                remote_value: "::/0".into(),
                port_min: None,
                ..ssh(&web)
            },
        )
        .await
        .unwrap();
    // From the members of another group.
    u.client
        .securitygroup_rule_insert(
            &u.a,
            &SecurityGroupRuleInsert {
                protocol: RuleProtocol::Any,
                remote_type: RuleRemoteType::Group,
                remote_value: db.clone(),
                port_min: None,
                label: Some("from db".into()),
                ..ssh(&web)
            },
        )
        .await
        .unwrap();

    let listed = rules(&u, &u.a, &web).await;
    assert_eq!(listed.len(), 6, "{listed:?}");
    let shown: Vec<(&str, &str, &str, &str, &str, &str)> = listed[2..]
        .iter()
        .map(|r| {
            (
                r.direction.as_str(),
                r.ethertype.as_str(),
                r.protocol.as_str(),
                r.port_range.as_str(),
                r.remote.as_str(),
                r.label.as_str(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("ingress", "IPv4", "tcp", "22", "0.0.0.0/0", "ssh"),
            ("ingress", "IPv4", "udp", "1000-2000", "10.0.0.0/8", ""),
            ("ingress", "IPv6", "icmp", "*", "::/0", "ssh"),
            ("ingress", "IPv4", "*", "*", "db", "from db"),
        ]
    );
    assert!(listed.iter().all(|r| is_uuid(&r.id)));
    assert_eq!(
        rules(&u, &u.a, &db).await.len(),
        2,
        "other groups unchanged"
    );

    // The same rule twice is refused.
    let err = u
        .client
        .securitygroup_rule_insert(&u.a, &ssh(&web))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("security group rule already exists".into())
    );

    let delete = SecurityGroupRuleDelete {
        region: REGION.into(),
        group_id: web.clone(),
        rule_id: listed[2].id.clone(),
    };
    u.client
        .securitygroup_rule_delete(&u.a, &delete)
        .await
        .unwrap();
    let after = rules(&u, &u.a, &web).await;
    assert_eq!(after.len(), 5);
    assert!(after.iter().all(|r| r.id != listed[2].id));
    let err = u
        .client
        .securitygroup_rule_delete(&u.a, &delete)
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid rule".into()));

    // Deleting a group takes the rules that name it as their remote with it.
    u.client
        .securitygroup_delete(
            &u.a,
            &SecurityGroupDelete {
                region: REGION.into(),
                group_id: db,
            },
        )
        .await
        .unwrap();
    let after = rules(&u, &u.a, &web).await;
    assert_eq!(after.len(), 4);
    assert!(after.iter().all(|r| r.remote != "db"));
}

#[tokio::test]
async fn rule_insert_validation() {
    let u = upstream().await;
    let web = create(&u, &u.a, "web").await;
    let montreal = u
        .client
        .securitygroup_create(
            &u.a,
            &SecurityGroupCreate {
                region: "montreal".into(),
                name: "elsewhere".into(),
            },
        )
        .await
        .unwrap()
        .group_id;
    let rejected = |t: &str| UpstreamError::Rejected(t.into());
    let cases = [
        (
            SecurityGroupRuleInsert {
                remote_value: String::new(),
                ..ssh(&web)
            },
            rejected("remote_value not set"),
        ),
        (
            SecurityGroupRuleInsert {
                remote_value: "10.0.0.0".into(),
                ..ssh(&web)
            },
            rejected("invalid CIDR"),
        ),
        (
            SecurityGroupRuleInsert {
                remote_value: "10.0.0.0/33".into(),
                ..ssh(&web)
            },
            rejected("invalid CIDR"),
        ),
        (
            SecurityGroupRuleInsert {
                ip_version: RuleIpVersion::V6,
                ..ssh(&web)
            },
            rejected("invalid CIDR"),
        ),
        (
            SecurityGroupRuleInsert {
                remote_type: RuleRemoteType::Group,
                remote_value: "999999".into(),
                ..ssh(&web)
            },
            rejected("invalid remote group"),
        ),
        (
            SecurityGroupRuleInsert {
                remote_type: RuleRemoteType::Group,
                remote_value: montreal.clone(),
                ..ssh(&web)
            },
            rejected("invalid remote group"),
        ),
        (
            SecurityGroupRuleInsert {
                port_min: Some(0),
                ..ssh(&web)
            },
            rejected("invalid port_min"),
        ),
        (
            SecurityGroupRuleInsert {
                port_min: Some(2000),
                port_max: Some(1000),
                ..ssh(&web)
            },
            rejected("invalid port range"),
        ),
        (
            SecurityGroupRuleInsert {
                protocol: RuleProtocol::Icmp,
                ..ssh(&web)
            },
            rejected("ports can only be set for tcp and udp rules"),
        ),
        (
            SecurityGroupRuleInsert {
                region: "atlantis".into(),
                ..ssh(&web)
            },
            rejected("invalid region"),
        ),
        (
            SecurityGroupRuleInsert {
                group_id: "999999".into(),
                ..ssh(&web)
            },
            UpstreamError::NotFound("invalid security group".into()),
        ),
    ];
    for (req, err) in cases {
        assert_eq!(
            u.client
                .securitygroup_rule_insert(&u.a, &req)
                .await
                .unwrap_err(),
            err,
            "{req:?}"
        );
    }
    assert_eq!(rules(&u, &u.a, &web).await.len(), 2, "nothing was added");

    let err = u
        .client
        .securitygroup_create(
            &u.a,
            &SecurityGroupCreate {
                region: REGION.into(),
                name: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, rejected("name not set"));
    let err = u
        .client
        .securitygroup_rule_list(
            &u.a,
            &SecurityGroupRuleList {
                region: REGION.into(),
                group_id: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, rejected("group_id not set"));
    let err = u
        .client
        .securitygroup_rule_delete(
            &u.a,
            &SecurityGroupRuleDelete {
                region: REGION.into(),
                group_id: web,
                rule_id: "9b7aecb7-e060-4ead-a658-4a45c78af7e2".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid rule".into()));
}

#[tokio::test]
async fn accounts_do_not_see_each_others_groups() {
    let u = upstream().await;
    let web = create(&u, &u.a, "web").await;
    let theirs = groups(&u, &u.b).await;
    assert_eq!(theirs.len(), 3, "b has only its defaults");
    assert!(theirs.iter().all(|g| g.name == "default"));
    let not_found = UpstreamError::NotFound("invalid security group".into());
    let err = u
        .client
        .securitygroup_rule_insert(&u.b, &ssh(&web))
        .await
        .unwrap_err();
    assert_eq!(err, not_found);
    let err = u
        .client
        .securitygroup_rename(
            &u.b,
            &SecurityGroupRename {
                region: REGION.into(),
                group_id: web.clone(),
                name: "mine".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found);
    let err = u
        .client
        .securitygroup_delete(
            &u.b,
            &SecurityGroupDelete {
                region: REGION.into(),
                group_id: web.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found);
    let err = u
        .client
        .securitygroup_rule_list(
            &u.b,
            &SecurityGroupRuleList {
                region: REGION.into(),
                group_id: web.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found);
    let mine = groups(&u, &u.a).await;
    assert_eq!(
        mine.iter()
            .find(|g| g.securitygroup_id == web)
            .unwrap()
            .name,
        "web"
    );
}
