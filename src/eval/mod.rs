//! The scoreboard (native only): fidelity, diversity, class coverage and speed of every shipped generator, of
//! its knobs swept, and of reference points (real images: the best possible; noise and class-mean images:
//! the worst and the blurry), all measured with the project's own classifier against the held-out test split.
//!
//! A row samples a conditional set (sample i asks for class i mod 10) scored by FID, precision/recall and
//! the classifier's accuracy, and most rows an unconditional one (the "no class" token) scored by FID and
//! the histogram of predicted classes — where mode collapse shows. Every FID comes with a jackknife
//! estimate of how far it moves when the set is sampled again. Sampled features are cached batch by batch
//! under `~/.cache/trilemma/eval`, keyed by everything they depend on but n (weights included): a larger n
//! extends a cached set, and an interrupted run resumes where it stopped. Speed is timed afresh, apart from
//! the sampling, on every run that writes the board: a rerun on a quiet machine re-times a cached board.

mod board;
pub use board::shuffled_test;
pub mod plots;
mod rows;
pub mod scoreboard;
mod sets;

use crate::data::DatasetKind;
use crate::generate::Options;
use crate::models::Model;
use crate::models::diffusion::Steps;
use crate::models::weights::file_name;
use crate::models::{Family, Kind};
use scoreboard::{Board, Row, Scoreboard, Weights};
use std::path::{Path, PathBuf};

pub use crate::metrics::K;
/// Batch size of sampling, and of the speed figures.
pub const BATCH: usize = 64;
/// Precision and recall compare at most this many images of each side, so that rows of different n (the
/// one-pass rows and the main diffusion row) are measured on equal footing.
pub const PR_SAMPLES: usize = 1000;
/// Groups of the jackknife that estimates how far a FID moves between reruns.
pub const JACKKNIFE_GROUPS: usize = 50;
/// At most this many samples in the main diffusion row's unconditional set: its FID is about ten times the
/// conditional one and needs fewer samples to settle (MNIST at 1,000: 17.9 ± 0.86, against 1.94 ± 0.19;
/// the 5,077-step MNIST model at 2,000: 9.28 ± 0.35, 3.8%; the 16,490-step one at 3,072: 6.43 ± 0.28, 4.4%,
/// so 6,144 keep it within 3.5%).
pub const DIFFUSION_UNCONDITIONAL_N: usize = 6144;
/// Share of the unconditional samples a class needs to count as covered.
pub const COVERED: f64 = 0.05;
/// Speed: at most this many timed batches per row, and no new one after [`TIMING_SECONDS`].
pub(super) const TIMED_BATCHES: usize = 5;
pub(super) const TIMING_SECONDS: f64 = 30.0;
/// Speed: the warm-up batch of a diffusion row runs at most this many steps (the same kernels, less time).
pub(super) const WARM_UP_STEPS: Steps = Steps::constant(10);

/// What `trilemma eval` was asked.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    pub datasets: Vec<DatasetKind>,
    /// Samples per set of the reference, GAN and VAE rows (one pass each: cheap enough for many).
    pub n: usize,
    /// Samples per set of the main diffusion row (100 UNet passes a sample).
    pub diffusion_n: usize,
    /// Samples per set of the diffusion sweeps (a DDPM 1000 set costs 20× a DDIM 50 one).
    pub sweep_n: usize,
    /// Samples per set of the DPM-Solver++ sweep (20–50 UNet passes a sample), enough for error bars that
    /// tell its rows from the main row's DDIM 50.
    pub dpmpp_n: usize,
    pub seed: u64,
    /// Only these rows (ids), printed without speed figures and not written: a quick look, e.g. at another
    /// seed, or sampling ahead of a full run (the samples are cached).
    pub rows: Option<Vec<String>>,
    /// With `rows`: time the chosen rows and write them into the existing scoreboard in place of the rows of
    /// the same id, keeping every other row — new rows without rerunning the whole board.
    pub merge: bool,
    /// Where the weights are read and the scoreboard and plots are written.
    pub models_dir: PathBuf,
    pub cache_dir: PathBuf,
}

