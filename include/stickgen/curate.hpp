// Curation: a per-clip quality score made of terms that each measure one thing, the pretrain and SFT
// splits (held out by base clip, stratified by action, source-balanced), and the report / `data stats`
// summary with its charts. Formula, thresholds and rules: docs/DATA.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "stickgen/motion.hpp"

namespace stickgen {

// ---------------------------------------------------------------- quality

// Each term maps one measurement onto [0, 1] with a ramp: 1 at or below `good`, 0 at or above `bad`.
struct Ramp {
  float good = 0.f, bad = 1.f;
  float operator()(float x) const;
};

struct QualityThresholds {
  Ramp speed{20.f, 30.f};           // max root speed, units/s (SPEC §7 limit 20)
  Ramp accel{100.f, 200.f};         // max root acceleration, units/s^2 (SPEC §7 limit 100)
  Ramp physics_error{1e-3f, 5e-2f}; // stored vs recomputed physics, max |diff| / (1 + max |value|)
  Ramp ground{0.03f, 0.3f};         // deepest joint below the floor y = 0, units
  Ramp bone_drift{0.03f, 0.15f};    // rigid bones (v3 all but pelvis width; v1 torso): max |len/median - 1|
  Ramp limb_jitter{0.15f, 0.5f};    // v1 legs/arms: median share of length second-difference energy flipping sign
  Ramp jitter{0.15f, 0.55f};        // median share of joint-acceleration energy flipping sign frame to frame
  Ramp spikes{0.004f, 0.05f};       // share of frames in which a joint jumps (isolated one-frame step)
  Ramp skating{0.03f, 0.25f};       // planted-foot horizontal slip, body heights/s
  Ramp statics{0.5f, 0.95f};        // share of frames in which no joint moves
  Ramp repetition{0.1f, 0.8f};      // share of frames inside copy-pasted (near-identical) windows
};

struct QualityWeights {  // exponents of the weighted geometric mean (they sum to 1)
  float physics = 0.25f, bones = 0.2f, jitter = 0.15f, skating = 0.15f, statics = 0.1f, repetition = 0.15f;
};

struct QualityScore {
  // terms in [0, 1] (1 = clean)
  float physics = 1.f, bones = 1.f, jitter = 1.f, skating = 1.f, statics = 1.f, repetition = 1.f;
  float quality = 1.f;  // weighted geometric mean of the terms
  // measurements behind them (worst actor)
  float max_speed = 0.f, max_accel = 0.f, physics_error = 0.f, ground_depth = 0.f;
  float bone_drift = 0.f, limb_jitter = 0.f, jitter_value = 0.f, spike_rate = 0.f, foot_slip = 0.f;
  float static_ratio = 0.f, repeat_ratio = 0.f;
  std::string lowest;  // name of the lowest term ("physics", "bones", ...)
};

// Scores one clip (stored physics compared with recomputed; empty stored physics counts as consistent).
QualityScore score_clip(const Clip& clip, const QualityThresholds& th = {}, const QualityWeights& w = {});

// The 64 ids plus -1 for a clip without labels: the action with the most labelled actor-frames.
int primary_action(const Clip& clip);

// SPEC §7 source weights (humanml3d 1.0 ... synthetic 0.6; unknown sources 0.75).
float source_weight(const std::string& source);

// ---------------------------------------------------------------- curation

struct SftGate {
  float min_quality = 0.8f;
  float max_speed = 18.f;      // units/s (90 % of SPEC §7's limit)
  float max_accel = 100.f;     // units/s^2: the limit itself, not the pretrain ramp beyond it
  float max_physics_error = 1e-3f;
  float max_ground_depth = 0.02f;
  float max_foot_slip = 0.06f; // body heights/s
  float min_bones = 0.9f;      // bone term
  float min_jitter = 0.5f;     // jitter term
  float max_spike_rate = 0.008f;  // joint jumps: at most 2 frames in 10 s
  float max_repeat_ratio = 0.1f;  // frames inside repeated windows
};

struct CurateOptions {
  float pretrain_min = 0.5f;  // quality bar of the pretrain split
  SftGate sft;
  int sft_size = 1500;        // cap on SFT train clips (our CPU fine-tuning budget: 1 000 - 2 000)
  float val_share = 0.05f, test_share = 0.05f;  // of base clips
  uint64_t seed = 1;          // split hashing and SFT sampling
  int jobs = 0;               // scoring threads (0 = hardware)
  QualityThresholds thresholds;
  QualityWeights weights;
  std::function<void(int64_t done, int64_t total, const std::string& stage)> progress;
};

struct CurateSummary {
  int64_t input = 0, pretrain = 0, sft = 0;
  std::map<std::string, int64_t> pretrain_splits, sft_splits;  // train/val/test -> clips
  std::map<std::string, int64_t> rejections;    // pretrain: "invalid:<code>", "low_quality:<term>", "heldout_augmentation"
  std::map<std::string, int64_t> sft_rejections;  // train clips left out of SFT: "sft:quality", "sft:<gate>", "sft:stratum_cap"
  std::map<int, int64_t> sft_action_counts;      // SFT train, by primary action
  double sft_max_over_median = 0.0;              // max / median of sft_action_counts (actions present)
  int sft_quota = 0;                             // per-action cap the stratifier chose
  std::vector<int> sft_missing_actions;          // actions in the input with no clip passing the SFT gate
  double seconds = 0.0;
};

// Reads one or more datasets (same skeleton format), scores every clip and writes OUT/pretrain/ and OUT/sft/
// (dataset directories whose records carry split = train|val|test, quality and the terms) plus
// OUT/report.md and its PNG charts.
CurateSummary curate(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out,
                     const CurateOptions& opts = {});

// ---------------------------------------------------------------- stats

struct DatasetStats {
  std::string name;
  int64_t clips = 0, frames = 0;
  double seconds = 0.0;
  std::string format;
  int max_actors = 0;
  std::map<int, int64_t> actors;                      // actors per clip -> clips
  std::map<int, int64_t> primary;                     // primary action -> clips
  std::map<int, int64_t> action_frames;               // action -> labelled actor-frames
  std::map<std::string, int64_t> sources, splits, augmented;  // augmented: "base" / tag kind
  std::vector<float> quality;                         // per clip (stored, or scored when absent)
  bool scored = false;                                // quality was computed here (none was stored)
  std::map<std::string, std::vector<float>> terms;    // per term, per clip (scored or stored q_* fields)
  std::map<std::string, int64_t> invalid;             // validation issue codes
};

// Summarises a dataset; clips without a stored quality are scored (unless `score` is false).
DatasetStats dataset_stats(const std::filesystem::path& dir, bool score = true, int jobs = 0,
                           const std::function<void(int64_t, int64_t)>& progress = {});
// The printed summary (a few lines per section).
std::string stats_text(const DatasetStats& s);
// PNG charts (actions.png, action_frames.png, sources.png, quality.png, terms.png, actors.png) and
// stats.md into `dir`; returns the file names written.
std::vector<std::string> write_stats_report(const DatasetStats& s, const std::filesystem::path& dir);

}  // namespace stickgen
