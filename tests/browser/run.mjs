// Browser end-to-end tests: the built page (dist/) in Debian's headless Chromium, on SwiftShader's WebGPU
// adapter and on the CPU path. Prints "N passed, N failed" and exits non-zero on any failure. SwiftShader
// is slow: batches and step counts stay small.
import { join } from 'node:path';
import { launch, test, assert, shots, small, fast, generateIn, checkImages, settle, canvasFacts, canvasImages, cellCenter, testImage, slide, defaultGuidance, finish, assets } from './harness.mjs';
import { engineTests } from './engine.mjs';
import { failureTests } from './failures.mjs';
import { landingTests } from './landing.mjs';
import { trainGpuTests, trainTests } from './train.mjs';
import { deployTests } from './deploy.mjs';

// ---- WebGPU (SwiftShader) ------------------------------------------------------------------------------
const gpu = await launch(true);
// The first page asks for a small diffusion grid: the default (16 samples, 50 steps) takes minutes here.
const first = await gpu.visit('?view=play&family=diffusion&n=4&steps=5&class=2&seed=1');
const gpuPixels = {};
await test('WebGPU on a software adapter: the page starts on the CPU, says why, and switches when asked', async () => {
  // SwiftShader emulates the GPU on the CPU, far slower than the CPU path: the page must not pick it itself.
  const info = await first.evaluate(() => window.trilemma.ready);
  assert(info.backend === 'cpu', `backend ${info.backend}`);
  const notice = await first.locator('#notice').textContent();
  assert(/emulates a GPU in software/.test(notice) && /SwiftShader/i.test(notice), notice);
  await first.waitForFunction(() => document.querySelector('#timing').textContent.includes('samples in'), null, { timeout: 900_000 });
  const grid = await canvasFacts(first, '#grid');
  assert(grid.lit > 100, `only ${grid.lit} bright pixels on the canvas`);
  await settle(first);
  await first.screenshot({ path: join(shots, 'play-diffusion-software-adapter.png'), fullPage: true });
  const switched = await first.evaluate(() => window.trilemma.setBackend('webgpu'));
  assert(switched.backend === 'webgpu' && /swiftshader/i.test(switched.adapter), JSON.stringify(switched));
  assert(!(await first.locator('#notice').isVisible()), 'the notice goes once WebGPU was chosen');
});
for (const family of ['gan', 'vae', 'diffusion']) {
  await test(`WebGPU: ${family} generates`, async () => {
    const out = await generateIn(first, { family, ...small, ...(family === 'diffusion' ? fast : {}) });
    assert(out.backend === 'webgpu', out.backend);
    checkImages(out, 4);
    gpuPixels[family] = out.pixels;
  });
}
await test('invalid options reject with a clear message', async () => {
  const msgs = await first.evaluate(async () => {
    const bad = [{ family: 'flow' }, { n: 1000 }, { class: 12 }, { colour: 'red' }, { family: 'diffusion', steps: -3 }, { family: 'gan', seed: 'x' }, { family: 'vae', dataset: 'cifar' }];
    const out = [];
    for (const o of bad) {
      try {
        await window.trilemma.generate(o);
        out.push(null);
      } catch (e) {
        out.push(String(e.message || e));
      }
    }
    return out;
  });
  const expected = ['family', 'n must', 'class', 'colour', 'steps', 'seed', 'unknown dataset "cifar"'];
  msgs.forEach((m, i) => assert(m && m.includes(expected[i]), `option ${i}: expected a message about ${expected[i]}, got ${m}`));
});
await test('the step scrubber shows x_t and the predicted x0 of every step', async () => {
  const out = await first.evaluate(() =>
    window.trilemma.run({ family: 'diffusion', n: 2, class: 3, seed: 5, sampler: 'ddim', steps: 4 }).then((r) => ({ frames: r.frames, n: r.n })),
  );
  assert(out.frames === 5 && out.n === 2, JSON.stringify(out));
  const seen = [];
  for (const i of [0, 2, 4]) {
    await slide(first, '#scrubber', i);
    await first.waitForFunction((v) => (document.querySelector('#frame-info').value || document.querySelector('#frame-info').textContent).startsWith(`${v} of 4`), i, { timeout: 300_000 });
    const info = await first.evaluate(() => document.querySelector('#frame-info').value || document.querySelector('#frame-info').textContent);
    const frame = new URL(await first.evaluate(() => window.trilemma.shareUrl())).searchParams.get('frame');
    const track = (await first.locator('#scrubber').boundingBox()).width;
    seen.push({ i, info, frame, track, xt: await canvasFacts(first, '#xt'), x0: await canvasFacts(first, '#x0') });
  }
  assert(seen[0].info.includes('t = 1000'), seen[0].info);
  // The track keeps its width whatever the step's text says, so a drag lands where it was aimed.
  assert(new Set(seen.map((s) => s.track)).size === 1, `track widths ${seen.map((s) => s.track)}`);
  assert(seen[0].x0.lit === 0, 'frame 0 has no x0 prediction yet');
  assert(seen[1].x0.lit > 50 && seen[2].x0.lit > 50, 'x0 predictions are drawn');
  assert(new Set(seen.map((s) => s.xt.hash)).size === 3, 'x_t differs from step to step');
  // The link keeps the scrubbed step; the last step is the finished sample, which needs no frame.
  assert(seen[1].frame === '2' && seen[2].frame === null, `frames in the link: ${seen.map((s) => s.frame)}`);
  await first.screenshot({ path: join(shots, 'scrubber.png'), fullPage: true });
});
await test('inpainting regenerates the masked pixels and leaves the others unchanged', async () => {
  const image = await testImage(first, 35); // a 3
  const mask = image.map((_, p) => (p % 28 >= 14 ? 255 : 0)); // the right half
  const out = await first.evaluate(
    ({ image, mask }) => window.trilemma.inpaint({ image, mask, n: 2, class: 3, seed: 2, steps: 4 }).then((p) => Array.from(p)),
    { image, mask },
  );
  assert(out.length === 2 * 784, `pixels ${out.length}`);
  for (let s = 0; s < 2; s++) {
    let changed = 0;
    for (let p = 0; p < 784; p++) {
      const v = out[s * 784 + p];
      if (mask[p] === 0) assert(v === image[p], `sample ${s}: kept pixel ${p} changed ${image[p]} → ${v}`);
      else changed += v !== image[p];
    }
    assert(changed > 20, `sample ${s}: only ${changed} masked pixels were regenerated`);
  }
  await settle(first);
  await first.locator('#inpaint-result').scrollIntoViewIfNeeded();
  await first.screenshot({ path: join(shots, 'inpaint.png'), fullPage: true });
});
await test('a share link reproduces the same pixels', async () => {
  const a = await gpu.visit('?view=play&family=gan&dataset=fashion&class=3&seed=11&n=6&truncation=0.7');
  await settle(a);
  const url = await a.evaluate(() => window.trilemma.shareUrl());
  const link = new URL(url);
  for (const [k, v] of Object.entries({ family: 'gan', dataset: 'fashion', class: '3', seed: '11', n: '6', truncation: '0.7' })) {
    assert(link.searchParams.get(k) === v, `${k}=${link.searchParams.get(k)} in ${url}`);
  }
  const gridA = await canvasFacts(a, '#grid');
  assert(gridA.lit > 100, 'grid drawn');
  // Beside the samples' D: what the discriminator gives the real test images of that class.
  const reference = await a.locator('#d-reference').textContent();
  const d = (reference.match(/\d\.\d\d/g) || []).map(Number);
  assert(/class 3: median/.test(reference) && d.length === 5 && d.every((x) => x >= 0 && x <= 1) && d[3] <= d[0] && d[0] <= d[4], reference);
  await a.screenshot({ path: join(shots, 'play-gan.png'), fullPage: true });
  const b = await gpu.visit(link.search);
  await settle(b);
  const gridB = await canvasFacts(b, '#grid');
  assert(JSON.stringify(gridA) === JSON.stringify(gridB), `${JSON.stringify(gridA)} vs ${JSON.stringify(gridB)}`);
  const state = await b.evaluate(() => window.trilemma.state());
  assert(state.family === 'gan' && state.seed === 11 && state.truncation === 0.7, JSON.stringify(state));
  // Each dataset's diffusion model has its own default guidance (the vocabulary's): a link without one
  // takes its dataset's, a switch moves a guidance still at the default, and keeps one the visitor chose.
  const defaults = await defaultGuidance(b);
  assert(defaults.mnist !== defaults.fashion, JSON.stringify(defaults));
  const guidance = async () => Number(new URL(await b.evaluate(() => window.trilemma.shareUrl())).searchParams.get('guidance'));
  assert((await guidance()) === defaults.fashion, `a Fashion link without guidance has ${await guidance()}`);
  await b.selectOption('select[name=dataset]', 'mnist');
  assert((await guidance()) === defaults.mnist && Number(await b.inputValue('input[name=guidance]')) === defaults.mnist, `after switching to MNIST: ${await guidance()}`);
  await slide(b, 'input[name=guidance]', 2);
  await b.selectOption('select[name=dataset]', 'fashion');
  assert((await guidance()) === 2, `a chosen guidance stays: ${await guidance()}`);
  await settle(b);
  await a.close();
  await b.close();
});
await test('a link asking for heavy diffusion work waits for a click, saying what it costs', async () => {
  const p = await gpu.visit('?view=play&family=diffusion&sampler=ddpm&n=64&class=0&guidance=20');
  await settle(p);
  const notice = await p.locator('#notice').textContent();
  assert(/128,000 UNet passes/.test(notice) && /press Generate/.test(notice), notice);
  assert((await p.locator('#status').textContent()) === '' && (await p.evaluate(() => document.querySelector('#grid').width)) === 0, 'the run started by itself');
  // Asked for, it runs, and Cancel stops it between two steps; the engine is free at once.
  await p.click('#generate');
  await p.waitForFunction(() => /step \d+ of 1000/.test(document.querySelector('#status').textContent), null, { timeout: 120_000 });
  await p.click('#cancel');
  await p.waitForFunction(() => document.querySelector('#status').textContent === 'cancelled', null, { timeout: 30_000 });
  assert((await generateIn(p, { family: 'gan', n: 2 })).n === 2, 'the engine after a cancel');
  await p.close();
});
await test('a malformed link falls back to defaults for the bad fields with a visible notice', async () => {
  const hostile = '?view=play&family=gan&n=2&seed=abc&class=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&zz=1&truncation=1e999';
  const p = await gpu.visit(hostile);
  await settle(p);
  const notice = p.locator('#notice');
  assert(await notice.isVisible(), 'no notice shown');
  const text = await notice.textContent();
  for (const field of ['seed', 'class', 'zz', 'truncation']) assert(text.includes(field), `notice does not name ${field}: ${text}`);
  assert((await p.locator('#notice img, img[src="x"]').count()) === 0, 'link text became HTML');
  const [state, landing] = await p.evaluate(async () => [window.trilemma.state(), (await import(new URL('vocab.js', document.querySelector('script[src$="/main.js"]').src))).vocab.defaults.class]);
  assert(state.family === 'gan' && state.n === 2 && state.seed === 0 && state.class === landing, JSON.stringify(state));
  assert((await canvasFacts(p, '#grid')).lit > 50, 'the good fields still generate');
  await p.screenshot({ path: join(shots, 'malformed-link.png'), fullPage: true });
  await p.close();
});
await test('CPU switch: same seed gives the same images as WebGPU within tolerance', async () => {
  const info = await first.evaluate(() => window.trilemma.setBackend('cpu'));
  assert(info.backend === 'cpu', info.backend);
  for (const family of ['gan', 'vae', 'diffusion']) {
    const out = await generateIn(first, { family, ...small, ...(family === 'diffusion' ? fast : {}) });
    assert(out.backend === 'cpu', out.backend);
    checkImages(out, 4);
    let worst = 0;
    out.pixels.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - gpuPixels[family][i]))));
    console.log(`     ${family}: largest CPU vs WebGPU pixel difference ${worst}/255`);
    assert(worst <= 8, `${family}: CPU and WebGPU differ by up to ${worst}/255`);
  }
});
await test('no console errors on the WebGPU pages', async () => {
  assert(gpu.errors.length === 0, gpu.errors.join('\n'));
});
await trainGpuTests(gpu);
await gpu.context.close();

