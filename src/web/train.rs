//! The Train view's wasm module (the `trilemma-train` binary): burn's autodiff and optimizers, which the
//! page's engine never loads; the page fetches this module only when the Train view opens. It only binds:
//! `trilemma::toy` trains, measures and draws; one `Trainer` per family, each in its own worker.

use js_sys::Float32Array;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trilemma::knob::{Knob, Range, Scalar};
use trilemma::models::Family;
use trilemma::toy::data::{self, Data, Point, Shape};
use trilemma::toy::run::{self, Run};
use trilemma::toy::setup::{self, Objective, Setup};
use wasm_bindgen::prelude::*;

// As in the engine (src/web/mod.rs): the linked crates' static constructors, run once here, or wasm-ld
// runs them again at the top of every exported function.
unsafe extern "C" {
    fn __wasm_call_ctors();
}

fn main() {
    // SAFETY: wasm-ld's constructor list, run once, at instantiation (wasm-bindgen starts with `main`).
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Plain objects (never `Map`s); absent values become `null`.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_err)
}

/// A set-up field as the page or the API gives it: a number or text, a list of family names, or a
/// drawing's points as `[x, y]` pairs.
#[derive(Deserialize)]
#[serde(untagged)]
enum Field {
    Scalar(Scalar),
    Names(Vec<String>),
    Points(Vec<[f32; 2]>),
}

/// The set-up the options object names; any bad field is an error naming it.
fn setup_of(options: JsValue) -> Result<Setup, JsError> {
    let fields: BTreeMap<String, Field> = serde_wasm_bindgen::from_value(options)
        .map_err(|_| js_err("options must be an object of numbers, text, names or points"))?;
    let scalars: Vec<(String, Scalar)> = fields
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                Field::Scalar(s) => return (key, s),
                Field::Names(names) => names.join(","),
                Field::Points(points) => {
                    let points: Vec<Point> = points;
                    data::encode_points(&points)
                }
            };
            (key, Scalar::Text(text))
        })
        .collect();
    setup::from_fields(scalars.iter().map(|(k, v)| (k.as_str(), v))).map_err(js_err)
}

