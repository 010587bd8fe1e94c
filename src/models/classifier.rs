//! The classifier that scores the generators: a small CNN per dataset. Its penultimate layer is the feature
//! space in which the scoreboard measures FID, precision and recall — these are classifier-feature numbers,
//! not Inception-FID numbers, and only comparable with each other.

use super::{flops, image_batches};
use crate::data::{CLASSES, Dataset};
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// Sizes of the classifier.
#[derive(Config, Debug)]
pub struct ClassifierConfig {
    /// Channels at 28²; ×2 at 14², ×4 at 7².
    #[config(default = 24)]
    pub width: usize,
    /// Size of the feature vector before the last layer (the metrics' feature space).
    #[config(default = 64)]
    pub features: usize,
}

/// Five 3×3 convolutions (two of them stride 2), global average pooling, a feature layer and the logits.
#[derive(Module, Debug)]
pub struct Classifier {
    convs: Vec<Conv2d>,
    norms: Vec<GroupNorm>,
    features: Linear,
    logits: Linear,
}

/// (input channels, output channels, stride) of each convolution, in multiples of the width.
const CONVS: [(usize, usize, usize); 5] = [(0, 1, 1), (1, 2, 2), (2, 2, 1), (2, 4, 2), (4, 4, 1)];

impl ClassifierConfig {
    pub fn init(&self, device: &Device) -> Classifier {
        let w = self.width;
        // The first convolution reads the one gray channel.
        let channels = |m: usize| if m == 0 { 1 } else { m * w };
        Classifier {
            convs: CONVS
                .iter()
                .map(|&(i, o, s)| {
                    Conv2dConfig::new([channels(i), channels(o)], [3, 3])
                        .with_stride([s, s])
                        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                        .init(device)
                })
                .collect(),
            norms: CONVS
                .iter()
                .map(|&(_, o, _)| GroupNormConfig::new(8, channels(o)).init(device))
                .collect(),
            features: LinearConfig::new(4 * w, self.features).init(device),
            logits: LinearConfig::new(self.features, CLASSES).init(device),
        }
    }
}

impl Classifier {
    /// images `[B, 1, 28, 28]` in [0, 1] → features `[B, features]` (after ReLU).
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let mut h = images * 2.0 - 1.0;
        for (conv, norm) in self.convs.iter().zip(&self.norms) {
            h = relu(norm.forward(conv.forward(h)));
        } // [B, 4w, 7, 7]
        let [b, c, _, _] = h.dims();
        let pooled = h.mean_dims(&[2, 3]).reshape([b, c]); // [B, 4w]
        relu(self.features.forward(pooled))
    }

    /// features `[B, features]` → class logits `[B, 10]`.
    pub fn logits(&self, features: Tensor<2>) -> Tensor<2> {
        self.logits.forward(features)
    }

    /// images `[B, 1, 28, 28]` in [0, 1] → class logits `[B, 10]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.logits(self.features(images))
    }

    /// Floating-point operations to classify one image (see [`flops`]).
    pub fn flops_per_sample(&self) -> u64 {
        let mut side: usize = 28;
        let mut total = 0;
        for (conv, &(_, _, stride)) in self.convs.iter().zip(&CONVS) {
            side = side.div_ceil(stride);
            total += flops(conv, side * side);
        }
        total + flops(&self.features, 1) + flops(&self.logits, 1)
    }
}

/// Predicted classes of the dataset's images `indices`, in batches.
pub fn predict(
    classifier: &Classifier,
    data: &Dataset,
    indices: &[usize],
    device: &Device,
) -> Vec<usize> {
    image_batches(data, indices, 256, device)
        .flat_map(|images| predicted(classifier.forward(images)))
        .collect()
}

/// The predicted class of each row of logits `[B, 10]`.
pub fn predicted(logits: Tensor<2>) -> Vec<usize> {
    logits
        .argmax(1)
        .into_data()
        .iter::<i64>()
        .map(|c| c as usize)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SIDE;

    #[test]
    fn shapes_and_flops() {
        let device = Device::flex();
        let c = ClassifierConfig::new().init(&device);
        let x = Tensor::<4>::ones([3, 1, SIDE, SIDE], &device);
        let f = c.features(x.clone());
        assert_eq!(f.dims(), [3, 64]);
        assert!(f.into_data().iter::<f32>().all(|v| v >= 0.0));
        assert_eq!(c.forward(x).dims(), [3, CLASSES]);
        // The 3×3 convolution 2w→2w at 14² alone: 2 · (48·48·9 + 48) · 196.
        assert!(c.flops_per_sample() > 2 * (48 * 48 * 9 + 48) * 196);
        assert!(c.flops_per_sample() < 2 * c.num_params() as u64 * 784);
    }
}
