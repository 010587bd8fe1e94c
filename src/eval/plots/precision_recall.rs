//! Precision against recall of every row: sweeps joined in their family's colour (DPM-Solver++ in its own)
//! and listed in a legend, main and reference rows named beside their points.

use super::{Key, legend, row_color};
use crate::chart::{self, Area, Axis, Chart, Labels, MUTED, SMALL, TEXT, fail, family_color, font};
use crate::eval::scoreboard::{Board, Row, swept_knob};
use plotters::prelude::*;

/// A row's point: (recall, precision).
fn pr(row: &Row) -> (f64, f64) {
    (row.conditional.recall, row.conditional.precision)
}

/// Rows of one sweep, in order.
struct Sweep<'a> {
    model: &'a str,
    name: &'a str,
    /// The knob it varies (`steps` for the `dpmpp` sweep).
    knob: &'a str,
    rows: Vec<&'a Row>,
}

impl Sweep<'_> {
    /// The steps sweeps are drawn in triangles, apart from the guidance sweep of the same colour.
    fn triangle(&self) -> bool {
        self.knob == "steps"
    }

    fn color(&self) -> RGBColor {
        self.rows
            .last()
            .map_or(family_color(self.model), |r| row_color(r))
    }

    fn legend(&self) -> String {
        let value = |r: Option<&&Row>| r.map(|r| knob_text(r, self.knob)).unwrap_or_default();
        let what = match self.name == self.knob {
            true => self.knob.to_string(),
            false => format!("{} {}", self.name, self.knob),
        };
        format!(
            "{} {what}: {} → {}",
            self.model,
            value(self.rows.first()),
            value(self.rows.last())
        )
    }
}

/// A row's value of `knob`, or `ddpm` for the DDPM sampler.
fn knob_text(row: &Row, knob: &str) -> String {
    if row.knobs.get("sampler").and_then(|v| v.as_str()) == Some("ddpm") {
        return "ddpm".into();
    }
    row.knobs
        .get(knob)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// Every sweep of `b`. A sweep starts at its family's main row where that row differs from the sweep's
/// only in the swept knob, at a value no sweep row has (truncation 1 → 0.8 → 0.4).
fn sweeps(b: &Board) -> Vec<Sweep<'_>> {
    let mut out: Vec<Sweep> = Vec::new();
    for row in &b.rows {
        let Some(name) = row.sweep.as_deref() else {
            continue;
        };
        match out
            .iter_mut()
            .find(|s| s.name == name && s.model == row.model)
        {
            Some(s) => s.rows.push(row),
            None => out.push(Sweep {
                model: &row.model,
                name,
                knob: swept_knob(name),
                rows: vec![row],
            }),
        }
    }
    for s in &mut out {
        let main = b
            .rows
            .iter()
            .find(|r| r.model == s.model && r.sweep.is_none());
        let leads = main.filter(|m| {
            let others = |r: &Row| {
                let mut knobs = r.knobs.clone();
                knobs.remove(s.knob);
                knobs
            };
            s.rows
                .iter()
                .all(|r| others(r) == others(m) && r.knobs.get(s.knob) != m.knobs.get(s.knob))
        });
        if let Some(m) = leads {
            s.rows.insert(0, m);
        }
    }
    out
}

/// A marker: a triangle or a dot of radius `r`.
fn marker(
    c: &mut Chart,
    p: (f64, f64),
    r: i32,
    triangle: bool,
    color: RGBColor,
) -> Result<(), String> {
    let style = color.filled();
    match triangle {
        true => c.draw_series([TriangleMarker::new(p, r + 2, style)]),
        false => c.draw_series([Circle::new(p, r, style)]),
    }
    .map(drop)
    .map_err(fail)
}

