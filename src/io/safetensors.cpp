// safetensors, our own implementation of the published layout:
//   [u64 little-endian N][N bytes of JSON header][data section]
// Header: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
// "data_offsets": [begin, end]}, ...}; offsets are relative to the start of the data section.
#include "stickgen/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>

#include "io/safetensors_layout.hpp"

static_assert(std::endian::native == std::endian::little, "stickgen reads little-endian data in place");

namespace stickgen {
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // same limit as the published library

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::BOOL, "BOOL", 1},
};

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& d : kDTypes)
    if (d.name == name) return d.dtype;
  return std::nullopt;
}

std::string squote(std::string_view s) {
  std::string out(1, '\'');
  out.append(one_line(s));
  out.push_back('\'');
  return out;
}

// A short rendering of a JSON value for "got ..." in error messages.
std::string describe(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return std::string(v.type_name()) + " " + s;
}

// numel of `shape`, or nullopt on a negative dimension or int64 overflow.
std::optional<int64_t> checked_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return std::nullopt;
  }
  return n;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

std::string_view dtype_name(DType d) {
  for (const auto& e : kDTypes)
    if (e.dtype == d) return e.name;
  return "?";
}

size_t dtype_size(DType d) {
  for (const auto& e : kDTypes)
    if (e.dtype == d) return e.size;
  return 0;
}

// ---------------------------------------------------------------- half / bfloat16

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t mant = h & 0x3FFu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return (h & 0x8000u) ? -v : v;
  }
  uint32_t bits;
  if (exp == 31) bits = sign | 0x7F800000u | (mant << 13);  // inf / NaN (payload kept)
  else bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  return std::bit_cast<float>(bits);
}

uint16_t float_to_half(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) {  // NaN: keep the top payload bits, force quiet so it stays a NaN
    return static_cast<uint16_t>(sign | 0x7E00u | ((abs & 0x7FFFFFu) >> 13));
  }
  if (abs >= 0x477FF000u) return sign | 0x7C00u;  // >= 65520 rounds (ties-to-even) to infinity
  const uint32_t e = abs >> 23;
  if (e < 113) {  // below 2^-14: a half subnormal (or zero), in units of 2^-24
    if (e < 102) return sign;  // < 2^-25: rounds to zero
    const uint32_t mant = (abs & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t q = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t h = ((e - 112) << 10) | ((abs & 0x7FFFFFu) >> 13);
  const uint32_t rem = abs & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is right
  return static_cast<uint16_t>(sign | h);
}

float bf16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t float_to_bf16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
  const uint32_t rounded = u + 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

// ---------------------------------------------------------------- TensorView

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<float> TensorView::to_f32() const {
  const size_t n = static_cast<size_t>(numel());
  std::vector<float> out(n);
  const uint8_t* p = data;
  switch (dtype) {
    case DType::F32: if (n) std::memcpy(out.data(), p, n * 4); break;
    case DType::F64: for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load<double>(p + 8 * i)); break;
    case DType::F16: for (size_t i = 0; i < n; ++i) out[i] = half_to_float(load<uint16_t>(p + 2 * i)); break;
    case DType::BF16: for (size_t i = 0; i < n; ++i) out[i] = bf16_to_float(load<uint16_t>(p + 2 * i)); break;
    case DType::I64: for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load<int64_t>(p + 8 * i)); break;
    case DType::I32: for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load<int32_t>(p + 4 * i)); break;
    case DType::I16: for (size_t i = 0; i < n; ++i) out[i] = load<int16_t>(p + 2 * i); break;
    case DType::I8: for (size_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(p[i]); break;
    case DType::U8: for (size_t i = 0; i < n; ++i) out[i] = p[i]; break;
    case DType::BOOL: for (size_t i = 0; i < n; ++i) out[i] = p[i] ? 1.f : 0.f; break;
  }
  return out;
}

