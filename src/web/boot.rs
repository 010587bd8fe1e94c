//! What both wasm modules do the same way: start up, open a backend's device, turn errors into `JsError`s
//! and answers into plain JavaScript objects.

use crate::vocabulary::Backend;
use burn::tensor::Device;
use serde::Serialize;
use wasm_bindgen::prelude::*;

// The static constructors of the linked crates (cubecl's IR registers ~4,900 items with `inventory`).
// Unless the module calls them itself, wasm-ld runs them again at the top of every exported function:
// that cost ~15–20 ms on every call from the page (the "per-call tax"). Called here, once, they don't.
unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Runs once, at instantiation, before any other export: each module's start function calls it.
pub fn start() {
    // SAFETY: wasm-ld's constructor list, run once, before any exported function.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
}

pub fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Plain objects (never `Map`s); absent values become `null`.
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_err)
}

/// The device of the backend named `name`: WebGPU (an error when the browser has no usable adapter) or
/// the CPU path.
pub async fn device(name: &str) -> Result<(Backend, Device), JsError> {
    let backend = Backend::parse(name).map_err(js_err)?;
    let device = match backend {
        Backend::WebGpu => Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| js_err(format!("WebGPU is not available: {e}")))?,
        Backend::Cpu => Device::flex(),
    };
    Ok((backend, device))
}
