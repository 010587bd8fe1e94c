//! What the binding reads from the page: option objects (numbers or text, checked by `Request::set` and
//! the knobs) and the typed arrays beside them.

use super::js_err;
use crate::generate::{Part, Request};
use crate::knob::{Knob, Scalar};
use js_sys::{Float32Array, Object, Reflect, Uint8Array};
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

/// Fields of a JavaScript object: named numbers or text, and the extra ones as they are.
type Fields = (Vec<(String, Scalar)>, HashMap<String, JsValue>);

/// The fields of a plain object: those named in `extra` as they are, every other one as a number or text.
pub(super) fn fields(object: &JsValue, what: &str, extra: &[&str]) -> Result<Fields, JsError> {
    if !object.is_object() {
        return Err(js_err(format!("{what} must be an object")));
    }
    let (mut fields, mut rest) = (Vec::new(), HashMap::new());
    for key in Object::keys(object.unchecked_ref::<Object>()).iter() {
        let name = key.as_string().unwrap_or_default();
        let value =
            Reflect::get(object, &key).map_err(|_| js_err(format!("can't read the {what}")))?;
        if extra.contains(&name.as_str()) {
            rest.insert(name, value);
        } else if !(value.is_undefined() || value.is_null()) {
            let scalar = serde_wasm_bindgen::from_value(value)
                .map_err(|_| js_err(format!("{name} must be a number or text")))?;
            fields.push((name, scalar));
        }
    }
    Ok((fields, rest))
}

/// A request from the generate options of `options`; the fields named in `extra` are handed back.
pub(super) fn parse_options(
    options: &JsValue,
    extra: &[&str],
) -> Result<(Request, HashMap<String, JsValue>), JsError> {
    let (fields, rest) = fields(options, "options", extra)?;
    let request = Request::from_fields(fields.iter().map(|(k, v)| (k.as_str(), v)));
    Ok((request.map_err(js_err)?, rest))
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

pub(super) fn bytes_of(fields: &HashMap<String, JsValue>, name: &str) -> Result<Vec<u8>, JsError> {
    array(fields, name, |v| Uint8Array::new(v).to_vec())
}

pub(super) fn floats_of(
    fields: &HashMap<String, JsValue>,
    name: &str,
) -> Result<Vec<f32>, JsError> {
    array(fields, name, |v| Float32Array::new(v).to_vec())
}

/// The part of the request to draw: extra fields `first` and `count` (a CPU worker's share of a batch),
/// or the whole request when both are absent.
pub(super) fn part_of(
    fields: &HashMap<String, JsValue>,
    request: &Request,
) -> Result<Part, JsError> {
    let whole = |name: &str| -> Result<Option<usize>, JsError> {
        match fields.get(name).filter(|v| !v.is_undefined()) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64 => {
                    Ok(Some(x as usize))
                }
                _ => Err(js_err(format!("{name} must be a whole number"))),
            },
        }
    };
    let options = &request.options;
    match (whole("first")?, whole("count")?) {
        (None, None) => Ok(Part::whole(options)),
        (first, count) => {
            let (first, count) = (first.unwrap_or(0), count.unwrap_or(options.n.get()));
            Part::new(first, count, options).map_err(js_err)
        }
    }
}

/// A knob among the extra fields, checked like every other.
pub(super) fn knob_of<K: Knob>(fields: &HashMap<String, JsValue>) -> Result<K, JsError> {
    let value = fields
        .get(K::NAME)
        .and_then(|v| serde_wasm_bindgen::from_value::<Scalar>(v.clone()).ok())
        .ok_or_else(|| js_err(format!("{} is required (a number)", K::NAME)))?;
    K::from_scalar(&value).map_err(js_err)
}
