// Shared pieces for the browser journeys: Debian's Chromium through playwright-core,
// a tiny test runner, and page helpers. Screenshots go to test-results/.
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
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
export async function openBrowser({ bypassCSP = false } = {}) {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "lp-e2e-")), {
    bypassCSP,
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(15000);
  const problems = [];
  await watchCsp(context, problems);
  const page = context.pages()[0] ?? (await context.newPage());
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

// ---- Content-Security-Policy: every violation on any page of a journey's browser fails
// the journey (SEC-4.4): the step it happened in (see `check`) and the journey's closing
// "no errors" assertion, which reads `problems`.

const cspStats = { violations: 0 };
/** Violations per page not yet reported by a `check`. */
const cspPending = new WeakMap();

/** Records every `securitypolicyviolation` of `context`'s pages into `problems`: a listener
 * installed before any of the page's own scripts (init scripts are not subject to the
 * page's CSP) reports each event through a binding to this process. */
async function watchCsp(context, problems) {
  await context.exposeBinding("__lpCspViolation", ({ page }, v) => {
    const what = v.blocked || "an inline script or style";
    const where = v.source ? ` (${v.source}:${v.line})` : "";
    const sample = v.sample ? ` sample: ${JSON.stringify(v.sample)}` : "";
    const text = `CSP violation on ${v.url}: ${v.directive} refused ${what}${where}${sample}`;
    cspStats.violations += 1;
    problems.push(text);
    if (page) cspPending.set(page, [...(cspPending.get(page) ?? []), text]);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__lpCspViolation?.({
        url: location.href,
        directive: e.effectiveDirective || e.violatedDirective,
        blocked: e.blockedURI,
        source: e.sourceFile,
        line: e.lineNumber,
        sample: e.sample,
      });
    }, true);
  });
}

/** Throws if `page` had a CSP violation since the last call. */
export function checkCsp(page) {
  const pending = cspPending.get(page) ?? [];
  cspPending.delete(page);
  if (pending.length) throw new Error(pending.join("\n"));
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
  await checkA11y(page);
}

export async function hydrated(page) {
  await page.waitForSelector("html[data-hydrated=true]", { state: "attached" });
}

export async function shot(page, name) {
  await checkA11y(page);
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
    // Whatever page the step ended on is checked too (client-side navigation included).
    if (page) await checkA11y(page);
    if (page) checkCsp(page);
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

// ---- Accessibility: axe-core on every page a journey visits, light and dark.

/** WCAG 2.1 A/AA rules (what axe can decide automatically). */
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
/** Only these impacts fail a journey; the rest is reported in the summary line. */
const AXE_FAILING = new Set(["serious", "critical"]);
const axeSeen = new Set();
const axeStats = { pages: 0, runs: 0, failing: 0, minor: 0, duplicateIds: 0 };

/** A page's route with its ids taken out (`/vms/1234` -> `/vms/:id`), so each kind of
 * page is checked once per state: the query string and the page's heading are part of it. */
async function a11yKey(page) {
  const u = new URL(page.url());
  const path = u.pathname.replace(/\/(?=[0-9a-f-]*\d)[0-9a-f-]+(?=\/|$)/gi, "/:id");
  const head = await page.locator("h1").first().innerText({ timeout: 500 }).catch(() => "");
  const dialog = (await page.locator("dialog[open], [role=dialog]").count().catch(() => 0)) > 0;
  return `${u.origin}${path}${u.search ? "?…" : ""} | ${head.replace(/\d+/g, "#").slice(0, 40)}${dialog ? " | dialog" : ""}`;
}

/** Runs axe-core on the page as it is now, in the light and the dark scheme, and throws
 * on any serious or critical WCAG violation (naming the rule, the elements and the fix) or
 * any id that more than one element has.
 * A page already checked in the same state is skipped; `force` checks it again. */
export async function checkA11y(page, { force = false } = {}) {
  if (process.env.E2E_AXE === "off" || page.isClosed()) return;
  // The page as its user meets it: hydrated (a lazily split page's area may still be loading
  // when a full-document navigation returns).
  await hydrated(page).catch(() => {});
  const key = await a11yKey(page).catch(() => null);
  if (!key || (!force && axeSeen.has(key))) return;
  axeSeen.add(key);
  axeStats.pages += 1;
  const problems = [];
  // Each id once: a second element of an id takes its label, its aria reference or a test's
  // click (a list's filter and a form's field once shared `record-type`).
  const dupes = await page.evaluate(() => {
    const seen = new Map();
    for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `#${id} (${n} elements)`);
  }).catch(() => []); // the page navigated away meanwhile: nothing of this state to check
  if (dupes.length) {
    axeStats.duplicateIds += dupes.length;
    problems.push(`duplicate element ids: ${dupes.join(", ")}`);
  }
  try {
    for (const colorScheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme, reducedMotion: "reduce" });
      const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
      axeStats.runs += 1;
      for (const v of violations) {
        if (!AXE_FAILING.has(v.impact)) {
          axeStats.minor += 1;
          continue;
        }
        axeStats.failing += 1;
        const where = v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}${n.failureSummary ? ` (${n.failureSummary.split("\n").slice(1).join("; ").trim()})` : ""}`);
        problems.push(`[${colorScheme}] ${v.impact} ${v.id}: ${v.help} — ${where.join(" | ")} (${v.helpUrl})`);
      }
    }
  } finally {
    await page.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" }).catch(() => {});
  }
  if (problems.length) {
    throw new Error(`accessibility (axe-core) on ${page.url()}:\n  ${problems.join("\n  ")}`);
  }
}

export function summary() {
  console.log(`CSP: ${cspStats.violations} violations`);
  console.log(`axe-core: ${axeStats.pages} page states checked (${axeStats.runs} runs, light and dark): ${axeStats.failing} serious/critical, ${axeStats.minor} minor/moderate violations; ${axeStats.duplicateIds} duplicate ids`);
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}
