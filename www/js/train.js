// The Train view: GAN, VAE and diffusion learning the same 2-D data side by side, live, each in its own
// worker (train-client.js); the page keeps the set-up (as the training module's link fields), plays the
// steps at the asked rate and draws what comes back (train-draw.js, charts.js).
import { errorText, makeLock } from './async.js';
import { cssColor, drawCurves } from './charts.js';
import { $ } from './dom.js';
import { setNotice } from './notices.js';
import { syncLink } from './state.js';
import { familiesOf, familyWorkers, firstWorker } from './train-client.js';
import { drawData, drawFamily } from './train-draw.js';
import { backendOptions } from './vocab.js';

const form = $('#train-controls');
const TICK_MS = 100; // one round of steps per tick; the pictures at most every PICTURE_MS
const PICTURE_MS = 150;

let tv = null; // the training module's vocabulary
let fields = null; // the set-up, as link fields (checked by the module)
let drawing = []; // a drawing's points, flat [x, y, …]
let backend = 'cpu';
let pool = []; // the workers, one per family of the set-up
let series = {}; // family -> {loss, second, measures, picture}
let step = 0;
let running = false;
let looping = false; // a round of the loop is still in flight (it ends the round it started)
let generation = 0; // bumped by every reset: a loop of an older set-up stops
let data = new Float32Array(); // data points drawn behind every family
let rate = { steps: 0, since: 0, shown: 0 };

/// The Train view's link query ('?view=train&…'), kept current as the set-up changes.
export let trainLink = '?view=train';

const families = () => familiesOf(fields);
const total = () => Number(fields.steps);

function status(text) {
  $('#train-status').textContent = text;
}

/// The controls from the module's vocabulary: menus, ranges, defaults.
function buildControls() {
  form.data.replaceChildren(...tv.shapes.map(({ name, label }) => new Option(label, name)));
  form.objective.replaceChildren(...tv.objectives.map(({ name, label }) => new Option(label, name)));
  form.backend.replaceChildren(...backendOptions());
  $('#train-t').value = String(tv.fieldT);
  for (const [name, r] of Object.entries(tv.ranges)) {
    const input = form[name];
    if (!input) continue;
    input.min = String(r.min);
    input.max = String(r.max);
    if (r.whole) input.step = '1';
  }
}

function showFields() {
  for (const name of tv.fields) if (form[name] && name !== 'families') form[name].value = fields[name];
  form.backend.value = backend;
  const t = $('#train-t');
  t.max = fields.timesteps;
  if (Number(t.value) > Number(fields.timesteps)) t.value = fields.timesteps;
  $('#train-t-value').textContent = t.value;
  const drawn = fields.data === tv.drawn;
  $('#train-clear').hidden = !drawn;
  $('#train-data').classList.toggle('drawable', drawn);
  $('#train-draw-info').textContent = drawn
    ? `${drawing.length / 2} points (${tv.minPoints}–${tv.maxPoints}): click or drag to add`
    : '';
  for (const fig of document.querySelectorAll('#view-train figure[data-family]')) fig.hidden = !families().includes(fig.dataset.family);
}

/// The set-up the controls describe, checked by the module; a bad value keeps the last good set-up.
async function readControls() {
  const asked = {};
  for (const name of tv.fields) if (form[name] && name !== 'families') asked[name] = form[name].value;
  asked.families = fields.families;
  if (asked.data === tv.drawn) asked.points = pairs(drawing);
  const first = await firstWorker();
  try {
    fields = await first.call('checkSetup', { fields: asked });
    setNotice('train', '');
  } catch (e) {
    setNotice('train', `Train: ${errorText(e)}`);
    return false;
  }
  backend = form.backend.value;
  trainLink = `?${await first.call('encodeLink', { fields: withPoints() })}`;
  syncLink();
  return true;
}

