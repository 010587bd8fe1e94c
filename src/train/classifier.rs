//! Classifier training: cross-entropy on the train split, every image shifted by up to ±2 pixels (the only
//! augmentation: the 9,000 MNIST training digits are few), Adam with lr 1e-3, dropped ten-fold for the last
//! quarter of the steps. No label dropout: every example keeps its class.

use super::{Batch, Trainer, last_quarter_drop, load_module, save_module, scalar};
use crate::data::{CLASSES, Dataset, DatasetKind, SIDE};
use crate::models::Model;
use crate::models::classifier::{Classifier, ClassifierConfig, predict};
use crate::rng::Rng;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use std::fmt::Write;
use std::path::Path;

const LR: f64 = 1e-3;
/// Largest shift of the augmentation, in pixels.
const SHIFT: usize = 2;

pub struct ClassifierTrainer {
    config: ClassifierConfig,
    classifier: Classifier,
    opt: ModuleOptimizer,
    total_steps: u64,
    device: Device,
}

impl ClassifierTrainer {
    pub fn new(total_steps: u64, device: &Device) -> Self {
        let config = ClassifierConfig::new();
        Self {
            classifier: config.init(device),
            config,
            opt: AdamConfig::new().init(),
            total_steps,
            device: device.clone(),
        }
    }
}

/// Each image moved by its own random offset in [-SHIFT, SHIFT]², the uncovered border black.
fn shift(images: Tensor<4>, rng: &mut Rng) -> Tensor<4> {
    let b = images.dims()[0];
    let padded = images.pad((SHIFT, SHIFT, SHIFT, SHIFT), 0.0); // [B, 1, 32, 32]
    let moved: Vec<Tensor<4>> = (0..b)
        .map(|i| {
            let (dy, dx) = (rng.below(2 * SHIFT + 1), rng.below(2 * SHIFT + 1));
            padded
                .clone()
                .slice([i..i + 1, 0..1, dy..dy + SIDE, dx..dx + SIDE])
        })
        .collect();
    Tensor::cat(moved, 0)
}

impl Trainer for ClassifierTrainer {
    fn loss_names(&self) -> &'static [&'static str] {
        &["cross_entropy", "batch_accuracy"]
    }

    fn class_dropout(&self) -> f64 {
        0.0
    }

    fn step(&mut self, step: u64, batch: Batch, rng: &mut Rng) -> Vec<f64> {
        let n = batch.classes.len();
        let labels: Vec<i64> = batch
            .classes
            .iter()
            .map(|c| c.expect("classifier batches keep every label") as i64)
            .collect();
        let targets = Tensor::<1, Int>::from_data(TensorData::new(labels, [n]), &self.device);
        let logits = self.classifier.forward(shift(batch.images, rng));
        let loss = CrossEntropyLossConfig::new()
            .init(&self.device)
            .forward(logits.clone(), targets.clone());
        let accuracy = logits
            .detach()
            .argmax(1)
            .reshape([n])
            .equal(targets)
            .float()
            .mean();
        let lr = last_quarter_drop(LR, step, self.total_steps);
        let grads = GradientsParams::from_grads(loss.backward(), &self.classifier);
        self.classifier = self.opt.step(lr, self.classifier.clone(), grads);
        vec![scalar(loss.detach()), scalar(accuracy)]
    }

    fn shipped(&self) -> Model {
        Model::Classifier(self.classifier.valid())
    }

    fn config_json(&self) -> String {
        burn::config::config_to_json(&self.config)
    }

    fn report(&self, dataset: DatasetKind, data: &Dataset, test: &[usize]) -> String {
        let device = Device::flex();
        let Model::Classifier(classifier) = self.shipped() else {
            unreachable!("the classifier trainer ships a classifier")
        };
        let predicted = predict(&classifier, data, test, &device);
        let mut confusion = [[0usize; CLASSES]; CLASSES];
        for (&i, &p) in test.iter().zip(&predicted) {
            confusion[data.labels[i] as usize][p] += 1;
        }
        let correct: usize = (0..CLASSES).map(|c| confusion[c][c]).sum();
        let mut md = format!(
            "## Test accuracy\n\n**{:.2}%** ({correct} of {} held-out test images).\n\n\
             Confusion matrix (rows: true class, columns: predicted):\n\n| | ",
            100.0 * correct as f64 / test.len() as f64,
            test.len()
        );
        let names = dataset.class_names();
        let _ = writeln!(md, "{} |", names.join(" | "));
        let _ = writeln!(md, "|---{}|", "|---:".repeat(CLASSES));
        for (name, row) in names.iter().zip(confusion) {
            let cells: Vec<String> = row.iter().map(usize::to_string).collect();
            let _ = writeln!(md, "| {name} | {} |", cells.join(" | "));
        }
        md
    }

    fn save(&self, dir: &Path) -> Result<(), String> {
        save_module(&self.classifier, dir, "classifier")
    }

    fn load(mut self: Box<Self>, dir: &Path) -> Result<Box<dyn Trainer>, String> {
        self.classifier = load_module(self.classifier, dir, "classifier")?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_move_pixels_without_changing_the_shape() {
        let device = Device::flex();
        let mut v = vec![0f32; 2 * SIDE * SIDE];
        v[14 * SIDE + 14] = 1.0; // one lit pixel in the middle of the first image
        let x = Tensor::<4>::from_data(TensorData::new(v, [2, 1, SIDE, SIDE]), &device);
        let y = shift(x, &mut Rng::new(3));
        assert_eq!(y.dims(), [2, 1, SIDE, SIDE]);
        let out: Vec<f32> = y.into_data().iter::<f32>().collect();
        let lit: Vec<usize> = (0..out.len()).filter(|&i| out[i] == 1.0).collect();
        assert_eq!(lit.len(), 1, "the pixel is kept once");
        let (row, col) = (lit[0] / SIDE, lit[0] % SIDE);
        assert!(row.abs_diff(14) <= SHIFT && col.abs_diff(14) <= SHIFT);
    }
}
