#include "cli/data_command.hpp"

namespace stickgen::cli {

CLI::App* data_command(CLI::App& app) {
  auto found = app.get_subcommands([](CLI::App* sub) { return sub->get_name() == "data"; });
  if (!found.empty()) return found.front();
  auto* data = app.add_subcommand("data", "Datasets: convert motion capture, synthesise, curate, inspect");
  data->require_subcommand(1);
  return data;
}

}  // namespace stickgen::cli
