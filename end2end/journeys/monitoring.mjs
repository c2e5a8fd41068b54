// Monitoring: a check is added with the form built from what monitor/check-types answers (its
// type's parameters and placeholders), bad values refused beside their fields; a contact is
// added (a bad address refused beside the field) and alerted about the check from the
// contact's side, which the check's page then shows; "Monitor this VM" on a VM's page adds a
// ping and an HTTP check in one click; the check is removed with its name typed.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { ensureKey, signIn, visitUntil } from "./steps.mjs";
import { lunanode } from "./vms.mjs";

const CHECK = "e2e-site";
const CONTACT = "ops@e2e-monitor.example";

export default async function monitoring(base, creds) {
  const { context, page, problems } = await openBrowser();
  const api = (path, params) => lunanode(creds.upstream, creds.apiId, creds.apiKey, path, params);
  let checkUrl;

  await check("monitoring: a check from the check types, bad values refused beside their fields", async () => {
    await signIn(page, base, ADMIN_FINAL);
    await ensureKey(page, base, creds);
    await visit(page, `${base}/monitoring`);
    await page.locator("#check-type").waitFor({ state: "visible" });
    const types = (await api("monitor/check-types", {})).types;
    await page.selectOption("#check-type", "http");
    const url = page.locator("#check-param-url");
    await url.waitFor({ state: "visible" });
    const placeholder = await url.getAttribute("placeholder");
    assert(placeholder === types.http.params.url.placeholder, `the URL's placeholder is Luna Node's: ${placeholder}`);
    const fields = await page.locator("#add-check-form [data-param]").count();
    assert(fields === Object.keys(types.http.params).length, `one field per parameter of the type: ${fields}`);
    await page.fill("#check-interval", "10");
    await page.click("#add-check-submit");
    await expectText(page.locator("#check-name-error"), "name", "the name is needed");
    await expectText(page.locator("#check-interval-error"), "60", "the interval's bounds");
    await expectText(page.locator("#check-param-url-error"), "URL", "the URL is needed");
    await page.fill("#check-name", CHECK);
    await page.fill("#check-interval", "300");
    await page.fill("#check-delay", "2");
    await url.fill("https://example.com/");
    await page.click("#add-check-submit");
    await page.waitForURL((u) => /\/monitoring\/checks\/\d+$/.test(u.pathname));
    checkUrl = page.url();
    await expectText(page.locator("#check-title"), CHECK, "the check's page");
    await expectText(page.locator("#check-facts"), "every 5 min", "its interval");
    await shot(page, "95-monitor-check");
  }, page);

  await check("monitoring: a contact, alerted about the check from the contact's side", async () => {
    await visit(page, `${base}/monitoring`);
    await page.locator(`tr[data-check-id] a.check-name:has-text("${CHECK}")`).waitFor({ state: "visible" });
    await page.selectOption("#contact-kind", "email");
    await page.fill("#contact-value", "nobody");
    await page.click("#add-contact-submit");
    await expectText(page.locator("#contact-value-error"), "e-mail address", "a bad address refused beside the field");
    await page.fill("#contact-value", CONTACT);
    await page.click("#add-contact-submit");
    const row = page.locator(`tr[data-contact="${CONTACT}"]`);
    await row.waitFor({ state: "visible" });
    const id = await row.getAttribute("data-contact-id");
    const checkId = checkUrl.split("/").pop();
    await page.selectOption(`#contact-alert-${id}-choice`, checkId);
    await page.click(`#contact-alert-${id}`);
    await expectText(row.locator(".chips"), CHECK, "the contact hears about the check");
    await expectText(page.locator(`tr[data-check-id="${checkId}"] .check-alerts`), CONTACT, "the check's row names the contact");
    await shot(page, "96-monitor-contacts");
    await visit(page, checkUrl);
    await expectText(page.locator("#check-alerts"), `E-mail ${CONTACT}`, "the check's page lists its contact");
  }, page);

  await check("monitoring: “Monitor this VM” adds a ping and an HTTP check in one click", async () => {
    const vmId = (await api("vm/create", { hostname: "e2e-watched", plan_id: "87", image_id: "1000", region: "toronto" })).vm_id;
    await visitUntil(page, `${base}/vms/${vmId}`, "#monitor-vm-add", "the monitoring card");
    await expectText(page.locator("#monitor-vm-none"), "No check watches", "nothing watches it yet");
    await page.check("#monitor-vm-http");
    await page.click("#monitor-vm-add");
    await expectText(page.locator("#monitor-vm-report"), "Added", "the checks were added");
    await page.locator("#monitor-vm-checks li").nth(1).waitFor({ state: "visible" });
    const listed = await page.locator("#monitor-vm-checks li").count();
    assert(listed === 2, `two checks watch the VM: ${listed}`);
    await shot(page, "97-monitor-vm");
  }, page);

  await check("monitoring: the check is removed with its name typed", async () => {
    await visit(page, checkUrl);
    await expectText(page.locator(".danger-confirm"), "cannot be undone", "the warning");
    await page.fill("#check-remove-confirm", CHECK);
    await page.click("#check-remove-submit");
    await page.waitForURL((u) => u.pathname === "/monitoring");
    const listed = await page.locator(`a.check-name:has-text("${CHECK}")`).count();
    assert(listed === 0, "the check is gone from the list");
  }, page);

  await check("monitoring: no console errors, page errors or dialogs", async () => {
    assert(problems.length === 0, problems.join("\n"));
  });
  await context.close();
}
