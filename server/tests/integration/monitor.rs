//! Monitoring through the panel's server functions against the emulator: checks built from
//! the check types (every field checked beside it, Luna Node's refusal of a parameter
//! beside that parameter), contacts checked per type, alerts added and removed from
//! either side, a check used for DNS failover saying so (and naming the records before it
//! is removed), "monitor this VM", and customers confined to their checks and contacts,
//! within their quota — also when picking a record's failover check.

use app::error::AppError;
use app::monitor::{CheckDetail, CheckStatus, MonitorView, VmMonitoring, WatchReport};
use reqwest::Client;

use crate::both;
use crate::harness::{error_beside as field, not_found, Db, Panel};
use crate::tenancy::{customer, policy, reseller};
use crate::upstream::{key, ID_A};

async fn list(panel: &Panel, c: &Client) -> MonitorView {
    panel
        .call(c, "monitor/list", &[])
        .await
        .expect("monitor/list")
}

async fn detail(panel: &Panel, c: &Client, id: &str) -> Result<CheckDetail, AppError> {
    panel
        .call(c, "monitor/check_detail", &[("check_id", id)])
        .await
}

/// Adds a check; returns its id.
async fn add_check(
    panel: &Panel,
    c: &Client,
    name: &str,
    kind: &str,
    interval: &str,
    delay: &str,
    params: &[(&str, &str)],
) -> Result<String, AppError> {
    let mut form: Vec<(String, String)> = vec![
        ("check[name]".into(), name.into()),
        ("check[check_type]".into(), kind.into()),
        ("check[interval]".into(), interval.into()),
        ("check[delay]".into(), delay.into()),
    ];
    form.extend(
        params
            .iter()
            .map(|(k, v)| (format!("check[params][{k}]"), (*v).to_owned())),
    );
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    panel
        .call::<String>(c, "monitor/check_add", &form)
        .await
        .map(|path| path.rsplit('/').next().unwrap_or_default().to_owned())
}

async fn ping(panel: &Panel, c: &Client, name: &str, target: &str) -> Result<String, AppError> {
    add_check(panel, c, name, "icmp", "60", "2", &[("target", target)]).await
}

async fn add_contact(
    panel: &Panel,
    c: &Client,
    kind: &str,
    value: &str,
) -> Result<String, AppError> {
    panel
        .call(
            c,
            "monitor/contact_add",
            &[("contact[kind]", kind), ("contact[value]", value)],
        )
        .await
}

async fn alert(panel: &Panel, c: &Client, check: &str, contact: &str) -> Result<(), AppError> {
    panel
        .call(
            c,
            "monitor/alert_add",
            &[("check_id", check), ("contact_id", contact)],
        )
        .await
}

async fn remove_check(panel: &Panel, c: &Client, id: &str, confirm: &str) -> Result<(), AppError> {
    panel
        .call(
            c,
            "monitor/check_remove",
            &[("check_id", id), ("confirm", confirm)],
        )
        .await
}

async fn zone(panel: &Panel, c: &Client, name: &str) -> String {
    let path: String = panel
        .call(
            c,
            "zones/create",
            &[("zone[name]", name), ("zone[ttl]", "")],
        )
        .await
        .expect("zones/create");
    path.rsplit('/').next().unwrap().to_owned()
}

async fn failover_record(
    panel: &Panel,
    c: &Client,
    zone: &str,
    name: &str,
    monitor: &str,
) -> Result<String, AppError> {
    panel
        .call(
            c,
            "zones/record_add",
            &[
                ("zone_id", zone),
                ("record[rtype]", "A"),
                ("record[name]", name),
                ("record[data]", "203.0.113.5"),
                ("record[monitor_id]", monitor),
            ],
        )
        .await
}

async fn owner(panel: &Panel) -> Client {
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    c
}

