
import { track } from './async.js';
import { drawGrid } from './canvas.js';
import { $, h } from './dom.js';
import { engineCall } from './engine.js';
import { attempt } from './notices.js';
import { classValue, f, optionsFor } from './state.js';
import { datasetOf, vocab } from './vocab.js';

// The knob of each family and the settings it is shown at on a dataset; the guidance's: off, the dataset's
// default, and strong.
const SWEEPS = [
  { family: 'gan', knob: 'truncation', label: 'GAN truncation ψ', values: () => [0, 0.5, 1] },
  { family: 'vae', knob: 'temperature', label: 'VAE temperature', values: () => [0, 0.5, 1] },
  { family: 'diffusion', knob: 'guidance', label: 'diffusion guidance', values: (dataset) => [0, datasetOf(dataset).guidance, 3] },
];
const SWEEP_N = 8;

async function runSweep() {
  const status = $('#sweep-status');
  const rows = $('#sweep-rows');
  rows.replaceChildren();
  const cls = classValue(f.class.value);
  for (const { family, knob, label, values } of SWEEPS) {
    for (const value of values(f.dataset.value)) {
      status.textContent = `${label} ${value}…`;
      // The knob's value must lie in its range (the vocabulary's), whatever the list above says.
      const range = vocab.ranges[knob];
      if (value < range.min || value > range.max) throw new Error(`${knob} ${value} lies outside ${range.min}–${range.max}`);
      const opts = { ...optionsFor(family), n: SWEEP_N, [knob]: value };
      const { out } = await engineCall([`${family}-${opts.dataset}`], (w) => w.generate(opts));
      const canvas = h('canvas', { className: 'pixels', ariaLabel: `${label} ${value}` });
      canvas.dataset.sweep = `${family}-${value}`;
      rows.append(h('figure', { className: 'sweep-row' }, h('figcaption', { textContent: `${label} = ${value}` }), canvas));
      drawGrid(canvas, out, { cols: SWEEP_N, fit: 560 });
    }
  }
  status.textContent = `seed ${f.seed.value}, class ${cls}: ${SWEEP_N} samples per row`;
}

export function setUpSweep() {
  $('#sweep-run').addEventListener('click', () => track(attempt('sweep', "Couldn't sweep", runSweep)));
}
