// The evaluator's inference (include/stickgen/evaluator.hpp): input tracks, windows, and the conv1d
// stack as im2col + one GEMM per layer (Eigen), weights read from safetensors.
#include "stickgen/evaluator.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "stickgen/actions.hpp"
#include "stickgen/common.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen {
namespace {
using json = nlohmann::json;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

// ---------------------------------------------------------------- config

EvaluatorConfig EvaluatorConfig::defaults() {
  EvaluatorConfig c;
  c.layers = {{kEvaluatorChannels, 64, 5, 1}, {64, 128, 5, 2}, {128, 128, 5, 2}, {128, 128, 3, 1}};
  return c;
}

void EvaluatorConfig::validate() const {
  auto fail = [](const std::string& what) { throw Error("evaluator config: " + what); };
  if (channels != kEvaluatorChannels) fail("channels must be " + std::to_string(kEvaluatorChannels));
  if (layers.empty()) fail("layers: at least one conv layer expected");
  int prev = channels;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& l = layers[i];
    const std::string at = "layers[" + std::to_string(i) + "]";
    if (l.in != prev) fail(at + ".in is " + std::to_string(l.in) + ", the previous layer gives " + std::to_string(prev));
    if (l.out < 1 || l.out > 4096) fail(at + ".out must be in [1, 4096]");
    if (l.kernel < 1 || l.kernel > 31 || l.kernel % 2 == 0) fail(at + ".kernel must be odd, in [1, 31]");
    if (l.stride < 1 || l.stride > 8) fail(at + ".stride must be in [1, 8]");
    prev = l.out;
  }
  if (num_classes < 2 || num_classes > 4096) fail("num_classes must be in [2, 4096]");
  if (!(fps > 0 && fps <= 240)) fail("fps must be in (0, 240]");
  if (window < 4 || window > 100000) fail("window must be in [4, 100000]");
  if (stride < 1 || stride > window) fail("stride must be in [1, window]");
  if (!(min_purity >= 0 && min_purity <= 1)) fail("min_purity must be in [0, 1]");
  if (min_frames < 1 || min_frames > window) fail("min_frames must be in [1, window]");
}

std::string EvaluatorConfig::to_json() const {
  json layers_j = json::array();
  for (const auto& l : layers) layers_j.push_back({{"in", l.in}, {"out", l.out}, {"kernel", l.kernel}, {"stride", l.stride}});
  json j{{"channels", channels}, {"layers", layers_j}, {"num_classes", num_classes}, {"fps", fps},
         {"window", window},     {"stride", stride},   {"min_purity", min_purity},   {"min_frames", min_frames},
         {"input", "v1 root-relative x + root velocity"}};
  return j.dump();
}

EvaluatorConfig EvaluatorConfig::from_json(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(std::string("evaluator config: not JSON (") + e.what() + ")");
  }
  EvaluatorConfig c;
  auto get = [&](const char* key, auto& dst) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(dst);
    } catch (const json::exception&) {
      throw Error(std::string("evaluator config: '") + key + "' has the wrong type");
    }
  };
  get("channels", c.channels);
  get("num_classes", c.num_classes);
  get("fps", c.fps);
  get("window", c.window);
  get("stride", c.stride);
  get("min_purity", c.min_purity);
  get("min_frames", c.min_frames);
  if (!j.contains("layers") || !j["layers"].is_array()) throw Error("evaluator config: 'layers' (array) is missing");
  for (const auto& l : j["layers"]) {
    EvaluatorLayer layer;
    try {
      layer.in = l.at("in").get<int>();
      layer.out = l.at("out").get<int>();
      layer.kernel = l.at("kernel").get<int>();
      layer.stride = l.value("stride", 1);
    } catch (const json::exception&) {
      throw Error("evaluator config: each layer needs integer in, out, kernel (and stride)");
    }
    c.layers.push_back(layer);
  }
  c.validate();
  return c;
}

// ---------------------------------------------------------------- tracks and windows

Clip evaluator_clip(const Clip& clip, float fps) {
  Clip v1 = clip.format == SkeletonFormat::v1 ? clip : to_v1(clip);
  if (std::fabs(v1.fps - fps) > 1e-4f) v1 = resample(v1, fps);
  return v1;
}

