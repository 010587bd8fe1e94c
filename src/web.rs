//! The JavaScript binding of the page (wasm only). It only binds: options are parsed and models run by the
//! rest of the crate (`generate`, `play`, `link`); `www/` draws what comes back.

use crate::data::{DatasetKind, SIDE};
use crate::generate::{Request, Scalar, whole};
use crate::image::to_bytes;
use crate::link;
use crate::models::diffusion::T;
use crate::models::weights::{Model, ModelFile};
use crate::models::{Family, Kind};
use crate::play::{self, Origin, Recording};
use burn::tensor::{Device, Tensor};
use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A plain object built field by field.
struct Out(Object);

impl Out {
    fn new() -> Self {
        Self(Object::new())
    }

    fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        // Setting a data property on a fresh plain object cannot fail.
        let _ = Reflect::set(&self.0, &key.into(), &value.into());
        self
    }

    /// `n`, `width`, `height` and `pixels` of `[n, 1, 28, 28]` images in [0, 1].
    async fn images(self, key: &str, x: Tensor<4>) -> Result<Self, JsError> {
        let n = x.dims()[0];
        let pixels = Uint8ClampedArray::from(to_bytes(&read(x).await?).as_slice());
        Ok(self
            .set("n", n)
            .set("width", SIDE)
            .set("height", SIDE)
            .set(key, pixels))
    }

    async fn floats<const D: usize>(self, key: &str, x: Tensor<D>) -> Result<Self, JsError> {
        let values = read(x).await?;
        Ok(self.set(key, Float32Array::from(values.as_slice())))
    }

    /// Images, and the latent codes and scores of GAN / VAE samples.
    async fn samples(self, s: play::Samples) -> Result<Self, JsError> {
        let mut out = self.images("pixels", s.images).await?;
        if let Some(z) = s.latents {
            out = out.set("latent", z.dims()[1]).floats("latents", z).await?;
        }
        if let Some(p) = s.scores {
            out = out.floats("scores", p).await?;
        }
        Ok(out)
    }
}

impl From<Out> for JsValue {
    fn from(out: Out) -> Self {
        out.0.into()
    }
}

/// Reads a tensor back to the host without blocking the page.
async fn read<const D: usize>(x: Tensor<D>) -> Result<Vec<f32>, JsError> {
    x.into_data_async()
        .await
        .map_err(|e| js_err(format!("{e:?}")))?
        .try_to_vec::<f32>()
        .map_err(|e| js_err(format!("{e:?}")))
}

/// The option names of `options` (a plain object) that `Request` knows, as a request; fields named in
/// `extra` are handed back as they are.
fn parse_options(
    options: &JsValue,
    extra: &[&str],
) -> Result<(Request, HashMap<String, JsValue>), JsError> {
    if !options.is_object() {
        return Err(js_err("options must be an object"));
    }
    let mut fields = Vec::new();
    let mut rest = HashMap::new();
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let name = key.as_string().unwrap_or_default();
        let value = Reflect::get(options, &key).map_err(|_| js_err("can't read the options"))?;
        if extra.contains(&name.as_str()) {
            rest.insert(name, value);
            continue;
        }
        let scalar = if value.is_undefined() || value.is_null() {
            None
        } else if let Some(x) = value.as_f64() {
            Some(Scalar::Number(x))
        } else if let Some(t) = value.as_string() {
            Some(Scalar::Text(t))
        } else {
            return Err(js_err(format!("{name} must be a number or text")));
        };
        fields.push((name, scalar));
    }
    Ok((Request::from_fields(fields).map_err(js_err)?, rest))
}

/// A typed-array (or plain array) field of `fields`, converted with `convert`.
fn array<T>(
    fields: &HashMap<String, JsValue>,
    name: &str,
    convert: impl Fn(&JsValue) -> Vec<T>,
) -> Result<Vec<T>, JsError> {
    match fields.get(name) {
        Some(v) if v.is_object() => Ok(convert(v)),
        _ => Err(js_err(format!("{name} is required (an array)"))),
    }
}

