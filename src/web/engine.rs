//! The page's engine: models on one backend. Options are parsed and models run by the rest of the crate
//! (`generate`, `play`, `link`); `www/` draws what comes back. Plain data crosses with
//! `serde-wasm-bindgen` (`input` reads the page's objects, `output` writes the answers); pixels and codes
//! cross as typed arrays.

mod input;
mod output;

use super::boot::{js_err, to_js};
use crate::data::DatasetKind;
use crate::generate::Request;
use crate::knob::Knob;
use crate::link;
use crate::models::diffusion::{Strength, Timestep};
use crate::models::weights::{Checksums, ModelFile};
use crate::models::{Family, Kind, Model};
use crate::play::{self, Frames, Origin, Recording};
use crate::vocabulary::Backend;
use burn::tensor::Device;
use input::{bytes_of, fields, floats_of, knob_of, parse_options, part_of};
use output::{Encoding, Frame, Link, Neighbours, Reading, Samples, Scores};
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {
    super::boot::start();
}

/// Models on one backend.
#[wasm_bindgen]
pub struct Engine {
    device: Device,
    backend: Backend,
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
        self.model(Kind::Family(request.family), request.dataset)
    }
}

#[wasm_bindgen]
impl Engine {
    /// An engine on `backend`: `"webgpu"` (fails when the browser has no usable adapter) or `"cpu"`.
    pub async fn create(backend: String) -> Result<Engine, JsError> {
        let (backend, device) = super::boot::device(&backend).await?;
        Ok(Engine {
            device,
            backend,
            models: HashMap::new(),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.name().into()
    }

    /// Loads model file `file` (its path as fetched, e.g. `models/gan-mnist.bpk`) from its `bytes`, once
    /// they are the bytes this build's checksum list records for it (a damaged or swapped file is an error
    /// naming it); returns `"<kind>-<dataset>"`, e.g. `"gan-mnist"`.
    #[wasm_bindgen(js_name = loadModel)]
    pub fn load_model(&mut self, file: &str, bytes: Vec<u8>) -> Result<String, JsError> {
        let checksums = Checksums::shipped().map_err(js_err)?;
        let file = ModelFile::load(file, bytes, &checksums, &self.device).map_err(js_err)?;
        let key = format!("{}-{}", file.kind, file.dataset);
        self.models.insert((file.kind, file.dataset), file);
        Ok(key)
    }

    /// Generates with `options` (the names of the URL: family, dataset, class, seed, n, truncation,
    /// temperature, sampler, steps, eta, guidance); resolves to `{n, width, height, pixels}` with `pixels`
    /// n·28·28 gray bytes, plus `latents` (n·`latent`) for GAN / VAE and the discriminator's `scores` for GAN
    /// unless `options.scores` is `false` (the benchmark times the generator alone). `options.first` and
    /// `options.count` ask for only samples `first..first + count` of the n (the same pixels).
    pub async fn generate(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, extra) = parse_options(&options, &["scores", "first", "count"])?;
        let part = part_of(&extra, &request)?;
        let scores = extra
            .get("scores")
            .and_then(JsValue::as_bool)
            .unwrap_or(true);
        let model = self.model_of(&request)?;
        let samples =
            play::samples(model, &request.options, part, scores, &self.device).map_err(js_err)?;
        Samples::of(samples).await
    }

    /// Floating-point operations of one sample of a `generate` with `options` (its model loaded): what the
    /// benchmark divides by the time for GFLOP/s.
    pub fn flops(&self, options: JsValue) -> Result<f64, JsError> {
        let (request, _) = parse_options(&options, &["scores", "first", "count"])?;
        let o = &request.options;
        let guided = o.diffusion.guided(o.class.get().is_some());
        Ok(crate::generate::flops_per_sample(self.model_of(&request)?, o, guided) as f64)
    }

    /// Decodes `{family, dataset, class, latents}` (GAN / VAE codes, e.g. edited by a slider, or diffusion
    /// starting noise with the diffusion options); resolves like `generate`.
    pub async fn decode(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, extra) = parse_options(&options, &["latents"])?;
        let latents = floats_of(&extra, "latents")?;
        let model = self.model_of(&request)?;
        let samples =
            play::decode(model, &latents, &request.options, &self.device).map_err(js_err)?;
        Samples::of(samples).await
    }

