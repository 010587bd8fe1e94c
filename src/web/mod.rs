//! The JavaScript bindings (wasm only). They only bind: options are parsed, models run and trained by the
//! rest of the crate; `www/` draws what comes back.
//! - [`engine`] (feature `web`, this crate's cdylib): the page's engine — sampling, the Play view's tools.
//! - `src/web/train.rs` (feature `web-train`, the `trilemma-train` binary): the Train view's module.
//! - [`boot`]: what both do the same way.

pub mod boot;
#[cfg(feature = "web")]
pub mod engine;
