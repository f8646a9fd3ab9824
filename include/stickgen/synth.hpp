// The procedural motion engine: a plan (actors, action timelines, modifiers) -> a clip, with no
// network. A planar kinematic rig (constant bone lengths by construction), one parametric motion
// per action, foot/hand locking, transitions, turning, interactions, and seeded variation. It is a
// named generation engine (`stickgen generate --engine procedural`) and the training-data source.
// How it works and every parameter range: docs/SYNTH.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stickgen/actions.hpp"
#include "stickgen/motion.hpp"
#include "stickgen/plan.hpp"

namespace stickgen {

// ---------------------------------------------------------------- variation

// Body proportions. Every factor multiplies the rest skeleton's bones (rest_pose_joints).
struct BodyShape {
  float scale = 1.f;  // overall size; adults [0.92, 1.08], child 0.62..0.72
  float legs = 1.f;   // thigh + shin        [0.95, 1.05]
  float torso = 1.f;  // lower + upper torso [0.95, 1.05]
  float arms = 1.f;   // upper arm + forearm [0.95, 1.05]
  float head = 1.f;   // head bone           [0.92, 1.08] (child 1.25)
};

// How one actor moves, whatever it does. Drawn from the seed unless given.
struct ActorStyle {
  BodyShape body;
  bool left_handed = false;  // one-handed actions use the left arm (~12 % of seeds)
  float tempo = 1.f;         // multiplies every segment's tempo          [0.9, 1.1]
  float amplitude = 1.f;     // multiplies every segment's motion size    [0.85, 1.15]
  float slouch = 0.f;        // habitual forward lean, radians            [-0.03, 0.08]
  float phase = 0.f;         // cycle phase offset (fraction)             [0, 1)
};

// A style drawn deterministically from (seed, actor); `kind` ("child", "robot", ...) adjusts it.
ActorStyle random_style(uint64_t seed, int actor, std::string_view kind = "person");

// ---------------------------------------------------------------- synthesis

struct SynthOptions {
  SkeletonFormat format = SkeletonFormat::v3;
  float fps = kDefaultFps;
  uint64_t seed = 0;
  // Per-actor styles; actors beyond the vector's size (or all, when empty) draw theirs from the seed.
  std::vector<ActorStyle> styles;
  bool vary = true;  // false: every actor gets the default style (canonical motion)
};

// Plan -> clip: frames = round(duration * fps), one slot per plan actor (all present), per-frame
// action ids, physics (compute_physics), description = plan.prompt. Deterministic for a seed.
// Throws Error for an unusable plan (no actors, action id outside [0, 64), fps <= 0).
Clip synthesize(const Plan& plan, const SynthOptions& opts = {});

// ---------------------------------------------------------------- per-action facts for the data engine

struct ParamRange {
  float lo = 1.f, hi = 1.f;
};

enum class ActionFamily : int { stand, gesture, locomotion, ballistic, posture, ground, sport, fight, interaction };
std::string_view family_name(ActionFamily f);

// What a data generator may vary for an action while keeping it recognisable and valid.
struct ActionParams {
  int action = 0;
  ActionFamily family = ActionFamily::stand;
  std::string_view group;      // contact-sheet group: locomotion, gestures, sports, fighting, postures, interactions, ours
  ParamRange tempo;            // ActionSegment.tempo
  ParamRange intensity;        // ActionSegment.intensity
  ParamRange seconds;          // sensible segment durations
  float cycle_seconds = 0.f;   // one repetition at tempo 1 (0 = not cyclic)
  bool travels = false;        // root moves (travel_speed > 0)
  bool needs_partner = false;  // interaction: synthesize with a partner doing the same action
  float partner_gap = 0.f;     // paired actions: root distance the pair performs it at (units, body scale 1); else 0
  bool directional = false;    // honours left/right/toward/away/around
  bool ends_on_ground = false; // leaves the actor sitting/kneeling/lying (the next action gets up first)
};
const ActionParams& action_params(int action);  // throws Error outside [0, 64)
// Contact-sheet groups in display order, and the actions of one group.
std::span<const std::string_view> action_groups();
std::vector<int> actions_in_group(std::string_view group);

// One action performed for `seconds` by one actor (two, facing each other, for interactions).
struct SingleAction {
  int action = 0;
  float seconds = 4.f;
  float tempo = 1.f;
  float intensity = 1.f;
  Direction direction = Direction::none;
  Expression expression = Expression::neutral;
  bool default_expression = true;  // use the action's own expression instead of `expression`
  int facing = 1;
};
Plan single_action_plan(const SingleAction& a);
// A varied performance of one action drawn from `seed` within action_params(action): tempo,
// intensity, duration, direction (when the action honours one), sometimes a mood other than its own.
SingleAction sample_single_action(int action, uint64_t seed);
Clip synthesize_action(const SingleAction& a, const SynthOptions& opts = {});

// A contact sheet: one row per action (name + evenly spaced frames of a canonical performance,
// interactions with their partner), drawn with the renderer; written atomically as PNG.
struct SheetOptions {
  int frames = 7;                         // frames per row
  int cell_width = 120, cell_height = 150;  // pixels
  float seconds = 4.f;
  uint64_t seed = 1;
};
void write_action_sheet(const std::vector<int>& actions, const std::filesystem::path& png, const SheetOptions& o = {});

// ---------------------------------------------------------------- checks (tests and `stickgen synth-check`)

struct SynthCheckLimits {
  ValidationLimits validation{.max_speed = 20.f, .max_accel = 100.f, .bone_tolerance = 0.01f};
  float max_foot_slip = 0.02f;     // planted-foot slip, body heights per second
  float ground_tolerance = 0.01f;  // units a joint may dip below y = 0
  float max_hand_gap = 0.12f;      // units between hands that must meet (interactions, clap)
};

struct SynthCheck {
  ValidationReport report;   // validate() with the strict limits
  float max_bone_drift = 0;  // rigid v3 bones (v1: not measured here, see v1_limb_drift)
  float v1_limb_drift = 0;   // v1 legs/arms/torso |len/mean - 1| (they span knees/elbows: SPEC §7's 15 %)
  float max_foot_slip = 0;   // body heights per second over planted runs
  float min_joint_y = 0;     // lowest joint (units)
  float max_hand_gap = 0;    // worst interaction/clap meeting distance (0 when none)
  std::vector<std::string> failures;  // one line each; empty = pass
  bool ok() const { return failures.empty(); }
};

// Foot slip: a planted run is >= 2 consecutive frame steps with the ankle below 0.03 units at
// both ends and moving (in any direction) slower than 0.25 body heights/s; its slip is the
// horizontal path length / duration, in body heights per second.
SynthCheck check_synth_clip(const Clip& clip, const SynthCheckLimits& limits = {});

}  // namespace stickgen
