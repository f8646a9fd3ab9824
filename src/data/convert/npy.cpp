// NumPy .npy arrays (format versions 1.0, 2.0, 3.0) and .npz archives (zip, stored or deflated entries),
// written from the NumPy format description and the zip/DEFLATE specifications (RFC 1951).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "data/convert/text_scan.hpp"
#include "stickgen/convert.hpp"

namespace stickgen::convert {
namespace {

constexpr int64_t kMaxElements = int64_t{1} << 31;  // 8 GiB of floats: no real joint array comes close

uint16_t rd16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t rd64(const unsigned char* p) { return rd32(p) | (static_cast<uint64_t>(rd32(p + 4)) << 32); }

// The header dictionary: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
};

class DictParser {
 public:
  DictParser(std::string_view text, std::string_view origin) : s_(text), origin_(origin) {}

  Header parse() {
    Header h;
    bool have_descr = false, have_order = false, have_shape = false;
    skip();
    take('{', "header");
    for (;;) {
      skip();
      if (peek() == '}') break;
      const std::string key = string_literal("header key");
      skip();
      take(':', "header");
      skip();
      if (key == "descr") {
        h.descr = string_literal("descr");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (s_.substr(i_, 4) == "True") h.fortran = true, i_ += 4;
        else if (s_.substr(i_, 5) == "False") h.fortran = false, i_ += 5;
        else fail("fortran_order", "expected True or False");
        have_order = true;
      } else if (key == "shape") {
        h.shape = shape();
        have_shape = true;
      } else {
        fail("header", "unexpected key '" + key + "'");
      }
      skip();
      if (peek() == ',') ++i_;
      else if (peek() != '}') fail("header", "expected ',' or '}'");
    }
    if (!have_descr) fail("descr", "missing");
    if (!have_order) fail("fortran_order", "missing");
    if (!have_shape) fail("shape", "missing");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw Error(std::string(origin_) + ": npy header " + field + ": " + what);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }
  void take(char c, const char* field) {
    if (peek() != c) fail(field, std::string("expected '") + c + "'");
    ++i_;
  }
  std::string string_literal(const char* field) {
    const char q = peek();
    if (q != '\'' && q != '"') fail(field, "expected a quoted string");
    ++i_;
    const size_t end = s_.find(q, i_);
    if (end == std::string_view::npos || end - i_ > 64) fail(field, "unterminated string");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return out;
  }
  std::vector<int64_t> shape() {
    std::vector<int64_t> out;
    take('(', "shape");
    for (;;) {
      skip();
      if (peek() == ')') break;
      size_t j = i_;
      while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
      if (j == i_ || j - i_ > 12) fail("shape", "expected a dimension");
      auto v = parse_integer(s_.substr(i_, j - i_));
      if (!v) fail("shape", "bad dimension");
      out.push_back(*v);
      if (out.size() > 32) fail("shape", "more than 32 dimensions");
      i_ = j;
      skip();
      if (peek() == ',') ++i_;
      else if (peek() != ')') fail("shape", "expected ',' or ')'");
    }
    ++i_;
    return out;
  }

  std::string_view s_;
  std::string_view origin_;
  size_t i_ = 0;
};

float half_to_float(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(frac), -24);
  else if (exp == 31) v = frac ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else v = std::ldexp(static_cast<float>(frac | 0x400), exp - 25);
  return sign ? -v : v;
}

}  // namespace

int64_t NpyArray::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

