//! Sampling with every knob of the page and the CLI, under one set of names: `class`, `seed`, `n`,
//! `truncation` (GAN), `temperature` (VAE), `sampler`, `steps`, `eta`, `guidance` (diffusion).

use crate::data::{CLASSES, DatasetKind};
use crate::models::Family;
use crate::models::class_tokens;
use crate::models::diffusion::{Run, SampleOptions, Sampler, Start, T};
use crate::models::weights::Model;
use crate::rng::Rng;
use burn::tensor::{Device, Int, Tensor};

/// Largest batch a single request may ask for.
pub const MAX_N: usize = 64;

/// What to generate. Out-of-range values are refused by [`Options::validate`], never clamped silently.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Class 0–9, or `None` for unconditional samples.
    pub class: Option<usize>,
    pub seed: u64,
    /// Number of samples, 1–64.
    pub n: usize,
    /// GAN truncation ψ ∈ [0, 1.5]: z ← ψ·z.
    pub truncation: f32,
    /// VAE prior temperature ∈ [0, 1.5]: z ← temperature·ε.
    pub temperature: f32,
    pub diffusion: SampleOptions,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            class: None,
            seed: 0,
            n: 16,
            truncation: 1.0,
            temperature: 1.0,
            diffusion: SampleOptions::default(),
        }
    }
}

impl Options {
    pub fn validate(&self) -> Result<(), String> {
        if let Some(c) = self.class
            && c >= CLASSES
        {
            return Err(format!("class must be 0–9 or none, got {c}"));
        }
        if !(1..=MAX_N).contains(&self.n) {
            return Err(format!("n must be 1–{MAX_N}, got {}", self.n));
        }
        if !(0.0..=1.5).contains(&self.truncation) {
            return Err(format!(
                "truncation must be in [0, 1.5], got {}",
                self.truncation
            ));
        }
        if !(0.0..=1.5).contains(&self.temperature) {
            return Err(format!(
                "temperature must be in [0, 1.5], got {}",
                self.temperature
            ));
        }
        self.diffusion.validate()
    }

    fn classes(&self) -> Vec<Option<usize>> {
        vec![self.class; self.n]
    }
}

/// A generation request as the page and the URL spell it: every field optional.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub family: Option<String>,
    pub dataset: Option<String>,
    /// 0–9, or `"none"` for unconditional samples.
    pub class: Option<Scalar>,
    pub seed: Option<f64>,
    pub n: Option<f64>,
    pub truncation: Option<f32>,
    pub temperature: Option<f32>,
    pub sampler: Option<String>,
    pub steps: Option<f64>,
    pub eta: Option<f32>,
    pub guidance: Option<f32>,
}

/// The option names, in link order.
pub const OPTIONS: [&str; 11] = [
    "family",
    "dataset",
    "class",
    "seed",
    "n",
    "truncation",
    "temperature",
    "sampler",
    "steps",
    "eta",
    "guidance",
];

/// One option's value as JavaScript hands it over: a number or text (a class may be either: `3`, `"3"`, `"none"`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Number(f64),
    Text(String),
}

impl Scalar {
    /// An option's value from text (a link, the command line): a number for the numeric options, `None`
    /// when such a value is not a finite number.
    pub fn from_text(key: &str, value: &str) -> Option<Self> {
        if ["family", "dataset", "sampler", "class"].contains(&key) {
            return Some(Scalar::Text(value.to_string()));
        }
        value
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Scalar::Number)
    }
}

impl Request {
    /// Builds a request from named values; unknown names and values of the wrong type are refused with
    /// a message naming the option. `None` values count as absent.
    pub fn from_fields(
        fields: impl IntoIterator<Item = (String, Option<Scalar>)>,
    ) -> Result<Self, String> {
        let mut r = Request::default();
        for (key, value) in fields {
            let Some(value) = value else { continue };
            let text = |v: Scalar| match v {
                Scalar::Text(t) => Ok(t),
                Scalar::Number(x) => Err(format!("{key} must be text, got the number {x}")),
            };
            let number = |v: Scalar| match v {
                Scalar::Number(x) => Ok(x),
                Scalar::Text(t) => Err(format!("{key} must be a number, got {t:?}")),
            };
            match key.as_str() {
                "family" => r.family = Some(text(value)?),
                "dataset" => r.dataset = Some(text(value)?),
                "sampler" => r.sampler = Some(text(value)?),
                "class" => r.class = Some(value),
                "seed" => r.seed = Some(number(value)?),
                "n" => r.n = Some(number(value)?),
                "steps" => r.steps = Some(number(value)?),
                "truncation" => r.truncation = Some(number(value)? as f32),
                "temperature" => r.temperature = Some(number(value)? as f32),
                "eta" => r.eta = Some(number(value)? as f32),
                "guidance" => r.guidance = Some(number(value)? as f32),
                _ => return Err(format!("unknown option `{key}`")),
            }
        }
        Ok(r)
    }
}

