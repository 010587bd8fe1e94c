// Browser tests of the Train view: the three families learning 2-D data live, in their workers, and the
// API's headless train().
import { join } from 'node:path';
import { test, assert, canvasFacts, shots } from './harness.mjs';

const FAMILIES = ['gan', 'vae', 'diffusion'];

/// The view's state (set-up, step, curves) once it is as `want` says: `{atLeast, step, idle, started}`
/// (a predicate object, not code: the page's Content-Security-Policy allows no eval).
async function trainState(page, want, timeout = 300_000) {
  const holds = (w) => {
    const s = window.trilemma.trainState();
    return (
      (w.atLeast == null || s.step >= w.atLeast) &&
      (w.step == null || s.step === w.step) &&
      (w.idle == null || s.running !== w.idle) &&
      (!w.started || (s.fields != null && s.step > 0))
    );
  };
  await page.waitForFunction(holds, want, { timeout, polling: 200 });
  return page.evaluate(() => window.trilemma.trainState());
}

/// `train(opts)` in the page: the answer, or the error's message.
function trainIn(page, opts) {
  return page.evaluate((o) => window.trilemma.train(o).catch((e) => ({ error: String(e.message || e) })), opts);
}

export async function trainTests(cpu) {
  await test('Train: the three families learn the ring live; pause, one step and reset work; the link replays it', async () => {
    // Only the Train view fetches the training module (its workers do): the other views never.
    const requested = [];
    const log = (r) => r.url().includes('trilemma-train') && requested.push(r.url());
    cpu.context.on('request', log);
    const play = await cpu.visit('?view=play&family=gan&n=2');
    await play.waitForFunction(() => document.querySelector('#timing').textContent.includes('samples in'));
    await play.close();
    assert(requested.length === 0, `the Play view fetched ${requested.join(', ')}`);
    const p = await cpu.visit('?view=train&seed=2&steps=400&rate=200');
    const s = await trainState(p, { atLeast: 150 });
    cpu.context.off('request', log);
    assert(requested.some((u) => u.includes('_bg.wasm')), 'the Train view did not fetch the training module');
    assert(s.fields.data === 'ring' && s.fields.seed === '2' && s.fields.steps === '400', JSON.stringify(s.fields));
    for (const fam of FAMILIES) {
      const { loss, measures, picture } = s.series[fam];
      assert(loss.length >= 150 && loss.every(Number.isFinite), `${fam}: ${loss.length} losses`);
      assert(loss[0] !== loss[loss.length - 1], `${fam}: the loss did not move`);
      assert(measures.length >= 3 && measures[0].step === 0 && measures.every((m) => m.modes != null), `${fam}: ${JSON.stringify(measures)}`);
      assert(picture && picture.samples.length === 1000, `${fam}: no picture`);
      assert((await canvasFacts(p, `#train-${fam}`)).lit > 100, `${fam}: nothing drawn`);
    }
    assert(s.series.gan.picture.heat && s.series.vae.picture.means && s.series.diffusion.picture.field, 'each family draws its own layer');
    assert((await canvasFacts(p, '#train-modes')).lit > 50, 'the modes-covered chart is empty');
    await p.screenshot({ path: join(shots, 'train-1280.png'), fullPage: true });

    // Pause holds the step; one step takes exactly one; reset goes back to 0.
    await p.click('#train-play');
    const paused = (await trainState(p, { idle: true })).step;
    await p.waitForTimeout(800);
    assert((await p.evaluate(() => window.trilemma.trainState().step)) === paused, 'training went on while paused');
    await p.click('#train-step');
    await trainState(p, { step: paused + 1 });
    const link = await p.evaluate(() => window.trilemma.shareUrl());
    assert(/view=train/.test(link) && /seed=2/.test(link) && /steps=400/.test(link), link);
    await p.click('#train-reset');
    await trainState(p, { step: 0, idle: true });

    // The link, opened anew, replays the same training: the same curves and points at the same step.
    await p.click('#train-play');
    const done = await trainState(p, { step: 400, idle: true });
    const again = await cpu.visit(new URL(link).search);
    const replay = await trainState(again, { step: 400, idle: true });
    for (const fam of FAMILIES) {
      assert(JSON.stringify(replay.series[fam].loss) === JSON.stringify(done.series[fam].loss), `${fam}: another curve`);
      assert(JSON.stringify(replay.series[fam].measures) === JSON.stringify(done.series[fam].measures), `${fam}: other measures`);
      assert(JSON.stringify(replay.series[fam].picture.samples) === JSON.stringify(done.series[fam].picture.samples), `${fam}: other points`);
    }
    await again.setViewportSize({ width: 390, height: 844 });
    await again.screenshot({ path: join(shots, 'train-390.png'), fullPage: true });
    await again.close();
    await p.close();
  });

  await test('Train API: deterministic on the CPU, bad options name themselves, hostile links fall back', async () => {
    const p = await cpu.visit('?view=train&rate=1');
    const opts = { data: 'grid', families: ['gan', 'diffusion'], steps: 60, seed: 5, batch: 64 };
    const [a, b] = [await trainIn(p, opts), await trainIn(p, opts)];
    assert(!a.error && a.steps === 60 && Object.keys(a.families).join() === 'gan,diffusion', JSON.stringify(a).slice(0, 300));
    assert(a.stepsPerSecond > 0, `${a.stepsPerSecond} steps/s`);
    for (const fam of ['gan', 'diffusion']) {
      const f = a.families[fam];
      assert(f.loss.length === 60 && Number.isInteger(f.modes) && f.highQuality >= 0 && f.distance > 0, JSON.stringify(f).slice(0, 200));
      assert(JSON.stringify(f) === JSON.stringify(b.families[fam]), `${fam}: the same options trained differently`);
    }
    const moons = await trainIn(p, { data: 'moons', families: ['vae'], steps: 20 });
    assert(moons.families.vae.modes === null && moons.families.vae.highQuality === null, JSON.stringify(moons.families.vae).slice(0, 200));
    const bad = [
      [{ batch: -4 }, 'batch'],
      [{ lr: 'fast' }, 'lr'],
      [{ families: ['gan', 'flow'] }, 'families'],
      // Enough points, each refused for itself (a link's coding would have rounded them onto the square).
      [{ data: 'drawn', points: Array.from({ length: 20 }, (_, i) => [i ? 0.1 * i : Number.NaN, 0]) }, 'points: every point'],
      [{ data: 'drawn', points: Array.from({ length: 20 }, (_, i) => [0.1 * i, i === 7 ? 5 : 0]) }, 'points: every point'],
      [{ data: 'drawn', points: [[0, 0]] }, 'points: a drawing needs'],
      [{ steps: 1e9 }, 'steps'],
      [{ colour: 'red' }, 'colour'],
      [{ backend: 'tpu' }, 'backend'],
    ];
    for (const [o, field] of bad) {
      const out = await trainIn(p, o);
      assert(out.error && out.error.includes(field), `${JSON.stringify(o)}: ${JSON.stringify(out).slice(0, 200)}`);
    }
    await p.close();

    const hostile = await cpu.visit(`?view=train&batch=-4&lr=NaN&data=drawn&points=${'A'.repeat(80)}%00`);
    const s = await trainState(hostile, { started: true });
    const notice = await hostile.locator('#notice').textContent();
    assert(/batch/.test(notice) && /lr/.test(notice) && /points/.test(notice), notice);
    assert(s.fields.batch === '256' && s.fields.data === 'ring', JSON.stringify(s.fields));
    const long = await cpu.visit(`?view=train&data=drawn&points=${'AAAA'.repeat(600)}`);
    await trainState(long, { started: true });
    assert(/longer than/.test(await long.locator('#notice').textContent()), 'no notice for an over-long link');
    await hostile.close();
    await long.close();
  });
}