fn bytes_of(fields: &HashMap<String, JsValue>, name: &str) -> Result<Vec<u8>, JsError> {
    array(fields, name, |v| Uint8Array::new(v).to_vec())
}

fn floats_of(fields: &HashMap<String, JsValue>, name: &str) -> Result<Vec<f32>, JsError> {
    array(fields, name, |v| Float32Array::new(v).to_vec())
}

fn number_of(fields: &HashMap<String, JsValue>, name: &str) -> Result<f64, JsError> {
    fields
        .get(name)
        .and_then(JsValue::as_f64)
        .ok_or_else(|| js_err(format!("{name} must be a number")))
}

/// Models on one backend.
#[wasm_bindgen]
pub struct Engine {
    device: Device,
    backend: String,
    models: HashMap<(Kind, DatasetKind), ModelFile>,
}

impl Engine {
    fn model(&self, kind: Kind, dataset: DatasetKind) -> Result<&Model, JsError> {
        self.models
            .get(&(kind, dataset))
            .map(|f| &f.model)
            .ok_or_else(|| js_err(format!("the {kind}-{dataset} model is not loaded")))
    }

    /// The model a request names (its family and dataset).
    fn model_of(&self, request: &Request) -> Result<&Model, JsError> {
        let (family, dataset) = request.model().map_err(js_err)?;
        self.model(Kind::Family(family), dataset)
    }
}

#[wasm_bindgen]
impl Engine {
    /// An engine on `backend`: `"webgpu"` (fails when the browser has no usable adapter) or `"cpu"`.
    pub async fn create(backend: String) -> Result<Engine, JsError> {
        let device = match backend.as_str() {
            "webgpu" => Device::wgpu_options()
                .init_async()
                .await
                .map_err(|e| js_err(format!("WebGPU is not available: {e}")))?,
            "cpu" => Device::flex(),
            other => {
                return Err(js_err(format!(
                    "unknown backend `{other}` (expected `webgpu` or `cpu`)"
                )));
            }
        };
        Ok(Engine {
            device,
            backend,
            models: HashMap::new(),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// Loads a model file (its bytes); returns `"<kind>-<dataset>"`, e.g. `"gan-mnist"`.
    #[wasm_bindgen(js_name = loadModel)]
    pub fn load_model(&mut self, bytes: Vec<u8>) -> Result<String, JsError> {
        let file = ModelFile::from_bytes(bytes, &self.device).map_err(js_err)?;
        let key = format!("{}-{}", file.kind, file.dataset);
        self.models.insert((file.kind, file.dataset), file);
        Ok(key)
    }

    /// Generates with `options` (the names of the URL: family, dataset, class, seed, n, truncation,
    /// temperature, sampler, steps, eta, guidance); resolves to `{n, width, height, pixels}` with `pixels`
    /// n·28·28 gray bytes, plus `latents` (n·`latent`) for GAN / VAE and the discriminator's `scores` for GAN
    /// unless `options.scores` is `false` (the benchmark times the generator alone).
    pub async fn generate(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, fields) = parse_options(&options, &["scores"])?;
        let model = self.model_of(&request)?;
        let scores = fields
            .get("scores")
            .and_then(JsValue::as_bool)
            .unwrap_or(true);
        let options = request.options().map_err(js_err)?;
        let samples = play::samples(model, &options, scores, &self.device).map_err(js_err)?;
        Ok(Out::new().samples(samples).await?.into())
    }

    /// Decodes `{family, dataset, class, latents}` (GAN / VAE codes, e.g. edited by a slider); resolves like
    /// `generate`.
    pub async fn decode(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, fields) = parse_options(&options, &["latents"])?;
        let model = self.model_of(&request)?;
        let class = request.options().map_err(js_err)?.class;
        let latents = floats_of(&fields, "latents")?;
        let samples = play::decode(model, &latents, class, &self.device).map_err(js_err)?;
        Ok(Out::new().samples(samples).await?.into())
    }

    /// `{family, dataset, class, from, to, frames}`: `frames` images along the path between two codes.
    pub async fn interpolate(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, fields) = parse_options(&options, &["from", "to", "frames"])?;
        let model = self.model_of(&request)?;
        let class = request.options().map_err(js_err)?.class;
        let (from, to) = (floats_of(&fields, "from")?, floats_of(&fields, "to")?);
        let frames = whole(
            "frames",
            number_of(&fields, "frames")?,
            play::MAX_FRAMES as f64,
        )
        .map_err(js_err)?;
        let samples = play::interpolate(model, &from, &to, frames as usize, class, &self.device)
            .map_err(js_err)?;
        Ok(Out::new().samples(samples).await?.into())
    }

