//! `models/scoreboard.json`: what `trilemma eval` measured, for the page, the README and the tests.
//!
//! Schema version 2 (every field required unless marked optional; unknown fields are refused):
//!
//! ```text
//! Scoreboard { schema: 2, command: string, seed: int, k: int, feature_space: string, datasets: [Board] }
//! Board      { dataset: "mnist" | "fashion", test_images: int, classifier: Weights, models: [Weights], rows: [Row] }
//! Weights    { file: string, fnv1a: 16 hex digits (64-bit FNV-1a of the file's bytes), step: int,
//!              params: int, test_accuracy: number (classifier only, optional) }
//! Row        { id: string (unique per board), label: string, model: "gan" | "vae" | "diffusion" | "reference",
//!              sweep: optional "truncation" | "temperature" | "steps" | "guidance" | "dpmpp" (DPM-Solver++ at the
//!                     main row's other knobs, its steps swept; every other sweep is named after its knob),
//!              knobs: { name: number | string } (the page's names: truncation, temperature, sampler, steps, eta, guidance),
//!              conditional: Conditional, unconditional: optional Unconditional, speed: optional Speed }
//! Conditional   { n, fid, fid_se, precision, recall, accuracy }   n samples, class i mod 10 for sample i
//! Unconditional { n, fid, fid_se, histogram: [10 shares], entropy, classes_covered }   n samples of the "no class" token
//! Speed      { ms_per_sample, batch: 64, threads, params, flops_per_sample }
//! ```
//!
//! `fid_se` is how far the FID moves when the set is sampled again (one standard deviation; the test split
//! stays as it is): a jackknife over 50 groups of whole decades of samples (one group per decade below 500
//! samples; groups differ by at most one decade).
//! FID and precision/recall compare with the held-out test split in the classifier's feature space;
//! precision and recall use `min(n, test_images, 1000)` images of each side; `entropy` is the normalized entropy
//! of the predicted-class histogram; `classes_covered` counts classes with at least 5% of the samples.

use crate::data::CLASSES;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SCHEMA: u32 = 2;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scoreboard {
    pub schema: u32,
    /// The command that wrote this file.
    pub command: String,
    pub seed: u64,
    /// Neighbours of the precision/recall manifolds.
    pub k: usize,
    pub feature_space: String,
    pub datasets: Vec<Board>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub dataset: String,
    pub test_images: usize,
    pub classifier: Weights,
    pub models: Vec<Weights>,
    pub rows: Vec<Row>,
}

