// The data engine: scene sampler + descriptions (round trip through the planner), corpus synthesis
// (determinism across thread counts, resume after an interruption), augmentation, quality terms,
// curation (splits, stratification, source weights) and the data synth/curate/stats commands.
#include <gtest/gtest.h>

#include <functional>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "stickgen/augment.hpp"
#include "stickgen/corpus.hpp"
#include "stickgen/curate.hpp"
#include "stickgen/dataset.hpp"
#include "stickgen/planner.hpp"
#include "stickgen/scene.hpp"
#include "stickgen/synth.hpp"
#include "test_util.hpp"

namespace stickgen {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

Plan plan_back(const Scene& s) {
  PlannerOptions o;
  o.duration = s.plan.duration;
  return plan_prompt(s.description, o);
}

Clip clip_of(const std::string& prompt, SkeletonFormat f = SkeletonFormat::v1, uint64_t seed = 3) {
  SynthOptions o;
  o.format = f;
  o.seed = seed;
  return synthesize(plan_prompt(prompt), o);
}

std::string bytes(const fs::path& p) { return read_file(p); }

std::vector<nlohmann::json> records(const fs::path& dir) {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir / "clips.jsonl");
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// Every clip of a dataset carries a description that plans back to its per-frame timeline.
void expect_descriptions_plan_back(const fs::path& dir) {
  DatasetReader r(dir);
  int bad = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    const Clip c = r.clip(i);
    const std::string diff = check_description(c, r.record(i).description);
    if (!diff.empty() && ++bad <= 5) ADD_FAILURE() << r.record(i).id << ": " << r.record(i).description << "\n  " << diff;
  }
  EXPECT_EQ(bad, 0) << "of " << r.size() << " clips";
}

// ============================================================================ scenes and descriptions

TEST(Scene, DescriptionsPlanBackToTheirScenes) {
  std::map<std::string, int> layouts;
  int failures = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    const Scene s = sample_scene(7, i);
    ++layouts[s.layout];
    ASSERT_EQ(check_plan(s.plan), "") << s.description;
    ASSERT_EQ(s.plan.prompt, s.description);
    const Plan p = plan_back(s);
    const std::string diff = compare_plans(s.plan, p);
    std::string warn;
    for (const auto& w : p.warnings) warn += w + "; ";
    if (!diff.empty() || !warn.empty()) {
      ADD_FAILURE() << "scene " << i << " (" << s.layout << "): " << s.description << "\n  " << diff << " " << warn
                    << "\n" << plan_to_table(s.plan) << "--- planned:\n" << plan_to_table(p);
      if (++failures > 5) return;
    }
  }
  EXPECT_GT(layouts["solo"], 300);
  EXPECT_GT(layouts["independent"], 100);
  EXPECT_GT(layouts["together"], 50);
  EXPECT_GT(layouts["interaction"], 100);
}

TEST(Scene, CoversEveryActionActorCountAndDuration) {
  std::set<int> actions;
  std::map<size_t, int> actors;
  std::map<float, int> durations;
  int modifiers = 0, directions = 0, partners = 0;
  for (uint64_t i = 0; i < 3000; ++i) {
    const Scene s = sample_scene(11, i);
    ++actors[s.plan.actors.size()];
    ++durations[s.plan.duration];
    for (const auto& a : s.plan.actors)
      for (const auto& seg : a.timeline) {
        actions.insert(seg.action);
        modifiers += seg.tempo != 1.f || seg.intensity != 1.f;
        directions += seg.direction != Direction::none;
        partners += seg.target_actor >= 0;
      }
  }
  EXPECT_EQ(actions.size(), static_cast<size_t>(kNumActions));
  EXPECT_EQ(actors.size(), 3u);
  EXPECT_GT(durations[10.f], 1800);  // mostly 10 s
  EXPECT_EQ(durations.size(), 7u);   // and 4..9 s (whole seconds)
  EXPECT_GT(modifiers, 500);
  EXPECT_GT(directions, 300);
  EXPECT_GT(partners, 300);
}

TEST(Scene, DependsOnlyOnSeedIndexAndAttempt) {
  for (uint64_t i : {0ull, 5ull, 999ull}) {
    const Scene a = sample_scene(3, i), b = sample_scene(3, i);
    EXPECT_EQ(a.description, b.description);
    EXPECT_EQ(plan_to_json(a.plan), plan_to_json(b.plan));
    EXPECT_NE(sample_scene(3, i, 1).description, a.description);
    EXPECT_NE(sample_scene(4, i).description, a.description);
  }
}

