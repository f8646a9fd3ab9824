// StickFigureTransformer as LibTorch modules: the training definition of the model (SPEC §2).
// Module and parameter names mirror the reference state_dict exactly (Sequential indices,
// transformer_encoder.layers.N.self_attn.rope.inv_freq, ...), so a model file's tensors load by
// name with no mapping. Sequence-first tensors [T, B, ·]. Only torch-tier code includes this.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stickgen/model_config.hpp"

namespace stickgen::torch_model {

// x / sqrt(mean(x^2) + eps) * weight
class RMSNormImpl : public torch::nn::Module {
 public:
  explicit RMSNormImpl(int64_t dim, double eps = 1e-6);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;  // (dim)
  double eps;
};
TORCH_MODULE(RMSNorm);

// Rotate-half RoPE tables; inv_freq is a persistent buffer (it is in the reference state_dict).
class RotaryEmbeddingImpl : public torch::nn::Module {
 public:
  explicit RotaryEmbeddingImpl(int64_t head_dim, double base = 10000.0);
  // cos, sin for the given positions: [P] -> two [P, head_dim] tensors.
  std::pair<torch::Tensor, torch::Tensor> cos_sin(const torch::Tensor& positions);
  torch::Tensor inv_freq;  // (head_dim / 2)
};
TORCH_MODULE(RotaryEmbedding);

// Multi-head self-attention with RoPE on q and k.
class RoPEAttentionImpl : public torch::nn::Module {
 public:
  RoPEAttentionImpl(int64_t d_model, int64_t nhead);
  // x [S, B, d]; allowed [B or 1, 1, S, S] bool (true = may attend) or undefined = all.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed = {});
  // One token x [1, B, d] at position `pos`: its k, v are written to k_cache/v_cache
  // [B, H, >pos, hd] (grown when full) at `pos`, and it attends to positions 0..pos.
  torch::Tensor step(const torch::Tensor& x, int64_t pos, torch::Tensor& k_cache, torch::Tensor& v_cache);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};  // (d, d) + bias
  RotaryEmbedding rope{nullptr};
  int64_t nhead, head_dim;
};
TORCH_MODULE(RoPEAttention);

// output_proj(dropout(silu(gate_proj x) * value_proj x)), no biases.
class SwiGLUImpl : public torch::nn::Module {
 public:
  SwiGLUImpl(int64_t d_model, int64_t hidden, double dropout);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear gate_proj{nullptr}, value_proj{nullptr}, output_proj{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(SwiGLU);

// Pre-norm block: x += dropout(attn(norm1 x)); x += ffn(norm2 x).
class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(int64_t d_model, int64_t nhead, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed = {});
  torch::Tensor step(const torch::Tensor& x, int64_t pos, torch::Tensor& k_cache, torch::Tensor& v_cache);
  RoPEAttention self_attn{nullptr};
  SwiGLU ffn{nullptr};
  RMSNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(EncoderLayer);

class TransformerEncoderImpl : public torch::nn::Module {
 public:
  TransformerEncoderImpl(int64_t d_model, int64_t nhead, int64_t num_layers, double dropout);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& allowed = {});
  torch::nn::ModuleList layers{nullptr};
  std::vector<EncoderLayer> blocks;  // the same modules as `layers`, typed
};
TORCH_MODULE(TransformerEncoder);

// Network inputs, sequence-first. Optional tensors may be left undefined.
struct ModelInputs {
  torch::Tensor motion;          // [T, B, input_dim] float
  torch::Tensor text_embedding;  // [B, embedding_dim] float
  torch::Tensor actions;         // [T, B] int64 in [0, num_actions)
  torch::Tensor camera;          // [T, B, 3] (x, y, zoom)
  torch::Tensor partner;         // [T, B, input_dim] the other actor's motion
  torch::Tensor padding_mask;    // [B, T] bool, true = padded frame (ignored as a key and when pooling)
};

struct ModelOutputs {
  torch::Tensor pose;           // [T, B, output_dim]   (step(): [B, output_dim])
  torch::Tensor action_logits;  // [T, B, num_actions]
  torch::Tensor physics;        // [T, B, 6]
  torch::Tensor position;       // [B, 2]  pooled: mean over present motion tokens
  torch::Tensor velocity;       // [B, 2]
  torch::Tensor environment;    // [B, 32]
};

// One frame of inputs for incremental decoding (batch-first, no time axis).
struct FrameInputs {
  torch::Tensor motion;   // [B, input_dim]
  torch::Tensor actions;  // [B] int64, optional
  torch::Tensor camera;   // [B, 3], optional
  torch::Tensor partner;  // [B, input_dim], optional
};

// Keys and values of every layer for the tokens decoded so far (causal models only).
struct KVCache {
  std::vector<torch::Tensor> k, v;  // per layer [B, H, capacity, head_dim]; positions < length valid
  int64_t length = 0;               // tokens cached, the text token included
  torch::Tensor hidden_sum;         // [B, d] sum of the motion tokens' final hidden states (pooled heads)
  int64_t frames() const { return length > 0 ? length - 1 : 0; }
};

class StickFigureTransformerImpl : public torch::nn::Module {
 public:
  explicit StickFigureTransformerImpl(const ModelConfig& config);

  // Full-sequence forward in the configured attention mode (config().attention).
  ModelOutputs forward(const ModelInputs& in);
  // Final hidden states of the motion tokens [T, B, d] (the text token dropped).
  torch::Tensor encode(const ModelInputs& in);