std::vector<int64_t> TensorView::to_i64() const {
  const size_t n = static_cast<size_t>(numel());
  std::vector<int64_t> out(n);
  const uint8_t* p = data;
  switch (dtype) {
    case DType::I64: if (n) std::memcpy(out.data(), p, n * 8); break;
    case DType::I32: for (size_t i = 0; i < n; ++i) out[i] = load<int32_t>(p + 4 * i); break;
    case DType::I16: for (size_t i = 0; i < n; ++i) out[i] = load<int16_t>(p + 2 * i); break;
    case DType::I8: for (size_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(p[i]); break;
    case DType::U8: for (size_t i = 0; i < n; ++i) out[i] = p[i]; break;
    case DType::BOOL: for (size_t i = 0; i < n; ++i) out[i] = p[i] ? 1 : 0; break;
    default:
      throw Error("tensor " + squote(name) + ": expected an integer or BOOL dtype, got " +
                  std::string(dtype_name(dtype)));
  }
  return out;
}

// ---------------------------------------------------------------- reading

struct SafeTensorsFile::Storage {
  std::string bytes;             // from_bytes()
  void* map = nullptr;           // open(): the mapping
  size_t map_size = 0;
  const uint8_t* data = nullptr; // the whole file
  size_t size = 0;
  ~Storage() {
    if (map) ::munmap(map, map_size);
  }
};

namespace {

struct Parsed {
  std::vector<TensorView> tensors;
  std::map<std::string, std::string> metadata;
};

Parsed parse_safetensors(const uint8_t* p, size_t size, const std::string& origin) {
  auto fail = [&](const std::string& what) -> Error { return Error(origin + ": " + what); };
  if (size < 8) throw fail("not a safetensors file (" + std::to_string(size) + " bytes, expected at least 8)");
  const uint64_t header_len = load<uint64_t>(p);
  if (header_len < 2) throw fail("header length " + std::to_string(header_len) + " is too small for a JSON object");
  if (header_len > kMaxHeaderBytes)
    throw fail("header length " + std::to_string(header_len) + " exceeds the limit of " +
               std::to_string(kMaxHeaderBytes) + " bytes (not a safetensors file?)");
  if (header_len > size - 8)
    throw fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
               std::to_string(size) + " bytes; truncated?)");
  const char* header_begin = reinterpret_cast<const char*>(p + 8);
  const uint64_t data_size = size - 8 - header_len;
  const uint8_t* data = p + 8 + header_len;

  json header;
  try {
    header = json::parse(header_begin, header_begin + header_len);
  } catch (const json::exception& e) {
    std::string msg = e.what();
    if (auto pos = msg.find("] "); pos != std::string::npos) msg = msg.substr(pos + 2);
    throw fail("header is not valid JSON (" + msg + ")");
  }
  if (!header.is_object()) throw fail("header: expected a JSON object, got " + std::string(header.type_name()));

  Parsed out;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) throw fail("__metadata__: expected an object of strings, got " + describe(info));
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) throw fail("__metadata__." + key + ": expected a string, got " + describe(value));
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor " + squote(name);
    if (!info.is_object()) throw fail(where + ": expected an object, got " + describe(info));
    TensorView t;
    t.name = name;

    auto dt = info.find("dtype");
    if (dt == info.end()) throw fail(where + ": missing \"dtype\"");
    if (!dt->is_string()) throw fail(where + ": dtype: expected a string, got " + describe(*dt));
    auto parsed = parse_dtype(dt->get_ref<const std::string&>());
    if (!parsed)
      throw fail(where + ": dtype: expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, got '" +
                 dt->get<std::string>() + "'");
    t.dtype = *parsed;

    auto sh = info.find("shape");
    if (sh == info.end()) throw fail(where + ": missing \"shape\"");
    if (!sh->is_array()) throw fail(where + ": shape: expected an array of integers, got " + describe(*sh));
    for (size_t i = 0; i < sh->size(); ++i) {
      const json& d = (*sh)[i];
      if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw fail(where + ": shape[" + std::to_string(i) + "]: expected a non-negative integer, got " + describe(d));
      t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    auto numel = checked_numel(t.shape);
    uint64_t nbytes = 0;
    if (!numel || __builtin_mul_overflow(static_cast<uint64_t>(*numel), dtype_size(t.dtype), &nbytes))
      throw fail(where + ": shape: element count overflows");

    auto off = info.find("data_offsets");
    if (off == info.end()) throw fail(where + ": missing \"data_offsets\"");
    if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
      throw fail(where + ": data_offsets: expected [begin, end] non-negative integers, got " + describe(*off));
    const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (begin > end)
      throw fail(where + ": data_offsets: begin " + std::to_string(begin) + " is after end " + std::to_string(end));
    if (end > data_size)
      throw fail(where + ": data_offsets: end " + std::to_string(end) + " is past the data section (" +
                 std::to_string(data_size) + " bytes; truncated?)");
    if (end - begin != nbytes)
      throw fail(where + ": data_offsets: " + std::to_string(end - begin) + " bytes, but shape and dtype need " +
                 std::to_string(nbytes));
    t.data = data + begin;
    t.nbytes = static_cast<size_t>(nbytes);
    out.tensors.push_back(std::move(t));
  }

  // Tensors must not share bytes (zero-sized ones occupy nothing).
  std::vector<const TensorView*> by_offset;
  for (const auto& t : out.tensors)
    if (t.nbytes) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->data < b->data; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i - 1]->data + by_offset[i - 1]->nbytes > by_offset[i]->data)
      throw fail("tensor " + squote(by_offset[i]->name) + ": data_offsets overlap tensor " +
                 squote(by_offset[i - 1]->name));
  }
  return out;  // json objects iterate in name order, so tensors are sorted by name
}

}  // namespace

