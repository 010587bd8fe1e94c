// The Play view's VAE panel: latent sliders, the encoder (a drawing or a test image), interpolation.
import { addDownload, clearCanvas, drawGrid } from './canvas.js';
import { drawColumns } from './charts.js';
import { $, bindRange, h, reveal } from './dom.js';
import { engineCall } from './engine.js';
import { job } from './notices.js';
import { Picker } from './picker.js';
import { gridResult, gridSeq, interpolateInto, latentOf, redrawGrid, typedIndex } from './play.js';
import { Sketch } from './sketch.js';
import { classValue, f, fileName, view } from './state.js';
import { classNames } from './vocab.js';
import { testImages } from './weights.js';

export const vae = { selected: null, code: null, original: null }; // the grid sample being edited
export let vaeSource = 'picker'; // what the encoder reads: 'picker' or 'drawing'
let encoding = null; // {mu, sigma, what} of the last encoded image
const vaeEnds = { a: null, b: null }; // encodings chosen as the ends of the interpolation
export let pad = null;
export let vaePicker = null;

export function selectVae(i) {
  vae.selected = i;
  $('#vae-sample').value = String(i + 1);
  vae.original = latentOf(i);
  vae.code = vae.original.slice();
  buildLatentSliders(vae.code.length);
  showCode();
  const { out } = gridResult;
  const size = out.width * out.height;
  drawGrid($('#vae-edit'), { n: 1, width: out.width, height: out.height, pixels: out.pixels.subarray(i * size, (i + 1) * size) }, { fit: 224 });
  $('#vae-reset').disabled = false;
  redrawGrid();
  reveal($('#vae-edit').closest('.row') || $('#vae-edit')); // the editor of the clicked sample
}

function buildLatentSliders(count) {
  const box = $('#vae-latents');
  if (box.children.length === count) return;
  box.replaceChildren(
    ...Array.from({ length: count }, (_, d) => {
      const input = h('input', { type: 'range', min: '-3', max: '3', step: '0.05' });
      const label = h('label', {}, `z${d + 1}`, input, h('output'));
      bindRange(input, {
        format: (v) => v.toFixed(2),
        onInput: (v) => {
          vae.code[d] = v;
          decodeEdit(gridSeq);
        },
      });
      return label;
    }),
  );
}

/// Puts the code on the sliders; the outputs show the exact values (a slider shows at most ±3).
export function showCode() {
  $('#vae-latents')
    .querySelectorAll('input')
    .forEach((input, d) => {
      input.value = String(vae.code[d]);
      input.nextElementSibling.value = vae.code[d].toFixed(2);
    });
}

export const decodeEdit = job('vae', "Couldn't decode", async (seq) => {
  const { opts } = gridResult;
  const latents = vae.code.slice();
  const { out } = await engineCall([`vae-${opts.dataset}`], (w) => w.decode({ family: 'vae', dataset: opts.dataset, class: opts.class, latents }));
  if (seq === gridSeq) drawGrid($('#vae-edit'), out, { fit: 224 });
});

/// Encodes the drawing or the picked test image, whichever was touched last.
export function encodeCurrent() {
  if (view !== 'play' || f.family.value !== 'vae') return;
  const image = vaeSource === 'drawing' ? pad.bytes() : vaePicker.image();
  if (image) encodeJob(image, vaeSource === 'drawing' ? 'your drawing' : vaePicker.describe());
}

const encodeJob = job('encode', "Couldn't encode", async (image, what) => {
  const dataset = f.dataset.value;
  const cls = classValue(f.class.value);
  const { out } = await engineCall([`vae-${dataset}`], (w) => w.encode({ dataset, class: cls, image }));
  encoding = { mu: out.mu, sigma: out.sigma, what };
  $('#vae-source').textContent = `encoded: ${what}${cls === 'none' ? '' : `, as class ${cls}`}`;
  drawGrid($('#vae-recon'), out, { fit: 168 });
  const dims = Array.from(out.mu, (_, d) => d + 1);
  drawColumns($('#vae-musigma'), Array.from(out.mu), { min: -3, max: 3, whiskers: Array.from(out.sigma), labels: dims, width: Math.max(200, 20 * dims.length + 8), height: 140 });
  const row = (cells, tag = 'td') => h('tr', {}, ...cells.map((c) => h(tag, { textContent: c })));
  $('#vae-musigma-table').replaceChildren(
    h('thead', {}, row(['dimension', 'μ', 'σ'], 'th')),
    h('tbody', {}, ...dims.map((d) => row([`z${d}`, out.mu[d - 1].toFixed(3), out.sigma[d - 1].toFixed(3)]))),
  );
  $('#vae-set-a').disabled = $('#vae-set-b').disabled = false;
});

const vaeInterpolation = job('vae-ends', "Couldn't interpolate", (dataset) =>
  interpolateInto($('#vae-interp'), { family: 'vae', dataset, class: classValue(f.class.value) }, vaeEnds.a.mu, vaeEnds.b.mu, () => vaeEnds.a && vaeEnds.b),
);

export function setVaeEnd(which) {
  vaeEnds[which] = { mu: encoding.mu.slice(), what: encoding.what };
  showVaeEnds();
  if (vaeEnds.a && vaeEnds.b) vaeInterpolation(f.dataset.value);
}

export function clearVaeEndpoints() {
  vaeEnds.a = vaeEnds.b = null;
  showVaeEnds();
  clearCanvas($('#vae-interp'));
}

export function showVaeEnds() {
  $('#vae-ab').textContent = `A: ${vaeEnds.a ? vaeEnds.a.what : '—'} · B: ${vaeEnds.b ? vaeEnds.b.what : '—'}`;
}

/// The sample editor, the drawing pad, the test-image picker and the interpolation's ends.
export function setUpVae() {
  $('#vae-sample').addEventListener('change', () => {
    const i = typedIndex($('#vae-sample'));
    if (i != null && gridResult.opts.family === 'vae') selectVae(i);
  });
  $('#vae-reset').addEventListener('click', () => {
    vae.code = vae.original.slice();
    showCode();
    decodeEdit(gridSeq);
  });
  pad = new Sketch($('#pad-canvas'), {
    mode: 'gray',
    width: 2.5,
    onStroke: () => {
      vaeSource = 'drawing';
      encodeCurrent();
    },
  });
  $('#pad-clear').addEventListener('click', () => {
    pad.clear();
    encodeCurrent();
  });
  vaePicker = new Picker($('#vae-picker'), 'vae-picker-', {
    load: testImages,
    classNames,
    onPick: (_, byUser) => {
      if (byUser) vaeSource = 'picker';
      encodeCurrent();
    },
  });
  $('#vae-set-a').addEventListener('click', () => setVaeEnd('a'));
  $('#vae-set-b').addEventListener('click', () => setVaeEnd('b'));
  showVaeEnds();
  addDownload($('#vae-edit'), () => fileName('edited', 'vae'));
  addDownload($('#vae-recon'), () => fileName('reconstruction', 'vae'));
  addDownload($('#vae-interp'), () => fileName('interpolation', 'vae'));
}
