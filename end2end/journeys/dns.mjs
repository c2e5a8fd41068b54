// DNS: a zone is added (a bad name refused beside the field), then given an A record of each
// policy kind — plain, weighted, geo (a country) and failover tied to a monitor check (the
// check made at Luna Node, as monitoring pages come later) — with a refused record keeping
// what was typed. A zone file with one bad line is previewed (only that line refused, nothing
// written), imported, and exported back. "Publish DNS" on a VM's page makes its A record and
// reverse DNS, and the reverse DNS page shows the PTR. A dynamic name gets an update link that
// a router would call, and follows it.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { ensureKey, signIn, visitUntil } from "./steps.mjs";
import { lunanode } from "./vms.mjs";

const ZONE = "e2e-zone.example";
const slug = (ip) => ip.replace(/[^A-Za-z0-9]/g, "-");

/** Adds one record with the zone page's form; `extra` runs after the common fields. */
async function addRecord(page, { type = "A", name, data, extra }) {
  await page.selectOption("#record-type", type);
  await page.fill("#record-name", name);
  await page.fill("#record-data", data);
  if (extra) await extra();
  await page.click("#record-add");
}

/** The text of the record row holding `data`. */
async function rowOf(page, data) {
  const row = page.locator("#record-table tr", { hasText: data });
  await row.first().waitFor({ state: "visible" });
  return row.first().innerText();
}

