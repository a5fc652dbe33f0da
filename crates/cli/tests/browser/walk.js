// Walks the platform in headless Chromium (Debian's /usr/bin/chromium),
// as crates/cli/tests/browser.rs asks:
//   node walk.js BASE_URL SCREENSHOT_DIR PHOTO.jpg BATCH.geojson
// A county fills a 违法 determination with a photo and submits it; the
// city returns it with a reason; the county fixes and resubmits; city and
// province pass it; the province's 快报 counts it. Also: sign-in errors,
// a change without the CSRF token refused, another county's patch URL
// "not found"; an administrator uploads BATCH.geojson as a new batch
// and watches its import and analysis job. Prints one JSON line of what it saw; exits non-zero on any
// failed check.
"use strict";
const { walk } = require("./harness.js");

const [base, shots, photo, batchFile] = process.argv.slice(2);
const BATCH = "2020Q1";

walk(shots, "failure.png", async ({ page, check, seen, go, reopen, signIn, signOut, waitText }) => {
    /** The value of the 快报 blank labelled `label`, as shown. */
    const blank = (label) => page.textContent(`button.blank[title="${label}"]`);

    // The sign-in page; an empty form is refused beside each field.
    await page.goto(base + "/");
    await page.waitForSelector("#sign-in:not([hidden])");
    check(await page.isHidden("#top"), "the header is hidden before sign-in");
    await page.click("#sign-in-form button[type=submit]");
    check((await page.textContent("#name-error")) === "请输入用户名", "an empty name is named beside its field");
    await page.screenshot({ path: `${shots}/sign-in.png` });
    await page.fill("#name", "demo-province");
    await page.fill("#password", "not-the-password");
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForFunction(() => document.getElementById("sign-in-error").textContent !== "");
    check((await page.textContent("#sign-in-error")) === "用户名或密码不正确", "a wrong password is refused");
    check((await page.inputValue("#name")) === "demo-province", "the typed name is kept");

    // The province: the 快报 as things stand, before the county's work.
    await signIn("demo-province");
    const province = await page.evaluate(async () => (await (await fetch("/api/session")).json()).region);
    const quick = `#/reports?tab=quick&year=2020&region=${province}&quarter=1&current=1`;
    await go(quick);
    seen.illegal_before = Number(await blank("土地违法图斑个数"));
    seen.verified_before = Number(await blank("已核实填报图斑个数"));
    seen.filed_before = Number(await blank("立案查处件数"));
    // Patches of the whole province, to find one outside the county later.
    const all = await page.evaluate(async (b) => (await (await fetch(`/api/patches?year=2020&batch=${b}&per_page=500`)).json()).items.map((p) => p.XZQDM + " " + p.JCBH), BATCH);
    await go("#/");
    await page.screenshot({ path: `${shots}/desk-province.png` });
    await signOut();

    // The county: 工作台, list, a patch.
    await signIn("demo-county");
    const county = await page.evaluate(async () => (await (await fetch("/api/session")).json()).region);
    seen.to_fill = await page.textContent("#awaiting h3");
    check(/待填报（\d+）/.test(seen.to_fill), "what awaits the county is listed");
    seen.transfers = await page.textContent("#transfers");
    check(seen.transfers.includes("移交待反馈"), "the county's transfers awaiting feedback are listed");
    await page.screenshot({ path: `${shots}/desk-county.png` });
    const listHash = `#/patches?year=2020&batch=${BATCH}&kind=land&status=unanswered&sort=area&dir=desc`;
    await go(listHash);
    const rows = await page.$$eval("table.list tbody tr", (trs) => trs.map((t) => t.querySelector("td:nth-child(2)").textContent));
    check(rows.length > 0, "the county lists its unanswered land patches");
    await page.screenshot({ path: `${shots}/list-county.png` });
    // Keyboard: the first row takes focus, Enter opens it.
    await page.focus("table.list tbody tr:first-child");
    await page.keyboard.press("Enter");
    const jcbh = rows[0];
    const patchHash = `#/patch/2020/${BATCH}/${jcbh}`;
    await page.waitForFunction((h) => document.body.dataset.ready === h, patchHash, { timeout: 30000 });
    seen.patch = jcbh;
    check(await page.isVisible("#map canvas"), "the patch map is drawn");
    // The batch's before/after imagery: a swipe over the configured tiles.
    const swipe = await page.$("input[aria-label=前后时相卷帘位置]");
    check(Boolean(swipe), "the imagery swipe is offered");
    if (swipe) await swipe.fill("30");
    check((await page.textContent(".ol-attribution")).includes("测试底图"), "the basemap's attribution is shown");

    // A 违法 determination; a wrong area is named beside its field, and
    // a missing photo beside the evidence; what was typed stays.
    await page.selectOption("#f-0-PDLX", "WF");
    await page.selectOption("#f-0-JTQX", "WF01");
    await page.fill("#f-0-PDYJSM", "实地核查：未经批准建设厂房");
    await page.fill("#f-0-SJYT", "工业厂房");
    await page.fill("#f-0-WFMJ", "99999999");
    await page.fill("#f-0-WFGDMJ", "0");
    await page.fill("#f-0-WFJBNTMJ", "0");
    await page.fill("#f-0-XZJSYDMJ", "100");
    await page.fill("#f-0-XZJSZYGDMJ", "0");
    await page.click("form.answer button[type=submit]");
    await page.waitForFunction(() => document.getElementById("err-0-WFMJ").textContent !== "");
    seen.wfmj_error = await page.textContent("#err-0-WFMJ");
    check(seen.wfmj_error.includes("大于监测面积"), "an area over the patch is named beside WFMJ");
    check((await page.textContent("#err-0-FJ")).includes("附件"), "the missing photo is named");
    check((await page.inputValue("#f-0-SJYT")) === "工业厂房", "typed values are kept");
    await page.fill("#f-0-WFMJ", "200");
    // The photo: previewed, uploaded, listed with its EXIF position.
    await page.setInputFiles("#photo", photo);
    await waitText(".attachments p[role=status]", /已上传 1 个文件/);
    await page.waitForSelector("ol.photos img", { timeout: 30000 });
    await page.waitForFunction(() => { const i = document.querySelector("ol.photos img"); return i.complete && i.naturalWidth > 0; }, null, { timeout: 30000 });
    seen.photo = await page.textContent("ol.photos li");
    check(/\d+\.\d{6}, \d+\.\d{6}/.test(seen.photo), "the photo's EXIF position is shown");
    await page.click("form.answer button[type=submit]");
    await waitText("form.answer [role=status]", /填报完整/);
    // The case: opened on the illegal patch, then filed (立案).
    await page.fill("#case-number", "违〔2020〕901号");
    await page.click("#cases form button[type=submit]");
    await waitText("#cases table", /未立案/);
    await page.selectOption("#cases form select", "file");
    await page.fill("#cases form input[name=document]", "广汉国土立〔2020〕901号");
    await page.click("#cases form button[type=submit]");
    await waitText("#cases table", /已立案/);
    await page.screenshot({ path: `${shots}/patch-county.png`, fullPage: true });
    // Submit to the city.
    await page.click("#review button[data-action=submit]");
    await waitText("#view h2 + p", /待市级审核/);

    // Another patch is split into two 地块 by a line drawn across it on the map.
    if (rows.length > 1) {
      const other = `#/patch/2020/${BATCH}/${rows[1]}`;
      await go(other);
      await page.click("#split-line");
      const box = await page.$eval("#map", (m) => { const r = m.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
      const x = box.x + box.w / 2 + 3;
      await page.mouse.click(x, box.y + 12);
      await page.waitForTimeout(300);
      await page.mouse.dblclick(x, box.y + box.h - 12);
      await page.waitForTimeout(300);
      await page.click("#split-submit");
      await waitText("#split", /已拆分为 2 个地块/);
      check((await page.$$("form.answer")).length === 2, "each 地块 gets its own answer form");
      await page.screenshot({ path: `${shots}/split.png` });
    }

    // Not this county's: the patch URL of another county is "not found".
    const foreign = all.map((s) => s.split(" ")).find(([x]) => x !== county);
    check(Boolean(foreign), "the province has patches outside the county");
    if (foreign) {
      await go(`#/patch/2020/${BATCH}/${foreign[1]}`);
      check((await page.textContent("#view")).includes("未找到图斑"), "another county's patch is not found");
      await page.screenshot({ path: `${shots}/not-found.png` });
    }
    // A change without the anti-CSRF token is refused, even from the page.
    const refused = await page.evaluate(async ([b, j]) => {
      const r = await fetch("/api/reviews", {
        method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" },
        body: JSON.stringify({ year: 2020, batch: b, jcbhs: [j], action: { action: "submit" } }),
      });
      return [r.status, (await r.json()).code];
    }, [BATCH, jcbh]);
    check(refused[0] === 403 && refused[1] === "csrf", "a change without the token is refused");
    await signOut();

    // The city returns it with a reason (a return without one is refused beside the box).
    await signIn("demo-city");
    // The city asks for more time on one of its own deadlines.
    const ext = await page.$("#awaiting button[data-deadline]");
    check(Boolean(ext), "the city may ask for an extension of its own deadline");
    if (ext) {
      await ext.click();
      await page.fill("input[aria-label=申请延至]", "2030-06-30");
      await page.fill("input[aria-label=延期原因]", "汛期影响外业核查");
      await page.fill("input[aria-label=已采取的措施]", "增派核查人员");
      await page.click(".extension button:has-text('提交')");
      await waitText(".extension", /已提交延期申请/);
    }
    await go("#/review");
    check((await page.textContent("table.list")).includes(jcbh), "the submitted patch awaits the city");
    await page.screenshot({ path: `${shots}/review-city.png` });
    await go(patchHash);
    await page.click("#review button[data-action=return]");
    check((await page.textContent("#review .actions .error")).includes("理由"), "a return needs a reason");
    await page.fill("#return-reason", "照片未反映建设现状，请补充说明");
    await page.click("#review button[data-action=return]");
    await waitText("#view h2 + p", /县级填报中/);
    await signOut();

    // The county sees why, fixes and resubmits.
    await signIn("demo-county");
    await go(listHash.replace("status=unanswered", "status=returned"));
    check((await page.textContent("table.list")).includes(jcbh), "the returned patch is listed as 已退回");
    await go(patchHash);
    seen.returned = await page.textContent("#view p.warn");
    check(seen.returned.includes("照片未反映建设现状"), "the county sees the reason");
    await page.fill("#f-0-PDYJSM", "实地核查：未经批准建设厂房，已补充现场说明");
    await page.click("form.answer button[type=submit]");
    await waitText("form.answer [role=status]", /填报完整/);
    await page.click("#review button[data-action=submit]");
    await waitText("#view h2 + p", /待市级审核/);
    await signOut();

    // The city passes it and sends it on; the province passes it.
    await signIn("demo-city");
    await go(patchHash);
    // The desk-review flags raised on submission must be decided first.
    await page.click("#review button[data-action=pass]");
    await waitText("#review .actions [role=status]", /内业审核疑点/);
    seen.flags = await page.$$eval(".flag.open", (fs) => fs.length);
    check(seen.flags > 0, "the desk review raised flags to decide");
    // One flag decided on the patch page, the rest in bulk from the review list.
    await page.fill(".flag.open input", "经核实，照片为补拍，位置以现场核查记录为准");
    await page.click(".flag.open button:has-text('排除')");
    await page.waitForFunction((n) => document.querySelectorAll(".flag.open").length === n - 1 && document.querySelector("#review"), seen.flags, { timeout: 30000 });
    if (seen.flags > 1) {
      await go(`#/review?year=2020&batch=${BATCH}&flag=open&q=${jcbh}`);
      await page.check(`input[aria-label="选择 ${jcbh}"]`);
      await page.fill("#flag-note", "经核实，疑点不成立");
      await page.click("#flags-clear");
      await waitText("#view .bulk", new RegExp(`已认定疑点排除 ${seen.flags - 1} 个（1 个图斑）`));
      check((await page.textContent("#view")).includes("没有符合条件的图斑"), "no open flag is left after the bulk decision");
      await go(patchHash);
    }
    check((await page.$$eval(".flag.open", (fs) => fs.length)) === 0, "every flag is decided");
    await page.click("#review button[data-action=pass]");
    await waitText("#view h2 + p", /市级审核通过/);
    await page.click("#review button[data-action=submit_to_province]");
    await waitText("#view h2 + p", /待省级审核/);
    await signOut();
    await signIn("demo-province");
    // The province decides the city's extension request on its 工作台.
    await page.waitForSelector("#extensions button:has-text('批准')", { timeout: 30000 });
    await page.fill("#extensions input[aria-label=审批意见]", "同意延期");
    await page.click("#extensions button:has-text('批准')");
    await waitText("#extensions", /已批准/);
    await go(`#/review`);
    check((await page.textContent("table.list")).includes(jcbh), "the patch awaits the province");
    await go(patchHash);
    await page.click("#review button[data-action=pass]");
    await waitText("#view h2 + p", /省级审核通过/);
    // The province sends it to a field check (外业核查) by the technical-support unit.
    await page.click("#assign-field");
    await waitText("#field", /待核查/);
    await page.click("#history summary");
    seen.history = await page.textContent("#history");
    check(["县级上报", "退回", "审核通过", "保存答复", "上传附件"].every((w) => seen.history.includes(w)), "the history lists every step");
    await page.screenshot({ path: `${shots}/patch-province.png`, fullPage: true });

    // The province's 快报 counts it: on the page and in the download.
    await reopen(quick);
    seen.illegal_after = Number(await blank("土地违法图斑个数"));
    seen.verified_after = Number(await blank("已核实填报图斑个数"));
    seen.filed_after = Number(await blank("立案查处件数"));
    check(seen.illegal_after === seen.illegal_before + 1, "the 快报 counts one more illegal land patch");
    check(seen.filed_after === seen.filed_before + 1, "the 快报 counts the filed case");
    await page.click('button.blank[title="土地违法图斑个数"]');
    check((await page.textContent(".blank-detail")).includes(jcbh), "the figure lists the patch behind it");
    await page.screenshot({ path: `${shots}/quick-province.png` });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("a[href*='format=xlsx']")]);
    await download.saveAs(`${shots}/quick-province.xlsx`);
    seen.download = download.suggestedFilename();

    // The 时点快照 of the quarter, from the 工作台: what changed after the cut-off.
    await go("#/");
    await page.click("a.snapshot-link");
    await page.waitForFunction(() => /^#\/snapshot\?id=/.test(location.hash) && document.body.dataset.ready === location.hash, null, { timeout: 30000 });
    seen.snapshot = (await page.textContent("#view")).slice(0, 300);
    check(seen.snapshot.includes("时点后变更") && (await page.textContent("#view")).includes(jcbh), `the snapshot lists the walked patch as changed after the cut-off: ${seen.snapshot}`);
    await page.screenshot({ path: `${shots}/snapshot.png` });

    // 省级直接修改 of another, unanswered patch: the reason is required beside its field.
    const other = await page.evaluate(async ([b, j]) => (await (await fetch(`/api/patches?year=2020&batch=${b}&kind=land&status=unanswered&per_page=5`)).json()).items.map((p) => p.JCBH).find((x) => x !== j), [BATCH, jcbh]);
    await go(`#/patch/2020/${BATCH}/${other}`);
    await page.click("#override");
    await page.selectOption("#f-o0-PDLX", { index: 1 });
    await page.click("form:has(#f-o0-REASON) button[type=submit]");
    check((await page.textContent("#err-o0-REASON")) === "请填写修改理由", "the override's reason is required beside its field");
    await page.fill("#f-o0-REASON", "省级核查发现判定有误，直接修改");
    await page.click("form:has(#f-o0-REASON) button[type=submit]");
    await page.waitForFunction(() => document.getElementById("view").textContent.includes("省级直接修改：省级核查发现判定有误"), null, { timeout: 30000 });

    // Accountability, with drill-down to a county.
    await go("#/reports?tab=accountability&year=2020");
    check((await page.textContent("#view")).includes("违法占用耕地比例"), "the accountability table");
    await page.screenshot({ path: `${shots}/accountability.png` });
    await go("#/gate");
    await page.fill("#gate-code", jcbh);
    await page.click("#view form button[type=submit]");
    await page.waitForSelector("#gate-result .verdict");
    seen.gate = await page.textContent("#gate-result");
    check(seen.gate.includes(jcbh), "the gate finds the violation");
    await page.screenshot({ path: `${shots}/gate.png` });

    // 抽查: a seeded sample of the answered patches, by stratum, with its estimate.
    await go("#/sampling");
    await page.fill("#s-seed", "2020");
    await page.click("#view form button[type=submit]");
    await page.waitForFunction(() => /^#\/sampling\?id=/.test(location.hash) && document.body.dataset.ready === location.hash, null, { timeout: 30000 });
    seen.sample = (await page.textContent("#view")).slice(0, 200);
    check(seen.sample.includes("随机种子 2020") && (await page.textContent("#view")).includes("估计错误率"), "a sample is drawn with its estimate");
    // A result: the first sampled patch recorded wrong, with a note; the estimate moves.
    const firstItem = page.locator("#view table").nth(1).locator("tbody tr").first();
    await firstItem.locator("input").fill("抽查发现地类判定有误");
    await firstItem.locator("button", { hasText: "错误" }).click();
    await page.waitForFunction(() => /[?&]t=/.test(location.hash) && document.body.dataset.ready === location.hash, null, { timeout: 30000 });
    const afterResult = await page.textContent("#view");
    check(afterResult.includes("错误 1 个"), "a sample result is recorded and counted");
    check((await page.locator("#view table").nth(1).locator("tbody tr").first().locator("input").inputValue()) === "抽查发现地类判定有误", "the result's note is kept");
    await page.screenshot({ path: `${shots}/sampling.png` });
    await signOut();

    // An administrator creates a user: a short password is refused beside its field.
    await signIn("demo-admin");
    await go("#/users");
    await page.fill("#u-name", "new-clerk");
    await page.fill("#u-region", county);
    await page.selectOption("#u-role", "county");
    await page.fill("#u-password", "short");
    await page.click("#view form button[type=submit]");
    check((await page.textContent("#view form")).includes("密码至少 10 个字符"), "a short password is named beside its field");
    check((await page.inputValue("#u-name")) === "new-clerk", "the typed name is kept");
    await page.fill("#u-password", "a-long-enough-password");
    await page.click("#view form button[type=submit]");
    await waitText("#view form [role=status]", /已创建用户 new-clerk/);
    check((await page.textContent("#view table")).includes("new-clerk"), "the new user is listed");
    await page.screenshot({ path: `${shots}/users.png` });
    await signOut();

    // The military-land officer sees only the register.
    await signIn("demo-military");
    seen.military_menu = await page.textContent("#nav");
    check(seen.military_menu.includes("军事用地登记") && !seen.military_menu.includes("图斑"), "the military menu is the register only");
    await page.screenshot({ path: `${shots}/military.png` });
    await signOut();

    // The technical-support unit records the field check's findings and photo.
    await signIn("demo-desk");
    await go(patchHash);
    await page.fill("#field textarea", "现场为新建厂房，与填报一致");
    await page.setInputFiles("#field input[type=file]", photo);
    await page.click("#field button:has-text('提交核查结果')");
    await waitText("#field", /已完成/);
    check((await page.textContent("#field")).includes("现场照片 1 张"), "the field check keeps its photo");
    await page.screenshot({ path: `${shots}/field-check.png` });
    await signOut();

    // Last (it adds a batch the earlier steps must not see): the
    // administrator imports a new batch from a file, with its analysis,
    // and watches the job; a missing file is named beside its field.
    await signIn("demo-admin");
    await go("#/data");
    await page.selectOption("#imp-what", "patches");
    await page.fill("#imp-year", "2020");
    await page.fill("#imp-batch", "2020Q2");
    await page.click("#import-form button[type=submit]");
    check((await page.textContent("#imp-file-error")).includes("请选择文件"), "a missing file is named beside its field");
    check((await page.inputValue("#imp-batch")) === "2020Q2", "the typed batch is kept");
    await page.setInputFiles("#imp-file", batchFile);
    await page.click("#import-form button[type=submit]");
    await page.waitForSelector("#jobs li.job[data-state=done], #jobs li.job[data-state=failed]", { timeout: 120000 });
    seen.import_job = await page.textContent("#jobs li.job");
    check(seen.import_job.includes("新增 5") && seen.import_job.includes("叠加分析"), `the import job reports its outcome: ${seen.import_job}`);
    await page.waitForFunction(() => [...document.querySelectorAll("[data-analysis='2020/2020Q2']")].some((e) => e.textContent === "已是最新"), null, { timeout: 30000 });
    const exportHref = await page.getAttribute("#export-link", "href");
    const exported = await page.evaluate(async (h) => { const r = await fetch(h); return [r.status, (await r.arrayBuffer()).byteLength]; }, exportHref);
    check(exported[0] === 200 && exported[1] > 1000, `the patches download (${exportHref}: ${exported})`);
    await page.screenshot({ path: `${shots}/data.png`, fullPage: true });
});
