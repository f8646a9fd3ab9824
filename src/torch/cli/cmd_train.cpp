// stickgen-train train: pretraining and SFT from a YAML config (reference key names), with
// command-line overrides, --init-from for SFT and --resume after a kill.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "torch/train/trainer.hpp"

namespace stickgen::cli {
namespace {

struct TrainArgs {
  std::string config, init_from, output, data;
  std::vector<std::string> overrides;
  bool resume = false;
  int max_steps = 0, stop_at = 0;
  double epochs = 0;
};

void add_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Pretrain or fine-tune a StickFigureTransformer on a dataset");
  cmd->add_option("--config", a->config, "YAML config (configs/small.yaml, configs/sft_small.yaml, ...)")->check(CLI::ExistingFile);
  cmd->add_option("--init-from", a->init_from, "Start from this model file's weights and motion space (SFT)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--output", a->output, "Run directory (data.checkpoint_dir)");
  cmd->add_option("--data", a->data, "Dataset directory (data.train_data)");
  cmd->add_option("--epochs", a->epochs, "training.epochs");
  cmd->add_option("--max-steps", a->max_steps, "training.max_steps (optimizer steps; overrides epochs)");
  cmd->add_option("--stop-at-step", a->stop_at, "Stop after this optimizer step without changing the schedule");
  cmd->add_option("--set", a->overrides, "Override any config key: section.key=value (repeatable)");
  cmd->add_flag("--resume", a->resume, "Continue the run in the output directory from its checkpoint");
  cmd->callback([a] {
    train::TrainConfig c;
    if (!a->config.empty()) c.load_yaml(a->config);
    for (const auto& kv : a->overrides) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) throw Error("--set: expected section.key=value, got '" + kv + "'");
      c.set(kv.substr(0, eq), kv.substr(eq + 1));
    }
    if (!a->data.empty()) c.train_data = a->data;
    if (!a->output.empty()) c.output_dir = a->output;
    if (!a->init_from.empty()) c.init_from = a->init_from;
    if (a->epochs > 0) c.epochs = a->epochs;
    if (a->max_steps > 0) c.max_steps = a->max_steps;
    train::TrainResult r = a->resume ? train::resume_training(c.output_dir, a->stop_at) : train::run_training(c, a->stop_at);
    std::printf("trained %d steps in %.1f s (%.0f frames/s); best validation loss %.5f\nbest model: %s\n", r.steps,
                r.seconds, r.frames_per_second, r.best_val_loss, r.best_model.string().c_str());
  });
}

STICKGEN_COMMAND(20, add_train);

}  // namespace
}  // namespace stickgen::cli
