//! The scoreboard's plots, one panel per dataset: precision against recall of every row, FID against the
//! number of diffusion steps, and the predicted-class histograms of the unconditional samples.

use super::scoreboard::{Board, Row, Scoreboard};
use crate::data::CLASSES;
use crate::plot::Canvas;
use std::path::Path;

const PANEL_W: usize = 520;
const PANEL_H: usize = 420;
const GRAY: [u8; 3] = [120, 120, 120];
const BLACK: [u8; 3] = [0, 0, 0];

fn color(model: &str) -> [u8; 3] {
    match model {
        "gan" => [214, 39, 40],
        "vae" => [31, 119, 180],
        "diffusion" => [44, 160, 44],
        _ => [90, 90, 90],
    }
}

/// Writes every plot into `dir`.
pub fn write_all(board: &Scoreboard, dir: &Path) -> Result<(), String> {
    let panels = board.datasets.len().max(1);
    let mut pr = Canvas::new(PANEL_W * panels, PANEL_H);
    let mut steps = Canvas::new(PANEL_W * panels, PANEL_H);
    for (i, b) in board.datasets.iter().enumerate() {
        precision_recall(&mut pr, i * PANEL_W, b);
        fid_steps(&mut steps, i * PANEL_W, b);
    }
    pr.write(&dir.join("scoreboard-precision-recall.png"))?;
    steps.write(&dir.join("scoreboard-fid-steps.png"))?;
    classes(board, &dir.join("scoreboard-classes.png"))
}

/// Draws a panel's frame and title; returns its plot area (left, top, right, bottom).
fn panel(c: &mut Canvas, x0: usize, title: &str) -> (usize, usize, usize, usize) {
    let (l, t, r, bot) = (x0 + 60, 40, x0 + PANEL_W - 20, PANEL_H - 40);
    c.rect(l, t, r, bot, GRAY);
    c.text(x0 + 8, 8, title, BLACK);
    (l, t, r, bot)
}

fn marker(c: &mut Canvas, (x, y): (i64, i64), col: [u8; 3]) {
    for dx in -3..=3 {
        for dy in -3..=3 {
            c.set(x + dx, y + dy, col);
        }
    }
}

fn precision_recall(c: &mut Canvas, x0: usize, b: &Board) {
    let (l, t, r, bot) = panel(c, x0, &format!("{}: precision / recall", b.dataset));
    c.text(l, bot + 8, "0", GRAY);
    c.text(r - 40, bot + 8, "recall 1", GRAY);
    c.text(x0 + 8, t, "1", GRAY);
    c.text(x0 + 8, bot - 10, "0", GRAY);
    let at = |row: &Row| {
        let p = &row.conditional;
        (
            l as i64 + ((r - l) as f64 * p.recall) as i64,
            bot as i64 - ((bot - t) as f64 * p.precision) as i64,
        )
    };
    // Sweeps as lines from the family's default row.
    for sweep in ["truncation", "temperature", "steps", "guidance"] {
        let points: Vec<&Row> = b
            .rows
            .iter()
            .filter(|row| row.sweep.as_deref() == Some(sweep))
            .collect();
        for pair in points.windows(2) {
            c.line(at(pair[0]), at(pair[1]), color(&pair[0].model));
        }
    }
    // Main and reference rows are labelled first; a label that would overlap an earlier one or leave the
    // panel tries the other side of its marker, then is left out (the marker stays).
    let mut order: Vec<&Row> = b.rows.iter().collect();
    order.sort_by_key(|row| row.sweep.is_some());
    let mut taken: Vec<[i64; 4]> = Vec::new();
    for row in order {
        let p = at(row);
        marker(c, p, color(&row.model));
        let w = 8 * row.id.chars().count() as i64;
        let candidates = [
            (p.0 + 6, p.1 - 4),
            (p.0 - 6 - w, p.1 - 4),
            (p.0 + 6, p.1 + 6),
        ];
        let free = candidates
            .into_iter()
            .map(|(x, y)| [x, y, x + w, y + 10])
            .find(|b| {
                b[0] >= x0 as i64
                    && b[2] <= (x0 + PANEL_W) as i64
                    && b[1] >= 0
                    && !taken
                        .iter()
                        .any(|t| b[0] < t[2] && t[0] < b[2] && b[1] < t[3] && t[1] < b[3])
            });
        if let Some(b) = free {
            c.text(b[0] as usize, b[1] as usize, &row.id, color(&row.model));
            taken.push(b);
        }
    }
}

