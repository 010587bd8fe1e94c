//! Loss logs (CSV) and their plot: one panel per loss, smoothed, with min/max labels drawn in a 3×5 font.

use crate::image::write_png;
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
        let mut img = Canvas {
            w: W,
            h,
            px: vec![255; W * h * 3],
        };
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
            img.text(4, y0 + 4, &format!("{name}"), [0, 0, 0]);
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
        write_png(path, W, h, 3, &img.px).map_err(|e| format!("{}: {e}", path.display()))
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

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

/// 3×5 glyphs, one row of 3 bits per digit of the octal-ish code (top row first).
fn glyph(c: char) -> [u8; 5] {
    match c.to_ascii_lowercase() {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '.' => [0, 0, 0, 0, 2],
        '-' => [0, 0, 7, 0, 0],
        '_' => [0, 0, 0, 0, 7],
        'a' => [2, 5, 7, 5, 5],
        'b' => [6, 5, 6, 5, 6],
        'c' => [7, 4, 4, 4, 7],
        'd' => [6, 5, 5, 5, 6],
        'e' => [7, 4, 6, 4, 7],
        'f' => [7, 4, 6, 4, 4],
        'g' => [7, 4, 5, 5, 7],
        'h' => [5, 5, 7, 5, 5],
        'i' => [7, 2, 2, 2, 7],
        'j' => [1, 1, 1, 5, 7],
        'k' => [5, 5, 6, 5, 5],
        'l' => [4, 4, 4, 4, 7],
        'm' => [5, 7, 7, 5, 5],
        'n' => [6, 5, 5, 5, 5],
        'o' => [7, 5, 5, 5, 7],
        'p' => [7, 5, 7, 4, 4],
        'q' => [7, 5, 5, 7, 1],
        'r' => [6, 5, 6, 5, 5],
        's' => [7, 4, 7, 1, 7],
        't' => [7, 2, 2, 2, 2],
        'u' => [5, 5, 5, 5, 7],
        'v' => [5, 5, 5, 5, 2],
        'w' => [5, 5, 7, 7, 5],
        'x' => [5, 5, 2, 5, 5],
        'y' => [5, 5, 2, 2, 2],
        'z' => [7, 1, 2, 4, 7],
        _ => [0; 5],
    }
}

impl Canvas {
    fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if (0..self.w as i64).contains(&x) && (0..self.h as i64).contains(&y) {
            let at = (y as usize * self.w + x as usize) * 3;
            self.px[at..at + 3].copy_from_slice(&c);
        }
    }

    fn rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3]) {
        for x in x0..=x1 {
            self.set(x as i64, y0 as i64, c);
            self.set(x as i64, y1 as i64, c);
        }
        for y in y0..=y1 {
            self.set(x0 as i64, y as i64, c);
            self.set(x1 as i64, y as i64, c);
        }
    }

    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: [u8; 3]) {
        let n = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
        for i in 0..=n {
            self.set(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n, c);
        }
    }

    /// Text at 2× scale (each glyph 6×10 pixels plus spacing).
    fn text(&mut self, x: usize, y: usize, s: &str, c: [u8; 3]) {
        for (k, ch) in s.chars().enumerate() {
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..3 {
                    if bits >> (2 - col) & 1 == 1 {
                        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                            self.set(
                                (x + k * 8 + col * 2 + dx) as i64,
                                (y + row * 2 + dy) as i64,
                                c,
                            );
                        }
                    }
                }
            }
        }
    }
}
