// The inference runtime: a StickFigureTransformer (SPEC §2) run on the CPU without LibTorch.
//
//   auto model = stickgen::Model::load("small.safetensors");      // weights memory-mapped
//   auto out = model.forward(inputs);                             // every head, whole sequence
//
//   stickgen::Decoder dec(model, /*batch=*/2, /*max_frames=*/250);  // KV cache allocated once
//   dec.reset(text_embeddings);                                   // text token at position 0
//   for (...) { auto y = dec.step({motion, actions}); ... }       // one frame per batch item
//
// Tensors are flat float spans in the reference's sequence-first layout ([T, B, ·]).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stickgen/model_config.hpp"

namespace stickgen {

// Inputs of a whole-sequence forward pass. Optional inputs are empty spans.
struct ForwardInputs {
  int frames = 0;                         // T
  int batch = 0;                          // B
  std::span<const float> motion;          // [T, B, input_dim]
  std::span<const float> text_embedding;  // [B, embedding_dim]
  std::span<const int64_t> actions;       // [T, B] action ids in [0, num_actions), or empty
  std::span<const float> camera;          // [T, B, 3] (x, y, zoom), or empty
  std::span<const float> partner;         // [T, B, input_dim] (the other actor's motion), or empty
};

// Every head of the network.
struct ForwardOutputs {
  int frames = 0, batch = 0;
  std::vector<float> pose;           // [T, B, pose_width] (ModelConfig::pose_width)
  std::vector<float> action_logits;  // [T, B, num_actions]
  std::vector<float> physics;        // [T, B, 6]  vx, vy, ax, ay, mx, my
  std::vector<float> position;       // [B, 2]   from the mean of the motion tokens' final states
  std::vector<float> velocity;       // [B, 2]
  std::vector<float> environment;    // [B, 32]
};

struct LoadOptions {
  // fp16 files: read the matrices as fp16 straight from the mapped file, widening as they are used
  // (half the memory traffic per decode step). false, or a CPU without AVX2/FMA/F16C: convert them
  // to fp32 once at load. Either way the arithmetic is fp32 on the same (fp16-exact) values.
  bool f16_in_place = true;
};

struct RuntimeOptions {
  int threads = 1;  // worker threads for the matrix work (1 = the calling thread only)
};

// A loaded model file: configuration from its metadata, weights used in place from the mapped
// file (fp32) or converted once into an owned fp32 arena (fp16/bf16). Cheap to copy (shared).
class Model {
 public:
  // Throws Error (one line naming the file and the tensor or metadata key) on a file that is not
  // a stickgen model, a missing, unexpected or mis-shaped tensor, or a bad config.
  static Model load(const std::filesystem::path& path, LoadOptions options = {});

  const ModelConfig& config() const;
  const MotionNormalization& normalization() const;  // empty = identity
  const std::map<std::string, std::string>& metadata() const;
  const std::string& origin() const;  // the file it was loaded from
  std::string weight_dtype() const;   // "F32", "F16", "BF16" or "mixed" as stored on disk
  bool f16_in_place() const;          // matrices read as fp16 from the file (see LoadOptions)

  // Whole-sequence forward in the model's own attention mode, or in `mode` (e.g. bidirectional
  // to run a reference checkpoint faithfully). Errors name the mis-sized input.
  ForwardOutputs forward(const ForwardInputs& inputs, RuntimeOptions options = {}) const;
  ForwardOutputs forward(const ForwardInputs& inputs, AttentionMode mode, RuntimeOptions options = {}) const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// One frame per batch item for Decoder::step. Optional inputs are empty spans. An action id of
// kNoAction (motion.hpp, -1) gives its item no action input, exactly as if the actions were absent for
// it (a model trained with action dropout knows that case): one batch can then decode
// action-conditioned and unconditioned sequences together (action guidance).
struct DecoderFrame {
  std::span<const float> motion;     // [B, input_dim] this frame's pose (the previous output when generating)
  std::span<const int64_t> actions;  // [B] action ids (kNoAction: none for that item), or empty
  std::span<const float> camera;     // [B, 3], or empty
  std::span<const float> partner;    // [B, input_dim], or empty
};

// Views into the decoder's buffers; valid until the next step() or reset().
struct DecoderOutput {
  std::span<const float> pose;           // [B, pose_width] (ModelConfig::pose_width)
  std::span<const float> action_logits;  // [B, num_actions]
  std::span<const float> physics;        // [B, 6]
};
struct PooledOutput {
  std::span<const float> position;     // [B, 2]
  std::span<const float> velocity;     // [B, 2]
  std::span<const float> environment;  // [B, 32]
};

// Incremental causal decoding with a KV cache: B sequences (actors, prompts) advance together, one
// frame per step. Every buffer is allocated by the constructor; reset() and step() never allocate.
// Exact for causal models (step t equals row t of the full causal forward); a bidirectional model
// is refused, since its outputs depend on frames not yet generated.
class Decoder {
 public:
  Decoder(const Model& model, int batch, int max_frames, RuntimeOptions options = {});
  ~Decoder();
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;

  // Starts B new sequences: runs the text tokens ([B, embedding_dim]) at position 0.
  void reset(std::span<const float> text_embedding);
  // Runs the next motion token of every sequence; Error when more than max_frames are stepped.
  DecoderOutput step(const DecoderFrame& frame);
  // The pooled heads over the motion tokens stepped so far (running mean); Error before any step.
  PooledOutput pooled();
  // Makes sequence `to` an exact copy of sequence `from` (its cache and pooled state), so a search can
  // branch: both continue from the same history. Never allocates; Error for an index outside the batch.
  void copy_sequence(int from, int to);

  int batch() const;
  int frames() const;      // motion frames stepped since reset()
  int max_frames() const;
  const Model& model() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

// Pose hypotheses (ModelConfig::pose_hypotheses = K > 1): a row of the pose head holds K candidate
// outputs of output_dim numbers, then K logits. `likeliest_hypothesis` is the index of the largest
// logit; `draw_hypothesis` draws an index from their softmax with `u` uniform in [0, 1);
// `keep_likeliest_hypotheses` rewrites `rows` rows of a pose buffer in place as [rows, output_dim],
// each its likeliest candidate (a no-op for a single pose head).
int likeliest_hypothesis(const float* row, const ModelConfig& c);
int draw_hypothesis(const float* row, const ModelConfig& c, double u);
void keep_likeliest_hypotheses(std::vector<float>& pose, size_t rows, const ModelConfig& c);

// Which build of the matrix and attention kernels the runtime uses: "auto" (the measured-fastest
// of each, the default where AVX2 exists), "avx512", "avx2", "generic" (portable SIMD, the default
// elsewhere) or "eigen" (Eigen 3.4's own products). Chosen at first use; STICKGEN_KERNEL=<name>
// overrides it (for benchmarks and tests). fp16 weights in place always use an F16C kernel.
std::string runtime_kernel_name();
std::vector<std::string> runtime_available_kernels();
void set_runtime_kernel(const std::string& name);  // Error when not available on this CPU

}  // namespace stickgen
