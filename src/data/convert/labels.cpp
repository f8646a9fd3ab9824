// Labels from what the files carry: description text -> action (through the planner), file names -> words,
// CMU index text.
#include <algorithm>
#include <array>
#include <cctype>

#include "data/convert/text_scan.hpp"
#include "stickgen/actions.hpp"
#include "stickgen/convert.hpp"
#include "stickgen/planner.hpp"

namespace stickgen::convert {

namespace {

// The action the planner reads in one clause: its first segment that a word produced (a plan that only
// idles by default has no verb). When the planner finds none — mocap indexes write noun phrases such as
// "forward jumps" — the clause's earliest word the hand lexicon knows (cost 0) names it.
std::optional<int> clause_action(std::string_view clause) {
  const Plan plan = plan_prompt(clause);
  for (const ActorPlan& actor : plan.actors)
    for (const ActionSegment& seg : actor.timeline)
      if (!seg.verb.empty() && seg.action >= 0 && seg.action < kNumActions) return seg.action;
  for (const std::string& word : tokenize(clause)) {
    const auto meanings = explain_word(word);
    if (!meanings.empty() && meanings.front().via == "lexicon" && meanings.front().action >= 0 &&
        meanings.front().action < kNumActions)
      return meanings.front().action;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> action_for_text(std::string_view text) {
  // Clause by clause ("playground - forward jumps, turn around"), the first clause naming an action wins.
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const bool cut = i == text.size() || std::string_view(",;:/()[]|-").find(text[i]) != std::string_view::npos;
    if (!cut) continue;
    const std::string_view clause = trim(text.substr(start, i - start));
    start = i + 1;
    if (clause.empty()) continue;
    if (auto a = clause_action(clause)) return a;
  }
  return std::nullopt;
}

std::string words_of_name(std::string_view name) {
  std::string out;
  auto push_space = [&] {
    if (!out.empty() && out.back() != ' ') out += ' ';
  };
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (std::isalnum(c)) {
      // a word boundary at lower->Upper ("ArmsAbove") and letter<->digit ("walk02")
      if (i > 0) {
        const unsigned char p = static_cast<unsigned char>(name[i - 1]);
        const bool lower_upper = std::islower(p) && std::isupper(c);
        const bool letter_digit = (std::isalpha(p) && std::isdigit(c)) || (std::isdigit(p) && std::isalpha(c));
        const bool acronym_end = std::isupper(p) && std::isupper(c) && i + 1 < name.size() &&
                                 std::islower(static_cast<unsigned char>(name[i + 1]));
        if (lower_upper || letter_digit || acronym_end) push_space();
      }
      out += static_cast<char>(std::tolower(c));
    } else {
      push_space();
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::map<std::string, std::string> parse_cmu_index(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : split_lines(text)) {
    line = trim(line);
    // "Subject #1 (climb, swing, hang on playground equipment)"
    if (line.size() > 9 && equals_ignore_case(line.substr(0, 9), "subject #")) {
      size_t i = 9, j = i;
      while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
      const auto open = line.find('(', j), close = line.rfind(')');
      if (j > i && open != std::string_view::npos && close != std::string_view::npos && close > open) {
        std::string subject(line.substr(i, j - i));
        if (subject.size() < 2) subject = "0" + subject;
        out[subject] = std::string(trim(line.substr(open + 1, close - open - 1)));
      }
      continue;
    }
    // "01_01   playground - forward jumps, turn around"
    size_t j = 0;
    while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
    if (j == 0 || j >= line.size() || line[j] != '_') continue;
    size_t k = j + 1;
    while (k < line.size() && std::isdigit(static_cast<unsigned char>(line[k]))) ++k;
    if (k == j + 1 || k >= line.size() || !is_space(line[k])) continue;
    const std::string_view desc = trim(line.substr(k));
    if (!desc.empty()) out[std::string(line.substr(0, k))] = std::string(desc);
  }
  return out;
}

}  // namespace stickgen::convert
