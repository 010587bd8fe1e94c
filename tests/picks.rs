//! What `trilemma picks` ships for the page is true to the data and to the shipped classifier: the test
//! images' features (which the browser test holds the page's classifier to), the precision/recall
//! reference and the nearest-neighbour atlas.

use burn::tensor::Device;
use trilemma::data::{DatasetKind, PIXELS};
use trilemma::models::weights::{ModelFile, file_name};
use trilemma::models::{Kind, Model};
use trilemma::play;

fn shipped(name: &str) -> Vec<u8> {
    let path = format!("{}/models/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_recorded_features_of_the_shipped_test_images_are_the_classifiers() {
    let device = Device::flex();
    for kind in DatasetKind::ALL {
        let file =
            ModelFile::from_bytes(shipped(&file_name(Kind::Classifier, kind)), &device).unwrap();
        let Model::Classifier(classifier) = file.model else {
            panic!("{kind}: not a classifier");
        };
        let picks = shipped(&kind.picks_file());
        let features = play::features_of(&classifier, &picks, &device).unwrap();
        let recorded = floats(&shipped(&kind.picks_features_file()));
        assert_eq!(
            recorded.len(),
            features.len(),
            "{kind}: run `trilemma picks` again"
        );
        assert_eq!(features.len() % (picks.len() / PIXELS), 0);
        let worst = features
            .iter()
            .zip(&recorded)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst < 1e-5,
            "{kind}: features differ by up to {worst}: run `trilemma picks` again"
        );
    }
}

#[test]
fn the_shipped_precision_recall_reference_is_the_scoreboards() {
    use trilemma::data::Dataset;
    use trilemma::eval;
    use trilemma::metrics::Features;
    let device = Device::flex();
    for kind in DatasetKind::ALL {
        let Ok(data) = Dataset::load(kind) else {
            eprintln!("{kind}: no dataset cache (./x data): skipped");
            continue;
        };
        let file =
            ModelFile::from_bytes(shipped(&file_name(Kind::Classifier, kind)), &device).unwrap();
        let Model::Classifier(classifier) = file.model else {
            panic!("{kind}: not a classifier");
        };
        let test: Vec<u8> = data
            .split()
            .test
            .iter()
            .flat_map(|&i| data.image(i).to_vec())
            .collect();
        let features = play::features_of(&classifier, &test, &device).unwrap();
        let dim = features.len() / (test.len() / PIXELS);
        let expected = eval::shuffled_test(&Features::new(dim, features), 0).head(eval::PR_SAMPLES);
        let recorded = floats(&shipped(&kind.reference_features_file()));
        assert_eq!(
            recorded.len(),
            expected.values.len(),
            "{kind}: run `trilemma picks` again"
        );
        let worst = expected
            .values
            .iter()
            .zip(&recorded)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst < 1e-5,
            "{kind}: reference features differ by {worst}: run `trilemma picks` again"
        );
        // The neighbour atlas: every class's first training images, and the classifier's features of them.
        let atlas = shipped(&kind.atlas_file());
        let indices = data.atlas();
        assert_eq!(indices.len(), 10 * trilemma::data::ATLAS_PER_CLASS);
        assert_eq!(atlas.len(), indices.len() * PIXELS);
        assert!(
            atlas
                .chunks(PIXELS)
                .zip(&indices)
                .all(|(a, &i)| a == data.image(i)),
            "{kind}: atlas images: run `trilemma picks` again"
        );
        let features = play::features_of(&classifier, &atlas, &device).unwrap();
        let recorded = floats(&shipped(&kind.atlas_features_file()));
        let worst = features
            .iter()
            .zip(&recorded)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            recorded.len() == features.len() && worst < 1e-5,
            "{kind}: atlas features: run `trilemma picks` again"
        );
    }
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
