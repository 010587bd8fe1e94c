//! What the page does with the models beyond a plain grid of samples: latent codes to edit and
//! interpolate (`latents`), the GAN discriminator's score, the classifier's reading (`classify`), the VAE
//! encoder, the forward process, and
//! diffusion runs recorded step by step for the scrubber (`record`). Target-independent (tested natively);
//! `web` only binds it.

mod classify;
mod latents;
mod record;

pub use classify::{MAX_NEIGHBOURS, Reading, classify, features_of, nearest, precision_recall};
pub use latents::{Frames, MAX_LATENT, Samples, decode, interpolate, samples, slerp};
pub use record::{Frame, Origin, Recording};

use crate::data::{PIXELS, SIDE};
use crate::generate::{Class, MAX_N, Seed};
use crate::models::diffusion::{Schedule, Timestep};
use crate::models::gan::Gan;
use crate::models::vae::Vae;
use crate::models::{class_tokens, images_from_bytes, normal};
use crate::rng::Rng;
use burn::tensor::{Device, Tensor};

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

/// The VAE's posterior of one image as codes (what sampling draws and the decoder takes): μ and σ
/// `[1, latent]`, and the reconstruction decoded from μ.
#[derive(Clone, Debug)]
pub struct Encoding {
    pub mu: Tensor<2>,
    pub sigma: Tensor<2>,
    pub reconstruction: Tensor<4>,
}

pub fn encode(vae: &Vae, bytes: &[u8], class: Class, device: &Device) -> Result<Encoding, String> {
    let tokens = class_tokens(&[class.get()], device);
    let posterior = vae.encode_codes(image(bytes, device)?, tokens.clone());
    Ok(Encoding {
        reconstruction: vae.decode(posterior.mean.clone(), tokens),
        sigma: (posterior.log_var * 0.5).exp(),
        mu: posterior.mean,
    })
}

/// The GAN discriminator's probability "real" `[n]` of n 28×28 images (`bytes`: n·784 gray bytes, 1–
/// [`MAX_N`] of them) of `class`: the reference a generated sample's score is read against.
pub fn realness(
    gan: &Gan,
    bytes: &[u8],
    class: Class,
    device: &Device,
) -> Result<Tensor<1>, String> {
    let images = batch(bytes, device)?;
    let tokens = class_tokens(&vec![class.get(); images.dims()[0]], device);
    Ok(gan.discriminator.realness(images, tokens))
}

/// 1–64 images of 784 gray bytes each as `[n, 1, 28, 28]` in [0, 1].
fn batch(bytes: &[u8], device: &Device) -> Result<Tensor<4>, String> {
    let n = bytes.len() / PIXELS;
    if !bytes.len().is_multiple_of(PIXELS) || !(1..=MAX_N).contains(&n) {
        return Err(format!(
            "images must be 1–{MAX_N} images of {PIXELS} gray bytes, got {} bytes",
            bytes.len()
        ));
    }
    Ok(images_from_bytes(bytes, device))
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

/// What the tests of this module and its children share: tiny models and pixel readers.
#[cfg(test)]
mod testing {
    use super::*;
    use crate::data::DatasetKind;
    use crate::generate::{Count, Options, Part};
    use crate::image::to_bytes;
    use crate::models::diffusion::{Eta, Guidance, SampleOptions, Sampler, Steps};
    use crate::models::unet::{Unet, UnetConfig};

    pub fn bytes(x: Tensor<4>) -> Vec<u8> {
        to_bytes(&x.into_data().try_to_vec::<f32>().unwrap())
    }

    pub fn floats<const D: usize>(x: Tensor<D>) -> Vec<f32> {
        x.into_data().try_to_vec::<f32>().unwrap()
    }

    pub fn tiny(device: &Device) -> Unet {
        UnetConfig::new()
            .with_width(8)
            .with_embed(16)
            .with_time_features(8)
            .init(device)
    }

    /// A recording of all of `options`' samples.
    pub fn record(unet: Unet, options: &Options, origin: Origin, device: &Device) -> Recording {
        Recording::new(unet, options, Part::whole(options), origin, device).unwrap()
    }

    pub fn fast(n: usize) -> Options {
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
            ..Options::for_dataset(DatasetKind::Mnist)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{bytes, floats};
    use super::*;
    use crate::models::gan::GanConfig;
    use crate::models::vae::VaeConfig;

    #[test]
    fn images_of_the_wrong_size_are_refused() {
        let device = Device::flex();
        assert!(image(&[0; 783], &device).unwrap_err().contains("784"));
        let vae = VaeConfig::new().init(&device);
        assert!(encode(&vae, &[0; 785], Class::NONE, &device).is_err());
        assert!(noise(&[0; 10], Timestep::constant(5), Seed::DEFAULT, &device).is_err());
        assert!(Timestep::new(1001).is_err());
        let gan = GanConfig::new().init(&device);
        assert!(realness(&gan, &[0; 783], Class::NONE, &device).is_err());
        assert!(realness(&gan, &vec![0; 65 * PIXELS], Class::NONE, &device).is_err());
    }

    #[test]
    fn realness_scores_each_image_like_the_samples_scores() {
        let device = Device::flex();
        let gan = GanConfig::new().init(&device);
        let pixels: Vec<u8> = (0..3 * PIXELS).map(|i| (i * 7 % 256) as u8).collect();
        let scores = floats(realness(&gan, &pixels, Class::constant(4), &device).unwrap());
        assert_eq!(scores.len(), 3);
        assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
        // One image alone scores as it does among the three.
        let one = floats(
            realness(
                &gan,
                &pixels[PIXELS..2 * PIXELS],
                Class::constant(4),
                &device,
            )
            .unwrap(),
        );
        assert!((one[0] - scores[1]).abs() < 1e-5);
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
}

#[cfg(test)]
mod properties;
