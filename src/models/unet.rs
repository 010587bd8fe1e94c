//! The denoiser of the diffusion model: a small UNet over 28² images with timestep and class embeddings.

use super::{CLASS_TOKENS, flops};
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{
    Embedding, EmbeddingConfig, GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Sizes of the UNet.
#[derive(Config, Debug)]
pub struct UnetConfig {
    /// Channels at 28²; ×2 at 14² and 7².
    #[config(default = 32)]
    pub width: usize,
    /// Width of the timestep + class embedding fed to every residual block.
    #[config(default = 128)]
    pub embed: usize,
    /// Sinusoidal features of the timestep before the embedding MLP.
    #[config(default = 32)]
    pub time_features: usize,
}

/// GroupNorm → SiLU → conv, twice, with the embedding added in between and a residual connection.
#[derive(Module, Debug)]
pub struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    emb: Linear,
    norm2: GroupNorm,
    conv2: Conv2d,
    skip: Option<Conv2d>,
}

/// Predicts the noise ε in x_t.
#[derive(Module, Debug)]
pub struct Unet {
    time1: Linear,
    time2: Linear,
    class_embed: Embedding,
    stem: Conv2d,
    down0: ResBlock,
    pool0: Conv2d,
    down1: ResBlock,
    pool1: Conv2d,
    mid: ResBlock,
    up1: ConvTranspose2d,
    dec1: ResBlock,
    up0: ConvTranspose2d,
    dec0: ResBlock,
    out_norm: GroupNorm,
    out: Conv2d,
    time_features: usize,
}

fn conv3(c_in: usize, c_out: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

fn res_block(c_in: usize, c_out: usize, embed: usize, device: &Device) -> ResBlock {
    ResBlock {
        norm1: GroupNormConfig::new(8, c_in).init(device),
        conv1: conv3(c_in, c_out, 1, device),
        emb: LinearConfig::new(embed, c_out).init(device),
        norm2: GroupNormConfig::new(8, c_out).init(device),
        conv2: conv3(c_out, c_out, 1, device),
        skip: (c_in != c_out).then(|| Conv2dConfig::new([c_in, c_out], [1, 1]).init(device)),
    }
}

impl ResBlock {
    /// x `[B, C_in, H, W]`, emb `[B, E]` → `[B, C_out, H, W]`.
    pub fn forward(&self, x: Tensor<4>, emb: Tensor<2>) -> Tensor<4> {
        let h = self.conv1.forward(silu(self.norm1.forward(x.clone())));
        let h = h + self.emb.forward(silu(emb)).unsqueeze_dims::<4>(&[2, 3]);
        let h = self.conv2.forward(silu(self.norm2.forward(h)));
        match &self.skip {
            Some(skip) => skip.forward(x) + h,
            None => x + h,
        }
    }

    /// Floating-point operations at `side`² pixels (see [`flops`]).
    fn flops_per_sample(&self, side: usize) -> u64 {
        let skip = self.skip.as_ref().map_or(0, |s| flops(s, side * side));
        flops(&self.conv1, side * side)
            + flops(&self.emb, 1)
            + flops(&self.conv2, side * side)
            + skip
    }
}

impl UnetConfig {
    pub fn init(&self, device: &Device) -> Unet {
        let (w, e) = (self.width, self.embed);
        let up = |c: usize| {
            ConvTranspose2dConfig::new([c, c], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(device)
        };
        Unet {
            time1: LinearConfig::new(self.time_features, e).init(device),
            time2: LinearConfig::new(e, e).init(device),
            class_embed: EmbeddingConfig::new(CLASS_TOKENS, e).init(device),
            stem: conv3(1, w, 1, device),
            down0: res_block(w, w, e, device),
            pool0: conv3(w, w, 2, device),
            down1: res_block(w, 2 * w, e, device),
            pool1: conv3(2 * w, 2 * w, 2, device),
            mid: res_block(2 * w, 2 * w, e, device),
            up1: up(2 * w),
            dec1: res_block(4 * w, 2 * w, e, device),
            up0: up(2 * w),
            dec0: res_block(3 * w, w, e, device),
            out_norm: GroupNormConfig::new(8, w).init(device),
            out: conv3(w, 1, 1, device),
            time_features: self.time_features,
        }
    }
}

impl Unet {
    /// Sinusoidal features of timesteps `t` `[B]` → `[B, time_features]`.
    fn time_embedding(&self, t: Tensor<1>) -> Tensor<2> {
        let half = self.time_features / 2;
        let freqs: Vec<f32> = (0..half)
            .map(|i| (-(10_000f32.ln()) * i as f32 / half as f32).exp())
            .collect();
        let freqs = Tensor::<1>::from_data(TensorData::new(freqs, [half]), &t.device());
        let args = t.unsqueeze_dim::<2>(1) * freqs.unsqueeze_dim(0); // [B, half]
        Tensor::cat(vec![args.clone().sin(), args.cos()], 1)
    }

    /// Floating-point operations of one denoising pass over one image (see [`flops`]).
    pub fn flops_per_sample(&self) -> u64 {
        flops(&self.time1, 1)
            + flops(&self.time2, 1)
            + flops(&self.stem, 28 * 28)
            + self.down0.flops_per_sample(28)
            + flops(&self.pool0, 14 * 14)
            + self.down1.flops_per_sample(14)
            + flops(&self.pool1, 7 * 7)
            + self.mid.flops_per_sample(7)
            + flops(&self.up1, 7 * 7)
            + self.dec1.flops_per_sample(14)
            + flops(&self.up0, 14 * 14)
            + self.dec0.flops_per_sample(28)
            + flops(&self.out, 28 * 28)
    }

    /// x_t `[B, 1, 28, 28]` (data scaled to [-1, 1] then noised), timesteps `[B]` (0-based, as floats),
    /// classes `[B]` → predicted noise ε `[B, 1, 28, 28]`.
    pub fn forward(&self, x: Tensor<4>, t: Tensor<1>, classes: Tensor<1, Int>) -> Tensor<4> {
        let temb = self
            .time2
            .forward(silu(self.time1.forward(self.time_embedding(t))));
        let emb = temb
            + self
                .class_embed
                .forward(classes.unsqueeze_dim(1))
                .squeeze_dim(1); // [B, E]
        let h = self.stem.forward(x); // [B, w, 28, 28]
        let s0 = self.down0.forward(h, emb.clone()); // [B, w, 28, 28]
        let s1 = self
            .down1
            .forward(self.pool0.forward(s0.clone()), emb.clone()); // [B, 2w, 14, 14]
        let h = self
            .mid
            .forward(self.pool1.forward(s1.clone()), emb.clone()); // [B, 2w, 7, 7]
        let h = self
            .dec1
            .forward(Tensor::cat(vec![self.up1.forward(h), s1], 1), emb.clone()); // [B, 2w, 14, 14]
        let h = self
            .dec0
            .forward(Tensor::cat(vec![self.up0.forward(h), s0], 1), emb); // [B, w, 28, 28]
        self.out.forward(silu(self.out_norm.forward(h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SIDE;
    use crate::models::class_tokens;

    #[test]
    fn predicts_noise_of_the_input_shape() {
        let device = Device::flex();
        let unet = UnetConfig::new().init(&device);
        let x = Tensor::<4>::zeros([2, 1, SIDE, SIDE], &device);
        let t = Tensor::<1>::from_data(TensorData::new(vec![0f32, 999.0], [2]), &device);
        let eps = unet.forward(x, t, class_tokens(&[Some(0), None], &device));
        assert_eq!(eps.dims(), [2, 1, SIDE, SIDE]);
    }
}
