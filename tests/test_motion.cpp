// Motion core: schemas, clips, physics, resampling, reconciliation, validation, actions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "stickgen/actions.hpp"
#include "stickgen/model_config.hpp"
#include "stickgen/motion.hpp"

using namespace stickgen;

namespace {

// A clip whose root moves along x at `speed` units/s with a swinging arm; bone lengths constant.
Clip walking_clip(SkeletonFormat f, int frames, float speed, float fps = 25.f) {
  Clip c = Clip::make(f, frames, 1, fps);
  const auto& s = schema(f);
  auto rest = rest_pose_joints(f);
  for (int t = 0; t < frames; ++t) {
    auto j = rest;
    const float x = speed * t / fps;
    for (auto& p : j) p.x += x;
    const int hand = f == SkeletonFormat::v1 ? int(v1::r_hand) : int(v3::r_wrist);
    const int pivot = f == SkeletonFormat::v1 ? int(v1::neck) : int(v3::r_elbow);
    const Vec2 arm = rest[hand] - rest[pivot];
    const float ang = 0.6f * std::sin(2.f * 3.14159f * t / fps);
    j[hand] = j[pivot] + Vec2{arm.x * std::cos(ang) - arm.y * std::sin(ang), arm.x * std::sin(ang) + arm.y * std::cos(ang)};
    joints_to_segments(s, j.data(), c.pose(t, 0));
    c.actions[c.slot(t, 0)] = act::walk;
  }
  compute_physics(c);
  return c;
}

}  // namespace

TEST(Schema, V1MatchesSpec) {
  const auto& s = schema(SkeletonFormat::v1);
  EXPECT_EQ(s.dims, 20);
  EXPECT_EQ(s.segment_count(), 5);
  EXPECT_EQ(s.joint_count(), 6);
  EXPECT_EQ(s.type_name, "stick_figure_5_segment");
  EXPECT_EQ(s.segments[0].name, "torso");
  EXPECT_EQ(s.segments[0].from, v1::neck);
  EXPECT_EQ(s.segments[0].to, v1::hip);
  EXPECT_EQ(s.segments[4].name, "r_arm");
  EXPECT_EQ(s.root, v1::hip);
}

TEST(Schema, V3MatchesSpec) {
  const auto& s = schema(SkeletonFormat::v3);
  EXPECT_EQ(s.dims, 48);
  EXPECT_EQ(s.segment_count(), 12);
  EXPECT_EQ(s.joint_count(), 16);
  EXPECT_EQ(s.segments[0].name, "head");
  EXPECT_EQ(s.segments[0].from, v3::neck);
  EXPECT_EQ(s.segments[0].to, v3::head_center);
  EXPECT_EQ(s.segments[11].name, "pelvis_width");
  EXPECT_EQ(s.segments[11].from, v3::l_hip);
  EXPECT_EQ(s.segments[11].to, v3::r_hip);
  // Every joint appears in some segment.
  std::set<int> used;
  for (auto& seg : s.segments) used.insert(seg.from), used.insert(seg.to);
  EXPECT_EQ(used.size(), 16u);
}

TEST(Schema, FormatLookups) {
  EXPECT_EQ(format_from_dims(20), SkeletonFormat::v1);
  EXPECT_EQ(format_from_dims(48), SkeletonFormat::v3);
  EXPECT_FALSE(format_from_dims(21));
  EXPECT_EQ(format_from_type_name("stick_figure_12_segment_v3"), SkeletonFormat::v3);
  EXPECT_EQ(parse_format("v3"), SkeletonFormat::v3);
  EXPECT_FALSE(parse_format("v2"));
}

TEST(Schema, MirrorIsAnInvolutionAndSwapsSides) {
  for (auto f : {SkeletonFormat::v1, SkeletonFormat::v3}) {
    const auto& s = schema(f);
    for (int j = 0; j < s.joint_count(); ++j) {
      EXPECT_EQ(s.mirror[s.mirror[j]], j);
      auto name = s.joint_names[j];
      auto mirrored = s.joint_names[s.mirror[j]];
      if (name.starts_with("l_")) EXPECT_EQ(mirrored.substr(2), name.substr(2));
      if (name.starts_with("l_")) EXPECT_TRUE(mirrored.starts_with("r_"));
    }
  }
}

