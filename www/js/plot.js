// SVG charts, crisp at any width, their text real text: a scatter on [0, 1]² (precision against recall) and
// lines over a log axis (FID against steps).

const SVG = 'http://www.w3.org/2000/svg';
const [W, H] = [360, 300];
const PAD = { left: 44, right: 12, top: 12, bottom: 40 };

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

/// Draws `points` ({x, y, label, color, big}) into `svg` with axes from 0 to 1; big points get their label
/// beside them, the small ones a tooltip.
export function drawScatter(svg, points, { xLabel, yLabel }) {
  const x = (v) => PAD.left + v * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - v * (H - PAD.top - PAD.bottom);
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const parts = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(el('line', { x1: x(t), x2: x(t), y1: y(0), y2: y(1), class: 'grid' }));
    parts.push(el('line', { x1: x(0), x2: x(1), y1: y(t), y2: y(t), class: 'grid' }));
    parts.push(el('text', { x: x(t), y: y(0) + 14, 'text-anchor': 'middle' }, t));
    parts.push(el('text', { x: x(0) - 6, y: y(t) + 4, 'text-anchor': 'end' }, t));
  }
  parts.push(el('text', { x: (x(0) + x(1)) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' }, xLabel));
  parts.push(el('text', { x: 12, y: (y(0) + y(1)) / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 12 ${(y(0) + y(1)) / 2})` }, yLabel));
  for (const p of [...points].sort((a, b) => Number(a.big) - Number(b.big))) {
    const dot = el('circle', { cx: x(p.x), cy: y(p.y), r: p.big ? 6 : 3.5, fill: p.color, class: p.big ? 'yours' : 'board' });
    dot.append(el('title', {}, `${p.label}: precision ${p.y.toFixed(3)}, recall ${p.x.toFixed(3)}`));
    parts.push(dot);
    if (p.big) parts.push(el('text', { x: x(p.x) + (p.x > 0.7 ? -9 : 9), y: y(p.y) + 4, 'text-anchor': p.x > 0.7 ? 'end' : 'start', class: 'label' }, p.label));
  }
  svg.replaceChildren(...parts);
}

/// Lines of `series` ({label, color, points: [{x, y, se}], dy: the label's shift down}) with ±se whiskers, x on a log scale from `xMin`
/// to `xMax`, y from 0 to the largest value; each line labelled at its last point.
export function drawLines(svg, series, { xLabel, yLabel, xMin, xMax, xTicks }) {
  const yMax = Math.max(...series.flatMap((s) => s.points.map((p) => p.y + (p.se || 0)))) * 1.1;
  const x = (v) => PAD.left + (Math.log(v / xMin) / Math.log(xMax / xMin)) * (W - PAD.left - PAD.right - 60);
  const y = (v) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const parts = [];
  for (const t of xTicks) {
    parts.push(el('line', { x1: x(t), x2: x(t), y1: y(0), y2: y(yMax), class: 'grid' }));
    parts.push(el('text', { x: x(t), y: y(0) + 14, 'text-anchor': 'middle' }, t));
  }
  const step = yMax > 8 ? 2 : yMax > 4 ? 1 : 0.5;
  for (let t = 0; t <= yMax; t += step) {
    parts.push(el('line', { x1: x(xMin), x2: x(xMax), y1: y(t), y2: y(t), class: 'grid' }));
    parts.push(el('text', { x: x(xMin) - 6, y: y(t) + 4, 'text-anchor': 'end' }, t));
  }
  parts.push(el('text', { x: (x(xMin) + x(xMax)) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' }, xLabel));
  parts.push(el('text', { x: 12, y: (y(0) + y(yMax)) / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 12 ${(y(0) + y(yMax)) / 2})` }, yLabel));
  for (const s of series) {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    parts.push(el('polyline', { points: pts.map((p) => `${x(p.x)},${y(p.y)}`).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2 }));
    for (const p of pts) {
      if (p.se) parts.push(el('line', { x1: x(p.x), x2: x(p.x), y1: y(p.y - p.se), y2: y(p.y + p.se), stroke: s.color }));
      const dot = el('circle', { cx: x(p.x), cy: y(p.y), r: 3.5, fill: s.color });
      dot.append(el('title', {}, `${s.label}, ${p.x} steps: FID ${p.y.toFixed(2)}${p.se ? ` ± ${p.se.toFixed(2)}` : ''}`));
      parts.push(dot);
    }
    const last = pts[pts.length - 1];
    const label = el('text', { x: x(last.x) + 6, y: y(last.y) + 4 + (s.dy || 0), class: 'label' }, s.label);
    label.style.fill = s.color; // set through the CSSOM: the Content-Security-Policy refuses style attributes
    parts.push(label);
  }
  svg.replaceChildren(...parts);
}
