#include "torch/train/window_stats.hpp"

#include <limits>
#include <vector>

namespace stickgen::train {

torch::Tensor window_stats_loss(const torch::Tensor& pred, const torch::Tensor& input, const torch::Tensor& target,
                                const torch::Tensor& data_input, const torch::Tensor& valid,
                                const torch::Tensor& scale, double w_mean, double w_speed) {
  const torch::Tensor v = valid.unsqueeze(-1);                        // [T, B, 1]
  const torch::Tensor n = valid.sum(0).clamp_min(1.0).unsqueeze(-1);  // [B, 1]
  torch::Tensor per_item = torch::zeros({pred.size(1)}, pred.options());
  if (w_mean > 0) per_item = per_item + w_mean * ((pred * v).sum(0) / n - (target * v).sum(0) / n).pow(2).mean(-1);
  if (w_speed > 0) {
    auto rms = [&](const torch::Tensor& change) {
      const torch::Tensor units = scale.defined() ? change / scale : change;
      return ((units.pow(2) * v).sum(0) / n + 1e-6).sqrt();  // [B, D]
    };
    per_item = per_item + w_speed * (rms(pred - input) - rms(target - data_input)).pow(2).mean(-1);
  }
  const torch::Tensor ok = (valid.sum(0) >= 8).to(per_item.scalar_type());
  return (per_item * ok).sum() / ok.sum().clamp_min(1.0);
}


torch::Tensor nearest_data_frames(const torch::Tensor& rolled, const torch::Tensor& data_input,
                                  const torch::Tensor& valid, int64_t prefix, int64_t history,
                                  const torch::Tensor& labels) {
  torch::NoGradGuard guard;
  const int64_t T = rolled.size(0), B = rolled.size(1);
  // Each frame's features: it and the history - 1 frames before it (the direction it moves in).
  auto features = [&](const torch::Tensor& x) {
    std::vector<torch::Tensor> parts;
    for (int64_t k = 0; k < std::max<int64_t>(1, history); ++k) {
      const torch::Tensor idx = (torch::arange(T, torch::kLong) - k).clamp_min(0);
      parts.push_back(x.index_select(0, idx));
    }
    return torch::cat(parts, -1).permute({1, 0, 2}).contiguous();  // [B, T, history * D]
  };
  torch::Tensor dist = torch::cdist(features(rolled), features(data_input));  // [B, T(rolled), T(data)]
  torch::Tensor usable = (valid.t().unsqueeze(1) > 0).expand({B, T, T});  // [B, T(rolled), T(data)]
  if (labels.defined()) {
    const torch::Tensor l = labels.t();  // [B, T]
    const torch::Tensor same_action = l.unsqueeze(2) == l.unsqueeze(1);
    // A frame of a known action keeps only its action's frames, when its window has any valid one.
    torch::Tensor narrowed = usable & (same_action | (l.unsqueeze(2) < 0));
    const torch::Tensor any = narrowed.any(-1, true);
    usable = torch::where(any, narrowed, usable);
  }
  dist = dist.masked_fill(usable.logical_not(), std::numeric_limits<float>::infinity());
  torch::Tensor j = dist.argmin(-1).t().contiguous();  // [T, B]
  const torch::Tensor same = torch::arange(T, torch::kLong).unsqueeze(1).expand({T, B});
  const torch::Tensor keep = (same < prefix) | (valid.sum(0) <= 0).unsqueeze(0).expand({T, B});
  return torch::where(keep, same, j);
}

torch::Tensor gather_frames(const torch::Tensor& x, const torch::Tensor& index) {
  torch::Tensor idx = index;
  for (int64_t d = 2; d < x.dim(); ++d) idx = idx.unsqueeze(-1);
  return x.gather(0, idx.expand(x.sizes()));
}

}  // namespace stickgen::train
