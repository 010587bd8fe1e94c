//! Diffusion: the fixed forward process, and DDPM / DDIM sampling with classifier-free guidance,
//! inpainting and image-to-image (SDEdit) around the [`Unet`] denoiser.
//!
//! Forward process: T = 1000 steps, linear β from 1e-4 to 0.02 (Ho et al. 2020); data scaled to [-1, 1];
//! q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I). The denoiser predicts ε and is trained with L2 (see
//! `train::diffusion`). Timesteps are 0-based: t = 0 is the first noising step, t = 999 the last.

use super::unet::Unet;
use super::{class_tokens, normal};
use crate::knob::{named_knob, real_knob, whole_knob};
use crate::rng::Rng;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Number of forward steps.
pub const T: usize = 1000;

/// ᾱ_t for t = 0..T of the linear β schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    alpha_bar: Vec<f64>,
}

impl Default for Schedule {
    fn default() -> Self {
        let mut prod = 1.0;
        let alpha_bar = (0..T)
            .map(|t| {
                let beta = 1e-4 + (0.02 - 1e-4) * t as f64 / (T - 1) as f64;
                prod *= 1.0 - beta;
                prod
            })
            .collect();
        Self { alpha_bar }
    }
}

impl Schedule {
    /// ᾱ_t; t = -1 (the clean image) gives 1.
    pub fn alpha_bar(&self, t: isize) -> f64 {
        if t < 0 {
            1.0
        } else {
            self.alpha_bar[t as usize]
        }
    }

    /// Per-sample `[B, 1, 1, 1]` factors f(ᾱ_t) on `device`.
    fn per_sample(&self, ts: &[usize], f: impl Fn(f64) -> f64, device: &Device) -> Tensor<4> {
        let v: Vec<f32> = ts.iter().map(|&t| f(self.alpha_bar[t]) as f32).collect();
        Tensor::from_data(TensorData::new(v, [ts.len(), 1, 1, 1]), device)
    }

    /// x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε for a batch with one timestep each; x_0 in [-1, 1].
    pub fn noise(&self, x0: Tensor<4>, eps: Tensor<4>, ts: &[usize]) -> Tensor<4> {
        let device = x0.device();
        x0 * self.per_sample(ts, f64::sqrt, &device)
            + eps * self.per_sample(ts, |a| (1.0 - a).sqrt(), &device)
    }
}

/// DDPM: 1000 ancestral steps. DDIM: any number of steps, η = 0 deterministic, η = 1 as stochastic as DDPM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sampler {
    Ddpm,
    #[default]
    Ddim,
}

impl Sampler {
    pub const ALL: [Sampler; 2] = [Sampler::Ddpm, Sampler::Ddim];

    pub fn name(self) -> &'static str {
        match self {
            Sampler::Ddpm => "ddpm",
            Sampler::Ddim => "ddim",
        }
    }
}

named_knob!(Sampler, "sampler");
whole_knob!(
    /// DDIM steps for a full run; DDPM always takes all [`T`].
    Steps(usize), "steps", 1..=T, default 50
);
real_knob!(
    /// DDIM stochasticity η: 0 is deterministic, 1 as stochastic as DDPM (which is always η = 1).
    Eta, "eta", 0.0..=1.0, default 0.0
);
real_knob!(
    /// Classifier-free guidance w: ε̃ = ε(c) + w·(ε(c) − ε(∅)); 0 is plain conditional sampling.
    Guidance, "guidance", 0.0..=20.0, default 1.0
);
whole_knob!(
    /// A timestep of the forward process q(x_t | x_0): 0 is the clean image, T (almost) pure noise.
    Timestep(usize), "t", 0..=T, default 500
);
real_knob!(
    /// Image-to-image strength: the image is noised to t = strength · T, then denoised (0 returns it as
    /// it is, 1 starts from pure noise).
    Strength, "strength", 0.0..=1.0, default 0.6
);

/// The knobs of a diffusion run, each checked where it entered.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SampleOptions {
    pub sampler: Sampler,
    pub steps: Steps,
    pub eta: Eta,
    pub guidance: Guidance,
}

impl SampleOptions {
    fn eta(&self) -> f64 {
        match self.sampler {
            Sampler::Ddpm => 1.0,
            Sampler::Ddim => self.eta.get() as f64,
        }
    }

    /// Descending timesteps of a run that starts at `start` (T for a run from pure noise) and takes
    /// `⌈steps · start / T⌉` steps (all T for DDPM).
    pub fn timesteps(&self, start: usize) -> Vec<usize> {
        let full = match self.sampler {
            Sampler::Ddpm => T,
            Sampler::Ddim => self.steps.get(),
        };
        let n = (full * start).div_ceil(T).min(start);
        let mut ts: Vec<usize> = (0..n).map(|i| i * start / n).collect();
        ts.dedup();
        ts.reverse();
        ts
    }
}

/// What a run starts from.
// A run holds one `Start`: boxing the images would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Start {
    /// Pure noise x_T.
    Noise,
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
    rng: Rng,
}

