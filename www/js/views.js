// What the views do: on opening, on the main button, on every control.
import { track } from './async.js';
import { compareKey, compareSettings, rerunLane, runCompare } from './compare.js';
import { refreshTools } from './diffusion-tools.js';
import { $ } from './dom.js';
import { setBackend } from './engine.js';
import { attempt, setNotice } from './notices.js';
import { generatePage, gridResult } from './play.js';
import { showScoreboard } from './scoreboard.js';
import { drawSpeedChart } from './speed.js';
import { enterTrain } from './train.js';
import { applyState, f, followDataset, optionsFor, setLinkFrame, syncControls, syncLink, view } from './state.js';
import { clearVaeEndpoints } from './vae.js';
import { bindings, vocab } from './vocab.js';

// Notice sources of the family panels: they go when a family switch hides their panel.
const PANEL_NOTICES = ['gan-walk', 'diffusion-walk', 'vae', 'encode', 'vae-ends', 'forward', 'inpaint', 'img2img', 'frame'];

/// Whether a view may start this diffusion work itself (its cost as the engine counts it, in UNet passes:
/// samples × steps × 2 with guidance): above the vocabulary's limit it waits for a click, so a link cannot
/// set a phone denoising for minutes, and says what pressing the button costs.
function mayStart(o, button) {
  const cost = bindings.runCost(o);
  if (cost.passes <= vocab.limits.askAbovePasses) return true;
  setNotice('work', `These settings ask for ${cost.passes.toLocaleString('en')} UNet passes (${cost.samples} samples × ${cost.steps} steps${cost.guided ? ' × 2 for guidance' : ''}), minutes on a phone: press ${button} to run them.`);
  return false;
}

/// What a view shows when it opens.
export function enterView() {
  if (view === 'play') {
    if (!gridResult && (f.family.value !== 'diffusion' || mayStart(optionsFor('diffusion'), 'Generate'))) generatePage();
    refreshTools();
  } else if (view === 'compare') {
    showScoreboard();
    if (compareKey !== compareSettings() && mayStart(optionsFor('diffusion'), 'Compare')) track(attempt('compare', "Couldn't compare", runCompare));
  } else if (view === 'train') {
    enterTrain();
  } else {
    drawSpeedChart();
  }
}

/// The main action of the view: the Generate (or Compare) button.
export function act() {
  setNotice('work', ''); // a click runs whatever it costs
  if (view === 'play') generatePage();
  else if (view === 'compare') track(attempt('compare', "Couldn't compare", runCompare));
}

export function onControl(name) {
  setLinkFrame(null);
  if (name === 'dataset') {
    followDataset();
    clearVaeEndpoints();
  }
  if (name === 'family') PANEL_NOTICES.forEach((source) => setNotice(source, ''));
  syncControls();
  syncLink();
  if (name === 'backend') {
    track(attempt('backend', "Couldn't switch the backend", () => setBackend(f.backend.value)).then(act));
    return;
  }
  if (view === 'compare') return raceOn(name);
  if (view !== 'play') return;
  const family = f.family.value;
  if (name === 'family' || family !== 'diffusion') generatePage(); // GAN and VAE are quick: follow every change
  else if (gridResult) $('#timing').textContent = 'Settings changed: press Generate.';
  if (['family', 'dataset', 'class', 'seed'].includes(name)) refreshTools();
}

// What a control change reruns in the race: a new seed, class, n or dataset all three families; a GAN or
// VAE knob only its family (one pass: it follows the slider); a diffusion knob nothing until Compare.
const RACE_RERUNS = { dataset: 'all', class: 'all', seed: 'all', n: 'all', truncation: 'gan', temperature: 'vae' };

function raceOn(name) {
  if (name === 'dataset') showScoreboard();
  const which = RACE_RERUNS[name];
  if (which === 'all' && mayStart(optionsFor('diffusion'), 'Compare')) track(attempt('compare', "Couldn't compare", runCompare));
  else if (which) rerunLane[which]();
  else if (name !== 'family') $('#compare-diffusion-time').textContent = 'settings changed: press Compare';
}

/// The controls take the options of a diffusion run that started (from a button or the scripting API).
export function adoptRunOptions(opts) {
  const key = () => ['family', 'dataset', 'class', 'seed'].map((k) => f[k].value).join();
  const before = key();
  applyState({ ...opts, family: 'diffusion' });
  if (key() !== before) refreshTools();
  syncLink();
}
