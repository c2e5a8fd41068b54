//! The DNS area through the panel's server functions against the emulator: zones of both
//! kinds (an internationalized name shown both ways), records of every policy kind checked
//! field by field, zone files out and in (a preview that writes nothing, a bad line refused
//! alone), reverse DNS and "publish DNS" for a VM, dynamic names with update links a router
//! calls. Customers see and act only on their zones, addresses and names.

use app::components::list::PageOf;
use app::dns::{
    DynView, ImportPreview, PublishOptions, Published, ReverseRow, ZoneDetail, ZonesView,
};
use app::error::AppError;
use app::server::lunanode::actions as api;
use reqwest::Client;

use crate::both;
use crate::harness::{
    assert_pages_render, error_beside as field, eventually, not_found, paging_fields, panel_vm, Db,
    Panel,
};
use crate::tenancy::{customer, policy, reseller};
use crate::upstream::{cred, key, ID_A};

async fn zones(panel: &Panel, c: &Client) -> ZonesView {
    panel.call(c, "zones/list", &[]).await.expect("zones/list")
}

async fn add_zone(panel: &Panel, c: &Client, name: &str, legacy: bool) -> Result<String, AppError> {
    let legacy = if legacy { "true" } else { "false" };
    panel
        .call(
            c,
            "zones/create",
            &[
                ("zone[name]", name),
                ("zone[ttl]", ""),
                ("zone[legacy]", legacy),
            ],
        )
        .await
}

fn id_of(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_owned()
}

/// Zone `zone` with the first page of its records (every record, in the tests of a few).
/// `zones/import` of `text` into current zone `zone` (`legacyzones/import` into a legacy zone
/// with `legacy`): a preview, or with `apply` the import itself.
async fn import(
    panel: &Panel,
    c: &Client,
    zone: &str,
    text: &str,
    legacy: bool,
    apply: bool,
) -> Result<ImportPreview, AppError> {
    let (endpoint, id) = if legacy {
        ("legacyzones/import", "legacy_zone_id")
    } else {
        ("zones/import", "zone_id")
    };
    let apply = if apply { "true" } else { "false" };
    panel
        .call(c, endpoint, &[(id, zone), ("text", text), ("apply", apply)])
        .await
}

async fn detail(panel: &Panel, c: &Client, zone: &str) -> ZoneDetail {
    zone_page(panel, c, "zones/detail", ("zone_id", zone), &[])
        .await
        .listing
}

async fn legacy_detail(panel: &Panel, c: &Client, zone: &str) -> ZoneDetail {
    zone_page(
        panel,
        c,
        "legacyzones/detail",
        ("legacy_zone_id", zone),
        &[],
    )
    .await
    .listing
}

/// A zone's detail with the page of its records that `paging` asks (`search`, `page`,
/// `filters[0]`, … as the records list puts them).
async fn zone_page(
    panel: &Panel,
    c: &Client,
    endpoint: &str,
    id: (&str, &str),
    paging: &[(&str, &str)],
) -> PageOf<ZoneDetail> {
    let paging = paging_fields(paging);
    let form: Vec<(&str, &str)> = std::iter::once(id)
        .chain(paging.iter().map(|(k, v)| (k.as_str(), *v)))
        .collect();
    panel.call(c, endpoint, &form).await.expect(endpoint)
}

/// Adds a record to current zone `zone` with the form's fields (`rtype`, `name`, …).
async fn record(
    panel: &Panel,
    c: &Client,
    zone: &str,
    fields: &[(&str, &str)],
) -> Result<String, AppError> {
    let mut form: Vec<(String, String)> = vec![("zone_id".into(), zone.into())];
    form.extend(
        fields
            .iter()
            .map(|(k, v)| (format!("record[{k}]"), (*v).to_owned())),
    );
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    panel.call(c, "zones/record_add", &form).await
}

