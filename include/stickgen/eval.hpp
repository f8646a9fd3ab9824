// Evaluation of a generator (`stickgen eval`): the card's metrics under teacher forcing, the
// action-to-motion protocol (ACTOR / Action2Motion) scored by the independent evaluator, physical
// plausibility of free rollouts next to real clips, text fidelity over a prompt suite; a JSON
// result, a markdown report with PNG charts, and the model card built from them.
// Every definition: docs/EVALUATION.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stickgen/generate.hpp"
#include "stickgen/motion.hpp"

namespace stickgen::eval {

// ---------------------------------------------------------------- feature statistics

// Mean and covariance of a set of feature vectors, optionally weighted (weights are normalised).
struct FeatureStats {
  int dim = 0;
  double count = 0;            // number of vectors
  std::vector<double> mean;    // [dim]
  std::vector<double> cov;     // [dim, dim] row-major, weighted, with the unbiased (n / (n - 1)) factor
};
FeatureStats feature_stats(const std::vector<std::vector<float>>& features, const std::vector<double>& weights = {});
// Every label weighs the same in total (each vector weighs 1 / count of its label), so sets with
// different action mixes are compared as if both were balanced.
FeatureStats balanced_feature_stats(const std::vector<std::vector<float>>& features, const std::vector<int>& labels);

// Square root of a symmetric positive semi-definite matrix [d, d] through its symmetric
// eigendecomposition (negative eigenvalues from rounding are clamped to 0).
std::vector<double> sqrt_psd(const std::vector<double>& m, int d);
// Fréchet distance between Gaussians: |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2).
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

// Mean Euclidean distance between `pairs` random pairs of vectors (ACTOR's diversity).
double diversity(const std::vector<std::vector<float>>& features, int pairs, uint64_t seed);
// Mean over labels (with >= 2 vectors) of the mean distance between `pairs` random pairs of vectors
// with that label (ACTOR's multimodality).
double multimodality(const std::vector<std::vector<float>>& features, const std::vector<int>& labels, int pairs,
                     uint64_t seed);

// ---------------------------------------------------------------- motion measures

// Sums over the frames of one or more actor tracks; value() = sum / count. Lengths are in body
// heights (the track's median body_height), time in seconds.
struct MotionMeasures {
  double frames = 0;                 // frame transitions measured
  double frozen = 0;                 // transitions where no joint moves faster than kFrozenSpeed
  double accel_energy = 0, accel_flip_energy = 0;  // jitter: energy of joint accelerations, and of those reversing
  double jerk = 0, jerk_count = 0;   // |third difference| * fps^3, body heights / s^3, per joint
  double contact = 0, contact_slip = 0;  // foot contact frames, and their summed horizontal foot speed (BH/s)
  double ground = 0, ground_count = 0;   // |lowest joint height| (BH) per frame
  double penetration = 0;            // max(0, -lowest joint height) (BH) per frame
  double bone_drift = 0, bone_count = 0;  // |length / reference - 1| of rigid segments per frame
  double connectivity = 0;           // raw poses: largest endpoint disagreement (BH) per frame (ground_count frames)

