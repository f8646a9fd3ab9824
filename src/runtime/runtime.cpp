// The public runtime API (include/stickgen/runtime.hpp) over the structs in transformer.hpp.
#include "stickgen/runtime.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "runtime/kernels.hpp"
#include "runtime/transformer.hpp"
#include "stickgen/common.hpp"
#include "stickgen/motion.hpp"

namespace stickgen {

struct Model::Impl {
  runtime::LoadedModel m;
  std::string origin;
};

namespace {

// Error when `got` values are not the product of `shape`; builds no string unless it fails.
void check_size(const char* what, const char* name, size_t got, std::initializer_list<int64_t> shape) {
  size_t want = 1;
  for (int64_t n : shape) want *= size_t(n);
  if (got == want) return;
  std::string dims;
  for (int64_t n : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(n);
  throw Error(std::string(what) + ": '" + name + "' has " + std::to_string(got) + " values, expected [" + dims +
              "] = " + std::to_string(want));
}

void check_actions(const char* what, std::span<const int64_t> actions, int n_actions) {
  for (int64_t a : actions)
    if ((a < 0 && a != kNoAction) || a >= n_actions)
      throw Error(std::string(what) + ": action id " + std::to_string(a) + " is out of range [0, " +
                  std::to_string(n_actions) + ")");
}

const float* ptr_or_null(std::span<const float> s) { return s.empty() ? nullptr : s.data(); }

}  // namespace

Model Model::load(const std::filesystem::path& path, LoadOptions options) {
  auto impl = std::make_shared<Impl>();
  impl->m = runtime::load_model(path, options);
  impl->origin = path.string();
  Model model;
  model.impl_ = std::move(impl);
  return model;
}

const ModelConfig& Model::config() const { return impl_->m.model_config; }
const MotionNormalization& Model::normalization() const { return impl_->m.normalization; }
const std::map<std::string, std::string>& Model::metadata() const { return impl_->m.file.metadata(); }
const std::string& Model::origin() const { return impl_->origin; }
std::string Model::weight_dtype() const { return impl_->m.weight_dtype; }
bool Model::f16_in_place() const { return impl_->m.f16_in_place; }

ForwardOutputs Model::forward(const ForwardInputs& in, RuntimeOptions options) const {
  return forward(in, config().attention, options);
}

ForwardOutputs Model::forward(const ForwardInputs& in, AttentionMode mode, RuntimeOptions options) const {
  const auto& m = impl_->m;
  const runtime::Config& c = m.config;
  const int T = in.frames, B = in.batch;
  const char* what = "forward";
  if (T < 1 || B < 1)
    throw Error("forward: expected at least one frame and one batch item, got T=" + std::to_string(T) +
                " B=" + std::to_string(B));
  const size_t TB = size_t(T) * size_t(B);
  check_size(what, "motion", in.motion.size(), {T, B, c.input_dim});
  check_size(what, "text_embedding", in.text_embedding.size(), {B, c.embedding_dim});
  if (!in.actions.empty()) check_size(what, "actions", in.actions.size(), {T, B});
  if (!in.camera.empty()) check_size(what, "camera", in.camera.size(), {T, B, 3});
  if (!in.partner.empty()) check_size(what, "partner", in.partner.size(), {T, B, c.input_dim});
  check_actions(what, in.actions, c.n_actions);

  const int S = T + 1, d = c.dim;
  runtime::ThreadPool pool(options.threads);
  runtime::RunState s;
  s.allocate(c, S * B, B, S, pool.size());
  runtime::embed_text(m.weights, c, s, pool, in.text_embedding.data(), B, s.x.data());
  runtime::embed_motion(m.weights, c, s, pool, in.motion.data(), in.actions.empty() ? nullptr : in.actions.data(),
                        ptr_or_null(in.camera), ptr_or_null(in.partner), int(TB), s.x.data() + size_t(B) * d);
  runtime::transformer(m.weights, c, s, pool, S, 0, mode == AttentionMode::causal);

  ForwardOutputs out;
  out.frames = T, out.batch = B;
  out.pose.resize(TB * c.pose_width);
  out.action_logits.resize(TB * c.n_actions);
  out.physics.resize(TB * 6);
  out.position.resize(size_t(B) * 2);
  out.velocity.resize(size_t(B) * 2);
  out.environment.resize(size_t(B) * 32);
  const float* h = s.x.data() + size_t(B) * d;  // motion tokens, (T, B, dim)
  runtime::frame_heads(m.weights, c, s, pool, h, int(TB), out.pose.data(), out.action_logits.data(),
                       out.physics.data());
  for (int b = 0; b < B; ++b) {
    float* p = &s.pooled[size_t(b) * d];
    std::fill(p, p + d, 0.f);
    for (int t = 0; t < T; ++t) runtime::add_inplace(p, h + (size_t(t) * B + b) * d, d);
    for (int j = 0; j < d; ++j) p[j] /= float(T);
  }
  runtime::pooled_heads(m.weights, c, s, pool, s.pooled.data(), B, out.position.data(), out.velocity.data(),
                        out.environment.data());
  return out;
}

// ------------------------------------------------------------------------------------------------

struct Decoder::State {
  Model model;
  const runtime::LoadedModel* m;
  runtime::ThreadPool pool;
  runtime::RunState s;
  std::vector<float> motion_sum;  // (batch, dim) sum of the motion tokens' final states
  int batch, max_frames;
  int frames = -1;  // -1 until reset()