// ---- CPU only (WebGPU disabled) ------------------------------------------------------------------------
const cpu = await launch(false);
const plain = await cpu.visit('?view=play&family=vae&n=9&seed=4');
await test('without WebGPU the page falls back to the CPU with a visible notice', async () => {
  const info = await plain.evaluate(() => window.trilemma.ready);
  assert(info.backend === 'cpu', `backend ${info.backend}`);
  const notice = plain.locator('#notice');
  assert(await notice.isVisible(), 'no notice shown');
  assert((await notice.textContent()).includes('WebGPU'), await notice.textContent());
  await plain.waitForFunction(() => document.querySelector('#timing').textContent.includes('samples in'), null, { timeout: 900_000 });
  await settle(plain);
  await plain.screenshot({ path: join(shots, 'cpu-fallback-vae.png'), fullPage: true });
  // One plain sentence; the browser's own error is folded away under "details"; the notice can be dismissed.
  const sentence = await plain.locator('#notice .notice-item > span').textContent();
  assert(/^WebGPU is not available/.test(sentence) && !/WgpuDevice|adapter/.test(sentence), sentence);
  assert(!(await plain.locator('#notice pre').isVisible()) && /adapter/i.test(await plain.locator('#notice pre').textContent()), 'details folded');
  await plain.click('#notice .dismiss');
  assert(!(await notice.isVisible()), 'the notice stays after dismissing it');
  for (const family of ['gan', 'vae', 'diffusion']) {
    const out = await generateIn(plain, { family, ...small, ...(family === 'diffusion' ? fast : {}) });
    assert(out.backend === 'cpu', out.backend);
    checkImages(out, 4);
  }
});
await test('DPM-Solver++ at 20 steps lands nearer its 50-step samples than DDIM does (same seed, CPU)', async () => {
  const base = { family: 'diffusion', n: 2, class: 3, seed: 4, guidance: 1 };
  const run = (sampler, steps) => generateIn(plain, { ...base, sampler, steps });
  const [dpmpp20, dpmpp50, ddim20, ddim50] = [await run('dpmpp', 20), await run('dpmpp', 50), await run('ddim', 20), await run('ddim', 50)];
  checkImages(dpmpp20, 2);
  const gap = (a, b) => a.pixels.reduce((s, v, i) => s + Math.abs(v - b.pixels[i]), 0) / a.pixels.length;
  // Measured: 0.9 against 2.8 (mean |Δ| out of 255): cutting DPM-Solver++'s steps loses less.
  assert(2 * gap(dpmpp20, dpmpp50) < gap(ddim20, ddim50), `mean pixel gap, 20 to 50 steps: DPM-Solver++ ${gap(dpmpp20, dpmpp50)}, DDIM ${gap(ddim20, ddim50)}`);
});
await test("a scripted run on another dataset takes its guidance unless it names one, as a dataset switch would", async () => {
  const defaults = await defaultGuidance(plain);
  const runOn = (o) => plain.evaluate((x) => window.trilemma.run({ family: 'diffusion', n: 1, class: 1, seed: 2, sampler: 'ddim', steps: 2, ...x }).then(() => window.trilemma.state().guidance), o);
  assert((await plain.evaluate(() => window.trilemma.state().guidance)) === defaults.mnist, 'the page starts at MNIST');
  assert((await runOn({ dataset: 'fashion' })) === defaults.fashion, 'a Fashion run takes its default');
  assert((await runOn({ dataset: 'mnist' })) === defaults.mnist, 'and back');
  assert((await runOn({ dataset: 'fashion', guidance: 2 })) === 2, 'a named guidance is used');
  assert((await runOn({ dataset: 'mnist' })) === 2, 'a chosen guidance stays across a switch');
  const refused = await plain.evaluate(() => window.trilemma.run({ dataset: 'cifar' }).then(() => 'ran', (e) => String(e.message)));
  assert(/unknown dataset "cifar"/.test(refused), refused);
  await runOn({ dataset: 'mnist', guidance: defaults.mnist });
});
await test("diffusion walk: between two samples' starting noise, in the API and the Play view", async () => {
  const opts = { family: 'diffusion', n: 3, class: 2, seed: 6, sampler: 'dpmpp', steps: 4, guidance: 1 };
  const out = await plain.evaluate(async (o) => {
    const g = await window.trilemma.generate(o);
    const size = g.latent;
    const w = await window.trilemma.interpolate({ ...o, from: g.latents.slice(0, size), to: g.latents.slice(size, 2 * size), frames: 8 });
    return { latent: size, samples: Array.from(g.pixels), walk: Array.from(w.pixels), n: w.n };
  }, opts);
  assert(out.latent === 784 && out.n === 8, `latent ${out.latent}, ${out.n} frames`);
  const img = (px, i) => px.slice(i * 784, (i + 1) * 784);
  const worst = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  assert(worst(img(out.walk, 0), img(out.samples, 0)) <= 2, 'the walk starts on sample 1');
  assert(worst(img(out.walk, 7), img(out.samples, 1)) <= 2, 'the walk ends on sample 2');
  assert(worst(img(out.walk, 3), img(out.samples, 0)) > 20 && worst(img(out.walk, 3), img(out.samples, 1)) > 20, 'mid-walk frames are new samples');
  // The Play view: a diffusion grid of 4 (2 × 2), samples 2 and 4 clicked, the walk drawn and scrolled to.
  const p = await cpu.visit('?view=play&family=diffusion&n=4&class=2&seed=6&sampler=dpmpp&steps=4');
  await settle(p);
  for (const i of [1, 3]) {
    const at = await cellCenter(p, '#grid', i, 4, 2);
    await p.mouse.click(at.x, at.y);
  }
  await p.waitForFunction(() => document.querySelector('#diffusion-interp').width > 0, null, { timeout: 300_000 });
  await settle(p);
  await p.waitForTimeout(800); // the smooth scroll
  const seen = await p.evaluate(() => {
    const r = document.querySelector('#diffusion-interp').closest('figure').getBoundingClientRect();
    return r.width > 0 && r.top >= -1 && r.bottom <= innerHeight + 1;
  });
  assert(seen, 'the walk and its caption are drawn out of view');
  const frames = await canvasImages(p, '#diffusion-interp', 8, 8);
  assert(frames.every((im) => im.filter((v) => v > 64).length > 20), 'every frame of the strip holds a sample');
  const grid = await p.evaluate(async () => Array.from((await import(new URL('play.js', document.querySelector('script[src$="/main.js"]').src))).gridResult.out.pixels));
  assert(worst(frames[0], img(grid, 1)) <= 2, `frame 1 is sample 2 (largest difference ${worst(frames[0], img(grid, 1))})`);
  assert(worst(frames[7], img(grid, 3)) <= 2, `frame 8 is sample 4 (largest difference ${worst(frames[7], img(grid, 3))})`);
  assert(worst(frames[3], frames[0]) > 20 && worst(frames[3], frames[7]) > 20, 'mid-walk frames are new samples');
  await p.screenshot({ path: join(shots, 'diffusion-walk.png') });
  await p.close();
});
await test("while a diffusion run goes, the grid shows its x̂0 preview, not the previous family's samples", async () => {
  const p = await cpu.visit('?view=play&family=gan&n=4&seed=3&class=5');
  await settle(p);
  const gan = await canvasFacts(p, '#grid');
  await p.evaluate(() => {
    window.pendingRun = window.trilemma.run({ family: 'diffusion', n: 4, class: 5, seed: 3, sampler: 'ddim', steps: 60 });
  });
  await p.waitForFunction(() => {
    const m = /step (\d+) of/.exec(document.querySelector('#status').textContent);
    return m && Number(m[1]) >= 10 && document.querySelector('#grid').getAttribute('aria-label').startsWith('preview');
  }, null, { timeout: 300_000 });
  const preview = await canvasFacts(p, '#grid');
  assert(preview.hash !== gan.hash, 'the grid still shows the GAN samples mid-run');
  await p.evaluate(() => window.pendingRun);
  const done = await canvasFacts(p, '#grid');
  assert(done.hash !== gan.hash && done.lit > 50, 'the finished samples are drawn');
  await p.close();
});
await test('the forward process noises a real image from t = 0 to 1000', async () => {
  const p = await cpu.visit('?view=play&family=diffusion&n=1&steps=2&class=4');
  await settle(p);
  const at = async (t) => {
    await slide(p, '#forward-t', t);
    await settle(p);
    return canvasFacts(p, '#forward');
  };
  const [clean, mid, noise] = [await at(0), await at(500), await at(1000)];
  assert(new Set([clean.hash, mid.hash, noise.hash]).size === 3, 'frames differ');
  assert(noise.lit > clean.lit, `noise lights more pixels (${noise.lit}) than a clean digit (${clean.lit})`);
  assert(new URL(await p.evaluate(() => window.trilemma.shareUrl())).searchParams.get('t') === '1000', 'the link keeps t');
  await p.close();
});
await test('compare view: three families side by side and the scoreboard', async () => {
  const p = await cpu.visit('?view=compare&dataset=mnist&class=5&seed=2&n=4&steps=5');
  await settle(p);
  for (const family of ['gan', 'vae', 'diffusion']) {
    const c = await canvasFacts(p, `#compare-${family}`);
    assert(c.lit > 50, `${family}: ${c.lit} bright pixels`);
  }
  const rows = await p.locator('#scoreboard-table tbody tr').count();
  assert(rows >= 10, `scoreboard rows ${rows}`);
  // The table shows the shipped file's figures: the main diffusion row's FID with its error bar.
  const shipped = await p.evaluate((url) => fetch(url).then((r) => r.json()), assets['models/scoreboard.json']);
  const diffusion = shipped.datasets.find((b) => b.dataset === 'mnist').rows.find((r) => r.id === 'diffusion').conditional;
  const cells = (await p.locator('#scoreboard-table tbody tr[data-model="diffusion"]').first().locator('td').allTextContents()).map((c) => c.replace(/\u00a0/g, ' '));
  assert(cells.includes(`${diffusion.fid.toFixed(2)} ± ${diffusion.fid_se.toFixed(2)}`), `diffusion row shows ${cells.join(' | ')}`);
  // The charts are drawn by the page (SVG): FID against steps with every diffusion sampler row, and the
  // scoreboard's precision and recall.
  const sweepRows = shipped.datasets.find((b) => b.dataset === 'mnist').rows.filter((r) => r.model === 'diffusion' && (r.id.startsWith('diffusion-steps') || r.knobs.sampler !== 'ddim' || r.id === 'diffusion'));
  assert((await p.locator('#fid-steps circle').count()) === sweepRows.length, `FID chart points ${await p.locator('#fid-steps circle').count()} of ${sweepRows.length}`);
  assert((await p.locator('#yours-chart circle.board').count()) >= 10, 'the precision/recall chart lacks the scoreboard rows');
  // One knob, one seed: three settings of each family's knob, each a different row of samples.
  await p.click('#sweep-run');
  await p.waitForFunction(() => document.querySelectorAll('#sweep-rows canvas').length === 9 && /samples per row/.test(document.querySelector('#sweep-status').textContent), null, { timeout: 300_000 });
  const mnistGuidance = (await defaultGuidance(p)).mnist;
  for (const [family, values] of [['gan', [0, 0.5, 1]], ['vae', [0, 0.5, 1]], ['diffusion', [0, mnistGuidance, 3]]]) {
    const facts = [];
    for (const v of values) facts.push(await canvasFacts(p, `#sweep-rows canvas[data-sweep="${family}-${v}"]`));
    assert(facts.every((c) => c.lit > 50) && new Set(facts.map((c) => c.hash)).size === 3, `${family} sweep: ${JSON.stringify(facts)}`);
  }
  await p.screenshot({ path: join(shots, 'compare.png'), fullPage: true });
  await p.close();
});
await test('speed view: bench times every family on the CPU and fills the table', async () => {
  const p = await cpu.visit('?view=speed');
  await settle(p);
  const r = await p.evaluate(() =>
    window.trilemma.bench({ backend: 'cpu', batches: [1, 4], diffusion: [{ sampler: 'ddim', steps: 2 }], repeats: 1 }),
  );
  assert(r.backend === 'cpu', r.backend);
  const families = new Set(r.rows.map((x) => x.family));
  assert(families.size === 3, JSON.stringify(r.rows));
  for (const row of r.rows) assert(row.msPerSample > 0 && Math.abs(row.samplesPerSecond * row.msPerSample - 1000) < 1, JSON.stringify(row));
  await settle(p);
  const shown = await p.locator('#speed-table tbody tr').count();
  assert(shown >= r.rows.length, `speed table shows ${shown} rows`);
  await p.screenshot({ path: join(shots, 'speed.png'), fullPage: true });
  // Share the result: the link, opened elsewhere, shows the same rows beside that visitor's own.
  await p.click('#bench-share');
  await p.waitForFunction(() => document.querySelector('#bench-share-link').value.includes('result='));
  const link = new URL(await p.inputValue('#bench-share-link'));
  const q = await cpu.visit(link.search);
  await settle(q);
  const shared = await q.$$eval('#speed-table tbody tr.shared', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert(shared.length === r.rows.length, `${shared.length} shared rows for ${r.rows.length}`);
  // The link keeps ms to the microsecond; the table shows two decimals.
  shared.forEach((cells, i) => assert(cells[0].startsWith('shared: CPU') && cells[2] === r.rows[i].family && Math.abs(Number(cells[5]) - r.rows[i].msPerSample) <= 0.006, cells.join(' | ')));
  assert(new URL(await q.evaluate(() => window.trilemma.shareUrl())).searchParams.get('result') === link.searchParams.get('result'), 'the page keeps the shared result in its link');
  await q.close();
  const hostile = await cpu.visit('?view=speed&result=cpu%7C2%7Cmnist%7C%3Cimg%20src%3Dx%3E%7Cgan~one%20pass~1~-5');
  await settle(hostile);
  const notice = await hostile.locator('#notice').textContent();
  assert(/result: ms per sample/.test(notice) && (await hostile.locator('#speed-table tbody tr').count()) === 0, notice);
  await hostile.close();
  await p.close();
});
await engineTests(cpu);
await landingTests(cpu);
await trainTests(cpu);
await deployTests();
await failureTests();
await test('a stalled weight download gives up with a message, and the next try loads', async () => {
  const quiet = await launch(false, { serviceWorkers: 'block' });
  let stall = true;
  await quiet.context.route(`**/${assets['models/gan-mnist.bpk']}`, (route) => (stall ? undefined : route.continue())); // never answered while stalled
  const p = await quiet.visit('?view=play&family=vae&n=2');
  await settle(p);
  const first = await p.evaluate(() => window.trilemma.generate({ family: 'gan', n: 2 }).then(() => 'no error', (e) => String(e.message)));
  assert(/gan-mnist.*stalled/.test(first), first);
  stall = false;
  const again = await p.evaluate(() => window.trilemma.generate({ family: 'gan', n: 2 }).then((r) => r.n));
  assert(again === 2, `the second try drew ${again}`);
  await quiet.context.close();
});
await test('no console errors on the CPU pages', async () => {
  assert(cpu.errors.length === 0, cpu.errors.join('\n'));
});
await cpu.context.close();
finish();
