//! `dns/*` against the emulator.

use std::collections::BTreeMap;

use app::server::lunanode::actions::*;
use app::server::lunanode::{Credential, UpstreamError};

use super::{upstream, Upstream};

fn rejected(text: &str) -> UpstreamError {
    UpstreamError::Rejected(text.into())
}

fn not_found(text: &str) -> UpstreamError {
    UpstreamError::NotFound(text.into())
}

async fn rdns(u: &Upstream, cred: &Credential) -> Vec<ReverseDns> {
    u.client.dns_list(cred, &DnsList {}).await.unwrap().dns
}

async fn set(
    u: &Upstream,
    cred: &Credential,
    ip: &str,
    hostname: &str,
) -> Result<(), UpstreamError> {
    u.client
        .dns_set(
            cred,
            &DnsSet {
                ip: ip.into(),
                hostname: hostname.into(),
            },
        )
        .await
        .map(|_| ())
}

async fn dyns(u: &Upstream, cred: &Credential) -> Vec<DnsDyn> {
    u.client
        .dns_dyn_list(cred, &DnsDynList {})
        .await
        .unwrap()
        .dyns
}

#[tokio::test]
async fn dns_reverse_dns_of_the_accounts_vms() {
    let u = upstream().await;
    assert!(rdns(&u, &u.a).await.is_empty(), "no VMs, no addresses");
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
    let ip = u.client.vm_list(&u.a, &VmList {}).await.unwrap().vms[0]
        .primaryip
        .clone();
    let octets: Vec<&str> = ip.split('.').rev().collect();
    let default = format!("{}.rdns.lunanode.com.", octets.join("."));

    let table = rdns(&u, &u.a).await;
    assert_eq!(
        table,
        [ReverseDns {
            vm_name: "web1".into(),
            vm_id: vm_id.clone(),
            ip: ip.clone(),
            hostname: default.clone(),
        }]
    );
    assert_eq!(table[0].ptr(), Some(default.as_str()));

    set(&u, &u.a, &ip, "Web1.Example.com").await.unwrap();
    assert_eq!(rdns(&u, &u.a).await[0].hostname, "web1.example.com.");
    set(&u, &u.a, &ip, "mail.example.com.").await.unwrap();
    assert_eq!(rdns(&u, &u.a).await[0].hostname, "mail.example.com.");
    set(&u, &u.a, &ip, RDNS_RESET).await.unwrap();
    assert_eq!(rdns(&u, &u.a).await[0].hostname, default, "\".\" resets");

    // Missing parameter, bad values, an address that is not the account's.
    assert_eq!(
        set(&u, &u.a, &ip, "").await.unwrap_err(),
        rejected("hostname not set")
    );
    assert_eq!(
        set(&u, &u.a, "", "x.example.com").await.unwrap_err(),
        rejected("ip not set")
    );
    assert_eq!(
        set(&u, &u.a, "203.0.113.300", "x.example.com")
            .await
            .unwrap_err(),
        rejected("invalid IP address")
    );
    assert_eq!(
        set(&u, &u.a, &ip, "not a hostname").await.unwrap_err(),
        rejected("invalid hostname")
    );
    assert_eq!(
        set(&u, &u.a, &ip, "localhost").await.unwrap_err(),
        rejected("invalid hostname")
    );
    assert_eq!(
        set(&u, &u.a, "198.51.100.7", "x.example.com")
            .await
            .unwrap_err(),
        not_found("invalid ip")
    );

    // Another account neither sees nor sets it.
    assert!(rdns(&u, &u.b).await.is_empty());
    assert_eq!(
        set(&u, &u.b, &ip, "evil.example.com").await.unwrap_err(),
        not_found("invalid ip")
    );
    assert_eq!(rdns(&u, &u.a).await[0].hostname, default);

    // A deleted VM's address leaves the table.
    set(&u, &u.a, &ip, "web1.example.com").await.unwrap();
    u.client.vm_delete(&u.a, &VmDelete { vm_id }).await.unwrap();
    assert!(rdns(&u, &u.a).await.is_empty());
}

