// The training loop: causal teacher forcing over whole clips with padding and actor masks, the
// objective of docs/TRAINING.md, AdamW with warmup + cosine per optimizer step, gradient
// accumulation and clipping, validation with free rollouts, atomic checkpoints and exact resume.
#pragma once

#include <filesystem>
#include <string>

#include "torch/train/train_config.hpp"

namespace stickgen::train {

struct TrainResult {
  int steps = 0;                       // optimizer steps completed
  double best_val_loss = 0;
  double seconds = 0;                  // wall time of this invocation
  double frames_per_second = 0;        // training frames (targets) per second
  std::filesystem::path best_model;    // <output_dir>/best.safetensors
  std::filesystem::path latest_model;  // <output_dir>/latest.safetensors
};

// Trains from `config`. Writes <output_dir>/{config.json, checkpoint.safetensors, latest.safetensors,
// best.safetensors, log.jsonl, loss.png}.
// `stop_at_step` > 0 stops after that optimizer step without changing the schedule.
TrainResult run_training(TrainConfig config, int stop_at_step = 0);

// Continues the run in `output_dir` from its checkpoint with the run's own stored configuration
// (same schedule, same data order, same per-step random streams: the result equals an
// uninterrupted run). `stop_at_step` > 0 stops earlier without changing the schedule.
TrainResult resume_training(const std::filesystem::path& output_dir, int stop_at_step = 0);

// For tests of --resume: when the environment sets STICKGEN_KILL_AFTER_STEP=N the process sends
// itself SIGKILL right after optimizer step N (a real kill: nothing is flushed or cleaned up).

}  // namespace stickgen::train
