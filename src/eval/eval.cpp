// `stickgen eval` (include/stickgen/eval.hpp): the whole protocol of docs/EVALUATION.md. Work items
// (test clips, test sequences, generated clips, prompts) run on a small pool of threads; each item
// depends only on (seed, its index) and results are reduced in index order, so the document is the
// same for a seed whatever the thread count.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "stickgen/actions.hpp"
#include "stickgen/common.hpp"
#include "stickgen/dataset.hpp"
#include "stickgen/eval.hpp"
#include "stickgen/evaluator.hpp"
#include "stickgen/generate.hpp"
#include "stickgen/motion_file.hpp"
#include "stickgen/motion_space.hpp"
#include "stickgen/planner.hpp"
#include "stickgen/progress.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/sequences.hpp"
#include "stickgen/synth.hpp"

namespace stickgen::eval {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

uint64_t mix(uint64_t a, uint64_t b) {  // splitmix64 of a combination
  uint64_t z = a * 0x9e3779b97f4a7c15ull + b + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Runs fn(i) for i in [0, n) on `threads` threads; the first exception (by index) is rethrown.
template <class Fn>
void parallel_for(size_t n, int threads, Fn&& fn) {
  std::atomic<size_t> next{0};
  std::mutex m;
  size_t failed_at = SIZE_MAX;
  std::exception_ptr failure;
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (i < failed_at) failed_at = i, failure = std::current_exception();
      }
    }
  };
  const int t = std::max(1, std::min<int>(threads, static_cast<int>(n)));
  std::vector<std::thread> pool;
  for (int k = 1; k < t; ++k) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

class SharedProgress {
 public:
  SharedProgress(int64_t total, bool enabled) {
    if (enabled) bar_.emplace("eval", total, "items");
  }
  void phase(const std::string& name) {
    std::lock_guard<std::mutex> lock(m_);
    if (bar_) bar_->set_status(name);
  }
  void tick() {
    std::lock_guard<std::mutex> lock(m_);
    if (bar_) bar_->advance();
  }
  void finish() {
    if (bar_) bar_->finish();
  }