TEST(Scene, SynthesisedClipsCarryTheDescribedTimeline) {
  for (uint64_t i = 0; i < 60; ++i) {
    const Scene s = sample_scene(21, i);
    SynthOptions o;
    o.format = i % 2 ? SkeletonFormat::v3 : SkeletonFormat::v1;
    o.seed = i;
    const Clip c = synthesize(s.plan, o);
    EXPECT_EQ(check_description(c, s.description), "") << s.description;
  }
}

TEST(Scene, TimelineComparisonNoticesDifferences) {
  const Clip c = clip_of("A man walks for 4 seconds, then sits down.");
  EXPECT_EQ(check_description(c, "A man walks for 4 seconds, then sits down."), "");
  EXPECT_NE(check_description(c, "A man runs for 4 seconds, then sits down."), "");
  EXPECT_NE(check_description(c, "A man walks for 6 seconds, then sits down."), "");
  EXPECT_NE(check_description(c, "A man and a woman walk for 4 seconds, then sit down."), "");
}

// ============================================================================ corpus synthesis

CorpusOptions small_corpus(int64_t n, int jobs, int shard) {
  CorpusOptions o;
  o.clips = n;
  o.seed = 5;
  o.jobs = jobs;
  o.shard_size = shard;
  o.augment = 1;
  return o;
}

TEST(Corpus, SameBytesForAnyThreadCountAndShardSize) {
  TempDir t;
  const auto a = synthesize_corpus(t / "a", small_corpus(36, 1, 36));
  const auto b = synthesize_corpus(t / "b", small_corpus(36, 2, 5));
  EXPECT_TRUE(a.complete && b.complete);
  EXPECT_EQ(a.base, 36);
  EXPECT_GE(a.clips, 36 + 30);  // augmented variants follow their base clip
  EXPECT_EQ(bytes(t / "a" / "clips.jsonl"), bytes(t / "b" / "clips.jsonl"));
  EXPECT_EQ(bytes(t / "a" / "clips.safetensors"), bytes(t / "b" / "clips.safetensors"));
  EXPECT_FALSE(fs::exists(t / "a.partial"));
  expect_descriptions_plan_back(t / "a");
}

TEST(Corpus, ResumesAfterAnInterruptedRunWithoutLosingOrDuplicatingClips) {
  TempDir t;
  synthesize_corpus(t / "ref", small_corpus(40, 2, 6));
  CorpusOptions o = small_corpus(40, 2, 6);
  o.stop_after_shards = 3;
  const auto first = synthesize_corpus(t / "run", o);
  EXPECT_FALSE(first.complete);
  EXPECT_FALSE(fs::exists(t / "run"));
  ASSERT_TRUE(fs::exists(t / "run.partial" / "manifest.json"));
  int shards = 0;
  for (const auto& e : fs::directory_iterator(t / "run.partial")) shards += e.path().filename().string().starts_with("shard-");
  EXPECT_GE(shards, 3);
  EXPECT_LT(shards, 7);
  EXPECT_EQ(first.shards_done, shards);
  // A half-written shard spool, as a killed process leaves it.
  fs::create_directories(t / "run.partial" / "shard-00006.tmp-spool-999-0");
  // Different options do not mix with what is there.
  CorpusOptions other = small_corpus(40, 2, 7);
  EXPECT_THROW(synthesize_corpus(t / "run", other), Error);
  o.stop_after_shards = -1;
  const auto second = synthesize_corpus(t / "run", o);
  EXPECT_TRUE(second.complete);
  EXPECT_EQ(second.shards_reused, shards);
  EXPECT_EQ(bytes(t / "ref" / "clips.jsonl"), bytes(t / "run" / "clips.jsonl"));
  EXPECT_EQ(bytes(t / "ref" / "clips.safetensors"), bytes(t / "run" / "clips.safetensors"));
  EXPECT_FALSE(fs::exists(t / "run.partial"));
  std::set<std::string> ids;
  for (const auto& r : records(t / "run")) EXPECT_TRUE(ids.insert(r["id"]).second) << r["id"];
  expect_descriptions_plan_back(t / "run");
}