async fn checks_contacts_and_alerts(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = owner(&panel).await;
    let v = list(&panel, &c).await;
    assert!(v.checks.is_empty() && v.contacts.is_empty());
    assert!(v.problem.is_none(), "{:?}", v.problem);
    // The form is built from check-types: types and their parameters come from Luna Node.
    let icmp = v.types.iter().find(|t| t.code == "icmp").expect("icmp");
    assert_eq!(icmp.short_name, "Ping");
    assert!(icmp.params[0].required && icmp.params[0].code == "target");
    assert!(icmp.params[0].placeholder.contains("1.2.3.4"));
    assert!(v.types.iter().any(|t| t.code == "http"));

    // Every field checked beside it before Luna Node is asked.
    let before = emu.calls("monitor/check-add");
    let e = add_check(&panel, &c, "", "icmp", "30", "0", &[]).await;
    let Err(AppError::Validation(errors)) = e else {
        panic!("expected field errors: {e:?}");
    };
    for f in ["name", "interval", "delay", "param-target"] {
        assert!(errors.get(f).is_some(), "{f}: {errors:?}");
    }
    field(
        add_check(&panel, &c, "x", "smtp", "60", "1", &[]).await,
        "check_type",
    );
    field(
        add_check(
            &panel,
            &c,
            "x",
            "icmp",
            "60",
            "1",
            &[("target", "1.1.1.1"), ("force_ip", "5")],
        )
        .await,
        "param-force_ip",
    );
    assert_eq!(
        emu.calls("monitor/check-add"),
        before,
        "nothing reached Luna Node"
    );
    // Luna Node's refusal of a parameter lands beside it.
    field(
        add_check(
            &panel,
            &c,
            "web",
            "http",
            "60",
            "1",
            &[("url", "ftp://example.com/")],
        )
        .await,
        "param-url",
    );

    let web = ping(&panel, &c, "web-1", "192.0.2.10").await.unwrap();
    let site = add_check(
        &panel,
        &c,
        "site",
        "http",
        "300",
        "3",
        &[
            ("url", "https://example.com/"),
            ("password", "hunter2"),
            ("insecure", "yes"),
        ],
    )
    .await
    .unwrap();
    let v = list(&panel, &c).await;
    let names: Vec<&str> = v.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["site", "web-1"]);
    let w = v.checks.iter().find(|x| x.id == web).unwrap();
    assert_eq!(
        (w.type_name.as_str(), w.status.clone()),
        ("Ping", CheckStatus::Up)
    );
    assert!(w.summary.contains("192.0.2.10"), "{}", w.summary);
    assert_eq!((w.interval, w.delay), (Some(60), Some(2)));
    assert_eq!(w.alerts, Some(vec![]));
    assert_eq!(w.dns, Some(vec![]));
    let s = v.checks.iter().find(|x| x.id == site).unwrap();
    assert_eq!(s.every(), "every 5 min");
    assert!(
        !format!("{s:?}").contains("hunter2"),
        "a password is never shown"
    );

    // Contacts, checked per type.
    field(add_contact(&panel, &c, "email", "ops").await, "value");
    field(add_contact(&panel, &c, "sms_twilio", "12").await, "value");
    field(
        add_contact(&panel, &c, "http", "ftp://x.example").await,
        "value",
    );
    field(add_contact(&panel, &c, "pager", "x").await, "kind");
    let ops = add_contact(&panel, &c, "email", "ops@example.com")
        .await
        .unwrap();
    let sms = add_contact(&panel, &c, "sms_twilio", "+1 (416) 555-0100")
        .await
        .unwrap();
    let hook = add_contact(&panel, &c, "http", "https://hooks.example.com/x")
        .await
        .unwrap();
    field(
        add_contact(&panel, &c, "email", "ops@example.com").await,
        "value",
    );

    // Alerts from the check's side and from the contact's.
    alert(&panel, &c, &web, &ops).await.unwrap();
    alert(&panel, &c, &site, &ops).await.unwrap();
    alert(&panel, &c, &web, &sms).await.unwrap();
    assert!(matches!(
        alert(&panel, &c, &web, &ops).await,
        Err(AppError::Conflict(_))
    ));
    let d = detail(&panel, &c, &web).await.unwrap();
    let heard: Vec<&str> = d
        .check
        .alerts
        .as_ref()
        .unwrap()
        .iter()
        .map(|a| a.contact.as_str())
        .collect();
    assert_eq!(heard.len(), 2);
    assert!(heard.contains(&"E-mail ops@example.com") && heard.contains(&"SMS +14165550100"));
    let v = list(&panel, &c).await;
    let o = v.contacts.iter().find(|k| k.id == ops).unwrap();
    let mut checks: Vec<&str> = o.alerts.iter().map(|a| a.check.as_str()).collect();
    checks.sort_unstable();
    assert_eq!(checks, ["site", "web-1"]);
    // Stopped from the contact's side.
    let a = o
        .alerts
        .iter()
        .find(|a| a.check_id == site)
        .unwrap()
        .alert_id
        .clone();
    let _: () = panel
        .call(
            &c,
            "monitor/alert_remove",
            &[("check_id", &site), ("alert_id", &a)],
        )
        .await
        .unwrap();
    not_found(
        panel
            .call::<()>(
                &c,
                "monitor/alert_remove",
                &[("check_id", &site), ("alert_id", &a)],
            )
            .await,
    );
    let v = list(&panel, &c).await;
    assert_eq!(
        v.checks.iter().find(|x| x.id == site).unwrap().alerts,
        Some(vec![])
    );

    // A contact goes with its alerts.
    let _: () = panel
        .call(&c, "monitor/contact_remove", &[("contact_id", &sms)])
        .await
        .unwrap();
    let d = detail(&panel, &c, &web).await.unwrap();
    assert_eq!(d.check.alerts.as_ref().unwrap().len(), 1);
    assert_eq!(
        d.contacts.len(),
        2,
        "ops and the hook are left: {:?}",
        d.contacts
    );
    assert!(d.contacts.iter().any(|k| k.id == hook));

    // Removing needs the name typed.
    field(remove_check(&panel, &c, &web, "web").await, "confirm");
    remove_check(&panel, &c, &web, "web-1").await.unwrap();
    not_found(detail(&panel, &c, &web).await);
    let v = list(&panel, &c).await;
    assert_eq!(v.checks.len(), 1);
    assert!(
        v.contacts.iter().all(|k| k.alerts.is_empty()),
        "its alerts went with it"
    );
    for action in [
        "check-list",
        "check-types",
        "check-add",
        "check-remove",
        "contact-list",
        "contact-add",
        "contact-remove",
        "alert-list",
        "alert-add",
        "alert-remove",
    ] {
        assert!(
            emu.calls(&format!("monitor/{action}")) > 0,
            "{action} reached"
        );
    }
    panel.stop().await;
}

