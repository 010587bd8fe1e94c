// Diffusion runs stepped to the end one step per message, so they can be cancelled between steps.
import { latestOnly, makeToken } from './async.js';
import { withFallback } from './engine.js';
import { ensureLoaded } from './weights.js';

let runToken = null; // one diffusion run at a time: starting one cancels the one before

export function beginRun() {
  cancelRun();
  runToken = makeToken();
  return runToken;
}

/// Cancels the diffusion run in progress, if any.
export function cancelRun() {
  if (runToken) runToken.cancel();
}

/// Frees a run's GPU memory, once (a dead device's errors are of no interest here).
export function freeRun(live) {
  return live.engine.lock(async () => {
    if (live.freed) return;
    live.freed = true;
    try {
      await live.run.free();
    } catch (e) {
      // already gone with its device or its worker
    }
  });
}

/// Starts a diffusion run and steps it to the end, one step per task so the page stays responsive;
/// onStep(live) sees every step. Resolves to the finished run
/// `live = {engine, run, len, position, opts, start, images, ms}` (ms: from the start of the run to its
/// images, the loading of weights not included); the caller frees it.
export function stepRun(opts, start, token, onStep) {
  return withFallback(async (e) => {
    await ensureLoaded(e, `diffusion-${opts.dataset}`);
    token.check();
    const t0 = performance.now();
    const run = await e.lock(() => e.wasm.startRun(opts, start));
    const live = { engine: e, run, len: run.len, position: 0, done: false, opts, start, freed: false };
    try {
      onStep(live);
      while (!live.done) {
        token.check();
        const taken = await e.lock(async () => {
          const k = await run.step(1);
          live.position = run.position;
          live.done = run.done || k === 0;
          return k;
        });
        if (taken) onStep(live);
      }
      token.check();
      live.images = await e.lock(() => run.images());
      live.ms = performance.now() - t0;
      return live;
    } catch (err) {
      freeRun(live);
      throw err;
    }
  });
}

/// Draws a diffusion run in progress — its x̂0, or its starting noise before the first step — at most 5 times
/// a second: `step(live)` from stepRun's onStep, `stop()` before the finished samples are drawn.
export function previews(draw) {
  let last = -Infinity;
  let stopped = false;
  const show = latestOnly(async (live) => {
    const frame = await live.engine.lock(() => (live.freed || stopped ? null : live.run.frame(live.position)));
    if (frame && !stopped) draw({ n: frame.n, width: frame.width, height: frame.height, pixels: frame.x0 || frame.xt });
  });
  return {
    step(live) {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      show(live).catch(() => {}); // a preview that fails is only a preview missed
    },
    stop() {
      stopped = true;
    },
  };
}
