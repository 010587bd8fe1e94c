// trilemma's page helpers that know nothing about models: async plumbing, canvas drawing, the sliders'
// outputs, PNG downloads, the drawing pad and the test-image picker. app.js (loaded after this classic
// script, sharing its top-level names) wires them to the wasm engine.
'use strict';

// --- async plumbing ------------------------------------------------------------------------------------

/// Thrown into a cancelled run's callers; never shown as an error.
class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

function errorText(e) {
  return String((e && e.message) || e);
}

/// A cancellation flag handed to long loops.
function makeToken() {
  return {
    cancelled: false,
    cancel() {
      this.cancelled = true;
    },
    check() {
      if (this.cancelled) throw new Cancelled();
    },
  };
}

/// Serialises async calls: wasm objects must not be used again while one of their async methods is
/// still running, so every call on an engine (and on its runs) goes through its lock.
function makeLock() {
  let tail = Promise.resolve();
  return (fn) => {
    const result = tail.then(fn);
    tail = result.catch(() => {});
    return result;
  };
}

// A zero-delay yield to the event loop (setTimeout is clamped to 4 ms in loops; a message is not), so
// a loop of short wasm calls keeps the page painting and answering input.
const yieldChannel = new MessageChannel();
const yieldWaiters = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()();
function nextTask() {
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

// Everything in flight, so that `idle()` can wait for the page to settle.
const inFlight = new Set();
function track(promise) {
  inFlight.add(promise);
  promise.finally(() => inFlight.delete(promise)).catch(() => {});
  return promise;
}
async function idle() {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}

/// Wraps an async function so at most one call runs and one waits: a newer call replaces the waiting
/// one, whose promise resolves to undefined without running. Sliders call it at every move.
function latestOnly(fn) {
  let running = false;
  let waiting = null; // { args, resolve, reject }
  async function pump() {
    running = true;
    while (waiting) {
      const job = waiting;
      waiting = null;
      try {
        job.resolve(await fn(...job.args));
      } catch (e) {
        job.reject(e);
      }
    }
    running = false;
  }
  return (...args) =>
    track(
      new Promise((resolve, reject) => {
        if (waiting) waiting.resolve(undefined);
        waiting = { args, resolve, reject };
        if (!running) pump();
      }),
    );
}

// --- DOM -----------------------------------------------------------------------------------------------

const $ = (selector, root = document) => root.querySelector(selector);

/// A new element with properties (textContent, never innerHTML) and children.
function h(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

/// A copy of a <template>'s content where every `data-id="x"` becomes `id="<prefix>x"`.
function fromTemplate(id, prefix) {
  const frag = document.getElementById(id).content.cloneNode(true);
  for (const el of frag.querySelectorAll('[data-id]')) el.id = prefix + el.dataset.id;
  return frag;
}

/// Shows a range input's value in its <output> (the next sibling) and calls onInput at every move.
function bindRange(input, { format = String, onInput } = {}) {
  const show = () => (input.nextElementSibling.value = format(Number(input.value)));
  input.addEventListener('input', () => {
    show();
    if (onInput) onInput(Number(input.value));
  });
  input.showValue = show;
  show();
}

/// Sets a range input to `value` exactly: a value outside the slider or off its step (from a link or a
/// latent code) widens the slider instead of being rounded.
function setRange(input, value) {
  if (value > Number(input.max)) input.max = String(value);
  if (value < Number(input.min)) input.min = String(value);
  const step = Number(input.step);
  if (step && Math.abs(value / step - Math.round(value / step)) > 1e-6) input.step = 'any';
  input.value = String(value);
  if (input.showValue) input.showValue();
}

// --- canvases ------------------------------------------------------------------------------------------

const layouts = new WeakMap(); // canvas -> its grid layout, for cellAt
const tile = document.createElement('canvas');

/// Draws `n` gray images (`pixels`: n·width·height bytes) in a grid, each enlarged by a whole factor so
/// the canvas is about `fit` pixels wide, with optional text under each image (`labels`) and coloured
/// frames with a letter (`marks`: Map index -> {color, text}).
function drawGrid(canvas, { n, width, height, pixels }, { cols, fit = 560, zoom, gap = 2, labels, marks } = {}) {
  cols = Math.max(1, Math.min(n, cols || Math.ceil(Math.sqrt(n))));
  const rows = Math.ceil(n / cols);
  zoom = zoom || Math.max(1, Math.min(10, Math.floor(fit / (cols * width))));
  const band = labels ? 16 : 0;
  const cellW = width * zoom + gap;
  const cellH = height * zoom + band + gap;
  canvas.width = cols * cellW + gap;
  canvas.height = rows * cellH + gap;
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  tile.width = width;
  tile.height = height;
  const tctx = tile.getContext('2d');
  const img = tctx.createImageData(width, height);
  const size = width * height;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < size; p++) {
      const v = pixels[i * size + p];
      img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = v;
      img.data[4 * p + 3] = 255;
    }
    tctx.putImageData(img, 0, 0);
    const x = gap + (i % cols) * cellW;
    const y = gap + Math.floor(i / cols) * cellH;
    ctx.drawImage(tile, x, y, width * zoom, height * zoom);
    if (labels && labels[i] != null) {
      ctx.fillStyle = '#ddd';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(String(labels[i]), x + (width * zoom) / 2, y + height * zoom + band / 2);
    }
    const mark = marks && marks.get(i);
    if (mark) {
      ctx.strokeStyle = mark.color;
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, width * zoom - 2, height * zoom - 2);
      ctx.fillStyle = mark.color;
      ctx.font = 'bold 12px system-ui, sans-serif';
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(mark.text, x + 4, y + 3);
    }
  }
  layouts.set(canvas, { n, cols, gap, cellW, cellH });
  canvas.dispatchEvent(new Event('drawn'));
}