/// Floating-point operations to generate one conditional sample with `options` (guided when guidance is on).
pub fn flops_per_sample(model: &Model, options: &Options) -> u64 {
    crate::generate::flops_per_sample(model, options, options.diffusion.guidance.get() > 0.0)
}

const HEADER: &str = "dataset  row                          n   FID ± se         prec  recall  acc   | uncond FID ± se  entropy  covered | ms/sample";

pub(super) fn print_row(dataset: DatasetKind, r: &Row) {
    let c = &r.conditional;
    let (ufid, entropy, covered) =
        r.unconditional
            .as_ref()
            .map_or(("-".into(), "-".into(), "-".into()), |u| {
                (
                    scoreboard::fid_text(u.fid, u.fid_se, 3),
                    format!("{:.3}", u.entropy),
                    format!("{}", u.classes_covered),
                )
            });
    let ms = r
        .speed
        .as_ref()
        .map_or("-".into(), |s| format!("{:.3}", s.ms_per_sample));
    println!(
        "{:<8} {:<26} {:>5} {:>15} {:>6.3} {:>6.3} {:>5.3} | {:>15} {:>8} {:>7} | {:>9}",
        dataset.name(),
        r.id,
        r.n_text(),
        scoreboard::fid_text(c.fid, c.fid_se, 3),
        c.precision,
        c.recall,
        c.accuracy,
        ufid,
        entropy,
        covered,
        ms
    );
}

/// Runs the evaluation, prints the table and writes `scoreboard.json` and the plots into the models folder.
pub fn eval(opts: &EvalOptions, command: String) -> Result<(), String> {
    if [opts.n, opts.diffusion_n, opts.sweep_n, opts.dpmpp_n]
        .iter()
        .any(|&n| n < BATCH)
    {
        return Err(format!(
            "--n, --diffusion-n, --sweep-n and --dpmpp-n must be at least {BATCH} (one batch)"
        ));
    }
    if opts.merge && opts.rows.is_none() {
        return Err("--merge goes with --rows".into());
    }
    if let Some(ids) = &opts.rows {
        let known = rows::ids(opts);
        if let Some(bad) = ids.iter().find(|id| !known.contains(id)) {
            return Err(format!("unknown row {bad:?}; rows: {}", known.join(", ")));
        }
    }
    println!("{HEADER}");
    let mut boards = Vec::new();
    for &dataset in &opts.datasets {
        boards.push(board::board(opts, dataset)?);
    }
    if opts.rows.is_some() && !opts.merge {
        eprintln!("--rows: printed only; models/scoreboard.json is left as it was");
        return Ok(());
    }
    let path = opts.models_dir.join("scoreboard.json");
    let old = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|s| Scoreboard::parse(&s))
        .and_then(|old| match old.seed == opts.seed {
            true => Ok(old),
            false => Err(format!("{} is of seed {}", path.display(), old.seed)),
        });
    let mut command = command;
    if opts.merge {
        let old = old.map_err(|e| format!("--merge: {e}"))?;
        command = format!("{}; {command}", old.command);
        boards = merged(opts, old.datasets, boards)?;
    } else if let Ok(old) = old {
        // Boards of datasets not evaluated this time are kept from the previous file.
        for b in old.datasets {
            if !boards.iter().any(|n| n.dataset == b.dataset) {
                boards.push(b);
            }
        }
    }
    boards.sort_by_key(|b| DatasetKind::parse(&b.dataset).map_or(9, |k| k as usize));
    let board = Scoreboard {
        schema: scoreboard::SCHEMA,
        command,
        seed: opts.seed,
        k: K,
        feature_space: "penultimate layer (64 features) of the project's own classifier per dataset \
                        (models/classifier-<dataset>.bpk); not Inception features: FIDs compare only with \
                        each other"
            .into(),
        datasets: boards,
    };
    board.validate()?;
    let json = serde_json::to_string_pretty(&board).map_err(|e| e.to_string())?;
    std::fs::write(&path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    let md = opts.models_dir.join("scoreboard.md");
    std::fs::write(&md, board.markdown()).map_err(|e| format!("{}: {e}", md.display()))?;
    eprintln!("wrote {} and {}", path.display(), md.display());
    for b in &board.datasets {
        for family in Family::ALL {
            let card = opts
                .models_dir
                .join(file_name(
                    Kind::Family(family),
                    DatasetKind::parse(&b.dataset)?,
                ))
                .with_extension("md");
            update_card(&card, b, family.name())?;
        }
    }
    plots::write_all(&board, &opts.models_dir)
}

