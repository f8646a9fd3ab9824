// StickFigureTransformer in LibTorch (SPEC §2) and its model files.
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "stickgen/safetensors.hpp"
#include "stickgen/torch_model.hpp"

namespace stickgen::torch_model {
namespace nn = torch::nn;
using torch::Tensor;

namespace {

Tensor rotate_half(const Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

nn::Sequential head(int64_t d_in, int64_t hidden, int64_t d_out, double dropout) {
  return nn::Sequential(nn::Linear(d_in, hidden), nn::GELU(), nn::Dropout(dropout), nn::Linear(hidden, d_out));
}

// motion / camera / partner: Linear GELU Linear LayerNorm Dropout
nn::Sequential branch(int64_t d_in, int64_t hidden, int64_t d_model, double dropout) {
  return nn::Sequential(nn::Linear(d_in, hidden), nn::GELU(), nn::Linear(hidden, d_model),
                        nn::LayerNorm(nn::LayerNormOptions({d_model}).eps(1e-5)), nn::Dropout(dropout));
}

void check_shape(const Tensor& t, const char* name, std::initializer_list<int64_t> shape) {
  if (!t.defined()) throw Error(std::string("model input '") + name + "' is missing");
  std::vector<int64_t> want(shape);
  bool ok = t.dim() == static_cast<int64_t>(want.size());
  for (size_t i = 0; ok && i < want.size(); ++i) ok = want[i] < 0 || t.size(static_cast<int64_t>(i)) == want[i];
  if (!ok) {
    std::string w = "[";
    for (size_t i = 0; i < want.size(); ++i) w += (i ? ", " : "") + (want[i] < 0 ? std::string("*") : std::to_string(want[i]));
    throw Error(std::string("model input '") + name + "': expected shape " + w + "], got " + c10::str(t.sizes()));
  }
}

}  // namespace

// ------------------------------------------------------------------ blocks

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}));
}

Tensor RMSNormImpl::forward(const Tensor& x) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

RotaryEmbeddingImpl::RotaryEmbeddingImpl(int64_t head_dim, double base) {
  auto exponent = torch::arange(0, head_dim, 2, torch::kFloat) / static_cast<double>(head_dim);
  inv_freq = register_buffer("inv_freq", 1.0 / torch::pow(base, exponent));
}

std::pair<Tensor, Tensor> RotaryEmbeddingImpl::cos_sin(const Tensor& positions) {
  auto f = torch::outer(positions.to(inv_freq.dtype()), inv_freq);
  auto emb = torch::cat({f, f}, -1);
  return {emb.cos(), emb.sin()};
}

RoPEAttentionImpl::RoPEAttentionImpl(int64_t d_model, int64_t nhead_) : nhead(nhead_), head_dim(d_model / nhead_) {
  q_proj = register_module("q_proj", nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", nn::Linear(d_model, d_model));
  out_proj = register_module("out_proj", nn::Linear(d_model, d_model));
  rope = register_module("rope", RotaryEmbedding(head_dim));
}

Tensor RoPEAttentionImpl::forward(const Tensor& x, const Tensor& allowed) {
  const int64_t S = x.size(0), B = x.size(1), d = x.size(2);
  auto q = q_proj(x).view({S, B, nhead, head_dim});
  auto k = k_proj(x).view({S, B, nhead, head_dim});
  auto v = v_proj(x).view({S, B, nhead, head_dim});
  auto [cos, sin] = rope->cos_sin(torch::arange(S, x.options()));
  cos = cos.view({S, 1, 1, head_dim});
  sin = sin.view({S, 1, 1, head_dim});
  q = q * cos + rotate_half(q) * sin;
  k = k * cos + rotate_half(k) * sin;
  q = q.permute({1, 2, 0, 3});  // [B, H, S, hd]
  k = k.permute({1, 2, 0, 3});
  v = v.permute({1, 2, 0, 3});
  auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim));
  if (allowed.defined()) scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  auto out = torch::matmul(torch::softmax(scores, -1), v);  // [B, H, S, hd]
  return out_proj(out.permute({2, 0, 1, 3}).reshape({S, B, d}));
}