TEST(Schema, RestPoseIsConsistentAndLeftIsNegativeX) {
  for (auto f : {SkeletonFormat::v1, SkeletonFormat::v3}) {
    const auto& s = schema(f);
    auto j = rest_pose_joints(f);
    std::vector<float> flat(s.dims);
    joints_to_segments(s, j.data(), flat.data());
    EXPECT_FLOAT_EQ(connectivity_error(s, flat.data()), 0.f);
    std::vector<Vec2> back(s.joint_count());
    segments_to_joints(s, flat.data(), back.data());
    for (int k = 0; k < s.joint_count(); ++k) {
      EXPECT_FLOAT_EQ(back[k].x, j[k].x);
      EXPECT_FLOAT_EQ(back[k].y, j[k].y);
      if (s.joint_names[k].starts_with("l_")) EXPECT_LT(j[k].x, 0.f) << s.joint_names[k];
    }
    const float h = body_height(s, j.data());
    EXPECT_GT(h, 2.3f);
    EXPECT_LT(h, 2.8f);
  }
  auto j3 = rest_pose_joints(SkeletonFormat::v3);
  EXPECT_FLOAT_EQ(j3[v3::pelvis_center].x, 0.5f * (j3[v3::l_hip].x + j3[v3::r_hip].x));
}

TEST(Schema, V3ToV1JointMap) {
  auto j3 = rest_pose_joints(SkeletonFormat::v3);
  std::vector<Vec2> j1(6);
  v3_joints_to_v1(j3.data(), j1.data());
  EXPECT_EQ(j1[v1::hip].y, j3[v3::pelvis_center].y);
  EXPECT_EQ(j1[v1::l_hand].x, j3[v3::l_wrist].x);
  EXPECT_EQ(j1[v1::r_foot].x, j3[v3::r_ankle].x);
}

TEST(Clip, MakeAndShapeChecks) {
  Clip c = Clip::make(SkeletonFormat::v3, 10, 2);
  EXPECT_EQ(c.motion.size(), 10u * 2 * 48);
  EXPECT_TRUE(c.present(9, 1));
  EXPECT_EQ(c.action(3, 0), kNoAction);
  EXPECT_NO_THROW(c.check_shapes());
  c.actions.pop_back();
  try {
    c.check_shapes();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("actions"), std::string::npos);
  }
  EXPECT_THROW(Clip::make(SkeletonFormat::v1, 5, 1, 0.f), Error);
}

TEST(Physics, BackwardDifferencesInSecondsWithoutStartSpike) {
  Clip c = walking_clip(SkeletonFormat::v1, 50, 1.9f);
  for (int t = 0; t < 50; ++t) {
    const float* p = c.physics_at(t, 0);
    EXPECT_NEAR(p[0], 1.9f, 1e-3) << t;  // vx constant, including frame 0 (no spike)
    EXPECT_NEAR(p[1], 0.f, 1e-3);
    EXPECT_NEAR(p[2], 0.f, 1e-2);
    EXPECT_EQ(p[4], p[0]);  // momentum = velocity (unit mass)
  }
}

TEST(Physics, AccelerationOfAFall) {
  Clip c = Clip::make(SkeletonFormat::v1, 26, 1);
  const auto& s = schema(SkeletonFormat::v1);
  auto rest = rest_pose_joints(SkeletonFormat::v1);
  for (int t = 0; t < 26; ++t) {
    auto j = rest;
    const float time = t / 25.f;
    for (auto& p : j) p.y -= 0.5f * 9.8f * time * time;
    joints_to_segments(s, j.data(), c.pose(t, 0));
  }
  compute_physics(c);
  for (int t = 2; t < 26; ++t) EXPECT_NEAR(c.physics_at(t, 0)[3], -9.8f, 1e-2) << t;
  EXPECT_NEAR(c.physics_at(10, 0)[1], -9.8f * (10 - 0.5f) / 25.f, 2e-3);  // backward difference
}

TEST(Physics, AbsentFramesTakeNeighbours) {
  Clip c = walking_clip(SkeletonFormat::v1, 20, 2.f);
  for (int t = 5; t < 10; ++t) c.actor_mask[c.slot(t, 0)] = 0;
  // Teleport while absent: must not produce a velocity spike.
  for (int t = 10; t < 20; ++t)
    for (int k = 0; k < 20; k += 2) c.pose(t, 0)[k] += 50.f;
  compute_physics(c);
  for (int t = 0; t < 20; ++t) EXPECT_NEAR(c.physics_at(t, 0)[0], 2.f, 1e-3) << t;
}

