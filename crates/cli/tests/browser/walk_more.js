// Walks the paths around the main loop in headless Chromium (Debian's
// /usr/bin/chromium), as crates/cli/tests/browser.rs asks:
//   node walk_more.js BASE_URL SCREENSHOT_DIR CASE_JCBH CASE_ID RANGE.geojson FAR.geojson WGS84.geojson
// 1. The county uploads a case's illegal-land range (RANGE: inside the
//    case's patch CASE_JCBH) and sees its area; FAR (off the patch, out of
//    the county) and WGS84 (not CGCS2000) are refused with the server's
//    reasons, the range kept.
// 2. A split by a line that misses the patch is refused; the patch stays whole.
// 3. (run last) The technical-support unit runs the desk review from the
//    list and sees its counts; the 疑点 filter then lists flagged patches.
// 4. The county downloads the table to fill, fills it as CSV — one row
//    right, one illegal without its areas, one for a patch that does not
//    exist — uploads it and sees what was saved and each row refused with
//    its reason; then submits two patches from the list.
// 5. The city returns both in bulk from its review list: the reason is
//    required beside its box; both leave the queue.
// Prints one JSON line of what it saw; exits non-zero on any failed check.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { walk } = require("./harness.js");

const [base, shots, caseJcbh, caseId, rangeOk, rangeFar, rangeWgs84] = process.argv.slice(2);
const BATCH = "2020Q1";
/** m² → 亩 as the page shows it. */
const mu = (m2) => (m2 / (10000 / 15)).toFixed(2);

/** RFC 4180 CSV → rows of fields. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows;
}
/** Rows → CSV as Excel writes it for Chinese (UTF-8 with BOM, CRLF). */
const toCsv = (rows) => "\ufeff" + rows.map((r) => r.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(",")).join("\r\n") + "\r\n";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "walk-more-"));
process.on("exit", () => fs.rmSync(work, { recursive: true, force: true }));

