//! Diffusion runs recorded for the step scrubber: from noise, a noised image (image-to-image) or with a
//! known region kept (inpainting), every step's x_t and x̂₀ kept on the device.

use super::image;
use crate::data::PIXELS;
use crate::generate::{Options, Part};
use crate::models::diffusion::{Run, Start, Strength};
use crate::models::unet::Unet;
use burn::tensor::{Device, Tensor};

/// What a recorded run starts from, as the page hands it over: one image for all samples.
pub enum Origin {
    Noise,
    Image {
        image: Vec<u8>,
        strength: Strength,
    },
    /// `mask`: non-zero bytes mark the pixels to regenerate.
    Inpaint {
        image: Vec<u8>,
        mask: Vec<u8>,
    },
}

/// A frame of a recorded run: the batch's x_t and the predicted x₀ (none before the first step).
#[derive(Clone, Debug)]
pub struct Frame {
    /// Steps taken when the frame was recorded.
    pub index: usize,
    /// The timestep of x_t: T for the starting noise of a full run.
    pub t: usize,
    pub x_t: Tensor<4>,
    pub x0: Option<Tensor<4>>,
}

/// Frames kept per run are capped at about this many pixel values; longer runs keep every k-th step.
const FRAME_BUDGET: usize = 32 << 20;

/// A diffusion run that keeps its frames for the step scrubber. Frames stay on the device: nothing is
/// read back while sampling.
pub struct Recording {
    unet: Unet,
    run: Run,
    frames: Vec<Frame>,
    stride: usize,
}

impl Recording {
    /// A run of `part` of `options`' samples (its frames fall on the same steps for every part).
    pub fn new(
        unet: Unet,
        options: &Options,
        part: Part,
        origin: Origin,
        device: &Device,
    ) -> Result<Self, String> {
        let n = part.count();
        let batch = |bytes: &[u8]| -> Result<Tensor<4>, String> {
            Ok(image(bytes, device)?.repeat_dim(0, n))
        };
        let start = match origin {
            Origin::Noise => Start::Noise,
            Origin::Image { image, strength } => Start::Image {
                image: batch(&image)?,
                strength,
            },
            Origin::Inpaint { image, mask } => {
                let mask: Vec<u8> = mask.iter().map(|&m| if m > 0 { 255 } else { 0 }).collect();
                Start::Inpaint {
                    image: batch(&image)?,
                    mask: batch(&mask)?,
                }
            }
        };
        let seed = part.seed(options);
        let run = Run::new(
            &part.classes(options),
            options.diffusion,
            start,
            seed,
            device,
        )?;
        // From the whole request's size, so that every part keeps the same steps.
        let stride = (run.len() * options.n.get() * PIXELS * 2)
            .div_ceil(FRAME_BUDGET)
            .max(1);
        let frames = vec![Frame {
            index: 0,
            t: run.start_t(),
            x_t: run.images(),
            x0: None,
        }];
        Ok(Self {
            unet,
            run,
            frames,
            stride,
        })
    }

    /// The samples' latent codes `[n, 784]` (their starting noise), for a run from noise.
    pub fn latents(&self) -> Option<Tensor<2>> {
        self.run.latents()
    }

    /// Steps in the whole run.
    pub fn len(&self) -> usize {
        self.run.len()
    }

    pub fn is_empty(&self) -> bool {
        self.run.is_empty()
    }

    /// Steps taken.
    pub fn position(&self) -> usize {
        self.run.position()
    }

    pub fn is_done(&self) -> bool {
        self.run.is_done()
    }

    /// Takes up to `k` steps; returns how many were taken.
    pub fn step(&mut self, k: usize) -> usize {
        let mut taken = 0;
        while taken < k {
            let Some(step) = self.run.step(&self.unet) else {
                break;
            };
            taken += 1;
            let index = step.index + 1;
            if index.is_multiple_of(self.stride) || self.run.is_done() {
                self.frames.push(Frame {
                    index,
                    t: step.t,
                    x_t: step.x_t,
                    x0: Some(step.x0),
                });
            }
        }
        taken
    }