async fn failover_is_said_and_warned(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = owner(&panel).await;
    let check = ping(&panel, &c, "edge", "203.0.113.5").await.unwrap();
    let spare = ping(&panel, &c, "spare", "203.0.113.6").await.unwrap();
    let z = zone(&panel, &c, "failover.example").await;
    failover_record(&panel, &c, &z, "www", &check)
        .await
        .unwrap();
    failover_record(&panel, &c, &z, "@", &check).await.unwrap();
    let v = list(&panel, &c).await;
    let row = v.checks.iter().find(|x| x.id == check).unwrap();
    let uses = row.dns.as_ref().unwrap();
    assert_eq!(uses.len(), 2);
    let text = app::monitor::dns_use_text(uses).unwrap();
    assert!(
        text.contains("2 DNS records")
            && text.contains("www.failover.example")
            && text.contains("failover.example (A 203.0.113.5)"),
        "{text}"
    );
    assert_eq!(
        v.checks.iter().find(|x| x.id == spare).unwrap().dns,
        Some(vec![])
    );
    // The check's page names the records (by zone and name) the removal would untie.
    let d = detail(&panel, &c, &check).await.unwrap();
    let named: Vec<(String, String)> = d
        .check
        .dns
        .unwrap()
        .into_iter()
        .map(|u| (u.zone, u.name))
        .collect();
    assert!(named.contains(&("failover.example".into(), "www".into())));
    assert!(named.contains(&("failover.example".into(), "@".into())));
    remove_check(&panel, &c, &check, "edge").await.unwrap();
    panel.stop().await;
}

async fn monitor_this_vm(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = owner(&panel).await;
    let vm = crate::vms::make_vm_elsewhere(&panel, "web-server", "87").await;
    let o: VmMonitoring = panel
        .call(&c, "monitor/of_vm", &[("vm_id", &vm)])
        .await
        .unwrap();
    assert!(
        !o.ip.is_empty() && o.ping && o.http && o.checks.is_empty(),
        "{o:?}"
    );
    let r: WatchReport = panel
        .call(&c, "monitor/watch_vm", &[("vm_id", &vm), ("http", "true")])
        .await
        .unwrap();
    assert_eq!(r.added.len(), 2, "{r:?}");
    assert!(r.failed.is_empty() && r.existed.is_empty(), "{r:?}");
    let o: VmMonitoring = panel
        .call(&c, "monitor/of_vm", &[("vm_id", &vm)])
        .await
        .unwrap();
    let mut kinds: Vec<&str> = o.checks.iter().map(|c| c.2.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["http", "icmp"]);
    let v = list(&panel, &c).await;
    let http = v.checks.iter().find(|c| c.type_code == "http").unwrap();
    assert!(
        http.summary.contains(&format!("http://{}/", o.ip)),
        "{}",
        http.summary
    );
    // Once more: nothing new, both named as there.
    let before = emu.calls("monitor/check-add");
    let r: WatchReport = panel
        .call(&c, "monitor/watch_vm", &[("vm_id", &vm), ("http", "true")])
        .await
        .unwrap();
    assert_eq!((r.added.len(), r.existed.len()), (0, 2), "{r:?}");
    assert_eq!(emu.calls("monitor/check-add"), before);
    panel.stop().await;
}

