//! What the page does with the models beyond a plain grid of samples: latent codes to edit and
//! interpolate, the GAN discriminator's score, the VAE encoder, the forward process, and diffusion runs
//! recorded step by step for the scrubber. Target-independent (tested natively); `web` only binds it.

use crate::data::{PIXELS, SIDE};
use crate::generate::{self, Class, MAX_N, Options, Seed};
use crate::knob::whole_knob;
use crate::models::diffusion::{Run, Schedule, Start, Strength, Timestep, starting_noise};
use crate::models::unet::Unet;
use crate::models::vae::Vae;
use crate::models::{Model, class_tokens, images_from_bytes, normal};
use crate::rng::Rng;
use burn::tensor::{Device, Tensor, TensorData};

/// Largest magnitude accepted in an edited latent code: far beyond anything N(0, I) draws.
pub const MAX_LATENT: f32 = 10.0;
whole_knob!(
    /// Frames of an interpolation, both ends included.
    Frames(usize), "frames", 2..=16, default 8
);

/// Samples with what the page shows beside them.
#[derive(Clone, Debug)]
pub struct Samples {
    /// `[n, 1, 28, 28]` in [0, 1].
    pub images: Tensor<4>,
    /// GAN / VAE: the codes `[n, latent]` the images were decoded from.
    pub latents: Option<Tensor<2>>,
    /// GAN: the discriminator's probability that each image is real, `[n]`.
    pub scores: Option<Tensor<1>>,
}

impl Samples {
    /// Decodes `z`; `scores`: let the GAN's discriminator score the images (a second network pass).
    fn decoded(
        model: &Model,
        z: Tensor<2>,
        classes: &[Option<usize>],
        scores: bool,
    ) -> Result<Self, String> {
        let device = z.device();
        let tokens = class_tokens(classes, &device);
        let images = model.decode(z.clone(), tokens.clone())?;
        let scores = match model {
            Model::Gan(gan) if scores => Some(gan.discriminator.realness(images.clone(), tokens)),
            _ => None,
        };
        Ok(Self {
            images,
            latents: Some(z),
            scores,
        })
    }
}

/// `options.n` samples of `options.class` with their latent codes and, when asked, the GAN's scores (the
/// same images as [`generate::generate`]).
pub fn samples(
    model: &Model,
    options: &Options,
    scores: bool,
    device: &Device,
) -> Result<Samples, String> {
    match model {
        Model::Diffusion(_) => Ok(Samples {
            images: generate::generate(model, options, device)?,
            latents: Some(diffusion_latents(options, device)),
            scores: None,
        }),
        _ => {
            let z = generate::draw_latents(model, options.n.get(), options, device)?;
            Samples::decoded(model, z, &options.classes(), scores)
        }
    }
}

/// The latent codes `[n, 784]` of a diffusion request's samples: the noise each run starts from.
fn diffusion_latents(options: &Options, device: &Device) -> Tensor<2> {
    let n = options.n.get();
    starting_noise(&mut Rng::new(options.seed.get()), n, device).reshape([n, PIXELS])
}

/// Decodes flat latent codes (`n · latent` values, e.g. one edited by a slider) of `options.class`: a GAN
/// or VAE in one pass, a diffusion model by a run from each code as its starting noise (with the rest of
/// `options`: sampler, steps, η, guidance and the seed of any later noise).
pub fn decode(
    model: &Model,
    latents: &[f32],
    options: &Options,
    device: &Device,
) -> Result<Samples, String> {
    let d = model.latent_size()?;
    let n = latents.len() / d;
    if !latents.len().is_multiple_of(d) || !(1..=MAX_N).contains(&n) {
        return Err(format!(
            "latents must hold 1–{MAX_N} codes of {d} numbers each, got {} numbers",
            latents.len()
        ));
    }
    if let Some(bad) = latents
        .iter()
        .find(|v| !v.is_finite() || v.abs() > MAX_LATENT)
    {
        return Err(format!(
            "latent values must be finite and within ±{MAX_LATENT}, got {bad}"
        ));
    }
    let z = Tensor::from_data(TensorData::new(latents.to_vec(), [n, d]), device);
    let classes = vec![options.class.get(); n];
    match model {
        Model::Diffusion(unet) => {
            let start = Start::Latents(z.clone().reshape([n, 1, SIDE, SIDE]));
            let run = Run::new(
                &classes,
                options.diffusion,
                start,
                options.seed.get(),
                device,
            )?;
            Ok(Samples {
                images: run.finish(unet),
                latents: Some(z),
                scores: None,
            })
        }
        _ => Samples::decoded(model, z, &classes, true),
    }
}

