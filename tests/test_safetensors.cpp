// safetensors: round trips, the byte layout, every header check, half/bfloat16 rounding against
// numpy/torch, and files exchanged both ways with an independent Python implementation.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>
#include <random>

#include "stickgen/safetensors.hpp"
#include "test_util.hpp"

using namespace stickgen;
namespace fs = std::filesystem;
using stickgen::test::TempDir;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// A file from a header object and a data section, in the published layout.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

SafeTensorsWriter sample_writer() {
  SafeTensorsWriter w;
  std::vector<float> a{1.f, -2.5f, 3.25f, 0.f, 1e-7f, 65504.f};
  std::vector<int64_t> b{0, -1, std::numeric_limits<int64_t>::max()};
  std::vector<int16_t> c{-32768, 0, 7};
  std::vector<uint8_t> d{0, 1, 255};
  std::vector<double> e{1.0 / 3.0};
  w.add_f32("a", {2, 3}, a);
  w.add_i64("b", {3}, b);
  w.add("c", DType::I16, {3}, c.data(), c.size() * 2);
  w.add("d", DType::U8, {3}, d.data(), d.size());
  w.add("e.scalar", DType::F64, {}, e.data(), 8);  // 0-d tensor: one element
  w.add("empty", DType::F32, {0, 4}, nullptr, 0);
  w.set_metadata("format", "test");
  w.set_metadata("note", "quotes \" and unicode \xc3\xa9");
  return w;
}

}  // namespace

TEST(SafeTensors, RoundTripInMemoryAndOnDisk) {
  const SafeTensorsWriter w = sample_writer();
  TempDir tmp;
  w.write(tmp / "x.safetensors");
  for (const SafeTensorsFile& f : {SafeTensorsFile::from_bytes(w.to_bytes()), SafeTensorsFile::open(tmp / "x.safetensors")}) {
    ASSERT_EQ(f.tensors().size(), 6u);
    EXPECT_EQ(f.metadata().at("format"), "test");
    EXPECT_EQ(f.metadata().at("note"), "quotes \" and unicode \xc3\xa9");
    const auto& a = f.get("a");
    EXPECT_EQ(a.dtype, DType::F32);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a.to_f32(), (std::vector<float>{1.f, -2.5f, 3.25f, 0.f, 1e-7f, 65504.f}));
    EXPECT_EQ(f.get("b").to_i64(), (std::vector<int64_t>{0, -1, std::numeric_limits<int64_t>::max()}));
    EXPECT_EQ(f.get("c").to_i64(), (std::vector<int64_t>{-32768, 0, 7}));
    EXPECT_EQ(f.get("c").to_f32(), (std::vector<float>{-32768.f, 0.f, 7.f}));
    EXPECT_EQ(f.get("d").to_i64(), (std::vector<int64_t>{0, 1, 255}));
    EXPECT_EQ(f.get("e.scalar").numel(), 1);
    EXPECT_FLOAT_EQ(f.get("e.scalar").to_f32()[0], 1.f / 3.f);
    EXPECT_EQ(f.get("empty").numel(), 0);
    EXPECT_TRUE(f.get("empty").to_f32().empty());
    EXPECT_TRUE(f.contains("a"));
    EXPECT_FALSE(f.contains("z"));
    // tensors() is sorted by name
    for (size_t i = 1; i < f.tensors().size(); ++i) EXPECT_LT(f.tensors()[i - 1].name, f.tensors()[i].name);
  }
  EXPECT_EQ(fs::file_size(tmp / "x.safetensors"), w.to_bytes().size());
}

