//! The Train view's 2-D data: four classic toy distributions and the visitor's own drawing. Points live in
//! the square [-`EXTENT`, `EXTENT`]², where the page draws them.

use crate::rng::Rng;
use std::f32::consts::{PI, TAU};

/// Half the side of the square every data set lives in (the page's plots show this square).
pub const EXTENT: f32 = 3.0;
/// Fewest points a drawing needs: fewer describe no distribution worth learning.
pub const MIN_POINTS: usize = 20;
/// Most points a drawing may have: at four link characters each, a drawing must fit in a share link.
pub const MAX_POINTS: usize = 400;
/// Spread added around each drawn point when sampling from a drawing (a kernel density estimate).
const DRAWN_SIGMA: f32 = 0.05;

/// A point of the plane.
pub type Point = [f32; 2];

/// The distributions the page offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// 8 Gaussians on a circle of radius 2: the standard mode-collapse test.
    Ring,
    /// 25 Gaussians on a 5 × 5 grid, one apart.
    Grid,
    /// Two interleaved half circles.
    Moons,
    /// A two-turn spiral.
    Spiral,
    /// The visitor's points, each with a little spread.
    Drawn,
}

crate::knob::named_knob!(Shape, "data");

impl Shape {
    pub const ALL: [Shape; 5] = [
        Shape::Ring,
        Shape::Grid,
        Shape::Moons,
        Shape::Spiral,
        Shape::Drawn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Ring => "ring",
            Shape::Grid => "grid",
            Shape::Moons => "moons",
            Shape::Spiral => "spiral",
            Shape::Drawn => "drawn",
        }
    }

    /// The name a visitor reads in the page's menu.
    pub fn label(self) -> &'static str {
        match self {
            Shape::Ring => "ring of 8",
            Shape::Grid => "5 × 5 grid",
            Shape::Drawn => "draw your own",
            other => other.name(),
        }
    }
}

/// A Gaussian component of a mixture: the unit of "modes covered".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mode {
    pub centre: Point,
    pub sigma: f32,
}

/// A distribution the three families learn: a shape, with the points of a drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    shape: Shape,
    points: Vec<Point>,
}

impl Data {
    /// One of the built-in shapes (not [`Shape::Drawn`], which needs its points).
    pub fn builtin(shape: Shape) -> Result<Self, String> {
        match shape {
            Shape::Drawn => Err("data: a drawing needs its points".into()),
            shape => Ok(Self {
                shape,
                points: Vec::new(),
            }),
        }
    }

