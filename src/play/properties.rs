//! The page's image, code and feature entry points under any input (a property): pixels and masks of any
//! size, codes and features of any length and value, knobs from any number — an answer exactly when the
//! input fits, else an error that says why.

use super::testing::{fast, floats, tiny};
use super::*;
use crate::generate::Part;
use crate::knob::Knob;
use crate::metrics::K;
use crate::models::Model;
use crate::models::classifier::ClassifierConfig;
use crate::models::diffusion::Strength;
use crate::models::gan::GanConfig;
use crate::models::vae::VaeConfig;
use proptest::prelude::*;

/// An input of the page's image, code and feature entry points: pixels and masks of any size (mostly near
/// the right one), codes and features of any length and value (NaN, ±∞, past ±10), knobs from any number.
#[derive(Clone, Debug)]
enum Input {
    Encode(Vec<u8>),
    Realness(Vec<u8>),
    Noise(Vec<u8>, f64),
    Image(Vec<u8>, f64),
    Inpaint(Vec<u8>, Vec<u8>),
    Decode(usize, Vec<f32>),
    Interpolate(usize, Vec<f32>, Vec<f32>, f64),
    Classify(Vec<u8>),
    /// Rows of `dim` features: the set, the queries, and k.
    Nearest(Vec<f32>, Vec<f32>, usize, usize),
    /// Rows of `dim` features: real, generated.
    PrecisionRecall(Vec<f32>, Vec<f32>, usize),
}