/// A set-up as the page keeps it: every field as link text.
fn fields_of(setup: &Setup) -> BTreeMap<String, String> {
    setup::encode(setup)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Decoded {
    fields: BTreeMap<String, String>,
    /// A drawing's points, flat `[x, y, …]` (empty for a built-in shape): the page edits them.
    drawing: Vec<f32>,
    notices: Vec<String>,
}

/// A Train link's set-up (as fields) and a notice per field it could not use.
#[wasm_bindgen(js_name = decodeLink)]
pub fn decode_link(query: &str) -> Result<JsValue, JsError> {
    let (setup, notices) = setup::decode(query);
    to_js(&Decoded {
        fields: fields_of(&setup),
        drawing: setup.data.points().as_flattened().to_vec(),
        notices,
    })
}

/// The link query of a set-up (checked: a bad field is an error naming it), and the set-up as fields.
#[wasm_bindgen(js_name = encodeLink)]
pub fn encode_link(options: JsValue) -> Result<String, JsError> {
    Ok(setup::encode(&setup_of(options)?))
}

/// The set-up the options name, as every field's link text (the API's check of its options).
#[wasm_bindgen(js_name = checkSetup)]
pub fn check_setup(options: JsValue) -> Result<JsValue, JsError> {
    to_js(&fields_of(&setup_of(options)?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Vocabulary {
    shapes: Vec<&'static str>,
    objectives: Vec<&'static str>,
    /// The set-up's fields in link order.
    fields: Vec<&'static str>,
    ranges: BTreeMap<&'static str, Range>,
    defaults: BTreeMap<String, String>,
    extent: f32,
    min_points: usize,
    max_points: usize,
    measure_every: usize,
    samples: usize,
    heat_side: usize,
    field_side: usize,
    latent_side: usize,
    latent_span: f32,
    /// Modes of each mixture, by shape name (the others have none).
    modes: BTreeMap<&'static str, usize>,
}

/// The Train view's names, limits and defaults, defined in `trilemma::toy`.
#[wasm_bindgen]
pub fn vocabulary() -> Result<JsValue, JsError> {
    use setup::{Batch, Beta, DSteps, LearningRate, Rate, Timesteps, TrainSteps};
    use trilemma::generate::Seed;
    to_js(&Vocabulary {
        shapes: Shape::ALL.iter().map(|s| s.name()).collect(),
        objectives: Objective::ALL.iter().map(|o| o.name()).collect(),
        fields: setup::NAMES.to_vec(),
        ranges: BTreeMap::from([
            (Seed::NAME, Seed::range()),
            (TrainSteps::NAME, TrainSteps::range()),
            (Batch::NAME, Batch::range()),
            (LearningRate::NAME, LearningRate::range()),
            (DSteps::NAME, DSteps::range()),
            (Beta::NAME, Beta::range()),
            (Timesteps::NAME, Timesteps::range()),
            (Rate::NAME, Rate::range()),
        ]),
        defaults: fields_of(&Setup::default()),
        extent: data::EXTENT,
        min_points: data::MIN_POINTS,
        max_points: data::MAX_POINTS,
        measure_every: run::MEASURE_EVERY,
        samples: run::SAMPLES,
        heat_side: run::HEAT_SIDE,
        field_side: run::FIELD_SIDE,
        latent_side: run::LATENT_SIDE,
        latent_span: run::LATENT_SPAN,
        modes: Shape::ALL
            .into_iter()
            .filter(|&s| s != Shape::Drawn)
            .filter_map(|s| {
                let n = Data::builtin(s).ok()?.modes().len();
                (n > 0).then_some((s.name(), n))
            })
            .collect(),
    })
}

/// `n` points of the set-up's data (the page draws them behind the samples; a drawing shows its own).
#[wasm_bindgen(js_name = dataPoints)]
pub fn data_points(options: JsValue, n: usize) -> Result<Float32Array, JsError> {
    let setup = setup_of(options)?;
    let points = setup.data.sample(
        n.min(run::HELD_OUT),
        &mut trilemma::rng::Rng::new(setup.seed.get()),
    );
    Ok(Float32Array::from(points.as_flattened()))
}

/// One family learning one set-up, on one backend.
#[wasm_bindgen]
pub struct Trainer {
    run: Run,
    backend: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress {
    step: usize,
    done: bool,
    /// The main loss of each step since `from`, and the second curve's where the family has one.
    loss: Vec<f32>,
    second: Vec<f32>,
    /// The measures taken since `from` (step > from).
    measures: Vec<run::Measure>,
}

#[wasm_bindgen]
impl Trainer {
    /// A trainer of `family` for the set-up `options` on `backend` (`"webgpu"` or `"cpu"`).
    pub async fn create(
        backend: String,
        family: String,
        options: JsValue,
    ) -> Result<Trainer, JsError> {
        let setup = setup_of(options)?;
        let family = Family::parse(&family).map_err(js_err)?;
        let device = match backend.as_str() {
            "webgpu" => burn::tensor::Device::wgpu_options()
                .init_async()
                .await
                .map_err(|e| js_err(format!("WebGPU is not available: {e}")))?,
            "cpu" => burn::tensor::Device::flex(),
            other => {
                return Err(js_err(format!(
                    "unknown backend {}",
                    trilemma::knob::quote(other)
                )));
            }
        };
        Ok(Trainer {
            run: Run::new(family, &setup, &device).await.map_err(js_err)?,
            backend,
        })
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// Takes up to `steps` more steps (fewer at the set-up's last), then reports everything since step
    /// `from`.
    pub async fn advance(&mut self, steps: usize, from: usize) -> Result<JsValue, JsError> {
        for _ in 0..steps {
            if self.run.done() {
                break;
            }
            self.run.advance().await.map_err(js_err)?;
        }
        let losses = self.run.losses().get(from..).unwrap_or_default();
        to_js(&Progress {
            step: self.run.step(),
            done: self.run.done(),
            loss: losses.iter().map(|l| l.main).collect(),
            second: losses.iter().filter_map(|l| l.second).collect(),
            measures: self
                .run
                .measures()
                .iter()
                .filter(|m| m.step > from || (from == 0 && m.step == 0))
                .copied()
                .collect(),
        })
    }

    /// What the page draws now; `t` is the direction field's timestep (diffusion).
    pub async fn picture(&self, t: usize) -> Result<JsValue, JsError> {
        to_js(&self.run.picture(t).await.map_err(js_err)?)
    }
}
