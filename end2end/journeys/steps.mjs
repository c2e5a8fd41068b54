// Steps several journeys take: signing in, joining by an administrator's invite, storing
// the Luna Node key, a reseller adding a customer.
import { visit, expectText, hydrated } from "../lib.mjs";

export async function signIn(page, base, { email, password }) {
  await visit(page, `${base}/sign-in`);
  await page.fill("#field-email", email);
  await page.fill("#field-password", password);
  await page.click("button[type=submit]");
  // Signing in loads the console as a new document (its CSP is made for who signed in).
  await page.waitForURL(`${base}/`);
  await hydrated(page);
}

/** The administrator (signed in on `adminPage`) invites `person`, who signs up on `page`. */
export async function joinByInvite(adminPage, page, base, person) {
  await visit(adminPage, `${base}/admin`);
  await adminPage.click("#create-invite");
  const link = await adminPage.locator("#invite-link").inputValue();
  await visit(page, link);
  await page.fill("#field-name", person.name);
  await page.fill("#field-email", person.email);
  await page.fill("#field-password", person.password);
  await page.fill("#field-confirm", person.password);
  await page.click("button[type=submit]");
  await page.waitForURL(`${base}/`);
  await hydrated(page);
}

/** Stores the account's API key unless the panel holds one already (journeys may run alone). */
export async function ensureKey(page, base, creds) {
  await visit(page, `${base}/api-key`);
  if ((await page.locator("#key-masked").count()) > 0) return;
  await page.fill("#field-api_id", creds.apiId);
  await page.fill("#field-api_key", creds.apiKey);
  await page.click("#save-key button[type=submit]");
  await expectText(page.locator("#key-saved"), "accepted the key", "key saved");
}

/** A reseller (on `page`) adds `person` as a customer with an initial password. */
export async function addCustomer(page, base, person) {
  await visit(page, `${base}/customers`);
  await page.fill("#field-name", person.name);
  await page.fill("#field-email", person.email);
  await page.fill("#field-password", person.password);
  await page.click("#create-customer button[type=submit]");
  await expectText(page.locator(`tr[data-customer="${person.email}"]`), "Active", "customer listed");
}

/** Opens `url` until `selector` is in the page (the live VM list names a VM made outside
 * the panel within a poll; the page reads it when loaded). */
export async function visitUntil(page, url, selector, what, seconds = 45) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    await visit(page, url);
    const found = await page.locator(selector).first()
      .waitFor({ state: "attached", timeout: 3000 }).then(() => true).catch(() => false);
    if (found) return;
    if (Date.now() > until) throw new Error(`${what}: ${selector} never appeared on ${url}`);
  }
}
