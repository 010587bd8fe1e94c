// Where your samples land: precision (fidelity) against recall (diversity) of every unconditional sample
// the visitor has drawn, per family, measured as the scoreboard measures its rows (k-NN manifolds, against
// as many real test images: the scoreboard's own shuffled test features), beside the scoreboard's points.
import { errorText, latestOnly } from './async.js';
import { cssColor } from './charts.js';
import { tallyOf } from './classifier.js';
import { $ } from './dom.js';
import { engineCall } from './engine.js';
import { drawScatter } from './plot.js';
import { loadScoreboard } from './scoreboard.js';
import { f } from './state.js';
import { vocab } from './vocab.js';
import { referenceFeatures } from './weights.js';

/// Redraws the chart for `dataset` (the latest call wins: every race lane asks).
export const showYours = latestOnly(async (dataset) => {
  const status = $('#yours-status');
  const section = $('#yours');
  try {
    const [real, data] = await Promise.all([referenceFeatures(dataset), loadScoreboard()]);
    if (dataset !== f.dataset.value) return; // the dataset changed meanwhile
    const board = data.datasets.find((b) => b.dataset === dataset);
    const points = (board ? board.rows : [])
      .filter((r) => r.conditional && r.conditional.precision != null)
      .map((r) => ({ x: r.conditional.recall, y: r.conditional.precision, label: r.label, color: cssColor(r.model === 'reference' ? '--muted' : `--${r.model}`), big: false }));
    const yours = [];
    for (const family of vocab.families) {
      const t = tallyOf(dataset, family);
      if (!t || t.total <= 3) continue;
      const { out } = await engineCall([], (w) => w.precisionRecall(real, Float32Array.from(t.features), t.dim));
      yours.push({ x: out[1], y: out[0], label: `your ${family} (${Math.min(t.total, real.length / t.dim)})`, color: cssColor(`--${family}`), big: true });
    }
    section.hidden = false;
    drawScatter($('#yours-chart'), [...points, ...yours], { xLabel: 'recall (diversity) →', yLabel: 'precision (fidelity) →' });
    $('#yours-chart').setAttribute('aria-label', `precision and recall: ${yours.map((p) => `${p.label}: precision ${p.y.toFixed(2)}, recall ${p.x.toFixed(2)}`).join('; ')}`);
    status.textContent = yours.length
      ? yours.map((p) => `${p.label}: precision ${p.y.toFixed(2)}, recall ${p.x.toFixed(2)}`).join(' · ')
      : 'The scoreboard\'s rows; race unconditional to place your own samples among them.';
  } catch (e) {
    section.hidden = false;
    status.textContent = `Couldn't place your samples: ${errorText(e)}`;
  }
});