async fn zones_and_records_of_every_policy(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();

    // Names are checked beside the field; an internationalized one is shown both ways.
    field(
        add_zone(&panel, &c, "https://example.com/x", false).await,
        "name",
    );
    field(add_zone(&panel, &c, "localhost", false).await, "name");
    let idn = id_of(&add_zone(&panel, &c, "Bücher.Example", false).await.unwrap());
    let path = add_zone(&panel, &c, "example.com", false).await.unwrap();
    assert!(path.starts_with("/dns/zones/"), "{path}");
    let zone = id_of(&path);
    let dup = field(add_zone(&panel, &c, "example.com.", true).await, "name");
    assert!(dup.contains("already"), "{dup}");
    let legacy = id_of(&add_zone(&panel, &c, "example.org", true).await.unwrap());
    let listed = zones(&panel, &c).await;
    let shown: Vec<(&str, &str, bool)> = listed
        .zones
        .iter()
        .map(|z| (z.display.as_str(), z.name.as_str(), z.legacy))
        .collect();
    assert_eq!(
        shown,
        [
            ("bücher.example", "xn--bcher-kva.example", false),
            ("example.com", "example.com", false),
            ("example.org", "example.org", true),
        ]
    );
    assert!(listed.zones.iter().any(|z| z.id == idn));

    // A check to fail over on, made where monitoring lives.
    let up = panel.state.upstream.client.clone();
    let check = up
        .call(
            &cred(ID_A, 'A'),
            &api::MonitorCheckAdd::new("web", "icmp", 60, 1).param("target", "203.0.113.5"),
        )
        .await
        .unwrap()
        .check_id
        .unwrap();

    // Every policy kind, each record checked before Luna Node is asked.
    let calls = emu.total_calls();
    field(
        record(
            &panel,
            &c,
            &zone,
            &[("rtype", "A"), ("name", "www"), ("data", "2001:db8::1")],
        )
        .await,
        "data",
    );
    field(
        record(
            &panel,
            &c,
            &zone,
            &[("rtype", "MX"), ("name", "@"), ("data", "mail")],
        )
        .await,
        "priority",
    );
    field(
        record(
            &panel,
            &c,
            &zone,
            &[("rtype", "CNAME"), ("name", "@"), ("data", "x.example.net")],
        )
        .await,
        "name",
    );
    field(
        record(
            &panel,
            &c,
            &zone,
            &[
                ("rtype", "A"),
                ("name", "geo"),
                ("data", "203.0.113.5"),
                ("route", "country"),
                ("country", "Canada"),
            ],
        )
        .await,
        "country",
    );
    field(
        record(
            &panel,
            &c,
            &zone,
            &[
                ("rtype", "A"),
                ("name", "geo"),
                ("data", "203.0.113.5"),
                ("route", "latlong"),
                ("latitude", "91"),
                ("longitude", "0"),
            ],
        )
        .await,
        "latitude",
    );
    field(
        record(
            &panel,
            &c,
            &zone,
            &[
                ("rtype", "A"),
                ("name", "fo"),
                ("data", "203.0.113.5"),
                ("monitor_id", "999999"),
            ],
        )
        .await,
        "monitor_id",
    );
    field(
        record(
            &panel,
            &c,
            &zone,
            &[
                ("rtype", "A"),
                ("name", "r"),
                ("data", "203.0.113.5"),
                ("route", "region"),
                ("region", "mars"),
            ],
        )
        .await,
        "region",
    );
    let reads = emu.total_calls() - calls;
    assert!(reads <= 7 * 4, "only reads for the checks: {reads}");

    let plain = record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "A"),
            ("name", "www"),
            ("data", "203.0.113.5"),
            ("ttl", "300"),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "A"),
            ("name", "lb"),
            ("data", "203.0.113.6"),
            ("weight", "3"),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "A"),
            ("name", "geo"),
            ("data", "203.0.113.7"),
            ("route", "country"),
            ("country", "ca"),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "A"),
            ("name", "geo"),
            ("data", "203.0.113.8"),
            ("route", "continent"),
            ("continent", "EU"),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "A"),
            ("name", "geo"),
            ("data", "203.0.113.9"),
            ("route", "region"),
            ("region", "toronto"),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "A"),
            ("name", "near"),
            ("data", "203.0.113.10"),
            ("route", "latlong"),
            ("latitude", "43.65"),
            ("longitude", "-79.38"),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "A"),
            ("name", "fo"),
            ("data", "203.0.113.11"),
            ("monitor_id", &check),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "MX"),
            ("name", ""),
            ("data", "mail.example.com"),
            ("priority", "10"),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[
            ("rtype", "TXT"),
            ("name", "@"),
            ("data", "\"v=spf1 mx\" \" -all\""),
        ],
    )
    .await
    .unwrap();
    record(
        &panel,
        &c,
        &zone,
        &[("rtype", "CNAME"), ("name", "docs"), ("data", "www")],
    )
    .await
    .unwrap();
    // The same record twice, or a name beside a CNAME, is refused in words.
    let again = field(
        record(
            &panel,
            &c,
            &zone,
            &[("rtype", "A"), ("name", "www"), ("data", "203.0.113.5")],
        )
        .await,
        "data",
    );
    assert!(again.contains("already"), "{again}");
    let beside = field(
        record(
            &panel,
            &c,
            &zone,
            &[("rtype", "TXT"), ("name", "docs"), ("data", "x")],
        )
        .await,
        "name",
    );
    assert!(beside.contains("CNAME"), "{beside}");

    let d = detail(&panel, &c, &zone).await;
    let policy = |name: &str, data: &str| {
        d.records
            .iter()
            .find(|r| r.name == name && r.data.starts_with(data))
            .unwrap_or_else(|| panic!("{name} {data} in {:?}", d.records))
            .policy()
    };
    assert_eq!(policy("www", "203.0.113.5"), "Everyone");
    assert_eq!(policy("lb", "203.0.113.6"), "Everyone · weight 3");
    assert_eq!(policy("geo", "203.0.113.7"), "Country CA");
    assert_eq!(policy("geo", "203.0.113.8"), "Continent EU");
    assert_eq!(policy("geo", "203.0.113.9"), "Region toronto");
    assert_eq!(policy("near", "203.0.113.10"), "Nearest to 43.65, -79.38");
    assert_eq!(
        policy("fo", "203.0.113.11"),
        "Everyone · failover: off while check “web” fails"
    );
    let mx = d.records.iter().find(|r| r.rtype == "MX").unwrap();
    assert_eq!(
        (mx.name.as_str(), mx.priority, mx.data.as_str()),
        ("@", Some(10), "mail.example.com.")
    );
    let txt = d.records.iter().find(|r| r.rtype == "TXT").unwrap();
    assert_eq!(txt.data, "v=spf1 mx -all", "quotes joined and taken off");
    assert_eq!(d.checks.len(), 1);

    // Removing: a record of the zone; a record of another zone is not found.
    not_found(
        panel
            .call::<()>(
                &c,
                "zones/record_remove",
                &[("zone_id", &idn), ("record_id", &plain)],
            )
            .await,
    );
    panel
        .call::<()>(
            &c,
            "zones/record_remove",
            &[("zone_id", &zone), ("record_id", &plain)],
        )
        .await
        .unwrap();
    assert!(!detail(&panel, &c, &zone)
        .await
        .records
        .iter()
        .any(|r| r.id == plain));

    // Legacy zones: priorities in the data, their own record types.
    let mut form = vec![
        ("legacy_zone_id", legacy.as_str()),
        ("record[rtype]", "MX"),
        ("record[name]", "@"),
        ("record[data]", "mail.example.org"),
    ];
    field(
        panel
            .call::<String>(&c, "legacyzones/record_add", &form)
            .await,
        "data",
    );
    form[3] = ("record[data]", "10 mail.example.org");
    panel
        .call::<String>(&c, "legacyzones/record_add", &form)
        .await
        .unwrap();
    form[1] = ("record[rtype]", "ALIAS");
    field(
        panel
            .call::<String>(&c, "legacyzones/record_add", &form)
            .await,
        "rtype",
    );
    let l = legacy_detail(&panel, &c, &legacy).await;
    assert_eq!(l.records.len(), 1);
    assert_eq!(l.records[0].data, "10 mail.example.org.");
    let rid = l.records[0].id.clone();
    panel
        .call::<()>(
            &c,
            "legacyzones/record_remove",
            &[("legacy_zone_id", &legacy), ("record_id", &rid)],
        )
        .await
        .unwrap();
    assert!(legacy_detail(&panel, &c, &legacy).await.records.is_empty());

    assert_pages_render(
        &panel,
        &c,
        &[
            ("/dns", "xn--bcher-kva.example"),
            (&format!("/dns/zones/{zone}"), "203.0.113.10"),
            (&format!("/dns/legacy/{legacy}"), "example.org"),
        ],
        1,
    )
    .await;

    // A zone goes only with its name typed, and its records with it.
    field(
        panel
            .call::<()>(
                &c,
                "zones/remove",
                &[("zone_id", &zone), ("confirm", "example")],
            )
            .await,
        "confirm",
    );
    panel
        .call::<()>(
            &c,
            "zones/remove",
            &[("zone_id", &zone), ("confirm", "example.com")],
        )
        .await
        .unwrap();
    panel
        .call::<()>(
            &c,
            "zones/remove",
            &[("zone_id", &idn), ("confirm", "bücher.example")],
        )
        .await
        .unwrap();
    panel
        .call::<()>(
            &c,
            "legacyzones/remove",
            &[("legacy_zone_id", &legacy), ("confirm", "example.org")],
        )
        .await
        .unwrap();
    assert!(zones(&panel, &c).await.zones.is_empty());
    not_found(
        panel
            .call::<PageOf<ZoneDetail>>(&c, "zones/detail", &[("zone_id", &zone)])
            .await,
    );
    panel.stop().await;
}

