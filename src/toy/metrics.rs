//! What the Train view measures of a family's samples: modes covered and the share of high-quality
//! samples for the Gaussian mixtures (the 2-D mode-collapse measure of VEEGAN and PacGAN), and the energy
//! distance to held-out data, which works for every data set.

use super::data::{Mode, Point};

/// How many standard deviations from a mode's centre a sample may lie and still be "high quality".
pub const HIGH_QUALITY_SIGMAS: f32 = 3.0;
/// Share of the samples a mode needs within [`HIGH_QUALITY_SIGMAS`] of it to count as covered.
pub const COVERED_SHARE: f64 = 0.01;

/// Modes covered and the high-quality share of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Coverage {
    /// Modes with at least [`COVERED_SHARE`] of the samples near them.
    pub modes: usize,
    /// Share of samples within [`HIGH_QUALITY_SIGMAS`] of a mode.
    #[serde(rename = "highQuality")]
    pub high_quality: f64,
}

fn distance(a: Point, b: Point) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Coverage of `samples` over `modes`; `None` for data without modes or no samples.
pub fn coverage(samples: &[Point], modes: &[Mode]) -> Option<Coverage> {
    if modes.is_empty() || samples.is_empty() {
        return None;
    }
    let mut near = vec![0usize; modes.len()];
    for &s in samples {
        // Each sample counts once, for the mode it is closest to in units of that mode's σ.
        let (k, d) = modes
            .iter()
            .map(|m| distance(s, m.centre) / m.sigma)
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("modes is not empty");
        if d <= HIGH_QUALITY_SIGMAS {
            near[k] += 1;
        }
    }
    let n = samples.len() as f64;
    Some(Coverage {
        modes: near
            .iter()
            .filter(|&&c| c > 0 && c as f64 >= COVERED_SHARE * n)
            .count(),
        high_quality: near.iter().sum::<usize>() as f64 / n,
    })
}

/// Mean distance between the points of `a` and of `b` (all pairs).
fn mean_distance(a: &[Point], b: &[Point]) -> f64 {
    let sum: f64 = a
        .iter()
        .map(|&p| b.iter().map(|&q| distance(p, q) as f64).sum::<f64>())
        .sum();
    sum / (a.len() * b.len()) as f64
}

/// Mean distance between two different points of `a` (the unbiased estimate: a point's zero distance to
/// itself left out); 0 for a single point.
fn spread(a: &[Point]) -> f64 {
    match a.len() {
        0 | 1 => 0.0,
        n => mean_distance(a, a) * n as f64 / (n - 1) as f64,
    }
}

/// Points a distance is measured against, with their own spread E|Y − Y'| computed once.
pub struct Reference {
    points: Vec<Point>,
    spread: f64,
}

impl Reference {
    pub fn new(points: Vec<Point>) -> Self {
        Self {
            spread: spread(&points),
            points,
        }
    }

    /// The energy distance 2·E|X − Y| − E|X − X'| − E|Y − Y'| from `samples` X to these points Y (Székely
    /// & Rizzo), with unbiased within-set means: about zero for another sample of the same distribution,
    /// positive otherwise, in the data's units (an estimate below zero reads zero); `NaN` when a set is
    /// empty.
    pub fn energy_distance(&self, samples: &[Point]) -> f64 {
        if samples.is_empty() || self.points.is_empty() {
            return f64::NAN;
        }
        (2.0 * mean_distance(samples, &self.points) - spread(samples) - self.spread).max(0.0)
    }
}

/// [`Reference::energy_distance`] from `a` to `b`.
pub fn energy_distance(a: &[Point], b: &[Point]) -> f64 {
    Reference::new(b.to_vec()).energy_distance(a)
}

#[cfg(test)]
mod tests {
    use super::super::data::{Data, Shape};
    use super::*;
    use crate::rng::Rng;

    fn ring() -> (Vec<Point>, Vec<Mode>) {
        let data = Data::builtin(Shape::Ring).unwrap();
        (data.sample(800, &mut Rng::new(2)), data.modes())
    }

    #[test]
    fn the_data_itself_covers_every_mode() {
        let (points, modes) = ring();
        let c = coverage(&points, &modes).unwrap();
        assert_eq!(c.modes, 8);
        // Within 3σ of a 2-D Gaussian's centre: 1 − e^(−9/2) ≈ 98.9% of its points.
        assert!(c.high_quality > 0.97, "{c:?}");
    }

    #[test]
    fn a_collapsed_mode_is_missed() {
        let (points, modes) = ring();
        let centre = modes[0].centre;
        // Every sample of mode 0 moved onto mode 1.
        let collapsed: Vec<Point> = points
            .iter()
            .map(|&p| match distance(p, centre) < 0.5 {
                true => [
                    p[0] - centre[0] + modes[1].centre[0],
                    p[1] - centre[1] + modes[1].centre[1],
                ],
                false => p,
            })
            .collect();
        assert_eq!(coverage(&collapsed, &modes).unwrap().modes, 7);
        // All samples on one mode: one mode, all of high quality.
        let one = vec![modes[3].centre; 100];
        assert_eq!(
            coverage(&one, &modes),
            Some(Coverage {
                modes: 1,
                high_quality: 1.0
            })
        );
    }

    #[test]
    fn samples_between_modes_are_not_high_quality() {
        let modes = Data::builtin(Shape::Ring).unwrap().modes();
        let between = vec![[0.0, 0.0]; 50];
        assert_eq!(
            coverage(&between, &modes),
            Some(Coverage {
                modes: 0,
                high_quality: 0.0
            })
        );
        assert_eq!(coverage(&between, &[]), None);
    }

    #[test]
    fn energy_distance_knows_its_answers() {
        let (points, _) = ring();
        assert_eq!(energy_distance(&points, &points), 0.0);
        // Two point masses d apart: 2d.
        let d = energy_distance(&[[0.0, 0.0]], &[[3.0, 4.0]]);
        assert!((d - 10.0).abs() < 1e-9, "{d}");
        // A growing shift, a growing distance.
        let shifted = |s: f32| -> Vec<Point> { points.iter().map(|p| [p[0] + s, p[1]]).collect() };
        let ds: Vec<f64> = [0.1, 0.5, 2.0]
            .map(|s| energy_distance(&points, &shifted(s)))
            .to_vec();
        assert!(ds[0] > 0.0 && ds[0] < ds[1] && ds[1] < ds[2], "{ds:?}");
        // Another sample of the same distribution is close; a collapsed one is far.
        let other = Data::builtin(Shape::Ring)
            .unwrap()
            .sample(800, &mut Rng::new(9));
        let (_, modes) = ring();
        let collapsed = vec![modes[0].centre; 800];
        // Unbiased: the within-set means leave out each point's zero distance to itself, which would add
        // ≈ E|X − X'|·(1/n + 1/m) ≈ 0.006 here.
        assert!(
            energy_distance(&points, &other) < 0.004,
            "{}",
            energy_distance(&points, &other)
        );
        assert!(energy_distance(&points, &collapsed) > 1.0);
        assert!(energy_distance(&points, &[]).is_nan());
    }
}