export default async function dns(base, creds) {
  const { context, page, problems } = await openBrowser();
  const api = (path, params) => lunanode(creds.upstream, creds.apiId, creds.apiKey, path, params);
  let zonePath;

  await check("dns: a zone is added (a bad name refused beside the field)", async () => {
    await signIn(page, base, ADMIN_FINAL);
    await ensureKey(page, base, creds);
    await visit(page, `${base}/dns`);
    await page.fill('input[name="zone[name]"]', "https://nope.example/");
    await page.click('#add-zone-form button[type="submit"]');
    await expectText(page.locator('[id="field-zone[name]-error"]'), "without http", "refused beside the field");
    assert((await page.inputValue('input[name="zone[name]"]')) === "https://nope.example/", "what was typed is kept");
    await page.fill('input[name="zone[name]"]', ZONE);
    await page.click('#add-zone-form button[type="submit"]');
    await page.waitForURL(/\/dns\/zones\/\d+$/);
    zonePath = new URL(page.url()).pathname;
    await expectText(page.locator("#zone-name"), ZONE, "the zone's page");
  }, page);

  await check("dns: an A record of each policy kind, a refused one keeping what was typed", async () => {
    const made = await api("monitor/check-add", { name: "e2e-web", type: "icmp", check_interval: "60", delay: "1", target: "203.0.113.50" });
    assert(made.check_id, "a monitor check at Luna Node");
    await visit(page, `${base}${zonePath}`);
    await addRecord(page, { name: "www", data: "2001:db8::1" });
    await expectText(page.locator("#record-data-error"), "IPv4", "an IPv6 address is no A record");
    assert((await page.inputValue("#record-name")) === "www", "the name is kept");
    await page.fill("#record-data", "203.0.113.50");
    await page.click("#record-add");
    await expectText(page.locator("#record-added"), "Record added", "plain");
    await addRecord(page, { name: "lb", data: "203.0.113.51", extra: () => page.fill("#record-weight", "3") });
    await expectText(page.locator("#record-table"), "203.0.113.51", "weighted");
    await addRecord(page, {
      name: "geo", data: "203.0.113.52",
      extra: async () => {
        await page.fill("#record-weight", "");
        await page.selectOption("#record-route", "country");
        await page.fill("#record-country", "ca");
      },
    });
    await expectText(page.locator("#record-table"), "203.0.113.52", "geo");
    await addRecord(page, {
      name: "fo", data: "203.0.113.53",
      extra: async () => {
        await page.selectOption("#record-route", "plain");
        await page.selectOption("#record-monitor", made.check_id);
      },
    });
    await expectText(page.locator("#record-table"), "203.0.113.53", "failover");
    assert((await rowOf(page, "203.0.113.50")).includes("Everyone"), "plain: everyone");
    assert((await rowOf(page, "203.0.113.51")).includes("weight 3"), "weighted");
    assert((await rowOf(page, "203.0.113.52")).includes("Country CA"), "geo by country");
    assert((await rowOf(page, "203.0.113.53")).includes("failover: off while check “e2e-web” fails"), "failover tied to the check");
    await shot(page, "90-dns-records");
  }, page);

  await check("dns: a zone file's preview refuses only the bad line, imports, and exports back", async () => {
    const file = [
      `$ORIGIN ${ZONE}.`,
      "$TTL 600",
      "mail IN A 203.0.113.60",
      "@ IN MX 10 mail",
      "broken IN A 999.0.0.1",
      '@ IN TXT "v=spf1 mx -all"',
    ].join("\n");
    await page.fill("#zone-import-text", file);
    await page.click("#zone-import-preview");
    await page.locator("#zone-import-result").waitFor();
    const skipped = page.locator("#zone-import-skipped li");
    assert((await skipped.count()) === 1, "one line refused");
    assert((await skipped.first().getAttribute("data-line")) === "5", "the bad line, by number");
    await expectText(skipped, "IPv4", "with the reason");
    assert((await page.locator("#zone-import-add li").count()) === 3, "three to add");
    assert(!(await page.locator("#record-table").innerText()).includes("203.0.113.60"), "a preview writes nothing");
    await page.click("#zone-import-apply");
    await expectText(page.locator("#zone-import-done"), "Imported 3 records", "imported");
    await expectText(page.locator("#record-table"), "203.0.113.60", "the imported record is listed");
    await page.click("#zone-export");
    await page.locator("#zone-export-text").waitFor();
    const text = await page.inputValue("#zone-export-text");
    assert(text.includes(`$ORIGIN ${ZONE}.`) && text.includes("MX\t10 mail.e2e-zone.example."), `the export: ${text}`);
    assert(text.includes("; lunapanel policy: Country CA"), "policies as comments");
    await shot(page, "91-dns-import");
    // The records are searched and paged on the server: the search is in the URL, and the
    // link renders the same page.
    await page.fill("#record-search", "mail");
    await expectText(page.locator("#record-count"), "2 of 7", "the search narrows the records");
    await page.waitForURL(/[?&]q=mail/);
    await visit(page, page.url());
    await expectText(page.locator("#record-count"), "2 of 7", "a link to the search renders it");
    assert((await page.locator("#record-table tbody tr").count()) === 2, "two records listed");
  }, page);

  let vmId, vmIp;
  await check("dns: Publish DNS for a VM makes its A record and reverse DNS", async () => {
    vmId = (await api("vm/create", { hostname: "e2e-pub", plan_id: "87", image_id: "1000", region: "toronto" })).vm_id;
    await visitUntil(page, `${base}/vms/${vmId}`, "#publish-name", "the publish card");
    await page.selectOption("#publish-zone", { label: ZONE });
    await page.fill("#publish-name", "e2e-pub");
    await page.click("#publish-dns-go");
    await expectText(page.locator("#publish-result"), "Reverse DNS of", "the PTR set");
    const done = await page.locator("#publish-result").innerText();
    vmIp = (done.match(/Added A e2e-pub\.e2e-zone\.example → (\d+(?:\.\d+){3})/) || [])[1];
    assert(vmIp, `the A record named: ${done}`);
    await visit(page, `${base}/dns/reverse`);
    await expectText(page.locator(`#rdns-${slug(vmIp)}`), `e2e-pub.${ZONE}`, "the reverse DNS page shows the PTR");
    await visit(page, `${base}${zonePath}`);
    await expectText(page.locator("#record-table"), vmIp, "and the zone the A record");
  }, page);

  await check("dns: a dynamic name follows its update link", async () => {
    await visit(page, `${base}/dns/dynamic`);
    await page.fill("#dyn-name", "e2e home");
    await page.click("#dyn-add");
    await expectText(page.locator("#dyn-name-error"), "letters, digits", "a bad name refused beside the field");
    await page.fill("#dyn-name", "e2e-home");
    await page.click("#dyn-add");
    const row = page.locator("#dyn-table tr", { hasText: "e2e-home.lndyn.com" });
    await row.waitFor();
    const id = await row.getAttribute("data-dyn-id");
    await page.click(`#dyn-link-${id}`);
    const link = await page.locator("#dyn-link-url").inputValue();
    assert(link.includes("/api/dyn/update?token="), `a link: ${link}`);
    const local = base + link.slice(link.indexOf("/api/dyn/"));
    const first = await (await fetch(`${local}&ip=203.0.113.77`)).text();
    assert(first === "good 203.0.113.77\n", `the router's call: ${first}`);
    const again = await (await fetch(`${local}&ip=203.0.113.77`)).text();
    assert(again === "nochg 203.0.113.77\n", `unchanged: ${again}`);
    await visit(page, `${base}/dns/dynamic`);
    await expectText(page.locator(`tr[data-dyn-id="${id}"]`), "203.0.113.77", "the list shows the new address");
    await shot(page, "92-dns-dynamic");
  }, page);

  await check("dns: no console errors, page errors or dialogs", async () => {
    assert(problems.length === 0, problems.join("\n"));
  });
  await context.close();
}
