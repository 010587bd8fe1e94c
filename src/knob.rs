//! Knobs: values checked once, where they enter (a link, the command line, the page's API), into types
//! that can only hold a valid value. Holding a `Truncation` or a `Steps` is the proof; inner layers never
//! check again. Each knob is defined beside the model that applies it (ψ in `gan`, temperature in `vae`,
//! the sampler's in `diffusion`); the request-wide ones (class, seed, n) live in `generate`, the page's own in `link`.

use serde::Serialize;

/// A value as it arrives from outside: a number or text (a class may be either: `3`, `"3"`, `"none"`).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Number(f64),
    Text(String),
}

/// A checked value with a name; every entry point parses it the same way.
pub trait Knob: Sized + Copy + Serialize {
    /// The name on the command line, in links and in the page's API.
    const NAME: &'static str;

    /// From text (a link field, a command-line argument).
    fn from_text(text: &str) -> Result<Self, String>;

    /// From a number (the page's API); by default only numeric knobs take one.
    fn from_number(x: f64) -> Result<Self, String> {
        Err(format!("{} must be text, got the number {x}", Self::NAME))
    }

    /// The text [`Knob::from_text`] reads back as the same value.
    fn to_text(self) -> String;

    /// From a number or text.
    fn from_scalar(value: &Scalar) -> Result<Self, String> {
        match value {
            Scalar::Number(x) => Self::from_number(*x),
            Scalar::Text(t) => Self::from_text(t),
        }
    }
}

/// At most 32 characters of untrusted input, quoted, with control and bidirectional-override characters
/// escaped (`"\u{202e}…"`), so a message that repeats it can't be made to say something else.
pub fn quote(s: &str) -> String {
    let short: String = s.chars().take(32).collect();
    let more = if short.len() < s.len() { "…" } else { "" };
    let escaped: String = short
        .chars()
        .flat_map(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            // Debug escapes control characters (`\n`, `\u{1b}`); bidi controls need it spelled out.
            if bidi {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                c.escape_debug().collect()
            }
        })
        .collect();
    format!("\"{escaped}\"{more}")
}

/// A finite number from text; the error names the knob.
pub fn number(name: &str, text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{name} must be a number, got {}", quote(text)))
}

/// A whole number in `min..=max` from a number that may be fractional, negative, huge or NaN.
pub fn whole(name: &str, x: f64, min: u64, max: u64) -> Result<u64, String> {
    if x.fract() != 0.0 || !(min as f64..=max as f64).contains(&x) {
        return Err(format!(
            "{name} must be a whole number in {min}–{max}, got {x}"
        ));
    }
    Ok(x as u64)
}

/// An `f32` as the number its shortest decimal names (0.6, not 0.6000000238418579).
pub fn short(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

/// A numeric knob's range and default, as the page's controls take them.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Range {
    pub min: f64,
    pub max: f64,
    pub default: f64,
    /// Whole numbers only.
    pub whole: bool,
}