impl Run {
    /// A run for `classes.len()` samples; all randomness comes from `seed`.
    pub fn new(
        classes: &[Option<usize>],
        options: SampleOptions,
        start: Start,
        seed: u64,
        device: &Device,
    ) -> Result<Self, String> {
        let n = classes.len();
        let schedule = Schedule::default();
        let mut rng = Rng::new(seed);
        let noise = normal(&mut rng, [n, 1, 28, 28], device);
        let check = |image: &Tensor<4>| {
            if image.dims() != [n, 1, 28, 28] {
                return Err(format!(
                    "expected images of shape [{n}, 1, 28, 28], got {:?}",
                    image.dims()
                ));
            }
            Ok(())
        };
        let (x, start, known) = match start {
            Start::Noise => (noise, T, None),
            Start::Image { image, strength } => {
                check(&image)?;
                let t0 = (strength.get() as f64 * T as f64).round() as usize;
                let x0 = image * 2.0 - 1.0;
                let x = if t0 == 0 {
                    x0
                } else {
                    schedule.noise(x0, noise, &vec![t0 - 1; n])
                };
                (x, t0, None)
            }
            Start::Inpaint { image, mask } => {
                check(&image)?;
                check(&mask)?;
                (noise, T, Some((image * 2.0 - 1.0, mask.clamp(0.0, 1.0))))
            }
        };
        let guided = options.guidance.get() > 0.0 && classes.iter().any(Option::is_some);
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
            rng,
        })
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
    fn predict_noise(&self, unet: &Unet, x: Tensor<4>, t: usize) -> Tensor<4> {
        let n = x.dims()[0];
        let device = x.device();
        if !self.guided {
            let ts = Tensor::<1>::full([n], t as f32, &device);
            return unet.forward(x, ts, self.classes.clone());
        }
        let ts = Tensor::<1>::full([2 * n], t as f32, &device);
        let eps = unet.forward(
            Tensor::cat(vec![x.clone(), x], 0),
            ts,
            Tensor::cat(vec![self.classes.clone(), self.null.clone()], 0),
        );
        let cond = eps.clone().narrow(0, 0, n);
        let uncond = eps.narrow(0, n, n);
        cond.clone() + (cond - uncond).mul_scalar(self.options.guidance.get())
    }

    /// Takes the next step; `None` once the run is done.
    pub fn step(&mut self, unet: &Unet) -> Option<Step> {
        let &t = self.timesteps.get(self.index)?;
        let t_prev = self
            .timesteps
            .get(self.index + 1)
            .map_or(-1, |&p| p as isize);
        let dims = self.x.dims();
        let device = self.x.device();
        if let Some((known, mask)) = &self.known {
            let eps = normal(&mut self.rng, dims, &device);
            let noised = self.schedule.noise(known.clone(), eps, &vec![t; dims[0]]);
            self.x = noised * (mask.clone().neg() + 1.0) + self.x.clone() * mask.clone();
        }
        let (a, a_prev) = (
            self.schedule.alpha_bar(t as isize),
            self.schedule.alpha_bar(t_prev),
        );
        let eps = self.predict_noise(unet, self.x.clone(), t);
        // Predicted x_0, clipped to the data range; ε is then made consistent with the clipped x_0.
        let x0 = ((self.x.clone() - eps * (1.0 - a).sqrt()) / a.sqrt()).clamp(-1.0, 1.0);
        let eps = (self.x.clone() - x0.clone() * a.sqrt()) / (1.0 - a).sqrt();
        let sigma =
            self.options.eta() * ((1.0 - a_prev) / (1.0 - a)).sqrt() * (1.0 - a / a_prev).sqrt();
        let mut x =
            x0.clone() * a_prev.sqrt() + eps * (1.0 - a_prev - sigma * sigma).max(0.0).sqrt();
        if sigma > 0.0 {
            x = x + normal(&mut self.rng, dims, &device) * sigma;
        }
        self.x = x;
        self.index += 1;
        Some(Step {
            index: self.index - 1,
            t,
            x_t: self.images(),
            x0: (x0 + 1.0) / 2.0,
        })
    }

    /// Runs to the end and returns the images in [0, 1].
    pub fn finish(mut self, unet: &Unet) -> Tensor<4> {
        while self.step(unet).is_some() {}
        self.images()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::unet::UnetConfig;

    #[test]
    fn schedule_is_monotone_with_known_ends() {
        let s = Schedule::default();
        assert!((s.alpha_bar(0) - 0.9999).abs() < 1e-12);
        assert!((0..T - 1).all(|t| s.alpha_bar(t as isize + 1) < s.alpha_bar(t as isize)));
        // ∏(1 − β_t) for the linear schedule ends near 4.04e-5: x_T is almost pure noise.
        let end = s.alpha_bar(T as isize - 1);
        assert!((3.9e-5..4.2e-5).contains(&end), "ᾱ_T = {end}");
        assert_eq!(s.alpha_bar(-1), 1.0);
    }

    #[test]
    fn timesteps_cover_the_range() {
        let o = |sampler, steps| SampleOptions {
            sampler,
            steps: Steps::constant(steps),
            ..Default::default()
        };
        assert_eq!(
            o(Sampler::Ddpm, 5).timesteps(T),
            (0..T).rev().collect::<Vec<_>>()
        );
        let ts = o(Sampler::Ddim, 10).timesteps(T);
        assert_eq!(ts, vec![900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
        assert_eq!(o(Sampler::Ddim, 10).timesteps(500).len(), 5);
        assert!(o(Sampler::Ddim, 10).timesteps(0).is_empty());
    }

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
}
