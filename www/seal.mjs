// Seals a built page so that a deploy never mixes versions: run by Trunk after each build (a post_build
// hook, on its staging folder) or by hand on a built folder (`node www/seal.mjs dist`; sealing again
// after an edit is fine). It names every shipped data file and the ES modules' folder by their content
// (models/gan-mnist.bpk -> models/gan-mnist.<sha256:16>.bpk, js/ -> js-<sha256:12>/; Trunk names the wasm
// and the CSS), so a URL always means the same bytes, and writes the build's manifest into index.html (the
// page's asset names) and sw.js (every file's SHA-256, which the service worker checks before keeping it).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const dir = process.argv[2] || process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('usage: node www/seal.mjs <built page folder> (Trunk passes TRUNK_STAGING_DIR)');
  process.exit(2);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const HASHED_FILE = /\.[0-9a-f]{16}(?=\.[^.]+$)/; // models/<name>.<hash>.<ext>
const MODULES = /^js(-[0-9a-f]{12})?$/;

function files(root, under = root) {
  return readdirSync(under).flatMap((name) => {
    const path = join(under, name);
    return statSync(path).isDirectory() ? files(root, path) : [relative(root, path).split(sep).join('/')];
  });
}

// The data files: each named by its content (a name from an earlier seal is replaced).
const assets = {};
for (const name of readdirSync(join(dir, 'models')).sort()) {
  const plain = name.replace(HASHED_FILE, '');
  const hash = sha256(readFileSync(join(dir, 'models', name))).slice(0, 16);
  const sealed = plain.replace(/(\.[^.]+)$/, `.${hash}$1`);
  if (sealed !== name) renameSync(join(dir, 'models', name), join(dir, 'models', sealed));
  assets[`models/${plain}`] = `models/${sealed}`;
}

// The Train view's wasm module: Trunk builds it as a worker, under fixed names; named here by its content.
for (const name of readdirSync(dir).filter((n) => /^trilemma-train(\.[0-9a-f]{16})?(\.js|_bg\.wasm)$/.test(n)).sort()) {
  const plain = name.replace(HASHED_FILE, '').replace(/\.[0-9a-f]{16}(?=_bg\.wasm$)/, '');
  const hash = sha256(readFileSync(join(dir, name))).slice(0, 16);
  const sealed = plain.replace(/(\.js|_bg\.wasm)$/, `.${hash}$1`);
  if (sealed !== name) renameSync(join(dir, name), join(dir, sealed));
  assets[plain] = sealed;
}

// The ES modules import each other by relative names: their folder is named by all of them at once.
const modulesDir = readdirSync(dir).find((name) => MODULES.test(name));
if (!modulesDir) throw new Error(`${dir} has no js/ folder`);
const modules = createHash('sha256');
for (const path of files(join(dir, modulesDir)).sort()) modules.update(`${path}\0`).update(readFileSync(join(dir, modulesDir, path)));
const sealedModules = `js-${modules.digest('hex').slice(0, 12)}`;
if (sealedModules !== modulesDir) renameSync(join(dir, modulesDir), join(dir, sealedModules));

// Every file but the two that carry the manifest, by its SHA-256; the build is named by all of them.
const indexPath = join(dir, 'index.html');
const swPath = join(dir, 'sw.js');
const manifest = Object.fromEntries(
  files(dir)
    .filter((path) => path !== 'index.html' && path !== 'sw.js')
    .sort()
    .map((path) => [path, sha256(readFileSync(join(dir, path)))]),
);
const BUILD_BLOCK = /<script type="application\/json" id="build">.*?<\/script>\n?/s;
let index = readFileSync(indexPath, 'utf8')
  .replace(BUILD_BLOCK, '')
  .replace(/(<script type="module" src=")js(?:-[0-9a-f]{12})?\//, `$1${sealedModules}/`);
const build = sha256(JSON.stringify(manifest) + index).slice(0, 16);
// A data block (never run, so the page's Content-Security-Policy has nothing to allow).
const block = `<script type="application/json" id="build">${JSON.stringify({ build, assets })}</script>\n`;
if (!index.includes('</head>')) throw new Error(`${indexPath} has no </head>`);
index = index.replace('</head>', `${block}</head>`);
writeFileSync(indexPath, index);

const SW_LINE = /^const BUILD = .*;$/m;
const sw = readFileSync(swPath, 'utf8');
if (!SW_LINE.test(sw)) throw new Error(`${swPath} lacks its "const BUILD = …;" line`);
writeFileSync(swPath, sw.replace(SW_LINE, () => `const BUILD = ${JSON.stringify({ build, files: manifest })};`));
console.log(`sealed ${dir}: build ${build}, ${Object.keys(manifest).length} files`);
