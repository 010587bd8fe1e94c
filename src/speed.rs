//! A speed result to share: the Speed view's rows with the backend, adapter and workers they were timed on,
//! carried in a link's `result` field so that, opened elsewhere, it shows beside the visitor's own run.
//!
//! The field's text is `backend|workers|dataset|adapter|row|row…`, a row `family~config~batch~ms per sample`. Every
//! part is checked as it is read (a hostile value is refused like any bad link field); free text (the
//! adapter's name, a row's config) is kept short and printable.

use crate::data::DatasetKind;
use crate::generate::Count;
use crate::knob::{Knob, quote};
use crate::models::Family;
use crate::vocabulary::Backend;
use serde::{Deserialize, Serialize};

/// Most rows a shared result holds (the Speed view times 13 by default).
pub const MAX_ROWS: usize = 32;
/// Most CPU workers a page runs.
pub const MAX_WORKERS: usize = 8;
/// Longest adapter name or config kept.
const MAX_TEXT: usize = 80;
/// Slowest time accepted: 10⁷ ms (about three hours) per sample.
const MAX_MS: f64 = 1e7;

/// One timed row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpeedRow {
    pub family: Family,
    pub config: String,
    pub batch: usize,
    pub ms_per_sample: f64,
}

/// A benchmark result as the Speed view shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeedResult {
    pub backend: Backend,
    pub workers: usize,
    pub dataset: DatasetKind,
    pub adapter: String,
    pub rows: Vec<SpeedRow>,
}

/// Free text as a link carries it: at most [`MAX_TEXT`] characters, no separators, nothing invisible.
fn clean(text: &str) -> String {
    text.chars()
        // Control characters, and the invisible ones that reorder or hide text (bidi overrides).
        .filter(|&c| {
            !c.is_control()
                && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
        })
        .map(|c| if c == '|' || c == '~' { ' ' } else { c })
        .take(MAX_TEXT)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Free text read from a link: refused, not cleaned, when it is not what [`clean`] writes.
fn text(what: &str, s: &str) -> Result<String, String> {
    match s.chars().count() <= MAX_TEXT && clean(s) == s && !s.is_empty() {
        true => Ok(s.to_string()),
        false => Err(format!("{what} {} is not a short plain text", quote(s))),
    }
}

impl SpeedResult {
    pub const NAME: &'static str = "result";

    /// The result a link's `result` field describes.
    pub fn parse(s: &str) -> Result<Self, String> {
        let fail = |why: String| format!("{}: {why}", Self::NAME);
        let parts: Vec<&str> = s.split('|').collect();
        if parts.len() < 5 || parts.len() > 4 + MAX_ROWS {
            return Err(fail(format!(
                "expected a backend, workers, a dataset, an adapter and 1–{MAX_ROWS} rows"
            )));
        }
        let backend = Backend::parse(parts[0]).map_err(fail)?;
        let workers = match parts[1].parse::<usize>() {
            Ok(w) if (1..=MAX_WORKERS).contains(&w) => w,
            _ => {
                return Err(fail(format!(
                    "workers must be a whole number 1–{MAX_WORKERS}, got {}",
                    quote(parts[1])
                )));
            }
        };
        let dataset = DatasetKind::parse(parts[2]).map_err(fail)?;
        let adapter = text("adapter", parts[3]).map_err(fail)?;
        let rows = parts[4..]
            .iter()
            .map(|row| Self::row(row).map_err(fail))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            backend,
            workers,
            dataset,
            adapter,
            rows,
        })
    }

    fn row(s: &str) -> Result<SpeedRow, String> {
        let fields: Vec<&str> = s.split('~').collect();
        let [family, config, batch, ms] = fields[..] else {
            return Err(format!("a row is family~config~batch~ms, got {}", quote(s)));
        };
        let ms_per_sample = match ms.parse::<f64>() {
            Ok(x) if x > 0.0 && x <= MAX_MS => x,
            _ => {
                return Err(format!(
                    "ms per sample must be in (0, {MAX_MS}], got {}",
                    quote(ms)
                ));
            }
        };
        Ok(SpeedRow {
            family: Family::parse(family)?,
            config: text("config", config)?,
            batch: Count::from_text(batch)?.get(),
            ms_per_sample,
        })
    }

    /// The `result` field's text (what [`SpeedResult::parse`] reads back); free text is cleaned, and rows
    /// past [`MAX_ROWS`] are left out.
    pub fn to_text(&self) -> String {
        let head = [
            self.backend.name().to_string(),
            self.workers.to_string(),
            self.dataset.name().to_string(),
            clean(&self.adapter),
        ];
        let rows = self.rows.iter().take(MAX_ROWS).map(|r| {
            // To the microsecond: a link stays short, and timings are not steadier than that.
            let ms = format!("{:.3}", r.ms_per_sample);
            let ms = format!("{}", ms.parse::<f64>().unwrap_or(r.ms_per_sample));
            format!("{}~{}~{}~{ms}", r.family.name(), clean(&r.config), r.batch)
        });
        head.into_iter().chain(rows).collect::<Vec<_>>().join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result() -> SpeedResult {
        SpeedResult {
            backend: Backend::Cpu,
            workers: 2,
            dataset: DatasetKind::Fashion,
            adapter: "wasm, SIMD, 2 workers".into(),
            rows: vec![
                SpeedRow {
                    family: Family::Gan,
                    config: "one pass".into(),
                    batch: 16,
                    ms_per_sample: 0.706,
                },
                SpeedRow {
                    family: Family::Diffusion,
                    config: "DPM-Solver++ 20, class 3".into(),
                    batch: 16,
                    ms_per_sample: 227.0,
                },
            ],
        }
    }

    #[test]
    fn a_result_survives_its_text() {
        let r = result();
        assert_eq!(SpeedResult::parse(&r.to_text()).unwrap(), r);
        // Separators and control characters in free text are cleaned on the way out.
        let mut odd = r.clone();
        odd.adapter = "GPU|x~y\n".into();
        assert_eq!(
            SpeedResult::parse(&odd.to_text()).unwrap().adapter,
            "GPU x y"
        );
    }

    #[test]
    fn hostile_results_are_refused_with_a_reason() {
        let good = result().to_text();
        let cases = [
            ("", "expected a backend"),
            ("cpu|2|mnist|x", "expected a backend"),
            (&good.replacen("fashion", "cifar", 1), "dataset"),
            (&good.replacen("cpu", "tpu", 1), "unknown backend"),
            (&good.replacen("|2|", "|9|", 1), "workers"),
            (&good.replacen("one pass", "one\u{202e}pass", 1), "config"),
            (&good.replacen("~16~", "~65~", 1), "n must"),
            (&good.replacen("0.706", "-1", 1), "ms per sample"),
            (&good.replacen("0.706", "NaN", 1), "ms per sample"),
            (&good.replacen("gan", "flow", 1), "family"),
            (&good.replacen("~one pass", "", 1), "a row is"),
        ];
        for (text, why) in cases {
            let e = SpeedResult::parse(text).unwrap_err();
            assert!(e.starts_with("result:") && e.contains(why), "{text}: {e}");
        }
        let many = std::iter::repeat_n("gan~x~1~1", MAX_ROWS + 1).collect::<Vec<_>>();
        assert!(SpeedResult::parse(&format!("cpu|1|mnist|a|{}", many.join("|"))).is_err());
    }
}
