// .motion files: the hand-made fixtures, round trips (v1/v3, one/two actors, optional fields),
// the keys old readers rely on, and one-line errors that name the field.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "stickgen/actions.hpp"
#include "stickgen/motion_file.hpp"
#include "test_util.hpp"

using namespace stickgen;
using nlohmann::json;
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

fs::path fixture(const std::string& name) { return stickgen::test::source_dir() / "tests" / "data" / (name + ".motion"); }

// A clip whose every field differs from Clip::make's defaults, with awkward float values.
Clip busy_clip(SkeletonFormat format, int frames, int actors, bool physics, bool camera, bool partial_mask) {
  Clip c = Clip::make(format, frames, actors, 25.f);
  std::mt19937 rng(1234u + frames * 7 + actors);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  for (float& v : c.motion) v = u(rng);
  c.motion[0] = 1e-38f;                 // subnormal-adjacent
  c.motion[1] = 0.1f;                   // not exact in binary
  c.motion[2] = -0.f;
  c.motion[3] = 3.4028235e38f;          // largest float
  c.motion[4] = std::bit_cast<float>(0x00000001u);  // smallest subnormal
  for (int t = 0; t < frames; ++t)
    for (int a = 0; a < actors; ++a) c.actions[c.slot(t, a)] = static_cast<int16_t>((t / 3 + a * 5) % kNumActions);
  c.actions[c.slot(0, 0)] = kNoAction;  // an unlabelled frame inside a labelled track
  if (partial_mask)
    for (int t = 0; t < frames / 2; ++t) c.actor_mask[c.slot(t, actors - 1)] = 0;
  if (physics) {
    c.physics.resize(static_cast<size_t>(frames) * actors * kPhysicsDims);
    for (float& v : c.physics) v = u(rng) * 10.f;
  }
  if (camera) {
    c.camera.resize(static_cast<size_t>(frames) * 3);
    for (float& v : c.camera) v = u(rng);
  }
  c.id = "clip-\xc3\xa9-1";
  c.description = "a person \"quotes\" and waves\nsecond line";
  c.source = "synthetic";
  c.metadata = {{"seed", "42"}, {"engine", "procedural"}};
  return c;
}

void expect_same(const Clip& a, const Clip& b) {
  EXPECT_EQ(a.format, b.format);
  EXPECT_EQ(a.frames, b.frames);
  EXPECT_EQ(a.actors, b.actors);
  EXPECT_EQ(a.fps, b.fps);
  ASSERT_EQ(a.motion.size(), b.motion.size());
  for (size_t i = 0; i < a.motion.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(a.motion[i]), std::bit_cast<uint32_t>(b.motion[i])) << "motion[" << i << "]";
  EXPECT_EQ(a.actor_mask, b.actor_mask);
  EXPECT_EQ(a.actions, b.actions);
  EXPECT_EQ(a.physics, b.physics);
  EXPECT_EQ(a.camera, b.camera);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.metadata, b.metadata);
}

// A small valid document to break one field at a time.
json small_doc(int dims = 20, int frames = 2) {
  json motion = json::array();
  for (int i = 0; i < frames * dims; ++i) motion.push_back(0.5 * i);
  return json{{"meta", {{"version", "1.0"}, {"generator", "test"}, {"created_at", "2025-01-01T00:00:00Z"}, {"fps", 25},
                        {"duration", frames / 25.0}, {"total_frames", frames}, {"description", "d"}}},
              {"skeleton", {{"type", dims == 20 ? "stick_figure_5_segment" : "stick_figure_12_segment_v3"},
                            {"joint_format", "xy_lines_flat"}, {"input_dim", dims}}},
              {"motion", motion},
              {"actions", json::array()}};
}

}  // namespace

// ---------------------------------------------------------------- fixtures