NpyArray parse_npy(std::string_view bytes, std::string_view origin) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::string o(origin);
  if (bytes.size() < 10 || std::memcmp(p, "\x93NUMPY", 6) != 0) throw Error(o + ": not a .npy file (no \\x93NUMPY magic)");
  const int major = p[6];
  size_t header_len, header_start;
  if (major == 1) {
    header_len = rd16(p + 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(o + ": npy header: truncated");
    header_len = rd32(p + 8);
    header_start = 12;
  } else {
    throw Error(o + ": npy version " + std::to_string(major) + "." + std::to_string(p[7]) + " (expected 1.0, 2.0 or 3.0)");
  }
  if (header_len > bytes.size() - header_start) throw Error(o + ": npy header: length " + std::to_string(header_len) + " runs past the file");
  const Header h = DictParser(bytes.substr(header_start, header_len), origin).parse();
  if (h.fortran) throw Error(o + ": fortran_order: True is not supported (save the array in C order)");

  NpyArray a;
  a.descr = h.descr;
  a.shape = h.shape;
  int64_t count = 1;
  for (int64_t d : h.shape) {
    if (d < 0) throw Error(o + ": shape: negative dimension");
    if (d != 0 && count > kMaxElements / d) throw Error(o + ": shape: more than 2^31 elements");
    count *= d;
  }
  // descr: byte order, kind, item size ("<f4", "|u1", ">f8", "<i8").
  if (h.descr.size() < 3) throw Error(o + ": descr: unsupported dtype '" + h.descr + "'");
  const char order = h.descr[0], kind = h.descr[1];
  auto itemsize = parse_integer(std::string_view(h.descr).substr(2));
  const bool order_ok = order == '<' || order == '>' || order == '|' || order == '=';
  const bool kind_ok = (kind == 'f' && itemsize && (*itemsize == 2 || *itemsize == 4 || *itemsize == 8)) ||
                       ((kind == 'i' || kind == 'u') && itemsize && (*itemsize == 1 || *itemsize == 2 || *itemsize == 4 || *itemsize == 8)) ||
                       (kind == 'b' && itemsize && *itemsize == 1);
  if (!order_ok || !kind_ok)
    throw Error(o + ": descr: unsupported dtype '" + h.descr + "' (expected float16/32/64 or an integer type)");
  const size_t item = static_cast<size_t>(*itemsize);
  const bool swap = order == '>' && item > 1;
  const size_t data_start = header_start + header_len;
  const size_t need = static_cast<size_t>(count) * item;
  if (bytes.size() - data_start < need)
    throw Error(o + ": data: " + std::to_string(bytes.size() - data_start) + " bytes for shape needing " + std::to_string(need));
  a.data.resize(static_cast<size_t>(count));
  const unsigned char* d = p + data_start;
  std::array<unsigned char, 8> buf;
  for (int64_t k = 0; k < count; ++k) {
    const unsigned char* e = d + static_cast<size_t>(k) * item;
    if (swap) {
      for (size_t b = 0; b < item; ++b) buf[b] = e[item - 1 - b];
      e = buf.data();
    }
    float v = 0.f;
    if (kind == 'f') {
      if (item == 2) v = half_to_float(rd16(e));
      else if (item == 4) std::memcpy(&v, e, 4);
      else {
        double dv;
        std::memcpy(&dv, e, 8);
        v = static_cast<float>(dv);
      }
    } else if (kind == 'u' || kind == 'b') {
      v = item == 1 ? e[0] : item == 2 ? rd16(e) : item == 4 ? static_cast<float>(rd32(e)) : static_cast<float>(rd64(e));
    } else {
      v = item == 1   ? static_cast<int8_t>(e[0])
          : item == 2 ? static_cast<int16_t>(rd16(e))
          : item == 4 ? static_cast<float>(static_cast<int32_t>(rd32(e)))
                      : static_cast<float>(static_cast<int64_t>(rd64(e)));
    }
    a.data[static_cast<size_t>(k)] = v;
  }
  return a;
}

NpyArray read_npy(const std::filesystem::path& path) { return parse_npy(read_file(path), path.string()); }

// ---------------------------------------------------------------- CRC-32 and DEFLATE

uint32_t crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

