// stickgen: text -> stick-figure animation, and the data/eval toolchain around it.
#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/common.hpp"

namespace stickgen::cli {
namespace {
std::vector<std::pair<int, CommandFn>>& registry() {
  static std::vector<std::pair<int, CommandFn>> commands;
  return commands;
}
}  // namespace

CommandRegistration::CommandRegistration(int order, CommandFn fn) { registry().emplace_back(order, fn); }

}  // namespace stickgen::cli

int main(int argc, char** argv) {
  CLI::App app{"stickgen: turn a sentence into a stick-figure animation", "stickgen"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "stickgen 0.1.0");
  auto& commands = stickgen::cli::registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, fn] : commands) fn(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const stickgen::Error& e) {
    std::fprintf(stderr, "stickgen: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stickgen: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
