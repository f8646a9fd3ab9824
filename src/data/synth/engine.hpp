// Internals of the procedural engine shared by its source files: the per-actor travel track
// (phase 1), the per-segment motion generators (phase 2) and interaction schedules.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "data/synth/rig.hpp"
#include "stickgen/plan.hpp"

namespace stickgen::synth {

// Where the body is when a motion starts or ends; a motion that needs to start standing after one
// that ended on the ground is preceded by a get-up.
enum class Posture : uint8_t { standing, crouching, kneeling, sitting, lying, prone, all_fours, horizontal };

// Phase 1 output, one value per frame.
struct ActorTrack {
  std::vector<float> x;    // travel anchor (world x)
  std::vector<float> psi;  // facing yaw (0 = +x, pi = -x), continuous
  std::vector<float> v;    // local forward speed (units/s, negative = backwards)
  std::vector<float> X;    // local travel distance, integral of v
};

// A paired interaction (handshake, hug, high five, fight, push, pull) between two actors.
struct Interaction {
  int action = 0;
  int a = -1, b = -1;           // actors (b = -1: performed towards nobody)
  float meet_x = 0.f;           // world x of the meeting point
  float gap = 1.f;              // root-to-root distance at contact
  float contact = -1.f;         // absolute seconds when the hands meet (< 0: never)
  float arrive[2] = {-1.f, -1.f};  // when each actor reached its spot
};

// Everything a generator knows about its segment.
struct SegmentCtx {
  const Body* body = nullptr;
  const ActorStyle* style = nullptr;
  const ActorTrack* track = nullptr;
  int actor = 0;
  int action = 0;
  float start = 0.f, end = 0.f;  // absolute seconds
  float fps = 25.f;
  float tempo = 1.f;       // segment tempo x style tempo x mood
  float amp = 1.f;         // intensity x style amplitude x mood
  Expression mood = Expression::neutral;
  Direction direction = Direction::none;
  int dom = R;             // dominant hand
  int repeats = 0;
  Posture from = Posture::standing;
  const Interaction* inter = nullptr;  // for paired actions
  // Catching in time with a partner's throws: the ball arrives at sync_offset + n * sync_period
  // (absolute seconds); sync_period 0 = own rhythm.
  float sync_period = 0.f, sync_offset = 0.f;
  float blend_in = 0.f;    // seconds the previous motion takes to blend out (the travel may still move)
  uint64_t seed = 0;
  float duration() const { return end - start; }
};

class Motion {
 public:
  virtual ~Motion() = default;
  // Pose at absolute frame k; t = seconds since the segment start (may run past its end while the
  // next segment blends in).
  virtual void eval(int k, float t, LocalPose& p) = 0;
  virtual Posture end_posture() const { return Posture::standing; }
};

// The generator of one segment over frames [k0, k1).
std::unique_ptr<Motion> make_motion(const SegmentCtx& ctx, int k0, int k1);
// The posture a motion leaves the body in, given where it started.
Posture end_posture(int action, Posture from);
// true when the action starts from standing (anything else gets up first).
bool needs_standing(int action);
// Upper-body actions that can be layered on another ("walks while waving").
bool overlay_action(int action);
// Seconds crawling takes to get down onto all fours from standing (no quicker than ~1 s).
inline float crawl_entry_seconds(float tempo) { return std::max(0.95f, 1.1f / std::sqrt(tempo)); }
// Whether a fall (of this segment seed) goes forwards onto the front instead of backwards.
bool fall_forward(uint64_t seed);

// Travel rule of an action: base local speed at tempo 1 and whether it oscillates around zero
// (footwork that goes nowhere: fight, dance, dodge).
float base_speed(int action);
bool oscillating_travel(int action);
// Root-to-root distance partners keep for a paired action (scaled by body size).
float interaction_gap(int action);
bool paired_action(int action);

// Helpers for generators.
LocalPose standing_pose(const Body& b);
void apply_mood(LocalPose& p, const SegmentCtx& c, float t);

}  // namespace stickgen::synth
