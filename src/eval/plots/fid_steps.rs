//! FID against the number of diffusion steps, one line per sampler (and its guidance): the DDIM steps sweep
//! (unguided, with DDPM's 1000 ancestral steps a point of its own) and the DPM-Solver++ sweep (at the main
//! row's guidance), each point with its error bar (± one SE); and the main row (the page's default sampler,
//! with guidance) as a point whose error bar spans the plot as a band: the mark the sweeps compare with.

use super::{Key, legend, row_color};
use crate::chart::{self, Area, Axis, INK, Labels, SMALL, fail, font};
use crate::eval::scoreboard::{Board, Row, swept_knob};
use plotters::prelude::*;

/// Rows drawn as one line, by their number of steps.
struct Line<'a> {
    key: Key,
    rows: Vec<(f64, &'a Row)>,
}

fn fid(r: &Row) -> (f64, f64) {
    (r.conditional.fid, r.conditional.fid_se)
}

fn steps(r: &Row) -> Option<f64> {
    r.knobs.get("steps")?.as_f64()
}

/// `DDIM, guidance 0`: a row's sampler and guidance, which its line is named after; with `steps`,
/// `DDIM 50, guidance 1`.
fn sampler(r: &Row, steps: Option<f64>) -> String {
    let knob = |k: &str| match r.knobs.get(k) {
        Some(v) => v
            .as_f64()
            .map_or(v.as_str().unwrap_or("").into(), |x| x.to_string()),
        None => String::new(),
    };
    let name = match knob("sampler").as_str() {
        "ddim" => "DDIM",
        "dpmpp" => "DPM-Solver++",
        "ddpm" => "DDPM",
        other => return other.to_string(),
    };
    let steps = steps.map(|s| format!(" {s}")).unwrap_or_default();
    format!("{name}{steps}, guidance {}", knob("guidance"))
}

/// The lines of `b`: the rows of every sweep of steps, one line per sampler and guidance.
fn lines(b: &Board) -> Vec<Line<'_>> {
    let mut out: Vec<Line> = Vec::new();
    let swept = b
        .rows
        .iter()
        .filter(|r| r.sweep.as_deref().map(swept_knob) == Some("steps"));
    for (s, r) in swept.filter_map(|r| Some((steps(r)?, r))) {
        let text = sampler(r, None);
        match out.iter_mut().find(|l| l.key.text == text) {
            Some(l) => l.rows.push((s, r)),
            None => out.push(Line {
                key: Key {
                    text,
                    color: row_color(r),
                    triangle: r.sweep.as_deref() == Some("steps"),
                    line: true,
                },
                rows: vec![(s, r)],
            }),
        }
    }
    for l in &mut out {
        l.rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        l.key.line = l.rows.len() > 1;
    }
    out
}

pub fn fid_steps(root: &Area, area: &Area, b: &Board) -> Result<(), String> {
    let lines = lines(b);
    let main = b
        .rows
        .iter()
        .filter(|r| r.model == "diffusion" && r.sweep.is_none())
        .find_map(|r| Some((steps(r)?, r)));
    let points = || lines.iter().flat_map(|l| &l.rows).chain(&main);
    // Room above the highest error bar for the legend.
    let top = points()
        .map(|(_, r)| fid(r).0 + fid(r).1)
        .fold(1.0, f64::max)
        * 1.6;
    let (lo, hi) = points().fold((f64::INFINITY, 0.0f64), |(lo, hi), (s, _)| {
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
        x.clone().log_scale(),
        0.0..top,
    )?;
    let x_axis = Axis {
        desc: "sampling steps (log scale)",
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
    let mut labels = Labels::new(&c);
    let mut keys = Vec::new();
    if let Some((s, r)) = main {
        let (f, se) = fid(r);
        let color = row_color(r);
        let band = [(x.start, f - se), (x.end, f + se)];
        c.draw_series([Rectangle::new(band, color.mix(0.15).filled())])
            .map_err(fail)?;
        keys.push(Key {
            text: format!("{} (main row)", sampler(r, Some(s))),
            color,
            triangle: false,
            line: false,
        });
    }
    for l in lines.iter().filter(|l| l.key.line) {
        let path: Vec<(f64, f64)> = l.rows.iter().map(|(s, r)| (*s, fid(r).0)).collect();
        c.draw_series(LineSeries::new(
            path.iter().copied(),
            l.key.color.stroke_width(2),
        ))
        .map_err(fail)?;
        labels.block_line(&path.iter().map(|p| c.backend_coord(p)).collect::<Vec<_>>());
    }
    let marked = lines
        .iter()
        .flat_map(|l| l.rows.iter().map(move |p| (p, l.key.triangle)))
        .chain(main.as_ref().map(|p| (p, false)));
    for ((s, r), triangle) in marked {
        let ((f, se), color) = (fid(r), row_color(r));
        let bar = PathElement::new(vec![(*s, f - se), (*s, f + se)], color.stroke_width(2));
        c.draw_series([bar]).map_err(fail)?;
        match triangle {
            true => c.draw_series([TriangleMarker::new((*s, f), 7, color.filled())]),
            false => c.draw_series([Circle::new((*s, f), 5, color.filled())]),
        }
        .map_err(fail)?;
        let (px, py) = c.backend_coord(&(*s, f));
        labels.block([
            px - 7,
            c.backend_coord(&(*s, f + se)).1.min(py - 7),
            px + 7,
            c.backend_coord(&(*s, f - se)).1.max(py + 7),
        ]);
    }
    // A lone point (DDPM) is named beside it instead.
    keys.extend(lines.iter().filter(|l| l.key.line).map(|l| l.key.clone()));
    legend(root, &mut labels, &keys)?;
    for (s, r) in points() {
        let text = match r.knobs.get("sampler").and_then(|v| v.as_str()) == Some("ddpm") {
            true => format!("ddpm {:.2}", fid(r).0),
            false => format!("{:.2}", fid(r).0),
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

#[cfg(test)]
mod tests {
    use super::super::{svgs, tests::shipped};
    use super::*;
    use crate::chart::assert_texts;
    use crate::data::DatasetKind;
    use crate::models::diffusion::Guidance;

    #[test]
    fn one_line_per_sampler_and_the_main_row_as_a_band() {
        let board = shipped();
        // MNIST's DPM-Solver++ rows and main row sample at its default guidance.
        let w = Guidance::default_for(DatasetKind::Mnist).get();
        let names: Vec<String> = lines(&board.datasets[0])
            .iter()
            .map(|l| format!("{} ({})", l.key.text, l.rows.len()))
            .collect();
        assert_eq!(
            names,
            [
                "DDIM, guidance 0 (5)",
                &format!("DPM-Solver++, guidance {w} (4)"),
                "DDPM, guidance 0 (1)"
            ]
        );
        let texts = assert_texts(
            &svgs(&board).unwrap()[1],
            &[
                "FID ± SE (lower is better)",
                "sampling steps (log scale)",
                "mnist: diffusion FID against steps",
                &format!("DPM-Solver++ 20, guidance {w} (main row)"),
                &format!("DPM-Solver++, guidance {w}"),
                "DDIM, guidance 0",
                "10",
                "100",
                "1000",
            ],
        );
        assert!(texts.iter().any(|t| t.starts_with("ddpm ")), "{texts:?}");
    }
}
