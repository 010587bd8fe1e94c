// Small charts on canvases, sharp on high-density screens.

export function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || 'gray';
}

/// A chart canvas `width`×`height` CSS pixels, sharp on high-density screens; returns its context.
export function chartContext(canvas, width, height) {
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
export function drawColumns(canvas, values, { min = 0, max, whiskers, labels, reference, width = 320, height = 120, color } = {}) {
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
export function drawLogBars(canvas, rows, { width = 720, unit = '' } = {}) {
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

/// Lines over a linear x axis from 0 to `xMax`: `series` of {label, color, values: [[x, y], …], dashed};
/// y from `yMin` (default: the smallest value) to `yMax` (default: the largest); the labels as a legend.
export function drawCurves(canvas, series, { xMax, yMin, yMax, yLabel, width = 300, height = 130 } = {}) {
  const ctx = chartContext(canvas, width, height);
  const all = series.flatMap((s) => s.values.map((v) => v[1])).filter(Number.isFinite);
  const lo = yMin ?? (all.length ? Math.min(...all) : 0);
  const hi = Math.max(yMax ?? (all.length ? Math.max(...all) : 1), lo + 1e-6);
  const pad = { left: 40, right: 8, top: 30, bottom: 18 };
  const x = (v) => pad.left + (v / Math.max(xMax, 1)) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - ((v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = cssColor('--border');
  ctx.fillStyle = cssColor('--muted');
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad.left, pad.top);
  ctx.lineTo(pad.left, height - pad.bottom);
  ctx.lineTo(width - pad.right, height - pad.bottom);
  ctx.stroke();
  const fmt = (v) => (Math.abs(hi - lo) >= 10 ? v.toFixed(0) : Math.abs(hi - lo) >= 1 ? v.toFixed(1) : v.toFixed(2));
  ctx.textAlign = 'right';
  ctx.fillText(fmt(hi), pad.left - 4, pad.top + 4);
  ctx.fillText(fmt(lo), pad.left - 4, height - pad.bottom);
  // The title on the first line, the legend on the second: neither covers the other.
  ctx.textAlign = 'left';
  ctx.fillText(yLabel || '', 4, 10);
  ctx.textAlign = 'right';
  ctx.fillText(`step ${xMax}`, width - pad.right, height - 4);
  let legend = width - pad.right;
  for (const s of [...series].reverse()) {
    ctx.fillStyle = s.color;
    ctx.fillText(s.label, legend, 23);
    legend -= ctx.measureText(s.label).width + 10;
  }
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    s.values.forEach(([vx, vy], i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, x(vx), y(Math.min(Math.max(vy, lo), hi))));
    ctx.stroke();
  }
  ctx.setLineDash([]);
}
