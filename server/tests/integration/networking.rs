//! The networking area through the panel's server functions against the emulator: floating
//! IPs allocated, named (reverse DNS), attached, detached and released; networks made, used
//! by VMs and load balancers, refused deletion while used; load balancers made on a
//! network, given members picked from it and a floating IP (new in the same step), deleted.
//! Customers see and act only on their networking, and what they name must be theirs.

use app::error::AppError;
use app::network::{FloatingRow, FloatingView, LbCreateOptions, LbDetail, LbsView, NetworksView};
use reqwest::Client;

use crate::both;
use crate::harness::{
    assert_pages_render, conflict, error_beside as field, eventually, not_found, panel_vm, Db,
    Panel,
};
use crate::tenancy::{customer, policy, reseller};
use crate::upstream::{key, ID_A};
use crate::vms::make_vm_elsewhere;

async fn floating(panel: &Panel, c: &Client) -> FloatingView {
    panel
        .call(c, "floatingips/list", &[])
        .await
        .expect("floatingips/list")
}

fn row<'a>(v: &'a FloatingView, ip: &str) -> Option<&'a FloatingRow> {
    v.ips.iter().find(|r| r.ip == ip)
}

async fn networks(panel: &Panel, c: &Client) -> NetworksView {
    panel
        .call(c, "networks/list", &[])
        .await
        .expect("networks/list")
}

async fn allocate(panel: &Panel, c: &Client) -> Result<String, AppError> {
    panel
        .call(c, "floatingips/allocate", &[("region", "toronto")])
        .await
}

fn network_form<'a>(name: &'a str, subnet: &'a str, dns: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("network[name]", name),
        ("network[region]", "toronto"),
        ("network[subnet]", subnet),
        ("network[dns]", dns),
    ]
}

fn lb_form<'a>(name: &'a str, net: &'a str, port: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("lb[name]", name),
        ("lb[region]", "toronto"),
        ("lb[net_id]", net),
        ("lb[method]", "ROUND_ROBIN"),
        ("lb[protocol]", "HTTP"),
        ("lb[port]", port),
        ("lb[connection_limit]", ""),
    ]
}

async fn lb(panel: &Panel, c: &Client, id: &str) -> LbDetail {
    panel
        .call(c, "lbs/detail", &[("lb_id", id)])
        .await
        .expect("lbs/detail")
}

