//! The page's vocabulary, defined once here and handed to `www/` (which repeats none of it): families,
//! datasets and their class names, views, samplers, the names of the generate options, every numeric
//! knob's range and default, the state a link without fields stands for, and the shipped files.

use crate::data::{CLASSES, DatasetKind};
use crate::generate::{Count, Request, Seed};
use crate::knob::{Knob, Range};
use crate::link::{Frame, State, View};
use crate::models::diffusion::{Eta, Guidance, Sampler, Steps, Strength, T, Timestep};
use crate::models::gan::Truncation;
use crate::models::vae::Temperature;
use crate::models::weights::file_name;
use crate::models::{Family, Kind};
use crate::play::Frames;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where the models run: WebGPU, or the CPU path (burn's flex backend, compiled to wasm with SIMD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    WebGpu,
    Cpu,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::WebGpu, Backend::Cpu];

    pub fn name(self) -> &'static str {
        match self {
            Backend::WebGpu => "webgpu",
            Backend::Cpu => "cpu",
        }
    }

    /// The name a visitor reads.
    pub fn label(self) -> &'static str {
        match self {
            Backend::WebGpu => "WebGPU",
            Backend::Cpu => "CPU",
        }
    }
}

crate::knob::named_knob!(Backend, "backend");

/// A menu entry: the name links and calls use, and the label a visitor reads.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub name: &'static str,
    pub label: &'static str,
}

/// A dataset as the page names it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dataset {
    pub name: &'static str,
    pub title: &'static str,
    pub classes: [&'static str; CLASSES],
    /// The shipped real test images (see [`DatasetKind::picks_file`]).
    pub picks: String,
    /// The classifier's features of them (see [`DatasetKind::picks_features_file`]).
    pub picks_features: String,
    /// Real features for precision and recall (see [`DatasetKind::reference_features_file`]).
    pub reference: String,
    /// Training images to find a sample's nearest ones among, and their features (see
    /// [`DatasetKind::atlas_file`]).
    pub atlas: String,
    pub atlas_features: String,
    /// The guidance its diffusion model samples at by default ([`Guidance::default_for`]): where the
    /// page's slider goes on switching to it, unless moved.
    pub guidance: Guidance,
}

/// What the page lets a link or a call ask for, and how long it waits for an engine's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Model passes (see [`crate::generate::Cost`]) a view starts by itself, on opening or from a link:
    /// above them it shows the cost and waits for a click. ≈ 8× the default grid (640 passes).
    pub ask_above_passes: usize,
    /// The most passes one request can cost: every knob at its largest (64 samples × 1,000 steps × 2).
    pub max_passes: usize,
    /// An engine call still unanswered `answer_ms` + `ms_per_pass` × its passes after it was sent (after
    /// the calls queued before it) means a hung worker: the worker is replaced and the call rejects. A UNet
    /// pass of one sample takes ~12 ms on this machine's CPU and ~40× that on an emulated GPU.
    pub answer_ms: u32,
    pub ms_per_pass: u32,
    /// How long starting a worker (the module compiled, a GPU device asked for) may take.
    pub start_ms: u32,
}

