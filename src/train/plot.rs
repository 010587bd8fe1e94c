//! Loss logs (CSV) and their plot: one panel per loss, smoothed, against the training step.

use crate::chart;
use plotters::prelude::*;
use std::path::Path;

/// The losses' colours, in column order.
const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

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

    /// Draws one panel per loss, smoothed (EMA 0.98), as an SVG of `title`.
    pub fn svg(&self, title: &str) -> Result<String, String> {
        const PANEL: u32 = 230;
        const HEAD: u32 = 44;
        let panels = self.names.len().max(1);
        chart::svg(chart::WIDTH, HEAD + PANEL * panels as u32, |root| {
            root.draw_text(
                &format!("{title}: training losses"),
                &chart::font(chart::TITLE, chart::INK),
                (16, HEAD as i32 / 2),
            )
            .map_err(chart::fail)?;
            let (_, body) = root.split_vertically(HEAD);
            for (j, (name, area)) in self
                .names
                .iter()
                .zip(body.split_evenly((panels, 1)))
                .enumerate()
            {
                self.panel(j, name, j + 1 == panels, &area)?;
            }
            Ok(())
        })
    }

    /// The panel of loss `j`: its smoothed curve against the step, the y range without the first 2% (the
    /// initial transient); the `last` panel names the step axis.
    fn panel(&self, j: usize, name: &str, last: bool, area: &chart::Area) -> Result<(), String> {
        let series: Vec<f64> = self.rows.iter().map(|r| r[j]).collect();
        let smooth = ema(&series, 0.98);
        let skip = (smooth.len() / 50).min(smooth.len().saturating_sub(1));
        let range = chart::span(smooth[skip..].iter().copied(), 1e-3);
        let end = self.steps.last().copied().unwrap_or(1).max(1) as f64;
        let mut c = chart::chart(
            area,
            (name, chart::TEXT),
            (if last { 64 } else { 40 }, 84),
            0.0..end,
            range.clone(),
        )?;
        let digits = chart::decimals((range.end - range.start) / 5.0);
        let x = chart::Axis {
            desc: if last { "step" } else { "" },
            labels: 6,
            format: &|v| format!("{v:.0}"),
        };
        let y = chart::Axis {
            desc: "EMA 0.98",
            labels: 5,
            format: &|v| format!("{v:.digits$}"),
        };
        chart::axes(&mut c, x, y)?;
        // A curve of at most ~1000 points: the smoothing leaves nothing finer to see.
        let stride = smooth.len().div_ceil(1000).max(1);
        let points = self
            .steps
            .iter()
            .zip(&smooth)
            .step_by(stride)
            .chain(self.steps.last().zip(smooth.last()))
            .map(|(&s, &v)| (s as f64, v));
        c.draw_series(LineSeries::new(
            points,
            COLORS[j % COLORS.len()].stroke_width(2),
        ))
        .map_err(chart::fail)?;
        Ok(())
    }

    /// Writes [`LossLog::svg`] to `path`.
    pub fn plot(&self, title: &str, path: &Path) -> Result<(), String> {
        chart::write(path, &self.svg(title)?)
    }
}

/// The loss plot of the model `name` (`gan-mnist`): `gan-mnist.loss.svg`.
pub fn plot_file(name: &str) -> String {
    format!("{name}.loss.svg")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::assert_texts;

    fn log(csv: &str) -> Result<LossLog, String> {
        let path = std::env::temp_dir().join(format!(
            "trilemma-loss-{}-{}.csv",
            std::process::id(),
            csv.len()
        ));
        std::fs::write(&path, csv).unwrap();
        let log = LossLog::read(&path);
        std::fs::remove_file(&path).unwrap();
        log
    }

    #[test]
    fn reads_a_log_and_refuses_a_short_row() {
        let l = log("step,loss_d,loss_g\n1,0.5,2.0\n2,0.25,1.0\n3,0.75,3.0\n").unwrap();
        assert_eq!(l.names, ["loss_d", "loss_g"]);
        assert_eq!(l.steps, [1, 2, 3]);
        assert_eq!(l.rows[1], [0.25, 1.0]);
        assert_eq!(l.final_means(2), [0.5, 2.0]);
        let bad = log("step,loss_d,loss_g\n1,0.5\n").err().unwrap();
        assert!(bad.contains("bad row `1,0.5`"), "{bad}");
    }

    #[test]
    fn plots_a_panel_per_loss_with_named_axes() {
        let csv: String = (1..=400)
            .map(|s| format!("{s},{},{}\n", 1.0 / s as f64, 100.0 + s as f64))
            .collect();
        let svg = log(&format!("step,mse,kl\n{csv}"))
            .unwrap()
            .svg("vae-mnist")
            .unwrap();
        let want = [
            "vae-mnist: training losses",
            "mse",
            "kl",
            "step",
            "EMA 0.98",
            "400",
        ];
        let texts = assert_texts(&svg, &want);
        assert_eq!(
            texts.iter().filter(|t| *t == "step").count(),
            1,
            "{texts:?}"
        );
    }
}