function pairs(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

function withPoints() {
  return fields.data === tv.drawn ? { ...fields, points: pairs(drawing) } : fields;
}

/// Starts the set-up over: fresh networks in every family's worker, empty curves, step 0. It holds the
/// rounds' lock while the workers start, so no round reaches a trainer of the old set-up under the new one.
async function reset({ play = true } = {}) {
  running = false;
  const gen = await oneRound(async () => {
    const g = ++generation;
    step = 0;
    series = Object.fromEntries(families().map((fam) => [fam, { loss: [], second: [], measures: [], picture: null }]));
    showFields();
    const first = await firstWorker();
    data = await first.call('dataPoints', { fields: withPoints() });
    drawData($('#train-data'), data, { extent: tv.extent, size: planeSize() });
    status('starting…');
    pool = await familyWorkers(families().length);
    await Promise.all(families().map((family, i) => pool[i].call('start', { backend, family, fields: withPoints() })));
    return g;
  });
  if (gen !== generation) return;
  enableStepping(true);
  await advance(0, gen);
  if (play) setRunning(true);
}

let workingBackend = 'cpu'; // the backend of the last set-up that started

/// `reset`, with its failure told: a backend that could not start gives way to the one that last worked.
async function restart(opts) {
  try {
    await reset(opts);
    workingBackend = backend;
  } catch (e) {
    status('');
    setNotice('train', `Train: ${errorText(e)}`);
    if (backend !== workingBackend) {
      backend = workingBackend;
      form.backend.value = backend;
      await restart({ play: false });
    }
  }
}

/// Play and one step work once a set-up has started (not while a drawing is too small to train on).
function enableStepping(on) {
  $('#train-play').disabled = !on;
  $('#train-step').disabled = !on;
}

// One round at a time: a round asks for the curves from where the last one ended.
const oneRound = makeLock();

/// One round: every family takes `k` steps (the same for all), the page absorbs the curves and, when a
/// picture is due or `picture` is set, the pictures.
function advance(k, gen, picture = true) {
  return oneRound(() => round(k, gen, picture));
}

async function round(k, gen, picture) {
  const t = Number($('#train-t').value);
  const answers = await Promise.all(
    families().map((fam, i) => pool[i].call('advance', { steps: k, from: series[fam].loss.length, t: picture ? t : undefined })),
  );
  if (gen !== generation) return;
  families().forEach((fam, i) => {
    const s = series[fam];
    const a = answers[i];
    s.loss.push(...a.loss);
    s.second.push(...a.second);
    // A measure once: a round from step 0 hands back the step-0 measure again.
    s.measures.push(...a.measures.filter((m) => !s.measures.length || m.step > s.measures.at(-1).step));
    if (a.picture) s.picture = a.picture;
  });
  step = answers[0].step;
  if (picture) draw();
}

async function loop(gen) {
  if (looping) return; // the running loop goes on
  looping = true;
  try {
    await rounds(gen);
  } finally {
    looping = false;
    // A reset while this loop slept: it ended without playing the new set-up, which is asked to play.
    if (running && gen !== generation) loop(generation);
  }
}

async function rounds(gen) {
  let lastPicture = 0;
  rate = { steps: 0, since: performance.now(), shown: 0 };
  while (running && gen === generation && step < total()) {
    if ($('#view-train').hidden) break; // another view: training pauses
    const started = performance.now();
    const perSecond = Number(fields.rate);
    const k = Math.max(1, Math.min(Math.round((perSecond * TICK_MS) / 1000), total() - step));
    const picture = started - lastPicture >= PICTURE_MS || step + k >= total();
    try {
      await advance(k, gen, picture);
    } catch (e) {
      setNotice('train', `Train: ${errorText(e)}`);
      break;
    }
    if (picture) lastPicture = performance.now();
    rate.steps += k;
    const elapsed = performance.now() - rate.since;
    if (elapsed > 1000) rate = { steps: 0, since: performance.now(), shown: (rate.steps * 1000) / elapsed };
    status(`step ${step.toLocaleString('en')} of ${total().toLocaleString('en')}${rate.shown ? ` · ${rate.shown.toFixed(0)} steps/s` : ''}`);
    const wait = (k * 1000) / perSecond - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  if (gen === generation) setRunning(false, step >= total() ? `done: ${total().toLocaleString('en')} steps` : undefined);
}

function setRunning(on, why) {
  running = on && step < total();
  $('#train-play').textContent = running ? 'pause' : 'play';
  $('#train-play').setAttribute('aria-pressed', String(running));
  if (running) loop(generation);
  else status(why || `paused at step ${step.toLocaleString('en')}`);
}

const LABELS = { gan: 'GAN', vae: 'VAE', diffusion: 'Diffusion' };

/// The planes' side: two to a row on a phone, four on a wide screen.
function planeSize() {
  const width = $('#view-train').clientWidth;
  return Math.min(240, width < 560 ? Math.floor((width - 16) / 2) : width - 16);
}

/// Every family's plane and loss curve, and the shared measures.
function draw() {
  const size = planeSize();
  const drawn = fields.data === tv.drawn;
  drawData($('#train-data'), drawn ? Float32Array.from(drawing) : data, { extent: tv.extent, size, ...(drawn ? { color: cssColor('--accent') } : {}) });
  for (const fam of families()) {
    const s = series[fam];
    drawFamily($(`#train-${fam}`), { family: fam, picture: s.picture, data, vocab: tv, size });
    const [main, second] = tv.lossNames[fam];
    const curves = [{ label: main, color: cssColor(`--${fam}`), values: thin(s.loss) }];
    if (second) curves.push({ label: second, color: cssColor('--muted'), values: thin(s.second), dashed: true });
    drawCurves($(`#loss-${fam}`), curves, { xMax: Math.max(step, 1), width: size, height: 120, yLabel: 'loss' });
  }
  const measure = (key, opts) =>
    drawCurves(
      $(`#train-${key}`),
      families().map((fam) => ({
        label: LABELS[fam],
        color: cssColor(`--${fam}`),
        values: series[fam].measures.filter((m) => m[key] != null).map((m) => [m.step, m[key]]),
      })),
      { xMax: Math.max(step, 1), width: 300, height: 160, ...opts },
    );
  const modes = tv.modes[fields.data];
  for (const id of ['modes', 'highQuality']) $(`#train-${id}`).hidden = !modes;
  if (modes) {
    measure('modes', { yMin: 0, yMax: modes, yLabel: `modes covered (of ${modes})` });
    measure('highQuality', { yMin: 0, yMax: 1, yLabel: `high-quality share (within ${tv.highQualitySigmas}σ)` });
  }
  measure('distance', { yMin: 0, yLabel: 'energy distance to held-out data' });
  $('#train-read').textContent = reading();
}

/// At most ~600 points of a curve, as [step, value] (step 1 is the first).
function thin(values) {
  const every = Math.max(1, Math.ceil(values.length / 600));
  const out = [];
  for (let i = 0; i < values.length; i += every) out.push([i + 1, values[i]]);
  return out;
}

/// The last measures in words.
function reading() {
  return families()
    .map((fam) => {
      const m = series[fam].measures.at(-1);
      if (!m) return '';
      const modes = m.modes != null ? `${m.modes} modes, ${(100 * m.highQuality).toFixed(0)}% high quality, ` : '';
      return `${LABELS[fam]}: ${modes}distance ${m.distance.toFixed(3)} (step ${m.step})`;
    })
    .filter(Boolean)
    .join(' · ');
}

/// A click or drag on the data panel adds points to a drawing.
function setUpDrawing() {
  const canvas = $('#train-data');
  let down = false;
  const add = (e) => {
    if (fields.data !== tv.drawn) return;
    if (drawing.length / 2 >= tv.maxPoints) {
      setNotice('train', `Train: a drawing holds at most ${tv.maxPoints} points (so it fits in a share link).`);
      return;
    }
    const r = canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * 2 * tv.extent - tv.extent;
    const y = tv.extent - ((e.clientY - r.top) / r.height) * 2 * tv.extent;
    drawing.push(x, y);
    drawData(canvas, Float32Array.from(drawing), { extent: tv.extent, color: cssColor('--accent'), size: planeSize() });
    $('#train-draw-info').textContent = `${drawing.length / 2} points (${tv.minPoints}–${tv.maxPoints}): click or drag to add`;
  };
  canvas.addEventListener('pointerdown', (e) => {
    down = true;
    canvas.setPointerCapture(e.pointerId);
    add(e);
  });
  canvas.addEventListener('pointermove', (e) => down && add(e));
  canvas.addEventListener('pointerup', async () => {
    if (!down) return;
    down = false;
    if (fields.data === tv.drawn && drawing.length / 2 >= tv.minPoints && (await readControls())) await restart();
  });
  $('#train-clear').addEventListener('click', () => {
    drawing = [];
    drawData(canvas, new Float32Array(), { extent: tv.extent, size: planeSize() });
    showFields();
  });
}

let setUp = null;

/// Opens the view: the first time, loads the training module and the link's set-up; then plays.
export async function enterTrain() {
  if (!setUp) setUp = firstTime();
  try {
    await setUp;
  } catch (e) {
    setUp = null;
    status('');
    setNotice('train', `The training module could not start: ${errorText(e)}`);
    return;
  }
  if (!running && step < total()) setRunning(true);
}

async function firstTime() {
  status('loading the training module…');
  const first = await firstWorker();
  tv = first.vocabulary;
  buildControls();
  const decoded = await first.call('decodeLink', { query: location.search });
  setNotice('train-link', decoded.notices.map((n) => `Share link: ${n}`).join('\n'));
  fields = decoded.fields;
  drawing = Array.from(decoded.drawing);
  trainLink = `?${await first.call('encodeLink', { fields: withPoints() })}`;
  syncLink();
  await reset({ play: false });
  // Listeners once the first set-up has started: a failed first start attaches none (enterTrain retries).
  form.addEventListener('change', async (e) => {
    if (e.target.name === 'data' && e.target.value === tv.drawn && drawing.length / 2 < tv.minPoints) {
      // A drawing starts empty: the set-up changes once it has enough points; until then nothing trains.
      generation++;
      running = false;
      fields = { ...fields, data: tv.drawn };
      enableStepping(false);
      showFields();
      status(`draw at least ${tv.minPoints} points on the data panel`);
      return;
    }
    if (await readControls()) await restart();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  $('#train-t').addEventListener('input', () => {
    $('#train-t-value').textContent = $('#train-t').value;
    if (!running) advance(0, generation).catch(() => {});
  });
  $('#train-play').addEventListener('click', () => setRunning(!running));
  $('#train-step').addEventListener('click', async () => {
    setRunning(false);
    try {
      if (step < total()) await advance(1, generation);
    } catch (e) {
      setNotice('train', `Train: ${errorText(e)}`);
    }
    status(`paused at step ${step.toLocaleString('en')}`);
  });
  $('#train-reset').addEventListener('click', () => restart({ play: false }));
  setUpDrawing();
}

/// The Train view's state for the API and tests: the set-up, the step, the curves and the measures.
export function trainState() {
  return { fields: fields && withPoints(), step, running: running || looping, series };
}
