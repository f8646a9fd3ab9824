// Evaluation primitives (no LibTorch): Fréchet distance against closed forms, the matrix square
// root, feature statistics, diversity, the motion measures on clips built to show one defect
// each, the evaluator's forward pass against a direct convolution, its file checks, windows and
// tracks, the prompt suite, and the model card's refusal to print a missing number.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "stickgen/eval.hpp"
#include "stickgen/evaluator.hpp"
#include "stickgen/motion_file.hpp"
#include "stickgen/planner.hpp"
#include "stickgen/safetensors.hpp"
#include "stickgen/synth.hpp"
#include "test_util.hpp"

using namespace stickgen;
using json = nlohmann::json;

namespace {

eval::FeatureStats gaussian(std::vector<double> mean, std::vector<double> cov) {
  eval::FeatureStats s;
  s.dim = static_cast<int>(mean.size());
  s.count = 100;
  s.mean = std::move(mean);
  s.cov = std::move(cov);
  return s;
}

std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, int d) {
  std::vector<double> c(static_cast<size_t>(d) * d, 0.0);
  for (int i = 0; i < d; ++i)
    for (int k = 0; k < d; ++k)
      for (int j = 0; j < d; ++j) c[i * d + j] += a[i * d + k] * b[k * d + j];
  return c;
}

// A random symmetric positive semi-definite matrix A A^T (rank r).
std::vector<double> random_psd(int d, int r, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> a(static_cast<size_t>(d) * r);
  for (auto& x : a) x = g(rng);
  std::vector<double> m(static_cast<size_t>(d) * d, 0.0);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j)
      for (int k = 0; k < r; ++k) m[i * d + j] += a[i * r + k] * a[j * r + k];
  return m;
}

// A clip of one actor whose pose at frame t is `f(t)` applied to the rest pose.
template <class F>
Clip clip_from(int frames, F f) {
  Clip c = Clip::make(SkeletonFormat::v1, frames, 1);
  const auto rest = rest_pose_joints(SkeletonFormat::v1);
  for (int t = 0; t < frames; ++t) {
    auto joints = rest;
    f(t, joints);
    joints_to_segments(c.skeleton(), joints.data(), c.pose(t, 0));
  }
  compute_physics(c);
  return c;
}

// An evaluator file with random weights: the config's layers, given input statistics.
std::string random_evaluator(const EvaluatorConfig& c, uint64_t seed, std::vector<std::vector<float>>* weights = nullptr) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.f, 0.2f);
  SafeTensorsWriter w;
  w.set_metadata("stickgen.format", "evaluator");
  w.set_metadata(evaluator_meta::kConfig, c.to_json());
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    size_t n = 1;
    for (auto s : shape) n *= static_cast<size_t>(s);
    std::vector<float> v(n);
    for (auto& x : v) x = g(rng);
    w.add_f32(name, shape, v);
    if (weights) weights->push_back(v);
  };
  for (size_t i = 0; i < c.layers.size(); ++i) {
    add("conv." + std::to_string(i) + ".weight", {c.layers[i].out, c.layers[i].in, c.layers[i].kernel});
    add("conv." + std::to_string(i) + ".bias", {c.layers[i].out});
  }
  add("fc.weight", {c.num_classes, c.feature_dim()});
  add("fc.bias", {c.num_classes});
  std::vector<float> mean(c.channels, 0.1f), sd(c.channels, 2.f);
  w.add_f32("input.mean", {c.channels}, mean);
  w.add_f32("input.std", {c.channels}, sd);
  if (weights) weights->push_back(mean), weights->push_back(sd);
  return w.to_bytes();
}

}  // namespace

// ---------------------------------------------------------------- FID

TEST(Fid, MatchesTheClosedFormForDiagonalCovariances) {
  // FID = |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2 for diagonal covariances a, b.
  auto a = gaussian({0, 1, 2}, {4, 0, 0, 0, 1, 0, 0, 0, 9});
  auto b = gaussian({1, 1, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 16});
  const double want = (1 + 0 + 4) + (2 - 1) * (2 - 1) + 0 + (3 - 4) * (3 - 4);
  EXPECT_NEAR(eval::frechet_distance(a, b), want, 1e-9);
  EXPECT_NEAR(eval::frechet_distance(b, a), want, 1e-9);
  EXPECT_NEAR(eval::frechet_distance(a, a), 0.0, 1e-9);
}

