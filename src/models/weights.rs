//! Model files: one burnpack per trained model, weights stored as f16, with metadata naming the kind (family
//! or `classifier`), the dataset, the architecture config (JSON) and the training step. Loading works from
//! bytes (the page) and checks every value before it reaches burn: the bytes against the file's checksum
//! (`checksums`), then the metadata, the architecture (this build's), and each tensor's name, dtype, shape
//! and values against the layout [`ModelFile::to_bytes`] writes. A bad file is an error naming it, never a
//! panic.

mod checksums;

pub use checksums::{CHECKSUMS, Checksums, sha256_hex};

use super::classifier::ClassifierConfig;
use super::gan::GanConfig;
use super::unet::UnetConfig;
use super::vae::VaeConfig;
use super::{Family, Kind, Model};
use crate::data::DatasetKind;
use crate::knob::quote;
use burn::config::{Config, config_to_json};
use burn::module::Module;
use burn::store::burn_pack::{Reader, Tensor as Stored};
use burn::store::{BurnpackStore, FloatCastAdapter, ModuleSnapshot};
use burn::tensor::{Bytes, DType, Device};
use std::collections::BTreeMap;
use std::fmt;

const KEY_KIND: &str = "trilemma.kind";
const KEY_DATASET: &str = "trilemma.dataset";
const KEY_CONFIG: &str = "trilemma.config";
const KEY_STEP: &str = "trilemma.step";
/// How weights are stored: every parameter of the four kinds is a float tensor.
const STORED: DType = DType::F16;

/// A model with what its file says about it.
#[derive(Debug, Clone)]
pub struct ModelFile {
    pub kind: Kind,
    pub dataset: DatasetKind,
    /// Optimizer steps the weights were trained for.
    pub step: u64,
    /// The architecture config as JSON.
    pub config: String,
    pub model: Model,
}

/// Why a model file could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsError(pub String);

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WeightsError {}

/// The file name of a shipped model, e.g. `diffusion-mnist.bpk`.
pub fn file_name(kind: Kind, dataset: DatasetKind) -> String {
    format!("{kind}-{dataset}.bpk")
}

fn bad(why: String) -> WeightsError {
    WeightsError(format!("not a usable trilemma model file: {why}"))
}

impl ModelFile {
    /// The model file `path` (as it was read or fetched, e.g. `models/gan-mnist.bpk`) from its `bytes`,
    /// once they are the bytes `checksums` records for it and hold the model its name says; errors name
    /// the file.
    pub fn load(
        path: &str,
        bytes: Vec<u8>,
        checksums: &Checksums,
        device: &Device,
    ) -> Result<Self, WeightsError> {
        checksums.verify(path, &bytes)?;
        let file =
            Self::from_bytes(bytes, device).map_err(|e| WeightsError(format!("{path}: {e}")))?;
        // The list is only written for files under their own names; a hand-edited one is still caught.
        let own = file_name(file.kind, file.dataset);
        if checksums::base_name(path) != own {
            return Err(WeightsError(format!(
                "{path} holds the {}-{} model",
                file.kind, file.dataset
            )));
        }
        Ok(file)
    }

    /// Reads model file `path` and loads it against the checksum list in its folder.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open(path: &std::path::Path, device: &Device) -> Result<Self, WeightsError> {
        let bytes = std::fs::read(path)
            .map_err(|e| WeightsError(format!("can't read {}: {e}", path.display())))?;
        Self::load_beside(path, bytes, device)
    }

    /// Loads `bytes`, read from model file `path`, against the checksum list in its folder.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_beside(
        path: &std::path::Path,
        bytes: Vec<u8>,
        device: &Device,
    ) -> Result<Self, WeightsError> {
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let checksums = Checksums::read(dir).map_err(WeightsError)?;
        Self::load(&path.display().to_string(), bytes, &checksums, device)
    }

    /// Parses a model file onto `device`: this build's architecture of the kind its metadata names, with
    /// the file's weights once each has been checked against it. No checksum: see [`ModelFile::load`].
    pub fn from_bytes(bytes: Vec<u8>, device: &Device) -> Result<Self, WeightsError> {
        // Shared: the reader and the store below then view one copy of the file instead of copying it.
        let bytes = Bytes::from_bytes_vec(bytes).shared();
        let reader = Reader::from_bytes(bytes.clone()).map_err(|e| bad(e.to_string()))?;
        let meta: BTreeMap<String, String> = reader.metadata().clone();
        let stored = reader.into_tensors().map_err(|e| bad(e.to_string()))?;
        let field = |key: &str| {
            meta.get(key)
                .ok_or_else(|| bad(format!("metadata `{key}` missing")))
        };
        let kind = Kind::parse(field(KEY_KIND)?).map_err(bad)?;
        let dataset = DatasetKind::parse(field(KEY_DATASET)?).map_err(bad)?;
        let step = field(KEY_STEP)?
            .parse()
            .map_err(|_| bad("bad step".into()))?;
        let config = field(KEY_CONFIG)?.clone();
        let mut store = BurnpackStore::from_bytes(Some(bytes))
            .with_from_adapter(FloatCastAdapter::to(DType::F32));
        let (stored, store) = (&stored, &mut store);
        let model = match kind {
            Kind::Family(Family::Gan) => Model::Gan(load(
                architecture(&config, GanConfig::new())?.init(device),
                stored,
                store,
            )?),
            Kind::Family(Family::Vae) => Model::Vae(load(
                architecture(&config, VaeConfig::new())?.init(device),
                stored,
                store,
            )?),
            Kind::Family(Family::Diffusion) => Model::Diffusion(load(
                architecture(&config, UnetConfig::new())?.init(device),
                stored,
                store,
            )?),
            Kind::Classifier => Model::Classifier(load(
                architecture(&config, ClassifierConfig::new())?.init(device),
                stored,
                store,
            )?),
        };
        Ok(Self {
            kind,
            dataset,
            step,
            config,
            model,
        })
    }

    /// Serialises with weights in f16.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WeightsError> {
        let mut store = BurnpackStore::from_bytes(None)
            .with_to_adapter(FloatCastAdapter::to(STORED))
            .metadata(KEY_KIND, self.kind.name())
            .metadata(KEY_DATASET, self.dataset.name())
            .metadata(KEY_CONFIG, self.config.clone())
            .metadata(KEY_STEP, self.step.to_string());
        let saved = match &self.model {
            Model::Gan(m) => m.save_into(&mut store),
            Model::Vae(m) => m.save_into(&mut store),
            Model::Diffusion(m) => m.save_into(&mut store),
            Model::Classifier(m) => m.save_into(&mut store),
        };
        saved.map_err(|e| WeightsError(format!("can't serialise the model: {e}")))?;
        let bytes = store
            .get_bytes()
            .map_err(|e| WeightsError(format!("can't serialise the model: {e}")))?;
        Ok(bytes.to_vec())
    }
}

