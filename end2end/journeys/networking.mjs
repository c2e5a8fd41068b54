// Floating IPs, networks and load balancers: an address is allocated (the cost shown
// first), named (reverse DNS), attached to a VM whose own address was detached, detached and
// released with it; the idle one is released with the address typed. A network is created (a
// public range refused beside the field, the name kept) and a VM booted on it from the create
// wizard. A load balancer is made on that network, takes two member VMs picked from it and a
// floating IP allocated in the same step. A reseller's customer sees only their networking,
// makes a network and a balancer of their own, and cannot add another tenant's VM as a member.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { RESELLER } from "./tenancy.mjs";
import { addCustomer, ensureKey, signIn, visitUntil } from "./steps.mjs";
import { lunanode } from "./vms.mjs";

const NINA = { name: "Nina Network", email: "nina@example.com", password: "ninas passphrase 7" };

const slug = (ip) => ip.replace(/[^A-Za-z0-9]/g, "-");

/** The addresses listed on the floating IP page. */
async function listedIps(page) {
  return page.locator("#floating-table tr[data-ip]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-ip")));
}

export default async function networking(base, creds) {
  const { context, page, problems } = await openBrowser();
  const api = (path, params) => lunanode(creds.upstream, creds.apiId, creds.apiKey, path, params);
  let ip, vmIp, fipVm;

  await check("networking: a floating IP is allocated with its cost shown first, and named", async () => {
    await signIn(page, base, ADMIN_FINAL);
    await ensureKey(page, base, creds);
    fipVm = (await api("vm/create", { hostname: "e2e-fip-host", plan_id: "87", image_id: "1000", region: "toronto" })).vm_id;
    await visit(page, `${base}/floating-ips`);
    await expectText(page.locator("#floating-cost"), "/month", "the cost before the button");
    const before = await listedIps(page);
    await page.selectOption("#floating-allocate-region", "toronto");
    await page.click("#floating-allocate");
    await expectText(page.locator(".toasts .toast"), "allocated", "allocated");
    for (let i = 0; i < 50 && !ip; i++) {
      ip = (await listedIps(page)).find((x) => !before.includes(x));
      if (!ip) await page.waitForTimeout(200);
    }
    assert(ip, "the new address is listed");
    const row = page.locator(`tr[data-ip="${ip}"]`);
    await expectText(row, "Idle (still billed)", "an idle address is pointed out");
    await row.locator("summary", { hasText: "Edit" }).click();
    await page.fill(`#rdns-input-${slug(ip)}`, "not a name");
    await page.click(`#rdns-save-${slug(ip)}`);
    await expectText(page.locator(`#rdns-save-${slug(ip)}-error`), "full host name", "a bad name refused beside the field");
    await page.fill(`#rdns-input-${slug(ip)}`, "mail.e2e.example.com");
    await page.click(`#rdns-save-${slug(ip)}`);
    await expectText(page.locator(`#rdns-${slug(ip)}`), "mail.e2e.example.com", "the reverse name shows");
    await shot(page, "80-floating-named");
  }, page);

  await check("networking: attached to a VM (its own address detached first), then detached and released", async () => {
    await visitUntil(page, `${base}/floating-ips`, `#floating-table tr:has-text("e2e-fip-host")`, "the VM's address listed");
    const vmRow = page.locator("#floating-table tr", { hasText: "e2e-fip-host" });
    vmIp = await vmRow.getAttribute("data-ip");
    await page.click(`#detach-${slug(vmIp)}`);
    await expectText(page.locator(`tr[data-ip="${vmIp}"]`), "Idle", "its address is kept, idle");
    const row = page.locator(`tr[data-ip="${ip}"]`);
    await row.locator("summary", { hasText: "Attach" }).click();
    await page.locator(`#attach-${slug(ip)}-choice option[value="${fipVm}"]`).waitFor({ state: "attached" });
    await page.selectOption(`#attach-${slug(ip)}-choice`, fipVm);
    await page.click(`#attach-${slug(ip)}`);
    await expectText(row, "e2e-fip-host", "attached, the VM linked");
    await shot(page, "81-floating-attached");
    await page.click(`#detach-release-${slug(ip)}`);
    await row.waitFor({ state: "detached", timeout: 30000 });
    const idle = page.locator(`tr[data-ip="${vmIp}"]`);
    await idle.locator("summary", { hasText: "Release" }).click();
    await page.fill(`#release-confirm-${slug(vmIp)}`, "1.2.3.4");
    await page.click(`#release-${slug(vmIp)}`);
    await expectText(page.locator(`#release-${slug(vmIp)}-error`), "Type the address", "the address must be typed");
    await page.fill(`#release-confirm-${slug(vmIp)}`, vmIp);
    await page.click(`#release-${slug(vmIp)}`);
    await idle.waitFor({ state: "detached", timeout: 30000 });
    const held = JSON.stringify(await api("floating/list", {}));
    assert(!held.includes(`"${ip}"`) && !held.includes(`"${vmIp}"`), "both given back at Luna Node");
  }, page);

  let netId, lanVm;
  await check("networking: a network is created (a public range refused, the name kept) and a VM booted on it", async () => {
    await visit(page, `${base}/networks`);
    await page.fill('[id="field-network[name]"]', "e2e-lan");
    await page.selectOption("#field-network-region", "toronto");
    await page.fill("#field-network-subnet", "8.8.8");
    await expectText(page.locator("#field-network-subnet-hint"), "private range", "checked while typing");
    await page.click("#create-network-form button[type=submit]");
    await expectText(page.locator("#field-network-subnet-error"), "private range", "refused beside the field");
    assert((await page.inputValue('[id="field-network[name]"]')) === "e2e-lan", "the name is kept");
    await page.fill("#field-network-subnet", "192.168.60");
    await expectText(page.locator("#field-network-subnet-hint"), "192.168.60.0/24", "the subnet spelled out");
    await page.click("#create-network-form button[type=submit]");
    const row = page.locator("#network-table tr", { hasText: "e2e-lan" });
    await row.waitFor({ state: "visible", timeout: 30000 });
    netId = await row.getAttribute("data-network-id");
    await expectText(row, "192.168.60.0/24", "listed with its subnet");

    await visit(page, `${base}/vms/new`);
    await page.check("input[name=region][value=toronto]");
    await page.locator("input[name=plan_id]").first().check();
    const firstImage = await page.locator("#create-boot optgroup").first().locator("option").first().getAttribute("value");
    await page.selectOption("#create-boot", firstImage);
    await page.fill("#create-hostname", "e2e-lan-1");
    await page.selectOption("#create-network", netId);
    await page.click("#create-submit");
    await page.waitForURL((url) => /\/vms\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith("/new"));
    lanVm = new URL(page.url()).pathname.split("/").pop();
    await visitUntil(page, `${base}/networks`, `tr[data-network-id="${netId}"] a[href="/vms/${lanVm}"]`, "the VM shown on the network");
    await expectText(page.locator(`tr[data-network-id="${netId}"]`), "192.168.60.", "with its address in the network");
    await shot(page, "82-network-with-vm");
  }, page);

  let lbUrl, secondVm;
  await check("networking: a load balancer on the network takes two member VMs and a new floating IP", async () => {
    secondVm = (await api("vm/create", {
      hostname: "e2e-lan-2", plan_id: "87", image_id: "1000", region: "toronto", net_id: netId,
    })).vm_id;
    await visit(page, `${base}/load-balancers/new`);
    await expectText(page.locator("#lb-cost"), "/month", "the cost before the button");
    await page.fill('[id="field-lb[name]"]', "e2e-front");
    await page.selectOption("#field-lb-region", "toronto");
    await page.selectOption("#field-lb-network", netId);
    await page.fill('[id="field-lb[port]"]', "0");
    await page.click("#create-lb-form button[type=submit]");
    await expectText(page.locator('[id="field-lb[port]-error"]'), "port from 1", "a bad port refused beside the field");
    await page.fill('[id="field-lb[port]"]', "80");
    await page.click("#create-lb-form button[type=submit]");
    await page.waitForURL((url) => /\/load-balancers\/\d+$/.test(url.pathname));
    lbUrl = page.url();
    await expectText(page.locator("#lb-network"), "e2e-lan", "on its network");
    for (const vm of [lanVm, secondVm]) {
      await visitUntil(page, lbUrl, `#lb-member-add-choice option[value="${vm}"]`, "the VM offered as a member");
      await page.selectOption("#lb-member-add-choice", vm);
      await page.fill("#lb-member-port", "8080");
      await page.click("#lb-member-add");
      await expectText(page.locator("#lb-member-table"), vm === lanVm ? "e2e-lan-1" : "e2e-lan-2", "the member listed by name");
    }
    assert((await page.locator("#lb-member-table tbody tr").count()) === 2, "two members");
    await page.selectOption("#lb-associate-choice", "");
    await page.click("#lb-associate");
    await expectText(page.locator("#lb-floating"), ".", "a floating IP in front");
    const fip = (await page.locator("#lb-floating").innerText()).trim();
    await visit(page, `${base}/floating-ips`);
    await expectText(page.locator(`tr[data-ip="${fip}"]`), "Load balancer e2e-front", "the address names its balancer");
    await visit(page, `${base}/networks`);
    await expectText(page.locator(`tr[data-network-id="${netId}"]`), "e2e-front", "the network names its balancer");
    await shot(page, "83-network-with-balancer");
    await visit(page, lbUrl);
    await shot(page, "84-load-balancer");
  }, page);

  // A reseller's customer: only their networking; another tenant's VM is no member of theirs.
  const rita = await openBrowser();
  const nina = await openBrowser();
  await check("networking: the reseller lets a customer run networks, balancers and addresses", async () => {
    await signIn(rita.page, base, RESELLER);
    await ensureKey(rita.page, base, creds);
    await addCustomer(rita.page, base, NINA);
    const customerId = await rita.page.locator(`tr[data-customer="${NINA.email}"] a`).first().getAttribute("href");
    await visit(rita.page, `${base}${customerId}`);
    for (const cap of ["networks", "lbs", "floating"]) {
      await rita.page.check(`#customer-policy input[type=checkbox][value="${cap}"]`);
    }
    await rita.page.click("#customer-policy button[type=submit]");
    await expectText(rita.page.locator("#customer-policy .notice-success"), "Saved", "policy saved");
  }, rita.page);

  await check("networking: the customer sees only theirs and cannot add another tenant's VM as a member", async () => {
    await signIn(nina.page, base, NINA);
    await visit(nina.page, `${base}/networks`);
    const text = await nina.page.locator("main").innerText();
    assert(!text.includes("e2e-lan") && !text.includes("Luna Node"), "no one else's network is listed");
    await nina.page.fill('[id="field-network[name]"]', "nina-net");
    await nina.page.fill("#field-network-subnet", "192.168.61");
    await nina.page.click("#create-network-form button[type=submit]");
    const row = nina.page.locator("#network-table tr", { hasText: "nina-net" });
    await row.waitFor({ state: "visible", timeout: 30000 });
    const ninasNet = await row.getAttribute("data-network-id");
    await visit(nina.page, `${base}/floating-ips`);
    assert(!(await nina.page.locator("main").innerText()).includes("e2e-front"), "no one else's address is listed");
    await visit(nina.page, `${base}/load-balancers/new`);
    const offered = await nina.page.locator("#field-lb-network option").evaluateAll((o) => o.map((x) => x.value));
    assert(offered.length === 1 && offered[0] === ninasNet, `only her network is offered: ${offered}`);
    await nina.page.fill('[id="field-lb[name]"]', "nina-front");
    await nina.page.click("#create-lb-form button[type=submit]");
    await nina.page.waitForURL((url) => /\/load-balancers\/\d+$/.test(url.pathname));
    const ninasLb = new URL(nina.page.url()).pathname.split("/").pop();
    assert(await nina.page.locator("#lb-member-add").isDisabled(), "no VM of hers to add");
    // Asking the server directly for another tenant's VM: not found.
    const status = await nina.page.evaluate(async ([lb, vm]) => {
      const res = await fetch("/api/lbs/member_add", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ lb_id: lb, vm_id: vm, port: "80" }),
      });
      return res.status;
    }, [ninasLb, lanVm]);
    assert(status === 404, `another tenant's VM as a member: ${status}`);
    await visit(nina.page, lbUrl);
    await expectText(nina.page.locator("main"), "does not exist", "another tenant's balancer is not found");
    await shot(nina.page, "85-customer-networking");
  }, nina.page);

  await check("networking: no console errors, page errors or dialogs", async () => {
    const all = [...problems, ...rita.problems, ...nina.problems];
    assert(all.length === 0, all.join("\n"));
  });
  for (const b of [rita, nina]) await b.context.close();
  await context.close();
}
