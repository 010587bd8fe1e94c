//! The scoreboard's plots as SVG, one panel per dataset, stacked so that each stays readable on a phone:
//! precision against recall of every row, FID against the number of diffusion steps (a line per sampler),
//! and the predicted-class histograms of the unconditional samples.

mod fid_steps;
mod precision_recall;

use super::scoreboard::{Board, Row, Scoreboard};
use crate::chart::{self, Area, Axis, INK, Labels, MUTED, SMALL, TEXT, fail, family_color, font};
use crate::data::CLASSES;
use fid_steps::fid_steps;
use plotters::prelude::*;
use precision_recall::precision_recall;
use std::path::Path;

/// The plots' files, in the order of [`svgs`].
pub const FILES: [&str; 3] = [
    "scoreboard-precision-recall.svg",
    "scoreboard-fid-steps.svg",
    "scoreboard-classes.svg",
];

/// Writes every plot into `dir`.
pub fn write_all(board: &Scoreboard, dir: &Path) -> Result<(), String> {
    for (file, svg) in FILES.iter().zip(svgs(board)?) {
        chart::write(&dir.join(file), &svg)?;
    }
    Ok(())
}

/// The three plots, in the order of [`FILES`].
pub fn svgs(board: &Scoreboard) -> Result<[String; 3], String> {
    Ok([
        panels(board, 480, precision_recall)?,
        panels(board, 440, fid_steps)?,
        panels(board, 470, classes)?,
    ])
}

/// A panel of `h` pixels per dataset, stacked, each drawn by `draw` (given the whole SVG, for labels, and
/// the panel's area).
fn panels(
    board: &Scoreboard,
    h: u32,
    draw: fn(&Area, &Area, &Board) -> Result<(), String>,
) -> Result<String, String> {
    let n = board.datasets.len().max(1);
    chart::svg(chart::WIDTH, h * n as u32, |root| {
        for (b, area) in board.datasets.iter().zip(root.split_evenly((n, 1))) {
            draw(root, &area, b)?;
        }
        Ok(())
    })
}

/// DPM-Solver++ rows' colour, apart from the DDIM rows of the diffusion family's green.
const DPMPP: RGBColor = RGBColor(148, 103, 189);

/// A row's colour: its family's, DPM-Solver++ rows in their own.
fn row_color(row: &Row) -> RGBColor {
    match row.knobs.get("sampler").and_then(|v| v.as_str()) {
        Some("dpmpp") => DPMPP,
        _ => family_color(&row.model),
    }
}

/// A legend entry: a triangle or a dot in `color`, on a short line where `line`.
#[derive(Clone)]
struct Key {
    text: String,
    color: RGBColor,
    triangle: bool,
    line: bool,
}

/// A legend in the first corner of the plot (top right, bottom right, bottom left, top left) clear of
/// everything `labels` keeps labels off; the bottom left if none is.
fn legend(root: &Area, labels: &mut Labels, keys: &[Key]) -> Result<(), String> {
    if keys.is_empty() {
        return Ok(());
    }
    const LINE: i32 = 26;
    let w = 48
        + keys
            .iter()
            .map(|k| chart::text_width(&k.text, SMALL))
            .max()
            .unwrap_or(0);
    let h = 8 + LINE * keys.len() as i32;
    let [l, t, r, b] = labels.bounds();
    let corners = [
        (r - w - 8, t + 8),
        (r - w - 8, b - h - 8),
        (l + 8, b - h - 8),
        (l + 8, t + 8),
    ];
    let boxes = corners.map(|(x, y)| [x, y, x + w, y + h]);
    let at = boxes
        .into_iter()
        .find(|r| labels.is_free(r))
        .unwrap_or(boxes[2]);
    labels.block(at);
    let frame = Rectangle::new([(at[0], at[1]), (at[2], at[3])], WHITE.mix(0.85).filled());
    root.draw(&frame).map_err(fail)?;
    for (i, key) in keys.iter().enumerate() {
        let y = at[1] + 4 + LINE / 2 + LINE * i as i32;
        if key.line {
            root.draw(&PathElement::new(
                vec![(at[0] + 6, y), (at[0] + 36, y)],
                key.color.stroke_width(2),
            ))
            .map_err(fail)?;
        }
        match key.triangle {
            true => root.draw(&TriangleMarker::new((at[0] + 21, y), 6, key.color.filled())),
            false => root.draw(&Circle::new((at[0] + 21, y), 4, key.color.filled())),
        }
        .map_err(fail)?;
        root.draw_text(&key.text, &font(SMALL, INK), (at[0] + 44, y))
            .map_err(fail)?;
    }
    Ok(())
}

