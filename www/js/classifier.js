// The scoreboard's classifier, on the visitor's own samples: each sample's predicted class and confidence,
// and, for unconditional samples, a class histogram of everything drawn so far that fills up with every new
// seed — mode collapse, watched as it happens.
import { cssColor, drawColumns } from './charts.js';
import { engineCall } from './engine.js';
import { vocab } from './vocab.js';

/// The classifier's reading of n images (n·784 gray bytes): `{classes, confidences, features, dim}`.
export async function classify(dataset, pixels) {
  const { out } = await engineCall([`classifier-${dataset}`], (w) => w.classify({ dataset, images: pixels }));
  return out;
}

/// Under-sample labels: the predicted class and its probability, e.g. "3 97%".
export function readingLabels(reading) {
  return Array.from(reading.classes, (c, i) => `${c} ${Math.round(100 * reading.confidences[i])}%`);
}

// The unconditional samples read so far, per dataset and family: each setting (seed, n, knob) counted once.
const tallies = new Map(); // "dataset/family" -> {counts: number[10], features: number[], dim, seen: Set<settings>}

/// Adds one set of unconditional samples (`settings`: what drew them) to its family's tally; returns the
/// tally `{counts, total, features, dim}`.
export function tally(dataset, family, settings, reading) {
  const key = `${dataset}/${family}`;
  if (!tallies.has(key)) tallies.set(key, { counts: new Array(vocab.datasets[0].classes.length).fill(0), features: [], dim: reading.dim, seen: new Set() });
  const t = tallies.get(key);
  if (!t.seen.has(settings)) {
    t.seen.add(settings);
    for (const c of reading.classes) t.counts[c] += 1;
    t.features.push(...reading.features);
  }
  return { counts: t.counts, total: t.counts.reduce((a, b) => a + b, 0), features: t.features, dim: t.dim };
}

/// The tally of a family's unconditional samples on `dataset`, if any.
export function tallyOf(dataset, family) {
  const t = tallies.get(`${dataset}/${family}`);
  return t && { counts: t.counts, total: t.counts.reduce((a, b) => a + b, 0), features: t.features, dim: t.dim };
}

/// What a tally shows, in words.
export function tallyText({ counts, total }) {
  const covered = counts.filter((c) => c / total >= 0.05).length;
  return `your ${total} unconditional samples: ${covered} of ${counts.length} classes at 5% or more`;
}

/// Draws a tally as a class histogram on `canvas` (its width follows its box) and says what it shows.
export function drawTally(canvas, caption, family, { counts, total }) {
  const shares = counts.map((c) => c / total);
  const width = Math.max(100, Math.floor(canvas.parentElement.clientWidth));
  drawColumns(canvas, shares, { max: Math.max(0.25, ...shares), labels: shares.map((_, i) => i), reference: 0.1, width, height: 70, color: cssColor(`--${family}`) });
  caption.textContent = tallyText({ counts, total });
  canvas.setAttribute('aria-label', `class shares of your ${total} unconditional ${family} samples: ${shares.map((s, i) => `class ${i} ${Math.round(100 * s)}%`).join(', ')}`);
}

/// One line on a conditional set: how many read as the class asked for, and how surely.
export function agreement(reading, cls) {
  const n = reading.classes.length;
  const hits = Array.from(reading.classes).filter((c) => c === cls).length;
  const mean = reading.confidences.reduce((a, b) => a + b, 0) / n;
  return `the classifier reads ${hits} of ${n} as class ${cls} (mean confidence ${Math.round(100 * mean)}%)`;
}