TEST(Resample, ByTimeKeepsConnectivityAndSpeed) {
  Clip c = walking_clip(SkeletonFormat::v3, 91, 1.9f, 30.f);  // 3 s at 30 fps
  Clip r = resample(c, 25.f);
  EXPECT_EQ(r.frames, 76);  // 0..3 s inclusive at 25 fps
  EXPECT_FLOAT_EQ(r.fps, 25.f);
  EXPECT_NEAR(r.duration(), c.duration(), 0.05f);
  for (int t = 0; t < r.frames; ++t) EXPECT_LT(connectivity_error(r.skeleton(), r.pose(t, 0)), 1e-5f);
  EXPECT_NEAR(r.physics_at(40, 0)[0], 1.9f, 1e-3);
  EXPECT_EQ(r.action(10, 0), act::walk);
  // Same root position at the same time.
  EXPECT_NEAR(root_position(r.skeleton(), r.pose(50, 0)).x, root_position(c.skeleton(), c.pose(60, 0)).x, 1e-4);
}

TEST(Slice, KeepsFramesAndRecomputesPhysics) {
  Clip c = walking_clip(SkeletonFormat::v1, 40, 1.f);
  Clip s = slice_frames(c, 10, 20);
  EXPECT_EQ(s.frames, 10);
  EXPECT_EQ(s.pose(0, 0)[0], c.pose(10, 0)[0]);
  EXPECT_THROW(slice_frames(c, 30, 50), Error);
}

TEST(ToV1, ConvertsV3) {
  Clip c = walking_clip(SkeletonFormat::v3, 10, 1.f);
  Clip v = to_v1(c);
  EXPECT_EQ(v.format, SkeletonFormat::v1);
  EXPECT_EQ(v.motion.size(), 10u * 20);
  auto j3 = rest_pose_joints(SkeletonFormat::v3);
  std::vector<Vec2> j1(6);
  segments_to_joints(v.skeleton(), v.pose(0, 0), j1.data());
  EXPECT_NEAR(j1[v1::hip].y, j3[v3::pelvis_center].y, 1e-6);
  EXPECT_NEAR(j1[v1::l_foot].x, j3[v3::l_ankle].x, 1e-6);
  EXPECT_TRUE(validate(v).ok()) << validate(v).summary();
}

TEST(Reconcile, NoisyNetworkOutputBecomesConsistentWithStableBones) {
  for (auto f : {SkeletonFormat::v1, SkeletonFormat::v3}) {
    Clip clean = walking_clip(f, 60, 1.5f);
    Clip noisy = clean;
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.f, 0.03f);
    for (auto& v : noisy.motion) v += noise(rng);
    ValidationReport before = validate(noisy);
    EXPECT_GT(before.max_connectivity, 0.02f);
    reconcile(noisy);
    ValidationReport after = validate(noisy);
    EXPECT_LT(after.max_connectivity, 1e-4f);
    const auto tree = bones(f);
    std::vector<Vec2> j(noisy.skeleton().joint_count());
    std::vector<float> first;
    for (int t = 0; t < noisy.frames; ++t) {
      segments_to_joints(noisy.skeleton(), noisy.pose(t, 0), j.data());
      auto len = bone_lengths(noisy.skeleton(), j.data());
      if (first.empty()) first = len;
      for (size_t b = 0; b < tree.size(); ++b) {
        if (tree[b].spans_hinge) {  // bounded by the straight limb, not fixed
          EXPECT_LE(len[b], 1.6f) << format_name(f) << " bone " << b;
          continue;
        }
        EXPECT_NEAR(len[b], first[b], 1e-4f) << format_name(f) << " bone " << b;
      }
      if (f == SkeletonFormat::v3) {
        const Vec2 mid = (j[v3::l_hip] + j[v3::r_hip]) * 0.5f;
        EXPECT_NEAR(mid.x, j[v3::pelvis_center].x, 1e-5f);
        EXPECT_NEAR(mid.y, j[v3::pelvis_center].y, 1e-5f);
      }
    }
    // Reconciled poses stay close to the truth.
    float worst = 0.f;
    for (size_t k = 0; k < clean.motion.size(); ++k) worst = std::max(worst, std::fabs(clean.motion[k] - noisy.motion[k]));
    EXPECT_LT(worst, 0.25f) << format_name(f);
  }
}