TEST(Corpus, AKilledProcessResumes) {
  TempDir t;
  const std::string bin = test::shell_quote(test::stickgen_bin());
  const std::string args = " data synth -n 120 --seed 9 --shard-size 4 -j 1 -q -o ";
  ASSERT_EQ(test::run_stickgen(args.substr(1) + test::shell_quote((t / "ref").string())).exit_code, 0);
  const std::string run = test::shell_quote((t / "run").string());
  // Start, wait for the second finished shard, SIGKILL (if it has not finished by then).
  const std::string script = bin + args + run + " & pid=$!; for i in $(seq 1 400); do [ -d " + run +
                             ".partial/shard-00001 ] && break; [ -d " + run + " ] && break; sleep 0.01; done; kill -9 $pid 2>/dev/null; wait $pid; true";
  test::run_command("sh -c " + test::shell_quote(script));
  const auto again = test::run_stickgen(args.substr(1) + run);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(bytes(t / "ref" / "clips.jsonl"), bytes(t / "run" / "clips.jsonl"));
  EXPECT_EQ(bytes(t / "ref" / "clips.safetensors"), bytes(t / "run" / "clips.safetensors"));
  expect_descriptions_plan_back(t / "run");
}

// ============================================================================ augmentation

TEST(Augment, MirrorSwapsSidesAndTheWordsButKeepsActions) {
  EXPECT_EQ(mirror_text("A man walks to the left. Left, then right; Rightward leftwards!"),
            "A man walks to the right. Right, then left; Leftward rightwards!");
  EXPECT_EQ(mirror_text("The bright light"), "The bright light");
  const std::string text = "A man walks to the left for 4 seconds, then runs to the right.";
  const Clip c = clip_of(text);
  const Clip m = mirror_clip(c);
  EXPECT_TRUE(validate_data_clip(m).ok()) << validate_data_clip(m).summary();
  EXPECT_EQ(m.actions, c.actions);
  const auto& s = c.skeleton();
  std::array<Vec2, v3::kJointCount> a, b;
  segments_to_joints(s, c.pose(40, 0), a.data());
  segments_to_joints(s, m.pose(40, 0), b.data());
  EXPECT_NEAR(b[v1::l_hand].x, -a[v1::r_hand].x, 1e-5f);
  EXPECT_NEAR(b[v1::l_hand].y, a[v1::r_hand].y, 1e-5f);
  EXPECT_NEAR(b[v1::r_foot].x, -a[v1::l_foot].x, 1e-5f);
  // The walk to the left becomes a walk to the right; physics follows.
  const float dx0 = root_position(s, c.pose(90, 0)).x - root_position(s, c.pose(10, 0)).x;
  const float dx1 = root_position(s, m.pose(90, 0)).x - root_position(s, m.pose(10, 0)).x;
  EXPECT_LT(dx0, -1.f);
  EXPECT_GT(dx1, 1.f);
  EXPECT_NEAR(m.physics_at(50, 0)[0], -c.physics_at(50, 0)[0], 1e-3f);
  EXPECT_EQ(check_description(m, mirror_text(text)), "");
  // Mirroring twice is the identity.
  const Clip back = mirror_clip(m);
  for (size_t i = 0; i < c.motion.size(); ++i) ASSERT_NEAR(back.motion[i], c.motion[i], 1e-5f);
}

// turn_clip_around: every figure faces the other way as the rig draws it (its offsets from its root are
// turn_around's), the world is reflected about x = 0, physics follows, and twice is the identity.
TEST(Augment, TurnClipAroundFacesTheOtherWay) {
  const Clip c = clip_of("A man walks to the left for 4 seconds, then a woman waves at him.");
  ASSERT_GE(c.actors, 1);
  const Clip m = turn_clip_around(c);
  EXPECT_TRUE(validate_data_clip(m).ok()) << validate_data_clip(m).summary();
  EXPECT_EQ(m.actions, c.actions);
  const auto& s = c.skeleton();
  for (int t : {0, 40, 90})
    for (int a = 0; a < c.actors; ++a) {
      if (!c.present(t, a)) continue;
      std::vector<float> p(c.pose(t, a), c.pose(t, a) + c.dims());
      const float r = root_position(s, p.data()).x;
      EXPECT_NEAR(root_position(s, m.pose(t, a)).x, -r, 1e-4f);
      turn_around(s, p.data(), r);
      for (int k = 0; k < c.dims(); ++k) ASSERT_NEAR(m.pose(t, a)[k], p[k] - (k % 2 == 0 ? 2.f * r : 0.f), 1e-4f);
    }
  const float dx0 = root_position(s, c.pose(90, 0)).x - root_position(s, c.pose(10, 0)).x;
  const float dx1 = root_position(s, m.pose(90, 0)).x - root_position(s, m.pose(10, 0)).x;
  EXPECT_LT(dx0, -1.f);
  EXPECT_NEAR(dx1, -dx0, 1e-3f);
  EXPECT_NEAR(m.physics_at(50, 0)[0], -c.physics_at(50, 0)[0], 1e-3f);
  EXPECT_NEAR(m.physics_at(50, 0)[1], c.physics_at(50, 0)[1], 1e-3f);
  const Clip back = turn_clip_around(m);
  for (size_t i = 0; i < c.motion.size(); ++i) ASSERT_NEAR(back.motion[i], c.motion[i], 1e-4f);
}

