//! The shipped real test images' features (`models/test-<dataset>.features.bin`, which the browser test
//! holds the page's classifier to) are what the shipped classifier gives them natively.

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
        let recorded: Vec<f32> = shipped(&kind.picks_features_file())
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
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
