// The Play view's grid: samples, D and its real-image reference, the latent walks between two samples.
import { errorText, track } from './async.js';
import { addDownload, cellAt, clearCanvas, drawGrid, keyboardCells } from './canvas.js';
import { agreement, classify, readingLabels, tally, tallyText } from './classifier.js';
import { $, reveal } from './dom.js';
import { engineCall, timingText } from './engine.js';
import { attempt, job } from './notices.js';
import { Player } from './player.js';
import { cancelRun } from './runs.js';
import { f, fileName, linkFrame, optionsFor, setLinkFrame, syncLink } from './state.js';
import { selectVae, vae } from './vae.js';
import { vocab } from './vocab.js';
import { testImages } from './weights.js';

export let gridSeq = 0; // which generation owns #grid: older answers are dropped
export let gridResult = null; // {opts, out} that #grid shows
export let mainPlayer = null;

const gridJob = job('generate', "Couldn't generate", async (opts, seq) => {
  const { out, ms, backend } = await engineCall([`${opts.family}-${opts.dataset}`], (w) => w.generate(opts));
  if (seq !== gridSeq) return;
  showGrid(opts, out);
  $('#timing').textContent = timingText(out.n, ms, backend);
  syncLink();
  if (opts.family === 'gan') track(attempt('reference', "Couldn't score the real images", () => showRealReference(opts, seq)));
});

// What real images score: the discriminator's D of the shipped real test images of the grid's dataset and
// class (all 100 for a grid without a class), as the range a sample's D is read against.
const realScores = new Map(); // "dataset/class" -> Promise<sorted scores>

function realScoresOf(dataset, cls) {
  const key = `${dataset}/${cls}`;
  if (!realScores.has(key)) {
    const p = (async () => {
      const all = await testImages(dataset);
      const images = cls === 'none' ? all : all.subarray(cls * 7840, (cls + 1) * 7840); // image i has class i / 10
      const scores = [];
      const most = vocab.ranges.n.max * 784; // as many images as one request may hold
      for (let at = 0; at < images.length; at += most) {
        const part = images.slice(at, at + most);
        const { out } = await engineCall([`gan-${dataset}`], (w) => w.realness({ dataset, class: cls, images: part }));
        scores.push(...out.scores);
      }
      return scores.sort((a, b) => a - b);
    })();
    p.catch(() => realScores.delete(key));
    realScores.set(key, p);
  }
  return realScores.get(key);
}

async function showRealReference(opts, seq) {
  const el = $('#d-reference');
  const s = await realScoresOf(opts.dataset, opts.class);
  if (seq !== gridSeq) return;
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))].toFixed(2);
  const what = opts.class === 'none' ? 'the 100 real test images' : `the 10 real test images of class ${opts.class}`;
  el.textContent = `D of ${what}: median ${q(0.5)}, middle half ${q(0.25)}–${q(0.75)}, range ${s[0].toFixed(2)}–${s[s.length - 1].toFixed(2)}.`;
  el.hidden = false;
}

export async function startMain(opts, start) {
  gridSeq++;
  const timing = $('#timing');
  const before = timing.textContent;
  timing.textContent = 'denoising… (the steps are below)';
  try {
    return await mainPlayer.start(opts, start);
  } catch (e) {
    timing.textContent = before; // the grid goes back to the samples it showed
    if (gridResult) redrawGrid();
    else clearCanvas($('#grid'));
    throw e;
  }
}

/// Generates what the controls describe into #grid.
export function generatePage() {
  const opts = optionsFor(f.family.value);
  if (opts.family === 'diffusion') return track(attempt('generate', "Couldn't generate", () => startMain(opts, { kind: 'noise' })));
  cancelRun(); // a diffusion run would draw over these samples
  if (!gridResult || gridResult.opts.family !== opts.family) $('#timing').textContent = 'generating…';
  return gridJob(opts, ++gridSeq);
}

export function showGrid(opts, out) {
  gridResult = { opts, out };
  $('#d-reference').hidden = true; // until the reference of these samples' dataset and class is in
  walk.a = walk.b = null;
  vae.selected = null;
  for (const id of [...WALKS.flatMap((w) => [`#${w}-a`, `#${w}-b`]), '#vae-sample']) {
    $(id).value = '';
    $(id).max = String(out.n);
  }
  for (const w of WALKS) clearCanvas($(`#${w}-interp`));
  clearCanvas($('#vae-edit'));
  $('#vae-latents').replaceChildren();
  $('#vae-reset').disabled = true;
  $('#inpaint-use-grid').disabled = false;
  $('#grid-reading').textContent = '';
  redrawGrid();
  track(readGrid(gridResult));
}

/// The classifier's reading of the grid: a label under each sample (the GAN's keep its D) and a line on
/// the class asked for, or on all the visitor's unconditional samples so far.
async function readGrid(result) {
  const { opts, out } = result;
  let reading;
  try {
    reading = await classify(opts.dataset, out.pixels);
  } catch (e) {
    if (result === gridResult) $('#grid-reading').textContent = `no classifier reading: ${errorText(e)}`;
    return;
  }
  if (result !== gridResult) return;
  result.reading = reading;
  $('#grid-reading').textContent =
    opts.class === 'none' ? tallyText(tally(opts.dataset, opts.family, JSON.stringify(opts), reading)) : agreement(reading, opts.class);
  redrawGrid();
}

