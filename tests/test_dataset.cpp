// Dataset directory: round trips, actor slots and masks, embeddings, camera, records, atomic
// replacement, validation of damaged datasets, a 2 000-clip dataset, and reading from Python.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "stickgen/dataset.hpp"
#include "stickgen/sequences.hpp"
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

Clip random_clip(SkeletonFormat format, int frames, int actors, uint32_t seed) {
  Clip c = Clip::make(format, frames, actors, seed % 2 ? 25.f : 30.f);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  for (float& v : c.motion) v = u(rng);
  for (size_t i = 0; i < c.actions.size(); ++i) c.actions[i] = static_cast<int16_t>((seed + i / 4) % 64);
  c.id = "clip" + std::to_string(seed);
  c.description = "description " + std::to_string(seed);
  c.source = "synthetic";
  return c;
}

std::vector<std::string> dir_entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same_clip(const Clip& a, const Clip& b) {
  EXPECT_EQ(a.format, b.format);
  EXPECT_EQ(a.frames, b.frames);
  EXPECT_EQ(a.actors, b.actors);
  EXPECT_EQ(a.fps, b.fps);
  EXPECT_EQ(a.motion, b.motion);
  EXPECT_EQ(a.actor_mask, b.actor_mask);
  EXPECT_EQ(a.actions, b.actions);
  EXPECT_EQ(a.physics, b.physics);
  EXPECT_EQ(a.camera, b.camera);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.metadata, b.metadata);
}

// Rewrites one tensor of a finished dataset (same layout, new bytes or shape) to damage it.
void rewrite_dataset(const fs::path& dir, const std::function<void(std::map<std::string, std::pair<TensorView, std::string>>&,
                                                                   std::map<std::string, std::string>&)>& edit) {
  std::map<std::string, std::pair<TensorView, std::string>> tensors;
  std::map<std::string, std::string> meta;
  {
    auto f = SafeTensorsFile::open(dir / "clips.safetensors");
    for (const auto& t : f.tensors()) tensors[t.name] = {t, std::string(reinterpret_cast<const char*>(t.data), t.nbytes)};
    meta = f.metadata();
  }
  edit(tensors, meta);
  SafeTensorsWriter w;
  for (const auto& [k, v] : meta) w.set_metadata(k, v);
  for (auto& [name, tv] : tensors) w.add(name, tv.first.dtype, tv.first.shape, tv.second.data(), tv.second.size());
  w.write(dir / "clips.safetensors");
}

}  // namespace

