//! Share links: the page's whole state in a URL query, under the same names as the scripting API's
//! `generate` options (`?family=gan&dataset=mnist&class=3&seed=7&n=16&truncation=0.6…`) plus the page's own
//! (`view`, `frame`, `t`, `strength`).
//!
//! Decoding never fails: each bad field — unknown, repeated, of the wrong type, out of range, not valid
//! percent-encoding — keeps its default and adds a notice that names it. Notices are plain text (the page
//! shows them as text, never as HTML) and quote at most a short, escaped piece of the input.

use crate::generate::{Class, Fields, Request};
use crate::knob::{Knob, Scalar, named_knob, quote, whole_knob};
use crate::models::diffusion::{Strength, T, Timestep};
use crate::speed::SpeedResult;
use serde::Serialize;

/// Longest query read; a longer one is ignored as a whole.
pub const MAX_LINK: usize = 2048;
/// Longest notice: some messages repeat the value.
const MAX_NOTICE: usize = 120;

/// The panel the page shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// One family's controls and samples.
    Play,
    /// The three families racing side by side on one seed and class, and the scoreboard: where a first
    /// visit lands.
    #[default]
    Compare,
    /// The speed benchmark.
    Speed,
    /// The three families training on 2-D data, live (its fields are the training set-up's, read by
    /// `toy::setup` in the training module).
    Train,
}

impl View {
    pub const ALL: [View; 4] = [View::Play, View::Compare, View::Speed, View::Train];

    pub fn name(self) -> &'static str {
        match self {
            View::Play => "play",
            View::Compare => "compare",
            View::Speed => "speed",
            View::Train => "train",
        }
    }
}

named_knob!(View, "view");
whole_knob!(
    /// Step scrubber: the shown step of a diffusion run, 0 = pure noise (at most the run's length).
    Frame(usize), "frame", 0..=T, default 0
);

/// Everything a share link restores.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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

/// The class a first visit races the families on (one click away from unconditional, where collapse
/// shows).
pub const LANDING_CLASS: Class = Class::constant(3);

impl Default for State {
    /// A first visit: the Compare view, every knob at its default, one class chosen.
    fn default() -> Self {
        let mut request = Request::default();
        request.options.class = LANDING_CLASS;
        Self {
            view: View::default(),
            request,
            frame: None,
            t: Timestep::default(),
            strength: Strength::default(),
        }
    }
}

/// A state built field by field, each field checked as it is set.
struct Builder {
    /// The page's own fields; its request is `request`'s once finished.
    state: State,
    request: Fields,
    frame: Option<Frame>,
    /// A shared speed result (`result`): shown by the Speed view, never part of the page's own state.
    speed: Option<SpeedResult>,
}

/// A value built field by field (the page's state, the Train view's set-up): each field checked as it is
/// set, what only holds for fields together checked at `finish`.
pub(crate) trait FieldBuilder: Default {
    type Built;
    /// Sets one field; the error names it.
    fn set(&mut self, key: &str, value: &Scalar) -> Result<(), String>;
    /// What was built, and a notice when fields that were each fine do not fit together.
    fn finish(self) -> (Self::Built, Option<String>);
}

/// What `(field, value)` pairs build: like a link, but any bad field is an error, listing every problem.
pub(crate) fn build_strictly<'a, B: FieldBuilder>(
    fields: impl IntoIterator<Item = (&'a str, &'a Scalar)>,
) -> Result<B::Built, String> {
    let mut builder = B::default();
    let mut errors: Vec<String> = fields
        .into_iter()
        .filter_map(|(key, value)| builder.set(key, value).err())
        .collect();
    let (built, notice) = builder.finish();
    errors.extend(notice);
    match errors.is_empty() {
        true => Ok(built),
        false => Err(errors.join("; ")),
    }
}

impl Default for Builder {
    fn default() -> Self {
        let state = State::default();
        Self {
            request: Fields::new(state.request),
            state,
            frame: None,
            speed: None,
        }
    }
}

