//! The JavaScript binding of the page (wasm only). It only binds: options are parsed and models run by the
//! rest of the crate; `www/` draws what comes back.

use crate::data::{DatasetKind, SIDE};
use crate::generate::{self, Request, Scalar};
use crate::image::to_bytes;
use crate::models::Kind;
use crate::models::weights::ModelFile;
use burn::tensor::Device;
use std::collections::{BTreeMap, HashMap};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Models on one backend.
#[wasm_bindgen]
pub struct Engine {
    device: Device,
    backend: String,
    models: HashMap<(Kind, DatasetKind), ModelFile>,
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
    /// n·28·28 gray bytes.
    pub async fn generate(&self, options: JsValue) -> Result<JsValue, JsError> {
        let fields: BTreeMap<String, Option<Scalar>> = serde_wasm_bindgen::from_value(options)
            .map_err(|e| {
                js_err(format!(
                    "options must be an object of numbers and text: {e}"
                ))
            })?;
        let request = Request::from_fields(fields).map_err(js_err)?;
        let (family, dataset) = request.model().map_err(js_err)?;
        let options = request.options().map_err(js_err)?;
        let file = self
            .models
            .get(&(Kind::Family(family), dataset))
            .ok_or_else(|| js_err(format!("the {family}-{dataset} model is not loaded")))?;
        let x = generate::generate(&file.model, &options, &self.device).map_err(js_err)?;
        let data = x
            .into_data_async()
            .await
            .map_err(|e| js_err(format!("{e:?}")))?;
        let values = data
            .try_to_vec::<f32>()
            .map_err(|e| js_err(format!("{e:?}")))?;
        let result = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&result, &k.into(), &v).map(|_| ());
        set("n", options.n.into()).map_err(|_| js_err("can't build the result"))?;
        set("width", SIDE.into()).map_err(|_| js_err("can't build the result"))?;
        set("height", SIDE.into()).map_err(|_| js_err("can't build the result"))?;
        let pixels = js_sys::Uint8ClampedArray::from(to_bytes(&values).as_slice());
        set("pixels", pixels.into()).map_err(|_| js_err("can't build the result"))?;
        Ok(result.into())
    }
}