TEST(Fid, HandlesNonCommutingAndSingularCovariances) {
  const int d = 6;
  auto s1 = random_psd(d, d, 1), s2 = random_psd(d, 3, 2);  // s2 is rank 3
  // Reference: tr((S1 S2)^1/2) = sum of sqrt(eigenvalues of S1 S2) = tr((R1 S2 R1)^1/2), with R1
  // checked to be a square root of S1 first.
  auto r1 = eval::sqrt_psd(s1, d);
  auto back = matmul(r1, r1, d);
  for (int i = 0; i < d * d; ++i) EXPECT_NEAR(back[i], s1[i], 1e-8 * (1 + std::fabs(s1[i])));
  auto inner = matmul(matmul(r1, s2, d), r1, d);
  auto root = eval::sqrt_psd(inner, d);
  auto sq = matmul(root, root, d);
  for (int i = 0; i < d * d; ++i) EXPECT_NEAR(sq[i], inner[i], 1e-7 * (1 + std::fabs(inner[i])));
  double tr = 0, t1 = 0, t2 = 0;
  for (int i = 0; i < d; ++i) tr += root[i * d + i], t1 += s1[i * d + i], t2 += s2[i * d + i];
  auto a = gaussian(std::vector<double>(d, 0.0), s1), b = gaussian(std::vector<double>(d, 0.5), s2);
  EXPECT_NEAR(eval::frechet_distance(a, b), d * 0.25 + t1 + t2 - 2 * tr, 1e-7);
  // A trace-only approximation (SPEC §9.7) would differ here: tr(S1 + S2 - 2 sqrt(S1 S2)) needs
  // the cross term, and it is not sqrt(tr S1 tr S2).
  EXPECT_GT(std::fabs(tr - std::sqrt(t1 * t2)), 1e-3);
}

TEST(Fid, FeatureStatsAreWeightedAndBalanced) {
  std::vector<std::vector<float>> f{{0, 0}, {2, 0}, {0, 4}, {0, 4}, {0, 4}};
  auto plain = eval::feature_stats(f);
  EXPECT_NEAR(plain.mean[0], 0.4, 1e-9);
  EXPECT_NEAR(plain.mean[1], 2.4, 1e-9);
  // Balanced over labels {0, 0, 1, 1, 1}: the two groups weigh the same.
  auto bal = eval::balanced_feature_stats(f, {0, 0, 1, 1, 1});
  EXPECT_NEAR(bal.mean[0], 0.5, 1e-9);
  EXPECT_NEAR(bal.mean[1], 2.0, 1e-9);
  // Equal weights reproduce the unbiased covariance.
  std::vector<std::vector<float>> g{{1, 2}, {3, 2}, {5, 8}};
  auto s = eval::feature_stats(g);
  EXPECT_NEAR(s.cov[0], 4.0, 1e-9);  // var of 1, 3, 5
  EXPECT_NEAR(s.cov[3], 12.0, 1e-9);  // var of 2, 2, 8
  EXPECT_NEAR(s.cov[1], 6.0, 1e-9);
}

TEST(Diversity, IsZeroForIdenticalFeaturesAndDeterministic) {
  std::vector<std::vector<float>> same(10, std::vector<float>{1, 2, 3});
  EXPECT_EQ(eval::diversity(same, 50, 1), 0.0);
  std::vector<std::vector<float>> spread;
  for (int i = 0; i < 20; ++i) spread.push_back({static_cast<float>(i), 0.f});
  EXPECT_GT(eval::diversity(spread, 100, 3), 1.0);
  EXPECT_EQ(eval::diversity(spread, 100, 3), eval::diversity(spread, 100, 3));
  std::vector<int> labels(20);
  for (int i = 0; i < 20; ++i) labels[i] = i < 10 ? 0 : 1;
  // Within-label spread is smaller than overall spread.
  EXPECT_LT(eval::multimodality(spread, labels, 100, 3), eval::diversity(spread, 100, 3));
}

// ---------------------------------------------------------------- motion measures

