// Loads smoke.html in headless Chromium (Debian's /usr/bin/chromium, driven
// by the playwright-core that crates/cli/tests/browser pins) through
// `python3 -m http.server` serving crates/server, and checks: no console
// errors or page errors, the title "ok 1", then that drawing a triangle makes
// it "ok 2". Usage: node smoke-run.cjs [SCREENSHOT.png]  (default /tmp/ol-smoke.png)
'use strict';
const {spawn} = require('node:child_process');
const path = require('node:path');

const {chromium} = require(require.resolve('playwright-core', {
  paths: [path.join(__dirname, '..', '..', 'cli', 'tests', 'browser')],
}));
const shot = process.argv[2] || '/tmp/ol-smoke.png';

function serve() {
  return new Promise((resolve, reject) => {
    const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1',
      '--directory', path.join(__dirname, '..')], {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/port (\d+)/);
      if (m) resolve({server, port: Number(m[1])});
    });
    server.on('exit', (code) => reject(new Error(`http.server exited (${code}): ${out}`)));
  });
}

(async () => {
  const {server, port} = await serve();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  const requests = [];
  try {
    const page = await browser.newPage({viewport: {width: 900, height: 600}});
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => requests.push(r.url()));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    await page.goto(`http://127.0.0.1:${port}/web-src/smoke.html`);
    await page.waitForFunction(() => document.title.startsWith('ok'), null, {timeout: 15000});
    const first = await page.title();
    const info = await page.evaluate(() => ({
      version: ol.VERSION,
      scaleLine: (document.querySelector('.ol-scale-line-inner') || {}).textContent,
      canvases: document.querySelectorAll('#map canvas').length,
      names: (function walk(o, pre) {
        return Object.keys(o).flatMap((k) => (typeof o[k] === 'object' && o[k] !== null
          ? walk(o[k], pre + k + '.') : [pre + k + (typeof o[k] === 'function' || typeof o[k] === 'string' ? '' : ' (MISSING)')]));
      })(ol, 'ol.'),
    }));
    const missing = info.names.filter((n) => n.endsWith('(MISSING)'));
    if (missing.length) problems.push(`missing in window.ol: ${missing.join(' ')}`);
    info.names = info.names.length;
    // Draw a triangle: three clicks, then a click on the first point ends it.
    const pts = [[150, 150], [300, 120], [250, 260], [150, 150]];
    for (const [x, y] of pts) {
      await page.mouse.click(x, y);
      await page.waitForTimeout(150);
    }
    await page.waitForFunction(() => document.title === 'ok 2', null, {timeout: 5000})
      .catch(() => {});
    const second = await page.title();
    await page.screenshot({path: shot});
    const foreign = requests.filter((u) => !u.startsWith(`http://127.0.0.1:${port}/`));
    if (first !== 'ok 1') problems.push(`first title "${first}", expected "ok 1"`);
    if (second !== 'ok 2') problems.push(`title after drawing "${second}", expected "ok 2"`);
    if (foreign.length) problems.push(`requests elsewhere: ${foreign.join(' ')}`);
    console.log(JSON.stringify({first, second, ...info, requests: requests.length, screenshot: shot, problems}));
  } finally {
    await browser.close();
    server.kill();
  }
  process.exit(problems.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
