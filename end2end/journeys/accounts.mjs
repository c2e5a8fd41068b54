// Accounts from first sign-up to a disabled second account: sign up (with live hints and a
// field error that loses nothing), sign out, wrong password, sign in, change password
// (old one then fails), invite a second user, disable them (they cannot sign in).
import { createHmac } from "node:crypto";
import { openBrowser, visit, hydrated, shot, assert, check, expectText } from "../lib.mjs";
import { joinByInvite } from "./steps.mjs";

const ADMIN = { name: "Ada Admin", email: "ada@example.com", password: "first passphrase 1" };
const NEW_PASSWORD = "second passphrase 2";
/** The admin as the accounts journey leaves them (the VM journey signs in with this). */
export const ADMIN_FINAL = { email: ADMIN.email, password: NEW_PASSWORD };
const BOB = { name: "<img src=x onerror=alert(1)>", email: "bob@example.com", password: "bobs passphrase 3" };
const CAROL = { name: "Carol Careful", email: "carol@example.com", password: "carols passphrase 4" };

/** The code an authenticator app shows now for a base32 `secret` (RFC 6238: SHA-1, 30 s). */
function totp(secret) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...secret.toUpperCase()].map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0")).join("");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function signIn(page, base, email, password) {
  await visit(page, `${base}/sign-in`);
  await page.fill("#field-email", email);
  await page.fill("#field-password", password);
  await page.click("button[type=submit]");
}

async function signOut(page) {
  await page.click("#sign-out");
  await page.waitForURL(/\/sign-in$/);
}