SafeTensorsFile SafeTensorsFile::open(const fs::path& path) {
  const std::string origin = path.string();
  auto storage = std::make_shared<Storage>();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(origin + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(origin + ": cannot stat (" + std::strerror(err) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(origin + ": not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size > 0) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw Error(origin + ": cannot map (" + std::strerror(err) + ")");
    }
    storage->map = map;
    storage->map_size = size;
    storage->data = static_cast<const uint8_t*>(map);
    storage->size = size;
  }
  ::close(fd);  // the mapping stays valid

  SafeTensorsFile file;
  static const uint8_t kEmpty[1] = {0};
  Parsed parsed = parse_safetensors(storage->data ? storage->data : kEmpty, storage->size, origin);
  file.storage_ = std::move(storage);
  file.tensors_ = std::move(parsed.tensors);
  file.metadata_ = std::move(parsed.metadata);
  file.origin_ = origin;
  return file;
}

SafeTensorsFile SafeTensorsFile::from_bytes(std::string bytes, std::string origin) {
  auto storage = std::make_shared<Storage>();
  storage->bytes = std::move(bytes);  // moved before taking pointers: short strings live inline
  storage->data = reinterpret_cast<const uint8_t*>(storage->bytes.data());
  storage->size = storage->bytes.size();
  Parsed parsed = parse_safetensors(storage->data, storage->size, origin);
  SafeTensorsFile file;
  file.storage_ = std::move(storage);
  file.tensors_ = std::move(parsed.tensors);
  file.metadata_ = std::move(parsed.metadata);
  file.origin_ = std::move(origin);
  return file;
}

bool SafeTensorsFile::contains(const std::string& name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorView& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name;
}

const TensorView& SafeTensorsFile::get(const std::string& name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorView& t, const std::string& n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name)
    throw Error(origin_ + ": tensor " + squote(name) + " not found (" + std::to_string(tensors_.size()) +
                " tensors in the file)");
  return *it;
}

// ---------------------------------------------------------------- writing

