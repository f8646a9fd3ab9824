// stickgen synth-check: every action x N seeds through the procedural engine and the strict
// checks; prints the per-action table (pass rate, worst bone drift, foot slip, speed, accel).
// stickgen synth-sheets DIR: one contact-sheet PNG per action group (docs/actions/).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/synth.hpp"

namespace stickgen::cli {
namespace {

struct CheckArgs {
  int seeds = 50;
  uint64_t first_seed = 1;
  std::vector<std::string> actions;
  bool verbose = false;
  bool markdown = false;
};

struct Row {
  int clips = 0, pass = 0, v1_ok = 0;
  float drift = 0, v1_drift = 0, slip = 0, speed = 0, accel = 0, gap = 0, ground = 0;
  std::map<std::string, int> reasons;
};

void add_synth_check(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = app.add_subcommand("synth-check", "Run every action x N seeds through the procedural engine and check them");
  cmd->add_option("--seeds", args->seeds, "Seeds per action")->check(CLI::Range(1, 100000));
  cmd->add_option("--first-seed", args->first_seed, "First seed");
  cmd->add_option("--action", args->actions, "Only these actions (names); repeatable");
  cmd->add_flag("--markdown", args->markdown, "Print the table as Markdown");
  cmd->add_flag("-v,--verbose", args->verbose, "Print every failing clip");
  cmd->callback([args] {
    std::vector<int> ids;
    for (const auto& name : args->actions) {
      auto id = action_id(name);
      if (!id) throw Error("--action: unknown action '" + name + "'");
      ids.push_back(*id);
    }
    if (ids.empty())
      for (int i = 0; i < kNumActions; ++i) ids.push_back(i);
    const bool tty = isatty(fileno(stderr));
    std::vector<Row> rows(kNumActions);
    Row total;
    int done = 0;
    const int all = static_cast<int>(ids.size()) * args->seeds;
    for (int id : ids) {
      Row& row = rows[id];
      for (int n = 0; n < args->seeds; ++n) {
        const uint64_t seed = args->first_seed + n;
        const SingleAction a = sample_single_action(id, seed);
        SynthOptions o;
        o.seed = seed;
        const Clip clip = synthesize_action(a, o);
        const SynthCheck c = check_synth_clip(clip);
        ++row.clips;
        row.pass += c.ok();
        row.v1_ok += c.v1_limb_drift <= 0.15f;
        row.drift = std::max(row.drift, c.max_bone_drift);
        row.v1_drift = std::max(row.v1_drift, c.v1_limb_drift);
        row.slip = std::max(row.slip, c.max_foot_slip);
        row.speed = std::max(row.speed, c.report.max_speed);
        row.accel = std::max(row.accel, c.report.max_accel);
        row.gap = std::max(row.gap, c.max_hand_gap);
        row.ground = std::min(row.ground, c.min_joint_y);
        for (const auto& f : c.failures) ++row.reasons[f.substr(0, f.find(':'))];
        if (!c.ok() && args->verbose) {
          std::fprintf(stderr, "%s seed %llu (tempo %.2f intensity %.2f %.1fs %s): ", std::string(action_name(id)).c_str(),
                       static_cast<unsigned long long>(seed), a.tempo, a.intensity, a.seconds,
                       std::string(direction_name(a.direction)).c_str());
          for (const auto& f : c.failures) std::fprintf(stderr, "%s; ", f.c_str());
          std::fprintf(stderr, "\n");
        }
        ++done;
        if (tty && (done % 20 == 0 || done == all)) std::fprintf(stderr, "\r%d/%d clips", done, all);
      }
      total.clips += row.clips, total.pass += row.pass, total.v1_ok += row.v1_ok;
      total.drift = std::max(total.drift, row.drift), total.v1_drift = std::max(total.v1_drift, row.v1_drift);
      total.slip = std::max(total.slip, row.slip), total.speed = std::max(total.speed, row.speed);
      total.accel = std::max(total.accel, row.accel), total.gap = std::max(total.gap, row.gap);
      total.ground = std::min(total.ground, row.ground);
    }
    if (tty) std::fprintf(stderr, "\n");
    const char* head = args->markdown
        ? "| id | action | pass | v3 bone drift % | v1 limb drift % (<=15: n) | foot slip %bh/s | speed u/s | accel u/s² | hand gap | min y | failures |\n"
          "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
        : " id action            pass   drift%   v1drift%(ok)   slip%/s   speed   accel   gap    minY  failures\n";
    std::printf("%s", head);
    auto line = [&](const char* id, const std::string& name, const Row& r) {
      std::string why;
      for (const auto& [k, v] : r.reasons) why += (why.empty() ? "" : ", ") + k + " " + std::to_string(v);
      if (args->markdown)
        std::printf("| %s | %s | %d/%d | %.4f | %.1f (%d) | %.3f | %.2f | %.1f | %.3f | %.3f | %s |\n", id, name.c_str(),
                    r.pass, r.clips, 100.0 * r.drift, 100.0 * r.v1_drift, r.v1_ok, 100.0 * r.slip, r.speed, r.accel,
                    r.gap, r.ground, why.c_str());
      else
        std::printf("%3s %-16s %4d/%-4d %7.4f %7.1f (%4d) %8.3f %7.2f %7.1f %6.3f %7.3f  %s\n", id, name.c_str(), r.pass,
                    r.clips, 100.0 * r.drift, 100.0 * r.v1_drift, r.v1_ok, 100.0 * r.slip, r.speed, r.accel, r.gap,
                    r.ground, why.c_str());
    };
    for (int id : ids) line(std::to_string(id).c_str(), std::string(action_name(id)), rows[id]);
    line("", "all", total);
    if (total.pass != total.clips) throw Error("synth-check: " + std::to_string(total.clips - total.pass) + " of " +
                                               std::to_string(total.clips) + " clips failed");
  });
}

STICKGEN_COMMAND(80, add_synth_check);

struct SheetArgs {
  std::string dir = "docs/actions";
  std::vector<std::string> groups, actions;
  int frames = 7, cell_width = 120, cell_height = 150;
  float seconds = 4.f;
  uint64_t seed = 1;
};

void add_synth_sheets(CLI::App& app) {
  auto args = std::make_shared<SheetArgs>();
  auto* cmd = app.add_subcommand("synth-sheets", "Write one contact-sheet PNG per action group (procedural engine)");
  cmd->add_option("dir", args->dir, "Output directory (created if missing)");
  cmd->add_option("--group", args->groups, "Only these groups; repeatable");
  cmd->add_option("--frames", args->frames, "Frames per action")->check(CLI::Range(1, 30));
  cmd->add_option("--seed", args->seed, "Seed");
  cmd->add_option("--action", args->actions, "Draw these actions (names) into DIR/actions.png instead; repeatable");
  cmd->add_option("--cell-width", args->cell_width, "Cell width in pixels")->check(CLI::Range(40, 1000));
  cmd->add_option("--cell-height", args->cell_height, "Cell height in pixels")->check(CLI::Range(40, 1000));
  cmd->add_option("--seconds", args->seconds, "Length of each performance")->check(CLI::Range(0.5, 30.0));
  cmd->callback([args] {
    std::filesystem::create_directories(args->dir);
    SheetOptions o;
    o.frames = args->frames;
    o.seed = args->seed;
    o.cell_width = args->cell_width;
    o.cell_height = args->cell_height;
    o.seconds = args->seconds;
    if (!args->actions.empty()) {
      std::vector<int> ids;
      for (const auto& name : args->actions) {
        auto id = action_id(name);
        if (!id) throw Error("--action: unknown action '" + name + "'");
        ids.push_back(*id);
      }
      const auto path = std::filesystem::path(args->dir) / "actions.png";
      write_action_sheet(ids, path, o);
      std::printf("%s (%zu actions)\n", path.string().c_str(), ids.size());
      return;
    }
    std::vector<std::string> groups = args->groups;
    if (groups.empty())
      for (auto g : action_groups()) groups.emplace_back(g);
    for (const auto& g : groups) {
      const auto ids = actions_in_group(g);
      if (ids.empty()) throw Error("--group: unknown group '" + g + "'");
      const auto path = std::filesystem::path(args->dir) / (g + ".png");
      write_action_sheet(ids, path, o);
      std::printf("%s (%zu actions)\n", path.string().c_str(), ids.size());
    }
  });
}

STICKGEN_COMMAND(81, add_synth_sheets);

}  // namespace
}  // namespace stickgen::cli
