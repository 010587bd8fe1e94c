//! The link codec's tests: round trips, hostile and mangled input (properties), shared speed results.
use super::*;
use crate::data::DatasetKind;
use crate::fuzz;
use crate::generate::{Class, Count, Seed};
use crate::models::Family;
use crate::models::diffusion::{Eta, Guidance, Sampler, Steps};
use crate::models::gan::Truncation;
use crate::models::vae::Temperature;
use crate::rng::Rng;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

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
fn a_link_without_guidance_takes_its_datasets_and_a_link_with_one_keeps_it() {
    let guidance = |query: &str| decode(query).0.request.options.diffusion.guidance.get();
    assert_eq!(
        guidance(""),
        Guidance::default_for(DatasetKind::Mnist).get()
    );
    assert_eq!(guidance("dataset=fashion"), 1.0);
    assert_eq!(guidance("guidance=21&dataset=fashion"), 1.0); // refused: the dataset's default
    assert_eq!(guidance("guidance=0.5&dataset=fashion"), 0.5);
    // A shared link carries every field, so it keeps its guidance when a dataset's default changes.
    let mut s = State::default();
    s.request.dataset = DatasetKind::Fashion;
    s.request.options.diffusion.guidance = Guidance::default_for(DatasetKind::Mnist);
    assert_eq!(decode(&encode(&s)), (s, vec![]));
}

#[test]
fn a_train_link_names_its_view_and_leaves_its_fields_to_the_set_up() {
    // `steps`, `seed` and `batch` are the training set-up's here (toy::setup reads them), not a request's.
    let (s, notices) = decode("view=train&steps=400&seed=2&batch=-4&data=ring");
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(
        s,
        State {
            view: View::Train,
            ..State::default()
        }
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
fn a_link_past_the_limit_is_ignored_whole() {
    let long = format!("seed={}", "9".repeat(MAX_LINK));
    let (s, notices) = decode(&long);
    assert_eq!((s, notices.len()), (State::default(), 1));
    assert_eq!(decode(""), (State::default(), vec![]));
}

#[test]
fn a_link_shares_a_speed_result_beside_the_state() {
    let result =
        SpeedResult::parse("webgpu|1|mnist|NVIDIA GeForce RTX 3080 (50% off)|gan~one pass~64~0.05")
            .unwrap();
    let state = State::default();
    let query = format!("{}&{}", encode(&state), encode_speed(&result));
    assert_eq!(decode_shared(&query), (state, Some(result), vec![]));
    // A bad result is a notice like any bad field; the rest of the link still counts.
    let (s, speed, notices) = decode_shared("n=4&result=cpu%7C99%7Cmnist%7Cx%7Cgan~a~1~1");
    assert_eq!((s.request.options.n.get(), speed), (4, None));
    assert!(
        notices.len() == 1 && notices[0].contains("workers"),
        "{notices:?}"
    );
}

/// A link query as a hostile or mangled link writes it: fields of known and stray names with any text, a
/// good link with characters inserted, deleted or replaced, or any text at all (some past [`MAX_LINK`]).
fn query() -> impl Strategy<Value = String> {
    let names: Vec<&str> = Request::NAMES
        .into_iter()
        .chain(["view", "frame", "t", "strength", "result", "zz", ""])
        .collect();
    let field = (
        prop::sample::select(names),
        any::<bool>(),
        fuzz::hostile_text(),
    )
        .prop_map(|(k, eq, v)| format!("{k}{}{v}", if eq { "=" } else { "" }));
    let edit = (any::<prop::sample::Index>(), 0..3u8, any::<char>());
    let mangled = (any::<u64>(), prop::collection::vec(edit, 1..4)).prop_map(|(seed, edits)| {
        let mut link: Vec<char> = encode(&random_state(&mut Rng::new(seed))).chars().collect();
        for (at, op, c) in edits {
            let at = at.index(link.len() + 1);
            match op {
                0 => link.insert(at, c),
                1 if at < link.len() => drop(link.remove(at)),
                _ if at < link.len() => link[at] = c,
                _ => link.push(c),
            }
        }
        String::from_iter(link)
    });
    prop_oneof![
        4 => prop::collection::vec(field, 0..8).prop_map(|f| format!("?{}", f.join("&"))),
        4 => mangled,
        1 => any::<String>(),
        1 => (MAX_LINK - 2..MAX_LINK + 3).prop_map(|n| "n=1&".repeat(n).chars().take(n).collect()),
    ]
}

/// Whether a notice shows as the page shows text: no line breaks, no control or reordering characters.
fn plain(notice: &str) -> bool {
    !notice.chars().any(|c| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn any_query_decodes_to_a_valid_state_and_short_plain_notices() {
    fuzz::check("link decode", 10_000, query(), |query| {
        let (state, speed, notices) = decode_shared(&query);
        let fields = query.split('&').filter(|p| !p.is_empty()).count();
        // One notice per unused field, and the frame's; each short and plain.
        prop_assert!(notices.len() <= fields + 1, "{notices:?}");
        for n in &notices {
            prop_assert!(n.chars().count() <= MAX_NOTICE + 40 && plain(n), "{n:?}");
        }
        prop_assert!(state.frame.is_none_or(|f| f <= last_frame(&state.request)));
        // Whatever came in, the state's own link is clean and means the same.
        prop_assert_eq!(decode(&encode(&state)), (state, vec![]));
        if let Some(speed) = speed {
            prop_assert_eq!(SpeedResult::parse(&speed.to_text()), Ok(speed));
        }
        Ok(())
    });
}

#[test]
fn every_state_survives_its_link_and_its_page_object() {
    fuzz::check("link round trip", 10_000, any::<u64>(), |seed| {
        let state = random_state(&mut Rng::new(seed));
        prop_assert_eq!(decode(&format!("?{}", encode(&state))), (state, vec![]));
        // The state object `decodeLink` hands the page, handed back to `encodeLink` as its fields.
        let serde_json::Value::Object(object) = serde_json::to_value(state).unwrap() else {
            return Err(TestCaseError::fail("a state is an object"));
        };
        let fields: Vec<(String, Scalar)> = object
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, serde_json::from_value(v).unwrap()))
            .collect();
        prop_assert_eq!(
            from_fields(fields.iter().map(|(k, v)| (k.as_str(), v))),
            Ok(state)
        );
        Ok(())
    });
}

#[test]
fn any_speed_result_text_is_refused_or_reads_back() {
    let good = "webgpu|1|mnist|NVIDIA GeForce RTX 3080|gan~one pass~64~0.05|vae~x~1~2";
    let text = prop_oneof![
        fuzz::edited(good.into(), 1..4),
        fuzz::hostile_text(),
        any::<String>()
    ];
    fuzz::check("speed result", 100_000, text, |text| {
        match SpeedResult::parse(&text) {
            Ok(r) => prop_assert_eq!(SpeedResult::parse(&r.to_text()), Ok(r)),
            Err(e) => prop_assert!(e.starts_with("result: ") && plain(&e), "{e:?}"),
        }
        Ok(())
    });
}