async fn zone_files_go_out_and_come_in_with_a_preview(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let zone = id_of(&add_zone(&panel, &c, "example.com", false).await.unwrap());
    let file = "$ORIGIN example.com.\n$TTL 600\n@ IN A 203.0.113.5\nwww IN CNAME @\n@ IN MX 10 mail\nmail IN A 203.0.113.6\nbad IN A 999.1.1.1\n@ IN CAA 0 issue \"letsencrypt.org\"\n";
    let preview = import(&panel, &c, &zone, file, false, false).await.unwrap();
    assert_eq!(preview.add.len(), 4, "{preview:?}");
    let lines: Vec<usize> = preview.skipped.iter().map(|l| l.line).collect();
    assert_eq!(lines, [7, 8], "{preview:?}");
    assert!(preview.skipped[0].reason.contains("IPv4"));
    assert!(
        detail(&panel, &c, &zone).await.records.is_empty(),
        "a preview writes nothing"
    );
    let done = import(&panel, &c, &zone, file, false, true).await.unwrap();
    assert_eq!(done.added, Some(4));
    let d = detail(&panel, &c, &zone).await;
    assert_eq!(d.records.len(), 4);
    assert!(d.records.iter().all(|r| r.ttl == Some(600)));

    let text: String = panel
        .call(&c, "zones/export", &[("zone_id", &zone)])
        .await
        .unwrap();
    assert!(text.contains("$ORIGIN example.com."), "{text}");
    assert!(
        text.contains("@\t600\tIN\tMX\t10 mail.example.com."),
        "{text}"
    );
    let again = import(&panel, &c, &zone, &text, false, false)
        .await
        .unwrap();
    assert!(again.add.is_empty());
    assert!(
        again
            .skipped
            .iter()
            .all(|l| l.reason == "Already in the zone."),
        "{again:?}"
    );
    field(import(&panel, &c, &zone, " ", false, false).await, "text");
    panel.stop().await;
}