TEST(SafeTensors, LayoutIsAlignedSortedAndContiguous) {
  const std::string bytes = sample_writer().to_bytes();
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u) << "data must start 8-byte aligned";
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.front(), '{');
  EXPECT_EQ(header.find_last_not_of(' '), header.rfind('}'));  // padding is trailing spaces
  auto j = nlohmann::json::parse(header);
  EXPECT_EQ(j.begin().key(), "__metadata__");
  // Every tensor starts at a multiple of its element size, tensors tile the data section exactly.
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (auto& [name, info] : j.items()) {
    if (name == "__metadata__") continue;
    const uint64_t b = info["data_offsets"][0], e = info["data_offsets"][1];
    const std::string dt = info["dtype"];
    const uint64_t size = dt == "F64" || dt == "I64" ? 8 : dt == "F32" ? 4 : dt == "I16" ? 2 : 1;
    EXPECT_EQ(b % size, 0u) << name;
    spans.push_back({b, e});
  }
  std::sort(spans.begin(), spans.end());
  uint64_t pos = 0;
  for (auto [b, e] : spans) {
    EXPECT_EQ(b, pos);
    pos = e;
  }
  EXPECT_EQ(pos, bytes.size() - 8 - n);
  // The mapped data of an aligned file is aligned too.
  TempDir tmp;
  write_file_atomic(tmp / "a.safetensors", bytes);
  auto f = SafeTensorsFile::open(tmp / "a.safetensors");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f.get("b").data) % 8, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f.get("a").data) % 4, 0u);
}

TEST(SafeTensors, EmptyFileOfTensorsRoundTrips) {
  SafeTensorsWriter w;
  auto f = SafeTensorsFile::from_bytes(w.to_bytes());
  EXPECT_TRUE(f.tensors().empty());
  EXPECT_TRUE(f.metadata().empty());
}

TEST(SafeTensors, WriterRejectsBadInput) {
  SafeTensorsWriter w;
  float x[4] = {};
  EXPECT_NE(error_of([&] { w.add("x", DType::F32, {2, 3}, x, 16); }).find("need 24 bytes, got 16"), std::string::npos);
  EXPECT_NE(error_of([&] { w.add("x", DType::F32, {-1}, x, 0); }).find("negative"), std::string::npos);
  EXPECT_NE(error_of([&] { w.add("__metadata__", DType::F32, {1}, x, 4); }).find("reserved"), std::string::npos);
  w.add("x", DType::F32, {1}, x, 4);
  EXPECT_NE(error_of([&] { w.add("x", DType::F32, {1}, x, 4); }).find("added twice"), std::string::npos);
}

TEST(SafeTensors, AtomicWriteLeavesNothingOnFailure) {
  TempDir tmp;
  SafeTensorsWriter w = sample_writer();
  // The target's directory does not exist: the write fails and leaves no temporary behind.
  EXPECT_THROW(w.write(tmp / "missing" / "x.safetensors"), Error);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
  // Overwriting keeps a complete file, and no temporaries remain.
  w.write(tmp / "x.safetensors");
  w.write(tmp / "x.safetensors");
  size_t files = 0;
  for (auto& e : fs::directory_iterator(tmp.path())) {
    ++files;
    EXPECT_EQ(e.path().filename(), "x.safetensors");
  }
  EXPECT_EQ(files, 1u);
}

// ---------------------------------------------------------------- every header check

struct BadCase {
  const char* what;
  std::string bytes;
  const char* expect;  // a substring of the one-line error
};

