// Gray images on canvases: grids of samples, the cell under a click, PNG downloads.
import { h } from './dom.js';

const layouts = new WeakMap(); // canvas -> its grid layout, for cellAt
const tile = document.createElement('canvas');

/// Draws `n` gray images (`pixels`: n·width·height bytes) in a grid, each enlarged by a whole factor so
/// the canvas is about `fit` pixels wide, with optional text under each image (`labels`) and coloured
/// frames with a letter (`marks`: Map index -> {color, text}).
export function drawGrid(canvas, { n, width, height, pixels }, { cols, fit = 560, zoom, gap = 2, labels, marks } = {}) {
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
  const images = { n, width, height, pixels };
  layouts.set(canvas, { n, cols, gap, cellW, cellH, images, options: { cols, zoom, gap, labels, marks } });
  // The keyboard's cell (see keyboardCells) is drawn over whatever the grid shows.
  const focus = focused.get(canvas);
  if (focus != null && focus < n && document.activeElement === canvas) outline(ctx, gap + (focus % cols) * cellW, gap + Math.floor(focus / cols) * cellH, width * zoom, height * zoom);
  canvas.dispatchEvent(new Event('drawn'));
}

const focused = new WeakMap(); // canvas -> the index of its keyboard cell

function outline(ctx, x, y, w, h) {
  ctx.strokeStyle = '#ff9f1a';
  ctx.lineWidth = 3;
  ctx.strokeRect(x + 1.5, y + 1.5, w - 3, h - 3);
}

/// Lets the keyboard reach a grid's images: Tab focuses the canvas, the arrow keys move a highlighted cell
/// (read out by `live`, a polite live region, with the image's label), Enter or Space picks it as a click
/// would (`onPick(i)`).
export function keyboardCells(canvas, live, onPick) {
  canvas.tabIndex = 0;
  const redraw = () => {
    const l = layouts.get(canvas);
    if (!l) return;
    const i = Math.min(focused.get(canvas) ?? 0, l.n - 1);
    focused.set(canvas, i);
    drawGrid(canvas, l.images, l.options);
    const label = l.options.labels && l.options.labels[i];
    live.textContent = `${canvas.getAttribute('aria-label') || 'image'}: ${i + 1} of ${l.n}${label ? `, ${label}` : ''}`;
  };
  canvas.addEventListener('focus', redraw);
  canvas.addEventListener('blur', () => {
    const l = layouts.get(canvas);
    if (l) drawGrid(canvas, l.images, l.options);
  });
  canvas.addEventListener('keydown', (e) => {
    const l = layouts.get(canvas);
    if (!l) return;
    const i = focused.get(canvas) ?? 0;
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -l.cols, ArrowDown: l.cols }[e.key];
    if (step != null) {
      focused.set(canvas, Math.max(0, Math.min(l.n - 1, i + step)));
      redraw();
    } else if (e.key === 'Enter' || e.key === ' ') {
      onPick(i);
    } else {
      return;
    }
    e.preventDefault();
  });
}

/// Empties a canvas (nothing to show or download).
export function clearCanvas(canvas) {
  canvas.width = canvas.height = 0;
  layouts.delete(canvas);
  canvas.dispatchEvent(new Event('drawn'));
}

/// The index of the grid image under a pointer event, or -1.
export function cellAt(canvas, event) {
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
export function addDownload(canvas, name) {
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
