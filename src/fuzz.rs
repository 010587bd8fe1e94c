//! The property tests' runner: every entry point that takes outside input (links, options, weight files,
//! images and codes from the page) is fed generated and mutated values, and must answer each with a value
//! or an error that says why — never a panic (proptest catches one and shrinks it to a minimal input).
//! Seeded, so a run repeats. `cargo test` runs each property's default count — 100,000, or fewer for
//! those whose cases load models or run networks; `TRILEMMA_FUZZ_CASES=N` runs N of each (`./x fuzz`:
//! 100,000: 13–17 minutes on this shared 2-core machine, most of it loading mutated weight files).

use crate::data::fnv1a;
use crate::generate::MAX_SEED;
use crate::knob::Scalar;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseResult, TestRunner};
use std::time::Instant;

/// Cases of a property: `default`, unless `TRILEMMA_FUZZ_CASES` says otherwise.
fn cases(default: u32) -> u32 {
    std::env::var("TRILEMMA_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Checks `property` on `cases` values of `strategy` (seeded by `name`); prints the count and time.
pub fn check<S: Strategy>(
    name: &str,
    default: u32,
    strategy: S,
    property: impl Fn(S::Value) -> TestCaseResult,
) {
    let cases = cases(default);
    let mut runner = TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(fnv1a(name.as_bytes())),
        failure_persistence: None,
        ..Config::default()
    });
    let start = Instant::now();
    if let Err(e) = runner.run(&strategy, property) {
        panic!("{name}: {e}");
    }
    let seconds = start.elapsed().as_secs_f64();
    eprintln!("property {name}: {cases} cases in {seconds:.1} s");
}

/// Text as hostile input writes it: link syntax, escapes, digits and number syntax, control characters,
/// bidirectional overrides, and now and then any character at all.
pub fn hostile_text() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = "=&%+?#;|~<>\"'/\\ 0123456789abcdefABCDEFnoneE.-xé\u{0}\n\u{202e}"
        .chars()
        .collect();
    let c = prop_oneof![4 => prop::sample::select(alphabet), 1 => any::<char>()];
    prop::collection::vec(c, 0..24).prop_map(String::from_iter)
}

/// `good` with a few characters (`edits` of them) each replaced by any character: text that is almost right.
pub fn edited(good: String, edits: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), any::<char>());
    prop::collection::vec(edit, edits).prop_map(move |edits| {
        let mut text: Vec<char> = good.chars().collect();
        for (at, c) in edits {
            let at = at.index(text.len());
            text[at] = c;
        }
        String::from_iter(text)
    })
}

/// A value as the page or a link hands it over: numbers anywhere (NaN, ±∞, huge, fractions, the edges of
/// the knobs' ranges) or text (names, numbers as text, hostile text).
pub fn scalar() -> impl Strategy<Value = Scalar> {
    let edges = vec![
        -1.0,
        -0.0,
        0.0,
        0.5,
        1.0,
        1.5,
        2.0,
        10.0,
        16.0,
        20.0,
        64.0,
        65.0,
        1000.0,
        1001.0,
        MAX_SEED as f64,
        MAX_SEED as f64 + 1.0,
        u32::MAX as f64,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::NAN,
        f64::INFINITY,
    ];
    let names = vec![
        "gan",
        "vae",
        "diffusion",
        "mnist",
        "fashion",
        "none",
        "ddim",
        "dpmpp",
        "ddpm",
        "play",
        "compare",
        "speed",
        "7",
        "0.5",
        "1e3",
        " 3",
        "0x10",
        "-0",
    ];
    prop_oneof![
        any::<f64>().prop_map(Scalar::Number),
        (-10i64..1100).prop_map(|x| Scalar::Number(x as f64)),
        (-1.0f64..25.0).prop_map(Scalar::Number),
        prop::sample::select(edges).prop_map(Scalar::Number),
        prop::sample::select(names).prop_map(|s| Scalar::Text(s.into())),
        hostile_text().prop_map(Scalar::Text),
    ]
}
