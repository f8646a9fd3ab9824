// Helpers for the motion generators: a base class with the standing pose, local reach targets,
// key-pose sequences, and builders for the postures the body rests in on the ground.
#pragma once

#include <vector>

#include "data/synth/engine.hpp"

namespace stickgen::synth {

struct Key {
  float t;  // seconds (already divided by tempo)
  LocalPose p;
};
// Smoothstep between consecutive keys; holds the ends. A foot planted (or a hand pinned) in both
// neighbouring keys moves on the straight line between its two positions (two-bone IK), so it
// does not wander while the angles interpolate.
LocalPose sample_keys(const Body& b, const std::vector<Key>& keys, float t);
// The same foot and hand handling for any two poses of one frame (segment transitions too).
LocalPose blend_with_contacts(const Body& b, const LocalPose& a, const LocalPose& c, float w);

// Anchor-relative postures (feet/knees/pelvis where the comment says). `s` scales distances.
LocalPose pose_stand_at(const Body& b, float left_x, float right_x);
LocalPose pose_crouch_at(const Body& b, float left_x, float right_x, float depth);  // depth: pelvis / leg
LocalPose pose_sit_at(const Body& b, float feet_x, int variant);   // seated on the ground, feet at feet_x
LocalPose pose_kneel_at(const Body& b, float front_x, int front);  // one knee down, front foot at front_x
LocalPose pose_kneel2_at(const Body& b, float knees_x);            // both knees down, upright
LocalPose pose_lie_back_at(const Body& b, float pelvis_x, int variant);
LocalPose pose_lie_front_at(const Body& b, float pelvis_x);
LocalPose pose_all_fours_at(const Body& b, float knees_x);

// Local joint positions of a pose (no facing, no widths).
Joints local_joints(const Body& b, const LocalPose& p);
// Aim one arm's wrist at a local point (elbow bends forward/up).
void reach(const Body& b, LocalPose& p, int side, Vec2 target);
// Points on the head for gestures, local.
Vec2 mouth_point(const Body& b, const LocalPose& p);
Vec2 brow_point(const Body& b, const LocalPose& p);

class BaseMotion : public Motion {
 public:
  BaseMotion(const SegmentCtx& c, int k0, int k1);

 protected:
  // Standing with breathing and weight shift, feet at feet_[].
  LocalPose stand(int k, float t, float stillness = 1.f) const;
  float sc() const { return scale_; }
  float osc(float t, float hz, float phase = 0.f) const { return std::sin(kTwoPi * (hz * c_.tempo * t + phase)); }
  float cycle(float t, float period) const {  // fraction of a repetition
    const float u = t * c_.tempo / period + c_.style->phase;
    return u - std::floor(u);
  }
  float X(int k) const { return c_.track->X[std::clamp(k, 0, static_cast<int>(c_.track->X.size()) - 1)]; }
  // Time with a slow seeded wobble of the pace (about +-5 %, drifting over ~8 s): repetitions of a
  // gesture are not metronomic, so no two cycles are identical. warped(0) = 0.
  float warped(float t) const {
    constexpr float f = 0.13f, a = 0.05f / (kTwoPi * f);
    return t + a * (std::sin(kTwoPi * (f * t + ph_[2])) - std::sin(kTwoPi * ph_[2]));
  }
  // Travel distance at an absolute time (linear between frames, extrapolated past the clip).
  float Xt(float seconds) const;

  SegmentCtx c_;
  int k0_, k1_;
  const Body& b_;
  float scale_;
  float feet_[2];
  float ph_[4];  // per-segment random phases
  int dom_, off_;
  int variant_;
};

}  // namespace stickgen::synth
