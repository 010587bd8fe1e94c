//! Sampled sets: features and predicted classes of a row's samples, cached on disk batch by batch.

use super::BATCH;
use crate::data::{CLASSES, fnv1a};
use crate::metrics::Features;
use crate::rng::Rng;
use std::path::{Path, PathBuf};

/// A batch's features (row by row) and predicted classes, as the classifier gives them.
pub(super) type Classified = (Vec<f32>, Vec<usize>);

/// One sampled set: features (row by row) and predicted classes.
pub(super) struct SampledSet {
    pub(super) features: Features,
    pub(super) predicted: Vec<usize>,
}

/// Where a sampled set's batches are kept: one file per set, each sample its features (little-endian f32)
/// and its predicted class (one byte), appended batch by batch as they finish. A set is a stream of
/// batches fixed by its key, and n samples are the stream's first n: a larger n extends a cached smaller
/// one, rows that share a source share samples, and an interrupted run resumes at its last whole batch.
pub(super) struct SetFile {
    path: PathBuf,
    /// Seeds the set's batches: the key's hash.
    stream: u64,
    dim: usize,
    /// Sample i of a conditional set asks for class i mod 10; an unconditional set asks for none.
    conditional: bool,
}

impl SetFile {
    pub(super) fn new(cache_dir: &Path, key: &str, dim: usize, conditional: bool) -> Self {
        let stream = fnv1a(key.as_bytes());
        Self {
            path: cache_dir.join(format!("{}.set", hex(stream))),
            stream,
            dim,
            conditional,
        }
    }

    fn batch_bytes(&self) -> usize {
        BATCH * (self.dim * 4 + 1)
    }

    /// The whole batches on disk (a batch cut short by a killed run is dropped).
    fn read(&self) -> Vec<u8> {
        let mut bytes = std::fs::read(&self.path).unwrap_or_default();
        bytes.truncate(bytes.len() / self.batch_bytes() * self.batch_bytes());
        bytes
    }