    /// `{family, dataset, class, from, to, frames}`: `frames` images along the path between two codes.
    pub async fn interpolate(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, extra) = parse_options(&options, &["from", "to", Frames::NAME])?;
        let frames: Frames = knob_of(&extra)?;
        let (from, to) = (floats_of(&extra, "from")?, floats_of(&extra, "to")?);
        let model = self.model_of(&request)?;
        let samples = play::interpolate(model, &from, &to, frames, &request.options, &self.device)
            .map_err(js_err)?;
        Samples::of(samples).await
    }

    /// `{dataset, class, image}`: the VAE's `mu` and `sigma` of a 28×28 image and its reconstruction
    /// (`pixels`).
    pub async fn encode(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, extra) = parse_options(&options, &["image"])?;
        let image = bytes_of(&extra, "image")?;
        let Model::Vae(vae) = self.model(Kind::Family(Family::Vae), request.dataset)? else {
            return Err(js_err("not a VAE"));
        };
        let e = play::encode(vae, &image, request.options.class, &self.device).map_err(js_err)?;
        Encoding::of(e).await
    }

    /// `{dataset, class, images}`: the GAN discriminator's probability "real" of each of n 28×28 images
    /// (n·784 gray bytes), as `scores` — e.g. real test images, the reference for the samples' scores.
    pub async fn realness(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, extra) = parse_options(&options, &["images"])?;
        let images = bytes_of(&extra, "images")?;
        let Model::Gan(gan) = self.model(Kind::Family(Family::Gan), request.dataset)? else {
            return Err(js_err("not a GAN"));
        };
        let scores =
            play::realness(gan, &images, request.options.class, &self.device).map_err(js_err)?;
        Scores::of(scores).await
    }

    /// `{dataset, images}`: the dataset's classifier reading n 28×28 images (n·784 gray bytes): each one's
    /// `classes` (bytes), `confidences` and `features` (n·`dim` floats, the scoreboard's feature space).
    pub async fn classify(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, extra) = parse_options(&options, &["images"])?;
        let images = bytes_of(&extra, "images")?;
        let Model::Classifier(classifier) = self.model(Kind::Classifier, request.dataset)? else {
            return Err(js_err("not a classifier"));
        };
        let reading = play::classify(classifier, &images, &self.device).map_err(js_err)?;
        Reading::of(reading).await
    }

    /// Precision and recall of `generated` features against `real` ones (rows of `dim`), as the scoreboard
    /// measures them: `[precision, recall]`.
    #[wasm_bindgen(js_name = precisionRecall)]
    pub fn precision_recall(
        &self,
        real: Vec<f32>,
        generated: Vec<f32>,
        dim: usize,
    ) -> Result<Vec<f64>, JsError> {
        let (p, r) = play::precision_recall(&real, &generated, dim).map_err(js_err)?;
        Ok(vec![p, r])
    }

    /// The `k` rows of `set` nearest to each of `queries` (rows of `dim` features): `{indices, distances}`,
    /// k per query, nearest first.
    pub fn nearest(
        &self,
        set: Vec<f32>,
        queries: Vec<f32>,
        dim: usize,
        k: usize,
    ) -> Result<JsValue, JsError> {
        let (indices, distances) = play::nearest(&set, &queries, dim, k).map_err(js_err)?;
        Neighbours::of(indices, distances)
    }

    /// `{image, t, seed}`: the forward process applied to a 28×28 image (t = 0 clean … 1000 noise).
    pub async fn noise(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (request, extra) = parse_options(&options, &["image", Timestep::NAME])?;
        let t: Timestep = knob_of(&extra)?;
        let image = bytes_of(&extra, "image")?;
        let x = play::noise(&image, t, request.options.seed, &self.device).map_err(js_err)?;
        Samples::images(x).await
    }

    /// A diffusion run of `options` to step through. `start`: `{kind: 'noise'}` (or absent),
    /// `{kind: 'image', image, strength}` or `{kind: 'inpaint', image, mask}` with one 28×28 image for
    /// all samples. `options.first` and `options.count` as for `generate`.
    #[wasm_bindgen(js_name = startRun)]
    pub fn start_run(&self, options: JsValue, start: JsValue) -> Result<Run, JsError> {
        let (request, extra) = parse_options(&options, &["first", "count"])?;
        let part = part_of(&extra, &request)?;
        let Model::Diffusion(unet) = self.model_of(&request)? else {
            return Err(js_err("a run needs family 'diffusion'"));
        };
        let (kind, extra) = if start.is_undefined() || start.is_null() {
            (String::from("noise"), HashMap::new())
        } else {
            let extra = &["kind", "image", "mask", Strength::NAME];
            let (_, extra) = fields(&start, "start", extra)?;
            let kind = extra.get("kind").and_then(JsValue::as_string);
            (kind.unwrap_or_else(|| "noise".into()), extra)
        };
        let image = || bytes_of(&extra, "image");
        let origin = match kind.as_str() {
            "noise" => Origin::Noise,
            "image" => Origin::Image {
                image: image()?,
                strength: knob_of(&extra)?,
            },
            "inpaint" => Origin::Inpaint {
                image: image()?,
                mask: bytes_of(&extra, "mask")?,
            },
            other => {
                return Err(js_err(format!(
                    "unknown start `{other}` (expected noise, image or inpaint)"
                )));
            }
        };
        let recording = Recording::new(unet.clone(), &request.options, part, origin, &self.device)
            .map_err(js_err)?;
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
        Frame::of(self.recording.frame(index).clone()).await
    }

    /// The current images: the samples once the run is done; a run from noise adds the samples' `latents`
    /// (their starting noise, `latent` = 784 numbers each), which `decode` and `interpolate` take back.
    pub async fn images(&self) -> Result<JsValue, JsError> {
        Samples::of(play::Samples {
            images: self.recording.images(),
            latents: self.recording.latents(),
            scores: None,
        })
        .await
    }
}

