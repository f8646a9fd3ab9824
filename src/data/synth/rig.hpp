// The planar rig of the procedural engine. A pose is a set of sagittal-plane angles in the actor's
// own frame (forward = +x, up = +y); forward kinematics maps every bone into the picture plane with
// its constant length, so bone lengths never drift. Facing is a yaw angle psi (0 = facing +x,
// pi = facing -x): a bone's local direction (f, u) appears as normalize(cos(psi) f, u), i.e. a turn
// passes the body through its mirror image in angle space instead of squashing x.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <span>

#include "stickgen/motion.hpp"
#include "stickgen/synth.hpp"

namespace stickgen::synth {

constexpr float kPi = 3.14159265358979f;
constexpr float kTwoPi = 2.f * kPi;
constexpr float kGravity = 14.4f;  // units/s^2 (9.8 m/s^2 at 0.68 m per unit)
enum Side : int { L = 0, R = 1 };

inline float clamp01(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline float smooth(float x) { x = clamp01(x); return x * x * (3.f - 2.f * x); }
inline float smoother(float x) { x = clamp01(x); return x * x * x * (x * (6.f * x - 15.f) + 10.f); }
inline float lerp(float a, float b, float w) { return a + (b - a) * w; }
// Ramp 0 -> 1 over [a, a + d] (smoothstep); 1 forever after.
inline float ramp(float t, float a, float d) { return d <= 0.f ? (t >= a ? 1.f : 0.f) : smooth((t - a) / d); }
// 0 -> 1 -> 0 over [a, b] with ramps of length d at both ends.
inline float window(float t, float a, float b, float d) { return ramp(t, a, d) * (1.f - ramp(t, b - d, d)); }
inline float wrap_pi(float a) {  // into (-pi, pi]
  a = std::fmod(a + kPi, kTwoPi);
  if (a < 0.f) a += kTwoPi;
  return a - kPi;
}
// a -> b along the shorter arc.
inline float lerp_angle(float a, float b, float w) { return a + wrap_pi(b - a) * w; }
// A shoulder angle in the arm's own range [-1.9, 2 pi - 1.9): from well behind the back, forward,
// through overhead and on to behind the head. Arms never pass the cut (up behind the back), so plain
// interpolation between two arm angles in this range never flips to the other way round, as the
// shorter arc does between an arm swung back and one raised overhead.
inline float arm_angle(float a) {
  constexpr float lo = -1.9f;
  a = std::fmod(a - lo, kTwoPi);
  if (a < 0.f) a += kTwoPi;
  return a + lo;
}
inline float lerp_arm(float a, float b, float w) { return lerp(arm_angle(a), arm_angle(b), w); }

// Bone lengths and widths of one actor (units).
struct Body {
  float thigh = 0.59f, shin = 0.61f;
  float lower_torso = 0.42f, upper_torso = 0.38f, head = 0.24f;
  float upper_arm = 0.464f, forearm = 0.442f;
  float hip_half = 0.14f, shoulder_half = 0.3f, shoulder_drop = 0.08f;
  float leg() const { return thigh + shin; }
  float arm() const { return upper_arm + forearm; }
  float standing_height() const { return leg() + lower_torso + upper_torso + 2.f * head; }
};
Body make_body(const BodyShape& shape);

// A pose in the actor's frame. Angles are radians. Directions are measured from straight down,
// positive towards forward: d(a) = (sin a, -cos a).
struct LocalPose {
  float px = 0.f, py = 1.17f;  // pelvis: forward offset from the travel anchor; height above ground
  float lean = 0.f;   // lower torso from vertical, + forward
  float bend = 0.f;   // upper torso relative to lower, + forward
  float nod = 0.f;    // head relative to upper torso, + forward (chin down)
  float twist = 0.f;  // upper-body yaw relative to the pelvis (shoulder width, arm projection)
  float hip_width = 1.f;  // multiplies the hips' lateral offset (feet together for pivots)
  float shrug[2] = {0.f, 0.f};  // shoulder raise along the torso (units)
  float sh[2] = {0.f, 0.f};     // shoulder flexion from "hanging along the torso", + forward/up
  float el[2] = {0.15f, 0.15f}; // elbow flexion (forearm rotates forward), >= 0
  float hip[2] = {0.f, 0.f};    // thigh from straight down, + forward
  float knee[2] = {0.08f, 0.08f};  // knee flexion (shin rotates backward), >= 0
  uint8_t foot[2] = {1, 1};     // ankle planted (pinned in the world while set)
  uint8_t hand[2] = {0, 0};     // HandMode
  float hand_w[2] = {0.f, 0.f}; // weight of the hand target (0..1)
};

enum HandMode : uint8_t {
  kHandFree = 0,
  kHandPin = 1,       // pinned in the world (crawling, climbing)
  kHandClap = 2,      // meets the actor's other hand
  kHandPartner = 3,   // meets the partner's hand (handshake, high five)
  kHandPartnerBody = 4,  // rests on the partner's back/chest (hug, push, pull)
};

// Weighted blend of two poses (angles by shortest arc where they can wrap); contacts from the
// heavier pose.
LocalPose blend(const LocalPose& a, const LocalPose& b, float w);

// World joints (v3 order) of a pose at travel anchor x, facing yaw psi, upper-body extra yaw.
using Joints = std::array<Vec2, v3::kJointCount>;
void forward_kinematics(const Body& b, const LocalPose& p, float anchor_x, float psi, Joints& out,
                        bool widths = true);
// Same pose in the local frame (psi = 0, anchor 0, no width): for generators that aim hands/feet.
inline void local_fk(const Body& b, const LocalPose& p, Joints& out) { forward_kinematics(b, p, 0.f, 0.f, out, false); }

// Two-bone IK in the local frame. Legs: hip (px, py) to an ankle target, knee forward; the target
// is pulled within reach. Arms: shoulder to a wrist target with the elbow bending forward/up.
// Angles follow LocalPose conventions (leg angles are absolute, arm angles relative to the torso).
void leg_ik(const Body& b, Vec2 hip, Vec2 ankle, float& hip_angle, float& knee);
void arm_ik(const Body& b, float torso_angle, Vec2 shoulder, Vec2 wrist, float& sh, float& el);
// Lowers py until both feet reach their targets, then solves both legs.
void plant_feet(const Body& b, LocalPose& p, Vec2 left, Vec2 right);
// The pelvis height at which a leg with the given angles has its ankle on the ground.
float leg_height(const Body& b, float hip, float knee);

// World-space two-bone IK: returns the middle joint for root->target with lengths a, b,
// choosing the bend side closer to `hint`; target is moved within reach if needed.
Vec2 solve_two_bone(Vec2 root, Vec2& target, float a, float b, Vec2 hint);
// Both middle-joint solutions (target moved within reach as above).
void two_bone_solutions(Vec2 root, Vec2& target, float a, float b, Vec2& m1, Vec2& m2);
// IK of one limb over consecutive frames (target moved within reach): the middle joint (knee, elbow)
// keeps the side it bent to in the previous frame; when the generator's limb (hint = its middle joint,
// hint_end = its end) bends the other way for a while, it switches at the frame where the two solutions are closest, so it crosses
// over as the limb straightens instead of popping (a knee seen from the front, mid-turn). Never into
// the ground when the other side is not.
void solve_limb(std::span<const Vec2> root, std::span<Vec2> target, std::span<const Vec2> hint,
                std::span<const Vec2> hint_end, float a, float b, float straight, std::span<Vec2> mid);

// Deterministic random numbers (splitmix64): identical on every platform.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform() { return static_cast<float>(next() >> 40) * (1.f / 16777216.f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  bool chance(float p) { return uniform() < p; }
};

}  // namespace stickgen::synth
