// Text -> fixed-size embedding for the network's text token. The default encoder is deterministic
// and needs no download; the same function runs in training and in generation, and its name is
// recorded in every model file ("stickgen.text_encoder") so a mismatch is caught at load time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace stickgen {

class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  virtual std::string name() const = 0;  // e.g. "hashed-v1-1024"
  virtual int dim() const = 0;
  // L2-normalised embedding of `text` (all zeros for text with no usable words).
  virtual std::vector<float> encode(std::string_view text) const = 0;
};

// "hashed-v1": signed feature hashing of lemmas, lemma bigrams, character trigrams and the
// planner-lexicon actions the words mean (with their order), into `dim` dimensions.
std::unique_ptr<TextEncoder> make_hashed_encoder(int dim = 1024);

// By name: "hashed-v1-<dim>" (or "hashed-v1" = 1024-d), or "bert:<directory or model name>" for a
// Hugging Face BERT model such as BAAI/bge-large-en-v1.5 (stickgen/bert.hpp). Throws Error for an
// unknown name.
std::unique_ptr<TextEncoder> make_text_encoder(const std::string& name);

}  // namespace stickgen
