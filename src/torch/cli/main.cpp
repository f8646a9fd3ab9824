// stickgen-train: the training tier (LibTorch) — training, fine-tuning, checkpoint conversion.
// Subcommands register themselves exactly like src/cli: src/torch/cli/cmd_<name>.cpp files call
// STICKGEN_COMMAND(order, fn); this file owns the registry and the thread setup (--threads, see
// torch_model::set_compute_threads for why OpenBLAS is pinned to one thread).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/torch_model.hpp"

namespace stickgen::cli {
namespace {
std::vector<std::pair<int, CommandFn>>& registry() {
  static std::vector<std::pair<int, CommandFn>> commands;
  return commands;
}

int default_threads() {
  if (const char* env = std::getenv("STICKGEN_THREADS"); env && *env) return std::max(1, std::atoi(env));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}
}  // namespace

CommandRegistration::CommandRegistration(int order, CommandFn fn) { registry().emplace_back(order, fn); }

}  // namespace stickgen::cli

int main(int argc, char** argv) {
  stickgen::torch_model::use_blas_kernels_for_this_cpu(argv);
  CLI::App app{"stickgen-train: train, fine-tune and convert StickFigureTransformer models", "stickgen-train"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "stickgen-train 0.1.0");
  int threads = stickgen::cli::default_threads();
  app.add_option("--threads", threads, "Compute threads (default: $STICKGEN_THREADS or the core count)")
      ->check(CLI::Range(1, 1024));
  app.parse_complete_callback([&] { stickgen::torch_model::set_compute_threads(threads); });
  auto& commands = stickgen::cli::registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, fn] : commands) fn(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const stickgen::Error& e) {
    std::fprintf(stderr, "stickgen-train: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stickgen-train: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
