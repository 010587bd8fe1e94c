//! Share links: the page's whole state in a URL query, under the same names as the scripting API's
//! `generate` options (`?family=gan&dataset=mnist&class=3&seed=7&n=16&truncation=0.6…`) plus the page's own
//! (`view`, `frame`, `t`, `strength`).
//!
//! Decoding never fails: each bad field — unknown, repeated, of the wrong type, out of range, not valid
//! percent-encoding — falls back to its default and adds a notice that names it. Notices are plain text
//! (the page shows them as text, never as HTML) and quote at most a short, escaped piece of the input.

use crate::data::DatasetKind;
use crate::generate::{OPTIONS, Options, Request, Scalar};
use crate::models::Family;
use crate::models::diffusion::T;

/// Longest query read; a longer one is ignored as a whole.
pub const MAX_LINK: usize = 2048;

/// The panel the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// One family's controls and samples.
    Play,
    /// The three families side by side, and the scoreboard.
    Compare,
    /// The speed benchmark.
    Speed,
}

impl View {
    pub const ALL: [View; 3] = [View::Play, View::Compare, View::Speed];

    pub fn name(self) -> &'static str {
        match self {
            View::Play => "play",
            View::Compare => "compare",
            View::Speed => "speed",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| format!("view must be play, compare or speed, got {}", quote(name)))
    }
}

/// Everything a share link restores.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct State {
    pub view: View,
    pub family: Family,
    pub dataset: DatasetKind,
    pub options: Options,
    /// Step scrubber: the shown step of the diffusion run, 0 = pure noise; `None` = the finished sample.
    pub frame: Option<usize>,
    /// Forward-process scrubber: timestep 0–1000 of the noised real image.
    pub t: usize,
    /// Image-to-image strength ∈ [0, 1]: the drawing is noised to t = strength · 1000.
    pub strength: f32,
}

impl Default for State {
    fn default() -> Self {
        let (family, dataset) = Request::default()
            .model()
            .expect("the default request names a model");
        Self {
            view: View::Play,
            family,
            dataset,
            options: Options::default(),
            frame: None,
            t: T / 2,
            strength: 0.6,
        }
    }
}

/// At most 32 characters of untrusted input, escaped and quoted.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(32).collect();
    let more = if short.len() < s.len() { "…" } else { "" };
    format!("{short:?}{more}")
}

/// `%XX` and `+` decoding; `None` when the bytes are not valid percent-encoded UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Number of frames of a run: the noise, then one per step.
fn last_frame(options: &Options) -> usize {
    options.diffusion.timesteps(T).len()
}

fn whole(v: &str, max: usize) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(x) if x <= max => Ok(x),
        _ => Err(format!(
            "must be a whole number in 0–{max}, got {}",
            quote(v)
        )),
    }
}

/// The state a link's query (with or without its leading `?`) describes, and a notice per field that was
/// not used.
pub fn decode(query: &str) -> (State, Vec<String>) {
    let mut state = State::default();
    let mut notices = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_LINK {
        notices.push(format!(
            "the link is longer than {MAX_LINK} characters: it was ignored"
        ));
        return (state, notices);
    }
    let mut seen = Vec::new();
    let mut fields = Vec::new();
    let mut frame = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(key), Some(value)) = (percent_decode(raw_key), percent_decode(raw_value)) else {
            notices.push(format!("{}: not a valid link field; ignored", quote(pair)));
            continue;
        };
        if seen.contains(&key) {
            notices.push(format!("{}: given twice; the first is used", quote(&key)));
            continue;
        }
        seen.push(key.clone());
        let result = match key.as_str() {
            "view" => View::parse(&value).map(|v| state.view = v),
            "frame" => whole(&value, T).map(|f| frame = Some(f)),
            "t" => whole(&value, T).map(|t| state.t = t),
            "strength" => match value.parse::<f32>() {
                Ok(s) if (0.0..=1.0).contains(&s) => {
                    state.strength = s;
                    Ok(())
                }
                _ => Err(format!("must be in [0, 1], got {}", quote(&value))),
            },
            k if OPTIONS.contains(&k) => option_field(k, value).map(|f| fields.push(f)),
            _ => Err("unknown field; ignored".to_string()),
        };
        if let Err(e) = result {
            // Some messages repeat the value: keep them short.
            let notice = format!("{}: {e}", quote(&key));
            notices.push(match notice.char_indices().nth(120) {
                Some((cut, _)) => format!("{}…", &notice[..cut]),
                None => notice,
            });
        }
    }
    // Each field was checked on its own against the defaults, and no check spans two fields.
    let request = Request::from_fields(fields).expect("fields checked one by one");
    (state.family, state.dataset) = request.model().expect("family and dataset checked");
    state.options = request.options().expect("options checked");
    if let Some(f) = frame {
        if f <= last_frame(&state.options) {
            state.frame = Some(f);
        } else {
            notices.push(format!(
                "\"frame\": this run has frames 0–{}, got {f}",
                last_frame(&state.options)
            ));
        }
    }
    (state, notices)
}

