// Gait cycles driven by the actor's real travel: feet land where the travel will have carried the
// pelvis to the middle of their stance, so a planted foot stays put in the world while the root
// moves (walk, run, sprint, march, limp, skip, hop, footwork).
#pragma once

#include <vector>

#include "data/synth/engine.hpp"

namespace stickgen::synth {

struct GaitSpec {
  float cadence = 2.0f;        // steps per second at nominal speed, tempo 1
  float nominal_speed = 1.9f;  // units/s the cadence refers to
  // Contact intervals of the left foot in cycle phase [0, 1); the right foot is offset by half a cycle.
  float contact[2][2] = {{0.f, 0.62f}, {0.f, 0.f}};
  int contacts = 1;            // 1 or 2 per foot per cycle
  float roll = 0.25f;          // last fraction of a contact spent rolling onto the toes
  float height = 0.93f;        // pelvis height at mid-stance, fraction of leg length
  float bob = 0.035f;          // vertical excursion of walk-like gaits (per 1.2 units of leg)
  bool flight = false;         // pelvis follows ballistic flights between supports
  float lift = 0.14f;          // swing-foot clearance (per 1.2 units of leg)
  float skew = 0.75f;          // swing height peaks early (< 1) or late (> 1)
  float knee_drive = 0.f;      // extra thigh lift during swing (march, skip)
  float arm_swing = 0.35f;     // shoulder swing amplitude (rad)
  float arm_base = 0.f;        // shoulder mean flexion (rad)
  float elbow = 0.25f, elbow_swing = 0.25f;
  float lean = 0.04f;
  float bias = 0.f;            // landing offset forward of the stance centre (units)
  bool keep_stepping = false;  // step in place when the speed is ~0 (footwork)
  int hop_foot = -1;           // only this foot touches the ground (the other is held up)
  float asym = 0.f;            // limp: the right leg's stance is shortened by this fraction
};

// The gait of one segment over frames [k0, k1): legs, pelvis, torso lean and arm swing.
class Gait {
 public:
  Gait(const GaitSpec& spec, const SegmentCtx& ctx, int k0, int k1);
  void eval(int k, LocalPose& p) const;
  // Re-aims both legs at the gait's feet after the pelvis (px, py) was moved by the caller.
  void legs(int k, LocalPose& p) const;
  float phase(int k) const;  // cycles
  float activity(int k) const;  // 0 (standing) .. 1 (fully stepping)
  // Where a foot comes to rest if the gait stops now (its current stance spot, or the spot its swing
  // is heading for), local x on the ground.
  Vec2 rest_foot(int side, int k) const;

 private:
  struct Contact { float s, e; };
  double time_at(double phi) const;
  float travel_at(double t) const;
  void foot(int side, int k, float& x, float& y, uint8_t& contact, float* rest = nullptr) const;

  // Per-step clearance factor (0.9-1.1) from the seed, fixed for the swing that lands on contact j
  // of cycle `cycle`: no two strides are identical.
  float swing_var(int side, double cycle) const;
  // Slow seeded wobble in [-1, 1] (incommensurate sines): cadence and arm swing drift a little.
  float wobble(float t, int which) const;

  GaitSpec spec_;
  float vph_[4] = {0.f, 0.f, 0.f, 0.f};
  SegmentCtx ctx_;
  const Body* body_;
  int k0_, k1_;
  float scale_;  // leg length / 1.2
  float foot_len_;
  std::vector<double> phi_;  // frames k0_-pad_ .. k1_+pad_
  std::vector<float> act_;   // activity per frame (same range), smoothed over +-0.25 s
  int pad_;
  std::vector<Contact> c_[2];
  std::vector<Contact> flights_;  // no foot down: s = start phase in [0, 1), e = length
};

}  // namespace stickgen::synth
