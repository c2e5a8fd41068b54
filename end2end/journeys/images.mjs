// The image area against the emulator: a new owner (invited by the admin) stores the API
// key; a bad address is refused beside its field with nothing lost; an ISO fetched from a
// URL appears on the list and becomes active without a reload; its page offers the
// download and "create a VM from this image", which boots a VM through the wizard; the
// image is renamed (a reserved name refused beside the field); a second image, fetched with
// virtio, is deleted with its name typed.
import { openBrowser, visit, shot, assert, check, expectText } from "../lib.mjs";
import { ADMIN_FINAL } from "./accounts.mjs";
import { ensureKey, joinByInvite, signIn } from "./steps.mjs";

const OWNER = { name: "Iris Images", email: "iris@example.com", password: "iris passphrase 6" };
const REGION = "toronto";
const ISO_URL = "https://example.com/test.iso";

/** The status badge of image `id` in the list of the caller's own images. */
function rowStatus(id) {
  return `#image-table tr[data-image-id="${id}"] .status`;
}

/** Waits (up to a minute: the emulator saves images on its own clock) until the badge at
 * `selector` says `status`. */
async function waitStatus(page, selector, status, what) {
  await page.locator(`${selector}[data-status="${status}"]`).first()
    .waitFor({ state: "visible", timeout: 60000 })
    .catch(async () => {
      const got = await page.locator(selector).allInnerTexts().catch(() => []);
      throw new Error(`${what}: never "${status}", saw ${JSON.stringify(got)}`);
    });
}

/** Fills the fetch form (already open) and submits it; resolves on the new image's page with its id. */
async function submitFetch(page, { name, virtio = false, format = "iso" }) {
  await page.selectOption("#field-region", REGION);
  await page.fill("#field-name", name);
  await page.fill("#field-location", ISO_URL);
  await page.check(`#format-${format}`);
  if (virtio) await page.check("#field-virtio");
  await page.click("#fetch-image-form button[type=submit]");
  await page.waitForURL((url) => /^\/images\/\d+$/.test(url.pathname));
  return new URL(page.url()).pathname.split("/").pop();
}