export function redrawGrid() {
  const { opts, out } = gridResult;
  const marks = new Map();
  if (walk.a != null) marks.set(walk.a, { color: '#ffb000', text: 'A' });
  if (walk.b != null) marks.set(walk.b, { color: '#00c8ff', text: 'B' });
  if (vae.selected != null) marks.set(vae.selected, { color: '#ffb000', text: '✎' });
  const labels = out.scores ? scoreLabels(out.scores) : gridResult.reading && readingLabels(gridResult.reading);
  drawGrid($('#grid'), out, { labels, marks });
  $('#grid').setAttribute('aria-label', `${out.n} ${opts.family} samples`);
}

function scoreLabels(scores) {
  return Array.from(scores, (s) => `D ${s.toFixed(2)}`);
}

/// The latent code of grid sample i (GAN and VAE grids carry them; a diffusion grid its starting noise).
export function latentOf(i) {
  const { out } = gridResult;
  if (!out.latents) throw new Error('these samples came without latent codes');
  const size = out.latent || out.latents.length / out.n;
  return out.latents.slice(i * size, (i + 1) * size);
}

/// A grid index typed into a "sample #" input, or null.
export function typedIndex(input) {
  const i = input.valueAsNumber - 1;
  return gridResult && Number.isInteger(i) && i >= 0 && i < gridResult.out.n ? i : null;
}

export function selectSample(i) {
  if (!gridResult) return;
  if (WALKS.includes(gridResult.opts.family)) {
    if (walk.a == null || walk.b != null) [walk.a, walk.b] = [i, null];
    else walk.b = i;
    updateWalk();
  }
  if (gridResult.opts.family === 'vae') selectVae(i);
}

/// `frames` images between two latent codes, drawn as a strip (with D for the GAN). `opts`: the request the
/// codes came from (a diffusion walk runs its sampler from every code).
export async function interpolateInto(canvas, opts, from, to, stillWanted) {
  const { out } = await engineCall([`${opts.family}-${opts.dataset}`], (w) => w.interpolate({ ...opts, from, to, frames: 8 }));
  if (!stillWanted()) return;
  drawGrid(canvas, out, { cols: 8, fit: 640, labels: out.scores && scoreLabels(out.scores) });
  reveal(canvas.closest('figure') || canvas); // the walk (with its caption) is what the two clicks asked for
}

// --- play: latent walks (GAN codes, diffusion starting noise) ------------------------------------------

export const WALKS = ['gan', 'diffusion']; // the families whose grid has a walk between two samples
export const walk = { a: null, b: null }; // the two selected grid samples

// Each family's walk reports in its own panel.
const walkJobs = Object.fromEntries(
  WALKS.map((family) => [
    family,
    job(`${family}-walk`, "Couldn't interpolate", (seq, a, b) =>
      interpolateInto($(`#${family}-interp`), gridResult.opts, latentOf(a), latentOf(b), () => seq === gridSeq),
    ),
  ]),
);

export function updateWalk() {
  const family = gridResult.opts.family;
  $(`#${family}-a`).value = walk.a == null ? '' : String(walk.a + 1);
  $(`#${family}-b`).value = walk.b == null ? '' : String(walk.b + 1);
  redrawGrid();
  if (walk.a != null && walk.b != null) walkJobs[family](gridSeq, walk.a, walk.b);
  else clearCanvas($(`#${family}-interp`));
}

/// The grid's player (the main diffusion run and its scrubber), clicks on samples, the walks' inputs.
export function setUpPlay() {
  mainPlayer = new Player($('[data-player="main"]'), '', {
    what: 'run',
    // The grid shows the run in progress (its x̂0 previews), never the samples of what was shown before.
    onPreview: (images) => {
      drawGrid($('#grid'), images);
      $('#grid').setAttribute('aria-label', `preview of ${images.n} diffusion samples in progress`);
    },
    onResult: (live) => {
      showGrid(live.opts, live.images);
      $('#timing').textContent = timingText(live.images.n, live.ms, live.engine.backend);
      if (linkFrame != null) mainPlayer.scrubTo(linkFrame);
      setLinkFrame(null);
      syncLink();
    },
  });
  // The run's progress and Cancel sit under the grid it fills, not with the scrubber further down.
  $('#grid-run').append(mainPlayer.progress.parentElement);
  $('#grid').addEventListener('click', (e) => {
    const i = cellAt($('#grid'), e);
    if (i >= 0) selectSample(i);
  });
  keyboardCells($('#grid'), $('#cell-live'), selectSample);
  for (const family of WALKS) {
    for (const end of ['a', 'b']) {
      $(`#${family}-${end}`).addEventListener('change', () => {
        walk[end] = typedIndex($(`#${family}-${end}`));
        if (gridResult && gridResult.opts.family === family) updateWalk();
      });
    }
  }
  addDownload($('#grid'), () => fileName('samples'));
  for (const family of WALKS) addDownload($(`#${family}-interp`), () => fileName('interpolation', family));
}
