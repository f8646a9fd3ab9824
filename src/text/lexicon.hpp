// The planner's lexicon: a hand-written table of words for each of the 64 actions (verbs, nouns used
// with light verbs, irregular forms), and an open-vocabulary fallback that maps any other English verb
// or noun to the nearest action through WordNet (synonyms, hypernyms, derivations). Internal to src/text;
// the public face is in stickgen/planner.hpp.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stickgen/plan.hpp"
#include "text/wordnet.hpp"

namespace stickgen::text {

// What a word asks for besides its action: "strolls" is a slow walk, "sobs" is crying sadly.
struct ActionHint {
  int action = -1;
  float tempo = 1.f;      // multiplies the segment's tempo
  float intensity = 1.f;  // multiplies the segment's intensity
  int expression = -1;    // Expression id, -1 = none
  Direction direction = Direction::none;
};

struct LexMatch {
  ActionHint hint;
  float cost = 0.f;   // 0 for the hand lexicon; WordNet path cost otherwise (lower is closer)
  std::string lemma;  // base form that matched
  std::string via;    // how: "lexicon" or a WordNet path like "stroll.v.01 @ walk.v.01"
};

class Lexicon {
 public:
  // The process-wide lexicon; WordNet is opened on first use (thread-safe).
  static Lexicon& instance();

  bool has_wordnet() const { return wn_ != nullptr; }
  const std::string& wordnet_problem() const { return wn_problem_; }  // why WordNet is missing
  const wordnet::Database* wordnet() const { return wn_.get(); }

  // A word read as a verb: hand lexicon (with morphology), then WordNet when `open_vocab`.
  std::optional<LexMatch> verb(std::string_view word, bool open_vocab);
  // A word read as a noun naming an activity ("a walk", "a stroll", "a nap").
  std::optional<LexMatch> noun(std::string_view word, bool open_vocab);
  // WordNet alone, bypassing the hand lexicon and the cache (for tests and `stickgen words`).
  std::optional<LexMatch> wordnet_match(std::string_view word, bool as_noun) {
    std::lock_guard lock(mu_);
    return wordnet_search(word, as_noun);
  }
  // Every action the word can mean (verb and noun readings), cheapest first.
  std::vector<LexMatch> all_actions(std::string_view word, bool open_vocab);
  // Verb base forms of a word: irregular table, WordNet exceptions and detachment rules.
  std::vector<std::string> verb_bases(std::string_view word) const;
  std::vector<std::string> noun_bases(std::string_view word) const;
  // What a noun names: 0 nothing that acts, 1 a person-like figure (person, robot, spirit), 2 an animal.
  int animate_class(std::string_view word);

  // Hand-lexicon verb lemmas for an action (first = canonical).
  std::vector<std::string_view> verbs_for(int action) const;

 private:
  Lexicon();
  void init_seeds();
  std::optional<LexMatch> wordnet_search(std::string_view word, bool as_noun);
  std::vector<LexMatch> wordnet_all(std::string_view word, bool as_noun);

  std::unique_ptr<wordnet::Database> wn_;
  std::string wn_problem_;
  // seed synset key (pos << 32 | offset) -> action
  std::unordered_map<uint64_t, int> seeds_;
  std::mutex mu_;
  std::unordered_map<std::string, std::optional<LexMatch>> verb_cache_, noun_cache_;
  std::unordered_map<std::string, int> animate_cache_;
};

// Hand tables (exposed for the planner's parser and for tests).
const ActionHint* hand_verb(std::string_view lemma);
const ActionHint* hand_noun(std::string_view lemma);
// "ran" -> run, "sat" -> sit: irregular verb forms known without WordNet.
std::string_view irregular_verb_base(std::string_view word);

}  // namespace stickgen::text
