//! The scoreboard (native only): fidelity, diversity, class coverage and speed of every shipped generator, of
//! its knobs swept, and of reference points (real images: the best possible; noise and class-mean images:
//! the worst and the blurry), all measured with the project's own classifier against the held-out test split.
//!
//! A row samples a conditional set (sample i asks for class i mod 10) scored by FID, precision/recall and
//! the classifier's accuracy, and most rows an unconditional one (the "no class" token) scored by FID and
//! the histogram of predicted classes — where mode collapse shows. Every FID comes with a jackknife
//! estimate of how far it moves when the set is sampled again. Sampled features are cached batch by batch
//! under `~/.cache/trilemma/eval`, keyed by everything they depend on but n (weights included): a larger n
//! extends a cached set, and an interrupted run resumes where it stopped. Speed is timed afresh, apart from
//! the sampling, on every run that writes the board: a rerun on a quiet machine re-times a cached board.

pub mod metrics;
mod plots;
pub mod scoreboard;

use crate::data::{CLASSES, Dataset, DatasetKind, PIXELS, fnv1a};
use crate::generate::{Options, generate_classes};
use crate::models::Family;
use crate::models::Kind;
use crate::models::classifier::Classifier;
use crate::models::diffusion::{SampleOptions, Sampler};
use crate::models::weights::{Model, ModelFile, file_name};
use crate::rng::Rng;
use crate::train::progress::Progress;
use burn::tensor::{Device, Tensor, TensorData};
use metrics::Features;
use scoreboard::{Board, Conditional, Row, Scoreboard, Speed, Unconditional, Weights};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Neighbours of the precision/recall manifolds (Kynkäänniemi et al. use k = 3).
pub const K: usize = 3;
/// Batch size of sampling, and of the speed figures.
pub const BATCH: usize = 64;
/// Precision and recall compare at most this many images of each side, so that rows of different n (the
/// one-pass rows and the main diffusion row) are measured on equal footing.
pub const PR_SAMPLES: usize = 1000;
/// Groups of the jackknife that estimates how far a FID moves between reruns.
pub const JACKKNIFE_GROUPS: usize = 50;
/// At most this many samples in the main diffusion row's unconditional set: its FID is about ten times the
/// conditional one and needs fewer samples to settle (MNIST at 1,000: 17.9 ± 0.86, against 1.94 ± 0.19).
pub const DIFFUSION_UNCONDITIONAL_N: usize = 2000;
/// Share of the unconditional samples a class needs to count as covered.
pub const COVERED: f64 = 0.05;
/// Speed: at most this many timed batches per row, and no new one after [`TIMING_SECONDS`].
const TIMED_BATCHES: usize = 5;
const TIMING_SECONDS: f64 = 30.0;
/// Speed: the warm-up batch of a diffusion row runs at most this many steps (the same kernels, less time).
const WARM_UP_STEPS: usize = 10;

/// What `trilemma eval` was asked.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    pub datasets: Vec<DatasetKind>,
    /// Samples per set of the reference, GAN and VAE rows (one pass each: cheap enough for many).
    pub n: usize,
    /// Samples per set of the main diffusion row (100 UNet passes a sample).
    pub diffusion_n: usize,
    /// Samples per set of the diffusion sweeps (a DDPM 1000 set costs 20× a DDIM 50 one).
    pub sweep_n: usize,
    pub seed: u64,
    /// Only these rows (ids), printed without speed figures and not written: a quick look, e.g. at another
    /// seed, or sampling ahead of a full run (the samples are cached).
    pub rows: Option<Vec<String>>,
    /// Where the weights are read and the scoreboard and plots are written.
    pub models_dir: PathBuf,
    pub cache_dir: PathBuf,
}

/// Where a row's images come from.
#[derive(Clone, Debug)]
enum Source {
    /// Real images of the train split.
    Train,
    /// Pixels drawn from a normal distribution with the train split's pixel mean and deviation, clipped.
    Noise,
    /// The train split's mean image of each class.
    ClassMeans,
    Model(Family, Options),
}