/// A whole number in `range` from a JSON number (which may be fractional, negative or huge).
pub fn whole(name: &str, v: f64, max: f64) -> Result<u64, String> {
    if v.fract() != 0.0 || !(0.0..=max).contains(&v) {
        return Err(format!("{name} must be a whole number in 0–{max}, got {v}"));
    }
    Ok(v as u64)
}

impl Request {
    /// The family and dataset named, defaulting to diffusion on MNIST.
    pub fn model(&self) -> Result<(Family, DatasetKind), String> {
        Ok((
            Family::parse(self.family.as_deref().unwrap_or("diffusion"))?,
            DatasetKind::parse(self.dataset.as_deref().unwrap_or("mnist"))?,
        ))
    }

    /// Checked options; absent fields take their defaults.
    pub fn options(&self) -> Result<Options, String> {
        let d = Options::default();
        let class = match &self.class {
            None => None,
            Some(Scalar::Number(c)) => Some(whole("class", *c, 9.0)? as usize),
            Some(Scalar::Text(name)) => parse_class(name)?,
        };
        let options = Options {
            class,
            seed: self
                .seed
                .map_or(Ok(d.seed), |s| whole("seed", s, MAX_SEED as f64))?,
            n: self
                .n
                .map_or(Ok(d.n as u64), |n| whole("n", n, MAX_N as f64))? as usize,
            truncation: self.truncation.unwrap_or(d.truncation),
            temperature: self.temperature.unwrap_or(d.temperature),
            diffusion: SampleOptions {
                sampler: self
                    .sampler
                    .as_deref()
                    .map_or(Ok(d.diffusion.sampler), Sampler::parse)?,
                steps: self.steps.map_or(Ok(d.diffusion.steps as u64), |s| {
                    whole("steps", s, T as f64)
                })? as usize,
                eta: self.eta.unwrap_or(d.diffusion.eta),
                guidance: self.guidance.unwrap_or(d.diffusion.guidance),
            },
        };
        options.validate()?;
        Ok(options)
    }
}

/// Largest seed: 2⁵³ − 1, the largest whole number JavaScript and URLs carry exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// `[n, 1, 28, 28]` samples in [0, 1] from `model`; the same options give the same samples.
pub fn generate(model: &Model, options: &Options, device: &Device) -> Result<Tensor<4>, String> {
    generate_classes(model, &options.classes(), options, device)
}

/// Like [`generate`], with one class per sample (any number of them): `options.class` and `options.n` are
/// not used.
pub fn generate_classes(
    model: &Model,
    classes: &[Option<usize>],
    options: &Options,
    device: &Device,
) -> Result<Tensor<4>, String> {
    options.validate()?;
    let tokens = class_tokens(classes, device);
    match model {
        Model::Diffusion(unet) => Ok(Run::new(
            classes,
            options.diffusion,
            Start::Noise,
            options.seed,
            device,
        )?
        .finish(unet)),
        _ => decode(
            model,
            draw_latents(model, classes.len(), options, device)?,
            tokens,
        ),
    }
}

/// The error for a model without latent codes (a diffusion model or a classifier).
pub fn no_latents(model: &Model) -> String {
    format!("the {} model has no latent codes", model.kind())
}

/// The latent codes `[n, latent]` a GAN (ψ·z) or VAE (temperature·ε) decodes for `options`' seed.
pub fn draw_latents(
    model: &Model,
    n: usize,
    options: &Options,
    device: &Device,
) -> Result<Tensor<2>, String> {
    let mut rng = Rng::new(options.seed);
    match model {
        Model::Gan(gan) => Ok(gan
            .generator
            .draw_latents(&mut rng, n, device)
            .mul_scalar(options.truncation)),
        Model::Vae(vae) => Ok(vae.draw_latents(&mut rng, n, options.temperature, device)),
        _ => Err(no_latents(model)),
    }
}

