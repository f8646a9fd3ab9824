// Synthetic corpus: N sampled scenes rendered by the procedural engine into a dataset directory, on
// several threads, deterministic for a seed, resumable. Layout and resume rules: docs/DATA.md.
//
// Clip i depends only on (seed, i): scene sample_scene(seed, i, attempt), engine seed derived from
// (seed, i, attempt). Work is cut into shards of `shard_size` consecutive clips; each finished shard is a
// dataset directory DIR.partial/shard-NNNNN that appears atomically. A killed run leaves finished shards
// (and perhaps a half-written spool, removed on restart); rerunning with the same options skips them.
// When every shard exists they are merged, in order, into DIR (atomically) and DIR.partial is removed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "stickgen/augment.hpp"
#include "stickgen/motion.hpp"
#include "stickgen/scene.hpp"

namespace stickgen {

struct CorpusOptions {
  int64_t clips = 1000;       // base scenes
  uint64_t seed = 1;
  SkeletonFormat format = SkeletonFormat::v1;
  int jobs = 0;               // worker threads (0 = hardware threads)
  int shard_size = 250;       // clips per shard (the unit of resume)
  int augment = 0;            // label-preserving variants written after each base clip
  int max_attempts = 24;      // scenes drawn for one clip before giving up (invalid clip or text mismatch)
  SceneOptions scene;
  AugmentOptions augmentation;
  // Testing: behave as if killed once this run has finished this many shards (-1: never).
  int stop_after_shards = -1;
  std::function<void(int64_t done, int64_t total)> progress;  // clips (base) done; called from one thread
};

struct CorpusSummary {
  int64_t clips = 0;          // written (base + augmented)
  int64_t base = 0, augmented = 0;
  int64_t shards = 0, shards_reused = 0, shards_done = 0;  // total, found at start, existing at the end
  int64_t redraws = 0;        // scenes drawn again because the first did not pass
  std::map<std::string, int64_t> redraw_reasons;  // validation code or "description"
  int64_t augment_dropped = 0;                     // variants that failed validation
  bool complete = false;      // false when stopped early (stop_after_shards)
  double seconds = 0.0;
  double synth_seconds = 0.0, merge_seconds = 0.0;
};

// Id of base clip i: "syn<seed>-<i, 7 digits>"; its variants append "-a<k>".
std::string corpus_clip_id(uint64_t seed, int64_t index);

CorpusSummary synthesize_corpus(const std::filesystem::path& dir, const CorpusOptions& opts);

}  // namespace stickgen
