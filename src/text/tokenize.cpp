#include "text/tokenize.hpp"

#include <cstdint>
#include <cstdlib>

#include "stickgen/planner.hpp"

namespace stickgen::text {
namespace {

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Decodes one UTF-8 sequence at s[i]; returns its length (1 for an invalid byte, with cp = -1).
size_t decode(std::string_view s, size_t i, int32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  int32_t v;
  if (b < 0x80) { cp = b; return 1; }
  if (b >= 0xC2 && b <= 0xDF) { n = 2; v = b & 0x1F; }
  else if (b >= 0xE0 && b <= 0xEF) { n = 3; v = b & 0x0F; }
  else if (b >= 0xF0 && b <= 0xF4) { n = 4; v = b & 0x07; }
  else { cp = -1; return 1; }
  if (i + n > s.size()) { cp = -1; return 1; }
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) { cp = -1; return 1; }
    v = (v << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF)) {
    cp = -1;
    return 1;
  }
  cp = v;
  return n;
}

}  // namespace

CleanText clean_text(std::string_view in, size_t max_bytes) {
  CleanText out;
  if (in.size() > max_bytes) {
    // Cut at a code-point boundary: back up over continuation bytes.
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(in[cut]) & 0xC0) == 0x80) --cut;
    in = in.substr(0, cut);
    out.truncated = true;
  }
  out.text.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    int32_t cp;
    size_t n = decode(in, i, cp);
    std::string_view bytes = in.substr(i, n);
    i += n;
    if (cp < 0) {
      out.had_control = true;
      out.text += ' ';
      continue;
    }
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (cp == '\t' || cp == '\n' || cp == '\r') { out.text += ' '; continue; }
      if (cp < 0x20 || cp == 0x7F) { out.had_control = true; out.text += ' '; continue; }
      if (is_ascii_letter(c)) ++out.ascii_letters;
      if (std::string_view("<>{}[]=$\\|`#*^~_@%").find(c) != std::string_view::npos) ++out.symbols;
      out.text += c;
      continue;
    }
    // Typographic punctuation -> ASCII; invisible characters dropped; C1 controls -> space.
    switch (cp) {
      case 0x2018: case 0x2019: case 0x02BC: out.text += '\''; continue;
      case 0x201C: case 0x201D: case 0x00AB: case 0x00BB: out.text += '"'; continue;
      case 0x2013: case 0x2014: case 0x2015: out.text += " , "; continue;
      case 0x2026: out.text += " . "; continue;
      case 0x00A0: case 0x2002: case 0x2003: case 0x2009: case 0x202F: case 0x3000: out.text += ' '; continue;
      case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF: case 0x00AD: continue;
      case 0x3002: case 0xFF0E: out.text += " . "; continue;   // ideographic full stop
      case 0xFF0C: case 0x3001: out.text += " , "; continue;   // full-width / ideographic comma
      default: break;
    }
    if (cp < 0xA0 || (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      out.had_control = true;  // C1 controls, line/paragraph separators, bidi overrides
      out.text += ' ';
      continue;
    }
    // Symbols and emoji are not letters of another language.
    bool symbol = (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0xFE00 && cp <= 0xFE0F);
    if (symbol) {
      out.text += ' ';
      continue;
    }
    ++out.other_letters;
    out.text.append(bytes);
  }
  // Strip markup: <tag ...>, </tag>, <!-- ... -->. Only when it looks like a tag (letter, '/' or '!' after '<').
  // Script and style elements go with their content.
  std::string stripped;
  stripped.reserve(out.text.size());
  const std::string& t = out.text;
  auto lower_at = [&](size_t k, std::string_view what) {
    if (k + what.size() > t.size()) return false;
    for (size_t i = 0; i < what.size(); ++i)
      if (to_lower(t[k + i]) != what[i]) return false;
    return true;
  };
  for (size_t k = 0; k < t.size(); ++k) {
    if (lower_at(k, "<script") || lower_at(k, "<style")) {
      std::string_view end_tag = lower_at(k, "<script") ? "</script" : "</style";
      size_t e = k + 1;
      while (e < t.size() && !lower_at(e, end_tag)) ++e;
      size_t close = t.find('>', e);
      stripped += ' ';
      out.had_markup = true;
      k = close == std::string::npos ? t.size() : close;
      continue;
    }
    if (t[k] == '<' && k + 1 < t.size() && (is_ascii_letter(t[k + 1]) || t[k + 1] == '/' || t[k + 1] == '!')) {
      size_t close = t.find('>', k + 1);
      if (close != std::string::npos && close - k <= 256) {
        stripped += ' ';
        k = close;
        out.had_markup = true;
        continue;
      }
    }
    stripped += t[k];
  }
  out.text = std::move(stripped);
  return out;
}