TEST(MotionMeasures, FrozenClipIsAllFrozenAndHasNoJitter) {
  Clip still = clip_from(50, [](int, std::vector<Vec2>&) {});
  auto m = eval::measure_track(still, 0, 0, still.frames);
  EXPECT_DOUBLE_EQ(m.frozen_ratio(), 1.0);
  EXPECT_DOUBLE_EQ(m.jitter(), 0.0);
  EXPECT_NEAR(m.jerk_mean(), 0.0, 1e-3);  // float rounding of absolute positions
  EXPECT_DOUBLE_EQ(m.foot_skating(), 0.0);
  EXPECT_GT(m.contact_ratio(), 0.9);  // both feet on the floor
  EXPECT_NEAR(m.bone_drift_mean(), 0.0, 1e-6);
}

TEST(MotionMeasures, SeparateSlidingShakingAndSmoothMotion) {
  // Sliding: the whole figure glides along the floor, feet planted -> skating, not frozen.
  Clip slide = clip_from(50, [](int t, std::vector<Vec2>& j) {
    for (auto& p : j) p.x += 0.05f * t;
  });
  auto s = eval::measure_track(slide, 0, 0, slide.frames);
  EXPECT_NEAR(s.foot_skating(), 0.05 * 25 / eval::median_body_height(slide, 0, 0, 50), 1e-3);
  EXPECT_EQ(s.frozen_ratio(), 0.0);
  EXPECT_NEAR(s.jitter(), 0.0, 1e-6);  // constant velocity: no acceleration at all
  // Shaking: alternating offsets -> accelerations reverse every frame.
  Clip shake = clip_from(50, [](int t, std::vector<Vec2>& j) {
    for (auto& p : j) p.x += (t % 2 ? 0.02f : -0.02f);
  });
  auto k = eval::measure_track(shake, 0, 0, shake.frames);
  EXPECT_GT(k.jitter(), 0.95);
  EXPECT_GT(k.jerk_mean(), 100.0);
  // Smooth swinging arm: little reversal, modest jerk.
  Clip swing = clip_from(75, [](int t, std::vector<Vec2>& j) { j[v1::r_hand].y += 0.3f * std::sin(t * 0.2f); });
  auto w = eval::measure_track(swing, 0, 0, swing.frames);
  EXPECT_LT(w.jitter(), 0.1);
  EXPECT_LT(w.jerk_mean(), k.jerk_mean() / 10);
  // A torso stretching by 10 % drifts; the raw-pose measure sees penetration and broken joints.
  Clip stretch = clip_from(20, [](int t, std::vector<Vec2>& j) { j[v1::neck].y += (t % 2) * 0.1f * 0.8f; });
  EXPECT_GT(eval::measure_track(stretch, 0, 0, 20).bone_drift_mean(), 0.01);
  std::vector<float> raw(stretch.pose(0, 0), stretch.pose(0, 0) + 20);
  raw[1] -= 0.5f;  // torso start (neck) no longer meets the arms' start, and one point under the floor
  raw[3] = -0.2f;
  auto r = eval::measure_raw_poses(SkeletonFormat::v1, raw, 1, eval::median_segment_lengths(stretch, 0, 0, 1), 2.6f);
  EXPECT_GT(r.connectivity_mean(), 0.1);
  EXPECT_NEAR(r.penetration_mean(), 0.2 / 2.6, 1e-5);
}

TEST(MotionMeasures, SynthesisedWalkIsCleanAndMoving) {
  SingleAction a;
  a.action = act::walk;
  a.seconds = 4.f;
  SynthOptions o;
  o.format = SkeletonFormat::v1;
  Clip walk = synthesize_action(a, o);
  auto m = eval::measure_track(walk, 0, 0, walk.frames);
  EXPECT_LT(m.frozen_ratio(), 0.1);
  EXPECT_LT(m.foot_skating(), 0.05);
  EXPECT_GT(m.contact_ratio(), 0.2);
  EXPECT_LT(m.penetration_mean(), 0.01);
}

// ---------------------------------------------------------------- evaluator (core)

