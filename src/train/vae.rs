//! VAE training: negative ELBO per image = Bernoulli reconstruction loss (binary cross-entropy summed over
//! the 784 pixels) + KL(q(z | x, c) ‖ N(0, I)); Adam, lr 1e-3.

use super::{Batch, Trainer, load_module, save_module, scalar};
use crate::models::Model;
use crate::models::class_tokens;
use crate::models::normal;
use crate::models::vae::{Vae, VaeConfig};
use crate::rng::Rng;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use burn::tensor::activation::softplus;
use std::path::Path;

const LR: f64 = 1e-3;

pub struct VaeTrainer {
    config: VaeConfig,
    vae: Vae,
    opt: ModuleOptimizer,
    device: Device,
}

impl VaeTrainer {
    pub fn new(device: &Device) -> Self {
        let config = VaeConfig::new();
        Self {
            vae: config.init(device),
            config,
            opt: AdamConfig::new().init(),
            device: device.clone(),
        }
    }
}

impl Trainer for VaeTrainer {
    fn loss_names(&self) -> &'static [&'static str] {
        &["neg_elbo", "recon", "kl"]
    }

    fn step(&mut self, _step: u64, batch: Batch, rng: &mut Rng) -> Vec<f64> {
        let n = batch.classes.len();
        let classes = class_tokens(&batch.classes, &self.device);
        let x = batch.images;
        let post = self.vae.encode(x.clone(), classes.clone());
        let eps = normal(rng, [n, self.vae.latent()], &self.device);
        let z = post.mean.clone() + (post.log_var.clone() * 0.5).exp() * eps;
        let logits = self.vae.decode_logits(z, classes);
        // BCE with logits: softplus(l) − x·l, summed over pixels.
        let recon = (softplus(logits.clone(), 1.0) - x * logits).sum() / n as f64;
        let kl = ((post.mean.powi_scalar(2) + post.log_var.clone().exp() - post.log_var - 1.0)
            * 0.5)
            .sum()
            / n as f64;
        let loss = recon.clone() + kl.clone();
        let grads = GradientsParams::from_grads(loss.backward(), &self.vae);
        self.vae = self.opt.step(LR, self.vae.clone(), grads);
        vec![
            scalar(loss.detach()),
            scalar(recon.detach()),
            scalar(kl.detach()),
        ]
    }

    fn shipped(&self) -> Model {
        Model::Vae(self.vae.valid())
    }

    fn config_json(&self) -> String {
        burn::config::config_to_json(&self.config)
    }

    fn save(&self, dir: &Path) -> Result<(), String> {
        save_module(&self.vae, dir, "vae")
    }

    fn load(mut self: Box<Self>, dir: &Path) -> Result<Box<dyn Trainer>, String> {
        self.vae = load_module(self.vae, dir, "vae")?;
        Ok(self)
    }

    fn continue_from(mut self: Box<Self>, shipped: Model) -> Result<Box<dyn Trainer>, String> {
        let Model::Vae(vae) = shipped else {
            return Err("--from: not a VAE".into());
        };
        self.vae = vae.to_device(&self.device).train();
        Ok(self)
    }
}