std::vector<Token> tokenize_clean(std::string_view s) {
  std::vector<Token> out;
  bool sentence_start = true;
  auto push_word = [&](std::string raw, bool ascii) {
    // Contractions and possessives.
    std::string low;
    for (char c : raw) low += to_lower(c);
    auto emit = [&](std::string w, std::string r) {
      if (w.empty()) return;
      Token t;
      t.kind = Token::word;
      t.w = std::move(w);
      t.raw = std::move(r);
      t.capitalized = !t.raw.empty() && t.raw[0] >= 'A' && t.raw[0] <= 'Z';
      t.sentence_start = sentence_start;
      t.ascii = ascii;
      sentence_start = false;
      out.push_back(std::move(t));
    };
    while (!low.empty() && low.front() == '\'') { low.erase(0, 1); raw.erase(0, 1); }
    while (!low.empty() && low.back() == '\'') { low.pop_back(); raw.pop_back(); }
    if (low.empty()) return;
    static constexpr std::pair<std::string_view, std::string_view> kWhole[] = {
        {"won't", "will not"}, {"can't", "can not"}, {"cannot", "can not"}, {"don't", "do not"},
        {"doesn't", "does not"}, {"didn't", "did not"}, {"isn't", "is not"}, {"aren't", "are not"},
        {"wasn't", "was not"}, {"weren't", "were not"}, {"shouldn't", "should not"}, {"wouldn't", "would not"},
        {"couldn't", "could not"}, {"hasn't", "has not"}, {"haven't", "have not"}, {"let's", "let us"}};
    for (const auto& [from, to] : kWhole) {
      if (low == from) {
        std::string_view rest = to;
        size_t sp = rest.find(' ');
        std::string first(rest.substr(0, sp));
        std::string r0 = raw.substr(0, std::min(raw.size(), first.size()));
        emit(first, r0);
        emit(std::string(rest.substr(sp + 1)), std::string(rest.substr(sp + 1)));
        return;
      }
    }
    size_t ap = low.find('\'');
    if (ap != std::string::npos) {
      std::string head = low.substr(0, ap), tail = low.substr(ap + 1);
      std::string rhead = raw.substr(0, ap);
      if (tail == "s") { emit(head, rhead); emit("'s", "'s"); return; }
      if (tail == "t" && head.size() > 1 && head.back() == 'n') { head.pop_back(); rhead.pop_back(); emit(head, rhead); emit("not", "not"); return; }
      if (tail == "re") { emit(head, rhead); emit("are", "are"); return; }
      if (tail == "ll") { emit(head, rhead); emit("will", "will"); return; }
      if (tail == "ve") { emit(head, rhead); emit("have", "have"); return; }
      if (tail == "m") { emit(head, rhead); emit("am", "am"); return; }
      if (tail == "d") { emit(head, rhead); emit("would", "would"); return; }
    }
    emit(low, raw);
  };
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    auto uc = static_cast<unsigned char>(c);
    if (c == ' ') { ++i; continue; }
    if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]) && (i == 0 || !is_digit(s[i - 1])))) {
      size_t j = i;
      while (j < s.size() && is_digit(s[j])) ++j;
      if (j < s.size() && s[j] == '.' && j + 1 < s.size() && is_digit(s[j + 1])) {
        ++j;
        while (j < s.size() && is_digit(s[j])) ++j;
      }
      std::string num(s.substr(i, j - i));
      Token t;
      t.kind = Token::number;
      t.w = num;
      t.raw = num;
      t.value = num.size() <= 12 ? std::strtod(num.c_str(), nullptr) : 1e12;
      t.sentence_start = sentence_start;
      sentence_start = false;
      out.push_back(std::move(t));
      i = j;
      continue;
    }
    if (is_ascii_letter(c) || c == '\'' || uc >= 0x80) {
      size_t j = i;
      bool ascii = true;
      while (j < s.size()) {
        auto u = static_cast<unsigned char>(s[j]);
        if (is_ascii_letter(s[j]) || s[j] == '\'') { ++j; continue; }
        if (u >= 0x80) { ascii = false; ++j; continue; }
        break;
      }
      push_word(std::string(s.substr(i, j - i)), ascii);
      i = j;
      continue;
    }
    if (c == '-') {  // hyphens split words: "high-five" -> high five
      if (!out.empty() && out.back().kind == Token::word && i > 0 && s[i - 1] != ' ' && i + 1 < s.size() &&
          (is_ascii_letter(s[i + 1]) || static_cast<unsigned char>(s[i + 1]) >= 0x80))
        out.back().hyphen_next = true;
      ++i;
      continue;
    }
    if (c == '&' || c == '+') {
      push_word("and", true);
      ++i;
      continue;
    }
    std::string_view punct = ",.;:!?()";
    if (punct.find(c) != std::string_view::npos) {
      Token t;
      t.kind = Token::punct;
      char p = (c == '(' || c == ')') ? ',' : c;
      t.w = std::string(1, p);
      t.raw = t.w;
      bool end = (p == '.' || p == '!' || p == '?' || p == ';' || p == ':');
      // Collapse runs of punctuation into one token (the strongest).
      if (!out.empty() && out.back().kind == Token::punct) {
        if (end) out.back().w = out.back().raw = t.w;
      } else {
        out.push_back(std::move(t));
      }
      if (end) sentence_start = true;
      ++i;
      continue;
    }
    ++i;  // any other symbol separates words
  }
  return out;
}

}  // namespace stickgen::text

namespace stickgen {

std::string normalize_text(std::string_view text) {
  auto clean = text::clean_text(text, kMaxPromptBytes);
  std::string out = std::move(clean.text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string> tokenize(std::string_view text) {
  auto clean = text::clean_text(text, kMaxPromptBytes);
  std::vector<std::string> out;
  for (auto& t : text::tokenize_clean(clean.text)) out.push_back(std::move(t.w));
  return out;
}

}  // namespace stickgen