TEST(Reconcile, HingeSpanningV1LimbsMayBendButNeverOverstretch) {
  const auto& s = schema(SkeletonFormat::v1);
  auto rest = rest_pose_joints(SkeletonFormat::v1);
  const auto ref = bone_lengths(s, rest.data());
  auto crouch = rest;
  crouch[v1::hip].y -= 0.5f;  // knees bent: hip closer to the feet
  crouch[v1::neck].y -= 0.5f;
  std::vector<float> flat(20);
  joints_to_segments(s, crouch.data(), flat.data());
  const auto before = bone_lengths(s, crouch.data());
  reconcile_pose(s, flat.data(), ref.data());
  std::vector<Vec2> j(6);
  segments_to_joints(s, flat.data(), j.data());
  auto after = bone_lengths(s, j.data());
  EXPECT_NEAR(after[1], before[1], 1e-5f);  // bent leg kept
  EXPECT_NEAR(after[0], ref[0], 1e-5f);     // torso fixed
  auto stretched = rest;
  stretched[v1::l_foot].y -= 0.4f;
  joints_to_segments(s, stretched.data(), flat.data());
  reconcile_pose(s, flat.data(), ref.data());
  segments_to_joints(s, flat.data(), j.data());
  EXPECT_NEAR(bone_lengths(s, j.data())[1], ref[1], 1e-5f);  // over-long leg shortened to the straight limb
}

TEST(Validate, CleanClipPasses) {
  for (auto f : {SkeletonFormat::v1, SkeletonFormat::v3}) {
    Clip c = walking_clip(f, 100, 1.9f);
    auto r = validate(c);
    EXPECT_TRUE(r.ok()) << r.summary();
    EXPECT_LT(r.max_bone_drift, 1e-4f);
    EXPECT_NEAR(r.max_speed, 1.9f, 1e-3);
  }
}

TEST(Validate, ReportsEachProblem) {
  auto has = [](const ValidationReport& r, const std::string& code) {
    for (auto& i : r.issues)
      if (i.code == code) return true;
    return false;
  };
  Clip c = walking_clip(SkeletonFormat::v1, 60, 1.f);
  Clip nan = c;
  nan.pose(3, 0)[5] = std::nanf("");
  EXPECT_TRUE(has(validate(nan), "non_finite"));

  Clip broken = c;
  broken.pose(7, 0)[0] += 0.5f;  // torso start no longer at the neck
  EXPECT_TRUE(has(validate(broken), "connectivity"));

  Clip stretched = c;
  for (int t = 30; t < 60; ++t) {
    std::vector<Vec2> j(6);
    segments_to_joints(stretched.skeleton(), stretched.pose(t, 0), j.data());
    j[v1::neck].y += 0.4f;  // the torso is the one rigid v1 segment
    joints_to_segments(stretched.skeleton(), j.data(), stretched.pose(t, 0));
  }
  auto r = validate(stretched);
  EXPECT_TRUE(has(r, "bone_drift")) << r.summary();

  Clip fast = walking_clip(SkeletonFormat::v1, 60, 30.f);
  EXPECT_TRUE(has(validate(fast), "speed"));

  Clip jerk = walking_clip(SkeletonFormat::v1, 60, 0.f);
  for (int t = 30; t < 60; ++t)
    for (int k = 0; k < 20; k += 2) jerk.pose(t, 0)[k] += 0.5f;  // 12.5 units/s step: a huge acceleration
  EXPECT_TRUE(has(validate(jerk), "acceleration"));

  Clip frozen = walking_clip(SkeletonFormat::v1, 100, 1.f);
  for (int t = 50; t < 100; ++t) std::copy_n(frozen.pose(49, 0), 20, frozen.pose(t, 0));
  EXPECT_TRUE(has(validate(frozen), "frozen_tail"));

  Clip tiny = Clip::make(SkeletonFormat::v1, 10, 1);
  for (int t = 0; t < 10; ++t) {
    std::vector<Vec2> j(6);
    segments_to_joints(tiny.skeleton(), tiny.pose(t, 0), j.data());
    j[v1::l_hand] = j[v1::neck];
    joints_to_segments(tiny.skeleton(), j.data(), tiny.pose(t, 0));
  }
  EXPECT_TRUE(has(validate(tiny), "degenerate_limb"));

  Clip folded = walking_clip(SkeletonFormat::v3, 20, 0.f);
  for (int t = 0; t < 20; ++t) {
    std::vector<Vec2> j(16);
    segments_to_joints(folded.skeleton(), folded.pose(t, 0), j.data());
    j[v3::l_wrist] = j[v3::l_shoulder] + (j[v3::l_elbow] - j[v3::l_shoulder]) * 0.01f;  // forearm folded onto the upper arm
    joints_to_segments(folded.skeleton(), j.data(), folded.pose(t, 0));
  }
  EXPECT_TRUE(has(validate(folded), "degenerate_limb"));

  Clip bad = c;
  bad.motion.pop_back();
  EXPECT_TRUE(has(validate(bad), "shape"));
}