/// `k` units of `unit` values, give or take one (k up to `most` + 1).
fn sized<T: std::fmt::Debug + Clone>(
    unit: usize,
    most: usize,
    value: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = Vec<T>> {
    let off = prop_oneof![3 => Just(0isize), 1 => -1isize..=1];
    (0..=most + 1, off).prop_flat_map(move |(k, off)| {
        let len = (k * unit).saturating_add_signed(off);
        prop::collection::vec(value.clone(), len)
    })
}

/// Codes of `d` numbers: mostly drawn like N(0, I), now and then not finite or past ±10.
fn codes(d: usize, most: usize) -> impl Strategy<Value = Vec<f32>> {
    let special = vec![f32::NAN, f32::INFINITY, -10.0, 10.0, 10.5, f32::MAX];
    let code = prop_oneof![8 => -3.0f32..3.0, 1 => prop::sample::select(special)];
    sized(d, most, code)
}

fn input() -> impl Strategy<Value = Input> {
    let px = || sized(PIXELS, 1, any::<u8>());
    let knob = prop_oneof![3 => -0.5f64..1100.0, 1 => any::<f64>()];
    prop_oneof![
        px().prop_map(Input::Encode),
        sized(PIXELS, MAX_N, any::<u8>()).prop_map(Input::Realness),
        (px(), knob.clone()).prop_map(|(x, t)| Input::Noise(x, t)),
        (px(), knob.clone()).prop_map(|(x, s)| Input::Image(x, s / 1000.0)),
        (px(), px()).prop_map(|(x, m)| Input::Inpaint(x, m)),
        (0..3usize)
            .prop_flat_map(move |m| codes(LATENT[m], 3).prop_map(move |z| Input::Decode(m, z))),
        (0..2usize, knob).prop_flat_map(move |(m, f)| {
            let f = f / 50.0;
            (codes(LATENT[m], 1), codes(LATENT[m], 1))
                .prop_map(move |(a, b)| Input::Interpolate(m, a, b, f))
        }),
        sized(PIXELS, 4, any::<u8>()).prop_map(Input::Classify),
        (0..6usize, 0..20usize).prop_flat_map(|(dim, k)| {
            let d = dim.max(1);
            (codes(d, 20), codes(d, 3)).prop_map(move |(set, q)| Input::Nearest(set, q, dim, k))
        }),
        (0..6usize).prop_flat_map(|dim| {
            let d = dim.max(1);
            (codes(d, 8), codes(d, 8)).prop_map(move |(r, g)| Input::PrecisionRecall(r, g, dim))
        }),
    ]
}

/// Code sizes of the GAN, the VAE and the diffusion model below.
const LATENT: [usize; 3] = [64, 16, PIXELS];

/// Every value in [0, 1].
fn unit<const D: usize>(x: Tensor<D>) -> bool {
    floats(x).iter().all(|v| (0.0..=1.0).contains(v))
}

/// Rows of `dim` values in `values`, if they are whole rows.
fn rows(values: &[f32], dim: usize) -> Option<usize> {
    (dim > 0 && values.len().is_multiple_of(dim)).then(|| values.len() / dim)
}

#[test]
fn any_image_code_or_feature_from_the_page_gives_an_answer_or_a_reason() {
    let device = Device::flex();
    let (gan, vae, unet) = (
        GanConfig::new().init(&device),
        VaeConfig::new().init(&device),
        tiny(&device),
    );
    let classifier = ClassifierConfig::new().init(&device);
    let models = [
        Model::Gan(gan.clone()),
        Model::Vae(vae.clone()),
        Model::Diffusion(unet.clone()),
    ];
    let options = fast(1);
    let record = |origin| {
        Recording::new(
            unet.clone(),
            &options,
            Part::whole(&options),
            origin,
            &device,
        )
    };
    crate::fuzz::check("images, codes and features", 4_000, input(), |input| {
        let size = |n: usize| format!("{n} bytes");
        match input {
            Input::Encode(x) => match encode(&vae, &x, Class::NONE, &device) {
                Ok(e) => {
                    prop_assert_eq!(x.len(), PIXELS);
                    prop_assert!(floats(e.sigma).iter().all(|s| s.is_finite() && *s > 0.0));
                    prop_assert!(unit(e.reconstruction));
                }
                Err(e) => prop_assert!(x.len() != PIXELS && e.contains(&size(x.len())), "{e}"),
            },
            Input::Realness(x) => match realness(&gan, &x, Class::constant(3), &device) {
                Ok(p) => {
                    prop_assert_eq!(p.dims(), [x.len() / PIXELS]);
                    prop_assert!(x.len() % PIXELS == 0 && unit(p));
                }
                Err(e) => {
                    let n = x.len() / PIXELS;
                    prop_assert!(x.len() % PIXELS != 0 || !(1..=MAX_N).contains(&n), "{e}");
                }
            },
            Input::Noise(x, t) => match Timestep::from_number(t) {
                Err(e) => prop_assert!(e.starts_with("t must be"), "{e}"),
                Ok(t) => match noise(&x, t, Seed::DEFAULT, &device) {
                    Ok(y) => prop_assert!(x.len() == PIXELS && unit(y)),
                    Err(e) => prop_assert!(x.len() != PIXELS, "{e}"),
                },
            },
            Input::Image(image, s) => match Strength::from_number(s) {
                Err(e) => prop_assert!(e.starts_with("strength must be"), "{e}"),
                Ok(strength) => {
                    let len = image.len();
                    match record(Origin::Image { image, strength }) {
                        Ok(mut r) => {
                            prop_assert!(len == PIXELS && unit(r.images()));
                            // The page's step and frame numbers: any whole number.
                            prop_assert_eq!(r.step(usize::MAX), r.len());
                            prop_assert_eq!(r.frame(usize::MAX).index, r.len());
                        }
                        Err(e) => prop_assert!(len != PIXELS, "{e}"),
                    }
                }
            },
            Input::Inpaint(image, mask) => {
                let fits = image.len() == PIXELS && mask.len() == PIXELS;
                match record(Origin::Inpaint { image, mask }) {
                    Ok(r) => prop_assert!(fits && unit(r.images())),
                    Err(e) => prop_assert!(!fits, "{e}"),
                }
            }
            Input::Decode(m, z) => {
                let (d, n) = (LATENT[m], z.len() / LATENT[m]);
                let fits = z.len() % d == 0 && (1..=MAX_N).contains(&n);
                let fits = fits && z.iter().all(|v| v.is_finite() && v.abs() <= MAX_LATENT);
                match decode(&models[m], &z, &options, &device) {
                    Ok(s) => prop_assert!(fits && s.images.dims()[0] == n && unit(s.images)),
                    Err(e) => prop_assert!(!fits, "{e}"),
                }
            }
            Input::Interpolate(m, a, b, f) => match Frames::from_number(f) {
                Err(e) => prop_assert!(e.starts_with("frames must be"), "{e}"),
                Ok(frames) => match interpolate(&models[m], &a, &b, frames, &options, &device) {
                    Ok(s) => {
                        let n = frames.get() * a.len() / LATENT[m];
                        prop_assert!(a.len() == b.len() && s.images.dims()[0] == n);
                        prop_assert!(a.iter().chain(&b).all(|v| v.is_finite()));
                    }
                    Err(e) => prop_assert!(!e.is_empty()),
                },
            },
            Input::Classify(x) => match classify(&classifier, &x, &device) {
                Ok(r) => {
                    let n = x.len() / PIXELS;
                    prop_assert_eq!(r.features.dims()[0], n);
                    let classes = r
                        .classes
                        .into_data()
                        .convert::<i64>()
                        .try_to_vec::<i64>()
                        .unwrap();
                    prop_assert!(classes.iter().all(|c| (0..10).contains(c)));
                    prop_assert!(
                        floats(r.confidences)
                            .iter()
                            .all(|p| (0.0999..=1.0).contains(p))
                    );
                }
                Err(e) => {
                    let n = x.len() / PIXELS;
                    prop_assert!(x.len() % PIXELS != 0 || !(1..=MAX_N).contains(&n), "{e}");
                }
            },
            Input::Nearest(set, queries, dim, k) => {
                let (n, q) = (rows(&set, dim), rows(&queries, dim));
                let fits = n
                    .zip(q)
                    .is_some_and(|(n, _)| (1..=MAX_NEIGHBOURS.min(n)).contains(&k));
                match nearest(&set, &queries, dim, k) {
                    Ok((indices, distances)) => {
                        let (n, q) = (n.unwrap_or(0), q.unwrap_or(0));
                        prop_assert!(fits && indices.len() == q * k && distances.len() == q * k);
                        prop_assert!(indices.iter().all(|&i| (i as usize) < n));
                    }
                    Err(e) => prop_assert!(!fits, "{e}"),
                }
            }
            Input::PrecisionRecall(real, generated, dim) => {
                let m = rows(&real, dim)
                    .zip(rows(&generated, dim))
                    .map(|(a, b)| a.min(b));
                match precision_recall(&real, &generated, dim) {
                    Ok((p, r)) => {
                        prop_assert!(m.is_some_and(|m| m > K));
                        prop_assert!((0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&r));
                    }
                    Err(e) => prop_assert!(m.is_none_or(|m| m <= K), "{e}"),
                }
            }
        }
        Ok(())
    });
}
