//! Precision against recall of every row: sweeps joined in their family's colour and listed in a legend,
//! main and reference rows named beside their points.

use crate::chart::{
    self, Area, Axis, Chart, INK, Labels, MUTED, SMALL, TEXT, fail, family_color, font,
};
use crate::eval::scoreboard::{Board, Row};
use plotters::prelude::*;

/// A row's point: (recall, precision).
fn pr(row: &Row) -> (f64, f64) {
    (row.conditional.recall, row.conditional.precision)
}

/// Rows of one knob swept, in order.
struct Sweep<'a> {
    model: &'a str,
    knob: &'a str,
    rows: Vec<&'a Row>,
}

impl Sweep<'_> {
    /// The steps sweep is drawn in triangles, apart from the guidance sweep of the same colour.
    fn triangle(&self) -> bool {
        self.knob == "steps"
    }

    fn legend(&self) -> String {
        let value = |r: Option<&&Row>| r.map(|r| knob_text(r, self.knob)).unwrap_or_default();
        format!(
            "{} {}: {} → {}",
            self.model,
            self.knob,
            value(self.rows.first()),
            value(self.rows.last())
        )
    }
}

/// A row's value of `knob`, or `ddpm` for the DDPM sampler.
pub fn knob_text(row: &Row, knob: &str) -> String {
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
        let Some(knob) = row.sweep.as_deref() else {
            continue;
        };
        match out
            .iter_mut()
            .find(|s| s.knob == knob && s.model == row.model)
        {
            Some(s) => s.rows.push(row),
            None => out.push(Sweep {
                model: &row.model,
                knob,
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
        let line = family_color(s.model).mix(0.7).stroke_width(2);
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
            row.sweep.as_deref() == Some("steps"),
            family_color(&row.model),
        )?;
        labels.block_point(c.backend_coord(&pr(row)), r + 1);
    }
    legend(root, &mut labels, &sweeps)?;
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
            let style = font(SMALL, family_color(s.model));
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

/// The sweeps' legend, in the first corner of the plot (top right, bottom right, bottom left, top left)
/// clear of every marker; the bottom left if none is.
fn legend(root: &Area, labels: &mut Labels, sweeps: &[Sweep]) -> Result<(), String> {
    if sweeps.is_empty() {
        return Ok(());
    }
    const LINE: i32 = 26;
    let texts: Vec<String> = sweeps.iter().map(Sweep::legend).collect();
    let w = 48
        + texts
            .iter()
            .map(|t| chart::text_width(t, SMALL))
            .max()
            .unwrap_or(0);
    let h = 8 + LINE * sweeps.len() as i32;
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
    for (i, (s, text)) in sweeps.iter().zip(&texts).enumerate() {
        let color = family_color(s.model);
        let y = at[1] + 4 + LINE / 2 + LINE * i as i32;
        if !s.triangle() {
            root.draw(&PathElement::new(
                vec![(at[0] + 6, y), (at[0] + 36, y)],
                color.stroke_width(2),
            ))
            .map_err(fail)?;
        }
        match s.triangle() {
            true => root.draw(&TriangleMarker::new((at[0] + 21, y), 6, color.filled())),
            false => root.draw(&Circle::new((at[0] + 21, y), 4, color.filled())),
        }
        .map_err(fail)?;
        root.draw_text(text, &font(SMALL, INK), (at[0] + 44, y))
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