async fn reverse_dns_and_publishing_a_vm(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let vm = panel_vm(&panel, &c, "web-1", "toronto", "").await;
    let rows: Vec<ReverseRow> = eventually("the VM's address is listed", 20, || async {
        let rows: Vec<ReverseRow> = panel.call(&c, "reverse/list", &[]).await.unwrap();
        if rows.iter().any(|r| r.vm_id == vm) {
            Ok(rows)
        } else {
            Err(rows)
        }
    })
    .await;
    let row = rows.iter().find(|r| r.vm_id == vm).unwrap().clone();
    assert!(row.default && row.hostname.is_empty(), "{row:?}");

    field(
        panel
            .call::<()>(
                &c,
                "reverse/set",
                &[
                    ("vm_id", &vm),
                    ("address", &row.ip),
                    ("hostname", "not a name"),
                ],
            )
            .await,
        "hostname",
    );
    not_found(
        panel
            .call::<()>(
                &c,
                "reverse/set",
                &[
                    ("vm_id", &vm),
                    ("address", "198.51.100.77"),
                    ("hostname", "x.example.com"),
                ],
            )
            .await,
    );
    panel
        .call::<()>(
            &c,
            "reverse/set",
            &[
                ("vm_id", &vm),
                ("address", &row.ip),
                ("hostname", "host.example.net"),
            ],
        )
        .await
        .unwrap();
    let rows: Vec<ReverseRow> = panel.call(&c, "reverse/list", &[]).await.unwrap();
    let r = rows.iter().find(|r| r.ip == row.ip).unwrap();
    assert_eq!(
        (r.hostname.as_str(), r.default),
        ("host.example.net", false)
    );

    // Publish: no zone yet, then the A record and reverse DNS in one step.
    let none: PublishOptions = panel
        .call(&c, "vms/publish_options", &[("vm_id", &vm)])
        .await
        .unwrap();
    assert!(none.zones.is_empty());
    assert_eq!(
        none.reverse
            .iter()
            .map(|r| r.hostname.as_str())
            .collect::<Vec<_>>(),
        ["host.example.net"],
        "the VM page shows its reverse DNS"
    );
    assert_eq!(
        (none.addresses.clone(), none.suggested.as_str()),
        (vec![row.ip.clone()], "web-1")
    );
    let zone = id_of(&add_zone(&panel, &c, "example.com", false).await.unwrap());
    field(
        panel
            .call::<Published>(
                &c,
                "vms/publish_dns",
                &[
                    ("vm_id", &vm),
                    ("zone_id", &zone),
                    ("name", "a b"),
                    ("ttl", ""),
                ],
            )
            .await,
        "name",
    );
    let p: Published = panel
        .call(
            &c,
            "vms/publish_dns",
            &[
                ("vm_id", &vm),
                ("zone_id", &zone),
                ("name", "web-1"),
                ("ttl", ""),
            ],
        )
        .await
        .unwrap();
    assert_eq!(p.fqdn, "web-1.example.com");
    assert!(p.problems.is_empty(), "{p:?}");
    assert_eq!(p.done.len(), 2, "{p:?}");
    let d = detail(&panel, &c, &zone).await;
    assert!(d
        .records
        .iter()
        .any(|r| r.name == "web-1" && r.rtype == "A" && r.data == row.ip));
    let rows: Vec<ReverseRow> = panel.call(&c, "reverse/list", &[]).await.unwrap();
    assert_eq!(
        rows.iter().find(|r| r.ip == row.ip).unwrap().hostname,
        "web-1.example.com"
    );
    let twice: Published = panel
        .call(
            &c,
            "vms/publish_dns",
            &[
                ("vm_id", &vm),
                ("zone_id", &zone),
                ("name", "web-1"),
                ("ttl", ""),
            ],
        )
        .await
        .unwrap();
    assert!(
        twice.done.iter().all(|l| l.contains("already")),
        "{twice:?}"
    );
    assert_eq!(detail(&panel, &c, &zone).await.records.len(), 1);
    // Back to the default.
    panel
        .call::<()>(
            &c,
            "reverse/set",
            &[("vm_id", &vm), ("address", &row.ip), ("hostname", "")],
        )
        .await
        .unwrap();
    let rows: Vec<ReverseRow> = panel.call(&c, "reverse/list", &[]).await.unwrap();
    assert!(rows.iter().find(|r| r.ip == row.ip).unwrap().default);
    assert_pages_render(
        &panel,
        &c,
        &[
            ("/dns/reverse", &row.ip),
            (&format!("/vms/{vm}"), "Publish DNS"),
        ],
        1,
    )
    .await;
    panel.stop().await;
}

