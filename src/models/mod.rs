//! The three families. Each model is one definition used for training (autodiff device) and for sampling
//! (CPU or WebGPU device). Images enter and leave the public sampling functions in [0, 1] as
//! `[batch, 1, 28, 28]` tensors; each family rescales internally to what it was trained on.

pub mod classifier;
pub mod diffusion;
pub mod gan;
pub mod unet;
pub mod vae;
pub mod weights;

use crate::data::{Dataset, PIXELS, SIDE};
use crate::rng::Rng;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use classifier::Classifier;
use gan::Gan;
use std::fmt;
use unet::Unet;
use vae::Vae;

/// Class tokens: 0–9 are the dataset's classes, [`NULL_CLASS`] means "no class" (unconditional).
pub const NULL_CLASS: usize = 10;
/// Size of every class-embedding table (ten classes plus the "no class" token).
pub const CLASS_TOKENS: usize = 11;

/// The three model families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    Gan,
    Vae,
    Diffusion,
}

crate::knob::named_knob!(Family, "family");

impl Family {
    pub const ALL: [Family; 3] = [Family::Gan, Family::Vae, Family::Diffusion];

    /// The name used on the command line, in URLs and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Family::Gan => "gan",
            Family::Vae => "vae",
            Family::Diffusion => "diffusion",
        }
    }

    /// Its place in [`Family::ALL`] (the declaration order, which `ALL` follows).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a model file holds: a generator of one of the three families, or the classifier that scores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Family(Family),
    Classifier,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Family(Family::Gan),
        Kind::Family(Family::Vae),
        Kind::Family(Family::Diffusion),
        Kind::Classifier,
    ];

    /// The family's name, or `classifier`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Family(f) => f.name(),
            Kind::Classifier => "classifier",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown model {} (expected `gan`, `vae`, `diffusion` or `classifier`)",
                    crate::knob::quote(name)
                )
            })
    }

    /// The family, for the three generators.
    pub fn family(self) -> Option<Family> {
        match self {
            Kind::Family(f) => Some(f),
            Kind::Classifier => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A trained model of any kind.
// Models are few and long-lived: boxing the large ones would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Model {
    Gan(Gan),
    Vae(Vae),
    Diffusion(Unet),
    Classifier(Classifier),
}

impl Model {
    pub fn kind(&self) -> Kind {
        match self {
            Model::Gan(_) => Kind::Family(Family::Gan),
            Model::Vae(_) => Kind::Family(Family::Vae),
            Model::Diffusion(_) => Kind::Family(Family::Diffusion),
            Model::Classifier(_) => Kind::Classifier,
        }
    }

    pub fn num_params(&self) -> usize {
        match self {
            Model::Gan(m) => m.num_params(),
            Model::Vae(m) => m.num_params(),
            Model::Diffusion(m) => m.num_params(),
            Model::Classifier(m) => m.num_params(),
        }
    }

    /// Size of a sample's latent code: z of a GAN or VAE, the starting noise x_T of a diffusion model.
    pub fn latent_size(&self) -> Result<usize, String> {
        match self {
            Model::Gan(gan) => Ok(gan.generator.latent()),
            Model::Vae(vae) => Ok(vae.latent()),
            Model::Diffusion(_) => Ok(PIXELS),
            Model::Classifier(_) => Err(self.no_latents()),
        }
    }

    /// Images `[n, 1, 28, 28]` in [0, 1] that a GAN or VAE decodes from latent codes `z` `[n, latent]` (as
    /// drawn — truncation and temperature already applied — or edited).
    pub fn decode(&self, z: Tensor<2>, tokens: Tensor<1, Int>) -> Result<Tensor<4>, String> {
        match self {
            Model::Gan(gan) => Ok(gan.generator.sample(z, tokens)),
            Model::Vae(vae) => Ok(vae.decode(z, tokens)),
            _ => Err(format!(
                "the {} model does not decode codes in one pass",
                self.kind()
            )),
        }
    }

    /// The error for a model without latent codes (a diffusion model or a classifier).
    pub fn no_latents(&self) -> String {
        format!("the {} model has no latent codes", self.kind())
    }
}

/// Class tokens for a batch: `None` is the "no class" token.
pub fn class_tokens(classes: &[Option<usize>], device: &Device) -> Tensor<1, Int> {
    let tokens: Vec<i64> = classes
        .iter()
        .map(|c| c.unwrap_or(NULL_CLASS) as i64)
        .collect();
    Tensor::from_data(TensorData::new(tokens, [classes.len()]), device)
}

/// A `[dims]` tensor of standard normal noise drawn from `rng` on the host, so that a seed gives the same
/// noise on every backend.
pub fn normal<const D: usize>(rng: &mut Rng, dims: [usize; D], device: &Device) -> Tensor<D> {
    let n = dims.iter().product();
    Tensor::from_data(TensorData::new(rng.normals(n), dims), device)
}

/// A tensor's values, read back without blocking (WebGPU in a browser can only read asynchronously).
pub async fn read<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, String> {
    t.into_data_async()
        .await
        .map_err(|e| format!("reading back from the device failed: {e:?}"))?
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

/// Standard normal noise `[rngs.len(), …]`: row i from generator i.
pub fn normal_rows<const D: usize>(
    rngs: &mut [Rng],
    dims: [usize; D],
    device: &Device,
) -> Tensor<D> {
    let per = dims[1..].iter().product();
    let values = rngs.iter_mut().flat_map(|r| r.normals(per)).collect();
    Tensor::from_data(TensorData::new(values, dims), device)
}

/// `[batch, 1, 28, 28]` images from bytes (0–255) to [0, 1].
pub fn images_from_bytes(bytes: &[u8], device: &Device) -> Tensor<4> {
    let n = bytes.len() / (SIDE * SIDE);
    let values: Vec<f32> = bytes.iter().map(|&b| b as f32 / 255.0).collect();
    Tensor::from_data(TensorData::new(values, [n, 1, SIDE, SIDE]), device)
}

/// The dataset's images `indices` as tensors of up to `size` images each, in order.
pub fn image_batches<'a>(
    data: &'a Dataset,
    indices: &'a [usize],
    size: usize,
    device: &'a Device,
) -> impl Iterator<Item = Tensor<4>> + 'a {
    indices.chunks(size).map(move |chunk| {
        let pixels: Vec<u8> = chunk.iter().flat_map(|&i| data.image(i).to_vec()).collect();
        images_from_bytes(&pixels, device)
    })
}

/// Floating-point operations of a convolution or linear layer applied at `positions` places (output pixels of
/// a convolution, input pixels of a transposed one, 1 for a linear layer): two per parameter and place, i.e.
/// the multiply-adds of the weights plus the bias adds. Norms, activations and embeddings are not counted.
pub fn flops<M: Module>(layer: &M, positions: usize) -> u64 {
    2 * layer.num_params() as u64 * positions as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_indexes_its_place_in_the_list() {
        for (i, family) in Family::ALL.into_iter().enumerate() {
            assert_eq!(family.index(), i);
        }
    }
}
