// The evaluator across tiers and `stickgen eval` end to end: LibTorch and core forward passes agree,
// train-evaluator learns a tiny dataset deterministically, and on that dataset a random-weights
// model scores worse than a briefly trained tiny model on every generation metric; the report,
// the charts and the model card are written, and the numbers do not depend on the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "stickgen/dataset.hpp"
#include "stickgen/eval.hpp"
#include "stickgen/evaluator.hpp"
#include "stickgen/synth.hpp"
#include "test_util.hpp"
#include "torch/eval/evaluator_train.hpp"

using namespace stickgen;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Ten distinct single actions, `per_action` clips of `seconds` each, varied performances and
// facings; splits by clip group: 6 train, 1 val, 3 test out of every 10.
void write_actions_dataset(const fs::path& dir, int per_action, float seconds) {
  DatasetWriter writer(dir, SkeletonFormat::v1, 2);
  const int actions[] = {act::walk, act::wave, act::jump, act::sit, act::run, act::clap, act::kick, act::punch, act::crouch,
                         act::lie_down};
  const int K = 10;
  for (int i = 0; i < K * per_action; ++i) {
    SingleAction a = sample_single_action(actions[i % K], 1000 + i);
    a.seconds = seconds;
    a.facing = (i / K) % 2 ? -1 : 1;
    const int m = (i / K) % 10;
    test::add_single_action_clip(writer, a, 500 + i, "c" + std::to_string(i), m == 6 ? "val" : (m >= 7 ? "test" : "train"));
  }
  writer.finish();
}

std::string q(const fs::path& p) { return test::shell_quote(p.string()); }

json read_json(const fs::path& p) { return json::parse(read_file(p)); }

#define ASSERT_RUNS(command)                           \
  do {                                                 \
    const test::CommandResult result_ = (command);     \
    ASSERT_EQ(result_.exit_code, 0) << result_.output; \
  } while (0)

}  // namespace

TEST(EvaluatorParity, LibTorchAndCoreForwardAgree) {
  test::TempDir dir;
  EvaluatorConfig c = EvaluatorConfig::defaults();
  torch::manual_seed(11);
  evaluator_train::EvaluatorNet net(c);
  net->eval();
  std::mt19937_64 rng(5);
  std::normal_distribution<float> g;
  std::vector<float> mean(kEvaluatorChannels), sd(kEvaluatorChannels);
  for (int k = 0; k < kEvaluatorChannels; ++k) mean[k] = 0.3f * g(rng), sd[k] = 0.5f + std::fabs(g(rng));
  evaluator_train::save_evaluator(net, mean, sd, dir / "ev.safetensors");
  const Evaluator core = Evaluator::load(dir / "ev.safetensors");
  ASSERT_EQ(core.config().to_json(), c.to_json());
  torch::NoGradGuard guard;
  for (int T : {50, 37, 12, 101}) {
    std::vector<float> track(static_cast<size_t>(T) * kEvaluatorChannels);
    for (auto& x : track) x = 2.f * g(rng);
    auto raw = torch::from_blob(track.data(), {1, T, kEvaluatorChannels}, torch::kFloat).clone();
    auto m = torch::from_blob(mean.data(), {kEvaluatorChannels}, torch::kFloat);
    auto s = torch::from_blob(sd.data(), {kEvaluatorChannels}, torch::kFloat);
    auto x = (raw - m) / s;
    auto feats = net->features(x).contiguous();
    auto logits = net->forward(x).contiguous();
    std::vector<float> cl(c.num_classes), cf(c.feature_dim());
    core.forward(track.data(), T, cl.data(), cf.data());
    double worst = 0;
    for (int k = 0; k < c.feature_dim(); ++k) worst = std::max(worst, static_cast<double>(std::fabs(cf[k] - feats[0][k].item<float>())));
    for (int k = 0; k < c.num_classes; ++k) worst = std::max(worst, static_cast<double>(std::fabs(cl[k] - logits[0][k].item<float>())));
    EXPECT_LE(worst, 1e-4) << "T = " << T;
  }
  // The file reads back into LibTorch with the same weights and statistics.
  std::vector<float> mean2, sd2;
  auto back = evaluator_train::load_evaluator(dir / "ev.safetensors", mean2, sd2);
  EXPECT_EQ(mean2, mean);
  EXPECT_EQ(sd2, sd);
  auto p1 = net->parameters(), p2 = back->parameters();
  ASSERT_EQ(p1.size(), p2.size());
  for (size_t i = 0; i < p1.size(); ++i) EXPECT_TRUE(torch::equal(p1[i], p2[i]));
}