/// One `generate` option from its link text, checked alone against the defaults.
fn option_field(key: &str, value: String) -> Result<(String, Option<Scalar>), String> {
    let scalar = Scalar::from_text(key, &value)
        .ok_or_else(|| format!("must be a number, got {}", quote(&value)))?;
    let field = (key.to_string(), Some(scalar));
    let request = Request::from_fields([field.clone()])?;
    request.model()?;
    request.options()?;
    Ok(field)
}

/// `%XX` encoding of every byte but letters, digits and `-._~`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The state named by `(field, value)` pairs (the page's own state object): like [`decode`], but any bad
/// field is an error, listing every notice.
pub fn from_fields(fields: &[(String, String)]) -> Result<State, String> {
    let query = fields
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    match decode(&query) {
        (state, notices) if notices.is_empty() => Ok(state),
        (_, notices) => Err(notices.join("; ")),
    }
}

/// The query (without `?`) of a link to `state`: every field, so the link keeps its meaning when defaults
/// change.
pub fn encode(state: &State) -> String {
    let o = &state.options;
    let d = &o.diffusion;
    let mut fields = vec![
        ("view", state.view.name().to_string()),
        ("family", state.family.name().to_string()),
        ("dataset", state.dataset.name().to_string()),
        (
            "class",
            o.class.map_or("none".to_string(), |c| c.to_string()),
        ),
        ("seed", o.seed.to_string()),
        ("n", o.n.to_string()),
        ("truncation", o.truncation.to_string()),
        ("temperature", o.temperature.to_string()),
        ("sampler", d.sampler.name().to_string()),
        ("steps", d.steps.to_string()),
        ("eta", d.eta.to_string()),
        ("guidance", d.guidance.to_string()),
    ];
    if let Some(f) = state.frame {
        fields.push(("frame", f.to_string()));
    }
    fields.push(("t", state.t.to_string()));
    fields.push(("strength", state.strength.to_string()));
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::diffusion::Sampler;
    use crate::rng::Rng;

    fn random_state(rng: &mut Rng) -> State {
        let mut s = State::default();
        let unit = |rng: &mut Rng| rng.below(1_000_001) as f32 / 1e6;
        s.view = View::ALL[rng.below(3)];
        s.family = Family::ALL[rng.below(3)];
        s.dataset = DatasetKind::ALL[rng.below(2)];
        let o = &mut s.options;
        o.class = (rng.below(11) < 10).then(|| rng.below(10));
        o.seed = rng.next_u64() >> 11;
        o.n = 1 + rng.below(64);
        o.truncation = 1.5 * unit(rng);
        o.temperature = 1.5 * unit(rng);
        o.diffusion.sampler = [Sampler::Ddim, Sampler::Ddpm][rng.below(2)];
        o.diffusion.steps = 1 + rng.below(T);
        o.diffusion.eta = unit(rng);
        o.diffusion.guidance = 20.0 * unit(rng);
        s.frame = (rng.below(2) == 0).then(|| rng.below(last_frame(o) + 1));
        s.t = rng.below(T + 1);
        s.strength = unit(rng);
        s
    }

    #[test]
    fn every_state_survives_the_round_trip() {
        let mut rng = Rng::new(11);
        for _ in 0..2000 {
            let s = random_state(&mut rng);
            let link = encode(&s);
            let (back, notices) = decode(&format!("?{link}"));
            assert!(notices.is_empty(), "{link}: {notices:?}");
            assert_eq!(back, s, "{link}");
        }
        assert_eq!(decode(""), (State::default(), vec![]));
    }

    #[test]
    fn bad_fields_fall_back_to_their_defaults_with_a_notice() {
        let d = State::default();
        let cases = [
            ("seed=abc", "seed"),
            ("seed=-1", "seed"),
            ("seed=1e300", "seed"),
            ("seed=9007199254740992", "seed"),
            ("n=0", "n"),
            ("n=65", "n"),
            ("n=2.5", "n"),
            ("n=NaN", "n"),
            ("truncation=inf", "truncation"),
            ("truncation=1.6", "truncation"),
            ("temperature=-0.1", "temperature"),
            ("steps=1001", "steps"),
            ("eta=2", "eta"),
            ("guidance=21", "guidance"),
            ("class=10", "class"),
            ("class=<script>alert(1)</script>", "class"),
            ("family=transformer", "family"),
            ("dataset=cifar", "dataset"),
            ("sampler=euler", "sampler"),
            ("view=admin", "view"),
            ("frame=5000", "frame"),
            ("frame=51", "frame"),
            ("t=-3", "t"),
            ("strength=1.5", "strength"),
            ("bogus=1", "bogus"),
            ("%zz=1", "%zz=1"),
            ("seed=%FF", "seed=%FF"),
        ];
        for (query, field) in cases {
            let (state, notices) = decode(query);
            assert_eq!(state, d, "{query}");
            assert_eq!(notices.len(), 1, "{query}: {notices:?}");
            assert!(notices[0].contains(field), "{query}: {}", notices[0]);
        }
    }

    #[test]
    fn good_fields_are_kept_beside_bad_ones() {
        let (s, notices) = decode("?seed=7&n=oops&class=3&class=4&truncation=0.5&x=<b>&family=gan");
        assert_eq!(notices.len(), 3, "{notices:?}");
        assert_eq!((s.options.seed, s.options.n), (7, Options::default().n));
        assert_eq!((s.options.class, s.options.truncation), (Some(3), 0.5));
        assert_eq!(s.family, Family::Gan);
        // Percent-encoding and `+` decode like a browser's.
        let (s, notices) = decode("class=%6Eone&view=com%70are");
        assert!(notices.is_empty());
        assert_eq!((s.options.class, s.view), (None, View::Compare));
    }

    #[test]
    fn page_state_fields_are_checked_strictly() {
        let f = |pairs: &[(&str, &str)]| {
            from_fields(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
            )
        };
        let s = f(&[
            ("family", "vae"),
            ("class", "none"),
            ("seed", "12"),
            ("strength", "0.25"),
        ])
        .unwrap();
        assert_eq!(
            (s.family, s.options.class, s.options.seed, s.strength),
            (Family::Vae, None, 12, 0.25)
        );
        // Values that would break a query are encoded, so they reach the checks intact and are refused.
        let e = f(&[("seed", "1&n=2"), ("colour", "red")]).unwrap_err();
        assert!(e.contains("seed") && e.contains("colour"), "{e}");
        assert!(f(&[("n", "64"), ("eta", "1")]).is_ok());
    }

    #[test]
    fn hostile_links_never_panic_and_quote_little() {
        let long = format!("seed={}", "9".repeat(MAX_LINK));
        let (s, notices) = decode(&long);
        assert_eq!((s, notices.len()), (State::default(), 1));
        let alphabet: Vec<char> = "=&%+?#;<>\"'/\\0123456789abcdefsdnx.-eE\u{0}\u{202e}é"
            .chars()
            .collect();
        let keys = [
            "seed", "n", "class", "steps", "frame", "view", "eta", "t", "zz",
        ];
        let mut rng = Rng::new(5);
        for _ in 0..3000 {
            let mut q = String::new();
            for _ in 0..rng.below(6) {
                q += keys[rng.below(keys.len())];
                for _ in 0..rng.below(12) {
                    q.push(alphabet[rng.below(alphabet.len())]);
                }
                q.push('&');
            }
            let (s, notices) = decode(&q);
            assert!(s.options.validate().is_ok(), "{q}");
            assert!(
                notices.iter().all(|n| n.chars().count() < 160),
                "{q}: {notices:?}"
            );
            // Whatever came in, the link written back is clean.
            assert_eq!(decode(&encode(&s)), (s, vec![]));
        }
    }
}
