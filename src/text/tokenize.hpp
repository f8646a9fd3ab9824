// Prompt clean-up and tokenisation shared by the planner and the text encoder (internal detail of src/text).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stickgen::text {

struct CleanText {
  std::string text;          // UTF-8, case preserved, controls/invalid bytes -> spaces, markup removed
  bool truncated = false;    // input was longer than the byte cap
  bool had_control = false;  // control characters or invalid UTF-8 were replaced
  bool had_markup = false;   // <tags> were removed
  size_t ascii_letters = 0;
  size_t other_letters = 0;  // non-ASCII code points that are not punctuation we map
  size_t symbols = 0;        // code-ish characters: < > { } [ ] = $ \ | ` # * ^ ~ _ @ %
};

CleanText clean_text(std::string_view in, size_t max_bytes);

struct Token {
  enum Kind { word, number, punct };
  Kind kind = word;
  std::string w;         // lower-case text ("," for punctuation)
  std::string raw;       // as written (case preserved)
  double value = 0;      // numbers
  bool capitalized = false;
  bool sentence_start = false;
  bool ascii = true;     // word made only of ASCII letters/digits/apostrophes
  bool hyphen_next = false;  // joined to the next word by a hyphen ("cross" in "cross-legged")
};

std::vector<Token> tokenize_clean(std::string_view clean);

}  // namespace stickgen::text
