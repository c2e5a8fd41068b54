// Hosted e-mail: a mail domain is added (a bad name refused beside the field), DKIM turned
// on with the key made by the panel and its TXT record shown once and published into the
// domain's zone, the health view shows MX and SPF missing and turns green after "publish
// the missing records"; a mailbox gets a generated password shown once, an alias forwards
// to two addresses; the domain is removed with its name typed.
//
// The DNS zone must exist first: it is added on the DNS page.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { ensureKey, signIn } from "./steps.mjs";

const DOMAIN = "e2e-mail.example";

export default async function mail(base, creds) {
  const { context, page, problems } = await openBrowser();
  let domainUrl;

  await check("mail: a domain is added (a bad name refused beside the field) in its zone", async () => {
    await signIn(page, base, ADMIN_FINAL);
    await ensureKey(page, base, creds);
    await visit(page, `${base}/dns`);
    await page.fill('input[name="zone[name]"]', DOMAIN);
    await page.click('#add-zone-form button[type="submit"]');
    await page.waitForURL(/\/dns\/zones\/\d+$/);
    await visit(page, `${base}/mail`);
    await expectText(page.locator("#mail-usage"), "Mail domains", "the usage card");
    await page.fill("#field-name", "not a domain");
    await page.click("#add-mail-domain-form button[type=submit]");
    await expectText(page.locator("#field-name-error"), "domain", "a bad name refused beside the field");
    await page.fill("#field-name", DOMAIN);
    await page.click("#add-mail-domain-form button[type=submit]");
    await page.waitForURL((url) => /\/mail\/\d+$/.test(url.pathname));
    domainUrl = page.url();
    await expectText(page.locator("#mail-domain-title"), DOMAIN, "the domain's page");
    await expectText(page.locator("#dkim-badge"), "DKIM off", "DKIM starts off");
  }, page);

  await check("mail: DKIM on, the record shown once and published into the zone", async () => {
    assert(await page.locator("#dkim-publish").isChecked(), "publishing is offered by default");
    await page.click("#dkim-enable");
    await expectText(page.locator("#dkim-record-value"), "v=DKIM1; k=rsa; p=MII", "the TXT value");
    await expectText(page.locator("#dkim-record-name"), `._domainkey.${DOMAIN}`, "the TXT name");
    await expectText(page.locator("#dkim-published"), "Published in zone", "published at once");
    await expectText(page.locator("#dkim-badge"), "DKIM on", "DKIM is on");
    const value = await page.locator("#dkim-record-value").innerText();
    assert(!value.includes("PRIVATE"), "only the public key is shown");
    const html = await page.content();
    assert(!html.includes("BEGIN PRIVATE KEY") && !html.includes("BEGIN RSA"), "no private key in the page");
    await shot(page, "90-mail-dkim");
  }, page);

  await check("mail: the health view turns green after publishing the missing records", async () => {
    await expectText(page.locator("#mail-health-summary"), "Needs attention", "MX and SPF missing");
    await expectText(page.locator("#health-mx"), "Missing", "no MX yet");
    await expectText(page.locator("#health-spf"), "Missing", "no SPF yet");
    await expectText(page.locator("#health-dkim"), "OK", "the DKIM record is there");
    await page.click("#mail-publish");
    await expectText(page.locator("#mail-publish-report"), "Published: MX", "the MX published");
    await expectText(page.locator("#mail-health-summary"), "All good", "green");
    for (const key of ["mx", "spf", "dkim"]) {
      await expectText(page.locator(`#health-${key}`), "OK", `${key} good`);
    }
    assert(await page.locator("#mail-publish").isDisabled(), "nothing left to publish");
    await shot(page, "91-mail-health-green");
  }, page);

  await check("mail: a mailbox with a generated password shown once, and an alias", async () => {
    await page.fill("#field-username", "alice");
    await page.click("#add-mailbox-form button[type=submit]");
    await page.locator("#new-mailbox-password").waitFor({ state: "visible" });
    const password = (await page.locator("#new-mailbox-password").innerText()).trim();
    assert(password.length === 20, `a 20-character password: ${password.length}`);
    await page.locator(`tr[data-address="alice@${DOMAIN}"]`).waitFor({ state: "visible" });
    await page.fill("#field-name", "info");
    await page.fill("#field-targets", "nobody");
    await page.click("#add-alias-form button[type=submit]");
    await expectText(page.locator("#field-targets-error"), "not an e-mail address", "a bad target refused beside the field");
    await page.fill("#field-targets", `alice@${DOMAIN}, someone@example.org`);
    await page.click("#add-alias-form button[type=submit]");
    const alias = page.locator(`tr[data-address="info@${DOMAIN}"]`);
    await expectText(alias, "someone@example.org", "the alias with its targets");
    await expectText(alias, `alice@${DOMAIN}`, "both targets");
    await shot(page, "92-mail-users-aliases");
    // Reload: the password is not shown again (the panel keeps none).
    await visit(page, domainUrl);
    assert((await page.locator("#new-mailbox-password").count()) === 0, "shown once");
    await expectText(page.locator("#mail-domain-users"), "1", "one mailbox");
  }, page);

  await check("mail: the domain is removed with its name typed", async () => {
    await expectText(page.locator(".danger-confirm"), "1 mailbox and 1 alias", "what goes with it is named");
    await page.fill("#mail-remove-confirm", DOMAIN);
    await page.click("#mail-remove-submit");
    await page.waitForURL((url) => url.pathname === "/mail");
    const listed = await page.locator(`a.mail-domain-name:has-text("${DOMAIN}")`).count();
    assert(listed === 0, "the domain is gone from the list");
  }, page);

  await check("mail: no console errors, page errors or dialogs", async () => {
    assert(problems.length === 0, problems.join("\n"));
  });
  await context.close();
}
