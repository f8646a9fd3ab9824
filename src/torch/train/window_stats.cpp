#include "torch/train/window_stats.hpp"

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

}  // namespace stickgen::train
