//! Model files' tests: round trips, refused files, and mutated, truncated and foreign bytes (properties).
use super::*;
use crate::data::SIDE;
use crate::fuzz;
use crate::models::class_tokens;
use burn::store::burn_pack::Writer;
use burn::tensor::Tensor;
use proptest::prelude::*;

fn gan_file(device: &Device) -> ModelFile {
    let cfg = GanConfig::new();
    ModelFile {
        kind: Kind::Family(Family::Gan),
        dataset: DatasetKind::Mnist,
        step: 12,
        config: burn::config::config_to_json(&cfg),
        model: Model::Gan(cfg.init(device)),
    }
}

#[test]
fn round_trip_keeps_outputs_within_half_precision() {
    let device = Device::flex();
    let file = gan_file(&device);
    let back = ModelFile::from_bytes(file.to_bytes().unwrap(), &device).unwrap();
    assert_eq!(
        (back.kind, back.dataset, back.step),
        (Kind::Family(Family::Gan), DatasetKind::Mnist, 12)
    );
    let (Model::Gan(a), Model::Gan(b)) = (&file.model, &back.model) else {
        panic!("family changed")
    };
    let z = Tensor::<2>::ones([1, 64], &device);
    let c = class_tokens(&[Some(4)], &device);
    let x = a
        .generator
        .sample(z.clone(), c.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let y = b
        .generator
        .sample(z, c)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    assert_eq!(x.len(), SIDE * SIDE);
    let worst = x
        .iter()
        .zip(&y)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max);
    assert!(worst < 0.01, "f16 storage moved a pixel by {worst}");
}

#[test]
fn truncated_foreign_and_mismatched_files_are_errors() {
    let device = Device::flex();
    let bytes = gan_file(&device).to_bytes().unwrap();
    for cut in [0, 10, bytes.len() / 3, bytes.len() - 1] {
        assert!(
            ModelFile::from_bytes(bytes[..cut].to_vec(), &device).is_err(),
            "cut at {cut}"
        );
    }
    assert!(ModelFile::from_bytes(b"PNG\x89 certainly not a model".to_vec(), &device).is_err());
    // A file whose config says VAE but whose tensors are a GAN's.
    let mut lying = gan_file(&device);
    lying.kind = Kind::Family(Family::Vae);
    lying.config = burn::config::config_to_json(&VaeConfig::new());
    let err = ModelFile::from_bytes(lying.to_bytes().unwrap(), &device).unwrap_err();
    assert!(err.0.contains("is missing"), "{err}");
    // Another architecture than this build's: a width GroupNorm's groups don't divide used to panic.
    for width in [48, 7] {
        let mut other = gan_file(&device);
        other.config = config_to_json(&GanConfig::new().with_width(width));
        let err = ModelFile::from_bytes(other.to_bytes().unwrap(), &device).unwrap_err();
        assert!(err.0.contains("not this build's"), "{err}");
    }
}

/// A change to a file's bytes.
#[derive(Clone, Debug)]
enum Change {
    None,
    /// Flip bit `bit` of byte `at` (an index into the file).
    Flip(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Append(Vec<u8>),
    /// The other file's bytes.
    Swap,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        1 => Just(Change::None),
        4 => (any::<prop::sample::Index>(), 0..8u8).prop_map(|(at, bit)| Change::Flip(at, bit)),
        2 => any::<prop::sample::Index>().prop_map(Change::Truncate),
        1 => prop::collection::vec(any::<u8>(), 1..8).prop_map(Change::Append),
        1 => Just(Change::Swap),
    ]
}

fn apply(change: &Change, bytes: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match change {
        Change::None => {}
        Change::Flip(at, bit) if !out.is_empty() => out[at.index(bytes.len())] ^= 1 << bit,
        Change::Flip(..) => out.push(1),
        Change::Truncate(at) => out.truncate(at.index(bytes.len().max(1))),
        Change::Append(tail) => out.extend(tail),
        Change::Swap => out = other.to_vec(),
    }
    out
}

