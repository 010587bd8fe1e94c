// The controls, the page's state and its share link.
import { showClassButton } from './compare.js';
import { $, setRange } from './dom.js';
import { mainPlayer } from './play.js';
import { sharedSpeed } from './speed.js';
import { trainLink } from './train.js';
import { backendOptions, bindings, classNames, datasetOf, vocab } from './vocab.js';

/// The controls take their ranges from the vocabulary; a slider with `data-span` shows only up to that
/// (a link's larger value still widens it, see setRange).
export function applyVocabulary() {
  for (const [name, range] of Object.entries(vocab.ranges)) {
    const input = document.querySelector(`input[name="${name}"]`);
    if (!input) continue;
    input.min = String(range.min);
    input.max = String(Math.min(range.max, Number(input.dataset.span ?? Infinity)));
  }
  for (const [select, names] of [[f.family, vocab.families], [f.dataset, vocab.datasets.map((d) => d.name)], [f.sampler, vocab.samplers]]) {
    const missing = [...select.options].map((o) => o.value).filter((v) => !names.includes(v));
    if (missing.length) throw new Error(`the page offers ${missing.join(', ')}, which this build of the engine lacks`);
  }
  f.backend.replaceChildren(...backendOptions());
  followDataset();
  form.classList.remove('starting');
}

export let form = null;
export let f = null; // form.elements: the controls by name
export let view = 'play';
export let linkFrame = null; // the step the link asks the scrubber to show once the first run is done

export function bindForm(el) {
  form = el;
  f = el.elements;
}

export function setLinkFrame(step) {
  linkFrame = step;
}

export function classValue(value) {
  return value === 'none' ? 'none' : Number(value);
}

/// The generate options of the controls for `family` (its own knobs only).
export function optionsFor(family) {
  const o = { family, dataset: f.dataset.value, class: classValue(f.class.value), seed: f.seed.valueAsNumber, n: f.n.valueAsNumber };
  if (family === 'gan') o.truncation = Number(f.truncation.value);
  if (family === 'vae') o.temperature = Number(f.temperature.value);
  if (family === 'diffusion') {
    Object.assign(o, { sampler: f.sampler.value, steps: Number(f.steps.value), eta: Number(f.eta.value), guidance: Number(f.guidance.value) });
  }
  return o;
}

/// The page's state under the share link's names.
export function currentState() {
  const o = { ...optionsFor('diffusion'), truncation: Number(f.truncation.value), temperature: Number(f.temperature.value) };
  const frame = f.family.value !== 'diffusion' ? null : linkFrame ?? (mainPlayer ? mainPlayer.frameFor(o) : null);
  return { view, ...o, family: f.family.value, frame, t: Number($('#forward-t').value), strength: Number($('#strength').value) };
}

/// Sets the controls from a (partial) state.
export function applyState(s) {
  if ('dataset' in s && s.dataset !== f.dataset.value) {
    f.dataset.value = s.dataset;
    followDataset(); // (a guidance in the state is set below)
  }
  for (const name of ['family', 'sampler']) if (name in s) f[name].value = s[name];
  if ('class' in s) f.class.value = String(s.class);
  for (const name of ['seed', 'n']) if (name in s) f[name].value = String(s[name]);
  for (const name of ['truncation', 'temperature', 'steps', 'eta', 'guidance']) if (name in s) setRange(f[name], s[name]);
  if ('t' in s) setRange($('#forward-t'), s.t);
  if ('strength' in s) setRange($('#strength'), s.strength);
  if ('view' in s) setView(s.view);
  syncControls();
}

/// The query of a link to the page: its state, and the speed result it shows from a link, if any.
export function linkQuery() {
  if (view === 'train') return trainLink; // the training set-up's own fields (train.js)
  return bindings.encodeLink(currentState()) + (sharedSpeed ? `&${bindings.encodeSpeedLink(sharedSpeed)}` : '');
}

/// Writes the current state into the address bar.
export function syncLink() {
  if (!bindings) return;
  try {
    history.replaceState(history.state, '', location.pathname + linkQuery() + location.hash);
  } catch (e) {
    // A half-typed number: the link catches up once the state is valid again.
  }
}

let datasetShown = null; // the dataset the class menu and the guidance were last set for

/// The guidance on switching from dataset `from` to `to`: one still at `from`'s default takes `to`'s (each
/// dataset's diffusion model has its own, see the vocabulary), one the visitor chose stays.
function guidanceOnSwitch(from, to, guidance) {
  return from !== to && Number(guidance) === datasetOf(from).guidance ? datasetOf(to).guidance : Number(guidance);
}

/// The controls' diffusion options under `opts` (a call's, its dataset a known one): another dataset named
/// without a guidance takes the one the controls would take on switching to it.
export function diffusionOptionsWith(opts) {
  const c = optionsFor('diffusion');
  return { ...c, guidance: guidanceOnSwitch(c.dataset, opts.dataset ?? c.dataset, c.guidance), ...opts };
}

/// The controls that follow the dataset: the class menu and the guidance.
export function followDataset() {
  const now = f.dataset.value;
  if (datasetShown) setRange(f.guidance, guidanceOnSwitch(datasetShown, now, f.guidance.value));
  datasetShown = now;
  setClassOptions();
}

function setClassOptions() {
  const keep = f.class.value;
  const names = classNames(f.dataset.value);
  const label = (name, i) => (name === String(i) ? name : `${i}: ${name}`);
  f.class.replaceChildren(new Option('none (unconditional)', 'none'), ...names.map((name, i) => new Option(label(name, i), String(i))));
  f.class.value = keep;
}

/// Shows what the view and family need, and moves the drawing pad to the visible family's panel.
export function syncControls() {
  const family = f.family.value;
  for (const fs of form.querySelectorAll('fieldset[data-family]')) {
    fs.hidden = view === 'speed' || (view === 'play' && fs.dataset.family !== family);
  }
  for (const el of form.querySelectorAll('[data-hide-in]')) el.hidden = el.dataset.hideIn.split(' ').includes(view);
  for (const panel of document.querySelectorAll('.panel[data-family]')) panel.hidden = panel.dataset.family !== family;
  f.steps.disabled = f.sampler.value === 'ddpm';
  f.eta.disabled = f.sampler.value !== 'ddim'; // DDPM is η = 1, DPM-Solver++ deterministic
  const generate = $('#generate');
  generate.hidden = view === 'speed';
  generate.textContent = view === 'compare' ? 'Compare' : 'Generate';
  $('#grid-run').hidden = family !== 'diffusion';
  const slot = $(`[data-pad-slot="${family}"]`);
  if (slot && !slot.contains($('#pad'))) slot.append($('#pad'));
  if (vocab) showClassButton(); // (the controls are wired before the vocabulary is in)
}

export function setView(name) {
  view = name;
  document.body.dataset.view = name; // narrow screens put the race above the controls
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === name));
    tab.tabIndex = tab.dataset.view === name ? 0 : -1; // one tab stop; the arrow keys move between tabs
  }
  for (const v of vocab.views) $(`#view-${v}`).hidden = v !== name;
  syncControls();
}

export function fileName(what, family = f.family.value) {
  return `trilemma-${what}-${family}-${f.dataset.value}-seed${f.seed.value}.png`;
}
