// What Chromium transfers (bytes on the wire, headers included, as the DevTools network panel
// counts them) for a first visit with an empty cache: the sign-in page until it is hydrated,
// then the overview for a signed-in visitor, then what each area adds when it is first opened
// (its lazy chunks; what the first page loaded comes from the cache).
// Usage: node end2end/first-load.mjs <base of a demo-mode panel>. Run by
// `server/scripts/measure.sh --browser`, which starts that panel.
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const base = process.argv[2];
if (!base) {
  console.error("usage: node end2end/first-load.mjs <base URL of a demo-mode panel>");
  process.exit(2);
}
const AREAS = [
  "/vms", "/vms/new", "/images", "/volumes", "/floating-ips", "/networks", "/load-balancers",
  "/security-groups", "/dns", "/mail", "/monitoring", "/plans", "/regions", "/ssh-keys",
  "/scripts", "/customers", "/audit", "/account",
];

/** A browser with an empty profile that counts every response's transferred bytes. */
async function browser() {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "lp-load-")), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const urls = new Map();
  let log = [];
  cdp.on("Network.responseReceived", (e) => urls.set(e.requestId, e.response.url));
  cdp.on("Network.loadingFinished", (e) => {
    log.push({ url: urls.get(e.requestId) ?? "?", bytes: e.encodedDataLength });
  });
  return {
    context,
    page,
    /** Everything transferred since the last call. */
    take() {
      const taken = log;
      log = [];
      return taken;
    },
  };
}

const kind = (url) => {
  const path = new URL(url).pathname;
  if (path.endsWith(".wasm")) return "wasm";
  if (path.endsWith(".js")) return "js";
  if (path.endsWith(".css")) return "css";
  if (path.startsWith("/pkg/")) return "other build output";
  return "document and data";
};

function report(title, entries) {
  const by = new Map();
  for (const { url, bytes } of entries) by.set(kind(url), (by.get(kind(url)) ?? 0) + bytes);
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  const parts = [...by].map(([k, n]) => `${k} ${n}`).join(", ");
  console.log(`${title.padEnd(34)} ${String(total).padStart(9)} bytes  (${parts || "nothing"})`);
  return total;
}

/** Opens `url` and waits until the page is hydrated and the network is quiet. */
async function open(page, url) {
  await page.goto(url);
  await page.waitForSelector("html[data-hydrated=true]", { state: "attached", timeout: 60000 });
  await page.waitForLoadState("networkidle");
}

// 1. The sign-in page, empty cache.
const first = await browser();
await open(first.page, `${base}/sign-in`);
const signIn = report("first visit: /sign-in (hydrated)", first.take());
// Sign in with the demo credentials the page shows.
const [email, password] = await first.page.locator(".notice-demo code").allInnerTexts();
await first.page.fill("#field-email", email);
await first.page.fill("#field-password", password);
await first.page.click("button[type=submit]");
await first.page.waitForURL(`${base}/`);
await first.page.waitForLoadState("networkidle");
first.take();
const cookies = await first.context.cookies();

// 2. The overview for a signed-in visitor with an empty cache.
const second = await browser();
await second.context.addCookies(cookies);
await open(second.page, `${base}/`);
const overview = report("first visit: / (signed in, hydrated)", second.take());

// 3. Each area's own code, opened after the overview (build output only: the page's HTML
// and its data are not code).
let largest = 0;
for (const path of AREAS) {
  await open(second.page, `${base}${path}`);
  const code = second.take().filter((e) => new URL(e.url).pathname.startsWith("/pkg/"));
  largest = Math.max(largest, report(`  then ${path} adds`, code));
}
console.log(`first load: sign-in ${signIn} bytes, overview ${overview} bytes; largest area ${largest} bytes`);
await first.context.close();
await second.context.close();
