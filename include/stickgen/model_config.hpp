// The architecture of a StickFigureTransformer, as recorded in every model file we write.
// A model file is safetensors whose tensors carry the reference state_dict names (SPEC §2) and
// whose __metadata__ holds (all values are strings):
//   "stickgen.format"        "model"
//   "stickgen.config"        ModelConfig as JSON (to_json below)
//   "stickgen.normalization" {"mean": [input_dim], "std": [input_dim]} JSON, optional: the
//                            motion-normalisation statistics the network was trained in
//   "stickgen.text_encoder"  name of the text encoder the model was trained with, optional
//   "stickgen.*"             anything else a producer wants to record (training run, eval, ...)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace stickgen {

enum class AttentionMode { causal, bidirectional };

struct ModelConfig {
  int input_dim = 20;
  int d_model = 256;
  int nhead = 8;
  int num_layers = 6;
  int output_dim = 20;
  int embedding_dim = 1024;
  int num_actions = 64;
  float dropout = 0.1f;
  // causal: motion tokens see the text token and earlier motion tokens (our models; KV cache is
  // exact). bidirectional: every token sees every token (to run reference checkpoints faithfully).
  AttentionMode attention = AttentionMode::causal;
  // Pose hypotheses (our extension; 1 = the published single pose head). With K > 1 the pose head
  // predicts K candidate outputs of output_dim numbers each, followed by K logits saying how likely
  // each is: width K * output_dim + K. Training scores only the hypothesis nearest the target (and
  // teaches the logits which one that was); generation draws one by the logits. The JSON carries
  // "pose_hypotheses" only when K > 1, so single-head files stay the reference's layout.
  int pose_hypotheses = 1;

  int head_dim() const { return d_model / nhead; }
  int pose_width() const { return pose_hypotheses > 1 ? pose_hypotheses * (output_dim + 1) : output_dim; }
  int64_t parameter_count() const;  // trainable parameters (excludes the rope inv_freq buffers)
  void validate() const;            // throws Error naming the first inconsistent field

  static ModelConfig small();   // d 256, L 6, H 8   -> 7,248,894 parameters
  static ModelConfig medium();  // d 384, L 8, H 12  -> 20,595,646
  static ModelConfig large();   // d 512, L 10, H 16 -> 44,619,646
  static ModelConfig preset(const std::string& name);  // "small" | "medium" | "large" | "tiny"

  std::string to_json() const;
  static ModelConfig from_json(const std::string& json);  // Error naming the bad key
};

// How poses and physics are presented to the network (see include/stickgen/motion_space.hpp).
struct MotionNormalization {
  std::vector<float> mean, std;  // [input_dim]; empty = identity
  std::vector<float> physics_mean, physics_std;  // [6]; empty = identity
  // true: every x coordinate is taken relative to the root's x in the same frame before
  // normalising (horizontal travel then comes from the physics head's vx).
  bool root_relative_x = false;
  // true: the pose head predicts the change from the input frame in units of delta_std
  // (next = input + output * delta_std, in the normalised space); false: the next frame itself.
  bool delta_output = false;
  std::vector<float> delta_std;  // [input_dim] std of frame-to-frame changes (normalised space)
  bool empty() const { return mean.empty(); }
  std::string to_json() const;
  static MotionNormalization from_json(const std::string& json);
};

namespace model_meta {
inline constexpr const char* kFormat = "stickgen.format";
inline constexpr const char* kConfig = "stickgen.config";
inline constexpr const char* kNormalization = "stickgen.normalization";
inline constexpr const char* kTextEncoder = "stickgen.text_encoder";
}  // namespace model_meta

}  // namespace stickgen
