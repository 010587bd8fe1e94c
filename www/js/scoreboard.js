// The Compare view's scoreboard: models/scoreboard.json as a table and class histograms.
import { errorText, track } from './async.js';
import { cssColor, drawColumns } from './charts.js';
import { $, h } from './dom.js';
import { attempt } from './notices.js';
import { drawLines } from './plot.js';
import { f } from './state.js';
import { fetchBytes } from './weights.js';
import { classNames, datasetOf } from './vocab.js';
import { showYours } from './yours.js';

let scoreboard = null; // promise of models/scoreboard.json

export function loadScoreboard() {
  if (!scoreboard) {
    scoreboard = fetchBytes('models/scoreboard.json').then((bytes) => JSON.parse(new TextDecoder().decode(bytes)));
    scoreboard.catch(() => (scoreboard = null)); // try again next time
  }
  return scoreboard;
}

// The models/scoreboard.json schema this page reads (src/eval/scoreboard.rs documents it).
const SCOREBOARD_SCHEMA = 2;

export function showScoreboard() {
  return track(attempt('scoreboard', "Couldn't show the scoreboard", renderScoreboard));
}

async function renderScoreboard() {
  const dataset = f.dataset.value;
  const status = $('#scoreboard-status');
  $('#scoreboard-dataset').textContent = datasetOf(dataset).title;
  let data, board;
  try {
    data = await loadScoreboard();
    if (data.schema !== SCOREBOARD_SCHEMA) throw new Error(`schema ${data.schema} (this page reads ${SCOREBOARD_SCHEMA})`);
    board = data.datasets.find((b) => b.dataset === dataset);
    if (!board) throw new Error(`it has no rows for ${dataset}`);
  } catch (e) {
    status.textContent = `Couldn't load the scoreboard (models/scoreboard.json): ${errorText(e)}`;
    $('#scoreboard-table').replaceChildren();
    $('#histograms').replaceChildren();
    return;
  }
  if (dataset !== f.dataset.value) return; // the dataset changed while loading
  const accuracy = board.classifier.test_accuracy;
  status.textContent = `${board.test_images} test images; features of ${board.classifier.file}${accuracy ? ` (${(100 * accuracy).toFixed(2)}% test accuracy)` : ''}.`;
  $('#scoreboard-space').textContent = `Feature space: ${data.feature_space}`;
  const fixed = (digits) => (v) => (v == null ? '' : v.toFixed(digits));
  const columns = [
    ['row', (r) => r.label],
    ['n', (r) => (r.unconditional && r.unconditional.n !== r.conditional.n ? `${r.conditional.n} (uncond. ${r.unconditional.n})` : String(r.conditional.n))],
    // No-break spaces keep "2.08 ± 0.06" on one line.
    ['FID ± SE ↓', (r) => `${fixed(2)(r.conditional.fid)}\u00a0±\u00a0${fixed(2)(r.conditional.fid_se)}`],
    ['precision ↑', (r) => fixed(3)(r.conditional.precision)],
    ['recall ↑', (r) => fixed(3)(r.conditional.recall)],
    ['class accuracy ↑', (r) => fixed(3)(r.conditional.accuracy)],
    ['uncond. classes ≥ 5%', (r) => (r.unconditional ? String(r.unconditional.classes_covered) : '')],
    ['ms / sample', (r) => fixed(2)(r.speed && r.speed.ms_per_sample)],
  ];
  $('#scoreboard-table').replaceChildren(
    h('thead', {}, h('tr', {}, ...columns.map(([name]) => h('th', { textContent: name, scope: 'col' })))),
    h(
      'tbody',
      {},
      ...board.rows.map((r) => {
        const tr = h('tr', {}, ...columns.map(([, cell]) => h('td', { textContent: cell(r) })));
        tr.dataset.model = r.model;
        return tr;
      }),
    ),
  );
  // The models' histograms and the real images' for reference, on one scale so heights compare.
  const rows = board.rows.filter((r) => r.unconditional && (r.model !== 'reference' || r.id === 'train'));
  const max = Math.max(0.2, ...rows.flatMap((r) => r.unconditional.histogram));
  const names = classNames(dataset);
  $('#histogram-classes').textContent = names.every((name, i) => name === String(i)) ? 'classes: the digits 0–9' : `classes: ${names.map((name, i) => `${i} ${name}`).join(' · ')}`;
  $('#histograms').replaceChildren(
    ...rows.map((r) => {
      const canvas = h('canvas', { className: 'chart' });
      canvas.setAttribute('aria-label', `class shares of ${r.label}: ${r.unconditional.histogram.map((v) => `${Math.round(100 * v)}%`).join(', ')}`);
      drawColumns(canvas, r.unconditional.histogram, { max, labels: names.map((_, i) => i), reference: 0.1, width: 220, height: 90, color: cssColor(r.model === 'reference' ? '--muted' : `--${r.model}`) });
      return h('figure', {}, canvas, h('figcaption', { textContent: `${r.label}: ${r.unconditional.classes_covered} classes ≥ 5%` }));
    }),
  );
  drawFidSteps(board);
  showYours(dataset);
}

/// FID against sampling steps (log scale): DDIM without guidance, DPM-Solver++ at the dataset's guidance,
/// and the main row (its own sampler and steps, the same guidance) and DDPM 1000 as single points, each with
/// its error bar.
function drawFidSteps(board) {
  const point = (r) => ({ x: r.knobs.steps, y: r.conditional.fid, se: r.conditional.fid_se });
  const rows = (test) => board.rows.filter((r) => r.model === 'diffusion' && r.knobs && test(r.knobs, r)).map(point);
  const color = (name) => cssColor(name);
  const main = board.rows.find((r) => r.id === 'diffusion');
  const series = [
    { label: 'DDIM, no guidance', color: color('--muted'), points: rows((k, r) => r.sweep && k.sampler === 'ddim' && k.guidance === 0 && r.id.startsWith('diffusion-steps')) },
    { label: 'DPM-Solver++', color: color('--diffusion'), points: rows((k, r) => r.sweep && k.sampler === 'dpmpp'), dy: 14 },
    { label: main ? `${main.knobs.sampler} ${main.knobs.steps} (main)` : 'main', color: color('--accent'), points: rows((k, r) => r === main), dy: -10 },
    { label: 'DDPM', color: color('--gan'), points: rows((k) => k.sampler === 'ddpm') },
  ].filter((s) => s.points.length);
  const svg = $('#fid-steps');
  drawLines(svg, series, { xLabel: 'sampling steps (log scale)', yLabel: 'FID ↓', xMin: 8, xMax: 1200, xTicks: [10, 25, 50, 100, 250, 1000] });
  svg.setAttribute('aria-label', `FID against steps: ${series.map((s) => `${s.label} ${s.points.map((p) => `${p.x} steps ${p.y.toFixed(2)}`).join(', ')}`).join('; ')}`);
}
