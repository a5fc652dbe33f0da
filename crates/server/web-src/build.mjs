// Builds the vendored OpenLayers that the platform's binary serves:
//   ol.js                   ol-entry.js bundled as one classic script (an IIFE
//                           defining window.ol), minified, target es2020,
//                           headed by the license notices of every package
//                           that ends up in it
//   ol.css                  node_modules/ol/ol.css, headed by a one-line notice
//   THIRD-PARTY-NOTICES.txt the same notices as ol.js's header
//
// Usage: node build.mjs [OUT_DIR]   (or OL_VENDOR_OUT=DIR; default
// ../web/vendor beside this folder). The output depends only on the
// package-lock.json pins and this folder's files: two runs give
// byte-identical files, which check.sh relies on.
import {mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(
  process.argv[2] || process.env.OL_VENDOR_OUT || join(here, '..', 'web', 'vendor'),
);

const lf = (s) => s.replace(/\r\n?/g, '\n');
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['ol-entry.js'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'inline',
  charset: 'ascii',
  sourcemap: false,
  metafile: true,
  write: false,
  logLevel: 'warning',
});
if (result.outputFiles.length !== 1) {
  throw new Error(`expected one output file, got ${result.outputFiles.length}`);
}
const js = lf(result.outputFiles[0].text);

// Every npm package with at least one byte in the bundle, from esbuild's own
// record of what it kept, not from a hand-kept list.
const packages = new Set();
for (const [path, info] of Object.entries(result.metafile.outputs)
  .flatMap(([, out]) => Object.entries(out.inputs))) {
  if (info.bytesInOutput === 0) continue;
  const m = path.match(/(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) packages.add(m[1]);
  else if (path !== 'ol-entry.js') throw new Error(`unexpected bundle input: ${path}`);
}

function licenseText(pkgDir) {
  const names = readdirSync(pkgDir)
    .filter((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f) && statSync(join(pkgDir, f)).isFile())
    .sort();
  if (names.length === 0) throw new Error(`no license file in ${pkgDir}`);
  return lf(readFileSync(join(pkgDir, names[0]), 'utf8')).trim();
}

const notices = [...packages].sort().map((name) => {
  const dir = join(here, 'node_modules', name);
  const pkg = readJson(join(dir, 'package.json'));
  return {name, version: pkg.version, license: pkg.license, text: licenseText(dir)};
});
const ol = notices.find((n) => n.name === 'ol');
if (!ol) throw new Error('ol is not in the bundle?');

const noticeBody = [
  `OpenLayers ${ol.version} for the weipian platform: a subset of the npm package`,
  '"ol" bundled as one script (window.ol) by crates/server/web-src/build.mjs,',
  'together with the packages below. Their license notices follow.',
  '',
  ...notices.flatMap((n) => [
    '-'.repeat(78),
    `${n.name} ${n.version} (${n.license})`,
    '-'.repeat(78),
    n.text,
    '',
  ]),
].join('\n');
if (noticeBody.includes('*/')) throw new Error('a license text contains "*/"');

const files = {
  'ol.js': `/*!\n${noticeBody}*/\n${js}`,
  'ol.css':
    `/*! OpenLayers ${ol.version} ol.css (BSD-2-Clause, Copyright 2005-present, ` +
    `OpenLayers Contributors; see THIRD-PARTY-NOTICES.txt) */\n` +
    lf(readFileSync(join(here, 'node_modules', 'ol', 'ol.css'), 'utf8')),
  'THIRD-PARTY-NOTICES.txt': noticeBody,
};

mkdirSync(outDir, {recursive: true});
for (const [name, text] of Object.entries(files)) {
  const bytes = Buffer.from(text, 'utf8');
  writeFileSync(join(outDir, name), bytes);
  const gz = gzipSync(bytes, {level: 9}).length;
  console.log(
    `${join(outDir, name)}: ${bytes.length} bytes (${(bytes.length / 1024).toFixed(1)} KiB), ` +
      `gzip -9 ${gz} bytes (${(gz / 1024).toFixed(1)} KiB)`,
  );
}
console.log(`bundled packages: ${notices.map((n) => `${n.name}@${n.version}`).join(', ')}`);
