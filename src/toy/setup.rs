//! A training set-up: the data, every knob, the seed and the step to stop at — what a Train link and
//! `window.trilemma.train` carry. Built field by field through [`Builder::set`], the one place its values
//! are checked.

use super::data::{Data, Shape, decode_points, encode_points};
use crate::generate::Seed;
use crate::knob::{Knob, Scalar, named_knob, quote, real_knob, whole_knob};
#[cfg(test)]
use crate::link::MAX_LINK;
use crate::link::{FieldBuilder, View, build_strictly, query, read_query};
use crate::models::Family;
use serde::Serialize;

real_knob!(
    /// Adam's learning rate, every network.
    LearningRate, "lr", 0.0001..=0.05, default 0.002
);
whole_knob!(
    /// Points per optimisation step (the same points for the three families).
    Batch(usize), "batch", 1..=1024, default 256
);
whole_knob!(
    /// The step training stops at.
    TrainSteps(usize), "steps", 1..=20_000, default 3000
);
whole_knob!(
    /// Discriminator updates per generator update.
    DSteps(usize), "dsteps", 1..=5, default 1
);
real_knob!(
    /// The VAE's weight on the KL term (β-VAE; 1 is the ELBO).
    Beta, "beta", 0.0..=4.0, default 1.0
);
whole_knob!(
    /// The diffusion model's number of noise levels T.
    Timesteps(usize), "timesteps", 10..=1000, default 100
);
whole_knob!(
    /// Optimisation steps per second the page aims at (the browser may give fewer).
    Rate(usize), "rate", 1..=500, default 60
);

/// The generator's loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Objective {
    /// −log D(G(z)): strong gradients while D wins (Goodfellow et al.'s practical choice).
    #[default]
    NonSaturating,
    /// log(1 − D(G(z))): the game's own value, whose gradient vanishes while D wins.
    Minimax,
}

impl Objective {
    pub const ALL: [Objective; 2] = [Objective::NonSaturating, Objective::Minimax];

    pub fn name(self) -> &'static str {
        match self {
            Objective::NonSaturating => "nonsaturating",
            Objective::Minimax => "minimax",
        }
    }

    /// The name a visitor reads in the page's menu.
    pub fn label(self) -> &'static str {
        match self {
            Objective::NonSaturating => "non-saturating",
            Objective::Minimax => "minimax",
        }
    }
}

named_knob!(Objective, "objective");

/// Which families train (the page trains all three; the API may ask for fewer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Families([bool; 3]);

impl Families {
    pub const ALL: Self = Self([true; 3]);

    pub fn contains(self, family: Family) -> bool {
        self.0[family.index()]
    }

    pub fn iter(self) -> impl Iterator<Item = Family> {
        Family::ALL.into_iter().filter(move |&f| self.contains(f))
    }

    /// From comma-separated names (`gan,diffusion`): at least one, none twice.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut set = [false; 3];
        for name in text.split(',') {
            let f = Family::parse(name.trim()).map_err(|e| format!("families: {e}"))?;
            if std::mem::replace(&mut set[f.index()], true) {
                return Err(format!("families: {} is named twice", quote(name)));
            }
        }
        Ok(Self(set))
    }

    fn to_text(self) -> String {
        self.iter().map(Family::name).collect::<Vec<_>>().join(",")
    }
}

impl Serialize for Families {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Family::name))
    }
}

/// Everything that decides a training run (and how fast the page plays it).
#[derive(Clone, Debug, PartialEq)]
pub struct Setup {
    pub data: Data,
    pub families: Families,
    pub seed: Seed,
    pub steps: TrainSteps,
    pub batch: Batch,
    pub lr: LearningRate,
    pub objective: Objective,
    pub dsteps: DSteps,
    pub beta: Beta,
    pub timesteps: Timesteps,
    pub rate: Rate,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            data: Data::builtin(Shape::Ring).expect("the ring is built in"),
            families: Families::ALL,
            seed: Seed::default(),
            steps: TrainSteps::default(),
            batch: Batch::default(),
            lr: LearningRate::default(),
            objective: Objective::default(),
            dsteps: DSteps::default(),
            beta: Beta::default(),
            timesteps: Timesteps::default(),
            rate: Rate::default(),
        }
    }
}

/// The field names, in link order.
pub const NAMES: [&str; 12] = [
    "data",
    "points",
    "families",
    "seed",
    "steps",
    "batch",
    "lr",
    "objective",
    "dsteps",
    "beta",
    "timesteps",
    "rate",
];

