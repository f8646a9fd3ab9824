// BertTokenizer (transformers' slow tokenizer, which BAAI/bge-large-en-v1.5 names) in C++. The
// steps, in Python's order:
//   1. special tokens written in the text ("[SEP]") are cut out and kept whole;
//   2. with do_lower_case, every other character is lower-cased on its own (str.lower per character,
//      so no final-sigma rule — the fast tokenizer agrees);
//   3. basic tokenizer: drop NUL, U+FFFD and control characters, whitespace -> ' ', spaces around CJK
//      ideographs, NFC, split where str.split() would, per word: lower-case again, strip accents
//      (NFD, drop Mn) when asked, split off every punctuation character;
//   4. WordPiece: greedy longest match first, "##" on continuations, [UNK] for a word with an
//      unmatchable rest or more than max_chars_per_word characters.
// The Unicode facts come from Python's own unicodedata (src/text/bert_unicode.inc, generated).
#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>

#include "stickgen/bert.hpp"
#include "stickgen/common.hpp"

namespace stickgen {
namespace {

struct CharClassRun {
  char32_t first;
  uint8_t flags;
};
struct LowerEntry {
  char32_t cp;
  char32_t to[3];
};
struct DecompEntry {
  char32_t cp;
  uint16_t offset;
  uint8_t len;
};
struct CccRun {
  char32_t first;
  uint8_t ccc;
};
struct ComposeEntry {
  char32_t first, second, composite;
};

#include "text/bert_unicode.inc"

// Flag bits of kCharClassRuns (scripts/gen_unicode_tables.py).
constexpr uint8_t kControl = 1;  // general category C*
constexpr uint8_t kZs = 2;       // space separator
constexpr uint8_t kPunct = 4;    // P*
constexpr uint8_t kMn = 8;       // non-spacing mark
constexpr uint8_t kIsSpace = 16;  // Python str.isspace()

uint8_t char_flags(char32_t c) {
  static const std::array<uint8_t, 128> ascii = [] {
    std::array<uint8_t, 128> t{};
    size_t r = 0;
    for (char32_t c = 0; c < 128; ++c) {
      while (r + 1 < std::size(kCharClassRuns) && kCharClassRuns[r + 1].first <= c) ++r;
      t[c] = kCharClassRuns[r].flags;
    }
    return t;
  }();
  if (c < 128) return ascii[c];
  if (c > 0x10FFFF) return kControl;
  auto it = std::upper_bound(std::begin(kCharClassRuns), std::end(kCharClassRuns), c,
                             [](char32_t v, const CharClassRun& r) { return v < r.first; });
  return std::prev(it)->flags;
}

uint8_t combining_class(char32_t c) {
  if (c < 0x300) return 0;
  auto it = std::upper_bound(std::begin(kCccRuns), std::end(kCccRuns), c,
                             [](char32_t v, const CccRun& r) { return v < r.first; });
  return std::prev(it)->ccc;
}

bool is_control(char32_t c) { return c != '\t' && c != '\n' && c != '\r' && (char_flags(c) & kControl); }
bool is_whitespace(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || (char_flags(c) & kZs); }
bool is_space_separator(char32_t c) { return char_flags(c) & kIsSpace; }  // what str.split() splits on
bool is_punctuation(char32_t c) {
  // BERT counts every non-alphanumeric ASCII character as punctuation ($, +, ^, ...), not just P*.
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return char_flags(c) & kPunct;
}
bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void append_lower(char32_t c, std::u32string& out) {
  if (c < 128) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  auto it = std::lower_bound(std::begin(kLowerMap), std::end(kLowerMap), c,
                             [](const LowerEntry& e, char32_t v) { return e.cp < v; });
  if (it == std::end(kLowerMap) || it->cp != c) {
    out.push_back(c);
    return;
  }
  for (char32_t x : it->to)
    if (x) out.push_back(x);
}

std::u32string lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) append_lower(c, out);
  return out;
}

// Hangul syllables decompose and compose by arithmetic (Unicode §3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void append_nfd(char32_t c, std::u32string& out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    const int s = int(c - kSBase);
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  if (c < 0xC0) {
    out.push_back(c);
    return;
  }
  auto it = std::lower_bound(std::begin(kDecompMap), std::end(kDecompMap), c,
                             [](const DecompEntry& e, char32_t v) { return e.cp < v; });
  if (it == std::end(kDecompMap) || it->cp != c) {
    out.push_back(c);
    return;
  }
  out.append(kDecompPool + it->offset, it->len);
}

