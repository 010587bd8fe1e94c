//! VAE training: negative ELBO per image = Bernoulli reconstruction loss (binary cross-entropy summed over
//! the 784 pixels) + KL(q(z | x, c) ‖ N(0, I)); Adam, lr 1e-3. At the end, the Gaussians that sampling
//! places codes in are fitted to the encoder's codes of the training images ([`fit_prior`]).

use super::{Batch, Trainer, load_module, save_module, scalar};
use crate::data::{CLASSES, Dataset};
use crate::models::vae::{PriorFit, Vae, VaeConfig};
use crate::models::{CLASS_TOKENS, Model, class_tokens, images_from_bytes, normal};
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

    fn finish(&mut self, data: &Dataset, train: &[usize]) -> Result<(), String> {
        let fit = fit_prior(&self.vae.valid(), data, train)?;
        self.vae = self.vae.clone().with_prior(&fit);
        Ok(())
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

/// Images encoded at a time while fitting.
const FIT_BATCH: usize = 500;

/// Per class token, the Gaussian of the codes z the encoder gives that class's training images with that
/// token (the "no class" token: every image): its mean, and the covariance of the posterior means plus the
/// mean posterior variance — the moments of the aggregate posterior q(z | c), where N(0, I) is only what the
/// KL term pulls it towards.
pub fn fit_prior(vae: &Vae, data: &Dataset, train: &[usize]) -> Result<PriorFit, String> {
    let l = vae.latent();
    let device = vae.devices()[0].clone();
    let (mut centre, mut scale, mut unscale) = (Vec::new(), Vec::new(), Vec::new());
    for token in 0..CLASS_TOKENS {
        let (class, members) = members(data, train, token);
        let (mut sum, mut outer, mut var) = (vec![0.0; l], vec![0.0; l * l], vec![0.0; l]);
        for chunk in members.chunks(FIT_BATCH) {
            let post = vae.encode(
                images_of(data, chunk, &device),
                class_tokens(&vec![class; chunk.len()], &device),
            );
            let mean = floats(post.mean)?;
            let log_var = floats(post.log_var)?;
            for (m, v) in mean.chunks(l).zip(log_var.chunks(l)) {
                for a in 0..l {
                    sum[a] += m[a] as f64;
                    var[a] += (v[a] as f64).exp();
                    for b in 0..l {
                        outer[a * l + b] += m[a] as f64 * m[b] as f64;
                    }
                }
            }
        }
        let n = members.len() as f64;
        let mu: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let cov = nalgebra::DMatrix::from_fn(l, l, |a, b| {
            let noise = if a == b { var[a] / n } else { 0.0 };
            outer[a * l + b] / n - mu[a] * mu[b] + noise
        });
        let lower = cov
            .cholesky()
            .ok_or(format!(
                "the codes of class token {token} have a singular covariance"
            ))?
            .l();
        let inverse = lower.clone().try_inverse().ok_or(format!(
            "class token {token}: the code scale has no inverse"
        ))?;
        centre.extend(mu.iter().map(|&x| x as f32));
        // nalgebra is column-major; the tensors are row-major.
        scale.extend(lower.transpose().iter().map(|&x| x as f32));
        unscale.extend(inverse.transpose().iter().map(|&x| x as f32));
    }
    Ok(PriorFit {
        centre,
        scale,
        unscale,
    })
}

/// The class a token asks for (none for the "no class" token) and the training images it is fitted to:
/// that class's, or every one.
fn members(data: &Dataset, train: &[usize], token: usize) -> (Option<usize>, Vec<usize>) {
    let class = (token < CLASSES).then_some(token);
    let members = train
        .iter()
        .copied()
        .filter(|&i| class.is_none_or(|c| data.labels[i] as usize == c))
        .collect();
    (class, members)
}

/// Images `indices` of `data` as `[n, 1, 28, 28]`.
fn images_of(data: &Dataset, indices: &[usize], device: &Device) -> burn::tensor::Tensor<4> {
    let pixels: Vec<u8> = indices
        .iter()
        .flat_map(|&i| data.image(i))
        .copied()
        .collect();
    images_from_bytes(&pixels, device)
}

fn floats(t: burn::tensor::Tensor<2>) -> Result<Vec<f32>, String> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetKind, PIXELS};
    use crate::models::class_tokens;

    fn pixels(t: burn::tensor::Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// 40 random images a class: enough for each class's 16-dimensional covariance.
    fn noisy_dataset() -> Dataset {
        let mut rng = Rng::new(7);
        let n = 40 * CLASSES;
        Dataset {
            kind: DatasetKind::Mnist,
            labels: (0..n).map(|i| (i % CLASSES) as u8).collect(),
            images: (0..n * PIXELS).map(|_| rng.below(256) as u8).collect(),
            skipped: 0,
        }
    }

    #[test]
    fn the_fitted_prior_standardises_each_class_s_training_codes() {
        let device = Device::flex();
        let data = noisy_dataset();
        let train: Vec<usize> = (0..data.labels.len()).collect();
        let vae = VaeConfig::new().init(&device);
        let fit = fit_prior(&vae, &data, &train).unwrap();
        let vae = vae.with_prior(&fit);
        let l = vae.latent();
        for token in [0, 3, 9, CLASS_TOKENS - 1] {
            let (class, members) = members(&data, &train, token);
            let tokens = class_tokens(&vec![class; members.len()], &device);
            let codes = vae.encode_codes(images_of(&data, &members, &device), tokens);
            let (mean, log_var) = (floats(codes.mean).unwrap(), floats(codes.log_var).unwrap());
            let n = members.len() as f64;
            for a in 0..l {
                // Dimension a's mean of f over the class's codes.
                let avg = |values: &[f32], f: &dyn Fn(f64) -> f64| {
                    values
                        .iter()
                        .skip(a)
                        .step_by(l)
                        .map(|&x| f(x as f64))
                        .sum::<f64>()
                        / n
                };
                let m = avg(&mean, &|x| x);
                let spread = avg(&mean, &|x| (x - m).powi(2));
                let noise = avg(&log_var, &|v| v.exp());
                // In code space the class's codes are centred, and spread plus posterior noise is 1 a dimension.
                assert!(m.abs() < 1e-3, "token {token}, dim {a}: mean {m}");
                assert!(
                    (spread + noise - 1.0).abs() < 1e-3,
                    "token {token}, dim {a}: {spread} + {noise}"
                );
            }
        }
    }

    #[test]
    fn an_image_s_code_decodes_to_its_reconstruction_under_any_prior() {
        let device = Device::flex();
        let data = noisy_dataset();
        let train: Vec<usize> = (0..data.labels.len()).collect();
        let plain = VaeConfig::new().init(&device);
        let fitted = plain
            .clone()
            .with_prior(&fit_prior(&plain, &data, &train).unwrap());
        let images = images_from_bytes(&data.images[..4 * PIXELS], &device);
        let tokens = class_tokens(&[Some(0), Some(1), None, Some(9)], &device);
        let z = plain.encode(images.clone(), tokens.clone()).mean;
        let raw = pixels(plain.decode(z, tokens.clone()));
        for vae in [&plain, &fitted] {
            let codes = vae.encode_codes(images.clone(), tokens.clone()).mean;
            let back = pixels(vae.decode(codes, tokens.clone()));
            let worst = raw
                .iter()
                .zip(&back)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-4, "{worst}");
        }
        // The fit moved the codes: an image's code under the fit is another than under N(0, I).
        let code =
            |vae: &Vae| floats(vae.encode_codes(images.clone(), tokens.clone()).mean).unwrap();
        let moved = code(&plain)
            .iter()
            .zip(code(&fitted))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(moved > 1e-2, "{moved}");
    }
}