fn classes(root: &Area, area: &Area, b: &Board) -> Result<(), String> {
    let rows: Vec<(&Row, &[f64; CLASSES])> = b
        .rows
        .iter()
        .filter(|r| r.sweep.is_none())
        .filter_map(|r| Some((r, &r.unconditional.as_ref()?.histogram)))
        .collect();
    let (head, grid) = area.split_vertically(64);
    let title = format!("{}: classes of unconditional samples", b.dataset);
    head.draw_text(&title, &font(chart::TITLE, INK), (16, 20))
        .map_err(fail)?;
    head.draw_text(
        "share of samples per predicted class; dashed: an even 10%",
        &font(SMALL, MUTED),
        (16, 48),
    )
    .map_err(fail)?;
    // One y axis for all, up to the models' largest share; a taller bar is cut and its share written.
    let most = rows
        .iter()
        .filter(|(r, _)| r.model != "reference")
        .flat_map(|(_, h)| h.iter().copied());
    let top = ((most.fold(0.15, f64::max) * 10.0).floor() + 1.0) / 10.0;
    let cols = 3;
    let cells = grid.split_evenly((rows.len().div_ceil(cols).max(1), cols));
    for ((row, histogram), cell) in rows.iter().zip(&cells) {
        let mut c = chart::chart(cell, (&row.id, TEXT), (34, 58), -0.6..9.6, 0.0..top)?;
        let class = Axis {
            desc: "",
            labels: CLASSES,
            format: &|v| format!("{v:.0}"),
        };
        chart::axes(
            &mut c,
            class,
            Axis {
                desc: "",
                labels: 3,
                format: &|v| format!("{:.0}%", v * 100.0),
            },
        )?;
        let color = family_color(&row.model);
        let even = [(-0.6, 0.1), (9.6, 0.1)];
        c.draw_series(DashedLineSeries::new(even, 6, 4, MUTED.stroke_width(1)))
            .map_err(fail)?;
        let mut labels = Labels::new(&c);
        for (k, &share) in histogram.iter().enumerate() {
            let k = k as f64;
            let bar = Rectangle::new(
                [(k - 0.35, 0.0), (k + 0.35, share.min(top))],
                color.filled(),
            );
            c.draw_series([bar]).map_err(fail)?;
            let [(x0, y0), (x1, y1)] =
                [(k - 0.35, share.min(top)), (k + 0.35, 0.0)].map(|p| c.backend_coord(&p));
            labels.block([x0, y0, x1, y1]);
        }
        for (k, &share) in histogram.iter().enumerate().filter(|(_, s)| **s > top) {
            let at = c.backend_coord(&(k as f64, top));
            labels.draw(
                root,
                (at.0, at.1 + 12),
                &format!("{:.0}%", share * 100.0),
                &font(SMALL, INK),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::assert_texts;

    pub fn shipped() -> Scoreboard {
        let json =
            std::fs::read_to_string("models/scoreboard.json").expect("models/scoreboard.json");
        Scoreboard::parse(&json).expect("a valid scoreboard")
    }

    #[test]
    fn every_plot_scales_and_names_its_axes() {
        let [pr, _, classes] = svgs(&shipped()).unwrap();
        let pr_axes = ["recall (diversity) →", "precision (fidelity) →"];
        assert_texts(
            &pr,
            &[
                &pr_axes[..],
                &[
                    "mnist: precision against recall",
                    "fashion: precision against recall",
                ],
            ]
            .concat(),
        );
        let rows = ["train", "noise", "class-means", "gan", "vae", "diffusion"];
        assert_texts(
            &classes,
            &[
                &rows[..],
                &[
                    "9",
                    "share of samples per predicted class; dashed: an even 10%",
                ],
            ]
            .concat(),
        );
    }
}
