// Labels from what the files carry: description text -> action, file names -> words, CMU index text.
// action_for_text is the one place that maps words to actions for the converters; it uses a small keyword
// table until the planner's lexicon (stickgen/planner.hpp nearest_action) is linked into the core.
#include <algorithm>
#include <array>
#include <cctype>

#include "data/convert/text_scan.hpp"
#include "stickgen/actions.hpp"
#include "stickgen/convert.hpp"

namespace stickgen::convert {
namespace {

struct Phrase {
  std::string_view words;  // space-separated base forms
  int action;
};

// Two-word phrases first: they win over their single words ("sit down" is sit, "get up" is get_up).
constexpr Phrase kPhrases[] = {
    {"shake hand", act::handshake}, {"high five", act::high_five}, {"lie down", act::lie_down},
    {"lay down", act::lie_down},    {"get up", act::get_up},       {"stand up", act::stand},
    {"sit down", act::sit},         {"look around", act::looking_around}, {"pick up", act::lift},
    {"turn around", act::turn},     {"fall down", act::fall},      {"jumping jack", act::jump},
    {"cart wheel", act::spin},      {"tai chi", act::dance},       {"side step", act::walk},
};

constexpr Phrase kWords[] = {
    {"idle", act::idle},         {"rest", act::idle},          {"wait", act::idle},
    {"walk", act::walk},         {"stroll", act::walk},        {"step", act::walk},          {"stride", act::walk},
    {"pace", act::walk},         {"wander", act::walk},        {"strut", act::walk},         {"tiptoe", act::walk},
    {"run", act::run},           {"jog", act::run},            {"sprint", act::sprint},      {"dash", act::sprint},
    {"jump", act::jump},         {"leap", act::jump},          {"hop", act::hop},            {"bounce", act::hop},
    {"wave", act::wave},         {"talk", act::talk},          {"speak", act::talk},         {"phone", act::talk},
    {"shout", act::shout},       {"yell", act::shout},         {"scream", act::shout},       {"whisper", act::whisper},
    {"sing", act::sing},         {"point", act::point},        {"clap", act::clap},          {"applaud", act::clap},
    {"bat", act::batting},       {"batting", act::batting},    {"baseball", act::batting},   {"pitch", act::pitching},
    {"catch", act::catching},    {"field", act::fielding},     {"throw", act::throwing},     {"toss", act::throwing},
    {"soccer", act::kicking},    {"football", act::kicking},   {"dribble", act::dribbling},  {"basketball", act::dribbling},
    {"shoot", act::shooting},    {"fight", act::fight},        {"box", act::fight},          {"boxing", act::fight},
    {"spar", act::fight},        {"wrestle", act::fight},      {"martial", act::fight},      {"karate", act::fight},
    {"punch", act::punch},       {"jab", act::punch},          {"hit", act::punch},          {"slap", act::punch},
    {"strike", act::punch},      {"chop", act::punch},         {"kick", act::kick},          {"dodge", act::dodge},
    {"duck", act::dodge},        {"evade", act::dodge},        {"sit", act::sit},            {"seat", act::sit},
    {"stand", act::stand},       {"kneel", act::kneel},        {"lie", act::lie_down},       {"eat", act::eating},
    {"drink", act::drinking},    {"read", act::reading},       {"type", act::typing},        {"write", act::typing},
    {"look", act::looking_around}, {"search", act::looking_around}, {"climb", act::climbing}, {"ladder", act::climbing},
    {"crawl", act::crawling},    {"swim", act::swimming},      {"fly", act::flying},         {"aeroplane", act::flying},
    {"airplane", act::flying},   {"celebrate", act::celebrate}, {"cheer", act::celebrate},   {"elated", act::celebrate},
    {"dance", act::dance},       {"salsa", act::dance},        {"waltz", act::dance},        {"ballet", act::dance},
    {"cry", act::cry},           {"sob", act::cry},            {"laugh", act::laugh},        {"handshake", act::handshake},
    {"hug", act::hug},           {"embrace", act::hug},        {"turn", act::turn},          {"rotate", act::turn},
    {"crouch", act::crouch},     {"crouched", act::crouch},    {"bow", act::bow},            {"spin", act::spin},
    {"twirl", act::spin},        {"pirouette", act::spin},     {"skip", act::skip},          {"march", act::march},
    {"push", act::push},         {"shove", act::push},         {"pull", act::pull},          {"drag", act::pull},
    {"lift", act::lift},         {"carry", act::carry},        {"squat", act::squat},        {"stretch", act::stretch},
    {"salute", act::salute},     {"shrug", act::shrug},        {"fall", act::fall},          {"stumble", act::fall},
    {"trip", act::fall},         {"limp", act::limp},          {"stagger", act::limp},       
};

// Base forms to try for a word: itself, then with -s/-es/-ing/-ed removed (undoubling "jogging" -> "jog",
// restoring "e": "dancing" -> "dance").
std::vector<std::string> bases(const std::string& w) {
  std::vector<std::string> out{w};
  auto add = [&](std::string s) {
    if (s.size() >= 2 && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  auto ends = [&](std::string_view suf) { return w.size() > suf.size() + 1 && w.compare(w.size() - suf.size(), suf.size(), suf) == 0; };
  auto stem_variants = [&](std::string s) {
    add(s);
    add(s + "e");
    if (s.size() >= 3 && s[s.size() - 1] == s[s.size() - 2]) add(s.substr(0, s.size() - 1));
  };
  if (ends("ies")) add(w.substr(0, w.size() - 3) + "y");
  if (ends("es")) add(w.substr(0, w.size() - 2));
  if (ends("s") && !ends("ss")) add(w.substr(0, w.size() - 1));
  if (ends("ing")) stem_variants(w.substr(0, w.size() - 3));
  if (ends("ed")) stem_variants(w.substr(0, w.size() - 2));
  if (w == "ran") add("run");
  if (w == "sat") add("sit");
  if (w == "threw" || w == "thrown") add("throw");
  if (w == "fell" || w == "fallen") add("fall");
  if (w == "flew") add("fly");
  if (w == "lay" || w == "lying" || w == "lain") add("lie");
  if (w == "stood") add("stand");
  if (w == "caught") add("catch");
  if (w == "hands" || w == "hand") add("hand");
  return out;
}

std::optional<int> word_action(const std::string& w) {
  for (const std::string& b : bases(w))
    for (const Phrase& p : kWords)
      if (p.words == b) return p.action;
  return std::nullopt;
}

std::vector<std::string> lower_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : text) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

}  // namespace

std::optional<int> action_for_text(std::string_view text) {
  const auto words = lower_words(text);
  // Earliest position wins; at one position a phrase beats its first word.
  for (size_t i = 0; i < words.size(); ++i) {
    if (i + 1 < words.size()) {
      for (const Phrase& p : kPhrases) {
        const size_t sp = p.words.find(' ');
        const std::string_view a = p.words.substr(0, sp), b = p.words.substr(sp + 1);
        auto match = [](const std::string& word, std::string_view base) {
          for (const std::string& x : bases(word))
            if (x == base) return true;
          return false;
        };
        if (match(words[i], a) && match(words[i + 1], b)) return p.action;
      }
    }
    if (auto a = word_action(words[i])) return a;
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
