// Startup scripts, the overview's costs and the command palette: a script is written in the
// editor (a missing name refused beside the field, the shebang warning shown and gone, the
// line count live), edited, used to create a VM from the wizard, which the script's page then
// names, and deleted with its name typed. The overview's run rate grows when the VM is made.
// Ctrl-K finds the VM by its IP address and opens it; a customer's palette holds only theirs.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { CUSTOMER } from "./tenancy.mjs";
import { ensureKey, signIn } from "./steps.mjs";
import { lunanode } from "./vms.mjs";

const SCRIPT = "e2e-setup";
const HOST = "e2e-scripted";

/** The overview's monthly run rate, as shown (`$12.34/month (…)`). */
async function runRate(page, base) {
  await visit(page, `${base}/`);
  const text = await page.locator("#cost-monthly").innerText({ timeout: 20000 });
  return text;
}

export default async function consoleJourney(base, creds) {
  const { context, page, problems } = await openBrowser();
  const api = (path, params) => lunanode(creds.upstream, creds.apiId, creds.apiKey, path, params);
  let scriptUrl, vmId, before;

  await check("scripts: written in the editor, a missing name refused, the shebang advice live", async () => {
    await signIn(page, base, ADMIN_FINAL);
    await ensureKey(page, base, creds);
    before = await runRate(page, base);
    await visit(page, `${base}/scripts`);
    await page.click("#script-new");
    await page.waitForURL(`${base}/scripts/new`);
    await page.locator("#script-content").waitFor();
    await page.fill("#script-name", "");
    await page.fill("#script-content", "apt-get update");
    await expectText(page.locator("#script-content-warning"), "shebang", "advice on a script cloud-init will not run");
    await page.click("#script-save");
    await expectText(page.locator("#script-name-error"), "name", "the name is needed, beside the field");
    assert((await page.inputValue("#script-content")) === "apt-get update", "what was typed is kept");
    await page.fill("#script-name", SCRIPT);
    await page.fill("#script-content", "#!/bin/bash\necho hello\n");
    await page.locator("#script-content-warning").waitFor({ state: "hidden" });
    await expectText(page.locator("#script-content-meta"), "3 lines", "the line count follows the text");
    assert((await page.locator(".code-gutter").innerText()).trim().split("\n").length === 3, "a number per line");
    await page.click("#script-save");
    await page.waitForURL((u) => /\/scripts\/\d+$/.test(u.pathname));
    scriptUrl = page.url();
    await expectText(page.locator("#script-title"), SCRIPT, "the script's page");
    await shot(page, "100-script");
  }, page);

  await check("scripts: edited, saved, and the unsaved mark follows", async () => {
    await page.fill("#script-content", "#!/bin/bash\necho hello\ntouch /root/e2e\n");
    await expectText(page.locator("#script-unsaved"), "Unsaved", "marked unsaved");
    await page.click("#script-save");
    await page.waitForFunction(() => document.querySelector("#script-unsaved").textContent.trim() === "");
    await visit(page, scriptUrl);
    assert((await page.inputValue("#script-content")).includes("touch /root/e2e"), "the edit was saved");
  }, page);

  await check("scripts: used to create a VM from the wizard; the script's page names it", async () => {
    await visit(page, `${base}/vms/new`);
    await page.check("input[name=region][value=toronto]");
    await page.locator("input[name=plan_id]").first().check();
    const image = await page.locator("#create-boot optgroup").first().locator("option").first().getAttribute("value");
    await page.selectOption("#create-boot", image);
    await page.fill("#create-hostname", HOST);
    await page.locator("label.check", { hasText: SCRIPT }).locator("input").check();
    await page.click("#create-submit");
    await page.waitForURL((u) => /\/vms\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith("/new"));
    vmId = new URL(page.url()).pathname.split("/").pop();
    await visit(page, scriptUrl);
    await expectText(page.locator("#script-used"), HOST, "the VM made with it");
  }, page);

  await check("overview: the run rate grows when the VM is made", async () => {
    const until = Date.now() + 30000;
    let now = before;
    while (now === before && Date.now() < until) {
      await page.waitForTimeout(1000);
      now = await runRate(page, base);
    }
    assert(now !== before, `the run rate changed: ${before} → ${now}`);
    await expectText(page.locator("#cost-areas tr[data-area=vms]"), "×", "VMs by plan");
    await expectText(page.locator("#cost-days"), "days", "days of credit left");
    await shot(page, "101-overview-costs");
  }, page);

  await check("scripts: deleted with its name typed; the warning names the VM", async () => {
    await visit(page, scriptUrl);
    await expectText(page.locator(".danger-confirm"), HOST, "the warning names the VM");
    await page.fill("#script-delete-confirm", SCRIPT);
    await page.click("#script-delete");
    await page.waitForURL(`${base}/scripts`);
    await page.locator("#script-table, #script-empty").first().waitFor({ state: "attached" });
    assert(!(await page.locator("main").innerText()).includes(SCRIPT), "gone from the list");
  }, page);

  let ip;
  await check("search: Ctrl-K finds the VM by its IP address and opens it", async () => {
    ip = (await api("vm/info", { vm_id: vmId })).info.ip;
    assert(ip, "the VM has an address");
    await visit(page, `${base}/volumes`);
    await page.keyboard.press("Control+k");
    await page.locator("#palette-input").waitFor({ state: "visible" });
    await page.keyboard.type(ip);
    const first = page.locator("#palette-list li").first();
    await expectText(first, HOST, "the VM is the first match");
    await shot(page, "102-palette");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${base}/vms/${vmId}`);
    await expectText(page.locator("#vm-hostname"), HOST, "its page opened");
    // Pages too, keyboard only.
    await page.keyboard.press("Control+k");
    await page.keyboard.type("startup");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${base}/scripts`);
  }, page);

  const carl = await openBrowser();
  await check("search: a customer's palette holds only theirs", async () => {
    await signIn(carl.page, base, CUSTOMER);
    await carl.page.click("#palette-open");
    await carl.page.locator("#palette-input").waitFor({ state: "visible" });
    await carl.page.fill("#palette-input", ip);
    await expectText(carl.page.locator("#palette-status"), "Nothing matches", "another tenant's VM is not found");
    await carl.page.fill("#palette-input", "carls");
    await expectText(carl.page.locator("#palette-list"), "carls-server", "their own VM is");
    const listed = await carl.page.locator("#palette-list").innerText();
    assert(!listed.includes(HOST) && !/luna ?node/i.test(listed), "nothing of the reseller's");
    await carl.page.keyboard.press("Escape");
    await carl.page.locator("#palette-input").waitFor({ state: "hidden" });
  }, carl.page);

  await check("console: no console errors, page errors or dialogs", async () => {
    const all = [...problems, ...carl.problems];
    assert(all.length === 0, all.join("\n"));
  });
  await carl.context.close();
  await context.close();
}
