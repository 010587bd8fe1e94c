//! How each family samples, and what the Train view draws of it: the GAN's discriminator over the plane,
//! the VAE's decoded latent grid, the diffusion model's DDIM paths and direction field.

use super::data::{EXTENT, Point};
use super::families::{tensor, time_tensor};
use super::models::{Denoiser, LATENT, Mlp, ToyVae};
use crate::models::normal;
use crate::rng::Rng;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

/// Diffusion sampling steps (DDIM, η = 0) for the samples the page shows and measures.
pub const SAMPLE_STEPS: usize = 25;

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
                vae.decode(noise).sample(normal(rng, [n, 2], &device))
            }
            Sampler::Diffusion {
                denoiser,
                alpha_bars,
            } => ddim_path(denoiser, alpha_bars, noise)
                .pop()
                .expect("a path ends"),
        }
    }

    /// The diffusion model's DDIM (η = 0) path from `noise`: [`SAMPLE_STEPS`] + 1 point sets, noise
    /// first (diffusion only).
    pub fn trajectory(&self, noise: Tensor<2>) -> Option<Vec<Tensor<2>>> {
        let (denoiser, alpha_bars) = self.diffusion()?;
        Some(ddim_path(denoiser, alpha_bars, noise))
    }

    /// The diffusion model's denoiser and schedule (diffusion only).
    fn diffusion(&self) -> Option<(&Denoiser, &[f32])> {
        match self {
            Sampler::Diffusion {
                denoiser,
                alpha_bars,
            } => Some((denoiser, alpha_bars)),
            _ => None,
        }
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
        let (denoiser, alpha_bars) = self.diffusion()?;
        let t = t.clamp(1, alpha_bars.len() - 1);
        let x = tensor(at, device);
        Some(predict_x0(denoiser, alpha_bars, x.clone(), t) - x)
    }
}

/// DDIM (η = 0) from `noise` in [`SAMPLE_STEPS`] steps (fewer when T is smaller): every point set on
/// the way, noise first.
fn ddim_path(denoiser: &Denoiser, alpha_bars: &[f32], noise: Tensor<2>) -> Vec<Tensor<2>> {
    let steps = alpha_bars.len() - 1;
    let k_max = SAMPLE_STEPS.min(steps);
    let ts: Vec<usize> = (0..=k_max).map(|k| steps - k * steps / k_max).collect();
    let mut x = noise;
    let mut path = vec![x.clone()];
    for w in ts.windows(2) {
        let (t, next) = (w[0], w[1]);
        let (bar, bar_next) = (alpha_bars[t] as f64, alpha_bars[next] as f64);
        let x0 = predict_x0(denoiser, alpha_bars, x.clone(), t);
        let eps = (x - x0.clone() * bar.sqrt()) / (1.0 - bar).sqrt();
        x = x0 * bar_next.sqrt() + eps * (1.0 - bar_next).sqrt();
        path.push(x.clone());
    }
    path
}

/// The denoiser's estimate x̂₀ of the clean points behind `x` at timestep `t`, kept inside the data's
/// square: an early, poorly trained ε can't throw points away, and near t = T (where 1/√ᾱ_t runs into the
/// thousands) the estimate stays on the canvas.
fn predict_x0(denoiser: &Denoiser, alpha_bars: &[f32], x: Tensor<2>, t: usize) -> Tensor<2> {
    let steps = alpha_bars.len() - 1;
    let n = x.dims()[0];
    let bar = alpha_bars[t] as f64;
    let eps = denoiser.forward(x.clone(), time_tensor(&vec![t; n], steps, &x.device()));
    ((x - eps * (1.0 - bar).sqrt()) / bar.sqrt()).clamp(-EXTENT, EXTENT)
}
