//! The shipped `models/scoreboard.json`: it follows its schema, it was computed from the weight files that
//! ship beside it, and it holds every row the page and the README show.
// Native only: they read the data cache and the models folder from disk.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;
use trilemma::data::{DatasetKind, fnv1a};
use trilemma::eval::scoreboard::Scoreboard;

fn models_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
}

fn shipped() -> Scoreboard {
    let path = models_dir().join("scoreboard.json");
    let json = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run trilemma eval)", path.display()));
    Scoreboard::parse(&json).unwrap()
}

#[test]
fn scoreboard_was_computed_from_the_shipped_weights() {
    let board = shipped();
    assert_eq!(board.datasets.len(), DatasetKind::ALL.len());
    for b in &board.datasets {
        assert_eq!(b.models.len(), 3, "{}: one file per family", b.dataset);
        for w in b.models.iter().chain([&b.classifier]) {
            let bytes = std::fs::read(models_dir().join(&w.file)).unwrap();
            assert_eq!(
                format!("{:016x}", fnv1a(&bytes)),
                w.fnv1a,
                "{} changed since the scoreboard was computed: run trilemma eval",
                w.file
            );
        }
    }
}

#[test]
fn scoreboard_has_every_row_and_sweep() {
    for b in shipped().datasets {
        let ids: Vec<&str> = b.rows.iter().map(|r| r.id.as_str()).collect();
        for id in [
            "train",
            "noise",
            "class-means",
            "gan",
            "vae",
            "diffusion",
            "gan-truncation-0.8",
            "gan-truncation-0.6",
            "gan-truncation-0.4",
            "vae-temperature-0.8",
            "diffusion-steps-10",
            "diffusion-steps-25",
            "diffusion-steps-50",
            "diffusion-steps-100",
            "diffusion-steps-250",
            "diffusion-ddpm",
            "diffusion-guidance-0",
            "diffusion-guidance-0.5",
            "diffusion-guidance-1",
            "diffusion-guidance-3",
            "diffusion-dpmpp-10",
            "diffusion-dpmpp-15",
            "diffusion-dpmpp-20",
            "diffusion-dpmpp-25",
        ] {
            assert!(ids.contains(&id), "{}: row {id} missing", b.dataset);
        }
        for family in ["gan", "vae", "diffusion"] {
            let row = b.rows.iter().find(|r| r.id == family).unwrap();
            assert!(
                row.unconditional.is_some() && row.speed.is_some(),
                "{family}"
            );
        }
        // The reference points bracket the scale: real images beat noise and the class-mean images.
        let fid = |id: &str| b.rows.iter().find(|r| r.id == id).unwrap().conditional.fid;
        assert!(fid("train") < fid("class-means") && fid("class-means") < fid("noise"));
        // Noise covers none of the real images. (Its precision is no floor: one outlying test image whose
        // k-NN ball swallows the noise cluster lifts it, see the README.)
        let row = |id: &str| &b.rows.iter().find(|r| r.id == id).unwrap().conditional;
        assert!(row("noise").recall < 0.05, "noise covers real images");
        assert!(row("noise").accuracy < 0.2 && row("train").accuracy > 0.85);
        assert!(row("train").precision > 0.85 && row("train").recall > 0.85);
    }
}

/// The README promises that reruns with other seeds move each model's FID by well under 10%: its
/// jackknife error bar (one standard deviation) must stay within 3.5% of the FID.
#[test]
fn model_rows_have_tight_error_bars() {
    for b in shipped().datasets {
        // The 128-sample diffusion sweeps are read only for large differences, the DPM-Solver++ rows
        // against the main row with their own error bars (README).
        for r in b.rows.iter().filter(|r| {
            r.model != "reference"
                && !matches!(r.sweep.as_deref(), Some("steps" | "guidance" | "dpmpp"))
        }) {
            let c = &r.conditional;
            let mut bars = vec![("conditional", c.fid, c.fid_se)];
            bars.extend(
                r.unconditional
                    .as_ref()
                    .map(|u| ("unconditional", u.fid, u.fid_se)),
            );
            for (set, fid, se) in bars {
                assert!(
                    se <= 0.035 * fid,
                    "{} {} {set}: FID {fid:.3} ± {se:.3} is wider than 3.5%",
                    b.dataset,
                    r.id
                );
            }
        }
    }
}

#[test]
fn damaged_scoreboards_are_refused() {
    let json = std::fs::read_to_string(models_dir().join("scoreboard.json")).unwrap();
    assert!(Scoreboard::parse(&json.replace("\"schema\": 2", "\"schema\": 99")).is_err());
    assert!(Scoreboard::parse(&json.replace("\"precision\": 0", "\"precision\": 7")).is_err());
    assert!(Scoreboard::parse(&json.replacen("\"id\"", "\"surprise\": 1, \"id\"", 1)).is_err());
    assert!(Scoreboard::parse(&json[..json.len() / 2]).is_err());
}

#[test]
fn readme_shows_the_shipped_tables() {
    let readme = std::fs::read_to_string(models_dir().join("../README.md")).unwrap();
    let tables = shipped().markdown();
    assert!(
        readme.contains(&tables),
        "README.md's scoreboard tables differ from models/scoreboard.json: paste models/scoreboard.md"
    );
    assert_eq!(
        std::fs::read_to_string(models_dir().join("scoreboard.md")).unwrap(),
        tables
    );
}
