//! The scoreboard's metrics (target-independent: the page scores a visitor's samples with them too), on
//! feature vectors (rows of a [`Features`] set) and predicted classes:
//! Fréchet distance (FID), improved precision and recall (Kynkäänniemi et al. 2019), and class coverage.

use crate::data::CLASSES;

/// Neighbours of the precision/recall manifolds (Kynkäänniemi et al. use k = 3).
pub const K: usize = 3;

/// A set of feature vectors of one dimension, row by row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Features {
    pub dim: usize,
    pub values: Vec<f32>,
}

impl Features {
    pub fn new(dim: usize, values: Vec<f32>) -> Self {
        assert!(
            dim > 0 && values.len().is_multiple_of(dim),
            "ragged feature set"
        );
        Self { dim, values }
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// The first `n` rows.
    pub fn head(&self, n: usize) -> Features {
        Features::new(
            self.dim,
            self.values[..n.min(self.len()) * self.dim].to_vec(),
        )
    }

    /// Mean vector and covariance matrix (row-major, unbiased), in f64.
    pub fn moments(&self) -> (Vec<f64>, Vec<f64>) {
        Sums::of(self, 0..self.len()).moments()
    }
}

/// Count, sum and sum of outer products of some rows of a feature set: the moments of a union or a
/// difference of row sets follow without another pass over the rows.
#[derive(Clone, Debug)]
struct Sums {
    n: f64,
    sum: Vec<f64>,
    /// Upper triangle of Σ x xᵀ, row-major `d × d`.
    outer: Vec<f64>,
}

impl Sums {
    fn of(set: &Features, rows: impl IntoIterator<Item = usize>) -> Self {
        let d = set.dim;
        let mut s = Sums {
            n: 0.0,
            sum: vec![0.0; d],
            outer: vec![0.0; d * d],
        };
        for i in rows {
            let x: Vec<f64> = set.row(i).iter().map(|&v| v as f64).collect();
            for a in 0..d {
                s.sum[a] += x[a];
                for b in a..d {
                    s.outer[a * d + b] += x[a] * x[b];
                }
            }
            s.n += 1.0;
        }
        s
    }

    /// `self + sign · other`: the sums of a union (sign 1) or of what is left after removing (sign −1).
    fn plus(mut self, other: &Sums, sign: f64) -> Self {
        self.n += sign * other.n;
        for (a, b) in self.sum.iter_mut().zip(&other.sum) {
            *a += sign * b;
        }
        for (a, b) in self.outer.iter_mut().zip(&other.outer) {
            *a += sign * b;
        }
        self
    }

