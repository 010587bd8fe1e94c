// The Train view's pictures of the plane: the data, a family's samples over it, and what each family shows
// of itself — the discriminator's belief as a heat map (GAN), the decoder's means over a latent grid (VAE),
// the denoising direction field and sample paths (diffusion). Sizes come from the training module's
// vocabulary; points arrive flat, [x, y, …], in [-extent, extent]².
import { chartContext, cssColor } from './charts.js';

/// A square canvas of `size` CSS pixels and its plane → pixel mapping.
function plane(canvas, size, extent) {
  const ctx = chartContext(canvas, size, size);
  canvas.style.height = `${size}px`;
  const px = (v) => ((v + extent) / (2 * extent)) * size;
  const py = (v) => ((extent - v) / (2 * extent)) * size;
  return { ctx, px, py };
}

function dots(ctx, flat, px, py, color, r) {
  ctx.fillStyle = color;
  for (let i = 0; i + 1 < flat.length; i += 2) ctx.fillRect(px(flat[i]) - r, py(flat[i + 1]) - r, 2 * r, 2 * r);
}

/// The data alone (the Data panel, where a drawing is made).
export function drawData(canvas, points, { extent, size = 240, color = cssColor('--muted') }) {
  const { ctx, px, py } = plane(canvas, size, extent);
  ctx.strokeStyle = cssColor('--border');
  ctx.strokeRect(0.5, 0.5, size - 1, size - 1);
  dots(ctx, points, px, py, color, 1.6);
}

/// One family's plane at its latest picture: its own layer, the data in gray, its samples in its color.
export function drawFamily(canvas, { family, picture, data, vocab, size = 240 }) {
  const { extent } = vocab;
  const { ctx, px, py } = plane(canvas, size, extent);
  const color = cssColor(`--${family}`);
  if (picture && picture.heat) {
    // D(x): red where the discriminator says "real", blue where "fake", white at ½.
    const side = vocab.heatSide;
    const cell = size / side;
    picture.heat.forEach((d, i) => {
      const u = Math.round(255 * (1 - Math.abs(2 * d - 1)));
      ctx.fillStyle = d >= 0.5 ? `rgb(255,${u},${u})` : `rgb(${u},${u},255)`;
      ctx.fillRect((i % side) * cell, Math.floor(i / side) * cell, cell + 0.5, cell + 0.5);
    });
  }
  ctx.strokeStyle = cssColor('--border');
  ctx.strokeRect(0.5, 0.5, size - 1, size - 1);
  dots(ctx, data, px, py, 'rgba(128,128,128,0.45)', 1.3);
  if (!picture) return;
  if (picture.field) {
    // x̂₀ − x, drawn at half its length: where denoising from timestep t sends each point.
    const grid = vocab.fieldGrid;
    ctx.strokeStyle = 'rgba(90,90,90,0.7)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; 2 * i < grid.length; i++) {
      const [x, y] = [grid[2 * i], grid[2 * i + 1]];
      const [dx, dy] = [picture.field[2 * i] / 2, picture.field[2 * i + 1] / 2];
      ctx.moveTo(px(x), py(y));
      ctx.lineTo(px(x + dx), py(y + dy));
      ctx.fillRect(px(x + dx) - 1, py(y + dy) - 1, 2, 2);
    }
    ctx.stroke();
  }
  if (picture.means) {
    // The decoder's means over the latent grid, neighbours joined: how the VAE folds its 2-D code.
    const side = vocab.latentSide;
    const m = picture.means;
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.globalAlpha = 0.8;
    ctx.beginPath();
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const i = 2 * (r * side + c);
        if (c + 1 < side) {
          ctx.moveTo(px(m[i]), py(m[i + 1]));
          ctx.lineTo(px(m[i + 2]), py(m[i + 3]));
        }
        if (r + 1 < side) {
          ctx.moveTo(px(m[i]), py(m[i + 1]));
          ctx.lineTo(px(m[i + 2 * side]), py(m[i + 2 * side + 1]));
        }
      }
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1;
  }
  dots(ctx, picture.samples, px, py, color, picture.means ? 1.1 : 1.6);
  if (picture.paths) {
    ctx.strokeStyle = cssColor('--fg') || 'black';
    ctx.lineWidth = 1.2;
    for (const path of picture.paths) {
      ctx.beginPath();
      for (let i = 0; i + 1 < path.length; i += 2) (i ? ctx.lineTo : ctx.moveTo).call(ctx, px(path[i]), py(path[i + 1]));
      ctx.stroke();
      ctx.fillStyle = 'black';
      ctx.fillRect(px(path[path.length - 2]) - 2.5, py(path[path.length - 1]) - 2.5, 5, 5);
    }
  }
}
