//! Sampling with every knob of the page and the CLI, under one set of names: `class`, `seed`, `n`,
//! `truncation` (GAN), `temperature` (VAE), `sampler`, `steps`, `eta`, `guidance` (diffusion). A
//! [`Request`] is built field by field through [`Request::set`], the one place its values are checked;
//! everything after takes the checked types.

use crate::data::{CLASSES, DatasetKind};
use crate::knob::{Knob, Scalar, quote, whole, whole_knob};
use crate::models::diffusion::{Eta, Guidance, Run, SampleOptions, Sampler, Start, Steps, T};
use crate::models::gan::Truncation;
use crate::models::vae::Temperature;
use crate::models::{Family, Model, class_tokens};
use crate::rng::SampleSeed;
use burn::tensor::{Device, Tensor};
use serde::Serialize;

/// Largest seed: 2⁵³ − 1, the largest whole number JavaScript and URLs carry exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

whole_knob!(
    /// The seed every random draw of a request derives from.
    Seed(u64), "seed", 0..=MAX_SEED, default 0
);
whole_knob!(
    /// Samples in one request.
    Count(usize), "n", 1..=64, default 16
);

/// Largest batch a single request may ask for.
pub const MAX_N: usize = Count::MAX;

/// The class asked for: 0–9, or none (unconditional samples).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Class(Option<usize>);

impl Class {
    pub const NONE: Self = Self(None);

    pub fn new(class: Option<usize>) -> Result<Self, String> {
        match class {
            Some(c) if c >= CLASSES => Err(format!("class must be 0–9 or none, got {c}")),
            _ => Ok(Self(class)),
        }
    }

    /// A class of the code; out of range, it fails to compile where used in a `const`.
    pub const fn constant(class: usize) -> Self {
        assert!(class < CLASSES, "class out of range");
        Self(Some(class))
    }

    pub const fn get(self) -> Option<usize> {
        self.0
    }
}

impl Serialize for Class {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(c) => s.serialize_u64(c as u64),
            None => s.serialize_str("none"),
        }
    }
}

impl Knob for Class {
    const NAME: &'static str = "class";

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "none" => Ok(Self::NONE),
            _ => match text.parse::<usize>() {
                Ok(c) if c < CLASSES => Ok(Self(Some(c))),
                _ => Err(format!("class must be 0–9 or none, got {}", quote(text))),
            },
        }
    }

    fn from_number(x: f64) -> Result<Self, String> {
        Ok(Self(Some(
            whole(Self::NAME, x, 0, CLASSES as u64 - 1)? as usize
        )))
    }

    fn to_text(self) -> String {
        self.0.map_or("none".to_string(), |c| c.to_string())
    }
}

/// What to generate: each knob checked where it entered. No default without a dataset: the guidance's
/// depends on it ([`Options::for_dataset`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Options {
    pub class: Class,
    pub seed: Seed,
    pub n: Count,
    pub truncation: Truncation,
    pub temperature: Temperature,
    #[serde(flatten)]
    pub diffusion: SampleOptions,
}

impl Options {
    /// Every knob at its default for `dataset`'s models.
    pub fn for_dataset(dataset: DatasetKind) -> Self {
        Self {
            class: Class::default(),
            seed: Seed::default(),
            n: Count::default(),
            truncation: Truncation::default(),
            temperature: Temperature::default(),
            diffusion: SampleOptions {
                guidance: Guidance::default_for(dataset),
                ..SampleOptions::default()
            },
        }
    }

    /// The class of each of the n samples.
    pub fn classes(&self) -> Vec<Option<usize>> {
        vec![self.class.get(); self.n.get()]
    }

    /// What a diffusion run from noise of these options costs, in UNet passes.
    pub fn cost(&self) -> Cost {
        let d = &self.diffusion;
        let steps = d.timesteps(T).len();
        let guided = d.guided(self.class.get().is_some());
        Cost {
            samples: self.n.get(),
            steps,
            guided,
            passes: self.n.get() * steps * if guided { 2 } else { 1 },
        }
    }
}

