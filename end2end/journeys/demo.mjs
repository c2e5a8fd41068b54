// Demo mode: the sign-in page tells how to sign in, the console says plainly it is a demo,
// the phone menu works, and unknown pages get the 404 page.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";

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
