// Runs every browser journey. Needs two panels already running (server/scripts/test.sh
// starts them): E2E_BASE (fresh, invite-only, no demo, its upstream an emulator at
// E2E_UPSTREAM with the account E2E_API_ID/E2E_API_KEY) and E2E_DEMO_BASE (demo mode).
// Prints "N passed, N failed" and exits non-zero on any failure.
import { waitForServer, summary } from "./lib.mjs";
import accounts from "./journeys/accounts.mjs";
import security from "./journeys/security.mjs";
import demo from "./journeys/demo.mjs";
import vms from "./journeys/vms.mjs";
import images from "./journeys/images.mjs";
import tenancy from "./journeys/tenancy.mjs";

const base = process.env.E2E_BASE || "http://127.0.0.1:3000";
const demoBase = process.env.E2E_DEMO_BASE;

await waitForServer(base);
await accounts(base);
await security(base);
if (process.env.E2E_UPSTREAM) {
  const creds = {
    apiId: process.env.E2E_API_ID,
    apiKey: process.env.E2E_API_KEY,
    upstream: process.env.E2E_UPSTREAM,
  };
  await vms(base, creds);
  await images(base, creds);
  await tenancy(base, creds);
} else {
  console.log("note: E2E_UPSTREAM not set; VM and image journeys skipped");
}
if (demoBase) {
  await waitForServer(demoBase);
  await demo(demoBase);
} else {
  console.log("note: E2E_DEMO_BASE not set; demo journey skipped");
}
process.exit(summary() === 0 ? 0 : 1);
