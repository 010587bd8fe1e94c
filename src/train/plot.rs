//! Loss logs (CSV) and their plot: one panel per loss, smoothed, with min/max labels.

use crate::plot::Canvas;
use std::path::Path;

/// A loss log: column names and one row of values per step.
pub struct LossLog {
    pub names: Vec<String>,
    pub steps: Vec<u64>,
    pub rows: Vec<Vec<f64>>,
}

impl LossLog {
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut lines = text.lines();
        let header = lines.next().ok_or(format!("{}: empty", path.display()))?;
        let names: Vec<String> = header.split(',').skip(1).map(str::to_string).collect();
        let (mut steps, mut rows) = (Vec::new(), Vec::new());
        for line in lines {
            let mut cells = line.split(',');
            let bad = || format!("{}: bad row `{line}`", path.display());
            steps.push(cells.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?);
            let row: Vec<f64> = cells
                .map(|c| c.parse().map_err(|_| bad()))
                .collect::<Result<_, _>>()?;
            if row.len() != names.len() {
                return Err(bad());
            }
            rows.push(row);
        }
        Ok(Self { names, steps, rows })
    }

    /// Mean of each loss over the last `n` steps.
    pub fn final_means(&self, n: usize) -> Vec<f64> {
        let tail = &self.rows[self.rows.len().saturating_sub(n)..];
        (0..self.names.len())
            .map(|j| tail.iter().map(|r| r[j]).sum::<f64>() / tail.len().max(1) as f64)
            .collect()
    }

    /// Writes the plot as a PNG.
    pub fn plot(&self, path: &Path) -> Result<(), String> {
        const W: usize = 640;
        const PANEL: usize = 150;
        let h = PANEL * self.names.len().max(1);
        let mut img = Canvas::new(W, h);
        let colors = [
            [31, 119, 180],
            [214, 39, 40],
            [44, 160, 44],
            [148, 103, 189],
        ];
        let max_step = *self.steps.last().unwrap_or(&1) as f64;
        for (j, name) in self.names.iter().enumerate() {
            let y0 = j * PANEL;
            let series: Vec<f64> = self.rows.iter().map(|r| r[j]).collect();
            let smooth = ema(&series, 0.98);
            // Skip the first 2% (the initial transient) when choosing the y range.
            let skip = smooth.len() / 50;
            let shown = &smooth[skip.min(smooth.len().saturating_sub(1))..];
            let lo = shown.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = shown.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let (lo, hi) = if hi > lo {
                (lo, hi)
            } else {
                (lo - 0.5, lo + 0.5)
            };
            let (left, right, top, bottom) = (50, W - 10, y0 + 16, y0 + PANEL - 16);
            img.rect(left, top, right, bottom, [200, 200, 200]);
            img.text(4, y0 + 4, &name.to_string(), [0, 0, 0]);
            img.text(4, top, &short(hi), [80, 80, 80]);
            img.text(4, bottom - 5, &short(lo), [80, 80, 80]);
            img.text(
                right - 40,
                bottom + 4,
                &format!("{}", max_step as u64),
                [80, 80, 80],
            );
            let mut prev: Option<(i64, i64)> = None;
            for (i, v) in smooth.iter().enumerate() {
                let x =
                    left as f64 + (right - left) as f64 * self.steps[i] as f64 / max_step.max(1.0);
                let y =
                    bottom as f64 - (bottom - top) as f64 * ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
                let p = (x as i64, y as i64);
                if let Some(q) = prev {
                    img.line(q, p, colors[j % colors.len()]);
                }
                prev = Some(p);
            }
        }
        img.write(path)
    }
}

fn ema(xs: &[f64], k: f64) -> Vec<f64> {
    let mut s = xs.first().copied().unwrap_or(0.0);
    xs.iter()
        .map(|&x| {
            s = k * s + (1.0 - k) * x;
            s
        })
        .collect()
}

fn short(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}
