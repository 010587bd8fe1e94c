//! How each family learns 2-D points — one optimisation step each, with its own Adam — and how it samples.

use super::data::Point;
use super::models::{Denoiser, LATENT, Mlp, TIME_EMBED, ToyConfig, ToyVae, time_embedding};
use super::setup::{Objective, Setup};
use crate::models::Family;
use crate::rng::Rng;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::{sigmoid, softplus};
use burn::tensor::{Device, Tensor, TensorData};
use std::f32::consts::FRAC_PI_2;

/// Diffusion sampling steps (DDIM, η = 0) for the samples the page shows and measures.
pub const SAMPLE_STEPS: usize = 25;

/// Points as a `[B, 2]` tensor.
pub fn tensor(points: &[Point], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [points.len(), 2]), device)
}

/// A tensor's values, read back without blocking (WebGPU in a browser can only read asynchronously).
pub async fn read<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, String> {
    t.into_data_async()
        .await
        .map_err(|e| format!("reading back from the device failed: {e:?}"))?
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

/// A `[B, 2]` tensor as points.
pub async fn points(t: Tensor<2>) -> Result<Vec<Point>, String> {
    Ok(read(t)
        .await?
        .chunks_exact(2)
        .map(|c| [c[0], c[1]])
        .collect())
}

fn normal(rng: &mut Rng, rows: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(rng.normals(rows * 2), [rows, 2]), device)
}

/// The cosine schedule (Nichol & Dhariwal 2021): ᾱ at t = 0…T (ᾱ₀ = 1), each β capped at 0.999.
pub fn alpha_bars(timesteps: usize) -> Vec<f32> {
    let f = |t: usize| {
        (((t as f64 / timesteps as f64 + 0.008) / 1.008) * FRAC_PI_2 as f64)
            .cos()
            .powi(2)
    };
    let mut bars = vec![1.0f32];
    let mut bar = 1.0f64;
    for t in 1..=timesteps {
        let beta = (1.0 - f(t) / f(t - 1)).min(0.999);
        bar *= 1.0 - beta;
        bars.push(bar as f32);
    }
    bars
}

/// Draws every parameter's initial value now. burn initialises parameters lazily, on the device a module
/// is on at its first use: moved unread, a module made on the CPU would draw its weights from the
/// WebGPU device's generator instead.
struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// `module` with its weights drawn on the CPU device it was made on, then moved to `device` for training.
fn trainable<M: Module>(module: M, device: &Device) -> M {
    module.visit(&mut Materialize);
    module.to_device(device).train()
}

/// One family's networks and optimizers, on the training (autodiff) device.
pub enum Learner {
    Gan {
        generator: Mlp,
        discriminator: Mlp,
        opt_g: ModuleOptimizer,
        opt_d: ModuleOptimizer,
    },
    Vae {
        vae: ToyVae,
        opt: ModuleOptimizer,
    },
    Diffusion {
        denoiser: Denoiser,
        opt: ModuleOptimizer,
        alpha_bars: Vec<f32>,
    },
}

/// The losses of one step: the family's main one (the generator's for the GAN) and a second curve (the
/// discriminator's loss; the VAE's KL; none for diffusion).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Losses {
    pub main: f32,
    pub second: Option<f32>,
}

/// [`Losses`] still on the device, one value each.
pub struct LossTensors {
    main: Tensor<1>,
    second: Option<Tensor<1>>,
}

impl LossTensors {
    pub async fn read(self) -> Result<Losses, String> {
        let one = |v: Vec<f32>| v.first().copied().unwrap_or(f32::NAN);
        let second = match self.second {
            Some(t) => Some(one(read(t).await?)),
            None => None,
        };
        Ok(Losses {
            main: one(read(self.main).await?),
            second,
        })
    }
}

impl Learner {
    /// Fresh networks, initialised from `seed` on the CPU and moved to `device`, so both backends start
    /// from the same weights.
    pub fn new(family: Family, setup: &Setup, device: &Device) -> Self {
        let init = Device::flex();
        init.seed(setup.seed.get());
        let config = ToyConfig::new();
        let adam = AdamConfig::new().with_beta_1(0.5);
        match family {
            Family::Gan => Learner::Gan {
                generator: trainable(config.init_generator(&init), device),
                discriminator: trainable(config.init_discriminator(&init), device),
                opt_g: adam.init(),
                opt_d: adam.init(),
            },
            Family::Vae => Learner::Vae {
                vae: trainable(config.init_vae(&init), device),
                opt: AdamConfig::new().init(),
            },
            Family::Diffusion => Learner::Diffusion {
                denoiser: trainable(config.init_denoiser(&init), device),
                opt: AdamConfig::new().init(),
                alpha_bars: alpha_bars(setup.timesteps.get()),
            },
        }
    }