#[tokio::test]
async fn dns_legacy_zones_and_records() {
    let u = upstream().await;
    assert!(u
        .client
        .dns_zone_list(&u.a, &DnsZoneList {})
        .await
        .unwrap()
        .zones
        .is_empty());
    let zone_id = u
        .client
        .dns_zone_add(
            &u.a,
            &DnsZoneAdd {
                origin: "example.tld.".into(),
                ttl: None,
            },
        )
        .await
        .unwrap()
        .zone_id
        .expect("the emulator answers zone_id");
    let other = u
        .client
        .dns_zone_add(
            &u.a,
            &DnsZoneAdd {
                origin: "Example.org".into(),
                ttl: Some(600),
            },
        )
        .await
        .unwrap()
        .zone_id
        .unwrap();
    let zones = u
        .client
        .dns_zone_list(&u.a, &DnsZoneList {})
        .await
        .unwrap()
        .zones;
    assert_eq!(
        zones,
        [
            DnsZone {
                id: zone_id.clone(),
                origin: "example.tld.".into(),
                ttl: Some(3600)
            },
            DnsZone {
                id: other.clone(),
                origin: "example.org.".into(),
                ttl: Some(600)
            }
        ]
    );

    let add = |name: &str, record_type: DnsRecordType, data: &str| DnsRecordAdd {
        zone_id: zone_id.clone(),
        name: name.into(),
        data: data.into(),
        ttl: 300,
        record_type,
    };
    let adds = [
        add("www", DnsRecordType::A, "203.0.113.5"),
        add("www", DnsRecordType::AAAA, "2602:ffb6::5"),
        add("blog", DnsRecordType::CNAME, "www.example.tld."),
        add("@", DnsRecordType::HINFO, "\"Intel Xeon\" Linux"),
        add("@", DnsRecordType::MX, "10 mail.example.tld."),
        add(
            "@",
            DnsRecordType::NAPTR,
            "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.tld.",
        ),
        add("sub", DnsRecordType::NS, "ns1.example.org."),
        add("5", DnsRecordType::PTR, "web1.example.tld."),
        add("@", DnsRecordType::RP, "admin.example.tld. ."),
        add(
            "_sip._udp",
            DnsRecordType::SRV,
            "10 5 5060 sip.example.tld.",
        ),
        add("@", DnsRecordType::TXT, "v=spf1 mx -all"),
    ];
    let mut ids = Vec::new();
    for req in &adds {
        let added = u.client.dns_record_add(&u.a, req).await.unwrap();
        ids.push(added.record_id.expect("the emulator answers record_id"));
    }
    let list = |zone_id: String| {
        let client = &u.client;
        let a = &u.a;
        async move { client.dns_record_list(a, &DnsRecordList { zone_id }).await }
    };
    let records = list(zone_id.clone()).await.unwrap().records;
    assert_eq!(records.len(), adds.len());
    let mut kinds: Vec<_> = records.iter().filter_map(DnsRecord::kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    let mut all = DnsRecordType::ALL.to_vec();
    all.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, all);
    let mx = records.iter().find(|r| r.id == ids[4]).unwrap();
    assert_eq!(
        (
            mx.name.as_str(),
            mx.record_type.as_str(),
            mx.data.as_str(),
            mx.ttl
        ),
        ("example.tld.", "MX", "10 mail.example.tld.", Some(300))
    );
    assert_eq!(records[0].name, "www.example.tld.");
    assert!(list(other.clone()).await.unwrap().records.is_empty());

    // Removed by record id alone.
    u.client
        .dns_record_remove(
            &u.a,
            &DnsRecordRemove {
                record_id: ids[0].clone(),
            },
        )
        .await
        .unwrap();
    let records = list(zone_id.clone()).await.unwrap().records;
    assert_eq!(records.len(), adds.len() - 1);
    assert!(records.iter().all(|r| r.id != ids[0]));
    assert_eq!(
        u.client
            .dns_record_remove(
                &u.a,
                &DnsRecordRemove {
                    record_id: ids[0].clone()
                }
            )
            .await
            .unwrap_err(),
        not_found("invalid record")
    );

    // Bad input.
    let cases = [
        (
            add("@", DnsRecordType::MX, "mail.example.tld."),
            rejected("invalid MX data"),
        ),
        (
            add("_sip._udp", DnsRecordType::SRV, "5 5060 sip.example.tld."),
            rejected("invalid SRV data"),
        ),
        (
            add("www", DnsRecordType::A, "2602:ffb6::5"),
            rejected("invalid IPv4 address"),
        ),
        (
            add("x", DnsRecordType::PTR, "203.0.113.5"),
            rejected("invalid PTR target"),
        ),
        (
            add("blog", DnsRecordType::A, "203.0.113.9"),
            rejected("a CNAME record cannot share its name with other records"),
        ),
        (
            add("www", DnsRecordType::AAAA, "2602:ffb6::5"),
            rejected("record already exists"),
        ),
        (
            add("www.example.com.", DnsRecordType::A, "203.0.113.9"),
            rejected("invalid name"),
        ),
        (
            add("", DnsRecordType::A, "203.0.113.9"),
            rejected("name not set"),
        ),
        (
            DnsRecordAdd {
                zone_id: "424242".into(),
                ..add("www", DnsRecordType::A, "203.0.113.9")
            },
            not_found("invalid zone"),
        ),
    ];
    for (req, want) in cases {
        let err = u.client.dns_record_add(&u.a, &req).await.unwrap_err();
        assert_eq!(err, want, "{req:?}");
    }
    let raw: BTreeMap<String, String> = [
        ("zone_id", zone_id.as_str()),
        ("name", "www"),
        ("data", "203.0.113.9"),
        ("ttl", "300"),
        ("type", "ALIAS"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(
        u.client
            .call_value(&u.a, "dns/record-add", &raw, false)
            .await
            .unwrap_err(),
        rejected("invalid record type"),
        "ALIAS is dns2-only"
    );
    for (origin, want) in [
        ("", rejected("origin not set")),
        ("tld", rejected("invalid origin")),
        ("EXAMPLE.tld", rejected("zone already exists")),
    ] {
        let err = u
            .client
            .dns_zone_add(
                &u.a,
                &DnsZoneAdd {
                    origin: origin.into(),
                    ttl: None,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err, want, "{origin:?}");
    }

    u.client
        .dns_zone_remove(
            &u.a,
            &DnsZoneRemove {
                zone_id: zone_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        list(zone_id.clone()).await.unwrap_err(),
        not_found("invalid zone")
    );
    assert_eq!(
        u.client
            .dns_record_remove(
                &u.a,
                &DnsRecordRemove {
                    record_id: ids[1].clone()
                }
            )
            .await
            .unwrap_err(),
        not_found("invalid record"),
        "records went with the zone"
    );
    assert_eq!(
        u.client
            .dns_zone_remove(&u.a, &DnsZoneRemove { zone_id })
            .await
            .unwrap_err(),
        not_found("invalid zone")
    );
    let zones = u
        .client
        .dns_zone_list(&u.a, &DnsZoneList {})
        .await
        .unwrap()
        .zones;
    assert_eq!(zones.len(), 1);
    assert_eq!(zones[0].id, other);
}

#[tokio::test]
async fn dns_dynamic_names() {
    let u = upstream().await;
    assert!(dyns(&u, &u.a).await.is_empty());
    u.client
        .dns_dyn_add(
            &u.a,
            &DnsDynAdd {
                name: "btcpay123456".into(),
                ip: "203.0.113.5".into(),
            },
        )
        .await
        .unwrap();
    u.client
        .dns_dyn_add(
            &u.a,
            &DnsDynAdd {
                name: "Home.lndyn.com".into(),
                ip: "2602:ffb6::5".into(),
            },
        )
        .await
        .unwrap();
    let listed = dyns(&u, &u.a).await;
    assert_eq!(listed.len(), 2);
    // dyn-add answers no id: find the entry by name, as BTCPAY does.
    let btcpay = listed.iter().find(|d| d.name == "btcpay123456").unwrap();
    assert_eq!(btcpay.ip, "203.0.113.5");
    let home = listed.iter().find(|d| d.name == "home").unwrap().clone();
    assert_eq!(home.ip, "2602:ffb6::5");

    u.client
        .dns_dyn_update(
            &u.a,
            &DnsDynUpdate {
                dyn_id: btcpay.id.clone(),
                name: "shop".into(),
                ip: "203.0.113.9".into(),
            },
        )
        .await
        .unwrap();
    let listed = dyns(&u, &u.a).await;
    assert!(listed.contains(&DnsDyn {
        id: btcpay.id.clone(),
        name: "shop".into(),
        ip: "203.0.113.9".into()
    }));
    // Updating an entry to its own name is fine.
    u.client
        .dns_dyn_update(
            &u.a,
            &DnsDynUpdate {
                dyn_id: home.id.clone(),
                name: "home".into(),
                ip: "203.0.113.10".into(),
            },
        )
        .await
        .unwrap();

    let add = |name: &str, ip: &str| DnsDynAdd {
        name: name.into(),
        ip: ip.into(),
    };
    for (req, want) in [
        (add("shop", "203.0.113.1"), rejected("name already in use")),
        (add("bad name", "203.0.113.1"), rejected("invalid name")),
        (add("a.b", "203.0.113.1"), rejected("invalid name")),
        (add("box", "203.0.113"), rejected("invalid IP address")),
        (add("", "203.0.113.1"), rejected("name not set")),
        (add("box", ""), rejected("ip not set")),
    ] {
        let err = u.client.dns_dyn_add(&u.a, &req).await.unwrap_err();
        assert_eq!(err, want, "{req:?}");
    }
    let update = |dyn_id: &str, name: &str| DnsDynUpdate {
        dyn_id: dyn_id.into(),
        name: name.into(),
        ip: "203.0.113.1".into(),
    };
    for (req, want) in [
        (update(&home.id, "shop"), rejected("name already in use")),
        (update("424242", "x"), not_found("invalid dyn")),
        (update("", "x"), rejected("dyn_id not set")),
    ] {
        let err = u.client.dns_dyn_update(&u.a, &req).await.unwrap_err();
        assert_eq!(err, want, "{req:?}");
    }

    // Another account sees and touches none of them.
    assert!(dyns(&u, &u.b).await.is_empty());
    assert_eq!(
        u.client
            .dns_dyn_update(&u.b, &update(&home.id, "mine"))
            .await
            .unwrap_err(),
        not_found("invalid dyn")
    );
    assert_eq!(
        u.client
            .dns_dyn_remove(
                &u.b,
                &DnsDynRemove {
                    dyn_id: home.id.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found("invalid dyn")
    );

    for d in dyns(&u, &u.a).await {
        u.client
            .dns_dyn_remove(&u.a, &DnsDynRemove { dyn_id: d.id })
            .await
            .unwrap();
    }
    assert!(dyns(&u, &u.a).await.is_empty());
    assert_eq!(
        u.client
            .dns_dyn_remove(&u.a, &DnsDynRemove { dyn_id: home.id })
            .await
            .unwrap_err(),
        not_found("invalid dyn")
    );
}

#[tokio::test]
async fn dns_legacy_zones_are_per_account() {
    let u = upstream().await;
    let zone_id = u
        .client
        .dns_zone_add(
            &u.a,
            &DnsZoneAdd {
                origin: "example.tld".into(),
                ttl: None,
            },
        )
        .await
        .unwrap()
        .zone_id
        .unwrap();
    let record_id = u
        .client
        .dns_record_add(
            &u.a,
            &DnsRecordAdd {
                zone_id: zone_id.clone(),
                name: "www".into(),
                data: "203.0.113.5".into(),
                ttl: 300,
                record_type: DnsRecordType::A,
            },
        )
        .await
        .unwrap()
        .record_id
        .unwrap();

    assert!(u
        .client
        .dns_zone_list(&u.b, &DnsZoneList {})
        .await
        .unwrap()
        .zones
        .is_empty());
    let err = u
        .client
        .dns_record_list(
            &u.b,
            &DnsRecordList {
                zone_id: zone_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid zone"));
    let err = u
        .client
        .dns_record_remove(
            &u.b,
            &DnsRecordRemove {
                record_id: record_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid record"));
    let err = u
        .client
        .dns_zone_remove(
            &u.b,
            &DnsZoneRemove {
                zone_id: zone_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid zone"));
    let records = u
        .client
        .dns_record_list(&u.a, &DnsRecordList { zone_id })
        .await
        .unwrap()
        .records;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, record_id);
}