TEST(Evaluator, ForwardMatchesADirectConvolution) {
  EvaluatorConfig c = EvaluatorConfig::defaults();
  c.layers = {{kEvaluatorChannels, 8, 5, 1}, {8, 6, 3, 2}};
  c.num_classes = 64;
  std::vector<std::vector<float>> w;
  Evaluator ev = Evaluator::from_bytes(random_evaluator(c, 7, &w));
  const int T = 23;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g;
  std::vector<float> track(static_cast<size_t>(T) * kEvaluatorChannels);
  for (auto& x : track) x = g(rng);
  // Direct evaluation of the definition.
  const auto& mean = w[w.size() - 2];
  const auto& sd = w[w.size() - 1];
  std::vector<std::vector<float>> x(T, std::vector<float>(kEvaluatorChannels));
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < kEvaluatorChannels; ++k) x[t][k] = (track[t * kEvaluatorChannels + k] - mean[k]) / sd[k];
  for (size_t l = 0; l < c.layers.size(); ++l) {
    const auto& L = c.layers[l];
    const auto& W = w[2 * l];
    const auto& B = w[2 * l + 1];
    const int n = static_cast<int>(x.size()), pad = L.kernel / 2;
    const int out_n = (n + 2 * pad - L.kernel) / L.stride + 1;
    std::vector<std::vector<float>> y(out_n, std::vector<float>(L.out));
    for (int t = 0; t < out_n; ++t)
      for (int o = 0; o < L.out; ++o) {
        double s = B[o];
        for (int j = 0; j < L.kernel; ++j) {
          const int src = t * L.stride - pad + j;
          if (src < 0 || src >= n) continue;
          for (int ci = 0; ci < L.in; ++ci) s += W[(static_cast<size_t>(o) * L.in + ci) * L.kernel + j] * x[src][ci];
        }
        y[t][o] = static_cast<float>(std::max(0.0, s));
      }
    x = y;
  }
  std::vector<float> pooled(c.feature_dim(), 0.f);
  for (const auto& row : x)
    for (int k = 0; k < c.feature_dim(); ++k) pooled[k] += row[k] / x.size();
  std::vector<float> logits(c.num_classes), feats(c.feature_dim());
  ev.forward(track.data(), T, logits.data(), feats.data());
  for (int k = 0; k < c.feature_dim(); ++k) EXPECT_NEAR(feats[k], pooled[k], 1e-4);
  const auto& FW = w[2 * c.layers.size()];
  const auto& FB = w[2 * c.layers.size() + 1];
  for (int o = 0; o < c.num_classes; ++o) {
    double s = FB[o];
    for (int k = 0; k < c.feature_dim(); ++k) s += FW[static_cast<size_t>(o) * c.feature_dim() + k] * pooled[k];
    EXPECT_NEAR(logits[o], s, 1e-4);
  }
}