/// `frames` codes along the great-circle path from `a` to `b` (both ends included), with the norm
/// interpolated linearly: Gaussian codes keep a typical norm all the way, which a straight line would
/// shrink towards the (atypical) origin.
pub fn slerp(a: &[f32], b: &[f32], frames: Frames) -> Result<Vec<f32>, String> {
    if a.len() != b.len() || a.is_empty() {
        return Err(format!(
            "both ends need codes of the same size, got {} and {}",
            a.len(),
            b.len()
        ));
    }
    let frames = frames.get();
    let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    let dot = a
        .iter()
        .zip(b)
        .map(|(x, y)| *x as f64 * *y as f64)
        .sum::<f64>();
    let omega = if na > 0.0 && nb > 0.0 {
        (dot / (na * nb)).clamp(-1.0, 1.0).acos()
    } else {
        0.0
    };
    let mut out = Vec::with_capacity(frames * a.len());
    for i in 0..frames {
        let s = i as f64 / (frames - 1) as f64;
        // Nearly parallel codes: the straight line is the same path and avoids dividing by sin ω ≈ 0.
        let (wa, wb) = if omega.sin().abs() < 1e-6 {
            (1.0 - s, s)
        } else {
            // Unit directions slerped, scaled to the linearly interpolated norm.
            let norm = na + s * (nb - na);
            (
                ((1.0 - s) * omega).sin() / omega.sin() * norm / na,
                (s * omega).sin() / omega.sin() * norm / nb,
            )
        };
        out.extend(
            a.iter()
                .zip(b)
                .map(|(x, y)| (wa * *x as f64 + wb * *y as f64) as f32),
        );
    }
    Ok(out)
}

/// `frames` images along the path from code `a` to code `b` (see [`slerp`]).
pub fn interpolate(
    model: &Model,
    a: &[f32],
    b: &[f32],
    frames: Frames,
    options: &Options,
    device: &Device,
) -> Result<Samples, String> {
    decode(model, &slerp(a, b, frames)?, options, device)
}

/// One 28×28 image of gray bytes as `[1, 1, 28, 28]` in [0, 1]; any other size is refused.
pub fn image(bytes: &[u8], device: &Device) -> Result<Tensor<4>, String> {
    if bytes.len() != PIXELS {
        return Err(format!(
            "an image must be {SIDE}×{SIDE} = {PIXELS} gray bytes, got {} bytes",
            bytes.len()
        ));
    }
    Ok(images_from_bytes(bytes, device))
}

/// The VAE's posterior of one image: μ and σ `[1, latent]`, and the reconstruction decoded from μ.
#[derive(Clone, Debug)]
pub struct Encoding {
    pub mu: Tensor<2>,
    pub sigma: Tensor<2>,
    pub reconstruction: Tensor<4>,
}

pub fn encode(vae: &Vae, bytes: &[u8], class: Class, device: &Device) -> Result<Encoding, String> {
    let tokens = class_tokens(&[class.get()], device);
    let posterior = vae.encode(image(bytes, device)?, tokens.clone());
    Ok(Encoding {
        reconstruction: vae.decode(posterior.mean.clone(), tokens),
        sigma: (posterior.log_var * 0.5).exp(),
        mu: posterior.mean,
    })
}

/// The forward process q(x_t | x_0) applied to one image: `t` = 0 is the image itself, `t` = 1000 is
/// (almost) pure noise. Returns `[1, 1, 28, 28]` in [0, 1] (values beyond are clipped for display).
pub fn noise(bytes: &[u8], t: Timestep, seed: Seed, device: &Device) -> Result<Tensor<4>, String> {
    let t = t.get();
    let x0 = image(bytes, device)? * 2.0 - 1.0;
    let x = if t == 0 {
        x0
    } else {
        let eps = normal(&mut Rng::new(seed.get()), [1, 1, SIDE, SIDE], device);
        Schedule::default().noise(x0, eps, &[t - 1])
    };
    Ok(((x + 1.0) / 2.0).clamp(0.0, 1.0))
}

