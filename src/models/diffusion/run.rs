//! A sampling run advanced one step at a time: DDPM / DDIM (Song et al. 2021, with η) and DPM-Solver++(2M)
//! (Lu et al. 2022), from noise, from a noised image (SDEdit) or with a known region kept (inpainting).

use super::{Denoiser, SampleOptions, Sampler, Schedule, Strength, T};
use crate::data::SIDE;
use crate::models::{class_tokens, normal, normal_rows};
use crate::rng::{Rng, SampleSeed};
use burn::tensor::{Device, Int, Tensor};

/// What a run starts from.
// A run holds one `Start`: boxing the images would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Start {
    /// Pure noise x_T, the first draw of the seed's stream: sample i's noise depends only on the seed and i
    /// (see [`SampleSeed`]).
    Noise,
    /// Given noise x_T `[B, 1, 28, 28]`: a sample's latent code. With DDIM η = 0 or DPM-Solver++ the rest of
    /// the run is deterministic, so the same code always gives the same sample.
    Latents(Tensor<4>),
    /// Image-to-image (SDEdit): noise `image` `[B, 1, 28, 28]` in [0, 1] to t = strength · T, then denoise.
    Image {
        image: Tensor<4>,
        strength: Strength,
    },
    /// Inpainting: regenerate where `mask` `[B, 1, 28, 28]` is 1, keep `image` where it is 0; the kept
    /// region is re-noised to each step's t so the model sees it at the right noise level.
    Inpaint { image: Tensor<4>, mask: Tensor<4> },
}

/// One finished step: the new x_t and the model's prediction of x_0 at this step, both `[B, 1, 28, 28]`
/// in [0, 1].
#[derive(Clone, Debug)]
pub struct Step {
    /// Index of this step in the run (0 = first).
    pub index: usize,
    /// The timestep the denoiser saw.
    pub t: usize,
    pub x_t: Tensor<4>,
    pub x0: Tensor<4>,
}

/// A sampling run advanced one step at a time, so that a caller can show, yield or cancel between steps.
#[derive(Debug)]
pub struct Run {
    schedule: Schedule,
    options: SampleOptions,
    timesteps: Vec<usize>,
    /// The timestep x starts at: T from pure noise, strength · T for image-to-image.
    start: usize,
    index: usize,
    /// Current x in [-1, 1].
    x: Tensor<4>,
    classes: Tensor<1, Int>,
    null: Tensor<1, Int>,
    guided: bool,
    /// Inpainting: the known image in [-1, 1] and the regenerate-mask.
    known: Option<(Tensor<4>, Tensor<4>)>,
    /// DPM-Solver++: the previous step's x̂₀ and its step size in log-SNR, h.
    previous: Option<(Tensor<4>, f64)>,
    /// A run from noise: the noise x_T it started from, the samples' latent codes.
    latents: Option<Tensor<4>>,
    /// Each sample's own generator for the noise drawn after the start.
    rngs: Vec<Rng>,
}

impl Run {
    /// A run for `classes.len()` samples; all randomness comes from `seed` (a seed, or a seed's samples
    /// from a given index on).
    pub fn new(
        classes: &[Option<usize>],
        options: SampleOptions,
        start: Start,
        seed: impl Into<SampleSeed>,
        device: &Device,
    ) -> Result<Self, String> {
        let n = classes.len();
        let seed = seed.into();
        let schedule = Schedule::default();
        let noise = normal(&mut seed.stream_at(SIDE * SIDE), [n, 1, SIDE, SIDE], device);
        let check = |image: &Tensor<4>| {
            if image.dims() != [n, 1, 28, 28] {
                return Err(format!(
                    "expected images of shape [{n}, 1, 28, 28], got {:?}",
                    image.dims()
                ));
            }
            Ok(())
        };
        // A run from noise keeps that noise, the samples' latent codes: holding it copies nothing (a tensor's
        // clone shares its data).
        let (x, start, known, latents) = match start {
            Start::Noise => (noise.clone(), T, None, Some(noise)),
            Start::Latents(x) => {
                check(&x)?;
                (x.clone(), T, None, Some(x))
            }
            Start::Image { image, strength } => {
                check(&image)?;
                let t0 = (strength.get() as f64 * T as f64).round() as usize;
                let x0 = image * 2.0 - 1.0;
                let x = if t0 == 0 {
                    x0
                } else {
                    schedule.noise(x0, noise, &vec![t0 - 1; n])
                };
                (x, t0, None, None)
            }
            Start::Inpaint { image, mask } => {
                check(&image)?;
                check(&mask)?;
                let known = (image * 2.0 - 1.0, mask.clamp(0.0, 1.0));
                (noise, T, Some(known), None)
            }
        };
        let guided = options.guided(classes.iter().any(Option::is_some));
        Ok(Self {
            schedule,
            options,
            timesteps: options.timesteps(start),
            start,
            index: 0,
            x,
            classes: class_tokens(classes, device),
            null: class_tokens(&vec![None; n], device),
            guided,
            known,
            previous: None,
            latents,
            rngs: seed.streams(n),
        })
    }