/// Images `[n, 1, 28, 28]` in [0, 1] that a GAN or VAE decodes from latent codes `z` `[n, latent]`
/// (already scaled: truncation and temperature are not applied again).
pub fn decode(model: &Model, z: Tensor<2>, tokens: Tensor<1, Int>) -> Result<Tensor<4>, String> {
    match model {
        Model::Gan(gan) => Ok(gan.generator.sample(z, tokens, 1.0)),
        Model::Vae(vae) => Ok(vae.decode(z, tokens)),
        _ => Err(no_latents(model)),
    }
}

/// Parses a class: `0`–`9` or `none`.
fn parse_class(s: &str) -> Result<Option<usize>, String> {
    match s {
        "none" => Ok(None),
        _ => match s.parse::<usize>() {
            Ok(c) if c < CLASSES => Ok(Some(c)),
            _ => Err(format!("class must be 0–9 or none, got `{s}`")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_options_are_refused() {
        let ok = Options::default();
        assert!(ok.validate().is_ok());
        let bad = [
            Options {
                class: Some(10),
                ..ok
            },
            Options { n: 0, ..ok },
            Options { n: 65, ..ok },
            Options {
                truncation: 1.6,
                ..ok
            },
            Options {
                truncation: f32::NAN,
                ..ok
            },
            Options {
                temperature: -0.1,
                ..ok
            },
            Options {
                diffusion: SampleOptions {
                    steps: 0,
                    ..ok.diffusion
                },
                ..ok
            },
        ];
        for o in bad {
            assert!(o.validate().is_err(), "{o:?}");
        }
    }

    #[test]
    fn requests_take_defaults_and_refuse_bad_values() {
        let r = Request {
            family: Some("gan".into()),
            class: Some(Scalar::Number(3.0)),
            ..Default::default()
        };
        assert_eq!(r.model(), Ok((Family::Gan, DatasetKind::Mnist)));
        let o = r.options().unwrap();
        assert_eq!((o.class, o.n, o.seed), (Some(3), 16, 0));
        let bad = [
            Request {
                class: Some(Scalar::Number(3.5)),
                ..Default::default()
            },
            Request {
                class: Some(Scalar::Text("cat".into())),
                ..Default::default()
            },
            Request {
                seed: Some(-1.0),
                ..Default::default()
            },
            Request {
                seed: Some(1e300),
                ..Default::default()
            },
            Request {
                n: Some(1e9),
                ..Default::default()
            },
            Request {
                steps: Some(2.5),
                ..Default::default()
            },
            Request {
                sampler: Some("euler".into()),
                ..Default::default()
            },
            Request {
                eta: Some(2.0),
                ..Default::default()
            },
        ];
        for r in bad {
            assert!(r.options().is_err(), "{r:?}");
        }
        assert!(
            Request {
                family: Some("flow".into()),
                ..Default::default()
            }
            .model()
            .is_err()
        );
    }

    #[test]
    fn fields_are_checked_by_name_and_type() {
        let f = |k: &str, v: Scalar| Request::from_fields([(k.to_string(), Some(v))]);
        assert!(
            f("seed", Scalar::Text("x".into()))
                .unwrap_err()
                .contains("seed must be a number")
        );
        assert!(
            f("family", Scalar::Number(1.0))
                .unwrap_err()
                .contains("family must be text")
        );
        assert!(
            f("colour", Scalar::Text("red".into()))
                .unwrap_err()
                .contains("unknown option `colour`")
        );
        let r = Request::from_fields([
            ("steps".to_string(), Some(Scalar::Number(10.0))),
            ("class".to_string(), None),
        ])
        .unwrap();
        assert_eq!(r.options().unwrap().diffusion.steps, 10);
        assert_eq!(r.options().unwrap().class, None);
    }

    #[test]
    fn classes_parse() {
        assert_eq!(parse_class("none"), Ok(None));
        assert_eq!(parse_class("7"), Ok(Some(7)));
        assert!(parse_class("10").is_err());
        assert!(parse_class("-1").is_err());
    }
}
