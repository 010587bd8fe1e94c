//! The command line's progress display (training and the scoreboard): an `indicatif` bar with rate, ETA
//! and smoothed losses, redrawn in place on a terminal. Under `nohup` (no terminal) the bar stays hidden
//! and a plain line is printed every 30 seconds instead, so a log file stays readable.

use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Seconds between plain lines when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(30);
/// Weight of the past in the losses shown (an exponential moving average).
const SMOOTHING: f64 = 0.98;

pub struct Progress {
    bar: ProgressBar,
    name: String,
    smooth: Vec<f64>,
    /// `None` on a terminal (indicatif draws); else when the last plain line was printed.
    last_line: Option<Instant>,
}

impl Progress {
    /// A display for steps `start_step..total` of the job `name`.
    pub fn new(name: String, start_step: u64, total: u64) -> Self {
        let tty = std::io::stderr().is_terminal();
        let target = if tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target).with_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:24}] {pos}/{len} {per_sec} ETA {eta_precise}  {msg}",
            )
            .expect("a valid template")
            .progress_chars("#>."),
        );
        bar.set_prefix(name.clone());
        // Rate and ETA count only this run's steps, not those a resumed run starts with.
        bar.set_position(start_step);
        bar.reset_eta();
        Self {
            bar,
            name,
            smooth: Vec::new(),
            last_line: (!tty).then(Instant::now),
        }
    }

    /// Step `step` is done; `losses` (named `names`) are smoothed into the display.
    pub fn update(&mut self, step: u64, names: &[&str], losses: &[f64]) {
        if self.smooth.len() != losses.len() {
            self.smooth = losses.to_vec();
        }
        for (s, l) in self.smooth.iter_mut().zip(losses) {
            *s = SMOOTHING * *s + (1.0 - SMOOTHING) * l;
        }
        let losses: Vec<String> = names
            .iter()
            .zip(&self.smooth)
            .map(|(n, v)| format!("{n} {v:.4}"))
            .collect();
        self.bar.set_position(step);
        self.bar.set_message(losses.join("  "));
        let total = self.bar.length().unwrap_or(step);
        if let Some(last) = &mut self.last_line
            && (last.elapsed() >= LOG_EVERY || step == total)
        {
            *last = Instant::now();
            eprintln!(
                "{} {step}/{total} {:.2} steps/s ETA {}  {}",
                self.name,
                self.bar.per_sec(),
                HumanDuration(self.bar.eta()),
                self.bar.message()
            );
        }
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}