TEST(MotionFile, FixturesParseAndArePlausible) {
  struct Expect {
    const char* name;
    SkeletonFormat format;
    int actors;
    bool camera;
  };
  for (const Expect e : {Expect{"v1_one_actor", SkeletonFormat::v1, 1, false}, Expect{"v1_two_actors", SkeletonFormat::v1, 2, false},
                         Expect{"v3_one_actor", SkeletonFormat::v3, 1, true}, Expect{"v3_two_actors", SkeletonFormat::v3, 2, false}}) {
    SCOPED_TRACE(e.name);
    const Clip c = read_motion_file(fixture(e.name));
    EXPECT_EQ(c.format, e.format);
    EXPECT_EQ(c.actors, e.actors);
    EXPECT_EQ(c.fps, 25.f);
    EXPECT_GE(c.duration(), 3.f);
    EXPECT_EQ(c.id, e.name);
    EXPECT_FALSE(c.description.empty());
    EXPECT_EQ(c.camera.empty(), !e.camera);
    for (int a = 0; a < c.actors; ++a) EXPECT_NE(c.action(c.frames - 1, a), kNoAction);
    // Constant bone lengths, connected segments, plausible speeds.
    const ValidationReport report = validate(c);
    EXPECT_TRUE(report.ok()) << report.summary();
    EXPECT_LT(report.max_bone_drift, 1e-3f);
    EXPECT_LT(report.max_connectivity, 1e-3f);
    // The physics stored in the file is what the motion core computes from the motion.
    ASSERT_FALSE(c.physics.empty());
    Clip recomputed = c;
    compute_physics(recomputed);
    for (size_t i = 0; i < c.physics.size(); ++i) {
      const size_t slot = i / kPhysicsDims;
      if (!c.actor_mask[slot]) continue;
      ASSERT_NEAR(c.physics[i], recomputed.physics[i], 0.05f + 0.01f * std::fabs(recomputed.physics[i])) << i;
    }
  }
  // The two-actor v1 fixture exercises the presence mask: actor 1 appears at frame 15.
  const Clip two = read_motion_file(fixture("v1_two_actors"));
  EXPECT_FALSE(two.present(0, 1));
  EXPECT_TRUE(two.present(15, 1));
  EXPECT_EQ(two.action(0, 1), kNoAction);
  EXPECT_EQ(two.action(15, 1), *action_id("wave"));
}

TEST(MotionFile, FixturesRoundTripThroughOurWriter) {
  for (const char* name : {"v1_one_actor", "v1_two_actors", "v3_one_actor", "v3_two_actors"}) {
    SCOPED_TRACE(name);
    const Clip c = read_motion_file(fixture(name));
    expect_same(c, parse_motion_json(motion_to_json(c), "again"));
  }
}

// ---------------------------------------------------------------- round trips

TEST(MotionFile, RoundTripsV1V3OneTwoActorsOptionalFields) {
  TempDir tmp;
  for (SkeletonFormat format : {SkeletonFormat::v1, SkeletonFormat::v3})
    for (int actors : {1, 2, 3})
      for (int options = 0; options < 8; ++options) {
        const bool physics = options & 1, camera = options & 2, partial = options & 4;
        SCOPED_TRACE(std::string(format_name(format)) + " actors=" + std::to_string(actors) + " options=" + std::to_string(options));
        const Clip c = busy_clip(format, 7, actors, physics, camera, partial);
        expect_same(c, parse_motion_json(motion_to_json(c, false)));
        expect_same(c, parse_motion_json(motion_to_json(c, true)));
        write_motion_file(tmp / "c.motion", c);
        expect_same(c, read_motion_file(tmp / "c.motion"));
      }
}