TEST(Dataset, RoundTripOneAndTwoActorsWithMasksCameraAndEmbeddings) {
  TempDir tmp;
  const fs::path dir = tmp / "ds";
  std::vector<Clip> clips;
  clips.push_back(random_clip(SkeletonFormat::v3, 10, 1, 1));
  clips.push_back(random_clip(SkeletonFormat::v3, 7, 2, 2));
  clips.back().actor_mask[clips.back().slot(0, 1)] = 0;  // actor 1 enters at frame 1
  clips.back().camera.resize(7 * 3, 0.5f);
  clips.back().metadata = {{"seed", "2"}, {"style", "happy"}};
  compute_physics(clips.back());
  clips.push_back(random_clip(SkeletonFormat::v3, 1, 1, 3));  // one frame
  std::vector<std::vector<float>> emb(clips.size(), std::vector<float>(8));
  for (size_t i = 0; i < emb.size(); ++i)
    for (int k = 0; k < 8; ++k) emb[i][k] = static_cast<float>(i * 10 + k);
  {
    DatasetWriter w(dir, SkeletonFormat::v3, 2, 8);
    for (size_t i = 0; i < clips.size(); ++i) {
      ClipRecord r;
      r.split = i == 0 ? "train" : "val";
      r.quality = 0.8f;
      r.base_id = i == 2 ? "clip1" : "";
      r.extra = {{"prompt_style", "plain"}};
      w.add(clips[i], r, emb[i].data());
    }
    EXPECT_EQ(w.size(), 3u);
    EXPECT_FALSE(fs::exists(dir));  // nothing until finish()
    w.finish();
  }
  EXPECT_EQ(dir_entries(dir), (std::vector<std::string>{"clips.jsonl", "clips.safetensors"}));
  EXPECT_EQ(dir_entries(tmp.path()), (std::vector<std::string>{"ds"}));  // no spool left beside it

  DatasetReader r(dir);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.format(), SkeletonFormat::v3);
  EXPECT_EQ(r.max_actors(), 2);
  EXPECT_EQ(r.embedding_dim(), 8);
  EXPECT_EQ(r.frames(0), 10);
  EXPECT_EQ(r.frames(1), 7);
  EXPECT_EQ(r.frames(2), 1);
  for (size_t i = 0; i < clips.size(); ++i) {
    SCOPED_TRACE(i);
    Clip expect = clips[i];
    if (expect.physics.empty()) compute_physics(expect);  // the writer fills physics in
    expect.metadata["prompt_style"] = "plain";
    expect_same_clip(r.clip(i), expect);
    EXPECT_EQ(r.embedding(i), emb[i]);
    EXPECT_EQ(r.record(i).quality, 0.8f);
    EXPECT_EQ(r.record(i).split, i == 0 ? "train" : "val");
    EXPECT_EQ(r.record(i).extra.at("prompt_style"), "plain");
  }
  EXPECT_EQ(r.record(2).base_id, "clip1");
  EXPECT_EQ(r.record(1).extra.at("style"), "happy");  // clip metadata becomes record fields
  EXPECT_THROW(r.clip(3), Error);
  EXPECT_THROW(r.embedding(3), Error);

  // Tensor layout: missing actor slots are masked, never filled with poses.
  auto f = SafeTensorsFile::open(dir / "clips.safetensors");
  EXPECT_EQ(f.get("motion").shape, (std::vector<int64_t>{18, 2, 48}));
  EXPECT_EQ(f.get("offsets").to_i64(), (std::vector<int64_t>{0, 10, 17, 18}));
  EXPECT_EQ(f.get("actions").dtype, DType::I16);
  const auto mask = f.get("actor_mask").to_i64();
  for (int t = 0; t < 10; ++t) EXPECT_EQ(mask[t * 2 + 1], 0) << t;   // clip 0 has one actor
  EXPECT_EQ(mask[10 * 2 + 1], 0);                                   // clip 1, frame 0, actor 1 absent
  EXPECT_EQ(mask[11 * 2 + 1], 1);
  const auto motion = f.get("motion").to_f32();
  for (int k = 0; k < 48; ++k) EXPECT_EQ(motion[(0 * 2 + 1) * 48 + k], 0.f);  // zeros, masked
  const auto actions = f.get("actions").to_i64();
  EXPECT_EQ(actions[1], kNoAction);
  EXPECT_EQ(f.get("camera_mask").to_i64(), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(f.metadata().at("format"), "v3");
  EXPECT_EQ(f.metadata().at("max_actors"), "2");
  EXPECT_EQ(f.metadata().at("embedding_dim"), "8");
  EXPECT_EQ(f.metadata().at("version"), "1");
  EXPECT_EQ(f.metadata().at("stickgen.format"), "dataset");

  // clips.jsonl: one object per line with the standard keys first.
  std::ifstream in(dir / "clips.jsonl");
  std::string line;
  std::getline(in, line);
  const auto j = nlohmann::ordered_json::parse(line);
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "description", "source", "split", "base_id", "quality", "prompt_style"}));
  EXPECT_EQ(line.find("0.800000"), std::string::npos) << line;  // quality written as 0.8
}

