#include "text/wordnet.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <span>
#include <cstdlib>

#include "stickgen/common.hpp"

namespace stickgen::wordnet {
namespace {

constexpr std::string_view kPosFile[kNumPos] = {"noun", "verb", "adj", "adv"};

// Splits on single spaces, skipping empty fields.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

template <typename T>
bool parse_int(std::string_view s, T& out, int base = 10) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string normalise_lemma(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == ' ') c = '_';
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Adjective lemmas in data.adj may carry a syntactic marker: "galore(ip)".
std::string strip_marker(std::string_view w) {
  if (!w.empty() && w.back() == ')') {
    size_t p = w.rfind('(');
    if (p != std::string_view::npos) w = w.substr(0, p);
  }
  return std::string(w);
}

}  // namespace

char pos_letter(Pos p) { return "nvar"[static_cast<int>(p)]; }

std::optional<Pos> pos_from_letter(char c) {
  switch (c) {
    case 'n': return Pos::noun;
    case 'v': return Pos::verb;
    case 'a': case 's': return Pos::adj;
    case 'r': return Pos::adv;
    default: return std::nullopt;
  }
}

MappedFile::MappedFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path.string() + ": cannot open WordNet file");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path.string() + ": not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<const char*>(p);
      mapped_ = true;
    }
  }
  ::close(fd);
  if (!mapped_) {
    owned_ = size_ > 0 ? read_file(path) : std::string();
    data_ = owned_.data();
    size_ = owned_.size();
  }
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<char*>(data_), size_);
}

Database::Database(const std::filesystem::path& dir) : dir_(dir) {
  for (int p = 0; p < kNumPos; ++p) {
    index_[p] = std::make_unique<MappedFile>(dir / ("index." + std::string(kPosFile[p])));
    data_[p] = std::make_unique<MappedFile>(dir / ("data." + std::string(kPosFile[p])));
    // Exception lists are small (≤ 40 kB); parse them eagerly. adv.exc is optional in some packagings.
    std::error_code ec;
    auto exc = dir / (std::string(kPosFile[p]) + ".exc");
    if (!std::filesystem::exists(exc, ec)) continue;
    std::string text = read_file(exc);
    std::string_view all = text;
    size_t i = 0;
    while (i < all.size()) {
      size_t e = all.find('\n', i);
      if (e == std::string_view::npos) e = all.size();
      auto f = fields(all.substr(i, e - i));
      if (f.size() >= 2) {
        auto& bases = exc_[p][std::string(f[0])];
        for (size_t k = 1; k < f.size(); ++k) bases.emplace_back(f[k]);
      }
      i = e + 1;
    }
  }
}

Database::~Database() = default;

std::optional<IndexEntry> Database::index(std::string_view lemma_in, Pos pos) const {
  std::string key = normalise_lemma(lemma_in);
  if (key.empty() || key.find('\n') != std::string::npos) return std::nullopt;
  std::string_view file = index_[static_cast<int>(pos)]->bytes();
  // Binary search over lines; `lo` is always a line start. Licence lines start with a space and sort first.
  size_t lo = 0, hi = file.size();
  std::string_view line;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    size_t start = mid;
    while (start > lo && file[start - 1] != '\n') --start;
    size_t end = file.find('\n', start);
    if (end == std::string_view::npos) end = file.size();
    std::string_view l = file.substr(start, end - start);
    std::string_view k = l.substr(0, l.find(' '));
    int cmp = l.empty() || l[0] == ' ' ? -1 : k.compare(key);
    if (cmp < 0) {
      lo = end + 1;
    } else if (cmp > 0) {
      hi = start;
    } else {
      line = l;
      break;
    }
  }
  if (line.empty()) return std::nullopt;
  // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
  auto f = fields(line);
  if (f.size() < 6) return std::nullopt;
  IndexEntry e;
  e.lemma = std::string(f[0]);
  e.pos = pos;
  int synset_cnt = 0, p_cnt = 0;
  if (!parse_int(f[2], synset_cnt) || !parse_int(f[3], p_cnt) || p_cnt < 0 || synset_cnt < 0) return std::nullopt;
  size_t i = 4;
  if (f.size() < i + static_cast<size_t>(p_cnt) + 2) return std::nullopt;
  for (int k = 0; k < p_cnt; ++k) e.pointer_symbols.emplace_back(f[i++]);
  ++i;  // sense_cnt (same as synset_cnt)
  if (!parse_int(f[i++], e.tagsense_count)) return std::nullopt;
  for (; i < f.size() && e.offsets.size() < static_cast<size_t>(synset_cnt); ++i) {
    uint32_t off = 0;
    if (!parse_int(f[i], off)) return std::nullopt;
    e.offsets.push_back(off);
  }
  return e;
}

