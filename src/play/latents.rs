//! Latent codes: the samples of a request with the codes they came from (z of a GAN or VAE, the starting
//! noise of a diffusion run), codes decoded back — edited by a slider, or along a walk between two samples.

use crate::data::SIDE;
use crate::generate::{self, MAX_N, Options, Part};
use crate::knob::whole_knob;
use crate::models::diffusion::{Run, Start};
use crate::models::{Model, class_tokens};
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

/// `part` of the `options.n` samples of `options.class` with their latent codes and, when asked, the
/// GAN's scores (the same images as [`generate::generate`]).
pub fn samples(
    model: &Model,
    options: &Options,
    part: Part,
    scores: bool,
    device: &Device,
) -> Result<Samples, String> {
    let classes = part.classes(options);
    match model {
        Model::Diffusion(unet) => {
            let start = Start::Noise;
            let seed = part.seed(options);
            let run = Run::new(&classes, options.diffusion, start, seed, device)?;
            Ok(Samples {
                latents: run.latents(),
                images: run.finish(unet),
                scores: None,
            })
        }
        _ => {
            let z = generate::draw_latents(model, part, options, device)?;
            Samples::decoded(model, z, &classes, scores)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::super::testing::{bytes, fast, floats, record, tiny};
    use super::super::{Origin, Recording};
    use super::*;
    use crate::data::{DatasetKind, PIXELS};
    use crate::generate::{Class, Count, Seed, generate};
    use crate::models::classifier::ClassifierConfig;
    use crate::models::diffusion::Eta;
    use crate::models::gan::{GanConfig, Truncation};
    use crate::models::vae::{Temperature, VaeConfig};

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
                ..Options::for_dataset(DatasetKind::Mnist)
            };
            let s = samples(&model, &options, Part::whole(&options), true, &device).unwrap();
            assert!(
                samples(&model, &options, Part::whole(&options), false, &device)
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
        let o = Options::for_dataset(DatasetKind::Mnist);
        assert!(decode(&gan, &vec![0.0; d + 1], &o, &device).is_err());
        assert!(decode(&gan, &[], &o, &device).is_err());
        assert!(decode(&gan, &vec![0.0; d * 65], &o, &device).is_err());
        let mut z = vec![0.0; d];
        z[3] = f32::NAN;
        assert!(
            decode(&gan, &z, &o, &device)
                .unwrap_err()
                .contains("finite")
        );
        z[3] = 11.0;
        assert!(decode(&gan, &z, &o, &device).is_err());
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
    fn a_diffusion_sample_is_its_starting_noise_run_again() {
        let device = Device::flex();
        let model = Model::Diffusion(tiny(&device));
        // η > 0: each sample's later noise comes from its own stream of the seed, so decoding repeats it too.
        let options = fast(3);
        let s = samples(&model, &options, Part::whole(&options), true, &device).unwrap();
        let z = floats(s.latents.unwrap());
        assert_eq!(z.len(), 3 * PIXELS);
        let again = decode(&model, &z, &options, &device).unwrap();
        assert_eq!(bytes(again.images), bytes(s.images.clone()));
        // A recorded run from noise hands out the same codes.
        let rec = record(tiny(&device), &options, Origin::Noise, &device);
        assert_eq!(floats(rec.latents().unwrap()), z);
        // With η = 0 a walk between two samples' noises starts and ends on those samples.
        let mut options = options;
        options.diffusion.eta = Eta::constant(0.0);
        let images = bytes(
            samples(&model, &options, Part::whole(&options), false, &device)
                .unwrap()
                .images,
        );
        let (a, b) = (&z[..PIXELS], &z[PIXELS..2 * PIXELS]);
        // The path's ends are the two noises themselves.
        let path = slerp(a, b, Frames::constant(5)).unwrap();
        let near = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-6);
        assert!(near(&path[..PIXELS], a) && near(&path[4 * PIXELS..], b));
        let walk = || {
            let out = interpolate(&model, a, b, Frames::constant(5), &options, &device);
            bytes(out.unwrap().images)
        };
        let first = walk();
        assert_eq!(first[..PIXELS], images[..PIXELS]);
        assert_eq!(first[4 * PIXELS..], images[PIXELS..2 * PIXELS]);
        assert_ne!(first[2 * PIXELS..3 * PIXELS], images[..PIXELS]);
        // Deterministic: the same ends walk through the same samples again.
        assert_eq!(walk(), first);
    }

    #[test]
    fn a_sample_is_the_same_in_any_batch_and_any_split() {
        let device = Device::flex();
        let models = [
            Model::Gan(GanConfig::new().init(&device)),
            Model::Vae(VaeConfig::new().init(&device)),
            Model::Diffusion(tiny(&device)), // η = 0.5: noise after the start too
        ];
        for model in models {
            let whole = fast(5);
            let all = samples(&model, &whole, Part::whole(&whole), true, &device).unwrap();
            let all = (bytes(all.images), floats(all.latents.unwrap()));
            // The first 2 of 5 are the 2 of a request for 2; parts 0..2 and 2..5 are the 5.
            let two = Options {
                n: Count::constant(2),
                ..whole
            };
            let first = samples(&model, &two, Part::whole(&two), true, &device).unwrap();
            assert_eq!(bytes(first.images), all.0[..2 * PIXELS]);
            let rest = Part::new(2, 3, &whole).unwrap();
            let rest = samples(&model, &whole, rest, true, &device).unwrap();
            assert_eq!(bytes(rest.images), all.0[2 * PIXELS..]);
            let d = all.1.len() / 5;
            assert_eq!(floats(rest.latents.unwrap()), all.1[2 * d..]);
        }
        // A recorded run's part ends on the same samples and keeps the same steps.
        let options = fast(5);
        let part = Part::new(3, 2, &options).unwrap();
        let unet = tiny(&device);
        let mut rec = Recording::new(unet.clone(), &options, part, Origin::Noise, &device).unwrap();
        rec.step(100);
        let model = Model::Diffusion(unet);
        let all = samples(&model, &options, Part::whole(&options), false, &device).unwrap();
        assert_eq!(bytes(rec.images()), bytes(all.images)[3 * PIXELS..]);
        for bad in [(0, 0), (4, 2), (usize::MAX, 2)] {
            assert!(Part::new(bad.0, bad.1, &options).is_err(), "{bad:?}");
        }
    }
}
