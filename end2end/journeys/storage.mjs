// Volumes and snapshots: a volume is created (bad size refused beside the field, the cost
// shown before the button) and becomes available without a reload; it is attached from the
// VM's page, cannot be extended while attached, is detached there, extended (the cost
// difference shown), snapshotted; the snapshot is replicated to another region as an image
// and deleted; the volume is deleted with its typed name. A reseller's customer sees only
// the volume assigned to them and is refused past their volume quota.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { RESELLER, waitStatus } from "./tenancy.mjs";
import { addCustomer, ensureKey, signIn } from "./steps.mjs";
import { lunanode } from "./vms.mjs";

const STELLA = { name: "Stella Storage", email: "stella@example.com", password: "stellas passphrase 6" };

/** Luna Node's (the emulator's) word for a volume's status. */
async function volumeStatus(creds, volumeId) {
  const list = await lunanode(creds.upstream, creds.apiId, creds.apiKey, "volume/list", { region: "toronto" });
  const rows = Array.isArray(list.volumes) ? list.volumes : Object.values(list.volumes || {});
  return rows.find((v) => String(v.id) === String(volumeId))?.status;
}

/** Fills and submits the create-volume form. */
async function createVolume(page, base, name, size) {
  await visit(page, `${base}/volumes/new`);
  await page.fill('[id="field-volume[name]"]', name);
  await page.selectOption("#field-region", "toronto");
  await page.fill("#field-size", String(size));
  await page.click("#create-volume-form button[type=submit]");
}

const onVolumePage = (url) => /\/volumes\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith("/new");

