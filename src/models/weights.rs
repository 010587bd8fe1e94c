//! Model files: one burnpack per trained model, weights stored as f16, with metadata naming the kind (family
//! or `classifier`), the dataset, the architecture config (JSON) and the training step. Loading works from bytes (the page)
//! and fails with an error — never a panic — on truncated, foreign or mismatched files.

use super::classifier::ClassifierConfig;
use super::gan::GanConfig;
use super::unet::UnetConfig;
use super::vae::VaeConfig;
use super::{Family, Kind, Model};
use crate::data::DatasetKind;
use burn::config::Config;
use burn::module::Module;
use burn::store::burn_pack::Reader;
use burn::store::{BurnpackStore, FloatCastAdapter, ModuleSnapshot};
use burn::tensor::{Bytes, DType, Device};
use std::collections::BTreeMap;
use std::fmt;

const KEY_KIND: &str = "trilemma.kind";
const KEY_DATASET: &str = "trilemma.dataset";
const KEY_CONFIG: &str = "trilemma.config";
const KEY_STEP: &str = "trilemma.step";

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

impl ModelFile {
    /// Parses a model file onto `device`, building the architecture its metadata describes.
    pub fn from_bytes(bytes: Vec<u8>, device: &Device) -> Result<Self, WeightsError> {
        let bad = |why: String| WeightsError(format!("not a usable trilemma model file: {why}"));
        let bytes = Bytes::from_bytes_vec(bytes);
        let meta: BTreeMap<String, String> = Reader::from_bytes(bytes.clone())
            .map_err(|e| bad(e.to_string()))?
            .metadata()
            .clone();
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
        let json = config.as_bytes();
        let cfg_err = |e: burn::config::ConfigError| bad(format!("bad config: {e}"));
        let mut store = BurnpackStore::from_bytes(Some(bytes))
            .with_from_adapter(FloatCastAdapter::to(DType::F32));
        let model = match kind {
            Kind::Family(Family::Gan) => Model::Gan(load(
                GanConfig::load_binary(json).map_err(cfg_err)?.init(device),
                &mut store,
            )?),
            Kind::Family(Family::Vae) => Model::Vae(load(
                VaeConfig::load_binary(json).map_err(cfg_err)?.init(device),
                &mut store,
            )?),
            Kind::Family(Family::Diffusion) => Model::Diffusion(load(
                UnetConfig::load_binary(json).map_err(cfg_err)?.init(device),
                &mut store,
            )?),
            Kind::Classifier => Model::Classifier(load(
                ClassifierConfig::load_binary(json)
                    .map_err(cfg_err)?
                    .init(device),
                &mut store,
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
            .with_to_adapter(FloatCastAdapter::to(DType::F16))
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

fn load<M: Module>(mut module: M, store: &mut BurnpackStore) -> Result<M, WeightsError> {
    let result = module
        .load_from(store)
        .map_err(|e| WeightsError(format!("weights don't fit the architecture: {e}")))?;
    if !result.is_success() || !result.missing.is_empty() {
        return Err(WeightsError(format!(
            "weights don't fit the architecture: {result}"
        )));
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SIDE;
    use crate::models::class_tokens;
    use burn::tensor::Tensor;

    fn gan_file(device: &Device) -> ModelFile {
        let cfg = GanConfig::new();
        ModelFile {
            kind: Kind::Family(Family::Gan),
            dataset: DatasetKind::Mnist,
            step: 12,
            config: burn::config::config_to_json(&cfg),
            model: Model::Gan(cfg.init(device)),
        }
    }

    #[test]
    fn round_trip_keeps_outputs_within_half_precision() {
        let device = Device::flex();
        let file = gan_file(&device);
        let back = ModelFile::from_bytes(file.to_bytes().unwrap(), &device).unwrap();
        assert_eq!(
            (back.kind, back.dataset, back.step),
            (Kind::Family(Family::Gan), DatasetKind::Mnist, 12)
        );
        let (Model::Gan(a), Model::Gan(b)) = (&file.model, &back.model) else {
            panic!("family changed")
        };
        let z = Tensor::<2>::ones([1, 64], &device);
        let c = class_tokens(&[Some(4)], &device);
        let x = a
            .generator
            .sample(z.clone(), c.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let y = b
            .generator
            .sample(z, c)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(x.len(), SIDE * SIDE);
        let worst = x
            .iter()
            .zip(&y)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f32::max);
        assert!(worst < 0.01, "f16 storage moved a pixel by {worst}");
    }

    #[test]
    fn truncated_foreign_and_mismatched_files_are_errors() {
        let device = Device::flex();
        let bytes = gan_file(&device).to_bytes().unwrap();
        for cut in [0, 10, bytes.len() / 3, bytes.len() - 1] {
            assert!(
                ModelFile::from_bytes(bytes[..cut].to_vec(), &device).is_err(),
                "cut at {cut}"
            );
        }
        assert!(ModelFile::from_bytes(b"PNG\x89 certainly not a model".to_vec(), &device).is_err());
        // A file whose config says VAE but whose tensors are a GAN's.
        let mut lying = gan_file(&device);
        lying.kind = Kind::Family(Family::Vae);
        lying.config = burn::config::config_to_json(&VaeConfig::new());
        let err = ModelFile::from_bytes(lying.to_bytes().unwrap(), &device).unwrap_err();
        assert!(err.0.contains("don't fit"), "{err}");
        // A wider architecture than the tensors stored.
        let mut wide = gan_file(&device);
        wide.config = burn::config::config_to_json(&GanConfig::new().with_width(48));
        assert!(ModelFile::from_bytes(wide.to_bytes().unwrap(), &device).is_err());
    }
}
