// stickgen data synth -n N --seed S -o DIR [--format v1|v3] [--jobs J]: a synthetic corpus of sampled scenes
// with descriptions (docs/DATA.md). Resumable: rerun the same command after an interruption.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "cli/data_command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/corpus.hpp"
#include "stickgen/progress.hpp"

namespace stickgen::cli {
namespace {

struct SynthArgs {
  int64_t clips = 1000;
  uint64_t seed = 1;
  std::string output, format = "v1";
  int jobs = 0, shard_size = 250, augment = 0, stop_after = -1, max_actors = 3, max_actions = 4;
  double seconds = 10.0, full_share = 0.7, min_seconds = 4.0;
  bool quiet = false;
};

void run_synth(const SynthArgs& a) {
  CorpusOptions o;
  o.clips = a.clips;
  o.seed = a.seed;
  auto format = parse_format(a.format);
  if (!format) throw Error("--format: expected v1 or v3, got '" + a.format + "'");
  o.format = *format;
  o.jobs = a.jobs;
  o.shard_size = a.shard_size;
  o.augment = a.augment;
  o.stop_after_shards = a.stop_after;
  if (!(a.seconds >= 1.0 && a.seconds <= 60.0)) throw Error("--seconds: expected 1..60");
  if (!(a.min_seconds >= 0.5 && a.min_seconds <= a.seconds)) throw Error("--min-seconds: expected 0.5..--seconds");
  if (!(a.full_share >= 0.0 && a.full_share <= 1.0)) throw Error("--full-share: expected 0..1");
  o.scene.full_seconds = static_cast<float>(a.seconds);
  o.scene.min_seconds = static_cast<float>(a.min_seconds);
  o.scene.full_share = static_cast<float>(a.full_share);
  o.scene.max_actors = a.max_actors;
  o.scene.max_actions = a.max_actions;
  Progress bar("synth", a.clips, "clips", false);
  o.progress = [&](int64_t done, int64_t) { bar.set(done); };
  CorpusSummary s;
  try {
    s = synthesize_corpus(a.output, o);
  } catch (...) {
    bar.finish();
    throw;
  }
  bar.finish();
  if (a.quiet) return;
  const double secs = s.synth_seconds;
  const int64_t made = s.base;
  std::string reasons;
  for (const auto& [k, v] : s.redraw_reasons) reasons += (reasons.empty() ? "" : ", ") + k + " " + std::to_string(v);
  if (!s.complete) {
    std::printf("stopped: %lld of %lld shards exist in %s.partial; rerun the same command to resume\n",
                static_cast<long long>(s.shards_done), static_cast<long long>(s.shards), a.output.c_str());
    return;
  }
  std::printf("synthesised %lld clips (%lld base, %lld augmented) into %s in %.1f s: %.1f base clips/s over %lld new "
              "base clips (%lld of %lld shards reused), merge %.1f s; %lld scenes redrawn%s%s\n",
              static_cast<long long>(s.clips), static_cast<long long>(a.clips),
              static_cast<long long>(s.clips - a.clips), a.output.c_str(), s.seconds,
              secs > 0 ? static_cast<double>(made) / secs : 0.0, static_cast<long long>(made),
              static_cast<long long>(s.shards_reused), static_cast<long long>(s.shards), s.merge_seconds,
              static_cast<long long>(s.redraws), reasons.empty() ? "" : " (", reasons.empty() ? "" : (reasons + ")").c_str());
}

void add_data_synth(CLI::App& app) {
  auto a = std::make_shared<SynthArgs>();
  auto* cmd = data_command(app)->add_subcommand(
      "synth", "Synthesise a corpus: sampled scenes, procedural motion, descriptions that plan back to the clip");
  cmd->add_option("-n,--clips", a->clips, "Base clips (scenes) to synthesise")->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  cmd->add_option("--seed", a->seed, "Corpus seed (clip i depends only on seed and i)")->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Dataset directory to write")->required();
  cmd->add_option("--format", a->format, "Skeleton: v1 (20 numbers, the card's) | v3 (48)")->capture_default_str();
  cmd->add_option("-j,--jobs", a->jobs, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->add_option("--shard-size", a->shard_size, "Clips per shard, the unit of resume")->check(CLI::Range(1, 1000000))->capture_default_str();
  cmd->add_option("--augment", a->augment, "Label-preserving variants per clip (mirror, stretch, scale+shift, noise)")
      ->check(CLI::Range(0, 16))->capture_default_str();
  cmd->add_option("--seconds", a->seconds, "Length of most clips")->capture_default_str();
  cmd->add_option("--full-share", a->full_share, "Share of clips at --seconds (the others: --min-seconds..--seconds)")->capture_default_str();
  cmd->add_option("--min-seconds", a->min_seconds, "Shortest clip")->capture_default_str();
  cmd->add_option("--max-actors", a->max_actors, "Actors per scene, at most")->check(CLI::Range(1, 3))->capture_default_str();
  cmd->add_option("--max-actions", a->max_actions, "Actions per actor, at most")->check(CLI::Range(1, 4))->capture_default_str();
  cmd->add_option("--stop-after-shards", a->stop_after, "Testing: stop as if killed after this many new shards")
      ->group("");
  cmd->add_flag("-q,--quiet", a->quiet, "No summary");
  cmd->callback([a] { run_synth(*a); });
}

STICKGEN_COMMAND(31, add_data_synth);

}  // namespace
}  // namespace stickgen::cli