  // Incremental decoding: start() runs the text token (position 0); each step() runs one motion
  // token and returns its per-frame heads [B, ·] and the pooled heads over all frames so far.
  // Equal to forward() on the same prefix in causal mode; an Error in bidirectional mode.
  KVCache start(const torch::Tensor& text_embedding, int64_t capacity_frames = 256);
  ModelOutputs step(KVCache& cache, const FrameInputs& frame);

  const ModelConfig& config() const { return config_; }
  void set_attention(AttentionMode mode) { config_.attention = mode; }

  torch::nn::Sequential text_projection{nullptr};     // 0 Linear(E,2d) 1 GELU 2 Dropout 3 Linear(2d,d) 4 LayerNorm 5 Dropout
  torch::nn::Sequential motion_embedding{nullptr};    // 0 Linear(in,d/2) 1 GELU 2 Linear(d/2,d) 3 LayerNorm 4 Dropout
  torch::nn::Embedding action_embedding{nullptr};     // (num_actions, 64)
  torch::nn::Sequential action_projection{nullptr};   // 0 Linear(64,d) 1 LayerNorm 2 Dropout
  torch::nn::Sequential camera_projection{nullptr};   // 0 Linear(3,d/4) 1 GELU 2 Linear(d/4,d) 3 LayerNorm 4 Dropout
  torch::nn::Sequential partner_projection{nullptr};  // as motion_embedding
  TransformerEncoder transformer_encoder{nullptr};
  torch::nn::Sequential pose_decoder{nullptr};         // 0 Linear(d,d/2) 1 GELU 2 Dropout 3 Linear(d/2,out)
  torch::nn::Sequential position_decoder{nullptr};     // 0 Linear(d,d/4) ... 3 Linear(d/4,2)
  torch::nn::Sequential velocity_decoder{nullptr};     // 0 Linear(d,d/4) ... 3 Linear(d/4,2)
  torch::nn::Sequential action_predictor{nullptr};     // 0 Linear(d,d/2) ... 3 Linear(d/2,num_actions)
  torch::nn::Sequential physics_decoder{nullptr};      // 0 Linear(d,d/2) ... 3 Linear(d/2,6)
  torch::nn::Sequential environment_decoder{nullptr};  // 0 Linear(d,d/2) ... 3 Linear(d/2,32)

 private:
  torch::Tensor embed_motion(const torch::Tensor& motion, const torch::Tensor& actions, const torch::Tensor& camera,
                             const torch::Tensor& partner);
  ModelConfig config_;
};
TORCH_MODULE(StickFigureTransformer);

// Gives the matrix multiplications (OpenBLAS, libblas.so.3 -> openblas-pthread) `threads` threads
// and keeps LibTorch's own OpenMP pool at one thread. Measured on the 2-core machine (small model,
// batch 4 x 250 frames, forward + backward): LibTorch at 2 OpenMP threads ran 5-10x slower than at
// 1 (libgomp spin-waits whenever another process holds a core), while OpenBLAS's pthreads pool
// parallelises the GEMMs that dominate the step. Both at >1 oversubscribes. See docs/TRAINING.md.
void set_compute_threads(int threads);

// OpenBLAS picks its kernels once, when the library loads, from the CPU's model number. A release older
// than the CPU (Debian 12's 0.3.21 on Intel's Emerald Rapids, model 207) does not know it and falls back
// to its generic SSE3 kernels ("Prescott"): 4-5x slower matrix products and 2.5x slower training steps,
// measured on the 2-core machine. When that happened on a CPU with AVX2 or AVX-512, this runs the program
// again (execv of /proc/self/exe with the same argv) with OPENBLAS_CORETYPE set to the newest kernels
// the CPU supports, so it must be called first thing in main. It returns when nothing needs changing:
// OpenBLAS is not loaded, already chose a specific core, or the user set OPENBLAS_CORETYPE.
void use_blas_kernels_for_this_cpu(char** argv);

// The OpenBLAS kernel set in use ("SkylakeX", "Prescott", ...), or "" without OpenBLAS.
std::string blas_kernels();

// Re-initialises a model for training from scratch the GPT-2 way instead of the reference's
// xavier-everywhere: Linear weights N(0, 0.02), biases 0, the residual branches' output projections
// N(0, 0.02 / sqrt(2 * num_layers)), the pose head's last layer 0 (a residual head then starts by
// repeating its input). Every block then starts close to the identity, so the heads see the
// embedded input from step one. Deterministic given LibTorch's seed.
void scaled_init(StickFigureTransformer& model);

// Trainable parameters (excludes buffers); equals ModelConfig::parameter_count().
int64_t count_parameters(StickFigureTransformer& model);

// Every parameter and buffer by its state_dict name.
std::vector<std::pair<std::string, torch::Tensor>> state_dict(StickFigureTransformer& model);

// Writes a model file (safetensors, float32): tensors by state_dict name, the config and the
// optional normalisation in __metadata__, plus any extra "stickgen.*" entries. Atomic.
void save_model(StickFigureTransformer& model, const std::filesystem::path& path,
                const MotionNormalization* normalization = nullptr,
                const std::map<std::string, std::string>& extra_metadata = {});

struct LoadedModel {
  StickFigureTransformer model{nullptr};
  MotionNormalization normalization;  // empty = identity
  std::map<std::string, std::string> metadata;
};
// Reads a model file written by save_model / stickgen-train convert (f32, f16 or bf16). Every
// expected tensor must be present with its shape and nothing else may be: Error listing the
// offending names otherwise. `attention` overrides the recorded mode.
LoadedModel load_model(const std::filesystem::path& path, std::optional<AttentionMode> attention = std::nullopt);

}  // namespace stickgen::torch_model