TEST(Augment, StretchRescalesTimeAndTheStatedDurations) {
  EXPECT_EQ(stretch_text("A man walks for 3 seconds, then sits for two and a half seconds. For a second, he waves.", 1.25f),
            "A man walks for 2.4 seconds, then sits for 2 seconds. For 0.8 seconds, he waves.");
  EXPECT_EQ(stretch_text("For about four seconds she claps for 1 second", 0.8f), "For about 5 seconds she claps for 1.2 seconds");
  const std::string text = "A woman runs for 3 seconds, then waves for 3 seconds, and finally kneels down.";
  const Clip c = clip_of(text);
  const Clip fast = time_stretch_clip(c, 1.15f);
  EXPECT_EQ(fast.frames, static_cast<int>(std::floor((c.frames - 1) / 1.15f)) + 1);
  EXPECT_FLOAT_EQ(fast.fps, c.fps);
  EXPECT_TRUE(validate_data_clip(fast).ok());
  EXPECT_EQ(check_description(fast, stretch_text(text, 1.15f)), "");
  EXPECT_LT(score_clip(fast).physics_error, 1e-4f);  // physics recomputed
  const Clip slow = time_stretch_clip(clip_of("A man walks for 2 seconds, then jumps.", SkeletonFormat::v1, 4), 0.87f);
  EXPECT_EQ(check_description(slow, stretch_text("A man walks for 2 seconds, then jumps.", 0.87f)), "");
}

TEST(Augment, EveryVariantValidatesAndKeepsItsLabelsTrue) {
  int variants = 0;
  std::set<std::string> kinds;
  for (uint64_t i = 0; i < 24; ++i) {
    const Scene s = sample_scene(31, i);
    SynthOptions o;
    o.format = i % 3 == 0 ? SkeletonFormat::v3 : SkeletonFormat::v1;
    o.seed = i;
    const Clip c = synthesize(s.plan, o);
    for (const auto& v : augment_clip(c, s.description, 4, i)) {
      ++variants;
      kinds.insert(v.tag.substr(0, v.tag.find_first_of("0123456789+")));
      EXPECT_TRUE(validate_data_clip(v.clip).ok()) << v.tag << ": " << validate_data_clip(v.clip).summary();
      EXPECT_LT(score_clip(v.clip).physics_error, 1e-4f) << v.tag;
      EXPECT_LT(validate(v.clip).max_connectivity, 1e-4f) << v.tag;
      EXPECT_EQ(check_description(v.clip, v.description), "") << v.tag << ": " << v.description;
      EXPECT_EQ(primary_action(v.clip), primary_action(c)) << v.tag;
    }
  }
  EXPECT_GE(variants, 80);
  EXPECT_EQ(kinds, (std::set<std::string>{"mirror", "stretch", "scale", "noise"}));
}

// ============================================================================ quality terms

Clip copy_with_physics(Clip c) {
  compute_physics(c);
  return c;
}

TEST(Quality, CleanClipsScoreHighAndTermsStayInRange) {
  for (const char* p : {"A man walks to the right.", "A woman sits down for 3 seconds, then gets up and waves.",
                        "A man and a woman walk toward each other, then shake hands."}) {
    const QualityScore q = score_clip(clip_of(p));
    EXPECT_GT(q.quality, 0.9f) << p << " lowest " << q.lowest;
    for (float t : {q.physics, q.bones, q.jitter, q.skating, q.statics, q.repetition, q.quality}) {
      EXPECT_GE(t, 0.f);
      EXPECT_LE(t, 1.f);
    }
  }
  EXPECT_FLOAT_EQ(Ramp({1.f, 3.f})(2.f), 0.5f);
  EXPECT_FLOAT_EQ(Ramp({1.f, 3.f})(0.f), 1.f);
  EXPECT_FLOAT_EQ(Ramp({1.f, 3.f})(5.f), 0.f);
}

