//! The scoreboard's classifier on the page: each image's predicted class and the confidence of it, and its
//! features (the scoreboard's feature space), so a visitor's own samples are read as `trilemma eval` reads
//! the models'.

use super::batch;
use crate::data::PIXELS;
use crate::generate::MAX_N;
use crate::metrics::{self, Features, K};
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

/// How many rows of `dim` features `values` holds (`what` names them in the error).
fn rows(values: &[f32], dim: usize, what: &str) -> Result<usize, String> {
    match dim {
        0 => Err("dim must be at least 1".to_string()),
        _ if !values.len().is_multiple_of(dim) => Err(format!(
            "{what}: {} values are not rows of {dim}",
            values.len()
        )),
        _ => Ok(values.len() / dim),
    }
}

/// Precision and recall of `generated` features against `real` ones (rows of `dim` floats), as the
/// scoreboard measures them: the first m rows of each side, m the smaller count, on k-NN manifolds.
pub fn precision_recall(real: &[f32], generated: &[f32], dim: usize) -> Result<(f64, f64), String> {
    let m = rows(real, dim, "real")?.min(rows(generated, dim, "generated")?);
    if m <= K {
        return Err(format!(
            "precision and recall need more than {K} samples on each side, got {m}"
        ));
    }
    let cut = |values: &[f32]| Features::new(dim, values[..m * dim].to_vec());
    Ok(metrics::precision_recall(&cut(real), &cut(generated), K))
}

/// Most neighbours one query may ask for.
pub const MAX_NEIGHBOURS: usize = 16;

/// The `k` (1–16) rows of `set` nearest to each of `queries` (rows of `dim` features): each query's row
/// indices and distances, nearest first, query by query.
pub fn nearest(
    set: &[f32],
    queries: &[f32],
    dim: usize,
    k: usize,
) -> Result<(Vec<u32>, Vec<f32>), String> {
    let n = rows(set, dim, "the set")?;
    rows(queries, dim, "the queries")?;
    if !(1..=MAX_NEIGHBOURS.min(n)).contains(&k) {
        return Err(format!(
            "k must be a whole number 1–{}, got {k}",
            MAX_NEIGHBOURS.min(n)
        ));
    }
    let found = metrics::nearest(
        &Features::new(dim, set.to_vec()),
        &Features::new(dim, queries.to_vec()),
        k,
    );
    Ok(found
        .into_iter()
        .flatten()
        .map(|(i, d)| (i as u32, d))
        .unzip())
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

    #[test]
    fn precision_and_recall_compare_equal_numbers_and_refuse_ragged_rows() {
        let a: Vec<f32> = (0..40).map(|i| (i * i % 17) as f32).collect(); // 20 rows of 2
        assert_eq!(precision_recall(&a, &a, 2), Ok((1.0, 1.0)));
        // Far away: nothing inside either manifold; a longer real side is cut to the generated one's size.
        let far: Vec<f32> = a.iter().map(|v| v + 1e6).collect();
        assert_eq!(precision_recall(&a, &far[..20], 2), Ok((0.0, 0.0)));
        assert!(precision_recall(&a, &a[..3], 2).is_err()); // ragged
        assert!(precision_recall(&a, &a[..6], 2).is_err()); // 3 rows: too few for k = 3
        assert!(precision_recall(&a, &a, 0).is_err());
    }

    #[test]
    fn nearest_rows_come_nearest_first_and_bad_asks_are_refused() {
        let set = [0.0, 0.0, 3.0, 4.0, 1.0, 0.0]; // 3 rows of 2
        assert_eq!(
            nearest(&set, &[3.0, 3.0], 2, 2),
            Ok((vec![1, 2], vec![1.0, 3.6055512]))
        );
        assert!(nearest(&set, &[3.0], 2, 1).is_err());
        assert!(nearest(&set, &[3.0, 3.0], 2, 0).is_err());
        assert!(nearest(&set, &[3.0, 3.0], 2, 4).is_err()); // more than the set holds
    }
}