/// Empties a canvas (nothing to show or download).
function clearCanvas(canvas) {
  canvas.width = canvas.height = 0;
  layouts.delete(canvas);
  canvas.dispatchEvent(new Event('drawn'));
}

/// The index of the grid image under a pointer event, or -1.
function cellAt(canvas, event) {
  const layout = layouts.get(canvas);
  if (!layout) return -1;
  const r = canvas.getBoundingClientRect();
  const x = ((event.clientX - r.left) * canvas.width) / r.width - layout.gap;
  const y = ((event.clientY - r.top) * canvas.height) / r.height - layout.gap;
  const col = Math.floor(x / layout.cellW);
  const i = Math.floor(y / layout.cellH) * layout.cols + col;
  return x >= 0 && y >= 0 && col < layout.cols && i < layout.n ? i : -1;
}

/// Adds a "PNG" button after a canvas: it saves what the canvas shows as `name()`.
function addDownload(canvas, name) {
  const button = h('button', { type: 'button', className: 'download', textContent: '⤓ PNG', hidden: canvas.width === 0 });
  button.setAttribute('aria-label', `download ${canvas.getAttribute('aria-label') || 'image'} as PNG`);
  canvas.addEventListener('drawn', () => (button.hidden = canvas.width === 0));
  button.addEventListener('click', () =>
    canvas.toBlob((blob) => {
      if (!blob) return;
      const a = h('a', { href: URL.createObjectURL(blob), download: name() });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }, 'image/png'),
  );
  canvas.after(button);
}

function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || 'gray';
}

/// A chart canvas `width`×`height` CSS pixels, sharp on high-density screens; returns its context.
function chartContext(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.font = '11px system-ui, sans-serif';
  return ctx;
}