    /// Batches still to sample for the first `n` samples.
    pub(super) fn missing(&self, n: usize) -> u64 {
        let bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len() as usize);
        n.div_ceil(BATCH).saturating_sub(bytes / self.batch_bytes()) as u64
    }

    /// The first `n` samples, sampling the batches not on disk yet with `batch(classes, seed)` — as many at
    /// once as the machine has cores (one batch leaves most of the work on one thread) — and appending each
    /// wave of them in order; `appended` is called after each batch. A killed run loses its wave in flight.
    pub(super) fn take(
        &self,
        n: usize,
        batch: impl Fn(&[Option<usize>], u64) -> Result<Classified, String> + Sync,
        mut appended: impl FnMut(),
    ) -> Result<SampledSet, String> {
        use std::io::Write;
        let mut bytes = self.read();
        let needed = n.div_ceil(BATCH);
        // A set long enough is only read, even while another run extends it. One that is not is extended
        // under an exclusive lock, from what is on disk once the lock is held: two runs never append the same
        // batches, and a batch cut short by a killed run is dropped.
        if bytes.len() / self.batch_bytes() < needed {
            let at = |e: std::io::Error| format!("{}: {e}", self.path.display());
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(at)?;
            file.lock().map_err(at)?;
            bytes = self.read();
            file.set_len(bytes.len() as u64).map_err(at)?;
            let have = bytes.len() / self.batch_bytes();
            let sample = |b: usize| {
                let classes: Vec<Option<usize>> = (b * BATCH..(b + 1) * BATCH)
                    .map(|i| self.conditional.then_some(i % CLASSES))
                    .collect();
                batch(
                    &classes,
                    Rng::stream(self.stream, b as u64).next_u64() >> 11,
                )
            };
            let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
            let indices: Vec<usize> = (have..needed).collect();
            for wave in indices.chunks(workers) {
                let results: Vec<Result<Classified, String>> = std::thread::scope(|scope| {
                    let running: Vec<_> = wave
                        .iter()
                        .map(|&b| scope.spawn(move || sample(b)))
                        .collect();
                    running
                        .into_iter()
                        .map(|t| {
                            t.join().unwrap_or_else(|panic| {
                                let why = panic
                                    .downcast_ref::<String>()
                                    .map(String::as_str)
                                    .or(panic.downcast_ref::<&str>().copied())
                                    .unwrap_or("?");
                                Err(format!("a sampling thread panicked: {why}"))
                            })
                        })
                        .collect()
                });
                for result in results {
                    let (features, predicted) = result?;
                    let start = bytes.len();
                    for (row, &class) in features.chunks(self.dim).zip(&predicted) {
                        bytes.extend(row.iter().flat_map(|v| v.to_le_bytes()));
                        bytes.push(class as u8);
                    }
                    file.write_all(&bytes[start..]).map_err(at)?;
                    appended();
                }
            }
        }
        let record = self.dim * 4 + 1;
        let samples = bytes.chunks(record).take(n);
        let (mut features, mut predicted) = (Vec::new(), Vec::new());
        for s in samples {
            features.extend(
                s[..record - 1]
                    .chunks(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
            let class = s[record - 1] as usize;
            if class >= CLASSES {
                return Err(format!(
                    "{} is damaged (class {class}): delete it",
                    self.path.display()
                ));
            }
            predicted.push(class);
        }
        Ok(SampledSet {
            features: Features::new(self.dim, features),
            predicted,
        })
    }
}

/// A hash as file names and fingerprints spell it.
pub(super) fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first `n` samples of `set`, with a stand-in for sampling + classifying whose features and class
    /// follow from the batch seed and the asked class; also how many batches it sampled.
    pub(super) fn take(set: &SetFile, n: usize) -> (SampledSet, usize) {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let mut appended = 0;
        let taken = set
            .take(
                n,
                |classes, seed| {
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let mut rng = Rng::new(seed);
                    let features = (0..classes.len() * 3).map(|_| rng.normal()).collect();
                    Ok((features, classes.iter().map(|c| c.unwrap_or(7)).collect()))
                },
                || appended += 1,
            )
            .unwrap();
        assert_eq!(calls.into_inner(), appended);
        (taken, appended)
    }

    #[test]
    fn a_set_file_extends_and_resumes_its_stream() {
        let dir = std::env::temp_dir().join(format!("trilemma-set-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let set = SetFile::new(&dir, "key", 3, true);
        let (small, calls) = take(&set, 100);
        assert_eq!((calls, small.predicted.len()), (2, 100));
        assert_eq!(small.predicted[..12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
        // A larger n samples only the batches it lacks, and starts with the smaller set.
        let (large, calls) = take(&set, 300);
        assert_eq!((calls, set.missing(300), set.missing(400)), (3, 0, 2));
        assert_eq!(large.features.head(100), small.features);
        // Sampled in one go, the same set comes out: batches are appended in stream order.
        let fresh = SetFile::new(&dir.join("fresh"), "key", 3, true);
        std::fs::create_dir_all(dir.join("fresh")).unwrap();
        assert_eq!(take(&fresh, 300).0.features, large.features);
        // A set long enough is only read: a batch half-written by another run stays as it is.
        let bytes = std::fs::read(&set.path).unwrap();
        std::fs::write(&set.path, [&bytes[..], &[1, 2, 3]].concat()).unwrap();
        take(&set, 100);
        assert_eq!(std::fs::read(&set.path).unwrap().len(), bytes.len() + 3);
        // A batch cut short (a killed run) is sampled again, to the same values.
        std::fs::write(&set.path, &bytes[..bytes.len() - 10]).unwrap();
        let (again, calls) = take(&set, 300);
        assert_eq!(calls, 1);
        assert_eq!(again.features, large.features);
        // Two runs extending one set at once append its batches once.
        let shared = SetFile::new(&dir, "shared", 3, true);
        std::thread::scope(|scope| {
            scope.spawn(|| take(&shared, 640));
            scope.spawn(|| take(&shared, 640));
        });
        assert_eq!(
            std::fs::read(&shared.path).unwrap().len(),
            10 * shared.batch_bytes()
        );
        let alone = SetFile::new(&dir.join("fresh"), "shared", 3, true);
        take(&alone, 640);
        assert_eq!(shared.read(), alone.read());
        // A damaged file is refused, not read as classes that don't exist.
        let mut damaged = std::fs::read(&set.path).unwrap();
        damaged[3 * 4] = 200;
        std::fs::write(&set.path, damaged).unwrap();
        assert!(set.take(64, |_, _| unreachable!(), || ()).is_err());
        // Another key is another stream; the unconditional set asks for no class.
        let (other, _) = take(&SetFile::new(&dir, "other key", 3, false), 64);
        assert_ne!(other.features, large.features.head(64));
        assert!(other.predicted.iter().all(|&c| c == 7));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
