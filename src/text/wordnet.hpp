// A reader for the Princeton WordNet 3.0 database files (Debian's wordnet-base), written from the
// file-format documentation (wndb(5WN), morphy(7WN)); no libwordnet. Files are memory-mapped and read
// lazily: an index lookup is a binary search over the sorted index file, a synset is one line at a
// byte offset of its data file, so opening costs a few exception-list parses and nothing else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stickgen::wordnet {

enum class Pos : int { noun, verb, adj, adv };
constexpr int kNumPos = 4;
char pos_letter(Pos p);                       // n v a r
std::optional<Pos> pos_from_letter(char c);   // n v a s r ('s' satellite adjective -> adj)

struct Pointer {
  std::string symbol;     // "@" hypernym, "~" hyponym, "+" derivation, "$" verb group, "*" entailment, ...
  uint32_t offset = 0;    // target synset's byte offset in its data file
  Pos pos = Pos::noun;    // target's part of speech
  int source_word = 0;    // 1-based word in this synset (0 = the whole synset)
  int target_word = 0;    // 1-based word in the target synset (0 = the whole synset)
};

struct Synset {
  uint32_t offset = 0;
  Pos pos = Pos::noun;
  int lex_filenum = 0;              // lexicographer file (e.g. 29 verb.motion... see lexnames)
  std::vector<std::string> words;   // lemmas, '_' for spaces, adjective markers stripped
  std::vector<Pointer> pointers;
  std::string gloss;
};

struct IndexEntry {
  std::string lemma;
  Pos pos = Pos::noun;
  std::vector<std::string> pointer_symbols;  // kinds of pointer any sense of the lemma has
  int tagsense_count = 0;                    // senses ranked by tagged frequency (the first ones)
  std::vector<uint32_t> offsets;             // synsets in sense order (most frequent first)
};

// A read-only file mapped into memory (or read whole if mapping fails).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);  // throws stickgen::Error
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::string owned_;
};

class Database {
 public:
  // Opens the database in `dir` (index.*, data.*, *.exc). Throws stickgen::Error naming the missing file.
  explicit Database(const std::filesystem::path& dir);
  ~Database();
  const std::filesystem::path& dir() const { return dir_; }

  // Exact lemma lookup (lower-case, spaces or '_' between words).
  std::optional<IndexEntry> index(std::string_view lemma, Pos pos) const;
  bool has_lemma(std::string_view lemma, Pos pos) const { return index(lemma, pos).has_value(); }
  // The synset at `offset`; nullopt when the offset does not start a well-formed synset line.
  std::optional<Synset> synset(uint32_t offset, Pos pos) const;
  // Synset of sense `sense` (1-based) of `lemma`, e.g. synset_of("walk", Pos::verb, 1).
  std::optional<Synset> synset_of(std::string_view lemma, Pos pos, int sense) const;

  // Base forms of `word` that are lemmas of `pos` (morphy): the word itself, its exception-list bases,
  // then suffix-detachment rules (plus undoubling: "jogging" -> "jog"). Order: most direct first.
  std::vector<std::string> base_forms(std::string_view word, Pos pos) const;
  // Exception-list bases of an inflected form ("ran" -> run), empty if none.
  const std::vector<std::string>* exceptions(std::string_view word, Pos pos) const;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<MappedFile> index_[kNumPos];
  std::unique_ptr<MappedFile> data_[kNumPos];
  std::unordered_map<std::string, std::vector<std::string>> exc_[kNumPos];
};

// Detachment candidates for `word` as `pos` (no lookups): used by the reader and by the built-in lexicon
// when WordNet is absent. "boogies" -> {boogy, boogie, boogi}, "jogging" -> {jogge, jogg, jog}.
std::vector<std::string> detachment_candidates(std::string_view word, Pos pos);

// $STICKGEN_WORDNET_DIR if set, else /usr/share/wordnet.
std::filesystem::path default_dir();

}  // namespace stickgen::wordnet
