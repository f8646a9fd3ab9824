// An optional BERT-family text encoder: reads a Hugging Face BERT directory (config.json, vocab.txt,
// tokenizer_config.json, model.safetensors) such as BAAI/bge-large-en-v1.5, tokenises like
// BertTokenizer, runs the post-LayerNorm encoder on the CPU and returns the L2-normalised final
// hidden state of [CLS] (bge's recipe, SPEC §1). No LibTorch; weights are memory-mapped (fp32) or
// converted once (fp16/bf16).
//
// As a TextEncoder it is built by make_text_encoder("bert:<dir or name>") and reports the stable
// name "bert:<model name>" (e.g. "bert:bge-large-en-v1.5"), which model files record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stickgen/text_encoder.hpp"

namespace stickgen {

// UTF-8 <-> code points. Invalid UTF-8 (bad bytes, overlongs, surrogates) decodes to U+FFFD, which
// the tokenizer then drops as Python never sees such text.
std::u32string utf8_to_u32(std::string_view s);
std::string u32_to_utf8(std::u32string_view s);

struct WordPieceOptions {
  bool lower_case = true;                 // tokenizer_config "do_lower_case"
  std::optional<bool> strip_accents;      // "strip_accents": null = follow lower_case
  bool chinese_chars = true;              // "tokenize_chinese_chars"
  int max_chars_per_word = 100;           // longer words become [UNK]
  std::string unk = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]", mask = "[MASK]";
};

// BertTokenizer (transformers' slow tokenizer): special tokens written in the text are kept whole;
// the basic tokenizer cleans the text (drops NUL, U+FFFD and control characters, maps whitespace to
// spaces), puts spaces around CJK ideographs, NFC-normalises, splits on whitespace, lower-cases
// (Python's str.lower, final sigma included) and strips accents (NFD, drop Mn) when asked, and
// splits off punctuation; then WordPiece, greedy longest match first with "##" continuations.
class WordPieceTokenizer {
 public:
  WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options = {});
  // vocab.txt (+ tokenizer_config.json / special_tokens_map.json when present) from `dir`.
  static WordPieceTokenizer load(const std::filesystem::path& dir);

  // The basic tokenizer alone (no vocabulary involved).
  std::vector<std::string> basic_tokenize(std::string_view text) const;
  // Word pieces of `text` (special tokens in the text stay whole).
  std::vector<std::string> tokenize(std::string_view text) const;
  // [CLS] pieces [SEP] as ids, the pieces truncated so that at most `max_tokens` ids come back.
  std::vector<int32_t> encode(std::string_view text, int max_tokens) const;

  int32_t id(const std::string& token) const;  // -1 when not in the vocabulary
  const std::string& token(int32_t id) const;
  int32_t vocab_size() const { return static_cast<int32_t>(vocab_.size()); }
  const WordPieceOptions& options() const { return options_; }

 private:
  void wordpiece(const std::u32string& word, std::vector<int32_t>& ids) const;
  void tokenize_ids(std::string_view text, std::vector<int32_t>& ids) const;

  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int32_t> ids_;
  WordPieceOptions options_;
  int32_t unk_ = -1, cls_ = -1, sep_ = -1;
  size_t longest_piece_ = 0;  // in code points, "##" excluded
  std::vector<std::pair<std::string, int32_t>> specials_;  // kept whole when written in the text
};

// config.json of a Hugging Face BertModel.
struct BertConfig {
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  int max_positions = 0;
  int type_vocab_size = 0;
  float layer_norm_eps = 1e-12f;
  std::string hidden_act = "gelu";  // "gelu" (erf) or "gelu_new"/"gelu_pytorch_tanh" (tanh form)
  static BertConfig load(const std::filesystem::path& config_json);
};

struct BertOptions {
  int threads = 0;  // matrix-work threads per encoder; 0 = all cores (at most 8)
};

class BertEncoder final : public TextEncoder {
 public:
  // Validates every file, tensor name, shape and dtype now; the weights are read on first use.
  explicit BertEncoder(const std::filesystem::path& dir, BertOptions options = {});
  ~BertEncoder() override;

  std::string name() const override;  // "bert:<model name>"
  int dim() const override;
  std::vector<float> encode(std::string_view text) const override;

  const WordPieceTokenizer& tokenizer() const;
  const BertConfig& config() const;
  int max_tokens() const;  // min(max_position_embeddings, tokenizer model_max_length)
  // Token ids the encoder feeds the network for `text` ([CLS] ... [SEP], truncated).
  std::vector<int32_t> token_ids(std::string_view text) const;
  // The L2-normalised [CLS] state for given ids (each < vocab_size, at most max_tokens of them).
  std::vector<float> embed_ids(const std::vector<int32_t>& ids) const;

  struct Model;  // shared between encoders of the same directory

 private:
  struct Workers;
  std::shared_ptr<Model> model_;
  std::unique_ptr<Workers> workers_;
};

// Where "bert:<spec>" lives: <spec> itself when it is a directory; otherwise, for a plain name, a
// directory <spec> in $STICKGEN_TEXT_ENCODERS (':'-separated) or a snapshot of models--*--<spec> in
// the Hugging Face cache ($HF_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub,
// ~/.cache/huggingface/hub); for a model id ORG/NAME, a snapshot of models--ORG--NAME there. Error
// naming the places looked in when none is found.
std::filesystem::path find_bert_directory(const std::string& spec);

// The model name reported for a directory: NAME of a Hugging Face cache path
// .../models--ORG--NAME/snapshots/REV, else the directory's own name.
std::string bert_model_name(const std::filesystem::path& dir);

}  // namespace stickgen
