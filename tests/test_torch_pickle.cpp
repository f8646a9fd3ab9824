// The restricted torch.save reader: files written by Debian's python3-torch, hand-built hostile
// pickles, and damaged archives.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <functional>
#include <random>

#include "stickgen/torch_pickle.hpp"
#include "test_util.hpp"

namespace stickgen {
namespace {
namespace fs = std::filesystem;
using namespace std::string_literals;
using test::TempDir;

// Python fixtures are generated once per script version and shared by every test process (ctest
// runs each test in its own process): a directory named after a hash of the generating scripts,
// created atomically (written beside it, then renamed into place).
fs::path cached_fixtures(const std::string& tag, const std::vector<fs::path>& scripts, std::string* log) {
  std::string key;
  for (const auto& s : scripts) key += read_file(s);
  const fs::path dir = fs::temp_directory_path() / ("stickgen-fixtures-" + tag + "-" + std::to_string(std::hash<std::string>{}(key)));
  if (fs::exists(dir / "done")) return dir;
  fs::path tmp = dir;
  tmp += ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const auto r = test::run_command(test::shell_quote(test::python()) + " " + test::shell_quote(scripts[0].string()) + " " +
                                   test::shell_quote(tmp.string()));
  *log = r.output;
  if (r.exit_code != 0) {
    fs::remove_all(tmp);
    return {};
  }
  write_file_atomic(tmp / "done", "");
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp);  // another process got there first; its copy is identical
  return fs::exists(dir / "done") ? dir : fs::path();
}

// Fixtures from scripts/torch_pickle_fixtures.py.
class TorchPickle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = cached_fixtures("torch-pickle", {test::source_dir() / "scripts/torch_pickle_fixtures.py"}, &log_);
  }
  void SetUp() override { ASSERT_FALSE(dir_.empty()) << "torch_pickle_fixtures.py failed:\n" << log_; }
  static fs::path file(const std::string& name) { return dir_ / name; }
  static std::string error_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  }
  static fs::path dir_;
  static std::string log_;
};
fs::path TorchPickle::dir_;
std::string TorchPickle::log_;

std::vector<float> floats(const PyValue* v) {
  EXPECT_TRUE(v && v->is_tensor());
  return v->tensor->view().to_f32();
}

std::vector<float> arange(int n, float scale = 1.f, float shift = 0.f) {
  std::vector<float> out;
  for (int i = 0; i < n; ++i) out.push_back(i * scale + shift);
  return out;
}

// A minimal stored zip archive (no CRCs: our reader does not check them).
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string z, central;
  auto u16 = [](std::string& s, uint16_t v) { s.push_back(char(v & 0xff)), s.push_back(char(v >> 8)); };
  auto u32 = [&](std::string& s, uint32_t v) { u16(s, v & 0xffff), u16(s, v >> 16); };
  for (const auto& [name, data] : files) {
    const uint32_t local = static_cast<uint32_t>(z.size()), n = static_cast<uint32_t>(data.size());
    u32(z, 0x04034b50); u16(z, 20); u16(z, 0); u16(z, 0); u16(z, 0); u16(z, 0); u32(z, 0); u32(z, n); u32(z, n);
    u16(z, static_cast<uint16_t>(name.size())); u16(z, 0);
    z += name + data;
    u32(central, 0x02014b50); u16(central, 20); u16(central, 20); u16(central, 0); u16(central, 0); u16(central, 0);
    u16(central, 0); u32(central, 0); u32(central, n); u32(central, n); u16(central, static_cast<uint16_t>(name.size()));
    u16(central, 0); u16(central, 0); u16(central, 0); u16(central, 0); u32(central, 0); u32(central, local);
    central += name;
  }
  const uint32_t cd = static_cast<uint32_t>(z.size());
  z += central;
  u32(z, 0x06054b50); u16(z, 0); u16(z, 0); u16(z, static_cast<uint16_t>(files.size()));
  u16(z, static_cast<uint16_t>(files.size())); u32(z, static_cast<uint32_t>(central.size())); u32(z, cd); u16(z, 0);
  return z;
}