/// `--merge`: the measured rows of `boards` written into the `old` boards in place of the rows of the same
/// id, in table order; every other row and board kept. The weights must be those `old` was computed from,
/// except a model retrained since whose every row is measured again: its new weights are then recorded.
fn merged(
    opts: &EvalOptions,
    mut old: Vec<Board>,
    boards: Vec<Board>,
) -> Result<Vec<Board>, String> {
    let order = rows::ids(opts);
    let at = |r: &Row| order.iter().position(|id| *id == r.id);
    for new in boards {
        let Some(b) = old.iter_mut().find(|b| b.dataset == new.dataset) else {
            return Err(format!(
                "--merge: scoreboard.json has no {} board",
                new.dataset
            ));
        };
        let retrained = |r: &Row| {
            let file = file_name(
                Kind::parse(&r.model).ok()?,
                DatasetKind::parse(&new.dataset).ok()?,
            );
            let weights = |ws: &[Weights]| ws.iter().find(|w| w.file == file).cloned();
            Some(weights(&b.models) != weights(&new.models))
        };
        let stale: Vec<&str> = b
            .rows
            .iter()
            .filter(|r| retrained(r) == Some(true) && !new.rows.iter().any(|n| n.id == r.id))
            .map(|r| r.id.as_str())
            .collect();
        if b.classifier.fnv1a != new.classifier.fnv1a {
            return Err(format!(
                "--merge: {}'s classifier changed since scoreboard.json was computed: run a full eval",
                new.dataset
            ));
        }
        if !stale.is_empty() {
            return Err(format!(
                "--merge: {}'s weights changed since scoreboard.json was computed: measure every row of the \
                 retrained model (missing: {}) or run a full eval",
                new.dataset,
                stale.join(", ")
            ));
        }
        b.models = new.models;
        b.rows.retain(|r| !new.rows.iter().any(|n| n.id == r.id));
        b.rows.extend(new.rows);
        // Stable: rows the table no longer has keep their place at the end.
        b.rows.sort_by_key(|r| at(r).unwrap_or(order.len()));
    }
    Ok(old)
}

/// Replaces the "Scoreboard" section of a model card (the last one) with the model's rows.
fn update_card(card: &Path, b: &Board, model: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(card).map_err(|e| format!("{}: {e}", card.display()))?;
    let kept = text
        .split(CARD_SECTION)
        .next()
        .unwrap_or_default()
        .trim_end();
    let rows = b
        .rows
        .iter()
        .filter(|r| r.model == model || r.id == "train");
    let section = format!(
        "{kept}\n{CARD_SECTION}Measured by `trilemma eval` against the {} held-out test images in the feature space of \
         `{}` (see the README's scoreboard; the `train` row is real images, the best possible).\n\n{}",
        b.test_images,
        b.classifier.file,
        scoreboard::table(rows)
    );
    std::fs::write(card, section).map_err(|e| format!("{}: {e}", card.display()))
}

const CARD_SECTION: &str = "\n## Scoreboard\n\n";