    /// `{dataset, class, image}`: the VAE's `mu` and `sigma` of a 28×28 image and its reconstruction
    /// (`pixels`).
    pub async fn encode(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, fields) = parse_options(&options, &["image"])?;
        let (_, dataset) = request.model().map_err(js_err)?;
        let class = request.options().map_err(js_err)?.class;
        let Model::Vae(vae) = self.model(Kind::Family(Family::Vae), dataset)? else {
            return Err(js_err("not a VAE"));
        };
        let image = bytes_of(&fields, "image")?;
        let e = play::encode(vae, &image, class, &self.device).map_err(js_err)?;
        let out = Out::new().set("latent", vae.latent());
        let out = out.images("pixels", e.reconstruction).await?;
        Ok(out
            .floats("mu", e.mu)
            .await?
            .floats("sigma", e.sigma)
            .await?
            .into())
    }

    /// `{image, t, seed}`: the forward process applied to a 28×28 image (t = 0 clean … 1000 noise).
    pub async fn noise(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, fields) = parse_options(&options, &["image", "t"])?;
        let seed = request.options().map_err(js_err)?.seed;
        let t = whole("t", number_of(&fields, "t")?, T as f64).map_err(js_err)?;
        let image = bytes_of(&fields, "image")?;
        let x = play::noise(&image, t as usize, seed, &self.device).map_err(js_err)?;
        Ok(Out::new().images("pixels", x).await?.into())
    }

    /// A diffusion run of `options` to step through. `start`: `{kind: 'noise'}` (or absent),
    /// `{kind: 'image', image, strength}` or `{kind: 'inpaint', image, mask}` with one 28×28 image for
    /// all samples.
    #[wasm_bindgen(js_name = startRun)]
    pub fn start_run(&self, options: JsValue, start: JsValue) -> Result<Run, JsError> {
        let (request, _) = parse_options(&options, &[])?;
        let Model::Diffusion(unet) = self.model_of(&request)? else {
            return Err(js_err("a run needs family 'diffusion'"));
        };
        let options = request.options().map_err(js_err)?;
        let (start, fields) = if start.is_undefined() || start.is_null() {
            (String::from("noise"), HashMap::new())
        } else {
            let (_, fields) = parse_options(&start, &["kind", "image", "mask", "strength"])?;
            let kind = fields.get("kind").and_then(JsValue::as_string);
            (kind.unwrap_or_else(|| "noise".into()), fields)
        };
        let image = || bytes_of(&fields, "image");
        let origin = match start.as_str() {
            "noise" => Origin::Noise,
            "image" => Origin::Image {
                image: image()?,
                strength: number_of(&fields, "strength")? as f32,
            },
            "inpaint" => Origin::Inpaint {
                image: image()?,
                mask: bytes_of(&fields, "mask")?,
            },
            other => {
                return Err(js_err(format!(
                    "unknown start `{other}` (expected noise, image or inpaint)"
                )));
            }
        };
        let recording =
            Recording::new(unet.clone(), &options, origin, &self.device).map_err(js_err)?;
        Ok(Run { recording })
    }
}