/// What a request of `options` costs: `{samples, steps, guided, passes}` (model passes: a diffusion run's
/// samples × steps, twice with guidance; one a sample for GAN and VAE); throws when an option is invalid.
#[wasm_bindgen(js_name = runCost)]
pub fn run_cost(options: JsValue) -> Result<JsValue, JsError> {
    let (request, _) = parse_options(&options, &[])?;
    to_js(&request.cost())
}

/// The page's vocabulary (see `crate::vocabulary`): families, datasets and class names, views, samplers,
/// option names, every knob's range and default, the default state, the model files.
#[wasm_bindgen]
pub fn vocabulary() -> Result<JsValue, JsError> {
    to_js(&crate::vocabulary::Vocabulary::new())
}

/// The state a share link's query describes: `{state, speed, notices}` (`speed`: a shared speed result,
/// or null); never throws.
#[wasm_bindgen(js_name = decodeLink)]
pub fn decode_link(query: &str) -> Result<JsValue, JsError> {
    let (state, speed, notices) = link::decode_shared(query);
    to_js(&Link {
        state,
        speed,
        notices,
    })
}

/// The query (with `?`) of a link to the page state `state` (the object `decodeLink` returns); throws when
/// a field is invalid.
#[wasm_bindgen(js_name = encodeLink)]
pub fn encode_link(state: JsValue) -> Result<String, JsError> {
    let (fields, _) = fields(&state, "state", &[])?;
    let state = link::from_fields(fields.iter().map(|(k, v)| (k.as_str(), v))).map_err(js_err)?;
    Ok(format!("?{}", link::encode(&state)))
}

/// The link field (`result=…`) sharing the Speed view's result `{backend, workers, adapter, rows: [{family,
/// config, batch, msPerSample}]}`; throws when a value is invalid.
#[wasm_bindgen(js_name = encodeSpeedLink)]
pub fn encode_speed_link(result: JsValue) -> Result<String, JsError> {
    let result: crate::speed::SpeedResult =
        serde_wasm_bindgen::from_value(result).map_err(js_err)?;
    // Checked as a link would be: what is shared is what opens.
    let back = crate::speed::SpeedResult::parse(&result.to_text()).map_err(js_err)?;
    Ok(link::encode_speed(&back))
}
