//! A small deterministic random number generator.
//!
//! All randomness that decides *what a sample looks like* (latent codes, diffusion noise, data shuffles) comes
//! from here rather than from a backend's generator, so that the same seed gives the same numbers on the CPU
//! backend, on WebGPU and in every build.

/// xoshiro256** seeded through SplitMix64.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// A generator for stream `stream` of `seed`: independent streams from one user-facing seed.
    pub fn stream(seed: u64, stream: u64) -> Self {
        Self::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize % n.max(1)
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = 1.0 - self.uniform(); // (0, 1]: log stays finite
        let u2 = self.uniform();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// `n` standard normal values.
    pub fn normals(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.normal()).collect()
    }

    /// Moves past `n` normal values (each takes two draws) without computing them.
    pub fn skip_normals(&mut self, n: usize) {
        for _ in 0..2 * n {
            self.next_u64();
        }
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Stream ids of the noise drawn after a sample's start: far from the small ids other users pass.
const LATER: u64 = 1 << 40;

/// The randomness of samples `first, first + 1, …` of a seed. Sample i of a batch is sample `first + i`
/// of its seed, and its noise depends on the seed and that index only — never on the batch size or on
/// how a request was split between workers — so a share link draws the same pixels everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleSeed {
    pub seed: u64,
    pub first: usize,
}

impl From<u64> for SampleSeed {
    fn from(seed: u64) -> Self {
        Self { seed, first: 0 }
    }
}

impl SampleSeed {
    /// The seed's own stream, where sample `first` starts drawing when each sample draws `per` normals
    /// (sample after sample).
    pub fn stream_at(self, per: usize) -> Rng {
        let mut rng = Rng::new(self.seed);
        rng.skip_normals(self.first * per);
        rng
    }

    /// One generator for each of `n` samples, for the noise a run draws after its start.
    pub fn streams(self, n: usize) -> Vec<Rng> {
        (0..n)
            .map(|i| Rng::stream(self.seed, LATER + (self.first + i) as u64))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_draws_the_same_noise_in_any_batch() {
        let whole = SampleSeed::from(9).stream_at(3).normals(5 * 3);
        let part = SampleSeed { seed: 9, first: 2 }.stream_at(3).normals(3 * 3);
        assert_eq!(whole[6..], part[..]);
        let later = |first, i: usize| SampleSeed { seed: 9, first }.streams(4)[i].next_u64();
        assert_eq!(later(0, 3), later(2, 1));
        assert_ne!(later(0, 3), later(0, 2));
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(8);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn normals_have_unit_moments() {
        let x = Rng::new(1).normals(200_000);
        let mean = x.iter().map(|&v| v as f64).sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / x.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut v: Vec<usize> = (0..100).collect();
        Rng::new(3).shuffle(&mut v);
        assert_ne!(v, (0..100).collect::<Vec<_>>());
        v.sort();
        assert_eq!(v, (0..100).collect::<Vec<_>>());
    }
}
