//! The shipped models in `models/`: every file loads against its checksum, damaged copies are refused, conditional
//! samples look like their class (nearest test-set class mean, far above the 10% of chance), and the
//! classifiers reach their accuracy bars.
// Native only: they read the data cache and the models folder from disk.
#![cfg(not(target_arch = "wasm32"))]

use burn::tensor::Device;
use std::path::{Path, PathBuf};
use trilemma::data::{CLASSES, Dataset, DatasetKind, PICKS_PER_CLASS, PIXELS};
use trilemma::generate::{Class, Count, Options, Seed, generate};
use trilemma::models::Model;
use trilemma::models::diffusion::{Eta, Guidance, SampleOptions, Sampler, Steps};
use trilemma::models::weights::{Checksums, ModelFile, file_name};
use trilemma::models::{Family, Kind};

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// A shipped model, read the way the command line reads it: checked against `models/SHA256SUMS`.
fn open(kind: Kind, dataset: DatasetKind, device: &Device) -> ModelFile {
    let path = models_dir().join(file_name(kind, dataset));
    ModelFile::open(&path, device).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shipped_model_loads_and_damaged_copies_are_refused() {
    let device = Device::flex();
    let checksums = Checksums::read(&models_dir()).unwrap();
    assert_eq!(
        checksums,
        Checksums::shipped().unwrap(),
        "the page's list is stale: rebuild"
    );
    let mut total = 0;
    for dataset in DatasetKind::ALL {
        for kind in Kind::ALL {
            let file = open(kind, dataset, &device);
            assert_eq!((file.kind, file.dataset), (kind, dataset));
            assert_eq!(file.model.kind(), kind);
            assert!(file.step > 0);
            let name = file_name(kind, dataset);
            let path = format!("models/{name}");
            let bytes = std::fs::read(models_dir().join(&name)).unwrap();
            total += bytes.len();
            for cut in [16, bytes.len() / 2, bytes.len() - 3] {
                let e = ModelFile::load(&path, bytes[..cut].to_vec(), &checksums, &device);
                assert!(
                    e.unwrap_err().0.contains("is damaged"),
                    "{name} cut at {cut}"
                );
                assert!(
                    ModelFile::from_bytes(bytes[..cut].to_vec(), &device).is_err(),
                    "{name} cut at {cut}"
                );
            }
            // One flipped bit in the weights: the file still parses, only the checksum knows.
            let mut flipped = bytes.clone();
            flipped[bytes.len() - 100] ^= 1;
            assert!(ModelFile::from_bytes(flipped.clone(), &device).is_ok());
            let e = ModelFile::load(&path, flipped, &checksums, &device).unwrap_err();
            assert!(
                e.0.starts_with(&format!("{path} is damaged (checksum mismatch)")),
                "{e}"
            );
        }
    }
    assert!(
        total <= 30_000_000,
        "shipped weights take {total} bytes, over the 30 MB budget"
    );
}

#[test]
fn every_file_swapped_for_another_is_named() {
    let checksums = Checksums::read(&models_dir()).unwrap();
    let names: Vec<String> = DatasetKind::ALL
        .into_iter()
        .flat_map(|d| Kind::ALL.map(|k| file_name(k, d)))
        .collect();
    for other in &names {
        let bytes = std::fs::read(models_dir().join(other)).unwrap();
        for name in names.iter().filter(|n| *n != other) {
            let e = checksums
                .verify(&format!("models/{name}"), &bytes)
                .unwrap_err();
            let model = other.strip_suffix(".bpk").unwrap();
            assert!(
                e.0.starts_with(&format!("models/{name} holds the {model} model")),
                "{e}"
            );
        }
    }
}

#[test]
fn the_checksum_list_names_exactly_the_model_files() {
    let mut files: Vec<String> = std::fs::read_dir(models_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".bpk"))
        .collect();
    files.sort();
    let listed: Vec<String> = Checksums::read(&models_dir())
        .unwrap()
        .to_text()
        .lines()
        .map(|line| line[66..].to_string())
        .collect();
    assert_eq!(
        listed, files,
        "run `trilemma checksums` after adding or removing a model file"
    );
}

