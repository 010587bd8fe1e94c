//! The command line refuses bad input with one clear line and a non-zero exit code.

use std::process::Command;
use trilemma::models::weights::Checksums;

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trilemma"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_arguments_and_bad_weight_files_fail_clearly() {
    let dir = std::env::temp_dir().join(format!("trilemma-cli-{}", std::process::id()));
    let shipped =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/models/vae-mnist.bpk")).unwrap();
    // A folder of one `vae-mnist.bpk` holding `bytes`, with a checksum list of `listed` (none if None).
    let folder = |name: &str, bytes: &[u8], listed: Option<&[u8]>| {
        let folder = dir.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let file = folder.join("vae-mnist.bpk");
        std::fs::write(&file, bytes).unwrap();
        if let Some(listed) = listed {
            let mut list = Checksums::default();
            list.record("vae-mnist.bpk", listed);
            list.write(&folder).unwrap();
        }
        file.to_str().unwrap().to_string()
    };
    let damaged = folder("damaged", &shipped[..shipped.len() / 2], Some(&shipped));
    let foreign_bytes = b"GIF89a this is not a model";
    let foreign = folder("foreign", foreign_bytes, Some(foreign_bytes));
    let unlisted = folder("unlisted", &shipped, None);
    let damaged_message = format!("{damaged} is damaged (checksum mismatch)");
    let vae_mnist = concat!(env!("CARGO_MANIFEST_DIR"), "/models/vae-mnist.bpk");
    let cases: &[(&[&str], &str)] = &[
        (&["sample", "flow", "--dataset", "mnist"], "unknown family"),
        (&["sample", "vae", "--dataset", "cifar"], "unknown dataset"),
        (
            &["sample", "vae", "--dataset", "mnist", "--n", "many"],
            "--n",
        ),
        (
            &[
                "sample",
                "vae",
                "--dataset",
                "mnist",
                "--n",
                "0",
                "--weights",
                vae_mnist,
            ],
            "n must be",
        ),
        (
            &["sample", "vae", "--dataset", "mnist", "--class", "11"],
            "class",
        ),
        (
            &["sample", "vae", "--dataset", "mnist", "--frobnicate", "1"],
            "unknown option",
        ),
        (
            &[
                "sample",
                "vae",
                "--dataset",
                "mnist",
                "--weights",
                "/nonexistent/x.bpk",
            ],
            "can't read",
        ),
        (
            &["sample", "vae", "--dataset", "mnist", "--weights", &damaged],
            &damaged_message,
        ),
        (
            &["sample", "vae", "--dataset", "mnist", "--weights", &foreign],
            "not a usable trilemma model file",
        ),
        (
            &[
                "sample",
                "vae",
                "--dataset",
                "mnist",
                "--weights",
                &unlisted,
            ],
            "can't read the checksum list",
        ),
        (
            &[
                "sample",
                "gan",
                "--dataset",
                "mnist",
                "--weights",
                vae_mnist,
            ],
            "holds a vae-mnist model",
        ),
        (
            &["train", "gan", "--dataset", "mnist", "--batch", "0"],
            "--batch",
        ),
        (
            &[
                "train",
                "vae",
                "--dataset",
                "mnist",
                "--resume",
                "--from",
                vae_mnist,
            ],
            "--resume continues a checkpoint, --from a shipped file",
        ),
        (
            &["train", "vae", "--dataset", "mnist", "--min-snr", "5"],
            "--min-snr weights the diffusion loss; vae has none",
        ),
        (
            &[
                "train",
                "diffusion",
                "--dataset",
                "mnist",
                "--min-snr",
                "NaN",
            ],
            "--min-snr must be 0.5–20",
        ),
        (
            &[
                "train",
                "diffusion",
                "--dataset",
                "mnist",
                "--min-snr",
                "five",
            ],
            "--min-snr: can't read `five`",
        ),
        (&["eval", "--diffusion-n", "10"], "at least 64"),
        (&["eval", "--rows", "gan,flow"], "unknown row \"flow\""),
        (&["eval", "--dpmpp-n", "10"], "at least 64"),
        (&["eval", "--merge"], "--merge goes with --rows"),
        (&["bogus"], "usage"),
    ];
    for (args, expect) in cases {
        let (ok, err) = run(args);
        assert!(!ok, "{args:?} succeeded");
        assert!(
            err.contains(expect),
            "{args:?}: expected `{expect}` in {err:?}"
        );
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sample_writes_a_png_grid() {
    let out = std::env::temp_dir().join(format!("trilemma-sample-{}.png", std::process::id()));
    let (ok, err) = run(&[
        "sample",
        "vae",
        "--dataset",
        "mnist",
        "--n",
        "9",
        "--class",
        "3",
        "--temperature",
        "0.8",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    // 3×3 grid of 28² images, 2-pixel gaps, upscaled ×3.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(width, (3 * 30 + 2) * 3);
    std::fs::remove_file(out).ok();
}

#[test]
fn plots_redraws_every_plot_in_models() {
    let dir = std::env::temp_dir().join(format!("trilemma-plots-{}", std::process::id()));
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(
        models.join("gan-mnist.loss.csv"),
        "step,loss_d\n1,0.7\n2,0.6\n",
    )
    .unwrap();
    let plots = || {
        Command::new(env!("CARGO_BIN_EXE_trilemma"))
            .arg("plots")
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    // Without a scoreboard the loss plots are drawn, then the missing file is named.
    let out = plots();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scoreboard.json"));
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/models/scoreboard.json");
    std::fs::copy(shipped, models.join("scoreboard.json")).unwrap();
    let out = plots();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "gan-mnist.loss.svg",
        "scoreboard-precision-recall.svg",
        "scoreboard-fid-steps.svg",
        "scoreboard-classes.svg",
    ] {
        let svg = std::fs::read_to_string(models.join(file)).unwrap();
        assert!(
            svg.starts_with("<svg ") && svg.contains(" viewBox=\"0 0 "),
            "{file}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn checksums_lists_the_model_files_that_load_under_their_names() {
    let dir = std::env::temp_dir().join(format!("trilemma-checksums-{}", std::process::id()));
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    for name in ["gan-mnist.bpk", "vae-mnist.bpk"] {
        std::fs::copy(shipped.join(name), models.join(name)).unwrap();
    }
    let checksums = || {
        let out = Command::new(env!("CARGO_BIN_EXE_trilemma"))
            .arg("checksums")
            .current_dir(&dir)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = checksums();
    assert!(ok, "{err}");
    let written = std::fs::read_to_string(models.join("SHA256SUMS")).unwrap();
    let expected: String = std::fs::read_to_string(shipped.join("SHA256SUMS"))
        .unwrap()
        .lines()
        .filter(|l| l.ends_with("  gan-mnist.bpk") || l.ends_with("  vae-mnist.bpk"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(written, expected);
    // A file under another model's name is not recorded as that model.
    std::fs::copy(shipped.join("vae-mnist.bpk"), models.join("gan-mnist.bpk")).unwrap();
    let (ok, err) = checksums();
    assert!(
        !ok && err.contains("gan-mnist.bpk holds vae-mnist.bpk's model"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_continued_run_names_its_origin_on_the_card_after_a_resume_and_keeps_the_runs_record() {
    let dir = std::env::temp_dir().join(format!("trilemma-continue-{}", std::process::id()));
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let bytes = std::fs::read(shipped.join("vae-mnist.bpk")).unwrap();
    std::fs::write(models.join("vae-mnist.bpk"), &bytes).unwrap();
    let mut list = Checksums::default();
    list.record("vae-mnist.bpk", &bytes);
    list.write(&models).unwrap();
    let train = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_trilemma"))
            .args([
                "train",
                "vae",
                "--dataset",
                "mnist",
                "--batch",
                "4",
                "--seed",
                "3",
            ])
            .args(extra)
            .env("TRILEMMA_CHECKPOINTS", dir.join("checkpoints"))
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let step: u64 = 4000; // the shipped vae-mnist's
    train(&[
        "--from",
        "models/vae-mnist.bpk",
        "--steps",
        &(step + 2).to_string(),
    ]);
    let card = models.join("vae-mnist.md");
    let runs = "## Runs\n\n| run | steps |\n|---|--:|\n| by hand | 1 |\n\n";
    let first = std::fs::read_to_string(&card).unwrap();
    assert!(!first.contains("## Runs"));
    let (head, tail) = first.split_at(first.find("## Loss").unwrap());
    std::fs::write(&card, format!("{head}{runs}{tail}")).unwrap();
    // The resumed run overwrote the file it started from; its card still names it, by step and digest.
    train(&["--resume", "--steps", &(step + 4).to_string()]);
    let card = std::fs::read_to_string(&card).unwrap();
    let sha =
        Checksums::parse(&std::fs::read_to_string(models.join("SHA256SUMS")).unwrap()).unwrap();
    assert!(
        sha.verify("vae-mnist.bpk", &bytes).is_err(),
        "the file was not rewritten"
    );
    let digest = trilemma::models::weights::sha256_hex(&bytes);
    for expect in [
        format!("| steps | {} |", step + 4),
        format!("| continued from | `models/vae-mnist.bpk` at step {step} (SHA-256 `{digest}`)"),
        format!(
            "--steps {} --batch 4 --seed 3 --from models/vae-mnist.bpk\n",
            step + 4
        ),
        runs.to_string(),
    ] {
        assert!(card.contains(&expect), "`{expect}` not in:\n{card}");
    }
    assert_eq!(card.matches("## Runs").count(), 1);
    std::fs::remove_dir_all(dir).ok();
}