/// Floating-point operations to generate one sample of `model` with `options`; a diffusion sample takes
/// two UNet passes a step when `guided`.
pub fn flops_per_sample(model: &Model, options: &Options, guided: bool) -> u64 {
    match model {
        Model::Gan(g) => g.generator.flops_per_sample(),
        Model::Vae(v) => v.decode_flops_per_sample(),
        Model::Diffusion(u) => {
            let steps = options.diffusion.timesteps(T).len() as u64;
            u.flops_per_sample() * steps * if guided { 2 } else { 1 }
        }
        Model::Classifier(c) => c.flops_per_sample(),
    }
}

/// The work of a request in model passes: a diffusion run's `passes` = samples × steps, twice with
/// guidance; a GAN or VAE draws each sample in one pass (`steps` 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub samples: usize,
    pub steps: usize,
    pub guided: bool,
    pub passes: usize,
}

/// The share of a request's samples one engine draws: samples `first..first + count` of its `n`, the
/// same pixels as in the whole batch. The page splits a request between its CPU workers this way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    first: usize,
    count: usize,
}

impl Part {
    /// All of the request's samples.
    pub fn whole(options: &Options) -> Self {
        Self {
            first: 0,
            count: options.n.get(),
        }
    }

    /// Samples `first..first + count` of `options`' n; refused when empty or past the end.
    pub fn new(first: usize, count: usize, options: &Options) -> Result<Self, String> {
        let n = options.n.get();
        match count > 0 && first.checked_add(count).is_some_and(|end| end <= n) {
            true => Ok(Self { first, count }),
            false => Err(format!(
                "samples {first}..{} are not a part of the request's {n} samples",
                first.saturating_add(count)
            )),
        }
    }

    pub fn count(self) -> usize {
        self.count
    }

    /// The part's randomness: the request's seed from sample `first` on.
    pub fn seed(self, options: &Options) -> SampleSeed {
        SampleSeed {
            seed: options.seed.get(),
            first: self.first,
        }
    }

    /// The class of each sample of the part.
    pub fn classes(self, options: &Options) -> Vec<Option<usize>> {
        vec![options.class.get(); self.count]
    }
}

/// A generation request as the page, a link and the command line name it: the model and the options.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Request {
    pub family: Family,
    pub dataset: DatasetKind,
    #[serde(flatten)]
    pub options: Options,
}

impl Default for Request {
    /// Diffusion on MNIST, every knob at its default.
    fn default() -> Self {
        Self::new(Family::Diffusion, DatasetKind::Mnist)
    }
}

impl Request {
    /// `family` on `dataset`, every knob at the dataset's default.
    pub fn new(family: Family, dataset: DatasetKind) -> Self {
        Self {
            family,
            dataset,
            options: Options::for_dataset(dataset),
        }
    }

    /// What this request costs: the work of its family's model (see [`Cost`]).
    pub fn cost(&self) -> Cost {
        match self.family {
            Family::Diffusion => self.options.cost(),
            Family::Gan | Family::Vae => {
                let n = self.options.n.get();
                Cost {
                    samples: n,
                    steps: 1,
                    guided: false,
                    passes: n,
                }
            }
        }
    }

    /// The option names, in link order.
    pub const NAMES: [&'static str; 11] = [
        Family::NAME,
        DatasetKind::NAME,
        Class::NAME,
        Seed::NAME,
        Count::NAME,
        Truncation::NAME,
        Temperature::NAME,
        Sampler::NAME,
        Steps::NAME,
        Eta::NAME,
        Guidance::NAME,
    ];

