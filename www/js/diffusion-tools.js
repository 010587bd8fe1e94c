// The Play view's diffusion panel: the forward process, inpainting, image-to-image.
import { track } from './async.js';
import { addDownload, drawGrid } from './canvas.js';
import { $, bindRange } from './dom.js';
import { engineCall, timingText } from './engine.js';
import { attempt, job } from './notices.js';
import { Picker } from './picker.js';
import { gridResult } from './play.js';
import { Player } from './player.js';
import { Sketch } from './sketch.js';
import { classValue, diffusionOptionsWith, f, fileName, optionsFor, view } from './state.js';
import { encodeCurrent, pad, vaePicker } from './vae.js';
import { classNames } from './vocab.js';
import { testImages } from './weights.js';

export let forwardPicker = null;
export let inpaintPicker = null;
export let inpaintPlayer = null;
export let img2imgPlayer = null;
export let mask = null;
export let inpaintBase = null; // {bytes, from: 'picker' | 'grid' | 'api'}: the image under the mask

export const forwardJob = job('forward', "Couldn't noise the image", async () => {
  const image = forwardPicker.image();
  if (!image) return;
  const t = Number($('#forward-t').value);
  const { out } = await engineCall([], (w) => w.noise({ image, t, seed: f.seed.valueAsNumber }));
  drawGrid($('#forward'), out, { fit: 224 });
});

export function setInpaintBase(bytes, from) {
  inpaintBase = { bytes, from };
  drawGrid($('#inpaint-image'), { n: 1, width: 28, height: 28, pixels: bytes }, { zoom: 1, gap: 0 });
}

/// Re-runs the visible panel's tools that depend on the dataset, the class, the seed or a picker.
export function refreshTools() {
  if (view !== 'play') return;
  const family = f.family.value;
  const dataset = f.dataset.value;
  const cls = classValue(f.class.value);
  if (family === 'vae') {
    track(vaePicker.show(dataset, cls)); // tracked: idle() waits for the test images too
    encodeCurrent();
  }
  if (family === 'diffusion') {
    track(forwardPicker.show(dataset, cls));
    track(inpaintPicker.show(dataset, cls));
  }
}

/// Inpainting from the picker (or the API), the mask brush and its presets, the two players.
export function setUpDiffusionTools() {
  forwardPicker = new Picker($('#forward-picker'), 'forward-picker-', { load: testImages, classNames, onPick: () => forwardJob() });
  inpaintPicker = new Picker($('#inpaint-picker'), 'inpaint-picker-', {
    load: testImages,
    classNames,
    onPick: (picker, byUser) => {
      if (byUser || !inpaintBase || inpaintBase.from === 'picker') setInpaintBase(picker.image(), 'picker');
    },
  });
  mask = new Sketch($('#inpaint-canvas'), { mode: 'mask', width: 3 });
  bindRange($('#inpaint-brush'), { onInput: (v) => (mask.width = v) });
  for (const preset of document.querySelectorAll('[data-mask]')) {
    preset.addEventListener('click', () => mask.fillRect(...preset.dataset.mask.split(' ').map(Number)));
  }
  $('#inpaint-clear').addEventListener('click', () => mask.clear());
  $('#inpaint-use-grid').addEventListener('click', () => setInpaintBase(Uint8Array.from(gridResult.out.pixels.subarray(0, 784)), 'grid'));
  const resultTo = (canvas, timing) => (live) => {
    drawGrid(canvas, live.images, { fit: 420 });
    timing.textContent = timingText(live.images.n, live.ms, live.engine.backend);
  };
  inpaintPlayer = new Player($('[data-player="inpaint"]'), 'inpaint-', { what: 'inpaint', onResult: resultTo($('#inpaint-result'), $('#inpaint-timing')) });
  img2imgPlayer = new Player($('[data-player="img2img"]'), 'img2img-', { what: 'img2img', onResult: resultTo($('#img2img-result'), $('#img2img-timing')) });
  $('#inpaint-run').addEventListener('click', () => {
    if (!inpaintBase) return;
    if (mask.isEmpty()) {
      inpaintPlayer.status.textContent = 'Paint the region to regenerate first (or use a preset).';
      return;
    }
    const start = { kind: 'inpaint', image: inpaintBase.bytes, mask: mask.bytes() };
    track(attempt('inpaint', "Couldn't inpaint", () => inpaintPlayer.start(optionsFor('diffusion'), start)));
  });
  $('#img2img-run').addEventListener('click', () => {
    const start = { kind: 'image', image: pad.bytes(), strength: Number($('#strength').value) };
    track(attempt('img2img', "Couldn't run image-to-image", () => img2imgPlayer.start(optionsFor('diffusion'), start)));
  });
  addDownload($('#forward'), () => fileName(`forward-t${$('#forward-t').value}`, 'diffusion'));
  addDownload($('#inpaint-result'), () => fileName('inpaint', 'diffusion'));
  addDownload($('#img2img-result'), () => fileName('img2img', 'diffusion'));
}

/// The API's inpainting, shown in the panel: `start` holds the checked image and mask.
export function inpaintInPanel(opts, start) {
  setInpaintBase(start.image, 'api');
  mask.load(start.mask);
  return inpaintPlayer.start(diffusionOptionsWith(opts), start);
}
