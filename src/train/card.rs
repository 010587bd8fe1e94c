//! Model cards: `models/<family>-<dataset>.md`, written at the end of training.

use super::plot::{LossLog, plot_file};
use super::{Origin, TrainOptions};
use crate::knob::Knob;
use crate::models::weights::{ModelFile, file_name};
use std::fmt::Write;

pub fn write(
    opts: &TrainOptions,
    origin: Option<&Origin>,
    file: &ModelFile,
    log: &LossLog,
    wall_seconds: f64,
    report: &str,
) -> Result<(), String> {
    let name = format!("{}-{}", opts.kind, opts.dataset);
    let size = std::fs::metadata(opts.out_dir.join(file_name(opts.kind, opts.dataset)))
        .map_or(0, |m| m.len());
    let finals = log.final_means(200);
    let mut md = String::new();
    let _ = writeln!(md, "# {name}\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| model | {} |", opts.kind);
    let _ = writeln!(md, "| dataset | {} (train split) |", opts.dataset);
    let _ = writeln!(md, "| parameters | {} |", file.model.num_params());
    let _ = writeln!(
        md,
        "| weights | `{}`, {:.2} MB, f16 |",
        file_name(opts.kind, opts.dataset),
        size as f64 / 1e6
    );
    let _ = writeln!(md, "| steps | {} |", file.step);
    if let Some(o) = origin {
        let _ = writeln!(
            md,
            "| continued from | `{}` at step {} (SHA-256 `{}`): its weights and step count, Adam restarted \
             (wall time below: since then) |",
            o.path.display(),
            o.step,
            o.sha256
        );
    }
    let _ = writeln!(md, "| batch | {} |", opts.batch);
    let _ = writeln!(md, "| seed | {} |", opts.seed);
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    let _ = writeln!(
        md,
        "| wall time | {:.1} min on a 2-core CPU (flex + simd, rayon threads: {threads}; other jobs shared the machine) |",
        wall_seconds / 60.0
    );
    for (n, v) in log.names.iter().zip(&finals) {
        let _ = writeln!(md, "| final {n} (mean of last 200 steps) | {v:.4} |");
    }
    let _ = writeln!(md, "\n## Architecture\n\n```json\n{}\n```\n", file.config);
    let _ = writeln!(md, "```text\n{}\n```\n", describe(file));
    if opts.kind.family().is_some() {
        let d = crate::generate::Options::for_dataset(opts.dataset).diffusion;
        let _ = writeln!(
            md,
            "## Samples\n\n![samples]({name}.samples.png)\n\nRows: classes 0–9 ({}), then unconditional; seed 1, default knobs \
             (diffusion: {} {} steps, η {}, guidance {}).\n",
            opts.dataset.class_names().join(", "),
            d.sampler.to_text(),
            d.steps.to_text(),
            d.eta.to_text(),
            d.guidance.to_text()
        );
    }
    md.push_str(report);
    let path = opts.out_dir.join(format!("{name}.md"));
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    md.push_str(kept_runs(&old));
    let _ = writeln!(
        md,
        "## Loss\n\n![loss curve]({})\n\nRaw log: [`{name}.loss.csv`]({name}.loss.csv).\n",
        plot_file(&name)
    );
    let _ = writeln!(
        md,
        "## Reproduce\n\n```sh\n./x data\ncargo run --release -- train {} --dataset {} --steps {} --batch {} --seed {}{}{}\n```",
        opts.kind,
        opts.dataset,
        opts.steps,
        opts.batch,
        opts.seed,
        origin
            .map(|o| format!(" --from {}", o.path.display()))
            .unwrap_or_default(),
        opts.min_snr
            .map(|g| format!(" --min-snr {g}"))
            .unwrap_or_default()
    );
    std::fs::write(&path, md).map_err(|e| format!("{}: {e}", path.display()))
}

/// Heading of the card's record of the runs tried for this model (steps, wall time, FID of each, shipped
/// or not): written by hand, as no single run knows the others, and kept when a run rewrites the card.
const RUNS: &str = "## Runs\n";

/// The runs section of a previous card, up to the next section; empty when it has none.
fn kept_runs(card: &str) -> &str {
    let at_line_start = |&(i, _): &(usize, &str)| i == 0 || card[..i].ends_with('\n');
    let Some((start, _)) = card.match_indices(RUNS).find(at_line_start) else {
        return "";
    };
    let body = &card[start + RUNS.len()..];
    let end = body
        .find("\n## ")
        .map_or(card.len(), |i| start + RUNS.len() + i + 1);
    &card[start..end]
}

fn describe(file: &ModelFile) -> String {
    use crate::models::Model;
    match &file.model {
        Model::Gan(m) => format!("{m}"),
        Model::Vae(m) => format!("{m}"),
        Model::Diffusion(m) => format!("{m}"),
        Model::Classifier(m) => format!("{m}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewritten_card_keeps_the_runs_section_and_nothing_else_of_the_old_one() {
        let old = "# m\n\n## Loss\n\nold curve\n\n## Runs\n\n| run | FID |\n|---|--:|\n| a | 1 |\n\n## Reproduce\n\nx\n";
        assert_eq!(
            kept_runs(old),
            "## Runs\n\n| run | FID |\n|---|--:|\n| a | 1 |\n\n"
        );
        let last = "# m\n\n## Runs\n\n| a | 1 |\n";
        assert_eq!(kept_runs(last), "## Runs\n\n| a | 1 |\n");
        assert_eq!(kept_runs("# m\n\n## Loss\n\nsee ## Runs\n"), "");
        assert_eq!(kept_runs("see ## Runs\n## Runs\nr\n"), "## Runs\nr\n");
        assert_eq!(kept_runs(""), "");
    }
}
