//! What the plots share (native only): the SVG canvas, type sizes and colours, the families' colours, a
//! chart with its axes, and direct labels that keep out of each other's way. Drawn with `plotters`; text
//! stays text in the SVG, so a browser sets it in its own font at any size.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// A drawing area in pixels of the SVG.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// A chart with a linear y axis and an x axis of type `X` (linear unless told).
pub type Chart<'a, X = RangedCoordf64> =
    ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, RangedCoordf64>>;

pub const INK: RGBColor = RGBColor(34, 34, 34);
pub const MUTED: RGBColor = RGBColor(100, 100, 100);
pub const GRID: RGBColor = RGBColor(228, 228, 228);

/// Type sizes in plotters' units (the SVG's font-size is a size / 1.24 px).
pub const TITLE: f64 = 26.0;
pub const TEXT: f64 = 22.0;
pub const SMALL: f64 = 20.0;
/// How wide every plot is: stacked panels of this width stay readable on a 390 px phone screen.
pub const WIDTH: u32 = 640;

/// A family's colour: gan red, vae blue, diffusion green, reference rows gray.
pub fn family_color(model: &str) -> RGBColor {
    match model {
        "gan" => RGBColor(214, 39, 40),
        "vae" => RGBColor(31, 119, 180),
        "diffusion" => RGBColor(44, 160, 44),
        _ => RGBColor(120, 120, 120),
    }
}

/// Sans-serif text of `size` in `color`, anchored at its left end, vertically centred.
pub fn font(size: f64, color: RGBColor) -> TextStyle<'static> {
    FontDesc::new(FontFamily::SansSerif, size, FontStyle::Normal)
        .color(&color)
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// About how wide `text` is in pixels (a browser's sans-serif averages under 0.6 em a character).
pub fn text_width(text: &str, size: f64) -> i32 {
    (text.chars().count() as f64 * 0.6 * size / 1.24).ceil() as i32
}

/// A plotters error as this crate's error text.
pub fn fail(e: impl std::fmt::Display) -> String {
    format!("plot: {e}")
}

/// Draws a `w`×`h` pixel SVG with `draw` and returns it. Plotters writes `width`, `height` and a `viewBox`,
/// so a page can scale it to any width.
pub fn svg(
    w: u32,
    h: u32,
    draw: impl FnOnce(&Area) -> Result<(), String>,
) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        draw(&root)?;
        root.present().map_err(fail)?;
    }
    Ok(out)
}

/// Writes `svg` to `path`.
pub fn write(path: &Path, svg: &str) -> Result<(), String> {
    std::fs::write(path, svg).map_err(|e| format!("{}: {e}", path.display()))
}

/// A chart on `area` titled `title` in type of `size` (centred over the plot), with `room` pixels below
/// and left of the plot for the axes' numbers and names.
pub fn chart<'a, X: AsRangedCoord<Value = f64>>(
    area: &Area<'a>,
    (title, size): (&str, f64),
    room: (u32, u32),
    x: X,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, X::CoordDescType>, String> {
    let head = (size / 1.24 * 1.4) as u32 + 6;
    let (top, body) = area.split_vertically(head);
    let centre = (room.1 as i32 + area.dim_in_pixel().0 as i32) / 2;
    let style = font(size, INK).pos(Pos::new(HPos::Center, VPos::Center));
    top.draw_text(title, &style, (centre, head as i32 / 2 + 4))
        .map_err(fail)?;
    ChartBuilder::on(&body)
        .margin(8)
        .margin_top(14)
        .margin_right(30)
        .x_label_area_size(room.0)
        .y_label_area_size(room.1)
        .build_cartesian_2d(x, y)
        .map_err(fail)
}

/// Room for the numbers and the name of each axis.
pub const ROOM: (u32, u32) = (64, 84);

/// How an axis is named, about how many numbers it shows, and how they are written.
pub struct Axis<'f> {
    pub desc: &'f str,
    pub labels: usize,
    pub format: &'f dyn Fn(&f64) -> String,
}

/// Draws `chart`'s axes: a light grid, numbers every so often and each axis's name.
pub fn axes<X: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    chart: &mut Chart<X>,
    x: Axis,
    y: Axis,
) -> Result<(), String> {
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED)
        .x_labels(x.labels)
        .y_labels(y.labels)
        .x_label_formatter(x.format)
        .y_label_formatter(y.format)
        .label_style(font(SMALL, MUTED))
        .axis_desc_style(font(TEXT, INK))
        .x_desc(x.desc)
        .y_desc(y.desc)
        .draw()
        .map_err(fail)
}

/// Axis numbers with as many decimals as steps of `step` need.
pub fn decimals(step: f64) -> usize {
    (-step.log10().floor()).max(0.0) as usize
}

/// `lo..hi` of `values`, widened by 6% of the span (at least `pad`) each side; `0..1` when there are none.
pub fn span(values: impl IntoIterator<Item = f64>, pad: f64) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return 0.0..1.0;
    }
    let pad = (0.06 * (hi - lo)).max(pad);
    lo - pad..hi + pad
}

/// A box in pixels: left, top, right, bottom.
pub type Rect = [i32; 4];

fn overlaps(a: &Rect, b: &Rect) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Direct labels beside points. A label goes on the first side of its point (right, left, above, below)
/// where it stays inside the plot and overlaps no marker, legend or earlier label — next to the point, or
/// failing that a little farther out in a crowd; one that fits nowhere is left out.
pub struct Labels {
    bounds: Rect,
    taken: Vec<Rect>,
}

