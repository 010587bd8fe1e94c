//! Training (native only): one loop for every family with seeded batches, a progress line, a CSV loss log,
//! periodic checkpoints that a `--resume` continues from, EMA weights, and at the end the shipped model
//! file (its SHA-256 recorded in `models/SHA256SUMS`), its loss plot and its model card in `models/`.

mod card;
pub mod classifier;
mod diffusion;
mod ema;
mod gan;
pub mod plot;
mod vae;

use crate::data::{CLASSES, Dataset, DatasetKind, PIXELS};
use crate::models::Model;
use crate::models::weights::{Checksums, ModelFile, file_name, sha256_hex};
use crate::models::{Family, Kind, images_from_bytes};
use crate::progress::Progress;
use crate::rng::Rng;
use burn::tensor::{Device, Tensor};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Share of training examples shown with the "no class" token, so each model also works unconditionally
/// (and, for diffusion, so classifier-free guidance has an unconditional prediction to push away from).
pub const CLASS_DROPOUT: f64 = 0.1;

/// What `trilemma train` was asked.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub kind: Kind,
    pub dataset: DatasetKind,
    pub steps: u64,
    pub batch: usize,
    pub seed: u64,
    pub resume: bool,
    /// A shipped model file to continue from (its weights and step count; the optimizer starts afresh):
    /// progress that outlives the checkpoints, which stay on one machine.
    pub from: Option<PathBuf>,
    /// Min-SNR-γ weighting of the diffusion loss (Hang et al. 2023): each example's error weighted by
    /// min(SNR(t), γ)/SNR(t), so the many easy low-noise timesteps pull less; `None`: the plain L2 of Ho et al.
    pub min_snr: Option<f64>,
    /// Where the shipped model, its card, loss log and plot go.
    pub out_dir: PathBuf,
    /// Where checkpoints go.
    pub checkpoint_dir: PathBuf,
}

impl TrainOptions {
    /// Default step counts per kind (the shipped models' cards give the ones actually used).
    pub fn default_steps(kind: Kind) -> u64 {
        match kind {
            Kind::Family(Family::Gan) => 6000,
            Kind::Family(Family::Vae) => 6000,
            Kind::Family(Family::Diffusion) => 20000,
            Kind::Classifier => 5000,
        }
    }

    fn name(&self) -> String {
        format!("{}-{}", self.kind, self.dataset)
    }
}

/// A training batch: images `[B, 1, 28, 28]` in [0, 1] and class tokens (some dropped to "no class").
pub struct Batch {
    pub images: Tensor<4>,
    pub classes: Vec<Option<usize>>,
}

/// One family's training state.
trait Trainer {
    /// Column names of the losses `step` returns.
    fn loss_names(&self) -> &'static [&'static str];
    /// Share of training examples shown with the "no class" token.
    fn class_dropout(&self) -> f64 {
        CLASS_DROPOUT
    }
    /// Optimizer step number `step` (0-based); returns the losses.
    fn step(&mut self, step: u64, batch: Batch, rng: &mut Rng) -> Vec<f64>;
    /// Work after the last step, on the training split (the VAE fits its code Gaussians).
    fn finish(&mut self, _data: &Dataset, _train: &[usize]) -> Result<(), String> {
        Ok(())
    }
    /// The weights to ship (EMA where the family keeps one), on the plain device.
    fn shipped(&self) -> Model;
    /// Architecture config as JSON.
    fn config_json(&self) -> String;
    /// A Markdown section for the model card, measured on the test split.
    fn report(&self, _dataset: DatasetKind, _data: &Dataset, _test: &[usize]) -> String {
        String::new()
    }
    fn save(&self, dir: &Path) -> Result<(), String>;
    fn load(self: Box<Self>, dir: &Path) -> Result<Box<dyn Trainer>, String>;
    /// The trainer with a shipped model's weights as its live and averaged weights, where the shipped
    /// file holds every network the family trains.
    fn continue_from(self: Box<Self>, _shipped: Model) -> Result<Box<dyn Trainer>, String> {
        Err(
            "--from: this family's shipped file lacks networks its training needs (the GAN's \
             discriminator); use --resume with a checkpoint"
                .into(),
        )
    }
}

fn trainer(opts: &TrainOptions, device: &Device) -> Box<dyn Trainer> {
    match opts.kind {
        Kind::Family(Family::Gan) => Box::new(gan::GanTrainer::new(device)),
        Kind::Family(Family::Vae) => Box::new(vae::VaeTrainer::new(device)),
        Kind::Family(Family::Diffusion) => {
            Box::new(diffusion::DiffusionTrainer::new(opts.min_snr, device))
        }
        Kind::Classifier => Box::new(classifier::ClassifierTrainer::new(opts.steps, device)),
    }
}

/// The learning rate at optimizer step `step` of `total`: `lr`, dropped ten-fold for the last quarter (the
/// fine detail a constant rate keeps stepping over).
fn last_quarter_drop(lr: f64, step: u64, total: u64) -> f64 {
    if step * 4 >= total * 3 { lr / 10.0 } else { lr }
}

