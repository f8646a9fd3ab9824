// stickgen-train train-evaluator: the independent action-recognition network that `stickgen eval`
// scores generated motion with (docs/EVALUATION.md).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "torch/eval/evaluator_train.hpp"

namespace stickgen::cli {
namespace {

void add_train_evaluator(CLI::App& app) {
  auto o = std::make_shared<evaluator_train::EvaluatorTrainOptions>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("train-evaluator",
                                 "Train the action-recognition evaluator (2 s windows, majority action) on a dataset's train split");
  cmd->add_option("--data", o->data, "Dataset directory with train/val/test splits")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("-o,--output", *out, "Evaluator file to write (.safetensors)")->required();
  cmd->add_option("--epochs", o->epochs, "Epochs")->check(CLI::Range(1, 10000))->capture_default_str();
  cmd->add_option("--batch", o->batch_size, "Windows per batch")->check(CLI::Range(1, 65536))->capture_default_str();
  cmd->add_option("--max-windows", o->max_windows_per_epoch, "Windows per epoch at most (a random subset)")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  cmd->add_option("--lr", o->learning_rate, "Peak learning rate (AdamW, warmup + cosine)")->capture_default_str();
  cmd->add_option("--weight-decay", o->weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--noise", o->input_noise, "Gaussian noise on normalised inputs")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed (same data, seed and threads = same file)")->capture_default_str();
  cmd->add_option("--window", o->config.window, "Window length in frames at 25 fps")->check(CLI::Range(8, 1000))->capture_default_str();
  cmd->add_option("--stride", o->config.stride, "Frames between windows")->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--max-clips", o->max_clips, "Clips per split at most (0 = all)");
  cmd->callback([o, out] {
    o->output = *out;
    if (o->config.stride > o->config.window) throw Error("--stride must not exceed --window");
    o->config.min_frames = std::min(o->config.min_frames, o->config.window);
    auto r = evaluator_train::train_evaluator(*o);
    std::printf("evaluator: %s\n  train windows %lld, best epoch %d, val top-1 %.3f\n  test windows %lld: top-1 %.3f, "
                "top-5 %.3f, balanced %.3f (%.0f s)\n",
                out->c_str(), static_cast<long long>(r.train_windows), r.best_epoch, r.val_top1,
                static_cast<long long>(r.test_windows), r.test_top1, r.test_top5, r.test_balanced, r.seconds);
  });
}

STICKGEN_COMMAND(40, add_train_evaluator);

}  // namespace
}  // namespace stickgen::cli
