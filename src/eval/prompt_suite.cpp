// The text-fidelity prompt suite (docs/EVALUATION.md): built from the action vocabulary and the
// planner's lexicon so every action appears, plus hand-written sequences and multi-actor scenes.
// The planner's timeline of each prompt is its ground truth, so the suite needs no labels.
#include <fstream>
#include <set>

#include "stickgen/actions.hpp"
#include "stickgen/common.hpp"
#include "stickgen/eval.hpp"
#include "stickgen/planner.hpp"

namespace stickgen::eval {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Third person of a base-form verb ("fly" -> "flies", "pass" -> "passes", "lie down" -> "lies down").
std::string third_person(const std::string& verb) {
  const auto space = verb.find(' ');
  std::string head = verb.substr(0, space), rest = space == std::string::npos ? "" : verb.substr(space);
  const std::string vowels = "aeiou";
  if (ends_with(head, "s") || ends_with(head, "sh") || ends_with(head, "ch") || ends_with(head, "x") || ends_with(head, "z") ||
      ends_with(head, "o"))
    head += "es";
  else if (head.size() > 1 && head.back() == 'y' && vowels.find(head[head.size() - 2]) == std::string::npos)
    head = head.substr(0, head.size() - 1) + "ies";
  else
    head += "s";
  return head + rest;
}

const char* const kSubjects[] = {"a man", "a woman", "someone", "the child", "an old man", "a girl", "the boy", "a person"};
const char* const kManners[] = {"", " slowly", "", " quickly", "", " happily", "", " carefully"};

}  // namespace

std::string canonical_prompt(int action) {
  const ActionInfo& info = action_info(action);
  if (info.interaction) return "two people " + std::string(action_phrase(action, VerbForm::base));
  return "a person " + std::string(action_phrase(action, VerbForm::third_person));
}

std::vector<SuitePrompt> prompt_suite() {
  std::vector<SuitePrompt> out;
  std::set<std::string> seen;
  auto add = [&](std::string text, const char* category) {
    if (seen.insert(text).second) out.push_back({std::move(text), category});
  };
  // Template-made sequences and scenes are kept only when the planner reads them as such (a few
  // verb pairs merge into one clause, e.g. "pulls then falls down").
  auto add_checked = [&](std::string text, const char* category, size_t min_segments, size_t min_actors) {
    const Plan plan = plan_prompt(text);
    if (plan.actors.size() >= min_actors && !plan.actors.empty() && plan.actors[0].timeline.size() >= min_segments)
      add(std::move(text), category);
  };
  // Every action in its canonical phrasing.
  for (int a = 0; a < kNumActions; ++a) add(canonical_prompt(a), "single");
  // Paraphrases: a lexicon synonym (or the canonical verb with a manner word), other subjects.
  std::vector<int> solo;
  for (int a = 0; a < kNumActions; ++a)
    if (!action_info(a).interaction) solo.push_back(a);
  for (size_t i = 0; i < solo.size(); ++i) {
    const int a = solo[i];
    const auto verbs = verbs_for_action(a);
    const std::string subject = kSubjects[i % 8];
    if (verbs.size() >= 2)
      add(subject + " " + third_person(std::string(verbs[1])) + kManners[i % 8], "paraphrase");
    else
      add(subject + " " + std::string(action_phrase(a, VerbForm::third_person)) + kManners[(i + 1) % 8], "paraphrase");
  }
  for (const char* p : {"two friends shake hands", "a man and a woman embrace", "two kids high five each other",
                        "two boxers spar", "the soldier salutes proudly", "a tired man limps along", "a dancer twirls",
                        "a toddler crawls on the floor", "the athlete dashes forward", "a woman sobs quietly"})
    add(p, "paraphrase");
  // Sequences: two and three steps, solo actions.
  for (size_t i = 0; i < 48; ++i) {
    const int a = solo[(i * 5) % solo.size()], b = solo[(i * 11 + 7) % solo.size()];
    if (a == b) continue;
    add_checked(std::string(kSubjects[i % 8]) + " " + std::string(action_phrase(a)) + " then " + std::string(action_phrase(b)),
                "sequence", 2, 1);
  }
  for (size_t i = 0; i < 20; ++i) {
    const int a = solo[(i * 13 + 1) % solo.size()], b = solo[(i * 7 + 20) % solo.size()], c = solo[(i * 3 + 40) % solo.size()];
    if (a == b || b == c || a == c) continue;
    add_checked(std::string(kSubjects[(i + 3) % 8]) + " " + std::string(action_phrase(a)) + ", then " +
                    std::string(action_phrase(b)) + ", then " + std::string(action_phrase(c)),
                "sequence", 3, 1);
  }
  for (const char* p : {"a person walks then waves", "a man runs, jumps, then sits down", "a woman stands up and stretches",
                        "someone walks forward, turns around and walks back", "a boy sprints then falls down and gets up",
                        "a woman sits down then reads a book", "a man kneels then stands", "a girl skips then hops",
                        "a person looks around then points", "a man lifts a box then carries a box"})
    add(p, "sequence");
  // Several actors.
  for (int a = 0; a < kNumActions; ++a)
    if (action_info(a).interaction) {
      add(canonical_prompt(a) + " then wave", "multi_actor");
      add("a man and a woman " + std::string(action_phrase(a, VerbForm::base)), "multi_actor");
    }
  for (size_t i = 0; i < 30; ++i) {
    const int a = solo[(i * 7 + 2) % solo.size()], b = solo[(i * 17 + 9) % solo.size()];
    if (a == b) continue;
    add_checked("a man " + std::string(action_phrase(a)) + " while a woman " + std::string(action_phrase(b)), "multi_actor", 1, 2);
  }
  for (const char* p : {"three people dance", "two people talk", "a man waves and a woman waves back",
                        "two men fight then one falls down", "a boy kicks a ball while a girl claps",
                        "two people walk side by side", "a child runs and an old man walks", "three friends celebrate",
                        "two people shake hands then walk away", "a man throws a ball and a woman catches a ball"})
    add(p, "multi_actor");
  return out;
}

std::vector<SuitePrompt> read_prompt_suite(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot read the prompt suite");
  std::vector<SuitePrompt> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    SuitePrompt p;
    const auto tab = line.find('\t');
    if (tab != std::string::npos) {
      p.category = line.substr(0, tab);
      p.text = line.substr(tab + 1);
    } else {
      p.category = "custom";
      p.text = line.substr(first);
    }
    if (p.text.empty()) throw Error(path.string() + ":" + std::to_string(n) + ": empty prompt");
    out.push_back(std::move(p));
  }
  if (out.empty()) throw Error(path.string() + ": no prompts");
  return out;
}

}  // namespace stickgen::eval
