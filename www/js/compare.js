// The Compare view: the three families on the same seed and class.
import { Cancelled } from './async.js';
import { addDownload, drawGrid } from './canvas.js';
import { $ } from './dom.js';
import { engineCall, timingText } from './engine.js';
import { beginRun, freeRun, stepRun } from './runs.js';
import { fileName, optionsFor } from './state.js';
import { vocab } from './vocab.js';

export let compareKey = null; // the settings the compare canvases show

export function compareSettings() {
  return JSON.stringify(vocab.families.map(optionsFor));
}

export async function runCompare() {
  const token = beginRun();
  compareKey = compareSettings();
  const progress = $('#compare-progress');
  const cancel = $('#compare-cancel');
  cancel.disabled = false;
  cancel.onclick = () => token.cancel();
  try {
    for (const family of vocab.families) {
      const opts = optionsFor(family);
      const time = $(`#compare-${family}-time`);
      time.textContent = 'generating…';
      let images, ms, backend;
      if (family === 'diffusion') {
        progress.hidden = false;
        const live = await stepRun(opts, { kind: 'noise' }, token, (l) => {
          progress.max = l.len;
          progress.value = l.position;
          time.textContent = `step ${l.position} of ${l.len}`;
        });
        [images, ms, backend] = [live.images, live.ms, live.engine.backend];
        freeRun(live);
      } else {
        ({ out: images, ms, backend } = await engineCall([`${family}-${opts.dataset}`], (w) => w.generate(opts)));
      }
      token.check();
      drawGrid($(`#compare-${family}`), images, { fit: 250 });
      time.textContent = timingText(images.n, ms, backend);
    }
  } catch (e) {
    compareKey = null;
    for (const family of vocab.families) {
      const time = $(`#compare-${family}-time`);
      if (!time.textContent.includes('samples in')) time.textContent = e instanceof Cancelled ? 'cancelled' : 'failed';
    }
    throw e;
  } finally {
    progress.hidden = true;
    cancel.disabled = true;
  }
}

export function setUpCompare() {
  for (const family of vocab.families) addDownload($(`#compare-${family}`), () => fileName('compare', family));
}