TEST(TrainEvaluator, LearnsTinyDataDeterministically) {
  test::TempDir dir;
  write_actions_dataset(dir / "data", 20, 3.f);
  auto train = [&](const std::string& out) {
    return test::run_stickgen_train("--threads 1 train-evaluator --data " + q(dir / "data") + " -o " + q(dir / out) +
                                    " --epochs 12 --batch 16 --seed 3");
  };
  auto a = train("a.safetensors");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_NE(a.output.find("test windows"), std::string::npos) << a.output;
  auto b = train("b.safetensors");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_TRUE(read_file(dir / "a.safetensors") == read_file(dir / "b.safetensors")) << "same seed, different evaluator";
  const Evaluator ev = Evaluator::load(dir / "a.safetensors");
  const json meta = json::parse(ev.metadata().at(evaluator_meta::kTrain));
  EXPECT_GT(meta.at("test_top1").get<double>(), 0.5) << meta.dump();  // chance is 0.1
  // The core evaluator reproduces the trainer's test accuracy on the same windows.
  DatasetReader data(dir / "data");
  int correct = 0, total = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    if (data.record(i).split != "test") continue;
    const Clip clip = evaluator_clip(data.clip(i));
    for (const auto& w : extract_windows(clip, i, ev.config().window, ev.config().stride, ev.config().min_purity)) {
      correct += ev.classify(clip, w.actor, w.begin, w.end).top1 == w.label;
      ++total;
    }
  }
  ASSERT_EQ(total, meta.at("test_windows").get<int>());
  EXPECT_NEAR(static_cast<double>(correct) / total, meta.at("test_top1").get<double>(), 1.5 / total);
  // Errors are one line naming the flag.
  auto bad = test::run_stickgen_train("train-evaluator --data " + q(dir / "data"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("--output"), std::string::npos) << bad.output;
}