/// A weight file the numbers were computed from.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub file: String,
    pub fnv1a: String,
    pub step: u64,
    pub params: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub id: String,
    pub label: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<String>,
    pub knobs: BTreeMap<String, serde_json::Value>,
    pub conditional: Conditional,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconditional: Option<Unconditional>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<Speed>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Conditional {
    pub n: usize,
    pub fid: f64,
    pub fid_se: f64,
    pub precision: f64,
    pub recall: f64,
    pub accuracy: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Unconditional {
    pub n: usize,
    pub fid: f64,
    pub fid_se: f64,
    pub histogram: [f64; CLASSES],
    pub entropy: f64,
    pub classes_covered: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Speed {
    pub ms_per_sample: f64,
    pub batch: usize,
    pub threads: usize,
    pub params: usize,
    pub flops_per_sample: u64,
}

const MODELS: [&str; 4] = ["gan", "vae", "diffusion", "reference"];
/// Every sweep and the knob it sweeps.
const SWEEPS: [(&str, &str); 5] = [
    ("truncation", "truncation"),
    ("temperature", "temperature"),
    ("steps", "steps"),
    ("guidance", "guidance"),
    ("dpmpp", "steps"),
];

/// The knob a sweep varies: `steps` for the `dpmpp` sweep, the sweep's own name for the others.
pub fn swept_knob(sweep: &str) -> &str {
    SWEEPS
        .iter()
        .find(|(s, _)| *s == sweep)
        .map_or(sweep, |(_, knob)| knob)
}

impl Scoreboard {
    /// Parses and checks a scoreboard: the schema above plus the value ranges.
    pub fn parse(json: &str) -> Result<Self, String> {
        let board: Scoreboard =
            serde_json::from_str(json).map_err(|e| format!("scoreboard.json: {e}"))?;
        board.validate()?;
        Ok(board)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.schema != SCHEMA {
            return Err(format!(
                "schema {} (this build reads {SCHEMA})",
                self.schema
            ));
        }
        let share = |what: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{what} = {v} is not in [0, 1]"))
            }
        };
        for board in &self.datasets {
            crate::data::DatasetKind::parse(&board.dataset)?;
            for w in board.models.iter().chain([&board.classifier]) {
                if w.fnv1a.len() != 16 || u64::from_str_radix(&w.fnv1a, 16).is_err() {
                    return Err(format!("{}: fnv1a must be 16 hex digits", w.file));
                }
            }
            let mut ids = std::collections::HashSet::new();
            for row in &board.rows {
                let at = |what: &str| format!("{} row {}: {what}", board.dataset, row.id);
                if !ids.insert(&row.id) {
                    return Err(at("duplicate id"));
                }
                if !MODELS.contains(&row.model.as_str()) {
                    return Err(at(&format!("unknown model {}", row.model)));
                }
                if let Some(s) = &row.sweep
                    && !SWEEPS.iter().any(|(sweep, _)| sweep == s)
                {
                    return Err(at(&format!("unknown sweep {s}")));
                }
                // NaN fails every comparison, so `!(x >= 0.0)` also refuses it.
                let fid_ok = |n: usize, fid: f64, se: f64| n > 0 && fid >= 0.0 && se >= 0.0;
                let c = &row.conditional;
                if !fid_ok(c.n, c.fid, c.fid_se) {
                    return Err(at("conditional n must be > 0, fid and fid_se ≥ 0"));
                }
                share(&at("precision"), c.precision)?;
                share(&at("recall"), c.recall)?;
                share(&at("accuracy"), c.accuracy)?;
                if let Some(u) = &row.unconditional {
                    let total: f64 = u.histogram.iter().sum();
                    if !fid_ok(u.n, u.fid, u.fid_se) || (total - 1.0).abs() > 1e-6 {
                        return Err(at(
                            "unconditional n > 0, fid and fid_se ≥ 0, histogram summing to 1",
                        ));
                    }
                    share(&at("entropy"), u.entropy)?;
                    if u.classes_covered > CLASSES {
                        return Err(at("classes_covered > 10"));
                    }
                }
                if let Some(s) = &row.speed
                    && (s.ms_per_sample.is_nan()
                        || s.ms_per_sample <= 0.0
                        || s.batch == 0
                        || s.params == 0)
                {
                    return Err(at("speed figures must be positive"));
                }
            }
        }
        Ok(())
    }
}

impl Scoreboard {
    /// The tables of the README: one per dataset, every row, the figures rounded for reading.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        for b in &self.datasets {
            let accuracy = b.classifier.test_accuracy.unwrap_or(f64::NAN) * 100.0;
            md += &format!(
                "**{}** — {} test images; features of `{}` ({accuracy:.2}% test accuracy)\n\n",
                b.dataset, b.test_images, b.classifier.file
            );
            md += &table(&b.rows);
            md += "\n";
        }
        md
    }
}

/// A FID for reading, with how far it moves between reruns: `2.08 ± 0.06`.
pub fn fid_text(fid: f64, se: f64, digits: usize) -> String {
    format!("{fid:.digits$} ± {se:.digits$}")
}

impl Row {
    /// The row's sample count for reading: `7680`, or `7680 (uncond. 2000)` when its sets differ.
    pub fn n_text(&self) -> String {
        let n = self.conditional.n;
        match &self.unconditional {
            Some(u) if u.n != n => format!("{n} (uncond. {})", u.n),
            _ => n.to_string(),
        }
    }
}

/// A markdown table of `rows`.
pub fn table<'a>(rows: impl IntoIterator<Item = &'a Row>) -> String {
    let mut md = String::from(
        "| row | n | FID ↓ | precision ↑ | recall ↑ | class accuracy ↑ | uncond. FID ↓ | class entropy ↑ | classes ≥ 5% | ms / sample | MFLOP / sample |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for r in rows {
        let c = &r.conditional;
        let (ufid, entropy, covered) =
            r.unconditional
                .as_ref()
                .map_or((String::new(), String::new(), String::new()), |u| {
                    (
                        fid_text(u.fid, u.fid_se, 2),
                        format!("{:.3}", u.entropy),
                        u.classes_covered.to_string(),
                    )
                });
        let (ms, mflop) = r
            .speed
            .as_ref()
            .map_or((String::new(), String::new()), |s| {
                (
                    format!("{:.2}", s.ms_per_sample),
                    format!("{:.1}", s.flops_per_sample as f64 / 1e6),
                )
            });
        md += &format!(
            "| `{}` {} | {} | {} | {:.3} | {:.3} | {:.3} | {ufid} | {entropy} | {covered} | {ms} | {mflop} |\n",
            r.id,
            r.label,
            r.n_text(),
            fid_text(c.fid, c.fid_se, 2),
            c.precision,
            c.recall,
            c.accuracy
        );
    }
    md
}