async fn dynamic_names_follow_their_update_links(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    field(
        panel
            .call::<String>(
                &c,
                "dyndns/add",
                &[("name", "my home"), ("address", "203.0.113.5")],
            )
            .await,
        "name",
    );
    field(
        panel
            .call::<String>(
                &c,
                "dyndns/add",
                &[("name", "home"), ("address", "999.0.0.1")],
            )
            .await,
        "address",
    );
    let id: String = panel
        .call(
            &c,
            "dyndns/add",
            &[("name", "Home.lndyn.com"), ("address", "203.0.113.5")],
        )
        .await
        .unwrap();
    assert!(!id.is_empty());
    field(
        panel
            .call::<String>(
                &c,
                "dyndns/add",
                &[("name", "home"), ("address", "203.0.113.6")],
            )
            .await,
        "name",
    );
    let v: DynView = panel.call(&c, "dyndns/list", &[]).await.unwrap();
    assert_eq!(v.dyns.len(), 1);
    assert_eq!(
        (
            v.dyns[0].fqdn.as_str(),
            v.dyns[0].ip.as_str(),
            v.dyns[0].has_link
        ),
        ("home.lndyn.com", "203.0.113.5", false)
    );
    assert_eq!(v.your_ip, "127.0.0.1");
    panel
        .call::<()>(
            &c,
            "dyndns/update",
            &[
                ("dyn_id", &id),
                ("name", "home"),
                ("address", "2001:db8::7"),
            ],
        )
        .await
        .unwrap();

    // The link: the caller's own address, or the one given; an old link stops.
    let old: String = panel
        .call(&c, "dyndns/link", &[("dyn_id", &id)])
        .await
        .unwrap();
    let link: String = panel
        .call(&c, "dyndns/link", &[("dyn_id", &id)])
        .await
        .unwrap();
    assert!(link.contains("/dyn/update?token="), "{link}");
    let local = link.replacen(&link[..link.find("/api/dyn/").unwrap()], &panel.base, 1);
    let old_local = old.replacen(&old[..old.find("/api/dyn/").unwrap()], &panel.base, 1);
    let get = |url: String| async move {
        let r = reqwest::get(url).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(get(old_local).await, (401, "badauth\n".into()));
    assert_eq!(get(local.clone()).await, (200, "good 127.0.0.1\n".into()));
    assert_eq!(get(local.clone()).await, (200, "nochg 127.0.0.1\n".into()));
    assert_eq!(
        get(format!("{local}&ip=203.0.113.9")).await,
        (200, "good 203.0.113.9\n".into())
    );
    assert_eq!(get(format!("{local}&ip=nonsense")).await.0, 400);
    assert_eq!(
        get(format!("{}/api/dyn/update?token=forged", panel.base)).await,
        (401, "badauth\n".into())
    );
    let v: DynView = panel.call(&c, "dyndns/list", &[]).await.unwrap();
    assert_eq!(
        (v.dyns[0].ip.as_str(), v.dyns[0].has_link),
        ("203.0.113.9", true)
    );
    assert_pages_render(&panel, &c, &[("/dns/dynamic", "home.lndyn.com")], 1).await;
    panel
        .call::<()>(&c, "dyndns/remove", &[("dyn_id", &id)])
        .await
        .unwrap();
    assert_eq!(get(local).await, (401, "badauth\n".into()));
    assert!(panel
        .call::<DynView>(&c, "dyndns/list", &[])
        .await
        .unwrap()
        .dyns
        .is_empty());
    panel.stop().await;
}

async fn customers_see_and_act_only_on_their_dns(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, reseller_id) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[("zones", "1")]).await;
    policy(&panel, &reseller, b, &[]).await;

    let theirs = id_of(
        &add_zone(&panel, &reseller, "reseller.example", false)
            .await
            .unwrap(),
    );
    let mine = id_of(&add_zone(&panel, &ca, "a.example", false).await.unwrap());
    assert!(
        matches!(
            add_zone(&panel, &ca, "a2.example", true).await,
            Err(AppError::Quota(_))
        ),
        "both kinds count"
    );
    let taken = field(
        add_zone(&panel, &cb, "reseller.example", false).await,
        "name",
    );
    assert!(
        taken.contains("hosted on this account") && !taken.contains("your"),
        "{taken}"
    );
    let ledger = panel
        .state
        .store
        .assignments(reseller_id, Some(a))
        .await
        .unwrap();
    assert!(ledger
        .iter()
        .any(|x| x.kind == "zone" && x.resource_id == mine));
    let seen: Vec<String> = zones(&panel, &ca)
        .await
        .zones
        .into_iter()
        .map(|z| z.id)
        .collect();
    assert_eq!(seen, std::slice::from_ref(&mine));
    assert!(zones(&panel, &cb).await.zones.is_empty());
    assert_eq!(zones(&panel, &reseller).await.zones.len(), 2);

    record(
        &panel,
        &ca,
        &mine,
        &[("rtype", "A"), ("name", "www"), ("data", "203.0.113.5")],
    )
    .await
    .unwrap();
    not_found(
        record(
            &panel,
            &ca,
            &theirs,
            &[("rtype", "A"), ("name", "www"), ("data", "203.0.113.5")],
        )
        .await,
    );
    not_found(
        record(
            &panel,
            &cb,
            &mine,
            &[("rtype", "A"), ("name", "x"), ("data", "203.0.113.5")],
        )
        .await,
    );
    not_found(
        panel
            .call::<PageOf<ZoneDetail>>(&cb, "zones/detail", &[("zone_id", &mine)])
            .await,
    );
    not_found(
        panel
            .call::<()>(
                &cb,
                "zones/remove",
                &[("zone_id", &mine), ("confirm", "a.example")],
            )
            .await,
    );
    // No failover checks offered to a customer (checks are not theirs to see yet).
    assert!(detail(&panel, &ca, &mine).await.checks.is_empty());

    // Reverse DNS: their VM's addresses only; publishing names their zone, not another's.
    let vm = panel_vm(&panel, &ca, "a-web", "toronto", "").await;
    let other = panel_vm(&panel, &reseller, "r-web", "toronto", "").await;
    let rows: Vec<ReverseRow> = eventually("A's address is listed", 20, || async {
        let rows: Vec<ReverseRow> = panel.call(&ca, "reverse/list", &[]).await.unwrap();
        if rows.iter().any(|r| r.vm_id == vm) {
            Ok(rows)
        } else {
            Err(rows)
        }
    })
    .await;
    assert!(rows.iter().all(|r| r.vm_id == vm), "{rows:?}");
    not_found(
        panel
            .call::<()>(
                &ca,
                "reverse/set",
                &[
                    ("vm_id", &other),
                    ("address", "203.0.113.1"),
                    ("hostname", "x.example.com"),
                ],
            )
            .await,
    );
    not_found(
        panel
            .call::<Published>(
                &ca,
                "vms/publish_dns",
                &[
                    ("vm_id", &vm),
                    ("zone_id", &theirs),
                    ("name", "x"),
                    ("ttl", ""),
                ],
            )
            .await,
    );
    let p: Published = panel
        .call(
            &ca,
            "vms/publish_dns",
            &[
                ("vm_id", &vm),
                ("zone_id", &mine),
                ("name", "a-web"),
                ("ttl", ""),
            ],
        )
        .await
        .unwrap();
    assert!(p.problems.is_empty(), "{p:?}");

    // Dynamic names: theirs at once; the link stops when their capability does.
    let id: String = panel
        .call(
            &ca,
            "dyndns/add",
            &[("name", "a-home"), ("address", "203.0.113.5")],
        )
        .await
        .unwrap();
    let _: String = panel
        .call(
            &reseller,
            "dyndns/add",
            &[("name", "r-home"), ("address", "203.0.113.5")],
        )
        .await
        .unwrap();
    let v: DynView = panel.call(&ca, "dyndns/list", &[]).await.unwrap();
    assert_eq!(
        v.dyns.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    assert!(panel
        .call::<DynView>(&cb, "dyndns/list", &[])
        .await
        .unwrap()
        .dyns
        .is_empty());
    not_found(
        panel
            .call::<()>(&cb, "dyndns/remove", &[("dyn_id", &id)])
            .await,
    );
    let link: String = panel
        .call(&ca, "dyndns/link", &[("dyn_id", &id)])
        .await
        .unwrap();
    let local = link.replacen(&link[..link.find("/api/dyn/").unwrap()], &panel.base, 1);
    let status =
        |url: String| async move { reqwest::get(url).await.unwrap().text().await.unwrap() };
    assert_eq!(
        status(format!("{local}&ip=203.0.113.8")).await,
        "good 203.0.113.8\n"
    );
    // Without the capability (the form sends only what is ticked: here nothing).
    let a_id = a.to_string();
    let _: () = panel
        .call(
            &reseller,
            "customers/policy",
            &[("customer_id", a_id.as_str()), ("form[zones]", "1")],
        )
        .await
        .unwrap();
    assert_eq!(status(format!("{local}&ip=203.0.113.9")).await, "badauth\n");
    panel.stop().await;
}