export default async function images(base, { apiId, apiKey }) {
  const admin = await openBrowser();
  const { context, page, problems } = await openBrowser();
  let isoId, vmUrl;

  await check("images: an invited owner stores the API key", async () => {
    await signIn(admin.page, base, ADMIN_FINAL);
    await joinByInvite(admin.page, page, base, OWNER);
    await ensureKey(page, base, { apiId, apiKey });
  }, page);

  await check("images: the list keeps the account's own apart from the public templates", async () => {
    await visit(page, `${base}/images`);
    await expectText(page.locator("#sidebar a"), "Images", "navigation entry");
    await expectText(page.locator("#public-images"), "Luna Node templates and ISOs", "public heading");
    await expectText(page.locator("#template-table a.image-name"), "(ISO)", "a public ISO listed");
    await shot(page, "50-images");
  }, page);

  await check("images: a bad address is refused beside its field, nothing lost", async () => {
    await page.evaluate(() => { window.__noReload = "still here"; });
    await page.click("#fetch-image");
    await page.waitForURL(`${base}/images/new`);
    await page.selectOption("#field-region", REGION);
    await page.fill("#field-name", "e2e-iso");
    // No file name to guess the format from: both are missing.
    await page.fill("#field-location", "example.com/download");
    await page.click("#fetch-image-form button[type=submit]");
    await expectText(page.locator("#field-location-error"), "Use an address starting with", "address error");
    await expectText(page.locator("#field-format-error"), "Choose ISO or QCOW2", "format error");
    assert((await page.inputValue("#field-name")) === "e2e-iso", "name kept");
    assert(page.url() === `${base}/images/new`, "still on the form");
    await shot(page, "51-fetch-refused");
  }, page);

  await check("images: a fetched ISO appears and becomes active without a reload", async () => {
    isoId = await submitFetch(page, { name: "e2e-iso" });
    await expectText(page.locator("#image-name"), "e2e-iso", "its page");
    await page.click('nav.breadcrumb a[href="/images"]');
    await page.waitForURL(`${base}/images`);
    await page.locator(rowStatus(isoId)).waitFor({ state: "visible" });
    await waitStatus(page, rowStatus(isoId), "active", "list badge");
    assert((await page.evaluate(() => window.__noReload)) === "still here", "no reload happened");
    await shot(page, "52-image-active");
  }, page);

  await check("images: its page shows the details, the download and the way to a VM", async () => {
    await page.click(`#image-table tr[data-image-id="${isoId}"] a.image-name`);
    await page.waitForURL(`${base}/images/${isoId}`);
    await waitStatus(page, ".page-head .status", "active", "page badge");
    await expectText(page.locator("#image-format"), "ISO", "format");
    await expectText(page.locator("#image-region"), REGION, "region");
    const href = await page.locator("a#image-download").getAttribute("href");
    assert(href === `/api/images/${isoId}/download`, `download link ${href}`);
    const got = await page.evaluate(async (href) => {
      const res = await fetch(href);
      const body = await res.arrayBuffer();
      return { status: res.status, disposition: res.headers.get("content-disposition"), size: body.byteLength };
    }, href);
    assert(got.status === 200, `download status ${got.status}`);
    assert(/filename="e2e-iso\.iso"/.test(got.disposition || ""), `download name ${got.disposition}`);
    assert(got.size > 0, "download has bytes");
    assert((await page.evaluate(() => window.__noReload)) === "still here", "no reload happened");
    await shot(page, "53-image-page");
  }, page);

  await check("images: create a VM from the image through the wizard", async () => {
    await page.click("a#image-create-vm");
    await page.waitForURL((url) => url.pathname === "/vms/new" && url.searchParams.get("image") === isoId);
    await page.locator("#create-boot").waitFor({ state: "visible" });
    assert((await page.inputValue("#create-boot")) === `image:${isoId}`, "the image is chosen");
    assert(await page.isChecked(`input[name=region][value=${REGION}]`), "in the image's region");
    await page.locator("input[name=plan_id]").first().check();
    await page.fill("#create-hostname", "e2e-from-iso");
    await expectText(page.locator("#create-cost"), "/month", "price before creating");
    await page.click("#create-submit");
    await page.waitForURL((url) => /^\/vms\/[^/]+$/.test(url.pathname) && url.pathname !== "/vms/new");
    vmUrl = page.url();
    await expectText(page.locator("#vm-hostname"), "e2e-from-iso", "the VM's page");
    await visit(page, `${base}/vms`);
    await expectText(page.locator("#vm-table a.vm-name"), "e2e-from-iso", "listed");
    await shot(page, "54-vm-from-image");
  }, page);

  await check("images: rename, a reserved name refused beside the field", async () => {
    await visit(page, `${base}/images/${isoId}`);
    await page.fill("#image-rename-name", "mine (ISO)");
    await page.click("#image-rename");
    await expectText(page.locator("#image-rename-error"), "kept for", "reserved name refused");
    assert((await page.inputValue("#image-rename-name")) === "mine (ISO)", "typed name kept");
    await page.fill("#image-rename-name", "e2e-iso-renamed");
    await page.click("#image-rename");
    await expectText(page.locator("#image-name"), "e2e-iso-renamed", "renamed");
    await visit(page, `${base}/images`);
    await expectText(page.locator(`#image-table tr[data-image-id="${isoId}"] a.image-name`), "e2e-iso-renamed", "renamed on the list");
  }, page);

  await check("images: a second image (virtio) is deleted with its name typed", async () => {
    await page.click("#fetch-image");
    await page.waitForURL(`${base}/images/new`);
    const doomed = await submitFetch(page, { name: "e2e-doomed", virtio: true });
    await waitStatus(page, ".page-head .status", "active", "second image");
    await expectText(page.locator("#image-disk-bus"), "virtio", "virtio disk");
    assert(await page.locator("#delete-image").isDisabled(), "delete disabled until confirmed");
    await page.fill("#delete-confirm", "e2e-doome");
    assert(await page.locator("#delete-image").isDisabled(), "a wrong name does not confirm");
    await page.fill("#delete-confirm", "e2e-doomed");
    await page.click("#delete-image");
    await page.waitForURL(`${base}/images`);
    await page.locator(`#image-table tr[data-image-id="${doomed}"]`).waitFor({ state: "detached" });
    await page.locator(rowStatus(isoId)).waitFor({ state: "visible" }).catch(() => {});
    assert((await page.locator(rowStatus(isoId)).count()) === 1, "the other image stays");
    await shot(page, "55-image-deleted");
  }, page);

  await check("images: the VM made from the image is deleted again", async () => {
    await visit(page, vmUrl);
    await page.fill("#delete-confirm", "e2e-from-iso");
    await page.click("#delete-vm");
    await page.waitForURL(`${base}/vms`);
  }, page);

  await check("images: no console errors, page errors or dialogs", async () => {
    const all = [...admin.problems, ...problems];
    assert(all.length === 0, all.join("\n"));
  });
  await admin.context.close();
  await context.close();
}
