//! The rows of a dataset's board: where each row's images come from and how many it samples.

use super::scoreboard::swept_knob;
use super::{DIFFUSION_UNCONDITIONAL_N, EvalOptions};
use crate::data::DatasetKind;
use crate::generate::Options;
use crate::knob::Knob;
use crate::models::Family;
use crate::models::diffusion::{Eta, Guidance, SampleOptions, Sampler, Steps, T};
use crate::models::gan::Truncation;
use crate::models::vae::Temperature;
use serde_json::json;
use std::collections::BTreeMap;

/// Where a row's images come from.
#[derive(Clone, Debug)]
pub(super) enum Source {
    /// Real images of the train split.
    Train,
    /// Pixels drawn from a normal distribution with the train split's pixel mean and deviation, clipped.
    Noise,
    /// The train split's mean image of each class.
    ClassMeans,
    Model(Family, Options),
}

/// One row to measure.
#[derive(Clone, Debug)]
pub(super) struct Spec {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) sweep: Option<&'static str>,
    pub(super) knobs: BTreeMap<String, serde_json::Value>,
    pub(super) source: Source,
    /// Samples of the conditional set.
    pub(super) n: usize,
    /// Samples of the unconditional set, if the row has one (the diffusion sweeps don't: guidance has no
    /// effect without a class, and the steps sweeps are costly enough).
    pub(super) unconditional_n: Option<usize>,
}

/// A knob's value as ids and labels spell it: `0`, `0.8`, `ddim`.
fn knob_text(v: &serde_json::Value) -> String {
    match (v.as_f64(), v.as_str()) {
        (Some(x), _) => x.to_string(),
        (_, Some(t)) => t.to_string(),
        _ => v.to_string(),
    }
}

fn family_knobs(family: Family, o: &Options) -> BTreeMap<String, serde_json::Value> {
    let d = &o.diffusion;
    let pairs = match family {
        Family::Gan => vec![(Truncation::NAME, json!(o.truncation))],
        Family::Vae => vec![(Temperature::NAME, json!(o.temperature))],
        Family::Diffusion => vec![
            (Sampler::NAME, json!(d.sampler)),
            (Steps::NAME, json!(d.steps)),
            (Eta::NAME, json!(d.eta)),
            (Guidance::NAME, json!(d.guidance)),
        ],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The ids of every board's rows, in table order (the same for every dataset: only knobs differ).
pub(super) fn ids(opts: &EvalOptions) -> Vec<String> {
    specs(opts, DatasetKind::Mnist)
        .into_iter()
        .map(|s| s.id)
        .collect()
}

/// The rows of `dataset`'s board, in table order.
pub(super) fn specs(opts: &EvalOptions, dataset: DatasetKind) -> Vec<Spec> {
    let reference = |id: &str, label: &str, source| Spec {
        id: id.into(),
        label: label.into(),
        sweep: None,
        knobs: BTreeMap::new(),
        source,
        n: opts.n,
        unconditional_n: Some(opts.n),
    };
    let model = |family: Family, sweep: Option<&'static str>, o: Options, n, uncond| {
        let knobs = family_knobs(family, &o);
        let id = match sweep {
            None => family.name().to_string(),
            Some(s) => format!("{family}-{s}-{}", knob_text(&knobs[swept_knob(s)])),
        };
        let label = knobs
            .iter()
            .map(|(k, v)| format!("{k} {}", knob_text(v)))
            .collect::<Vec<_>>()
            .join(", ");
        Spec {
            id,
            label: format!("{family} ({label})"),
            sweep,
            knobs,
            source: Source::Model(family, o),
            n,
            unconditional_n: uncond,
        }
    };
    let d = Options::for_dataset(dataset);
    let ddim = |steps, guidance| Options {
        diffusion: SampleOptions {
            sampler: Sampler::Ddim,
            steps: Steps::constant(steps),
            eta: Eta::constant(0.0),
            guidance: Guidance::constant(guidance),
        },
        ..d
    };
    let mut rows = vec![
        reference("train", "real train images", Source::Train),
        reference("noise", "Gaussian noise", Source::Noise),
        reference("class-means", "per-class mean images", Source::ClassMeans),
        model(Family::Gan, None, d, opts.n, Some(opts.n)),
        model(Family::Vae, None, d, opts.n, Some(opts.n)),
        model(
            Family::Diffusion,
            None,
            d,
            opts.diffusion_n,
            Some(opts.diffusion_n.min(DIFFUSION_UNCONDITIONAL_N)),
        ),
    ];
    for truncation in [0.8, 0.6, 0.4].map(Truncation::constant) {
        let o = Options { truncation, ..d };
        rows.push(model(
            Family::Gan,
            Some("truncation"),
            o,
            opts.n,
            Some(opts.n),
        ));
    }
    let o = Options {
        temperature: Temperature::constant(0.8),
        ..d
    };
    rows.push(model(
        Family::Vae,
        Some("temperature"),
        o,
        opts.n,
        Some(opts.n),
    ));
    // The steps sweep runs without guidance: one pass per step halves the cost of its DDPM 1000 row, the
    // dearest of the board. Its 50-step row is also the guidance sweep's w = 0 (same samples, cached once).
    for steps in [10, 25, 50, 100, 250] {
        rows.push(model(
            Family::Diffusion,
            Some("steps"),
            ddim(steps, 0.0),
            opts.sweep_n,
            None,
        ));
    }
    // DDIM 50 throughout (the page's default before DPM-Solver++ matched it), so the row at the dataset's
    // default guidance (MNIST 0.5, Fashion 1) is the reference the dpmpp rows are read against.
    for guidance in [0.0, 0.5, 1.0, 3.0] {
        rows.push(model(
            Family::Diffusion,
            Some("guidance"),
            ddim(50, guidance),
            opts.sweep_n,
            None,
        ));
    }
    // DPM-Solver++(2M) at the main row's other knobs (guidance, conditional): its rows compare with DDIM 50
    // at the same guidance, not with the unguided steps sweep, and have their own n so that their error
    // bars can tell them apart. Its 20-step row is the main row's sampler (the page's default).
    for steps in [10, 15, 20, 25] {
        let o = Options {
            diffusion: SampleOptions {
                sampler: Sampler::Dpmpp,
                steps: Steps::constant(steps),
                ..d.diffusion
            },
            ..d
        };
        rows.push(model(
            Family::Diffusion,
            Some("dpmpp"),
            o,
            opts.dpmpp_n,
            None,
        ));
    }
    // Last: the dearest row (1000 steps).
    let ddpm = Options {
        diffusion: SampleOptions {
            sampler: Sampler::Ddpm,
            steps: Steps::constant(T),
            guidance: Guidance::constant(0.0),
            ..d.diffusion
        },
        ..d
    };
    let mut ddpm_row = model(Family::Diffusion, Some("steps"), ddpm, opts.sweep_n, None);
    ddpm_row.id = "diffusion-ddpm".into();
    rows.push(ddpm_row);
    rows
}
