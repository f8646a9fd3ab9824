// libFuzzer target: the BERT tokenizer (UTF-8 decoding, clean-up, NFC, lower-casing, accent
// stripping, punctuation and WordPiece splitting) on arbitrary bytes, uncased and cased. It must never
// crash or throw; every basic token is non-empty valid UTF-8 without whitespace; every id is in the
// vocabulary; encode() keeps to its length and frames the pieces with [CLS] ... [SEP].
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "stickgen/bert.hpp"

namespace {

const stickgen::WordPieceTokenizer& tokenizer(bool lower) {
  static const auto make = [](bool lower_case) {
    std::vector<std::string> vocab{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "walk", "wave", "the", "man",
                                   "##s", "##ing", "##a", "##b", "ab", "b", ".", ",", "!", "人", "é", "##é", "σ", "ς"};
    stickgen::WordPieceOptions o;
    o.lower_case = lower_case;
    return stickgen::WordPieceTokenizer(vocab, o);
  };
  static const auto uncased = make(true), cased = make(false);
  return lower ? uncased : cased;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool lower : {true, false}) {
    const auto& tok = tokenizer(lower);
    for (const std::string& t : tok.basic_tokenize(text)) {
      if (t.empty() || stickgen::u32_to_utf8(stickgen::utf8_to_u32(t)) != t) std::abort();
      for (char c : t)
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') std::abort();
    }
    const int max_tokens = 2 + (size ? data[0] % 16 : 0);
    const auto ids = tok.encode(text, max_tokens);
    if (ids.size() < 2 || ids.size() > size_t(max_tokens)) std::abort();
    if (ids.front() != tok.id("[CLS]") || ids.back() != tok.id("[SEP]")) std::abort();
    for (int32_t id : ids)
      if (id < 0 || id >= tok.vocab_size()) std::abort();
  }
  return 0;
}
