// stickgen data curate IN... -o OUT [--sft-size N] [--seed S]: quality scores, pretrain and SFT splits,
// report (docs/DATA.md).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/data_command.hpp"
#include "stickgen/actions.hpp"
#include "stickgen/common.hpp"
#include "stickgen/curate.hpp"
#include "stickgen/progress.hpp"

namespace stickgen::cli {
namespace {

struct CurateArgs {
  std::vector<std::string> inputs;
  std::string output;
  int sft_size = 1500, jobs = 0;
  uint64_t seed = 1;
  double pretrain_min = 0.5, sft_min = 0.8, val = 0.05, test = 0.05;
  bool quiet = false;
};

void run_curate(const CurateArgs& a) {
  CurateOptions o;
  o.sft_size = a.sft_size;
  o.seed = a.seed;
  o.jobs = a.jobs;
  if (!(a.pretrain_min >= 0.0 && a.pretrain_min <= 1.0)) throw Error("--pretrain-min: expected 0..1");
  if (!(a.sft_min >= a.pretrain_min && a.sft_min <= 1.0)) throw Error("--sft-min: expected --pretrain-min..1");
  if (!(a.val >= 0.0 && a.test >= 0.0 && a.val + a.test < 1.0)) throw Error("--val/--test: expected shares >= 0 adding up to < 1");
  o.pretrain_min = static_cast<float>(a.pretrain_min);
  o.sft.min_quality = static_cast<float>(a.sft_min);
  o.val_share = static_cast<float>(a.val);
  o.test_share = static_cast<float>(a.test);
  std::unique_ptr<Progress> bar;
  std::string stage;
  o.progress = [&](int64_t done, int64_t total, const std::string& st) {
    if (st != stage) {
      if (bar) bar->finish();
      bar = std::make_unique<Progress>(st, total, "clips", false);
      stage = st;
    }
    bar->set(done);
  };
  std::vector<std::filesystem::path> in(a.inputs.begin(), a.inputs.end());
  CurateSummary s;
  try {
    s = curate(in, a.output, o);
  } catch (...) {
    if (bar) bar->finish();
    throw;
  }
  if (bar) bar->finish();
  if (a.quiet) return;
  int64_t rejected = 0;
  for (const auto& [k, v] : s.rejections) rejected += v;
  std::printf("curated %lld clips in %.1f s into %s\n", static_cast<long long>(s.input), s.seconds, a.output.c_str());
  std::printf("  pretrain: %lld clips (train %lld, val %lld, test %lld)\n", static_cast<long long>(s.pretrain),
              static_cast<long long>(s.pretrain_splits["train"]), static_cast<long long>(s.pretrain_splits["val"]),
              static_cast<long long>(s.pretrain_splits["test"]));
  std::printf("  sft: %lld clips (train %lld, val %lld, test %lld); %zu actions, quota %d, max/median %.2f\n",
              static_cast<long long>(s.sft), static_cast<long long>(s.sft_splits["train"]),
              static_cast<long long>(s.sft_splits["val"]), static_cast<long long>(s.sft_splits["test"]),
              s.sft_action_counts.size(), s.sft_quota, s.sft_max_over_median);
  std::printf("  rejected from pretrain: %lld (%.1f %%)\n", static_cast<long long>(rejected),
              s.input ? 100.0 * static_cast<double>(rejected) / static_cast<double>(s.input) : 0.0);
  for (const auto& [k, v] : s.rejections)
    std::printf("    %-28s %7lld  %5.2f %%\n", k.c_str(), static_cast<long long>(v),
                s.input ? 100.0 * static_cast<double>(v) / static_cast<double>(s.input) : 0.0);
  std::printf("  train clips left out of sft:\n");
  for (const auto& [k, v] : s.sft_rejections) std::printf("    %-28s %7lld\n", k.c_str(), static_cast<long long>(v));
  if (!s.sft_missing_actions.empty()) {
    std::string m;
    for (int x : s.sft_missing_actions) m += (m.empty() ? "" : ", ") + std::string(action_name(x));
    std::printf("  no clip passed the sft gate for: %s\n", m.c_str());
  }
  std::printf("  report: %s/report.md\n", a.output.c_str());
}

void add_data_curate(CLI::App& app) {
  auto a = std::make_shared<CurateArgs>();
  auto* cmd = data_command(app)->add_subcommand(
      "curate", "Score clips, hold out val/test by base clip, write pretrain/ and stratified sft/ splits and a report");
  cmd->add_option("inputs", a->inputs, "Dataset directories (one skeleton format)")->required();
  cmd->add_option("-o,--output", a->output, "Output directory (pretrain/, sft/, report.md, *.png)")->required();
  cmd->add_option("--sft-size", a->sft_size, "Most SFT train clips (CPU fine-tuning budget: 1000-2000)")
      ->check(CLI::Range(1, 10000000))->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the split hash and the SFT sampling")->capture_default_str();
  cmd->add_option("--pretrain-min", a->pretrain_min, "Quality bar of the pretrain split")->capture_default_str();
  cmd->add_option("--sft-min", a->sft_min, "Quality bar of the SFT split")->capture_default_str();
  cmd->add_option("--val", a->val, "Share of base clips held out for validation")->capture_default_str();
  cmd->add_option("--test", a->test, "Share of base clips held out for test")->capture_default_str();
  cmd->add_option("-j,--jobs", a->jobs, "Scoring threads (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->add_flag("-q,--quiet", a->quiet, "No summary");
  cmd->callback([a] { run_curate(*a); });
}

STICKGEN_COMMAND(32, add_data_curate);

}  // namespace
}  // namespace stickgen::cli