/// Progress saved beside a checkpoint.
#[derive(serde::Serialize, serde::Deserialize)]
struct State {
    step: u64,
    seed: u64,
    batch: usize,
    wall_seconds: f64,
    /// Absent in checkpoints from before the option: those were trained without it.
    #[serde(default)]
    min_snr: Option<f64>,
    /// The shipped file a `--from` run started at, kept so a resumed run's card still names it.
    #[serde(default)]
    origin: Option<Origin>,
}

/// The shipped model file a `--from` run continued: the path it was read from, its step and its SHA-256
/// (the file at that path is usually overwritten by the run itself; the digest finds it in git history).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    path: PathBuf,
    step: u64,
    sha256: String,
}

/// Runs (or resumes) a training run to `opts.steps`.
pub fn train(opts: &TrainOptions) -> Result<(), String> {
    if opts.batch == 0 || opts.batch > 1024 {
        return Err(format!("--batch must be 1–1024, got {}", opts.batch));
    }
    if opts.resume && opts.from.is_some() {
        return Err(
            "--resume continues a checkpoint, --from a shipped file: pass one of them".into(),
        );
    }
    if let Some(gamma) = opts.min_snr {
        if opts.kind != Kind::Family(Family::Diffusion) {
            return Err(format!(
                "--min-snr weights the diffusion loss; {} has none",
                opts.kind
            ));
        }
        if !(0.5..=20.0).contains(&gamma) {
            return Err(format!(
                "--min-snr must be 0.5–20 (the paper's choice: 5), got {gamma}"
            ));
        }
    }
    let data = Dataset::load(opts.dataset).map_err(|e| e.to_string())?;
    let split = data.split();
    let device = Device::flex().autodiff();
    device.seed(opts.seed);
    let ckpt = opts.checkpoint_dir.join(opts.name());
    let log_path = opts.out_dir.join(format!("{}.loss.csv", opts.name()));
    let mut model = trainer(opts, &device);
    let (mut step, mut wall, mut origin) = (0, 0.0, None);
    if opts.resume {
        let state: State = std::fs::read_to_string(ckpt.join("state.json"))
            .map_err(|e| format!("--resume: no checkpoint in {} ({e})", ckpt.display()))
            .and_then(|s| {
                serde_json::from_str(&s).map_err(|e| format!("--resume: bad state.json: {e}"))
            })?;
        if state.seed != opts.seed || state.batch != opts.batch || state.min_snr != opts.min_snr {
            let weighting = state.min_snr.map(|g| format!(" --min-snr {g}"));
            return Err(format!(
                "--resume: the checkpoint was trained with --seed {} --batch {}{}; pass the same",
                state.seed,
                state.batch,
                weighting.unwrap_or_default()
            ));
        }
        model = model.load(&ckpt)?;
        (step, wall, origin) = (state.step, state.wall_seconds, state.origin);
        truncate_log(&log_path, step)?;
        eprintln!("resuming {} at step {step}", opts.name());
    } else if let Some(from) = &opts.from {
        let bytes = std::fs::read(from).map_err(|e| format!("--from {}: {e}", from.display()))?;
        let sha256 = sha256_hex(&bytes);
        let file = ModelFile::load_beside(from, bytes, &Device::flex())
            .map_err(|e| format!("--from: {e}"))?;
        if file.kind != opts.kind || file.dataset != opts.dataset {
            return Err(format!(
                "--from: {} holds the {}-{} model, not {}",
                from.display(),
                file.kind,
                file.dataset,
                opts.name()
            ));
        }
        step = file.step;
        origin = Some(Origin {
            path: from.clone(),
            step,
            sha256,
        });
        model = model.continue_from(file.model)?;
        // The shipped loss log goes on from the shipped step (a fresh log when there is none).
        if truncate_log(&log_path, step).is_err() {
            write_log_header(&log_path, model.as_ref(), &opts.out_dir)?;
        }
        eprintln!(
            "continuing {} from {} at step {step}",
            opts.name(),
            from.display()
        );
    } else {
        write_log_header(&log_path, model.as_ref(), &opts.out_dir)?;
    }
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(&log_path)
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let mut bar = Progress::new(opts.name(), step, opts.steps);
    let started = Instant::now();
    let mut last_save = Instant::now();
    while step < opts.steps {
        // Every step's randomness derives from (seed, step): a resumed run sees the same batches and noise.
        let mut rng = Rng::stream(opts.seed, step);
        let batch = make_batch(
            &data,
            &split.train,
            opts.batch,
            model.class_dropout(),
            &mut rng,
            &device,
        );
        let losses = model.step(step, batch, &mut rng);
        step += 1;
        let row: Vec<String> = losses.iter().map(|l| format!("{l:.5}")).collect();
        writeln!(log, "{step},{}", row.join(",")).map_err(|e| e.to_string())?;
        bar.update(step, model.loss_names(), &losses);
        if last_save.elapsed().as_secs() >= 300 || step == opts.steps {
            let elapsed = wall + started.elapsed().as_secs_f64();
            save_checkpoint(
                model.as_ref(),
                &ckpt,
                &State {
                    step,
                    seed: opts.seed,
                    batch: opts.batch,
                    wall_seconds: elapsed,
                    min_snr: opts.min_snr,
                    origin: origin.clone(),
                },
            )?;
            last_save = Instant::now();
        }
    }
    bar.finish();
    model.finish(&data, &split.train)?;
    let wall_seconds = wall + started.elapsed().as_secs_f64();
    let file = ModelFile {
        kind: opts.kind,
        dataset: opts.dataset,
        step,
        config: model.config_json(),
        model: model.shipped(),
    };
    let name = file_name(opts.kind, opts.dataset);
    let path = opts.out_dir.join(&name);
    let bytes = file.to_bytes().map_err(|e| e.to_string())?;
    std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    // Recorded as it is written: a later load refuses any other bytes under this name.
    Checksums::record_in(&opts.out_dir, &name, &bytes)?;
    let curve = plot::LossLog::read(&log_path)?;
    curve.plot(
        &opts.name(),
        &opts.out_dir.join(plot::plot_file(&opts.name())),
    )?;
    let report = model.report(opts.dataset, &data, &split.test);
    card::write(opts, origin.as_ref(), &file, &curve, wall_seconds, &report)?;
    eprintln!(
        "wrote {} ({:.1} min of training)",
        path.display(),
        wall_seconds / 60.0
    );
    Ok(())
}