/// What every knob in a closed range shares; [`real_knob!`] and [`whole_knob!`] say how a number is
/// read (`from_number`), written (`serialize`) and how the range reads in an error (`range`).
macro_rules! ranged_knob {
    (
        $(#[$doc:meta])* $ty:ident($inner:ty), $name:literal, $min:expr, $max:expr, $default:expr,
        whole $whole:literal, range $range:literal,
        serialize |$value:ident, $s:ident| $serialize:expr,
        from_number |$x:ident| $from_number:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
        pub struct $ty($inner);

        // A range starting at 0 makes the lower check of an unsigned value trivially true: that is fine.
        #[allow(unused_comparisons)]
        impl $ty {
            pub const MIN: $inner = $min;
            pub const MAX: $inner = $max;
            pub const DEFAULT: Self = Self($default);

            /// `x`, if it lies in the knob's range (NaN never does).
            pub fn new(x: $inner) -> Result<Self, String> {
                if (Self::MIN..=Self::MAX).contains(&x) {
                    Ok(Self(x))
                } else {
                    Err(format!(concat!($name, $range), Self::MIN, Self::MAX, x))
                }
            }

            /// A constant of the code; out of range, it fails to compile where used in a `const`.
            pub const fn constant(x: $inner) -> Self {
                assert!(x >= $min && x <= $max, concat!($name, " out of range"));
                Self(x)
            }

            pub const fn get(self) -> $inner {
                self.0
            }

            /// The knob's range and default, for the page's controls.
            pub fn range() -> $crate::knob::Range {
                $crate::knob::Range {
                    min: Self::MIN as f64,
                    max: Self::MAX as f64,
                    default: $default as f64,
                    whole: $whole,
                }
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                Self::DEFAULT
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, $s: S) -> Result<S::Ok, S::Error> {
                let $value = self.0;
                $serialize
            }
        }

        impl $crate::knob::Knob for $ty {
            const NAME: &'static str = $name;

            fn from_text(text: &str) -> Result<Self, String> {
                Self::from_number($crate::knob::number($name, text)?)
            }

            fn from_number($x: f64) -> Result<Self, String> {
                $from_number
            }

            fn to_text(self) -> String {
                self.0.to_string()
            }
        }
    };
}

/// A real-valued knob in a closed range: `real_knob!(Truncation, "truncation", 0.0..=1.5, default 1.0)`.
macro_rules! real_knob {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $min:literal ..= $max:literal, default $default:literal) => {
        $crate::knob::ranged_knob!(
            $(#[$doc])* $ty(f32), $name, $min, $max, $default,
            whole false, range " must be in [{}, {}], got {}",
            serialize |v, s| s.serialize_f64($crate::knob::short(v)),
            // Beyond f32's range, a finite f64 must not round to a value inside it.
            from_number |x| Self::new(if x.abs() > f32::MAX as f64 { f32::INFINITY } else { x as f32 })
        );
    };
}

/// A whole-number knob in a closed range: `whole_knob!(Steps(usize), "steps", 1..=1000, default 50)`.
macro_rules! whole_knob {
    ($(#[$doc:meta])* $ty:ident($inner:ty), $name:literal, $min:literal ..= $max:expr, default $default:literal) => {
        $crate::knob::ranged_knob!(
            $(#[$doc])* $ty($inner), $name, $min, $max, $default,
            whole true, range " must be a whole number in {}–{}, got {}",
            serialize |v, s| s.serialize_u64(v as u64),
            from_number |x| {
                let x = $crate::knob::whole($name, x, Self::MIN as u64, Self::MAX as u64)?;
                Ok(Self(x as $inner))
            }
        );
    };
}

/// A knob that is one of a few names: `named_knob!(Sampler, "sampler")` over an enum with `ALL` and `name`.
macro_rules! named_knob {
    ($ty:ty, $name:literal) => {
        impl $ty {
            /// The value named `name`; the error lists the names.
            pub fn parse(name: &str) -> Result<Self, String> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.name() == name)
                    .ok_or_else(|| {
                        let names: Vec<String> = Self::ALL
                            .iter()
                            .map(|v| format!("`{}`", v.name()))
                            .collect();
                        format!(
                            concat!("unknown ", $name, " {} (expected {})"),
                            $crate::knob::quote(name),
                            names.join(", ")
                        )
                    })
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = <String as serde::Deserialize>::deserialize(d)?;
                Self::parse(&name).map_err(serde::de::Error::custom)
            }
        }

        impl $crate::knob::Knob for $ty {
            const NAME: &'static str = $name;

            fn from_text(text: &str) -> Result<Self, String> {
                Self::parse(text)
            }

            fn to_text(self) -> String {
                self.name().to_string()
            }
        }
    };
}

pub(crate) use {named_knob, ranged_knob, real_knob, whole_knob};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseResult;

    real_knob!(
        /// A test knob.
        Level, "level", 0.0..=2.0, default 1.0
    );
    whole_knob!(
        /// A test knob.
        Count(usize), "count", 1..=64, default 16
    );

    #[test]
    fn a_knob_describes_its_range() {
        let (level, count) = (Level::range(), Count::range());
        assert_eq!(
            (level.min, level.max, level.default, level.whole),
            (0.0, 2.0, 1.0, false)
        );
        assert_eq!(
            (count.min, count.max, count.default, count.whole),
            (1.0, 64.0, 16.0, true)
        );
    }

    #[test]
    fn real_knobs_take_their_range_and_nothing_else() {
        assert_eq!(Level::from_text("0.5").unwrap().get(), 0.5);
        assert_eq!(Level::from_number(2.0).unwrap().get(), 2.0);
        for bad in [-0.1, 2.1, f64::NAN, f64::INFINITY, 1e300] {
            let e = Level::from_number(bad).unwrap_err();
            assert!(e.starts_with("level must be in [0, 2]"), "{bad}: {e}");
        }
        assert!(
            Level::from_text("abc")
                .unwrap_err()
                .contains("level must be a number")
        );
        assert_eq!(
            Level::from_text(&Level::constant(0.6).to_text()),
            Ok(Level::constant(0.6))
        );
        assert_eq!(Level::default(), Level::DEFAULT);
    }

    #[test]
    fn whole_knobs_refuse_fractions_and_strays() {
        assert_eq!(Count::from_text("64").unwrap().get(), 64);
        assert_eq!(Count::from_scalar(&Scalar::Number(1.0)).unwrap().get(), 1);
        for bad in [0.0, 65.0, 2.5, -1.0, f64::NAN, 1e30] {
            assert!(Count::from_number(bad).is_err(), "{bad}");
        }
        assert!(Count::new(0).is_err());
        assert_eq!(Count::constant(64), Count::new(64).unwrap());
        assert!(
            Count::from_text("1&n=2")
                .unwrap_err()
                .contains("count must be a number")
        );
    }

    /// `value` as knob `K`: a value that reads back from its own text, or an error naming the knob.
    fn parses<K: Knob + PartialEq + std::fmt::Debug>(value: &Scalar) -> TestCaseResult {
        match K::from_scalar(value) {
            Ok(k) => prop_assert_eq!(K::from_text(&k.to_text()), Ok(k)),
            Err(e) => prop_assert!(e.contains(K::NAME), "{}: {e}", K::NAME),
        }
        Ok(())
    }

    #[test]
    fn every_knob_takes_any_value_or_names_itself() {
        use crate::data::DatasetKind;
        use crate::generate::{Class, Count, Seed};
        use crate::link::{Frame, View};
        use crate::models::Family;
        use crate::models::diffusion::{Eta, Guidance, Sampler, Steps, Strength, Timestep};
        use crate::models::gan::Truncation;
        use crate::models::vae::Temperature;
        use crate::play::Frames;
        crate::fuzz::check("knobs", 100_000, crate::fuzz::scalar(), |v| {
            parses::<Family>(&v)?;
            parses::<DatasetKind>(&v)?;
            parses::<Class>(&v)?;
            parses::<Seed>(&v)?;
            parses::<Count>(&v)?;
            parses::<Truncation>(&v)?;
            parses::<Temperature>(&v)?;
            parses::<Sampler>(&v)?;
            parses::<Steps>(&v)?;
            parses::<Eta>(&v)?;
            parses::<Guidance>(&v)?;
            parses::<Timestep>(&v)?;
            parses::<Strength>(&v)?;
            parses::<Frame>(&v)?;
            parses::<Frames>(&v)?;
            parses::<View>(&v)
        });
    }

    #[test]
    fn quotes_are_short_and_escaped() {
        assert_eq!(quote("abc"), "\"abc\"");
        let q = quote("\n\nThe GPU was lost.\u{202e}evil");
        assert!(!q.contains('\n') && !q.contains('\u{202e}'), "{q}");
        assert!(q.contains("\\u{202e}"), "{q}");
        assert!(quote(&"x".repeat(100)).ends_with('…'));
    }
}
