//! Diffusion training: the simple L2 objective of Ho et al. — t uniform in 0..T, ε ~ N(0, I),
//! ‖ε − ε_θ(√ᾱ_t x₀ + √(1 − ᾱ_t) ε, t, c)‖² — with class dropout for classifier-free guidance; Adam,
//! lr 5e-4; EMA (0.999, warmed up) of the denoiser for sampling.

use super::{Batch, Trainer, ema, load_module, save_module, scalar};
use crate::models::Model;
use crate::models::diffusion::{Schedule, T};
use crate::models::unet::{Unet, UnetConfig};
use crate::models::{class_tokens, normal};
use crate::rng::Rng;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use std::path::Path;

const LR: f64 = 5e-4;
const EMA_DECAY: f64 = 0.999;

pub struct DiffusionTrainer {
    config: UnetConfig,
    unet: Unet,
    ema: Unet,
    opt: ModuleOptimizer,
    schedule: Schedule,
    device: Device,
}

impl DiffusionTrainer {
    pub fn new(device: &Device) -> Self {
        let config = UnetConfig::new();
        let unet = config.init(device);
        Self {
            ema: unet.valid(),
            unet,
            config,
            opt: AdamConfig::new().init(),
            schedule: Schedule::default(),
            device: device.clone(),
        }
    }
}

impl Trainer for DiffusionTrainer {
    fn loss_names(&self) -> &'static [&'static str] {
        &["mse"]
    }

    fn step(&mut self, step: u64, batch: Batch, rng: &mut Rng) -> Vec<f64> {
        let n = batch.classes.len();
        let classes = class_tokens(&batch.classes, &self.device);
        let ts: Vec<usize> = (0..n).map(|_| rng.below(T)).collect();
        let eps = normal(rng, [n, 1, 28, 28], &self.device);
        let x_t = self
            .schedule
            .noise(batch.images * 2.0 - 1.0, eps.clone(), &ts);
        let t = Tensor::<1>::from_data(
            TensorData::new(ts.iter().map(|&t| t as f32).collect(), [n]),
            &self.device,
        );
        let loss = (self.unet.forward(x_t, t, classes) - eps)
            .powi_scalar(2)
            .mean();
        let grads = GradientsParams::from_grads(loss.backward(), &self.unet);
        self.unet = self.opt.step(LR, self.unet.clone(), grads);
        self.ema = ema::update(self.ema.clone(), &self.unet, ema::decay(EMA_DECAY, step));
        vec![scalar(loss.detach())]
    }

    fn shipped(&self) -> Model {
        Model::Diffusion(self.ema.valid())
    }

    fn config_json(&self) -> String {
        burn::config::config_to_json(&self.config)
    }

    fn save(&self, dir: &Path) -> Result<(), String> {
        save_module(&self.unet, dir, "unet")?;
        save_module(&self.ema, dir, "ema")
    }

    fn load(mut self: Box<Self>, dir: &Path) -> Result<Box<dyn Trainer>, String> {
        self.unet = load_module(self.unet, dir, "unet")?;
        self.ema = load_module(self.ema, dir, "ema")?;
        Ok(self)
    }

    fn continue_from(mut self: Box<Self>, shipped: Model) -> Result<Box<dyn Trainer>, String> {
        let Model::Diffusion(unet) = shipped else {
            return Err("--from: not a diffusion model".into());
        };
        self.unet = unet.to_device(&self.device).train();
        // The average restarts from the shipped average; `valid` keeps the ids it is matched by.
        self.ema = self.unet.valid();
        Ok(self)
    }
}
