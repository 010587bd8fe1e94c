//! The Train view's wasm module (the `trilemma-train` binary): burn's autodiff and optimizers, which the
//! page's engine never loads; the page fetches this module only when the Train view opens. It only binds:
//! `trilemma::toy` trains, measures and draws; one `Trainer` per family, each in its own worker.

use js_sys::Float32Array;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trilemma::knob::{Knob, Range, Scalar};
use trilemma::models::Family;
use trilemma::toy::data::{self, Data, Shape};
use trilemma::toy::families;
use trilemma::toy::metrics::HIGH_QUALITY_SIGMAS;
use trilemma::toy::run::{self, Run};
use trilemma::toy::setup::{self, Objective, Setup};
use trilemma::vocabulary::{Backend, Choice};
use trilemma::web::boot::{self, js_err, to_js};
use wasm_bindgen::prelude::*;

fn main() {
    boot::start();
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
    let mut scalars: Vec<(String, Scalar)> = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        let scalar = match value {
            Field::Scalar(s) => s,
            Field::Names(names) => Scalar::Text(names.join(",")),
            // Checked here, before the link text's coding (which would round them onto the square).
            Field::Points(points) => Scalar::Text(data::encode_points(
                Data::drawn(points).map_err(js_err)?.points(),
            )),
        };
        scalars.push((key, scalar));
    }
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
    shapes: Vec<Choice>,
    /// The shape whose points the visitor draws.
    drawn: &'static str,
    objectives: Vec<Choice>,
    /// The set-up's fields in link order.
    fields: Vec<&'static str>,
    ranges: BTreeMap<&'static str, Range>,
    extent: f32,
    min_points: usize,
    max_points: usize,
    heat_side: usize,
    /// The direction field's points, flat `[x, y, …]`, row 0 at the top.
    field_grid: Vec<f32>,
    field_t: usize,
    latent_side: usize,
    /// A sample within this many σ of a mode is high quality.
    high_quality_sigmas: f32,
    /// Each family's loss curves, by family name.
    loss_names: BTreeMap<&'static str, &'static [&'static str]>,
    /// Modes of each mixture, by shape name (the others have none).
    modes: BTreeMap<&'static str, usize>,
}

/// The Train view's names, limits and defaults, defined in `trilemma::toy`.
#[wasm_bindgen]
pub fn vocabulary() -> Result<JsValue, JsError> {
    use setup::{Batch, Beta, DSteps, LearningRate, Rate, Timesteps, TrainSteps};
    use trilemma::generate::Seed;
    to_js(&Vocabulary {
        shapes: Shape::ALL
            .iter()
            .map(|s| Choice {
                name: s.name(),
                label: s.label(),
            })
            .collect(),
        drawn: Shape::Drawn.name(),
        objectives: Objective::ALL
            .iter()
            .map(|o| Choice {
                name: o.name(),
                label: o.label(),
            })
            .collect(),
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
        extent: data::EXTENT,
        min_points: data::MIN_POINTS,
        max_points: data::MAX_POINTS,
        heat_side: run::HEAT_SIDE,
        field_grid: run::grid(run::FIELD_SIDE, data::EXTENT)
            .as_flattened()
            .to_vec(),
        field_t: run::FIELD_T,
        latent_side: run::LATENT_SIDE,
        high_quality_sigmas: HIGH_QUALITY_SIGMAS,
        loss_names: Family::ALL
            .into_iter()
            .map(|f| (f.name(), families::loss_names(f)))
            .collect(),
        modes: Shape::ALL
            .into_iter()
            .filter_map(|s| {
                let n = Data::builtin(s).ok()?.modes().len();
                (n > 0).then_some((s.name(), n))
            })
            .collect(),
    })
}

/// [`run::DATA_POINTS`] points of the set-up's data (the page draws them behind the samples; a drawing
/// shows its own).
#[wasm_bindgen(js_name = dataPoints)]
pub fn data_points(options: JsValue) -> Result<Float32Array, JsError> {
    let setup = setup_of(options)?;
    let points = setup.data.sample(
        run::DATA_POINTS,
        &mut trilemma::rng::Rng::new(setup.seed.get()),
    );
    Ok(Float32Array::from(points.as_flattened()))
}

/// One family learning one set-up, on one backend.
#[wasm_bindgen]
pub struct Trainer {
    run: Run,
    backend: Backend,
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
        let (backend, device) = boot::device(&backend).await?;
        Ok(Trainer {
            run: Run::new(family, &setup, &device).await.map_err(js_err)?,
            backend,
        })
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.name().into()
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
        let all = self.run.losses().await.map_err(js_err)?;
        let losses = all.get(from..).unwrap_or_default().to_vec();
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