    fn moments(&self) -> (Vec<f64>, Vec<f64>) {
        let (n, d) = (self.n.max(1.0), self.sum.len());
        let mean: Vec<f64> = self.sum.iter().map(|s| s / n).collect();
        let denom = self.n.max(2.0) - 1.0;
        let mut cov = vec![0.0; d * d];
        for a in 0..d {
            for b in a..d {
                cov[a * d + b] = (self.outer[a * d + b] - n * mean[a] * mean[b]) / denom;
                cov[b * d + a] = cov[a * d + b];
            }
        }
        (mean, cov)
    }
}

/// Fréchet distance between Gaussians fitted to two feature sets (FID when the features are a network's).
pub fn fid(a: &Features, b: &Features) -> f64 {
    fid_with_error(a, b, 1).0
}

/// `fid(a, b)`, and how far it moves, one standard deviation, when `a` is sampled again and `b` stays: the
/// delete-a-group jackknife over `groups` groups of `a`. Sample i joins group ⌊i/10⌋ mod `groups`, so that a
/// conditional set (class i mod 10) loses whole decades, one sample of each class, and stays balanced as
/// its reruns are. No error below two groups.
pub fn fid_with_error(a: &Features, b: &Features, groups: usize) -> (f64, Option<f64>) {
    let groups = groups.min(a.len().div_ceil(CLASSES)).max(1);
    let (mu_b, s_b) = b.moments();
    let parts: Vec<Sums> = (0..groups)
        .map(|g| Sums::of(a, (0..a.len()).filter(|i| (i / CLASSES) % groups == g)))
        .collect();
    let all = parts[1..]
        .iter()
        .fold(parts[0].clone(), |acc, p| acc.plus(p, 1.0));
    let (mu_a, s_a) = all.moments();
    let fid = frechet(&mu_a, &s_a, &mu_b, &s_b);
    if groups < 2 {
        return (fid, None);
    }
    let estimates: Vec<f64> = parts
        .iter()
        .map(|p| {
            let (mu, s) = all.clone().plus(p, -1.0).moments();
            frechet(&mu, &s, &mu_b, &s_b)
        })
        .collect();
    let g = groups as f64;
    let mean = estimates.iter().sum::<f64>() / g;
    let spread: f64 = estimates.iter().map(|e| (e - mean) * (e - mean)).sum();
    (fid, Some(((g - 1.0) / g * spread).sqrt()))
}

/// ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½), the Fréchet distance of two Gaussians.
pub fn frechet(mu1: &[f64], s1: &[f64], mu2: &[f64], s2: &[f64]) -> f64 {
    let d = mu1.len();
    let mean_term: f64 = mu1.iter().zip(mu2).map(|(a, b)| (a - b) * (a - b)).sum();
    let root1 = sqrt_psd(s1, d);
    let inner = matmul(&matmul(&root1, s2, d), &root1, d);
    let (eigen, _) = symmetric_eigen(&inner, d);
    let cross: f64 = eigen.iter().map(|&l| l.max(0.0).sqrt()).sum();
    let trace = |m: &[f64]| (0..d).map(|i| m[i * d + i]).sum::<f64>();
    (mean_term + trace(s1) + trace(s2) - 2.0 * cross).max(0.0)
}

fn matmul(a: &[f64], b: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d * d];
    for i in 0..d {
        for k in 0..d {
            let aik = a[i * d + k];
            for j in 0..d {
                out[i * d + j] += aik * b[k * d + j];
            }
        }
    }
    out
}

/// The symmetric square root of a positive semi-definite matrix (negative round-off eigenvalues → 0).
fn sqrt_psd(m: &[f64], d: usize) -> Vec<f64> {
    let (values, vectors) = symmetric_eigen(m, d);
    let mut out = vec![0.0; d * d];
    for (k, &l) in values.iter().enumerate() {
        let s = l.max(0.0).sqrt();
        for i in 0..d {
            for j in 0..d {
                out[i * d + j] += s * vectors[i * d + k] * vectors[j * d + k];
            }
        }
    }
    out
}

