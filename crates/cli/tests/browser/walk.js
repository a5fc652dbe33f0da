// Walks the platform in headless Chromium (Debian's /usr/bin/chromium),
// as crates/cli/tests/browser.rs asks: node walk.js BASE_URL SCREENSHOT_DIR.
// Prints one JSON line of what it saw; exits non-zero on any failed check.
"use strict";
const { chromium } = require("playwright-core");

const [base, shots] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const seen = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));

    // The sign-in page; an empty form is refused beside each field.
    await page.goto(base + "/");
    await page.waitForSelector("#sign-in:not([hidden])");
    check(await page.isHidden("#top"), "the header is hidden before sign-in");
    await page.click("#sign-in-form button[type=submit]");
    check((await page.textContent("#name-error")) === "请输入用户名", "an empty name is named beside its field");
    await page.screenshot({ path: `${shots}/sign-in.png` });

    // A wrong password: an error, the typed name kept.
    await page.fill("#name", "demo-county");
    await page.fill("#password", "not-the-password");
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForFunction(() => document.getElementById("sign-in-error").textContent !== "");
    check((await page.textContent("#sign-in-error")) === "用户名或密码不正确", "a wrong password is refused");
    check((await page.inputValue("#name")) === "demo-county", "the typed name is kept");

    // Signed in: the 工作台.
    await page.fill("#password", "weipian-demo");
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForSelector("#desk:not([hidden])");
    await page.waitForSelector("#awaiting table");
    seen.who = await page.textContent("#who");
    check(seen.who.includes("县级填报"), "the header names the role");
    seen.to_fill = await page.textContent("#awaiting h3");
    check(/待填报（\d+）/.test(seen.to_fill), "what awaits the county is listed");
    seen.reports = await page.$$eval("#reports a", (as) => as.map((a) => a.getAttribute("href")));
    check(seen.reports.some((h) => h.includes("/api/reports/quick") && h.includes("region=510116")), "the county's 快报 is offered");
    await page.screenshot({ path: `${shots}/desk-county.png` });

    // The 快报 link downloads a Word document with the session cookie.
    const res = await page.request.get(base + seen.reports[0]);
    check(res.status() === 200, "the 快报 downloads");
    check((res.headers()["content-type"] || "").includes("wordprocessingml"), "as .docx");

    // A change without the anti-CSRF token is refused, even from the page.
    const refused = await page.evaluate(async () => {
      const r = await fetch("/api/session", { method: "DELETE", credentials: "same-origin" });
      return [r.status, (await r.json()).code];
    });
    check(refused[0] === 403 && refused[1] === "csrf", "a change without the token is refused");
    // Another county's patch is "not found" for this county.
    const otherPatch = "/api/patches/2020/2020Q1/510104TD200001";
    const other = await page.evaluate(async (u) => (await fetch(u)).status, otherPatch);
    check(other === 404, "another county's patch is not found");

    // Sign out: back to the sign-in page; the cookie no longer works.
    await page.click("#sign-out");
    await page.waitForSelector("#sign-in:not([hidden])");
    const after = await page.evaluate(async () => (await fetch("/api/me")).status);
    check(after === 401, "signed out");

    // A city reviewer sees what awaits review.
    await page.fill("#name", "demo-city");
    await page.fill("#password", "weipian-demo");
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForSelector("#awaiting table");
    seen.city = await page.textContent("#awaiting");
    check(seen.city.includes("待审核") && seen.city.includes("时间节点"), "the city's 工作台");
    // The same patch exists: the city, whose it is, reads it.
    const mine = await page.evaluate(async (u) => (await fetch(u)).status, otherPatch);
    check(mine === 200, "the city reads the patch the county could not");
    await page.screenshot({ path: `${shots}/desk-city.png` });
    check(pageErrors.length === 0, "no script errors: " + pageErrors.join("; "));
  } catch (e) {
    failures.push(String(e));
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ failures, seen }));
  process.exit(failures.length ? 1 : 0);
})();