/// A set-up built field by field; `data` and `points` meet at [`Builder::finish`].
#[derive(Default)]
struct Builder {
    setup: Setup,
    shape: Option<Shape>,
    points: Option<String>,
}

impl FieldBuilder for Builder {
    type Built = Setup;

    fn set(&mut self, key: &str, value: &Scalar) -> Result<(), String> {
        let s = &mut self.setup;
        match key {
            "data" => self.shape = Some(Knob::from_scalar(value)?),
            "points" => match value {
                Scalar::Text(t) => self.points = Some(t.clone()),
                Scalar::Number(_) => return Err("points: not a drawing".into()),
            },
            "families" => match value {
                Scalar::Text(t) => s.families = Families::parse(t)?,
                Scalar::Number(_) => return Err("families: expected names like gan,vae".into()),
            },
            Seed::NAME => s.seed = Knob::from_scalar(value)?,
            TrainSteps::NAME => s.steps = Knob::from_scalar(value)?,
            Batch::NAME => s.batch = Knob::from_scalar(value)?,
            LearningRate::NAME => s.lr = Knob::from_scalar(value)?,
            Objective::NAME => s.objective = Knob::from_scalar(value)?,
            DSteps::NAME => s.dsteps = Knob::from_scalar(value)?,
            Beta::NAME => s.beta = Knob::from_scalar(value)?,
            Timesteps::NAME => s.timesteps = Knob::from_scalar(value)?,
            Rate::NAME => s.rate = Knob::from_scalar(value)?,
            View::NAME => {}
            _ => return Err(format!("{}: not a Train option", quote(key))),
        }
        Ok(())
    }

    /// The set-up; a drawing without valid points is an error (the set-up keeps the ring), and so are
    /// points without `data=drawn`.
    fn finish(mut self) -> (Setup, Option<String>) {
        match (self.shape, self.points.take()) {
            (Some(Shape::Drawn), points) => {
                let drawing = points
                    .ok_or_else(|| "data: a drawing needs its points".to_string())
                    .and_then(|text| decode_points(&text).and_then(Data::drawn));
                match drawing {
                    Ok(data) => {
                        self.setup.data = data;
                        (self.setup, None)
                    }
                    Err(e) => (self.setup, Some(e)),
                }
            }
            (shape, points) => {
                if let Some(shape) = shape {
                    self.setup.data = Data::builtin(shape).expect("not a drawing");
                }
                let stray = points.map(|_| {
                    format!(
                        "points: a drawing's points go with data={}; they are not used",
                        Shape::Drawn.name()
                    )
                });
                (self.setup, stray)
            }
        }
    }
}

/// The set-up a Train link's query describes (other views' fields are not in it), and a notice per
/// field that was not used. Like every link, it never fails.
pub fn decode(query: &str) -> (Setup, Vec<String>) {
    let mut builder = Builder::default();
    let mut notices = read_query(query, |key, value| builder.set(key, value));
    let drawn = builder.shape == Some(Shape::Drawn);
    let (setup, notice) = builder.finish();
    notices.extend(notice.map(|n| match drawn {
        true => format!("{n}; the ring is used"),
        false => n,
    }));
    (setup, notices)
}

/// The set-up named by `(field, value)` pairs (the API's options): any bad field is an error, listing
/// every problem.
pub fn from_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a Scalar)>,
) -> Result<Setup, String> {
    build_strictly::<Builder>(fields)
}

