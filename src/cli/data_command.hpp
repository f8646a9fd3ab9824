// The `stickgen data` parent command. Every `stickgen data <verb>` file (convert, synth, curate, stats, ...)
// attaches its subcommand with data_command(app)->add_subcommand("<verb>", ...); whichever registers first
// creates the parent, the others find it.
#pragma once

#include <CLI/CLI.hpp>

namespace stickgen::cli {

CLI::App* data_command(CLI::App& app);

}  // namespace stickgen::cli