/// A zone of many records (issue 14.10): its page sends one page of records, 50 by
/// default; the search and the type filter narrow before paging, the sort holds across
/// pages, and the count says every record of the zone.
async fn a_large_zone_is_paged_on_the_server(db: Db) {
    const RECORDS: usize = 120;
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let zone = id_of(&add_zone(&panel, &c, "example.com", false).await.unwrap());
    let mut file = String::from("$ORIGIN example.com.\n$TTL 600\n@ IN MX 10 mail\n");
    for i in 1..=RECORDS {
        file += &format!("host-{i} IN A 198.51.100.{}\n", i % 250 + 1);
    }
    let done = import(&panel, &c, &zone, &file, false, true).await.unwrap();
    assert_eq!(done.added, Some(RECORDS + 1));
    let page = |paging: &'static [(&'static str, &'static str)]| {
        zone_page(
            &panel,
            &c,
            "zones/detail",
            ("zone_id", zone.as_str()),
            paging,
        )
    };
    let names = |p: &PageOf<ZoneDetail>| -> Vec<String> {
        p.listing.records.iter().map(|r| r.name.clone()).collect()
    };

    // The zone with the first 50 records; the count is the zone's.
    let first = page(&[("sort", "0")]).await;
    assert_eq!(first.listing.zone.name, "example.com");
    let p = &first.paging;
    assert_eq!((p.total, p.filtered, p.page, p.size), (121, 121, 1, 50));
    assert_eq!(first.listing.records.len(), 50);
    // By name, naturally: @ (the MX), host-1, host-2, … host-49.
    assert_eq!(names(&first)[..3], ["@", "host-1", "host-2"]);
    assert_eq!(names(&first)[49], "host-49");
    // The type filter offers every record's type, not only the page's.
    assert_eq!(p.choices, [vec!["A".to_owned(), "MX".to_owned()]]);

    // The last page, the sort descending across pages, a larger page.
    let last = page(&[("sort", "0"), ("page", "3")]).await;
    assert_eq!((last.paging.page, last.listing.records.len()), (3, 21));
    assert_eq!(names(&last)[20], "host-120");
    let desc = page(&[("sort", "0"), ("desc", "true"), ("page", "2")]).await;
    assert_eq!(names(&desc)[0], "host-70");
    let big = page(&[("size", "200")]).await;
    assert_eq!(big.listing.records.len(), 121);

    // The search and the filter narrow before paging (the count stays the zone's).
    let found = page(&[("sort", "0"), ("search", "host-12")]).await;
    assert_eq!(names(&found), ["host-12", "host-120"]);
    assert_eq!((found.paging.filtered, found.paging.total), (2, 121));
    let mx = page(&[("filters[0]", "MX")]).await;
    assert_eq!(names(&mx), ["@"]);
    assert_eq!(mx.listing.records[0].data, "mail.example.com.");

    // A legacy zone pages the same way.
    let legacy = id_of(&add_zone(&panel, &c, "example.org", true).await.unwrap());
    let mut file = String::from("$ORIGIN example.org.\n");
    for i in 1..=60 {
        file += &format!("web-{i} IN A 198.51.100.{i}\n");
    }
    let done = import(&panel, &c, &legacy, &file, true, true)
        .await
        .unwrap();
    assert_eq!(done.added, Some(60));
    let l = zone_page(
        &panel,
        &c,
        "legacyzones/detail",
        ("legacy_zone_id", legacy.as_str()),
        &[("sort", "0"), ("page", "2")],
    )
    .await;
    assert_eq!((l.paging.total, l.listing.records.len()), (60, 10));
    assert_eq!(names(&l)[0], "web-51");
    panel.stop().await;
}

both!(
    a_large_zone_is_paged_on_the_server,
    zones_and_records_of_every_policy,
    zone_files_go_out_and_come_in_with_a_preview,
    reverse_dns_and_publishing_a_vm,
    dynamic_names_follow_their_update_links,
    customers_see_and_act_only_on_their_dns,
);
