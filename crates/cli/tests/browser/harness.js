// What both walks share: Chromium at 1366×768 in Beijing time, a page whose
// script errors fail the walk, the navigation helpers, and the ending — a
// screenshot and the page's text on failure, one JSON line of what was
// seen, the exit code.
"use strict";
const { chromium } = require("playwright-core");

/**
 * Run `steps(t)` and exit: 0 when every `t.check` held. `t` holds `page`,
 * `check(ok, what)`, `seen` (printed at the end), `go(hash)` (navigate and
 * wait until the page says it finished), `reopen(hash)`, `signIn(name)`,
 * `signOut()` and `waitText(selector, regexp)`.
 */
async function walk(shots, failureShot, steps) {
  const failures = [];
  const check = (ok, what) => { if (!ok) failures.push(what); };
  const seen = {};
  const pageErrors = [];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true, timezoneId: "Asia/Shanghai" });
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
      // HTTP refusals the walk provokes show as "Failed to load resource"; script errors do not.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push("console: " + m.text());
    });
    const go = async (hash) => {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await page.waitForFunction((h) => document.body.dataset.ready === h, hash, { timeout: 30000 });
    };
    // The same route again (after a change): leave it, then come back.
    const reopen = async (hash) => {
      await go("#/");
      await go(hash);
    };
    const signIn = async (name) => {
      await page.fill("#name", name);
      await page.fill("#password", "weipian-demo");
      await page.click("#sign-in-form button[type=submit]");
      await page.waitForSelector("body[data-ready]", { timeout: 30000 });
    };
    const signOut = async () => {
      await page.click("#sign-out");
      await page.waitForSelector("#sign-in:not([hidden])");
    };
    const waitText = (sel, re) => page.waitForFunction(([s, src]) => {
      const e = document.querySelector(s);
      return e !== null && new RegExp(src).test(e.textContent);
    }, [sel, re.source], { timeout: 30000 });
    await steps({ page, check, seen, go, reopen, signIn, signOut, waitText });
  } catch (e) {
    failures.push(String(e && e.stack || e));
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length) {
      await pages[0].screenshot({ path: `${shots}/${failureShot}`, fullPage: true }).catch(() => {});
      failures.push("at " + (await pages[0].evaluate(() => location.hash + " :: " + document.getElementById("view").textContent.slice(0, 600)).catch(() => "?")));
    }
  } finally {
    check(pageErrors.length === 0, "no script errors: " + pageErrors.join("; "));
    await browser.close();
  }
  console.log(JSON.stringify({ failures, seen }));
  process.exit(failures.length ? 1 : 0);
}

module.exports = { walk };