    /// The samples' latent codes `[n, 784]` — the noise x_T the run started from — for a run from noise
    /// (drawn or given); `None` for image-to-image and inpainting.
    pub fn latents(&self) -> Option<Tensor<2>> {
        let n = self.x.dims()[0];
        self.latents.clone().map(|x| x.reshape([n, SIDE * SIDE]))
    }

    /// Number of steps in the run.
    pub fn len(&self) -> usize {
        self.timesteps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timesteps.is_empty()
    }

    /// The timestep of the starting x: T from pure noise, strength · T for image-to-image.
    pub fn start_t(&self) -> usize {
        self.start
    }

    /// Steps taken so far.
    pub fn position(&self) -> usize {
        self.index
    }

    pub fn is_done(&self) -> bool {
        self.index >= self.timesteps.len()
    }

    /// The current images in [0, 1]: the result once [`Run::is_done`].
    pub fn images(&self) -> Tensor<4> {
        let x = match &self.known {
            Some((known, mask)) if self.is_done() => {
                known.clone() * (mask.clone().neg() + 1.0) + self.x.clone() * mask.clone()
            }
            _ => self.x.clone(),
        };
        ((x + 1.0) / 2.0).clamp(0.0, 1.0)
    }

    /// ε̃ for x at timestep t, with classifier-free guidance when asked.
    fn predict_noise(&self, denoiser: &impl Denoiser, x: Tensor<4>, t: usize) -> Tensor<4> {
        let n = x.dims()[0];
        let device = x.device();
        if !self.guided {
            let ts = Tensor::<1>::full([n], t as f32, &device);
            return denoiser.predict(x, ts, self.classes.clone());
        }
        let ts = Tensor::<1>::full([2 * n], t as f32, &device);
        let eps = denoiser.predict(
            Tensor::cat(vec![x.clone(), x], 0),
            ts,
            Tensor::cat(vec![self.classes.clone(), self.null.clone()], 0),
        );
        let cond = eps.clone().narrow(0, 0, n);
        let uncond = eps.narrow(0, n, n);
        cond.clone() + (cond - uncond).mul_scalar(self.options.guidance.get())
    }

    /// Takes the next step; `None` once the run is done.
    pub fn step(&mut self, denoiser: &impl Denoiser) -> Option<Step> {
        let &t = self.timesteps.get(self.index)?;
        let t_prev = self
            .timesteps
            .get(self.index + 1)
            .map_or(-1, |&p| p as isize);
        let dims = self.x.dims();
        let device = self.x.device();
        if let Some((known, mask)) = &self.known {
            let eps = normal_rows(&mut self.rngs, dims, &device);
            let noised = self.schedule.noise(known.clone(), eps, &vec![t; dims[0]]);
            self.x = noised * (mask.clone().neg() + 1.0) + self.x.clone() * mask.clone();
        }
        let (a, a_prev) = (
            self.schedule.alpha_bar(t as isize),
            self.schedule.alpha_bar(t_prev),
        );
        let eps = self.predict_noise(denoiser, self.x.clone(), t);
        // Predicted x_0, clipped to the data range; ε is then made consistent with the clipped x_0.
        let x0 = ((self.x.clone() - eps * (1.0 - a).sqrt()) / a.sqrt()).clamp(-1.0, 1.0);
        self.x = match self.options.sampler {
            Sampler::Ddpm | Sampler::Ddim => {
                let eps = (self.x.clone() - x0.clone() * a.sqrt()) / (1.0 - a).sqrt();
                let sigma = self.options.eta()
                    * ((1.0 - a_prev) / (1.0 - a)).sqrt()
                    * (1.0 - a / a_prev).sqrt();
                let x = x0.clone() * a_prev.sqrt()
                    + eps * (1.0 - a_prev - sigma * sigma).max(0.0).sqrt();
                match sigma > 0.0 {
                    true => x + normal_rows(&mut self.rngs, dims, &device) * sigma,
                    false => x,
                }
            }
            Sampler::Dpmpp => self.dpmpp(x0.clone(), a, a_prev),
        };
        self.index += 1;
        Some(Step {
            index: self.index - 1,
            t,
            x_t: self.images(),
            x0: (x0 + 1.0) / 2.0,
        })
    }

