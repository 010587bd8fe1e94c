//! VAE: a class-conditional convolutional encoder q(z | x, c) = N(μ, σ²) and decoder p(x | z, c).
//!
//! Likelihood: Bernoulli per pixel (binary cross-entropy on intensities in [0, 1]) plus the KL divergence to
//! the prior N(0, I) — the evidence lower bound (see `train::vae`). Both networks take the "no class" token.
//!
//! Sampling does not draw from N(0, I): after training, a Gaussian is fitted to the codes the encoder gives
//! each class's training images (ex-post density estimation, Ghosh et al. 2020), and a sample's code
//! ε ~ N(0, I) is placed in it as z = centre_c + scale_c·ε. N(0, I) only approximates where the codes of
//! one class lie; decoding codes from where they do not (the prior's "holes") gives images between classes.
//! Codes shown, walked, edited and encoded are ε: standard normal for every class.

use super::{CLASS_TOKENS, flops, normal};
use crate::knob::real_knob;
use crate::rng::Rng;
use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{sigmoid, silu};
use burn::tensor::{Device, Int, Tensor, TensorData};

real_knob!(
    /// The prior's temperature: codes are drawn as temperature·ε, placed in their class's Gaussian (1: the model's own
    /// distribution; lower: closer to the "average" image, less diverse).
    Temperature, "temperature", 0.0..=1.5, default 1.0
);

/// Sizes of the encoder and the decoder.
#[derive(Config, Debug)]
pub struct VaeConfig {
    /// Size of the latent code.
    #[config(default = 16)]
    pub latent: usize,
    /// Width of the class embedding (encoder and decoder each have one).
    #[config(default = 16)]
    pub embed: usize,
    /// Channels at 14²; ×2 at 7².
    #[config(default = 32)]
    pub width: usize,
    /// Hidden units between the convolutions and the latent code.
    #[config(default = 256)]
    pub hidden: usize,
}

/// Encoder and decoder in one module.
#[derive(Module, Debug)]
pub struct Vae {
    enc_conv1: Conv2d,
    enc_conv2: Conv2d,
    enc_embed: Embedding,
    enc_hidden: Linear,
    enc_out: Linear,
    dec_embed: Embedding,
    dec_hidden: Linear,
    dec_project: Linear,
    dec_up1: ConvTranspose2d,
    dec_up2: ConvTranspose2d,
    prior: CodePrior,
    latent: usize,
    width: usize,
}

/// Per class token, the Gaussian N(centre, scale·scaleᵀ) of the codes z the decoder is fed.
#[derive(Module, Debug)]
pub struct CodePrior {
    /// `[CLASS_TOKENS, latent]`.
    centre: Param<Tensor<2>>,
    /// `[CLASS_TOKENS, latent, latent]`, lower triangular.
    scale: Param<Tensor<3>>,
    /// `[CLASS_TOKENS, latent, latent]`: scale⁻¹, which takes an encoder's code back to ε.
    unscale: Param<Tensor<3>>,
}

/// A fitted [`CodePrior`] as plain numbers, row-major: `centre` `[CLASS_TOKENS·latent]`, `scale` and
/// `unscale` `[CLASS_TOKENS·latent·latent]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorFit {
    pub centre: Vec<f32>,
    pub scale: Vec<f32>,
    pub unscale: Vec<f32>,
}

impl CodePrior {
    /// N(0, I) for every class: what the ELBO trains against, before a fit.
    fn standard(latent: usize, device: &Device) -> Self {
        let eye = Tensor::<2>::eye(latent, device)
            .unsqueeze_dim::<3>(0)
            .repeat_dim(0, CLASS_TOKENS);
        Self {
            centre: Param::from_tensor(Tensor::zeros([CLASS_TOKENS, latent], device)),
            scale: Param::from_tensor(eye.clone()),
            unscale: Param::from_tensor(eye),
        }
    }

    /// The rows of `m` `[CLASS_TOKENS, …]` each sample's class token picks.
    fn pick<const D: usize>(m: &Param<Tensor<D>>, classes: Tensor<1, Int>) -> Tensor<D> {
        m.val().select(0, classes)
    }

