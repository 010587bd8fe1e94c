//! Measuring one dataset's board: the models and the classifier read, every row's sets sampled, timed and
//! scored against the test split.

use super::rows::{Source, Spec, specs};
use super::scoreboard::{Board, Conditional, Row, Speed, Unconditional, Weights};
use super::sets::{Classified, SampledSet, SetFile, hex};
use super::{
    BATCH, COVERED, EvalOptions, JACKKNIFE_GROUPS, K, PR_SAMPLES, TIMED_BATCHES, TIMING_SECONDS,
    WARM_UP_STEPS, flops_per_sample, print_row,
};
use crate::data::{CLASSES, Dataset, DatasetKind, PIXELS, fnv1a};
use crate::generate::{Options, Seed, generate_classes};
use crate::metrics::{self, Features};
use crate::models::Model;
use crate::models::classifier::Classifier;
use crate::models::diffusion::Sampler;
use crate::models::weights::{Checksums, ModelFile, file_name};
use crate::models::{Family, Kind};
use crate::progress::Progress;
use crate::rng::Rng;
use burn::tensor::{Device, Tensor, TensorData};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

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
                let options = Options {
                    seed: Seed::new(seed)?,
                    ..*options
                };
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
        if warm_up.diffusion.steps > WARM_UP_STEPS {
            warm_up.diffusion.steps = WARM_UP_STEPS;
        }
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

/// Reads a shipped model file (checked against its folder's checksum list) and its fingerprint.
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
    let checksums = Checksums::read(dir)?;
    let file = ModelFile::load(
        &path.display().to_string(),
        bytes,
        &checksums,
        &Device::flex(),
    )
    .map_err(|e| e.to_string())?;
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
pub(super) fn board(opts: &EvalOptions, dataset: DatasetKind) -> Result<Board, String> {
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
    let shuffled = shuffled_test(&test, opts.seed);

    // A set's key: everything its samples depend on but n (a set of n is the first n samples of its key's).
    let sets = |spec: &Spec| {
        let weights = match &spec.source {
            Source::Model(family, _) => model_weights[family.index()].fnv1a.clone(),
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
    // the DPM-Solver++ 20 row) share samples and are timed once.
    let mut timed: BTreeMap<String, f64> = BTreeMap::new();
    let wanted = |spec: &Spec| opts.rows.as_ref().is_none_or(|ids| ids.contains(&spec.id));
    for spec in specs(opts, dataset).into_iter().filter(wanted) {
        let sets = sets(&spec);
        let missing = sets.iter().map(|(s, n)| s.missing(*n)).sum();
        let mut bar = Progress::new(format!("{dataset}/{}", spec.id), 0, missing);
        let sampled = ctx.sample(&spec, &sets, &mut bar, &mut 0)?;
        if missing > 0 {
            bar.finish();
        }
        // A quick look (--rows without --merge) times nothing: speed figures are only worth the file.
        let ms = match &spec.source {
            Source::Model(..) if opts.rows.is_some() && !opts.merge => None,
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

/// The real side of precision and recall, which compare equal numbers of images: a seeded shuffle of the
/// test split's features, cut to the generated set's size where used (the page ships its first
/// [`PR_SAMPLES`] for seed 0: `models/reference-<dataset>.features.bin`).
pub fn shuffled_test(test: &Features, seed: u64) -> Features {
    let mut order: Vec<usize> = (0..test.len()).collect();
    Rng::new(seed ^ 0x7465_7374).shuffle(&mut order);
    Features::new(
        test.dim,
        order.iter().flat_map(|&i| test.row(i).to_vec()).collect(),
    )
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
