// The planner: an English prompt -> a Plan (actors, per-actor action timelines, modifiers, interactions),
// plus the lexicon behind it (word -> nearest of the 64 actions, through a hand table and WordNet) and the
// text normalisation the text encoder shares. Grammar and decisions: docs/PLANNER.md.
//
// Never throws on a prompt: empty, hostile or foreign text yields a default plan (one figure idling, or
// whatever words made sense) and one-line warnings in Plan::warnings. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stickgen/plan.hpp"

namespace stickgen {

struct PlannerOptions {
  float duration = 10.f;        // seconds the plan covers (`--seconds`); clamped to [0.5, 600]
  int max_actors = 3;           // more are merged away with a warning; clamped to [1, 8]
  uint64_t seed = 0;            // 0: canonical plan; else jitters unspecified durations and start positions
  bool open_vocabulary = true;  // map words outside the hand lexicon through WordNet
};

constexpr size_t kMaxPromptBytes = 4096;  // longer prompts are cut (at a code-point boundary) with a warning

Plan plan_prompt(std::string_view prompt, const PlannerOptions& opts = {});

// ---- plan serialisation ----
// {"prompt","duration","actors":[{"name","kind","color","start_x","facing","timeline":[{"action","start",
//  "end","tempo","intensity","direction","expression","target","repeats","verb","overlay"}]}],"warnings"}
std::string plan_to_json(const Plan& plan, int indent = 2);
// Parses plan_to_json's output; throws Error naming the field on malformed input.
Plan plan_from_json(std::string_view json);
// A human-readable table, one line per segment.
std::string plan_to_table(const Plan& plan);
// Checks the invariants every consumer relies on (sorted, contiguous, covering [0, duration], ids in range);
// returns "" when valid, else a one-line description of the first violation.
std::string check_plan(const Plan& plan);

std::optional<Direction> parse_direction(std::string_view name);

// ---- text normalisation shared with the text encoder ----
// UTF-8-safe clean-up: invalid bytes and control characters become spaces, typographic quotes/dashes become
// ASCII, ASCII letters are lower-cased; never splits a code point. Cut at kMaxPromptBytes.
std::string normalize_text(std::string_view text);
// Lower-case tokens: words (letters, digits, internal apostrophes), numbers ("3", "2.5") and the sentence
// punctuation , . ; : ! ? as their own tokens. Hyphens split words ("high-five" -> "high", "five");
// "3s" -> "3", "s"; contractions expand ("doesn't" -> "does", "not"). Non-ASCII words are kept whole.
std::vector<std::string> tokenize(std::string_view text);

// ---- lexicon ----
// Base form of a verb ("sprints" -> "sprint", "ran" -> "run", "jogging" -> "jog"); the word itself when no
// rule applies. Uses WordNet's exception lists when present.
std::string verb_base_form(std::string_view word);
// The action a word most likely means (verb reading first, then noun reading), or nullopt.
std::optional<int> nearest_action(std::string_view word);
// Every action the word can mean, best first (hand lexicon, then WordNet by path cost).
std::vector<int> actions_for_word(std::string_view word);
struct WordMeaning {
  int action = -1;
  float cost = 0.f;       // 0 = hand lexicon; WordNet path length otherwise
  std::string lemma;      // the base form that matched
  std::string via;        // "lexicon" or a WordNet path, e.g. "stroll.v.01 > walk.v.01"
};
std::vector<WordMeaning> explain_word(std::string_view word);

// Phrases that plan back to exactly one action, for description generators (the planner's inverse).
enum class VerbForm { base, third_person, gerund };
// "walks", "lies down", "swings a bat", "shakes hands" (interactions need a partner in the sentence).
std::string_view action_phrase(int action, VerbForm form = VerbForm::third_person);
// Hand-lexicon synonyms of an action that carry no modifier of their own (first = canonical verb).
std::vector<std::string_view> verbs_for_action(int action);

struct LexiconStatus {
  bool wordnet = false;     // WordNet database found and readable
  std::string wordnet_dir;  // where it was looked for
  std::string problem;      // why it is unavailable ("" when available)
};
LexiconStatus lexicon_status();

}  // namespace stickgen
