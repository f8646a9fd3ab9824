#include "torch/eval/evaluator_train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "stickgen/common.hpp"
#include "stickgen/dataset.hpp"
#include "stickgen/progress.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen::evaluator_train {
namespace fs = std::filesystem;
using torch::Tensor;
using json = nlohmann::json;

// ------------------------------------------------------------------ the network

EvaluatorNetImpl::EvaluatorNetImpl(const EvaluatorConfig& config, double p) : config_(config) {
  config_.validate();
  conv = register_module("conv", torch::nn::ModuleList());
  for (const auto& l : config_.layers)
    conv->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(l.in, l.out, l.kernel).stride(l.stride).padding(l.kernel / 2)));
  fc = register_module("fc", torch::nn::Linear(config_.feature_dim(), config_.num_classes));
  dropout = register_module("dropout", torch::nn::Dropout(p));
}

Tensor EvaluatorNetImpl::features(const Tensor& x) {
  Tensor h = x.transpose(1, 2);  // [B, C, T]
  for (const auto& m : *conv) h = torch::relu(m->as<torch::nn::Conv1d>()->forward(h));
  return h.mean(2);
}

Tensor EvaluatorNetImpl::forward(const Tensor& x) { return fc->forward(dropout->forward(features(x))); }

void save_evaluator(EvaluatorNet& net, const std::vector<float>& mean, const std::vector<float>& sd, const fs::path& path,
                    const std::map<std::string, std::string>& extra) {
  const EvaluatorConfig& c = net->config();
  if (static_cast<int>(mean.size()) != c.channels || static_cast<int>(sd.size()) != c.channels)
    throw Error(path.string() + ": evaluator input statistics need " + std::to_string(c.channels) + " channels");
  SafeTensorsWriter w;
  for (const auto& [k, v] : extra) w.set_metadata(k, v);
  w.set_metadata("stickgen.format", evaluator_meta::kFormat);
  w.set_metadata(evaluator_meta::kConfig, c.to_json());
  torch::NoGradGuard guard;
  auto add = [&](const std::string& name, const Tensor& t) {
    auto v = t.detach().to(torch::kFloat).contiguous();
    w.add_f32(name, v.sizes().vec(), std::span<const float>(v.data_ptr<float>(), static_cast<size_t>(v.numel())));
  };
  for (size_t i = 0; i < net->conv->size(); ++i) {
    auto conv = net->conv[i]->as<torch::nn::Conv1d>();
    add("conv." + std::to_string(i) + ".weight", conv->weight);
    add("conv." + std::to_string(i) + ".bias", conv->bias);
  }
  add("fc.weight", net->fc->weight);
  add("fc.bias", net->fc->bias);
  w.add_f32("input.mean", {c.channels}, mean);
  w.add_f32("input.std", {c.channels}, sd);
  w.write(path);
}

EvaluatorNet load_evaluator(const fs::path& path, std::vector<float>& mean, std::vector<float>& sd) {
  Evaluator check = Evaluator::load(path);  // validates names, shapes and config
  auto file = SafeTensorsFile::open(path);
  EvaluatorNet net(check.config());
  torch::NoGradGuard guard;
  auto copy = [&](const std::string& name, Tensor& dst) {
    auto v = file.get(name).to_f32();
    dst.copy_(torch::from_blob(v.data(), dst.sizes(), torch::kFloat));
  };
  for (size_t i = 0; i < net->conv->size(); ++i) {
    auto conv = net->conv[i]->as<torch::nn::Conv1d>();
    copy("conv." + std::to_string(i) + ".weight", conv->weight);
    copy("conv." + std::to_string(i) + ".bias", conv->bias);
  }
  copy("fc.weight", net->fc->weight);
  copy("fc.bias", net->fc->bias);
  mean = file.get("input.mean").to_f32();
  sd = file.get("input.std").to_f32();
  return net;
}

// ------------------------------------------------------------------ data