async fn floating_ips_are_allocated_named_attached_and_released(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();

    field(
        panel
            .call::<String>(&c, "floatingips/allocate", &[("region", "")])
            .await,
        "region",
    );
    let ip = allocate(&panel, &c).await.unwrap();
    let v = floating(&panel, &c).await;
    let r = row(&v, &ip).expect("the new address is listed");
    assert_eq!((r.region.as_str(), r.attached.is_none()), ("toronto", true));
    assert!(r.rdns_default, "{r:?}");
    assert!(v.quota.is_none(), "an owner has no quota");

    // Reverse DNS: a bad name is refused beside the field; a good one shows; empty resets.
    field(
        panel
            .call::<()>(
                &c,
                "floatingips/rdns",
                &[("ip", &ip), ("hostname", "not a name")],
            )
            .await,
        "hostname",
    );
    let _: () = panel
        .call(
            &c,
            "floatingips/rdns",
            &[("ip", &ip), ("hostname", "Mail.Example.com")],
        )
        .await
        .unwrap();
    let r = floating(&panel, &c).await;
    let r = row(&r, &ip).unwrap().clone();
    assert_eq!(
        (r.rdns.as_str(), r.rdns_default),
        ("mail.example.com", false)
    );
    let _: () = panel
        .call(&c, "floatingips/rdns", &[("ip", &ip), ("hostname", "")])
        .await
        .unwrap();
    assert!(row(&floating(&panel, &c).await, &ip).unwrap().rdns_default);

    // A VM has a public address of its own: attaching another is refused beside the VM.
    let vm = panel_vm(&panel, &c, "web-1", "toronto", "").await;
    let vm_ip = eventually("the VM's address listed", 20, || async {
        let v = floating(&panel, &c).await;
        match v
            .ips
            .iter()
            .find(|r| r.attached.as_ref().is_some_and(|h| h.id == vm))
        {
            Some(r) => Ok(r.ip.clone()),
            None => Err(v.ips),
        }
    })
    .await;
    let refused = panel
        .call::<()>(&c, "floatingips/attach", &[("ip", &ip), ("vm_id", &vm)])
        .await;
    assert!(field(refused, "vm_id").contains(&vm_ip));
    conflict(
        panel
            .call::<()>(
                &c,
                "floatingips/release",
                &[("ip", &vm_ip), ("confirm", &vm_ip)],
            )
            .await,
        "detach it first",
    );

    // Detach, keeping the address; attach the new one; detach and release that.
    let _: () = panel
        .call(
            &c,
            "floatingips/detach",
            &[("ip", &vm_ip), ("keep", "true")],
        )
        .await
        .unwrap();
    let v = floating(&panel, &c).await;
    assert!(row(&v, &vm_ip).unwrap().attached.is_none());
    // The choices to attach to come from the live VM list: it has read the VM already.
    let target = v
        .vms
        .iter()
        .find(|t| t.vm_id == vm)
        .expect("the VM offered");
    assert_eq!(target.ip, "", "the VM is free for another address at once");
    let _: () = panel
        .call(&c, "floatingips/attach", &[("ip", &ip), ("vm_id", &vm)])
        .await
        .unwrap();
    let v = floating(&panel, &c).await;
    let on = row(&v, &ip).unwrap().attached.clone().unwrap();
    assert_eq!(
        (on.kind.as_str(), on.id.as_str(), on.name.as_str()),
        ("vm", vm.as_str(), "web-1")
    );
    conflict(
        panel
            .call::<()>(
                &c,
                "floatingips/detach",
                &[("ip", &vm_ip), ("keep", "true")],
            )
            .await,
        "not attached",
    );
    let _: () = panel
        .call(&c, "floatingips/detach", &[("ip", &ip), ("keep", "false")])
        .await
        .unwrap();
    assert!(row(&floating(&panel, &c).await, &ip).is_none(), "released");

    // Release the idle one: the address must be typed.
    field(
        panel
            .call::<()>(
                &c,
                "floatingips/release",
                &[("ip", &vm_ip), ("confirm", "x")],
            )
            .await,
        "confirm",
    );
    let _: () = panel
        .call(
            &c,
            "floatingips/release",
            &[("ip", &vm_ip), ("confirm", &vm_ip)],
        )
        .await
        .unwrap();
    assert!(row(&floating(&panel, &c).await, &vm_ip).is_none());
    not_found(
        panel
            .call::<()>(
                &c,
                "floatingips/rdns",
                &[("ip", "203.0.113.250"), ("hostname", "a.example.com")],
            )
            .await
            .map(|()| "set"),
    );
    panel.stop().await;
}