    /// A drawing: [`MIN_POINTS`]–[`MAX_POINTS`] finite points inside the square.
    pub fn drawn(points: Vec<Point>) -> Result<Self, String> {
        if !(MIN_POINTS..=MAX_POINTS).contains(&points.len()) {
            return Err(format!(
                "points: a drawing needs {MIN_POINTS}–{MAX_POINTS} points, got {}",
                points.len()
            ));
        }
        if let Some(p) = points
            .iter()
            .find(|p| !p.iter().all(|x| x.is_finite() && x.abs() <= EXTENT))
        {
            return Err(format!(
                "points: every point must lie in [-{EXTENT}, {EXTENT}]², got ({}, {})",
                p[0], p[1]
            ));
        }
        Ok(Self {
            shape: Shape::Drawn,
            points,
        })
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The drawing's points (empty for a built-in shape).
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The Gaussian components of a mixture; empty for data without modes.
    pub fn modes(&self) -> Vec<Mode> {
        match self.shape {
            Shape::Ring => (0..8)
                .map(|k| {
                    let a = k as f32 * TAU / 8.0;
                    Mode {
                        centre: [2.0 * a.cos(), 2.0 * a.sin()],
                        sigma: 0.1,
                    }
                })
                .collect(),
            Shape::Grid => (0..25)
                .map(|k| Mode {
                    centre: [(k % 5) as f32 - 2.0, (k / 5) as f32 - 2.0],
                    sigma: 0.05,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `n` independent points, all drawn from `rng`.
    pub fn sample(&self, n: usize, rng: &mut Rng) -> Vec<Point> {
        let modes = self.modes();
        (0..n)
            .map(|_| match self.shape {
                Shape::Ring | Shape::Grid => {
                    let m = modes[rng.below(modes.len())];
                    jitter(m.centre, m.sigma, rng)
                }
                Shape::Moons => {
                    let upper = rng.below(2) == 0;
                    let a = rng.uniform() as f32 * PI;
                    // sklearn's two moons, centred on the origin and scaled by 1.5.
                    let (x, y) = match upper {
                        true => (a.cos(), a.sin()),
                        false => (1.0 - a.cos(), 0.5 - a.sin()),
                    };
                    jitter([1.5 * (x - 0.5), 1.5 * (y - 0.25)], 0.06, rng)
                }
                Shape::Spiral => {
                    // Radius grows linearly over two turns, out to 2.5.
                    let u = rng.uniform().sqrt() as f32;
                    let a = 0.3 + u * 2.0 * TAU;
                    let r = 2.5 * a / (0.3 + 2.0 * TAU);
                    jitter([r * a.cos(), r * a.sin()], 0.06, rng)
                }
                Shape::Drawn => jitter(self.points[rng.below(self.points.len())], DRAWN_SIGMA, rng),
            })
            .collect()
    }
}

fn jitter(p: Point, sigma: f32, rng: &mut Rng) -> Point {
    [p[0] + sigma * rng.normal(), p[1] + sigma * rng.normal()]
}

/// The URL-safe base64 alphabet: a drawing's points travel in a link as four of these per point.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Levels per coordinate: 12 bits, 1.5 thousandths of the square's side.
const LEVELS: f32 = 4095.0;

/// A drawing's points as link text: each coordinate quantised to 12 bits, a point in four characters.
pub fn encode_points(points: &[Point]) -> String {
    let level = |x: f32| (((x + EXTENT) / (2.0 * EXTENT)).clamp(0.0, 1.0) * LEVELS).round() as u32;
    points
        .iter()
        .flat_map(|p| {
            let bits = (level(p[0]) << 12) | level(p[1]);
            (0..4)
                .rev()
                .map(move |k| ALPHABET[(bits >> (6 * k)) as usize & 63] as char)
        })
        .collect()
}

/// Points from [`encode_points`]' text; the error says what is wrong with it.
pub fn decode_points(text: &str) -> Result<Vec<Point>, String> {
    if !text.len().is_multiple_of(4) || text.len() > 4 * MAX_POINTS {
        return Err(format!(
            "points: not a drawing (expected up to {MAX_POINTS} points of four characters, got {} characters)",
            text.len()
        ));
    }
    let value = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|v| v as u32);
    let coordinate = |bits: u32| bits as f32 / LEVELS * 2.0 * EXTENT - EXTENT;
    text.as_bytes()
        .chunks(4)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .try_fold(0u32, |acc, &c| value(c).map(|v| (acc << 6) | v))
                .ok_or("points: not a drawing (a character outside A–Z a–z 0–9 - _)")?;
            Ok([coordinate(bits >> 12), coordinate(bits & 4095)])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixtures_sample_near_their_modes() {
        for shape in [Shape::Ring, Shape::Grid] {
            let data = Data::builtin(shape).unwrap();
            let modes = data.modes();
            let points = data.sample(2000, &mut Rng::new(1));
            for p in &points {
                let near = modes.iter().any(|m| {
                    ((p[0] - m.centre[0]).powi(2) + (p[1] - m.centre[1]).powi(2)).sqrt()
                        < 5.0 * m.sigma
                });
                assert!(near, "{shape:?}: {p:?}");
            }
        }
        assert_eq!(Data::builtin(Shape::Ring).unwrap().modes().len(), 8);
        assert_eq!(Data::builtin(Shape::Grid).unwrap().modes().len(), 25);
        assert!(Data::builtin(Shape::Moons).unwrap().modes().is_empty());
    }

    #[test]
    fn every_shape_fits_the_square_and_repeats_with_its_seed() {
        let drawing = Data::drawn(vec![[0.5, -1.0]; MIN_POINTS]).unwrap();
        for shape in Shape::ALL {
            let data = match shape {
                Shape::Drawn => drawing.clone(),
                s => Data::builtin(s).unwrap(),
            };
            let a = data.sample(500, &mut Rng::new(3));
            assert!(a.iter().flatten().all(|x| x.abs() < EXTENT), "{shape:?}");
            assert_eq!(a, data.sample(500, &mut Rng::new(3)));
        }
    }

    #[test]
    fn drawings_are_checked() {
        assert!(Data::builtin(Shape::Drawn).is_err());
        assert!(Data::drawn(vec![[0.0, 0.0]; MIN_POINTS - 1]).is_err());
        assert!(Data::drawn(vec![[0.0, 0.0]; MAX_POINTS + 1]).is_err());
        let mut bad = vec![[0.0, 0.0]; MIN_POINTS];
        bad[3] = [f32::NAN, 0.0];
        assert!(Data::drawn(bad.clone()).unwrap_err().contains("points"));
        bad[3] = [0.0, 4.0];
        assert!(Data::drawn(bad).is_err());
    }

    #[test]
    fn points_survive_a_link_to_within_a_level() {
        let points = Data::builtin(Shape::Spiral)
            .unwrap()
            .sample(MAX_POINTS, &mut Rng::new(5));
        let text = encode_points(&points);
        assert_eq!(text.len(), 4 * MAX_POINTS);
        let back = decode_points(&text).unwrap();
        let step = 2.0 * EXTENT / LEVELS;
        for (a, b) in points.iter().zip(&back) {
            assert!(
                (a[0] - b[0]).abs() <= step / 2.0 + 1e-5
                    && (a[1] - b[1]).abs() <= step / 2.0 + 1e-5
            );
        }
        assert_eq!(decode_points(&encode_points(&back)).unwrap(), back);
        for bad in ["abc", "ab!d", &"A".repeat(4 * MAX_POINTS + 4)] {
            assert!(
                decode_points(bad).unwrap_err().starts_with("points"),
                "{bad}"
            );
        }
    }
}
