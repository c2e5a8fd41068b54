// A cross-origin POST to a server function is refused (403) and signs nobody in, while the
// same request from the panel's own origin goes through.
import { openBrowser, visit, assert, check } from "../lib.mjs";

export default async function security(base) {
  // The attacker's page is not bound by the panel's CSP (its connect-src 'self' would stop
  // the forged request in the browser before the panel's own gate could refuse it).
  const { context, page } = await openBrowser({ bypassCSP: true });
  // The panel's public origin is 127.0.0.1; the same server reached as "localhost" is
  // another origin, so a page loaded from there plays the attacker's site.
  const evil = base.replace("127.0.0.1", "localhost");
  const post = (target) =>
    page.evaluate(async (url) => {
      await fetch(url, {
        method: "POST",
        mode: "no-cors",
        credentials: "include",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "email=ada%40example.com&password=second+passphrase+2",
      }).catch(() => {});
    }, target);

  await check("a cross-origin POST to a server function is refused", async () => {
    await visit(page, `${evil}/sign-in`);
    const seen = page.waitForResponse((r) => r.url() === `${base}/api/sign_in`);
    await post(`${base}/api/sign_in`);
    const res = await seen;
    assert(res.status() === 403, `status ${res.status()}`);
    const cookies = await context.cookies(base);
    assert(!cookies.some((c) => c.name.includes("lp_sid")), "no session cookie was set");
  });

  await check("the same POST from the panel's own pages is accepted", async () => {
    await visit(page, `${base}/sign-in`);
    const seen = page.waitForResponse((r) => r.url() === `${base}/api/sign_in`);
    await post(`${base}/api/sign_in`);
    const res = await seen;
    assert(res.status() === 200, `status ${res.status()}`);
  });
  await context.close();
}