namespace {

// Canonical Huffman decoding table: symbols sorted by code length, counts per length.
struct Huffman {
  std::array<uint16_t, 16> count{};
  std::array<uint16_t, 320> symbol{};
};

// Builds a canonical decoding table from code lengths; false for an over-subscribed code. Incomplete codes
// are accepted (a lone distance code is legal); decoding an unused code then fails.
bool build_table(Huffman& h, const uint8_t* lengths, int n) {
  h.count.fill(0);
  for (int s = 0; s < n; ++s) ++h.count[lengths[s]];
  h.count[0] = 0;
  int left = 1;
  for (int len = 1; len < 16; ++len) {
    left = 2 * left - h.count[len];
    if (left < 0) return false;
  }
  std::array<uint16_t, 16> offs{};
  for (int len = 1; len < 15; ++len) offs[len + 1] = static_cast<uint16_t>(offs[len] + h.count[len]);
  for (int s = 0; s < n; ++s)
    if (lengths[s]) h.symbol[offs[lengths[s]]++] = static_cast<uint16_t>(s);
  return true;
}

class Inflater {
 public:
  Inflater(std::string_view in, size_t expected, std::string_view origin) : in_(in), expected_(expected), origin_(origin) {
    out_.reserve(expected);
  }

  std::string run() {
    bool last = false;
    while (!last) {
      last = bits(1);
      const int type = static_cast<int>(bits(2));
      if (type == 0) stored();
      else if (type == 1) fixed();
      else if (type == 2) dynamic();
      else fail("reserved block type 3");
    }
    if (out_.size() != expected_)
      fail("inflated to " + std::to_string(out_.size()) + " bytes, expected " + std::to_string(expected_));
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw Error(std::string(origin_) + ": deflate: " + what); }

  uint32_t bits(int n) {
    while (have_ < n) {
      if (pos_ >= in_.size()) fail("compressed data ends early");
      buf_ |= static_cast<uint32_t>(static_cast<unsigned char>(in_[pos_++])) << have_;
      have_ += 8;
    }
    const uint32_t v = buf_ & ((1u << n) - 1u);
    buf_ >>= n;
    have_ -= n;
    return v;
  }

  void emit(char c) {
    if (out_.size() >= expected_) fail("inflates past the declared size " + std::to_string(expected_));
    out_.push_back(c);
  }

  void stored() {
    buf_ = 0, have_ = 0;  // to a byte boundary
    if (in_.size() - pos_ < 4) fail("stored block header ends early");
    const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + pos_);
    const uint16_t len = rd16(p), nlen = rd16(p + 2);
    if (static_cast<uint16_t>(~nlen) != len) fail("stored block length check failed");
    pos_ += 4;
    if (in_.size() - pos_ < len) fail("stored block ends early");
    for (size_t k = 0; k < len; ++k) emit(in_[pos_ + k]);
    pos_ += len;
  }

  void build(Huffman& h, const uint8_t* lengths, int n) {
    if (!build_table(h, lengths, n)) fail("over-subscribed Huffman code");
  }

  int decode(const Huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; ++len) {
      code |= static_cast<int>(bits(1));
      const int count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    fail("invalid Huffman code");
  }