export async function trainGpuTests(gpu) {
  await test('Train on WebGPU tells the same story as the CPU: the same modes covered on the ring', async () => {
    const p = await gpu.visit('?view=play&family=gan&n=4');
    const opts = { data: 'ring', families: ['diffusion'], steps: 300, seed: 1, batch: 128 };
    const [onGpu, onCpu] = [await trainIn(p, { ...opts, backend: 'webgpu' }), await trainIn(p, { ...opts, backend: 'cpu' })];
    assert(!onGpu.error && onGpu.backend === 'webgpu', JSON.stringify(onGpu).slice(0, 300));
    const [g, c] = [onGpu.families.diffusion, onCpu.families.diffusion];
    console.log(`    WebGPU (SwiftShader) ${onGpu.stepsPerSecond.toFixed(1)} steps/s, CPU ${onCpu.stepsPerSecond.toFixed(1)}; modes ${g.modes} / ${c.modes}, high quality ${g.highQuality} / ${c.highQuality}`);
    assert(g.modes === c.modes, `modes: WebGPU ${g.modes}, CPU ${c.modes}`);
    assert(Math.abs(g.loss[0] - c.loss[0]) < 1e-3, `first loss: WebGPU ${g.loss[0]}, CPU ${c.loss[0]}`);
    await p.close();
  });
}