    /// Codes ε `[B, latent]` of classes `[B]` → decoder input z = centre + scale·ε.
    fn place(&self, codes: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<2> {
        let scale = Self::pick(&self.scale, classes.clone()); // [B, latent, latent]
        let spread = scale.matmul(codes.unsqueeze_dim(2)).squeeze_dim(2); // [B, latent]
        Self::pick(&self.centre, classes) + spread
    }

    /// Decoder inputs z `[B, latent]` → codes ε = scale⁻¹(z − centre).
    fn standardise(&self, z: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<2> {
        let unscale = Self::pick(&self.unscale, classes.clone());
        let centred = z - Self::pick(&self.centre, classes);
        unscale.matmul(centred.unsqueeze_dim(2)).squeeze_dim(2)
    }

    /// Independent deviations σ `[B, latent]` of z → the deviation of each code of ε (the square root of
    /// the diagonal of scale⁻¹·diag(σ²)·scale⁻ᵀ).
    fn standardise_sigma(&self, sigma: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<2> {
        let unscale = Self::pick(&self.unscale, classes);
        unscale
            .powi_scalar(2)
            .matmul(sigma.powi_scalar(2).unsqueeze_dim(2))
            .squeeze_dim::<2>(2)
            .sqrt()
    }
}

/// What the encoder says about a batch: `[B, latent]` each.
#[derive(Clone, Debug)]
pub struct Posterior {
    pub mean: Tensor<2>,
    pub log_var: Tensor<2>,
}

impl VaeConfig {
    pub fn init(&self, device: &Device) -> Vae {
        let w = self.width;
        let conv = |c_in, c_out| {
            Conv2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let up = |c_in, c_out| {
            ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(device)
        };
        Vae {
            enc_conv1: conv(1, w),
            enc_conv2: conv(w, 2 * w),
            enc_embed: EmbeddingConfig::new(CLASS_TOKENS, self.embed).init(device),
            enc_hidden: LinearConfig::new(2 * w * 49 + self.embed, self.hidden).init(device),
            enc_out: LinearConfig::new(self.hidden, 2 * self.latent).init(device),
            dec_embed: EmbeddingConfig::new(CLASS_TOKENS, self.embed).init(device),
            dec_hidden: LinearConfig::new(self.latent + self.embed, self.hidden).init(device),
            dec_project: LinearConfig::new(self.hidden, 2 * w * 49).init(device),
            dec_up1: up(2 * w, w),
            dec_up2: up(w, 1),
            prior: CodePrior::standard(self.latent, device),
            latent: self.latent,
            width: w,
        }
    }
}

impl Vae {
    pub fn latent(&self) -> usize {
        self.latent
    }

    /// images `[B, 1, 28, 28]` in [0, 1], classes `[B]` → posterior μ, log σ² `[B, latent]`.
    pub fn encode(&self, images: Tensor<4>, classes: Tensor<1, Int>) -> Posterior {
        let b = images.dims()[0];
        let h = silu(self.enc_conv1.forward(images)); // [B, w, 14, 14]
        let h = silu(self.enc_conv2.forward(h)); // [B, 2w, 7, 7]
        let e = self
            .enc_embed
            .forward(classes.unsqueeze_dim(1))
            .squeeze_dim(1);
        let h = silu(
            self.enc_hidden
                .forward(Tensor::cat(vec![h.reshape([b as i32, -1]), e], 1)),
        );
        let out = self.enc_out.forward(h); // [B, 2·latent]
        Posterior {
            mean: out.clone().narrow(1, 0, self.latent),
            log_var: out.narrow(1, self.latent, self.latent).clamp(-12.0, 8.0),
        }
    }

    /// Decoder inputs z `[B, latent]`, classes `[B]` → pixel logits `[B, 1, 28, 28]` (what training reads;
    /// sampling decodes codes with [`Vae::decode`]).
    pub fn decode_logits(&self, z: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<4> {
        let b = z.dims()[0];
        let e = self
            .dec_embed
            .forward(classes.unsqueeze_dim(1))
            .squeeze_dim(1);
        let h = silu(self.dec_hidden.forward(Tensor::cat(vec![z, e], 1)));
        let h = silu(self.dec_project.forward(h)).reshape([b, 2 * self.width, 7, 7]);
        let h = silu(self.dec_up1.forward(h)); // [B, w, 14, 14]
        self.dec_up2.forward(h) // [B, 1, 28, 28]
    }

    /// Codes ε `[B, latent]`, classes `[B]` → mean images `[B, 1, 28, 28]` in [0, 1].
    pub fn decode(&self, codes: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<4> {
        let z = self.prior.place(codes, classes.clone());
        sigmoid(self.decode_logits(z, classes))
    }

    /// images `[B, 1, 28, 28]`, classes `[B]` → the posterior as codes: ε of μ and the deviation of each
    /// code `[B, latent]` each; [`Vae::decode`] of the mean is the reconstruction.
    pub fn encode_codes(&self, images: Tensor<4>, classes: Tensor<1, Int>) -> Posterior {
        let post = self.encode(images, classes.clone());
        let sigma = (post.log_var * 0.5).exp();
        let sigma = self.prior.standardise_sigma(sigma, classes.clone());
        Posterior {
            mean: self.prior.standardise(post.mean, classes),
            log_var: sigma.log() * 2.0,
        }
    }

    /// The model with `fit` as the Gaussians its codes are placed in.
    pub fn with_prior(mut self, fit: &PriorFit) -> Self {
        let (l, k) = (self.latent, CLASS_TOKENS);
        let device = self.prior.centre.device();
        let tensor = |v: &[f32], dims: [usize; 3]| {
            Tensor::<3>::from_data(TensorData::new(v.to_vec(), dims), &device)
        };
        self.prior = CodePrior {
            centre: Param::from_tensor(Tensor::from_data(
                TensorData::new(fit.centre.clone(), [k, l]),
                &device,
            )),
            scale: Param::from_tensor(tensor(&fit.scale, [k, l, l])),
            unscale: Param::from_tensor(tensor(&fit.unscale, [k, l, l])),
        };
        self
    }

    /// Floating-point operations to decode one latent code (see [`flops`]).
    pub fn decode_flops_per_sample(&self) -> u64 {
        flops(&self.dec_hidden, 1)
            + flops(&self.dec_project, 1)
            + flops(&self.dec_up1, 7 * 7)
            + flops(&self.dec_up2, 14 * 14)
    }

    /// Floating-point operations to encode one image (see [`flops`]).
    pub fn encode_flops_per_sample(&self) -> u64 {
        flops(&self.enc_conv1, 14 * 14)
            + flops(&self.enc_conv2, 7 * 7)
            + flops(&self.enc_hidden, 1)
            + flops(&self.enc_out, 1)
    }

    /// Sample codes temperature · ε, ε ~ N(0, I) (temperature 1: the model's own distribution; lower:
    /// closer to the centre of the class, less diverse).
    pub fn draw_latents(
        &self,
        rng: &mut Rng,
        n: usize,
        temperature: Temperature,
        device: &Device,
    ) -> Tensor<2> {
        normal(rng, [n, self.latent], device).mul_scalar(temperature.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SIDE;
    use crate::models::class_tokens;

    #[test]
    fn encode_decode_shapes() {
        let device = Device::flex();
        let vae = VaeConfig::new().init(&device);
        let classes = class_tokens(&[Some(1), None, Some(9)], &device);
        let x = Tensor::<4>::ones([3, 1, SIDE, SIDE], &device).mul_scalar(0.5);
        let post = vae.encode(x, classes.clone());
        assert_eq!(post.mean.dims(), [3, 16]);
        assert_eq!(post.log_var.dims(), [3, 16]);
        let y = vae.decode(post.mean, classes);
        assert_eq!(y.dims(), [3, 1, SIDE, SIDE]);
        let v = y.into_data().try_to_vec::<f32>().unwrap();
        assert!(v.iter().all(|p| (0.0..=1.0).contains(p)));
    }
}