    /// One optimisation step on `batch` (the GAN's extra discriminator steps draw more points from
    /// `more`); every random number comes from `rng`.
    pub fn step(
        &mut self,
        batch: &[Point],
        more: &mut dyn FnMut(&mut Rng) -> Vec<Point>,
        setup: &Setup,
        rng: &mut Rng,
        device: &Device,
    ) -> LossTensors {
        let lr = setup.lr.get() as f64;
        let n = batch.len();
        match self {
            Learner::Gan {
                generator,
                discriminator,
                opt_g,
                opt_d,
            } => {
                // Binary cross-entropy of logits against target 1 (softplus(−l)) or 0 (softplus(l)).
                let real_loss = |l: Tensor<2>| softplus(l.neg(), 1.0).mean();
                let fake_loss = |l: Tensor<2>| softplus(l, 1.0).mean();
                let mut loss_d = None;
                for k in 0..setup.dsteps.get() {
                    let real = match k {
                        0 => tensor(batch, device),
                        _ => tensor(&more(rng), device),
                    };
                    let fake = generator.forward(normal(rng, n, device)).detach();
                    let loss = real_loss(discriminator.forward(real))
                        + fake_loss(discriminator.forward(fake));
                    let grads = GradientsParams::from_grads(loss.backward(), discriminator);
                    *discriminator = opt_d.step(lr, discriminator.clone(), grads);
                    loss_d = Some(loss.detach());
                }
                let logits = discriminator.forward(generator.forward(normal(rng, n, device)));
                let loss_g = match setup.objective {
                    Objective::NonSaturating => real_loss(logits),
                    Objective::Minimax => fake_loss(logits).neg(),
                };
                let grads = GradientsParams::from_grads(loss_g.backward(), generator);
                *generator = opt_g.step(lr, generator.clone(), grads);
                LossTensors {
                    main: loss_g.detach(),
                    second: loss_d,
                }
            }
            Learner::Vae { vae, opt } => {
                let x = tensor(batch, device);
                let q = vae.encode(x.clone());
                let z = q.sample(normal(rng, n, device));
                let p = vae.decode(z);
                // −log N(x; μ, σ²) summed over the two coordinates, and KL(q ‖ N(0, I)).
                let ln_2pi = (2.0 * std::f32::consts::PI).ln() as f64;
                let recon =
                    ((x - p.mean).powf_scalar(2.0) / p.log_var.clone().exp() + p.log_var + ln_2pi)
                        .sum_dim(1)
                        * 0.5;
                let kl = (q.mean.powf_scalar(2.0) + q.log_var.clone().exp() - q.log_var - 1.0)
                    .sum_dim(1)
                    * 0.5;
                let kl = kl.mean();
                let loss = recon.mean() + kl.clone() * setup.beta.get() as f64;
                let grads = GradientsParams::from_grads(loss.backward(), vae);
                *vae = opt.step(lr, vae.clone(), grads);
                LossTensors {
                    main: loss.detach(),
                    second: Some(kl.detach()),
                }
            }
            Learner::Diffusion {
                denoiser,
                opt,
                alpha_bars,
            } => {
                let steps = alpha_bars.len() - 1;
                let t: Vec<usize> = (0..n).map(|_| 1 + rng.below(steps)).collect();
                let eps = rng.normals(2 * n);
                let mut noisy = Vec::with_capacity(2 * n);
                for (i, p) in batch.iter().enumerate() {
                    let bar = alpha_bars[t[i]];
                    for c in 0..2 {
                        noisy.push(bar.sqrt() * p[c] + (1.0 - bar).sqrt() * eps[2 * i + c]);
                    }
                }
                let noisy = Tensor::from_data(TensorData::new(noisy, [n, 2]), device);
                let eps = Tensor::<2>::from_data(TensorData::new(eps, [n, 2]), device);
                let time = Tensor::from_data(
                    TensorData::new(time_embedding(&t, steps), [n, TIME_EMBED]),
                    device,
                );
                let loss = (denoiser.forward(noisy, time) - eps)
                    .powf_scalar(2.0)
                    .mean();
                let grads = GradientsParams::from_grads(loss.backward(), denoiser);
                *denoiser = opt.step(lr, denoiser.clone(), grads);
                LossTensors {
                    main: loss.detach(),
                    second: None,
                }
            }
        }
    }