Tensor RoPEAttentionImpl::step(const Tensor& x, int64_t pos, Tensor& k_cache, Tensor& v_cache) {
  const int64_t B = x.size(1), d = x.size(2);
  auto q = q_proj(x).view({1, B, nhead, head_dim}).permute({1, 2, 0, 3});  // [B, H, 1, hd]
  auto k = k_proj(x).view({1, B, nhead, head_dim}).permute({1, 2, 0, 3});
  auto v = v_proj(x).view({1, B, nhead, head_dim}).permute({1, 2, 0, 3});
  auto [cos, sin] = rope->cos_sin(torch::full({1}, static_cast<double>(pos), x.options()));
  q = q * cos + rotate_half(q) * sin;
  k = k * cos + rotate_half(k) * sin;
  if (torch::GradMode::is_enabled()) {
    // Rollouts under autograd: no in-place writes into tensors the graph still needs.
    k_cache = torch::cat({k_cache.narrow(2, 0, pos), k}, 2);
    v_cache = torch::cat({v_cache.narrow(2, 0, pos), v}, 2);
  } else {
    if (pos >= k_cache.size(2)) {  // full: double the capacity
      const int64_t grow = std::max<int64_t>(k_cache.size(2), 16);
      k_cache = torch::cat({k_cache, torch::zeros({B, nhead, grow, head_dim}, k_cache.options())}, 2);
      v_cache = torch::cat({v_cache, torch::zeros({B, nhead, grow, head_dim}, v_cache.options())}, 2);
    }
    k_cache.narrow(2, pos, 1).copy_(k);
    v_cache.narrow(2, pos, 1).copy_(v);
  }
  auto keys = k_cache.narrow(2, 0, pos + 1), values = v_cache.narrow(2, 0, pos + 1);
  auto scores = torch::matmul(q, keys.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim));
  auto out = torch::matmul(torch::softmax(scores, -1), values);  // [B, H, 1, hd]
  return out_proj(out.permute({2, 0, 1, 3}).reshape({1, B, d}));
}

SwiGLUImpl::SwiGLUImpl(int64_t d_model, int64_t hidden, double p) {
  gate_proj = register_module("gate_proj", nn::Linear(nn::LinearOptions(d_model, hidden).bias(false)));
  value_proj = register_module("value_proj", nn::Linear(nn::LinearOptions(d_model, hidden).bias(false)));
  output_proj = register_module("output_proj", nn::Linear(nn::LinearOptions(hidden, d_model).bias(false)));
  dropout = register_module("dropout", nn::Dropout(p));
}

Tensor SwiGLUImpl::forward(const Tensor& x) {
  return output_proj(dropout(torch::silu(gate_proj(x)) * value_proj(x)));
}

EncoderLayerImpl::EncoderLayerImpl(int64_t d_model, int64_t nhead, double p) {
  self_attn = register_module("self_attn", RoPEAttention(d_model, nhead));
  ffn = register_module("ffn", SwiGLU(d_model, 4 * d_model, p));
  norm1 = register_module("norm1", RMSNorm(d_model));
  norm2 = register_module("norm2", RMSNorm(d_model));
  dropout = register_module("dropout", nn::Dropout(p));
}

Tensor EncoderLayerImpl::forward(const Tensor& x, const Tensor& allowed) {
  auto h = x + dropout(self_attn(norm1(x), allowed));
  return h + ffn(norm2(h));
}

Tensor EncoderLayerImpl::step(const Tensor& x, int64_t pos, Tensor& k_cache, Tensor& v_cache) {
  auto h = x + dropout(self_attn->step(norm1(x), pos, k_cache, v_cache));
  return h + ffn(norm2(h));
}

TransformerEncoderImpl::TransformerEncoderImpl(int64_t d_model, int64_t nhead, int64_t num_layers, double p) {
  layers = register_module("layers", nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) {
    blocks.emplace_back(d_model, nhead, p);
    layers->push_back(blocks.back());
  }
}

Tensor TransformerEncoderImpl::forward(Tensor x, const Tensor& allowed) {
  for (auto& block : blocks) x = block(x, allowed);
  return x;
}

// ------------------------------------------------------------------ the model

