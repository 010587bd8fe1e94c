//! The checksum list of the model files, `models/SHA256SUMS`: one `<SHA-256>  <file name>` line per file,
//! in `sha256sum`'s format (so `cd models && sha256sum -c SHA256SUMS` checks it too). Training records
//! each file it writes, `trilemma checksums` rewrites the list for the files there, and every load checks
//! a file's bytes against it before reading them: a flipped byte is refused, with the file named. The
//! page checks against the list as it was when the wasm was built (compiled in: retrained weights need a
//! rebuild, which shipping them takes anyway).

use super::WeightsError;
use crate::knob::quote;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

/// The list's file name, beside the model files.
pub const CHECKSUMS: &str = "SHA256SUMS";

type Sha = [u8; 32];

/// File name → SHA-256 of its bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checksums(BTreeMap<String, Sha>);

fn sha256(bytes: &[u8]) -> Sha {
    Sha256::digest(bytes).into()
}

/// A file's SHA-256 as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha256(bytes))
}

fn hex(sha: &Sha) -> String {
    sha.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Sha> {
    let mut sha = [0; 32];
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    for (byte, pair) in sha.iter_mut().zip(text.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(sha)
}

/// The file a path names: its last `/`-separated part.
pub(super) fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Checksums {
    /// The list of `models/` as it was when this build was compiled: what the page checks against.
    pub fn shipped() -> Result<Self, WeightsError> {
        Self::parse(include_str!("../../../models/SHA256SUMS"))
            .map_err(|e| WeightsError(format!("the built-in {CHECKSUMS} is unusable: {e}")))
    }

    /// A list in `sha256sum`'s format (text mode `  ` or binary mode ` *` between digest and name).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut list = BTreeMap::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
            let bad = || format!("line {} is not `<SHA-256>  <file>`: {}", i + 1, quote(line));
            let (digest, name) = line.split_at_checked(64).ok_or_else(bad)?;
            let name = name
                .strip_prefix("  ")
                .or_else(|| name.strip_prefix(" *"))
                .filter(|n| !n.is_empty() && base_name(n) == *n)
                .ok_or_else(bad)?;
            let sha = from_hex(digest).ok_or_else(bad)?;
            if list.insert(name.to_string(), sha).is_some() {
                return Err(format!("{} is listed twice", quote(name)));
            }
        }
        Ok(Self(list))
    }

    /// The list's text, sorted by file name; [`Checksums::parse`] reads it back.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|(name, sha)| format!("{}  {name}\n", hex(sha)))
            .collect()
    }

    /// Records `bytes` as the content of file `name`.
    pub fn record(&mut self, name: &str, bytes: &[u8]) {
        self.0.insert(name.to_string(), sha256(bytes));
    }

    /// Whether `bytes` are what the list records for the file `path` names (`path` as it was read or
    /// fetched, e.g. `models/gan-mnist.bpk`; the error names it).
    pub fn verify(&self, path: &str, bytes: &[u8]) -> Result<(), WeightsError> {
        let name = base_name(path);
        let Some(expected) = self.0.get(name) else {
            let names: Vec<&str> = self.0.keys().map(String::as_str).collect();
            return Err(WeightsError(format!(
                "{} is not in the checksum list {CHECKSUMS} (it lists {})",
                quote(path),
                names.join(", ")
            )));
        };
        let found = sha256(bytes);
        if found == *expected {
            return Ok(());
        }
        // Bytes of another listed file: a mix-up, named as such.
        match self.0.iter().find(|(_, sha)| **sha == found) {
            Some((other, _)) => Err(WeightsError(format!(
                "{path} holds the {} model, not its own (its bytes are {other}'s)",
                other.strip_suffix(".bpk").unwrap_or(other)
            ))),
            None => Err(WeightsError(format!(
                "{path} is damaged (checksum mismatch): its SHA-256 is {}…, {CHECKSUMS} records {}…",
                &hex(&found)[..12],
                &hex(expected)[..12]
            ))),
        }
    }
}

/// The list as a file in a folder of model files (native: training, the command line, the tests).
#[cfg(not(target_arch = "wasm32"))]
impl Checksums {
    /// The list in folder `dir`.
    pub fn read(dir: &Path) -> Result<Self, String> {
        let path = dir.join(CHECKSUMS);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "can't read the checksum list {}: {e} (write it: trilemma checksums)",
                path.display()
            )
        })?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Writes the list into folder `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        let path = dir.join(CHECKSUMS);
        std::fs::write(&path, self.to_text()).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Records file `name` of folder `dir` as `bytes` in the folder's list, starting one where there is
    /// none (a list that can't be read is an error, not replaced: it holds the other files' lines).
    pub fn record_in(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
        let mut list = match dir.join(CHECKSUMS).exists() {
            true => Self::read(dir)?,
            false => Self::default(),
        };
        list.record(name, bytes);
        list.write(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Checksums {
        let mut list = Checksums::default();
        list.record("gan-mnist.bpk", b"gan");
        list.record("vae-mnist.bpk", b"vae");
        list
    }

    #[test]
    fn the_list_reads_back_its_text_and_sha256sum_lines() {
        let list = list();
        assert_eq!(Checksums::parse(&list.to_text()), Ok(list.clone()));
        // sha256sum's digest of "abc", in its binary mode.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let parsed = Checksums::parse(&format!("{abc} *abc.bpk\n")).unwrap();
        assert_eq!(parsed.verify("x/abc.bpk", b"abc"), Ok(()));
        for bad in [
            "abc  x.bpk",
            &format!("{abc} x.bpk"),
            &format!("{abc}  "),
            &format!("{abc}  ../x.bpk"),
            &format!("{}  x.bpk", abc.replace('a', "g")),
            &format!("{abc}  x.bpk\n{abc}  x.bpk"),
            &format!("é{}  x.bpk", &abc[2..]),
        ] {
            assert!(Checksums::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_changed_or_swapped_or_unlisted_file_is_named() {
        let list = list();
        assert_eq!(list.verify("models/gan-mnist.bpk", b"gan"), Ok(()));
        let damaged = list.verify("models/gan-mnist.bpk", b"gam").unwrap_err().0;
        assert!(
            damaged.starts_with("models/gan-mnist.bpk is damaged (checksum mismatch)"),
            "{damaged}"
        );
        let swapped = list.verify("models/gan-mnist.bpk", b"vae").unwrap_err().0;
        assert!(
            swapped.starts_with("models/gan-mnist.bpk holds the vae-mnist model"),
            "{swapped}"
        );
        let unlisted = list.verify("models/x\n.bpk", b"gan").unwrap_err().0;
        assert!(
            unlisted.contains("\"models/x\\n.bpk\" is not in the checksum list"),
            "{unlisted}"
        );
    }

    #[test]
    fn the_shipped_list_names_every_model_file_of_the_page() {
        let shipped = Checksums::shipped().unwrap();
        for file in crate::vocabulary::Vocabulary::new().models.values() {
            assert!(shipped.0.contains_key(file), "{file}");
        }
    }
}