    /// One DPM-Solver++(2M) step from the current x (at ᾱ = `a`) to ᾱ = `a_prev`, given this step's
    /// data prediction `x0`. In log-SNR λ = ln(α/σ) with step h = λ_prev − λ:
    /// x_prev = (σ_prev/σ)·x − α_prev·(e^(−h) − 1)·D, where D = x̂₀ for the first step and, after it, the
    /// second-order D = (1 + 1/2r)·x̂₀ − (1/2r)·x̂₀,previous with r = h_previous / h. The last step, to the
    /// clean image (σ_prev = 0, h = ∞), is first order and lands on x̂₀, as in diffusers.
    fn dpmpp(&mut self, x0: Tensor<4>, a: f64, a_prev: f64) -> Tensor<4> {
        if a_prev >= 1.0 {
            return x0;
        }
        let lambda = |a: f64| 0.5 * (a / (1.0 - a)).ln();
        let h = lambda(a_prev) - lambda(a);
        let d = match self.previous.take() {
            Some((x0_prev, h_prev)) => {
                let k = 0.5 * h / h_prev;
                x0.clone() * (1.0 + k) - x0_prev * k
            }
            None => x0.clone(),
        };
        self.previous = Some((x0, h));
        let (sigma, sigma_prev) = ((1.0 - a).sqrt(), (1.0 - a_prev).sqrt());
        self.x.clone() * (sigma_prev / sigma) - d * (a_prev.sqrt() * ((-h).exp() - 1.0))
    }