TEST(Quality, WhiteNoiseLowersTheJitterTermAndSmoothNoiseDoesNot) {
  for (const char* p : {"A man walks, then waves.", "A woman claps, then sits down."}) {
    const Clip c = clip_of(p);
    const float clean = score_clip(c).jitter;
    EXPECT_GT(clean, 0.95f) << p;
    EXPECT_LT(score_clip(noise_clip(c, 0.008f, 1)).jitter, clean - 0.4f) << p;
    EXPECT_GT(score_clip(noise_clip(c, 0.008f, 1, 3.f)).jitter, 0.9f) << p;
  }
}

TEST(Quality, ATeleportingJointLowersTheJitterTerm) {
  Clip c = clip_of("A man waves.");
  const auto& s = c.skeleton();
  for (int t : {30, 90, 150, 210}) {
    std::array<Vec2, v3::kJointCount> j;
    segments_to_joints(s, c.pose(t, 0), j.data());
    j[v1::r_hand].y += 1.f;
    joints_to_segments(s, j.data(), c.pose(t, 0));
  }
  const QualityScore q = score_clip(copy_with_physics(c));
  EXPECT_GT(q.spike_rate, 0.01f);
  EXPECT_LT(q.jitter, 0.8f);
}

TEST(Quality, FrozenFramesLowerTheStaticTerm) {
  const Clip c = clip_of("A man dances.");
  Clip f = c;
  for (int t = 60; t < c.frames; ++t) std::copy_n(c.pose(60, 0), c.dims(), f.pose(t, 0));
  const QualityScore a = score_clip(c), b = score_clip(copy_with_physics(f));
  EXPECT_LT(a.static_ratio, 0.05f);
  EXPECT_GT(b.static_ratio, 0.7f);
  EXPECT_LT(b.statics, a.statics - 0.3f);
}

TEST(Quality, CopyPasteLowersTheRepetitionTermButAGaitDoesNot) {
  const Clip walk = clip_of("A man walks to the right.");
  EXPECT_EQ(score_clip(walk).repeat_ratio, 0.f);  // periodic, but no two cycles are near-identical
  const Clip c = clip_of("A man dances, then claps, then stretches.");
  Clip p = c;
  const int L = 100;
  for (int t = 130; t < 130 + L && t < c.frames; ++t) {
    // Paste frames 10..110 root-relative at the root of frame t.
    const auto& s = c.skeleton();
    std::array<Vec2, v3::kJointCount> j;
    segments_to_joints(s, c.pose(t - 120, 0), j.data());
    const Vec2 shift = root_position(s, c.pose(t, 0)) - root_position(s, c.pose(t - 120, 0));
    for (int k = 0; k < s.joint_count(); ++k) j[k] += shift;
    joints_to_segments(s, j.data(), p.pose(t, 0));
  }
  const QualityScore a = score_clip(c), b = score_clip(copy_with_physics(p));
  EXPECT_LT(a.repeat_ratio, 0.01f);
  EXPECT_GT(b.repeat_ratio, 0.3f);
  EXPECT_LT(b.repetition, a.repetition);
}

// A copy of `c` with every frame's joints edited by `edit(t, joints)` (actor 0).
Clip edit_joints(const Clip& c, const std::function<void(int, std::array<Vec2, v3::kJointCount>&)>& edit) {
  Clip s = c;
  for (int t = 0; t < c.frames; ++t) {
    std::array<Vec2, v3::kJointCount> j;
    segments_to_joints(c.skeleton(), s.pose(t, 0), j.data());
    edit(t, j);
    joints_to_segments(c.skeleton(), j.data(), s.pose(t, 0));
  }
  return s;
}

TEST(Quality, SlidingPlantedFeetLowerTheSkatingTerm) {
  const Clip c = clip_of("A man stands still.");
  const Clip s = edit_joints(c, [](int t, auto& j) {
    j[v1::l_foot].x += 0.02f * static_cast<float>(t);  // both feet slide 0.5 units/s along the floor
    j[v1::r_foot].x += 0.02f * static_cast<float>(t);
  });
  const QualityScore a = score_clip(c), b = score_clip(copy_with_physics(s));
  EXPECT_LT(a.foot_slip, 0.02f);
  EXPECT_GT(b.foot_slip, 0.1f);
  EXPECT_LT(b.skating, a.skating - 0.3f);
}

