//! GAN: a class-conditional DCGAN generator and a projection discriminator.
//!
//! Objective (see `train::gan`): the non-saturating logistic loss of Goodfellow et al. with one-sided label
//! smoothing; the generator's weights are averaged (EMA) for sampling. Both networks take the "no class"
//! token, so the generator also samples unconditionally.

use super::{CLASS_TOKENS, flops, normal};
use crate::knob::real_knob;
use crate::rng::Rng;
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{
    Embedding, EmbeddingConfig, GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::tensor::activation::{leaky_relu, relu, tanh};
use burn::tensor::{Device, Int, Tensor};

real_knob!(
    /// The truncation trick's ψ: latent codes are drawn as z = ψ·ε (1: plain sampling; towards 0: the
    /// generator's "average" image of the class — fidelity bought with diversity).
    Truncation, "truncation", 0.0..=1.5, default 1.0
);

/// Sizes of the generator and the discriminator.
#[derive(Config, Debug)]
pub struct GanConfig {
    /// Size of the latent code z ~ N(0, I).
    #[config(default = 64)]
    pub latent: usize,
    /// Width of the generator's class embedding.
    #[config(default = 16)]
    pub embed: usize,
    /// Channels at full resolution; ×2 at 14², ×4 at 7².
    #[config(default = 32)]
    pub width: usize,
}

/// Generator and discriminator, saved together: the page shows the discriminator's score of each sample.
#[derive(Module, Debug)]
pub struct Gan {
    pub generator: Generator,
    pub discriminator: Discriminator,
}

/// Maps (z, class) to an image.
#[derive(Module, Debug)]
pub struct Generator {
    embed: Embedding,
    project: Linear,
    norm0: GroupNorm,
    up1: ConvTranspose2d,
    norm1: GroupNorm,
    up2: ConvTranspose2d,
    norm2: GroupNorm,
    out: Conv2d,
    latent: usize,
    width: usize,
}

/// Scores (image, class) pairs: high for real.
#[derive(Module, Debug)]
pub struct Discriminator {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    score: Linear,
    embed: Embedding,
}

fn up(c_in: usize, c_out: usize, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .init(device)
}

fn down(c_in: usize, c_out: usize, kernel: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [kernel, kernel])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

impl GanConfig {
    pub fn init(&self, device: &Device) -> Gan {
        Gan {
            generator: self.init_generator(device),
            discriminator: self.init_discriminator(device),
        }
    }

    pub fn init_generator(&self, device: &Device) -> Generator {
        let w = self.width;
        Generator {
            embed: EmbeddingConfig::new(CLASS_TOKENS, self.embed).init(device),
            project: LinearConfig::new(self.latent + self.embed, 4 * w * 49).init(device),
            norm0: GroupNormConfig::new(8, 4 * w).init(device),
            up1: up(4 * w, 2 * w, device),
            norm1: GroupNormConfig::new(8, 2 * w).init(device),
            up2: up(2 * w, w, device),
            norm2: GroupNormConfig::new(8, w).init(device),
            out: Conv2dConfig::new([w, 1], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            latent: self.latent,
            width: w,
        }
    }

    pub fn init_discriminator(&self, device: &Device) -> Discriminator {
        let w = self.width;
        Discriminator {
            conv1: down(1, w, 4, device),
            conv2: down(w, 2 * w, 4, device),
            conv3: down(2 * w, 4 * w, 3, device),
            score: LinearConfig::new(4 * w * 16, 1).init(device),
            embed: EmbeddingConfig::new(CLASS_TOKENS, 4 * w * 16)
                .with_initializer(burn::nn::Initializer::Normal {
                    mean: 0.0,
                    std: 0.02,
                })
                .init(device),
        }
    }
}

impl Generator {
    /// z `[B, latent]`, classes `[B]` → images `[B, 1, 28, 28]` in [-1, 1].
    pub fn forward(&self, z: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<4> {
        let b = z.dims()[0];
        let e = self.embed.forward(classes.unsqueeze_dim(1)).squeeze_dim(1); // [B, embed]
        let h = self
            .project
            .forward(Tensor::cat(vec![z, e], 1))
            .reshape([b, 4 * self.width, 7, 7]);
        let h = relu(self.norm0.forward(h));
        let h = relu(self.norm1.forward(self.up1.forward(h))); // [B, 2w, 14, 14]
        let h = relu(self.norm2.forward(self.up2.forward(h))); // [B, w, 28, 28]
        tanh(self.out.forward(h))
    }

    pub fn latent(&self) -> usize {
        self.latent
    }

    /// Floating-point operations to generate one image (see [`flops`]).
    pub fn flops_per_sample(&self) -> u64 {
        flops(&self.project, 1)
            + flops(&self.up1, 7 * 7)
            + flops(&self.up2, 14 * 14)
            + flops(&self.out, 28 * 28)
    }

    /// Images `[B, 1, 28, 28]` in [0, 1] of latent codes `z` `[B, latent]` (as drawn, or edited).
    pub fn sample(&self, z: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<4> {
        (self.forward(z, classes) + 1.0) / 2.0
    }

    /// Latent codes for `n` samples from `rng`, with the truncation trick: z = ψ·ε, ε ~ N(0, I).
    pub fn draw_latents(
        &self,
        rng: &mut Rng,
        n: usize,
        truncation: Truncation,
        device: &Device,
    ) -> Tensor<2> {
        normal(rng, [n, self.latent], device).mul_scalar(truncation.get())
    }
}

impl Discriminator {
    /// images `[B, 1, 28, 28]` in [-1, 1], classes `[B]` → logits `[B, 1]` (projection discriminator:
    /// a class-free score plus the inner product of the features with the class embedding).
    pub fn forward(&self, images: Tensor<4>, classes: Tensor<1, Int>) -> Tensor<2> {
        let b = images.dims()[0];
        let h = leaky_relu(self.conv1.forward(images), 0.2); // [B, w, 14, 14]
        let h = leaky_relu(self.conv2.forward(h), 0.2); // [B, 2w, 7, 7]
        let h = leaky_relu(self.conv3.forward(h), 0.2); // [B, 4w, 4, 4]
        let features: Tensor<2> = h.reshape([b as i32, -1]);
        let e = self.embed.forward(classes.unsqueeze_dim(1)).squeeze_dim(1); // [B, 4w·16]
        let projection = (features.clone() * e).sum_dim(1);
        self.score.forward(features) + projection
    }

    /// Floating-point operations to score one image (see [`flops`]).
    pub fn flops_per_sample(&self) -> u64 {
        flops(&self.conv1, 14 * 14)
            + flops(&self.conv2, 7 * 7)
            + flops(&self.conv3, 4 * 4)
            + flops(&self.score, 1)
    }

    /// Scores images in [0, 1] (as the page shows them): probability of "real", `[B]`.
    pub fn realness(&self, images: Tensor<4>, classes: Tensor<1, Int>) -> Tensor<1> {
        let b = images.dims()[0];
        burn::tensor::activation::sigmoid(self.forward(images * 2.0 - 1.0, classes)).reshape([b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SIDE;
    use crate::models::class_tokens;

    #[test]
    fn shapes_and_ranges() {
        let device = Device::flex();
        let cfg = GanConfig::new();
        let g = cfg.init_generator(&device);
        let d = cfg.init_discriminator(&device);
        let classes = class_tokens(&[Some(3), None], &device);
        let z = g.draw_latents(&mut Rng::new(1), 2, Truncation::DEFAULT, &device);
        let x = g.sample(z, classes.clone());
        assert_eq!(x.dims(), [2, 1, SIDE, SIDE]);
        let v = x.clone().into_data().try_to_vec::<f32>().unwrap();
        assert!(v.iter().all(|p| (0.0..=1.0).contains(p)));
        assert_eq!(d.forward(x * 2.0 - 1.0, classes).dims(), [2, 1]);
    }

    #[test]
    fn truncation_zero_gives_one_image_per_class() {
        let device = Device::flex();
        let g = GanConfig::new().init_generator(&device);
        let z = g.draw_latents(&mut Rng::new(2), 2, Truncation::constant(0.0), &device);
        let x = g.sample(z, class_tokens(&[Some(5), Some(5)], &device));
        let v = x.into_data().try_to_vec::<f32>().unwrap();
        let (a, b) = v.split_at(SIDE * SIDE);
        assert!(a.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-6));
    }
}