    /// Runs to the end and returns the images in [0, 1].
    pub fn finish(mut self, denoiser: &impl Denoiser) -> Tensor<4> {
        while self.step(denoiser).is_some() {}
        self.images()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::diffusion::{Eta, Guidance, Sampler, Steps, Strength};
    use crate::models::unet::{Unet, UnetConfig};
    use burn::tensor::TensorData;

    fn tiny_unet(device: &Device) -> Unet {
        UnetConfig::new()
            .with_width(8)
            .with_embed(16)
            .with_time_features(8)
            .init(device)
    }

    fn pixels(x: Tensor<4>) -> Vec<f32> {
        x.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn ddim_eta_zero_is_deterministic_and_seeded_runs_repeat() {
        let device = Device::flex();
        let unet = tiny_unet(&device);
        let classes = [Some(1), None];
        let run = |eta, seed| {
            let o = SampleOptions {
                sampler: Sampler::Ddim,
                steps: Steps::constant(4),
                eta: Eta::constant(eta),
                guidance: Guidance::constant(2.0),
            };
            pixels(
                Run::new(&classes, o, Start::Noise, seed, &device)
                    .unwrap()
                    .finish(&unet),
            )
        };
        assert_eq!(run(0.0, 7), run(0.0, 7));
        assert_eq!(run(1.0, 7), run(1.0, 7));
        assert_ne!(run(0.0, 7), run(0.0, 8));
        // η = 0 uses no noise after x_T: the η = 1 run of the same seed differs.
        assert_ne!(run(0.0, 7), run(1.0, 7));
    }

    #[test]
    fn sdedit_with_strength_zero_returns_the_input() {
        let device = Device::flex();
        let unet = tiny_unet(&device);
        let image = Tensor::<4>::random(
            [2, 1, 28, 28],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let start = Start::Image {
            image: image.clone(),
            strength: Strength::constant(0.0),
        };
        let run = Run::new(
            &[Some(3), Some(4)],
            SampleOptions::default(),
            start,
            1,
            &device,
        )
        .unwrap();
        assert!(run.is_empty());
        let out = pixels(run.finish(&unet));
        assert!(
            out.iter()
                .zip(pixels(image))
                .all(|(a, b)| (a - b).abs() < 1e-6)
        );
    }

    #[test]
    fn inpainting_keeps_the_known_region() {
        let device = Device::flex();
        let unet = tiny_unet(&device);
        let image = Tensor::<4>::random(
            [1, 1, 28, 28],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        // Regenerate the left half only.
        let mask: Vec<f32> = (0..784)
            .map(|i| if i % 28 < 14 { 1.0 } else { 0.0 })
            .collect();
        let mask = Tensor::<4>::from_data(TensorData::new(mask.clone(), [1, 1, 28, 28]), &device);
        let start = Start::Inpaint {
            image: image.clone(),
            mask,
        };
        let o = SampleOptions {
            steps: Steps::constant(5),
            ..Default::default()
        };
        let out = pixels(
            Run::new(&[Some(2)], o, start, 3, &device)
                .unwrap()
                .finish(&unet),
        );
        let before = pixels(image);
        for i in 0..784 {
            if i % 28 >= 14 {
                assert!((out[i] - before[i]).abs() < 1e-5, "pixel {i} changed");
            }
        }
        assert!(
            (0..784)
                .filter(|i| i % 28 < 14)
                .any(|i| (out[i] - before[i]).abs() > 1e-3)
        );
    }

    #[test]
    fn bad_knobs_are_refused() {
        assert!(Steps::new(0).is_err());
        assert!(Steps::new(1001).is_err());
        assert!(Eta::new(1.5).is_err());
        assert!(Eta::new(f32::NAN).is_err());
        assert!(Guidance::new(-1.0).is_err());
        assert!(Strength::new(1.5).is_err());
        let device = Device::flex();
        let wrong = Tensor::<4>::zeros([1, 1, 14, 14], &device);
        let err = Run::new(
            &[None],
            SampleOptions::default(),
            Start::Image {
                image: wrong,
                strength: Strength::constant(0.5),
            },
            0,
            &device,
        );
        assert!(err.unwrap_err().contains("shape"));
    }

    /// The exact ε̂ for data whose pixels are independent N(m, s²): E[ε | x_t] = σ·(x_t − α·m) / (α²s² + σ²)
    /// with α = √ᾱ_t, σ = √(1 − ᾱ_t).
    struct Gaussian {
        m: f64,
        s: f64,
    }

    impl Denoiser for Gaussian {
        fn predict(&self, x: Tensor<4>, t: Tensor<1>, _: Tensor<1, Int>) -> Tensor<4> {
            let (m, s, device) = (self.m, self.s, x.device());
            let ts: Vec<usize> = t.into_data().iter::<f32>().map(|t| t as usize).collect();
            let schedule = Schedule::default();
            let shift = schedule.per_sample(&ts, |a| a.sqrt() * m, &device);
            let scale =
                schedule.per_sample(&ts, |a| (1.0 - a).sqrt() / (a * s * s + 1.0 - a), &device);
            (x - shift) * scale
        }
    }

    #[test]
    fn dpm_solver_follows_the_exact_flow_closer_than_ddim() {
        let device = Device::flex();
        let (m, s) = (0.1, 0.3);
        let classes = [None; 4];
        let seed = 3;
        let x_start = pixels(normal(&mut Rng::new(seed), [4, 1, 28, 28], &device));
        // Worst pixel error against the exact probability-flow ODE, which keeps (x_t − α·m) / √(α²s² + σ²)
        // fixed and so carries the starting noise (taken as x at the run's first timestep) to m + s·that.
        let error = |sampler, steps| {
            let options = SampleOptions {
                sampler,
                steps: Steps::constant(steps),
                ..Default::default()
            };
            let run = Run::new(&classes, options, Start::Noise, seed, &device).unwrap();
            let a = Schedule::default().alpha_bar(run.timesteps[0] as isize);
            let out = pixels(run.finish(&Gaussian { m, s }));
            out.iter()
                .zip(&x_start)
                .map(|(&p, &x)| {
                    let z = (x as f64 - a.sqrt() * m) / (a * s * s + 1.0 - a).sqrt();
                    let exact = ((m + s * z + 1.0) / 2.0).clamp(0.0, 1.0);
                    (p as f64 - exact).abs()
                })
                .fold(0.0, f64::max)
        };
        let (dpm10, ddim10) = (error(Sampler::Dpmpp, 10), error(Sampler::Ddim, 10));
        let (dpm25, ddim25) = (error(Sampler::Dpmpp, 25), error(Sampler::Ddim, 25));
        assert!(
            dpm10 < ddim10 / 3.0,
            "DPM-Solver++ {dpm10} vs DDIM {ddim10} at 10 steps"
        );
        assert!(
            dpm25 < ddim25 / 3.0,
            "DPM-Solver++ {dpm25} vs DDIM {ddim25} at 25 steps"
        );
        assert!(
            dpm25 < dpm10 && dpm25 < 0.01,
            "{dpm25} at 25 steps, {dpm10} at 10"
        );
    }
}
