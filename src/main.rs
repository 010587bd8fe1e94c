//! The `trilemma` binary: the command line of `trilemma::cli`. The page uses the library, so on wasm the
//! binary only says where to go.

use std::process::ExitCode;

#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
fn main() -> ExitCode {
    trilemma::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() -> ExitCode {
    eprintln!("the trilemma command line runs natively; in the browser, use the page (./x serve)");
    ExitCode::FAILURE
}
