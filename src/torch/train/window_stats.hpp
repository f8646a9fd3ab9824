// Phase-free window statistics of a predicted motion against the data (TrainConfig::w_window_mean and
// w_window_speed): where a window of frames sits on average and how fast it moves, whatever the phase.
#pragma once

#include <torch/torch.h>

namespace stickgen::train {

// Per batch item b over its valid frames ([T, B] mask `valid`; items with fewer than 8 are left out):
//   w_mean  * mean_d (mean_t pred - mean_t target)^2
// + w_speed * mean_d (rms_t((pred - input) / scale) - rms_t((target - data_input) / scale))^2
// averaged over the items. `pred`, `input`, `target`, `data_input` are [T, B, D]; `input` is what the
// model was fed (the data, or its own rollout) and `data_input` the data at the same frames, so a
// rollout is charged for moving less (or more) than the data, not for being out of phase with it.
// `scale` is [D] (delta_std) or undefined (1).
torch::Tensor window_stats_loss(const torch::Tensor& pred, const torch::Tensor& input, const torch::Tensor& target,
                                const torch::Tensor& data_input, const torch::Tensor& valid,
                                const torch::Tensor& scale, double w_mean, double w_speed);

}  // namespace stickgen::train
