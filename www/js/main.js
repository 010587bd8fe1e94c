// trilemma's page: wires the controls and the views, starts the engine, installs the scripting API. All
// tensor work happens in the wasm module (src/web/), run by engine workers (remote.js, worker.js); the page
// moves options in and bytes out, and draws them.
import { installApi } from './api.js';
import { errorText, track } from './async.js';
import { setUpCompare } from './compare.js';
import { forwardJob, refreshTools, setUpDiffusionTools } from './diffusion-tools.js';
import { $, bindRange, copyText } from './dom.js';
import { engine, ready, settleReadyWith, startEngine } from './engine.js';
import { setNotice } from './notices.js';
import { registerServiceWorker } from './offline.js';
import { setUpPlay } from './play.js';
import { setUpSpeedPanel, showSharedSpeed } from './speed.js';
import { applyState, applyVocabulary, bindForm, f, form, setLinkFrame, setView, syncControls, syncLink } from './state.js';
import { setUpSweep } from './sweep.js';
import { setUpVae } from './vae.js';
import { act, enterView, onControl } from './views.js';
import { bindings, loadVocabulary } from './vocab.js';
import { fetchModel, neededModels } from './weights.js';

function wireControls() {
  bindForm($('#controls'));
  for (const name of ['truncation', 'temperature', 'steps', 'eta', 'guidance']) bindRange(f[name]);
  bindRange($('#forward-t'), { onInput: () => (forwardJob(), syncLink()) });
  bindRange($('#strength'), { onInput: syncLink });

  // Sliders and menus act as they move; typed numbers once committed (a half-typed n is no request).
  form.addEventListener('input', (e) => e.target.name && e.target.type !== 'number' && onControl(e.target.name));
  form.addEventListener('change', (e) => e.target.name && e.target.type === 'number' && onControl(e.target.name));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setLinkFrame(null);
    act();
  });
  $('#new-seed').addEventListener('click', () => {
    f.seed.value = String(Math.floor(Math.random() * 2 ** 31));
    f.seed.dispatchEvent(new Event('change', { bubbles: true }));
  });
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.addEventListener('click', () => {
      setLinkFrame(null);
      setView(tab.dataset.view);
      syncLink();
      if (engine) enterView();
    });
  }
  // The tabs as a tablist: the arrow keys (and Home, End) move to the next view and open it.
  $('[role=tablist]').addEventListener('keydown', (e) => {
    const tabs = [...document.querySelectorAll('[role=tab]')];
    const at = tabs.indexOf(document.activeElement);
    const to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (at < 0 || to == null) return;
    e.preventDefault();
    const tab = tabs[(to + tabs.length) % tabs.length];
    tab.focus();
    tab.click();
  });
  $('#copy-link').addEventListener('click', copyLink);
}

/// The start: the vocabulary, the link's state, the weights the view needs, then the first engine.
async function start() {
  await loadVocabulary();
  applyVocabulary();
  setUpSpeedPanel();
  setUpCompare();
  const { state, speed, notices } = bindings.decodeLink(location.search);
  if (speed) showSharedSpeed(speed);
  applyState(state);
  setLinkFrame(state.family === 'diffusion' ? state.frame : null);
  setNotice('link', notices.map((n) => `Share link: ${n}`).join('\n'));
  for (const key of neededModels()) fetchModel(key).catch(() => {}); // errors are reported on use
  refreshTools();
  const info = await startEngine();
  for (const button of document.querySelectorAll('.needs-engine')) button.disabled = false;
  return info;
}

async function copyLink() {
  syncLink();
  const status = $('#copy-status');
  const copied = await copyText(location.href, $('#link-text'));
  status.textContent = copied ? 'copied' : 'press Ctrl+C (⌘C) to copy';
  clearTimeout(copyLink.timer);
  copyLink.timer = setTimeout(() => (status.textContent = ''), 2500);
}

wireControls();
setUpPlay();
setUpVae();
setUpDiffusionTools();
setUpSweep();
syncControls();
track(settleReadyWith(start()));
ready.then(enterView, (e) => setNotice('backend', "The page couldn't start.", errorText(e)));
registerServiceWorker();
installApi();
