// Loading a model file into Weights, and the forward pass over a block of tokens.
#include "runtime/transformer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "runtime/kernels.hpp"
#include "stickgen/common.hpp"

namespace stickgen::runtime {

Config Config::from(const ModelConfig& m) {
  Config c{};
  c.dim = m.d_model;
  c.hidden = 4 * m.d_model;
  c.n_layers = m.num_layers;
  c.n_heads = m.nhead;
  c.head_dim = m.head_dim();
  c.input_dim = m.input_dim;
  c.output_dim = m.output_dim;
  c.pose_width = m.pose_width();
  c.embedding_dim = m.embedding_dim;
  c.n_actions = m.num_actions;
  c.action_dim = 64;
  return c;
}

void RunState::allocate(const Config& c, int rows_, int batch_, int positions_, int threads) {
  rows = rows_, batch = batch_, positions = positions_;
  const size_t r = size_t(rows), d = size_t(c.dim);
  x.assign(r * d, 0.f);
  xb.assign(r * d, 0.f);
  xb2.assign(r * d, 0.f);
  q.assign(r * d, 0.f);
  k.assign(r * d, 0.f);
  v.assign(r * d, 0.f);
  hb.assign(r * size_t(c.hidden), 0.f);
  hb2.assign(r * size_t(c.hidden), 0.f);
  att.assign(size_t(threads) * size_t(positions), 0.f);
  cos.assign(r * size_t(c.head_dim), 0.f);
  sin.assign(r * size_t(c.head_dim), 0.f);
  const size_t cache = size_t(c.n_layers) * size_t(batch) * size_t(positions) * d;
  key_cache.assign(cache, 0.f);
  value_cache.assign(cache, 0.f);
  pooled.assign(size_t(batch) * d, 0.f);
  pose.assign(size_t(batch) * size_t(c.pose_width), 0.f);
  logits.assign(size_t(batch) * size_t(c.n_actions), 0.f);
  physics.assign(size_t(batch) * 6, 0.f);
  position.assign(size_t(batch) * 2, 0.f);
  velocity.assign(size_t(batch) * 2, 0.f);
  environment.assign(size_t(batch) * 32, 0.f);
}

// ------------------------------------------------------------------------------------------------
// Loading
// ------------------------------------------------------------------------------------------------
namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

struct Wanted {
  std::string name;
  std::vector<int64_t> shape;
  const float** slot;
  const uint16_t** slot16 = nullptr;  // matrix weights may also be used as fp16 in place
};

// The state_dict the config implies (SPEC §2), each entry bound to the Weights field it fills.
std::vector<Wanted> wanted_tensors(const Config& c, Weights& w) {
  std::vector<Wanted> want;
  const int d = c.dim;
  auto vec = [&](const float*& p, const std::string& name, int n) { want.push_back({name, {n}, &p}); };
  auto lin = [&](Linear& l, const std::string& name, int out, int in, bool bias = true) {
    l.out = out, l.in = in;
    want.push_back({name + ".weight", {out, in}, &l.w, &l.w16});
    if (bias) vec(l.b, name + ".bias", out);
  };
  auto layernorm = [&](Norm& n, const std::string& name) {
    vec(n.w, name + ".weight", d);
    vec(n.b, name + ".bias", d);
  };
  auto branch = [&](Branch& b, const std::string& name, int in, int mid, int i1, int i2, int inorm) {
    lin(b.fc1, name + "." + std::to_string(i1), mid, in);
    lin(b.fc2, name + "." + std::to_string(i2), d, mid);
    layernorm(b.norm, name + "." + std::to_string(inorm));
  };
  auto head = [&](Head& h, const std::string& name, int mid, int out) {
    lin(h.fc1, name + ".0", mid, d);
    lin(h.fc2, name + ".3", out, mid);
  };
  branch(w.text, "text_projection", c.embedding_dim, 2 * d, 0, 3, 4);
  branch(w.motion, "motion_embedding", c.input_dim, d / 2, 0, 2, 3);
  want.push_back({"action_embedding.weight", {c.n_actions, c.action_dim}, &w.action_table});
  lin(w.action_fc, "action_projection.0", d, c.action_dim);
  layernorm(w.action_norm, "action_projection.1");
  branch(w.camera, "camera_projection", 3, d / 4, 0, 2, 3);
  branch(w.partner, "partner_projection", c.input_dim, d / 2, 0, 2, 3);
  w.layers.assign(size_t(c.n_layers), LayerWeights{});
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& L = w.layers[size_t(l)];
    const std::string p = "transformer_encoder.layers." + std::to_string(l) + ".";
    lin(L.q, p + "self_attn.q_proj", d, d);
    lin(L.k, p + "self_attn.k_proj", d, d);
    lin(L.v, p + "self_attn.v_proj", d, d);
    lin(L.o, p + "self_attn.out_proj", d, d);
    vec(L.inv_freq, p + "self_attn.rope.inv_freq", c.head_dim / 2);
    lin(L.gate, p + "ffn.gate_proj", c.hidden, d, false);
    lin(L.value, p + "ffn.value_proj", c.hidden, d, false);
    lin(L.down, p + "ffn.output_proj", d, c.hidden, false);
    vec(L.norm1, p + "norm1.weight", d);
    vec(L.norm2, p + "norm2.weight", d);
  }
  head(w.pose, "pose_decoder", d / 2, c.pose_width);
  head(w.position, "position_decoder", d / 4, 2);
  head(w.velocity, "velocity_decoder", d / 4, 2);
  head(w.action, "action_predictor", d / 2, c.n_actions);
  head(w.physics, "physics_decoder", d / 2, 6);
  head(w.environment, "environment_decoder", d / 2, 32);
  return want;
}

}  // namespace