std::optional<Synset> Database::synset(uint32_t offset, Pos pos) const {
  std::string_view file = data_[static_cast<int>(pos)]->bytes();
  if (offset >= file.size() || (offset > 0 && file[offset - 1] != '\n')) return std::nullopt;
  size_t end = file.find('\n', offset);
  if (end == std::string_view::npos) end = file.size();
  std::string_view line = file.substr(offset, end - offset);
  size_t bar = line.find(" | ");
  std::string_view head = line.substr(0, bar);
  auto f = fields(head);
  // synset_offset lex_filenum ss_type w_cnt word lex_id ... p_cnt ptr... [f_cnt frames] | gloss
  if (f.size() < 6) return std::nullopt;
  Synset s;
  uint32_t off = 0;
  if (!parse_int(f[0], off) || off != offset) return std::nullopt;
  s.offset = off;
  s.pos = pos;
  if (!parse_int(f[1], s.lex_filenum)) return std::nullopt;
  int w_cnt = 0;
  if (!parse_int(f[3], w_cnt, 16) || w_cnt <= 0) return std::nullopt;
  size_t i = 4;
  if (f.size() < i + 2 * static_cast<size_t>(w_cnt) + 1) return std::nullopt;
  for (int k = 0; k < w_cnt; ++k, i += 2) s.words.push_back(strip_marker(f[i]));
  int p_cnt = 0;
  if (!parse_int(f[i++], p_cnt) || p_cnt < 0 || f.size() < i + 4 * static_cast<size_t>(p_cnt))
    return std::nullopt;
  for (int k = 0; k < p_cnt; ++k, i += 4) {
    Pointer p;
    p.symbol = std::string(f[i]);
    auto ppos = f[i + 2].size() == 1 ? pos_from_letter(f[i + 2][0]) : std::nullopt;
    int st = 0;
    if (!parse_int(f[i + 1], p.offset) || !ppos || f[i + 3].size() != 4 || !parse_int(f[i + 3], st, 16))
      return std::nullopt;
    p.pos = *ppos;
    p.source_word = st >> 8;
    p.target_word = st & 0xff;
    s.pointers.push_back(std::move(p));
  }
  if (bar != std::string_view::npos) {
    std::string_view g = line.substr(bar + 3);
    while (!g.empty() && (g.back() == ' ' || g.back() == '\r')) g.remove_suffix(1);
    s.gloss = std::string(g);
  }
  return s;
}

std::optional<Synset> Database::synset_of(std::string_view lemma, Pos pos, int sense) const {
  auto e = index(lemma, pos);
  if (!e || sense < 1 || static_cast<size_t>(sense) > e->offsets.size()) return std::nullopt;
  return synset(e->offsets[sense - 1], pos);
}

const std::vector<std::string>* Database::exceptions(std::string_view word, Pos pos) const {
  const auto& m = exc_[static_cast<int>(pos)];
  auto it = m.find(std::string(word));
  return it == m.end() ? nullptr : &it->second;
}

std::vector<std::string> detachment_candidates(std::string_view word, Pos pos) {
  struct Rule {
    std::string_view suffix, ending;
  };
  // morphy(7WN) detachment rules, in its order.
  static constexpr Rule kNoun[] = {{"s", ""},     {"ses", "s"},   {"xes", "x"},  {"zes", "z"},
                                   {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}};
  static constexpr Rule kVerb[] = {{"s", ""},   {"ies", "y"}, {"es", "e"}, {"es", ""},
                                   {"ed", "e"}, {"ed", ""},   {"ing", "e"}, {"ing", ""}};
  static constexpr Rule kAdj[] = {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}};
  std::span<const Rule> rules;
  switch (pos) {
    case Pos::noun: rules = kNoun; break;
    case Pos::verb: rules = kVerb; break;
    case Pos::adj: rules = kAdj; break;
    case Pos::adv: break;
  }
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    if (s.size() >= 2 && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  for (const auto& r : rules) {
    if (word.size() <= r.suffix.size() || !word.ends_with(r.suffix)) continue;
    std::string stem(word.substr(0, word.size() - r.suffix.size()));
    add(stem + std::string(r.ending));
    // Doubled final consonant before -ing/-ed/-er/-est: "jogging" -> "jog", "hopped" -> "hop".
    if (r.ending.empty() && r.suffix != "s" && stem.size() >= 3 && stem.back() == stem[stem.size() - 2] &&
        std::string_view("aeiouy").find(stem.back()) == std::string_view::npos)
      add(stem.substr(0, stem.size() - 1));
  }
  return out;
}

std::vector<std::string> Database::base_forms(std::string_view word_in, Pos pos) const {
  std::string word = normalise_lemma(word_in);
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (std::find(out.begin(), out.end(), s) == out.end() && has_lemma(s, pos)) out.push_back(s);
  };
  if (word.empty()) return out;
  add(word);
  if (const auto* exc = exceptions(word, pos))
    for (const auto& b : *exc) add(b);
  for (const auto& c : detachment_candidates(word, pos)) add(c);
  // Noun rule for "-ful" compounds ("boxesful" -> "boxful") is omitted: irrelevant to motion words.
  return out;
}

std::filesystem::path default_dir() {
  const char* env = std::getenv("STICKGEN_WORDNET_DIR");
  if (env && *env) return env;
  return "/usr/share/wordnet";
}

}  // namespace stickgen::wordnet