    /// The recorded frame nearest at or before step `index` (0 = the start), among the steps taken.
    pub fn frame(&self, index: usize) -> &Frame {
        let at = self.frames.partition_point(|f| f.index <= index);
        &self.frames[at.saturating_sub(1)]
    }

    /// The current images in [0, 1]: the samples once the run is done.
    pub fn images(&self) -> Tensor<4> {
        self.run.images()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bytes, fast, record, tiny};
    use super::*;
    use crate::data::SIDE;
    use crate::generate::generate;
    use crate::models::Model;
    use crate::models::diffusion::{Steps, T};

    #[test]
    fn a_recording_keeps_every_frame_and_ends_at_generate() {
        let device = Device::flex();
        let unet = tiny(&device);
        let options = fast(2);
        let mut rec = record(unet.clone(), &options, Origin::Noise, &device);
        assert_eq!((rec.len(), rec.position(), rec.frame(3).index), (6, 0, 0));
        assert!(rec.frame(0).x0.is_none() && rec.frame(0).t == T);
        assert_eq!(rec.step(4), 4);
        assert_eq!(rec.step(10), 2);
        assert!(rec.is_done());
        let ts: Vec<usize> = (0..=6).map(|i| rec.frame(i).t).collect();
        assert_eq!(ts, [T, 833, 666, 500, 333, 166, 0]);
        assert!((1..=6).all(|i| rec.frame(i).index == i && rec.frame(i).x0.is_some()));
        let last = bytes(rec.images());
        assert_eq!(bytes(rec.frame(6).x_t.clone()), last);
        let model = Model::Diffusion(unet);
        assert_eq!(last, bytes(generate(&model, &options, &device).unwrap()));
    }

    #[test]
    fn long_runs_keep_every_kth_frame() {
        let device = Device::flex();
        let mut options = fast(64);
        options.diffusion.steps = Steps::constant(1000);
        let rec = record(tiny(&device), &options, Origin::Noise, &device);
        // 1000 steps × 64 samples × 2 images × 784 pixels = 100 M values, 3× the budget.
        assert_eq!(rec.stride, 3);
    }

    #[test]
    fn inpainting_keeps_the_unmasked_pixels_exactly() {
        let device = Device::flex();
        let img: Vec<u8> = (0..PIXELS).map(|i| (i * 7 % 256) as u8).collect();
        let mask: Vec<u8> = (0..PIXELS)
            .map(|i| if i % SIDE < 14 { 255 } else { 0 })
            .collect();
        let origin = Origin::Inpaint {
            image: img.clone(),
            mask: mask.clone(),
        };
        let mut rec = record(tiny(&device), &fast(2), origin, &device);
        rec.step(usize::MAX);
        let out = bytes(rec.images());
        for s in 0..2 {
            let sample = &out[s * PIXELS..(s + 1) * PIXELS];
            let kept = (0..PIXELS).filter(|&i| mask[i] == 0);
            assert!(kept.clone().all(|i| sample[i] == img[i]));
            assert!(
                (0..PIXELS)
                    .filter(|&i| mask[i] > 0)
                    .any(|i| sample[i] != img[i])
            );
        }
        let bad = Origin::Inpaint {
            image: img.clone(),
            mask: mask[1..].to_vec(),
        };
        assert!(
            Recording::new(tiny(&device), &fast(1), Part::whole(&fast(1)), bad, &device).is_err()
        );
    }

    #[test]
    fn image_to_image_starts_at_strength_and_zero_strength_keeps_the_image() {
        let device = Device::flex();
        let img: Vec<u8> = (0..PIXELS).map(|i| (i % 251) as u8).collect();
        let rec = |strength| {
            let origin = Origin::Image {
                image: img.clone(),
                strength: Strength::constant(strength),
            };
            record(tiny(&device), &fast(1), origin, &device)
        };
        let half = rec(0.5);
        assert_eq!((half.frame(0).t, half.len()), (500, 3));
        let mut none = rec(0.0);
        assert_eq!(none.step(5), 0);
        assert_eq!(bytes(none.images()), img);
        assert!(Strength::new(1.5).is_err());
    }
}