LoadedModel load_model(const std::filesystem::path& path, const LoadOptions& options) {
  LoadedModel m;
  m.file = SafeTensorsFile::open(path);
  const std::string where = "model " + path.string();
  const auto& meta = m.file.metadata();

  auto format = meta.find(model_meta::kFormat);
  if (format == meta.end() || format->second != "model")
    throw Error(where + ": not a stickgen model file (metadata '" + model_meta::kFormat + "' is " +
                (format == meta.end() ? std::string("missing") : "'" + format->second + "'") +
                ", expected 'model'); convert reference checkpoints with `stickgen-train convert`");
  auto config = meta.find(model_meta::kConfig);
  if (config == meta.end())
    throw Error(where + ": metadata has no '" + model_meta::kConfig + "' (the architecture)");
  try {
    m.model_config = ModelConfig::from_json(config->second);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  if (auto norm = meta.find(model_meta::kNormalization); norm != meta.end()) {
    try {
      m.normalization = MotionNormalization::from_json(norm->second);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
    if (!m.normalization.mean.empty() && int(m.normalization.mean.size()) != m.model_config.input_dim)
      throw Error(where + ": model normalization has " + std::to_string(m.normalization.mean.size()) +
                  " values, expected input_dim = " + std::to_string(m.model_config.input_dim));
  }
  m.config = Config::from(m.model_config);

  auto want = wanted_tensors(m.config, m.weights);
  std::set<std::string> names;
  size_t missing = 0;
  const Wanted* first_missing = nullptr;
  for (const auto& wt : want) {
    names.insert(wt.name);
    if (!m.file.contains(wt.name) && !missing++) first_missing = &wt;
  }
  if (missing)
    throw Error(where + ": missing tensor '" + first_missing->name + "' (expected shape " +
                shape_str(first_missing->shape) + ")" +
                (missing > 1 ? " and " + std::to_string(missing - 1) + " more" : std::string()));
  for (const auto& t : m.file.tensors())
    if (!names.count(t.name))
      throw Error(where + ": unexpected tensor '" + t.name + "' (not in the architecture its " +
                  model_meta::kConfig + " describes)");

  // fp32 tensors are used in place, and so are fp16 matrices where the CPU widens them cheaply
  // (F16C); everything else is converted once into the arena, sized up front so that pointers into
  // it stay valid.
  enum class Use { f32_in_place, f16_in_place, arena };
  const bool f16_ok = options.f16_in_place && f16_weights_supported();
  auto use = [&](const Wanted& wt, const TensorView& t) {
    const auto addr = reinterpret_cast<uintptr_t>(t.data);
    if (t.dtype == DType::F32 && addr % alignof(float) == 0) return Use::f32_in_place;
    if (t.dtype == DType::F16 && wt.slot16 && f16_ok && addr % alignof(uint16_t) == 0) return Use::f16_in_place;
    return Use::arena;
  };
  size_t arena = 0;
  std::set<DType> dtypes;
  for (const auto& wt : want) {
    const TensorView& t = m.file.get(wt.name);
    if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16)
      throw Error(where + ": tensor '" + wt.name + "' has dtype " + std::string(dtype_name(t.dtype)) +
                  ", expected F32, F16 or BF16");
    if (t.shape != wt.shape)
      throw Error(where + ": tensor '" + wt.name + "' has shape " + shape_str(t.shape) + ", expected " +
                  shape_str(wt.shape));
    if (use(wt, t) == Use::arena) arena += size_t(t.numel());
    if (!wt.name.ends_with("rope.inv_freq")) dtypes.insert(t.dtype);
  }
  m.arena.resize(arena);
  size_t used = 0;
  for (const auto& wt : want) {
    const TensorView& t = m.file.get(wt.name);
    switch (use(wt, t)) {
      case Use::f32_in_place: *wt.slot = reinterpret_cast<const float*>(t.data); continue;
      case Use::f16_in_place:
        *wt.slot16 = reinterpret_cast<const uint16_t*>(t.data);
        m.f16_in_place = true;
        continue;
      case Use::arena: break;
    }
    float* dst = m.arena.data() + used;
    const size_t n = size_t(t.numel());
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      switch (t.dtype) {
        case DType::F16: std::memcpy(&h, t.data + 2 * i, 2), dst[i] = half_to_float(h); break;
        case DType::BF16: std::memcpy(&h, t.data + 2 * i, 2), dst[i] = bf16_to_float(h); break;
        default: std::memcpy(dst + i, t.data + 4 * i, 4); break;  // misaligned F32
      }
    }
    *wt.slot = dst;
    used += n;
  }
  m.weight_dtype = dtypes.size() == 1 ? std::string(dtype_name(*dtypes.begin())) : "mixed";
  return m;
}

