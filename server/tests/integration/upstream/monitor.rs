//! `monitor/*` against the emulator: checks with their type parameters, contacts and alerts.

use app::server::lunanode::actions::*;
use app::server::lunanode::{Credential, UpstreamError};

use super::{upstream, Upstream};

async fn checks(u: &Upstream, cred: &Credential) -> Vec<MonitorCheck> {
    u.client
        .monitor_check_list(cred, &MonitorCheckList {})
        .await
        .unwrap()
        .checks
}

async fn contacts(u: &Upstream, cred: &Credential) -> Vec<MonitorContact> {
    u.client
        .monitor_contact_list(cred, &MonitorContactList {})
        .await
        .unwrap()
        .contacts
}

async fn alerts(u: &Upstream, cred: &Credential, check_id: &str) -> Vec<MonitorAlert> {
    u.client
        .monitor_alert_list(
            cred,
            &MonitorAlertList {
                check_id: check_id.into(),
            },
        )
        .await
        .unwrap()
        .alerts
}

async fn add_check(u: &Upstream, cred: &Credential, req: &MonitorCheckAdd) -> String {
    u.client
        .monitor_check_add(cred, req)
        .await
        .unwrap()
        .check_id
        .expect("the emulator answers the new id")
}

async fn add_contact(u: &Upstream, cred: &Credential, kind: &str, rel: &str) -> String {
    u.client
        .monitor_contact_add(
            cred,
            &MonitorContactAdd {
                contact_type: kind.into(),
                rel: rel.into(),
            },
        )
        .await
        .unwrap()
        .contact_id
        .expect("the emulator answers the new id")
}

#[tokio::test]
async fn monitor_check_types_catalogue() {
    let u = upstream().await;
    let types = u
        .client
        .monitor_check_types(&u.a, &MonitorCheckTypes {})
        .await
        .unwrap()
        .types;
    assert_eq!(
        types.keys().map(String::as_str).collect::<Vec<_>>(),
        ["dns", "http", "icmp", "ssl_expire", "tcp"]
    );
    let icmp = &types["icmp"];
    assert_eq!(
        (icmp.name.as_str(), icmp.short_name.as_str()),
        ("Ping (ICMP)", "Ping")
    );
    assert_eq!(
        icmp.params.keys().map(String::as_str).collect::<Vec<_>>(),
        ["force_ip", "packetloss", "target"]
    );
    let target = &icmp.params["target"];
    assert!(target.required);
    assert_eq!(target.kind, ParamKind::Text);
    assert_eq!(
        target.placeholder,
        "e.g. example.com or 1.2.3.4 or 2602:ffb6::1"
    );
    assert_eq!(icmp.params["packetloss"].kind, ParamKind::Boolean);
    let ParamKind::Choice(force_ip) = &icmp.params["force_ip"].kind else {
        panic!("force_ip is an enum");
    };
    assert_eq!(
        force_ip
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [("0", "Any"), ("4", "IPv4"), ("6", "IPv6")]
    );
    assert_eq!(icmp.params["force_ip"].default, "0");

    let keys = |code: &str| {
        types[code]
            .params
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys("http"),
        [
            "body",
            "expect_status",
            "expect_substring",
            "headers",
            "insecure",
            "method",
            "password",
            "timeout",
            "url",
            "username"
        ]
    );
    assert_eq!(
        keys("tcp"),
        ["address", "expect", "force_ip", "payload", "timeout"]
    );
    assert_eq!(keys("ssl_expire"), ["address", "days"]);
    assert_eq!(keys("dns"), ["expect", "name", "server", "type"]);
    assert_eq!(
        types["dns"].params["name"].help,
        "Name to perform query on."
    );
    assert!(types["http"].params["url"].required);
    assert!(!types["dns"].params["server"].required);
}

