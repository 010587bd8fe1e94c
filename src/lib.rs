//! trilemma: small GAN, VAE and diffusion models of MNIST and Fashion-MNIST, trained and sampled with burn.
//!
//! Layers, from the bottom: [`data`] (datasets and their cache) → [`models`] (one definition per family,
//! used by training and by the page) → [`train`] and [`eval`] (native
//! only: training, the sampling CLI, the scoreboard) → [`generate`], [`play`], [`link`], [`metrics`], [`toy`] (the
//! Train view's 2-D families) and
//! [`vocabulary`] (target-independent: what the page does, its links, the scoreboard's measures, its names) → [`web`] (wasm only: the JavaScript
//! binding of the page in `www/`).

#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod chart;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod cli;
pub mod data;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod eval;
#[cfg(test)]
mod fuzz;
pub mod generate;
pub mod image;
pub mod knob;
pub mod link;
pub mod metrics;
pub mod models;
pub mod play;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod progress;
pub mod rng;
pub mod speed;
// Training needs burn's autodiff, which only the training module's wasm build has.
#[cfg(any(not(target_arch = "wasm32"), feature = "web-train"))]
pub mod toy;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod train;
pub mod vocabulary;
#[cfg(all(any(feature = "web", feature = "web-train"), target_arch = "wasm32"))]
pub mod web;