// ------------------------------------------------------------------------------------------------
// Forward
// ------------------------------------------------------------------------------------------------
void apply(const Linear& l, const float* x, int rows, float* y, int o0, int o1) {
  if (l.w16) linear_f16(x, rows, l.in, l.w16, l.b, y, l.out, o0, o1);
  else linear(x, rows, l.in, l.w, l.b, y, l.out, o0, o1);
}

namespace {

// y (rows, l.out) = x (rows, l.in) W^T + b, output columns split across the team; products too
// small to repay a synchronisation (a decode step's embedding branches and heads) stay on the
// calling thread.
void linear_par(ThreadPool& pool, const float* x, int rows, const Linear& l, float* y) {
  if (int64_t(rows) * l.out * l.in < (int64_t(1) << 16)) {
    apply(l, x, rows, y, 0, l.out);
    return;
  }
  pool.run([&](int i, int n) {
    int o0, o1;
    split_range(l.out, i, n, 8, o0, o1);
    apply(l, x, rows, y, o0, o1);
  });
}

// Linear -> GELU -> Linear -> LayerNorm into out (rows, dim); s.hb holds the hidden layer.
void branch(const Branch& b, RunState& s, ThreadPool& pool, const float* in, int rows, float* out) {
  linear_par(pool, in, rows, b.fc1, s.hb.data());
  gelu_inplace(s.hb.data(), rows * b.fc1.out);
  linear_par(pool, s.hb.data(), rows, b.fc2, out);
  layernorm(out, b.norm.w, b.norm.b, rows, b.fc2.out);
}

// Linear -> GELU -> Linear into out (rows, fc2.out); `hidden` (rows, fc1.out) is scratch.
void head(const Head& h, ThreadPool& pool, const float* in, int rows, float* hidden, float* out) {
  linear_par(pool, in, rows, h.fc1, hidden);
  gelu_inplace(hidden, rows * h.fc1.out);
  linear_par(pool, hidden, rows, h.fc2, out);
}

}  // namespace

void embed_text(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, const float* text, int rows,
                float* out) {
  branch(w.text, s, pool, text, rows, out);
}

void embed_motion(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, const float* motion,
                  const int64_t* actions, const float* camera, const float* partner, int rows, float* out) {
  const int d = c.dim;
  branch(w.motion, s, pool, motion, rows, out);
  if (actions) {
    for (int r = 0; r < rows; ++r)  // embedding lookup into s.hb (rows, action_dim); kNoAction rows use id 0
      std::memcpy(s.hb.data() + size_t(r) * c.action_dim,
                  w.action_table + size_t(std::max<int64_t>(actions[r], 0)) * c.action_dim,
                  sizeof(float) * size_t(c.action_dim));
    linear_par(pool, s.hb.data(), rows, w.action_fc, s.xb2.data());
    layernorm(s.xb2.data(), w.action_norm.w, w.action_norm.b, rows, d);
    for (int r = 0; r < rows; ++r)  // rows are independent: a kNoAction row is computed and left out
      if (actions[r] >= 0) add_inplace(out + size_t(r) * d, s.xb2.data() + size_t(r) * d, d);
  }
  if (camera) {
    branch(w.camera, s, pool, camera, rows, s.xb2.data());
    add_inplace(out, s.xb2.data(), rows * d);
  }
  if (partner) {
    branch(w.partner, s, pool, partner, rows, s.xb2.data());
    add_inplace(out, s.xb2.data(), rows * d);
  }
}

