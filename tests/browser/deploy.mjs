// Hosting and deploys, in the built page: its Content-Security-Policy, a deploy of a new build under open
// tabs (no mixed versions, a reload offered, the offline copy following), damaged downloads, and the
// folder served under a subpath of an origin.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSP, serve } from './serve.mjs';
import { assert, dist, generateIn, launch, manifestOf, settle, test } from './harness.mjs';

const SEAL = fileURLToPath(new URL('../../www/seal.mjs', import.meta.url));
const hash = (algorithm, bytes, encoding = 'hex') => createHash(algorithm).update(bytes).digest(encoding);
const gan = { family: 'gan', n: 4, seed: 3, class: 7 };

/// Build B: build A with new MNIST GAN weights — the sign of 32k values mid-file flipped (the generator's
/// first layer: still a valid file of finite values, other pixels) — and the wasm's compiled-in checksum of that file changed to
/// match (what a rebuild after training does), sealed again.
function rebuild(a) {
  const b = mkdtempSync(join(tmpdir(), 'trilemma-build-b-'));
  cpSync(a, b, { recursive: true });
  const weightsFile = join(b, manifestOf(b).assets['models/gan-mnist.bpk']);
  const weights = readFileSync(weightsFile);
  const before = hash('sha256', weights);
  for (let at = 300_001; at < 365_537; at += 2) weights[at] ^= 0x80; // f16 sign bits (little-endian, from an even offset)
  writeFileSync(weightsFile, weights);
  const wasmName = readdirSync(b).find((name) => name.endsWith('_bg.wasm'));
  const wasm = readFileSync(join(b, wasmName));
  const at = wasm.indexOf(before);
  assert(at >= 0 && wasm.indexOf(before, at + 1) < 0, `the wasm holds the checksum ${before} once`);
  wasm.write(hash('sha256', weights), at, 'latin1');
  rmSync(join(b, wasmName));
  writeFileSync(join(b, 'trilemma-b_bg.wasm'), wasm);
  const index = readFileSync(join(b, 'index.html'), 'utf8').replace(
    /href="\.\/[^"]+_bg\.wasm"(.*?)integrity="[^"]*"/,
    `href="./trilemma-b_bg.wasm"$1integrity="sha384-${hash('sha384', wasm, 'base64')}"`,
  );
  writeFileSync(join(b, 'index.html'), index);
  execFileSync('node', [SEAL, b]);
  return b;
}

/// Waits until the page's service worker controls it.
function controlled(page) {
  return page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    while (!navigator.serviceWorker.controller) await new Promise((r) => setTimeout(r, 50));
  });
}

const buildOf = (page) => page.evaluate(() => JSON.parse(document.getElementById('build').textContent).build);
const cacheNames = (page) => page.evaluate(() => caches.keys());
const failure = (page, opts) => page.evaluate((o) => window.trilemma.generate(o).then(() => 'no error', (e) => String(e.message)), opts);
const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);

/// Waits until the service worker keeps everything of this folder the page has loaded (a first visit's
/// files are copied after it loaded: offline works once that is done).
async function offlineCopyDone(page) {
  let missing = [];
  for (let t = 0; t < 300; t++) {
    missing = await page.evaluate(async () => {
      const kept = new Set((await Promise.all((await caches.keys()).map(async (n) => (await (await caches.open(n)).keys()).map((r) => r.url)))).flat());
      const folder = new URL('./', location.href).href;
      return performance.getEntriesByType('resource').map((r) => r.name).filter((u) => u.startsWith(folder) && !kept.has(u));
    });
    if (missing.length === 0) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`not kept for offline use: ${missing}`);
}

/// Stops a server at once (its open connections too): the host is gone, the visitor offline.
function goOffline(server) {
  server.close();
  server.closeAllConnections();
}