#[test]
fn only_the_recorded_bytes_pass_their_checksum() {
    let files = (
        prop::collection::vec(any::<u8>(), 0..2048),
        prop::collection::vec(any::<u8>(), 0..64),
    );
    fuzz::check(
        "checksum",
        100_000,
        (files, change()),
        |((mine, other), change)| {
            let mut list = Checksums::default();
            list.record("gan-mnist.bpk", &mine);
            list.record("vae-mnist.bpk", &other);
            let got = apply(&change, &mine, &other);
            let path = "models/gan-mnist.bpk";
            match list.verify(path, &got) {
                Ok(()) => prop_assert_eq!(got, mine),
                Err(e) if got == other => {
                    prop_assert!(e.0.starts_with("models/gan-mnist.bpk holds the vae-mnist model"))
                }
                Err(e) => {
                    prop_assert_ne!(&got, &mine);
                    prop_assert!(e.0.starts_with("models/gan-mnist.bpk is damaged"), "{e}");
                }
            }
            Ok(())
        },
    );
}

#[test]
fn any_checksum_list_is_refused_or_reads_back() {
    let good = Checksums::shipped().unwrap().to_text();
    let text = prop_oneof![
        fuzz::edited(good, 0..3),
        fuzz::hostile_text(),
        any::<String>()
    ];
    fuzz::check("checksum list", 100_000, text, |text| {
        if let Ok(list) = Checksums::parse(&text) {
            prop_assert_eq!(Checksums::parse(&list.to_text()), Ok(list));
        }
        Ok(())
    });
}

/// An edit of a model file's contents (its metadata or tensor records), written back as a valid burnpack.
#[derive(Clone, Debug)]
enum Edit {
    Meta(&'static str, String),
    DType(prop::sample::Index, DType),
    Shape(prop::sample::Index, Vec<usize>),
    Rename(prop::sample::Index, String),
    Drop(prop::sample::Index),
    Extra(String),
}

/// What a model file is mutated by: a flip in its header and metadata or anywhere, a cut, garbage after
/// its header, or an edit of its records.
#[derive(Clone, Debug)]
enum Mutation {
    HeadFlip(prop::sample::Index, u8),
    Bytes(Change),
    Garbage(Vec<u8>),
    Edit(Edit),
}

fn edit() -> impl Strategy<Value = Edit> {
    let configs = vec![
        config_to_json(&GanConfig::new()),
        config_to_json(&GanConfig::new().with_width(7)),
        config_to_json(&VaeConfig::new().with_hidden(0)),
        config_to_json(&UnetConfig::new()),
        config_to_json(&UnetConfig::new().with_width(usize::MAX)),
        config_to_json(&ClassifierConfig::new()),
        "{\"width\": -1}".into(),
    ];
    let names = vec![
        "gan",
        "vae",
        "diffusion",
        "classifier",
        "mnist",
        "fashion",
        "0",
        "1e3",
    ];
    let value = prop_oneof![
        prop::sample::select(configs),
        prop::sample::select(names).prop_map(String::from),
        fuzz::hostile_text(),
    ];
    let key = prop::sample::select(vec![KEY_KIND, KEY_DATASET, KEY_CONFIG, KEY_STEP]);
    let dtype = prop::sample::select(vec![
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::I16,
        DType::U8,
        DType::QFloat(Default::default()),
    ]);
    let dims = prop::collection::vec(prop_oneof![0..4usize, 1..300usize], 0..5);
    let i = any::<prop::sample::Index>();
    prop_oneof![
        (key, value).prop_map(|(k, v)| Edit::Meta(k, v)),
        (i.clone(), dtype).prop_map(|(i, d)| Edit::DType(i, d)),
        (i.clone(), dims).prop_map(|(i, d)| Edit::Shape(i, d)),
        (i.clone(), fuzz::hostile_text()).prop_map(|(i, n)| Edit::Rename(i, n)),
        i.prop_map(Edit::Drop),
        fuzz::hostile_text().prop_map(Edit::Extra),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), 0..8u8).prop_map(|(at, bit)| Mutation::HeadFlip(at, bit)),
        2 => change().prop_map(Mutation::Bytes),
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Mutation::Garbage),
        3 => edit().prop_map(Mutation::Edit),
    ]
}

/// A shipped file: its bytes, metadata and tensor records.
struct Shipped {
    bytes: Vec<u8>,
    meta: BTreeMap<String, String>,
    tensors: Vec<Stored>,
}