TEST(Validate, AbsentActorsAreIgnored) {
  Clip c = Clip::make(SkeletonFormat::v1, 30, 2);
  for (int t = 0; t < 30; ++t) {
    c.actor_mask[c.slot(t, 1)] = 0;
    std::fill_n(c.pose(t, 1), 20, 0.f);  // an empty slot must not count as a degenerate pose
  }
  c.metadata["x"] = "y";
  auto r = validate(c, {.max_frozen_tail = 0.f});
  EXPECT_TRUE(r.ok()) << r.summary();
}

TEST(Actions, VocabularyHas64WithReferenceIndices) {
  ASSERT_EQ(actions().size(), 64u);
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(actions()[i].id, i);
    EXPECT_FALSE(actions()[i].definition.empty());
    EXPECT_EQ(action_id(actions()[i].name), i);
  }
  EXPECT_EQ(action_id("idle"), 0);
  EXPECT_EQ(action_id("running_bases"), 15);
  EXPECT_EQ(action_id("fight_stance"), 45);
  EXPECT_EQ(action_id("looking_around"), 33);
  EXPECT_EQ(action_id("handshake"), 42);
  EXPECT_EQ(action_id("limp"), 63);
  EXPECT_FLOAT_EQ(action_info(act::walk).travel_speed, 1.9f);
  EXPECT_FLOAT_EQ(action_info(act::sprint).travel_speed, 11.8f);
  EXPECT_FLOAT_EQ(action_info(act::talk).speech_hz, 8.f);
  EXPECT_FLOAT_EQ(action_info(act::sing).speech_hz, 4.f);
  EXPECT_EQ(action_info(act::wave).expression, Expression::happy);
  EXPECT_EQ(action_info(act::punch).expression, Expression::angry);
  EXPECT_EQ(action_info(act::cry).expression, Expression::sad);
  EXPECT_EQ(action_info(act::dodge).expression, Expression::surprised);
  EXPECT_EQ(action_info(act::celebrate).expression, Expression::excited);
  EXPECT_THROW(action_info(64), Error);
  EXPECT_EQ(action_name(-1), "");
  std::set<std::string_view> names;
  for (auto& a : actions()) names.insert(a.name);
  EXPECT_EQ(names.size(), 64u);
}

TEST(ModelConfig, PublishedParameterCounts) {
  EXPECT_EQ(ModelConfig::small().parameter_count(), 7248894);
  EXPECT_EQ(ModelConfig::medium().parameter_count(), 20595646);
  EXPECT_EQ(ModelConfig::large().parameter_count(), 44619646);
  auto c = ModelConfig::from_json(ModelConfig::medium().to_json());
  EXPECT_EQ(c.d_model, 384);
  EXPECT_THROW(ModelConfig::from_json("{\"d_model\": 256}"), Error);
  EXPECT_THROW(ModelConfig::preset("huge"), Error);
}

#include "stickgen/motion_space.hpp"

TEST(MotionSpace, RoundTripAndRootRelativeStatistics) {
  Clip a = walking_clip(SkeletonFormat::v1, 100, 1.9f);
  Clip b = walking_clip(SkeletonFormat::v1, 100, 7.4f);
  auto norm = MotionSpace::fit({&a, &b}, SkeletonFormat::v1, true);
  ASSERT_EQ(norm.mean.size(), 20u);
  ASSERT_EQ(norm.physics_std.size(), 6u);
  // Root-relative x: travelling does not inflate the x statistics.
  EXPECT_LT(norm.std[0], 0.5f);
  MotionSpace space(SkeletonFormat::v1, norm);
  std::vector<float> net(20), back(20);
  const float* pose = b.pose(77, 0);
  space.encode_pose(pose, net.data());
  const float rx = root_position(b.skeleton(), pose).x;
  space.decode_pose(net.data(), rx, back.data());
  for (int k = 0; k < 20; ++k) EXPECT_NEAR(back[k], pose[k], 1e-4);
  std::vector<float> pn(6), pb(6);
  space.encode_physics(b.physics_at(5, 0), pn.data());
  space.decode_physics(pn.data(), pb.data());
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(pb[k], b.physics_at(5, 0)[k], 1e-4);
  auto parsed = MotionNormalization::from_json(norm.to_json());
  EXPECT_TRUE(parsed.root_relative_x);
  EXPECT_EQ(parsed.physics_mean.size(), 6u);
  EXPECT_THROW(MotionSpace(SkeletonFormat::v3, norm), Error);
}