/// Share of samples of class c whose nearest test-set class mean (L2) is c's.
fn class_mean_accuracy(family: Family, dataset: DatasetKind, per_class: usize) -> f64 {
    let device = Device::flex();
    let data = Dataset::load(dataset).expect("data cache (run ./x data)");
    let means = data.class_means(&data.split().test);
    let file = open(Kind::Family(family), dataset, &device);
    let mut hits = 0;
    for class in 0..CLASSES {
        let options = Options {
            class: Class::constant(class),
            n: Count::new(per_class).unwrap(),
            seed: Seed::constant(11),
            diffusion: SampleOptions {
                sampler: Sampler::Ddim,
                steps: Steps::constant(20),
                eta: Eta::constant(0.0),
                guidance: Guidance::constant(1.0),
            },
            ..Options::for_dataset(dataset)
        };
        let x = generate(&file.model, &options, &device).unwrap();
        let values = x.into_data().try_to_vec::<f32>().unwrap();
        for img in values.chunks_exact(PIXELS) {
            let nearest = (0..CLASSES)
                .min_by(|&a, &b| {
                    let d = |m: &[f32; PIXELS]| {
                        img.iter().zip(m).map(|(p, q)| (p - q).powi(2)).sum::<f32>()
                    };
                    d(&means[a]).total_cmp(&d(&means[b]))
                })
                .unwrap();
            hits += (nearest == class) as usize;
        }
    }
    hits as f64 / (CLASSES * per_class) as f64
}

#[test]
fn conditional_samples_land_nearest_their_class_mean() {
    // Nearest class mean labels 79% of real MNIST and 69% of real Fashion test images (test below).
    for dataset in DatasetKind::ALL {
        for family in Family::ALL {
            let acc = class_mean_accuracy(family, dataset, 10);
            eprintln!(
                "{family}-{dataset}: {:.0}% nearest own class mean",
                acc * 100.0
            );
            assert!(
                acc >= 0.5,
                "{family}-{dataset}: only {:.0}% of conditional samples look like their class",
                acc * 100.0
            );
        }
    }
}

#[test]
fn real_data_loads_with_the_documented_split() {
    for dataset in DatasetKind::ALL {
        let data = Dataset::load(dataset).expect("data cache (run ./x data)");
        let split = data.split();
        assert_eq!(split.test.len(), dataset.test_per_class() * CLASSES);
        assert_eq!(
            data.skipped,
            if dataset == DatasetKind::Fashion {
                2
            } else {
                0
            }
        );
        // The yardstick of the test above: nearest train-set class mean on real test images.
        let means = data.class_means(&split.train);
        let hits = split
            .test
            .iter()
            .filter(|&&i| {
                let img: Vec<f32> = data.image(i).iter().map(|&p| p as f32 / 255.0).collect();
                let d = |m: &[f32; PIXELS]| {
                    img.iter().zip(m).map(|(p, q)| (p - q).powi(2)).sum::<f32>()
                };
                (0..CLASSES)
                    .min_by(|&a, &b| d(&means[a]).total_cmp(&d(&means[b])))
                    .unwrap()
                    == data.labels[i] as usize
            })
            .count();
        let acc = hits as f64 / split.test.len() as f64;
        eprintln!(
            "{dataset}: nearest class mean labels {:.1}% of real test images",
            acc * 100.0
        );
        assert!(acc > 0.6);
    }
}

#[test]
fn classifiers_reach_their_test_accuracy() {
    let device = Device::flex();
    for (dataset, bar) in [(DatasetKind::Mnist, 0.985), (DatasetKind::Fashion, 0.90)] {
        let data = Dataset::load(dataset).expect("data cache (run ./x data)");
        let test = data.split().test;
        let file = open(Kind::Classifier, dataset, &device);
        let Model::Classifier(classifier) = &file.model else {
            panic!("classifier-{dataset} holds a {}", file.kind)
        };
        let predicted = trilemma::models::classifier::predict(classifier, &data, &test, &device);
        let hits = test
            .iter()
            .zip(&predicted)
            .filter(|(i, p)| data.labels[**i] as usize == **p)
            .count();
        let acc = hits as f64 / test.len() as f64;
        eprintln!(
            "classifier-{dataset}: {:.2}% of the test split",
            acc * 100.0
        );
        assert!(acc >= bar, "classifier-{dataset}: {acc} < {bar}");
    }
}

#[test]
fn shipped_test_images_are_the_picks_of_the_test_split() {
    for dataset in DatasetKind::ALL {
        let data = Dataset::load(dataset).expect("data cache (run ./x data)");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(dataset.picks_file());
        let shipped = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{} is missing (trilemma picks): {e}", path.display()));
        assert_eq!(
            shipped,
            data.picks(),
            "{} is stale: run trilemma picks",
            path.display()
        );
        assert_eq!(shipped.len(), CLASSES * PICKS_PER_CLASS * PIXELS);
        // Class by class, and every one a test image (none seen in training).
        let test = data.split().test;
        for (k, img) in shipped.chunks_exact(PIXELS).enumerate() {
            let i = test
                .iter()
                .find(|&&i| data.image(i) == img)
                .expect("a test image");
            assert_eq!(data.labels[*i] as usize, k / PICKS_PER_CLASS);
        }
    }
}
