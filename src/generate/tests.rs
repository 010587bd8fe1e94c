//! The options' tests: checks, costs, round trips, and any value from the page or a link.
use super::*;
use crate::fuzz;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn set(key: &str, value: Scalar) -> Result<Request, String> {
    Request::from_fields([(key, &value)])
}

#[test]
fn a_run_costs_samples_times_steps_twice_with_guidance() {
    let request = |fields: &[(&str, Scalar)]| {
        Request::from_fields(fields.iter().map(|(k, v)| (*k, v))).unwrap()
    };
    // The default grid: 16 samples × DPM-Solver++ 20, unconditional.
    assert_eq!(Request::default().cost().passes, 16 * 20);
    let heavy = request(&[
        ("sampler", Scalar::Text("ddpm".into())),
        ("n", Scalar::Number(64.0)),
        ("class", Scalar::Number(0.0)),
        ("guidance", Scalar::Number(20.0)),
    ]);
    let cost = heavy.options.cost();
    assert_eq!((cost.steps, cost.guided, cost.passes), (T, true, 128_000));
    let unguided = request(&[
        ("class", Scalar::Number(3.0)),
        ("guidance", Scalar::Number(0.0)),
    ]);
    assert!(!unguided.options.cost().guided);
    // A GAN or VAE draws a sample in one pass, whatever the diffusion knobs say.
    let gan = request(&[
        ("family", Scalar::Text("gan".into())),
        ("n", Scalar::Number(5.0)),
    ]);
    assert_eq!((gan.cost().passes, gan.cost().steps), (5, 1));
    assert_eq!(heavy.cost(), heavy.options.cost());
}

#[test]
fn out_of_range_options_are_refused() {
    assert!(Class::new(Some(10)).is_err());
    assert!(Count::new(0).is_err());
    assert!(Count::new(65).is_err());
    assert!(Truncation::new(1.6).is_err());
    assert!(Truncation::new(f32::NAN).is_err());
    assert!(Temperature::new(-0.1).is_err());
    assert!(Steps::new(0).is_err());
    assert!(Seed::new(MAX_SEED + 1).is_err());
}

#[test]
fn requests_take_defaults_and_refuse_bad_values() {
    let r = Request::from_fields([
        ("family", &Scalar::Text("gan".into())),
        ("class", &Scalar::Number(3.0)),
    ])
    .unwrap();
    assert_eq!((r.family, r.dataset), (Family::Gan, DatasetKind::Mnist));
    let o = r.options;
    assert_eq!((o.class.get(), o.n.get(), o.seed.get()), (Some(3), 16, 0));
    let bad = [
        ("class", Scalar::Number(3.5)),
        ("class", Scalar::Text("cat".into())),
        ("seed", Scalar::Number(-1.0)),
        ("seed", Scalar::Number(1e300)),
        ("n", Scalar::Number(1e9)),
        ("steps", Scalar::Number(2.5)),
        ("sampler", Scalar::Text("euler".into())),
        ("eta", Scalar::Number(2.0)),
        ("family", Scalar::Text("flow".into())),
    ];
    for (key, value) in bad {
        let e = set(key, value.clone()).unwrap_err();
        assert!(e.contains(key), "{key} = {value:?}: {e}");
    }
}

#[test]
fn the_guidance_defaults_to_the_datasets_in_any_field_order() {
    let guidance = |fields: &[(&str, &str)]| {
        let fields: Vec<(&str, Scalar)> = fields
            .iter()
            .map(|(k, v)| (*k, Scalar::Text(v.to_string())))
            .collect();
        let r = Request::from_fields(fields.iter().map(|(k, v)| (*k, v))).unwrap();
        r.options.diffusion.guidance.get()
    };
    // Fashion's model loses its classes below w = 1, MNIST's is best at 0.5 (see `Guidance::default_for`).
    assert_eq!(guidance(&[]), 0.5);
    assert_eq!(guidance(&[("dataset", "fashion")]), 1.0);
    assert_eq!(guidance(&[("dataset", "mnist")]), 0.5);
    // A given guidance stands, before or after the dataset.
    assert_eq!(
        guidance(&[("guidance", "0.5"), ("dataset", "fashion")]),
        0.5
    );
    assert_eq!(guidance(&[("dataset", "fashion"), ("guidance", "3")]), 3.0);
    assert_eq!(guidance(&[("guidance", "1"), ("dataset", "mnist")]), 1.0);
    for d in DatasetKind::ALL {
        let r = Request::new(Family::Diffusion, d);
        assert_eq!(r.options.diffusion.guidance, Guidance::default_for(d));
        assert_eq!(r.options, Options::for_dataset(d));
    }
    // The knob's own default is the default request's.
    assert_eq!(
        Guidance::DEFAULT,
        Guidance::default_for(Request::default().dataset)
    );
}