/// Vertical bars, one per value, on a scale from `min` to `max` (bars start at 0), with optional
/// whiskers (± whiskers[i]), labels under the bars and a dashed line at `reference`.
function drawColumns(canvas, values, { min = 0, max, whiskers, labels, reference, width = 320, height = 120, color } = {}) {
  const ctx = chartContext(canvas, width, height);
  const pad = { left: 4, right: 4, top: 6, bottom: labels ? 16 : 4 };
  const plotH = height - pad.top - pad.bottom;
  const y = (v) => pad.top + ((max - Math.max(min, Math.min(max, v))) / (max - min)) * plotH;
  const slot = (width - pad.left - pad.right) / values.length;
  ctx.strokeStyle = cssColor('--muted');
  ctx.beginPath();
  ctx.moveTo(pad.left, y(0));
  ctx.lineTo(width - pad.right, y(0));
  ctx.stroke();
  values.forEach((v, i) => {
    const x = pad.left + i * slot;
    ctx.fillStyle = color || cssColor('--accent');
    ctx.fillRect(x + slot * 0.15, Math.min(y(v), y(0)), slot * 0.7, Math.abs(y(v) - y(0)));
    if (whiskers) {
      const cx = x + slot / 2;
      ctx.strokeStyle = cssColor('--fg');
      ctx.beginPath();
      ctx.moveTo(cx, y(v - whiskers[i]));
      ctx.lineTo(cx, y(v + whiskers[i]));
      ctx.stroke();
    }
    if (labels) {
      ctx.fillStyle = cssColor('--fg');
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(String(labels[i]), x + slot / 2, height - 2);
    }
  });
  if (reference != null) {
    ctx.strokeStyle = cssColor('--fg');
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(pad.left, y(reference));
    ctx.lineTo(width - pad.right, y(reference));
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

/// Horizontal bars on a log scale: rows of {label, value, color}; `unit` follows each value.
function drawLogBars(canvas, rows, { width = 720, unit = '' } = {}) {
  const rowH = 20;
  const top = 22;
  const height = top + rows.length * rowH + 6;
  const ctx = chartContext(canvas, width, height);
  if (!rows.length) return;
  const left = 230;
  const right = 70;
  const lo = Math.floor(Math.log10(Math.min(...rows.map((r) => r.value))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...rows.map((r) => r.value)))));
  const x = (v) => left + ((Math.log10(v) - lo) / (hi - lo)) * (width - left - right);
  ctx.textBaseline = 'middle';
  for (let d = lo; d <= hi; d++) {
    ctx.strokeStyle = cssColor('--border');
    ctx.beginPath();
    ctx.moveTo(x(10 ** d), top - 4);
    ctx.lineTo(x(10 ** d), height - 4);
    ctx.stroke();
    ctx.fillStyle = cssColor('--muted');
    ctx.textAlign = 'center';
    ctx.fillText(`${10 ** d < 1 ? (10 ** d).toFixed(-d) : 10 ** d}${unit}`, x(10 ** d), 9);
  }
  rows.forEach((r, i) => {
    const cy = top + i * rowH + rowH / 2;
    ctx.fillStyle = cssColor('--fg');
    ctx.textAlign = 'right';
    ctx.fillText(r.label, left - 8, cy, left - 12);
    ctx.fillStyle = r.color;
    ctx.fillRect(left, cy - 7, Math.max(1, x(r.value) - left), 14);
    ctx.fillStyle = cssColor('--fg');
    ctx.textAlign = 'left';
    ctx.fillText(`${r.value < 10 ? r.value.toFixed(2) : r.value.toFixed(0)}${unit}`, x(r.value) + 4, cy);
  });
}

// --- drawing pad and mask brush ---------------------------------------------------------------------