TEST(Quality, BriefFloorTouchesAreNotPlants) {
  // A figure standing on a raised support (feet 0.8 units up, as in motion capture of climbing)
  // that steps down to the floor for two frames at a time, moving fast: no plant to judge.
  const Clip s = edit_joints(clip_of("A man stands still."), [](int t, auto& j) {
    for (auto& p : j) p.y += 0.8f;
    if (t % 25 < 2) j[v1::l_foot].y -= 0.8f, j[v1::l_foot].x += (t % 25) * 0.03f;
  });
  const QualityScore q = score_clip(copy_with_physics(s));
  EXPECT_EQ(q.foot_slip, 0.f);
  EXPECT_EQ(q.skating, 1.f);
}

TEST(Quality, PhysicsTermSeesSpeedStalePhysicsAndTheFloor) {
  const Clip c = clip_of("A man walks.");
  const QualityScore base = score_clip(c);
  EXPECT_EQ(base.physics, 1.f);
  Clip fast = c;  // drag everything along at 40 units/s
  for (int t = 0; t < c.frames; ++t)
    for (int k = 0; k < c.dims(); k += 2) fast.pose(t, 0)[k] += 40.f * static_cast<float>(t) / c.fps;
  EXPECT_EQ(score_clip(copy_with_physics(fast)).physics, 0.f);
  Clip stale = c;
  for (float& v : stale.physics) v *= 1.5f;
  EXPECT_LT(score_clip(stale).physics, 0.5f);
  Clip sunk = c;
  for (int t = 0; t < c.frames; ++t)
    for (int k = 1; k < c.dims(); k += 2) sunk.pose(t, 0)[k] -= 0.2f;
  const QualityScore q = score_clip(copy_with_physics(sunk));
  EXPECT_NEAR(q.ground_depth, 0.2f, 0.02f);
  EXPECT_LT(q.physics, 0.5f);
}

TEST(Quality, BoneTermSeesStretchedBonesAndShakingLimbs) {
  const Clip v3c = clip_of("A man walks.", SkeletonFormat::v3);
  EXPECT_GT(score_clip(v3c).bones, 0.95f);
  Clip v3s = v3c;
  for (int t = 0; t < v3c.frames; t += 2) {
    float* p = v3s.pose(t, 0) + 4 * v3::l_forearm;
    p[2] = p[0] + 1.3f * (p[2] - p[0]);  // the forearm 30 % longer on every other frame
    p[3] = p[1] + 1.3f * (p[3] - p[1]);
  }
  EXPECT_LT(score_clip(copy_with_physics(v3s)).bones, 0.2f);

  const Clip v1c = clip_of("A man walks.");
  EXPECT_GT(score_clip(v1c).bones, 0.95f);
  Clip torso = v1c;
  for (int t = 0; t < v1c.frames; t += 3) torso.pose(t, 0)[1] += 0.2f;  // neck end of the torso
  EXPECT_LT(score_clip(copy_with_physics(torso)).bones, 0.5f);
  Clip shake = v1c;  // a leg whose length alternates by 4 % every frame
  const auto& s = v1c.skeleton();
  for (int t = 0; t < v1c.frames; ++t) {
    std::array<Vec2, v3::kJointCount> j;
    segments_to_joints(s, shake.pose(t, 0), j.data());
    const float k = t % 2 ? 1.04f : 0.96f;
    j[v1::l_foot] = j[v1::hip] + (j[v1::l_foot] - j[v1::hip]) * k;
    joints_to_segments(s, j.data(), shake.pose(t, 0));
  }
  const QualityScore q = score_clip(copy_with_physics(shake));
  EXPECT_GT(q.limb_jitter, 0.5f);
  EXPECT_LT(q.bones, 0.2f);
}

// ============================================================================ curation

// A dataset with a controlled action mix: `counts` clean single-action clips per action.
void write_mix(const fs::path& dir, const std::map<int, int>& counts, const std::string& source, uint64_t seed) {
  DatasetWriter w(dir, SkeletonFormat::v1, 2);
  int n = 0;
  for (const auto& [action, k] : counts)
    for (int i = 0; i < k; ++i) {
      SingleAction a;
      a.action = action;
      a.seconds = 4.f;
      SynthOptions o;
      o.format = SkeletonFormat::v1;
      o.seed = seed + static_cast<uint64_t>(n);
      Clip c = synthesize_action(a, o);
      ClipRecord r;
      r.id = source + "-" + std::to_string(n++);
      r.description = std::string(action_phrase(action));
      r.source = source;
      w.add(c, r);
    }
  w.finish();
}