TEST(Evaluator, RejectsMalformedFiles) {
  EvaluatorConfig c = EvaluatorConfig::defaults();
  const std::string good = random_evaluator(c, 1);
  EXPECT_NO_THROW(Evaluator::from_bytes(good));
  auto expect_error = [](const std::string& bytes, const std::string& needle) {
    try {
      Evaluator::from_bytes(bytes, "ev.safetensors");
      ADD_FAILURE() << "accepted a bad file (" << needle << ")";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  };
  // A model file, not an evaluator.
  SafeTensorsWriter other;
  other.set_metadata("stickgen.format", "model");
  other.add_f32("x", {1}, std::vector<float>{1.f});
  expect_error(other.to_bytes(), "not an evaluator");
  // Names quoted from the file stay on the error's one line (the fuzzer found a format with a newline).
  SafeTensorsWriter multiline;
  multiline.set_metadata("stickgen.format", "model\nsecond line");
  multiline.add_f32("x", {1}, std::vector<float>{1.f});
  expect_error(multiline.to_bytes(), "is 'model\\nsecond line'");
  // A layer whose shape disagrees with the config.
  EvaluatorConfig wider = c;
  wider.layers[1].out = 100;
  wider.layers[2].in = 100;
  auto bytes = random_evaluator(wider, 1);
  auto f = SafeTensorsFile::from_bytes(bytes);
  SafeTensorsWriter w;
  for (const auto& [k, v] : f.metadata()) w.set_metadata(k, v);
  w.set_metadata(evaluator_meta::kConfig, c.to_json());  // claims the default widths
  for (const auto& t : f.tensors()) w.add(t.name, t.dtype, t.shape, t.data, t.nbytes);
  expect_error(w.to_bytes(), "conv.1.weight");
  // A bad config.
  EvaluatorConfig bad = c;
  bad.layers[0].in = 5;
  EXPECT_THROW(bad.validate(), Error);
}

TEST(Evaluator, TracksWindowsAndMirroring) {
  SingleAction a;
  a.action = act::walk;
  a.seconds = 4.f;
  SynthOptions o;
  o.format = SkeletonFormat::v3;  // converted to v1 by evaluator_clip
  Clip walk = evaluator_clip(synthesize_action(a, o));
  ASSERT_EQ(walk.format, SkeletonFormat::v1);
  auto track = evaluator_track(walk, 0, 0, walk.frames);
  ASSERT_EQ(track.size(), static_cast<size_t>(walk.frames) * kEvaluatorChannels);
  // The hip (torso end) sits at x = 0 relative to the root; the walker travels at ~1.9 units/s.
  double vx = 0;
  for (int t = 0; t < walk.frames; ++t) {
    EXPECT_NEAR(track[t * kEvaluatorChannels + 2], 0.f, 1e-4);
    vx += track[t * kEvaluatorChannels + 20] / walk.frames;
  }
  EXPECT_GT(std::fabs(vx), 1.0);
  auto mirrored = track;
  mirror_track(mirrored.data(), walk.frames);
  EXPECT_FLOAT_EQ(mirrored[20], -track[20]);
  EXPECT_FLOAT_EQ(mirrored[4 * v1::l_leg + 2], -track[4 * v1::r_leg + 2]);
  mirror_track(mirrored.data(), walk.frames);
  EXPECT_EQ(mirrored, track);
  // 100 frames -> windows at 0, 25, 50, all labelled walk.
  auto ws = extract_windows(walk, 3, 50, 25, 0.6f);
  ASSERT_EQ(ws.size(), 3u);
  for (const auto& w : ws) {
    EXPECT_EQ(w.label, act::walk);
    EXPECT_EQ(w.clip, 3u);
    EXPECT_FLOAT_EQ(w.purity, 1.f);
  }
  // Half the frames relabelled: purity 0.5 drops the middle window at min_purity 0.6.
  for (int t = 50; t < walk.frames; ++t) walk.actions[walk.slot(t, 0)] = act::wave;
  ws = extract_windows(walk, 0, 50, 25, 0.6f);
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].label, act::walk);
  EXPECT_EQ(ws[1].label, act::wave);
}

TEST(Evaluator, ClassifyAveragesWindowsOverLongSpans) {
  EvaluatorConfig c = EvaluatorConfig::defaults();
  Evaluator ev = Evaluator::from_bytes(random_evaluator(c, 5));
  SingleAction a;
  a.action = act::wave;
  a.seconds = 4.f;
  SynthOptions o;
  o.format = SkeletonFormat::v1;
  Clip clip = synthesize_action(a, o);
  auto whole = ev.classify(clip, 0, 0, 100);  // windows at 0, 25, 50
  std::vector<float> mean(c.feature_dim(), 0.f);
  for (int s : {0, 25, 50}) {
    auto r = ev.classify(clip, 0, s, s + 50);
    for (int k = 0; k < c.feature_dim(); ++k) mean[k] += r.features[k] / 3;
  }
  for (int k = 0; k < c.feature_dim(); ++k) EXPECT_NEAR(whole.features[k], mean[k], 1e-4);
  EXPECT_EQ(whole.probabilities.size(), 64u);
  EXPECT_TRUE(whole.in_top(whole.top1, 1));
  EXPECT_THROW(ev.classify(clip, 0, 0, 5), Error);  // shorter than min_frames
}