std::vector<float> evaluator_track(const Clip& c, int actor, int begin, int end) {
  if (c.format != SkeletonFormat::v1) throw Error("evaluator_track: expected a v1 clip (see evaluator_clip)");
  if (actor < 0 || actor >= c.actors || begin < 0 || end > c.frames || begin >= end)
    throw Error("evaluator_track: span [" + std::to_string(begin) + ", " + std::to_string(end) + ") of actor " +
                std::to_string(actor) + " is outside the clip");
  const SkeletonSchema& s = c.skeleton();
  const int n = end - begin;
  std::vector<float> out(static_cast<size_t>(n) * kEvaluatorChannels);
  auto root_at = [&](int t) { return root_position(s, c.pose(t, actor)); };
  for (int i = 0; i < n; ++i) {
    const int t = begin + i;
    const float* pose = c.pose(t, actor);
    float* row = &out[static_cast<size_t>(i) * kEvaluatorChannels];
    const Vec2 root = root_at(t);
    for (int k = 0; k < 20; k += 2) {
      row[k] = pose[k] - root.x;
      row[k + 1] = pose[k + 1];
    }
    // Backward difference; the clip's first frame (or one after an absence) copies the next one.
    int a = t - 1, b = t;
    if (a < 0 || !c.present(a, actor)) a = t, b = std::min(t + 1, c.frames - 1);
    Vec2 v{0.f, 0.f};
    if (b > a) v = (root_at(b) - root_at(a)) * c.fps;
    row[20] = v.x;
    row[21] = v.y;
  }
  return out;
}

void mirror_track(float* track, int frames) {
  for (int t = 0; t < frames; ++t) {
    float* row = track + static_cast<size_t>(t) * kEvaluatorChannels;
    for (int k = 0; k < 20; k += 2) row[k] = -row[k];
    std::swap_ranges(row + 4 * v1::l_leg, row + 4 * v1::l_leg + 4, row + 4 * v1::r_leg);
    std::swap_ranges(row + 4 * v1::l_arm, row + 4 * v1::l_arm + 4, row + 4 * v1::r_arm);
    row[20] = -row[20];
  }
}

std::vector<MotionWindow> extract_windows(const Clip& c, size_t clip_index, int window, int stride, float min_purity,
                                          int offset) {
  std::vector<MotionWindow> out;
  if (window < 1 || stride < 1) throw Error("extract_windows: window and stride must be positive");
  std::vector<int> counts(kNumActions);
  for (int a = 0; a < c.actors; ++a) {
    for (int begin = std::max(0, offset); begin + window <= c.frames; begin += stride) {
      bool present = true;
      for (int t = begin; t < begin + window && present; ++t) present = c.present(t, a);
      if (!present) continue;
      std::fill(counts.begin(), counts.end(), 0);
      for (int t = begin; t < begin + window; ++t) {
        const int id = c.action(t, a);
        if (id >= 0 && id < kNumActions) ++counts[id];
      }
      const auto best = std::max_element(counts.begin(), counts.end());
      const float purity = static_cast<float>(*best) / window;
      if (*best == 0 || purity < min_purity) continue;
      out.push_back({clip_index, a, begin, begin + window, static_cast<int>(best - counts.begin()), purity});
    }
  }
  return out;
}

bool EvaluatorResult::in_top(int label, int k) const {
  if (label < 0 || label >= static_cast<int>(probabilities.size())) return false;
  int better = 0;
  for (size_t i = 0; i < probabilities.size(); ++i)
    if (probabilities[i] > probabilities[label] || (probabilities[i] == probabilities[label] && static_cast<int>(i) < label))
      ++better;
  return better < k;
}

// ---------------------------------------------------------------- the network

struct Evaluator::Impl {
  EvaluatorConfig config;
  std::map<std::string, std::string> metadata;
  std::string origin;
  std::vector<RowMatrix> weights;              // per layer [kernel * in, out]: im2col rows times this
  std::vector<Eigen::RowVectorXf> biases;      // per layer [out]
  RowMatrix fc_weight;                         // [feature_dim, classes] (transposed)
  Eigen::RowVectorXf fc_bias;                  // [classes]
  std::vector<float> mean, inv_std;            // [channels]
};