 private:
  std::mutex m_;
  std::optional<Progress> bar_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One classified span: what the evaluator said about it.
struct Scored {
  int label = -1, top1 = -1;
  bool ok1 = false, ok5 = false;
  std::vector<float> features;
};

Scored score_span(const Evaluator& ev, const Clip& v1, int actor, int begin, int end, int label) {
  EvaluatorResult r = ev.classify(v1, actor, begin, end);
  Scored s;
  s.label = label;
  s.top1 = r.top1;
  s.ok1 = r.top1 == label;
  s.ok5 = r.in_top(label, 5);
  s.features = std::move(r.features);
  return s;
}

// Whether the model's pose head predicts the change from its input frame (next = input + output in
// the normalised space), as recorded in its normalisation metadata ("delta_output").
bool predicts_delta(const Model& model) {
  auto it = model.metadata().find(model_meta::kNormalization);
  if (it == model.metadata().end()) return false;
  try {
    return json::parse(it->second).value("delta_output", false);
  } catch (const json::exception&) {
    return false;
  }
}

// Raw network predictions along a clip: the clip's own frames fed back exactly as generate_clip
// feeds them (own pose relative to own root, the nearest other actor as partner, the next frame's
// action), without noise; output row t (frame t+1) placed at that frame's root. [actors][T-1, D].
std::vector<std::vector<float>> raw_predictions(const Model& model, const MotionSpace& space, const Clip& clip,
                                                const std::vector<float>& text) {
  const ModelConfig& cfg = model.config();
  const int A = clip.actors, T = clip.frames - 1, D = clip.dims();
  const SkeletonSchema& s = clip.skeleton();
  std::vector<float> motion(static_cast<size_t>(T) * A * D), partner(A > 1 ? motion.size() : 0);
  std::vector<int64_t> actions(static_cast<size_t>(T) * A);
  std::vector<float> texts(static_cast<size_t>(A) * cfg.embedding_dim);
  for (int a = 0; a < A; ++a) std::copy(text.begin(), text.end(), texts.begin() + static_cast<size_t>(a) * cfg.embedding_dim);
  std::vector<float> root_x(A);
  for (int t = 0; t < T; ++t) {
    for (int a = 0; a < A; ++a) root_x[a] = root_position(s, clip.pose(t, a)).x;
    for (int a = 0; a < A; ++a) {
      const size_t row = static_cast<size_t>(t) * A + a;
      space.encode_pose(clip.pose(t, a), root_x[a], &motion[row * D]);
      const int16_t next = clip.action(t + 1, a);
      actions[row] = next >= 0 && next < cfg.num_actions ? static_cast<int64_t>(next) : static_cast<int64_t>(act::idle);
      if (A > 1) {
        int nearest = -1;
        float best = 1e30f;
        for (int b = 0; b < A; ++b)
          if (b != a && std::fabs(root_x[b] - root_x[a]) < best) best = std::fabs(root_x[b] - root_x[a]), nearest = b;
        space.encode_pose(clip.pose(t, nearest), root_x[a], &partner[row * D]);
      }
    }
  }
  ForwardInputs in;
  in.frames = T;
  in.batch = A;
  in.motion = motion;
  in.text_embedding = texts;
  in.actions = actions;
  if (A > 1) in.partner = partner;
  ForwardOutputs out = model.forward(in);
  keep_likeliest_hypotheses(out.pose, static_cast<size_t>(T) * A, cfg);
  for (size_t row = 0; row < static_cast<size_t>(T) * A; ++row)  // residual heads: next = input + output * delta_std
    space.next_from_head(&motion[row * D], &out.pose[row * D], &out.pose[row * D]);
  std::vector<std::vector<float>> raw(A, std::vector<float>(static_cast<size_t>(T) * D));
  for (int t = 0; t < T; ++t)
    for (int a = 0; a < A; ++a)
      space.decode_pose(&out.pose[(static_cast<size_t>(t) * A + a) * D], root_position(s, clip.pose(t + 1, a)).x,
                        &raw[a][static_cast<size_t>(t) * D]);
  return raw;
}

// The delivered and the raw measures of every actor of a generated clip.
void measure_generated(const Model& model, const MotionSpace& space, const Clip& clip, const std::vector<float>& text,
                       MotionMeasures& delivered, MotionMeasures& raw) {
  auto preds = raw_predictions(model, space, clip, text);
  for (int a = 0; a < clip.actors; ++a) {
    delivered.add(measure_track(clip, a, 0, clip.frames));
    raw.add(measure_raw_poses(clip.format, preds[a], clip.frames - 1, median_segment_lengths(clip, a, 1, clip.frames),
                              median_body_height(clip, a, 1, clip.frames)));
  }
}

json measures_json(const MotionMeasures& m) {
  return json{{"frames", m.frames},
              {"frozen_ratio", m.frozen_ratio()},
              {"jitter", m.jitter()},
              {"jerk", m.jerk_mean()},
              {"foot_skating", m.foot_skating()},
              {"foot_contact_ratio", m.contact_ratio()},
              {"ground_error", m.ground_error()},
              {"ground_penetration", m.penetration_mean()},
              {"bone_drift", m.bone_drift_mean()}};
}
json raw_json(const MotionMeasures& m) {
  return json{{"frames", m.ground_count},
              {"bone_drift", m.bone_drift_mean()},
              {"connectivity", m.connectivity_mean()},
              {"ground_error", m.ground_error()},
              {"ground_penetration", m.penetration_mean()}};
}

std::string name_of(int action) {
  const auto n = action_name(action);
  return n.empty() ? "none" : std::string(n);
}

// Top-1/top-5 and per-label counts of a list of scored spans.
struct Tally {
  int64_t n = 0, ok1 = 0, ok5 = 0;
  std::map<int, std::array<int64_t, 3>> per;  // label -> n, ok1, ok5
  std::map<int, std::map<int, int64_t>> wrong;  // label -> wrong top-1 -> count
  void add(const Scored& s) {
    ++n, ok1 += s.ok1, ok5 += s.ok5;
    auto& p = per[s.label];
    ++p[0], p[1] += s.ok1, p[2] += s.ok5;
    if (!s.ok1) ++wrong[s.label][s.top1];
  }
  // The most frequent wrong answer for a label ("" when never wrong) and its share of the label.
  std::pair<std::string, double> confused_with(int label) const {
    auto it = wrong.find(label);
    if (it == wrong.end() || it->second.empty()) return {"", 0.0};
    auto best = std::max_element(it->second.begin(), it->second.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    return {std::string(action_name(best->first)), static_cast<double>(best->second) / per.at(label)[0]};
  }
  double top1() const { return n ? static_cast<double>(ok1) / n : 0; }
  double top5() const { return n ? static_cast<double>(ok5) / n : 0; }
  // Standard error of top1() from sampling: every label's clips are a binomial sample of how often the
  // generator gets that label right, and top1() is their weighted mean (stratified by label). It is a
  // lower bound (a label that scored 0 or 1 contributes nothing, although it may not be exactly so).
  double top1_stderr() const {
    if (n == 0) return 0;
    double var = 0;
    for (const auto& [l, p] : per) {
      if (p[0] < 2) continue;
      const double q = static_cast<double>(p[1]) / p[0], w = static_cast<double>(p[0]) / n;
      var += w * w * q * (1 - q) / (p[0] - 1);
    }
    return std::sqrt(var);
  }
  double balanced() const {
    double s = 0;
    for (const auto& [l, p] : per) s += static_cast<double>(p[1]) / p[0];
    return per.empty() ? 0 : s / per.size();
  }
};

double log_gap(double generated, double real, double floor) {
  return std::fabs(std::log((generated + floor) / (real + floor)));
}

}  // namespace

json evaluate(const EvalOptions& o) {
  const auto t_start = std::chrono::steady_clock::now();
  auto note = [&](const std::string& s) {
    if (o.log) o.log(s);
    else std::fprintf(stderr, "%s\n", s.c_str());
  };
  if (o.samples < 2) throw Error("--samples: at least 2 clips per action are needed (multimodality compares pairs)");
  const int threads = o.threads > 0 ? o.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  const Model model = Model::load(o.model);
  const ModelConfig& cfg = model.config();
  const auto model_format = format_from_dims(cfg.input_dim);
  if (!model_format || cfg.output_dim != cfg.input_dim)
    throw Error(o.model.string() + ": evaluation needs input_dim = output_dim = 20 or 48");
  if (model.normalization().empty())
    throw Error(o.model.string() + ": the model records no motion normalisation (stickgen.normalization)");
  const MotionSpace space(*model_format, model.normalization());
  fs::path evaluator_path = o.evaluator;
  if (evaluator_path.empty()) evaluator_path = o.model.parent_path() / "evaluator.safetensors";
  if (!fs::exists(evaluator_path))
    throw Error("--evaluator: " + evaluator_path.string() +
                " not found (train one with: stickgen-train train-evaluator --data DATASET -o evaluator.safetensors)");
  const Evaluator ev = Evaluator::load(evaluator_path);
  if (!o.samples_dir.empty()) fs::create_directories(o.samples_dir);
  const EvaluatorConfig& ec = ev.config();
  const auto encoder = text_encoder_for(model);

  const DatasetReader data(o.data);
  if (data.format() != *model_format)
    throw Error(o.data.string() + ": dataset is " + std::string(format_name(data.format())) + ", the model is " +
                std::string(format_name(*model_format)));
  std::vector<size_t> test_clips;
  for (size_t i = 0; i < data.size(); ++i)
    if (data.record(i).split == "test") {
      if (o.max_test_clips > 0 && static_cast<int>(test_clips.size()) >= o.max_test_clips) break;
      test_clips.push_back(i);
    }
  if (test_clips.empty()) throw Error(o.data.string() + ": no clips in split 'test'");

  SequenceOptions so;
  so.split = "test";
  so.text_encoder = encoder->name();
  so.max_clips = o.max_test_clips > 0 ? static_cast<size_t>(o.max_test_clips) : 0;
  const SequenceSet seqs = build_sequences(data, space, so);

  std::vector<SuitePrompt> suite = o.prompts.empty() ? prompt_suite() : read_prompt_suite(o.prompts);
  if (o.max_prompts > 0 && static_cast<int>(suite.size()) > o.max_prompts) {
    // An even spread over the suite keeps every category represented.
    std::vector<SuitePrompt> picked;
    for (int k = 0; k < o.max_prompts; ++k) picked.push_back(suite[static_cast<size_t>(k) * suite.size() / o.max_prompts]);
    suite = std::move(picked);
  }

  // ---- real test clips: evaluator windows and motion measures
  struct RealClip {
    float fps = kDefaultFps;
    std::vector<Scored> windows;
    MotionMeasures measures, raw;
  };
  std::vector<RealClip> real(test_clips.size());
  // Actions present in the test split decide the generation jobs, so the real pass comes first.
  const int64_t first_total = static_cast<int64_t>(test_clips.size() + seqs.sequences.size());
  SharedProgress progress(first_total, o.progress);
  progress.phase("real test clips");
  auto t0 = std::chrono::steady_clock::now();
  parallel_for(test_clips.size(), threads, [&](size_t k) {
    const Clip clip = data.clip(test_clips[k]);
    real[k].fps = clip.fps;
    const Clip v1 = evaluator_clip(clip, ec.fps);
    for (const MotionWindow& w : extract_windows(v1, k, ec.window, ec.stride, ec.min_purity))
      real[k].windows.push_back(score_span(ev, v1, w.actor, w.begin, w.end, w.label));
    for (int a = 0; a < clip.actors; ++a) {
      int best_begin = 0, best_len = 0, start = -1;
      for (int t = 0; t <= clip.frames; ++t) {
        const bool here = t < clip.frames && clip.present(t, a);
        if (here && start < 0) start = t;
        if (!here && start >= 0) {
          if (t - start > best_len) best_len = t - start, best_begin = start;
          start = -1;
        }
      }
      if (best_len < 4) continue;
      real[k].measures.add(measure_track(clip, a, best_begin, best_begin + best_len));
      std::vector<float> poses;
      for (int t = best_begin; t < best_begin + best_len; ++t) poses.insert(poses.end(), clip.pose(t, a), clip.pose(t, a) + clip.dims());
      real[k].raw.add(measure_raw_poses(clip.format, poses, best_len, median_segment_lengths(clip, a, best_begin, best_begin + best_len),
                                        median_body_height(clip, a, best_begin, best_begin + best_len)));
    }
    progress.tick();
  });
  const double real_seconds = seconds_since(t0);
  std::map<size_t, float> fps_of;  // dataset index -> fps
  for (size_t k = 0; k < test_clips.size(); ++k) fps_of[test_clips[k]] = real[k].fps;

  // ---- teacher-forced card metrics on the test sequences
  struct SeqResult {
    double pose_sq = 0, pose_n = 0, pose_bh_sq = 0, pose_bh_n = 0;
    double vel_sq = 0, vel_n = 0, vel_bh_sq = 0, vel_bh_n = 0, acc_sq = 0, acc_n = 0, acc_bh_sq = 0, acc_bh_n = 0;
    double copy_sq = 0, copy_bh_sq = 0;  // the "repeat the previous frame" baseline
    std::vector<std::pair<int, int>> action_hits;  // (label, predicted)
    int64_t frames = 0;
  };
  std::vector<SeqResult> seq_results(seqs.sequences.size());
  progress.phase("teacher-forced test sequences");
  t0 = std::chrono::steady_clock::now();
  const int D = cfg.input_dim;
  const SkeletonSchema& sch = schema(*model_format);
  parallel_for(seqs.sequences.size(), threads, [&](size_t k) {
    const Sequence& s = seqs.sequences[k];
    SeqResult& r = seq_results[k];
    const int T = std::min(s.frames, o.max_frames + 1) - 1;  // predicted frames
    if (T < 3) {
      progress.tick();
      return;
    }
    std::vector<int64_t> acts(T);
    const bool labelled = std::all_of(s.actions.begin() + 1, s.actions.begin() + T + 1, [](int16_t a) { return a >= 0; });
    for (int t = 0; t < T; ++t) acts[t] = std::clamp<int>(s.actions[t + 1], 0, cfg.num_actions - 1);
    ForwardInputs in;
    in.frames = T;
    in.batch = 1;
    in.motion = std::span<const float>(s.motion.data(), static_cast<size_t>(T) * D);
    in.text_embedding = seqs.embeddings[s.embedding];
    if (!s.partner.empty()) in.partner = std::span<const float>(s.partner.data(), static_cast<size_t>(T) * D);
    if (labelled) in.actions = acts;
    ForwardOutputs fed = model.forward(in);
    keep_likeliest_hypotheses(fed.pose, static_cast<size_t>(T), cfg);
    for (int t = 0; t < T; ++t)  // residual heads: next = input + output * delta_std
      space.next_from_head(&s.motion[static_cast<size_t>(t) * D], &fed.pose[static_cast<size_t>(t) * D],
                           &fed.pose[static_cast<size_t>(t) * D]);
    in.actions = {};
    const ForwardOutputs blind = model.forward(in);
    // Absolute poses (decoded at the true root) for body-height units.
    std::vector<float> pred_abs(static_cast<size_t>(T) * D), true_abs(static_cast<size_t>(T) * D),
        copy_abs(static_cast<size_t>(T) * D);
    std::vector<float> heights;
    std::vector<Vec2> joints(sch.joint_count());
    for (int t = 0; t < T; ++t) {
      space.decode_pose(&fed.pose[static_cast<size_t>(t) * D], s.root_x[t + 1], &pred_abs[static_cast<size_t>(t) * D]);
      space.decode_pose(&s.motion[static_cast<size_t>(t + 1) * D], s.root_x[t + 1], &true_abs[static_cast<size_t>(t) * D]);
      space.decode_pose(&s.motion[static_cast<size_t>(t) * D], s.root_x[t + 1], &copy_abs[static_cast<size_t>(t) * D]);
      segments_to_joints(sch, &true_abs[static_cast<size_t>(t) * D], joints.data());
      heights.push_back(body_height(sch, joints.data()));
    }
    std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
    const double H = std::max(1e-6f, heights[heights.size() / 2]);
    const double fps = fps_of.count(s.clip) ? fps_of.at(s.clip) : kDefaultFps;
    auto P = [&](int t, int d) { return static_cast<double>(fed.pose[static_cast<size_t>(t) * D + d]); };
    auto Y = [&](int t, int d) { return static_cast<double>(s.motion[static_cast<size_t>(t + 1) * D + d]); };
    auto PA = [&](int t, int d) { return static_cast<double>(pred_abs[static_cast<size_t>(t) * D + d]); };
    auto YA = [&](int t, int d) { return static_cast<double>(true_abs[static_cast<size_t>(t) * D + d]); };
    for (int t = 0; t < T; ++t)
      for (int d = 0; d < D; ++d) {
        r.pose_sq += (P(t, d) - Y(t, d)) * (P(t, d) - Y(t, d));
        const double e = (PA(t, d) - YA(t, d)) / H;
        r.pose_bh_sq += e * e;
        // Baseline: the input frame itself (Y(t - 1) is frame t), placed at the target's root.
        const double prev = s.motion[static_cast<size_t>(t) * D + d];
        r.copy_sq += (prev - Y(t, d)) * (prev - Y(t, d));
        const double ce = (copy_abs[static_cast<size_t>(t) * D + d] - YA(t, d)) / H;
        r.copy_bh_sq += ce * ce;
        if (t >= 1) {
          const double dv = (P(t, d) - P(t - 1, d)) - (Y(t, d) - Y(t - 1, d));
          r.vel_sq += dv * dv;
          const double dva = ((PA(t, d) - PA(t - 1, d)) - (YA(t, d) - YA(t - 1, d))) * fps / H;
          r.vel_bh_sq += dva * dva;
        }
        if (t >= 2) {
          const double da = (P(t, d) - 2 * P(t - 1, d) + P(t - 2, d)) - (Y(t, d) - 2 * Y(t - 1, d) + Y(t - 2, d));
          r.acc_sq += da * da;
          const double daa =
              ((PA(t, d) - 2 * PA(t - 1, d) + PA(t - 2, d)) - (YA(t, d) - 2 * YA(t - 1, d) + YA(t - 2, d))) * fps * fps / H;
          r.acc_bh_sq += daa * daa;
        }
      }
    r.pose_n = r.pose_bh_n = static_cast<double>(T) * D;
    r.vel_n = r.vel_bh_n = static_cast<double>(T - 1) * D;
    r.acc_n = r.acc_bh_n = static_cast<double>(T - 2) * D;
    r.frames = T;
    for (int t = 0; t < T; ++t) {
      if (s.actions[t + 1] < 0) continue;
      const float* row = &blind.action_logits[static_cast<size_t>(t) * cfg.num_actions];
      const int pred = static_cast<int>(std::max_element(row, row + cfg.num_actions) - row);
      r.action_hits.emplace_back(s.actions[t + 1], pred);
    }
    progress.tick();
  });
  const double tf_seconds = seconds_since(t0);
  progress.finish();

  // Real references.
  std::vector<std::vector<float>> real_features;
  std::vector<int> real_labels;
  std::vector<size_t> real_clip_of;
  Tally real_tally;
  MotionMeasures real_measures, real_raw;
  for (size_t k = 0; k < real.size(); ++k) {
    for (const Scored& s : real[k].windows) {
      real_features.push_back(s.features);
      real_labels.push_back(s.label);
      real_clip_of.push_back(k);
      real_tally.add(s);
    }
    real_measures.add(real[k].measures);
    real_raw.add(real[k].raw);
  }
  if (real_features.empty())
    throw Error(o.data.string() + ": the test split has no evaluator windows (" + std::to_string(ec.window) +
                " frames with a majority action)");
  std::set<int> test_actions(real_labels.begin(), real_labels.end());
  const std::vector<int> actions(test_actions.begin(), test_actions.end());

  // ---- ACTOR protocol: N clips per test action
  const int warm = static_cast<int>(std::lround(o.warmup_seconds * ec.fps));
  const int frames = std::max(warm + ec.min_frames, static_cast<int>(std::lround(o.action_seconds * kDefaultFps)));
  struct GenResult {
    Scored scored;
    MotionMeasures delivered, raw;
  };
  const size_t jobs = actions.size() * static_cast<size_t>(o.samples);
  std::vector<GenResult> gen(jobs);
  std::map<int, GenerationRequest> requests[2];  // by facing
  for (int action : actions)
    for (int f = 0; f < 2; ++f) {
      SingleAction sa;
      sa.action = action;
      sa.seconds = frames / kDefaultFps;
      sa.facing = f == 0 ? 1 : -1;
      Plan plan = single_action_plan(sa);
      plan.prompt = canonical_prompt(action);
      GenerationRequest req = request_from_plan(plan, *encoder);
      req.frames = frames;
      for (auto& a : req.actions) a.assign(frames, static_cast<int16_t>(action));
      for (auto& h : req.heading) h.assign(frames, GenerationRequest::kHeadFree);
      req.description = plan.prompt;
      requests[f][action] = std::move(req);
    }
  SharedProgress gen_progress(static_cast<int64_t>(jobs + suite.size()), o.progress);
  // Every generated clip uses the evaluation's generation settings with its own seed.
  auto generation_options = [&o](uint64_t seed) {
    GenerateOptions go;
    go.seed = seed;
    go.noise = o.noise;
    go.guidance = o.guidance;
    go.prime_seconds = o.prime;
    go.candidates = o.candidates;
    go.candidate_seconds = o.candidate_seconds;
    go.draw_hypotheses = o.draw_hypotheses;
    go.ground_contact = o.ground_contact;
    return go;
  };
  gen_progress.phase("action-conditioned generation");
  t0 = std::chrono::steady_clock::now();
  parallel_for(jobs, threads, [&](size_t k) {
    const int action = actions[k / o.samples];
    const int n = static_cast<int>(k % o.samples);
    const GenerationRequest& req = requests[n % 2][action];
    const GenerateOptions go = generation_options(mix(o.seed, static_cast<uint64_t>(action) * 100003ull + static_cast<uint64_t>(n)));
    const Clip clip = generate_clip(model, req, go);
    if (!o.samples_dir.empty() && n == 0) write_motion_file(o.samples_dir / ("action_" + name_of(action) + ".motion"), clip);
    const Clip v1 = evaluator_clip(clip, ec.fps);
    gen[k].scored = score_span(ev, v1, 0, std::min(warm, v1.frames - ec.min_frames), v1.frames, action);
    measure_generated(model, space, clip, req.text_embedding, gen[k].delivered, gen[k].raw);
    gen_progress.tick();
  });
  const double actor_seconds = seconds_since(t0);

  // ---- text fidelity: the prompt suite, every planned segment scored
  struct PromptResult {
    json doc;
    std::vector<Scored> segments;
    MotionMeasures delivered, raw;
  };
  std::vector<PromptResult> prompts(suite.size());
  gen_progress.phase("prompt suite");
  t0 = std::chrono::steady_clock::now();
  parallel_for(suite.size(), threads, [&](size_t k) {
    PlannerOptions po;
    po.duration = o.prompt_seconds;
    const Plan plan = plan_prompt(suite[k].text, po);
    const GenerationRequest req = request_from_plan(plan, *encoder);
    const GenerateOptions go = generation_options(mix(o.seed, 7000001ull + k));
    const Clip clip = generate_clip(model, req, go);
    if (!o.samples_dir.empty() && k < 20) {
      char name[32];
      std::snprintf(name, sizeof name, "prompt_%03zu.motion", k);
      write_motion_file(o.samples_dir / name, clip);
    }
    const Clip v1 = evaluator_clip(clip, ec.fps);
    PromptResult& r = prompts[k];
    json segs = json::array();
    const int min_len = std::max(ec.min_frames, static_cast<int>(std::lround(0.8 * ec.fps)));
    for (size_t a = 0; a < plan.actors.size(); ++a)
      for (const ActionSegment& seg : plan.actors[a].timeline) {
        const float trim = std::min(0.5f, 0.25f * (seg.end - seg.start));
        const int b = static_cast<int>(std::lround((seg.start + trim) * ec.fps));
        const int e = std::min(v1.frames, static_cast<int>(std::lround(seg.end * ec.fps)));
        if (e - b < min_len) continue;
        Scored s = score_span(ev, v1, static_cast<int>(a), b, e, seg.action);
        segs.push_back({{"actor", a}, {"action", name_of(seg.action)}, {"start", seg.start}, {"end", seg.end},
                        {"predicted", name_of(s.top1)}, {"top1", s.ok1}, {"top5", s.ok5}});
        r.segments.push_back(std::move(s));
      }
    r.doc = {{"prompt", suite[k].text}, {"category", suite[k].category}, {"actors", plan.actors.size()}, {"segments", segs}};
    measure_generated(model, space, clip, req.text_embedding, r.delivered, r.raw);
    gen_progress.tick();
  });
  const double text_seconds = seconds_since(t0);
  gen_progress.finish();

  // ---------------------------------------------------------------- reduce
  json result;
  result["stickgen_eval_version"] = 1;
  json model_j = json::parse(cfg.to_json());
  model_j["path"] = o.model.string();
  model_j["parameters"] = cfg.parameter_count();
  model_j["text_encoder"] = encoder->name();
  model_j["weight_dtype"] = model.weight_dtype();
  model_j["delta_output"] = predicts_delta(model);
  for (const auto& [k, v] : model.metadata())
    if (k.rfind("stickgen.train", 0) == 0 && v.size() < 4096) model_j["metadata"][k] = v;
  result["model"] = model_j;
  json ev_j{{"path", evaluator_path.string()}, {"config", json::parse(ec.to_json())}};
  if (auto it = ev.metadata().find(evaluator_meta::kTrain); it != ev.metadata().end()) ev_j["train"] = json::parse(it->second);
  result["evaluator"] = ev_j;
  result["data"] = {{"path", o.data.string()},          {"split", "test"},
                    {"test_clips", test_clips.size()},  {"test_sequences", seqs.sequences.size()},
                    {"test_windows", real_features.size()}, {"test_actions", actions.size()}};
  result["options"] = {{"seed", o.seed},
                       {"samples_per_action", o.samples},
                       {"action_seconds", frames / kDefaultFps},
                       {"warmup_seconds", warm / ec.fps},
                       {"prompt_seconds", o.prompt_seconds},
                       {"prompts", suite.size()},
                       {"max_frames", o.max_frames},
                       {"noise", o.noise}, {"guidance", o.guidance}, {"prime_seconds", o.prime}, {"candidates", o.candidates}, {"candidate_seconds", o.candidate_seconds}, {"draw_hypotheses", o.draw_hypotheses}, {"ground_contact", o.ground_contact},
                       {"guidance_scope", "segments the prime did not start"},
                       {"prime_scope", "each actor's first action; a pair's interaction synthesised as a pair"},
                       {"diversity_pairs", o.diversity_pairs},
                       {"multimodality_pairs", o.multimodality_pairs}};

  // Card metrics.
  SeqResult tf;
  Tally head;
  for (const SeqResult& r : seq_results) {
    tf.pose_sq += r.pose_sq, tf.pose_n += r.pose_n, tf.pose_bh_sq += r.pose_bh_sq, tf.pose_bh_n += r.pose_bh_n;
    tf.vel_sq += r.vel_sq, tf.vel_n += r.vel_n, tf.vel_bh_sq += r.vel_bh_sq, tf.vel_bh_n += r.vel_bh_n;
    tf.acc_sq += r.acc_sq, tf.acc_n += r.acc_n, tf.acc_bh_sq += r.acc_bh_sq, tf.acc_bh_n += r.acc_bh_n;
    tf.frames += r.frames;
    tf.copy_sq += r.copy_sq, tf.copy_bh_sq += r.copy_bh_sq;
    for (auto [label, pred] : r.action_hits) {
      Scored s;
      s.label = label, s.top1 = pred, s.ok1 = label == pred;
      head.add(s);
    }
  }
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  MotionMeasures gen_measures, gen_raw;
  for (const auto& g : gen) gen_measures.add(g.delivered), gen_raw.add(g.raw);
  for (const auto& p : prompts) gen_measures.add(p.delivered), gen_raw.add(p.raw);
  result["card"] = {{"sequences", seqs.sequences.size()},
                    {"frames", tf.frames},
                    {"pose_mse", ratio(tf.pose_sq, tf.pose_n)},
                    {"pose_mse_body_heights", ratio(tf.pose_bh_sq, tf.pose_bh_n)},
                    {"pose_rmse_body_heights", std::sqrt(ratio(tf.pose_bh_sq, tf.pose_bh_n))},
                    {"baseline_copy_pose_mse", ratio(tf.copy_sq, tf.pose_n)},
                    {"baseline_copy_pose_mse_body_heights", ratio(tf.copy_bh_sq, tf.pose_bh_n)},
                    {"velocity_mse", ratio(tf.vel_sq, tf.vel_n)},
                    {"velocity_rmse_bh_per_s", std::sqrt(ratio(tf.vel_bh_sq, tf.vel_bh_n))},
                    {"acceleration_mse", ratio(tf.acc_sq, tf.acc_n)},
                    {"acceleration_rmse_bh_per_s2", std::sqrt(ratio(tf.acc_bh_sq, tf.acc_bh_n))},
                    {"action_accuracy", head.top1()},
                    {"action_accuracy_balanced", head.balanced()},
                    {"action_frames", head.n},
                    {"jerk_generated", gen_measures.jerk_mean()},
                    {"jerk_real", real_measures.jerk_mean()},
                    {"jerk_ratio", ratio(gen_measures.jerk_mean(), real_measures.jerk_mean())}};

  // The evaluator on real test windows (the ceiling).
  json per_action = json::object();
  for (const auto& [label, p] : real_tally.per)
  {
    const auto [other, share] = real_tally.confused_with(label);
    per_action[name_of(label)] = {{"windows", p[0]}, {"top1", static_cast<double>(p[1]) / p[0]},
                                  {"top5", static_cast<double>(p[2]) / p[0]}, {"confused_with", other}, {"confused_share", share}};
  }
  result["real"] = {{"windows", real_tally.n},
                    {"top1", real_tally.top1()},
                    {"top5", real_tally.top5()},
                    {"balanced_top1", real_tally.balanced()},
                    {"per_action", per_action}};

  // ACTOR protocol.
  std::vector<std::vector<float>> gen_features;
  std::vector<int> gen_labels;
  Tally gen_tally;
  std::map<int, std::map<int, int>> confusion;
  for (const auto& g : gen) {
    gen_features.push_back(g.scored.features);
    gen_labels.push_back(g.scored.label);
    gen_tally.add(g.scored);
    confusion[g.scored.label][g.scored.top1] += 1;
  }
  const FeatureStats real_stats = balanced_feature_stats(real_features, real_labels);
  const FeatureStats gen_stats = balanced_feature_stats(gen_features, gen_labels);
  // Noise floor: two halves of the real test windows, split by clip (a seeded shuffle of the clips).
  std::vector<size_t> clip_order(test_clips.size());
  for (size_t i = 0; i < clip_order.size(); ++i) clip_order[i] = i;
  std::sort(clip_order.begin(), clip_order.end(),
            [&](size_t a, size_t b) { return mix(o.seed + 17, a) < mix(o.seed + 17, b); });
  std::vector<int> half_of(test_clips.size());
  for (size_t i = 0; i < clip_order.size(); ++i) half_of[clip_order[i]] = static_cast<int>(i % 2);
  std::vector<std::vector<float>> half_f[2];
  std::vector<int> half_l[2];
  for (size_t i = 0; i < real_features.size(); ++i) {
    const int h = half_of[real_clip_of[i]];
    half_f[h].push_back(real_features[i]);
    half_l[h].push_back(real_labels[i]);
  }
  double fid_halves = 0;
  if (!half_f[0].empty() && !half_f[1].empty())
    fid_halves = frechet_distance(balanced_feature_stats(half_f[0], half_l[0]), balanced_feature_stats(half_f[1], half_l[1]));
  const double fid = frechet_distance(gen_stats, real_stats);
  double fid_mean_term = 0;
  for (int k = 0; k < gen_stats.dim; ++k) fid_mean_term += (gen_stats.mean[k] - real_stats.mean[k]) * (gen_stats.mean[k] - real_stats.mean[k]);
  double trace_gen = 0, trace_real = 0;
  for (int k = 0; k < gen_stats.dim; ++k) trace_gen += gen_stats.cov[static_cast<size_t>(k) * gen_stats.dim + k], trace_real += real_stats.cov[static_cast<size_t>(k) * real_stats.dim + k];
  const double div_gen = diversity(gen_features, o.diversity_pairs, mix(o.seed, 1));
  const double div_real = diversity(real_features, o.diversity_pairs, mix(o.seed, 1));
  const double mm_gen = multimodality(gen_features, gen_labels, o.multimodality_pairs, mix(o.seed, 2));
  const double mm_real = multimodality(real_features, real_labels, o.multimodality_pairs, mix(o.seed, 2));
  json gen_per_action = json::object();
  for (const auto& [label, p] : gen_tally.per)
  {
    const auto [other, share] = gen_tally.confused_with(label);
    gen_per_action[name_of(label)] = {{"samples", p[0]}, {"top1", static_cast<double>(p[1]) / p[0]},
                                      {"top5", static_cast<double>(p[2]) / p[0]}, {"confused_with", other}, {"confused_share", share}};
  }
  json conf_labels = json::array(), conf_rows = json::array();
  for (int a : actions) conf_labels.push_back(name_of(a));
  for (int a : actions) {
    json row = json::array();
    int other = 0;
    for (const auto& [pred, n] : confusion[a])
      if (!test_actions.count(pred)) other += n;
    for (int b : actions) row.push_back(confusion[a].count(b) ? confusion[a][b] : 0);
    row.push_back(other);
    conf_rows.push_back(row);
  }
  result["generation"] = {{"clips", gen.size()},
                          {"top1", gen_tally.top1()},
                          {"top1_stderr", gen_tally.top1_stderr()},
                          {"top5", gen_tally.top5()},
                          {"fid", fid},
                          {"fid_real_halves", fid_halves},
                          {"fid_mean_term", fid_mean_term},
                          {"feature_trace", trace_gen},
                          {"feature_trace_real", trace_real},
                          {"fid_real_half_sizes", {half_f[0].size(), half_f[1].size()}},
                          {"diversity", div_gen},
                          {"diversity_real", div_real},
                          {"multimodality", mm_gen},
                          {"multimodality_real", mm_real},
                          {"per_action", gen_per_action},
                          {"confusion", {{"labels", conf_labels}, {"columns", "labels then 'other'"}, {"counts", conf_rows}}}};

  // Text fidelity.
  Tally text_tally;
  std::map<std::string, Tally> by_category;
  json prompt_docs = json::array();
  for (size_t k = 0; k < prompts.size(); ++k) {
    for (const Scored& s : prompts[k].segments) text_tally.add(s), by_category[suite[k].category].add(s);
    prompt_docs.push_back(prompts[k].doc);
  }
  json cats = json::object();
  for (const auto& [name, t] : by_category) cats[name] = {{"segments", t.n}, {"top1", t.top1()}, {"top5", t.top5()}};
  result["text"] = {{"prompts", suite.size()}, {"segments", text_tally.n}, {"top1", text_tally.top1()},
                    {"top5", text_tally.top5()}, {"by_category", cats}, {"results", prompt_docs}};

  // Physical plausibility.
  result["plausibility"] = {{"generated", measures_json(gen_measures)},
                            {"real", measures_json(real_measures)},
                            {"generated_raw", raw_json(gen_raw)},
                            {"real_raw", raw_json(real_raw)}};

  // One number per generation metric, oriented so lower is better (docs/EVALUATION.md, "scores").
  // Diversity and multimodality are reported above but are not scores: random weights can spread
  // their features as widely as real clips (measured), so neither tells a good model from noise.
  const double r1 = real_tally.top1() > 0 ? real_tally.top1() : 1.0;
  json scores{
      {"actor_top1_error", 1.0 - gen_tally.top1()},
      {"actor_top5_error", 1.0 - gen_tally.top5()},
      {"actor_top1_vs_ceiling", gen_tally.top1() / r1},
      {"fid", fid},
      {"text_top1_error", 1.0 - text_tally.top1()},
      {"frozen_gap", std::fabs(gen_measures.frozen_ratio() - real_measures.frozen_ratio())},
      {"jitter_gap", std::fabs(gen_measures.jitter() - real_measures.jitter())},
      {"jerk_log_ratio", log_gap(gen_measures.jerk_mean(), real_measures.jerk_mean(), 1e-3)},
      {"foot_skating_gap", std::fabs(gen_measures.foot_skating() - real_measures.foot_skating())},
      {"raw_ground_gap", std::fabs(gen_raw.ground_error() - real_raw.ground_error())},
      {"raw_bone_drift", gen_raw.bone_drift_mean()},
      {"raw_connectivity", gen_raw.connectivity_mean()},
      {"raw_ground_penetration", gen_raw.penetration_mean()}};
  scores.erase("actor_top1_vs_ceiling");
  result["scores"] = scores;
  result["ceiling_ratio"] = gen_tally.top1() / r1;

  result["timing"] = {{"real_clips_s", real_seconds},   {"teacher_forced_s", tf_seconds}, {"actor_s", actor_seconds},
                      {"prompt_suite_s", text_seconds}, {"total_s", seconds_since(t_start)}, {"threads", threads}};
  note("eval: " + std::to_string(test_clips.size()) + " test clips, " + std::to_string(jobs) + " action clips, " +
       std::to_string(suite.size()) + " prompts in " + std::to_string(static_cast<int>(seconds_since(t_start))) + " s");
  return result;
}

}  // namespace stickgen::eval