/// A diffusion run, stepped by the page; its frames stay on the device until one is asked for.
#[wasm_bindgen]
pub struct Run {
    recording: Recording,
}

#[wasm_bindgen]
impl Run {
    /// Steps in the whole run.
    #[wasm_bindgen(getter, js_name = len)]
    pub fn steps(&self) -> usize {
        self.recording.len()
    }

    /// Steps taken.
    #[wasm_bindgen(getter)]
    pub fn position(&self) -> usize {
        self.recording.position()
    }

    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.recording.is_done()
    }

    /// Takes up to `k` steps; returns how many were taken.
    pub fn step(&mut self, k: usize) -> usize {
        self.recording.step(k)
    }

    /// Frame `index` (0 = the start): `{index, t, n, width, height, xt, x0}`; `x0` is null at the start.
    pub async fn frame(&self, index: usize) -> Result<JsValue, JsError> {
        let f = self.recording.frame(index).clone();
        let out = Out::new().set("index", f.index).set("t", f.t);
        let out = out.images("xt", f.x_t).await?;
        Ok(match f.x0 {
            Some(x0) => out.images("x0", x0).await?,
            None => out.set("x0", JsValue::NULL),
        }
        .into())
    }

    /// The current images: the samples once the run is done.
    pub async fn images(&self) -> Result<JsValue, JsError> {
        Ok(Out::new()
            .images("pixels", self.recording.images())
            .await?
            .into())
    }
}

/// The state a share link's query describes: `{state, notices}`; never throws.
#[wasm_bindgen(js_name = decodeLink)]
pub fn decode_link(query: &str) -> JsValue {
    let (state, notices) = link::decode(query);
    let notices: Array = notices.into_iter().map(JsValue::from).collect();
    Out::new()
        .set("state", state_object(&state))
        .set("notices", notices)
        .into()
}

/// The query (with `?`) of a link to the page state `state` (the object `decodeLink` returns); throws when
/// a field is invalid.
#[wasm_bindgen(js_name = encodeLink)]
pub fn encode_link(state: JsValue) -> Result<String, JsError> {
    if !state.is_object() {
        return Err(js_err("state must be an object"));
    }
    let mut fields = Vec::new();
    for key in Object::keys(state.unchecked_ref::<Object>()).iter() {
        let value = Reflect::get(&state, &key).map_err(|_| js_err("can't read the state"))?;
        let text = if value.is_null() || value.is_undefined() {
            continue;
        } else if let Some(x) = value.as_f64() {
            x.to_string()
        } else if let Some(t) = value.as_string() {
            t
        } else {
            return Err(js_err(format!(
                "{}: must be a number or text",
                key.as_string().unwrap_or_default()
            )));
        };
        fields.push((key.as_string().unwrap_or_default(), text));
    }
    let state = link::from_fields(&fields).map_err(js_err)?;
    Ok(format!("?{}", link::encode(&state)))
}

/// An `f32` as the number its shortest decimal names (0.6, not 0.6000000238418579).
fn short(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

fn state_object(s: &link::State) -> JsValue {
    let o = &s.options;
    let d = &o.diffusion;
    Out::new()
        .set("view", s.view.name())
        .set("family", s.family.name())
        .set("dataset", s.dataset.name())
        .set(
            "class",
            o.class.map_or(JsValue::from("none"), JsValue::from),
        )
        .set("seed", o.seed as f64)
        .set("n", o.n)
        .set("truncation", short(o.truncation))
        .set("temperature", short(o.temperature))
        .set("sampler", d.sampler.name())
        .set("steps", d.steps)
        .set("eta", short(d.eta))
        .set("guidance", short(d.guidance))
        .set("frame", s.frame.map_or(JsValue::NULL, JsValue::from))
        .set("t", s.t)
        .set("strength", short(s.strength))
        .into()
}
