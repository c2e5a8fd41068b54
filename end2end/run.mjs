// Runs every browser journey. Needs two panels already running (server/scripts/test.sh
// starts them): E2E_BASE (fresh, invite-only, no demo, its upstream an emulator at
// E2E_UPSTREAM with the account E2E_API_ID/E2E_API_KEY) and E2E_DEMO_BASE (demo mode).
// E2E_JOURNEYS=vms,storage runs only those (for iterating on one journey).
// Prints "N passed, N failed" and exits non-zero on any failure.
import { waitForServer, summary } from "./lib.mjs";
import accounts from "./journeys/accounts.mjs";
import security from "./journeys/security.mjs";
import demo from "./journeys/demo.mjs";
import vms from "./journeys/vms.mjs";
import images from "./journeys/images.mjs";
import tenancy from "./journeys/tenancy.mjs";
import storage from "./journeys/storage.mjs";
import securitygroups from "./journeys/securitygroups.mjs";
import networking from "./journeys/networking.mjs";
import dns from "./journeys/dns.mjs";
import mail from "./journeys/mail.mjs";
import monitoring from "./journeys/monitoring.mjs";
import consoleJourney from "./journeys/console.mjs";

const base = process.env.E2E_BASE || "http://127.0.0.1:3000";
const demoBase = process.env.E2E_DEMO_BASE;
const only = (process.env.E2E_JOURNEYS || "").split(",").filter(Boolean);
const wanted = (name) => only.length === 0 || only.includes(name);

/** Journeys on the fresh panel: [name, run(base, creds), needs an emulator upstream]. */
const FRESH = [
  ["accounts", accounts, false],
  ["security", security, false],
  ["vms", vms, true],
  ["images", images, true],
  ["tenancy", tenancy, true],
  ["storage", storage, true],
  ["securitygroups", securitygroups, true],
  ["networking", networking, true],
  ["dns", dns, true],
  ["mail", mail, true],
  ["monitoring", monitoring, true],
  ["console", consoleJourney, true],
];

await waitForServer(base);
const creds = process.env.E2E_UPSTREAM
  ? { apiId: process.env.E2E_API_ID, apiKey: process.env.E2E_API_KEY, upstream: process.env.E2E_UPSTREAM }
  : null;
for (const [name, run, needsUpstream] of FRESH) {
  if (!wanted(name)) continue;
  if (needsUpstream && !creds) {
    console.log(`note: E2E_UPSTREAM not set; journey ${name} skipped`);
    continue;
  }
  await run(base, creds);
}
if (wanted("demo")) {
  if (demoBase) {
    await waitForServer(demoBase);
    await demo(demoBase);
  } else {
    console.log("note: E2E_DEMO_BASE not set; demo journey skipped");
  }
}
process.exit(summary() === 0 ? 0 : 1);