TEST(Curate, SplitsNeverShareABaseClipAndSftReusesTheHeldOutClips) {
  TempDir t;
  synthesize_corpus(t / "corpus", small_corpus(150, 2, 50));
  expect_descriptions_plan_back(t / "corpus");
  CurateOptions o;
  o.sft_size = 60;
  o.val_share = o.test_share = 0.1f;
  const CurateSummary s = curate({t / "corpus"}, t / "out", o);
  EXPECT_EQ(s.input, static_cast<int64_t>(DatasetReader(t / "corpus").size()));
  std::map<std::string, std::set<std::string>> splits_of_base;
  std::map<std::string, std::set<std::string>> heldout;  // split -> ids, per output
  for (const char* part : {"pretrain", "sft"}) {
    std::set<std::string> val_test;
    for (const auto& r : records(t / "out" / part)) {
      const std::string id = r["id"], base = r["base_id"], split = r["split"];
      ASSERT_TRUE(split == "train" || split == "val" || split == "test") << split;
      const float q = r["quality"];
      EXPECT_GE(q, 0.5f);
      EXPECT_LE(q, 1.f);
      splits_of_base[base.empty() ? id : base].insert(split);
      if (split != "train") val_test.insert(split + ":" + id);
    }
    heldout[part] = val_test;
  }
  for (const auto& [base, splits] : splits_of_base) EXPECT_EQ(splits.size(), 1u) << base << " is in several splits";
  EXPECT_EQ(heldout["pretrain"], heldout["sft"]);
  EXPECT_GT(s.pretrain_splits.at("val"), 0);
  EXPECT_GT(s.pretrain_splits.at("test"), 0);
  EXPECT_LE(s.sft_splits.at("train"), 60);
  // The report and its charts exist, and the markdown names every chart.
  const std::string md = read_file(t / "out" / "report.md");
  for (const char* png : {"actions.png", "sft_actions.png", "sources.png", "quality.png", "rejections.png", "terms.png"}) {
    EXPECT_TRUE(fs::exists(t / "out" / png)) << png;
    EXPECT_NE(md.find(png), std::string::npos) << png;
  }
  // Curating again replaces the output; a foreign directory is refused.
  EXPECT_NO_THROW(curate({t / "corpus"}, t / "out", o));
  fs::create_directories(t / "foreign");
  write_file_atomic(t / "foreign" / "notes.txt", "mine");
  EXPECT_THROW(curate({t / "corpus"}, t / "foreign", o), Error);
}

TEST(Curate, WindowsOfOneTakeAreOriginalsThatShareASplit) {
  // Motion-capture converters cut a take into windows with the take as base_id and no "augment"
  // tag: held-out takes keep all their windows (they are not augmentations to drop).
  TempDir t;
  {
    DatasetWriter w(t / "mocap", SkeletonFormat::v1, 2);
    for (int take = 0; take < 40; ++take)
      for (int k = 0; k < 3; ++k) {
        SingleAction a;
        a.action = take % 2 ? act::walk : act::wave;
        a.seconds = 3.f;
        SynthOptions so;
        so.format = SkeletonFormat::v1;
        so.seed = static_cast<uint64_t>(take * 3 + k);
        ClipRecord r;
        r.id = "take" + std::to_string(take) + "_w" + std::to_string(k);
        r.base_id = "take" + std::to_string(take);
        r.description = std::string(action_phrase(a.action));
        r.source = "bvh";
        w.add(synthesize_action(a, so), r);
      }
    w.finish();
  }
  CurateOptions o;
  o.val_share = o.test_share = 0.15f;
  const CurateSummary s = curate({t / "mocap"}, t / "out", o);
  EXPECT_EQ(s.rejections.count("heldout_augmentation"), 0u);
  std::map<std::string, std::map<std::string, int>> windows;  // take -> split -> windows
  for (const auto& r : records(t / "out" / "pretrain")) windows[r["base_id"]][r["split"]]++;
  int heldout = 0;
  for (const auto& [take, splits] : windows) {
    ASSERT_EQ(splits.size(), 1u) << take;
    EXPECT_EQ(splits.begin()->second, 3) << take;
    heldout += splits.begin()->first != "train";
  }
  EXPECT_GT(heldout, 0);
}

