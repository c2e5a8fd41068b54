// Demo mode: the sign-in page tells how to sign in, the console says plainly it is a demo,
// the demo account is a reseller (not the administrator) whose sample customers can be
// viewed as, the phone menu works, and unknown pages get the 404 page.
import { openBrowser, visit, hydrated, shot, assert, check, expectText } from "../lib.mjs";

export default async function demo(base) {
  const { context, page, problems } = await openBrowser();

  await check("demo: sign in with the credentials the page shows", async () => {
    await visit(page, `${base}/sign-in`);
    const note = page.locator(".notice-demo");
    await expectText(note, "Demo mode", "demo note");
    const [email, password] = await note.locator("code").allInnerTexts();
    await shot(page, "10-demo-sign-in");
    await page.fill("#field-email", email);
    await page.fill("#field-password", password);
    await page.click("button[type=submit]");
    await page.waitForURL(`${base}/`);
    await expectText(page.locator("main .notice-demo"), "Nothing here is real", "demo banner");
    await expectText(page.locator(".badge-demo"), "Demo", "demo badge");
    await shot(page, "11-demo-overview");
  });

  await check("demo tour: every VM page has something to show", async () => {
    await visit(page, `${base}/vms`);
    await page.locator("#vm-table a.vm-name").first().waitFor({ state: "visible" });
    const names = await page.locator("#vm-table a.vm-name").allInnerTexts();
    assert(names.length >= 6, `sample VMs listed: ${names}`);
    await expectText(page.locator("#vm-table .status"), "Online", "an online VM");
    await page.fill("#vm-search", "web");
    await expectText(page.locator("#vm-count"), "2 of", "search narrows the list");
    await shot(page, "15-demo-vms");
    await page.fill("#vm-search", "");
    await page.selectOption("#vm-region", "roubaix");
    await expectText(page.locator("#vm-count"), "2 of", "region filter");
    await page.selectOption("#vm-region", "");
    await page.locator("#vm-table a.vm-name", { hasText: "web-1" }).click();
    await page.waitForURL(/\/vms\/[^/]+$/);
    await expectText(page.locator("#vm-hostname"), "web-1", "detail page");
    await expectText(page.locator(".page-head .status"), "Online", "detail status");
    await page.click("#reveal-login");
    await expectText(page.locator("#login-details"), "password", "login details on request");
    await page.locator("svg.chart").first().waitFor({ state: "visible" });
    await shot(page, "16-demo-vm-detail");
    for (const [path, name, text] of [
      ["/vms/new", "17-demo-create", "Toronto"],
      ["/plans", "18-demo-plans", "m.2"],
      ["/regions", "19-demo-regions", "Roubaix"],
      ["/ssh-keys", "19a-demo-ssh-keys", "demo-laptop"],
      ["/api-key", "19b-demo-api-key", "Demo key for the built-in emulator"],
      ["/volumes", "19c-demo-volumes", "data-volume"],
      ["/volumes/new", "19d-demo-volume-create", "/month"],
      ["/images", "19e-demo-images", "Ubuntu"],
      ["/images/new", "19f-demo-image-fetch", "QCOW2"],
    ]) {
      await visit(page, `${base}${path}`);
      await expectText(page.locator("main"), text, path);
      await shot(page, name);
    }
  });

  await check("demo: an area whose code is gone (the panel was updated) loads the page again", async () => {
    // A second tab of the same browser; its expected failed load is not a console error of
    // the journey's own page.
    const tab = await context.newPage();
    try {
      await visit(tab, `${base}/vms`);
      // The DNS area's chunk answers 404 once, as after an update replaced it.
      let refused = 0;
      // (The chunks are in the directory named by the build: /pkg/<build>/split_dns_area_….)
      await tab.route(/\/pkg\/[A-Za-z0-9_-]{22}\/split_dns_area_[^/]*\.wasm$/, (route) =>
        refused++ === 0 ? route.fulfill({ status: 404, body: "" }) : route.continue());
      await tab.evaluate(() => { window.__lpBeforeReload = true; });
      const reloaded = tab.waitForEvent("load", { timeout: 15000 });
      await tab.click('nav#sidebar a[href="/dns"]');
      await reloaded;
      await hydrated(tab);
      assert(refused >= 1, "the chunk was asked for and refused");
      assert(!(await tab.evaluate(() => window.__lpBeforeReload === true)), "a new document");
      if (!tab.url().endsWith("/dns")) await tab.click('nav#sidebar a[href="/dns"]');
      await expectText(tab.locator("h1"), "DNS", "the area opens after the reload");
    } finally {
      await tab.close();
    }
  });

  await check("demo: the demo account is a reseller with sample customers to view as", async () => {
    const nav = await page.locator("nav#sidebar").innerText();
    assert(!nav.includes("Administration"), "the demo account is not the administrator");
    await visit(page, `${base}/customers`);
    const rows = page.locator("tr[data-customer]");
    await rows.first().waitFor({ state: "visible" });
    assert((await rows.count()) === 2, `two sample customers: ${await rows.allInnerTexts()}`);
    const bakery = page.locator('tr[data-customer="bakery@customers.lunapanel.test"]');
    await expectText(bakery, "2 vm", "sample VMs assigned");
    await shot(page, "19c-demo-customers");
    await bakery.locator(".view-as").click();
    await page.waitForURL(`${base}/`);
    await expectText(page.locator("#impersonation-banner"), "Viewing as Harbour Bakery", "banner");
    await expectText(page.locator("#brand-name"), "Northwind Cloud", "the reseller's brand");
    await visit(page, `${base}/vms`);
    await page.locator("#vm-table a.vm-name").first().waitFor({ state: "visible" });
    const theirs = await page.locator("#vm-table a.vm-name").allInnerTexts();
    assert(theirs.length === 2 && theirs.every((n) => n.startsWith("web-")), `their VMs only: ${theirs}`);
    await shot(page, "19d-demo-view-as");
    await page.click("#stop-viewing");
    await page.waitForURL(`${base}/customers`);
    await page.locator("#impersonation-banner").waitFor({ state: "detached" });
  });

  await check("phone layout: the menu button opens the navigation", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const nav = page.locator("nav#sidebar");
    assert(!(await nav.isVisible()), "navigation hidden behind the menu");
    await page.click("button.menu-button");
    await nav.waitFor({ state: "visible" });
    assert((await page.getAttribute("button.menu-button", "aria-expanded")) === "true", "aria-expanded");
    await shot(page, "12-phone-menu-open");
    await page.click("nav#sidebar >> text=Account");
    await page.waitForURL(`${base}/account`);
    await nav.waitFor({ state: "hidden" });
    await shot(page, "13-phone-account");
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await check("an unknown page shows the 404 page", async () => {
    const res = await page.goto(`${base}/no-such-page`);
    assert(res.status() === 404, `status ${res.status()}`);
    await expectText(page.locator("h1"), "Page not found", "404 heading");
    await shot(page, "14-not-found");
  });

  await check("demo: no console errors, page errors or dialogs", async () => {
    assert(problems.length === 0, problems.join("\n"));
  });
  await context.close();
}
