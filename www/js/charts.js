// Small charts on canvases, sharp on high-density screens.

export function cssColor(name) {
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
