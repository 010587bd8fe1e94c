// Browser tests of the engine workers on the CPU path: the page's thread stays free while models run, and a
// worker that dies is replaced without losing what the visitor made.
import { test, assert, settle, canvasFacts, slide } from './harness.mjs';

/// Starts tracing the page's main thread; the returned function stops and lists each task that took over
/// 50 ms of that thread's CPU time. CPU time, not wall time: on this shared 2-core machine the workers'
/// model runs preempt the main thread, which stretches a 10 ms task to 70 ms of wall time; a model run on
/// the main thread would be hundreds of ms of CPU either way.
async function traceMainThread(page) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] }, transferMode: 'ReportEvents' });
  return async () => {
    const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
    const started = events.find((e) => e.name === 'TracingStartedInBrowser');
    const pids = new Set(started.args.data.frames.filter((f) => !f.parent).map((f) => f.processId));
    const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args.name === 'CrRendererMain' && pids.has(e.pid)).map((e) => `${e.pid}:${e.tid}`));
    const tasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && main.has(`${e.pid}:${e.tid}`));
    assert(tasks.length > 0 && tasks.every((t) => 'tdur' in t), `the trace holds ${tasks.length} main-thread tasks, with CPU times`);
    return tasks.filter((t) => t.tdur > 50_000).map((t) => `${Math.round(t.tdur / 1000)} ms of CPU (${Math.round(t.dur / 1000)} ms wall)`);
  };
}

/// Sets the controls, then picks the family as a visitor would (which generates).
function choose(page, fields) {
  return page.evaluate((values) => {
    const f = document.querySelector('#controls').elements;
    for (const [name, value] of Object.entries(values)) f[name].value = String(value);
    f.family.dispatchEvent(new Event('input', { bubbles: true }));
  }, fields);
}

export async function engineTests(cpu) {
  await test('models run off the main thread: no task takes over 50 ms of main-thread CPU while a DDIM-50 grid of 16 and a GAN grid of 64 generate', async () => {
    const p = await cpu.visit('?view=play&family=vae&n=4&seed=2');
    await settle(p);
    const stop = await traceMainThread(p);
    await choose(p, { family: 'gan', n: 64, seed: 5 });
    await p.waitForFunction(() => document.querySelector('#timing').textContent.startsWith('64 samples'), null, { timeout: 300_000 });
    await choose(p, { family: 'diffusion', n: 16, seed: 5, class: 'none', sampler: 'ddim', steps: 50 });
    await p.waitForFunction(() => /^16 samples/.test(document.querySelector('#timing').textContent) && document.querySelector('#status').textContent.startsWith('done: 50 steps'), null, { timeout: 600_000 });
    await settle(p);
    const tasks = await stop();
    assert(tasks.length === 0, `main-thread tasks over 50 ms: ${tasks.join('; ')}`);
    assert((await canvasFacts(p, '#grid')).lit > 100, 'the diffusion grid is drawn');
    await p.close();
  });

  await test('a worker that dies is replaced: the call in flight runs again, a recorded run still scrubs', async () => {
    const p = await cpu.visit('?view=play&family=diffusion&n=2&class=4&seed=3&sampler=ddim&steps=4');
    await settle(p);
    const scrubTo = async (i) => {
      await slide(p, '#scrubber', i);
      await p.waitForFunction((v) => document.querySelector('#frame-info').value.startsWith(`${v} of 4`), i, { timeout: 300_000 });
      await settle(p);
      return canvasFacts(p, '#xt');
    };
    const before = await scrubTo(2);
    // The worker goes away in the middle of a call, as after a trap or running out of memory.
    const out = await p.evaluate(async () => {
      const { engine } = await import(new URL('engine.js', document.querySelector('script[src$="/main.js"]').src)); // the page's own module instance
      const pending = window.trilemma.generate({ family: 'gan', n: 3, seed: 1 });
      engine.wasm.die('stopped by the test');
      const r = await pending;
      return { n: r.n, backend: r.backend, notice: document.querySelector('#notice').textContent };
    });
    assert(out.n === 3 && out.backend === 'cpu', JSON.stringify(out));
    assert(/engine stopped and was replaced/.test(out.notice) && out.notice.includes('stopped by the test'), out.notice);
    await scrubTo(4);
    const after = await scrubTo(2);
    assert(after.hash === before.hash && after.lit > 0, 'the recorded run shows the same frame on the new engine');
    const errors = await p.evaluate(() => document.querySelector('#notice').textContent);
    assert(!/Couldn't show/.test(errors), errors);
    await p.close();
  });

  await test('CPU workers share a batch: 1 or 2 workers draw the same pixels, and n = 2 is the first 2 of n = 5', async () => {
    const p = await cpu.visit('?view=play&family=gan&n=2');
    await settle(p);
    const draw = (workers, opts) =>
      p.evaluate(
        async ([w, o]) => {
          const info = await window.trilemma.setBackend('cpu', { workers: w });
          const r = await window.trilemma.generate(o);
          const run = await window.trilemma.run({ ...o, family: 'diffusion' });
          return { workers: info.workers, pixels: Array.from(r.pixels), latents: Array.from(r.latents || []), run: Array.from(run.pixels) };
        },
        [workers, opts],
      );
    const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
    for (const family of ['gan', 'vae', 'diffusion']) {
      // η = 0.5: diffusion draws noise after the start too, from each sample's own stream.
      const opts = { family, n: 5, seed: 8, class: 2, sampler: 'ddim', steps: 3, eta: 0.5, guidance: 1 };
      const [one, two, first] = [await draw(1, opts), await draw(2, opts), await draw(2, { ...opts, n: 2 })];
      assert(one.workers === 1 && two.workers === 2, `workers ${one.workers}, ${two.workers}`);
      assert(same(one.pixels, two.pixels) && same(one.latents, two.latents), `${family}: 1 and 2 workers differ`);
      assert(same(one.run, two.run) && same(one.run, family === 'diffusion' ? one.pixels : one.run), `${family}: recorded runs differ`);
      assert(same(first.pixels, two.pixels.slice(0, 2 * 784)), `${family}: n = 2 is not the first 2 of n = 5`);
    }
    await p.close();
  });

  await test('a short soak: 60 mixed generations after a warm-up leave the workers\' wasm memory as it was (usage() tells it)', async () => {
    const p = await cpu.visit('?view=play&family=gan&n=2');
    await settle(p);
    const out = await p.evaluate(async () => {
      await window.trilemma.setBackend('cpu', { workers: 2 });
      const generations = async (from, count) => {
        for (let i = from; i < from + count; i++) {
          const family = ['gan', 'vae', 'diffusion'][i % 3];
          await window.trilemma.generate({ family, seed: i, n: family === 'diffusion' ? 2 : 16, ...(family === 'diffusion' ? { sampler: 'ddim', steps: 2 } : {}) });
        }
      };
      await generations(0, 15);
      const warm = await window.trilemma.usage();
      await generations(15, 60);
      return { warm, last: await window.trilemma.usage() };
    });
    const { warm, last } = out;
    assert(last.backend === 'cpu' && last.workers === 2, JSON.stringify(last));
    assert(warm.wasmBytes > 2 * 2 ** 20 && last.gpuBytes === 0 && last.gpuBuffers === 0 && last.dispatches === 0, JSON.stringify(last));
    assert(last.wasmBytes - warm.wasmBytes <= 2 ** 20, `wasm memory grew by ${((last.wasmBytes - warm.wasmBytes) / 2 ** 20).toFixed(1)} MB over 60 generations after the warm-up`);
    await p.close();
  });
}