StickFigureTransformerImpl::StickFigureTransformerImpl(const ModelConfig& config) : config_(config) {
  config_.validate();
  const int64_t d = config_.d_model, in = config_.input_dim, e = config_.embedding_dim, na = config_.num_actions;
  const double p = config_.dropout;
  text_projection = register_module(
      "text_projection", nn::Sequential(nn::Linear(e, 2 * d), nn::GELU(), nn::Dropout(p), nn::Linear(2 * d, d),
                                        nn::LayerNorm(nn::LayerNormOptions({d}).eps(1e-5)), nn::Dropout(p)));
  motion_embedding = register_module("motion_embedding", branch(in, d / 2, d, p));
  action_embedding = register_module("action_embedding", nn::Embedding(na, 64));
  action_projection = register_module(
      "action_projection",
      nn::Sequential(nn::Linear(64, d), nn::LayerNorm(nn::LayerNormOptions({d}).eps(1e-5)), nn::Dropout(p)));
  camera_projection = register_module("camera_projection", branch(3, d / 4, d, p));
  partner_projection = register_module("partner_projection", branch(in, d / 2, d, p));
  transformer_encoder =
      register_module("transformer_encoder", TransformerEncoder(d, config_.nhead, config_.num_layers, p));
  pose_decoder = register_module("pose_decoder", head(d, d / 2, config_.pose_width(), p));
  position_decoder = register_module("position_decoder", head(d, d / 4, 2, p));
  velocity_decoder = register_module("velocity_decoder", head(d, d / 4, 2, p));
  action_predictor = register_module("action_predictor", head(d, d / 2, na, p));
  physics_decoder = register_module("physics_decoder", head(d, d / 2, 6, p));
  environment_decoder = register_module("environment_decoder", head(d, d / 2, 32, p));

  // The reference's init: xavier_uniform on every parameter with dim > 1; biases keep their
  // default (uniform +-1/sqrt(fan_in)), norm weights 1.
  torch::NoGradGuard no_grad;
  for (auto& param : parameters())
    if (param.dim() > 1) nn::init::xavier_uniform_(param);
}

void scaled_init(StickFigureTransformer& model) {
  torch::NoGradGuard no_grad;
  const double residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(model->config().num_layers));
  for (auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    Tensor& p = item.value();
    const auto ends_with = [&](const std::string& suffix) {
      return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (name.rfind("action_embedding", 0) == 0) {
      p.normal_(0.0, 1.0);
    } else if (p.dim() > 1) {
      const bool residual_out = ends_with("self_attn.out_proj.weight") || ends_with("ffn.output_proj.weight");
      p.normal_(0.0, residual_out ? residual_std : 0.02);
      // One pose head starts by repeating its input; several hypotheses start apart (small random
      // outputs) so that each can win a different part of the data.
      if (name == "pose_decoder.3.weight" && model->config().pose_hypotheses == 1) p.zero_();
    } else if (ends_with(".bias")) {  // Linear and LayerNorm biases
      p.zero_();
    }
  }
}

Tensor StickFigureTransformerImpl::embed_motion(const Tensor& motion, const Tensor& actions, const Tensor& camera,
                                                const Tensor& partner) {
  auto m = motion_embedding->forward(motion);
  if (actions.defined()) m = m + action_projection->forward(action_embedding(actions.to(torch::kLong)));
  if (camera.defined()) m = m + camera_projection->forward(camera);
  if (partner.defined()) m = m + partner_projection->forward(partner);
  return m;
}

Tensor StickFigureTransformerImpl::encode(const ModelInputs& in) {
  const int64_t in_dim = config_.input_dim;
  check_shape(in.motion, "motion", {-1, -1, in_dim});
  const int64_t T = in.motion.size(0), B = in.motion.size(1);
  check_shape(in.text_embedding, "text_embedding", {B, config_.embedding_dim});
  if (in.actions.defined()) check_shape(in.actions, "actions", {T, B});
  if (in.camera.defined()) check_shape(in.camera, "camera", {T, B, 3});
  if (in.partner.defined()) check_shape(in.partner, "partner", {T, B, in_dim});
  if (in.padding_mask.defined()) check_shape(in.padding_mask, "padding_mask", {B, T});

  auto m = embed_motion(in.motion, in.actions, in.camera, in.partner);
  auto text = text_projection->forward(in.text_embedding).unsqueeze(0);  // [1, B, d]
  auto x = torch::cat({text, m}, 0);                                      // [S = T+1, B, d]
  const int64_t S = T + 1;
  Tensor allowed;  // [B or 1, 1, S, S]
  auto bool_opts = torch::TensorOptions().dtype(torch::kBool).device(x.device());
  if (config_.attention == AttentionMode::causal) allowed = torch::ones({S, S}, bool_opts).tril().view({1, 1, S, S});
  if (in.padding_mask.defined()) {
    // Padded motion tokens are never keys; the text token (key 0) is never padded, so no row is empty.
    auto key_ok = torch::cat({torch::ones({B, 1}, bool_opts), in.padding_mask.to(torch::kBool).logical_not()}, 1);
    key_ok = key_ok.view({B, 1, 1, S});
    allowed = allowed.defined() ? allowed.logical_and(key_ok) : key_ok.expand({B, 1, S, S});
  }
  x = transformer_encoder(x, allowed);
  return x.narrow(0, 1, T);
}