async fn networks_are_made_used_and_deleted(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let n = networks(&panel, &c).await;
    let defaults: Vec<_> = n.networks.iter().filter(|n| n.default).collect();
    assert_eq!(
        defaults.len(),
        n.regions.len(),
        "one default network per region"
    );
    assert!(defaults.iter().all(|d| d.in_use().is_some()));

    // Each field's problem beside it, all at once.
    let bad = panel
        .call::<String>(
            &c,
            "networks/create",
            &network_form("", "8.8.8", "1.1.1.1, dns.google"),
        )
        .await
        .unwrap_err();
    for f in ["name", "subnet", "dns"] {
        assert!(bad.field(f).is_some(), "{f}: {bad:?}");
    }
    assert!(field(
        panel
            .call::<String>(
                &c,
                "networks/create",
                &network_form("lan", "192.168.30.0/16", "")
            )
            .await,
        "subnet"
    )
    .contains("/24"));
    // Overlapping the default network is refused in words, before Luna Node is asked.
    assert!(field(
        panel
            .call::<String>(&c, "networks/create", &network_form("lan", "172.20.5", ""))
            .await,
        "subnet"
    )
    .contains("overlaps"));
    let net: String = panel
        .call(
            &c,
            "networks/create",
            &network_form("lan", "192.168.30", "1.1.1.1"),
        )
        .await
        .unwrap();
    assert!(!net.is_empty());

    // A VM made on it is shown on it.
    let vm = panel_vm(&panel, &c, "db-1", "toronto", &net).await;
    let n = eventually("the VM shown on the network", 20, || async {
        let n = networks(&panel, &c).await;
        let lan = n.networks.iter().find(|x| x.id == net).cloned().unwrap();
        if lan.vms.iter().any(|v| v.id == vm) {
            Ok(lan)
        } else {
            Err(lan)
        }
    })
    .await;
    assert_eq!(n.subnet, "192.168.30.0/24");
    assert!(n.vms[0].address.starts_with("192.168.30."), "{n:?}");
    let toronto_default = networks(&panel, &c)
        .await
        .networks
        .into_iter()
        .find(|x| x.default && x.region == "toronto")
        .unwrap();
    assert!(!toronto_default.vms.iter().any(|v| v.id == vm));

    // Deleting: the name typed; refused naming the VM while it is on it.
    let delete = |confirm: &'static str| {
        let (panel, c, net) = (&panel, &c, net.clone());
        async move {
            panel
                .call::<()>(
                    c,
                    "networks/delete",
                    &[
                        ("net_id", &net),
                        ("region", "toronto"),
                        ("confirm", confirm),
                    ],
                )
                .await
        }
    };
    field(delete("LAN").await, "confirm");
    conflict(delete("lan").await, "db-1");
    let _: () = panel
        .call(&c, "vms/delete", &[("vm_id", &vm), ("confirm", "db-1")])
        .await
        .unwrap();
    eventually("the VM gone from the network", 20, || async {
        let n = networks(&panel, &c).await;
        let lan = n.networks.iter().find(|x| x.id == net).cloned().unwrap();
        if lan.vms.is_empty() {
            Ok(())
        } else {
            Err(lan)
        }
    })
    .await;
    delete("lan").await.unwrap();
    assert!(!networks(&panel, &c)
        .await
        .networks
        .iter()
        .any(|x| x.id == net));
    panel.stop().await;
}