namespace {

// One split's clips: per clip the labels/presence (a Clip without motion) and one track per actor
// over the whole clip ([frames, channels], un-normalised).
struct SplitData {
  std::vector<Clip> labels;
  std::vector<std::vector<std::vector<float>>> tracks;  // [clip][actor]
};

SplitData load_split(const DatasetReader& data, const std::string& split, float fps, size_t max_clips) {
  SplitData s;
  for (size_t i = 0; i < data.size(); ++i) {
    if (data.record(i).split != split) continue;
    if (max_clips && s.labels.size() >= max_clips) break;
    Clip v1 = evaluator_clip(data.clip(i), fps);
    std::vector<std::vector<float>> per_actor;
    for (int a = 0; a < v1.actors; ++a) per_actor.push_back(evaluator_track(v1, a, 0, v1.frames));
    v1.motion.clear();
    v1.motion.shrink_to_fit();
    v1.physics.clear();
    v1.physics.shrink_to_fit();
    s.labels.push_back(std::move(v1));
    s.tracks.push_back(std::move(per_actor));
  }
  return s;
}

std::vector<MotionWindow> windows_of(const SplitData& s, const EvaluatorConfig& c, std::mt19937_64* rng) {
  std::vector<MotionWindow> out;
  for (size_t i = 0; i < s.labels.size(); ++i) {
    const int offset = rng ? static_cast<int>((*rng)() % static_cast<uint64_t>(c.stride)) : 0;
    auto w = extract_windows(s.labels[i], i, c.window, c.stride, c.min_purity, offset);
    if (w.empty() && offset > 0) w = extract_windows(s.labels[i], i, c.window, c.stride, c.min_purity, 0);
    out.insert(out.end(), w.begin(), w.end());
  }
  return out;
}

// Normalised inputs [B, W, C] of windows [first, last).
Tensor batch_inputs(const SplitData& s, const std::vector<MotionWindow>& ws, size_t first, size_t last, int window,
                    const std::vector<float>& mean, const std::vector<float>& sd, std::mt19937_64* mirror_rng) {
  const int C = kEvaluatorChannels;
  const int64_t B = static_cast<int64_t>(last - first);
  std::vector<float> buf(static_cast<size_t>(B) * window * C);
  for (size_t b = 0; b < last - first; ++b) {
    const MotionWindow& w = ws[first + b];
    float* dst = &buf[b * window * C];
    const auto& track = s.tracks[w.clip][w.actor];
    std::copy_n(&track[static_cast<size_t>(w.begin) * C], static_cast<size_t>(window) * C, dst);
    if (mirror_rng && ((*mirror_rng)() & 1)) mirror_track(dst, window);
    for (int t = 0; t < window; ++t)
      for (int k = 0; k < C; ++k) dst[t * C + k] = (dst[t * C + k] - mean[k]) / sd[k];
  }
  return torch::from_blob(buf.data(), {B, window, C}, torch::kFloat).clone();
}

struct Scores {
  double top1 = 0, top5 = 0, balanced = 0;
  int64_t windows = 0;
};

Scores score(EvaluatorNet& net, const SplitData& s, const std::vector<MotionWindow>& ws, const EvaluatorConfig& c,
             const std::vector<float>& mean, const std::vector<float>& sd) {
  Scores r;
  r.windows = static_cast<int64_t>(ws.size());
  if (ws.empty()) return r;
  torch::NoGradGuard guard;
  net->eval();
  int64_t top1 = 0, top5 = 0;
  std::vector<int64_t> per_class(c.num_classes, 0), per_class_ok(c.num_classes, 0);
  for (size_t i = 0; i < ws.size(); i += 256) {
    const size_t last = std::min(ws.size(), i + 256);
    auto logits = net->forward(batch_inputs(s, ws, i, last, c.window, mean, sd, nullptr));
    auto top = std::get<1>(logits.topk(5, 1));
    for (size_t b = 0; b < last - i; ++b) {
      const int label = ws[i + b].label;
      const bool ok1 = top[static_cast<int64_t>(b)][0].item<int64_t>() == label;
      bool ok5 = false;
      for (int k = 0; k < 5; ++k) ok5 = ok5 || top[static_cast<int64_t>(b)][k].item<int64_t>() == label;
      top1 += ok1, top5 += ok5;
      ++per_class[label];
      per_class_ok[label] += ok1;
    }
  }
  r.top1 = static_cast<double>(top1) / ws.size();
  r.top5 = static_cast<double>(top5) / ws.size();
  double bal = 0;
  int present = 0;
  for (int k = 0; k < c.num_classes; ++k)
    if (per_class[k]) bal += static_cast<double>(per_class_ok[k]) / per_class[k], ++present;
  r.balanced = present ? bal / present : 0;
  return r;
}

}  // namespace