TEST(MotionFile, MinimalClipRoundTripsWithoutOptionalFields) {
  Clip c = Clip::make(SkeletonFormat::v1, 3, 1, 30.f);
  const std::string text = motion_to_json(c);
  const json j = json::parse(text);
  EXPECT_FALSE(j.contains("physics"));
  EXPECT_FALSE(j.contains("camera"));
  EXPECT_FALSE(j.contains("actors"));  // one actor, present throughout: nothing extra
  EXPECT_EQ(j["actions"], json::array());
  EXPECT_FALSE(j["meta"].contains("id"));
  expect_same(c, parse_motion_json(text));
}

TEST(MotionFile, FloatsRoundTripExactly) {
  // The writer prints the shortest text that reads back to the same float; the reader parses it
  // as double and narrows. Random bit patterns over the whole finite range.
  std::mt19937 rng(7);
  Clip c = Clip::make(SkeletonFormat::v3, 200, 1);
  for (float& v : c.motion) {
    float f;
    do f = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    while (!std::isfinite(f));
    v = f;
  }
  expect_same(c, parse_motion_json(motion_to_json(c)));
  // And the mechanism itself on many more values.
  char buf[32];
  for (int i = 0; i < 2'000'000; ++i) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    if (!std::isfinite(f)) continue;
    auto r = std::to_chars(buf, buf + 31, f);
    *r.ptr = '\0';
    ASSERT_EQ(std::bit_cast<uint32_t>(static_cast<float>(std::strtod(buf, nullptr))), std::bit_cast<uint32_t>(f)) << buf;
  }
}

// ---------------------------------------------------------------- what old readers see

