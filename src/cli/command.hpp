// Subcommands register themselves: each src/cli/cmd_<name>.cpp defines a function that adds its
// subcommand to the app, and registers it with STICKGEN_COMMAND(order, fn). main.cpp stays fixed.
#pragma once

#include <CLI/CLI.hpp>

namespace stickgen::cli {

using CommandFn = void (*)(CLI::App& app);

struct CommandRegistration {
  CommandRegistration(int order, CommandFn fn);
};

}  // namespace stickgen::cli

#define STICKGEN_CONCAT_INNER(a, b) a##b
#define STICKGEN_CONCAT(a, b) STICKGEN_CONCAT_INNER(a, b)
#define STICKGEN_COMMAND(order, fn) \
  static ::stickgen::cli::CommandRegistration STICKGEN_CONCAT(stickgen_command_, __LINE__)(order, fn)