/// Pointer drawing (mouse, touch, pen) on a 28×28 canvas shown enlarged. mode 'gray': soft white strokes
/// on black, read back as gray bytes; mode 'mask': hard strokes, read back as 255 where painted.
class Sketch {
  constructor(canvas, { mode, width, onStroke }) {
    this.canvas = canvas;
    this.mode = mode;
    this.width = width;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.last = null;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.stroke(this.last, this.last);
      if (onStroke) onStroke(false);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      const p = this.point(e);
      this.stroke(this.last, p);
      this.last = p;
      if (onStroke) onStroke(false);
    });
    const end = () => {
      if (!this.last) return;
      this.last = null;
      if (onStroke) onStroke(true);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  stroke(a, b) {
    const ctx = this.ctx;
    const color = this.mode === 'gray' ? '#fff' : '#f00';
    Object.assign(ctx, { strokeStyle: color, fillStyle: color, lineWidth: this.width, lineCap: 'round', lineJoin: 'round' });
    // A soft edge like the pen strokes of the datasets; the mask stays hard.
    Object.assign(ctx, this.mode === 'gray' ? { shadowColor: '#fff', shadowBlur: 2 } : { shadowBlur: 0 });
    ctx.beginPath();
    ctx.arc(b.x, b.y, this.width / 2, 0, 2 * Math.PI);
    ctx.fill();
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }

  clear() {
    const { ctx, canvas } = this;
    ctx.shadowBlur = 0;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (this.mode === 'gray') {
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    }
  }

  /// Paints a rectangle given in fractions of the canvas (the mask's keyboard presets).
  fillRect(x, y, w, h) {
    const c = this.canvas;
    this.ctx.fillStyle = '#f00';
    this.ctx.fillRect(x * c.width, y * c.height, w * c.width, h * c.height);
  }

  /// The drawing as width·height bytes.
  bytes() {
    const { data } = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
    const out = new Uint8Array(data.length / 4);
    for (let p = 0; p < out.length; p++) {
      out[p] = this.mode === 'gray' ? data[4 * p] : data[4 * p + 3] >= 128 ? 255 : 0;
    }
    return out;
  }

  /// Shows `bytes` (a mask: > 0 = painted) instead of the current drawing.
  load(bytes) {
    const img = this.ctx.createImageData(this.canvas.width, this.canvas.height);
    bytes.forEach((v, p) => {
      img.data[4 * p] = this.mode === 'gray' ? v : 255;
      img.data[4 * p + 1] = img.data[4 * p + 2] = this.mode === 'gray' ? v : 0;
      img.data[4 * p + 3] = this.mode === 'gray' || v > 0 ? 255 : 0;
    });
    this.ctx.putImageData(img, 0, 0);
  }

  isEmpty() {
    return this.bytes().every((v) => v === 0);
  }
}

// --- test-image picker ---------------------------------------------------------------------------------

/// A strip of 10 real test images to choose from (the 10 of a class, or one per class), by click or by
/// number. `load(dataset, cls)` must resolve to the dataset's 100 images (784 bytes each, class i/10);
/// `classNames(dataset)` names its classes.
class Picker {
  constructor(slot, prefix, { load, classNames, onPick }) {
    slot.append(fromTemplate('picker-template', prefix));
    this.strip = $(`#${prefix}strip`);
    this.number = $(`#${prefix}index`);
    this.status = $(`#${prefix}status`);
    this.load = load;
    this.classNames = classNames;
    this.onPick = onPick;
    this.images = null;
    this.indices = [];
    this.selected = 0;
    this.request = 0;
    this.strip.addEventListener('click', (e) => {
      const i = cellAt(this.strip, e);
      if (i >= 0) this.select(i, true);
    });
    this.number.addEventListener('change', () => {
      const i = this.number.valueAsNumber - 1;
      if (this.images && Number.isInteger(i) && i >= 0 && i < this.indices.length) this.select(i, true);
    });
  }

  /// Shows the test images of `dataset` for `cls` (a class number or 'none').
  async show(dataset, cls) {
    const request = ++this.request;
    let images;
    try {
      images = await this.load(dataset);
    } catch (e) {
      if (request === this.request) this.status.textContent = errorText(e);
      return;
    }
    if (request !== this.request) return;
    this.images = images;
    this.dataset = dataset;
    this.indices = Array.from({ length: 10 }, (_, i) => (cls === 'none' ? 10 * i : 10 * cls + i));
    this.select(Math.min(this.selected, this.indices.length - 1), false);
  }

  /// Chooses strip image i; onPick(picker, byUser) hears of it.
  select(i, byUser) {
    this.selected = i;
    this.number.value = String(i + 1);
    const pixels = new Uint8Array(10 * 784);
    this.indices.forEach((k, j) => pixels.set(this.images.subarray(784 * k, 784 * (k + 1)), 784 * j));
    drawGrid(this.strip, { n: 10, width: 28, height: 28, pixels }, { cols: 10, zoom: 2, marks: new Map([[i, { color: '#ffb000', text: '' }]]) });
    this.status.textContent = this.describe();
    this.onPick(this, byUser);
  }

  /// The chosen image's 784 bytes, or null before the images are loaded.
  image() {
    if (!this.images) return null;
    const k = this.indices[this.selected];
    return this.images.slice(784 * k, 784 * (k + 1));
  }

  describe() {
    const k = this.indices[this.selected];
    return `test image ${k} (class ${Math.floor(k / 10)}: ${this.classNames(this.dataset)[Math.floor(k / 10)]})`;
  }
}
