//! The scoreboard's classifier on the page: each image's predicted class and the confidence of it, and its
//! features (the scoreboard's feature space), so a visitor's own samples are read as `trilemma eval` reads
//! the models'.

use super::batch;
use crate::data::PIXELS;
use crate::generate::MAX_N;
use crate::models::classifier::Classifier;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor};

/// What the classifier reads in a batch of images.
pub struct Reading {
    /// `[n]`: the most probable class of each image.
    pub classes: Tensor<1, Int>,
    /// `[n]`: its probability.
    pub confidences: Tensor<1>,
    /// `[n, features]`: the feature vectors the scoreboard's FID, precision and recall use.
    pub features: Tensor<2>,
}

/// The classifier's reading of 1–64 images of 784 gray bytes each.
pub fn classify(classifier: &Classifier, bytes: &[u8], device: &Device) -> Result<Reading, String> {
    let images = batch(bytes, device)?;
    let features = classifier.features(images);
    let probabilities = softmax(classifier.logits(features.clone()), 1); // [n, 10]
    let (confidences, classes) = probabilities.max_dim_with_indices(1);
    Ok(Reading {
        classes: classes.flatten(0, 1),
        confidences: confidences.flatten(0, 1),
        features,
    })
}

/// The features of any number of images, read in batches of 64: what `trilemma picks` records for the
/// page's test images.
pub fn features_of(
    classifier: &Classifier,
    bytes: &[u8],
    device: &Device,
) -> Result<Vec<f32>, String> {
    let mut out = Vec::new();
    for chunk in bytes.chunks(MAX_N * PIXELS) {
        let reading = classify(classifier, chunk, device)?;
        out.extend(
            reading
                .features
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| format!("{e:?}"))?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CLASSES;
    use crate::models::classifier::ClassifierConfig;

    #[test]
    fn one_reading_per_image_with_a_probability() {
        let device = Device::flex();
        let classifier = ClassifierConfig::new().init(&device);
        let bytes: Vec<u8> = (0..3 * PIXELS).map(|i| (i * 7 % 256) as u8).collect();
        let r = classify(&classifier, &bytes, &device).unwrap();
        let classes = r.classes.float().into_data().try_to_vec::<f32>().unwrap();
        let confidences = r.confidences.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(classes.len(), 3);
        assert!(
            classes
                .iter()
                .all(|&c| c.fract() == 0.0 && (0.0..CLASSES as f32).contains(&c))
        );
        // The largest of 10 probabilities: at least a tenth, at most one.
        assert!(confidences.iter().all(|&p| (0.1..=1.0).contains(&p)));
        assert_eq!(r.features.dims(), [3, ClassifierConfig::new().features]);
        // The features of an image do not depend on the batch around it.
        let one = classify(&classifier, &bytes[PIXELS..2 * PIXELS], &device).unwrap();
        let row = one.features.into_data().try_to_vec::<f32>().unwrap();
        let all = classify(&classifier, &bytes, &device)
            .unwrap()
            .features
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let same = row
            .iter()
            .zip(&all[row.len()..2 * row.len()])
            .all(|(a, b)| (a - b).abs() < 1e-5);
        assert!(same, "the middle image's features changed with its batch");
        assert!(classify(&classifier, &bytes[..100], &device).is_err());
    }
}