TEST(Dataset, WithoutCameraOrEmbeddingsThoseTensorsAreAbsent) {
  TempDir tmp;
  {
    DatasetWriter w(tmp / "ds", SkeletonFormat::v1, 1);
    w.add(random_clip(SkeletonFormat::v1, 5, 1, 5), ClipRecord{});
    w.finish();
  }
  auto f = SafeTensorsFile::open(tmp / "ds" / "clips.safetensors");
  EXPECT_FALSE(f.contains("camera"));
  EXPECT_FALSE(f.contains("camera_mask"));
  EXPECT_FALSE(f.contains("embeddings"));
  DatasetReader r(tmp / "ds");
  EXPECT_TRUE(r.embedding(0).empty());
  EXPECT_TRUE(r.clip(0).camera.empty());
  EXPECT_EQ(r.record(0).quality, -1.f);
  EXPECT_EQ(r.record(0).id, "clip5");  // taken from the clip
}

TEST(Dataset, EmptyDatasetIsValid) {
  TempDir tmp;
  {
    DatasetWriter w(tmp / "ds", SkeletonFormat::v1, 3);
    w.finish();
  }
  DatasetReader r(tmp / "ds");
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.max_actors(), 3);
}

TEST(Dataset, WriterRejectsBadClipsBeforeWritingAnything) {
  TempDir tmp;
  DatasetWriter w(tmp / "ds", SkeletonFormat::v1, 2, 4);
  const float e[4] = {1, 2, 3, 4};
  const fs::path dir = tmp / "ds";
  auto msg = [&](const Clip& c, ClipRecord r = {}, const float* emb = nullptr) {
    return error_of([&] { w.add(c, r, emb); });
  };
  Clip ok = random_clip(SkeletonFormat::v1, 4, 1, 9);
  EXPECT_NE(msg(ok).find("none given"), std::string::npos);
  EXPECT_NE(msg(random_clip(SkeletonFormat::v3, 4, 1, 9), {}, e).find("skeleton v3, but the dataset is v1"), std::string::npos);
  EXPECT_NE(msg(random_clip(SkeletonFormat::v1, 4, 3, 9), {}, e).find("3 actors, expected 1..2"), std::string::npos);
  EXPECT_NE(msg(random_clip(SkeletonFormat::v1, 0, 1, 9), {}, e).find("no frames"), std::string::npos);
  Clip no_id = ok;
  no_id.id.clear();
  EXPECT_NE(msg(no_id, {}, e).find("empty id"), std::string::npos);
  Clip absent = ok;
  std::fill(absent.actor_mask.begin(), absent.actor_mask.end(), 0);
  EXPECT_NE(msg(absent, {}, e).find("no actor is present"), std::string::npos);
  Clip nan = ok;
  nan.motion[3] = std::nanf("");
  EXPECT_NE(msg(nan, {}, e).find("motion[3] is not finite"), std::string::npos);
  Clip bad_action = ok;
  bad_action.actions[0] = 64;
  EXPECT_NE(msg(bad_action, {}, e).find("action id 64"), std::string::npos);
  Clip bad_shape = ok;
  bad_shape.actions.pop_back();
  EXPECT_NE(msg(bad_shape, {}, e).find("actions: expected 4 values, got 3"), std::string::npos);
  ClipRecord clash;
  clash.extra["split"] = "x";
  EXPECT_NE(msg(ok, clash, e).find("clashes with a standard field"), std::string::npos);
  EXPECT_EQ(w.size(), 0u);
  w.add(ok, {}, e);
  EXPECT_NE(msg(ok, {}, e).find("id already used"), std::string::npos);
  const std::string first = msg(random_clip(SkeletonFormat::v3, 4, 1, 9), {}, e);
  EXPECT_EQ(first.rfind("dataset " + dir.string() + ": clip 1 'clip9'", 0), 0u) << first;
  w.finish();
  DatasetReader r(dir);
  EXPECT_EQ(r.size(), 1u);  // the rejected clips left no trace
  EXPECT_NE(error_of([&] { w.add(ok, {}, e); }).find("after finish"), std::string::npos);
  EXPECT_NE(error_of([&] { w.finish(); }).find("twice"), std::string::npos);
  EXPECT_NE(error_of([&] { DatasetWriter(tmp / "x", SkeletonFormat::v1, 0); }).find("max_actors"), std::string::npos);
}