// Canonical ordering: each run of non-starters sorted (stably) by combining class.
void canonical_order(std::u32string& s) {
  for (size_t i = 0; i < s.size();) {
    if (combining_class(s[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && combining_class(s[j]) != 0) ++j;
    if (j - i > 1)
      std::stable_sort(s.begin() + i, s.begin() + j,
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
}

std::u32string nfd(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) append_nfd(c, out);
  canonical_order(out);
  return out;
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  auto it = std::lower_bound(std::begin(kComposePairs), std::end(kComposePairs), std::pair{a, b},
                             [](const ComposeEntry& e, const std::pair<char32_t, char32_t>& v) {
                               return e.first != v.first ? e.first < v.first : e.second < v.second;
                             });
  if (it != std::end(kComposePairs) && it->first == a && it->second == b) return it->composite;
  return 0;
}

std::u32string nfc(std::u32string_view s) {
  if (std::all_of(s.begin(), s.end(), [](char32_t c) { return c < 0x300; })) return std::u32string(s);
  const std::u32string d = nfd(s);
  std::u32string out;
  out.reserve(d.size());
  ptrdiff_t starter = -1;  // index in `out` of the last starter
  int last_ccc = 0;        // class of the last character appended after it
  for (char32_t c : d) {
    const int cc = combining_class(c);
    if (starter >= 0) {
      // Blocked when something between the starter and c has a class >= c's (or c is a starter
      // that does not follow the starter directly).
      const bool adjacent = ptrdiff_t(out.size()) - 1 == starter;
      if (adjacent || last_ccc < cc) {
        if (char32_t comp = compose_pair(out[starter], c)) {
          out[starter] = comp;
          continue;
        }
      }
    }
    if (cc == 0) {
      starter = ptrdiff_t(out.size());
      last_ccc = 0;
    } else {
      last_ccc = cc;
    }
    out.push_back(c);
  }
  return out;
}

std::u32string strip_accents(std::u32string_view s) {
  std::u32string d = nfd(s);
  d.erase(std::remove_if(d.begin(), d.end(), [](char32_t c) { return char_flags(c) & kMn; }), d.end());
  return d;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string special_name(const nlohmann::json& j, const char* key, const std::string& fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  throw Error(std::string("tokenizer config: '") + key + "' should be a string or {\"content\": ...}");
}

nlohmann::json read_json_object(const std::filesystem::path& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(path.string() + ": expected a JSON object");
  return j;
}

}  // namespace

std::u32string utf8_to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    int len = 0;
    char32_t c = 0, min = 0;
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2, c = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, c = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, c = b & 0x07, min = 0x10000;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    int k = 1;
    for (; k < len && i + k < n && (p[i + k] & 0xC0) == 0x80; ++k) c = (c << 6) | (p[i + k] & 0x3F);
    if (k < len || c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      out.push_back(0xFFFD);
      i += std::max(1, k);
      continue;
    }
    out.push_back(c);
    i += len;
  }
  return out;
}

std::string u32_to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (c < 0x80) {
      out.push_back(char(c));
    } else if (c < 0x800) {
      out.push_back(char(0xC0 | (c >> 6)));
      out.push_back(char(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(char(0xE0 | (c >> 12)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(char(0x80 | (c & 0x3F)));
    } else {
      out.push_back(char(0xF0 | (c >> 18)));
      out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(char(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  if (vocab_.empty()) throw Error("tokenizer: empty vocabulary");
  ids_.reserve(vocab_.size());
  for (size_t i = 0; i < vocab_.size(); ++i) {
    const std::string& t = vocab_[i];
    ids_[t] = static_cast<int32_t>(i);  // a repeated token keeps its last line, as in Python's dict
    const size_t chars = utf8_length(t);
    longest_piece_ = std::max(longest_piece_, chars);
  }
  auto require = [&](const std::string& t, const char* what) {
    const int32_t i = id(t);
    if (i < 0) throw Error(std::string("tokenizer: the ") + what + " token '" + t + "' is not in the vocabulary");
    return i;
  };
  unk_ = require(options_.unk, "unknown-word");
  cls_ = require(options_.cls, "classifier");
  sep_ = require(options_.sep, "separator");
  for (const std::string* s : {&options_.unk, &options_.sep, &options_.pad, &options_.cls, &options_.mask})
    if (!s->empty() && id(*s) >= 0) specials_.emplace_back(*s, id(*s));
  if (options_.max_chars_per_word < 1) throw Error("tokenizer: max_chars_per_word must be positive");
}

WordPieceTokenizer WordPieceTokenizer::load(const std::filesystem::path& dir) {
  const auto vocab_path = dir / "vocab.txt";
  if (!std::filesystem::is_regular_file(vocab_path))
    throw Error(vocab_path.string() + ": missing (a BERT directory needs its WordPiece vocabulary)");
  const std::string text = read_file(vocab_path);
  std::vector<std::string> vocab;
  // Python's text-mode readlines(): a line ends at \n, \r\n or \r; the ending is dropped.
  for (size_t i = 0; i < text.size();) {
    size_t j = i;
    while (j < text.size() && text[j] != '\n' && text[j] != '\r') ++j;
    vocab.push_back(text.substr(i, j - i));
    if (j < text.size() && text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n') ++j;
    i = j + 1;
  }
  for (size_t i = 0; i < vocab.size(); ++i)
    if (u32_to_utf8(utf8_to_u32(vocab[i])) != vocab[i])  // invalid bytes come back as U+FFFD
      throw Error(vocab_path.string() + ": line " + std::to_string(i + 1) + " is not valid UTF-8");
  if (vocab.empty()) throw Error(vocab_path.string() + ": empty vocabulary");

  WordPieceOptions o;
  nlohmann::json special_map = nlohmann::json::object();
  if (std::filesystem::exists(dir / "special_tokens_map.json")) special_map = read_json_object(dir / "special_tokens_map.json");
  const auto config_path = dir / "tokenizer_config.json";
  nlohmann::json config = nlohmann::json::object();
  if (std::filesystem::exists(config_path)) config = read_json_object(config_path);
  try {
    if (config.contains("tokenizer_class") && config["tokenizer_class"].is_string()) {
      const std::string cls = config["tokenizer_class"];
      if (cls.rfind("Bert", 0) != 0)
        throw Error("tokenizer_class is '" + cls + "', only BertTokenizer(Fast) is supported");
    }
    auto flag = [&](const char* key, bool fallback) {
      if (!config.contains(key) || config[key].is_null()) return fallback;
      if (!config[key].is_boolean()) throw Error(std::string("'") + key + "' should be true or false");
      return config[key].get<bool>();
    };
    o.lower_case = flag("do_lower_case", true);
    o.chinese_chars = flag("tokenize_chinese_chars", true);
    if (!flag("do_basic_tokenize", true)) throw Error("do_basic_tokenize false is not supported");
    if (!flag("do_split_on_punc", true)) throw Error("do_split_on_punc false is not supported");
    if (config.contains("strip_accents") && !config["strip_accents"].is_null()) {
      if (!config["strip_accents"].is_boolean()) throw Error("'strip_accents' should be true, false or null");
      o.strip_accents = config["strip_accents"].get<bool>();
    }
    for (auto [key, field] : {std::pair{"unk_token", &o.unk}, {"cls_token", &o.cls}, {"sep_token", &o.sep},
                              {"pad_token", &o.pad}, {"mask_token", &o.mask}}) {
      *field = special_name(special_map, key, *field);
      *field = special_name(config, key, *field);
    }
  } catch (const Error& e) {
    throw Error(config_path.string() + ": " + e.what());
  }
  try {
    return WordPieceTokenizer(std::move(vocab), std::move(o));
  } catch (const Error& e) {
    throw Error(vocab_path.string() + ": " + e.what());
  }
}

int32_t WordPieceTokenizer::id(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

const std::string& WordPieceTokenizer::token(int32_t id) const {
  if (id < 0 || id >= vocab_size()) throw Error("tokenizer: token id " + std::to_string(id) + " is out of range");
  return vocab_[id];
}

std::vector<std::string> WordPieceTokenizer::basic_tokenize(std::string_view text) const {
  // The per-character lower-casing BertTokenizer.tokenize applies before the basic tokenizer.
  std::u32string chars = utf8_to_u32(text);
  if (options_.lower_case) chars = lower(chars);

  std::u32string cleaned;
  cleaned.reserve(chars.size() + 8);
  for (char32_t c : chars) {
    if (c == 0 || c == 0xFFFD || is_control(c)) continue;
    if (is_whitespace(c)) {
      cleaned.push_back(' ');
    } else if (options_.chinese_chars && is_cjk(c)) {
      cleaned.push_back(' ');
      cleaned.push_back(c);
      cleaned.push_back(' ');
    } else {
      cleaned.push_back(c);
    }
  }
  cleaned = nfc(cleaned);

  const bool strip = options_.strip_accents.value_or(options_.lower_case);
  std::vector<std::string> out;
  std::u32string word, current;
  auto flush = [&] {
    if (!current.empty()) out.push_back(u32_to_utf8(current));
    current.clear();
  };
  for (size_t i = 0; i <= cleaned.size(); ++i) {
    if (i < cleaned.size() && !is_space_separator(cleaned[i])) {
      word.push_back(cleaned[i]);
      continue;
    }
    if (word.empty()) continue;
    if (options_.lower_case) word = lower(word);
    if (strip) word = strip_accents(word);
    for (char32_t c : word) {
      if (is_space_separator(c)) {
        flush();
      } else if (is_punctuation(c)) {
        flush();
        current.push_back(c);
        flush();
      } else {
        current.push_back(c);
      }
    }
    flush();
    word.clear();
  }
  return out;
}

void WordPieceTokenizer::wordpiece(const std::u32string& word, std::vector<int32_t>& ids) const {
  if (word.size() > size_t(options_.max_chars_per_word)) {
    ids.push_back(unk_);
    return;
  }
  const std::string utf8 = u32_to_utf8(word);
  std::vector<size_t> offset(word.size() + 1, 0);  // byte offset of each character
  for (size_t i = 0, b = 0; i < word.size(); ++i) {
    offset[i] = b;
    b += word[i] < 0x80 ? 1 : word[i] < 0x800 ? 2 : word[i] < 0x10000 ? 3 : 4;
    offset[i + 1] = b;
  }
  const size_t first = ids.size();
  std::string piece;
  for (size_t start = 0; start < word.size();) {
    size_t end = std::min(word.size(), start + longest_piece_);
    int32_t found = -1;
    for (; end > start; --end) {
      piece.assign(start > 0 ? "##" : "");
      piece.append(utf8, offset[start], offset[end] - offset[start]);
      if ((found = id(piece)) >= 0) break;
    }
    if (found < 0) {
      ids.resize(first);
      ids.push_back(unk_);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

void WordPieceTokenizer::tokenize_ids(std::string_view text, std::vector<int32_t>& ids) const {
  // Where each special token next occurs at or after `pos` (kept per token, so that the whole text is
  // scanned once per special token however many of them it holds).
  std::vector<size_t> next(specials_.size());
  for (size_t i = 0; i < specials_.size(); ++i) next[i] = text.find(specials_[i].first);
  for (size_t pos = 0; pos <= text.size();) {
    // The earliest special token (the longest one where several start there).
    size_t at = std::string_view::npos, len = 0;
    int32_t special = -1;
    for (size_t i = 0; i < specials_.size(); ++i) {
      if (next[i] < pos) next[i] = text.find(specials_[i].first, pos);
      const size_t n = specials_[i].first.size();
      if (next[i] != std::string_view::npos && (next[i] < at || (next[i] == at && n > len)))
        at = next[i], len = n, special = specials_[i].second;
    }
    const size_t end = at == std::string_view::npos ? text.size() : at;
    for (const std::string& w : basic_tokenize(text.substr(pos, end - pos))) wordpiece(utf8_to_u32(w), ids);
    if (at == std::string_view::npos) break;
    ids.push_back(special);
    pos = at + len;
  }
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<int32_t> ids;
  tokenize_ids(text, ids);
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int32_t i : ids) out.push_back(vocab_[i]);
  return out;
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text, int max_tokens) const {
  if (max_tokens < 2) throw Error("tokenizer: max_tokens must be at least 2 ([CLS] and [SEP])");
  std::vector<int32_t> ids{cls_};
  tokenize_ids(text, ids);
  if (ids.size() > size_t(max_tokens) - 1) ids.resize(size_t(max_tokens) - 1);
  ids.push_back(sep_);
  return ids;
}

}  // namespace stickgen