namespace {

std::vector<float> tensor_f32(const SafeTensorsFile& f, const std::string& name, std::vector<int64_t> shape) {
  if (!f.contains(name)) throw Error(f.origin() + ": evaluator tensor '" + name + "' is missing");
  const TensorView& t = f.get(name);
  if (t.shape != shape) {
    std::string want, got;
    for (auto n : shape) want += (want.empty() ? "" : ", ") + std::to_string(n);
    for (auto n : t.shape) got += (got.empty() ? "" : ", ") + std::to_string(n);
    throw Error(f.origin() + ": evaluator tensor '" + name + "' has shape [" + got + "], expected [" + want + "]");
  }
  auto v = t.to_f32();
  for (float x : v)
    if (!std::isfinite(x)) throw Error(f.origin() + ": evaluator tensor '" + name + "' holds a non-finite value");
  return v;
}

std::shared_ptr<Evaluator::Impl> load_impl(const SafeTensorsFile& f) {
  auto impl = std::make_shared<Evaluator::Impl>();
  impl->origin = f.origin();
  impl->metadata = f.metadata();
  auto meta = [&](const char* key) -> const std::string& {
    auto it = f.metadata().find(key);
    if (it == f.metadata().end()) throw Error(f.origin() + ": not an evaluator file (metadata '" + key + "' is missing)");
    return it->second;
  };
  if (meta("stickgen.format") != evaluator_meta::kFormat)
    throw Error(f.origin() + ": not an evaluator file (stickgen.format is '" + meta("stickgen.format") + "')");
  try {
    impl->config = EvaluatorConfig::from_json(meta(evaluator_meta::kConfig));
  } catch (const Error& e) {
    throw Error(f.origin() + ": " + e.what());
  }
  const EvaluatorConfig& c = impl->config;
  size_t expected = 0;
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const auto& l = c.layers[i];
    const std::string p = "conv." + std::to_string(i) + ".";
    auto w = tensor_f32(f, p + "weight", {l.out, l.in, l.kernel});
    auto b = tensor_f32(f, p + "bias", {l.out});
    RowMatrix m(l.kernel * l.in, l.out);
    for (int o = 0; o < l.out; ++o)
      for (int ci = 0; ci < l.in; ++ci)
        for (int j = 0; j < l.kernel; ++j) m(j * l.in + ci, o) = w[(static_cast<size_t>(o) * l.in + ci) * l.kernel + j];
    impl->weights.push_back(std::move(m));
    impl->biases.push_back(Eigen::Map<Eigen::RowVectorXf>(b.data(), l.out));
    expected += 2;
  }
  const int F = c.feature_dim(), K = c.num_classes;
  auto fw = tensor_f32(f, "fc.weight", {K, F});
  auto fb = tensor_f32(f, "fc.bias", {K});
  impl->fc_weight = Eigen::Map<RowMatrix>(fw.data(), K, F).transpose();
  impl->fc_bias = Eigen::Map<Eigen::RowVectorXf>(fb.data(), K);
  impl->mean = tensor_f32(f, "input.mean", {c.channels});
  auto sd = tensor_f32(f, "input.std", {c.channels});
  for (float s : sd) {
    if (!(s > 0)) throw Error(f.origin() + ": evaluator tensor 'input.std' must be positive");
    impl->inv_std.push_back(1.f / s);
  }
  expected += 4;
  if (f.tensors().size() != expected)
    for (const auto& t : f.tensors()) {
      const std::string& n = t.name;
      bool known = n == "fc.weight" || n == "fc.bias" || n == "input.mean" || n == "input.std";
      for (size_t i = 0; i < c.layers.size() && !known; ++i)
        known = n == "conv." + std::to_string(i) + ".weight" || n == "conv." + std::to_string(i) + ".bias";
      if (!known) throw Error(f.origin() + ": unexpected evaluator tensor '" + n + "'");
    }
  return impl;
}

}  // namespace

Evaluator Evaluator::load(const std::filesystem::path& path) {
  Evaluator e;
  e.impl_ = load_impl(SafeTensorsFile::open(path));
  return e;
}

Evaluator Evaluator::from_bytes(std::string bytes, std::string origin) {
  Evaluator e;
  e.impl_ = load_impl(SafeTensorsFile::from_bytes(std::move(bytes), std::move(origin)));
  return e;
}

const EvaluatorConfig& Evaluator::config() const { return impl_->config; }
const std::map<std::string, std::string>& Evaluator::metadata() const { return impl_->metadata; }
const std::string& Evaluator::origin() const { return impl_->origin; }