/// One row to measure.
#[derive(Clone, Debug)]
struct Spec {
    id: String,
    label: String,
    sweep: Option<&'static str>,
    knobs: BTreeMap<String, serde_json::Value>,
    source: Source,
    /// Samples of the conditional set.
    n: usize,
    /// Samples of the unconditional set, if the row has one (the guidance and steps sweeps don't: guidance
    /// has no effect without a class, and the steps sweep is costly enough).
    unconditional_n: Option<usize>,
}

/// A knob's value as the shortest decimal that reads back as the same f32 (0.8, not 0.800000011920929).
fn knob(x: f32) -> serde_json::Value {
    json!(x.to_string().parse::<f64>().unwrap_or_default())
}

/// A knob's value as ids and labels spell it: `0`, `0.8`, `ddim`.
fn knob_text(v: &serde_json::Value) -> String {
    match (v.as_f64(), v.as_str()) {
        (Some(x), _) => x.to_string(),
        (_, Some(t)) => t.to_string(),
        _ => v.to_string(),
    }
}

fn family_knobs(family: Family, o: &Options) -> BTreeMap<String, serde_json::Value> {
    let d = &o.diffusion;
    let pairs = match family {
        Family::Gan => vec![("truncation", knob(o.truncation))],
        Family::Vae => vec![("temperature", knob(o.temperature))],
        Family::Diffusion => vec![
            ("sampler", json!(d.sampler.name())),
            ("steps", json!(d.steps)),
            ("eta", knob(d.eta)),
            ("guidance", knob(d.guidance)),
        ],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The rows of one dataset's board, in table order.
fn specs(opts: &EvalOptions) -> Vec<Spec> {
    let reference = |id: &str, label: &str, source| Spec {
        id: id.into(),
        label: label.into(),
        sweep: None,
        knobs: BTreeMap::new(),
        source,
        n: opts.n,
        unconditional_n: Some(opts.n),
    };
    let model = |family: Family, sweep: Option<&'static str>, o: Options, n, uncond| {
        let knobs = family_knobs(family, &o);
        let id = match sweep {
            None => family.name().to_string(),
            Some(s) => format!("{family}-{s}-{}", knob_text(&knobs[s])),
        };
        let label = knobs
            .iter()
            .map(|(k, v)| format!("{k} {}", knob_text(v)))
            .collect::<Vec<_>>()
            .join(", ");
        Spec {
            id,
            label: format!("{family} ({label})"),
            sweep,
            knobs,
            source: Source::Model(family, o),
            n,
            unconditional_n: uncond,
        }
    };
    let d = Options::default();
    let ddim = |steps, guidance| Options {
        diffusion: SampleOptions {
            sampler: Sampler::Ddim,
            steps,
            eta: 0.0,
            guidance,
        },
        ..d
    };
    let mut rows = vec![
        reference("train", "real train images", Source::Train),
        reference("noise", "Gaussian noise", Source::Noise),
        reference("class-means", "per-class mean images", Source::ClassMeans),
        model(Family::Gan, None, d, opts.n, Some(opts.n)),
        model(Family::Vae, None, d, opts.n, Some(opts.n)),
        model(
            Family::Diffusion,
            None,
            d,
            opts.diffusion_n,
            Some(opts.diffusion_n.min(DIFFUSION_UNCONDITIONAL_N)),
        ),
    ];
    for truncation in [0.8, 0.6, 0.4] {
        let o = Options { truncation, ..d };
        rows.push(model(
            Family::Gan,
            Some("truncation"),
            o,
            opts.n,
            Some(opts.n),
        ));
    }
    let o = Options {
        temperature: 0.8,
        ..d
    };
    rows.push(model(
        Family::Vae,
        Some("temperature"),
        o,
        opts.n,
        Some(opts.n),
    ));
    // The steps sweep runs without guidance: one pass per step halves the cost of its DDPM 1000 row, the
    // dearest of the board. Its 50-step row is also the guidance sweep's w = 0 (same samples, cached once).
    for steps in [10, 25, 50, 100, 250] {
        rows.push(model(
            Family::Diffusion,
            Some("steps"),
            ddim(steps, 0.0),
            opts.sweep_n,
            None,
        ));
    }
    for guidance in [0.0, 1.0, 3.0] {
        rows.push(model(
            Family::Diffusion,
            Some("guidance"),
            ddim(d.diffusion.steps, guidance),
            opts.sweep_n,
            None,
        ));
    }
    // Last: the dearest row (1000 steps).
    let ddpm = Options {
        diffusion: SampleOptions {
            sampler: Sampler::Ddpm,
            steps: crate::models::diffusion::T,
            guidance: 0.0,
            ..d.diffusion
        },
        ..d
    };
    let mut ddpm_row = model(Family::Diffusion, Some("steps"), ddpm, opts.sweep_n, None);
    ddpm_row.id = "diffusion-ddpm".into();
    rows.push(ddpm_row);
    rows
}

/// A batch's features (row by row) and predicted classes, as the classifier gives them.
type Classified = (Vec<f32>, Vec<usize>);

/// One sampled set: features (row by row) and predicted classes.
struct SampledSet {
    features: Features,
    predicted: Vec<usize>,
}

/// Where a sampled set's batches are kept: one file per set, each sample its features (little-endian f32)
/// and its predicted class (one byte), appended batch by batch as they finish. A set is a stream of
/// batches fixed by its key, and n samples are the stream's first n: a larger n extends a cached smaller
/// one, rows that share a source share samples, and an interrupted run resumes at its last whole batch.
struct SetFile {
    path: PathBuf,
    /// Seeds the set's batches: the key's hash.
    stream: u64,
    dim: usize,
    /// Sample i of a conditional set asks for class i mod 10; an unconditional set asks for none.
    conditional: bool,
}

impl SetFile {
    fn new(cache_dir: &Path, key: &str, dim: usize, conditional: bool) -> Self {
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
    fn missing(&self, n: usize) -> u64 {
        let bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len() as usize);
        n.div_ceil(BATCH).saturating_sub(bytes / self.batch_bytes()) as u64
    }

    /// The first `n` samples, sampling the batches not on disk yet with `batch(classes, seed)` — as many at
    /// once as the machine has cores (one batch leaves most of the work on one thread) — and appending each
    /// wave of them in order; `appended` is called after each batch. A killed run loses its wave in flight.
    fn take(
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

/// Everything a dataset's rows need.
struct Context<'a> {
    data: &'a Dataset,
    by_class: Vec<Vec<usize>>,
    train: &'a [usize],
    class_means: Vec<[f32; PIXELS]>,
    pixel_mean: f32,
    pixel_std: f32,
    classifier: &'a Classifier,
    models: &'a BTreeMap<&'static str, ModelFile>,
    device: Device,
}

impl Context<'_> {
    /// A batch of images `[B, 1, 28, 28]` for `classes` from `source`; `seed` fixes every random draw.
    fn images(
        &self,
        source: &Source,
        classes: &[Option<usize>],
        seed: u64,
    ) -> Result<Tensor<4>, String> {
        let n = classes.len();
        let mut rng = Rng::new(seed);
        let from_pixels = |v: Vec<f32>| {
            Ok(Tensor::from_data(
                TensorData::new(v, [n, 1, 28, 28]),
                &self.device,
            ))
        };
        match source {
            Source::Model(family, options) => {
                let file = &self.models[family.name()];
                let options = Options { seed, ..*options };
                generate_classes(&file.model, classes, &options, &self.device)
            }
            Source::Train => {
                let v = classes
                    .iter()
                    .flat_map(|c| {
                        let pool = c.map_or(self.train, |c| &self.by_class[c]);
                        self.data.image(pool[rng.below(pool.len())]).to_vec()
                    })
                    .map(|b| b as f32 / 255.0)
                    .collect();
                from_pixels(v)
            }
            Source::Noise => from_pixels(
                (0..n * PIXELS)
                    .map(|_| (self.pixel_mean + self.pixel_std * rng.normal()).clamp(0.0, 1.0))
                    .collect(),
            ),
            Source::ClassMeans => from_pixels(
                classes
                    .iter()
                    .flat_map(|c| self.class_means[c.unwrap_or_else(|| rng.below(CLASSES))])
                    .collect(),
            ),
        }
    }

    /// Features and predicted classes of images.
    fn classify(&self, images: Tensor<4>) -> Classified {
        let features = self.classifier.features(images);
        let predicted =
            crate::models::classifier::predicted(self.classifier.logits(features.clone()));
        (features.into_data().iter::<f32>().collect(), predicted)
    }

    /// The first n samples of each of a row's sets.
    fn sample(
        &self,
        spec: &Spec,
        sets: &[(SetFile, usize)],
        bar: &mut Progress,
        done: &mut u64,
    ) -> Result<Vec<SampledSet>, String> {
        sets.iter()
            .map(|(set, n)| {
                set.take(
                    *n,
                    |classes, seed| Ok(self.classify(self.images(&spec.source, classes, seed)?)),
                    || {
                        *done += 1;
                        bar.update(*done, &[], &[]);
                    },
                )
            })
            .collect()
    }

    /// Warm milliseconds per sample of a model row's source: a batch of [`BATCH`] conditional samples,
    /// timed after a warm-up batch, median of up to [`TIMED_BATCHES`]. Timed apart from the sampled sets so
    /// that cached sets never carry the timings of whatever shared the machine when they were sampled.
    fn ms_per_sample(&self, family: Family, options: &Options) -> Result<f64, String> {
        let classes: Vec<Option<usize>> = (0..BATCH).map(|i| Some(i % CLASSES)).collect();
        let batch = |options: Options| -> Result<f64, String> {
            let started = Instant::now();
            let images = self.images(&Source::Model(family, options), &classes, 0)?;
            // Reading the values back finishes the work, so the clock covers the whole sampling.
            images.into_data();
            Ok(started.elapsed().as_secs_f64() * 1e3)
        };
        let mut warm_up = *options;
        warm_up.diffusion.sampler = Sampler::Ddim;
        warm_up.diffusion.steps = warm_up.diffusion.steps.min(WARM_UP_STEPS);
        batch(warm_up)?;
        let started = Instant::now();
        let mut ms = Vec::new();
        while ms.len() < TIMED_BATCHES
            && (ms.is_empty() || started.elapsed().as_secs_f64() < TIMING_SECONDS)
        {
            ms.push(batch(*options)?);
        }
        ms.sort_by(f64::total_cmp);
        Ok(ms[ms.len() / 2] / BATCH as f64)
    }
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// Reads a shipped model file and its fingerprint.
fn read_model(
    dir: &Path,
    kind: Kind,
    dataset: DatasetKind,
) -> Result<(ModelFile, Weights), String> {
    let name = file_name(kind, dataset);
    let path = dir.join(&name);
    let bytes = std::fs::read(&path).map_err(|e| {
        let hint = if kind == Kind::Classifier {
            format!(" (train it: trilemma train classifier --dataset {dataset})")
        } else {
            String::new()
        };
        format!("can't read {}: {e}{hint}", path.display())
    })?;
    let hash = hex(fnv1a(&bytes));
    let file = ModelFile::from_bytes(bytes, &Device::flex())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let weights = Weights {
        file: name,
        fnv1a: hash,
        step: file.step,
        params: file.model.num_params(),
        test_accuracy: None,
    };
    Ok((file, weights))
}

/// Measures one dataset's board.
fn board(opts: &EvalOptions, dataset: DatasetKind) -> Result<Board, String> {
    let data = Dataset::load(dataset).map_err(|e| e.to_string())?;
    let split = data.split();
    let device = Device::flex();
    let (classifier_file, mut classifier_weights) =
        read_model(&opts.models_dir, Kind::Classifier, dataset)?;
    let Model::Classifier(classifier) = &classifier_file.model else {
        return Err(format!("{} holds no classifier", classifier_weights.file));
    };
    let mut models = BTreeMap::new();
    let mut model_weights = Vec::new();
    for family in Family::ALL {
        let (file, weights) = read_model(&opts.models_dir, Kind::Family(family), dataset)?;
        models.insert(family.name(), file);
        model_weights.push(weights);
    }
    let train_pixels = split.train.iter().flat_map(|&i| data.image(i));
    let (mut sum, mut sq, mut count) = (0.0f64, 0.0f64, 0.0f64);
    for &p in train_pixels {
        let v = p as f64 / 255.0;
        (sum, sq, count) = (sum + v, sq + v * v, count + 1.0);
    }
    let mut by_class = vec![Vec::new(); CLASSES];
    for &i in &split.train {
        by_class[data.labels[i] as usize].push(i);
    }
    let ctx = Context {
        data: &data,
        by_class,
        train: &split.train,
        class_means: data.class_means(&split.train),
        pixel_mean: (sum / count) as f32,
        pixel_std: (sq / count - (sum / count).powi(2)).sqrt() as f32,
        classifier,
        models: &models,
        device: device.clone(),
    };

    // The test split: the reference of every metric.
    let (mut test_values, mut test_predicted) = (Vec::new(), Vec::new());
    for images in crate::models::image_batches(&data, &split.test, 256, &device) {
        let (f, p) = ctx.classify(images);
        test_values.extend(f);
        test_predicted.extend(p);
    }
    let dim = test_values.len() / split.test.len();
    let test = Features::new(dim, test_values);
    let labels: Vec<usize> = split
        .test
        .iter()
        .map(|&i| data.labels[i] as usize)
        .collect();
    classifier_weights.test_accuracy = Some(metrics::accuracy(&labels, &test_predicted));
    // Precision and recall compare equal numbers of images: a seeded shuffle of the test split, cut.
    let mut order: Vec<usize> = (0..test.len()).collect();
    Rng::new(opts.seed ^ 0x7465_7374).shuffle(&mut order);
    let shuffled = Features::new(
        dim,
        order.iter().flat_map(|&i| test.row(i).to_vec()).collect(),
    );

    // A set's key: everything its samples depend on but n (a set of n is the first n samples of its key's).
    let sets = |spec: &Spec| {
        let weights = match &spec.source {
            Source::Model(family, _) => {
                let i = Family::ALL.iter().position(|f| f == family).unwrap_or(0);
                model_weights[i].fnv1a.clone()
            }
            _ => String::new(),
        };
        let mut sets = vec![(true, spec.n)];
        sets.extend(spec.unconditional_n.map(|n| (false, n)));
        sets.into_iter()
            .map(|(conditional, n)| {
                let kind = if conditional {
                    "conditional"
                } else {
                    "unconditional"
                };
                let key = format!(
                    "v3|{dataset}|{:?}|{kind}|{}|{weights}|{}",
                    spec.source, opts.seed, classifier_weights.fnv1a
                );
                (SetFile::new(&opts.cache_dir, &key, dim, conditional), n)
            })
            .collect::<Vec<_>>()
    };
    std::fs::create_dir_all(&opts.cache_dir)
        .map_err(|e| format!("{}: {e}", opts.cache_dir.display()))?;
    let mut rows = Vec::new();
    // Rows that share a source (the steps sweep's 50 and the guidance sweep's 0; the main diffusion row and
    // the guidance sweep's 1) share samples and are timed once.
    let mut timed: BTreeMap<String, f64> = BTreeMap::new();
    let wanted = |spec: &Spec| opts.rows.as_ref().is_none_or(|ids| ids.contains(&spec.id));
    for spec in specs(opts).into_iter().filter(wanted) {
        let sets = sets(&spec);
        let missing = sets.iter().map(|(s, n)| s.missing(*n)).sum();
        let mut bar = Progress::new(format!("{dataset}/{}", spec.id), 0, missing);
        let sampled = ctx.sample(&spec, &sets, &mut bar, &mut 0)?;
        if missing > 0 {
            bar.finish();
        }
        // A quick look (--rows) times nothing: speed figures are only worth the file on a quiet machine.
        let ms = match &spec.source {
            Source::Model(..) if opts.rows.is_some() => None,
            Source::Model(family, options) => {
                let source = format!("{:?}", spec.source);
                if let Some(&ms) = timed.get(&source) {
                    Some(ms)
                } else {
                    eprintln!("{dataset}/{}: timing", spec.id);
                    let ms = ctx.ms_per_sample(*family, options)?;
                    timed.insert(source, ms);
                    Some(ms)
                }
            }
            _ => None,
        };
        let row = score(&spec, &sampled, ms, &test, &shuffled, &models)?;
        print_row(dataset, &row);
        rows.push(row);
    }
    Ok(Board {
        dataset: dataset.name().into(),
        test_images: test.len(),
        classifier: classifier_weights,
        models: model_weights,
        rows,
    })
}

/// Metrics of one row from its sampled sets (conditional, then unconditional if the row has it).
fn score(
    spec: &Spec,
    sets: &[SampledSet],
    ms_per_sample: Option<f64>,
    test: &Features,
    shuffled_test: &Features,
    models: &BTreeMap<&'static str, ModelFile>,
) -> Result<Row, String> {
    let cond = &sets[0];
    let m = cond.features.len().min(test.len()).min(PR_SAMPLES);
    let (precision, recall) =
        metrics::precision_recall(&shuffled_test.head(m), &cond.features.head(m), K);
    let asked: Vec<usize> = (0..cond.predicted.len()).map(|i| i % CLASSES).collect();
    let fid_with_error =
        |set: &SampledSet| match metrics::fid_with_error(&set.features, test, JACKKNIFE_GROUPS) {
            (fid, Some(se)) => Ok((fid, se)),
            (_, None) => Err(format!(
                "{}: {} samples are too few for an error bar",
                spec.id,
                set.predicted.len()
            )),
        };
    let (fid, fid_se) = fid_with_error(cond)?;
    let unconditional = sets
        .get(1)
        .map(|u| {
            let histogram = metrics::class_histogram(&u.predicted);
            let (fid, fid_se) = fid_with_error(u)?;
            Ok::<_, String>(Unconditional {
                n: u.predicted.len(),
                fid,
                fid_se,
                histogram,
                entropy: metrics::normalized_entropy(&histogram),
                classes_covered: metrics::classes_covered(&histogram, COVERED),
            })
        })
        .transpose()?;
    let speed = match (&spec.source, ms_per_sample) {
        (Source::Model(family, options), Some(ms)) => {
            let model = &models[family.name()].model;
            Some(Speed {
                ms_per_sample: ms,
                batch: BATCH,
                threads: rayon_threads(),
                params: model.num_params(),
                flops_per_sample: flops_per_sample(model, options),
            })
        }
        _ => None,
    };
    Ok(Row {
        id: spec.id.clone(),
        label: spec.label.clone(),
        model: match &spec.source {
            Source::Model(family, _) => family.name().into(),
            _ => "reference".into(),
        },
        sweep: spec.sweep.map(str::to_string),
        knobs: spec.knobs.clone(),
        conditional: Conditional {
            n: cond.predicted.len(),
            fid,
            fid_se,
            precision,
            recall,
            accuracy: metrics::accuracy(&asked, &cond.predicted),
        },
        unconditional,
        speed,
    })
}

/// Floating-point operations to generate one conditional sample with `options`.
pub fn flops_per_sample(model: &Model, options: &Options) -> u64 {
    match model {
        Model::Gan(g) => g.generator.flops_per_sample(),
        Model::Vae(v) => v.decode_flops_per_sample(),
        Model::Diffusion(u) => {
            let d = &options.diffusion;
            let passes = if d.guidance > 0.0 { 2 } else { 1 };
            u.flops_per_sample() * d.timesteps(crate::models::diffusion::T).len() as u64 * passes
        }
        Model::Classifier(c) => c.flops_per_sample(),
    }
}

const HEADER: &str = "dataset  row                          n   FID ± se         prec  recall  acc   | uncond FID ± se  entropy  covered | ms/sample";

fn print_row(dataset: DatasetKind, r: &Row) {
    let c = &r.conditional;
    let (ufid, entropy, covered) =
        r.unconditional
            .as_ref()
            .map_or(("-".into(), "-".into(), "-".into()), |u| {
                (
                    scoreboard::fid_text(u.fid, u.fid_se, 3),
                    format!("{:.3}", u.entropy),
                    format!("{}", u.classes_covered),
                )
            });
    let ms = r
        .speed
        .as_ref()
        .map_or("-".into(), |s| format!("{:.3}", s.ms_per_sample));
    println!(
        "{:<8} {:<26} {:>5} {:>15} {:>6.3} {:>6.3} {:>5.3} | {:>15} {:>8} {:>7} | {:>9}",
        dataset.name(),
        r.id,
        r.n_text(),
        scoreboard::fid_text(c.fid, c.fid_se, 3),
        c.precision,
        c.recall,
        c.accuracy,
        ufid,
        entropy,
        covered,
        ms
    );
}

/// Runs the evaluation, prints the table and writes `scoreboard.json` and the plots into the models folder.
pub fn eval(opts: &EvalOptions, command: String) -> Result<(), String> {
    if [opts.n, opts.diffusion_n, opts.sweep_n]
        .iter()
        .any(|&n| n < BATCH)
    {
        return Err(format!(
            "--n, --diffusion-n and --sweep-n must be at least {BATCH} (one batch)"
        ));
    }
    if let Some(ids) = &opts.rows {
        let known: Vec<String> = specs(opts).into_iter().map(|s| s.id).collect();
        if let Some(bad) = ids.iter().find(|id| !known.contains(id)) {
            return Err(format!("unknown row {bad:?}; rows: {}", known.join(", ")));
        }
    }
    println!("{HEADER}");
    let mut boards = Vec::new();
    for &dataset in &opts.datasets {
        boards.push(board(opts, dataset)?);
    }
    if opts.rows.is_some() {
        eprintln!("--rows: printed only; models/scoreboard.json is left as it was");
        return Ok(());
    }
    let path = opts.models_dir.join("scoreboard.json");
    // Boards of datasets not evaluated this time are kept from the previous file.
    if let Ok(old) = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|s| Scoreboard::parse(&s))
        && old.seed == opts.seed
    {
        for b in old.datasets {
            if !boards.iter().any(|n| n.dataset == b.dataset) {
                boards.push(b);
            }
        }
    }
    boards.sort_by_key(|b| DatasetKind::parse(&b.dataset).map_or(9, |k| k as usize));
    let board = Scoreboard {
        schema: scoreboard::SCHEMA,
        command,
        seed: opts.seed,
        k: K,
        feature_space: "penultimate layer (64 features) of the project's own classifier per dataset \
                        (models/classifier-<dataset>.bpk); not Inception features: FIDs compare only with \
                        each other"
            .into(),
        datasets: boards,
    };
    board.validate()?;
    let json = serde_json::to_string_pretty(&board).map_err(|e| e.to_string())?;
    std::fs::write(&path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    let md = opts.models_dir.join("scoreboard.md");
    std::fs::write(&md, board.markdown()).map_err(|e| format!("{}: {e}", md.display()))?;
    eprintln!("wrote {} and {}", path.display(), md.display());
    for b in &board.datasets {
        for family in Family::ALL {
            let card = opts
                .models_dir
                .join(file_name(
                    Kind::Family(family),
                    DatasetKind::parse(&b.dataset)?,
                ))
                .with_extension("md");
            update_card(&card, b, family.name())?;
        }
    }
    plots::write_all(&board, &opts.models_dir)
}

/// Replaces the "Scoreboard" section of a model card (the last one) with the model's rows.
fn update_card(card: &Path, b: &Board, model: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(card).map_err(|e| format!("{}: {e}", card.display()))?;
    let kept = text
        .split(CARD_SECTION)
        .next()
        .unwrap_or_default()
        .trim_end();
    let rows = b
        .rows
        .iter()
        .filter(|r| r.model == model || r.id == "train");
    let section = format!(
        "{kept}\n{CARD_SECTION}Measured by `trilemma eval` against the {} held-out test images in the feature space of \
         `{}` (see the README's scoreboard; the `train` row is real images, the best possible).\n\n{}",
        b.test_images,
        b.classifier.file,
        scoreboard::table(rows)
    );
    std::fs::write(card, section).map_err(|e| format!("{}: {e}", card.display()))
}

const CARD_SECTION: &str = "\n## Scoreboard\n\n";

/// Folder of the sampled-feature cache: `~/.cache/trilemma/eval`.
pub fn default_cache_dir() -> PathBuf {
    crate::data::cache_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join("eval")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first `n` samples of `set`, with a stand-in for sampling + classifying whose features and class
    /// follow from the batch seed and the asked class; also how many batches it sampled.
    fn take(set: &SetFile, n: usize) -> (SampledSet, usize) {
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
