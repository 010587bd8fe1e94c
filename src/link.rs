//! Share links: the page's whole state in a URL query, under the same names as the scripting API's
//! `generate` options (`?family=gan&dataset=mnist&class=3&seed=7&n=16&truncation=0.6…`) plus the page's own
//! (`view`, `frame`, `t`, `strength`).
//!
//! Decoding never fails: each bad field — unknown, repeated, of the wrong type, out of range, not valid
//! percent-encoding — keeps its default and adds a notice that names it. Notices are plain text (the page
//! shows them as text, never as HTML) and quote at most a short, escaped piece of the input.

use crate::generate::Request;
use crate::knob::{Knob, Scalar, named_knob, quote, whole_knob};
use crate::models::diffusion::{Strength, T, Timestep};
use serde::Serialize;

/// Longest query read; a longer one is ignored as a whole.
pub const MAX_LINK: usize = 2048;
/// Longest notice: some messages repeat the value.
const MAX_NOTICE: usize = 120;

/// The panel the page shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// One family's controls and samples.
    #[default]
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
}

named_knob!(View, "view");
whole_knob!(
    /// Step scrubber: the shown step of a diffusion run, 0 = pure noise (at most the run's length).
    Frame(usize), "frame", 0..=T, default 0
);

/// Everything a share link restores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct State {
    pub view: View,
    #[serde(flatten)]
    pub request: Request,
    /// Step scrubber: the shown step of the diffusion run; `None` = the finished sample.
    pub frame: Option<usize>,
    /// Forward-process scrubber: the timestep of the noised real image.
    pub t: Timestep,
    /// Image-to-image: how far the drawing is noised before it is denoised.
    pub strength: Strength,
}

/// A state built field by field, each field checked as it is set.
#[derive(Default)]
struct Builder {
    state: State,
    frame: Option<Frame>,
}

impl Builder {
    fn set(&mut self, key: &str, value: &Scalar) -> Result<(), String> {
        let state = &mut self.state;
        match key {
            View::NAME => state.view = Knob::from_scalar(value)?,
            Frame::NAME => self.frame = Some(Knob::from_scalar(value)?),
            Timestep::NAME => state.t = Knob::from_scalar(value)?,
            Strength::NAME => state.strength = Knob::from_scalar(value)?,
            _ => state.request.set(key, value)?,
        }
        Ok(())
    }

    /// The state, and a notice if the frame lies beyond the run the other fields describe.
    fn finish(mut self) -> (State, Option<String>) {
        let last = last_frame(&self.state.request);
        let notice = match self.frame {
            Some(f) if f.get() > last => Some(format!(
                "frame: this run has frames 0–{last}, got {}",
                f.get()
            )),
            f => {
                self.state.frame = f.map(Frame::get);
                None
            }
        };
        (self.state, notice)
    }
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

/// The last frame of a run: the noise is frame 0, then one per step.
fn last_frame(request: &Request) -> usize {
    request.options.diffusion.timesteps(T).len()
}

/// At most [`MAX_NOTICE`] characters of a notice.
fn capped(notice: String) -> String {
    match notice.char_indices().nth(MAX_NOTICE) {
        Some((cut, _)) => format!("{}…", &notice[..cut]),
        None => notice,
    }
}

/// The state a link's query (with or without its leading `?`) describes, and a notice per field that was
/// not used.
pub fn decode(query: &str) -> (State, Vec<String>) {
    let mut notices = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_LINK {
        notices.push(format!(
            "the link is longer than {MAX_LINK} characters: it was ignored"
        ));
        return (State::default(), notices);
    }
    let mut builder = Builder::default();
    let mut seen = Vec::new();
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
        // A field counts as given once a value of it was used: after a bad one, the next may still be.
        match builder.set(&key, &Scalar::Text(value)) {
            Ok(()) => seen.push(key),
            Err(e) => notices.push(capped(e)),
        }
    }
    let (state, notice) = builder.finish();
    notices.extend(notice);
    (state, notices)
}

/// The state named by `(field, value)` pairs (the page's own state object): like [`decode`], but any bad
/// field is an error, listing every problem.
pub fn from_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a Scalar)>,
) -> Result<State, String> {
    let mut builder = Builder::default();
    let mut errors: Vec<String> = fields
        .into_iter()
        .filter_map(|(key, value)| builder.set(key, value).err())
        .collect();
    let (state, notice) = builder.finish();
    errors.extend(notice);
    match errors.is_empty() {
        true => Ok(state),
        false => Err(errors.join("; ")),
    }
}