void transformer(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, int n, int start, bool causal) {
  const int B = s.batch, rows = n * B, d = c.dim, hd = c.head_dim, H = c.n_heads, P = s.positions;
  const float scale = 1.0f / std::sqrt(float(hd));
  float* x = s.x.data();
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& L = w.layers[size_t(l)];
    float* key_cache = s.key_cache.data() + size_t(l) * B * P * d;      // (batch, positions, dim)
    float* value_cache = s.value_cache.data() + size_t(l) * B * P * d;  // (batch, positions, dim)

    // attention: x += out_proj(attention(rope(q), rope(k), v)) of rmsnorm(x)
    rmsnorm(s.xb.data(), x, L.norm1, rows, d);
    for (int t = 0; t < n; ++t) rope_angles(&s.cos[size_t(t) * hd], &s.sin[size_t(t) * hd], L.inv_freq, hd, start + t);
    // Heads are independent until out_proj, so each thread takes whole heads: their q, k, v
    // columns, RoPE, the cache writes and the attention, with no synchronisation in between.
    pool.run([&](int i, int team) {
      int h0, h1;
      split_range(H, i, team, 1, h0, h1);
      const int c0 = h0 * hd, c1 = h1 * hd;
      apply(L.q, s.xb.data(), rows, s.q.data(), c0, c1);
      apply(L.k, s.xb.data(), rows, s.k.data(), c0, c1);
      apply(L.v, s.xb.data(), rows, s.v.data(), c0, c1);
      for (int r = 0; r < rows; ++r) {
        const int t = r / B, b = r % B;
        for (int h = h0; h < h1; ++h) {
          rope(&s.q[size_t(r) * d + h * hd], &s.cos[size_t(t) * hd], &s.sin[size_t(t) * hd], hd);
          rope(&s.k[size_t(r) * d + h * hd], &s.cos[size_t(t) * hd], &s.sin[size_t(t) * hd], hd);
        }
        const size_t slot = (size_t(b) * P + size_t(start + t)) * d + size_t(c0);
        std::memcpy(key_cache + slot, &s.k[size_t(r) * d + c0], sizeof(float) * size_t(c1 - c0));
        std::memcpy(value_cache + slot, &s.v[size_t(r) * d + c0], sizeof(float) * size_t(c1 - c0));
      }
      float* att = s.att.data() + size_t(i) * P;
      for (int b = 0; b < B; ++b)
        for (int h = h0; h < h1; ++h) {
          const float* keys = key_cache + size_t(b) * P * d + h * hd;
          const float* values = value_cache + size_t(b) * P * d + h * hd;
          for (int t = 0; t < n; ++t) {
            const int r = t * B + b, visible = causal ? start + t + 1 : start + n;
            attend(&s.q[size_t(r) * d + h * hd], keys, values, size_t(d), visible, hd, scale, att,
                   &s.xb2[size_t(r) * d + h * hd]);
          }
        }
    });
    linear_par(pool, s.xb2.data(), rows, L.o, s.xb.data());
    add_inplace(x, s.xb.data(), rows * d);

    // SwiGLU: x += down(silu(gate(h)) * value(h)), h = rmsnorm(x)
    rmsnorm(s.xb.data(), x, L.norm2, rows, d);
    pool.run([&](int i, int team) {
      int o0, o1;
      split_range(c.hidden, i, team, 8, o0, o1);
      apply(L.gate, s.xb.data(), rows, s.hb.data(), o0, o1);
      apply(L.value, s.xb.data(), rows, s.hb2.data(), o0, o1);
      for (int r = 0; r < rows; ++r) {
        float* g = &s.hb[size_t(r) * c.hidden];
        const float* v = &s.hb2[size_t(r) * c.hidden];
        for (int j = o0; j < o1; ++j) g[j] = silu(g[j]) * v[j];
      }
    });
    linear_par(pool, s.hb.data(), rows, L.down, s.xb2.data());
    add_inplace(x, s.xb2.data(), rows * d);
  }
}

void frame_heads(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, const float* states, int rows,
                 float* pose, float* logits, float* physics) {
  if (pose) head(w.pose, pool, states, rows, s.hb.data(), pose);
  if (logits) head(w.action, pool, states, rows, s.hb.data(), logits);
  if (physics) head(w.physics, pool, states, rows, s.hb.data(), physics);
}

void pooled_heads(const Weights& w, const Config& c, RunState& s, ThreadPool& pool, const float* pooled, int batch,
                  float* position, float* velocity, float* environment) {
  head(w.position, pool, pooled, batch, s.hb.data(), position);
  head(w.velocity, pool, pooled, batch, s.hb.data(), velocity);
  head(w.environment, pool, pooled, batch, s.hb.data(), environment);
}

}  // namespace stickgen::runtime
