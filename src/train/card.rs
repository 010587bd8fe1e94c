//! Model cards: `models/<family>-<dataset>.md`, written at the end of training.

use super::TrainOptions;
use super::plot::{LossLog, plot_file};
use crate::models::weights::{ModelFile, file_name};
use std::fmt::Write;

pub fn write(
    opts: &TrainOptions,
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
    if let Some(from) = &opts.from {
        let _ = writeln!(
            md,
            "| continued from | `{}`: its weights and step count, Adam restarted (wall time below: this run's) |",
            from.display()
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
        let _ = writeln!(
            md,
            "## Samples\n\n![samples]({name}.samples.png)\n\nRows: classes 0–9 ({}), then unconditional; seed 1, default knobs \
             (diffusion: DDIM 50 steps, η 0, guidance 1).\n",
            opts.dataset.class_names().join(", ")
        );
    }
    md.push_str(report);
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
        opts.from
            .as_ref()
            .map(|f| format!(" --from {}", f.display()))
            .unwrap_or_default(),
        opts.min_snr
            .map(|g| format!(" --min-snr {g}"))
            .unwrap_or_default()
    );
    let path = opts.out_dir.join(format!("{name}.md"));
    std::fs::write(&path, md).map_err(|e| format!("{}: {e}", path.display()))
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
