//! Exponential moving average of a module's weights (used for the shipped generator and denoiser).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;
use std::collections::HashMap;

struct Snapshot(HashMap<ParamId, Tensor<1>>);

impl ModuleVisitor for Snapshot {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().detach().without_autodiff();
        let n = t.shape().num_elements();
        self.0.insert(param.id, t.reshape([n]));
    }
}

struct Blend {
    live: HashMap<ParamId, Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(live) = self.live.remove(&param.id) else {
            return param;
        };
        let k = self.decay;
        param.map(|e| {
            let live: Tensor<D> = live.reshape(e.shape());
            e * k + live * (1.0 - k)
        })
    }
}

/// The decay at optimizer step `step`: `min(target, (1 + step) / (10 + step))`, so that early on the average
/// follows the live weights instead of remembering the random init for thousands of steps.
pub fn decay(target: f64, step: u64) -> f64 {
    target.min((1.0 + step as f64) / (10.0 + step as f64))
}

/// `ema ← decay · ema + (1 − decay) · live`, parameter by parameter (matched by id: `ema` must be a
/// `valid()` copy of `live`).
pub fn update<M: Module>(ema: M, live: &M, decay: f64) -> M {
    let mut snap = Snapshot(HashMap::new());
    live.visit(&mut snap);
    ema.map(&mut Blend {
        live: snap.0,
        decay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::Device;

    #[test]
    fn decay_warms_up_to_its_target() {
        assert!((decay(0.999, 0) - 0.1).abs() < 1e-12);
        assert!(decay(0.999, 100) < 0.95);
        assert_eq!(decay(0.999, 1_000_000), 0.999);
    }

    #[test]
    fn ema_moves_towards_the_live_weights() {
        let device = Device::flex();
        let live = LinearConfig::new(2, 2).init(&device);
        let zero = live.clone().map(&mut ZeroMapper);
        let ema = update(zero, &live, 0.75);
        let w = |m: &burn::nn::Linear| m.weight.val().into_data().try_to_vec::<f32>().unwrap();
        for (e, l) in w(&ema).iter().zip(w(&live)) {
            assert!((e - 0.25 * l).abs() < 1e-6);
        }
    }

    struct ZeroMapper;
    impl ModuleMapper for ZeroMapper {
        fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
            p.map(|t| t.zeros_like())
        }
    }
}