walk(shots, "failure-more.png", async ({ page, check, seen, go, reopen, signIn, signOut, waitText }) => {
    /** GET an API URL with the page's session; the parsed JSON. */
    const api = (url) => page.evaluate(async (u) => (await fetch(u)).json(), url);
    /** The JCBHs listed in the page's table. */
    const listed = () => page.$$eval("table.list tbody tr td:nth-child(2)", (tds) => tds.map((t) => t.textContent));

    await page.goto(base + "/");
    await page.waitForSelector("#sign-in:not([hidden])");

    // 1. The county: the case's illegal-land range (违法用地范围).
    await signIn("demo-county");
    const casePatch = `#/patch/2020/${BATCH}/${caseJcbh}`;
    await go(casePatch);
    // A stored area (m², unrounded) is shown to the centimetre.
    const wfmj = await page.$("#f-0-WFMJ");
    if (wfmj) check(/^\d+(\.\d{1,2})?$/.test(await wfmj.inputValue()), `a stored area is shown to the centimetre: ${await wfmj.inputValue()}`);
    if (await page.$("#case-number")) {
      // No case on the illegal patch yet: the clerk opens one first.
      await page.fill("#case-number", "违〔2020〕951号");
      await page.click("#cases form button[type=submit]");
      await waitText("#cases table", /未立案/);
    }
    const summary = `#range-summary-${caseId}`;
    await page.waitForSelector(summary);
    check((await page.textContent(summary)).includes("尚未上传"), "the case has no range before the upload");
    await page.setInputFiles(`#range-${caseId}`, rangeOk);
    await waitText(summary, /共 [\d.]+ 亩/);
    seen.range = await page.textContent(summary);
    const stored = await api(`/api/cases/${caseId}/range`);
    const shownM2 = /（([\d.]+) 平方米）/.exec(seen.range);
    seen.range_m2 = shownM2 ? Number(shownM2[1]) : null;
    check(stored.features.length === 1 && seen.range.includes("1 个要素"), `one feature stored and shown: ${seen.range}`);
    check(seen.range.includes(`共 ${mu(stored.total_area_m2)} 亩（${stored.total_area_m2.toFixed(2)} 平方米）`), `the range's area is shown: ${seen.range}`);
    check(seen.range.includes(path.basename(rangeOk)) && seen.range.includes("demo-county"), "the range's file and uploader are shown");
    // On the map: the patch's own geometry now carries the range.
    const geometry = await api(`/api/patches/2020/${BATCH}/${caseJcbh}/geometry`);
    check(geometry.features.some((f) => f.properties && f.properties.role === "case_range"), "the range is drawn on the patch map");
    await page.screenshot({ path: `${shots}/range-county.png`, fullPage: true });

    // A range off the patch and out of the county: both reasons, once each, and nothing replaced.
    const rangeStatus = `#cases div[role=status]`;
    await page.setInputFiles(`#range-${caseId}`, rangeFar);
    await page.waitForSelector(`${rangeStatus}.error`, { timeout: 30000 });
    seen.range_far = await page.textContent(rangeStatus);
    check(seen.range_far.includes(path.basename(rangeFar)) && seen.range_far.includes("未写入任何数据"), `the refusal names the file: ${seen.range_far}`);
    check(seen.range_far.includes(`不与案件关联的任何图斑（${caseJcbh}）重叠`), `a range off the patch is refused: ${seen.range_far}`);
    check(/平方米在案件所在县 \d{6}.*之外/.test(seen.range_far), `a range out of the county is refused: ${seen.range_far}`);
    check(seen.range_far.split("不与案件关联").length === 2 && (await page.$$(`${rangeStatus} li`)).length === 2, `each problem is shown once: ${seen.range_far}`);
    check((await page.textContent(summary)) === seen.range, "the refused file leaves the range as it was");
    await page.screenshot({ path: `${shots}/range-refused.png`, fullPage: true });
    // The right place, but WGS 84 rather than CGCS2000.
    await page.setInputFiles(`#range-${caseId}`, rangeWgs84);
    await waitText(rangeStatus, /坐标系/);
    seen.range_wgs84 = await page.textContent(rangeStatus);
    check(seen.range_wgs84.startsWith(`${path.basename(rangeWgs84)}：数据为 WGS84 坐标系`) && seen.range_wgs84.includes("只接受 CGCS2000"), `a WGS 84 range is refused: ${seen.range_wgs84}`);
    check((await api(`/api/cases/${caseId}/range`)).total_area_m2 === stored.total_area_m2, "the stored range is unchanged");

    // 2. A split by a line that does not cross the patch is refused.
    const whole = (await api(`/api/patches?year=2020&batch=${BATCH}&kind=land&status=unanswered&sort=area&dir=desc&per_page=1`)).items[0].JCBH;
    seen.split_patch = whole;
    await go(`#/patch/2020/${BATCH}/${whole}`);
    await page.click("#split-line");
    await page.click("#split-submit");
    check((await page.textContent("#split [role=status]")) === "请先画出分割线", "a split with no line asks for one");
    // Across the top of the map: the view keeps a wide margin around the patch.
    const box = await page.$eval("#map", (m) => { const r = m.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
    await page.mouse.click(box.x + 80, box.y + 20);
    await page.waitForTimeout(300);
    await page.mouse.dblclick(box.x + box.w - 80, box.y + 20);
    await page.waitForTimeout(300);
    await page.click("#split-submit");
    await waitText("#split [role=status]", /未穿过图斑/);
    seen.split_error = await page.textContent("#split [role=status]");
    check(seen.split_error.includes(whole) && seen.split_error.includes("分割线未穿过图斑，无法拆分"), `the stray line is refused: ${seen.split_error}`);
    const after = await api(`/api/patches/2020/${BATCH}/${whole}`);
    check(after.DKS === 0 && after.parcel_answers.length === 0, "the patch stays unsplit");
    check(!(await page.textContent("#split")).includes("已拆分为") && (await page.$$("#answer form.answer")).length === 1, "the page still shows one answer form");
    await page.screenshot({ path: `${shots}/split-refused.png` });
    await page.click("#split button:has-text('取消')");
    check(await page.isVisible("#split-line"), "cancelling the refused split offers it again");

    // 4. Bulk answers: the table downloaded from the list, filled as CSV, uploaded.
    const returnedList = `#/patches?year=2020&batch=${BATCH}&kind=land&status=returned`;
    await go(returnedList);
    const returned = await listed();
    check(returned.length >= 2, `the county has returned patches to fix: ${returned}`);
    const [a, b] = returned;
    seen.bulk = { a, b };
    const beforeB = await api(`/api/patches/2020/${BATCH}/${b}`);
    await page.click("details.bulk-answers summary");
    const tableLink = "details.bulk-answers a[href*='/api/answers/export']";
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(tableLink)]);
    await download.saveAs(`${shots}/answers-county.xlsx`);
    seen.table = download.suggestedFilename();
    check(/^填报-2020-2020Q1\.xlsx$/.test(seen.table), `the table to fill downloads: ${seen.table}`);
    // The same table in its CSV form (the upload takes either).
    const href = await page.getAttribute(tableLink, "href");
    const rows = parseCsv((await page.evaluate(async (h) => (await fetch(h)).text(), href + "&format=csv")).replace(/^\ufeff/, ""));
    const head = rows[0];
    const col = (name) => { const i = head.indexOf(name); check(i >= 0, `the table has ${name}`); return i; };
    const [cJ, cP, cS, cB] = ["监测编号", "判定类型", "具体情形", "判定依据说明"].map(col);
    const rowA = rows.findIndex((r) => r[cJ] === a);
    const rowB = rows.findIndex((r) => r[cJ] === b);
    check(rowA > 0 && rowB > 0, "both patches are in the table");
    const basis = `表格回填：${rows[rowA][cB]}，已补充说明`;
    rows[rowA][cB] = basis;
    // B made illegal without any of the areas an illegal answer needs.
    rows[rowB][cP] = "违法";
    rows[rowB][cS] = "WF01";
    // A patch that does not exist.
    const ghost = `${a}9`;
    const extra = head.map(() => "");
    extra[cJ] = ghost; extra[cP] = "其他"; extra[cS] = "QT01"; extra[cB] = "现场核实无变化";
    rows.push(extra);
    const csv = path.join(work, "填报-已填写.csv");
    fs.writeFileSync(csv, toCsv(rows));
    await page.$eval("table.list", (t) => { t.dataset.before = "upload"; });
    await page.setInputFiles("#bulk-file", csv);
    await waitText("details.bulk-answers [role=status]", /已保存/);
    // The list below is drawn again with what was saved.
    await page.waitForFunction(() => { const t = document.querySelector("table.list"); return t && !t.dataset.before; }, null, { timeout: 30000 });
    seen.bulk_report = await page.textContent("details.bulk-answers [role=status]");
    const patchRows = rows.length - 2; // less the header and the ghost
    check(seen.bulk_report.startsWith(`已保存 1 个，未变化 ${patchRows - 2} 个，未导入 2 行`), `the upload's counts: ${seen.bulk_report}`);
    const rejected = await page.$$eval("details.bulk-answers tbody tr", (trs) => trs.map((t) => [...t.children].map((c) => c.textContent)));
    seen.bulk_rejected = rejected;
    const why = (j) => rejected.find((r) => r[1] === j);
    check(why(b) && why(b)[0] === String(rowB + 1) && why(b)[2].includes("违法面积必填") && why(b)[2].includes("实际用途必填"), `the illegal row without areas is refused with its reasons: ${JSON.stringify(why(b))}`);
    check(why(ghost) && why(ghost)[0] === String(rows.length) && why(ghost)[2].includes(`未找到`) && why(ghost)[2].includes(ghost), `the unknown JCBH is refused: ${JSON.stringify(why(ghost))}`);
    const nowA = await api(`/api/patches/2020/${BATCH}/${a}`);
    check(nowA.answer.answer.PDYJSM === basis && nowA.answer.complete, "the valid row is saved, complete");
    const nowB = await api(`/api/patches/2020/${BATCH}/${b}`);
    check(nowB.answer.version === beforeB.answer.version && nowB.answer.answer.PDLX === beforeB.answer.answer.PDLX, "a refused row changes nothing");
    await page.screenshot({ path: `${shots}/bulk-answers.png`, fullPage: true });

    // The county submits both from the list (for step 5).
    await reopen(returnedList);
    await page.check(`input[aria-label="选择 ${a}"]`);
    await page.check(`input[aria-label="选择 ${b}"]`);
    await page.click("#view .bulk button[data-action=submit]");
    // The outcome is kept across the list's reload (the bar's own status goes with it).
    await waitText("#view .bulk > [role=status]", /上报：完成 2 个/);
    const left = await listed();
    check(!left.includes(a) && !left.includes(b), "both submitted patches leave the returned list");
    await signOut();

    // 5. The city returns both in bulk from its review list.
    await signIn("demo-city");
    const queue = `#/review?year=2020&batch=${BATCH}&status=city`;
    await go(queue);
    const waiting = await listed();
    check(waiting.includes(a) && waiting.includes(b), `both await the city: ${waiting}`);
    await page.check(`input[aria-label="选择 ${a}"]`);
    await page.check(`input[aria-label="选择 ${b}"]`);
    await page.click("#view .bulk button[data-action=return]");
    seen.return_error = await page.textContent("#view .bulk .actions .error");
    check(seen.return_error === "退回须填写理由", `a return without a reason is refused beside its box: ${seen.return_error}`);
    check((await page.getAttribute("#return-reason", "aria-invalid")) === "true", "the reason box is marked");
    const still = await listed();
    check(still.includes(a) && still.includes(b), "nothing was returned without a reason");
    const reason = "批量退回：现场照片未反映建设现状，请补充";
    await page.fill("#return-reason", reason);
    await page.click("#view .bulk button[data-action=return]");
    await waitText("#view .bulk > [role=status]", /退回：完成 2 个/);
    seen.returned = await listed();
    check(!seen.returned.includes(a) && !seen.returned.includes(b), "both leave the city's queue");
    for (const j of [a, b]) {
      const rv = await api(`/api/patches/2020/${BATCH}/${j}/review`);
      check(rv.state === "county" && rv.last_return && rv.last_return.reason === reason, `${j} is back with the county, with the reason`);
    }
    await page.screenshot({ path: `${shots}/bulk-return.png`, fullPage: true });
    await signOut();

    // 3. The technical-support unit runs the desk review from the list.
    await signIn("demo-desk");
    const openBefore = (await api(`/api/patches?year=2020&batch=${BATCH}&flag=open&per_page=1`)).total;
    await go(`#/patches?year=2020&batch=${BATCH}`);
    // The button says what it will review: the selection, else the whole region.
    const firstBox = "table.list tbody tr:first-child input[type=checkbox]";
    await page.check(firstBox);
    check((await page.textContent("#desk-run")) === "对所选图斑运行内业审核", "with a selection the desk review takes the selected patches");
    await page.uncheck(firstBox);
    check((await page.textContent("#desk-run")) === "运行内业审核（本辖区全部）", "without one it takes the whole region");
    await page.click("#desk-run");
    await waitText("#view .bulk > [role=status]", /已审核 \d+ 个图斑/);
    seen.desk = await page.textContent("#view .bulk > [role=status]");
    const m = /已审核 (\d+) 个图斑，新提出疑点 (\d+) 个，仍待处理 (\d+) 个/.exec(seen.desk || "");
    check(m && Number(m[1]) > 0 && Number(m[2]) > 0, `the run's counts are shown: ${seen.desk}`);
    await page.screenshot({ path: `${shots}/desk-run.png` });
    // The 疑点 filter: patches with open flags only.
    await page.selectOption("select[name=flag]", "open");
    await page.click("form.filters button[type=submit]");
    await page.waitForFunction(() => /[?&]flag=open/.test(location.hash) && document.body.dataset.ready === location.hash, null, { timeout: 30000 });
    const flags = await page.$$eval("table.list tbody tr td:nth-child(8)", (tds) => tds.map((t) => t.textContent));
    const total = Number(/共 (\d+) 个/.exec(await page.textContent("nav.pager"))[1]);
    seen.flagged = { before: openBefore, after: total, first_page: flags.length };
    check(flags.length > 0 && flags.every((f) => Number(f) > 0), `the 疑点 filter lists patches with open flags: ${flags.slice(0, 10)}`);
    check(total > openBefore, `more patches have open flags after the run (${openBefore} → ${total})`);
    await page.screenshot({ path: `${shots}/desk-flags.png` });
});