async fn a_load_balancer_gets_members_and_a_floating_ip(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let net: String = panel
        .call(
            &c,
            "networks/create",
            &network_form("web-net", "10.40.1", ""),
        )
        .await
        .unwrap();
    let options: LbCreateOptions = panel.call(&c, "lbs/create_options", &[]).await.unwrap();
    assert!(options.networks.iter().any(|n| n.id == net));
    let bad = panel
        .call::<String>(&c, "lbs/create", &lb_form("", &net, "99999"))
        .await
        .unwrap_err();
    assert!(
        bad.field("name").is_some() && bad.field("port").is_some(),
        "{bad:?}"
    );
    let id: String = panel
        .call(&c, "lbs/create", &lb_form("front", &net, "80"))
        .await
        .unwrap();

    let (one, two) = (
        panel_vm(&panel, &c, "app-1", "toronto", &net).await,
        panel_vm(&panel, &c, "app-2", "toronto", &net).await,
    );
    let elsewhere = panel_vm(&panel, &c, "app-3", "toronto", "").await;
    let d = eventually("both VMs offered as members", 20, || async {
        let d = lb(&panel, &c, &id).await;
        let ids: Vec<&str> = d.candidates.iter().map(|m| m.vm_id.as_str()).collect();
        if ids.contains(&one.as_str()) && ids.contains(&two.as_str()) {
            Ok(d)
        } else {
            Err(d)
        }
    })
    .await;
    assert!(
        !d.candidates.iter().any(|m| m.vm_id == elsewhere),
        "not on its network"
    );
    assert_eq!(d.lb.network, "web-net (10.40.1.0/24)");
    assert!(d.lb.vip.starts_with("10.40.1."), "{:?}", d.lb);
    assert_eq!((d.lb.port, d.lb.connection_limit), (Some(80), Some(-1)));

    for vm in [&one, &two] {
        let _: () = panel
            .call(
                &c,
                "lbs/member_add",
                &[("lb_id", &id), ("vm_id", vm), ("port", "8080")],
            )
            .await
            .unwrap();
    }
    assert!(field(
        panel
            .call::<()>(
                &c,
                "lbs/member_add",
                &[("lb_id", &id), ("vm_id", &elsewhere), ("port", "8080")]
            )
            .await,
        "vm_id"
    )
    .contains("network"));
    field(
        panel
            .call::<()>(
                &c,
                "lbs/member_add",
                &[("lb_id", &id), ("vm_id", &one), ("port", "0")],
            )
            .await,
        "port",
    );
    let d = lb(&panel, &c, &id).await;
    let names: Vec<&str> =
        d.lb.members
            .iter()
            .map(|m| m.vm.as_ref().map_or("?", |h| h.name.as_str()))
            .collect();
    assert_eq!(names, ["app-1", "app-2"]);
    assert!(
        !d.candidates
            .iter()
            .any(|m| m.vm_id == one || m.vm_id == two),
        "members are no longer offered: {:?}",
        d.candidates
    );

    // The VM's page names its network and its balancer.
    let detail: app::vm::VmDetail = panel
        .call(&c, "vms/detail", &[("vm_id", &two)])
        .await
        .unwrap();
    let on = detail.network.expect("the VM's network");
    assert_eq!(
        (on.id.as_str(), on.name.as_str(), on.default),
        (net.as_str(), "web-net", false)
    );
    assert_eq!(
        detail
            .load_balancers
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["front"]
    );
    let detail: app::vm::VmDetail = panel
        .call(&c, "vms/detail", &[("vm_id", &elsewhere)])
        .await
        .unwrap();
    assert!(
        detail.network.is_some_and(|n| n.default),
        "on the default network"
    );
    assert!(detail.load_balancers.is_empty());

    // A floating IP allocated in the same step; then listed as on the balancer.
    let ip: String = panel
        .call(&c, "lbs/associate", &[("lb_id", &id), ("ip", "")])
        .await
        .unwrap();
    assert_eq!(lb(&panel, &c, &id).await.lb.floating_ip, ip);
    let on = row(&floating(&panel, &c).await, &ip)
        .unwrap()
        .attached
        .clone()
        .unwrap();
    assert_eq!((on.kind.as_str(), on.id.as_str()), ("lb", id.as_str()));
    conflict(
        panel
            .call::<()>(&c, "floatingips/detach", &[("ip", &ip), ("keep", "true")])
            .await,
        "load balancer",
    );
    let listed: LbsView = panel.call(&c, "lbs/list", &[]).await.unwrap();
    let l = listed.lbs.iter().find(|l| l.id == id).unwrap();
    assert_eq!((l.floating_ip.as_str(), l.members.len()), (ip.as_str(), 2));

    // A deleted member VM leaves the balancer; the other is removed by hand.
    let _: () = panel
        .call(&c, "vms/delete", &[("vm_id", &one), ("confirm", "app-1")])
        .await
        .unwrap();
    let d = lb(&panel, &c, &id).await;
    assert_eq!(d.lb.members.len(), 1);
    let member = d.lb.members[0].id.clone();
    let _: () = panel
        .call(
            &c,
            "lbs/member_remove",
            &[("lb_id", &id), ("member_id", &member)],
        )
        .await
        .unwrap();
    assert!(lb(&panel, &c, &id).await.lb.members.is_empty());

    // The network is in use while the balancer is on it.
    conflict(
        panel
            .call::<()>(
                &c,
                "networks/delete",
                &[
                    ("net_id", &net),
                    ("region", "toronto"),
                    ("confirm", "web-net"),
                ],
            )
            .await,
        "front",
    );

    assert_pages_render(
        &panel,
        &c,
        &[
            ("/load-balancers", "front"),
            (&format!("/load-balancers/{id}"), "app-2"),
            ("/load-balancers/new", "Connection limit"),
            ("/networks", "web-net"),
            ("/floating-ips", &ip),
        ],
        3,
    )
    .await;

    field(
        panel
            .call::<()>(&c, "lbs/delete", &[("lb_id", &id), ("confirm", "x")])
            .await,
        "confirm",
    );
    let _: () = panel
        .call(&c, "lbs/delete", &[("lb_id", &id), ("confirm", "front")])
        .await
        .unwrap();
    assert!(
        row(&floating(&panel, &c).await, &ip)
            .unwrap()
            .attached
            .is_none(),
        "the address stays, idle"
    );
    not_found(
        panel
            .call::<LbDetail>(&c, "lbs/detail", &[("lb_id", &id)])
            .await,
    );
    panel.stop().await;
}

/// Calls to the emulator other than the live pollers' reads: what requests sent.
fn direct_calls(emu: &lunapanel::emulator::Emulator) -> u64 {
    emu.calls_except(&["vm/list", "vm/info", "plan/list", "region/list"])
}

