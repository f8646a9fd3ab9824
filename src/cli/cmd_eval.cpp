// stickgen eval: the evaluation protocol of docs/EVALUATION.md on a dataset's test split — JSON,
// markdown report and PNG charts in -o DIR; optionally the model card (--model-card, with --bench).
// stickgen model-card: MODEL_CARD.md from an eval JSON and a benchmark JSON.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/eval.hpp"
#include "stickgen/progress.hpp"

namespace stickgen::cli {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

json read_json(const std::string& path, const char* flag) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw Error(std::string(flag) + ": " + path + " is not JSON (" + e.what() + ")");
  }
}

struct EvalArgs {
  eval::EvalOptions o;
  std::string model, data, evaluator, prompts, output = "eval", model_card, bench, samples;
  bool quiet = false;
};

void add_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a model on a dataset's test split (docs/EVALUATION.md)");
  cmd->add_option("--model", a->model, "Model file (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--data", a->data, "Dataset directory; only its test split is used")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--evaluator", a->evaluator, "Evaluator file (default: evaluator.safetensors beside the model)");
  cmd->add_option("-o,--output", a->output, "Directory for eval.json, report.md and the charts")->capture_default_str();
  cmd->add_option("--seed", a->o.seed, "Seed (same inputs + seed = same numbers)")->capture_default_str();
  cmd->add_option("--samples", a->o.samples, "Generated clips per test action (ACTOR protocol)")
      ->check(CLI::Range(2, 10000))
      ->capture_default_str();
  cmd->add_option("--prompts", a->prompts, "Prompt suite file (one per line, optional 'category<TAB>prompt')")->check(CLI::ExistingFile);
  cmd->add_option("--max-prompts", a->o.max_prompts, "Use this many prompts of the suite, evenly spread (0 = all)");
  cmd->add_option("--max-test-clips", a->o.max_test_clips, "Use the first N test clips (0 = all)");
  cmd->add_option("--action-seconds", a->o.action_seconds, "Length of each action-conditioned clip")
      ->check(CLI::Range(1.0, 60.0))
      ->capture_default_str();
  cmd->add_option("--prompt-seconds", a->o.prompt_seconds, "Plan length of each suite prompt")
      ->check(CLI::Range(1.0, 60.0))
      ->capture_default_str();
  cmd->add_option("--noise", a->o.noise, "Generation noise (as stickgen generate)")->capture_default_str();
  cmd->add_option("--guidance", a->o.guidance, "Action guidance (as stickgen generate)")->check(CLI::Range(0.0, 10.0))->capture_default_str();
  cmd->add_option("--prime", a->o.prime, "Procedural opening in seconds (as stickgen generate)")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  cmd->add_option("--candidates", a->o.candidates, "Candidate takes per generated clip (as stickgen generate)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--candidate-seconds", a->o.candidate_seconds, "Selection interval of --candidates (as stickgen generate)")
      ->check(CLI::Range(0.04, 3600.0))
      ->capture_default_str();
  cmd->add_option_function<std::string>(
         "--hypothesis", [a](const std::string& v) { a->o.draw_hypotheses = v == "draw"; },
         "For a model with pose hypotheses: draw or likeliest (as stickgen generate; default draw)")
      ->check(CLI::IsMember({"draw", "likeliest"}));
  cmd->add_flag_callback("--no-ground-contact", [a] { a->o.ground_contact = false; },
                         "Leave generated figures floating (as stickgen generate)");
  cmd->add_option("-j,--threads", a->o.threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->add_option("--save-samples", a->samples, "Write the first generated clip of every action and of the first 20 prompts (.motion) here");
  cmd->add_option("--model-card", a->model_card, "Also write the model card here (needs --bench)");
  cmd->add_option("--bench", a->bench, "Benchmark JSON for the model card (bench/run_benchmarks.sh)")->check(CLI::ExistingFile);
  cmd->add_flag("-q,--quiet", a->quiet, "No progress bar or summary");
  cmd->callback([a] {
    if (!a->model_card.empty() && a->bench.empty()) throw Error("--model-card needs --bench (the performance section)");
    a->o.model = a->model;
    a->o.data = a->data;
    a->o.evaluator = a->evaluator;
    a->o.prompts = a->prompts;
    a->o.samples_dir = a->samples;
    a->o.progress = !a->quiet && Progress::stderr_is_interactive();
    if (a->quiet) a->o.log = [](const std::string&) {};
    const json result = eval::evaluate(a->o);
    eval::write_eval_report(result, a->output);
    if (!a->model_card.empty())
      write_file_atomic(a->model_card, eval::model_card_markdown(result, read_json(a->bench, "--bench")));
    if (!a->quiet) {
      const auto& g = result["generation"];
      std::printf("eval: %s\n  card: pose MSE %.4f (normalised), %.5f (body heights^2); action accuracy %.3f\n"
                  "  generated: top-1 %.3f (real %.3f), FID %.3f (real halves %.3f), diversity %.3f (real %.3f)\n"
                  "  text fidelity: top-1 %.3f over %lld segments\n  report: %s\n",
                  a->model.c_str(), result["card"]["pose_mse"].get<double>(), result["card"]["pose_mse_body_heights"].get<double>(),
                  result["card"]["action_accuracy"].get<double>(), g["top1"].get<double>(), result["real"]["top1"].get<double>(),
                  g["fid"].get<double>(), g["fid_real_halves"].get<double>(), g["diversity"].get<double>(),
                  g["diversity_real"].get<double>(), result["text"]["top1"].get<double>(),
                  static_cast<long long>(result["text"]["segments"].get<int64_t>()), (fs::path(a->output) / "report.md").c_str());
    }
  });
}

struct CardArgs {
  std::string eval, bench, output = "MODEL_CARD.md";
};

void add_model_card(CLI::App& app) {
  auto a = std::make_shared<CardArgs>();
  auto* cmd = app.add_subcommand("model-card", "Write MODEL_CARD.md from an eval JSON and a benchmark JSON");
  cmd->add_option("--eval", a->eval, "eval.json from stickgen eval")->required()->check(CLI::ExistingFile);
  cmd->add_option("--bench", a->bench, "Benchmark JSON (bench/run_benchmarks.sh)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", a->output, "Model card to write")->capture_default_str();
  cmd->callback([a] {
    write_file_atomic(a->output, eval::model_card_markdown(read_json(a->eval, "--eval"), read_json(a->bench, "--bench")));
    std::printf("model card: %s\n", a->output.c_str());
  });
}

STICKGEN_COMMAND(60, add_eval);
STICKGEN_COMMAND(61, add_model_card);

}  // namespace
}  // namespace stickgen::cli