TEST(SafeTensors, EveryMalformedHeaderIsAOneLineErrorNamingFileAndTensor) {
  const std::string data4(4, '\0');
  std::string huge_len(8, '\0');
  const uint64_t big = 1ull << 40;
  std::memcpy(huge_len.data(), &big, 8);
  std::string over(8, '\0');
  const uint64_t ten = 10;
  std::memcpy(over.data(), &ten, 8);
  const std::vector<BadCase> cases = {
      {"too short", "abc", "expected at least 8"},
      {"length too big", huge_len + "{}", "exceeds the limit"},
      {"length past end", over + "{}", "runs past the end"},
      {"length zero", make_file("", ""), "too small"},
      {"not json", make_file("{nope", ""), "not valid JSON"},
      {"not object", make_file("[1,2]", ""), "expected a JSON object"},
      {"metadata not object", make_file(R"({"__metadata__":[1]})", ""), "__metadata__: expected an object"},
      {"metadata value", make_file(R"({"__metadata__":{"k":1}})", ""), "__metadata__.k: expected a string"},
      {"tensor not object", make_file(R"({"t":3})", ""), "tensor 't': expected an object"},
      {"missing dtype", make_file(R"({"t":{"shape":[1],"data_offsets":[0,4]}})", data4), "tensor 't': missing \"dtype\""},
      {"bad dtype", make_file(R"({"t":{"dtype":"F8","shape":[1],"data_offsets":[0,4]}})", data4), "tensor 't': dtype: expected one of"},
      {"dtype type", make_file(R"({"t":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", data4), "dtype: expected a string"},
      {"missing shape", make_file(R"({"t":{"dtype":"F32","data_offsets":[0,4]}})", data4), "tensor 't': missing \"shape\""},
      {"negative dim", make_file(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", data4), "shape[0]: expected a non-negative integer"},
      {"float dim", make_file(R"({"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", data4), "shape[0]: expected a non-negative integer"},
      {"shape overflow", make_file(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", data4), "element count overflows"},
      {"missing offsets", make_file(R"({"t":{"dtype":"F32","shape":[1]}})", data4), "missing \"data_offsets\""},
      {"offsets shape", make_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", data4), "data_offsets: expected [begin, end]"},
      {"offsets negative", make_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", data4), "data_offsets: expected [begin, end]"},
      {"offsets reversed", make_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", data4), "begin 4 is after end 0"},
      {"offsets past end", make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data4), "past the data section"},
      {"size mismatch", make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", data4), "4 bytes, but shape and dtype need 8"},
      {"newline in a name", make_file("{\"a\\nb\":3}", ""), "tensor 'a\\nb': expected an object"},
      {"overlap", make_file(R"({"s":{"dtype":"I16","shape":[2],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", std::string(8, '\0')), "overlap"},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of([&] { SafeTensorsFile::from_bytes(c.bytes, "w.safetensors"); });
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.what << ": " << msg;
    EXPECT_EQ(msg.rfind("w.safetensors: ", 0), 0u) << c.what << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.what;
  }
}

TEST(SafeTensors, TruncatedAndCorruptedFiles) {
  const std::string good = sample_writer().to_bytes();
  // Every truncation is rejected (the data section ends before the last tensor) or, when only
  // trailing bytes go, still names the file.
  for (size_t len = 0; len < good.size(); ++len) {
    const std::string msg = error_of([&] { SafeTensorsFile::from_bytes(good.substr(0, len), "t.safetensors"); });
    EXPECT_EQ(msg.rfind("t.safetensors: ", 0), 0u) << len << ": " << msg;
  }
  // Flipping any header byte either still parses or gives a one-line error; never a crash.
  uint64_t n;
  std::memcpy(&n, good.data(), 8);
  for (size_t i = 0; i < 8 + n; ++i) {
    std::string bad = good;
    bad[i] ^= 0x5A;
    try {
      auto f = SafeTensorsFile::from_bytes(bad);
      for (const auto& t : f.tensors()) (void)t.to_f32();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
  TempDir tmp;
  write_file_atomic(tmp / "cut.safetensors", good.substr(0, good.size() - 3));
  const std::string msg = error_of([&] { SafeTensorsFile::open(tmp / "cut.safetensors"); });
  EXPECT_NE(msg.find((tmp / "cut.safetensors").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  write_file_atomic(tmp / "empty.safetensors", "");
  EXPECT_THROW(SafeTensorsFile::open(tmp / "empty.safetensors"), Error);
  EXPECT_NE(error_of([&] { SafeTensorsFile::open(tmp / "nope.safetensors"); }).find("cannot open"), std::string::npos);
  EXPECT_NE(error_of([&] { SafeTensorsFile::open(tmp.path()); }).find("not a regular file"), std::string::npos);
}

TEST(SafeTensors, MissingTensorErrorNamesIt) {
  auto f = SafeTensorsFile::from_bytes(sample_writer().to_bytes(), "m.safetensors");
  const std::string msg = error_of([&] { f.get("motion"); });
  EXPECT_NE(msg.find("m.safetensors"), std::string::npos);
  EXPECT_NE(msg.find("'motion' not found"), std::string::npos);
  EXPECT_NE(error_of([&] { f.get("a").to_i64(); }).find("tensor 'a': expected an integer"), std::string::npos);
}

TEST(SafeTensors, CopiesShareTheMappedData) {
  // Views point into storage shared by every copy of the file object.
  std::optional<SafeTensorsFile> copy;
  std::vector<float> expect;
  {
    auto f = SafeTensorsFile::from_bytes(sample_writer().to_bytes());
    expect = f.get("a").to_f32();
    copy = f;
  }
  EXPECT_EQ(copy->get("a").to_f32(), expect);
}

TEST(SafeTensors, UnalignedDataIsReadCorrectly) {
  // A foreign writer may place an F32 tensor at an odd offset.
  const float v[2] = {1.5f, -3.f};
  std::string data(1, 'x');
  data.append(reinterpret_cast<const char*>(v), 8);
  auto f = SafeTensorsFile::from_bytes(
      make_file(R"({"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"v":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}})", data));
  EXPECT_EQ(f.get("v").to_f32(), (std::vector<float>{1.5f, -3.f}));
}

// ---------------------------------------------------------------- half / bfloat16

TEST(Half, KnownValues) {
  EXPECT_EQ(float_to_half(0.f), 0x0000);
  EXPECT_EQ(float_to_half(-0.f), 0x8000);
  EXPECT_EQ(float_to_half(1.f), 0x3C00);
  EXPECT_EQ(float_to_half(-2.f), 0xC000);
  EXPECT_EQ(float_to_half(65504.f), 0x7BFF);
  EXPECT_EQ(float_to_half(65519.f), 0x7BFF);
  EXPECT_EQ(float_to_half(65520.f), 0x7C00);  // tie rounds to even = infinity
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(float_to_half(std::ldexp(1.f, -24)), 0x0001);   // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.f, -25)), 0x0000);   // tie with zero -> even (0)
  EXPECT_EQ(float_to_half(std::ldexp(3.f, -25)), 0x0002);   // 1.5 units -> 2 (even)
  EXPECT_EQ(float_to_half(1.f + std::ldexp(1.f, -11)), 0x3C00);      // tie -> even
  EXPECT_EQ(float_to_half(1.f + 3 * std::ldexp(1.f, -11)), 0x3C02);  // tie -> even
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.f, -24));
  EXPECT_EQ(float_to_bf16(1.f), 0x3F80);
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie -> even
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x7F7FFFFFu)), 0x7F80);  // max float rounds to inf
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
  for (uint32_t h = 0; h < 65536; ++h) {  // every finite half survives float and back
    if ((h & 0x7C00u) == 0x7C00u) continue;
    EXPECT_EQ(float_to_half(half_to_float(static_cast<uint16_t>(h))), h);
  }
}

// Floats that exercise rounding: every half midpoint and its neighbours, a stride over all bit
// patterns, and special values.
std::vector<float> rounding_probe() {
  std::vector<float> x;
  for (uint32_t h = 0; h < 0x7C00u; ++h) {
    const float lo = half_to_float(static_cast<uint16_t>(h));
    const float hi = h + 1 < 0x7C00u ? half_to_float(static_cast<uint16_t>(h + 1)) : 65536.f;
    const float mid = lo + (hi - lo) * 0.5f;  // exact in float
    for (float v : {mid, std::nextafter(mid, 0.f), std::nextafter(mid, 1e30f)}) {
      x.push_back(v);
      x.push_back(-v);
    }
  }
  for (uint64_t u = 0; u < (1ull << 32); u += 4093) x.push_back(std::bit_cast<float>(static_cast<uint32_t>(u)));
  for (uint32_t b = 0; b < 65536; b += 3) {  // bfloat16 midpoints
    x.push_back(std::bit_cast<float>((b << 16) | 0x8000u));
    x.push_back(std::bit_cast<float>((b << 16) | 0x7FFFu));
  }
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-std::numeric_limits<float>::infinity());
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  x.push_back(std::numeric_limits<float>::max());
  x.push_back(std::numeric_limits<float>::denorm_min());
  return x;
}

TEST(SafeTensors, PythonReadsOursAndWeReadPythonsWithNumpyTorchRounding) {
  TempDir tmp;
  const std::vector<float> x = rounding_probe();
  SafeTensorsWriter w = sample_writer();
  w.add_f32("x", {static_cast<int64_t>(x.size())}, x);
  bool flags[3] = {true, false, true};
  w.add("flags", DType::BOOL, {3}, flags, 3);
  w.write(tmp / "ours.safetensors");

  const auto r = stickgen::test::run_command(
      stickgen::test::shell_quote(stickgen::test::python()) + " " +
      stickgen::test::shell_quote((stickgen::test::source_dir() / "tests" / "safetensors_min.py").string()) +
      " roundtrip " + stickgen::test::shell_quote((tmp / "ours.safetensors").string()) + " " +
      stickgen::test::shell_quote((tmp / "py.safetensors").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  auto ours = SafeTensorsFile::open(tmp / "ours.safetensors");
  auto py = SafeTensorsFile::open(tmp / "py.safetensors");
  EXPECT_EQ(py.metadata().at("format"), "test");
  EXPECT_NE(py.metadata().at("python").find("numpy"), std::string::npos);
  // Python's reader saw exactly what we wrote (it wrote every tensor back).
  for (const auto& t : ours.tensors()) {
    const auto& p = py.get(t.name);
    EXPECT_EQ(p.dtype, t.dtype) << t.name;
    EXPECT_EQ(p.shape, t.shape) << t.name;
    ASSERT_EQ(p.nbytes, t.nbytes) << t.name;
    EXPECT_EQ(std::memcmp(p.data, t.data, t.nbytes), 0) << t.name;
  }
  // numpy float32 -> float16 and torch float32 -> bfloat16 agree with ours bit for bit.
  const auto& f16 = py.get("f16");
  const auto& bf16 = py.get("bf16");
  ASSERT_EQ(f16.dtype, DType::F16);
  ASSERT_EQ(bf16.dtype, DType::BF16);
  ASSERT_EQ(static_cast<size_t>(f16.numel()), x.size());
  size_t mismatches_h = 0, mismatches_b = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t h, b;
    std::memcpy(&h, f16.data + 2 * i, 2);
    std::memcpy(&b, bf16.data + 2 * i, 2);
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(half_to_float(h)) && std::isnan(half_to_float(float_to_half(x[i]))));
      EXPECT_TRUE(std::isnan(bf16_to_float(b)) && std::isnan(bf16_to_float(float_to_bf16(x[i]))));
      continue;
    }
    if (float_to_half(x[i]) != h && mismatches_h++ < 5) ADD_FAILURE() << "half of " << x[i] << ": numpy " << h << ", ours " << float_to_half(x[i]);
    if (float_to_bf16(x[i]) != b && mismatches_b++ < 5) ADD_FAILURE() << "bf16 of " << x[i] << ": torch " << b << ", ours " << float_to_bf16(x[i]);
  }
  EXPECT_EQ(mismatches_h, 0u);
  EXPECT_EQ(mismatches_b, 0u);
  // F16/BF16 tensors convert through to_f32 like the scalar functions.
  const auto f16_as_f32 = f16.to_f32();
  for (size_t i = 0; i < x.size(); i += 997)
    if (!std::isnan(x[i])) {
      EXPECT_EQ(f16_as_f32[i], half_to_float(float_to_half(x[i])));
    }
  // Every half bit pattern: numpy's float16 -> float32 equals ours.
  const auto table = py.get("half_to_f32").to_f32();
  ASSERT_EQ(table.size(), 65536u);
  for (uint32_t h = 0; h < 65536; ++h) {
    const float ours_v = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(table[h])) {
      EXPECT_TRUE(std::isnan(ours_v)) << h;
    } else {
      EXPECT_EQ(std::bit_cast<uint32_t>(ours_v), std::bit_cast<uint32_t>(table[h])) << h;
    }
  }
}
