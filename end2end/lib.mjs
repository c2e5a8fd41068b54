// Shared pieces for the browser journeys: Debian's Chromium through playwright-core,
// a tiny test runner, and page helpers. Screenshots go to test-results/.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const RESULTS = new URL("./test-results/", import.meta.url).pathname;
mkdirSync(RESULTS, { recursive: true });

const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** A fresh browser profile (its own cookies), with console and page errors recorded. */
export async function openBrowser() {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "lp-e2e-")), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(15000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // A refused sign-in or a validation error is an expected 4xx; anything 5xx is not.
    const expected4xx = /status of 4\d\d/.test(m.text());
    if (m.type() === "error" && !expected4xx) problems.push(`console error: ${m.text()}`);
  });
  page.on("dialog", (d) => {
    problems.push(`unexpected dialog: ${d.message()}`);
    d.dismiss();
  });
  return { context, page, problems };
}

/** Waits until the server answers (the panel may still be starting). */
export async function waitForServer(base, seconds = 120) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch {}
    if (Date.now() > until) throw new Error(`${base} did not answer within ${seconds}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Navigates and waits for hydration (App marks <html data-hydrated>). */
export async function visit(page, url) {
  await page.goto(url);
  await hydrated(page);
}

export async function hydrated(page) {
  await page.waitForSelector("html[data-hydrated=true]", { state: "attached" });
}

export async function shot(page, name) {
  await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

export async function expectText(locator, text, what) {
  await locator.filter({ hasText: text }).first().waitFor({ state: "visible" }).catch(async () => {
    const got = await locator.allInnerTexts().catch(() => []);
    throw new Error(`${what}: expected "${text}", saw ${JSON.stringify(got)}`);
  });
}

const results = [];

/** Runs one named check; failures are recorded, not thrown, so every check reports. */
export async function check(name, fn, page) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.stack || e}`);
    // With the page: what it showed when the check failed (text and a screenshot).
    if (page) {
      const slug = name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
      const text = await page.locator("main").innerText().catch(() => "(no main)");
      console.log(`---- ${page.url()}\n${text.slice(0, 1500)}\n----`);
      await page.screenshot({ path: join(RESULTS, `FAIL-${slug}.png`), fullPage: true }).catch(() => {});
    }
  }
}

export function summary() {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}