    /// The networks for sampling, off the autodiff graph.
    pub fn sampler(&self) -> Sampler {
        match self {
            Learner::Gan {
                generator,
                discriminator,
                ..
            } => Sampler::Gan {
                generator: generator.valid(),
                discriminator: discriminator.valid(),
            },
            Learner::Vae { vae, .. } => Sampler::Vae(vae.valid()),
            Learner::Diffusion {
                denoiser,
                alpha_bars,
                ..
            } => Sampler::Diffusion {
                denoiser: denoiser.valid(),
                alpha_bars: alpha_bars.clone(),
            },
        }
    }
}

/// A family's networks for sampling and for the pictures of the Train view.
pub enum Sampler {
    Gan {
        generator: Mlp,
        discriminator: Mlp,
    },
    Vae(ToyVae),
    Diffusion {
        denoiser: Denoiser,
        alpha_bars: Vec<f32>,
    },
}

impl Sampler {
    /// Samples from standard normal `noise` (`[B, 2]`: the family's latent code, or the diffusion
    /// model's starting point; the VAE also draws its decoder's noise from `rng`).
    pub fn sample(&self, noise: Tensor<2>, rng: &mut Rng) -> Tensor<2> {
        match self {
            Sampler::Gan { generator, .. } => generator.forward(noise),
            Sampler::Vae(vae) => {
                let n = noise.dims()[0];
                let device = noise.device();
                vae.decode(noise).sample(normal(rng, n, &device))
            }
            Sampler::Diffusion { .. } => self.trajectory(noise).pop().expect("a path ends"),
        }
    }

    /// The diffusion model's DDIM (η = 0) path from `noise`: [`SAMPLE_STEPS`] + 1 point sets, noise
    /// first. Other families: just their samples.
    pub fn trajectory(&self, noise: Tensor<2>) -> Vec<Tensor<2>> {
        let Sampler::Diffusion {
            denoiser,
            alpha_bars,
        } = self
        else {
            return vec![self.sample(noise, &mut Rng::new(0))];
        };
        let steps = alpha_bars.len() - 1;
        let n = noise.dims()[0];
        let device = noise.device();
        let ts: Vec<usize> = (0..=SAMPLE_STEPS.min(steps))
            .map(|k| steps - k * steps / SAMPLE_STEPS.min(steps))
            .collect();
        let mut x = noise;
        let mut path = vec![x.clone()];
        for w in ts.windows(2) {
            let (t, next) = (w[0], w[1]);
            let time = Tensor::from_data(
                TensorData::new(time_embedding(&vec![t; n], steps), [n, TIME_EMBED]),
                &device,
            );
            let eps = denoiser.forward(x.clone(), time);
            let (bar, bar_next) = (alpha_bars[t] as f64, alpha_bars[next] as f64);
            // x̂₀ kept inside the data's square: an early, poorly trained ε can't throw points away.
            let x0 = ((x.clone() - eps * (1.0 - bar).sqrt()) / bar.sqrt())
                .clamp(-super::data::EXTENT, super::data::EXTENT);
            let eps = (x - x0.clone() * bar.sqrt()) / (1.0 - bar).sqrt();
            x = x0 * bar_next.sqrt() + eps * (1.0 - bar_next).sqrt();
            path.push(x.clone());
        }
        path
    }

    /// The discriminator's belief that each point is real, D(x) ∈ (0, 1) (GAN only).
    pub fn realness(&self, at: &[Point], device: &Device) -> Option<Tensor<2>> {
        let Sampler::Gan { discriminator, .. } = self else {
            return None;
        };
        Some(sigmoid(discriminator.forward(tensor(at, device))))
    }

    /// The decoder's means at latent codes `codes` (VAE only).
    pub fn decoded_means(&self, codes: &[Point], device: &Device) -> Option<Tensor<2>> {
        let Sampler::Vae(vae) = self else { return None };
        debug_assert_eq!(LATENT, 2);
        Some(vae.decode(tensor(codes, device)).mean)
    }

    /// Where one denoising step at timestep `t` moves each point: x̂₀ − x (diffusion only).
    pub fn field(&self, at: &[Point], t: usize, device: &Device) -> Option<Tensor<2>> {
        let Sampler::Diffusion {
            denoiser,
            alpha_bars,
        } = self
        else {
            return None;
        };
        let steps = alpha_bars.len() - 1;
        let t = t.clamp(1, steps);
        let n = at.len();
        let x = tensor(at, device);
        let time = Tensor::from_data(
            TensorData::new(time_embedding(&vec![t; n], steps), [n, TIME_EMBED]),
            device,
        );
        let bar = alpha_bars[t] as f64;
        let eps = denoiser.forward(x.clone(), time);
        let x0 = (x.clone() - eps * (1.0 - bar).sqrt()) / bar.sqrt();
        Some(x0 - x)
    }
}
