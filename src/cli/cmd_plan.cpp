// stickgen plan "<prompt>" [--json] [--seconds S]: what the planner makes of a prompt.
// stickgen words WORD...: which action each word maps to, and how (hand lexicon or WordNet path).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/planner.hpp"

namespace stickgen::cli {
namespace {

struct PlanArgs {
  std::string prompt;
  bool json = false;
  float seconds = 10.f;
  int max_actors = 3;
  uint64_t seed = 0;
  bool closed = false;
};

void add_plan(CLI::App& app) {
  auto args = std::make_shared<PlanArgs>();
  auto* cmd = app.add_subcommand("plan", "Show the plan (actors, action timelines) a prompt produces");
  cmd->add_option("prompt", args->prompt, "What should happen, in English")->required();
  cmd->add_flag("--json", args->json, "Print the plan as JSON");
  cmd->add_option("--seconds", args->seconds, "Clip length in seconds")->check(CLI::Range(0.5, 600.0));
  cmd->add_option("--max-actors", args->max_actors, "Most figures in the scene")->check(CLI::Range(1, 8));
  cmd->add_option("--seed", args->seed, "0 = canonical plan; other values vary unspecified durations");
  cmd->add_flag("--closed-vocabulary", args->closed, "Use only the built-in word list (no WordNet)");
  cmd->callback([args] {
    PlannerOptions opts;
    opts.duration = args->seconds;
    opts.max_actors = args->max_actors;
    opts.seed = args->seed;
    opts.open_vocabulary = !args->closed;
    Plan plan = plan_prompt(args->prompt, opts);
    for (const auto& w : plan.warnings) std::fprintf(stderr, "stickgen: warning: %s\n", w.c_str());
    if (args->json) {
      std::cout << plan_to_json(plan) << "\n";
    } else {
      std::cout << plan_to_table(plan);
    }
  });
}

struct WordsArgs {
  std::vector<std::string> words;
};

void add_words(CLI::App& app) {
  auto args = std::make_shared<WordsArgs>();
  auto* cmd = app.add_subcommand("words", "Show which of the 64 actions words map to (lexicon + WordNet)");
  cmd->add_option("words", args->words, "Words to look up")->required();
  cmd->callback([args] {
    auto st = lexicon_status();
    if (!st.wordnet) std::fprintf(stderr, "stickgen: warning: WordNet unavailable: %s\n", st.problem.c_str());
    for (const auto& w : args->words) {
      auto meanings = explain_word(w);
      if (meanings.empty()) {
        std::printf("%-14s -> (no action)\n", w.c_str());
        continue;
      }
      bool first = true;
      for (const auto& m : meanings) {
        std::printf("%-14s %s %-15s cost %.2f  %s\n", first ? w.c_str() : "", first ? "->" : "  ",
                    std::string(action_name(m.action)).c_str(), m.cost, m.via.c_str());
        first = false;
      }
    }
  });
}

STICKGEN_COMMAND(5, add_plan);
STICKGEN_COMMAND(6, add_words);

}  // namespace
}  // namespace stickgen::cli
