// The training loop on a tiny config: it learns, its outputs load in both tiers, a kill followed by
// --resume reaches the same weights as an uninterrupted run, configs parse with the reference keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "stickgen/dataset.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/safetensors.hpp"
#include "stickgen/synth.hpp"
#include "stickgen/text_encoder.hpp"
#include "test_util.hpp"
#include "torch/train/train_config.hpp"
#include "torch/train/trainer.hpp"

using namespace stickgen;
namespace fs = std::filesystem;

namespace {

// A small dataset of single actions (and one interaction) in v1, 2.4 s each, train/val splits.
void write_tiny_dataset(const fs::path& dir, int clips) {
  DatasetWriter writer(dir, SkeletonFormat::v1, 2);
  const int actions_used[] = {act::walk, act::wave, act::jump, act::sit, act::handshake};
  for (int i = 0; i < clips; ++i) {
    SingleAction a;
    a.action = actions_used[i % 5];
    a.seconds = 2.4f;
    test::add_single_action_clip(writer, a, 100 + i, "clip" + std::to_string(i), i % 6 == 5 ? "val" : "train");
  }
  writer.finish();
}

train::TrainConfig tiny_config(const fs::path& data, const fs::path& out) {
  train::TrainConfig c;
  c.model = ModelConfig::preset("tiny");
  c.model.embedding_dim = 1024;
  c.batch_size = 3;
  c.grad_accum_steps = 2;
  c.max_steps = 12;
  c.warmup_steps = 3;
  c.learning_rate = 2e-3;
  c.val_every = 4;
  c.val_sequences = 6;
  c.rollout_sequences = 2;
  c.log_every = 2;
  c.max_frames = 40;
  c.train_data = data.string();
  c.output_dir = out.string();
  return c;
}

std::vector<float> weights_of(const fs::path& model) {
  auto f = SafeTensorsFile::open(model);
  std::vector<float> all;
  for (const auto& t : f.tensors()) {
    auto v = t.to_f32();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

// Four optimizer steps of the tiny config on dir/data into dir/name, with `tweak` applied (free
// rollouts and scheduled sampling ramp from the start); the final weights.
std::vector<float> short_run(const fs::path& dir, const std::string& name,
                             const std::function<void(train::TrainConfig&)>& tweak) {
  auto c = tiny_config(dir / "data", dir / name);
  c.max_steps = 4;
  c.val_every = 4;
  c.scheduled_sampling_start = 0;
  tweak(c);
  train::run_training(c);
  return weights_of(dir / name / "latest.safetensors");
}

// A tiny dataset of 30 clips in dir/data and the tiny config trained on it for `steps` steps into
// dir/name, validated once at the end.
void train_tiny(const fs::path& dir, const std::string& name, int steps) {
  write_tiny_dataset(dir / "data", 30);
  auto c = tiny_config(dir / "data", dir / name);
  c.max_steps = steps;
  c.val_every = steps;
  train::run_training(c);
}

// `stickgen-train train` of the tiny config (written to dir/tiny.yaml; free rollouts from the start) on
// dir/data into `out`, one thread, with `env` assignments before the command and `extra` flags after it.
test::CommandResult train_cli(const fs::path& dir, const fs::path& out, const std::string& env, const std::string& extra) {
  const auto cfg = dir / "tiny.yaml";
  std::ofstream(cfg) << "model:\n  preset: tiny\n  embedding_dim: 1024\ntraining:\n  batch_size: 3\n  grad_accum_steps: 2\n"
                        "  max_steps: 12\n  warmup_steps: 3\n  learning_rate: 0.002\n  val_every: 4\n  val_sequences: 6\n"
                        "  rollout_sequences: 2\n  log_every: 2\n  max_frames: 40\n  free_rollout: 0.5\n"
                        "  scheduled_sampling_start: 0\n";
  return test::run_command(env + " STICKGEN_THREADS=1 " + test::shell_quote(test::stickgen_train_bin()) + " train --config " +
                           test::shell_quote(cfg.string()) + " --data " + test::shell_quote((dir / "data").string()) +
                           " --output " + test::shell_quote(out.string()) + extra);
}

}  // namespace

TEST(TrainConfig, ReadsReferenceKeysAndRejectsTypos) {
  test::TempDir dir;
  std::ofstream(dir / "c.yaml") << "model:\n  input_dim: 20\n  d_model: 256\n  nhead: 8\n  num_layers: 6\n  output_dim: 20\n"
                                   "  embedding_dim: 1024\n  dropout: 0.1\n  num_actions: 64\n  image_encoder_arch: x\n"
                                   "training:\n  batch_size: 4\n  grad_accum_steps: 16\n  epochs: 20\n  learning_rate: 0.0001\n"
                                   "  max_grad_norm: 1.0\n  init_from: null\nloss_weights:\n  temporal: 0.1\n  action: 0.2\n"
                                   "  physics: 0.25\noptimization:\n  optimizer: AdamW\n  weight_decay: 0.01\n"
                                   "  betas: [0.9, 0.999]\n  eps: 1.0e-8\ndata:\n  train_data: d\n";
  train::TrainConfig c;
  c.load_yaml(dir / "c.yaml");
  EXPECT_EQ(c.model.d_model, 256);
  EXPECT_EQ(c.grad_accum_steps, 16);
  EXPECT_DOUBLE_EQ(c.learning_rate, 1e-4);
  EXPECT_DOUBLE_EQ(c.w_action, 0.2);
  EXPECT_DOUBLE_EQ(c.beta2, 0.999);
  EXPECT_EQ(c.train_data, "d");
  auto back = train::TrainConfig::from_json(c.to_json());
  EXPECT_EQ(back.to_json(), c.to_json());
  std::ofstream(dir / "bad.yaml") << "training:\n  learning_rte: 0.1\n";
  try {
    c.load_yaml(dir / "bad.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("learning_rte"), std::string::npos);
  }
  EXPECT_THROW(c.set("training.batch_size", "four"), Error);
}

TEST(Train, TinyRunLearnsAndWritesLoadableModels) {
  test::TempDir dir;
  write_tiny_dataset(dir / "data", 30);
  auto c = tiny_config(dir / "data", dir / "run");
  c.max_steps = 60;
  c.val_every = 2;  // the first validation sees an almost untrained model
  auto r = train::run_training(c);
  EXPECT_EQ(r.steps, 60);
  for (const char* f : {"best.safetensors", "latest.safetensors", "checkpoint.safetensors", "log.jsonl", "loss.png", "config.json"})
    EXPECT_TRUE(fs::exists(dir / "run" / f)) << f;
  // Between the first validation (step 2) and the last, the validation loss went down and the action
  // head (scored without action input) learned to recognise actions. Training losses are noisy: every
  // batch draws other windows, action dropout and, later, scheduled sampling.
  std::ifstream log(dir / "run" / "log.jsonl");
  std::string line;
  std::vector<double> losses, accuracy;
  while (std::getline(log, line)) {
    if (line.find("\"val_loss\"") == std::string::npos) continue;
    const auto j = nlohmann::json::parse(line);
    losses.push_back(j.at("val_loss").get<double>());
    accuracy.push_back(j.at("val_action_acc").get<double>());
  }
  ASSERT_GE(losses.size(), 2u);
  EXPECT_GT(losses.front(), 0);
  EXPECT_LT(losses.back(), 0.97 * losses.front());
  EXPECT_GT(accuracy.back(), accuracy.front() + 0.2);
  // The runtime loads the model, with its motion space and text encoder recorded.
  Model m = Model::load(dir / "run" / "best.safetensors");
  EXPECT_TRUE(m.normalization().root_relative_x);
  EXPECT_EQ(m.metadata().at("stickgen.text_encoder"), "hashed-v1-1024");
  // Starting again in the same directory without --resume is refused.
  EXPECT_THROW(train::run_training(c), Error);
}

TEST(Train, KillThenResumeEqualsUninterruptedRun) {
  test::TempDir dir;
  write_tiny_dataset(dir / "data", 18);
  ASSERT_FALSE(test::stickgen_train_bin().empty()) << "stickgen-train is not built";
  auto train_into = [&](const fs::path& out, const std::string& env, const std::string& extra) {
    return train_cli(dir.path(), out, env, extra);
  };
  // Killed with SIGKILL right after step 6 (its last checkpoint is from step 4), then resumed.
  auto killed = train_into(dir / "killed", "STICKGEN_KILL_AFTER_STEP=6", "");
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  ASSERT_TRUE(fs::exists(dir / "killed" / "checkpoint.safetensors"));
  auto resumed = train_into(dir / "killed", "", " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  // The same run without interruption.
  auto straight = train_into(dir / "straight", "", "");
  ASSERT_EQ(straight.exit_code, 0) << straight.output;
  auto a = weights_of(dir / "straight" / "latest.safetensors");
  auto b = weights_of(dir / "killed" / "latest.safetensors");
  ASSERT_EQ(a.size(), b.size());
  EXPECT_TRUE(a == b) << "resumed weights differ from the uninterrupted run";
  // The log of the resumed run has no duplicated steps.
  std::ifstream log(dir / "killed" / "log.jsonl");
  std::string line;
  std::vector<std::string> steps;
  while (std::getline(log, line))
    if (line.find("\"loss\"") != std::string::npos) steps.push_back(std::to_string(nlohmann::json::parse(line).at("step").get<int>()));
  std::vector<std::string> unique = steps;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  EXPECT_EQ(unique.size(), steps.size());
}

// On a CPU with AVX2 training never runs OpenBLAS's generic SSE3 kernels ("Prescott", 4-5x slower
// matrix products): stickgen-train re-runs itself with OPENBLAS_CORETYPE when OpenBLAS did not recognise
// the CPU (torch_model::use_blas_kernels_for_this_cpu), and keeps the kernels a user asked for.
TEST(Train, RunsTheBlasKernelsThisCpuSupports) {
  test::TempDir dir;
  write_tiny_dataset(dir / "data", 18);
  ASSERT_FALSE(test::stickgen_train_bin().empty()) << "stickgen-train is not built";
  auto kernels = [&](const std::string& env, const std::string& name) {
    auto r = train_cli(dir.path(), dir / name, "env -u OPENBLAS_CORETYPE " + env, " --max-steps 1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const std::string key = "OpenBLAS kernels ";
    const size_t at = r.output.find(key);
    if (at == std::string::npos) return std::string();
    const size_t from = at + key.size();
    return r.output.substr(from, r.output.find_first_of(" \n", from) - from);
  };
  const std::string chosen = kernels("", "chosen");
  if (chosen.empty()) GTEST_SKIP() << "this LibTorch does not use OpenBLAS";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_NE(chosen, "Prescott");
  }
  EXPECT_EQ(kernels("OPENBLAS_CORETYPE=Prescott", "asked"), "Prescott");
}

// Free rollouts change what the model is trained on (their inputs are its own predictions) and are
// as deterministic as everything else in a run.
TEST(Train, FreeRolloutsAreDeterministicAndChangeTraining) {
  test::TempDir dir;
  write_tiny_dataset(dir / "data", 18);
  auto run = [&](const std::string& name, double free_rollout) {
    return short_run(dir.path(), name, [&](train::TrainConfig& c) {
      c.free_rollout = free_rollout;
      c.scheduled_sampling = 0;
    });
  };
  const auto rolled = run("rolled", 1.0), again = run("again", 1.0), plain = run("plain", 0.0);
  ASSERT_EQ(rolled.size(), plain.size());
  EXPECT_TRUE(rolled == again) << "two runs with free rollouts differ";
  EXPECT_FALSE(rolled == plain) << "free rollouts did not change training";
  auto c = tiny_config(dir / "data", dir / "bad");
  c.free_rollout = 1.5;
  EXPECT_THROW(c.validate(), Error);
}

#include "stickgen/generate.hpp"
#include "stickgen/planner.hpp"

TEST(Generate, TrainedTinyModelDrivesAValidClip) {
  test::TempDir dir;
  train_tiny(dir.path(), "run", 20);
  Model model = Model::load(dir / "run" / "best.safetensors");
  auto encoder = text_encoder_for(model);
  Plan plan = plan_prompt("two people shake hands, then one walks away", PlannerOptions{.duration = 3.f});
  ASSERT_EQ(plan.actors.size(), 2u);
  GenerationRequest req = request_from_plan(plan, *encoder);
  EXPECT_EQ(req.frames, 75);
  Clip a = generate_clip(model, req, {.seed = 1});
  Clip b = generate_clip(model, req, {.seed = 1});
  Clip other = generate_clip(model, req, {.seed = 2});
  EXPECT_EQ(a.frames, 75);
  EXPECT_EQ(a.actors, 2);
  EXPECT_EQ(a.motion, b.motion);      // deterministic for a seed
  EXPECT_NE(a.motion, other.motion);  // a different take for another seed
  ValidationLimits limits;
  limits.max_speed = 1e9f, limits.max_accel = 1e9f, limits.max_frozen_tail = 0.f;
  auto report = validate(a, limits);
  EXPECT_LT(report.max_connectivity, 1e-4f);  // reconciled: one consistent skeleton
  for (int t = 0; t < a.frames; ++t)
    for (int k = 1; k < 20; k += 2) EXPECT_GE(a.pose(t, 0)[k], -1e-5f);  // never below the ground
  EXPECT_EQ(a.action(1, 0), req.actions[0][1]);
  // Continue from the result.
  GenerationRequest more = req;
  more.context = &a;
  Clip longer = generate_clip(model, more, {.seed = 3});
  EXPECT_EQ(longer.frames, 150);
  EXPECT_EQ(std::vector<float>(longer.motion.begin(), longer.motion.begin() + 75 * 2 * 20),
            std::vector<float>(a.motion.begin(), a.motion.end()));
}

TEST(TrainConfig, ShippedConfigsParseWithTheCardArchitectures) {
  const std::pair<const char*, int64_t> expected[] = {
      {"small.yaml", 7248894}, {"sft_small.yaml", 7248894}, {"rollout_small.yaml", 7248894},
      {"rollout_phase_small.yaml", 7248894}, {"medium.yaml", 20595646}, {"large.yaml", 44619646}};
  for (auto [name, params] : expected) {
    train::TrainConfig c;
    c.load_yaml(test::source_dir() / "configs" / name);
    EXPECT_NO_THROW(c.validate()) << name;
    EXPECT_EQ(c.model.parameter_count(), params) << name;
  }
  train::TrainConfig sft;
  sft.load_yaml(test::source_dir() / "configs" / "sft_small.yaml");
  EXPECT_EQ(sft.stage, "sft");
  EXPECT_DOUBLE_EQ(sft.learning_rate, 1e-4);
  EXPECT_DOUBLE_EQ(sft.weight_decay, 0.01);
  EXPECT_EQ(sft.batch_size * sft.grad_accum_steps, 64);
  // The card's 20 passes per clip: 10 epochs over the clips and their turned copies.
  EXPECT_TRUE(sft.turned_copies);
  EXPECT_DOUBLE_EQ(sft.epochs * (sft.turned_copies ? 2 : 1), 20);
  // The shipped model's last stage: every micro-batch rolled out, phase-matched targets within an action.
  train::TrainConfig phase;
  phase.load_yaml(test::source_dir() / "configs" / "rollout_phase_small.yaml");
  EXPECT_EQ(phase.rollout_target, "nearest");
  EXPECT_TRUE(phase.rollout_match_action);
  EXPECT_DOUBLE_EQ(phase.free_rollout, 1.0);
  EXPECT_EQ(phase.max_steps, 60);
}

#include "torch/train/window_stats.hpp"

// The window statistics ask a rollout to sit where the data sits and move as fast as it does, and do
// not charge it for being out of phase with the data (what per-frame targets do).
TEST(Train, WindowStatsArePhaseFree) {
  const int64_t T = 40, B = 2, D = 3;
  auto t = torch::arange(T, torch::kFloat).unsqueeze(-1).unsqueeze(-1).expand({T, B, D});
  const torch::Tensor data = torch::sin(t * 0.3);               // frames 0..T-1
  const torch::Tensor data_in = data.narrow(0, 0, T - 1), target = data.narrow(0, 1, T - 1);
  torch::Tensor valid = torch::ones({T - 1, B});
  const torch::Tensor none;
  auto loss = [&](const torch::Tensor& pred, const torch::Tensor& in, double wm, double ws) {
    return train::window_stats_loss(pred, in, target, data_in, valid, none, wm, ws).item<double>();
  };
  // The data itself: nothing to charge.
  EXPECT_NEAR(loss(target, data_in, 1, 1), 0.0, 1e-6);
  // A rollout half a period out of phase (the same motion, shifted) moves as fast as the data: the
  // speed term is (almost) zero, while its per-frame error is large.
  const torch::Tensor shifted = torch::sin((t + 10.5) * 0.3);
  const torch::Tensor s_in = shifted.narrow(0, 0, T - 1), s_pred = shifted.narrow(0, 1, T - 1);
  EXPECT_LT(loss(s_pred, s_in, 0, 1), 1e-3);
  EXPECT_GT((s_pred - target).pow(2).mean().item<double>(), 0.5);
  // A rollout that stands still is charged its missing speed: (rms of the data's change)^2.
  const double rms = (target - data_in).pow(2).mean().sqrt().item<double>();
  EXPECT_NEAR(loss(data_in, data_in, 0, 1), rms * rms, 1e-3);
  // A constant offset c is charged w_mean * c^2 and nothing for speed; the scale divides changes only.
  EXPECT_NEAR(loss(target + 0.2, data_in + 0.2, 2.0, 1.0), 2.0 * 0.04, 1e-5);
  EXPECT_NEAR(train::window_stats_loss(data_in, data_in, target, data_in, valid, torch::full({D}, 2.0f), 0, 1).item<double>(),
              rms * rms / 4, 1e-3);
  // Items with fewer than 8 valid frames are left out, padded frames do not count.
  valid.narrow(1, 1, 1).narrow(0, 7, T - 8).zero_();
  const torch::Tensor item0_moving = torch::cat({target.narrow(1, 0, 1), data_in.narrow(1, 1, 1)}, 1);
  EXPECT_NEAR(loss(item0_moving, data_in, 0, 1), 0.0, 1e-6);
  valid.zero_();
  EXPECT_NEAR(loss(data_in, data_in, 1, 1), 0.0, 1e-9);
}

// The window weights are read from configs and change what a run learns.
TEST(Train, WindowStatsWeightsChangeTraining) {
  test::TempDir dir;
  write_tiny_dataset(dir / "data", 18);
  auto run = [&](const std::string& name, double w) {
    return short_run(dir.path(), name, [&](train::TrainConfig& c) {
      c.free_rollout = 1.0;
      c.set("loss_weights.window_mean", std::to_string(w));
      c.set("loss_weights.window_speed", std::to_string(w));
    });
  };
  const auto with = run("with", 1.0), without = run("without", 0.0);
  EXPECT_FALSE(with == without) << "the window statistics did not change training";
  std::ifstream log(dir / "with" / "log.jsonl");
  std::string line;
  double logged = 0;
  while (std::getline(log, line))
    if (line.find("\"window_stats\"") != std::string::npos)
      logged = std::max(logged, nlohmann::json::parse(line).at("window_stats").get<double>());
  EXPECT_GT(logged, 0.0);
  auto c = tiny_config(dir / "data", dir / "bad");
  c.set("loss_weights.window_speed", "-1");
  EXPECT_THROW(c.validate(), Error);
}

// Phase-matched rollout targets: a rollout that performs the data's motion late (shifted in time) is
// matched, frame by frame, to the data frame at its own phase, so its targets are its own continuation
// and not the data at the same time; frames before the prefix and padded frames are never matched.
TEST(Train, NearestRolloutTargetsFollowTheRolloutsPhase) {
  const int64_t T = 60, B = 2, prefix = 5, shift = 7;
  auto circle = [&](double offset) {  // a periodic motion whose period (20.9 frames) is no whole number
    auto t = torch::arange(T, torch::kFloat).unsqueeze(-1) + offset;
    auto one = torch::cat({torch::sin(t * 0.3), torch::cos(t * 0.3), 0.5 * torch::sin(t * 0.6)}, -1);  // [T, 3]
    return one.unsqueeze(1).expand({T, B, 3}).contiguous();
  };
  const torch::Tensor data = circle(0);
  torch::Tensor rolled = data.clone();
  rolled.narrow(0, prefix, T - prefix).copy_(circle(shift).narrow(0, prefix, T - prefix));
  torch::Tensor valid = torch::ones({T, B});
  valid.narrow(0, 50, T - 50).select(1, 1).zero_();  // item 1: frames 50.. are padding
  for (int64_t history : {1, 4}) {
    const torch::Tensor j = train::nearest_data_frames(rolled, data, valid, prefix, history);
    ASSERT_EQ(j.sizes(), (std::vector<int64_t>{T, B}));
    for (int64_t b = 0; b < B; ++b) {
      const int64_t usable = b == 0 ? T : 50;
      for (int64_t t = 0; t < T; ++t) {
        const int64_t got = j[t][b].item<int64_t>();
        if (t < prefix) {
          EXPECT_EQ(got, t) << "a data frame of the prefix was matched elsewhere";
        } else {
          EXPECT_LT(got, usable) << "a padded frame was matched";
          // Away from the seams (the prefix's end, where the history straddles it, and the window's end,
          // past which the data has no such phase) the match is the rollout's own phase.
          if (t >= prefix + history && t + shift < usable) {
            EXPECT_EQ(got, t + shift) << "t " << t << " b " << b;
          }
        }
      }
    }
    // Gathered targets are then the rollout's continuation: data[j + 1] = rolled[t + 1].
    const torch::Tensor next = train::gather_frames(data.narrow(0, 1, T - 1), j.narrow(0, 0, T - 1).clamp_max(T - 2));
    const int64_t t = 20;
    EXPECT_LT((next[t] - rolled[t + 1]).abs().max().item<double>(), 1e-5);
  }
  // A time-aligned target would be far from it: the shift is a third of a period.
  EXPECT_GT((data[21] - rolled[21]).abs().max().item<double>(), 0.5);
  // Long labels gather too (the action targets follow their frames).
  const torch::Tensor labels = torch::arange(T, torch::kLong).unsqueeze(1).expand({T, B}).contiguous();
  const torch::Tensor j = train::nearest_data_frames(rolled, data, valid, prefix, 4);
  EXPECT_TRUE(torch::equal(train::gather_frames(labels, j), j));
  // With action labels a frame is matched among its own action's frames only: frame 25 (action 0)
  // has its phase at frame 32 (action 1), so it is matched elsewhere; unknown labels (-1) match anywhere.
  const torch::Tensor actions = (torch::arange(T, torch::kLong) >= 30).to(torch::kLong).unsqueeze(1).expand({T, B}).contiguous();
  const torch::Tensor ja = train::nearest_data_frames(rolled, data, valid, prefix, 4, actions);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      EXPECT_EQ(actions[ja[t][b].item<int64_t>()][b].item<int64_t>(), actions[t][b].item<int64_t>()) << "t " << t;
  EXPECT_EQ(j[25][0].item<int64_t>(), 32);
  EXPECT_NE(ja[25][0].item<int64_t>(), 32);
  EXPECT_TRUE(torch::equal(train::nearest_data_frames(rolled, data, valid, prefix, 4, torch::full({T, B}, -1, torch::kLong)), j));
}

// rollout_target is read from configs, rejects unknown values and changes what a run learns.
TEST(Train, NearestRolloutTargetChangesTraining) {
  test::TempDir dir;
  write_tiny_dataset(dir / "data", 18);
  auto run = [&](const std::string& name, const std::string& target) {
    return short_run(dir.path(), name, [&](train::TrainConfig& c) {
      c.free_rollout = 1.0;
      c.set("training.rollout_target", target);
    });
  };
  EXPECT_FALSE(run("nearest", "nearest") == run("time", "time")) << "phase-matched targets did not change training";
  auto c = tiny_config(dir / "data", dir / "bad");
  EXPECT_THROW(c.set("training.rollout_target", "phase"), Error);
  c.set("training.rollout_match_frames", "0");
  EXPECT_THROW(c.validate(), Error);
  c.set("training.rollout_target", "nearest");
  c.set("training.rollout_match_frames", "6");
  c.set("training.rollout_match_action", "true");
  const auto back = train::TrainConfig::from_json(c.to_json());  // what config.json and --resume read
  EXPECT_EQ(back.rollout_target, "nearest");
  EXPECT_EQ(back.rollout_match_frames, 6);
  EXPECT_TRUE(back.rollout_match_action);
}

// Pose hypotheses: a single-head model split into K hypotheses starts as that head (the first
// hypothesis exactly, the others nudged), training with the nearest-wins loss lowers the validation
// loss, and generation decodes with either choice rule, deterministically.
TEST(Train, PoseHypothesesSplitTrainAndGenerate) {
  test::TempDir dir;
  train_tiny(dir.path(), "single", 8);

  auto c = tiny_config(dir / "data", dir / "hyp");
  c.model.pose_hypotheses = 3;
  c.init_from = (dir / "single" / "latest.safetensors").string();
  c.max_steps = 40;
  c.val_every = 2;
  c.free_rollout = 0.5;  // rollouts follow the likeliest hypothesis
  train::run_training(c);
  {  // the split itself, on a run whose one step cannot move the weights
    auto split = tiny_config(dir / "data", dir / "split");
    split.model.pose_hypotheses = 3;
    split.init_from = c.init_from;
    split.max_steps = 1;
    split.learning_rate = 1e-30;  // one AdamW step this small leaves the weights as initialised (to 1e-20)
    split.warmup_steps = 0;
    train::run_training(split);
    auto one = SafeTensorsFile::open(dir / "single" / "latest.safetensors");
    auto three = SafeTensorsFile::open(dir / "split" / "latest.safetensors");
    const auto w1 = one.get("pose_decoder.3.weight").to_f32(), w3 = three.get("pose_decoder.3.weight").to_f32();
    const auto b3 = three.get("pose_decoder.3.bias").to_f32();
    ASSERT_EQ(w3.size(), 63u * w1.size() / 20u);
    double same = 0, nudged = 0;
    for (size_t i = 0; i < w1.size(); ++i) {
      same = std::max(same, std::fabs(static_cast<double>(w3[i] - w1[i])));               // hypothesis 0 = the head
      nudged = std::max(nudged, std::fabs(static_cast<double>(w3[w1.size() + i] - w1[i])));  // hypothesis 1 nudged
    }
    EXPECT_LT(same, 1e-20);
    EXPECT_GT(nudged, 1e-4);
    for (size_t k = 60; k < 63; ++k) EXPECT_NEAR(b3[k], 0.f, 1e-20);  // equal logits
  }
  std::ifstream log(dir / "hyp" / "log.jsonl");
  std::string line;
  std::vector<double> losses;
  while (std::getline(log, line))
    if (line.find("\"val_loss\"") != std::string::npos) losses.push_back(nlohmann::json::parse(line).at("val_loss").get<double>());
  ASSERT_GE(losses.size(), 2u);
  EXPECT_LT(losses.back(), losses.front());

  Model model = Model::load(dir / "hyp" / "latest.safetensors");
  EXPECT_EQ(model.config().pose_hypotheses, 3);
  auto encoder = text_encoder_for(model);
  GenerationRequest req = request_from_plan(plan_prompt("a person waves", PlannerOptions{.duration = 2.f}), *encoder);
  Clip drawn = generate_clip(model, req, {.seed = 1});
  Clip again = generate_clip(model, req, {.seed = 1});
  Clip likeliest = generate_clip(model, req, {.seed = 1, .draw_hypotheses = false});
  EXPECT_EQ(drawn.motion, again.motion);
  EXPECT_NE(drawn.motion, likeliest.motion);
  for (float v : drawn.motion) ASSERT_TRUE(std::isfinite(v));
}