TEST(MotionFile, WriterProducesTheReferenceKeysAndActorZeroAtTheTop) {
  const Clip c = busy_clip(SkeletonFormat::v3, 5, 2, true, true, false);
  const json j = json::parse(motion_to_json(c));
  // Key order is the reference's, extensions last.
  const auto ordered = nlohmann::ordered_json::parse(motion_to_json(c));
  std::vector<std::string> keys, meta_keys;
  for (auto& [k, v] : ordered.items()) keys.push_back(k);
  for (auto& [k, v] : ordered["meta"].items()) meta_keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"meta", "skeleton", "motion", "actions", "physics", "camera", "actors"}));
  EXPECT_EQ(meta_keys, (std::vector<std::string>{"version", "generator", "created_at", "fps", "duration", "total_frames",
                                                 "description", "id", "source", "metadata"}));
  const auto meta = j["meta"];
  EXPECT_EQ(meta["version"], "1.0");
  EXPECT_EQ(meta["generator"], "stickgen 0.1.0");
  EXPECT_TRUE(std::regex_match(meta["created_at"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << meta["created_at"];
  EXPECT_EQ(meta["fps"], 25);
  EXPECT_TRUE(meta["fps"].is_number_integer());  // "fps": 25 as the reference writes it
  EXPECT_DOUBLE_EQ(meta["duration"].get<double>(), 0.2);
  EXPECT_EQ(meta["total_frames"], 5);
  EXPECT_EQ(meta["description"], c.description);
  const auto skel = j["skeleton"];
  EXPECT_EQ(skel["type"], "stick_figure_12_segment_v3");
  EXPECT_EQ(skel["joint_format"], "xy_lines_flat");
  EXPECT_EQ(skel["input_dim"], 48);
  ASSERT_EQ(skel["segments"].size(), 12u);
  EXPECT_EQ(skel["segments"][0], "head");
  EXPECT_EQ(skel["segments"][11], "pelvis_width");
  // An old reader sees actor 0: T*D numbers, T action names, T*6 physics, T*3 camera.
  ASSERT_EQ(j["motion"].size(), 5u * 48);
  for (int t = 0; t < 5; ++t)
    for (int k = 0; k < 48; ++k) EXPECT_EQ(j["motion"][t * 48 + k].get<float>(), c.pose(t, 0)[k]);
  EXPECT_EQ(j["actions"].size(), 5u);
  EXPECT_EQ(j["actions"][0], "");  // no action in that frame
  EXPECT_EQ(j["actions"][3], std::string(action_name(c.action(3, 0))));
  EXPECT_EQ(j["physics"].size(), 5u * 6);
  EXPECT_EQ(j["camera"].size(), 5u * 3);
  // The extension: actor 1 lives under "actors".
  EXPECT_EQ(j["actors"]["count"], 2);
  EXPECT_EQ(j["actors"]["present"].size(), 10u);
  ASSERT_EQ(j["actors"]["motion"].size(), 1u);
  EXPECT_EQ(j["actors"]["motion"][0][48].get<float>(), c.pose(1, 1)[0]);
  EXPECT_EQ(j["actors"]["actions"][0].size(), 5u);
  EXPECT_EQ(j["actors"]["physics"][0].size(), 30u);
}

TEST(MotionFile, ReaderAcceptsReferenceStyleFiles) {
  // What the reference exports: no id/source/metadata, no actors, integral floats, "walk" names.
  json doc = small_doc(20, 3);
  doc["actions"] = {"walk", "walk", "run"};
  doc["physics"] = json::array();
  for (int i = 0; i < 18; ++i) doc["physics"].push_back(0.0);
  doc["meta"]["total_frames"] = 3.0;  // an integral float is a count too
  doc["meta"]["duration"] = 0.12;
  const Clip c = parse_motion_json(doc.dump());
  EXPECT_EQ(c.frames, 3);
  EXPECT_EQ(c.actors, 1);
  EXPECT_EQ(c.action(2, 0), act::run);
  EXPECT_EQ(c.pose(1, 0)[0], 10.f);
  EXPECT_EQ(c.physics.size(), 18u);
  // Unknown top-level and meta keys are ignored (forward compatibility).
  doc["renderer_hint"] = "neon";
  doc["meta"]["author"] = "x";
  EXPECT_NO_THROW(parse_motion_json(doc.dump()));
}

// ---------------------------------------------------------------- errors

TEST(MotionFile, EveryErrorNamesItsField) {
  struct Case {
    const char* what;
    std::function<void(json&)> edit;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"input_dim", [](json& j) { j["skeleton"]["input_dim"] = 7; }, "skeleton.input_dim: expected 20 or 48, got 7"},
      {"input_dim type", [](json& j) { j["skeleton"]["input_dim"] = "20"; }, "skeleton.input_dim: expected 20 or 48, got string"},
      {"input_dim huge", [](json& j) { j["skeleton"]["input_dim"] = 4294967316ull; }, "skeleton.input_dim: expected 20 or 48"},
      {"motion short", [](json& j) { j["motion"].erase(j["motion"].size() - 1); }, "motion: expected total_frames*input_dim = 40 numbers, got 39"},
      {"motion missing", [](json& j) { j.erase("motion"); }, "motion: missing"},
      {"motion type", [](json& j) { j["motion"] = "abc"; }, "motion: expected an array"},
      {"motion element", [](json& j) { j["motion"][5] = "x"; }, "motion[5]: expected a number, got string"},
      {"motion null", [](json& j) { j["motion"][6] = nullptr; }, "motion[6]: expected a number, got null"},
      {"motion bool", [](json& j) { j["motion"][7] = true; }, "motion[7]: expected a number"},
      {"motion huge", [](json& j) { j["motion"][8] = 1e300; }, "motion[8]: expected a finite number within float range"},
      {"meta missing", [](json& j) { j.erase("meta"); }, "meta: missing"},
      {"meta type", [](json& j) { j["meta"] = 3; }, "meta: expected an object"},
      {"fps missing", [](json& j) { j["meta"].erase("fps"); }, "meta.fps: missing"},
      {"fps zero", [](json& j) { j["meta"]["fps"] = 0; }, "meta.fps: expected a positive number"},
      {"fps type", [](json& j) { j["meta"]["fps"] = "25"; }, "meta.fps: expected a positive number, got string"},
      {"frames missing", [](json& j) { j["meta"].erase("total_frames"); }, "meta.total_frames: missing"},
      {"frames zero", [](json& j) { j["meta"]["total_frames"] = 0; }, "meta.total_frames: expected a frame count"},
      {"frames negative", [](json& j) { j["meta"]["total_frames"] = -2; }, "meta.total_frames: expected a frame count"},
      {"frames fraction", [](json& j) { j["meta"]["total_frames"] = 2.5; }, "meta.total_frames: expected a frame count"},
      {"frames huge", [](json& j) { j["meta"]["total_frames"] = 1e15; }, "meta.total_frames: expected a frame count"},
      {"frames 2^63", [](json& j) { j["meta"]["total_frames"] = 9223372036854775808.0; }, "meta.total_frames: expected a frame count"},
      {"input_dim 2^63", [](json& j) { j["skeleton"]["input_dim"] = -9223372036854775808.0; }, "skeleton.input_dim: expected 20 or 48"},
      {"frames mismatch", [](json& j) { j["meta"]["total_frames"] = 3; }, "motion: expected total_frames*input_dim = 60 numbers, got 40"},
      {"version", [](json& j) { j["meta"]["version"] = "2.0"; }, "meta.version: expected \"1.x\", got \"2.0\""},
      {"version type", [](json& j) { j["meta"]["version"] = 1; }, "meta.version: expected a string"},
      {"duration", [](json& j) { j["meta"]["duration"] = -1; }, "meta.duration: expected a non-negative number"},
      {"description", [](json& j) { j["meta"]["description"] = 5; }, "meta.description: expected a string"},
      {"created_at", [](json& j) { j["meta"]["created_at"] = 5; }, "meta.created_at: expected a string"},
      {"id", [](json& j) { j["meta"]["id"] = json::array(); }, "meta.id: expected a string"},
      {"metadata", [](json& j) { j["meta"]["metadata"] = {{"k", 1}}; }, "meta.metadata.k: expected a string"},
      {"skeleton missing", [](json& j) { j.erase("skeleton"); }, "skeleton: missing"},
      {"skeleton type", [](json& j) { j["skeleton"]["type"] = "stick_figure_12_segment_v3"; }, "skeleton.type: expected \"stick_figure_5_segment\" for input_dim 20"},
      {"newline in a quoted value", [](json& j) { j["skeleton"]["type"] = "a\nb"; }, "skeleton.type: expected \"stick_figure_5_segment\" for input_dim 20, got \"a\\nb\""},
      {"newline in a key", [](json& j) { j["meta"]["metadata"] = {{"k\n", 1}}; }, "meta.metadata.k\\n: expected a string"},
      {"joint format", [](json& j) { j["skeleton"]["joint_format"] = "xy_points"; }, "skeleton.joint_format: expected \"xy_lines_flat\""},
      {"segments count", [](json& j) { j["skeleton"]["segments"] = {"torso"}; }, "skeleton.segments: expected 5 segment names"},
      {"segments name", [](json& j) { j["skeleton"]["segments"] = {"torso", "l_leg", "r_leg", "l_arm", "arm"}; }, "skeleton.segments[4]: expected \"r_arm\", got \"arm\""},
      {"actions type", [](json& j) { j["actions"] = "walk"; }, "actions: expected an array of action names"},
      {"actions count", [](json& j) { j["actions"] = {"walk"}; }, "actions: expected total_frames = 2 action names"},
      {"actions unknown", [](json& j) { j["actions"] = {"walk", "flyy"}; }, "actions[1]: unknown action 'flyy'"},
      {"actions element", [](json& j) { j["actions"] = {"walk", 3}; }, "actions[1]: expected an action name, got number"},
      {"physics count", [](json& j) { j["physics"] = json::array({1, 2, 3}); }, "physics: expected total_frames*6 = 12 numbers, got 3"},
      {"camera count", [](json& j) { j["camera"] = json::array({1, 2, 3}); }, "camera: expected total_frames*3 = 6 numbers, got 3"},
      {"camera element", [](json& j) { j["camera"] = json::array({1, 2, 3, 4, 5, "6"}); }, "camera[5]: expected a number"},
      {"actors type", [](json& j) { j["actors"] = 2; }, "actors: expected an object"},
      {"actors count missing", [](json& j) { j["actors"] = json::object(); }, "actors.count: missing"},
      {"actors count", [](json& j) { j["actors"] = {{"count", 0}}; }, "actors.count: expected an actor count from 1 to 64, got 0"},
      {"actors count huge", [](json& j) { j["actors"] = {{"count", 1000}}; }, "actors.count: expected an actor count from 1 to 64, got 1000"},
      {"actors motion missing", [](json& j) { j["actors"] = {{"count", 2}}; }, "actors.motion: missing"},
      {"actors motion count", [](json& j) { j["actors"] = {{"count", 3}, {"motion", {j["motion"]}}}; }, "actors.motion: expected count-1 = 2 arrays"},
      {"actors motion length", [](json& j) { j["actors"] = {{"count", 2}, {"motion", {json::array({1, 2})}}}; }, "actors.motion[0]: expected total_frames*input_dim = 40 numbers, got 2"},
      {"actors motion element", [](json& j) { json m = j["motion"]; m[3] = "a"; j["actors"] = {{"count", 2}, {"motion", {m}}}; }, "actors.motion[0][3]: expected a number"},
      {"actors present length", [](json& j) { j["actors"] = {{"count", 2}, {"motion", {j["motion"]}}, {"present", {1, 1}}}; }, "actors.present: expected total_frames*count = 4 values"},
      {"actors present value", [](json& j) { j["actors"] = {{"count", 2}, {"motion", {j["motion"]}}, {"present", {1, 1, 2, 1}}}; }, "actors.present[2]: expected 0 or 1, got number 2"},
      {"actors actions", [](json& j) { j["actors"] = {{"count", 2}, {"motion", {j["motion"]}}, {"actions", json::array({json::array({"walk", "nope"})})}}; }, "actors.actions[0][1]: unknown action 'nope'"},
      {"actors physics without top", [](json& j) { j["actors"] = {{"count", 2}, {"motion", {j["motion"]}}, {"physics", {json::array()}}}; }, "actors.physics: present but the top-level \"physics\" is missing"},
      {"actors physics missing", [](json& j) {
         j["physics"] = json::array(); for (int i = 0; i < 12; ++i) j["physics"].push_back(0);
         j["actors"] = {{"count", 2}, {"motion", {j["motion"]}}}; }, "actors.physics: missing"},
  };
  for (const auto& c : cases) {
    json doc = small_doc();
    c.edit(doc);
    const std::string msg = error_of([&] { parse_motion_json(doc.dump(), "clip.motion"); });
    EXPECT_NE(msg.find("clip.motion: " + std::string(c.expect)), std::string::npos) << c.what << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.what;
  }
}

TEST(MotionFile, InvalidJsonAndNonFiniteNumbers) {
  EXPECT_NE(error_of([] { parse_motion_json("{", "a.motion"); }).find("a.motion: not valid JSON"), std::string::npos);
  EXPECT_NE(error_of([] { parse_motion_json("", "a.motion"); }).find("a.motion: not valid JSON"), std::string::npos);
  EXPECT_NE(error_of([] { parse_motion_json("[1]", "a.motion"); }).find("expected a JSON object, got array"), std::string::npos);
  // Python's json.dumps writes NaN/Infinity tokens; they are not JSON.
  std::string text = small_doc().dump();
  std::string nan_text = text;
  nan_text.replace(nan_text.find("\"motion\":[0.0"), 13, "\"motion\":[NaN");
  EXPECT_NE(error_of([&] { parse_motion_json(nan_text, "a.motion"); }).find("a.motion: not valid JSON"), std::string::npos);
  // 1e999 overflows the parser; 1e300 fits a double but not a float.
  std::string inf_text = text;
  inf_text.replace(inf_text.find("\"motion\":[0.0"), 13, "\"motion\":[1e999");
  EXPECT_NE(error_of([&] { parse_motion_json(inf_text, "a.motion"); }).find("a.motion: not valid JSON (number overflow"), std::string::npos);
  std::string big_text = text;
  big_text.replace(big_text.find("\"motion\":[0.0"), 13, "\"motion\":[-1e300");
  EXPECT_NE(error_of([&] { parse_motion_json(big_text, "a.motion"); }).find("a.motion: motion[0]: expected a finite number within float range"), std::string::npos);
  // The largest float and values that round to it are fine; the float midpoint above is not.
  std::string max_text = text;
  max_text.replace(max_text.find("\"motion\":[0.0"), 13, "\"motion\":[3.4028235677973362e38");
  EXPECT_EQ(parse_motion_json(max_text).motion[0], std::numeric_limits<float>::max());
  max_text = text;
  max_text.replace(max_text.find("\"motion\":[0.0"), 13, "\"motion\":[3.4028235677973366e38");
  EXPECT_NE(error_of([&] { parse_motion_json(max_text, "a.motion"); }).find("motion[0]: expected a finite number"), std::string::npos);
  std::string fps_text = text;
  fps_text.replace(fps_text.find("\"fps\":25"), 8, "\"fps\":1e300");
  EXPECT_NE(error_of([&] { parse_motion_json(fps_text, "a.motion"); }).find("a.motion: meta.fps: expected a positive number from 0.001 to 10000"), std::string::npos);
}

TEST(MotionFile, TruncatedFilesAreOneLineErrors) {
  const std::string good = motion_to_json(busy_clip(SkeletonFormat::v1, 3, 2, true, true, true));
  for (size_t len = 0; len + 2 < good.size(); ++len) {  // the last bytes are "}\n"
    const std::string msg = error_of([&] { parse_motion_json(good.substr(0, len), "t.motion"); });
    ASSERT_EQ(msg.rfind("t.motion: ", 0), 0u) << len << ": " << msg;
    ASSERT_EQ(msg.find('\n'), std::string::npos) << len;
  }
}

TEST(MotionFile, MissingFileNamesThePath) {
  EXPECT_NE(error_of([] { read_motion_file("/nonexistent/x.motion"); }).find("/nonexistent/x.motion: cannot open"), std::string::npos);
}

TEST(MotionFile, WriterRefusesBadClipsAndLeavesNoFile) {
  TempDir tmp;
  Clip c = Clip::make(SkeletonFormat::v1, 3, 1);
  c.motion[4] = std::nanf("");
  const std::string msg = error_of([&] { write_motion_file(tmp / "bad.motion", c); });
  EXPECT_NE(msg.find((tmp / "bad.motion").string() + ": clip: motion[4] is not finite"), std::string::npos) << msg;
  c = Clip::make(SkeletonFormat::v1, 3, 1);
  c.actions[1] = 99;
  EXPECT_NE(error_of([&] { write_motion_file(tmp / "bad.motion", c); }).find("actions[1]: 99 is not an action id"), std::string::npos);
  c = Clip::make(SkeletonFormat::v1, 3, 1);
  c.motion.pop_back();
  EXPECT_THROW(write_motion_file(tmp / "bad.motion", c), Error);
  EXPECT_THROW(write_motion_file(tmp / "bad.motion", Clip::make(SkeletonFormat::v1, 0, 1)), Error);
  EXPECT_THROW(write_motion_file(tmp / "no-such-dir" / "x.motion", Clip::make(SkeletonFormat::v1, 2, 1)), Error);
  EXPECT_TRUE(fs::is_empty(tmp.path()));  // no target, no temporary
}
