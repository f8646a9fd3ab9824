// stickgen data stats DIR [-o REPORT_DIR]: the curation summary for any dataset, with its charts.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "cli/data_command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/curate.hpp"
#include "stickgen/progress.hpp"

namespace stickgen::cli {
namespace {

struct StatsArgs {
  std::string dir, output;
  bool no_score = false;
  int jobs = 0;
};

void add_data_stats(CLI::App& app) {
  auto a = std::make_shared<StatsArgs>();
  auto* cmd = data_command(app)->add_subcommand("stats", "Summarise a dataset (actions, sources, splits, quality) and plot it");
  cmd->add_option("dir", a->dir, "Dataset directory")->required();
  cmd->add_option("-o,--output", a->output, "Write stats.md and PNG charts here");
  cmd->add_flag("--no-score", a->no_score, "Do not score clips that carry no stored quality (faster)");
  cmd->add_option("-j,--jobs", a->jobs, "Threads (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->callback([a] {
    Progress bar("stats", 0, "clips", false);
    auto s = dataset_stats(a->dir, !a->no_score, a->jobs, [&](int64_t done, int64_t) { bar.set(done); });
    bar.finish();
    std::fputs(stats_text(s).c_str(), stdout);
    if (!a->output.empty()) {
      auto files = write_stats_report(s, a->output);
      std::printf("wrote %zu files to %s\n", files.size(), a->output.c_str());
    }
  });
}

STICKGEN_COMMAND(33, add_data_stats);

}  // namespace
}  // namespace stickgen::cli