impl Shipped {
    fn read(name: &str) -> Self {
        let path = format!("{}/models/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(path).unwrap();
        let reader = Reader::from_bytes(Bytes::from_bytes_vec(bytes.clone())).unwrap();
        let meta = reader.metadata().clone();
        let tensors = reader.into_tensors().unwrap();
        Self {
            bytes,
            meta,
            tensors,
        }
    }

    /// The file's bytes after `edit`, and whether the edit leaves anything a load must refuse.
    fn edited(&self, edit: &Edit) -> (Vec<u8>, bool) {
        let (mut meta, mut tensors) = (self.meta.clone(), self.tensors.clone());
        let count = tensors.len();
        let pick = |i: &prop::sample::Index| i.index(count);
        let refuse = match edit {
            Edit::Meta(key, value) => {
                let same = meta.insert(key.to_string(), value.clone()).as_ref() == Some(value);
                let harmless = match *key {
                    KEY_DATASET => DatasetKind::parse(value).is_ok(),
                    KEY_STEP => value.parse::<u64>().is_ok(),
                    _ => false,
                };
                !same && !harmless
            }
            Edit::DType(i, dtype) => {
                let t = &mut tensors[pick(i)];
                let (elements, size) = (t.shape.num_elements(), dtype.size());
                let data = Bytes::from_bytes_vec(vec![0; elements * size]);
                *t = Stored::new(t.name.clone(), *dtype, t.shape.clone(), None, data);
                *dtype != STORED
            }
            Edit::Shape(i, dims) => {
                let t = &mut tensors[pick(i)];
                let elements: usize = dims.iter().product();
                let data = Bytes::from_bytes_vec(vec![0; elements * 2]);
                let same = t.shape.as_slice() == dims.as_slice();
                *t = Stored::new(t.name.clone(), t.dtype, dims.clone(), None, data);
                !same
            }
            Edit::Rename(i, name) => {
                let i = pick(i);
                let same = tensors[i].name == *name;
                tensors[i].name = name.clone();
                !same
            }
            Edit::Drop(i) => {
                tensors.remove(pick(i));
                true
            }
            Edit::Extra(name) => {
                let mut extra = tensors[0].clone();
                extra.name = name.clone();
                let new = !tensors.iter().any(|t| t.name == *name);
                tensors.push(extra);
                new
            }
        };
        let mut writer = Writer::new(tensors);
        for (k, v) in &meta {
            writer = writer.with_metadata(k, v);
        }
        let bytes = writer.into_bytes().map(|b| b.to_vec()).unwrap_or_default();
        (bytes, refuse)
    }
}

#[test]
fn mutated_model_files_are_refused_with_a_reason_never_a_panic() {
    let device = Device::flex();
    let files = [
        "classifier-mnist.bpk",
        "diffusion-fashion.bpk",
        "gan-mnist.bpk",
    ]
    .map(Shipped::read);
    let file = prop::sample::select(vec![0, 0, 1, 2]);
    fuzz::check("weights", 1_000, (file, mutation()), |(file, mutation)| {
        let shipped = &files[file];
        let bytes = &shipped.bytes;
        let head = 10 + u32::from_le_bytes(bytes[6..10].try_into().unwrap()) as usize;
        let (mutated, refuse) = match &mutation {
            Mutation::HeadFlip(at, bit) => {
                let mut b = bytes.clone();
                b[at.index(head)] ^= 1 << bit;
                (b, false)
            }
            Mutation::Bytes(change) => (apply(change, bytes, &files[(file + 1) % 3].bytes), false),
            Mutation::Garbage(tail) => ([&bytes[..10], tail].concat(), true),
            Mutation::Edit(edit) => shipped.edited(edit),
        };
        match ModelFile::from_bytes(mutated, &device) {
            Ok(f) => {
                prop_assert!(!refuse, "loaded");
                prop_assert_eq!(f.model.kind(), f.kind);
            }
            Err(e) => {
                let plain = !e.0.chars().any(char::is_control);
                prop_assert!(
                    e.0.starts_with("not a usable trilemma model file: ") && plain,
                    "{e}"
                );
            }
        }
        Ok(())
    });
}
