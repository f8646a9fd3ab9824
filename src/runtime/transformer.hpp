// The runtime's three plain structs, in the spirit of llama2.c: Config (the shape), Weights
// (pointers into the mapped model file, or into an owned fp32 arena for fp16/bf16 files) and
// RunState (every activation buffer and the KV cache, allocated once), plus the forward pass over
// a block of tokens that both the whole-sequence forward and the decoder use.
//
// Activations are sequence-first like the reference: row r of a block holds token r / B of batch
// item r % B. The text token sits at position 0, motion frame t at position t + 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/thread_pool.hpp"
#include "stickgen/model_config.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen::runtime {

struct Config {
  int dim;            // d_model
  int hidden;         // SwiGLU width, 4 * dim
  int n_layers;
  int n_heads;
  int head_dim;       // dim / n_heads
  int input_dim;      // motion features per frame (20 or 48)
  int output_dim;     // pose features per frame
  int pose_width;     // pose head outputs per frame: output_dim, or K * (output_dim + 1) with K hypotheses
  int embedding_dim;  // text embedding width (1024)
  int n_actions;
  int action_dim;     // action embedding width (64)
  static Config from(const ModelConfig& c);
};

struct Linear {
  const float* w = nullptr;       // (out, in) row-major fp32
  const uint16_t* w16 = nullptr;  // (out, in) fp16 used in place instead of w (fp16 files, F16C CPUs)
  const float* b = nullptr;       // (out) or null
  int out = 0, in = 0;
};
// y[:, o0:o1] of x (rows, l.in) W^T + b, whichever way W is stored.
void apply(const Linear& l, const float* x, int rows, float* y, int o0, int o1);
struct Norm {
  const float* w = nullptr;  // (dim)
  const float* b = nullptr;  // (dim), LayerNorm only
};
// text/motion/camera/partner: Linear -> GELU -> Linear -> LayerNorm (dropouts are identities here).
struct Branch {
  Linear fc1, fc2;
  Norm norm;
};
// decoders: Linear -> GELU -> Linear.
struct Head {
  Linear fc1, fc2;
};

struct LayerWeights {
  const float* norm1;     // (dim)                RMSNorm before attention
  Linear q, k, v, o;      // (dim, dim) + (dim)   self_attn.{q,k,v,out}_proj
  const float* inv_freq;  // (head_dim / 2)       self_attn.rope.inv_freq
  const float* norm2;     // (dim)                RMSNorm before the SwiGLU
  Linear gate, value;     // (hidden, dim)        ffn.gate_proj, ffn.value_proj, no bias
  Linear down;            // (dim, hidden)        ffn.output_proj, no bias
};

struct Weights {
  Branch text;                // text_projection: (2dim, embedding_dim), (dim, 2dim), LayerNorm(dim)
  Branch motion;              // motion_embedding: (dim/2, input_dim), (dim, dim/2), LayerNorm(dim)
  const float* action_table;  // (n_actions, action_dim)  action_embedding
  Linear action_fc;           // (dim, action_dim)         action_projection.0
  Norm action_norm;           // (dim)                     action_projection.1
  Branch camera;              // camera_projection: (dim/4, 3), (dim, dim/4), LayerNorm(dim)
  Branch partner;             // partner_projection: (dim/2, input_dim), (dim, dim/2), LayerNorm(dim)
  std::vector<LayerWeights> layers;  // (n_layers)
  Head pose;                  // (dim/2, dim), (pose_width, dim/2)
  Head position, velocity;    // (dim/4, dim), (2, dim/4)      from pooled motion states
  Head action;                // (dim/2, dim), (n_actions, dim/2)   action_predictor
  Head physics;               // (dim/2, dim), (6, dim/2)
  Head environment;           // (dim/2, dim), (32, dim/2)      from pooled motion states
};

// Activation buffers for blocks of up to `rows` tokens, and the KV cache for `batch` sequences of
// up to `positions` tokens. Sized once; the forward functions never allocate.
struct RunState {
  int rows = 0, batch = 0, positions = 0;
  std::vector<float> x;        // (rows, dim)     the residual stream
  std::vector<float> xb;       // (rows, dim)     normalised input of a sublayer
  std::vector<float> xb2;      // (rows, dim)     output of a sublayer
  std::vector<float> q;        // (rows, dim)     queries
  std::vector<float> k, v;     // (rows, dim)     keys and values of the block before caching
  std::vector<float> hb;       // (rows, hidden)  SwiGLU gate / branch & head hidden layers
  std::vector<float> hb2;      // (rows, hidden)  SwiGLU value
  std::vector<float> att;      // (threads, positions)  attention scores of one query
  std::vector<float> cos, sin; // (rows, head_dim)      RoPE angles of each row's position
  std::vector<float> key_cache;    // (layer, batch, positions, dim)
  std::vector<float> value_cache;  // (layer, batch, positions, dim)
  std::vector<float> pooled;       // (batch, dim)        mean of motion tokens' final states
  std::vector<float> pose;         // (batch, pose_width) decoder outputs of the latest step
  std::vector<float> logits;       // (batch, n_actions)
  std::vector<float> physics;      // (batch, 6)
  std::vector<float> position;     // (batch, 2)          pooled heads
  std::vector<float> velocity;     // (batch, 2)
  std::vector<float> environment;  // (batch, 32)
  void allocate(const Config& c, int rows, int batch, int positions, int threads);
};

// Everything a loaded model file holds: the mapped file keeps the fp32 weights alive.
struct LoadedModel {
  ModelConfig model_config;
  MotionNormalization normalization;
  Config config;
  Weights weights;
  SafeTensorsFile file;
  std::vector<float> arena;  // fp32 copies of fp16/bf16 (or misaligned) tensors
  std::string weight_dtype;  // as stored on disk
  bool f16_in_place = false; // matrix weights read as fp16 straight from the file
};
LoadedModel load_model(const std::filesystem::path& path, const LoadOptions& options);

// Embeddings of `rows` tokens into out (rows, dim); s.hb and s.xb2 are scratch. Optional inputs
// are null; action ids must already be checked to lie in [0, n_actions).
void embed_text(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, const float* text, int rows,
                float* out);
void embed_motion(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, const float* motion,
                  const int64_t* actions, const float* camera, const float* partner, int rows, float* out);

// Runs the transformer layers over s.x: a block of `n` tokens per sequence (rows n * batch) at
// positions start .. start+n-1. Their keys and values are written to the cache; each query sees
// positions < start+n (bidirectional) or <= its own (causal).
void transformer(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, int n, int start, bool causal);

// Per-frame heads on `rows` final states (dim each): pose (rows, pose_width),
// logits (rows, n_actions), physics (rows, 6). Null outputs are skipped.
void frame_heads(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, const float* states, int rows,
                 float* pose, float* logits, float* physics);
// Pooled heads on (batch, dim) mean states.
void pooled_heads(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, const float* pooled, int batch,
                  float* position, float* velocity, float* environment);

}  // namespace stickgen::runtime
