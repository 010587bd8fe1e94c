//! The scoreboard's plots as SVG, one panel per dataset, stacked so that each stays readable on a phone:
//! precision against recall of every row, FID against the number of diffusion steps, and the
//! predicted-class histograms of the unconditional samples.

mod precision_recall;

use super::scoreboard::{Board, Row, Scoreboard};
use crate::chart::{self, Area, Axis, INK, Labels, MUTED, SMALL, TEXT, fail, family_color, font};
use crate::data::CLASSES;
use plotters::prelude::*;
use precision_recall::{knob_text, precision_recall};
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
        panels(board, 400, fid_steps)?,
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

fn fid_steps(root: &Area, area: &Area, b: &Board) -> Result<(), String> {
    let rows: Vec<(f64, &Row)> = b
        .rows
        .iter()
        .filter(|r| r.sweep.as_deref() == Some("steps"))
        .filter_map(|r| Some((r.knobs.get("steps")?.as_f64()?, r)))
        .collect();
    let fid = |r: &Row| (r.conditional.fid, r.conditional.fid_se);
    let top = rows
        .iter()
        .map(|(_, r)| fid(r).0 + fid(r).1)
        .fold(1.0, f64::max)
        * 1.15;
    let (lo, hi) = rows
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), (s, _)| {
            (lo.min(*s), hi.max(*s))
        });
    let x = if lo <= hi {
        lo / 1.6..hi * 1.6
    } else {
        5.0..2000.0
    };
    let title = format!("{}: diffusion FID against steps", b.dataset);
    let mut c = chart::chart(
        area,
        (&title, chart::TITLE),
        chart::ROOM,
        x.log_scale(),
        0.0..top,
    )?;
    let x_axis = Axis {
        desc: "sampling steps (DDIM; DDPM at 1000)",
        labels: 4,
        format: &|v| format!("{v:.0}"),
    };
    chart::axes(
        &mut c,
        x_axis,
        Axis {
            desc: "FID ± SE (lower is better)",
            labels: 6,
            format: &|v| format!("{v:.0}"),
        },
    )?;
    let color = family_color("diffusion");
    let ddim: Vec<(f64, f64)> = rows
        .iter()
        .filter(|(_, r)| knob_text(r, "steps") != "ddpm")
        .map(|(s, r)| (*s, fid(r).0))
        .collect();
    c.draw_series(LineSeries::new(ddim.iter().copied(), color.stroke_width(2)))
        .map_err(fail)?;
    let mut labels = Labels::new(&c);
    labels.block_line(&ddim.iter().map(|p| c.backend_coord(p)).collect::<Vec<_>>());
    for (s, r) in &rows {
        let (f, se) = fid(r);
        c.draw_series([PathElement::new(
            vec![(*s, f - se), (*s, f + se)],
            color.stroke_width(2),
        )])
        .map_err(fail)?;
        c.draw_series([TriangleMarker::new((*s, f), 7, color.filled())])
            .map_err(fail)?;
        let (px, py) = c.backend_coord(&(*s, f));
        labels.block([
            px - 7,
            c.backend_coord(&(*s, f + se)).1,
            px + 7,
            c.backend_coord(&(*s, f - se)).1.max(py + 7),
        ]);
    }
    for (s, r) in &rows {
        let text = match knob_text(r, "steps").as_str() {
            "ddpm" => format!("ddpm {:.1}", fid(r).0),
            _ => format!("{:.1}", fid(r).0),
        };
        labels.draw(
            root,
            c.backend_coord(&(*s, fid(r).0)),
            &text,
            &font(SMALL, INK),
        )?;
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
        let [pr, steps, classes] = svgs(&shipped()).unwrap();
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
        let texts = assert_texts(
            &steps,
            &[
                "FID ± SE (lower is better)",
                "sampling steps (DDIM; DDPM at 1000)",
                "10",
                "100",
                "1000",
            ],
        );
        assert!(texts.iter().any(|t| t.starts_with("ddpm ")), "{texts:?}");
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