#[test]
fn fields_are_checked_by_name_and_type() {
    assert!(
        set("seed", Scalar::Text("x".into()))
            .unwrap_err()
            .contains("seed must be a number")
    );
    assert!(
        set("family", Scalar::Number(1.0))
            .unwrap_err()
            .contains("family must be text")
    );
    assert!(
        set("colour", Scalar::Text("red".into()))
            .unwrap_err()
            .contains("unknown option \"colour\"")
    );
    let r = set("steps", Scalar::Number(10.0)).unwrap();
    assert_eq!(r.options.diffusion.steps.get(), 10);
    assert_eq!(r.options.class, Class::NONE);
}

#[test]
fn every_option_reads_back_its_own_text() {
    let mut r = Request::default();
    r.set("class", &Scalar::Text("7".into())).unwrap();
    r.set("truncation", &Scalar::Number(0.6)).unwrap();
    let names: Vec<&str> = r.texts().iter().map(|(k, _)| *k).collect();
    assert_eq!(names, Request::NAMES);
    let texts: Vec<(&str, Scalar)> = r
        .texts()
        .into_iter()
        .map(|(k, v)| (k, Scalar::Text(v)))
        .collect();
    let back = Request::from_fields(texts.iter().map(|(k, v)| (*k, v))).unwrap();
    assert_eq!(back, r);
}

#[test]
fn classes_parse() {
    assert_eq!(Class::from_text("none"), Ok(Class::NONE));
    assert_eq!(Class::from_text("7"), Ok(Class::constant(7)));
    assert!(Class::from_text("10").is_err());
    assert!(Class::from_text("-1").is_err());
}

/// Option fields as the page's scripting API or a link hands them over: known names and strays, any value.
fn fields() -> impl Strategy<Value = Vec<(String, Scalar)>> {
    let names: Vec<String> = Request::NAMES
        .iter()
        .map(|n| n.to_string())
        .chain(["", "colour", "N", "seed "].map(String::from))
        .collect();
    let name = prop_oneof![8 => prop::sample::select(names), 1 => fuzz::hostile_text()];
    prop::collection::vec((name, fuzz::scalar()), 0..8)
}

#[test]
fn any_options_make_a_request_or_name_the_bad_one() {
    fuzz::check(
        "options",
        100_000,
        (fields(), any::<u32>(), any::<u32>()),
        |(fields, first, count)| {
            let result = Request::from_fields(fields.iter().map(|(k, v)| (k.as_str(), v)));
            // Each field alone: the first that fails is the error; otherwise the last of each name counts.
            let alone: Vec<Result<Request, String>> = fields
                .iter()
                .map(|(k, v)| Request::from_fields([(k.as_str(), v)]))
                .collect();
            let r = match (result, alone.iter().position(Result::is_err)) {
                (Err(e), Some(i)) => {
                    prop_assert_eq!(alone[i].clone().unwrap_err(), e.clone());
                    let key = &fields[i].0;
                    prop_assert!(e.contains(key.as_str()) || e.contains(&quote(key)), "{e}");
                    return Ok(());
                }
                (Ok(r), None) => r,
                (result, _) => return Err(TestCaseError::fail(format!("{result:?} vs {alone:?}"))),
            };
            for (i, (key, _)) in fields.iter().enumerate() {
                if !fields[i + 1..].iter().any(|(k, _)| k == key) {
                    let text = |r: &Request| r.texts().into_iter().find(|(k, _)| k == key);
                    prop_assert_eq!(text(&r), text(alone[i].as_ref().unwrap()));
                }
            }
            // What the request says of itself reads back as the same request.
            let texts: Vec<(&str, Scalar)> = r
                .texts()
                .into_iter()
                .map(|(k, v)| (k, Scalar::Text(v)))
                .collect();
            let back = Request::from_fields(texts.iter().map(|(k, v)| (*k, v)));
            prop_assert_eq!(back, Ok(r));
            let cost = r.options.cost();
            prop_assert!(cost.passes >= cost.samples * cost.steps && cost.steps <= T);
            // A CPU worker's part: `first` and `count` as the binding reads them (whole numbers to 2³² − 1).
            let (first, count) = (first as usize, count as usize);
            match Part::new(first, count, &r.options) {
                Ok(part) => prop_assert!(count > 0 && first + part.count() <= r.options.n.get()),
                Err(e) => prop_assert!(count == 0 || first + count > r.options.n.get(), "{e}"),
            }
            Ok(())
        },
    );
}