TEST(Curate, StratifiedSftKeepsRareActionsWholeAndBoundsTheLargest) {
  TempDir t;
  write_mix(t / "mix", {{act::walk, 40}, {act::wave, 3}, {act::run, 25}, {act::clap, 8}, {act::dance, 10},
                        {act::bow, 9}, {act::salute, 12}},
            "synthetic", 100);
  CurateOptions o;
  o.val_share = o.test_share = 0.f;
  o.sft_size = 1000;
  const CurateSummary s = curate({t / "mix"}, t / "out", o);
  std::map<std::string, int> sft;
  for (const auto& r : records(t / "out" / "sft")) ++sft[r["primary_action"].get<std::string>()];
  std::map<std::string, int> pool;
  for (const auto& r : records(t / "out" / "pretrain")) ++pool[r["primary_action"].get<std::string>()];
  std::vector<int> v;
  for (const auto& [a, n] : sft) v.push_back(n);
  std::sort(v.begin(), v.end());
  const double median = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  EXPECT_LE(v.back(), 2.0 * median);
  EXPECT_NEAR(s.sft_max_over_median, v.back() / median, 1e-9);
  EXPECT_EQ(sft.size(), 7u);  // every action represented
  // Rare actions (at most the quota) are kept whole (every clip here passes the SFT gate).
  for (const auto& [reason, n] : s.sft_rejections) EXPECT_EQ(reason, "sft:stratum_cap") << n;
  for (const auto& [a, n] : pool)
    if (n <= s.sft_quota) {
      EXPECT_EQ(sft[a], n) << a;
    }
  EXPECT_LT(sft["walk"], pool["walk"]);
  // A size cap lowers the quota but keeps the bound.
  o.sft_size = 20;
  const CurateSummary capped = curate({t / "mix"}, t / "out2", o);
  EXPECT_LE(capped.sft_splits.at("train"), 20);
  EXPECT_LE(capped.sft_max_over_median, 2.0);
}

TEST(Curate, OneSourceLosesNothingToSourceWeights) {
  TempDir t;
  write_mix(t / "a", {{act::walk, 6}, {act::wave, 6}}, "synthetic", 7);
  CurateOptions o;
  o.val_share = o.test_share = 0.f;
  const CurateSummary one = curate({t / "a"}, t / "one", o);
  EXPECT_EQ(one.pretrain, 12);  // synthetic's 0.6 does not lower anything when it is the only source
  for (const auto& r : records(t / "one" / "pretrain")) EXPECT_EQ(r["weight"], "1.000");
  write_mix(t / "b", {{act::walk, 6}, {act::run, 6}}, "humanml3d", 70);
  const CurateSummary two = curate({t / "a", t / "b"}, t / "two", o);
  EXPECT_EQ(two.pretrain, 24);
  for (const auto& r : records(t / "two" / "pretrain"))
    EXPECT_EQ(r["weight"], r["source"] == "synthetic" ? "0.600" : "1.000");
}

// ============================================================================ command line

TEST(Cli, SynthCurateAndStatsWriteTheirOutputs) {
  TempDir t;
  const std::string dir = test::shell_quote((t / "c").string());
  auto r = test::run_stickgen("data synth -n 40 --seed 2 --augment 1 -j 2 --shard-size 10 -o " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("clips/s"), std::string::npos) << r.output;
  expect_descriptions_plan_back(t / "c");
  r = test::run_stickgen("data curate " + dir + " -o " + test::shell_quote((t / "cur").string()) + " --sft-size 20 --seed 4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("max/median"), std::string::npos) << r.output;
  for (const char* f : {"pretrain/clips.safetensors", "pretrain/clips.jsonl", "sft/clips.safetensors", "sft/clips.jsonl",
                        "report.md", "quality.png", "actions.png"})
    EXPECT_TRUE(fs::exists(t / "cur" / f)) << f;
  r = test::run_stickgen("data stats " + dir + " -o " + test::shell_quote((t / "st").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("primary actions"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("quality (scored now)"), std::string::npos) << r.output;
  for (const char* f : {"stats.md", "actions.png", "quality.png", "sources.png", "terms.png"}) EXPECT_TRUE(fs::exists(t / "st" / f)) << f;
  r = test::run_stickgen("data stats " + test::shell_quote((t / "cur" / "sft").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("quality (stored)"), std::string::npos) << r.output;
}

TEST(Cli, BadArgumentsFailWithOneLine) {
  TempDir t;
  auto r = test::run_stickgen("data synth -n 5 --format v9 -o " + test::shell_quote((t / "x").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--format"), std::string::npos) << r.output;
  r = test::run_stickgen("data curate " + test::shell_quote((t / "missing").string()) + " -o " + test::shell_quote((t / "o").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("missing"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace stickgen
