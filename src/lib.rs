//! trilemma: small GAN, VAE and diffusion models of MNIST and Fashion-MNIST, trained and sampled with burn.
//!
//! Layers, from the bottom: [`data`] (datasets and their cache) → [`models`] (one definition per family,
//! used by training and by the page) → [`train`] (native only: training, sampling CLI) → [`web`] (wasm only:
//! the JavaScript binding of the page in `www/`).

#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod cli;
pub mod data;
pub mod generate;
pub mod image;
pub mod models;
pub mod rng;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod train;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod web;