TEST(Dataset, AbandonedWriterLeavesNoTargetAndNoTemporaries) {
  TempDir tmp;
  {
    DatasetWriter w(tmp / "ds", SkeletonFormat::v1, 1);
    w.add(random_clip(SkeletonFormat::v1, 5, 1, 1), {});
    EXPECT_EQ(dir_entries(tmp.path()).size(), 1u);  // the spool, beside the target
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
  // A writer whose owner throws mid-way.
  try {
    DatasetWriter w(tmp / "ds", SkeletonFormat::v1, 1);
    w.add(random_clip(SkeletonFormat::v1, 5, 1, 1), {});
    w.add(random_clip(SkeletonFormat::v1, 5, 1, 1), {});  // duplicate id: throws
    w.finish();
  } catch (const Error&) {
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(Dataset, FinishReplacesAnOldDatasetOnlyAtTheEnd) {
  TempDir tmp;
  const fs::path dir = tmp / "ds";
  {
    DatasetWriter w(dir, SkeletonFormat::v1, 1);
    w.add(random_clip(SkeletonFormat::v1, 5, 1, 1), {});
    w.finish();
  }
  {
    DatasetWriter w(dir / "", SkeletonFormat::v1, 1);  // a trailing slash names the same directory
    w.add(random_clip(SkeletonFormat::v1, 6, 1, 2), {});
    w.add(random_clip(SkeletonFormat::v1, 7, 1, 3), {});
    EXPECT_EQ(DatasetReader(dir).size(), 1u);  // the old dataset is intact until finish()
    w.finish();
  }
  DatasetReader r(dir);
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r.record(1).id, "clip3");
  EXPECT_EQ(dir_entries(tmp.path()), (std::vector<std::string>{"ds"}));
  // An abandoned rewrite keeps the old dataset.
  {
    DatasetWriter w(dir, SkeletonFormat::v1, 1);
    w.add(random_clip(SkeletonFormat::v1, 5, 1, 4), {});
  }
  EXPECT_EQ(DatasetReader(dir).size(), 2u);
  EXPECT_EQ(dir_entries(tmp.path()), (std::vector<std::string>{"ds"}));
  // A directory that is not a dataset is never replaced.
  fs::create_directories(tmp / "photos");
  write_file_atomic(tmp / "photos" / "cat.jpg", "meow");
  EXPECT_NE(error_of([&] { DatasetWriter(tmp / "photos", SkeletonFormat::v1, 1); }).find("refusing to replace"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp / "photos" / "cat.jpg"));
}

TEST(Dataset, ReaderRejectsDamagedDatasetsWithOneLineErrors) {
  TempDir tmp;
  const fs::path dir = tmp / "ds";
  auto make = [&] {
    fs::remove_all(dir);
    DatasetWriter w(dir, SkeletonFormat::v1, 2);
    w.add(random_clip(SkeletonFormat::v1, 3, 2, 1), {});
    w.add(random_clip(SkeletonFormat::v1, 4, 1, 2), {});
    w.finish();
  };
  using Tensors = std::map<std::string, std::pair<TensorView, std::string>>;
  using Meta = std::map<std::string, std::string>;
  struct Case {
    const char* what;
    std::function<void(Tensors&, Meta&)> edit;
    const char* expect;
  };
  auto set_i64 = [](Tensors& t, const char* name, std::vector<int64_t> v) {
    t[name].second.assign(reinterpret_cast<const char*>(v.data()), v.size() * 8);
    t[name].first.shape = {static_cast<int64_t>(v.size())};
  };
  const std::vector<Case> cases = {
      {"offsets not increasing", [&](Tensors& t, Meta&) { set_i64(t, "offsets", {0, 4, 3}); }, "tensor 'offsets': offsets[2] = 3 is not after offsets[1] = 4"},
      {"offsets start", [&](Tensors& t, Meta&) { set_i64(t, "offsets", {1, 3, 7}); }, "tensor 'offsets': offsets[0] is 1, expected 0"},
      {"offsets end", [&](Tensors& t, Meta&) { set_i64(t, "offsets", {0, 3, 6}); }, "tensor 'motion': expected F32 [6, 2, 20], got F32 [7, 2, 20]"},
      {"offsets count", [&](Tensors& t, Meta&) { set_i64(t, "offsets", {0, 7}); }, "tensor 'fps': expected F32 [1], got F32 [2]"},
      {"missing motion", [](Tensors& t, Meta&) { t.erase("motion"); }, "tensor 'motion' missing"},
      {"missing offsets", [](Tensors& t, Meta&) { t.erase("offsets"); }, "tensor 'offsets' missing"},
      {"wrong dtype", [](Tensors& t, Meta&) { t["actions"].first.dtype = DType::U8; t["actions"].first.shape = {7, 4}; }, "tensor 'actions': expected I16 [7, 2], got U8 [7, 4]"},
      {"bad mask", [](Tensors& t, Meta&) { t["actor_mask"].second[3] = 7; }, "tensor 'actor_mask': value 7 at 3, expected 0 or 1"},
      {"bad action", [](Tensors& t, Meta&) { int16_t v = 300; std::memcpy(t["actions"].second.data(), &v, 2); }, "tensor 'actions': value 300 at 0"},
      {"bad fps", [](Tensors& t, Meta&) { float v = -1; std::memcpy(t["fps"].second.data(), &v, 4); }, "tensor 'fps': clip 0 has fps"},
      {"no version", [](Tensors&, Meta& m) { m.erase("version"); }, "__metadata__.version: missing"},
      {"version", [](Tensors&, Meta& m) { m["version"] = "9"; }, "__metadata__.version: expected \"1\", got \"9\""},
      {"format", [](Tensors&, Meta& m) { m["format"] = "v2"; }, "__metadata__.format: expected \"v1\" or \"v3\""},
      {"a model file", [](Tensors&, Meta& m) { m["stickgen.format"] = "model"; }, "__metadata__.stickgen.format: expected \"dataset\", got \"model\""},
      {"max_actors", [](Tensors&, Meta& m) { m["max_actors"] = "two"; }, "__metadata__.max_actors: expected an integer 1..64, got 'two'"},
      {"max_actors mismatch", [](Tensors&, Meta& m) { m["max_actors"] = "3"; }, "tensor 'motion': expected F32 [7, 3, 20]"},
      {"embedding_dim", [](Tensors&, Meta& m) { m["embedding_dim"] = "4"; }, "tensor 'embeddings' missing"},
      {"camera alone", [](Tensors& t, Meta&) { t["camera"] = {TensorView{"camera", DType::F32, {7, 3}}, std::string(84, '\0')}; }, "tensors 'camera' and 'camera_mask' must come together"},
  };
  for (const auto& c : cases) {
    make();
    rewrite_dataset(dir, c.edit);
    const std::string msg = error_of([&] { DatasetReader r(dir); });
    EXPECT_NE(msg.find((dir / "clips.safetensors").string() + ": " + c.expect), std::string::npos) << c.what << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.what;
  }

  // clips.jsonl problems name the line.
  struct Lines {
    const char* what;
    std::string text;
    const char* expect;
  };
  const std::vector<Lines> lines = {
      {"too few", R"({"id":"a"})" "\n", "clips.jsonl: 1 records, but"},
      {"too many", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n", "clips.jsonl: 3 records"},
      {"not json", "{\"id\":\"a\"}\n{nope\n", "clips.jsonl:2: not valid JSON"},
      {"not object", "{\"id\":\"a\"}\n[1]\n", "clips.jsonl:2: expected a JSON object"},
      {"no id", "{\"id\":\"a\"}\n{\"description\":\"x\"}\n", "clips.jsonl:2: id: missing or empty"},
      {"duplicate id", "{\"id\":\"a\"}\n{\"id\":\"a\"}\n", "clips.jsonl:2: id 'a' appears twice"},
      {"quality type", "{\"id\":\"a\"}\n{\"id\":\"b\",\"quality\":\"high\"}\n", "clips.jsonl:2: quality: expected a number"},
      {"extra type", "{\"id\":\"a\"}\n{\"id\":\"b\",\"tags\":[1]}\n", "clips.jsonl:2: tags: expected a string"},
      {"blank line", "{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n", "clips.jsonl:2: empty line"},
  };
  for (const auto& l : lines) {
    make();
    write_file_atomic(dir / "clips.jsonl", l.text);
    const std::string msg = error_of([&] { DatasetReader r(dir); });
    EXPECT_NE(msg.find(l.expect), std::string::npos) << l.what << ": " << msg;
    EXPECT_NE(msg.find(dir.string()), std::string::npos) << l.what << ": " << msg;
  }
  make();
  write_file_atomic(dir / "clips.jsonl", "{\"id\":\"a\"}\n{\"id\":\"b\",\"n\":\"1\"}");  // no final newline: fine
  EXPECT_EQ(DatasetReader(dir).record(1).extra.at("n"), "1");

  // Missing pieces and truncation.
  make();
  fs::remove(dir / "clips.jsonl");
  EXPECT_NE(error_of([&] { DatasetReader r(dir); }).find("clips.jsonl: cannot open"), std::string::npos);
  make();
  const std::string bytes = read_file(dir / "clips.safetensors");
  write_file_atomic(dir / "clips.safetensors", bytes.substr(0, bytes.size() - 10));
  EXPECT_NE(error_of([&] { DatasetReader r(dir); }).find("truncated"), std::string::npos);
  EXPECT_NE(error_of([&] { DatasetReader r(tmp / "nothing"); }).find("not a dataset directory"), std::string::npos);
}

TEST(Dataset, TwoThousandClipsStreamThroughAndReadFromPython) {
  TempDir tmp;
  const fs::path dir = tmp / "big";
  constexpr int N = 2000;
  std::vector<float> emb(16);
  double motion_sum = 0;
  int64_t frames = 0, present = 0;
  {
    DatasetWriter w(dir, SkeletonFormat::v1, 2, 16);
    for (int i = 0; i < N; ++i) {
      const int T = 20 + i % 37, A = 1 + i % 2;
      Clip c = random_clip(SkeletonFormat::v1, T, A, static_cast<uint32_t>(i));
      if (i % 5 == 0) c.camera.assign(static_cast<size_t>(T) * 3, 1.f);
      for (float v : c.motion) motion_sum += v;
      frames += T;
      present += static_cast<int64_t>(T) * A;
      for (int k = 0; k < 16; ++k) emb[k] = static_cast<float>(i) + k * 0.5f;
      ClipRecord r;
      r.split = i % 10 == 0 ? "test" : "train";
      r.quality = (i % 100) / 100.f;
      w.add(c, r, emb.data());
    }
    w.finish();
  }
  DatasetReader r(dir);
  ASSERT_EQ(r.size(), static_cast<size_t>(N));
  int64_t total = 0;
  for (size_t i = 0; i < r.size(); ++i) total += r.frames(i);
  EXPECT_EQ(total, frames);
  for (int i : {0, 1, 999, 1998, 1999}) {
    SCOPED_TRACE(i);
    Clip expect = random_clip(SkeletonFormat::v1, 20 + i % 37, 1 + i % 2, static_cast<uint32_t>(i));
    if (i % 5 == 0) expect.camera.assign(static_cast<size_t>(expect.frames) * 3, 1.f);
    compute_physics(expect);
    expect_same_clip(r.clip(i), expect);
    EXPECT_EQ(r.embedding(i)[3], static_cast<float>(i) + 1.5f);
    EXPECT_EQ(r.record(i).split, i % 10 == 0 ? "test" : "train");
    EXPECT_EQ(r.record(i).quality, (i % 100) / 100.f);
  }

  // An independent Python reader (json + struct + numpy) sees the same dataset.
  const auto out = stickgen::test::run_command(
      stickgen::test::shell_quote(stickgen::test::python()) + " " +
      stickgen::test::shell_quote((stickgen::test::source_dir() / "tests" / "safetensors_min.py").string()) + " dataset " +
      stickgen::test::shell_quote(dir.string()));
  ASSERT_EQ(out.exit_code, 0) << out.output;
  const auto j = nlohmann::json::parse(out.output);
  EXPECT_EQ(j["clips"], N);
  EXPECT_EQ(j["frames"], frames);
  EXPECT_EQ(j["shape"], (std::vector<int64_t>{frames, 2, 20}));
  EXPECT_EQ(j["first_id"], "clip0");
  EXPECT_EQ(j["last_id"], "clip1999");
  EXPECT_EQ(j["present"], present);
  EXPECT_EQ(j["clip1_frames"], 21);
  EXPECT_NEAR(j["motion_sum"].get<double>(), motion_sum, 1e-6 * (1 + std::fabs(motion_sum)));
  EXPECT_EQ(j["meta"]["format"], "v1");
}

TEST(Sequences, SplitListsAndValidationHeldOutOfTraining) {
  EXPECT_TRUE(split_matches("", "test"));
  EXPECT_TRUE(split_matches("train", "train"));
  EXPECT_TRUE(split_matches("train+val", "val"));
  EXPECT_TRUE(split_matches("train+val", "train"));
  EXPECT_FALSE(split_matches("train+val", "test"));
  EXPECT_FALSE(split_matches("train", "trai"));
  EXPECT_FALSE(split_matches("train+", ""));

  TempDir tmp;
  const fs::path dir = tmp / "ds";
  {
    DatasetWriter w(dir, SkeletonFormat::v1, 1, 0);
    for (int i = 0; i < 12; ++i) {
      ClipRecord r;
      r.split = i < 6 ? "train" : i < 10 ? "val" : "test";
      w.add(random_clip(SkeletonFormat::v1, 20, 1, 100 + i), r, nullptr);
    }
    w.finish();
  }
  const DatasetReader data(dir);
  const MotionSpace space(SkeletonFormat::v1, MotionNormalization{});
  SequenceOptions o;
  auto clips_of = [](const SequenceSet& set) {
    std::vector<size_t> c;
    for (const auto& q : set.sequences) c.push_back(q.clip);
    return c;
  };
  // Train alone: validation is the whole val split.
  auto plain = build_train_val_sequences(data, space, o, "train", "val", 2);
  EXPECT_EQ(clips_of(plain.train), (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(clips_of(plain.val), (std::vector<size_t>{6, 7, 8, 9}));
  // Train + val: validation keeps its first 2 sequences, their clips stay out of training; test never enters.
  auto both = build_train_val_sequences(data, space, o, "train+val", "val", 2);
  EXPECT_EQ(clips_of(both.val), (std::vector<size_t>{6, 7}));
  EXPECT_EQ(clips_of(both.train), (std::vector<size_t>{0, 1, 2, 3, 4, 5, 8, 9}));
  // Turned copies are for training only.
  o.turned_copies = true;
  auto turned = build_train_val_sequences(data, space, o, "train+val", "val", 2);
  EXPECT_EQ(turned.train.sequences.size(), 16u);
  EXPECT_EQ(clips_of(turned.val), (std::vector<size_t>{6, 7}));
  // Every validation sequence held back (val_used 0) leaves training with the train split alone.
  o.turned_copies = false;
  EXPECT_EQ(clips_of(build_train_val_sequences(data, space, o, "train+val", "val", 0).train),
            (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
}
