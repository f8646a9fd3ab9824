// Phase-free window statistics of a predicted motion against the data (TrainConfig::w_window_mean and
// w_window_speed): where a window of frames sits on average and how fast it moves, whatever the phase;
// and phase-matched targets for free rollouts (TrainConfig::rollout_target).
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


// Phase-matched targets for a free rollout (TrainConfig::rollout_target = "nearest"). For every input
// frame t >= `prefix` of item b, the data input frame j of the same item whose last `history` frames
// (t-history+1..t against j-history+1..j, clamped at 0) lie nearest to the rollout's, among frames
// with a valid target (`valid` [T, B]); frames before `prefix` are the data and keep j = t. Returns
// j as [T, B] long. The rollout is then asked to go where the data goes from that point of its
// trajectory (targets[j]), not where the data happens to be at the same time: an out-of-phase
// rollout of a periodic motion keeps its phase instead of being pulled towards the mean pose.
// `rolled`, `data_input` are [T, B, D]. With `labels` ([T, B] long, the action of each target frame,
// negative = unknown) a labelled frame is matched only among frames of its own action, so a window
// that spans two actions does not steer a rollout towards the other one.
torch::Tensor nearest_data_frames(const torch::Tensor& rolled, const torch::Tensor& data_input,
                                  const torch::Tensor& valid, int64_t prefix, int64_t history,
                                  const torch::Tensor& labels = {});

// x [T, B, ...] gathered along T per item: out[t, b] = x[index[t, b], b].
torch::Tensor gather_frames(const torch::Tensor& x, const torch::Tensor& index);

}  // namespace stickgen::train