impl FieldBuilder for Builder {
    type Built = State;

    fn set(&mut self, key: &str, value: &Scalar) -> Result<(), String> {
        let state = &mut self.state;
        match key {
            View::NAME => state.view = Knob::from_scalar(value)?,
            Frame::NAME => self.frame = Some(Knob::from_scalar(value)?),
            Timestep::NAME => state.t = Knob::from_scalar(value)?,
            Strength::NAME => state.strength = Knob::from_scalar(value)?,
            SpeedResult::NAME => match value {
                Scalar::Text(text) => self.speed = Some(SpeedResult::parse(text)?),
                Scalar::Number(_) => return Err("result: not a speed result".into()),
            },
            _ => self.request.set(key, value)?,
        }
        Ok(())
    }

    /// The state, and a notice if the frame lies beyond the run the other fields describe.
    fn finish(mut self) -> (State, Option<String>) {
        self.state.request = self.request.finish();
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

/// `%XX` encoding of every byte but the unreserved ones (RFC 3986), which [`percent_decode`] undoes.
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

/// `%XX` and `+` decoding; `None` when the bytes are not valid percent-encoded UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
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
pub(crate) fn capped(notice: String) -> String {
    match notice.char_indices().nth(MAX_NOTICE) {
        Some((cut, _)) => format!("{}…", &notice[..cut]),
        None => notice,
    }
}

/// The state a link's query (with or without its leading `?`) describes, and a notice per field that was
/// not used.
pub fn decode(query: &str) -> (State, Vec<String>) {
    let (state, _, notices) = decode_shared(query);
    (state, notices)
}

/// Like [`decode`], with the speed result the link shares, if any. A Train link's fields belong to the
/// training set-up: here it only names its view.
pub fn decode_shared(query: &str) -> (State, Option<SpeedResult>, Vec<String>) {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.split('&').any(|pair| pair == "view=train") {
        let state = State {
            view: View::Train,
            ..State::default()
        };
        return (state, None, Vec::new());
    }
    let mut builder = Builder::default();
    let mut notices = read_query(query, |key, value| builder.set(key, value));
    let speed = builder.speed.take();
    let (state, notice) = builder.finish();
    notices.extend(notice);
    (state, speed, notices)
}

/// Reads a query field by field into `set`, which checks each; returns a notice per field not used
/// (bad, repeated, not percent-encoded) — or only one, when the whole query is too long to read.
pub(crate) fn read_query(
    query: &str,
    mut set: impl FnMut(&str, &Scalar) -> Result<(), String>,
) -> Vec<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_LINK {
        return vec![format!(
            "the link is longer than {MAX_LINK} characters: it was ignored"
        )];
    }
    let mut notices = Vec::new();
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
        match set(&key, &Scalar::Text(value)) {
            Ok(()) => seen.push(key),
            Err(e) => notices.push(capped(e)),
        }
    }
    notices
}

/// The `result` field of a link sharing `result` (appended to a state's query by the page).
pub fn encode_speed(result: &SpeedResult) -> String {
    format!(
        "{}={}",
        SpeedResult::NAME,
        percent_encode(&result.to_text())
    )
}

/// The state named by `(field, value)` pairs (the page's own state object): like [`decode`], but any bad
/// field is an error, listing every problem.
pub fn from_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a Scalar)>,
) -> Result<State, String> {
    build_strictly::<Builder>(fields)
}

/// The query (without `?`) of a link to `state`: every field, so the link keeps its meaning when defaults
/// change.
pub fn encode(state: &State) -> String {
    let mut fields = vec![(View::NAME, state.view.to_text())];
    fields.extend(state.request.texts());
    fields.extend(state.frame.map(|f| (Frame::NAME, f.to_string())));
    fields.push((Timestep::NAME, state.t.to_text()));
    fields.push((Strength::NAME, state.strength.to_text()));
    query(&fields)
}

/// A link's query (without `?`) of `(field, value)` pairs, values as their knobs write them.
pub(crate) fn query(fields: &[(&str, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests;