  void codes(const Huffman& lit, const Huffman& dist) {
    static constexpr uint16_t kLenBase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27,
                                              31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr uint8_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr uint16_t kDistBase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                               193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      const int sym = decode(lit);
      if (sym < 256) {
        emit(static_cast<char>(sym));
      } else if (sym == 256) {
        return;
      } else {
        const int li = sym - 257;
        if (li >= 29) fail("invalid length symbol");
        const size_t len = kLenBase[li] + bits(kLenExtra[li]);
        const int di = decode(dist);
        if (di >= 30) fail("invalid distance symbol");
        const size_t d = kDistBase[di] + bits(kDistExtra[di]);
        if (d > out_.size()) fail("distance reaches before the start of the data");
        for (size_t k = 0; k < len; ++k) emit(out_[out_.size() - d]);
      }
    }
  }

  void fixed() {
    static const std::pair<Huffman, Huffman> tables = [] {
      std::array<uint8_t, 288> l{};
      for (int s = 0; s < 144; ++s) l[s] = 8;
      for (int s = 144; s < 256; ++s) l[s] = 9;
      for (int s = 256; s < 280; ++s) l[s] = 7;
      for (int s = 280; s < 288; ++s) l[s] = 8;
      Huffman lit, dist;
      build_table(lit, l.data(), 288);
      std::array<uint8_t, 30> d;
      d.fill(5);
      build_table(dist, d.data(), 30);
      return std::pair{lit, dist};
    }();
    codes(tables.first, tables.second);
  }

  void dynamic() {
    const int nlen = static_cast<int>(bits(5)) + 257, ndist = static_cast<int>(bits(5)) + 1, ncode = static_cast<int>(bits(4)) + 4;
    if (nlen > 286 || ndist > 30) fail("too many length or distance codes");
    static constexpr uint8_t kOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    std::array<uint8_t, 320> lengths{};
    for (int k = 0; k < ncode; ++k) lengths[kOrder[k]] = static_cast<uint8_t>(bits(3));
    Huffman lencode;
    build(lencode, lengths.data(), 19);
    lengths.fill(0);
    int index = 0;
    while (index < nlen + ndist) {
      int sym = decode(lencode);
      if (sym < 16) {
        lengths[index++] = static_cast<uint8_t>(sym);
        continue;
      }
      uint8_t value = 0;
      int repeat;
      if (sym == 16) {
        if (index == 0) fail("repeat with no previous length");
        value = lengths[index - 1];
        repeat = 3 + static_cast<int>(bits(2));
      } else if (sym == 17) {
        repeat = 3 + static_cast<int>(bits(3));
      } else {
        repeat = 11 + static_cast<int>(bits(7));
      }
      if (index + repeat > nlen + ndist) fail("code lengths overrun");
      while (repeat--) lengths[index++] = value;
    }
    if (lengths[256] == 0) fail("no end-of-block code");
    Huffman lit, dist;
    build(lit, lengths.data(), nlen);
    build(dist, lengths.data() + nlen, ndist);
    codes(lit, dist);
  }

  std::string_view in_;
  size_t expected_;
  std::string_view origin_;
  std::string out_;
  size_t pos_ = 0;
  uint32_t buf_ = 0;
  int have_ = 0;
};

}  // namespace

std::string inflate(std::string_view compressed, size_t expected, std::string_view origin) {
  // DEFLATE cannot expand more than 1032:1; a larger declared size is a lie (or a zip bomb).
  if (expected / 1032 > compressed.size() + 1)
    throw Error(std::string(origin) + ": deflate: declared size " + std::to_string(expected) + " is impossible for " +
                std::to_string(compressed.size()) + " compressed bytes");
  return Inflater(compressed, expected, origin).run();
}

// ---------------------------------------------------------------- zip