export async function deployTests() {
  await test('the page runs under a strict Content-Security-Policy (meta tag and header), and a violation would be seen', async () => {
    const server = await serve(dist);
    const header = (await fetch(server.url)).headers.get('content-security-policy');
    assert(header === CSP, `header ${header}`);
    const browser = await launch(false);
    const p = await browser.visit('?view=play&family=gan&n=2', server.url);
    await settle(p);
    const meta = await p.locator('meta[http-equiv=Content-Security-Policy]').getAttribute('content');
    assert(CSP.startsWith(meta) && /script-src 'self' 'wasm-unsafe-eval';/.test(meta), `meta ${meta}`);
    assert((await p.locator('script:not([src]):not([type="application/json"])').count()) === 0, 'no inline script');
    await generateIn(p, { family: 'gan', n: 2 });
    assert(browser.errors.length === 0, browser.errors.join('\n'));
    // The detector works: an injected inline script is refused and reported.
    await p.evaluate(() => document.head.append(Object.assign(document.createElement('script'), { textContent: 'window.injected = 1' })));
    await p.waitForTimeout(200);
    assert((await p.evaluate(() => window.injected)) === undefined && browser.errors.some((e) => /CSP violation: script-src/.test(e)), browser.errors.join('\n'));
    await browser.context.close();
    server.close();
  });

  await test('a deploy: reloads get the new build (weights changed), an open tab offers a reload, offline works', async () => {
    const a = mkdtempSync(join(tmpdir(), 'trilemma-build-a-'));
    cpSync(dist, a, { recursive: true });
    const b = rebuild(a);
    const [idA, idB] = [manifestOf(a).build, manifestOf(b).build];
    const server = await serve(a);
    const browser = await launch(false);
    const stayed = await browser.visit('?view=play&family=vae&n=2&seed=11', server.url); // left open on A
    await settle(stayed);
    await controlled(stayed);
    const p = await browser.visit('?view=play&family=gan&n=4', server.url);
    await settle(p);
    await controlled(p);
    const pixelsA = (await generateIn(p, gan)).pixels;
    assert((await cacheNames(p)).some((n) => n.endsWith(idA)), 'A is kept');

    server.root = b; // the deploy
    for (let i = 0; i < 2; i++) {
      await p.reload();
      await settle(p);
    }
    assert((await buildOf(p)) === idB, 'the page is B');
    const pixelsB = (await generateIn(p, gan)).pixels;
    assert(!same(pixelsA, pixelsB), "B's weights draw other pixels");
    // B's worker installs beside the page and takes over: only B's files are kept.
    let names = [];
    // B's worker fetches and checks every file of B, then skips waiting; Chromium still lets the old worker
    // finish the events it has in flight first, for at most 5 minutes from then (its "lame duck" limit; a
    // full run saw 302.6 s). So: up to 6.5 minutes, and a worker still waiting after that never takes over.
    const waited = Date.now();
    for (let t = 0; t < 3900 && !(names.length === 1 && names[0].endsWith(idB)); t++) {
      await p.waitForTimeout(100);
      names = await cacheNames(p);
    }
    // On failure, say where B's worker stands (installing, waiting or active) to tell a slow take-over from a failed install.
    const workers = names.length === 1 && names[0].endsWith(idB) ? '' : await p.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration();
      return ['installing', 'waiting', 'active'].map((k) => `${k}: ${r?.[k] ? `${r[k].scriptURL.split('/').pop()} ${r[k].state}` : '-'}`).join(', ');
    });
    assert(names.length === 1 && names[0].endsWith(idB), `caches after the deploy: ${names} (workers: ${workers})`);
    console.log(`     B's worker took over ${((Date.now() - waited) / 1000).toFixed(1)} s after the second reload`);
    // B's pixels are what B draws in a browser that never saw A.
    const fresh = await launch(false, { serviceWorkers: 'block' });
    const q = await fresh.visit('?view=play&family=vae&n=2', server.url);
    await settle(q);
    assert(same((await generateIn(q, gan)).pixels, pixelsB), "the reloaded page draws B's pixels");
    await fresh.context.close();

    // The tab still on A: B's worker took over; it offers the reload, and a file of A that B changed
    // (gone from the server) fails with that advice rather than mixing in B's.
    await stayed.locator('#update').waitFor({ state: 'visible' });
    assert((await buildOf(stayed)) === idA, 'the open tab is still A');
    const gone = await failure(stayed, gan); // A's MNIST GAN weights: B changed them
    assert(/gone from the server: reload for the new version/.test(gone), gone);
    await stayed.click('#update-reload');
    await stayed.waitForLoadState();
    await settle(stayed);
    assert((await buildOf(stayed)) === idB && !(await stayed.locator('#update').isVisible()), 'reloaded into B');

    await offlineCopyDone(p);
    goOffline(server);
    await p.reload();
    await settle(p);
    assert((await buildOf(p)) === idB && same((await generateIn(p, gan)).pixels, pixelsB), "offline: B's page and pixels");
    // Only the advised failure: A's file was answered 404.
    const expected = (e) => e.startsWith('?view=play&family=vae&n=2&seed=11: ') && /404/.test(e);
    assert(browser.errors.every(expected), browser.errors.join('\n'));
    await browser.context.close();
    rmSync(a, { recursive: true });
    rmSync(b, { recursive: true });
  });

  await test('a damaged or cut download is never kept, and the next use fetches it again', async () => {
    const server = await serve(dist);
    const browser = await launch(false);
    const p = await browser.visit('?view=play&family=vae&n=2', server.url);
    await settle(p);
    await controlled(p);
    for (const damage of [(body) => body.subarray(0, body.length >> 1), (body) => Buffer.from(body).fill(7, 5000, 5100)]) {
      server.alter = (path, body) => (path.includes('/gan-fashion.') ? damage(body) : body);
      const msg = await failure(p, { family: 'gan', dataset: 'fashion', n: 2 });
      assert(/couldn't load the gan-fashion weights/.test(msg), msg);
      const kept = await p.evaluate(async () => (await Promise.all((await caches.keys()).map(async (n) => (await (await caches.open(n)).keys()).map((r) => r.url)))).flat());
      assert(!kept.some((u) => u.includes('gan-fashion')), 'nothing of it kept');
    }
    server.alter = (path, body) => body;
    const again = await generateIn(p, { family: 'gan', dataset: 'fashion', n: 2 });
    assert(again.n === 2, 'the repaired file loads');
    await browser.context.close();
    server.close();
  });

  await test('the built folder works under a subpath of an origin: share links point there, offline too', async () => {
    const server = await serve(dist, { base: '/some/where/trilemma/' });
    const browser = await launch(false);
    const outside = [];
    browser.context.on('request', (r) => r.url().startsWith('http://127.0.0.1') && !r.url().startsWith(server.url) && outside.push(r.url()));
    const p = await browser.visit('?view=play&family=gan&n=4&seed=5&class=2', server.url);
    await settle(p);
    await controlled(p);
    const drawn = (await generateIn(p, { family: 'gan', n: 4, seed: 5, class: 2 })).pixels;
    const link = await p.evaluate(() => window.trilemma.shareUrl());
    assert(link.startsWith(`${server.url}?`), link);
    const scope = await p.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.scope));
    assert(scope === server.url, scope);
    await offlineCopyDone(p);
    goOffline(server);
    const shared = await browser.context.newPage();
    await shared.goto(link);
    await settle(shared);
    assert(same((await generateIn(shared, { family: 'gan', n: 4, seed: 5, class: 2 })).pixels, drawn), 'the share link, offline, draws the same');
    assert(outside.length === 0, `requests outside the folder: ${outside}`);
    assert(browser.errors.length === 0, browser.errors.join('\n'));
    await browser.context.close();
  });
}