/// Starts a loss log with its column names.
fn write_log_header(path: &Path, model: &dyn Trainer, out_dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out_dir).map_err(|e| e.to_string())?;
    let header = format!("step,{}\n", model.loss_names().join(","));
    std::fs::write(path, header).map_err(|e| format!("{}: {e}", path.display()))
}

/// Drops log rows past `step`: those steps are redone from the checkpoint.
fn truncate_log(path: &Path, step: u64) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, line)| {
            *i == 0
                || line
                    .split(',')
                    .next()
                    .and_then(|s| s.parse::<u64>().ok())
                    .is_some_and(|s| s <= step)
        })
        .map(|(_, line)| line)
        .collect();
    std::fs::write(path, kept.join("\n") + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

fn save_checkpoint(model: &dyn Trainer, dir: &Path, state: &State) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    model.save(dir)?;
    let json = serde_json::to_string_pretty(state).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("state.json"), json).map_err(|e| e.to_string())
}

/// A random batch of training images with their classes, each dropped to "no class" with probability
/// `dropout`.
fn make_batch(
    data: &Dataset,
    train: &[usize],
    n: usize,
    dropout: f64,
    rng: &mut Rng,
    device: &Device,
) -> Batch {
    let mut pixels = Vec::with_capacity(n * PIXELS);
    let mut classes = Vec::with_capacity(n);
    for _ in 0..n {
        let i = train[rng.below(train.len())];
        pixels.extend_from_slice(data.image(i));
        let c = data.labels[i] as usize;
        debug_assert!(c < CLASSES);
        classes.push((rng.uniform() >= dropout).then_some(c));
    }
    Batch {
        images: images_from_bytes(&pixels, device),
        classes,
    }
}

/// Checkpoint folder: `$TRILEMMA_CHECKPOINTS`, else `~/.cache/trilemma/checkpoints`.
pub fn default_checkpoint_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TRILEMMA_CHECKPOINTS") {
        return PathBuf::from(dir);
    }
    crate::data::cache_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join("checkpoints")
}

/// Saves a module's f32 weights for resuming.
fn save_module<M: burn::module::Module>(module: &M, dir: &Path, name: &str) -> Result<(), String> {
    module
        .clone()
        .save_file(dir.join(name))
        .map_err(|e| format!("checkpoint {name}: {e}"))
}

/// Loads weights saved by [`save_module`] into `module`.
fn load_module<M: burn::module::Module>(module: M, dir: &Path, name: &str) -> Result<M, String> {
    module
        .try_load_file(dir.join(format!("{name}.bpk")))
        .map_err(|e| format!("checkpoint {} in {}: {e}", name, dir.display()))
}

/// The scalar value of a one-element tensor.
fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

#[cfg(test)]
mod tests {
    use super::last_quarter_drop;

    #[test]
    fn the_rate_drops_ten_fold_for_the_last_quarter() {
        assert_eq!(last_quarter_drop(1e-3, 0, 16_000), 1e-3);
        assert_eq!(last_quarter_drop(1e-3, 11_999, 16_000), 1e-3);
        assert_eq!(last_quarter_drop(1e-3, 12_000, 16_000), 1e-4);
        assert_eq!(last_quarter_drop(1e-3, 15_999, 16_000), 1e-4);
    }
}