// `stickgen classify` with the shipped evaluator: a synthesised walk and wave are recognised, the
// span and JSON output follow the flags, and bad input gets a one-line error.
TEST(ClassifyCommand, RecognisesSynthesisedActionsWithTheShippedEvaluator) {
  namespace fs = std::filesystem;
  const fs::path evaluator = test::source_dir() / "models" / "evaluator.safetensors";
  ASSERT_TRUE(fs::exists(evaluator)) << evaluator;
  test::TempDir dir;
  SynthOptions o;
  o.format = SkeletonFormat::v3;  // converted to v1 by the command, as for any clip
  for (int action : {static_cast<int>(act::walk), static_cast<int>(act::wave)}) {
    SingleAction a;
    a.action = action;
    a.seconds = 4.f;
    const fs::path clip = dir / (std::string(action_name(action)) + ".motion");
    write_motion_file(clip, synthesize_action(a, o));
    auto r = test::run_stickgen("classify " + test::shell_quote(clip.string()) + " --json -k 3 --from 1 --to 3.5 --evaluator " +
                                test::shell_quote(evaluator.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    ASSERT_EQ(j["top"].size(), 3u);
    EXPECT_EQ(j["top"][0]["action"], std::string(action_name(action))) << r.output;
    EXPECT_GE(j["top"][0]["probability"].get<double>(), j["top"][1]["probability"].get<double>());
    EXPECT_DOUBLE_EQ(j["from"].get<double>(), 1.0);
    EXPECT_NEAR(j["to"].get<double>(), 3.5, 0.5 / 25 + 1e-9);  // rounded to the evaluator's frames
  }
  const std::string walk = test::shell_quote((dir / "walk.motion").string());
  auto text = test::run_stickgen("classify " + walk);  // the shipped evaluator by default
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("walk"), std::string::npos) << text.output;
  auto bad_actor = test::run_stickgen("classify " + walk + " --actor 2");
  EXPECT_EQ(bad_actor.exit_code, 1);
  EXPECT_NE(bad_actor.output.find("--actor: the clip has 1 actor(s)"), std::string::npos) << bad_actor.output;
  auto short_span = test::run_stickgen("classify " + walk + " --from 3.95");
  EXPECT_EQ(short_span.exit_code, 1);
  EXPECT_NE(short_span.output.find("shorter than"), std::string::npos) << short_span.output;
  std::ofstream(dir / "broken.motion") << "{\"motion\": [";
  auto broken = test::run_stickgen("classify " + test::shell_quote((dir / "broken.motion").string()));
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find("not valid JSON"), std::string::npos) << broken.output;
}

// ---------------------------------------------------------------- prompt suite and card

TEST(PromptSuite, HasTwoHundredValidPromptsInEveryCategory) {
  auto suite = eval::prompt_suite();
  EXPECT_GE(suite.size(), 200u);
  std::map<std::string, int> categories;
  std::set<int> single_actions;
  int multi = 0;
  for (const auto& p : suite) {
    ++categories[p.category];
    Plan plan = plan_prompt(p.text, PlannerOptions{.duration = 8.f});
    EXPECT_EQ(check_plan(plan), "") << p.text;
    if (p.category == "single") single_actions.insert(plan.actors.at(0).timeline.at(0).action);
    if (p.category == "multi_actor") multi += plan.actors.size() >= 2;
    if (p.category == "sequence") {
      EXPECT_GE(plan.actors.at(0).timeline.size(), 2u) << p.text;
    }
  }
  for (const char* c : {"single", "paraphrase", "sequence", "multi_actor"}) EXPECT_GE(categories[c], 30) << c;
  EXPECT_GE(multi, categories["multi_actor"] * 9 / 10);
  // Canonical prompts plan back to their own action for (nearly) every action.
  EXPECT_GE(single_actions.size(), 60u);
  EXPECT_EQ(eval::prompt_suite().size(), suite.size());  // deterministic
}

TEST(PromptSuite, ReadsFilesWithCategories) {
  test::TempDir dir;
  std::ofstream(dir / "p.txt") << "# comment\nsingle\ta person walks\n\na man waves\n";
  auto s = eval::read_prompt_suite(dir / "p.txt");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].category, "single");
  EXPECT_EQ(s[0].text, "a person walks");
  EXPECT_EQ(s[1].category, "custom");
  std::ofstream(dir / "empty.txt") << "# nothing\n";
  EXPECT_THROW(eval::read_prompt_suite(dir / "empty.txt"), Error);
}

TEST(ModelCard, RefusesToPrintAMissingNumber) {
  try {
    eval::model_card_markdown(json{{"model", json::object()}}, json::object());
    FAIL() << "a card was written from an empty eval";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is missing"), std::string::npos) << e.what();
  }
}
