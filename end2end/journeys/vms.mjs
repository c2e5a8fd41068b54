// The API key and the VM area against the emulator: a wrong key is refused beside the field
// and a good one is shown masked; a VM is created and comes online without a reload, is
// stopped, started, renamed and deleted; a VM named with markup renders as text.
import { createHmac } from "node:crypto";
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";

/** Calls the emulator directly, signed as Luna Node clients sign (for setup only). */
export async function lunanode(upstream, apiId, apiKey, path, params) {
  const req = JSON.stringify({ api_id: apiId, api_partialkey: apiKey.slice(0, 64), ...params });
  const nonce = String(Math.floor(Date.now() / 1000));
  const handler = `${path}/`;
  const signature = createHmac("sha512", apiKey).update(`${handler}|${req}|${nonce}`).digest("hex");
  const res = await fetch(`${upstream}/${handler}`, {
    method: "POST",
    body: new URLSearchParams({ req, signature, nonce }),
  });
  const body = await res.json();
  if (body.success !== "yes") throw new Error(`${path}: ${JSON.stringify(body)}`);
  return body;
}

export default async function vms(base, { apiId, apiKey, upstream }) {
  const { context, page, problems } = await openBrowser();
  const status = page.locator(".page-head .status");

  await check("vms: the console asks for an API key first", async () => {
    await visit(page, `${base}/sign-in`);
    await page.fill("#field-email", ADMIN_FINAL.email);
    await page.fill("#field-password", ADMIN_FINAL.password);
    await page.click("button[type=submit]");
    await page.waitForURL(`${base}/`);
    await expectText(page.locator("#no-key-banner"), "No Luna Node API key", "no-key banner");
    await visit(page, `${base}/vms`);
    await expectText(page.locator("main .notice"), "add your Luna Node API key", "VM page prompt");
  });

  await check("api key: a wrong key is refused beside the field, nothing lost", async () => {
    await visit(page, `${base}/api-key`);
    await page.fill("#field-api_id", apiId);
    await page.fill("#field-api_key", "X".repeat(128));
    await page.click("#save-key button[type=submit]");
    await expectText(page.locator("#field-api_key-error"), "refused this API ID and key", "key error");
    assert((await page.inputValue("#field-api_id")) === apiId, "API ID kept");
    assert((await page.locator("#stored-key").count()) === 0, "nothing stored");
    await shot(page, "20-api-key-wrong");
  });

  await check("api key: a good key is stored and shown masked", async () => {
    await page.fill("#field-api_key", apiKey);
    await page.click("#save-key button[type=submit]");
    await expectText(page.locator("#key-saved"), "Luna Node accepted the key", "saved");
    await expectText(page.locator("#key-masked"), `…${apiKey.slice(-4)}`, "masked key");
    await expectText(page.locator("#key-api-id"), apiId, "API ID");
    const html = await page.content();
    assert(!html.includes(apiKey.slice(0, 16)), "the key is not in the page");
    await shot(page, "21-api-key-stored");
  });

  let vmUrl;
  await check("vms: create a VM and watch it come online without a reload", async () => {
    await visit(page, `${base}/vms/new`);
    await page.check("input[name=region][value=toronto]");
    await page.locator("input[name=plan_id]").first().check();
    const firstImage = await page.locator("#create-boot optgroup").first().locator("option").first().getAttribute("value");
    await page.selectOption("#create-boot", firstImage);
    await page.fill("#create-hostname", "bad host!");
    await expectText(page.locator(".field-error"), "Use only letters", "live hostname check");
    await page.fill("#create-hostname", "e2e-web-1");
    await expectText(page.locator("#create-cost"), "/month", "price before creating");
    await shot(page, "22-create-wizard");
    await page.click("#create-submit");
    await page.waitForURL((url) => /\/vms\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith("/new"));
    vmUrl = page.url();
    await page.evaluate(() => { window.__noReload = "still here"; });
    await expectText(status, "Online", "live status reaches Online");
    assert((await page.evaluate(() => window.__noReload)) === "still here", "no reload happened");
    await expectText(page.locator("#vm-hostname"), "e2e-web-1", "hostname");
    await shot(page, "23-vm-online");
  });

  await check("vms: stop, start and rename, each showing its result", async () => {
    await page.click("button[data-op=Stop]");
    await expectText(status, "Offline", "stopped");
    assert(await page.locator("button[data-op=Stop]").isDisabled(), "Stop disabled while offline");
    await page.click("button[data-op=Start]");
    await expectText(status, "Online", "started");
    await page.fill("#rename-hostname", "e2e-web-2");
    await page.click("#rename-submit");
    await expectText(page.locator("#vm-hostname"), "e2e-web-2", "renamed");
    await shot(page, "24-vm-renamed");
  });

  await check("vms: the list shows the VM; delete needs the typed hostname", async () => {
    await visit(page, `${base}/vms`);
    await expectText(page.locator("#vm-table a.vm-name"), "e2e-web-2", "listed");
    await page.goto(vmUrl);
    await page.waitForSelector("html[data-hydrated=true]", { state: "attached" });
    assert(await page.locator("#delete-vm").isDisabled(), "delete disabled until confirmed");
    await page.fill("#delete-confirm", "e2e-web-2");
    await page.click("#delete-vm");
    await page.waitForURL(`${base}/vms`);
    await page.locator("#vm-table a.vm-name", { hasText: "e2e-web-2" }).waitFor({ state: "detached" }).catch(() => {});
    const names = await page.locator("a.vm-name").allInnerTexts();
    assert(!names.includes("e2e-web-2"), `deleted VM still listed: ${names}`);
  }, page);

  await check("vms: a hostname made of markup renders as text", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    await lunanode(upstream, apiId, apiKey, "vm/create", { hostname: evil, plan_id: "s.1", image_id: "1000" });
    await visit(page, `${base}/vms`);
    // Made outside the panel: it appears when the list is next read (at most 30 s later).
    await page.locator("a.vm-name", { hasText: evil }).waitFor({ state: "visible", timeout: 45000 });
    assert((await page.locator("#vm-table img").count()) === 0, "no <img> element was created");
    await shot(page, "25-vm-markup-hostname");
  });

  await check("vms: a large account is paged on the server; search, pages, size, back", async () => {
    const made = [];
    for (let i = 1; i <= 60; i++) {
      const hostname = `bulk-${String(i).padStart(2, "0")}`;
      made.push((await lunanode(upstream, apiId, apiKey, "vm/create", { hostname, plan_id: "s.1", image_id: "1000" })).vm_id);
    }
    await visit(page, `${base}/vms`);
    const range = page.locator("#vm-range");
    // Made outside the panel: the live stream brings them when the list is next read.
    await page.locator("#vm-pager").waitFor({ state: "visible", timeout: 45000 });
    await expectText(range, "1–50 of", "the first page");
    assert((await page.locator("#vm-table tbody tr").count()) === 50, "50 rows a page");
    await page.click("#vm-next");
    await page.waitForURL(/[?&]page=2/);
    await expectText(range, "51–", "the second page");
    await page.goBack();
    await expectText(range, "1–50 of", "back to the first page");
    await page.fill("#vm-search", "bulk-0");
    await expectText(page.locator("#vm-count"), "9 of", "the search narrows on the server");
    await expectText(range, "1–9 of 9", "one page found");
    await page.fill("#vm-search", "");
    await page.selectOption("#vm-size", "25");
    await expectText(range, "1–25 of", "25 a page");
    assert(/[?&]size=25/.test(page.url()), `the size is in the URL: ${page.url()}`);
    // A page of the list is a link: opened afresh, the server renders that page.
    await visit(page, `${base}/vms?size=25&page=2&q=bulk`);
    await expectText(range, "26–50 of 60", "a linked page");
    await shot(page, "25a-vm-pages");
    for (const vm_id of made) await lunanode(upstream, apiId, apiKey, "vm/delete", { vm_id });
  }, page);

  await check("vms: no console errors, page errors or dialogs", async () => {
    assert(problems.length === 0, problems.join("\n"));
  });
  await context.close();
}