void Evaluator::forward(const float* track, int frames, float* logits, float* features) const {
  const Impl& m = *impl_;
  const EvaluatorConfig& c = m.config;
  if (frames < 1) throw Error("evaluator: empty track");
  RowMatrix x(frames, c.channels);
  for (int t = 0; t < frames; ++t)
    for (int k = 0; k < c.channels; ++k) x(t, k) = (track[static_cast<size_t>(t) * c.channels + k] - m.mean[k]) * m.inv_std[k];
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const EvaluatorLayer& l = c.layers[i];
    const int pad = l.kernel / 2;
    const int n = x.rows();
    const int out_n = (n + 2 * pad - l.kernel) / l.stride + 1;
    RowMatrix cols = RowMatrix::Zero(out_n, static_cast<Eigen::Index>(l.kernel) * l.in);
    for (int t = 0; t < out_n; ++t)
      for (int j = 0; j < l.kernel; ++j) {
        const int src = t * l.stride - pad + j;
        if (src >= 0 && src < n) cols.block(t, static_cast<Eigen::Index>(j) * l.in, 1, l.in) = x.row(src);
      }
    RowMatrix y = cols * m.weights[i];
    y.rowwise() += m.biases[i];
    x = y.cwiseMax(0.f);
  }
  Eigen::RowVectorXf pooled = x.colwise().mean();
  if (features) std::copy(pooled.data(), pooled.data() + pooled.size(), features);
  if (logits) {
    Eigen::RowVectorXf z = pooled * m.fc_weight + m.fc_bias;
    std::copy(z.data(), z.data() + z.size(), logits);
  }
}

EvaluatorResult Evaluator::classify(const Clip& clip, int actor, int begin, int end) const {
  const EvaluatorConfig& c = config();
  const bool native = clip.format == SkeletonFormat::v1 && std::fabs(clip.fps - c.fps) <= 1e-4f;
  Clip converted;
  const Clip* v1 = &clip;
  if (!native) {
    converted = evaluator_clip(clip, c.fps);
    const double scale = c.fps / clip.fps;
    begin = static_cast<int>(std::lround(begin * scale));
    end = std::min(converted.frames, static_cast<int>(std::lround(end * scale)));
    v1 = &converted;
  }
  if (actor < 0 || actor >= v1->actors) throw Error("evaluator: actor " + std::to_string(actor) + " is not in the clip");
  if (end - begin < c.min_frames)
    throw Error("evaluator: a span of " + std::to_string(end - begin) + " frames is shorter than the " +
                std::to_string(c.min_frames) + " it needs");
  for (int t = begin; t < end; ++t)
    if (!v1->present(t, actor)) throw Error("evaluator: actor " + std::to_string(actor) + " is absent at frame " + std::to_string(t));
  std::vector<int> starts;
  const int len = end - begin;
  if (len <= c.window) {
    starts.push_back(begin);
  } else {
    for (int s = begin; s + c.window <= end; s += c.stride) starts.push_back(s);
    if (starts.back() + c.window < end) starts.push_back(end - c.window);
  }
  const int w = std::min(len, c.window);
  EvaluatorResult r;
  r.logits.assign(c.num_classes, 0.f);
  r.features.assign(c.feature_dim(), 0.f);
  std::vector<float> logits(c.num_classes), feats(c.feature_dim());
  const std::vector<float> track = evaluator_track(*v1, actor, begin, end);
  for (int s : starts) {
    forward(&track[static_cast<size_t>(s - begin) * kEvaluatorChannels], w, logits.data(), feats.data());
    for (int k = 0; k < c.num_classes; ++k) r.logits[k] += logits[k] / starts.size();
    for (int k = 0; k < c.feature_dim(); ++k) r.features[k] += feats[k] / starts.size();
  }
  const float mx = *std::max_element(r.logits.begin(), r.logits.end());
  r.probabilities.resize(c.num_classes);
  double sum = 0;
  for (int k = 0; k < c.num_classes; ++k) sum += r.probabilities[k] = std::exp(r.logits[k] - mx);
  for (float& p : r.probabilities) p = static_cast<float>(p / sum);
  r.top1 = static_cast<int>(std::max_element(r.logits.begin(), r.logits.end()) - r.logits.begin());
  return r;
}

}  // namespace stickgen