namespace io {

void check_tensor_for_writing(const std::string& what, const std::string& name, const std::vector<int64_t>& shape,
                              DType dtype, uint64_t nbytes) {
  if (name == "__metadata__") throw Error(what + ": '__metadata__' is reserved and cannot name a tensor");
  if (dtype_size(dtype) == 0) throw Error(what + ": tensor " + squote(name) + ": unknown dtype");
  auto numel = checked_numel(shape);
  uint64_t need = 0;
  if (!numel) throw Error(what + ": tensor " + squote(name) + ": shape has a negative dimension or overflows");
  if (__builtin_mul_overflow(static_cast<uint64_t>(*numel), dtype_size(dtype), &need))
    throw Error(what + ": tensor " + squote(name) + ": byte size overflows");
  if (need != nbytes)
    throw Error(what + ": tensor " + squote(name) + ": shape and dtype need " + std::to_string(need) +
                " bytes, got " + std::to_string(nbytes));
}

std::string layout_safetensors(std::vector<TensorLayout>& tensors, const std::map<std::string, std::string>& metadata) {
  for (const auto& t : tensors) check_tensor_for_writing("safetensors", t.name, t.shape, t.dtype, t.nbytes);
  std::sort(tensors.begin(), tensors.end(), [](const TensorLayout& a, const TensorLayout& b) {
    const size_t sa = dtype_size(a.dtype), sb = dtype_size(b.dtype);
    return sa != sb ? sa > sb : a.name < b.name;
  });
  uint64_t offset = 0;
  for (auto& t : tensors) {
    t.begin = offset;
    t.end = offset + t.nbytes;
    offset = t.end;
  }

  // Keys sorted by name; nlohmann's default object is a sorted map.
  json header = json::object();
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  for (const auto& t : tensors) {
    if (header.contains(t.name)) throw Error("safetensors: tensor " + squote(t.name) + " given twice");
    header[t.name] = json{{"dtype", std::string(dtype_name(t.dtype))},
                          {"shape", t.shape},
                          {"data_offsets", json::array({t.begin, t.end})}};
  }
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');
  std::string prefix(8, '\0');
  const uint64_t n = text.size();
  std::memcpy(prefix.data(), &n, 8);
  return prefix + text;
}

}  // namespace io

void SafeTensorsWriter::set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

void SafeTensorsWriter::add(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data,
                            size_t nbytes) {
  io::check_tensor_for_writing("safetensors writer", name, shape, dtype, nbytes);
  if (entries_.count(name)) throw Error("safetensors writer: tensor " + squote(name) + " added twice");
  Entry e{dtype, std::move(shape), std::string()};
  if (nbytes) e.data.assign(static_cast<const char*>(data), nbytes);
  entries_.emplace(name, std::move(e));
}

void SafeTensorsWriter::add_f32(const std::string& name, std::vector<int64_t> shape, std::span<const float> values) {
  add(name, DType::F32, std::move(shape), values.data(), values.size_bytes());
}

void SafeTensorsWriter::add_i64(const std::string& name, std::vector<int64_t> shape, std::span<const int64_t> values) {
  add(name, DType::I64, std::move(shape), values.data(), values.size_bytes());
}

std::string SafeTensorsWriter::to_bytes() const {
  std::vector<io::TensorLayout> layout;
  for (const auto& [name, e] : entries_) layout.push_back({name, e.dtype, e.shape, e.data.size()});
  std::string out = io::layout_safetensors(layout, metadata_);
  for (const auto& t : layout) out += entries_.at(t.name).data;
  return out;
}

void SafeTensorsWriter::write(const fs::path& path) const {
  std::vector<io::TensorLayout> layout;
  for (const auto& [name, e] : entries_) layout.push_back({name, e.dtype, e.shape, e.data.size()});
  const std::string prefix = io::layout_safetensors(layout, metadata_);
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path.string() + ": cannot create (" + std::strerror(errno) + ")");
    out.write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    for (const auto& t : layout) {
      const std::string& d = entries_.at(t.name).data;
      out.write(d.data(), static_cast<std::streamsize>(d.size()));
    }
    out.flush();
    if (!out) throw Error(path.string() + ": write failed (" + std::strerror(errno) + ")");
  }
  file.commit();
}

}  // namespace stickgen