/// What a recorded run starts from, as the page hands it over: one image for all samples.
pub enum Origin {
    Noise,
    Image {
        image: Vec<u8>,
        strength: Strength,
    },
    /// `mask`: non-zero bytes mark the pixels to regenerate.
    Inpaint {
        image: Vec<u8>,
        mask: Vec<u8>,
    },
}

/// A frame of a recorded run: the batch's x_t and the predicted x₀ (none before the first step).
#[derive(Clone, Debug)]
pub struct Frame {
    /// Steps taken when the frame was recorded.
    pub index: usize,
    /// The timestep of x_t: T for the starting noise of a full run.
    pub t: usize,
    pub x_t: Tensor<4>,
    pub x0: Option<Tensor<4>>,
}

/// Frames kept per run are capped at about this many pixel values; longer runs keep every k-th step.
const FRAME_BUDGET: usize = 32 << 20;

/// A diffusion run that keeps its frames for the step scrubber. Frames stay on the device: nothing is
/// read back while sampling.
pub struct Recording {
    unet: Unet,
    run: Run,
    frames: Vec<Frame>,
    stride: usize,
    /// A run from noise: the samples' latent codes `[n, 784]`, their starting noise.
    latents: Option<Tensor<2>>,
}

impl Recording {
    pub fn new(
        unet: Unet,
        options: &Options,
        origin: Origin,
        device: &Device,
    ) -> Result<Self, String> {
        let n = options.n.get();
        let batch = |bytes: &[u8]| -> Result<Tensor<4>, String> {
            Ok(image(bytes, device)?.repeat_dim(0, n))
        };
        let latents = matches!(origin, Origin::Noise).then(|| diffusion_latents(options, device));
        let start = match origin {
            Origin::Noise => Start::Noise,
            Origin::Image { image, strength } => Start::Image {
                image: batch(&image)?,
                strength,
            },
            Origin::Inpaint { image, mask } => {
                let mask: Vec<u8> = mask.iter().map(|&m| if m > 0 { 255 } else { 0 }).collect();
                Start::Inpaint {
                    image: batch(&image)?,
                    mask: batch(&mask)?,
                }
            }
        };
        let run = Run::new(
            &options.classes(),
            options.diffusion,
            start,
            options.seed.get(),
            device,
        )?;
        let stride = (run.len() * n * PIXELS * 2).div_ceil(FRAME_BUDGET).max(1);
        let frames = vec![Frame {
            index: 0,
            t: run.start_t(),
            x_t: run.images(),
            x0: None,
        }];
        Ok(Self {
            unet,
            run,
            frames,
            stride,
            latents,
        })
    }

    /// The samples' latent codes `[n, 784]` (their starting noise), for a run from noise.
    pub fn latents(&self) -> Option<Tensor<2>> {
        self.latents.clone()
    }

    /// Steps in the whole run.
    pub fn len(&self) -> usize {
        self.run.len()
    }

    pub fn is_empty(&self) -> bool {
        self.run.is_empty()
    }

    /// Steps taken.
    pub fn position(&self) -> usize {
        self.run.position()
    }

    pub fn is_done(&self) -> bool {
        self.run.is_done()
    }

    /// Takes up to `k` steps; returns how many were taken.
    pub fn step(&mut self, k: usize) -> usize {
        let mut taken = 0;
        while taken < k {
            let Some(step) = self.run.step(&self.unet) else {
                break;
            };
            taken += 1;
            let index = step.index + 1;
            if index.is_multiple_of(self.stride) || self.run.is_done() {
                self.frames.push(Frame {
                    index,
                    t: step.t,
                    x_t: step.x_t,
                    x0: Some(step.x0),
                });
            }
        }
        taken
    }

    /// The recorded frame nearest at or before step `index` (0 = the start), among the steps taken.
    pub fn frame(&self, index: usize) -> &Frame {
        let at = self.frames.partition_point(|f| f.index <= index);
        &self.frames[at.saturating_sub(1)]
    }