export default async function storage(base, creds) {
  const { context, page, problems } = await openBrowser();
  const badge = page.locator(".page-head .status");
  let volumeUrl, volumeId, vmId;

  await check("storage: a bad size is refused beside the field; the volume becomes available without a reload", async () => {
    await signIn(page, base, ADMIN_FINAL);
    await ensureKey(page, base, creds);
    vmId = (await lunanode(creds.upstream, creds.apiId, creds.apiKey, "vm/create", {
      hostname: "e2e-disk-host", plan_id: "87", image_id: "1000", region: "toronto",
    })).vm_id;
    await createVolume(page, base, "e2e-data", 0);
    await expectText(page.locator("#field-size-error"), "whole number of GB", "size refused");
    assert((await page.inputValue('[id="field-volume[name]"]')) === "e2e-data", "the name is kept");
    await page.fill("#field-size", "10");
    await expectText(page.locator("#field-size-cost"), "/month", "cost before the button");
    await shot(page, "60-volume-create");
    await page.click("#create-volume-form button[type=submit]");
    await page.waitForURL(onVolumePage);
    volumeUrl = page.url();
    volumeId = new URL(volumeUrl).pathname.split("/").pop();
    await page.evaluate(() => { window.__noReload = "still here"; });
    await expectText(badge, "available", "live status reaches available");
    assert((await page.evaluate(() => window.__noReload)) === "still here", "no reload happened");
    await expectText(page.locator("#volume-size"), "10 GB", "size");
    assert((await page.title()).startsWith("e2e-data"), `titled by its name: ${await page.title()}`);
    await shot(page, "61-volume-available");
  }, page);

  await check("storage: attached from the VM's page; an attached volume cannot be extended", async () => {
    await waitStatus(creds, vmId, "Online");
    await visit(page, `${base}/vms/${vmId}`);
    await page.locator(`#vm-volume-attach-choice option[value="${volumeId}"]`).waitFor({ state: "attached" });
    await page.selectOption("#vm-volume-attach-choice", volumeId);
    await page.click("#vm-volume-attach");
    await expectText(page.locator(`#vm-volume-table tr[data-volume-id="${volumeId}"]`), "in-use", "attached, shown on the VM");
    await shot(page, "62-vm-volumes");
    await visit(page, volumeUrl);
    await expectText(page.locator("#volume-attached"), "e2e-disk-host", "the volume names its VM");
    assert(await page.locator("#volume-extend").isDisabled(), "extend disabled while attached");
    await expectText(page.locator("#volume-extend-reason"), "Detach it first", "the reason is given");
    assert(await page.locator("#delete-submit").isDisabled(), "delete disabled while attached");
  }, page);

  await check("storage: detached from the VM's page, then extended with the cost difference shown", async () => {
    await visit(page, `${base}/vms/${vmId}`);
    await page.click(`#detach-volume-${volumeId}`);
    await page.locator("#vm-volumes-none").waitFor({ state: "visible", timeout: 30000 });
    await visit(page, volumeUrl);
    await expectText(badge, "available", "available again");
    await page.fill("#volume-extend-size", "5");
    await expectText(page.locator("#volume-extend-cost"), "only grow", "shrinking explained");
    await page.fill("#volume-extend-size", "30");
    await expectText(page.locator("#volume-extend-cost"), "/month", "cost difference");
    await page.click("#volume-extend");
    await expectText(page.locator("#volume-size"), "30 GB", "extended");
    await expectText(badge, "available", "settled");
    await shot(page, "63-volume-extended");
  }, page);

  let snapshotId;
  await check("storage: a snapshot is taken, replicated to another region as an image, and deleted", async () => {
    await page.fill("#snapshot-name", "e2e-snap");
    await page.click("#snapshot-create");
    const row = page.locator("#volume-snapshot-table tbody tr", { hasText: "e2e-snap" });
    await row.waitFor({ state: "visible", timeout: 30000 });
    snapshotId = await row.getAttribute("data-snapshot-id");
    await expectText(row.locator(".status"), "available", "snapshot ready");
    await row.locator("summary", { hasText: "Replicate" }).click();
    await row.locator("select[name=dst_region]").selectOption("montreal");
    await row.locator("input[name=image_name]").fill("e2e-snap-image");
    await page.click(`#replicate-submit-${snapshotId}`);
    await expectText(page.locator(".toasts .toast"), "being copied", "replicated");
    const images = await lunanode(creds.upstream, creds.apiId, creds.apiKey, "image/list", {});
    const names = JSON.stringify(images.images);
    assert(names.includes("e2e-snap-image"), "the image exists at Luna Node");
    await shot(page, "64-snapshot-replicated");
    await page.click(`#delete-snapshot-${snapshotId}`);
    await row.waitFor({ state: "detached", timeout: 30000 });
  }, page);

  await check("storage: deleting the volume needs its typed name; it leaves the list", async () => {
    assert(await page.locator("#delete-submit").isDisabled(), "disabled until typed");
    await page.fill("#delete-confirm", "e2e-data");
    await page.click("#delete-submit");
    await page.waitForURL(`${base}/volumes`);
    await page.locator(`tr[data-volume-id="${volumeId}"]`).waitFor({ state: "detached", timeout: 30000 });
    const status = await volumeStatus(creds, volumeId);
    assert(status === undefined || /delet/i.test(status), `still at Luna Node: ${status}`);
  }, page);

  // A reseller's customer: only what is theirs, within their volume quota.
  const rita = await openBrowser();
  const stella = await openBrowser();
  let ritasVolume, stellasVolume;
  await check("storage: the reseller gives a customer volumes with a quota and assigns one", async () => {
    await signIn(rita.page, base, RESELLER);
    await ensureKey(rita.page, base, creds);
    stellasVolume = (await lunanode(creds.upstream, creds.apiId, creds.apiKey, "volume/create", {
      region: "toronto", label: "stellas-volume", size: "10",
    })).volume_id;
    ritasVolume = (await lunanode(creds.upstream, creds.apiId, creds.apiKey, "volume/create", {
      region: "toronto", label: "ritas-volume", size: "10",
    })).volume_id;
    await addCustomer(rita.page, base, STELLA);
    // Assign from the ledger check's list of what no customer has (every kind, volumes too).
    await rita.page.locator("button", { hasText: "Check now" }).click();
    const free = rita.page.locator("tr", { hasText: "stellas-volume" });
    await free.waitFor({ state: "visible", timeout: 30000 });
    const customerId = await free.locator("select[name=customer_id] option", { hasText: STELLA.email }).getAttribute("value");
    await free.locator("select[name=customer_id]").selectOption(customerId);
    await free.locator("button", { hasText: "Assign" }).click();
    await visit(rita.page, `${base}/customers/${customerId}`);
    await expectText(rita.page.locator("main table"), "stellas-volume", "assigned");
    await rita.page.fill('[id="field-form[volumes]"]', "2");
    await rita.page.fill('[id="field-form[volume_gb]"]', "25");
    await rita.page.check('#customer-policy input[type=checkbox][value="volumes"]');
    await rita.page.click("#customer-policy button[type=submit]");
    await expectText(rita.page.locator("#customer-policy .notice-success"), "Saved", "policy saved");
  }, rita.page);

  await check("storage: the customer sees only their volume, and is refused past the volume quota", async () => {
    await signIn(stella.page, base, STELLA);
    await visit(stella.page, `${base}/volumes`);
    await expectText(stella.page.locator("#volume-table"), "stellas-volume", "their volume");
    assert(!(await stella.page.locator("main").innerText()).includes("ritas-volume"), "another volume is listed");
    await visit(stella.page, `${base}/volumes/${ritasVolume}`);
    await expectText(stella.page.locator("main"), "does not exist", "another volume's page is not found");
    await createVolume(stella.page, base, "stellas-second", 20);
    await expectText(stella.page.locator("#create-volume-form .form-alert"), "volume storage quota", "GB quota named");
    assert(stella.page.url().endsWith("/volumes/new"), "stayed on the form");
    await stella.page.fill("#field-size", "10");
    await stella.page.click("#create-volume-form button[type=submit]");
    await stella.page.waitForURL(onVolumePage);
    await createVolume(stella.page, base, "stellas-third", 1);
    await expectText(stella.page.locator("#create-volume-form .form-alert"), "allows 2 volumes", "count quota named");
    await shot(stella.page, "65-customer-volume-quota");
    assert(stellasVolume, "made");
  }, stella.page);

  await check("storage: no console errors, page errors or dialogs", async () => {
    const all = [...problems, ...rita.problems, ...stella.problems];
    assert(all.length === 0, all.join("\n"));
  });
  for (const b of [rita, stella]) await b.context.close();
  await context.close();
}
