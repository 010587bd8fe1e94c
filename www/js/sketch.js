// The drawing pad and the mask brush.

/// Pointer drawing (mouse, touch, pen) on a 28×28 canvas shown enlarged. mode 'gray': soft white strokes
/// on black, read back as gray bytes; mode 'mask': hard strokes, read back as 255 where painted.
export class Sketch {
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