#[tokio::test]
async fn monitor_checks_lifecycle() {
    let u = upstream().await;
    assert!(checks(&u, &u.a).await.is_empty(), "[] when empty");

    let ping = add_check(
        &u,
        &u.a,
        &MonitorCheckAdd::new("ping-1.2.3.4", "icmp", 60, 1)
            .param("target", "1.2.3.4")
            .param("force_ip", ""),
    )
    .await;
    let listed = checks(&u, &u.a).await;
    assert_eq!(listed.len(), 1);
    let c = &listed[0];
    assert_eq!(c.id, ping);
    assert_eq!(
        (
            c.name.as_str(),
            c.check_type.as_str(),
            c.check_interval,
            c.delay
        ),
        ("ping-1.2.3.4", "icmp", Some(60), Some(1))
    );
    // The reference sample's exact data / data_nice / data_summary.
    assert_eq!(c.data, r#"{"target":"1.2.3.4"}"#);
    assert_eq!(c.data_nice.len(), 1);
    assert_eq!(c.data_nice["target"], "1.2.3.4");
    assert_eq!(c.data_summary, "target: 1.2.3.4");
    assert!(c.enabled && c.is_online());
    let details = c.type_details.as_ref().unwrap();
    assert_eq!(details.name, "Ping (ICMP)");
    assert_eq!(details.params.len(), 3);

    let web = add_check(
        &u,
        &u.a,
        &MonitorCheckAdd::new("web", "http", 300, 2)
            .param("url", "https://example.com/health?full=1")
            .param("method", "HEAD")
            .param("insecure", "yes")
            .param("password", "s3cret")
            .param("expect_status", "200")
            .param("headers", "Host: example.com\nX-Probe: 1"),
    )
    .await;
    let listed = checks(&u, &u.a).await;
    assert_eq!(listed.len(), 2);
    let c = listed.iter().find(|c| c.id == web).unwrap();
    let params = c.params();
    assert_eq!(
        params["url"], "https://example.com/health?full=1",
        "slashes survive"
    );
    assert_eq!(params["insecure"], "1");
    assert_eq!(params["password"], "s3cret");
    assert_eq!(params["headers"], "Host: example.com\nX-Probe: 1");
    assert_eq!(c.data_nice["password"], "********", "masked for display");
    assert!(!c.data_summary.contains("s3cret"));
    assert!(c
        .data_summary
        .starts_with("url: https://example.com/health?full=1, method: HEAD"));

    // tcp, ssl_expire and dns (whose `name` is the check's own name; see MonitorCheckAdd).
    let tcp = add_check(
        &u,
        &u.a,
        &MonitorCheckAdd::new("ssh", "tcp", 60, 0)
            .param("address", "[2602:ffb6::1]:22")
            .param("expect", "SSH-2.0")
            .param("force_ip", "6"),
    )
    .await;
    let ssl = add_check(
        &u,
        &u.a,
        &MonitorCheckAdd::new("cert", "ssl_expire", 86_400, 1)
            .param("address", "example.com:443")
            .param("days", "14"),
    )
    .await;
    let dns = add_check(
        &u,
        &u.a,
        &MonitorCheckAdd::new("example.com", "dns", 600, 3)
            .param("server", "8.8.8.8")
            .param("expect", "93.184."),
    )
    .await;
    let listed = checks(&u, &u.a).await;
    assert_eq!(listed.len(), 5);
    let by_id = |id: &str| listed.iter().find(|c| c.id == id).unwrap().clone();
    assert_eq!(
        by_id(&tcp).data_nice["force_ip"],
        "IPv6",
        "choice labels in data_nice"
    );
    assert_eq!(by_id(&ssl).params()["days"], "14");
    let dns_check = by_id(&dns);
    assert_eq!(dns_check.check_type, "dns");
    assert_eq!(dns_check.params()["name"], "example.com");
    assert!(
        !dns_check.params().contains_key("type"),
        "record type left at its default"
    );

    u.client
        .monitor_check_remove(
            &u.a,
            &MonitorCheckRemove {
                check_id: ping.clone(),
            },
        )
        .await
        .unwrap();
    let listed = checks(&u, &u.a).await;
    assert_eq!(listed.len(), 4);
    assert!(listed.iter().all(|c| c.id != ping));
    let err = u
        .client
        .monitor_check_remove(&u.a, &MonitorCheckRemove { check_id: ping })
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid check".into()));
}

#[tokio::test]
async fn monitor_check_add_validation() {
    let u = upstream().await;
    let base = || MonitorCheckAdd::new("ping", "icmp", 60, 1).param("target", "example.com");
    let rejected = |text: &str| UpstreamError::Rejected(text.into());
    let cases = [
        (
            MonitorCheckAdd {
                name: String::new(),
                ..base()
            },
            "name not set",
        ),
        (
            MonitorCheckAdd::new("ping", "icmp", 60, 1),
            "target not set",
        ),
        (
            MonitorCheckAdd {
                check_type: "smtp".into(),
                ..base()
            },
            "invalid check type",
        ),
        (
            MonitorCheckAdd {
                check_interval: 5,
                ..base()
            },
            "invalid check interval",
        ),
        (
            MonitorCheckAdd {
                delay: 1000,
                ..base()
            },
            "invalid delay",
        ),
        (base().param("force_ip", "5"), "invalid force_ip"),
        (base().param("packetloss", "maybe"), "invalid packetloss"),
        (base().param("target", "bad host!"), "invalid target"),
        (
            MonitorCheckAdd::new("web", "http", 60, 1).param("url", "ftp://example.com/"),
            "invalid url",
        ),
        (
            MonitorCheckAdd::new("web", "http", 60, 1)
                .param("url", "https://example.com/")
                .param("method", "FETCH"),
            "invalid method",
        ),
        (
            MonitorCheckAdd::new("web", "http", 60, 1)
                .param("url", "https://example.com/")
                .param("timeout", "120"),
            "invalid timeout",
        ),
        (
            MonitorCheckAdd::new("ssh", "tcp", 60, 1).param("address", "example.com"),
            "invalid address",
        ),
        (
            MonitorCheckAdd::new("not a host name", "dns", 60, 1),
            "invalid name",
        ),
    ];
    for (req, text) in cases {
        let err = u.client.monitor_check_add(&u.a, &req).await.unwrap_err();
        assert_eq!(err, rejected(text), "{req:?}");
    }
    assert!(checks(&u, &u.a).await.is_empty(), "nothing was added");
    let err = u
        .client
        .monitor_check_remove(
            &u.a,
            &MonitorCheckRemove {
                check_id: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, rejected("check_id not set"));
}

#[tokio::test]
async fn monitor_contacts_and_alerts() {
    let u = upstream().await;
    assert!(contacts(&u, &u.a).await.is_empty());
    let check = add_check(
        &u,
        &u.a,
        &MonitorCheckAdd::new("ping", "icmp", 60, 1).param("target", "203.0.113.5"),
    )
    .await;
    assert!(alerts(&u, &u.a, &check).await.is_empty());

    let mail = add_contact(&u, &u.a, "email", "ops@example.com").await;
    let hook = add_contact(&u, &u.a, "http", "https://hooks.example.com/alert").await;
    let sms = add_contact(&u, &u.a, "sms_twilio", "+1 416 555 0100").await;
    let listed = contacts(&u, &u.a).await;
    assert_eq!(listed.len(), 3);
    assert_eq!(
        listed[0],
        MonitorContact {
            id: mail.clone(),
            contact_type: "email".into(),
            rel: "ops@example.com".into(),
        }
    );
    assert_eq!(listed[1].rel, "https://hooks.example.com/alert");

    let a1 = u
        .client
        .monitor_alert_add(
            &u.a,
            &MonitorAlertAdd {
                check_id: check.clone(),
                contact_id: mail.clone(),
            },
        )
        .await
        .unwrap()
        .alert_id
        .unwrap();
    let a2 = u
        .client
        .monitor_alert_add(
            &u.a,
            &MonitorAlertAdd {
                check_id: check.clone(),
                contact_id: hook.clone(),
            },
        )
        .await
        .unwrap()
        .alert_id
        .unwrap();
    let listed = alerts(&u, &u.a, &check).await;
    assert_eq!(
        listed,
        [
            MonitorAlert {
                id: a1.clone(),
                check_id: check.clone(),
                contact_id: mail.clone(),
            },
            MonitorAlert {
                id: a2.clone(),
                check_id: check.clone(),
                contact_id: hook.clone(),
            }
        ]
    );
    let dup = u
        .client
        .monitor_alert_add(
            &u.a,
            &MonitorAlertAdd {
                check_id: check.clone(),
                contact_id: mail.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(dup, UpstreamError::Rejected("alert already exists".into()));

    u.client
        .monitor_alert_remove(
            &u.a,
            &MonitorAlertRemove {
                alert_id: a1.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(alerts(&u, &u.a, &check).await.len(), 1);
    let err = u
        .client
        .monitor_alert_remove(&u.a, &MonitorAlertRemove { alert_id: a1 })
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid alert".into()));

    // Removing a contact drops its alerts.
    u.client
        .monitor_contact_remove(
            &u.a,
            &MonitorContactRemove {
                contact_id: hook.clone(),
            },
        )
        .await
        .unwrap();
    assert!(alerts(&u, &u.a, &check).await.is_empty());
    let left = contacts(&u, &u.a).await;
    assert_eq!(
        left.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [mail.as_str(), sms.as_str()]
    );
    let err = u
        .client
        .monitor_contact_remove(&u.a, &MonitorContactRemove { contact_id: hook })
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid contact".into()));

    // Removing a check drops its alerts.
    u.client
        .monitor_alert_add(
            &u.a,
            &MonitorAlertAdd {
                check_id: check.clone(),
                contact_id: sms,
            },
        )
        .await
        .unwrap();
    u.client
        .monitor_check_remove(
            &u.a,
            &MonitorCheckRemove {
                check_id: check.clone(),
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .monitor_alert_list(&u.a, &MonitorAlertList { check_id: check })
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid check".into()));
}

#[tokio::test]
async fn monitor_contact_and_alert_validation() {
    let u = upstream().await;
    let rejected = |text: &str| UpstreamError::Rejected(text.into());
    for (kind, rel, text) in [
        ("", "ops@example.com", "type not set"),
        ("email", "", "rel not set"),
        ("pager", "123", "invalid contact type"),
        ("email", "not-an-address", "invalid e-mail address"),
        ("sms_twilio", "call me", "invalid phone number"),
        ("http", "hooks.example.com/alert", "invalid URL"),
    ] {
        let err = u
            .client
            .monitor_contact_add(
                &u.a,
                &MonitorContactAdd {
                    contact_type: kind.into(),
                    rel: rel.into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err, rejected(text), "{kind} {rel}");
    }
    assert!(contacts(&u, &u.a).await.is_empty());
    let mail = add_contact(&u, &u.a, "email", "ops@example.com").await;
    let err = u
        .client
        .monitor_contact_add(
            &u.a,
            &MonitorContactAdd {
                contact_type: "email".into(),
                rel: "ops@example.com".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, rejected("contact already exists"));

    let check = add_check(
        &u,
        &u.a,
        &MonitorCheckAdd::new("ping", "icmp", 60, 1).param("target", "example.com"),
    )
    .await;
    let alert = |check_id: &str, contact_id: &str| MonitorAlertAdd {
        check_id: check_id.into(),
        contact_id: contact_id.into(),
    };
    for (req, err) in [
        (alert("", &mail), rejected("check_id not set")),
        (alert(&check, ""), rejected("contact_id not set")),
        (
            alert("999999", &mail),
            UpstreamError::NotFound("invalid check".into()),
        ),
        (
            alert(&check, "999999"),
            UpstreamError::NotFound("invalid contact".into()),
        ),
    ] {
        assert_eq!(
            u.client.monitor_alert_add(&u.a, &req).await.unwrap_err(),
            err
        );
    }
    assert!(alerts(&u, &u.a, &check).await.is_empty());
}

#[tokio::test]
async fn monitor_accounts_are_isolated() {
    let u = upstream().await;
    let check = add_check(
        &u,
        &u.a,
        &MonitorCheckAdd::new("ping", "icmp", 60, 1).param("target", "example.com"),
    )
    .await;
    let contact = add_contact(&u, &u.a, "email", "ops@example.com").await;
    let alert = u
        .client
        .monitor_alert_add(
            &u.a,
            &MonitorAlertAdd {
                check_id: check.clone(),
                contact_id: contact.clone(),
            },
        )
        .await
        .unwrap()
        .alert_id
        .unwrap();

    assert!(checks(&u, &u.b).await.is_empty());
    assert!(contacts(&u, &u.b).await.is_empty());
    let not_found = |thing: &str| UpstreamError::NotFound(format!("invalid {thing}"));
    assert_eq!(
        u.client
            .monitor_alert_list(
                &u.b,
                &MonitorAlertList {
                    check_id: check.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found("check")
    );
    let b_contact = add_contact(&u, &u.b, "email", "intruder@example.org").await;
    assert_eq!(
        u.client
            .monitor_alert_add(
                &u.b,
                &MonitorAlertAdd {
                    check_id: check.clone(),
                    contact_id: b_contact,
                },
            )
            .await
            .unwrap_err(),
        not_found("check")
    );
    assert_eq!(
        u.client
            .monitor_check_remove(
                &u.b,
                &MonitorCheckRemove {
                    check_id: check.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found("check")
    );
    assert_eq!(
        u.client
            .monitor_contact_remove(
                &u.b,
                &MonitorContactRemove {
                    contact_id: contact.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found("contact")
    );
    assert_eq!(
        u.client
            .monitor_alert_remove(
                &u.b,
                &MonitorAlertRemove {
                    alert_id: alert.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found("alert")
    );
    // Account a is untouched.
    assert_eq!(checks(&u, &u.a).await.len(), 1);
    assert_eq!(contacts(&u, &u.a).await.len(), 1);
    assert_eq!(alerts(&u, &u.a, &check).await[0].id, alert);
}
