//! A one-line progress display: steps/s, ETA and smoothed losses. On a terminal it redraws in place;
//! otherwise (a log file under nohup) it prints a line every 30 seconds.

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Progress {
    name: String,
    start_step: u64,
    total: u64,
    started: Instant,
    last_print: Instant,
    smooth: Vec<f64>,
    tty: bool,
}

impl Progress {
    pub fn new(name: String, start_step: u64, total: u64) -> Self {
        Self {
            name,
            start_step,
            total,
            started: Instant::now(),
            last_print: Instant::now(),
            smooth: Vec::new(),
            tty: std::io::stderr().is_terminal(),
        }
    }

    pub fn update(&mut self, step: u64, names: &[&str], losses: &[f64]) {
        if self.smooth.len() != losses.len() {
            self.smooth = losses.to_vec();
        }
        for (s, l) in self.smooth.iter_mut().zip(losses) {
            *s = 0.98 * *s + 0.02 * l;
        }
        let every = if self.tty { 0.2 } else { 30.0 };
        if self.last_print.elapsed().as_secs_f64() < every && step != self.total {
            return;
        }
        self.last_print = Instant::now();
        let rate = (step - self.start_step) as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        let eta = (self.total - step) as f64 / rate.max(1e-9);
        let done = step as f64 / self.total as f64;
        let bar: String = (0..24)
            .map(|i| if (i as f64) < done * 24.0 { '#' } else { '.' })
            .collect();
        let losses: Vec<String> = names
            .iter()
            .zip(&self.smooth)
            .map(|(n, v)| format!("{n} {v:.4}"))
            .collect();
        let line = format!(
            "{} [{bar}] {step}/{} {rate:.2} steps/s ETA {}:{:02}:{:02}  {}",
            self.name,
            self.total,
            (eta / 3600.0) as u64,
            (eta / 60.0) as u64 % 60,
            eta as u64 % 60,
            losses.join("  ")
        );
        let mut err = std::io::stderr();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}
