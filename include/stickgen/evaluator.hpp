// The independent motion evaluator: a small action-recognition network, separate from the generator,
// whose accuracy scores generated motion and whose penultimate features are the space for FID
// (docs/EVALUATION.md). Trained by `stickgen-train train-evaluator` (LibTorch, src/torch/eval/);
// run here without LibTorch.
//
// Input: one actor's track in v1 at 25 fps, per frame 22 channels — the 20 v1 coordinates with x
// taken relative to the root's x (y kept: the ground is y = 0), then the root's velocity (vx, vy,
// units/s) — normalised with the evaluator's own statistics (stored in its file).
// Network: conv1d stack (ReLU after each, "same" padding, optional stride) -> mean over time ->
// features [feature_dim] -> linear -> logits [64].
//
//   auto ev = stickgen::Evaluator::load("models/evaluator.safetensors");
//   auto r = ev.classify(clip, /*actor=*/0, 0, clip.frames);   // r.top1, r.probabilities, r.features
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "stickgen/motion.hpp"

namespace stickgen {

constexpr int kEvaluatorChannels = 22;  // 20 root-relative v1 coordinates + root vx, vy

struct EvaluatorLayer {
  int in = 0, out = 0, kernel = 3, stride = 1;  // padding = kernel / 2
};

struct EvaluatorConfig {
  int channels = kEvaluatorChannels;
  std::vector<EvaluatorLayer> layers;  // conv1d + ReLU each
  int num_classes = 64;
  float fps = kDefaultFps;  // tracks are resampled to this rate
  int window = 50;          // frames of a training/evaluation window (2 s)
  int stride = 25;          // frames between evaluation windows
  float min_purity = 0.6f;  // a window's label is its majority action, kept when it covers this share
  int min_frames = 12;      // shortest span the evaluator will classify

  int feature_dim() const { return layers.empty() ? channels : layers.back().out; }
  // The default: 22 -> 64 (k5) -> 128 (k5, /2) -> 128 (k5, /2) -> 128 (k3); 128-d features.
  static EvaluatorConfig defaults();
  void validate() const;  // Error naming the first inconsistent field
  std::string to_json() const;
  static EvaluatorConfig from_json(const std::string& json);  // Error naming the bad key
};

// Evaluator files: safetensors with tensors conv.<i>.weight [out, in, k], conv.<i>.bias [out],
// fc.weight [classes, feature_dim], fc.bias [classes], input.mean [channels], input.std [channels];
// __metadata__ "stickgen.format" = "evaluator", "stickgen.evaluator.config" = EvaluatorConfig JSON,
// and whatever the trainer records ("stickgen.evaluator.train": dataset, seed, accuracies, ...).
namespace evaluator_meta {
inline constexpr const char* kFormat = "evaluator";
inline constexpr const char* kConfig = "stickgen.evaluator.config";
inline constexpr const char* kTrain = "stickgen.evaluator.train";
}  // namespace evaluator_meta

// A clip as the evaluator sees it: v1 (from v3 via to_v1) at `fps` (resampled when different).
Clip evaluator_clip(const Clip& clip, float fps = kDefaultFps);

// Un-normalised input channels of frames [begin, end) of one actor of a v1 clip: [end-begin, 22].
// The root velocity is the backward difference in units/s (the first frame of the clip copies the
// second), taken over the whole clip so a span's first frame sees its real predecessor.
std::vector<float> evaluator_track(const Clip& v1_clip, int actor, int begin, int end);
// Mirrors a track left <-> right in place (x -> -x, left and right limbs swapped, vx -> -vx): the
// training augmentation, exposed so both tiers apply the same one.
void mirror_track(float* track, int frames);

// A labelled span of one actor: the unit the evaluator is trained and scored on.
struct MotionWindow {
  size_t clip = 0;
  int actor = 0;
  int begin = 0, end = 0;  // frames [begin, end)
  int label = -1;          // majority action
  float purity = 0.f;      // share of the span's frames with that action
};
// Windows of `window` frames every `stride` frames (starting at `offset`) of every actor present
// throughout them, labelled by their majority action and kept when its share >= min_purity.
std::vector<MotionWindow> extract_windows(const Clip& v1_clip, size_t clip_index, int window, int stride,
                                          float min_purity, int offset = 0);

struct EvaluatorResult {
  std::vector<float> logits;         // [classes] mean over the span's windows
  std::vector<float> probabilities;  // softmax of logits
  std::vector<float> features;       // [feature_dim] mean over the span's windows
  int top1 = -1;
  bool in_top(int label, int k) const;  // label among the k most probable classes
};

class Evaluator {
 public:
  static Evaluator load(const std::filesystem::path& path);  // Error naming the file and tensor/key
  static Evaluator from_bytes(std::string bytes, std::string origin = "<bytes>");

  const EvaluatorConfig& config() const;
  const std::map<std::string, std::string>& metadata() const;
  const std::string& origin() const;

  // One un-normalised track [frames, channels] (evaluator_track) -> logits [classes] and
  // features [feature_dim] (either may be null). Thread-safe.
  void forward(const float* track, int frames, float* logits, float* features) const;
  // Frames [begin, end) of one actor of any clip (converted with evaluator_clip when it is not v1 at
  // config().fps; pass such a clip to avoid repeating the conversion): windows of config().window
  // frames every config().stride frames covering the span (the last one aligned to its end; one
  // window of the span's own length when shorter); logits and features averaged over them.
  // Error when the span is shorter than config().min_frames or the actor is absent in it.
  EvaluatorResult classify(const Clip& clip, int actor, int begin, int end) const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stickgen