pub fn precision_recall(root: &Area, area: &Area, b: &Board) -> Result<(), String> {
    // The axes span the model rows; reference rows outside them are named below the plot.
    let models: Vec<&Row> = b.rows.iter().filter(|r| r.model != "reference").collect();
    let x = chart::span(models.iter().map(|r| pr(r).0), 0.03);
    let y = chart::span(models.iter().map(|r| pr(r).1), 0.03);
    let (shown, off): (Vec<&Row>, Vec<&Row>) = b
        .rows
        .iter()
        .partition(|r| x.contains(&pr(r).0) && y.contains(&pr(r).1));
    let (area, note) = area.split_vertically(area.dim_in_pixel().1 - 36);
    let title = format!("{}: precision against recall", b.dataset);
    let mut c = chart::chart(&area, (&title, chart::TITLE), chart::ROOM, x, y)?;
    let two = |v: &f64| format!("{v:.2}");
    let x_axis = Axis {
        desc: "recall (diversity) →",
        labels: 6,
        format: &two,
    };
    chart::axes(
        &mut c,
        x_axis,
        Axis {
            desc: "precision (fidelity) →",
            labels: 6,
            format: &two,
        },
    )?;
    let sweeps = sweeps(b);
    let mut labels = Labels::new(&c);
    // The steps sweep goes back and forth within its points' error: its points are left unjoined.
    for s in sweeps.iter().filter(|s| !s.triangle()) {
        let line = s.color().mix(0.7).stroke_width(2);
        c.draw_series(LineSeries::new(s.rows.iter().map(|r| pr(r)), line))
            .map_err(fail)?;
        labels.block_line(
            &s.rows
                .iter()
                .map(|r| c.backend_coord(&pr(r)))
                .collect::<Vec<_>>(),
        );
    }
    for row in &shown {
        let main = row.sweep.is_none();
        let r = if main { 7 } else { 4 };
        marker(
            &mut c,
            pr(row),
            r,
            row.sweep.as_deref().map(swept_knob) == Some("steps"),
            row_color(row),
        )?;
        labels.block_point(c.backend_coord(&pr(row)), r + 1);
    }
    let keys: Vec<Key> = sweeps
        .iter()
        .map(|s| Key {
            text: s.legend(),
            color: s.color(),
            triangle: s.triangle(),
            line: !s.triangle(),
        })
        .collect();
    legend(root, &mut labels, &keys)?;
    // Main and reference rows are named beside their points; a sweep's last point gets its knob's value.
    for row in shown.iter().filter(|r| r.sweep.is_none()) {
        labels.draw(
            root,
            c.backend_coord(&pr(row)),
            &row.id,
            &font(TEXT, family_color(&row.model)),
        )?;
    }
    for s in &sweeps {
        if let Some(last) = s.rows.last().filter(|r| shown.contains(r)) {
            let style = font(SMALL, s.color());
            labels.draw(
                root,
                c.backend_coord(&pr(last)),
                &knob_text(last, s.knob),
                &style,
            )?;
        }
    }
    if !off.is_empty() {
        let rows: Vec<String> = off
            .iter()
            .map(|r| format!("{} ({:.2}, {:.2})", r.id, pr(r).0, pr(r).1))
            .collect();
        let text = format!("off the axes (recall, precision): {}", rows.join(", "));
        note.draw_text(&text, &font(SMALL, MUTED), (16, 14))
            .map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{svgs, tests::shipped};
    use crate::chart::assert_texts;

    #[test]
    fn names_the_main_rows_and_the_sweeps() {
        let legend = [
            "gan truncation: 1.0 → 0.4",
            "vae temperature: 1.0 → 0.8",
            "diffusion steps: 10 → ddpm",
            "diffusion guidance: 0.0 → 3.0",
            "diffusion dpmpp steps: 10 → 25",
        ];
        let texts = assert_texts(&svgs(&shipped()).unwrap()[0], &legend);
        for id in ["train", "gan", "vae", "diffusion"] {
            assert_eq!(
                texts.iter().filter(|t| *t == id).count(),
                2,
                "{id} once per dataset in {texts:?}"
            );
        }
        // No sweep row is named: the legend tells the sweeps apart, led by the family's main row where it fits.
        assert!(
            !texts.iter().any(|t| t.starts_with("gan-truncation")),
            "{texts:?}"
        );
        // noise lies far from every model: named under the plot, not on it.
        let off = |t: &String| t.starts_with("off the axes") && t.contains("noise (0.00, 0.00)");
        assert!(texts.iter().any(off), "{texts:?}");
    }
}