// ------------------------------------------------------------------ training

EvaluatorTrainResult train_evaluator(const EvaluatorTrainOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const EvaluatorConfig& c = o.config;
  c.validate();
  if (o.epochs < 1 || o.batch_size < 1) throw Error("train-evaluator: --epochs and --batch must be positive");
  if (o.output.empty()) throw Error("train-evaluator: -o/--output is required");
  DatasetReader data(o.data);
  SplitData train = load_split(data, "train", c.fps, o.max_clips);
  SplitData val = load_split(data, "val", c.fps, o.max_clips);
  SplitData test = load_split(data, "test", c.fps, o.max_clips);
  const std::vector<MotionWindow> val_windows = windows_of(val, c, nullptr);
  const std::vector<MotionWindow> test_windows = windows_of(test, c, nullptr);
  const std::vector<MotionWindow> train_fixed = windows_of(train, c, nullptr);
  if (train_fixed.empty())
    throw Error(o.data + ": no training windows (split 'train', " + std::to_string(c.window) + " frames at " +
                std::to_string(static_cast<int>(c.fps)) + " fps, majority action >= " + std::to_string(c.min_purity) + ")");

  // Input statistics over every present training frame and its mirror image (the augmentation).
  const int C = kEvaluatorChannels;
  std::vector<double> sum(C, 0.0), sq(C, 0.0);
  int64_t n = 0;
  std::vector<float> row(C);
  for (size_t i = 0; i < train.labels.size(); ++i)
    for (int a = 0; a < train.labels[i].actors; ++a)
      for (int t = 0; t < train.labels[i].frames; ++t) {
        if (!train.labels[i].present(t, a)) continue;
        for (int m = 0; m < 2; ++m) {
          std::copy_n(&train.tracks[i][a][static_cast<size_t>(t) * C], C, row.data());
          if (m) mirror_track(row.data(), 1);
          for (int k = 0; k < C; ++k) sum[k] += row[k], sq[k] += static_cast<double>(row[k]) * row[k];
          ++n;
        }
      }
  std::vector<float> mean(C), sd(C);
  for (int k = 0; k < C; ++k) {
    mean[k] = static_cast<float>(sum[k] / n);
    sd[k] = static_cast<float>(std::max(1e-3, std::sqrt(std::max(0.0, sq[k] / n - (sum[k] / n) * (sum[k] / n)))));
  }

  // Class weights 1/sqrt(count), scaled so an average training window weighs 1.
  std::vector<double> counts(c.num_classes, 0.0);
  for (const auto& w : train_fixed) counts[w.label] += 1;
  std::vector<float> weights(c.num_classes, 0.f);
  double norm = 0;
  for (const auto& w : train_fixed) norm += 1.0 / std::sqrt(counts[w.label]);
  norm /= train_fixed.size();
  int classes_present = 0;
  for (int k = 0; k < c.num_classes; ++k)
    if (counts[k] > 0) weights[k] = static_cast<float>(1.0 / std::sqrt(counts[k]) / norm), ++classes_present;
  const Tensor class_weights = torch::from_blob(weights.data(), {c.num_classes}, torch::kFloat).clone();

  torch::manual_seed(o.seed);
  EvaluatorNet net(c, o.dropout);
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(o.learning_rate).weight_decay(o.weight_decay));
  std::mt19937_64 rng(o.seed * 0x9e3779b97f4a7c15ull + 7);

  const size_t per_epoch = std::min<size_t>(train_fixed.size(), static_cast<size_t>(std::max(1, o.max_windows_per_epoch)));
  const int64_t batches_per_epoch = static_cast<int64_t>((per_epoch + o.batch_size - 1) / o.batch_size);
  const int64_t total_steps = batches_per_epoch * o.epochs;
  const int64_t warmup = std::max<int64_t>(1, total_steps / 30);
  std::fprintf(stderr,
               "train-evaluator: %zu train clips (%zu windows, %d actions), %zu val windows, %zu test windows; "
               "%d epochs x %lld batches of %d\n",
               train.labels.size(), train_fixed.size(), classes_present, val_windows.size(), test_windows.size(), o.epochs,
               static_cast<long long>(batches_per_epoch), o.batch_size);

  Progress progress("evaluator", total_steps, "batches");
  std::vector<Tensor> best_state;
  double best_val = -1;
  int best_epoch = 0;
  int64_t step = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    std::vector<MotionWindow> ws = windows_of(train, c, &rng);
    std::shuffle(ws.begin(), ws.end(), rng);
    if (ws.size() > per_epoch) ws.resize(per_epoch);
    net->train();
    double loss_sum = 0;
    int64_t loss_n = 0;
    for (size_t i = 0; i < ws.size(); i += o.batch_size) {
      ++step;
      const double lr = step <= warmup ? o.learning_rate * step / warmup
                                       : o.learning_rate * (0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * (step - warmup) /
                                                                                            std::max<int64_t>(1, total_steps - warmup))));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
      const size_t last = std::min(ws.size(), i + o.batch_size);
      Tensor x = batch_inputs(train, ws, i, last, c.window, mean, sd, &rng);
      if (o.input_noise > 0) x = x + torch::randn(x.sizes()) * o.input_noise;
      std::vector<int64_t> labels;
      for (size_t k = i; k < last; ++k) labels.push_back(ws[k].label);
      Tensor y = torch::from_blob(labels.data(), {static_cast<int64_t>(labels.size())}, torch::kLong).clone();
      Tensor loss = torch::nn::functional::cross_entropy(
          net->forward(x), y, torch::nn::functional::CrossEntropyFuncOptions().weight(class_weights));
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      ++loss_n;
      progress.set_status("epoch " + std::to_string(epoch) + " loss " + std::to_string(loss_sum / loss_n).substr(0, 6));
      progress.set(step);
    }
    const Scores v = score(net, val, val_windows, c, mean, sd);
    if (!Progress::stderr_is_interactive())
      std::fprintf(stderr, "epoch %d: loss %.4f val top-1 %.3f (balanced %.3f)\n", epoch, loss_sum / std::max<int64_t>(1, loss_n),
                   v.top1, v.balanced);
    // The best epoch on validation (the last when there is no validation split).
    const double key = val_windows.empty() ? epoch : v.top1;
    if (key >= best_val) {
      best_val = key, best_epoch = epoch;
      best_state.clear();
      for (const auto& p : net->parameters()) best_state.push_back(p.detach().clone());
    }
  }
  progress.finish();
  {
    torch::NoGradGuard guard;
    auto params = net->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(best_state[i]);
  }
  EvaluatorTrainResult r;
  r.train_windows = static_cast<int64_t>(train_fixed.size());
  r.val_windows = static_cast<int64_t>(val_windows.size());
  r.test_windows = static_cast<int64_t>(test_windows.size());
  r.best_epoch = best_epoch;
  r.classes_present = classes_present;
  r.val_top1 = score(net, val, val_windows, c, mean, sd).top1;
  const Scores t = score(net, test, test_windows, c, mean, sd);
  r.test_top1 = t.top1, r.test_top5 = t.top5, r.test_balanced = t.balanced;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  json meta{{"dataset", fs::absolute(o.data).lexically_normal().string()},
            {"seed", o.seed},
            {"epochs", o.epochs},
            {"best_epoch", r.best_epoch},
            {"batch_size", o.batch_size},
            {"learning_rate", o.learning_rate},
            {"max_windows_per_epoch", o.max_windows_per_epoch},
            {"train_windows", r.train_windows},
            {"val_windows", r.val_windows},
            {"test_windows", r.test_windows},
            {"classes_present", r.classes_present},
            {"val_top1", r.val_top1},
            {"test_top1", r.test_top1},
            {"test_top5", r.test_top5},
            {"test_balanced", r.test_balanced},
            {"threads", torch::get_num_threads()}};
  save_evaluator(net, mean, sd, o.output, {{evaluator_meta::kTrain, meta.dump()}});
  return r;
}

}  // namespace stickgen::evaluator_train