  void add(const MotionMeasures& o);
  double frozen_ratio() const { return frames > 0 ? frozen / frames : 0; }
  double jitter() const { return accel_energy > 0 ? accel_flip_energy / accel_energy : 0; }
  double jerk_mean() const { return jerk_count > 0 ? jerk / jerk_count : 0; }
  double foot_skating() const { return contact > 0 ? contact_slip / contact : 0; }
  double contact_ratio() const { return frames > 0 ? contact / (2 * frames) : 0; }
  double ground_error() const { return ground_count > 0 ? ground / ground_count : 0; }
  double penetration_mean() const { return ground_count > 0 ? penetration / ground_count : 0; }
  double bone_drift_mean() const { return bone_count > 0 ? bone_drift / bone_count : 0; }
  double connectivity_mean() const { return ground_count > 0 ? connectivity / ground_count : 0; }
};

constexpr double kFrozenSpeed = 0.1;       // body heights / s: slower than this in every joint = frozen (above generation-noise wiggle)
constexpr double kContactHeight = 0.03;    // body heights: a foot this close to the floor is in contact
constexpr double kAccelFloor = 0.5;        // body heights / s^2: smaller joint accelerations are not jitter (rounding)

// Frames [begin, end) of one actor of a v1 clip (see evaluator_clip). Bone drift is measured
// against the median length of each rigid segment in the span.
MotionMeasures measure_track(const Clip& v1_clip, int actor, int begin, int end);
// Raw network poses (before reconciliation), `poses` [frames, dims] of `format`: drift of rigid
// segments against `reference_lengths` (one per segment), endpoint disagreement (connectivity),
// ground error and penetration; `body_height` in units.
MotionMeasures measure_raw_poses(SkeletonFormat format, const std::vector<float>& poses, int frames,
                                 const std::vector<float>& reference_lengths, float body_height);
// Median length of every segment over frames [begin, end) of one actor (any format).
std::vector<float> median_segment_lengths(const Clip& clip, int actor, int begin, int end);
// Median body_height over frames [begin, end) of one actor.
float median_body_height(const Clip& clip, int actor, int begin, int end);

// ---------------------------------------------------------------- prompt suite

struct SuitePrompt {
  std::string text;
  std::string category;  // single, paraphrase, sequence, multi_actor
};
// The built-in text-fidelity suite (>= 200 prompts): every action in its canonical phrasing, lexicon
// paraphrases, two- and three-step sequences and multi-actor scenes. Deterministic.
std::vector<SuitePrompt> prompt_suite();
// Reads a suite file: one prompt per line, optionally "category<TAB>prompt"; '#' starts a comment.
std::vector<SuitePrompt> read_prompt_suite(const std::filesystem::path& path);

// The prompt the ACTOR protocol encodes for an action alone ("a person waves",
// "two people shake hands").
std::string canonical_prompt(int action);

// ---------------------------------------------------------------- the whole evaluation

struct EvalOptions {
  std::filesystem::path model, data, evaluator;  // evaluator: "" = models/evaluator.safetensors beside the model
  std::filesystem::path prompts;                 // "" = the built-in suite
  uint64_t seed = 1;
  int samples = 40;              // generated clips per action (ACTOR protocol; 10 left top-1 ±2 points between seeds)
  float action_seconds = 3.f;    // length of each generated single-action clip
  float warmup_seconds = 1.f;    // its first second (leaving the standing start) is not scored
  float prompt_seconds = 8.f;    // plan length for the prompt suite
  int max_prompts = 0;           // 0 = the whole suite
  int max_test_clips = 0;        // 0 = every test clip (teacher-forced metrics, real references)
  int max_frames = 250;          // teacher-forced window per sequence
  int threads = 0;               // worker threads (0 = hardware)
  float noise = GenerateOptions{}.noise;        // generation noise (GenerateOptions::noise)
  float guidance = GenerateOptions{}.guidance;  // action guidance (GenerateOptions::guidance)
  float prime = GenerateOptions{}.prime_seconds;  // procedural opening (GenerateOptions::prime_seconds)
  int candidates = GenerateOptions{}.candidates;   // candidate takes (GenerateOptions::candidates)
  float candidate_seconds = GenerateOptions{}.candidate_seconds;
  bool draw_hypotheses = GenerateOptions{}.draw_hypotheses;  // (GenerateOptions::draw_hypotheses)
  bool ground_contact = GenerateOptions{}.ground_contact;    // (GenerateOptions::ground_contact)
  int diversity_pairs = 200, multimodality_pairs = 10;
  bool progress = true;
  std::filesystem::path samples_dir;  // when set: the first clip of every action and of the first 20 prompts as .motion
  std::function<void(const std::string&)> log;  // one-line notes (stderr by default)
};

// Runs everything; returns the result document (all numbers; docs/EVALUATION.md lists its keys).
nlohmann::json evaluate(const EvalOptions& options);

// Writes eval.json, report.md and the PNG charts (per_action.png, confusion.png, metrics.png,
// text_fidelity.png) into `dir`; returns the file names.
std::vector<std::string> write_eval_report(const nlohmann::json& result, const std::filesystem::path& dir);
std::string eval_markdown(const nlohmann::json& result);

// MODEL_CARD.md from an eval result and a benchmark document (bench/run_benchmarks.sh's JSON).
// Error naming the first missing number: a card never says "TBD".
std::string model_card_markdown(const nlohmann::json& eval, const nlohmann::json& bench);

}  // namespace stickgen::eval