    /// The current images in [0, 1]: the samples once the run is done.
    pub fn images(&self) -> Tensor<4> {
        self.run.images()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Count;
    use crate::generate::generate;
    use crate::image::to_bytes;
    use crate::models::classifier::ClassifierConfig;
    use crate::models::diffusion::{Eta, Guidance, SampleOptions, Sampler, Steps, T};
    use crate::models::gan::{GanConfig, Truncation};
    use crate::models::unet::UnetConfig;
    use crate::models::vae::{Temperature, VaeConfig};

    fn bytes(x: Tensor<4>) -> Vec<u8> {
        to_bytes(&x.into_data().try_to_vec::<f32>().unwrap())
    }

    fn floats<const D: usize>(x: Tensor<D>) -> Vec<f32> {
        x.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn samples_match_generate_and_decode_back_from_their_codes() {
        let device = Device::flex();
        for model in [
            Model::Gan(GanConfig::new().init(&device)),
            Model::Vae(VaeConfig::new().init(&device)),
        ] {
            let options = Options {
                class: Class::constant(4),
                n: Count::constant(3),
                seed: Seed::constant(9),
                truncation: Truncation::constant(0.7),
                temperature: Temperature::constant(0.8),
                ..Options::default()
            };
            let s = samples(&model, &options, true, &device).unwrap();
            assert!(
                samples(&model, &options, false, &device)
                    .unwrap()
                    .scores
                    .is_none()
            );
            let images = bytes(s.images.clone());
            assert_eq!(images, bytes(generate(&model, &options, &device).unwrap()));
            let z = floats(s.latents.unwrap());
            assert_eq!(z.len(), 3 * model.latent_size().unwrap());
            let again = decode(&model, &z, &options, &device).unwrap();
            assert_eq!(bytes(again.images), images);
            // Scores are probabilities, for the GAN only.
            match (&model, s.scores) {
                (Model::Gan(_), Some(p)) => {
                    assert!(floats(p).iter().all(|p| (0.0..=1.0).contains(p)))
                }
                (Model::Vae(_), None) => {}
                (m, s) => panic!("{:?} scores {s:?}", m.kind()),
            }
        }
    }

    #[test]
    fn decode_refuses_bad_codes() {
        let device = Device::flex();
        let gan = Model::Gan(GanConfig::new().init(&device));
        let d = gan.latent_size().unwrap();
        assert!(decode(&gan, &vec![0.0; d + 1], &Options::default(), &device).is_err());
        assert!(decode(&gan, &[], &Options::default(), &device).is_err());
        assert!(decode(&gan, &vec![0.0; d * 65], &Options::default(), &device).is_err());
        let mut z = vec![0.0; d];
        z[3] = f32::NAN;
        assert!(
            decode(&gan, &z, &Options::default(), &device)
                .unwrap_err()
                .contains("finite")
        );
        z[3] = 11.0;
        assert!(decode(&gan, &z, &Options::default(), &device).is_err());
        let classifier = Model::Classifier(ClassifierConfig::new().init(&device));
        assert!(classifier.latent_size().is_err());
    }

    #[test]
    fn slerp_keeps_ends_and_norm() {
        let a = [3.0, 0.0, 0.0];
        let b = [0.0, 5.0, 0.0];
        let path = slerp(&a, &b, Frames::constant(5)).unwrap();
        assert_eq!(path.len(), 15);
        let close = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-5);
        assert!(close(&path[..3], &a) && close(&path[12..], &b));
        // Midpoint: on the bisector, with the mean norm 4 (a straight line would give 2.92).
        let mid = &path[6..9];
        assert!((mid[0] - mid[1]).abs() < 1e-5 && mid[2] == 0.0);
        let norm = mid.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 4.0).abs() < 1e-4, "{norm}");
        // Parallel and zero codes fall back to the straight line.
        let same = slerp(&a, &[6.0, 0.0, 0.0], Frames::constant(3)).unwrap();
        assert!(close(&same[3..6], &[4.5, 0.0, 0.0]));
        assert!(
            slerp(&[0.0; 3], &a, Frames::constant(3))
                .unwrap()
                .iter()
                .all(|v| v.is_finite())
        );
        assert!(slerp(&a, &b[..2], Frames::constant(3)).is_err());
        assert!(Frames::new(1).is_err() && Frames::new(17).is_err());
    }

    #[test]
    fn images_of_the_wrong_size_are_refused() {
        let device = Device::flex();
        assert!(image(&[0; 783], &device).unwrap_err().contains("784"));
        let vae = VaeConfig::new().init(&device);
        assert!(encode(&vae, &[0; 785], Class::NONE, &device).is_err());
        assert!(noise(&[0; 10], Timestep::constant(5), Seed::DEFAULT, &device).is_err());
        assert!(Timestep::new(1001).is_err());
    }

    #[test]
    fn encoding_gives_a_positive_sigma_and_a_reconstruction() {
        let device = Device::flex();
        let vae = VaeConfig::new().init(&device);
        let e = encode(&vae, &[128; PIXELS], Class::constant(2), &device).unwrap();
        assert_eq!(e.mu.dims(), [1, vae.latent()]);
        assert!(floats(e.sigma).iter().all(|s| *s > 0.0));
        assert_eq!(e.reconstruction.dims(), [1, 1, SIDE, SIDE]);
    }

    #[test]
    fn forward_process_goes_from_the_image_to_noise() {
        let device = Device::flex();
        let img: Vec<u8> = (0..PIXELS)
            .map(|i| if i % 3 == 0 { 255 } else { 0 })
            .collect();
        assert_eq!(
            bytes(noise(&img, Timestep::constant(0), Seed::constant(1), &device).unwrap()),
            img
        );
        let corr = |t| {
            let x = floats(noise(&img, Timestep::constant(t), Seed::constant(1), &device).unwrap());
            let (mx, my) = (
                x.iter().sum::<f32>() / PIXELS as f32,
                img.iter().map(|&v| v as f32 / 255.0).sum::<f32>() / PIXELS as f32,
            );
            let cov: f32 = x
                .iter()
                .zip(&img)
                .map(|(a, &b)| (a - mx) * (b as f32 / 255.0 - my))
                .sum();
            let sx = x.iter().map(|a| (a - mx).powi(2)).sum::<f32>().sqrt();
            let sy = img
                .iter()
                .map(|&b| (b as f32 / 255.0 - my).powi(2))
                .sum::<f32>()
                .sqrt();
            cov / (sx * sy)
        };
        let (early, mid, late) = (corr(50), corr(500), corr(1000));
        assert!(
            early > 0.9 && early > mid && mid > late && late < 0.15,
            "{early} {mid} {late}"
        );
        assert_eq!(
            bytes(noise(&img, Timestep::constant(300), Seed::constant(4), &device).unwrap()),
            bytes(noise(&img, Timestep::constant(300), Seed::constant(4), &device).unwrap())
        );
    }

    fn tiny(device: &Device) -> Unet {
        UnetConfig::new()
            .with_width(8)
            .with_embed(16)
            .with_time_features(8)
            .init(device)
    }

    fn fast(n: usize) -> Options {
        Options {
            n: Count::new(n).unwrap(),
            class: Class::constant(1),
            seed: Seed::constant(5),
            diffusion: SampleOptions {
                sampler: Sampler::Ddim,
                steps: Steps::constant(6),
                eta: Eta::constant(0.5),
                guidance: Guidance::constant(1.0),
            },
            ..Options::default()
        }
    }

    #[test]
    fn a_recording_keeps_every_frame_and_ends_at_generate() {
        let device = Device::flex();
        let unet = tiny(&device);
        let options = fast(2);
        let mut rec = Recording::new(unet.clone(), &options, Origin::Noise, &device).unwrap();
        assert_eq!((rec.len(), rec.position(), rec.frame(3).index), (6, 0, 0));
        assert!(rec.frame(0).x0.is_none() && rec.frame(0).t == T);
        assert_eq!(rec.step(4), 4);
        assert_eq!(rec.step(10), 2);
        assert!(rec.is_done());
        let ts: Vec<usize> = (0..=6).map(|i| rec.frame(i).t).collect();
        assert_eq!(ts, [T, 833, 666, 500, 333, 166, 0]);
        assert!((1..=6).all(|i| rec.frame(i).index == i && rec.frame(i).x0.is_some()));
        let last = bytes(rec.images());
        assert_eq!(bytes(rec.frame(6).x_t.clone()), last);
        let model = Model::Diffusion(unet);
        assert_eq!(last, bytes(generate(&model, &options, &device).unwrap()));
    }

    #[test]
    fn long_runs_keep_every_kth_frame() {
        let device = Device::flex();
        let mut options = fast(64);
        options.diffusion.steps = Steps::constant(1000);
        let rec = Recording::new(tiny(&device), &options, Origin::Noise, &device).unwrap();
        // 1000 steps × 64 samples × 2 images × 784 pixels = 100 M values, 3× the budget.
        assert_eq!(rec.stride, 3);
    }

    #[test]
    fn inpainting_keeps_the_unmasked_pixels_exactly() {
        let device = Device::flex();
        let img: Vec<u8> = (0..PIXELS).map(|i| (i * 7 % 256) as u8).collect();
        let mask: Vec<u8> = (0..PIXELS)
            .map(|i| if i % SIDE < 14 { 255 } else { 0 })
            .collect();
        let origin = Origin::Inpaint {
            image: img.clone(),
            mask: mask.clone(),
        };
        let mut rec = Recording::new(tiny(&device), &fast(2), origin, &device).unwrap();
        rec.step(usize::MAX);
        let out = bytes(rec.images());
        for s in 0..2 {
            let sample = &out[s * PIXELS..(s + 1) * PIXELS];
            let kept = (0..PIXELS).filter(|&i| mask[i] == 0);
            assert!(kept.clone().all(|i| sample[i] == img[i]));
            assert!(
                (0..PIXELS)
                    .filter(|&i| mask[i] > 0)
                    .any(|i| sample[i] != img[i])
            );
        }
        let bad = Origin::Inpaint {
            image: img.clone(),
            mask: mask[1..].to_vec(),
        };
        assert!(Recording::new(tiny(&device), &fast(1), bad, &device).is_err());
    }

    #[test]
    fn image_to_image_starts_at_strength_and_zero_strength_keeps_the_image() {
        let device = Device::flex();
        let img: Vec<u8> = (0..PIXELS).map(|i| (i % 251) as u8).collect();
        let rec = |strength| {
            let origin = Origin::Image {
                image: img.clone(),
                strength: Strength::constant(strength),
            };
            Recording::new(tiny(&device), &fast(1), origin, &device).unwrap()
        };
        let half = rec(0.5);
        assert_eq!((half.frame(0).t, half.len()), (500, 3));
        let mut none = rec(0.0);
        assert_eq!(none.step(5), 0);
        assert_eq!(bytes(none.images()), img);
        assert!(Strength::new(1.5).is_err());
    }

    #[test]
    fn a_diffusion_sample_is_its_starting_noise_run_again() {
        let device = Device::flex();
        let model = Model::Diffusion(tiny(&device));
        // η > 0: the later noise comes from the seed after the starting noise, so decoding repeats it too.
        let options = fast(3);
        let s = samples(&model, &options, true, &device).unwrap();
        let z = floats(s.latents.unwrap());
        assert_eq!(z.len(), 3 * PIXELS);
        let again = decode(&model, &z, &options, &device).unwrap();
        assert_eq!(bytes(again.images), bytes(s.images.clone()));
        // A recorded run from noise hands out the same codes.
        let rec = Recording::new(tiny(&device), &options, Origin::Noise, &device).unwrap();
        assert_eq!(floats(rec.latents().unwrap()), z);
        // With η = 0 a walk between two samples' noises starts and ends on those samples.
        let mut options = options;
        options.diffusion.eta = Eta::constant(0.0);
        let images = bytes(samples(&model, &options, false, &device).unwrap().images);
        let walk = interpolate(
            &model,
            &z[..PIXELS],
            &z[PIXELS..2 * PIXELS],
            Frames::constant(5),
            &options,
            &device,
        )
        .unwrap();
        let walk = bytes(walk.images);
        assert_eq!(walk[..PIXELS], images[..PIXELS]);
        assert_eq!(walk[4 * PIXELS..], images[PIXELS..2 * PIXELS]);
        assert_ne!(walk[2 * PIXELS..3 * PIXELS], images[..PIXELS]);
    }
}