TEST(Eval, RandomWeightsScoreWorseThanATrainedTinyModelOnEveryGenerationMetric) {
  test::TempDir dir;
  write_actions_dataset(dir / "data", 50, 4.f);
  const std::string data = q(dir / "data");
  ASSERT_RUNS(test::run_stickgen_train("--threads 2 train-evaluator --data " + data + " -o " + q(dir / "evaluator.safetensors") +
                              " --epochs 8"));
  std::ofstream(dir / "tiny.yaml") << "model:\n  preset: tiny\n  d_model: 64\n  embedding_dim: 1024\ntraining:\n"
                                      "  batch_size: 16\n  grad_accum_steps: 1\n  warmup_steps: 20\n  learning_rate: 0.003\n"
                                      "  val_every: 200\n  val_sequences: 8\n  rollout_sequences: 2\n  log_every: 50\n"
                                      "  max_frames: 50\n  scheduled_sampling: 0.5\n  scheduled_sampling_start: 0.1\n"
                                      "  action_dropout: 0\n  delta_output: false\n  init: reference\n";
  // delta_output is off: in 400 steps the tiny residual model learns to repeat its input (its pose
  // MSE equals the repeat-last-frame baseline) and its rollouts freeze; the absolute head moves.
  const std::string base = "--threads 2 train --config " + q(dir / "tiny.yaml") + " --data " + data;
  // Random weights (the reference's xavier init: the scaled init would start at a still mean pose): one
  // step at a vanishing learning rate (the weights stay at their initialisation;
  // the file carries the motion space like any model).
  ASSERT_RUNS(test::run_stickgen_train(base + " --output " + q(dir / "random") + " --max-steps 1 --set training.learning_rate=1e-12"));
  ASSERT_RUNS(test::run_stickgen_train(base + " --output " + q(dir / "trained") + " --max-steps 400"));
  std::ofstream(dir / "prompts.txt") << "single\ta person walks\nsingle\ta person waves\nsingle\ta person jumps\n"
                                        "single\ta person sits down\nsingle\ta person runs\nsingle\ta person claps\n"
                                        "single\ta person kicks\nsingle\ta person punches\nsingle\ta person crouches\n"
                                        "single\ta person lies down\nsequence\ta person walks then waves\n"
                                        "sequence\ta man runs then jumps\nsequence\ta woman claps then sits down\n"
                                        "sequence\tsomeone punches then kicks\nsequence\ta man crouches then jumps\n"
                                        "paraphrase\ta woman strolls\nparaphrase\tsomeone leaps\nparaphrase\ta man applauds\n"
                                        "multi_actor\ta man walks while a woman waves\nmulti_actor\ta man runs and a woman claps\n";
  auto eval = [&](const std::string& model, const std::string& out, int threads) {
    return test::run_stickgen("eval --model " + q(dir / model / "best.safetensors") + " --data " + data + " --evaluator " +
                              q(dir / "evaluator.safetensors") + " -o " + q(dir / out) + " --samples 10 --prompts " +
                              q(dir / "prompts.txt") + " --prompt-seconds 6 --seed 4 -j " + std::to_string(threads));
  };
  ASSERT_RUNS(eval("random", "eval-random", 2));
  ASSERT_RUNS(eval("trained", "eval-trained", 2));
  for (const char* f : {"eval.json", "report.md", "per_action.png", "confusion.png", "metrics.png", "text_fidelity.png"}) {
    EXPECT_TRUE(fs::exists(dir / "eval-trained" / f)) << f;
  }
  const json r = read_json(dir / "eval-random" / "eval.json");
  const json t = read_json(dir / "eval-trained" / "eval.json");

  // Every generation score (lower is better) is clearly worse for random weights.
  ASSERT_GE(r["scores"].size(), 12u);
  for (const auto& [key, value] : r["scores"].items()) {
    const double random = value.get<double>(), trained = t["scores"][key].get<double>();
    std::printf("  %-24s random %12.4f  trained %10.4f\n", key.c_str(), random, trained);
    EXPECT_GT(random, 1.1 * trained + 1e-6) << key << ": random " << random << ", trained " << trained;
  }
  EXPECT_GT(t["generation"]["top1"].get<double>(), r["generation"]["top1"].get<double>() + 0.2);
  EXPECT_GT(r["generation"]["fid"].get<double>(), 1.5 * t["generation"]["fid"].get<double>());
  // The card's teacher-forced errors too (the action head is not trained with action_dropout 0).
  EXPECT_LT(t["card"]["pose_mse"].get<double>(), 0.5 * r["card"]["pose_mse"].get<double>());
  EXPECT_LT(t["card"]["velocity_rmse_bh_per_s"].get<double>(), r["card"]["velocity_rmse_bh_per_s"].get<double>());
  // The evaluator's ceiling and the FID noise floor are reported, and the floor is far below both models.
  EXPECT_GT(t["real"]["top1"].get<double>(), 0.8);
  EXPECT_LT(t["generation"]["fid_real_halves"].get<double>(), t["generation"]["fid"].get<double>());
  EXPECT_EQ(t["real"]["top1"], r["real"]["top1"]);
  // Generated top-1's sampling error: recomputed from the per-action results (10 clips each, a binomial
  // sample per action, top-1 their mean), and shown as a 95 % interval in the report.
  for (const json* e : {&r, &t}) {
    const json& g = (*e)["generation"];
    double var = 0, clips = 0;
    for (const auto& [name, a] : g["per_action"].items()) clips += a["samples"].get<double>();
    for (const auto& [name, a] : g["per_action"].items()) {
      const double n = a["samples"].get<double>(), p = a["top1"].get<double>();
      var += (n / clips) * (n / clips) * p * (1 - p) / (n - 1);
    }
    EXPECT_NEAR(g["top1_stderr"].get<double>(), std::sqrt(var), 1e-9);
    EXPECT_LE(g["top1_stderr"].get<double>(), 0.5 / std::sqrt(9.0));  // the most a mean of 10-clip binomials can have
  }
  {
    const std::string report = read_file(dir / "eval-trained" / "report.md");
    char interval[32];
    std::snprintf(interval, sizeof interval, " ± %.1f", 100.0 * 1.96 * t["generation"]["top1_stderr"].get<double>());
    EXPECT_NE(report.find(interval), std::string::npos) << interval;
    EXPECT_NE(report.find("95 % sampling interval"), std::string::npos);
  }

  // Deterministic for a seed, whatever the thread count.
  ASSERT_RUNS(eval("random", "eval-random-1", 1));
  json again = read_json(dir / "eval-random-1" / "eval.json");
  json first = r;
  again.erase("timing");
  first.erase("timing");
  EXPECT_EQ(again.dump(), first.dump());

  // The model card from the eval and a benchmark document; a missing number is refused.
  const json bench{{"machine", {{"cpu", "test"}, {"cpus", 2}, {"load_before", 1.0}, {"load_after", 1.0}}},
                   {"prompt", "a person walks then waves"},
                   {"generate_clip", {{{"threads", 1}, {"batch", 1}, {"frames", 250}, {"median_ms", 10.0}, {"p95_ms", 12.0},
                                       {"clips_per_s", 100.0}, {"frames_per_s", 25000.0}}}},
                   {"reference_comparison", {{{"threads", 1}, {"ours_ms", 10.0}, {"reference_ms", 5000.0}, {"ratio_wall", 500.0},
                                              {"ratio_cpu", 480.0}}}},
                   {"training", {{"batch", 4}, {"frames", 250}, {"stickgen_threads", "OpenBLAS 2, torch 1"},
                                 {"stickgen_frames_per_s", 900.0}, {"stickgen_ms_per_step", 1100.0},
                                 {"pytorch_version", "1.13"}, {"pytorch_threads", "torch 1, OpenBLAS 2"},
                                 {"pytorch_frames_per_s", 800.0}, {"pytorch_ms_per_step", 1240.0}, {"ratio", 1.125}}}};
  std::ofstream(dir / "bench.json") << bench.dump(2);
  auto card = test::run_stickgen("model-card --eval " + q(dir / "eval-trained" / "eval.json") + " --bench " + q(dir / "bench.json") +
                                 " -o " + q(dir / "MODEL_CARD.md"));
  ASSERT_EQ(card.exit_code, 0) << card.output;
  const std::string md = read_file(dir / "MODEL_CARD.md");
  EXPECT_EQ(md.find("TBD"), std::string::npos);
  EXPECT_NE(md.find("FID"), std::string::npos);
  EXPECT_NE(md.find("frames/s"), std::string::npos);
  json partial = bench;
  partial.erase("training");
  std::ofstream(dir / "partial.json") << partial.dump();
  auto refused = test::run_stickgen("model-card --eval " + q(dir / "eval-trained" / "eval.json") + " --bench " +
                                    q(dir / "partial.json") + " -o " + q(dir / "CARD2.md"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("training"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(dir / "CARD2.md"));
}