ModelOutputs StickFigureTransformerImpl::forward(const ModelInputs& in) {
  auto h = encode(in);  // [T, B, d]
  Tensor pooled;
  if (in.padding_mask.defined()) {
    auto present = in.padding_mask.to(torch::kBool).logical_not().to(h.dtype()).t().unsqueeze(-1);  // [T, B, 1]
    pooled = (h * present).sum(0) / present.sum(0).clamp_min(1.0);
  } else {
    pooled = h.mean(0);
  }
  ModelOutputs out;
  out.pose = pose_decoder->forward(h);
  out.action_logits = action_predictor->forward(h);
  out.physics = physics_decoder->forward(h);
  out.position = position_decoder->forward(pooled);
  out.velocity = velocity_decoder->forward(pooled);
  out.environment = environment_decoder->forward(pooled);
  return out;
}

KVCache StickFigureTransformerImpl::start(const Tensor& text_embedding, int64_t capacity_frames) {
  if (config_.attention != AttentionMode::causal)
    throw Error("KV-cached decoding needs a causal model (this one is configured bidirectional)");
  check_shape(text_embedding, "text_embedding", {-1, config_.embedding_dim});
  const int64_t B = text_embedding.size(0), d = config_.d_model, H = config_.nhead, hd = config_.head_dim();
  KVCache cache;
  const int64_t capacity = std::max<int64_t>(1, capacity_frames + 1);
  for (int i = 0; i < config_.num_layers; ++i) {
    cache.k.push_back(torch::zeros({B, H, capacity, hd}, text_embedding.options()));
    cache.v.push_back(torch::zeros({B, H, capacity, hd}, text_embedding.options()));
  }
  auto x = text_projection->forward(text_embedding).unsqueeze(0);  // [1, B, d]
  for (size_t l = 0; l < transformer_encoder->blocks.size(); ++l)
    x = transformer_encoder->blocks[l]->step(x, 0, cache.k[l], cache.v[l]);
  cache.length = 1;
  cache.hidden_sum = torch::zeros({B, d}, text_embedding.options());
  return cache;
}

ModelOutputs StickFigureTransformerImpl::step(KVCache& cache, const FrameInputs& frame) {
  if (config_.attention != AttentionMode::causal)
    throw Error("KV-cached decoding needs a causal model (this one is configured bidirectional)");
  if (cache.length < 1) throw Error("KV cache: call start() before step()");
  const int64_t B = cache.hidden_sum.size(0);
  check_shape(frame.motion, "motion", {B, config_.input_dim});
  if (frame.actions.defined()) check_shape(frame.actions, "actions", {B});
  if (frame.camera.defined()) check_shape(frame.camera, "camera", {B, 3});
  if (frame.partner.defined()) check_shape(frame.partner, "partner", {B, config_.input_dim});
  auto unsq = [](const Tensor& t) { return t.defined() ? t.unsqueeze(0) : t; };
  auto x = embed_motion(frame.motion.unsqueeze(0), unsq(frame.actions), unsq(frame.camera), unsq(frame.partner));
  const int64_t pos = cache.length;
  for (size_t l = 0; l < transformer_encoder->blocks.size(); ++l)
    x = transformer_encoder->blocks[l]->step(x, pos, cache.k[l], cache.v[l]);
  cache.length += 1;
  auto h = x.squeeze(0);  // [B, d]
  cache.hidden_sum = cache.hidden_sum + h;
  auto pooled = cache.hidden_sum / static_cast<double>(cache.frames());
  ModelOutputs out;
  out.pose = pose_decoder->forward(h);
  out.action_logits = action_predictor->forward(h);
  out.physics = physics_decoder->forward(h);
  out.position = position_decoder->forward(pooled);
  out.velocity = velocity_decoder->forward(pooled);
  out.environment = environment_decoder->forward(pooled);
  return out;
}

// ------------------------------------------------------------------ model files

void set_compute_threads(int threads) {
  if (threads < 1) throw Error("threads: expected at least 1, got " + std::to_string(threads));
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
  torch::set_num_threads(1);
  try {
    torch::set_num_interop_threads(1);
  } catch (const std::exception&) {
    // the inter-op pool already started (it can be sized only once); intra-op is what matters here
  }
}

