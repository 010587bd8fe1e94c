//! Diffusion training: the simple L2 objective of Ho et al. — t uniform in 0..T, ε ~ N(0, I),
//! ‖ε − ε_θ(√ᾱ_t x₀ + √(1 − ᾱ_t) ε, t, c)‖² — or, asked, each example's error weighted by Min-SNR-γ
//! (Hang et al. 2023) — with class dropout for classifier-free guidance; Adam, lr 5e-4; EMA (0.999,
//! warmed up) of the denoiser for sampling.

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
    /// γ of the Min-SNR-γ weighting; `None`: every example weighs the same.
    min_snr: Option<f64>,
    device: Device,
}

/// The Min-SNR-γ weight of an ε-prediction error at a timestep with cumulative ᾱ: min(SNR, γ) / SNR, where
/// SNR = ᾱ / (1 − ᾱ). 1 at the noisy timesteps (SNR ≤ γ), less where the noise is slight.
pub fn min_snr_weight(alpha_bar: f64, gamma: f64) -> f64 {
    let snr = alpha_bar / (1.0 - alpha_bar);
    snr.min(gamma) / snr
}

impl DiffusionTrainer {
    pub fn new(min_snr: Option<f64>, device: &Device) -> Self {
        let config = UnetConfig::new();
        let unet = config.init(device);
        Self {
            ema: unet.valid(),
            unet,
            config,
            opt: AdamConfig::new().init(),
            schedule: Schedule::default(),
            min_snr,
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
        let error = (self.unet.forward(x_t, t, classes) - eps).powi_scalar(2); // [B, 1, 28, 28]
        // The log keeps the plain mean squared error, comparable across weightings.
        let mse = error.clone().mean();
        let loss = match self.min_snr {
            None => mse.clone(),
            Some(gamma) => {
                let weights =
                    self.schedule
                        .per_sample(&ts, |a| min_snr_weight(a, gamma), &self.device);
                (error * weights).mean()
            }
        };
        let grads = GradientsParams::from_grads(loss.backward(), &self.unet);
        self.unet = self.opt.step(LR, self.unet.clone(), grads);
        self.ema = ema::update(self.ema.clone(), &self.unet, ema::decay(EMA_DECAY, step));
        vec![scalar(mse.detach())]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_snr_weighs_noisy_timesteps_fully_and_clean_ones_less() {
        let schedule = Schedule::default();
        let weight = |t: isize| min_snr_weight(schedule.alpha_bar(t), 5.0);
        // SNR ≤ γ: the full weight; the first timesteps (SNR ≈ 10⁴) weigh γ/SNR ≈ 5·10⁻⁴.
        assert_eq!(weight(T as isize - 1), 1.0);
        assert_eq!(weight(500), 1.0);
        assert!(weight(0) < 1e-3 && weight(0) > 1e-4, "{}", weight(0));
        assert!((1..T as isize).all(|t| weight(t) >= weight(t - 1)));
    }
}