fn fid_steps(c: &mut Canvas, x0: usize, b: &Board) {
    let (l, t, r, bot) = panel(c, x0, &format!("{}: diffusion fid / steps", b.dataset));
    let points: Vec<(f64, f64, &str)> = b
        .rows
        .iter()
        .filter(|row| row.sweep.as_deref() == Some("steps"))
        .filter_map(|row| {
            let steps = row.knobs.get("steps")?.as_f64()?;
            Some((steps, row.conditional.fid, row.id.as_str()))
        })
        .collect();
    let hi = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.1;
    c.text(x0 + 8, t, &format!("{hi:.1}"), GRAY);
    c.text(x0 + 8, bot - 10, "0", GRAY);
    // Steps on a log axis from 5 to 2000.
    let x = |s: f64| l as i64 + ((r - l) as f64 * (s / 5.0).ln() / 400f64.ln()) as i64;
    for s in [10.0, 100.0, 1000.0] {
        c.text(x(s) as usize - 8, bot + 8, &format!("{s}"), GRAY);
    }
    let y = |f: f64| bot as i64 - ((bot - t) as f64 * f / hi) as i64;
    let col = color("diffusion");
    for pair in points.windows(2) {
        c.line(
            (x(pair[0].0), y(pair[0].1)),
            (x(pair[1].0), y(pair[1].1)),
            col,
        );
    }
    for &(s, f, id) in &points {
        marker(c, (x(s), y(f)), col);
        c.text(
            x(s) as usize + 6,
            y(f) as usize - 12,
            &format!("{f:.1}"),
            BLACK,
        );
        if id == "diffusion-ddpm" {
            c.text(x(s) as usize - 30, y(f) as usize + 8, "ddpm", BLACK);
        }
    }
}

fn classes(board: &Scoreboard, path: &Path) -> Result<(), String> {
    const ROW_H: usize = 60;
    const BAR_W: usize = 18;
    let rows: Vec<Vec<&Row>> = board
        .datasets
        .iter()
        .map(|b| {
            b.rows
                .iter()
                .filter(|r| r.unconditional.is_some())
                .collect()
        })
        .collect();
    let height = 30 + ROW_H * rows.iter().map(Vec::len).max().unwrap_or(0);
    let panel = 200 + CLASSES * BAR_W + 40;
    let mut c = Canvas::new(panel * board.datasets.len().max(1), height);
    for (i, (b, rows)) in board.datasets.iter().zip(&rows).enumerate() {
        let x0 = i * panel;
        c.text(
            x0 + 8,
            8,
            &format!("{}: classes of unconditional samples", b.dataset),
            BLACK,
        );
        for (j, row) in rows.iter().enumerate() {
            let Some(u) = &row.unconditional else {
                continue;
            };
            let base = 30 + (j + 1) * ROW_H - 12;
            c.text(x0 + 8, base - 20, &row.id, color(&row.model));
            for (k, share) in u.histogram.iter().enumerate() {
                let bx = x0 + 200 + k * BAR_W;
                // A share of 0.5 fills the row; the 10% of a uniform histogram is a fifth of it.
                let h = ((ROW_H - 14) as f64 * (share / 0.5).min(1.0)) as usize;
                c.fill(bx, base - h, bx + BAR_W - 4, base, color(&row.model));
                c.text(bx + 2, base + 2, &k.to_string(), GRAY);
            }
            let tenth = base - (ROW_H - 14) / 5;
            c.line(
                ((x0 + 196) as i64, tenth as i64),
                ((x0 + 200 + CLASSES * BAR_W) as i64, tenth as i64),
                GRAY,
            );
        }
    }
    c.write(path)
}
