// Security groups: a group is created (a missing name refused beside the field); the SSH
// preset from 0.0.0.0/0 adds a rule the lint warns about on the group's page; the group is
// applied to a VM from the group's page and the VM's page warns through it; a rule typed
// with a network of the wrong IP version is refused beside the field with nothing lost; the
// rule is narrowed to one address (/32) and the wide one deleted: the warning goes, on the
// group and on the VM; the group is removed from the VM on the VM's page, applied there
// again and removed from the group's page; the group is deleted with its typed name.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { ensureKey, signIn, visitUntil } from "./steps.mjs";
import { lunanode } from "./vms.mjs";

const GROUP = "e2e-web";
const HOST = "e2e-sg-host";

const onGroupPage = (url) => /\/security-groups\/[^/]+$/.test(url.pathname);

export default async function securitygroups(base, creds) {
  const { context, page, problems } = await openBrowser();
  let groupUrl, groupId, vmId;

  await check("security groups: a group is created; a missing name is refused beside the field", async () => {
    await signIn(page, base, ADMIN_FINAL);
    await ensureKey(page, base, creds);
    vmId = (await lunanode(creds.upstream, creds.apiId, creds.apiKey, "vm/create", {
      hostname: HOST, plan_id: "87", image_id: "1000", region: "toronto",
    })).vm_id;
    await visit(page, `${base}/security-groups`);
    await expectText(page.locator("#group-table"), "default", "every region's default group is listed");
    await page.selectOption("#field-region", "toronto");
    await page.click("#create-group-form button[type=submit]");
    await expectText(page.locator("#field-name-error"), "name of 1 to", "name refused beside the field");
    await page.fill("#field-name", GROUP);
    await page.click("#create-group-form button[type=submit]");
    await page.waitForURL(onGroupPage);
    groupUrl = page.url();
    groupId = new URL(groupUrl).pathname.split("/").pop();
    await expectText(page.locator("#group-name"), GROUP, "the group's page is titled by its name");
    await expectText(page.locator("#group-region"), "toronto", "its region");
    assert((await page.locator("#group-lint").count()) === 0, "no warning for a new group");
  }, page);

  await check("security groups: the SSH preset from 0.0.0.0/0 is warned about in words", async () => {
    await page.fill("#preset-cidr", "0.0.0.0/0");
    await page.click("#preset-ssh");
    await expectText(page.locator("#preset-outcome"), "Added", "the preset says what it added");
    await expectText(page.locator("#group-lint"), "SSH (22) to the whole internet", "the lint warning");
    await expectText(page.locator("#group-lint"), "Narrow it to your address", "what to do");
    await expectText(page.locator("#rule-table tr.rule-open"), "0.0.0.0/0", "the rule is marked");
    await shot(page, "70-group-ssh-open");
  }, page);

  await check("security groups: applied to a VM from the group's page; the VM's page warns through it", async () => {
    await visitUntil(page, groupUrl, `#group-apply-choice option[value="${vmId}"]`, "the VM offered");
    await page.selectOption("#group-apply-choice", vmId);
    await page.click("#group-apply");
    await expectText(page.locator("#group-vm-list"), HOST, "the VM uses the group");
    await visit(page, `${base}/vms/${vmId}`);
    await expectText(page.locator(`#vm-group-list li[data-group-id="${groupId}"]`), GROUP, "the VM's groups");
    await expectText(page.locator("#vm-group-lint"), `SSH (22) open to the whole internet through group “${GROUP}”`, "the VM is warned");
    await shot(page, "71-vm-group-warning");
  }, page);

  await check("security groups: a rule of the wrong IP version is refused beside its field, nothing lost", async () => {
    await visit(page, groupUrl);
    await page.selectOption("#rule-protocol", "icmp");
    assert(await page.locator("#rule-port_min").isDisabled(), "no ports for ICMP");
    await page.selectOption("#rule-protocol", "tcp");
    await page.fill("#rule-port_min", "22");
    await page.fill("#rule-cidr", "::/0");
    await page.fill("#rule-label", "office ssh");
    await page.click("#rule-add");
    await expectText(page.locator("#rule-cidr-error"), "IPv6 network", "the network refused beside it");
    assert((await page.inputValue("#rule-port_min")) === "22", "the port is kept");
    assert((await page.inputValue("#rule-label")) === "office ssh", "the label is kept");
    assert((await page.inputValue("#rule-cidr")) === "::/0", "the network is kept");
  }, page);

  await check("security groups: narrowed to one address, the warning goes on the group and the VM", async () => {
    await page.fill("#rule-cidr", "203.0.113.7/32");
    await page.click("#rule-add");
    await expectText(page.locator("#rule-table"), "203.0.113.7/32", "the narrow rule is listed");
    const wide = await page.locator("#rule-table tr.rule-open").first().getAttribute("data-rule-id");
    await page.click(`#delete-rule-${wide}`);
    await page.locator("#group-lint").waitFor({ state: "detached", timeout: 30000 });
    await page.locator(`#rule-table tr[data-rule-id="${wide}"]`).waitFor({ state: "detached" });
    assert((await page.locator("#group-open").count()) === 0, "no warning badge");
    await shot(page, "72-group-narrowed");
    await visit(page, `${base}/vms/${vmId}`);
    await page.locator(`#vm-group-list li[data-group-id="${groupId}"]`).waitFor({ state: "visible" });
    assert((await page.locator("#vm-group-lint").count()) === 0, "no warning on the VM");
  }, page);

  await check("security groups: removed on the VM's page, applied there again, removed from the group's page", async () => {
    await page.click(`#remove-group-${groupId}`);
    await page.locator(`#vm-group-list li[data-group-id="${groupId}"]`).waitFor({ state: "detached", timeout: 30000 });
    await page.locator(`#vm-group-apply-choice option[value="${groupId}"]`).waitFor({ state: "attached" });
    await page.selectOption("#vm-group-apply-choice", groupId);
    await page.click("#vm-group-apply");
    await page.locator(`#vm-group-list li[data-group-id="${groupId}"]`).waitFor({ state: "visible", timeout: 30000 });
    await visit(page, groupUrl);
    await page.click(`#remove-vm-${vmId}`);
    await page.locator("#group-vms-none").waitFor({ state: "visible", timeout: 30000 });
  }, page);

  await check("security groups: deleting needs the typed name; the group leaves the list", async () => {
    assert(await page.locator("#delete-submit").isDisabled(), "disabled until typed");
    await page.fill("#delete-confirm", GROUP);
    await page.click("#delete-submit");
    await page.waitForURL(`${base}/security-groups`);
    await page.locator(`tr[data-group-id="${groupId}"]`).waitFor({ state: "detached", timeout: 30000 });
    const list = await lunanode(creds.upstream, creds.apiId, creds.apiKey, "securitygroup/list", {});
    assert(!JSON.stringify(list.securitygroups).includes(GROUP), "still at Luna Node");
  }, page);

  await check("security groups: no console errors, page errors or dialogs", async () => {
    assert(problems.length === 0, problems.join("\n"));
  });
  await context.close();
}
