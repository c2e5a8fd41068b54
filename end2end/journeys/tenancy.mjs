// A reseller and their customer: the admin makes an invited user a reseller; the reseller
// brands the panel, creates a customer and assigns them a VM; the customer sees only that VM
// under the reseller's brand, gets "not found" for another VM's page, creates a VM within
// quota and is refused past it; suspending them stops their VMs; viewing as them is
// bannered; the audit log shows all of it.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { lunanode } from "./vms.mjs";
import { addCustomer, joinByInvite, signIn } from "./steps.mjs";

export const RESELLER = { name: "Rita Reseller", email: "rita@example.com", password: "ritas passphrase 4" };
export const CUSTOMER = { name: "Carl Customer", email: "carl@example.com", password: "carls passphrase 5" };


/** Waits until Luna Node (the emulator) reports `status` for the VM. */
export async function waitStatus(creds, vmId, status) {
  const until = Date.now() + 30000;
  for (;;) {
    const info = await lunanode(creds.upstream, creds.apiId, creds.apiKey, "vm/info", { vm_id: vmId });
    if (info.info.status_nohtml === status) return;
    if (Date.now() > until) throw new Error(`VM ${vmId} never ${status}: ${info.info.status_nohtml}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export default async function tenancy(base, creds) {
  const admin = await openBrowser();
  const rita = await openBrowser();
  const carl = await openBrowser();
  let theirs, other;

  await check("tenancy: the admin invites a user and makes them a reseller", async () => {
    await signIn(admin.page, base, ADMIN_FINAL);
    await joinByInvite(admin.page, rita.page, base, RESELLER);
    await visit(admin.page, `${base}/admin`);
    await admin.page.locator(`tr[data-user="${RESELLER.email}"] button`, { hasText: "Make reseller" }).click();
    await expectText(admin.page.locator(`tr[data-user="${RESELLER.email}"] button`), "Make owner", "now a reseller");
  }, admin.page);

  await check("tenancy: the reseller stores the key, brands the panel and adds a customer", async () => {
    await visit(rita.page, `${base}/api-key`);
    await rita.page.fill("#field-api_id", creds.apiId);
    await rita.page.fill("#field-api_key", creds.apiKey);
    await rita.page.click("#save-key button[type=submit]");
    await expectText(rita.page.locator("#key-saved"), "accepted the key", "saved");
    theirs = (await lunanode(creds.upstream, creds.apiId, creds.apiKey, "vm/create", {
      hostname: "carls-server", plan_id: "87", image_id: "1000", region: "toronto",
    })).vm_id;
    other = (await lunanode(creds.upstream, creds.apiId, creds.apiKey, "vm/create", {
      hostname: "not-carls", plan_id: "87", image_id: "1000", region: "toronto",
    })).vm_id;
    await visit(rita.page, `${base}/branding`);
    await rita.page.fill("#field-panel_name", "Luna Node Cloud");
    await rita.page.click("#branding button[type=submit]");
    await expectText(rita.page.locator("#field-panel_name-error"), "never see", "upstream name refused");
    await rita.page.fill("#field-panel_name", "Acme Cloud");
    await rita.page.fill("#field-accent_light", "#b91c1c");
    await rita.page.click("#branding button[type=submit]");
    await expectText(rita.page.locator("#branding .notice-success"), "Saved", "branding saved");
    await addCustomer(rita.page, base, CUSTOMER);
    await shot(rita.page, "40-customers");
  }, rita.page);

  await check("tenancy: the reseller assigns a VM and sets the quota", async () => {
    await rita.page.locator(`tr[data-customer="${CUSTOMER.email}"] a`).click();
    await rita.page.waitForURL(/\/customers\/\d+$/);
    await rita.page.waitForSelector(`#field-resource_id option[value="${theirs}"]`, { state: "attached" });
    await rita.page.selectOption("#field-resource_id", theirs);
    await rita.page.click("#assign-vm button[type=submit]");
    await expectText(rita.page.locator("main table"), "carls-server", "assigned");
    await rita.page.fill('input[name="form[vms]"]', "2");
    await rita.page.click("#customer-policy button[type=submit]");
    await expectText(rita.page.locator("#customer-policy .notice-success"), "Saved", "policy saved");
    await shot(rita.page, "41-customer");
  }, rita.page);

  await check("tenancy: the customer sees only their VM under the reseller's brand", async () => {
    await signIn(carl.page, base, CUSTOMER);
    await expectText(carl.page.locator("#brand-name"), "Acme Cloud", "brand");
    await visit(carl.page, `${base}/vms`);
    await expectText(carl.page.locator("main"), "carls-server", "their VM");
    const text = await carl.page.locator("body").innerText();
    assert(!text.includes("not-carls"), "another VM is listed");
    assert(!/luna ?node/i.test(text), "the provider's name is shown to a customer");
    assert(!(await carl.page.locator("nav#sidebar").innerText()).includes("API key"), "no API key page");
    await shot(carl.page, "42-customer-vms");
  }, carl.page);

  await check("tenancy: another VM's page is not found for the customer", async () => {
    await visit(carl.page, `${base}/vms/${other}`);
    await expectText(carl.page.locator("main"), "does not exist", "not found");
    assert(!(await carl.page.locator("main").innerText()).includes("not-carls"), "nothing of it shown");
  }, carl.page);

  async function createVm(hostname) {
    await visit(carl.page, `${base}/vms/new`);
    await carl.page.check("input[name=region][value=toronto]");
    await carl.page.locator("input[name=plan_id]").first().check();
    const image = await carl.page.locator("#create-boot optgroup").first().locator("option").first().getAttribute("value");
    await carl.page.selectOption("#create-boot", image);
    await carl.page.fill("#create-hostname", hostname);
    await carl.page.click("#create-submit");
  }

  await check("tenancy: the customer creates a VM within quota, and is refused past it", async () => {
    await createVm("carls-second");
    await carl.page.waitForURL((url) => /\/vms\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith("/new"));
    await expectText(carl.page.locator("#vm-hostname"), "carls-second", "created");
    await createVm("carls-third");
    await expectText(carl.page.locator("main .notice"), "allows 2 servers", "quota message");
    assert(carl.page.url().endsWith("/vms/new"), "stayed on the wizard");
    await shot(carl.page, "43-customer-quota");
  }, carl.page);

  await check("tenancy: viewing as the customer is bannered", async () => {
    await visit(rita.page, `${base}/customers`);
    await rita.page.locator(`tr[data-customer="${CUSTOMER.email}"] .view-as`).click();
    await rita.page.waitForURL(`${base}/`);
    await expectText(rita.page.locator("#impersonation-banner"), `Viewing as ${CUSTOMER.name}`, "banner");
    await expectText(rita.page.locator("#brand-name"), "Acme Cloud", "their brand");
    await shot(rita.page, "44-view-as");
    await rita.page.click("#stop-viewing");
    await rita.page.waitForURL(`${base}/customers`);
    await rita.page.locator("#impersonation-banner").waitFor({ state: "detached" });
    await expectText(rita.page.locator("#brand-name"), "lunapanel", "their own panel again");
  }, rita.page);

  await check("tenancy: suspending the customer stops their VMs", async () => {
    await waitStatus(creds, theirs, "Online");
    await rita.page.locator(`tr[data-customer="${CUSTOMER.email}"] .suspend`).click();
    await expectText(rita.page.locator("#suspend-result"), "stopping", "suspended");
    await expectText(rita.page.locator(`tr[data-customer="${CUSTOMER.email}"]`), "Suspended", "status");
    await waitStatus(creds, theirs, "Offline");
    await visit(carl.page, `${base}/vms`);
    await expectText(carl.page.locator("main"), "carls-server", "they can still look");
  }, rita.page);

  await check("tenancy: the audit log shows all of it, with a CSV", async () => {
    await visit(rita.page, `${base}/audit`);
    const log = rita.page.locator("main table");
    for (const action of ["customer/create", "customer/assign", "customer/policy", "vm/create", "customer/view_as", "customer/suspend"]) {
      await expectText(log, action, `audit ${action}`);
    }
    await expectText(log, CUSTOMER.email, "the customer's own action");
    await visit(rita.page, `${base}/audit?action=customer%2Fsuspend`);
    const rows = await rita.page.locator("main table tbody tr").count();
    assert(rows === 1, `filtered rows: ${rows}`);
    const csv = await rita.page.evaluate(async () => (await fetch("/audit.csv?action=vm%2F")).text());
    assert(csv.split("\r\n")[0].startsWith("id,time_utc,actor"), "CSV header");
    assert(csv.includes(CUSTOMER.email) && csv.includes("vm/create"), "CSV rows");
    await shot(rita.page, "45-audit");
  }, rita.page);

  await check("tenancy: no console errors, page errors or dialogs", async () => {
    const problems = [...admin.problems, ...rita.problems, ...carl.problems];
    assert(problems.length === 0, problems.join("\n"));
  });
  for (const b of [admin, rita, carl]) await b.context.close();
}
