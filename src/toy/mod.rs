//! The Train view: GAN, VAE and diffusion learning the same 2-D data side by side, live. The data
//! ([`data`]), the three small families ([`models`]), how each learns ([`families`]) and samples
//! ([`sampler`]), one family's run with its measures
//! and pictures ([`run`]), the measures themselves ([`metrics`]) and the set-up a link carries ([`setup`]).
//! Target-independent: tested natively, run in the page by the training module (`src/web/train.rs`).

pub mod data;
pub mod families;
pub mod metrics;
pub mod models;
pub mod run;
pub mod sampler;
pub mod setup;

/// Runs a future that never waits (every read on the CPU device is ready at once) to its end: the
/// native tests' way to call the async runs.
#[cfg(test)]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
