// The evaluator network as LibTorch modules (its training definition) and its training loop:
// `stickgen-train train-evaluator`. Inference without LibTorch: include/stickgen/evaluator.hpp,
// which reads the file save_evaluator writes. Only torch-tier code includes this.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "stickgen/evaluator.hpp"

namespace stickgen::evaluator_train {

// conv.<i> Conv1d(in, out, k, stride, padding k/2) + ReLU ... -> mean over time -> dropout -> fc.
class EvaluatorNetImpl : public torch::nn::Module {
 public:
  explicit EvaluatorNetImpl(const EvaluatorConfig& config, double dropout = 0.2);
  // x [B, T, channels], already normalised -> features [B, feature_dim]
  torch::Tensor features(const torch::Tensor& x);
  // x [B, T, channels] normalised -> logits [B, classes]
  torch::Tensor forward(const torch::Tensor& x);
  const EvaluatorConfig& config() const { return config_; }

  torch::nn::ModuleList conv{nullptr};
  torch::nn::Linear fc{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  EvaluatorConfig config_;
};
TORCH_MODULE(EvaluatorNet);

// Writes the evaluator file (float32) with its input statistics and extra metadata; atomic.
void save_evaluator(EvaluatorNet& net, const std::vector<float>& mean, const std::vector<float>& std,
                    const std::filesystem::path& path, const std::map<std::string, std::string>& extra_metadata = {});
// Reads it back (for tests and fine-tuning); mean/std are filled.
EvaluatorNet load_evaluator(const std::filesystem::path& path, std::vector<float>& mean, std::vector<float>& std);

struct EvaluatorTrainOptions {
  std::string data;                 // dataset directory (splits train / val / test)
  std::filesystem::path output;     // evaluator.safetensors
  EvaluatorConfig config = EvaluatorConfig::defaults();
  int epochs = 25;
  int batch_size = 64;
  int max_windows_per_epoch = 16000;  // a random subset of the epoch's windows when there are more
  double learning_rate = 2e-3;
  double weight_decay = 1e-2;
  double dropout = 0.2;
  double input_noise = 0.03;        // Gaussian noise on normalised inputs (robustness to generated motion)
  uint64_t seed = 1;
  size_t max_clips = 0;             // per split, 0 = all
};

struct EvaluatorTrainResult {
  int64_t train_windows = 0, val_windows = 0, test_windows = 0;
  int best_epoch = 0;
  double val_top1 = 0, test_top1 = 0, test_top5 = 0, test_balanced = 0;
  int classes_present = 0;          // actions with at least one training window
  double seconds = 0;
};

// Deterministic for a seed and thread count. Progress bar on a terminal; a summary line per epoch
// on stderr otherwise.
EvaluatorTrainResult train_evaluator(const EvaluatorTrainOptions& options);

}  // namespace stickgen::evaluator_train
