// stickgen generate "<prompt>": prompt -> animation file. Engines are added by later work; until
// one exists this says so and fails, never pretending to succeed.
#include <string>

#include "cli/command.hpp"
#include "stickgen/common.hpp"

namespace stickgen::cli {
namespace {

struct GenerateArgs {
  std::string prompt;
  std::string output = "out.gif";
  std::string engine = "model";
};

void add_generate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate an animation from a prompt");
  cmd->add_option("prompt", args->prompt, "What should happen, in English")->required();
  cmd->add_option("-o,--output", args->output, "Output file (.gif .mp4 .png .svg .html .motion)");
  cmd->add_option("--engine", args->engine, "Generation engine: model | procedural")
      ->check(CLI::IsMember({"model", "procedural"}));
  cmd->callback([args] {
    throw Error("generate: no generation engine is available yet (engine '" + args->engine +
                "' is not built); see the open issues");
  });
}

STICKGEN_COMMAND(10, add_generate);

}  // namespace
}  // namespace stickgen::cli