std::string blas_kernels() {
  using CoreName = char* (*)();
  auto* name = reinterpret_cast<CoreName>(::dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return name ? std::string(name()) : std::string();
}

void use_blas_kernels_for_this_cpu(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE")) return;  // chosen by the user, or by the run that re-ran us
  std::string core = blas_kernels();
  std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
  if (core != "prescott") return;  // no OpenBLAS, or it recognised the CPU
  const char* better = nullptr;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    better = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    better = "Haswell";
  if (!better) return;
  ::setenv("OPENBLAS_CORETYPE", better, 1);
  ::execv("/proc/self/exe", argv);
  ::unsetenv("OPENBLAS_CORETYPE");  // execv failed: go on with the generic kernels
}

int64_t count_parameters(StickFigureTransformer& model) {
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  return n;
}

std::vector<std::pair<std::string, Tensor>> state_dict(StickFigureTransformer& model) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& item : model->named_parameters()) out.emplace_back(item.key(), item.value());
  for (const auto& item : model->named_buffers()) out.emplace_back(item.key(), item.value());
  return out;
}

void save_model(StickFigureTransformer& model, const std::filesystem::path& path,
                const MotionNormalization* normalization, const std::map<std::string, std::string>& extra_metadata) {
  SafeTensorsWriter writer;
  for (const auto& [key, value] : extra_metadata) writer.set_metadata(key, value);
  writer.set_metadata(model_meta::kFormat, "model");
  writer.set_metadata(model_meta::kConfig, model->config().to_json());
  if (normalization && !normalization->mean.empty()) {
    if (static_cast<int>(normalization->mean.size()) != model->config().input_dim)
      throw Error(path.string() + ": normalization has " + std::to_string(normalization->mean.size()) +
                  " entries, expected input_dim " + std::to_string(model->config().input_dim));
    writer.set_metadata(model_meta::kNormalization, normalization->to_json());
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : state_dict(model)) {
    auto t = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    writer.add_f32(name, t.sizes().vec(), std::span<const float>(t.data_ptr<float>(), static_cast<size_t>(t.numel())));
  }
  writer.write(path);
}

LoadedModel load_model(const std::filesystem::path& path, std::optional<AttentionMode> attention) {
  auto file = SafeTensorsFile::open(path);
  const auto& meta = file.metadata();
  auto format = meta.find(model_meta::kFormat);
  if (format == meta.end() || format->second != "model")
    throw Error(path.string() + ": not a stickgen model file (__metadata__ '" + model_meta::kFormat + "' != 'model')");
  auto config_json = meta.find(model_meta::kConfig);
  if (config_json == meta.end()) throw Error(path.string() + ": __metadata__ has no '" + model_meta::kConfig + "'");
  ModelConfig config;
  try {
    config = ModelConfig::from_json(config_json->second);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  if (attention) config.attention = *attention;
  LoadedModel loaded;
  loaded.model = StickFigureTransformer(config);
  loaded.metadata = meta;
  if (auto n = meta.find(model_meta::kNormalization); n != meta.end()) {
    loaded.normalization = MotionNormalization::from_json(n->second);
    if (static_cast<int>(loaded.normalization.mean.size()) != config.input_dim)
      throw Error(path.string() + ": normalization length differs from input_dim " + std::to_string(config.input_dim));
  }

  std::vector<std::string> missing, wrong_shape, unexpected;
  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : state_dict(loaded.model)) {
    expected.insert(name);
    if (!file.contains(name)) {
      missing.push_back(name);
      continue;
    }
    const TensorView& view = file.get(name);
    if (view.shape != tensor.sizes().vec()) {
      wrong_shape.push_back(name + " " + c10::str(c10::IntArrayRef(view.shape)) + " (expected " + c10::str(tensor.sizes()) + ")");
      continue;
    }
    auto values = view.to_f32();
    tensor.copy_(torch::from_blob(values.data(), tensor.sizes(), torch::kFloat));
  }
  for (const auto& view : file.tensors())
    if (!expected.count(view.name)) unexpected.push_back(view.name);
  auto list = [](const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < 8; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > 8) s += ", ... (" + std::to_string(names.size()) + " in all)";
    return s;
  };
  std::string problems;
  if (!missing.empty()) problems += "missing tensors: " + list(missing);
  if (!wrong_shape.empty()) problems += std::string(problems.empty() ? "" : "; ") + "wrong shapes: " + list(wrong_shape);
  if (!unexpected.empty()) problems += std::string(problems.empty() ? "" : "; ") + "unexpected tensors: " + list(unexpected);
  if (!problems.empty()) throw Error(path.string() + ": does not match its recorded config: " + problems);
  loaded.model->eval();
  return loaded;
}

}  // namespace stickgen::torch_model