export default async function accounts(base) {
  const { context, page, problems } = await openBrowser();

  await check("a signed-out visitor of / is sent to sign-in", async () => {
    await visit(page, `${base}/`);
    assert(page.url().endsWith("/sign-in"), `at ${page.url()}`);
  });

  await check("sign-up page hydrates: live password hint without reload", async () => {
    await visit(page, `${base}/sign-up`);
    await expectText(page.locator("main"), "first account", "first-account notice");
    await page.evaluate(() => (window.__noReload = true));
    await page.fill("#field-password", "abc");
    await expectText(page.locator("#field-password-error"), "at least 10 characters (3 so far)", "live hint");
    // The show/hide toggle is client-side too.
    await page.click("#field-password ~ button.toggle-visibility");
    assert((await page.getAttribute("#field-password", "type")) === "text", "password shown");
    await page.click("#field-password ~ button.toggle-visibility");
    assert(await page.evaluate(() => window.__noReload === true), "page was reloaded");
    await shot(page, "01-sign-up-live-hint");
  });

  await check("sign-up with mismatched passwords: error beside the field, input kept", async () => {
    await page.fill("#field-name", ADMIN.name);
    await page.fill("#field-email", ADMIN.email);
    await page.fill("#field-password", ADMIN.password);
    await page.fill("#field-confirm", "something else entirely");
    await page.click("button[type=submit]");
    await expectText(page.locator("#field-confirm-error"), "do not match", "confirm error");
    assert((await page.getAttribute("#field-confirm", "aria-invalid")) === "true", "aria-invalid");
    assert((await page.inputValue("#field-email")) === ADMIN.email, "e-mail kept");
    assert((await page.inputValue("#field-name")) === ADMIN.name, "name kept");
    await shot(page, "02-sign-up-field-error");
  });

  await check("sign up the first account (administrator)", async () => {
    await page.fill("#field-confirm", ADMIN.password);
    await page.click("button[type=submit]");
    await page.waitForURL(`${base}/`);
    await expectText(page.locator("h1"), `Welcome, ${ADMIN.name}`, "welcome");
    await expectText(page.locator("nav#sidebar"), "Administration", "admin nav");
    await shot(page, "03-overview-admin");
  });

  await check("sign out", async () => {
    await signOut(page);
    await visit(page, `${base}/account`);
    assert(page.url().endsWith("/sign-in"), "console closed after sign-out");
  });

  await check("a wrong password shows the error and keeps the e-mail", async () => {
    await signIn(page, base, ADMIN.email, "not the password");
    await expectText(page.locator(".form-alert"), "e-mail address or password is incorrect", "alert");
    assert((await page.inputValue("#field-email")) === ADMIN.email, "e-mail kept");
    await shot(page, "04-sign-in-wrong-password");
  });

  await check("sign in", async () => {
    await page.fill("#field-password", ADMIN.password);
    await page.click("button[type=submit]");
    await page.waitForURL(`${base}/`);
    await expectText(page.locator("h1"), "Welcome", "welcome");
  });

  await check("change password; the old one then fails", async () => {
    await page.click("nav#sidebar >> text=Account");
    await page.waitForURL(`${base}/account`);
    await hydrated(page);
    await page.fill("#field-current", ADMIN.password);
    await page.fill("#field-new_password", NEW_PASSWORD);
    await page.fill("#field-confirm", NEW_PASSWORD);
    await page.click("#change-password button[type=submit]");
    await expectText(page.locator(".notice-success"), "password was changed", "success");
    await shot(page, "05-password-changed");
    await signOut(page);
    await signIn(page, base, ADMIN.email, ADMIN.password);
    await expectText(page.locator(".form-alert"), "incorrect", "old password refused");
    await page.fill("#field-password", NEW_PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(`${base}/`);
  });

  const bob = await openBrowser();
  await check("invite a second user; their name renders as text", async () => {
    await visit(page, `${base}/admin`);
    await page.click("#create-invite");
    const link = await page.locator("#invite-link").inputValue();
    assert(link.startsWith(`${base}/sign-up?invite=`), `link ${link}`);
    await shot(page, "06-invite-created");
    await visit(bob.page, link);
    await expectText(bob.page.locator("main"), "You were invited", "invite notice");
    await bob.page.fill("#field-name", BOB.name);
    await bob.page.fill("#field-email", BOB.email);
    await bob.page.fill("#field-password", BOB.password);
    await bob.page.fill("#field-confirm", BOB.password);
    await bob.page.click("button[type=submit]");
    await bob.page.waitForURL(`${base}/`);
    await expectText(bob.page.locator(".user-name"), BOB.name, "hostile name shown literally");
    assert((await bob.page.locator("img[src=x]").count()) === 0, "no injected <img>");
    assert(!(await bob.page.locator("nav#sidebar").innerText()).includes("Administration"), "no admin nav for owners");
    await shot(bob.page, "07-invited-user");
    // Not a reseller: /customers says what it is for instead of offering forms that fail.
    await visit(bob.page, `${base}/customers`);
    await expectText(bob.page.locator("#customers-not-reseller"), "This page is for resellers", "explained");
    assert((await bob.page.locator("#create-customer").count()) === 0, "no add-customer form");
  });

  await check("a disabled account is signed out and cannot sign in", async () => {
    await visit(page, `${base}/admin`);
    await page.click(`button[aria-label="Disable ${BOB.email}"]`);
    await expectText(page.locator(`tr[data-user="${BOB.email}"]`), "Disabled", "status");
    await shot(page, "08-user-disabled");
    await visit(bob.page, `${base}/account`);
    assert(bob.page.url().endsWith("/sign-in"), `disabled session still open at ${bob.page.url()}`);
    await signIn(bob.page, base, BOB.email, BOB.password);
    await expectText(bob.page.locator(".form-alert"), "incorrect", "refused");
    await shot(bob.page, "09-disabled-sign-in");
  });

  const laptop = await openBrowser();
  await check("sessions page: another browser's session is listed and signed out from here", async () => {
    await signIn(laptop.page, base, ADMIN.email, NEW_PASSWORD);
    await laptop.page.waitForURL(`${base}/`);
    await visit(page, `${base}/account`);
    await page.click("#open-sessions");
    await page.waitForURL(`${base}/account/sessions`);
    await hydrated(page);
    const rows = page.locator("#session-table tbody tr");
    await expectText(page.locator("#session-table"), "This session", "current session marked");
    assert((await rows.count()) >= 2, `rows: ${await rows.count()}`);
    await shot(page, "10-sessions");
    // The newest other session is the laptop's: sign it out.
    await page.locator("button[id^=sign-out-session-]:not([disabled])").first().click();
    await expectText(page.locator(".toasts"), "signed out", "toast");
    await visit(laptop.page, `${base}/account`);
    assert(laptop.page.url().endsWith("/sign-in"), `laptop still signed in at ${laptop.page.url()}`);
  });

  await check("audit page: sign-in events filtered by kind", async () => {
    await visit(page, `${base}/audit`);
    await hydrated(page);
    await page.selectOption("#audit-category", "auth/");
    await page.click("#audit-filters button[type=submit]");
    await page.waitForURL(/category=auth/);
    const table = page.locator("main table");
    for (const action of ["auth/sign_in_failed", "auth/sign_out", "auth/password_change", "auth/session_revoke"]) {
      await expectText(table, action, action);
    }
    assert(!(await table.innerText()).includes("admin/disable"), "only sign-in events");
    await shot(page, "11-audit-sign-in-events");
  });

  const carol = await openBrowser();
  await check("two-step sign-in: set up with an app, then sign in with a recovery code", async () => {
    await joinByInvite(page, carol.page, base, CAROL);
    await visit(carol.page, `${base}/account/security`);
    await hydrated(carol.page);
    await carol.page.fill("#field-password", CAROL.password);
    await carol.page.click("#totp-begin");
    // Typed as soon as the set-up shows (a code typed then was once wiped by a redraw).
    const secret = (await carol.page.locator("#totp-secret").innerText()).replace(/\s+/g, "");
    await carol.page.fill("#totp-code", totp(secret));
    await carol.page.click("#totp-confirm");
    const codes = carol.page.locator("#recovery-codes li");
    await codes.first().waitFor({ state: "visible" });
    const recovery = (await codes.first().innerText()).trim();
    await signOut(carol.page);
    // The password alone leads to the second step, on the same page.
    await signIn(carol.page, base, CAROL.email, CAROL.password);
    await carol.page.locator("#sign-in-code-form").waitFor({ state: "visible" });
    assert(carol.page.url().endsWith("/sign-in"), "not signed in by the password alone");
    await shot(carol.page, "12-sign-in-second-step");
    await carol.page.fill("#sign-in-code", "000000");
    await carol.page.click("#sign-in-code-form button[type=submit]");
    // Refused beside the field.
    await expectText(carol.page.locator("#sign-in-code-error"), "code", "a wrong code is refused");
    assert((await carol.page.getAttribute("#sign-in-code", "aria-invalid")) === "true", "marked invalid");
    await carol.page.fill("#sign-in-code", recovery);
    await carol.page.click("#sign-in-code-form button[type=submit]");
    await carol.page.waitForURL(`${base}/`);
    await hydrated(carol.page);
    await expectText(carol.page.locator("h1"), "Welcome", "signed in");
  });

  await check("no console errors, page errors or dialogs", async () => {
    const all = [...problems, ...bob.problems, ...laptop.problems, ...carol.problems];
    assert(all.length === 0, all.join("\n"));
  });
  await bob.context.close();
  await carol.context.close();
  await laptop.context.close();
  await context.close();
}