/// Rewrites the checksum list of folder `dir` from the model files there (`*.bpk`): each must load, under
/// its own name. Returns how many it lists.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_checksums(dir: &std::path::Path) -> Result<usize, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<std::path::PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bpk"))
        .collect();
    paths.sort();
    let mut list = Checksums::default();
    for path in &paths {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = ModelFile::from_bytes(bytes.clone(), &Device::flex())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let name = file_name(file.kind, file.dataset);
        if path.file_name().is_none_or(|n| n != name.as_str()) {
            return Err(format!("{} holds {name}'s model", path.display()));
        }
        list.record(&name, &bytes);
    }
    list.write(dir)?;
    Ok(paths.len())
}

/// This build's architecture `expected`, if the file's config describes it. Another one would not fit
/// the weights checked against this build's layout, and its values would reach layer constructors that
/// assert (a width that GroupNorm's groups don't divide panics).
fn architecture<C: Config>(json: &str, expected: C) -> Result<C, WeightsError> {
    let found = C::load_binary(json.as_bytes()).map_err(|e| bad(format!("bad config: {e}")))?;
    let (found, wanted) = (config_to_json(&found), config_to_json(&expected));
    if found != wanted {
        return Err(bad(format!(
            "its architecture {} is not this build's {}",
            compact(&found),
            compact(&wanted)
        )));
    }
    Ok(expected)
}

/// A config's JSON on one line.
fn compact(json: &str) -> String {
    json.split_whitespace().collect()
}

/// Whether every f16 value is finite (exponent bits not all ones).
fn finite_f16(bytes: &[u8]) -> bool {
    bytes
        .chunks_exact(2)
        .all(|b| u16::from_le_bytes([b[0], b[1]]) & 0x7c00 != 0x7c00)
}

/// The file's tensors against the layout `to_bytes` writes for `module`: the same names, each with its
/// dtype and shape, and finite values.
fn check_layout<M: Module>(module: &M, stored: &[Stored]) -> Result<(), WeightsError> {
    let adapter = Box::new(FloatCastAdapter::to(STORED));
    let expected: BTreeMap<String, Stored> = module
        .collect(None, Some(adapter), false)
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    if let Some(name) = expected
        .keys()
        .find(|name| !stored.iter().any(|t| &t.name == *name))
    {
        return Err(bad(format!("tensor `{name}` is missing")));
    }
    for t in stored {
        let name = &t.name;
        let Some(e) = expected.get(name) else {
            return Err(bad(format!("unexpected tensor {}", quote(name))));
        };
        if (t.dtype, &t.shape) != (e.dtype, &e.shape) {
            return Err(bad(format!(
                "tensor `{name}` is {:?} {}, expected {:?} {}",
                t.dtype, t.shape, e.dtype, e.shape
            )));
        }
        let data = t.to_bytes().map_err(|e| bad(e.to_string()))?;
        if !finite_f16(&data) {
            return Err(bad(format!("tensor `{name}` holds NaN or infinite values")));
        }
    }
    Ok(())
}

/// `module` with the file's weights, once they fit its layout.
fn load<M: Module>(
    mut module: M,
    stored: &[Stored],
    store: &mut BurnpackStore,
) -> Result<M, WeightsError> {
    check_layout(&module, stored)?;
    let result = module
        .load_from(store)
        .map_err(|e| bad(format!("weights don't fit the architecture: {e}")))?;
    if !result.is_success() || !result.missing.is_empty() {
        return Err(bad(format!("weights don't fit the architecture: {result}")));
    }
    Ok(module)
}

#[cfg(test)]
mod tests;