  State(const Model& model_, int batch_, int max_frames_, int threads)
      : model(model_), m(&model_.impl().m), pool(threads), batch(batch_), max_frames(max_frames_) {}
};

Decoder::Decoder(const Model& model, int batch, int max_frames, RuntimeOptions options) {
  if (model.config().attention != AttentionMode::causal)
    throw Error("decoder: model " + model.origin() +
                " uses bidirectional attention; KV-cached decoding is exact only for causal models "
                "(run forward() on the growing prefix instead)");
  if (batch < 1) throw Error("decoder: batch must be at least 1, got " + std::to_string(batch));
  if (max_frames < 1) throw Error("decoder: max_frames must be at least 1, got " + std::to_string(max_frames));
  s_ = std::make_unique<State>(model, batch, max_frames, options.threads);
  s_->s.allocate(s_->m->config, batch, batch, max_frames + 1, s_->pool.size());
  s_->motion_sum.assign(size_t(batch) * s_->m->config.dim, 0.f);
}

Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

int Decoder::batch() const { return s_->batch; }
int Decoder::frames() const { return std::max(0, s_->frames); }
int Decoder::max_frames() const { return s_->max_frames; }
const Model& Decoder::model() const { return s_->model; }

void Decoder::reset(std::span<const float> text_embedding) {
  State& st = *s_;
  const runtime::Config& c = st.m->config;
  check_size("decoder reset", "text_embedding", text_embedding.size(), {st.batch, c.embedding_dim});
  runtime::embed_text(st.m->weights, c, st.s, st.pool, text_embedding.data(), st.batch, st.s.x.data());
  runtime::transformer(st.m->weights, c, st.s, st.pool, 1, 0, true);
  std::fill(st.motion_sum.begin(), st.motion_sum.end(), 0.f);
  st.frames = 0;
}

// Nothing here allocates: every buffer was sized by the constructor (only the error paths build strings).
DecoderOutput Decoder::step(const DecoderFrame& f) {
  State& st = *s_;
  const runtime::Config& c = st.m->config;
  const int B = st.batch, d = c.dim;
  if (st.frames < 0) throw Error("decoder: step() before reset()");
  if (st.frames >= st.max_frames)
    throw Error("decoder: already stepped max_frames = " + std::to_string(st.max_frames) + " frames");
  check_size("decoder step", "motion", f.motion.size(), {B, c.input_dim});
  if (!f.actions.empty()) check_size("decoder step", "actions", f.actions.size(), {B});
  if (!f.camera.empty()) check_size("decoder step", "camera", f.camera.size(), {B, 3});
  if (!f.partner.empty()) check_size("decoder step", "partner", f.partner.size(), {B, c.input_dim});
  check_actions("decoder step", f.actions, c.n_actions);

  runtime::RunState& s = st.s;
  runtime::embed_motion(st.m->weights, c, s, st.pool, f.motion.data(), f.actions.empty() ? nullptr : f.actions.data(),
                        ptr_or_null(f.camera), ptr_or_null(f.partner), B, s.x.data());
  runtime::transformer(st.m->weights, c, s, st.pool, 1, st.frames + 1, true);
  runtime::frame_heads(st.m->weights, c, s, st.pool, s.x.data(), B, s.pose.data(), s.logits.data(),
                       s.physics.data());
  runtime::add_inplace(st.motion_sum.data(), s.x.data(), B * d);
  ++st.frames;
  return {s.pose, s.logits, s.physics};
}

void Decoder::copy_sequence(int from, int to) {
  State& st = *s_;
  if (from < 0 || from >= st.batch || to < 0 || to >= st.batch)
    throw Error("decoder: copy_sequence(" + std::to_string(from) + ", " + std::to_string(to) + ") outside a batch of " +
                std::to_string(st.batch));
  if (st.frames < 0) throw Error("decoder: copy_sequence() before reset()");
  if (from == to) return;
  runtime::RunState& s = st.s;
  const size_t d = size_t(st.m->config.dim), P = size_t(s.positions), L = size_t(st.m->config.n_layers);
  const size_t used = size_t(st.frames + 1) * d;  // the text token and every motion token stepped so far
  for (size_t l = 0; l < L; ++l) {
    const size_t src = (l * size_t(s.batch) + size_t(from)) * P * d, dst = (l * size_t(s.batch) + size_t(to)) * P * d;
    std::copy_n(s.key_cache.begin() + ptrdiff_t(src), used, s.key_cache.begin() + ptrdiff_t(dst));
    std::copy_n(s.value_cache.begin() + ptrdiff_t(src), used, s.value_cache.begin() + ptrdiff_t(dst));
  }
  std::copy_n(st.motion_sum.begin() + ptrdiff_t(size_t(from) * d), d, st.motion_sum.begin() + ptrdiff_t(size_t(to) * d));
}

PooledOutput Decoder::pooled() {
  State& st = *s_;
  const runtime::Config& c = st.m->config;
  if (st.frames <= 0) throw Error("decoder: pooled() needs at least one step() since reset()");
  const size_t n = st.motion_sum.size();
  for (size_t i = 0; i < n; ++i) st.s.pooled[i] = st.motion_sum[i] / float(st.frames);
  runtime::pooled_heads(st.m->weights, c, st.s, st.pool, st.s.pooled.data(), st.batch, st.s.position.data(),
                        st.s.velocity.data(), st.s.environment.data());
  return {st.s.position, st.s.velocity, st.s.environment};
}

int likeliest_hypothesis(const float* row, const ModelConfig& c) {
  const float* logits = row + static_cast<size_t>(c.pose_hypotheses) * c.output_dim;
  return static_cast<int>(std::max_element(logits, logits + c.pose_hypotheses) - logits);
}

int draw_hypothesis(const float* row, const ModelConfig& c, double u) {
  const int K = c.pose_hypotheses;
  const float* logits = row + static_cast<size_t>(K) * c.output_dim;
  const float top = *std::max_element(logits, logits + K);
  double total = 0;
  for (int k = 0; k < K; ++k) total += std::exp(static_cast<double>(logits[k] - top));
  double threshold = u * total, acc = 0;  // the first k whose cumulative weight passes u of the total
  for (int k = 0; k < K; ++k) {
    acc += std::exp(static_cast<double>(logits[k] - top));
    if (threshold < acc) return k;
  }
  return K - 1;
}

void keep_likeliest_hypotheses(std::vector<float>& pose, size_t rows, const ModelConfig& c) {
  if (c.pose_hypotheses <= 1) return;
  const size_t W = static_cast<size_t>(c.pose_width()), D = static_cast<size_t>(c.output_dim);
  if (pose.size() < rows * W) throw Error("pose hypotheses: buffer smaller than rows x pose_width");
  for (size_t r = 0; r < rows; ++r) {  // row r's output lands at r * D <= r * W: never over an unread row
    const float* row = pose.data() + r * W;
    const float* pick = row + static_cast<size_t>(likeliest_hypothesis(row, c)) * D;
    std::memmove(pose.data() + r * D, pick, D * sizeof(float));
  }
  pose.resize(rows * D);
}

std::string runtime_kernel_name() { return runtime::kernel_name(); }
std::vector<std::string> runtime_available_kernels() { return runtime::available_kernels(); }
void set_runtime_kernel(const std::string& name) { runtime::set_kernel(name); }

}  // namespace stickgen