async fn customers_only_their_checks_and_contacts(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(
        &panel,
        &reseller,
        a,
        &[("monitor_checks", "1"), ("monitor_contacts", "1")],
    )
    .await;
    policy(&panel, &reseller, b, &[]).await;

    let theirs = ping(&panel, &ca, "shop", "192.0.2.20").await.unwrap();
    let before = emu.calls("monitor/check-add");
    match ping(&panel, &ca, "second", "192.0.2.21").await {
        Err(AppError::Quota(m)) => assert!(m.contains("1 monitor checks"), "{m}"),
        other => panic!("expected the quota, got {other:?}"),
    }
    assert_eq!(
        emu.calls("monitor/check-add"),
        before,
        "refused before Luna Node"
    );
    let mine = add_contact(&panel, &ca, "email", "shop@customer.example")
        .await
        .unwrap();
    assert!(matches!(
        add_contact(&panel, &ca, "email", "other@customer.example").await,
        Err(AppError::Quota(_))
    ));
    let resellers = ping(&panel, &reseller, "core", "192.0.2.30").await.unwrap();
    let boss = add_contact(&panel, &reseller, "email", "boss@reseller.example")
        .await
        .unwrap();
    alert(&panel, &reseller, &resellers, &boss).await.unwrap();

    // Each sees their own.
    let v = list(&panel, &ca).await;
    assert_eq!(
        v.checks.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [theirs.as_str()]
    );
    assert_eq!(
        v.contacts.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [mine.as_str()]
    );
    assert_eq!(v.check_quota, Some((1, Some(1))));
    assert_eq!(v.contact_quota, Some((1, Some(1))));
    assert_eq!(list(&panel, &reseller).await.checks.len(), 2);
    let vb = list(&panel, &cb).await;
    assert!(vb.checks.is_empty() && vb.contacts.is_empty());

    // Someone else's check or contact is not found, with no call to Luna Node.
    for (c, check, contact) in [(&cb, &theirs, &mine), (&ca, &resellers, &boss)] {
        let calls = emu.total_calls();
        not_found(detail(&panel, c, check).await);
        not_found(remove_check(&panel, c, check, "shop").await);
        not_found(
            panel
                .call::<()>(c, "monitor/contact_remove", &[("contact_id", contact)])
                .await,
        );
        not_found(
            panel
                .call::<()>(
                    c,
                    "monitor/alert_remove",
                    &[("check_id", check), ("alert_id", "1")],
                )
                .await,
        );
        assert_eq!(emu.total_calls(), calls, "nothing reached Luna Node");
    }
    // A customer alerts only their contacts about their checks.
    let calls = emu.total_calls();
    not_found(alert(&panel, &ca, &theirs, &boss).await);
    not_found(alert(&panel, &ca, &resellers, &mine).await);
    assert_eq!(emu.total_calls(), calls, "nothing reached Luna Node");
    alert(&panel, &ca, &theirs, &mine).await.unwrap();
    let d = detail(&panel, &ca, &theirs).await.unwrap();
    assert_eq!(
        d.check.alerts.unwrap()[0].contact,
        "E-mail shop@customer.example"
    );
    // The provider's contact on the customer's check is not theirs to remove.
    alert(&panel, &reseller, &theirs, &boss).await.unwrap();
    let d = detail(&panel, &ca, &theirs).await.unwrap();
    let provider = d
        .check
        .alerts
        .unwrap()
        .into_iter()
        .find(|a| !a.visible)
        .expect("the provider's alert, unnamed");
    assert_eq!(provider.contact, "A contact of your provider");
    not_found(
        panel
            .call::<()>(
                &ca,
                "monitor/alert_remove",
                &[("check_id", &theirs), ("alert_id", &provider.alert_id)],
            )
            .await,
    );

    // A record's failover check: only their own.
    let z = zone(&panel, &ca, "shop.example").await;
    let zd: app::dns::ZoneDetail = panel
        .call::<app::components::list::PageOf<app::dns::ZoneDetail>>(
            &ca,
            "zones/detail",
            &[("zone_id", &z)],
        )
        .await
        .unwrap()
        .listing;
    assert_eq!(
        zd.checks.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [theirs.as_str()]
    );
    field(
        failover_record(&panel, &ca, &z, "www", &resellers).await,
        "monitor_id",
    );
    failover_record(&panel, &ca, &z, "www", &theirs)
        .await
        .unwrap();
    let v = list(&panel, &ca).await;
    assert_eq!(v.checks[0].dns.as_ref().unwrap().len(), 1);

    // Removing their check frees the quota.
    remove_check(&panel, &ca, &theirs, "shop").await.unwrap();
    ping(&panel, &ca, "second", "192.0.2.21").await.unwrap();
    panel.stop().await;
}

both!(
    checks_contacts_and_alerts,
    failover_is_said_and_warned,
    monitor_this_vm,
    customers_only_their_checks_and_contacts,
);