ZipReader::ZipReader(std::string bytes, std::string origin) : bytes_(std::move(bytes)), origin_(std::move(origin)) {
  const auto* base = reinterpret_cast<const unsigned char*>(bytes_.data());
  const size_t n = bytes_.size();
  auto fail = [&](const std::string& what) { return Error(origin_ + ": zip: " + what); };
  if (n < 22) throw fail("too short for a zip archive");
  size_t eocd = std::string::npos;
  const size_t lowest = n >= 22 + 65535 ? n - 22 - 65535 : 0;
  for (size_t p = n - 22 + 1; p-- > lowest;)
    if (rd32(base + p) == 0x06054b50u) {
      eocd = p;
      break;
    }
  if (eocd == std::string::npos) throw fail("no end-of-central-directory record (not a zip/.npz file)");
  uint64_t count = rd16(base + eocd + 10), cd_size = rd32(base + eocd + 12), cd_offset = rd32(base + eocd + 16);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) {
    if (eocd < 20 || rd32(base + eocd - 20) != 0x07064b50u) throw fail("zip64 locator missing");
    const uint64_t rec = rd64(base + eocd - 20 + 8);
    if (rec > n || n - rec < 56 || rd32(base + rec) != 0x06064b50u) throw fail("bad zip64 end record");
    count = rd64(base + rec + 32);
    cd_size = rd64(base + rec + 40);
    cd_offset = rd64(base + rec + 48);
  }
  if (cd_offset > n || cd_size > n - cd_offset) throw fail("central directory out of bounds");
  if (count > cd_size / 46) throw fail("entry count does not fit the central directory");
  size_t p = static_cast<size_t>(cd_offset);
  const size_t end = static_cast<size_t>(cd_offset + cd_size);
  for (uint64_t i = 0; i < count; ++i) {
    if (end - p < 46 || rd32(base + p) != 0x02014b50u) throw fail("bad central directory entry " + std::to_string(i));
    Entry e;
    const uint16_t flags = rd16(base + p + 8);
    e.method = rd16(base + p + 10);
    e.crc = rd32(base + p + 16);
    e.compressed = rd32(base + p + 20);
    e.size = rd32(base + p + 24);
    const size_t name_len = rd16(base + p + 28), extra_len = rd16(base + p + 30), comment_len = rd16(base + p + 32);
    e.local = rd32(base + p + 42);
    if (end - p - 46 < name_len + extra_len + comment_len) throw fail("central directory entry " + std::to_string(i) + " overruns");
    e.name.assign(bytes_, p + 46, name_len);
    const unsigned char* ex = base + p + 46 + name_len;
    for (size_t k = 0; k + 4 <= extra_len;) {
      const uint16_t id = rd16(ex + k), len = rd16(ex + k + 2);
      if (k + 4 + len > extra_len) break;
      if (id == 0x0001) {
        size_t q = k + 4;
        auto wide = [&](uint64_t& field) {
          if (field != 0xFFFFFFFFu) return;
          if (q + 8 > k + 4 + len) throw fail("short zip64 field for '" + e.name + "'");
          field = rd64(ex + q);
          q += 8;
        };
        wide(e.size);
        wide(e.compressed);
        wide(e.local);
      }
      k += 4 + len;
    }
    if (flags & 1) throw fail("entry '" + e.name + "' is encrypted");
    names_.push_back(e.name);
    entries_.push_back(std::move(e));
    p += 46 + name_len + extra_len + comment_len;
  }
}

bool ZipReader::contains(std::string_view name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

std::string ZipReader::read(std::string_view name) const {
  const std::string what = origin_ + ": zip entry '" + std::string(name) + "'";
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
  if (it == entries_.end()) throw Error(what + ": not in the archive");
  const auto* base = reinterpret_cast<const unsigned char*>(bytes_.data());
  const size_t n = bytes_.size();
  if (it->local > n || n - it->local < 30 || rd32(base + it->local) != 0x04034b50u) throw Error(what + ": bad local header");
  const uint64_t data = it->local + 30 + rd16(base + it->local + 26) + rd16(base + it->local + 28);
  if (data > n || it->compressed > n - data) throw Error(what + ": data out of bounds");
  if (it->size > (uint64_t{1} << 34)) throw Error(what + ": larger than 16 GiB");
  const std::string_view raw(bytes_.data() + data, static_cast<size_t>(it->compressed));
  std::string out;
  if (it->method == 0) {
    if (it->compressed != it->size) throw Error(what + ": stored entry with differing sizes");
    out.assign(raw);
  } else if (it->method == 8) {
    out = inflate(raw, static_cast<size_t>(it->size), what);
  } else {
    throw Error(what + ": compression method " + std::to_string(it->method) + " (expected stored or deflate)");
  }
  if (crc32(out) != it->crc) throw Error(what + ": CRC-32 mismatch (corrupt archive)");
  return out;
}

}  // namespace stickgen::convert