    /// Sets option `key` from `value`: the one place a request's values are checked. The error names the
    /// option and quotes at most a short, escaped piece of the value.
    pub fn set(&mut self, key: &str, value: &Scalar) -> Result<(), String> {
        let o = &mut self.options;
        match key {
            Family::NAME => self.family = Knob::from_scalar(value)?,
            DatasetKind::NAME => self.dataset = Knob::from_scalar(value)?,
            Class::NAME => o.class = Knob::from_scalar(value)?,
            Seed::NAME => o.seed = Knob::from_scalar(value)?,
            Count::NAME => o.n = Knob::from_scalar(value)?,
            Truncation::NAME => o.truncation = Knob::from_scalar(value)?,
            Temperature::NAME => o.temperature = Knob::from_scalar(value)?,
            Sampler::NAME => o.diffusion.sampler = Knob::from_scalar(value)?,
            Steps::NAME => o.diffusion.steps = Knob::from_scalar(value)?,
            Eta::NAME => o.diffusion.eta = Knob::from_scalar(value)?,
            Guidance::NAME => o.diffusion.guidance = Knob::from_scalar(value)?,
            _ => return Err(format!("unknown option {}", quote(key))),
        }
        Ok(())
    }

    /// Every option as (name, text), in link order; [`Request::set`] reads each text back.
    pub fn texts(&self) -> [(&'static str, String); 11] {
        let (o, d) = (&self.options, &self.options.diffusion);
        [
            (Family::NAME, self.family.to_text()),
            (DatasetKind::NAME, self.dataset.to_text()),
            (Class::NAME, o.class.to_text()),
            (Seed::NAME, o.seed.to_text()),
            (Count::NAME, o.n.to_text()),
            (Truncation::NAME, o.truncation.to_text()),
            (Temperature::NAME, o.temperature.to_text()),
            (Sampler::NAME, d.sampler.to_text()),
            (Steps::NAME, d.steps.to_text()),
            (Eta::NAME, d.eta.to_text()),
            (Guidance::NAME, d.guidance.to_text()),
        ]
    }

    /// A request from named values (absent ones keep their defaults); the first bad one is the error.
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a Scalar)>,
    ) -> Result<Self, String> {
        let mut request = Fields::new(Self::default());
        for (key, value) in fields {
            request.set(key, value)?;
        }
        Ok(request.finish())
    }
}

/// A request built field by field, in any order: a knob not given whose default depends on the dataset
/// (the guidance) takes the default of the dataset finally named.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    request: Request,
    guidance_given: bool,
}

impl Fields {
    /// Starting from `request`, whose values stand where no field is given.
    pub fn new(request: Request) -> Self {
        Self {
            request,
            guidance_given: false,
        }
    }

    /// Sets one field, as [`Request::set`].
    pub fn set(&mut self, key: &str, value: &Scalar) -> Result<(), String> {
        self.request.set(key, value)?;
        self.guidance_given |= key == Guidance::NAME;
        Ok(())
    }

    /// The request, with the guidance of its dataset where none was given.
    pub fn finish(mut self) -> Request {
        if !self.guidance_given {
            self.request.options.diffusion.guidance = Guidance::default_for(self.request.dataset);
        }
        self.request
    }
}

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
    match model {
        Model::Diffusion(unet) => Ok(Run::new(
            classes,
            options.diffusion,
            Start::Noise,
            options.seed.get(),
            device,
        )?
        .finish(unet)),
        _ => {
            let part = Part {
                first: 0,
                count: classes.len(),
            };
            let z = draw_latents(model, part, options, device)?;
            model.decode(z, class_tokens(classes, device))
        }
    }
}

/// The latent codes `[count, latent]` a GAN (ψ·z) or VAE (temperature·ε) decodes for `part` of `options`.
pub fn draw_latents(
    model: &Model,
    part: Part,
    options: &Options,
    device: &Device,
) -> Result<Tensor<2>, String> {
    let mut rng = part.seed(options).stream_at(model.latent_size()?);
    let n = part.count;
    match model {
        Model::Gan(gan) => Ok(gan
            .generator
            .draw_latents(&mut rng, n, options.truncation, device)),
        Model::Vae(vae) => Ok(vae.draw_latents(&mut rng, n, options.temperature, device)),
        _ => Err(model.no_latents()),
    }
}

#[cfg(test)]
mod tests;
