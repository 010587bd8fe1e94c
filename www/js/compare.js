// The Compare view, where a visit lands: the three families race on the same seed and class, each with a
// stopwatch. GAN and VAE answer in one pass; diffusion fills in through its x̂0 previews.
import { Cancelled, errorText, makeToken } from './async.js';
import { addDownload, cellAt, drawGrid, keyboardCells } from './canvas.js';
import { agreement, classify, drawTally, readingLabels, tally } from './classifier.js';
import { $, reveal } from './dom.js';
import { engineCall, timingText } from './engine.js';
import { NEIGHBOURS, neighbours } from './neighbours.js';
import { job } from './notices.js';
import { beginRun, freeRun, previews, stepRun } from './runs.js';
import { classValue, f, fileName, optionsFor } from './state.js';
import { backendLabel, vocab } from './vocab.js';
import { showYours } from './yours.js';

export let compareKey = null; // the settings the compare canvases show

export function compareSettings() {
  return JSON.stringify(vocab.families.map(optionsFor));
}

/// Reruns one one-pass family's lane (its knob moved); the latest move wins, diffusion keeps running.
export const rerunLane = Object.fromEntries(
  ['gan', 'vae'].map((family) => [family, job('compare', "Couldn't compare", () => runCompare([family]))]),
);

// The class the "conditional" button goes back to after an unconditional race.
let lastClass = null;
let race = null; // the newest race's token: an older one never hides the progress of the one running

