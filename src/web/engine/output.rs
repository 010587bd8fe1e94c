//! What the binding hands back to the page: plain objects (never `Map`s) with typed arrays for pixels and
//! codes.

use super::{js_err, to_js};
use crate::data::SIDE;
use crate::image::to_bytes;
use crate::link;
use crate::play;
use burn::tensor::Tensor;
use js_sys::{Float32Array, Uint8Array, Uint8ClampedArray, Uint32Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Reads a tensor back to the host without blocking the page.
async fn read<const D: usize>(x: Tensor<D>) -> Result<Vec<f32>, JsError> {
    crate::models::read(x).await.map_err(js_err)
}

/// `[n, 1, 28, 28]` images in [0, 1] as n·28·28 gray bytes.
async fn pixels(x: Tensor<4>) -> Result<Uint8ClampedArray, JsError> {
    Ok(Uint8ClampedArray::from(
        to_bytes(&read(x).await?).as_slice(),
    ))
}

async fn floats<const D: usize>(x: Tensor<D>) -> Result<Float32Array, JsError> {
    Ok(Float32Array::from(read(x).await?.as_slice()))
}

/// A typed array, or `undefined` (left out of the object) when there is none.
async fn maybe_floats<const D: usize>(x: Option<Tensor<D>>) -> Result<JsValue, JsError> {
    Ok(match x {
        Some(x) => floats(x).await?.into(),
        None => JsValue::UNDEFINED,
    })
}

/// The classifier's reading of images: `{classes, confidences, features, dim}`.
#[derive(Serialize)]
pub(super) struct Reading {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    classes: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    confidences: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    features: JsValue,
    dim: usize,
}

impl Reading {
    pub(super) async fn of(r: play::Reading) -> Result<JsValue, JsError> {
        let dim = r.features.dims()[1];
        let classes: Vec<u8> = read(r.classes.float())
            .await?
            .iter()
            .map(|&c| c as u8)
            .collect();
        to_js(&Reading {
            classes: Uint8Array::from(classes.as_slice()).into(),
            confidences: floats(r.confidences).await?.into(),
            features: floats(r.features).await?.into(),
            dim,
        })
    }
}

/// Nearest neighbours: `{indices, distances}`, k per query.
#[derive(Serialize)]
pub(super) struct Neighbours {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    indices: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    distances: JsValue,
}

impl Neighbours {
    pub(super) fn of(indices: Vec<u32>, distances: Vec<f32>) -> Result<JsValue, JsError> {
        to_js(&Neighbours {
            indices: Uint32Array::from(indices.as_slice()).into(),
            distances: Float32Array::from(distances.as_slice()).into(),
        })
    }
}

/// Scores of images: `{scores}`.
#[derive(Serialize)]
pub(super) struct Scores {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    scores: JsValue,
}

impl Scores {
    pub(super) async fn of(scores: Tensor<1>) -> Result<JsValue, JsError> {
        to_js(&Scores {
            scores: floats(scores).await?.into(),
        })
    }
}

/// Images with what the page shows beside them: `{n, width, height, pixels}`, plus `latent` and `latents`
/// (n·`latent` codes) for GAN / VAE samples and the discriminator's `scores` for GAN samples.
#[derive(Serialize)]
pub(super) struct Samples {
    n: usize,
    width: usize,
    height: usize,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pixels: Uint8ClampedArray,
    #[serde(skip_serializing_if = "Option::is_none")]
    latent: Option<usize>,
    #[serde(
        with = "serde_wasm_bindgen::preserve",
        skip_serializing_if = "JsValue::is_undefined"
    )]
    latents: JsValue,
    #[serde(
        with = "serde_wasm_bindgen::preserve",
        skip_serializing_if = "JsValue::is_undefined"
    )]
    scores: JsValue,
}

impl Samples {
    pub(super) async fn of(s: play::Samples) -> Result<JsValue, JsError> {
        let latent = s.latents.as_ref().map(|z| z.dims()[1]);
        to_js(&Samples {
            n: s.images.dims()[0],
            width: SIDE,
            height: SIDE,
            pixels: pixels(s.images).await?,
            latent,
            latents: maybe_floats(s.latents).await?,
            scores: maybe_floats(s.scores).await?,
        })
    }

    pub(super) async fn images(x: Tensor<4>) -> Result<JsValue, JsError> {
        Self::of(play::Samples {
            images: x,
            latents: None,
            scores: None,
        })
        .await
    }
}

/// The VAE's posterior of an image and its reconstruction.
#[derive(Serialize)]
pub(super) struct Encoding {
    latent: usize,
    n: usize,
    width: usize,
    height: usize,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pixels: Uint8ClampedArray,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    mu: Float32Array,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    sigma: Float32Array,
}

impl Encoding {
    pub(super) async fn of(e: play::Encoding) -> Result<JsValue, JsError> {
        to_js(&Encoding {
            latent: e.mu.dims()[1],
            n: 1,
            width: SIDE,
            height: SIDE,
            pixels: pixels(e.reconstruction).await?,
            mu: floats(e.mu).await?,
            sigma: floats(e.sigma).await?,
        })
    }
}

/// A frame of a recorded run; `x0` is `null` before the first step.
#[derive(Serialize)]
pub(super) struct Frame {
    index: usize,
    t: usize,
    n: usize,
    width: usize,
    height: usize,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    xt: Uint8ClampedArray,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    x0: JsValue,
}

impl Frame {
    pub(super) async fn of(f: play::Frame) -> Result<JsValue, JsError> {
        let x0 = match f.x0 {
            Some(x0) => pixels(x0).await?.into(),
            None => JsValue::NULL,
        };
        to_js(&Frame {
            index: f.index,
            t: f.t,
            n: f.x_t.dims()[0],
            width: SIDE,
            height: SIDE,
            xt: pixels(f.x_t).await?,
            x0,
        })
    }
}

/// The state of a share link and the notices of the fields that were not used.
#[derive(Serialize)]
pub(super) struct Link {
    pub(super) state: link::State,
    /// A speed result the link shares, or null.
    pub(super) speed: Option<crate::speed::SpeedResult>,
    pub(super) notices: Vec<String>,
}
