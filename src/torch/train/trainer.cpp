#include "torch/train/trainer.hpp"
#include "torch/train/window_stats.hpp"

#include <optional>
#include <dlfcn.h>

#include <csignal>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "stickgen/common.hpp"
#include "stickgen/dataset.hpp"
#include "stickgen/motion_space.hpp"
#include "stickgen/plot.hpp"
#include "stickgen/progress.hpp"
#include "stickgen/safetensors.hpp"
#include "stickgen/sequences.hpp"
#include "stickgen/torch_model.hpp"

namespace stickgen::train {
namespace fs = std::filesystem;
using torch::Tensor;
using nlohmann::json;

namespace {

constexpr const char* kCheckpointFormat = "checkpoint";

uint64_t mix(uint64_t a, uint64_t b) {  // splitmix64 of a combination: a stream of seeds from one seed
  uint64_t z = a * 0x9e3779b97f4a7c15ull + b + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

SkeletonFormat format_for(const ModelConfig& m) {
  auto f = format_from_dims(m.input_dim);
  if (!f || m.output_dim != m.input_dim)
    throw Error("config: model.input_dim and output_dim must both be 20 (v1) or 48 (v3) for training");
  return *f;
}

// ------------------------------------------------------------------ AdamW with plain, named state

struct AdamW {
  std::vector<std::string> names;
  std::vector<Tensor> params, exp_avg, exp_avg_sq;

  explicit AdamW(torch_model::StickFigureTransformer& model) {
    for (auto& item : model->named_parameters()) {
      names.push_back(item.key());
      params.push_back(item.value());
      exp_avg.push_back(torch::zeros_like(item.value()));
      exp_avg_sq.push_back(torch::zeros_like(item.value()));
    }
  }
  // PyTorch's AdamW: decoupled weight decay, bias-corrected moments; `step` counts from 1.
  void update(int64_t step, double lr, const TrainConfig& c) {
    torch::NoGradGuard guard;
    const double bc1 = 1.0 - std::pow(c.beta1, static_cast<double>(step));
    const double bc2 = 1.0 - std::pow(c.beta2, static_cast<double>(step));
    for (size_t i = 0; i < params.size(); ++i) {
      if (!params[i].grad().defined()) continue;
      const Tensor& g = params[i].grad();
      params[i].mul_(1.0 - lr * c.weight_decay);
      exp_avg[i].mul_(c.beta1).add_(g, 1.0 - c.beta1);
      exp_avg_sq[i].mul_(c.beta2).addcmul_(g, g, 1.0 - c.beta2);
      auto denom = (exp_avg_sq[i] / bc2).sqrt_().add_(c.eps);
      params[i].addcdiv_(exp_avg[i], denom, -lr / bc1);
    }
  }
  // Gradients go back to undefined (PyTorch's set_to_none): a parameter no micro-batch of the next
  // step touches (e.g. the partner branch) is then skipped by update() exactly as it is on the
  // first step after a resume, which keeps resumed runs bit-identical to uninterrupted ones.
  void zero_grad() {
    for (auto& p : params) p.mutable_grad().reset();
  }
};

// ------------------------------------------------------------------ batches

struct Batch {
  Tensor motion_in;      // [T, B, D]
  Tensor partner_in;     // [T, B, D] or undefined
  Tensor actions_in;     // [T, B] long (actions of the predicted frames) or undefined
  Tensor text;           // [B, E]
  Tensor padding;        // [B, T] bool, true = padded
  Tensor valid;          // [T, B] float
  Tensor target_pose;    // [T, B, D]
  Tensor target_physics; // [T, B, 6]
  Tensor target_action;  // [T, B] long, -100 = ignore
  // Per-frame pose targets of a free rollout matched by phase (rollout_target "nearest"), and the data
  // input frames they follow; undefined = target_pose and motion_in (the window statistics always use those).
  Tensor frame_target, frame_data_in;
  Tensor action_fed;     // [B] bool
  int64_t frames = 0;    // valid target frames
};

struct Window {
  int seq = 0;
  int start = 0;
  int length = 0;  // frames including the first input frame (targets = length - 1)
};

// Assembles a batch from windows of sequences. `feed_actions[b]` says whether item b gets its action
// input; items without it are the ones the action head is trained/scored on. The action embedding
// is added to the whole batch or not at all, so callers make batches homogeneous in feeding (and
// only fully labelled sequences are fed).
Batch make_batch(const SequenceSet& set, const std::vector<Window>& windows, const std::vector<bool>& feed_actions,
                 int embedding_dim) {
  const int B = static_cast<int>(windows.size());
  const int D = set.dims;
  int T = 0;
  bool partner = !windows.empty();
  for (const auto& w : windows) {
    T = std::max(T, w.length - 1);
    partner = partner && !set.sequences[w.seq].partner.empty();
  }
  std::vector<float> motion(static_cast<size_t>(T) * B * D, 0.f), target(motion.size(), 0.f);
  std::vector<float> part(partner ? motion.size() : 0, 0.f);
  std::vector<float> phys(static_cast<size_t>(T) * B * kPhysicsDims, 0.f), text(static_cast<size_t>(B) * embedding_dim);
  std::vector<int64_t> act_in(static_cast<size_t>(T) * B, 0), act_tgt(static_cast<size_t>(T) * B, -100);
  std::vector<uint8_t> pad(static_cast<size_t>(B) * T, 1), fed(B, 0);
  std::vector<float> valid(static_cast<size_t>(T) * B, 0.f);
  int64_t frames = 0;
  bool any_fed = false;
  for (int b = 0; b < B; ++b) {
    const Window& w = windows[b];
    const Sequence& s = set.sequences[w.seq];
    const auto& emb = set.embeddings[s.embedding];
    std::copy(emb.begin(), emb.end(), text.begin() + static_cast<size_t>(b) * embedding_dim);
    const bool feed = feed_actions[b] && s.fully_labelled();
    fed[b] = feed;
    any_fed = any_fed || feed;
    for (int t = 0; t + 1 < w.length; ++t) {
      const int src = w.start + t, dst = w.start + t + 1;
      const size_t row = (static_cast<size_t>(t) * B + b);
      std::copy_n(&s.motion[static_cast<size_t>(src) * D], D, &motion[row * D]);
      std::copy_n(&s.motion[static_cast<size_t>(dst) * D], D, &target[row * D]);
      if (partner) std::copy_n(&s.partner[static_cast<size_t>(src) * D], D, &part[row * D]);
      std::copy_n(&s.physics[static_cast<size_t>(dst) * kPhysicsDims], kPhysicsDims, &phys[row * kPhysicsDims]);
      const int16_t next_action = s.actions[dst];
      act_in[row] = feed && next_action >= 0 ? next_action : 0;
      act_tgt[row] = (!feed && next_action >= 0) ? next_action : -100;
      pad[static_cast<size_t>(b) * T + t] = 0;
      valid[row] = 1.f;
      ++frames;
    }
  }
  auto f32 = [](std::vector<float>& v, std::vector<int64_t> shape) {
    return torch::from_blob(v.data(), shape, torch::kFloat).clone();
  };
  Batch batch;
  batch.motion_in = f32(motion, {T, B, D});
  batch.target_pose = f32(target, {T, B, D});
  if (partner) batch.partner_in = f32(part, {T, B, D});
  batch.target_physics = f32(phys, {T, B, kPhysicsDims});
  batch.text = f32(text, {B, embedding_dim});
  batch.valid = f32(valid, {T, B});
  batch.padding = torch::from_blob(pad.data(), {B, T}, torch::kUInt8).clone().to(torch::kBool);
  batch.action_fed = torch::from_blob(fed.data(), {B}, torch::kUInt8).clone().to(torch::kBool);
  if (any_fed) batch.actions_in = torch::from_blob(act_in.data(), {T, B}, torch::kLong).clone();
  batch.target_action = torch::from_blob(act_tgt.data(), {T, B}, torch::kLong).clone();
  batch.frames = frames;
  return batch;
}

struct LossParts {
  Tensor total, pose, temporal, physics, action, window, hypothesis;
  int64_t action_count = 0;
};

// How the pose head's output becomes the next frame (MotionSpace::next_from_head in tensors) and the
// scale its errors are measured in: frame-to-frame change units (delta_std) for a residual head, so
// the pose loss is about the motion and not dwarfed by how little poses change in 1/25 s.
struct PoseHead {
  bool delta = false;
  Tensor scale;  // [D] delta_std, or undefined
  int64_t hypotheses = 1, dims = 0;
  PoseHead(const MotionNormalization& n, const ModelConfig& m)
      : delta(n.delta_output), hypotheses(m.pose_hypotheses), dims(m.output_dim) {
    if (delta) scale = torch::tensor(n.delta_std, torch::kFloat);
  }
  // The hypotheses [..., K, D] and their logits [..., K] of a pose head's output (K > 1).
  Tensor means(const Tensor& raw) const {
    auto sizes = raw.sizes().vec();
    sizes.back() = hypotheses;
    sizes.push_back(dims);
    return raw.narrow(-1, 0, hypotheses * dims).reshape(sizes);
  }
  Tensor logits(const Tensor& raw) const { return raw.narrow(-1, hypotheses * dims, hypotheses); }
  // Hypothesis k[...] of each row of `m` [..., K, D]: [..., D].
  static Tensor select(const Tensor& m, const Tensor& k) {
    auto index_sizes = m.sizes().vec();
    index_sizes[index_sizes.size() - 2] = 1;
    return m.gather(-2, k.unsqueeze(-1).unsqueeze(-1).expand(index_sizes)).squeeze(-2);
  }
  // The output a free rollout follows: the head itself, or its most likely hypothesis.
  Tensor point(const Tensor& raw) const { return hypotheses == 1 ? raw : select(means(raw), logits(raw).argmax(-1)); }
  Tensor next(const Tensor& raw, const Tensor& motion_in) const {
    const Tensor h = raw.size(-1) == dims ? raw : point(raw);
    return delta ? motion_in + h * scale : h;
  }
  Tensor error_units(const Tensor& diff) const { return delta ? diff / scale : diff; }
  Tensor target_units(const Tensor& target, const Tensor& motion_in) const {
    return delta ? (target - motion_in) / scale : target;
  }
};

LossParts compute_loss(const torch_model::ModelOutputs& raw, const Tensor& motion_in, const Batch& batch,
                       const TrainConfig& c, const PoseHead& head) {
  torch_model::ModelOutputs out = raw;
  LossParts l;
  const Tensor& valid = batch.valid;  // [T, B]
  const Tensor denom = valid.sum().clamp_min(1.0);
  const bool matched = batch.frame_target.defined();
  const Tensor& target = matched ? batch.frame_target : batch.target_pose;
  if (head.hypotheses > 1) {
    // Nearest wins: only the hypothesis closest to the target is scored (every other one gets a
    // `hypothesis_share` of its own error), and the logits learn which one that was. Every later term
    // (temporal, window statistics) sees the winner, the output a take that drew it would follow.
    auto means = head.means(raw.pose);                                                   // [T, B, K, D]
    auto err = (means - head.target_units(target, motion_in).unsqueeze(-2)).pow(2).mean(-1);  // [T, B, K]
    auto win = err.detach().argmin(-1);                                                  // [T, B]
    out.pose = head.next(PoseHead::select(means, win), motion_in);
    const double share = c.hypothesis_share;
    l.pose = ((err.gather(-1, win.unsqueeze(-1)).squeeze(-1) * (1.0 - share) + err.mean(-1) * share) * valid).sum() / denom;
    auto ce = torch::nn::functional::cross_entropy(
        head.logits(raw.pose).reshape({-1, head.hypotheses}), win.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    l.hypothesis = (ce.view_as(valid) * valid).sum() / denom;
  } else {
    out.pose = head.next(raw.pose, motion_in);
    l.pose = (head.error_units(out.pose - target).pow(2).mean(-1) * valid).sum() / denom;
    l.hypothesis = torch::zeros({}, out.pose.options());
  }
  l.physics = ((out.physics - batch.target_physics).pow(2).mean(-1) * valid).sum() / denom;
  if (out.pose.size(0) > 1) {
    auto dv_pred = out.pose.narrow(0, 1, out.pose.size(0) - 1) - out.pose.narrow(0, 0, out.pose.size(0) - 1);
    // The data's change into each target frame: target[t] - target[t-1] for time-aligned targets, the
    // matched frame's own step for phase-matched ones (consecutive matches need not be consecutive frames).
    const int64_t n1 = out.pose.size(0) - 1;
    auto dv_true = matched ? target.narrow(0, 1, n1) - batch.frame_data_in.narrow(0, 1, n1)
                           : target.narrow(0, 1, n1) - target.narrow(0, 0, n1);
    auto v2 = valid.narrow(0, 1, valid.size(0) - 1) * valid.narrow(0, 0, valid.size(0) - 1);
    l.temporal = (head.error_units(dv_pred - dv_true).pow(2).mean(-1) * v2).sum() / v2.sum().clamp_min(1.0);
  } else {
    l.temporal = torch::zeros({}, out.pose.options());
  }
  l.action_count = (batch.target_action >= 0).sum().item<int64_t>();
  if (l.action_count > 0) {
    l.action = torch::nn::functional::cross_entropy(
        out.action_logits.reshape({-1, out.action_logits.size(-1)}), batch.target_action.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
  } else {
    l.action = torch::zeros({}, out.pose.options());
  }
  l.total = c.w_pose * l.pose + c.w_temporal * l.temporal + c.w_physics * l.physics + c.w_action * l.action +
            c.w_hypothesis * l.hypothesis;
  if (c.w_window_mean > 0 || c.w_window_speed > 0) {
    l.window = window_stats_loss(out.pose, motion_in, batch.target_pose, batch.motion_in, valid, head.scale,
                                 c.w_window_mean, c.w_window_speed);
    l.total = l.total + l.window;
  } else {
    l.window = torch::zeros({}, out.pose.options());
  }
  return l;
}

// The model's own rollout, `frames` frames [frames, B, D] (default: as many as `motion` has): frames
// [0, prefix) are the data, every later frame is the model's prediction from the one before (KV-cached
// decoding, dropout off, no gradient), with the batch's action and partner inputs (which must cover
// frames - 1 steps). Padded items roll on past their end; those frames are masked. Used as training
// inputs (free rollouts) and by validation (prefix 1: a rollout from the first frame).
Tensor free_rollout(torch_model::StickFigureTransformer& model, const Batch& batch, const Tensor& motion,
                    const PoseHead& head, int64_t prefix, int64_t frames = 0) {
  torch::NoGradGuard guard;
  const bool was_training = model->is_training();
  model->eval();
  const int64_t T = frames > 0 ? frames : motion.size(0);
  torch_model::KVCache cache = model->start(batch.text, T);
  std::vector<Tensor> inputs;
  inputs.reserve(static_cast<size_t>(T));
  Tensor current = motion[0];
  for (int64_t t = 0; t < T; ++t) {
    inputs.push_back(current);
    if (t + 1 == T) break;
    torch_model::FrameInputs frame;
    frame.motion = current;
    if (batch.actions_in.defined()) frame.actions = batch.actions_in[t];
    if (batch.partner_in.defined()) frame.partner = batch.partner_in[t];
    const Tensor predicted = head.next(model->step(cache, frame).pose, current);
    current = t + 1 < prefix ? motion[t + 1] : predicted;
  }
  if (was_training) model->train();
  return torch::stack(inputs, 0);
}

torch_model::ModelInputs inputs_of(const Batch& b, const Tensor& motion) {
  torch_model::ModelInputs in;
  in.motion = motion;
  in.text_embedding = b.text;
  in.actions = b.actions_in;
  in.partner = b.partner_in;
  in.padding_mask = b.padding;
  return in;
}

// ------------------------------------------------------------------ epoch plans

// The micro-batches of one epoch: windows of sequences grouped so that every batch is homogeneous
// in partner presence and labelling, sorted by length inside buckets to limit padding, then
// shuffled; each batch of labelled sequences gets action input unless it drew action dropout.
// The batch count depends only on the group sizes, so every epoch has the same number of batches
// (the micro-batch index -> batch mapping used for exact resume relies on it). Deterministic in
// (seed, epoch).
struct PlannedBatch {
  std::vector<Window> windows;
  std::vector<bool> feed;
};

std::vector<PlannedBatch> plan_epoch(const SequenceSet& set, const TrainConfig& c, uint64_t epoch) {
  std::mt19937_64 rng(mix(c.seed, 1000003ull + epoch));
  std::vector<int> order(set.sequences.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Window> groups[2][2];  // [has partner][fully labelled]
  for (int idx : order) {
    const Sequence& s = set.sequences[idx];
    Window w;
    w.seq = idx;
    w.length = std::min(s.frames, c.max_frames + 1);
    w.start = s.frames > w.length ? static_cast<int>(rng() % static_cast<uint64_t>(s.frames - w.length + 1)) : 0;
    groups[s.partner.empty() ? 0 : 1][s.fully_labelled() ? 1 : 0].push_back(w);
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<PlannedBatch> batches;
  for (auto& row : groups)
    for (int labelled = 0; labelled < 2; ++labelled) {
      auto& g = row[labelled];
      const size_t bucket = static_cast<size_t>(c.batch_size) * 16;
      for (size_t i = 0; i < g.size(); i += bucket) {
        auto end = g.begin() + static_cast<std::ptrdiff_t>(std::min(g.size(), i + bucket));
        std::stable_sort(g.begin() + static_cast<std::ptrdiff_t>(i), end,
                         [](const Window& a, const Window& b) { return a.length > b.length; });
      }
      for (size_t i = 0; i < g.size(); i += c.batch_size) {
        PlannedBatch pb;
        for (size_t k = i; k < std::min(g.size(), i + c.batch_size); ++k) pb.windows.push_back(g[k]);
        const bool feed = labelled == 1 && unit(rng) >= c.action_dropout;
        pb.feed.assign(pb.windows.size(), feed);
        batches.push_back(std::move(pb));
      }
    }
  std::shuffle(batches.begin(), batches.end(), rng);
  return batches;
}

// ------------------------------------------------------------------ validation

struct ValStats {
  double loss = 0, pose = 0, temporal = 0, physics = 0, action_acc = 0;
  double rollout_frozen = 0, rollout_speed_ratio = 0;
  int64_t frames = 0;
};

ValStats validate_model(torch_model::StickFigureTransformer& model, const SequenceSet& val, const TrainConfig& c,
                        const MotionSpace& space) {
  torch::NoGradGuard guard;
  model->eval();
  ValStats v;
  if (val.sequences.empty()) return v;
  const PoseHead head(space.normalization(), model->config());
  const size_t n = c.val_sequences > 0 ? std::min<size_t>(val.sequences.size(), c.val_sequences) : val.sequences.size();
  double loss_sum = 0, pose_sum = 0, temp_sum = 0, phys_sum = 0, batches = 0;
  int64_t correct = 0, counted = 0;
  for (size_t i = 0; i < n; i += c.batch_size) {
    std::vector<Window> ws;
    std::vector<int> idx;
    for (size_t k = i; k < std::min(n, i + c.batch_size); ++k) {
      const Sequence& s = val.sequences[k];
      ws.push_back({static_cast<int>(k), 0, std::min(s.frames, c.max_frames + 1)});
    }
    // Partner presence must be homogeneous: drop partners for this pass if any item lacks one.
    bool all_partner = true;
    for (auto& w : ws) all_partner = all_partner && !val.sequences[w.seq].partner.empty();
    SequenceSet view;
    const SequenceSet* set = &val;
    if (!all_partner) {
      view.dims = val.dims;
      view.embeddings = val.embeddings;
      for (auto& w : ws) {
        view.sequences.push_back(val.sequences[w.seq]);
        view.sequences.back().partner.clear();
        w.seq = static_cast<int>(view.sequences.size() - 1);
      }
      set = &view;
    }
    bool all_labelled = true;
    for (auto& w : ws) all_labelled = all_labelled && set->sequences[w.seq].fully_labelled();
    Batch fed = make_batch(*set, ws, std::vector<bool>(ws.size(), all_labelled), c.model.embedding_dim);
    auto out = model->forward(inputs_of(fed, fed.motion_in));
    auto parts = compute_loss(out, fed.motion_in, fed, c, head);
    Batch blind = make_batch(*set, ws, std::vector<bool>(ws.size(), false), c.model.embedding_dim);
    auto out2 = model->forward(inputs_of(blind, blind.motion_in));
    auto blind_parts = compute_loss(out2, blind.motion_in, blind, c, head);
    auto pred = out2.action_logits.argmax(-1);
    auto mask = blind.target_action >= 0;
    correct += (pred.eq(blind.target_action).logical_and(mask)).sum().item<int64_t>();
    counted += mask.sum().item<int64_t>();
    pose_sum += parts.pose.item<double>();
    temp_sum += parts.temporal.item<double>();
    phys_sum += parts.physics.item<double>();
    loss_sum += c.w_pose * parts.pose.item<double>() + c.w_temporal * parts.temporal.item<double>() +
                c.w_physics * parts.physics.item<double>() + c.w_action * blind_parts.action.item<double>();
    v.frames += fed.frames;
    batches += 1;
  }
  v.loss = loss_sum / batches;
  v.pose = pose_sum / batches;
  v.temporal = temp_sum / batches;
  v.physics = phys_sum / batches;
  v.action_acc = counted ? static_cast<double>(correct) / counted : 0;

  // Free rollouts: start from the true first frame, feed back the model's own output, conditioned
  // on the true per-frame actions (and the true partner). Report how often the motion freezes and
  // how fast it moves relative to the real clip.
  const int rollouts = std::min<int>(c.rollout_sequences, static_cast<int>(val.sequences.size()));
  const int D = val.dims;
  double frozen = 0, steps = 0, speed_model = 0, speed_real = 0;
  std::vector<float> a(D), b(D);
  for (int r = 0; r < rollouts; ++r) {
    const int index = static_cast<int>(static_cast<size_t>(r) * val.sequences.size() / rollouts);
    const Sequence& s = val.sequences[static_cast<size_t>(index)];
    const int T = std::min(s.frames, c.max_frames + 1);
    const Batch one = make_batch(val, {{index, 0, T}}, {s.fully_labelled()}, c.model.embedding_dim);
    const Tensor rolled = free_rollout(model, one, one.motion_in, head, 1, T).reshape({T, D}).contiguous();
    const float* model_frames = rolled.data_ptr<float>();
    for (int t = 0; t + 1 < T; ++t) {
      // movement between consecutive frames in absolute units (root-relative, so travel excluded)
      space.decode_pose(model_frames + static_cast<size_t>(t) * D, 0.f, a.data());
      space.decode_pose(model_frames + static_cast<size_t>(t + 1) * D, 0.f, b.data());
      double move = 0;
      for (int k = 0; k < D; ++k) move = std::max(move, static_cast<double>(std::fabs(a[k] - b[k])));
      space.decode_pose(&s.motion[static_cast<size_t>(t) * D], 0.f, a.data());
      space.decode_pose(&s.motion[static_cast<size_t>(t + 1) * D], 0.f, b.data());
      double real = 0;
      for (int k = 0; k < D; ++k) real = std::max(real, static_cast<double>(std::fabs(a[k] - b[k])));
      frozen += move < 1e-3 ? 1 : 0;
      speed_model += move;
      speed_real += real;
      steps += 1;
    }
  }
  if (steps > 0) {
    v.rollout_frozen = frozen / steps;
    v.rollout_speed_ratio = speed_real > 0 ? speed_model / speed_real : 0;
  }
  model->train();
  return v;
}

// ------------------------------------------------------------------ checkpoints

void write_checkpoint(const fs::path& path, torch_model::StickFigureTransformer& model, const AdamW& opt,
                      const MotionNormalization& norm, const TrainConfig& c, int step, double best_val,
                      const std::string& text_encoder) {
  SafeTensorsWriter w;
  auto add = [&](const std::string& name, const Tensor& t) {
    auto cont = t.detach().to(torch::kFloat).contiguous();
    std::vector<int64_t> shape(cont.sizes().begin(), cont.sizes().end());
    w.add(name, DType::F32, shape, cont.data_ptr<float>(), static_cast<size_t>(cont.numel()) * sizeof(float));
  };
  for (auto& [name, t] : torch_model::state_dict(model)) add(name, t);
  for (size_t i = 0; i < opt.names.size(); ++i) {
    add("optim.exp_avg." + opt.names[i], opt.exp_avg[i]);
    add("optim.exp_avg_sq." + opt.names[i], opt.exp_avg_sq[i]);
  }
  w.set_metadata(model_meta::kFormat, kCheckpointFormat);
  w.set_metadata(model_meta::kConfig, model->config().to_json());
  w.set_metadata(model_meta::kNormalization, norm.to_json());
  w.set_metadata(model_meta::kTextEncoder, text_encoder);
  w.set_metadata("stickgen.train.config", c.to_json());
  w.set_metadata("stickgen.train.step", std::to_string(step));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", best_val);
  w.set_metadata("stickgen.train.best_val_loss", buf);
  w.write(path);
}

void save_release(const fs::path& path, torch_model::StickFigureTransformer& model, const MotionNormalization& norm,
                  const TrainConfig& c, int step, const std::string& text_encoder, double val_loss) {
  std::map<std::string, std::string> meta{{model_meta::kTextEncoder, text_encoder},
                                          {"stickgen.train.stage", c.stage},
                                          {"stickgen.train.step", std::to_string(step)},
                                          {"stickgen.train.val_loss", std::to_string(val_loss)},
                                          {"stickgen.train.config", c.to_json()}};
  torch_model::save_model(model, path, &norm, meta);
}

void load_weights(torch_model::StickFigureTransformer& model, const SafeTensorsFile& file, const std::string& origin) {
  torch::NoGradGuard guard;
  for (auto& [name, t] : torch_model::state_dict(model)) {
    if (!file.contains(name)) throw Error(origin + ": checkpoint lacks tensor '" + name + "'");
    const auto& view = file.get(name);
    auto values = view.to_f32();
    if (static_cast<int64_t>(values.size()) != t.numel())
      throw Error(origin + ": tensor '" + name + "' has " + std::to_string(values.size()) + " values, expected " +
                  std::to_string(t.numel()));
    t.copy_(torch::from_blob(values.data(), t.sizes(), torch::kFloat));
  }
}

// ------------------------------------------------------------------ logging

struct RunLog {
  fs::path path;
  std::vector<std::pair<double, double>> train_curve, val_curve;

  // Keeps the lines of steps <= `step` (a resumed run rewrites what the killed run logged later).
  void open(const fs::path& p, int keep_until_step) {
    path = p;
    std::string kept;
    if (fs::exists(p)) {
      std::istringstream in(read_file(p));
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty()) continue;
        try {
          auto j = json::parse(line);
          if (j.value("step", 0) > keep_until_step) continue;
          remember(j);
          kept += line + "\n";
        } catch (const json::exception&) {
          // a torn last line from a kill: drop it
        }
      }
    }
    write_file_atomic(p, kept);
  }
  void remember(const json& j) {
    if (j.contains("loss")) train_curve.emplace_back(j["step"].get<double>(), j["loss"].get<double>());
    if (j.contains("val_loss")) val_curve.emplace_back(j["step"].get<double>(), j["val_loss"].get<double>());
  }
  void append(const json& j) {
    remember(j);
    std::ofstream out(path, std::ios::app);
    out << j.dump() << "\n";
  }
  void plot(const fs::path& png, const std::string& title) const {
    plot::LineChart chart{title, "optimizer step", "loss", {}, true};
    plot::Series tr{"train", {}, {}}, va{"validation", {}, {}};
    for (auto& [x, y] : train_curve) tr.x.push_back(x), tr.y.push_back(y);
    for (auto& [x, y] : val_curve) va.x.push_back(x), va.y.push_back(y);
    chart.series = {tr, va};
    plot::write_png(chart, png);
  }
};

double learning_rate_at(const TrainConfig& c, int step, int total_steps) {
  // step counts from 1
  if (step <= c.warmup_steps) return c.learning_rate * step / std::max(1, c.warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - c.warmup_steps) / std::max(1, total_steps - c.warmup_steps));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return c.learning_rate * (c.min_lr_ratio + (1.0 - c.min_lr_ratio) * cosine);
}

struct RunState {
  int step = 0;
  double best_val = std::numeric_limits<double>::infinity();
};

TrainResult train_loop(TrainConfig c, const fs::path& out_dir, torch_model::StickFigureTransformer model,
                       MotionNormalization norm, RunState state, AdamW* restored_opt, int stop_override) {
  const SkeletonFormat format = format_for(c.model);
  MotionSpace space(format, norm);
  const PoseHead head(norm, model->config());
  DatasetReader data(c.train_data);
  SequenceOptions so;
  so.min_frames = c.min_frames;
  so.text_encoder = c.text_encoder;
  so.turned_copies = c.turned_copies;
  // Training on the validation split too ("train+val") keeps the sequences validation uses (the first
  // val_sequences and rollout_sequences, or all) out of training.
  auto [train_set, val_set] = build_train_val_sequences(
      data, space, so, c.train_split, c.val_split,
      c.val_sequences > 0 ? static_cast<size_t>(std::max(c.val_sequences, c.rollout_sequences)) : 0);
  if (train_set.sequences.empty())
    throw Error(c.train_data + ": no training sequences in split '" + c.train_split + "' (at least " +
                std::to_string(c.min_frames) + " frames each)");
  const std::string encoder_name = c.text_encoder == "dataset" ? "dataset:" + data.dir().string()
                                                                : make_text_encoder(c.text_encoder)->name();

  AdamW opt = restored_opt ? std::move(*restored_opt) : AdamW(model);
  const int64_t batches_per_epoch = static_cast<int64_t>(plan_epoch(train_set, c, 0).size());
  int total_steps = c.max_steps;
  if (total_steps <= 0)
    total_steps = static_cast<int>(std::ceil(c.epochs * batches_per_epoch / static_cast<double>(c.grad_accum_steps)));
  total_steps = std::max(1, total_steps);
  int stop_at = stop_override > 0 ? std::min(stop_override, total_steps) : total_steps;
  int kill_after = -1;
  if (const char* s = std::getenv("STICKGEN_KILL_AFTER_STEP")) kill_after = std::atoi(s);

  RunLog log;
  log.open(out_dir / "log.jsonl", state.step);
  using GetThreads = int (*)();
  auto* blas_threads = reinterpret_cast<GetThreads>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  const std::string blas = torch_model::blas_kernels();
  std::fprintf(stderr,
               "stickgen-train: %s on %zu sequences (%zu validation), %lld micro-batches/epoch, %d steps, "
               "%d BLAS thread(s)%s%s\n",
               c.stage.c_str(), train_set.sequences.size(), val_set.sequences.size(),
               static_cast<long long>(batches_per_epoch), total_steps, blas_threads ? blas_threads() : 1,
               blas.empty() ? "" : ", OpenBLAS kernels ", blas.c_str());

  model->train();
  Progress progress(c.stage, total_steps, "steps");
  progress.set(state.step);
  uint64_t cached_epoch = UINT64_MAX;
  std::vector<PlannedBatch> epoch_batches;
  const auto t_start = std::chrono::steady_clock::now();
  int64_t frames_done = 0;
  double window_loss = 0, window_pose = 0, window_act = 0, window_phys = 0, window_temp = 0, window_norm = 0;
  double window_stats = 0, window_hyp = 0;
  int window_n = 0;
  auto window_start = std::chrono::steady_clock::now();
  int64_t window_frames = 0;

  auto validate_and_save = [&](bool final) {
    ValStats v = validate_model(model, val_set, c, space);
    const bool have_val = !val_set.sequences.empty();
    const double score = have_val ? v.loss : window_loss / std::max(1, window_n);
    json j{{"step", state.step}, {"val_loss", v.loss}, {"val_pose", v.pose}, {"val_temporal", v.temporal},
           {"val_physics", v.physics}, {"val_action_acc", v.action_acc}, {"rollout_frozen", v.rollout_frozen},
           {"rollout_speed_ratio", v.rollout_speed_ratio}, {"elapsed_s", progress.elapsed_seconds()}};
    if (!have_val) j.erase("val_loss");
    const bool improved = score < state.best_val;
    if (improved) {
      state.best_val = score;
      save_release(out_dir / "best.safetensors", model, norm, c, state.step, encoder_name, score);
    }
    save_release(out_dir / "latest.safetensors", model, norm, c, state.step, encoder_name, score);
    write_checkpoint(out_dir / "checkpoint.safetensors", model, opt, norm, c, state.step, state.best_val, encoder_name);
    j["best"] = improved;
    log.append(j);
    log.plot(out_dir / "loss.png", "stickgen " + c.stage + " loss");
    if (!Progress::stderr_is_interactive() || final)
      std::fprintf(stderr, "step %d: val loss %.4f (pose %.4f) action acc %.3f rollout frozen %.3f speed ratio %.2f%s\n",
                   state.step, v.loss, v.pose, v.action_acc, v.rollout_frozen, v.rollout_speed_ratio,
                   improved ? " (best)" : "");
  };

  const int save_every = c.save_every > 0 ? c.save_every : c.val_every;
  while (state.step < stop_at) {
    const int step = state.step + 1;
    const double lr = learning_rate_at(c, step, total_steps);
    const double progress_frac = static_cast<double>(step) / total_steps;
    // Scheduled sampling and free rollouts ramp up together from scheduled_sampling_start.
    const double ramp = progress_frac <= c.scheduled_sampling_start
                            ? 0.0
                            : std::min(1.0, (progress_frac - c.scheduled_sampling_start) /
                                                std::max(1e-9, 1.0 - c.scheduled_sampling_start));
    const double ss_prob = c.scheduled_sampling * ramp;
    double loss_acc = 0, pose_acc = 0, act_acc = 0, phys_acc = 0, temp_acc = 0, win_acc = 0, hyp_acc = 0;
    for (int k = 0; k < c.grad_accum_steps; ++k) {
      const int64_t g = static_cast<int64_t>(step - 1) * c.grad_accum_steps + k;
      const uint64_t epoch = static_cast<uint64_t>(g / batches_per_epoch);
      if (epoch != cached_epoch) {
        epoch_batches = plan_epoch(train_set, c, epoch);
        cached_epoch = epoch;
        if (static_cast<int64_t>(epoch_batches.size()) != batches_per_epoch)
          throw Error("internal: epoch " + std::to_string(epoch) + " planned " + std::to_string(epoch_batches.size()) +
                      " batches, expected " + std::to_string(batches_per_epoch));
      }
      const PlannedBatch& pb = epoch_batches[static_cast<size_t>(g % batches_per_epoch)];
      torch::manual_seed(mix(c.seed, static_cast<uint64_t>(g)));
      Batch batch = make_batch(train_set, pb.windows, pb.feed, c.model.embedding_dim);
      Tensor motion = batch.motion_in;
      bool rolled = false;
      if (c.free_rollout > 0 && ramp > 0 && motion.size(0) > c.free_rollout_prefix + 1 &&
          torch::rand({1}).item<double>() < c.free_rollout * ramp) {
        const int64_t T = motion.size(0);
        const int64_t hi = std::max<int64_t>(c.free_rollout_prefix, T / 2);
        const int64_t prefix = torch::randint(c.free_rollout_prefix, hi + 1, {1}).item<int64_t>();
        motion = free_rollout(model, batch, motion, head, prefix);
        rolled = true;
        if (c.rollout_target == "nearest") {
          // The action of each target frame: the planned one where it is fed, the label where it is not.
          const Tensor labels = batch.actions_in.defined() ? batch.actions_in : batch.target_action;
          const Tensor j = nearest_data_frames(motion, batch.motion_in, batch.valid, prefix, c.rollout_match_frames,
                                               c.rollout_match_action ? labels : Tensor());
          batch.frame_target = gather_frames(batch.target_pose, j);
          batch.frame_data_in = gather_frames(batch.motion_in, j);
          batch.target_physics = gather_frames(batch.target_physics, j);
          batch.target_action = gather_frames(batch.target_action, j);
        }
      }
      if (!rolled && ss_prob > 0 && motion.size(0) > 1) {
        // Scheduled sampling: chosen input frames are replaced by the model's own predictions. Each
        // pass predicts from the previous pass's mixed inputs, so a run of k replaced frames carries up
        // to `rollout_passes` steps of compounded error, as a free rollout would.
        // With rollout_grad the passes stay in the graph (dropout on, gradients through every pass): the
        // loss then also charges the model for how its own earlier predictions drift (unrolled training).
        std::optional<torch::NoGradGuard> guard;
        if (!c.rollout_grad) {
          guard.emplace();
          model->eval();
        }
        const int64_t T = motion.size(0);
        auto replace = (torch::rand({T - 1, motion.size(1), 1}) < ss_prob).to(torch::kFloat);
        auto tail = motion.narrow(0, 1, T - 1);
        Tensor mixed = motion;
        for (int pass = 0; pass < std::max(1, c.rollout_passes); ++pass) {
          auto pred = head.next(model->forward(inputs_of(batch, mixed)).pose, mixed);  // pred[t] ~ frame t+1
          mixed = torch::cat({motion.narrow(0, 0, 1), tail * (1 - replace) + pred.narrow(0, 0, T - 1) * replace}, 0);
        }
        model->train();
        motion = mixed;
      }
      if (c.input_offset_noise > 0)  // a pose offset constant over the sequence: drift without corrupting velocities
        motion = motion + torch::randn({1, motion.size(1), motion.size(2)}) * c.input_offset_noise * batch.valid.unsqueeze(-1);
      if (c.input_noise > 0) {
        motion = motion + torch::randn(motion.sizes()) * c.input_noise * batch.valid.unsqueeze(-1);
        if (batch.partner_in.defined())
          batch.partner_in = batch.partner_in + torch::randn(batch.partner_in.sizes()) * c.input_noise;
      }
      auto out = model->forward(inputs_of(batch, motion));
      LossParts parts = compute_loss(out, motion, batch, c, head);
      (parts.total / static_cast<double>(c.grad_accum_steps)).backward();
      loss_acc += parts.total.item<double>();
      pose_acc += parts.pose.item<double>();
      temp_acc += parts.temporal.item<double>();
      phys_acc += parts.physics.item<double>();
      act_acc += parts.action.item<double>();
      win_acc += parts.window.item<double>();
      hyp_acc += parts.hypothesis.item<double>();
      frames_done += batch.frames;
      window_frames += batch.frames;
    }
    std::vector<Tensor> params = opt.params;
    const double grad_norm = torch::nn::utils::clip_grad_norm_(params, c.max_grad_norm);
    opt.update(step, lr, c);
    opt.zero_grad();
    state.step = step;
    const double n = c.grad_accum_steps;
    window_loss += loss_acc / n, window_pose += pose_acc / n, window_act += act_acc / n, window_phys += phys_acc / n;
    window_temp += temp_acc / n, window_norm += grad_norm, window_stats += win_acc / n, window_hyp += hyp_acc / n, ++window_n;
    progress.set_status("loss " + std::to_string(loss_acc / n).substr(0, 6));
    progress.set(step);
    if (step % c.log_every == 0 || step == stop_at) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
      log.append(json{{"step", step}, {"lr", lr}, {"loss", window_loss / window_n}, {"pose", window_pose / window_n},
                      {"temporal", window_temp / window_n}, {"physics", window_phys / window_n},
                      {"action", window_act / window_n}, {"window_stats", window_stats / window_n}, {"hypothesis", window_hyp / window_n},
                      {"grad_norm", window_norm / window_n},
                      {"scheduled_sampling", ss_prob}, {"frames_per_s", secs > 0 ? window_frames / secs : 0.0},
                      {"elapsed_s", progress.elapsed_seconds()}});
      window_loss = window_pose = window_act = window_phys = window_temp = window_norm = window_stats = window_hyp = 0;
      window_n = 0;
      window_frames = 0;
      window_start = std::chrono::steady_clock::now();
    }
    if (step % save_every == 0 || step == stop_at) validate_and_save(step == stop_at);
    if (step == kill_after) std::raise(SIGKILL);
  }
  progress.finish();
  TrainResult r;
  r.steps = state.step;
  r.best_val_loss = state.best_val;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  r.frames_per_second = r.seconds > 0 ? frames_done / r.seconds : 0;
  r.best_model = out_dir / "best.safetensors";
  r.latest_model = out_dir / "latest.safetensors";
  return r;
}

}  // namespace

TrainResult run_training(TrainConfig c, int stop_at_step) {
  c.validate();
  const fs::path out_dir = c.output_dir;
  fs::create_directories(out_dir);
  if (fs::exists(out_dir / "checkpoint.safetensors"))
    throw Error(out_dir.string() + ": already holds a training run (use --resume to continue it, or another --output)");
  torch::manual_seed(c.seed);
  torch_model::StickFigureTransformer model(c.model);
  if (c.init_from.empty() && c.init == "scaled") torch_model::scaled_init(model);
  MotionNormalization norm;
  const SkeletonFormat format = format_for(c.model);
  if (!c.init_from.empty()) {
    auto loaded = torch_model::load_model(c.init_from, AttentionMode::causal);
    const ModelConfig& m = loaded.model->config();
    if (m.input_dim != c.model.input_dim || m.d_model != c.model.d_model || m.nhead != c.model.nhead ||
        m.num_layers != c.model.num_layers || m.embedding_dim != c.model.embedding_dim ||
        m.num_actions != c.model.num_actions)
      throw Error(c.init_from + ": its architecture " + m.to_json() + " differs from the config's " + c.model.to_json());
    torch::NoGradGuard guard;
    auto src = torch_model::state_dict(loaded.model);
    auto dst = torch_model::state_dict(model);
    const int K = c.model.pose_hypotheses;
    if (m.pose_hypotheses != K && m.pose_hypotheses != 1)
      throw Error(c.init_from + ": has " + std::to_string(m.pose_hypotheses) + " pose hypotheses, the config " +
                  std::to_string(K) + " (only a single pose head can be split into hypotheses)");
    for (size_t i = 0; i < dst.size(); ++i) {
      const std::string& name = dst[i].first;
      if (K > 1 && m.pose_hypotheses == 1 && name.rfind("pose_decoder.3.", 0) == 0) {
        // Splitting a single pose head: every hypothesis starts as that head, nudged apart by a little
        // noise (seeded by training.seed) so the nearest-wins loss can separate them; the logits start
        // equal.
        const int64_t D = c.model.output_dim;
        const Tensor& one = src[i].second;
        Tensor& out = dst[i].second;
        out.zero_();
        const double spread = 0.1 * one.std().item<double>();
        for (int k = 0; k < K; ++k) out.narrow(0, k * D, D).copy_(k == 0 ? one : one + torch::randn_like(one) * spread);
        continue;
      }
      dst[i].second.copy_(src[i].second);
    }
    norm = loaded.normalization;
    auto it = loaded.metadata.find(model_meta::kTextEncoder);
    if (it != loaded.metadata.end() && c.text_encoder != "dataset" && it->second != make_text_encoder(c.text_encoder)->name())
      throw Error(c.init_from + ": trained with text encoder '" + it->second + "', the config uses '" + c.text_encoder + "'");
    if (norm.empty()) throw Error(c.init_from + ": has no motion normalisation (stickgen.normalization); cannot fine-tune in its space");
  } else {
    DatasetReader data(c.train_data);
    std::vector<Clip> clips;
    for (size_t i = 0; i < data.size() && clips.size() < 3000; ++i)
      if (split_matches(c.train_split, data.record(i).split)) clips.push_back(data.clip(i));
    std::vector<const Clip*> ptrs;
    for (auto& cl : clips) ptrs.push_back(&cl);
    if (ptrs.empty()) throw Error(c.train_data + ": no clips in split '" + c.train_split + "'");
    norm = MotionSpace::fit(ptrs, format, c.root_relative_x, c.delta_output);
  }
  write_file_atomic(out_dir / "config.json", json::parse(c.to_json()).dump(2) + "\n");
  return train_loop(c, out_dir, model, norm, RunState{}, nullptr, stop_at_step);
}

TrainResult resume_training(const fs::path& out_dir, int stop_at_step) {
  const fs::path ckpt = out_dir / "checkpoint.safetensors";
  if (!fs::exists(ckpt)) throw Error(ckpt.string() + ": no checkpoint to resume from");
  auto file = SafeTensorsFile::open(ckpt);
  const auto& meta = file.metadata();
  auto get = [&](const char* key) {
    auto it = meta.find(key);
    if (it == meta.end()) throw Error(ckpt.string() + ": checkpoint metadata lacks '" + key + "'");
    return it->second;
  };
  if (get(model_meta::kFormat) != kCheckpointFormat) throw Error(ckpt.string() + ": not a training checkpoint");
  TrainConfig c = TrainConfig::from_json(get("stickgen.train.config"));
  torch_model::StickFigureTransformer model(c.model);
  load_weights(model, file, ckpt.string());
  AdamW opt(model);
  {
    torch::NoGradGuard guard;
    for (size_t i = 0; i < opt.names.size(); ++i) {
      for (auto [prefix, dst] : {std::pair{"optim.exp_avg.", &opt.exp_avg[i]}, std::pair{"optim.exp_avg_sq.", &opt.exp_avg_sq[i]}}) {
        const std::string name = prefix + opt.names[i];
        if (!file.contains(name)) throw Error(ckpt.string() + ": checkpoint lacks optimizer state '" + name + "'");
        auto values = file.get(name).to_f32();
        dst->copy_(torch::from_blob(values.data(), dst->sizes(), torch::kFloat));
      }
    }
  }
  RunState state;
  state.step = std::stoi(get("stickgen.train.step"));
  state.best_val = std::stod(get("stickgen.train.best_val_loss"));
  MotionNormalization norm = MotionNormalization::from_json(get(model_meta::kNormalization));
  std::fprintf(stderr, "stickgen-train: resuming %s at step %d\n", out_dir.string().c_str(), state.step);
  return train_loop(c, out_dir, model, norm, state, &opt, stop_at_step);
}

}  // namespace stickgen::train
