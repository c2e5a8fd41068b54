//! `dns2/*` against the emulator.

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

async fn add_zone(u: &Upstream, cred: &Credential, name: &str) -> String {
    u.client
        .dns2_zone_add(
            cred,
            &Dns2ZoneAdd {
                name: name.into(),
                ttl: 3600,
            },
        )
        .await
        .unwrap()
        .zone_id
        .expect("the emulator answers zone_id")
}

async fn records(u: &Upstream, cred: &Credential, zone_id: &str) -> Vec<Dns2Record> {
    u.client
        .dns2_record_list(
            cred,
            &Dns2RecordList {
                zone_id: zone_id.into(),
            },
        )
        .await
        .unwrap()
        .records
}

/// Calls `path` with hand-made parameters (for values the typed requests cannot express).
async fn raw(u: &Upstream, path: &str, params: &[(&str, &str)]) -> UpstreamError {
    let params: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    u.client
        .call_value(&u.a, path, &params, false)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn dns2_zone_and_record_lifecycle() {
    let u = upstream().await;
    let zones = u
        .client
        .dns2_zone_list(&u.a, &Dns2ZoneList {})
        .await
        .unwrap();
    assert!(zones.zones.is_empty(), "an empty map arrives as []");

    let zone_id = add_zone(&u, &u.a, "Example.com").await;
    let zones = u
        .client
        .dns2_zone_list(&u.a, &Dns2ZoneList {})
        .await
        .unwrap();
    assert_eq!(
        zones.zones,
        [Dns2Zone {
            id: zone_id.clone(),
            name: "example.com.".into(),
            ttl: Some(3600)
        }],
        "stored lower case with a trailing dot"
    );
    assert!(records(&u, &u.a, &zone_id).await.is_empty());

    // One record of every type; names relative, absolute or `@`.
    let adds = [
        Dns2RecordAdd::new(&zone_id, "www", Dns2RecordType::A, "203.0.113.5", 300),
        Dns2RecordAdd::new(
            &zone_id,
            "www.example.com.",
            Dns2RecordType::AAAA,
            "2602:ffb6::5",
            300,
        ),
        Dns2RecordAdd::new(
            &zone_id,
            "blog",
            Dns2RecordType::CNAME,
            "www.example.com.",
            300,
        ),
        Dns2RecordAdd::new(&zone_id, "@", Dns2RecordType::ALIAS, "lb.example.net.", 300),
        Dns2RecordAdd {
            aux: Some(10),
            ..Dns2RecordAdd::new(&zone_id, "@", Dns2RecordType::MX, "mail.example.com.", 3600)
        },
        Dns2RecordAdd::new(
            &zone_id,
            "sub",
            Dns2RecordType::NS,
            "ns1.example.org.",
            86400,
        ),
        Dns2RecordAdd::new(
            &zone_id,
            "_dmarc",
            Dns2RecordType::TXT,
            "v=DMARC1; p=none",
            300,
        ),
        Dns2RecordAdd::new(&zone_id, "@", Dns2RecordType::SPF, "v=spf1 mx -all", 300),
        Dns2RecordAdd {
            aux: Some(20),
            ..Dns2RecordAdd::new(
                &zone_id,
                "_sip._tcp",
                Dns2RecordType::SRV,
                "5 5060 sip.example.com.",
                300,
            )
        },
    ];
    let mut ids = Vec::new();
    for add in &adds {
        ids.push(u.client.dns2_record_add(&u.a, add).await.unwrap().record_id);
    }
    let listed = records(&u, &u.a, &zone_id).await;
    assert_eq!(listed.len(), adds.len());
    let by_id = |id: &str| listed.iter().find(|r| r.id == id).unwrap();
    let www = by_id(&ids[0]);
    assert_eq!(
        (
            www.name.as_str(),
            www.kind(),
            www.data.as_str(),
            www.ttl,
            www.policy.as_str(),
            www.global
        ),
        (
            "www.example.com.",
            Some(Dns2RecordType::A),
            "203.0.113.5",
            Some(300),
            "none",
            Some(true)
        )
    );
    assert_eq!(by_id(&ids[1]).name, "www.example.com.");
    assert_eq!(by_id(&ids[3]).name, "example.com.", "@ is the apex");
    let mx = by_id(&ids[4]);
    assert_eq!((mx.kind(), mx.aux), (Some(Dns2RecordType::MX), Some(10)));
    let srv = by_id(&ids[8]);
    assert_eq!(
        (srv.name.as_str(), srv.aux, srv.data.as_str()),
        (
            "_sip._tcp.example.com.",
            Some(20),
            "5 5060 sip.example.com."
        )
    );
    let mut kinds: Vec<_> = listed.iter().filter_map(Dns2Record::kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    let mut all = Dns2RecordType::ALL.to_vec();
    all.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, all);

    // Round-robin: a second A record for the same name is fine.
    u.client
        .dns2_record_add(
            &u.a,
            &Dns2RecordAdd::new(&zone_id, "www", Dns2RecordType::A, "203.0.113.6", 300),
        )
        .await
        .unwrap();

    u.client
        .dns2_record_remove(
            &u.a,
            &Dns2RecordRemove {
                zone_id: zone_id.clone(),
                record_id: ids[0].clone(),
            },
        )
        .await
        .unwrap();
    let listed = records(&u, &u.a, &zone_id).await;
    assert_eq!(listed.len(), adds.len());
    assert!(listed.iter().all(|r| r.id != ids[0]));
    let err = u
        .client
        .dns2_record_remove(
            &u.a,
            &Dns2RecordRemove {
                zone_id: zone_id.clone(),
                record_id: ids[0].clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid record"));

    u.client
        .dns2_zone_remove(
            &u.a,
            &Dns2ZoneRemove {
                zone_id: zone_id.clone(),
            },
        )
        .await
        .unwrap();
    assert!(u
        .client
        .dns2_zone_list(&u.a, &Dns2ZoneList {})
        .await
        .unwrap()
        .zones
        .is_empty());
    let err = u
        .client
        .dns2_record_list(&u.a, &Dns2RecordList { zone_id })
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid zone"), "records went with the zone");
}

#[tokio::test]
async fn dns2_geo_options_and_update_in_place() {
    let u = upstream().await;
    let zone_id = add_zone(&u, &u.a, "example.com.").await;
    // Failover names one of the account's monitor checks (another's is refused below).
    let check = u
        .client
        .monitor_check_add(
            &u.a,
            &MonitorCheckAdd::new("ping", "icmp", 60, 1).param("target", "203.0.113.5"),
        )
        .await
        .unwrap()
        .check_id
        .expect("the emulator answers the new id");

    let latlong = Dns2RecordAdd {
        policy: Some(Dns2Policy::Latlong),
        latitude: Some(43.65),
        longitude: Some(-79.38),
        weight: Some(5),
        monitor_id: Some(check.clone()),
        ..Dns2RecordAdd::new(&zone_id, "geo", Dns2RecordType::A, "203.0.113.5", 60)
    };
    let id = u
        .client
        .dns2_record_add(&u.a, &latlong)
        .await
        .unwrap()
        .record_id;
    let region = Dns2RecordAdd {
        policy: Some(Dns2Policy::Region),
        region: Some("na-east".into()),
        regiongroup: Some("north-america".into()),
        country: Some("ca".into()),
        continent: Some("NA".into()),
        global: Some(false),
        ..Dns2RecordAdd::new(&zone_id, "geo", Dns2RecordType::A, "203.0.113.9", 60)
    };
    let region_id = u
        .client
        .dns2_record_add(&u.a, &region)
        .await
        .unwrap()
        .record_id;
    let listed = records(&u, &u.a, &zone_id).await;
    let r = listed.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        (
            r.policy.as_str(),
            r.latitude,
            r.longitude,
            r.weight,
            r.monitor_id.as_deref()
        ),
        (
            "latlong",
            Some(43.65),
            Some(-79.38),
            Some(5),
            Some(check.as_str())
        )
    );
    let g = listed.iter().find(|r| r.id == region_id).unwrap();
    assert_eq!(
        (
            g.policy.as_str(),
            g.region.as_str(),
            g.regiongroup.as_str(),
            g.country.as_str(),
            g.continent.as_str(),
            g.global
        ),
        (
            "region",
            "na-east",
            "north-america",
            "CA",
            "NA",
            Some(false)
        )
    );
    assert_eq!((g.latitude, g.monitor_id.as_deref()), (None, None));

    // orig_record_id updates in place: same id, new values, no extra record.
    let updated = u
        .client
        .dns2_record_add(
            &u.a,
            &Dns2RecordAdd {
                orig_record_id: Some(id.clone()),
                weight: Some(10),
                ttl: 120,
                data: "203.0.113.7".into(),
                ..latlong.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.record_id, id);
    let listed = records(&u, &u.a, &zone_id).await;
    assert_eq!(listed.len(), 2);
    let r = listed.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        (r.data.as_str(), r.ttl, r.weight),
        ("203.0.113.7", Some(120), Some(10))
    );
    // Re-saving a record unchanged is not a duplicate of itself.
    u.client
        .dns2_record_add(
            &u.a,
            &Dns2RecordAdd {
                orig_record_id: Some(region_id.clone()),
                ..region.clone()
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .dns2_record_add(
            &u.a,
            &Dns2RecordAdd {
                orig_record_id: Some("999999".into()),
                ..region
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid record"));
}

#[tokio::test]
async fn dns2_rejects_bad_input() {
    let u = upstream().await;
    let zone_id = add_zone(&u, &u.a, "example.com").await;
    let a =
        |name: &str, data: &str| Dns2RecordAdd::new(&zone_id, name, Dns2RecordType::A, data, 300);

    // Missing parameters.
    let cases: Vec<(Dns2RecordAdd, UpstreamError)> = vec![
        (
            Dns2RecordAdd {
                zone_id: String::new(),
                ..a("www", "203.0.113.5")
            },
            rejected("zone_id not set"),
        ),
        (a("", "203.0.113.5"), rejected("name not set")),
        (a("www", ""), rejected("data not set")),
        (
            Dns2RecordAdd::new(&zone_id, "@", Dns2RecordType::MX, "mail.example.com.", 300),
            rejected("aux not set"),
        ),
        (
            Dns2RecordAdd {
                policy: Some(Dns2Policy::Latlong),
                ..a("www", "203.0.113.5")
            },
            rejected("latitude not set"),
        ),
        // Bad values.
        (a("www", "2602:ffb6::5"), rejected("invalid IPv4 address")),
        (
            Dns2RecordAdd::new(&zone_id, "www", Dns2RecordType::AAAA, "203.0.113.5", 300),
            rejected("invalid IPv6 address"),
        ),
        (
            Dns2RecordAdd::new(&zone_id, "www", Dns2RecordType::CNAME, "203.0.113.5", 300),
            rejected("invalid CNAME target"),
        ),
        (
            Dns2RecordAdd {
                aux: Some(10),
                ..Dns2RecordAdd::new(
                    &zone_id,
                    "_sip._tcp",
                    Dns2RecordType::SRV,
                    "sip.example.com.",
                    300,
                )
            },
            rejected("invalid SRV data"),
        ),
        (
            Dns2RecordAdd::new(&zone_id, "@", Dns2RecordType::SPF, "include:x", 300),
            rejected("invalid SPF data"),
        ),
        (a("www.other.org.", "203.0.113.5"), rejected("invalid name")),
        (
            Dns2RecordAdd {
                ttl: 0,
                ..a("www", "203.0.113.5")
            },
            rejected("invalid ttl"),
        ),
        (
            Dns2RecordAdd {
                latitude: Some(91.0),
                longitude: Some(0.0),
                ..a("www", "203.0.113.5")
            },
            rejected("invalid latitude"),
        ),
        (
            Dns2RecordAdd {
                country: Some("Canada".into()),
                ..a("www", "203.0.113.5")
            },
            rejected("invalid country"),
        ),
        (
            Dns2RecordAdd {
                continent: Some("XX".into()),
                ..a("www", "203.0.113.5")
            },
            rejected("invalid continent"),
        ),
        (
            Dns2RecordAdd::new(
                &zone_id,
                "@",
                Dns2RecordType::CNAME,
                "www.example.com.",
                300,
            ),
            rejected("a CNAME record cannot be at the zone apex (use ALIAS)"),
        ),
        // Unknown ids.
        (
            Dns2RecordAdd {
                zone_id: "424242".into(),
                ..a("www", "203.0.113.5")
            },
            not_found("invalid zone"),
        ),
        (
            Dns2RecordAdd {
                zone_id: "not-a-number".into(),
                ..a("www", "203.0.113.5")
            },
            not_found("invalid zone"),
        ),
        (
            Dns2RecordAdd {
                monitor_id: Some("x".into()),
                ..a("www", "203.0.113.5")
            },
            not_found("invalid check"),
        ),
        (
            // Well formed, but no check of the account.
            Dns2RecordAdd {
                monitor_id: Some("999999".into()),
                ..a("www", "203.0.113.5")
            },
            not_found("invalid check"),
        ),
    ];
    for (req, want) in cases {
        let err = u.client.dns2_record_add(&u.a, &req).await.unwrap_err();
        assert_eq!(err, want, "{req:?}");
    }
    assert!(
        records(&u, &u.a, &zone_id).await.is_empty(),
        "nothing stored"
    );

    // Values the typed request cannot even express.
    let base = [
        ("zone_id", zone_id.as_str()),
        ("name", "www"),
        ("data", "203.0.113.5"),
        ("ttl", "300"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        v
    };
    assert_eq!(
        raw(&u, "dns2/record-add", &with(&[("type", "PTR")])).await,
        rejected("invalid record type")
    );
    assert_eq!(
        raw(
            &u,
            "dns2/record-add",
            &with(&[("type", "A"), ("policy", "nearest")])
        )
        .await,
        rejected("invalid policy")
    );
    assert_eq!(
        raw(
            &u,
            "dns2/record-add",
            &with(&[("type", "A"), ("global", "maybe")])
        )
        .await,
        rejected("invalid global")
    );
    assert_eq!(
        raw(
            &u,
            "dns2/record-add",
            &with(&[("type", "A"), ("aux", "-1")])
        )
        .await,
        rejected("invalid aux")
    );

    // CNAMEs own their name; duplicates are refused.
    u.client
        .dns2_record_add(&u.a, &a("www", "203.0.113.5"))
        .await
        .unwrap();
    let err = u
        .client
        .dns2_record_add(&u.a, &a("www", "203.0.113.5"))
        .await
        .unwrap_err();
    assert_eq!(err, rejected("record already exists"));
    let err = u
        .client
        .dns2_record_add(
            &u.a,
            &Dns2RecordAdd::new(
                &zone_id,
                "www",
                Dns2RecordType::CNAME,
                "web.example.net.",
                300,
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        rejected("a CNAME record cannot share its name with other records")
    );

    // Zones.
    for (name, want) in [
        ("", rejected("name not set")),
        ("localhost", rejected("invalid zone name")),
        ("203.0.113.5", rejected("invalid zone name")),
        ("EXAMPLE.com.", rejected("zone already exists")),
    ] {
        let err = u
            .client
            .dns2_zone_add(
                &u.a,
                &Dns2ZoneAdd {
                    name: name.into(),
                    ttl: 3600,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err, want, "{name:?}");
    }
    assert_eq!(
        raw(&u, "dns2/zone-add", &[("name", "example.org")]).await,
        rejected("ttl not set")
    );
    let err = u
        .client
        .dns2_zone_remove(
            &u.a,
            &Dns2ZoneRemove {
                zone_id: "424242".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid zone"));
    let err = u
        .client
        .dns2_record_remove(
            &u.a,
            &Dns2RecordRemove {
                zone_id: zone_id.clone(),
                record_id: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, rejected("record_id not set"));
}

#[tokio::test]
async fn dns2_accounts_are_isolated() {
    let u = upstream().await;
    let zone_id = add_zone(&u, &u.a, "example.com").await;
    let record_id = u
        .client
        .dns2_record_add(
            &u.a,
            &Dns2RecordAdd::new(&zone_id, "www", Dns2RecordType::A, "203.0.113.5", 300),
        )
        .await
        .unwrap()
        .record_id;

    assert!(u
        .client
        .dns2_zone_list(&u.b, &Dns2ZoneList {})
        .await
        .unwrap()
        .zones
        .is_empty());
    let err = u
        .client
        .dns2_record_list(
            &u.b,
            &Dns2RecordList {
                zone_id: zone_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid zone"));
    let err = u
        .client
        .dns2_record_add(
            &u.b,
            &Dns2RecordAdd::new(&zone_id, "evil", Dns2RecordType::A, "198.51.100.1", 300),
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid zone"));
    let err = u
        .client
        .dns2_record_remove(
            &u.b,
            &Dns2RecordRemove {
                zone_id: zone_id.clone(),
                record_id: record_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid zone"));
    let err = u
        .client
        .dns2_zone_remove(
            &u.b,
            &Dns2ZoneRemove {
                zone_id: zone_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, not_found("invalid zone"));

    // Account a's zone and record are untouched.
    let listed = records(&u, &u.a, &zone_id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, record_id);
}