/// Folder of the sampled-feature cache: `~/.cache/trilemma/eval`.
pub fn default_cache_dir() -> PathBuf {
    crate::data::cache_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join("eval")
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard::Conditional;

    /// Every row at one batch, every dataset.
    fn one_batch() -> EvalOptions {
        EvalOptions {
            datasets: DatasetKind::ALL.to_vec(),
            n: BATCH,
            diffusion_n: BATCH,
            sweep_n: BATCH,
            dpmpp_n: BATCH,
            seed: 0,
            rows: None,
            merge: true,
            models_dir: PathBuf::new(),
            cache_dir: PathBuf::new(),
        }
    }

    #[test]
    fn merge_puts_rows_in_place_and_in_table_order() {
        let json = std::fs::read_to_string("models/scoreboard.json").unwrap();
        let old = Scoreboard::parse(&json).unwrap().datasets;
        let opts = one_batch();
        let row = |id: &str| old[1].rows.iter().find(|r| r.id == id).unwrap().clone();
        let gan = row("gan");
        let mut new = old[1].clone();
        new.rows = vec![
            Row {
                id: "diffusion-dpmpp-15".into(),
                sweep: Some("dpmpp".into()),
                ..row("diffusion")
            },
            Row {
                conditional: Conditional {
                    fid: 9.0,
                    ..gan.conditional.clone()
                },
                ..gan
            },
        ];
        let out = merged(&opts, old.clone(), vec![new.clone()]).unwrap();
        assert_eq!(out[0], old[0], "the other dataset's board is kept");
        let ids: Vec<&str> = out[1].rows.iter().map(|r| r.id.as_str()).collect();
        let table = rows::ids(&opts);
        let in_table: Vec<&str> = table
            .iter()
            .map(String::as_str)
            .filter(|id| ids.contains(id))
            .collect();
        assert_eq!(ids, in_table);
        assert!(ids.contains(&"diffusion-dpmpp-15") && ids.len() >= old[1].rows.len());
        assert_eq!(
            out[1].rows[ids.iter().position(|id| *id == "gan").unwrap()]
                .conditional
                .fid,
            9.0
        );
        // Rows of other weights are refused, unless every row of the retrained model is among them.
        let vae = new
            .models
            .iter()
            .position(|w| w.file.starts_with("vae-"))
            .unwrap();
        new.models[vae].fnv1a = "0".repeat(16);
        assert!(merged(&opts, old.clone(), vec![new.clone()]).is_err());
        new.rows = old[1]
            .rows
            .iter()
            .filter(|r| r.model == "vae")
            .map(|r| Row {
                conditional: Conditional {
                    fid: 7.0,
                    ..r.conditional.clone()
                },
                ..r.clone()
            })
            .collect();
        assert!(new.rows.len() >= 2);
        let out = merged(&opts, old.clone(), vec![new.clone()]).unwrap();
        assert_eq!(
            out[1].models, new.models,
            "the retrained weights are recorded"
        );
        for r in &out[1].rows {
            assert_eq!(r.model == "vae", r.conditional.fid == 7.0, "{}", r.id);
        }
        new.rows.pop();
        assert!(merged(&opts, old.clone(), vec![new.clone()]).is_err());
        new.classifier.fnv1a = "0".repeat(16);
        assert!(merged(&opts, old, vec![new]).is_err());
    }

    #[test]
    fn each_board_samples_its_datasets_defaults_under_the_same_ids() {
        let opts = one_batch();
        for dataset in DatasetKind::ALL {
            let specs = rows::specs(&opts, dataset);
            let ids: Vec<String> = specs.iter().map(|s| s.id.clone()).collect();
            assert_eq!(ids, rows::ids(&opts));
            let main = specs.iter().find(|s| s.id == "diffusion").unwrap();
            let rows::Source::Model(_, options) = &main.source else {
                panic!("the main diffusion row samples a model")
            };
            assert_eq!(*options, Options::for_dataset(dataset));
            // The guidance sweep holds the dataset's default, the reference of the DPM-Solver++ rows.
            let w = options.diffusion.guidance.get();
            assert!(
                ids.contains(&format!("diffusion-guidance-{w}")),
                "{dataset}"
            );
        }
    }
}