impl Labels {
    /// Labels inside the plotting area of `chart`.
    pub fn new<X: Ranged>(chart: &Chart<X>) -> Self {
        let (x, y) = chart.plotting_area().get_pixel_range();
        Self {
            bounds: [x.start, y.start, x.end, y.end],
            taken: Vec::new(),
        }
    }

    /// The plot's box.
    pub fn bounds(&self) -> Rect {
        self.bounds
    }

    /// Keeps labels off `r`.
    pub fn block(&mut self, r: Rect) {
        self.taken.push(r);
    }

    /// Keeps labels off a marker of radius `r` (at most 9) at `(x, y)`.
    pub fn block_point(&mut self, (x, y): (i32, i32), r: i32) {
        self.block([x - r, y - r, x + r, y + r]);
    }

    /// Keeps labels off the line through `points`.
    pub fn block_line(&mut self, points: &[(i32, i32)]) {
        for pair in points.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            let n = ((x1 - x0).abs().max((y1 - y0).abs()) / 4).max(1);
            for i in 0..=n {
                self.block_point((x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n), 1);
            }
        }
    }

    /// Whether `r` is inside the plot and clear of everything so far.
    pub fn is_free(&self, r: &Rect) -> bool {
        let b = &self.bounds;
        r[0] >= b[0]
            && r[1] >= b[1]
            && r[2] <= b[2]
            && r[3] <= b[3]
            && !self.taken.iter().any(|t| overlaps(t, r))
    }

    /// Draws `text` beside the point `at` (pixels of `root`) if it fits somewhere.
    pub fn draw(
        &mut self,
        root: &Area,
        at: (i32, i32),
        text: &str,
        style: &TextStyle,
    ) -> Result<(), String> {
        let size = style.font.get_size();
        let (w, h) = (text_width(text, size), (size / 1.24) as i32 + 2);
        let (x, y) = at;
        let spots = |gap| {
            [
                (x + gap, y - h / 2),
                (x - gap - w, y - h / 2),
                (x - w / 2, y - gap - h),
                (x - w / 2, y + gap),
                (x + gap, y - h - 2),
                (x + gap, y + 2),
                (x - gap - w, y - h - 2),
                (x - gap - w, y + 2),
            ]
        };
        let Some(r) = [11, 2 * h, 4 * h]
            .into_iter()
            .flat_map(spots)
            .map(|(l, t)| [l, t, l + w, t + h])
            .find(|r| self.is_free(r))
        else {
            return Ok(());
        };
        self.block(r);
        root.draw_text(text, style, (r[0], (r[1] + r[3]) / 2))
            .map_err(fail)
    }
}

/// The text of every `<text>` element of `svg`, unescaped enough for the tests.
#[cfg(test)]
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            Some(
                t.split_once('>')?
                    .1
                    .split_once("</text>")?
                    .0
                    .trim()
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

/// Asserts that each of `want` is the text of some `<text>` of `svg`, and that `svg` has a `viewBox`;
/// returns every text.
#[cfg(test)]
pub fn assert_texts(svg: &str, want: &[&str]) -> Vec<String> {
    assert!(
        svg.contains(" viewBox=\"0 0 "),
        "no viewBox: {}",
        &svg[..svg.len().min(200)]
    );
    let texts = texts(svg);
    for w in want {
        assert!(texts.iter().any(|t| t == w), "{w:?} missing from {texts:?}");
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_out_of_markers_lines_and_each_other() {
        let svg = svg(400, 300, |root| {
            let mut c = chart(root, ("t", TITLE), ROOM, 0.0..1.0, 0.0..1.0)?;
            let mut labels = Labels::new(&c);
            let [l, t, r, b] = labels.bounds();
            assert!(
                l >= 84 && t > 0 && r < 400 && b < 300 - 64,
                "{:?}",
                labels.bounds()
            );
            let p = c.backend_coord(&(0.5, 0.5));
            labels.block_point(p, 8);
            labels.block_line(&[(p.0 + 9, p.1), (r, p.1)]);
            labels.draw(root, p, "first", &font(TEXT, INK))?;
            labels.draw(root, p, "second", &font(TEXT, INK))?;
            let taken = &labels.taken;
            let (first, second) = (taken[taken.len() - 2], taken[taken.len() - 1]);
            // Right of the point is the line: the first label goes left, the second above.
            assert!(
                first[2] < p.0 && !overlaps(&first, &second),
                "{first:?} {second:?} around {p:?}"
            );
            assert!(second[3] < p.1 - 8, "{second:?} above {p:?}");
            // A label that fits nowhere is left out.
            labels.block([l, t, r, b]);
            labels.draw(root, p, "nowhere", &font(TEXT, INK))?;
            c.configure_mesh().draw().map_err(fail)
        })
        .unwrap();
        let texts = texts(&svg);
        assert!(
            texts.contains(&"first".into()) && texts.contains(&"second".into()),
            "{texts:?}"
        );
        assert!(!texts.contains(&"nowhere".into()), "{texts:?}");
        assert!(svg.contains(r#"viewBox="0 0 400 300""#));
    }

    #[test]
    fn span_pads_and_defaults() {
        assert_eq!(span([], 0.1), 0.0..1.0);
        let s = span([0.2, 0.7], 0.01);
        assert!(
            (s.start - 0.17).abs() < 1e-9 && (s.end - 0.73).abs() < 1e-9,
            "{s:?}"
        );
        assert_eq!(span([2.0], 0.5), 1.5..2.5);
        assert_eq!(decimals(0.05), 2);
        assert_eq!(decimals(20.0), 0);
    }
}