/// The query (without `?`) of a link to `state`: every field, so the link keeps its meaning when defaults
/// change.
pub fn encode(state: &State) -> String {
    let mut fields = vec![(View::NAME, state.view.to_text())];
    fields.extend(state.request.texts());
    fields.extend(state.frame.map(|f| (Frame::NAME, f.to_string())));
    fields.push((Timestep::NAME, state.t.to_text()));
    fields.push((Strength::NAME, state.strength.to_text()));
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DatasetKind;
    use crate::generate::{Class, Count, Seed};
    use crate::models::Family;
    use crate::models::diffusion::{Eta, Guidance, Sampler, Steps};
    use crate::models::gan::Truncation;
    use crate::models::vae::Temperature;
    use crate::rng::Rng;

    fn random_state(rng: &mut Rng) -> State {
        let mut s = State::default();
        let unit = |rng: &mut Rng| rng.below(1_000_001) as f32 / 1e6;
        s.view = View::ALL[rng.below(3)];
        let r = &mut s.request;
        r.family = Family::ALL[rng.below(3)];
        r.dataset = DatasetKind::ALL[rng.below(2)];
        let o = &mut r.options;
        o.class = Class::new((rng.below(11) < 10).then(|| rng.below(10))).unwrap();
        o.seed = Seed::new(rng.next_u64() >> 11).unwrap();
        o.n = Count::new(1 + rng.below(64)).unwrap();
        o.truncation = Truncation::new(1.5 * unit(rng)).unwrap();
        o.temperature = Temperature::new(1.5 * unit(rng)).unwrap();
        o.diffusion.sampler = Sampler::ALL[rng.below(Sampler::ALL.len())];
        o.diffusion.steps = Steps::new(1 + rng.below(T)).unwrap();
        o.diffusion.eta = Eta::new(unit(rng)).unwrap();
        o.diffusion.guidance = Guidance::new(20.0 * unit(rng)).unwrap();
        s.frame = (rng.below(2) == 0).then(|| rng.below(last_frame(r) + 1));
        s.t = Timestep::new(rng.below(T + 1)).unwrap();
        s.strength = Strength::new(unit(rng)).unwrap();
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
        let o = s.request.options;
        assert_eq!((o.seed.get(), o.n), (7, Count::DEFAULT));
        assert_eq!((o.class.get(), o.truncation.get()), (Some(3), 0.5));
        assert_eq!(s.request.family, Family::Gan);
        // Percent-encoding and `+` decode like a browser's.
        let (s, notices) = decode("class=%6Eone&view=com%70are");
        assert!(notices.is_empty());
        assert_eq!(
            (s.request.options.class, s.view),
            (Class::NONE, View::Compare)
        );
    }

    #[test]
    fn notices_cannot_be_made_to_say_something_else() {
        // A repeated field whose first value was refused takes the next: the notice said so before it did.
        let (s, notices) = decode("n=abc&n=4");
        assert_eq!(
            (s.request.options.n.get(), notices.len()),
            (4, 1),
            "{notices:?}"
        );
        let (s, notices) = decode("n=4&n=5");
        assert_eq!(s.request.options.n.get(), 4);
        assert!(notices[0].contains("the first is used"), "{notices:?}");
        // Line breaks and bidirectional overrides stay visible as escapes: no fake second message.
        let (_, notices) = decode("family=%0A%0AThe%20GPU%20device%20was%20lost.%E2%80%AEevil");
        assert_eq!(notices.len(), 1);
        let n = &notices[0];
        assert!(n.starts_with("unknown family"), "{n}");
        assert!(
            !n.contains('\n') && !n.contains('\u{202e}') && n.contains("\\n\\n"),
            "{n}"
        );
    }

    #[test]
    fn page_state_fields_are_checked_strictly() {
        let f = |pairs: &[(&str, &str)]| {
            let values: Vec<Scalar> = pairs
                .iter()
                .map(|(_, v)| Scalar::Text(v.to_string()))
                .collect();
            from_fields(pairs.iter().map(|(k, _)| *k).zip(&values))
        };
        let s = f(&[
            ("family", "vae"),
            ("class", "none"),
            ("seed", "12"),
            ("strength", "0.25"),
        ])
        .unwrap();
        let o = s.request.options;
        assert_eq!(
            (s.request.family, o.class, o.seed.get(), s.strength.get()),
            (Family::Vae, Class::NONE, 12, 0.25)
        );
        // Values that would break a query reach the checks intact and are refused.
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
            assert!(
                notices.iter().all(|n| n.chars().count() < 160),
                "{q}: {notices:?}"
            );
            // Whatever came in, the link written back is clean.
            assert_eq!(decode(&encode(&s)), (s, vec![]));
        }
    }
}
