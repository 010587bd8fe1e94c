//! How each family learns 2-D points: one optimisation step each, with its own Adam (how it samples:
//! [`super::sampler`]).

use super::data::Point;
use super::models::{Denoiser, Mlp, TIME_EMBED, ToyConfig, ToyVae, time_embedding};
use super::sampler::Sampler;
use super::setup::{Objective, Setup};
use crate::models::{Family, normal, read};
use crate::rng::Rng;
use burn::module::{Module, ModuleMapper, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::softplus;
use burn::tensor::{Device, Tensor, TensorData};
use std::f32::consts::FRAC_PI_2;

/// Points as a `[B, 2]` tensor.
pub fn tensor(points: &[Point], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [points.len(), 2]), device)
}

/// A `[B, 2]` tensor as points.
pub async fn points(t: Tensor<2>) -> Result<Vec<Point>, String> {
    Ok(read(t)
        .await?
        .chunks_exact(2)
        .map(|c| [c[0], c[1]])
        .collect())
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

/// Draws every parameter's initial value from the seed's own stream, as burn's linear layers would (uniform
/// in ±1/√fan-in, a bias with its weight's fan-in: fields are visited in order, weight first). burn's own
/// generator is one per process, shared with whatever else draws on another thread (the native tests
/// run in parallel), and lazily drawn on whichever device a module is first used: this gives the same
/// weights for a seed on any device, any thread.
struct Draw<'a> {
    rng: &'a mut Rng,
    fan_in: usize,
}

impl ModuleMapper for Draw<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| {
            let dims = t.dims();
            if D == 2 {
                self.fan_in = dims[0];
            }
            let bound = 1.0 / (self.fan_in.max(1) as f64).sqrt();
            let n = dims.iter().product();
            let values: Vec<f32> = (0..n)
                .map(|_| ((2.0 * self.rng.uniform() - 1.0) * bound) as f32)
                .collect();
            Tensor::from_data(TensorData::new(values, dims), &t.device())
        })
    }
}

/// `module` with weights drawn from `rng`, on `device` for training.
fn trainable<M: Module>(module: M, rng: &mut Rng, device: &Device) -> M {
    module
        .map(&mut Draw { rng, fan_in: 1 })
        .to_device(device)
        .train()
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

/// The names of a family's loss curves as the page labels them: [`Losses::main`]'s, then
/// [`Losses::second`]'s where the family has one.
pub fn loss_names(family: Family) -> &'static [&'static str] {
    match family {
        Family::Gan => &["G loss", "D loss"],
        Family::Vae => &["loss", "KL"],
        Family::Diffusion => &["loss"],
    }
}

/// [`Losses`] still on the device, one value each.
pub struct LossTensors {
    main: Tensor<1>,
    second: Option<Tensor<1>>,
}

impl LossTensors {
    /// Reads back the losses of many steps at once: one device round trip however many there are
    /// (on WebGPU each read waits for the queue).
    pub async fn read_all(steps: Vec<LossTensors>) -> Result<Vec<Losses>, String> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let n = steps.len();
        let (main, second): (Vec<_>, Vec<_>) =
            steps.into_iter().map(|l| (l.main, l.second)).unzip();
        let main = read(Tensor::cat(main, 0)).await?;
        let second: Option<Vec<Tensor<1>>> = second.into_iter().collect();
        let second = match second {
            Some(s) => Some(read(Tensor::cat(s, 0)).await?),
            None => None,
        };
        if main.len() != n || second.as_ref().is_some_and(|s| s.len() != n) {
            return Err(format!(
                "expected {n} losses from the device, got {}",
                main.len()
            ));
        }
        Ok((0..n)
            .map(|i| Losses {
                main: main[i],
                second: second.as_ref().map(|s| s[i]),
            })
            .collect())
    }
}

impl Learner {
    /// Fresh networks with weights drawn from `rng`, on `device`: both backends, any thread, start from
    /// the same weights.
    pub fn new(family: Family, setup: &Setup, rng: &mut Rng, device: &Device) -> Self {
        let init = Device::flex();
        let config = ToyConfig::new();
        let adam = AdamConfig::new().with_beta_1(0.5);
        match family {
            Family::Gan => Learner::Gan {
                generator: trainable(config.init_generator(&init), rng, device),
                discriminator: trainable(config.init_discriminator(&init), rng, device),
                opt_g: adam.init(),
                opt_d: adam.init(),
            },
            Family::Vae => Learner::Vae {
                vae: trainable(config.init_vae(&init), rng, device),
                opt: AdamConfig::new().init(),
            },
            Family::Diffusion => Learner::Diffusion {
                denoiser: trainable(config.init_denoiser(&init), rng, device),
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
                    let fake = generator.forward(normal(rng, [n, 2], device)).detach();
                    let loss = real_loss(discriminator.forward(real))
                        + fake_loss(discriminator.forward(fake));
                    let grads = GradientsParams::from_grads(loss.backward(), discriminator);
                    *discriminator = opt_d.step(lr, discriminator.clone(), grads);
                    loss_d = Some(loss.detach());
                }
                let logits = discriminator.forward(generator.forward(normal(rng, [n, 2], device)));
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
                let z = q.sample(normal(rng, [n, 2], device));
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
                let loss = (denoiser.forward(noisy, time_tensor(&t, steps, device)) - eps)
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

/// The time embeddings of timesteps `t` (of `steps`) as a `[len, TIME_EMBED]` tensor.
pub(super) fn time_tensor(t: &[usize], steps: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(time_embedding(t, steps), [t.len(), TIME_EMBED]),
        device,
    )
}
