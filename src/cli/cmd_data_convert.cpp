// stickgen data convert --from bvh|ntu|humanml3d|interhuman|amass-joints PATH... -o DIR: real motion capture
// into a dataset directory (docs/CONVERTERS.md).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/data_command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/convert.hpp"
#include "stickgen/progress.hpp"

namespace stickgen::cli {
namespace {

struct ConvertArgs {
  std::string from, output, format = "v3", view = "auto", joint_map, index, up, action, description;
  std::vector<std::string> inputs;
  double window = 10.0, overlap = 0.0, min_window = 1.0, fps = 0.0;
  int max_actors = 0;
  bool keep_going = false, quiet = false, verbose = false;
};

void run_convert(const ConvertArgs& a) {
  auto source = parse_convert_source(a.from);
  if (!source) throw Error("--from: expected bvh, ntu, humanml3d, interhuman or amass-joints, got '" + a.from + "'");
  ConvertOptions o;
  auto format = parse_format(a.format);
  if (!format) throw Error("--format: expected v1 or v3, got '" + a.format + "'");
  o.format = *format;
  auto view = parse_view(a.view);
  if (!view) throw Error("--view: expected side, front or auto, got '" + a.view + "'");
  o.view = *view;
  if (!(a.window >= 0.0) || a.window > 36000.0) throw Error("--window: expected seconds in [0, 36000] (0 = whole takes)");
  if (!(a.overlap >= 0.0) || (a.window > 0.0 && a.overlap >= a.window)) throw Error("--overlap: expected seconds in [0, --window)");
  if (!(a.min_window >= 0.0)) throw Error("--min-window: expected seconds >= 0");
  o.window_seconds = static_cast<float>(a.window);
  o.overlap_seconds = static_cast<float>(a.overlap);
  o.min_window_seconds = static_cast<float>(a.min_window);
  if (a.fps != 0.0) {
    if (!(a.fps >= 1.0) || a.fps > 10000.0) throw Error("--fps: expected a frame rate in [1, 10000]");
    o.fps = static_cast<float>(a.fps);
  }
  if (!a.up.empty()) {
    if (a.up != "x" && a.up != "y" && a.up != "z") throw Error("--up: expected x, y or z, got '" + a.up + "'");
    o.up = a.up[0];
  }
  if (a.max_actors < 0 || a.max_actors > 64) throw Error("--max-actors: expected 1..64 (0 = the source's default)");
  o.max_actors = a.max_actors;
  if (!a.joint_map.empty()) {
    if (*source != ConvertSource::bvh) throw Error("--joint-map: only for --from bvh");
    o.joint_map = a.joint_map;
    if (!std::filesystem::is_regular_file(o.joint_map)) throw Error("--joint-map: " + a.joint_map + ": no such file");
  }
  if (!a.index.empty()) {
    if (!std::filesystem::is_regular_file(a.index)) throw Error("--index: " + a.index + ": no such file");
    o.index = a.index;
  }
  o.action = a.action;
  o.description = a.description;

  std::vector<std::filesystem::path> paths(a.inputs.begin(), a.inputs.end());
  const auto inputs = collect_inputs(*source, paths);
  Progress bar("convert", static_cast<int64_t>(inputs.size()), "files", false);
  const bool show = !a.quiet;
  auto progress = [&](int done, int, const std::filesystem::path&) { bar.set(done); };
  ConvertSummary s;
  try {
    s = convert_to_dataset(*source, inputs, a.output, o, a.keep_going, progress);
  } catch (...) {
    bar.finish();
    throw;
  }
  bar.finish();
  if (!show) return;
  for (const auto& e : s.errors) std::fprintf(stderr, "stickgen: skipped: %s\n", e.c_str());
  if (a.verbose)
    for (const auto& r : s.rejections) std::fprintf(stderr, "stickgen: rejected: %s\n", r.c_str());
  std::string reasons;
  for (const auto& [code, n] : s.reject_reasons) reasons += (reasons.empty() ? "" : ", ") + code + " " + std::to_string(n);
  std::printf("converted %d of %d files from %s: %d clips written to %s, %d rejected by validation%s%s\n",
              s.files - s.files_failed, s.files, std::string(convert_source_name(*source)).c_str(), s.clips_written,
              a.output.c_str(), s.clips_rejected, reasons.empty() ? "" : " (", reasons.empty() ? "" : (reasons + ")").c_str());
}

void add_data_convert(CLI::App& app) {
  auto a = std::make_shared<ConvertArgs>();
  auto* cmd = data_command(app)->add_subcommand(
      "convert", "Convert motion capture (BVH, NTU RGB+D, HumanML3D, InterHuman, AMASS joints) into a dataset");
  cmd->add_option("--from", a->from, "Input format: bvh | ntu | humanml3d | interhuman | amass-joints")->required();
  cmd->add_option("inputs", a->inputs, "Input files or directories (searched for the format's files)")->required();
  cmd->add_option("-o,--output", a->output, "Dataset directory to write")->required();
  cmd->add_option("--format", a->format, "Skeleton: v1 (20 numbers) | v3 (48 numbers)")->capture_default_str();
  cmd->add_option("--view", a->view, "Projection plane: side | front | auto (the plane with the most motion)")
      ->capture_default_str();
  cmd->add_option("--joint-map", a->joint_map, "BVH: file of 'stickgen_joint bvh_joint' lines for unknown rigs");
  cmd->add_option("--index", a->index, "BVH: CMU index text ('01_01 description' lines)");
  cmd->add_option("--window", a->window, "Split takes into windows of this many seconds (0 = whole takes)")
      ->capture_default_str();
  cmd->add_option("--overlap", a->overlap, "Seconds shared by consecutive windows")->capture_default_str();
  cmd->add_option("--min-window", a->min_window, "Drop a trailing window shorter than this (seconds)")
      ->capture_default_str();
  cmd->add_option("--fps", a->fps, "Source frame rate for files without one (.npy joints); overrides the format's");
  cmd->add_option("--up", a->up, "Override the source's up axis: x | y | z");
  cmd->add_option("--max-actors", a->max_actors, "Actor slots in the dataset (default: ntu 2, interhuman 2, others 1)");
  cmd->add_option("--action", a->action, "Label every clip with this action (e.g. walk) instead of the files' text");
  cmd->add_option("--description", a->description, "Describe every clip with this text");
  cmd->add_flag("-k,--keep-going", a->keep_going, "Skip files that fail to convert instead of stopping");
  cmd->add_flag("-v,--verbose", a->verbose, "List every clip rejected by validation and why");
  cmd->add_flag("-q,--quiet", a->quiet, "No summary");
  cmd->callback([a] { run_convert(*a); });
}

STICKGEN_COMMAND(30, add_data_convert);

}  // namespace
}  // namespace stickgen::cli