/// The query (without `?`) of a Train link to `setup`: every field.
pub fn encode(setup: &Setup) -> String {
    let s = setup;
    let mut fields = vec![
        (View::NAME, View::Train.name().to_string()),
        ("data", s.data.shape().to_text()),
    ];
    if s.data.shape() == Shape::Drawn {
        fields.push(("points", encode_points(s.data.points())));
    }
    fields.extend([
        ("families", s.families.to_text()),
        (Seed::NAME, s.seed.to_text()),
        (TrainSteps::NAME, s.steps.to_text()),
        (Batch::NAME, s.batch.to_text()),
        (LearningRate::NAME, s.lr.to_text()),
        (Objective::NAME, s.objective.to_text()),
        (DSteps::NAME, s.dsteps.to_text()),
        (Beta::NAME, s.beta.to_text()),
        (Timesteps::NAME, s.timesteps.to_text()),
        (Rate::NAME, s.rate.to_text()),
    ]);
    query(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn a_link_round_trips_every_field() {
        let points = Data::builtin(Shape::Moons)
            .unwrap()
            .sample(crate::toy::data::MAX_POINTS, &mut Rng::new(1));
        let mut b = Builder::default();
        for (k, v) in [
            ("data", "drawn".to_string()),
            ("points", encode_points(&points)),
            ("families", "vae,gan".into()),
            ("seed", "7".into()),
            ("steps", "1500".into()),
            ("batch", "64".into()),
            ("lr", "0.005".into()),
            ("objective", "minimax".into()),
            ("dsteps", "3".into()),
            ("beta", "0.5".into()),
            ("timesteps", "50".into()),
            ("rate", "30".into()),
        ] {
            b.set(k, &Scalar::Text(v)).unwrap();
        }
        let (setup, notice) = b.finish();
        assert_eq!(notice, None);
        // The largest drawing fits in a link.
        assert_eq!(setup.data.points().len(), crate::toy::data::MAX_POINTS);
        assert_eq!(setup.families.to_text(), "gan,vae");
        let link = encode(&setup);
        assert!(link.len() < MAX_LINK, "{}", link.len());
        assert_eq!(decode(&link), (setup.clone(), vec![]));
        assert_eq!(
            decode(&encode(&Setup::default())),
            (Setup::default(), vec![])
        );
    }

    #[test]
    fn hostile_links_fall_back_with_notices() {
        let (setup, notices) =
            decode("view=train&data=drawn&points=%00%01&batch=-4&lr=NaN&steps=1e9&zz=1");
        assert_eq!(setup, Setup::default());
        assert_eq!(notices.len(), 5, "{notices:?}");
        for (n, field) in notices.iter().zip(["batch", "lr", "steps", "zz", "points"]) {
            assert!(n.contains(field), "{n}");
        }
        let huge = format!("data=drawn&points={}", "AAAA".repeat(600));
        let (setup, notices) = decode(&huge);
        assert_eq!(setup, Setup::default());
        assert_eq!(notices.len(), 1, "{notices:?}");
        let (_, notices) = decode("data=drawn");
        assert!(notices[0].contains("needs its points"), "{notices:?}");
        // Points without a drawing are not used, and said so; the data asked for stays.
        let (setup, notices) = decode("data=moons&points=AAAA");
        assert_eq!(setup.data.shape(), Shape::Moons);
        assert!(
            notices.len() == 1 && notices[0].contains("go with data=drawn"),
            "{notices:?}"
        );
    }

    /// Any Train link: a valid set-up, at most one short notice per field, and a clean link of its own that
    /// means the same. Fields from the set-up's names with hostile values, drawings of any text.
    #[test]
    fn any_train_link_decodes_to_a_valid_set_up() {
        use crate::fuzz;
        use proptest::prelude::*;
        let name = prop::sample::select(
            NAMES
                .iter()
                .chain(&["view", "zz"])
                .copied()
                .collect::<Vec<_>>(),
        );
        let value = prop_oneof![
            3 => fuzz::hostile_text(),
            1 => (0usize..2 * crate::toy::data::MAX_POINTS).prop_map(|n| "Ab-_".repeat(n / 4 + 1)),
            1 => "[0-9.e-]{0,8}",
        ];
        let field = (name, value).prop_map(|(k, v)| format!("{k}={v}"));
        let query = prop::collection::vec(field, 0..10).prop_map(|f| f.join("&"));
        fuzz::check("train link decode", 10_000, query, |query| {
            let (setup, notices) = decode(&query);
            let fields = query.split('&').filter(|p| !p.is_empty()).count();
            prop_assert!(notices.len() <= fields + 1, "{notices:?}");
            prop_assert!(
                notices.iter().all(|n| n.chars().count() <= 200),
                "{notices:?}"
            );
            prop_assert_eq!(decode(&encode(&setup)), (setup, vec![]));
            Ok(())
        });
    }

    #[test]
    fn api_fields_name_every_problem() {
        let bad = [
            ("batch", Scalar::Number(-1.0)),
            ("families", Scalar::Text("gan,gan".into())),
        ];
        let e = from_fields(bad.iter().map(|(k, v)| (*k, v))).unwrap_err();
        assert!(e.contains("batch") && e.contains("families"), "{e}");
        let stray = [("points", Scalar::Text("AAAA".into()))];
        let e = from_fields(stray.iter().map(|(k, v)| (*k, v))).unwrap_err();
        assert!(e.contains("points") && !e.contains("ring is used"), "{e}");
        let ok = [
            ("data", Scalar::Text("grid".into())),
            ("steps", Scalar::Number(10.0)),
        ];
        let setup = from_fields(ok.iter().map(|(k, v)| (*k, v))).unwrap();
        assert_eq!((setup.data.shape(), setup.steps.get()), (Shape::Grid, 10));
    }
}