async fn customers_see_and_use_only_their_networking(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, reseller_id) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(
        &panel,
        &reseller,
        a,
        &[("floating_ips", "1"), ("load_balancers", "1")],
    )
    .await;
    policy(&panel, &reseller, b, &[]).await;

    // A's address is A's at once, and within their quota.
    let mine = allocate(&panel, &ca).await.unwrap();
    let v = floating(&panel, &ca).await;
    assert_eq!(
        v.ips.iter().map(|r| r.ip.as_str()).collect::<Vec<_>>(),
        [mine.as_str()]
    );
    assert_eq!(v.quota, Some((1, Some(1))));
    assert!(matches!(
        allocate(&panel, &ca).await,
        Err(AppError::Quota(_))
    ));
    assert!(
        floating(&panel, &cb).await.ips.is_empty(),
        "B sees none of it"
    );
    let ledger = panel
        .state
        .store
        .assignments(reseller_id, Some(a))
        .await
        .unwrap();
    assert!(ledger
        .iter()
        .any(|x| x.kind == "floating" && x.resource_id == mine));

    // A's network, and a balancer on it; the reseller's default network is not A's.
    let net: String = panel
        .call(
            &ca,
            "networks/create",
            &network_form("a-net", "192.168.50", ""),
        )
        .await
        .unwrap();
    let n = networks(&panel, &ca).await;
    assert_eq!(
        n.networks.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        [net.as_str()]
    );
    assert!(networks(&panel, &cb).await.networks.is_empty());
    let default = networks(&panel, &reseller)
        .await
        .networks
        .into_iter()
        .find(|x| x.default && x.region == "toronto")
        .unwrap();
    let before = direct_calls(&emu);
    not_found(
        panel
            .call::<String>(&ca, "lbs/create", &lb_form("nope", &default.id, "80"))
            .await,
    );
    assert_eq!(
        direct_calls(&emu),
        before,
        "refused before Luna Node is asked"
    );
    let front: String = panel
        .call(&ca, "lbs/create", &lb_form("a-front", &net, "80"))
        .await
        .unwrap();
    assert!(matches!(
        panel
            .call::<String>(&ca, "lbs/create", &lb_form("second", &net, "80"))
            .await,
        Err(AppError::Quota(_))
    ));
    let listed: LbsView = panel.call(&cb, "lbs/list", &[]).await.unwrap();
    assert!(listed.lbs.is_empty(), "B sees no balancer");

    // Members must be A's VMs: the reseller's VM (unassigned) and B's are refused unseen.
    let theirs = make_vm_elsewhere(&panel, "reseller-box", "m.2").await;
    let before = direct_calls(&emu);
    for vm in [&theirs] {
        not_found(
            panel
                .call::<()>(
                    &ca,
                    "lbs/member_add",
                    &[("lb_id", &front), ("vm_id", vm), ("port", "80")],
                )
                .await,
        );
    }
    // B cannot touch A's balancer, network or address.
    not_found(
        panel
            .call::<LbDetail>(&cb, "lbs/detail", &[("lb_id", &front)])
            .await,
    );
    not_found(
        panel
            .call::<()>(
                &cb,
                "networks/delete",
                &[
                    ("net_id", &net),
                    ("region", "toronto"),
                    ("confirm", "a-net"),
                ],
            )
            .await,
    );
    not_found(
        panel
            .call::<()>(
                &cb,
                "floatingips/rdns",
                &[("ip", &mine), ("hostname", "b.example.com")],
            )
            .await,
    );
    assert_eq!(
        direct_calls(&emu),
        before,
        "refused before Luna Node is asked"
    );

    // A's own address goes in front of A's balancer; the balancer lists it.
    let ip: String = panel
        .call(&ca, "lbs/associate", &[("lb_id", &front), ("ip", &mine)])
        .await
        .unwrap();
    assert_eq!(ip, mine);
    assert_eq!(lb(&panel, &ca, &front).await.lb.floating_ip, mine);
    assert_pages_render(
        &panel,
        &ca,
        &[
            ("/floating-ips", &mine),
            ("/networks", "a-net"),
            ("/load-balancers", "a-front"),
        ],
        2,
    )
    .await;
    panel.stop().await;
}

both!(
    floating_ips_are_allocated_named_attached_and_released,
    networks_are_made_used_and_deleted,
    a_load_balancer_gets_members_and_a_floating_ip,
    customers_see_and_use_only_their_networking,
);