impl Limits {
    pub const PAGE: Limits = Limits {
        ask_above_passes: 5_000,
        max_passes: crate::generate::MAX_N * T * 2,
        answer_ms: 30_000,
        ms_per_pass: 500,
        start_ms: 120_000,
    };
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vocabulary {
    pub families: Vec<&'static str>,
    pub backends: Vec<Choice>,
    pub datasets: Vec<Dataset>,
    pub views: Vec<&'static str>,
    pub samplers: Vec<&'static str>,
    /// The generate options, in link order.
    pub options: [&'static str; Request::NAMES.len()],
    /// Every numeric knob's range and default, by name.
    pub ranges: BTreeMap<&'static str, Range>,
    /// The state of a link without fields: every default.
    pub defaults: State,
    /// Shipped model files by key, e.g. `gan-mnist` → `gan-mnist.bpk`, the classifiers' too.
    pub models: BTreeMap<String, String>,
    /// Most neighbours one sample may ask for.
    pub max_neighbours: usize,
    /// Most CPU workers a page runs (and a shared speed result names).
    pub max_workers: usize,
    pub limits: Limits,
}

impl Vocabulary {
    pub fn new() -> Self {
        let ranges = [
            (Seed::NAME, Seed::range()),
            (Count::NAME, Count::range()),
            (Truncation::NAME, Truncation::range()),
            (Temperature::NAME, Temperature::range()),
            (Steps::NAME, Steps::range()),
            (Eta::NAME, Eta::range()),
            (Guidance::NAME, Guidance::range()),
            (Timestep::NAME, Timestep::range()),
            (Strength::NAME, Strength::range()),
            (Frame::NAME, Frame::range()),
            (Frames::NAME, Frames::range()),
        ];
        let models = Kind::ALL
            .into_iter()
            .flat_map(|kind| DatasetKind::ALL.map(|d| (kind, d)))
            .map(|(kind, d)| (format!("{kind}-{d}"), file_name(kind, d)))
            .collect();
        Self {
            families: Family::ALL.map(Family::name).to_vec(),
            backends: Backend::ALL
                .map(|b| Choice {
                    name: b.name(),
                    label: b.label(),
                })
                .into(),
            datasets: DatasetKind::ALL
                .map(|d| Dataset {
                    name: d.name(),
                    title: d.title(),
                    classes: d.class_names(),
                    picks: d.picks_file(),
                    picks_features: d.picks_features_file(),
                    reference: d.reference_features_file(),
                    atlas: d.atlas_file(),
                    atlas_features: d.atlas_features_file(),
                    guidance: Guidance::default_for(d),
                })
                .into(),
            views: View::ALL.map(View::name).to_vec(),
            samplers: Sampler::ALL.map(Sampler::name).to_vec(),
            options: Request::NAMES,
            ranges: ranges.into_iter().collect(),
            defaults: State::default(),
            models,
            max_neighbours: crate::play::MAX_NEIGHBOURS,
            max_workers: crate::speed::MAX_WORKERS,
            limits: Limits::PAGE,
        }
    }
}

impl Default for Vocabulary {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link;

    #[test]
    fn the_vocabulary_agrees_with_links_and_knobs() {
        let v = Vocabulary::new();
        assert_eq!(v.defaults, link::decode("").0);
        assert_eq!(v.families, ["gan", "vae", "diffusion"]);
        assert_eq!(v.models["diffusion-fashion"], "diffusion-fashion.bpk");
        assert_eq!(v.models["classifier-mnist"], "classifier-mnist.bpk");
        assert_eq!(v.models.len(), 8);
        let n = v.ranges["n"];
        assert_eq!((n.min, n.max, n.default, n.whole), (1.0, 64.0, 16.0, true));
        let g = v.ranges["guidance"];
        assert!(!g.whole && g.min == 0.0 && g.default == Guidance::DEFAULT.get() as f64);
        // Each dataset names its own default guidance; a link's default is its dataset's.
        for (d, kind) in v.datasets.iter().zip(DatasetKind::ALL) {
            let (linked, _) = link::decode(&format!("dataset={}", d.name));
            assert_eq!(d.guidance, linked.request.options.diffusion.guidance);
            assert_eq!(d.guidance, Guidance::default_for(kind));
        }
        assert_eq!(v.defaults.request.options.diffusion.guidance.get(), 0.5);
        // The default grid starts by itself; the heaviest request costs the most passes the page names.
        let limits = &v.limits;
        assert!(v.defaults.request.cost().passes * 7 < limits.ask_above_passes);
        let heaviest = [
            ("sampler", "ddpm"),
            ("n", "64"),
            ("class", "0"),
            ("guidance", "3"),
        ];
        let heaviest = link::decode(&heaviest.map(|(k, v)| format!("{k}={v}")).join("&")).0;
        assert_eq!(heaviest.request.cost().passes, limits.max_passes);
        // Every option a link or generate() takes is either named (family, dataset, sampler, class) or ranged.
        let named = ["family", "dataset", "class", "sampler"];
        for name in v.options {
            assert!(
                named.contains(&name) || v.ranges.contains_key(name),
                "{name}"
            );
        }
    }
}