void check_state_dict(const PyValue& root) {
  ASSERT_TRUE(root.is_dict());
  // Insertion order is kept.
  std::vector<std::string> keys;
  for (const auto& [k, v] : root.entries) keys.push_back(k->text);
  ASSERT_GE(keys.size(), 4u);
  EXPECT_EQ(keys[0], "0.weight");
  EXPECT_EQ(keys[1], "0.bias");
  EXPECT_EQ(keys[2], "1.weight");
  EXPECT_EQ(keys[3], "1.bias");
  // state_dict()'s _metadata attribute arrives as the dict's BUILD state.
  ASSERT_NE(root.attributes, nullptr);
  ASSERT_NE(root.attributes->get("_metadata"), nullptr);

  const PyValue* w = root.get("0.weight");
  EXPECT_EQ(w->tensor->shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(floats(w), arange(12, 1.f / 8));
  EXPECT_EQ(floats(root.get("1.weight")), std::vector<float>(4, 1.f));

  std::vector<float> base = arange(24);
  EXPECT_EQ(floats(root.get("base")), base);
  std::vector<float> transposed;
  for (int c = 0; c < 6; ++c)
    for (int r = 0; r < 4; ++r) transposed.push_back(base[r * 6 + c]);
  EXPECT_EQ(root.get("transposed")->tensor->shape, (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(floats(root.get("transposed")), transposed);
  EXPECT_EQ(floats(root.get("sliced")), (std::vector<float>{8, 9, 10, 14, 15, 16}));

  EXPECT_EQ(root.get("half")->tensor->dtype, DType::F16);
  EXPECT_EQ(floats(root.get("half")), arange(5, 0.5f));
  EXPECT_EQ(root.get("bf16")->tensor->dtype, DType::BF16);
  EXPECT_EQ(floats(root.get("bf16")), arange(5, 2.f));
  EXPECT_EQ(root.get("f64")->tensor->dtype, DType::F64);
  EXPECT_EQ(floats(root.get("f64")), (std::vector<float>{-1.5f, -0.5f, 0.5f}));
  EXPECT_EQ(root.get("i64")->tensor->view().to_i64(), (std::vector<int64_t>{-3, 0, int64_t(1) << 40}));
  EXPECT_EQ(root.get("i32")->tensor->view().to_i64(), (std::vector<int64_t>{-7, 7}));
  EXPECT_EQ(root.get("i16")->tensor->view().to_i64(), (std::vector<int64_t>{-2, 2}));
  EXPECT_EQ(root.get("i8")->tensor->view().to_i64(), (std::vector<int64_t>{-1, 1}));
  EXPECT_EQ(root.get("u8")->tensor->view().to_i64(), (std::vector<int64_t>{0, 255}));
  EXPECT_EQ(root.get("bool")->tensor->dtype, DType::BOOL);
  EXPECT_EQ(root.get("bool")->tensor->view().to_i64(), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_TRUE(root.get("scalar")->tensor->shape.empty());
  EXPECT_EQ(floats(root.get("scalar")), std::vector<float>{2.5f});
  EXPECT_EQ(root.get("empty")->tensor->shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(root.get("empty")->tensor->data.empty());
  EXPECT_EQ(floats(root.get("expanded")), (std::vector<float>{1, 2, 1, 2, 1, 2}));
}

TEST_F(TorchPickle, ReadsStateDictOrderedDictWithMetadata) {
  auto a = TorchArchive::open(file("state_dict.pt"));
  EXPECT_FALSE(a.legacy_format());
  check_state_dict(a.root());
}

TEST_F(TorchPickle, ReadsLegacyFormat) {
  auto a = TorchArchive::open(file("legacy.pt"));
  EXPECT_TRUE(a.legacy_format());
  check_state_dict(a.root());
}

TEST_F(TorchPickle, ReadsPickleProtocol4) { check_state_dict(TorchArchive::open(file("protocol4.pt")).root()); }

TEST_F(TorchPickle, ReadsCheckpointWrapperWithOptimizerState) {
  auto a = TorchArchive::open(file("wrapper.pt"));
  const PyValue& r = a.root();
  check_state_dict(*r.get("model_state_dict"));
  EXPECT_EQ(r.get("epoch")->integer, 7);
  EXPECT_EQ(r.get("loss")->floating, 0.125);
  EXPECT_EQ(r.get("neg")->integer, -5);
  EXPECT_EQ(r.get("big")->kind, PyValue::Kind::big_integer);
  const PyValue* cfg = r.get("config");
  EXPECT_EQ(cfg->get("d_model")->integer, 256);
  EXPECT_EQ(cfg->get("names")->items.size(), 2u);
  EXPECT_EQ(cfg->get("names")->items[1]->text, "b");
  EXPECT_TRUE(cfg->get("flag")->boolean);
  EXPECT_EQ(cfg->get("none")->kind, PyValue::Kind::none);
  const PyValue* tup = r.get("tuple");
  ASSERT_EQ(tup->kind, PyValue::Kind::tuple);
  EXPECT_EQ(tup->items[1]->floating, 2.5);
  const PyValue* opt = r.get("optimizer_state_dict");
  ASSERT_TRUE(opt && opt->is_dict());
  const PyValue* state = opt->get("state");
  ASSERT_TRUE(state && state->is_dict());
  ASSERT_FALSE(state->entries.empty());
  EXPECT_EQ(state->entries[0].first->kind, PyValue::Kind::integer);  // parameter index keys
  EXPECT_NE(state->entries[0].second->get("exp_avg"), nullptr);
  const PyValue* groups = opt->get("param_groups");
  ASSERT_EQ(groups->kind, PyValue::Kind::list);
  EXPECT_EQ(groups->items[0]->get("lr")->floating, 1e-4);
}

TEST_F(TorchPickle, ReadsListOfDictsDataset) {
  auto a = TorchArchive::open(file("dataset.pt"));
  const PyValue& r = a.root();
  ASSERT_EQ(r.kind, PyValue::Kind::list);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[1]->get("motion")->tensor->shape, (std::vector<int64_t>{3, 3, 20}));
  EXPECT_EQ(r.items[2]->get("description")->text, "clip 2");
  EXPECT_EQ(r.items[0]->get("actions")->tensor->view().to_i64(), std::vector<int64_t>(4, 1));
  EXPECT_EQ(r.items[0]->get("embedding")->tensor->numel(), 1024);
}

TEST_F(TorchPickle, RejectsGlobalsOutsideTheAllowList) {
  const std::string e = error_of([] { TorchArchive::open(file("evil.pt")); });
  EXPECT_NE(e.find("'os.system'"), std::string::npos) << e;
  EXPECT_NE(e.find("not allowed"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  // The same pickle as a bare stream (no zip) is refused just the same.
  const std::string bare("\x80\x02" "cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.", 33);
  const std::string e2 = error_of([&] { TorchArchive::from_bytes(bare, "bare.pkl"); });
  EXPECT_NE(e2.find("'os.system'"), std::string::npos) << e2;
  // builtins.eval via STACK_GLOBAL (protocol 4) too.
  const std::string sg("\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93.", 20);
  const std::string e3 = error_of([&] { TorchArchive::from_bytes(sg, "sg.pkl"); });
  EXPECT_NE(e3.find("'builtins.eval'"), std::string::npos) << e3;
}

TEST_F(TorchPickle, RejectsUnsupportedStoragesAndCompression) {
  const std::string e = error_of([] { TorchArchive::open(file("complex.pt")); });
  EXPECT_NE(e.find("ComplexFloatStorage"), std::string::npos) << e;
  const std::string d = error_of([] { TorchArchive::open(file("deflated.pt")); });
  EXPECT_NE(d.find("compressed"), std::string::npos) << d;
  const std::string t = error_of([] { TorchArchive::from_bytes("hello world", "x.pt"); });
  EXPECT_NE(t.find("not a torch.save file"), std::string::npos) << t;
}

TEST_F(TorchPickle, RejectsCyclesAndBareStorages) {
  // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: a list that contains itself.
  const std::string cyc("\x80\x02]q\x00h\x00" "a.", 9);
  const std::string e = error_of([&] { TorchArchive::from_bytes(make_zip({{"m/data.pkl", cyc}}), "cyc"); });
  EXPECT_NE(e.find("cycle"), std::string::npos) << e;
  // A storage type returned as the result instead of a tensor.
  const std::string bare("\x80\x02" "ctorch\nFloatStorage\n.", 23);
  const std::string b = error_of([&] { TorchArchive::from_bytes(make_zip({{"m/data.pkl", bare}}), "bare"); });
  EXPECT_NE(b.find("bare global 'torch.FloatStorage'"), std::string::npos) << b;
  // A tensor whose view reaches past its storage.
  const std::string over =
      "\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n" "((" "X\x07\x00\x00\x00" "storage" "ctorch\nFloatStorage\n"
      "X\x01\x00\x00\x00" "0" "X\x03\x00\x00\x00" "cpu" "K\x02" "tQ" "K\x01" "K\x02" "\x85" "K\x01" "\x85"
      "\x89" "}tR."s;
  const std::string o = error_of([&] {
    TorchArchive::from_bytes(make_zip({{"m/data.pkl", over}, {"m/data/0", std::string(8, '\0')}}), "over");
  });
  EXPECT_NE(o.find("past the end"), std::string::npos) << o;
}

TEST_F(TorchPickle, EveryTruncationIsAnErrorNotACrash) {
  for (const char* name : {"small.pt", "legacy.pt"}) {
    const std::string bytes = read_file(file(name));
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_THROW(TorchArchive::from_bytes(bytes.substr(0, n), name), Error) << name << " cut at " << n;
    }
  }
}

TEST_F(TorchPickle, ByteFlipsNeverCrash) {
  const std::string bytes = read_file(file("small.pt"));
  std::mt19937 rng(42);
  int loaded = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string b = bytes;
    for (int k = 0; k < 3; ++k) b[rng() % b.size()] = static_cast<char>(rng());
    try {
      TorchArchive::from_bytes(b, "flipped");
      ++loaded;
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_EQ(loaded + refused, 3000);
  EXPECT_GT(refused, 0);
}

TEST(TorchZip, ListsStoredEntries) {
  const std::string z = make_zip({{"a/b", "xyz"}});
  const size_t cd = z.find("PK\x01\x02");
  auto entries = read_stored_zip(z, "t.zip");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "a/b");
  EXPECT_EQ(z.substr(entries[0].offset, entries[0].size), "xyz");
  std::string bad = z;
  bad[8] = 8;  // method 8 = deflate
  bad[cd + 10] = 8;
  EXPECT_THROW(read_stored_zip(bad, "t.zip"), Error);
}

}  // namespace
}  // namespace stickgen