/// Eigenvalues and eigenvectors (columns, row-major) of a symmetric matrix by cyclic Jacobi rotations.
fn symmetric_eigen(m: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = m.to_vec();
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    let scale: f64 = a
        .iter()
        .map(|x| x * x)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j] * a[i * d + j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-14 * scale {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

/// Squared Euclidean distances from every row of `a` to every row of `b`, `a.len() × b.len()`.
fn distances(a: &Features, b: &Features) -> Vec<f32> {
    let mut out = vec![0.0; a.len() * b.len()];
    for (i, row) in out.chunks_mut(b.len()).enumerate() {
        let x = a.row(i);
        for (j, d) in row.iter_mut().enumerate() {
            *d = x.iter().zip(b.row(j)).map(|(p, q)| (p - q) * (p - q)).sum();
        }
    }
    out
}

/// Squared distance of every row to its k-th nearest neighbour in the same set (itself excluded).
fn knn_radii(set: &Features, k: usize) -> Vec<f32> {
    let n = set.len();
    let d = distances(set, set);
    (0..n)
        .map(|i| {
            let mut row: Vec<f32> = (0..n).filter(|&j| j != i).map(|j| d[i * n + j]).collect();
            let k = k.min(row.len()).max(1) - 1;
            *row.select_nth_unstable_by(k, f32::total_cmp).1
        })
        .collect()
}

/// Share of `queries` that fall inside at least one k-NN ball of `support`.
fn inside_manifold(support: &Features, queries: &Features, k: usize) -> f64 {
    if support.len() < 2 || queries.is_empty() {
        return 0.0;
    }
    let radii = knn_radii(support, k);
    let d = distances(queries, support);
    let m = support.len();
    let inside = (0..queries.len())
        .filter(|&i| (0..m).any(|j| d[i * m + j] <= radii[j]))
        .count();
    inside as f64 / queries.len() as f64
}

/// Improved precision and recall with k-NN manifolds: precision is the share of generated samples inside the
/// real manifold (fidelity), recall the share of real samples inside the generated manifold (diversity).
pub fn precision_recall(real: &Features, generated: &Features, k: usize) -> (f64, f64) {
    (
        inside_manifold(real, generated, k),
        inside_manifold(generated, real, k),
    )
}

/// The `k` rows of `set` nearest to each row of `queries`, nearest first: `(row, Euclidean distance)`.
pub fn nearest(set: &Features, queries: &Features, k: usize) -> Vec<Vec<(usize, f32)>> {
    let d = distances(queries, set);
    d.chunks(set.len().max(1))
        .take(queries.len())
        .map(|row| {
            let mut order: Vec<usize> = (0..row.len()).collect();
            order.sort_by(|&a, &b| row[a].total_cmp(&row[b]));
            order
                .into_iter()
                .take(k)
                .map(|j| (j, row[j].sqrt()))
                .collect()
        })
        .collect()
}

/// Share of samples per predicted class.
pub fn class_histogram(predicted: &[usize]) -> [f64; CLASSES] {
    let mut h = [0.0; CLASSES];
    for &c in predicted {
        h[c] += 1.0 / predicted.len() as f64;
    }
    h
}

/// Entropy of a class histogram divided by ln 10: 1 when every class is equally common, 0 for one class.
pub fn normalized_entropy(histogram: &[f64; CLASSES]) -> f64 {
    let h: f64 = histogram
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| -p * p.ln())
        .sum();
    // Rounding can leave a one-class histogram a hair below zero.
    (h / (CLASSES as f64).ln()).clamp(0.0, 1.0)
}

/// Number of classes that receive at least `share` of the samples.
pub fn classes_covered(histogram: &[f64; CLASSES], share: f64) -> usize {
    histogram.iter().filter(|&&p| p >= share).count()
}

/// Share of samples whose predicted class is the one asked for.
pub fn accuracy(asked: &[usize], predicted: &[usize]) -> f64 {
    let hits = asked.iter().zip(predicted).filter(|(a, p)| a == p).count();
    hits as f64 / asked.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn gaussian(rng: &mut Rng, n: usize, mean: &[f32], std: &[f32]) -> Features {
        let d = mean.len();
        let values = (0..n * d)
            .map(|i| mean[i % d] + std[i % d] * rng.normal())
            .collect();
        Features::new(d, values)
    }

    #[test]
    fn identical_sets_have_zero_fid_and_full_precision_and_recall() {
        let set = gaussian(&mut Rng::new(1), 500, &[0.0; 8], &[1.0; 8]);
        assert!(fid(&set, &set).abs() < 1e-6, "{}", fid(&set, &set));
        assert_eq!(precision_recall(&set, &set, 3), (1.0, 1.0));
        // Nearest rows, nearest first, with their Euclidean distances.
        let line = Features::new(1, vec![0.0, 10.0, 3.0, 4.0]);
        let near = nearest(&line, &Features::new(1, vec![3.5, 9.0]), 2);
        assert_eq!(
            near,
            vec![vec![(2, 0.5), (3, 0.5)], vec![(1, 1.0), (3, 5.0)]]
        );
    }

    #[test]
    fn disjoint_clusters_have_zero_precision_and_recall() {
        let mut rng = Rng::new(2);
        let a = gaussian(&mut rng, 300, &[0.0; 4], &[0.1; 4]);
        let b = gaussian(&mut rng, 300, &[5.0; 4], &[0.1; 4]);
        assert_eq!(precision_recall(&a, &b, 3), (0.0, 0.0));
        // Precision and recall separate: a generator that covers only one half (x₀ < 0) of the real set.
        let half = Features::new(
            4,
            (0..a.len())
                .filter(|&i| a.row(i)[0] < 0.0)
                .flat_map(|i| a.row(i).to_vec())
                .collect(),
        );
        let (p, r) = precision_recall(&a, &half, 3);
        assert!(p > 0.95 && r < 0.8, "precision {p}, recall {r}");
    }

    #[test]
    fn frechet_matches_the_closed_form_for_diagonal_gaussians() {
        // For diagonal covariances the distance is ‖μ₁ − μ₂‖² + Σ (σ₁ᵢ − σ₂ᵢ)².
        let d = 5;
        let mu1 = vec![0.0, 1.0, 2.0, 3.0, 4.0];
        let mu2 = vec![1.0, 1.0, 0.0, 3.0, 4.5];
        let sd1 = [1.0, 2.0, 0.5, 3.0, 1.5];
        let sd2 = [2.0, 2.0, 1.5, 0.1, 1.0];
        let diag = |sd: &[f64]| {
            let mut m = vec![0.0; d * d];
            for i in 0..d {
                m[i * d + i] = sd[i] * sd[i];
            }
            m
        };
        let expected: f64 = mu1
            .iter()
            .zip(&mu2)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            + sd1
                .iter()
                .zip(&sd2)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>();
        let got = frechet(&mu1, &diag(&sd1), &mu2, &diag(&sd2));
        assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
    }

    #[test]
    fn frechet_of_rotated_covariances() {
        // Σ₁ = I, Σ₂ = R diag(4, 1) Rᵀ: the distance is (2 − 1)² + (1 − 1)² = 1 whatever the rotation R.
        let (c, s) = (0.6f64, 0.8f64);
        let s2 = vec![
            4.0 * c * c + s * s,
            (4.0 - 1.0) * c * s,
            (4.0 - 1.0) * c * s,
            4.0 * s * s + c * c,
        ];
        let got = frechet(&[0.0, 0.0], &[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0], &s2);
        assert!((got - 1.0).abs() < 1e-9, "{got}");
    }

    #[test]
    fn sample_fid_approaches_the_population_value() {
        let mut rng = Rng::new(3);
        let a = gaussian(&mut rng, 4000, &[0.0; 3], &[1.0; 3]);
        let b = gaussian(&mut rng, 4000, &[1.0, 0.0, 0.0], &[2.0, 1.0, 1.0]);
        // Population value: 1 (means) + (2 − 1)² = 2.
        let got = fid(&a, &b);
        assert!((got - 2.0).abs() < 0.15, "{got}");
    }

    #[test]
    fn the_jackknife_predicts_how_far_reruns_move_fid() {
        // A generator off the reference in mean and spread; FID of 40 reruns against one fixed reference.
        let mut rng = Rng::new(4);
        let n = 400;
        let reference = gaussian(&mut rng, 2000, &[0.0; 6], &[1.0; 6]);
        let (mean, std) = (
            [0.3, 0.0, -0.2, 0.0, 0.1, 0.0],
            [1.2, 1.0, 0.8, 1.0, 1.0, 1.1],
        );
        let fids: Vec<f64> = (0..40)
            .map(|_| fid(&gaussian(&mut rng, n, &mean, &std), &reference))
            .collect();
        let average = fids.iter().sum::<f64>() / 40.0;
        let spread = (fids.iter().map(|f| (f - average).powi(2)).sum::<f64>() / 39.0).sqrt();
        let predicted: f64 = (0..10)
            .map(|_| {
                let set = gaussian(&mut rng, n, &mean, &std);
                fid_with_error(&set, &reference, 50).1.unwrap()
            })
            .sum::<f64>()
            / 10.0;
        assert!(
            (0.7..1.4).contains(&(predicted / spread)),
            "jackknife {predicted:.4}, reruns {spread:.4}"
        );
        // Fewer than two groups of ten: no estimate.
        assert_eq!(fid_with_error(&reference.head(10), &reference, 50).1, None);
    }

    #[test]
    fn a_one_class_generator_covers_a_tenth() {
        let predicted = vec![4; 100];
        let h = class_histogram(&predicted);
        assert_eq!(classes_covered(&h, 0.05), 1);
        assert_eq!(normalized_entropy(&h), 0.0);
        let uniform: Vec<usize> = (0..1000).map(|i| i % CLASSES).collect();
        let h = class_histogram(&uniform);
        assert_eq!(classes_covered(&h, 0.05), CLASSES);
        assert!((normalized_entropy(&h) - 1.0).abs() < 1e-12);
        assert_eq!(accuracy(&uniform, &uniform), 1.0);
        assert_eq!(accuracy(&uniform, &vec![0; 1000]), 0.1);
    }
}