/// A family's stopwatch, ticking from `t0` (the race's start) until stopped: with the time its samples took
/// (the model's own time, not the wait for weights or for the other lanes) or with what went wrong.
function stopwatch(family, t0) {
  const [time, rate] = [$(`#compare-${family}-time`), $(`#compare-${family}-rate`)];
  const tick = () => (time.textContent = `⏱ ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  tick();
  rate.textContent = '';
  rate.title = '';
  const timer = setInterval(tick, 100);
  return ({ out, ms, backend, failed }) => {
    clearInterval(timer);
    if (failed) {
      time.textContent = failed;
      return;
    }
    time.textContent = `${(ms / 1000).toFixed(2)} s`;
    rate.textContent = `${(ms / out.n).toFixed(1)} ms per sample · ${out.n} on ${backendLabel(backend)}`;
    rate.title = timingText(out.n, ms, backend);
  };
}

const shown = {}; // family -> {images, opts}: what each lane's canvas shows, for a click

function draw(family, images, labels, opts) {
  const canvas = $(`#compare-${family}`);
  if (opts) shown[family] = { images, opts };
  // Labels only where they stay readable (a phone's lanes are a third of its width).
  const readable = canvas.parentElement.clientWidth >= 200;
  drawGrid(canvas, images, { fit: 250, labels: readable ? labels : undefined });
}

/// The classifier's reading of a lane's samples: a label under each, and a line (a class asked for) or the
/// histogram of every unconditional sample so far (none asked for). Only a reading: it never fails a lane.
async function read(family, opts, images) {
  const text = $(`#compare-${family}-reading`);
  const chart = $(`#compare-${family}-classes`);
  try {
    const reading = await classify(opts.dataset, images.pixels);
    draw(family, images, readingLabels(reading), opts);
    chart.hidden = opts.class !== 'none';
    if (opts.class === 'none') drawTally(chart, text, family, tally(opts.dataset, family, JSON.stringify(opts), reading));
    if (opts.class === 'none') showYours(opts.dataset);
    else text.textContent = agreement(reading, opts.class);
  } catch (e) {
    text.textContent = `no classifier reading: ${errorText(e)}`;
  }
}

/// One family's lane of the race; resolves when its samples are drawn.
async function lane(family, token, t0) {
  const opts = optionsFor(family);
  const stop = stopwatch(family, t0);
  $(`#compare-${family}-reading`).textContent = '';
  try {
    if (family !== 'diffusion') {
      const done = await engineCall([`${family}-${opts.dataset}`], (w) => w.generate(opts));
      token.check();
      draw(family, done.out, undefined, opts);
      stop(done);
      await read(family, opts, done.out);
      return;
    }
    const progress = $('#compare-progress');
    delete shown.diffusion; // a preview is no sample to click
    const preview = previews((images) => draw('diffusion', images));
    const live = await stepRun(opts, { kind: 'noise' }, token, (l) => {
      progress.max = l.len;
      progress.value = l.position;
      preview.step(l);
    });
    preview.stop();
    freeRun(live);
    token.check();
    draw('diffusion', live.images, undefined, opts);
    stop({ out: live.images, ms: live.ms, backend: live.engine.backend });
    await read('diffusion', opts, live.images);
  } catch (e) {
    stop({ failed: e instanceof Cancelled ? 'cancelled' : 'failed' });
    throw e;
  }
}

/// Races `families` (all three by default); a race with diffusion cancels the diffusion run before it.
export async function runCompare(families = vocab.families) {
  const all = families.length === vocab.families.length;
  const diffusion = families.includes('diffusion');
  const token = diffusion ? beginRun() : makeToken();
  if (all) compareKey = compareSettings();
  if (diffusion) {
    race = token;
    $('#compare-progress').value = 0;
    $('#compare-run').hidden = false;
    $('#compare-cancel').onclick = () => token.cancel();
  }
  const t0 = performance.now();
  try {
    // Every lane starts at once; the engine takes their calls in turn.
    const results = await Promise.allSettled(families.map((family) => lane(family, token, t0)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (e) {
    if (all) compareKey = null;
    throw e;
  } finally {
    if (race === token) $('#compare-run').hidden = true;
  }
}

/// The class button: unconditional samples (where mode collapse shows), or back to the last class.
export function showClassButton() {
  const cls = classValue(f.class.value);
  if (cls !== 'none') lastClass = cls;
  const back = lastClass ?? vocab.defaults.class;
  $('#race-class').textContent = cls === 'none' ? `back to class ${back}` : 'unconditional';
}

/// A clicked sample's nearest training images, under the race.
const showNear = job('near', "Couldn't find the nearest training images", async (family, i) => {
  const { images, opts } = shown[family];
  const pixels = images.pixels.slice(i * 784, (i + 1) * 784);
  $('#near').hidden = false;
  $('#near-title').textContent = `${family} sample ${i + 1}: its ${NEIGHBOURS} nearest training images`;
  $('#near-verdict').textContent = 'searching…';
  drawGrid($('#near-sample'), { n: 1, width: 28, height: 28, pixels }, { fit: 112 });
  reveal($('#near'));
  const [found] = await neighbours(opts.dataset, pixels, NEIGHBOURS);
  const near = found.neighbours;
  const all = new Uint8Array(NEIGHBOURS * 784);
  near.forEach((x, j) => all.set(x.pixels, j * 784));
  drawGrid($('#near-found'), { n: NEIGHBOURS, width: 28, height: 28, pixels: all }, { cols: NEIGHBOURS, fit: 336, labels: near.map((x) => `d ${x.distance.toFixed(2)}`) });
  $('#near-distances').textContent = `training images ${near.map((x) => x.index).join(', ')} (distance in classifier features)`;
  const pct = Math.round(100 * found.nearerThan);
  $('#near-verdict').textContent =
    found.nearerThan < 0.05
      ? `It lies nearer to a training image than ${100 - pct}% of real test images do: as near as a copy.`
      : `${pct}% of real test images lie nearer to a training image than it does: novel, as new as real data.`;
});

export function setUpCompare() {
  for (const family of vocab.families) {
    const canvas = $(`#compare-${family}`);
    addDownload(canvas, () => fileName('compare', family));
    canvas.addEventListener('click', (e) => {
      const i = cellAt(canvas, e);
      if (i >= 0 && shown[family]) showNear(family, i);
    });
    keyboardCells(canvas, $('#cell-live'), (i) => shown[family] && showNear(family, i));
  }
  $('#race-class').addEventListener('click', () => {
    const cls = classValue(f.class.value);
    f.class.value = cls === 'none' ? String(lastClass ?? vocab.defaults.class) : 'none';
    f.class.dispatchEvent(new Event('input', { bubbles: true }));
  });
  $('#race-seed').addEventListener('click', () => $('#new-seed').click());
}
