//! Large accounts (issue 14.10): an account of 520 VMs is paged on the server. `vms/page`
//! sends one page (50 by default, the last page when asked past the end), the search and
//! filters narrow before paging, the sort holds across pages; a customer sees only their
//! VMs and counts that never include the reseller's others; `/vms` renders the page its
//! URL asks for; the paged live stream sends only that page.

use app::components::list_rules::PageInfo;
use app::vm::VmListing;
use reqwest::Client;

use crate::both;
use crate::harness::{eventually, paging_fields, Db, Panel};
use crate::tenancy::{assign, customer, policy, reseller};
use crate::vms::make_vm_elsewhere;

const VMS: usize = 520;

async fn page(panel: &Panel, c: &Client, args: &[(&str, &str)]) -> VmListing {
    // Nothing at all is every default (page 1 of 50, sorted by name).
    let args = paging_fields(args);
    let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    panel.call(c, "vms/page", &form).await.expect("vms/page")
}

fn names(l: &VmListing) -> Vec<&str> {
    l.vms.iter().map(|v| v.name.as_str()).collect()
}

fn info(l: &VmListing) -> &PageInfo {
    l.paging
        .as_ref()
        .expect("a paged answer says where it stands")
}

/// The first `snapshot` event of a paged live stream at `query`.
async fn first_live_page(panel: &Panel, c: &Client, query: &str) -> VmListing {
    let path = format!("/api/live/vms?{query}");
    let (task, seen) = crate::live_kinds::watch_stream::<VmListing>(panel, c, &path).await;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(first) = seen.lock().unwrap().first().cloned() {
            task.abort();
            return first;
        }
        assert!(
            std::time::Instant::now() < until,
            "{path}: a snapshot within 20 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn a_large_account_is_paged_on_the_server(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| {
        c.time_scale = 0.0;
        c.accounts[0].credit = 1e6;
    })
    .await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let mut ids = Vec::with_capacity(VMS);
    for i in 1..=VMS {
        ids.push(make_vm_elsewhere(&panel, &format!("node-{i}"), "m.2").await);
    }
    // The poller has read them all.
    let first = eventually("the poller lists every VM", 60, || async {
        let l = page(&panel, &reseller, &[]).await;
        if info(&l).total == VMS {
            Ok(l)
        } else {
            Err(info(&l).total)
        }
    })
    .await;

    // Page 1 of 50, by name (naturally: node-2 before node-10).
    let p = info(&first);
    assert_eq!((p.total, p.filtered, p.page, p.size), (VMS, VMS, 1, 50));
    assert_eq!(first.vms.len(), 50);
    assert_eq!(names(&first)[..3], ["node-1", "node-2", "node-3"]);
    assert_eq!(names(&first)[49], "node-50");
    assert_eq!(p.range_text(), "1–50 of 520");

    // Page 2, and a page past the end is the last one.
    let second = page(&panel, &reseller, &[("page", "2")]).await;
    assert_eq!(names(&second)[0], "node-51");
    assert_eq!(info(&second).range_text(), "51–100 of 520");
    let last = page(&panel, &reseller, &[("page", "99")]).await;
    assert_eq!((info(&last).page, last.vms.len()), (11, 20));
    assert_eq!(names(&last)[19], "node-520");
    // Sizes: 200 a page; an unknown size is the default.
    let big = page(&panel, &reseller, &[("size", "200"), ("page", "3")]).await;
    assert_eq!((big.vms.len(), info(&big).pages()), (120, 3));
    let odd = page(&panel, &reseller, &[("size", "7")]).await;
    assert_eq!(odd.vms.len(), 50);

    // The sort holds across pages: by name descending (column 1), then page 2.
    let desc = page(
        &panel,
        &reseller,
        &[("sort", "1"), ("desc", "true"), ("page", "2")],
    )
    .await;
    // Descending: node-520 … node-471 on page 1, node-470 first on page 2.
    let desc_first = page(&panel, &reseller, &[("sort", "1"), ("desc", "true")]).await;
    assert_eq!(names(&desc_first)[0], "node-520");
    assert_eq!(names(&desc)[0], "node-470");

    // The search narrows before paging: node-51 and node-510 … node-519.
    let found = page(&panel, &reseller, &[("search", "node-51")]).await;
    assert_eq!((info(&found).filtered, info(&found).total), (11, VMS));
    assert_eq!(names(&found)[..2], ["node-51", "node-510"]);
    let by_id = page(&panel, &reseller, &[("search", ids[299].as_str())]).await;
    assert_eq!(names(&by_id), ["node-300"]);
    // The region filter: its choices are every region of the 520, not of the page.
    let nowhere = page(&panel, &reseller, &[("filters[0]", "nowhere")]).await;
    assert_eq!(info(&nowhere).filtered, 0, "{:?}", info(&nowhere));
    let regions = info(&first).choices[0].clone();
    assert!(!regions.is_empty(), "the region filter's choices");
    let there = page(&panel, &reseller, &[("filters[0]", regions[0].as_str())]).await;
    assert!(info(&there).filtered > 0);

    // A customer: only what is assigned, and counts without the reseller's other VMs.
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    policy(&panel, &reseller, a, &[]).await;
    for i in [7, 300, 512] {
        assign(&panel, &reseller, a, "vm", &ids[i - 1]).await;
    }
    let theirs = page(&panel, &ca, &[]).await;
    assert_eq!(names(&theirs), ["node-7", "node-300", "node-512"]);
    assert_eq!((info(&theirs).total, info(&theirs).filtered), (3, 3));
    let narrowed = page(&panel, &ca, &[("search", "node-5")]).await;
    assert_eq!(names(&narrowed), ["node-512"]);
    assert_eq!((info(&narrowed).total, info(&narrowed).filtered), (3, 1));
    // Another VM's id (the reseller's, unassigned) finds nothing, and is not counted.
    let probe = page(&panel, &ca, &[("search", ids[0].as_str())]).await;
    assert!(probe.vms.is_empty());
    assert_eq!((info(&probe).total, info(&probe).filtered), (3, 0));
    let past = page(&panel, &ca, &[("page", "5")]).await;
    assert_eq!(info(&past).page, 1);

    // The server renders the page the URL asks for, and only its rows.
    let html = panel.page(&reseller, "/vms?page=2").await;
    assert!(html.contains("id=\"vm-pager\""), "the pager");
    assert!(html.contains("51–100 of 520"), "the range");
    assert_eq!(html.matches("data-vm-id=").count(), 50);
    assert!(html.contains(&format!("data-vm-id=\"{}\"", ids[50])));
    assert!(!html.contains(&format!("data-vm-id=\"{}\"", ids[0])));
    let html = panel.page(&reseller, "/vms?q=node-51&size=25").await;
    assert_eq!(html.matches("data-vm-id=").count(), 11);
    assert!(html.contains("1–11 of 11"));
    // The customer's rendering: their three, no pager (fewer rows than the smallest page).
    let html = panel.page(&ca, "/vms").await;
    assert_eq!(html.matches("data-vm-id=").count(), 3);
    assert!(!html.contains("id=\"vm-pager\""));

    // The paged live stream: the page asked for, not 520 rows.
    let live = first_live_page(&panel, &reseller, "paged=1&page=3&sort=name&desc=1").await;
    assert_eq!(live.vms.len(), 50);
    assert_eq!(info(&live).page, 3);
    assert_eq!(names(&live)[0], "node-420");
    let live = first_live_page(&panel, &ca, "paged=1&q=node").await;
    assert_eq!(names(&live), ["node-7", "node-300", "node-512"]);
    assert_eq!(info(&live).total, 3);
    // Unpaged, as before: every VM the viewer may see.
    let all = first_live_page(&panel, &reseller, "").await;
    assert_eq!((all.vms.len(), all.paging), (VMS, None));
    panel.stop().await;
}

both!(a_large_account_is_paged_on_the_server);
