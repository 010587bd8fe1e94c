//! GAN training: non-saturating logistic loss, one-sided label smoothing (real target 0.9), Adam
//! (lr 2e-4, β₁ = 0.5) for both networks, EMA (0.999, warmed up) of the generator for sampling.

use super::{Batch, Trainer, ema, load_module, save_module, scalar};
use crate::models::Model;
use crate::models::class_tokens;
use crate::models::gan::{Discriminator, Gan, GanConfig, Generator, Truncation};
use crate::rng::Rng;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::softplus;
use burn::tensor::{Device, Tensor};
use std::path::Path;

const LR: f64 = 2e-4;
const REAL_TARGET: f64 = 0.9;
const EMA_DECAY: f64 = 0.999;

pub struct GanTrainer {
    config: GanConfig,
    generator: Generator,
    discriminator: Discriminator,
    ema: Generator,
    opt_g: ModuleOptimizer,
    opt_d: ModuleOptimizer,
    device: Device,
}

impl GanTrainer {
    pub fn new(device: &Device) -> Self {
        let config = GanConfig::new();
        let generator = config.init_generator(device);
        let adam = AdamConfig::new().with_beta_1(0.5);
        Self {
            ema: generator.valid(),
            discriminator: config.init_discriminator(device),
            generator,
            config,
            opt_g: adam.init(),
            opt_d: adam.init(),
            device: device.clone(),
        }
    }
}

/// Binary cross-entropy of logits against a constant target.
fn bce(logits: Tensor<2>, target: f64) -> Tensor<1> {
    let l = softplus(logits.clone().neg(), 1.0) * target + softplus(logits, 1.0) * (1.0 - target);
    l.mean()
}

impl Trainer for GanTrainer {
    fn loss_names(&self) -> &'static [&'static str] {
        &["loss_d", "loss_g", "d_real", "d_fake"]
    }

    fn step(&mut self, step: u64, batch: Batch, rng: &mut Rng) -> Vec<f64> {
        let n = batch.classes.len();
        let classes = class_tokens(&batch.classes, &self.device);
        let real = batch.images * 2.0 - 1.0;
        let z = self
            .generator
            .draw_latents(rng, n, Truncation::DEFAULT, &self.device);
        let fake = self.generator.forward(z, classes.clone());

        let d_real = self.discriminator.forward(real, classes.clone());
        let d_fake = self
            .discriminator
            .forward(fake.clone().detach(), classes.clone());
        let loss_d = bce(d_real.clone(), REAL_TARGET) + bce(d_fake.clone(), 0.0);
        let grads = GradientsParams::from_grads(loss_d.backward(), &self.discriminator);
        self.discriminator = self.opt_d.step(LR, self.discriminator.clone(), grads);

        let loss_g = bce(self.discriminator.forward(fake, classes), 1.0);
        let grads = GradientsParams::from_grads(loss_g.backward(), &self.generator);
        self.generator = self.opt_g.step(LR, self.generator.clone(), grads);
        self.ema = ema::update(
            self.ema.clone(),
            &self.generator,
            ema::decay(EMA_DECAY, step),
        );

        let prob = |l: Tensor<2>| scalar(burn::tensor::activation::sigmoid(l.detach()).mean());
        vec![
            scalar(loss_d.detach()),
            scalar(loss_g.detach()),
            prob(d_real),
            prob(d_fake),
        ]
    }

    fn shipped(&self) -> Model {
        Model::Gan(Gan {
            generator: self.ema.valid(),
            discriminator: self.discriminator.valid(),
        })
    }

    fn config_json(&self) -> String {
        burn::config::config_to_json(&self.config)
    }

    fn save(&self, dir: &Path) -> Result<(), String> {
        save_module(&self.generator, dir, "generator")?;
        save_module(&self.discriminator, dir, "discriminator")?;
        save_module(&self.ema, dir, "ema")
    }

    fn load(mut self: Box<Self>, dir: &Path) -> Result<Box<dyn Trainer>, String> {
        self.generator = load_module(self.generator, dir, "generator")?;
        self.discriminator = load_module(self.discriminator, dir, "discriminator")?;
        self.ema = load_module(self.ema, dir, "ema")?;
        Ok(self)
    }
}
