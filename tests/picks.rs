//! What `trilemma picks` ships for the page is true to the data and to the shipped classifier: the test
//! images' features (which the browser test holds the page's classifier to), the precision/recall
//! reference and the nearest-neighbour atlas.

use burn::tensor::Device;
use trilemma::data::{ATLAS_PER_CLASS, Dataset, DatasetKind, PIXELS};
use trilemma::eval;
use trilemma::metrics::Features;
use trilemma::models::classifier::Classifier;
use trilemma::models::weights::{ModelFile, file_name};
use trilemma::models::{Kind, Model};
use trilemma::play;

fn shipped(name: &str) -> Vec<u8> {
    let path = format!("{}/models/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn classifier(kind: DatasetKind, device: &Device) -> Classifier {
    let file = ModelFile::from_bytes(shipped(&file_name(Kind::Classifier, kind)), device).unwrap();
    match file.model {
        Model::Classifier(c) => c,
        _ => panic!("{kind}: not a classifier"),
    }
}

/// The shipped file `name` (f32, little-endian) holds `expected`, to 1e-5.
fn assert_recorded(name: &str, expected: &[f32]) {
    let recorded: Vec<f32> = shipped(name)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let worst = expected
        .iter()
        .zip(&recorded)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        recorded.len() == expected.len() && worst < 1e-5,
        "models/{name}: {} values differ by up to {worst} from the {} expected: run `trilemma picks` again",
        recorded.len(),
        expected.len()
    );
}

#[test]
fn the_recorded_features_of_the_shipped_test_images_are_the_classifiers() {
    let device = Device::flex();
    for kind in DatasetKind::ALL {
        let picks = shipped(&kind.picks_file());
        let features = play::features_of(&classifier(kind, &device), &picks, &device).unwrap();
        assert_eq!(features.len() % (picks.len() / PIXELS), 0);
        assert_recorded(&kind.picks_features_file(), &features);
    }
}

#[test]
fn the_precision_recall_reference_and_the_neighbour_atlas_are_true_to_the_data() {
    let device = Device::flex();
    for kind in DatasetKind::ALL {
        let Ok(data) = Dataset::load(kind) else {
            eprintln!("{kind}: no dataset cache (./x data): skipped");
            continue;
        };
        let classifier = classifier(kind, &device);
        let bytes = |indices: &[usize]| -> Vec<u8> {
            indices
                .iter()
                .flat_map(|&i| data.image(i).to_vec())
                .collect()
        };
        // The scoreboard's shuffled real test features, cut as the page uses them.
        let test = bytes(&data.split().test);
        let features = play::features_of(&classifier, &test, &device).unwrap();
        let dim = features.len() / (test.len() / PIXELS);
        let reference =
            eval::shuffled_test(&Features::new(dim, features), 0).head(eval::PR_SAMPLES);
        assert_recorded(&kind.reference_features_file(), &reference.values);
        // The neighbour atlas: every class's first training images, and their features.
        let indices = data.atlas();
        assert_eq!(indices.len(), 10 * ATLAS_PER_CLASS);
        assert_eq!(
            shipped(&kind.atlas_file()),
            bytes(&indices),
            "{kind}: atlas images"
        );
        let atlas = play::features_of(&classifier, &bytes(&indices), &device).unwrap();
        assert_recorded(&kind.atlas_features_file(), &atlas);
    }
}
