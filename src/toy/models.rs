//! The Train view's three small families on 2-D points, in the image models' idiom: a config that
//! `init`s a module on a device, one definition for training (autodiff device) and sampling.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{leaky_relu, silu};
use burn::tensor::{Device, Tensor};

/// A multi-layer perceptron (its sizes come from [`ToyConfig`]).
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Input features.
    pub input: usize,
    /// Output features.
    pub output: usize,
    /// Units of each hidden layer.
    pub hidden: usize,
    /// Hidden layers.
    pub layers: usize,
    /// Leaky ReLU (the discriminator's, so its gradient never vanishes) instead of SiLU (everyone else's).
    #[config(default = false)]
    pub leaky: bool,
}

/// Hidden layers with an activation, then a linear read-out.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    out: Linear,
    leaky: bool,
}

impl MlpConfig {
    pub fn init(&self, device: &Device) -> Mlp {
        let width = |i| if i == 0 { self.input } else { self.hidden };
        Mlp {
            hidden: (0..self.layers)
                .map(|i| LinearConfig::new(width(i), self.hidden).init(device))
                .collect(),
            out: LinearConfig::new(width(self.layers), self.output).init(device),
            leaky: self.leaky,
        }
    }
}

impl Mlp {
    /// `[B, input]` → `[B, output]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = self.hidden.iter().fold(x, |h, layer| {
            let h = layer.forward(h);
            match self.leaky {
                true => leaky_relu(h, 0.2),
                false => silu(h),
            }
        });
        self.out.forward(h)
    }
}

/// Size of the GAN's latent code (and of the VAE's): 2-D, so the VAE's latent grid is a picture.
pub const LATENT: usize = 2;
/// Width of the diffusion model's sinusoidal time embedding.
pub const TIME_EMBED: usize = 16;

/// Sizes of the three families' networks.
#[derive(Config, Debug)]
pub struct ToyConfig {
    /// Units of each hidden layer, every network.
    #[config(default = 64)]
    pub hidden: usize,
    /// Hidden layers, every network.
    #[config(default = 3)]
    pub layers: usize,
}

impl ToyConfig {
    fn mlp(&self, input: usize, output: usize, leaky: bool, device: &Device) -> Mlp {
        MlpConfig::new(input, output, self.hidden, self.layers)
            .with_leaky(leaky)
            .init(device)
    }

    pub fn init_generator(&self, device: &Device) -> Mlp {
        self.mlp(LATENT, 2, false, device)
    }

    pub fn init_discriminator(&self, device: &Device) -> Mlp {
        self.mlp(2, 1, true, device)
    }

    pub fn init_vae(&self, device: &Device) -> ToyVae {
        ToyVae {
            encoder: self.mlp(2, 2 * LATENT, false, device),
            decoder: self.mlp(LATENT, 4, false, device),
        }
    }

    pub fn init_denoiser(&self, device: &Device) -> Denoiser {
        Denoiser {
            net: self.mlp(2 + TIME_EMBED, 2, false, device),
        }
    }
}

/// A Gaussian over points: `[B, 2]` mean and log-variance.
#[derive(Clone, Debug)]
pub struct Gaussian {
    pub mean: Tensor<2>,
    pub log_var: Tensor<2>,
}

impl Gaussian {
    /// `[B, 2·k]` → the first `k` columns as mean, the rest as log-variance.
    fn split(t: Tensor<2>) -> Self {
        let k = t.dims()[1] / 2;
        let mut halves = t.chunk(2, 1).into_iter();
        let (mean, log_var) = (halves.next().unwrap(), halves.next().unwrap());
        debug_assert_eq!(mean.dims()[1], k);
        Self { mean, log_var }
    }

    /// mean + σ·ε for standard normal `eps` of the same shape.
    pub fn sample(&self, eps: Tensor<2>) -> Tensor<2> {
        self.mean.clone() + (self.log_var.clone() * 0.5).exp() * eps
    }
}

/// A VAE with a 2-D latent code and a Gaussian decoder.
#[derive(Module, Debug)]
pub struct ToyVae {
    encoder: Mlp,
    decoder: Mlp,
}

impl ToyVae {
    /// points `[B, 2]` → q(z | x), `[B, LATENT]` each.
    pub fn encode(&self, x: Tensor<2>) -> Gaussian {
        Gaussian::split(self.encoder.forward(x))
    }

    /// codes `[B, LATENT]` → p(x | z), `[B, 2]` each; the log-variance is kept in [-8, 2] so a point
    /// the decoder is sure of cannot make the likelihood explode.
    pub fn decode(&self, z: Tensor<2>) -> Gaussian {
        let g = Gaussian::split(self.decoder.forward(z));
        Gaussian {
            log_var: g.log_var.clamp(-8.0, 2.0),
            ..g
        }
    }
}

/// The diffusion model's ε-prediction network.
#[derive(Module, Debug)]
pub struct Denoiser {
    net: Mlp,
}

impl Denoiser {
    /// noisy points `[B, 2]` and time embeddings `[B, TIME_EMBED]` → predicted noise `[B, 2]`.
    pub fn forward(&self, x: Tensor<2>, time: Tensor<2>) -> Tensor<2> {
        self.net.forward(Tensor::cat(vec![x, time], 1))
    }
}

/// Sinusoidal embeddings of timesteps `t` of `T` as `[len, TIME_EMBED]` values (row-major).
pub fn time_embedding(t: &[usize], timesteps: usize) -> Vec<f32> {
    let half = TIME_EMBED / 2;
    t.iter()
        .flat_map(|&t| {
            // Scaled to the 0–1000 range of the image models, whatever T is.
            let x = t as f32 * 1000.0 / timesteps as f32;
            let freq = move |i: usize| (-(10_000f32.ln()) * i as f32 / half as f32).exp();
            (0..half)
                .map(move |i| (x * freq(i)).sin())
                .chain((0..half).map(move |i| (x * freq(i)).cos()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_have_their_shapes() {
        let device = Device::flex();
        let config = ToyConfig::new();
        let x = Tensor::<2>::zeros([5, 2], &device);
        assert_eq!(
            config.init_generator(&device).forward(x.clone()).dims(),
            [5, 2]
        );
        assert_eq!(
            config.init_discriminator(&device).forward(x.clone()).dims(),
            [5, 1]
        );
        let vae = config.init_vae(&device);
        let q = vae.encode(x.clone());
        assert_eq!(
            (q.mean.dims(), q.log_var.dims()),
            ([5, LATENT], [5, LATENT])
        );
        assert_eq!(vae.decode(q.mean).mean.dims(), [5, 2]);
        let time = Tensor::from_data(
            burn::tensor::TensorData::new(time_embedding(&[0, 1, 2, 3, 99], 100), [5, TIME_EMBED]),
            &device,
        );
        assert_eq!(
            config.init_denoiser(&device).forward(x, time).dims(),
            [5, 2]
        );
    }

    #[test]
    fn time_embeddings_tell_timesteps_apart() {
        let e = time_embedding(&[0, 50, 51, 90], 100);
        assert_eq!(e.len(), 4 * TIME_EMBED);
        let row = |i: usize| &e[i * TIME_EMBED..(i + 1) * TIME_EMBED];
        let gap = |a: usize, b: usize| -> f32 {
            row(a)
                .iter()
                .zip(row(b))
                .map(|(x, y)| (x - y).powi(2))
                .sum()
        };
        assert!(gap(0, 1) > 0.0);
        // Nearby timesteps embed nearby: the denoiser can share what it learns between them.
        assert!(gap(1, 2) < gap(1, 3), "{} vs {}", gap(1, 2), gap(1, 3));
    }
}
