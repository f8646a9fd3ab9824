// Motion core: skeleton schemas (v1 20-d, v3 48-d), clips, physics features, resampling,
// reconciliation of network output into one consistent skeleton, and validation.
// Axes: +x right, +y up; the left side of the body is at -x in the rest pose. Units as SPEC §4
// (1 unit ~ 0.68 m); time in real seconds.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stickgen/common.hpp"

namespace stickgen {

struct Vec2 {
  float x = 0.f, y = 0.f;
  Vec2 operator+(Vec2 o) const { return {x + o.x, y + o.y}; }
  Vec2 operator-(Vec2 o) const { return {x - o.x, y - o.y}; }
  Vec2 operator*(float s) const { return {x * s, y * s}; }
  Vec2& operator+=(Vec2 o) { x += o.x; y += o.y; return *this; }
  float norm() const { return std::sqrt(x * x + y * y); }
};

// ---------------------------------------------------------------- skeleton schemas

enum class SkeletonFormat : int { v1 = 20, v3 = 48 };  // the value is the number of floats per pose

namespace v1 {  // 5 segments x (x1, y1, x2, y2)
enum Joint : int { neck, hip, l_foot, r_foot, l_hand, r_hand, kJointCount };
enum Seg : int { torso, l_leg, r_leg, l_arm, r_arm, kSegmentCount };
}  // namespace v1

namespace v3 {  // 12 segments x (x1, y1, x2, y2)
enum Joint : int {
  head_center, neck, chest, pelvis_center,
  l_shoulder, l_elbow, l_wrist, r_shoulder, r_elbow, r_wrist,
  l_hip, l_knee, l_ankle, r_hip, r_knee, r_ankle, kJointCount
};
enum Seg : int {
  head, upper_torso, lower_torso, l_upper_arm, l_forearm, r_upper_arm, r_forearm,
  l_thigh, l_shin, r_thigh, r_shin, pelvis_width, kSegmentCount
};
}  // namespace v3

struct Segment {
  std::string_view name;
  int from;  // joint index
  int to;    // joint index
};

struct SkeletonSchema {
  SkeletonFormat format;
  std::string_view type_name;  // the .motion "skeleton.type"
  int dims;                    // floats per pose (20 or 48)
  int root;                    // joint whose trajectory defines physics (hip / pelvis_center)
  std::span<const std::string_view> joint_names;
  std::span<const Segment> segments;
  std::span<const int> mirror;  // joint -> its left/right counterpart (itself on the midline)
  // false for segments whose 2-D length legitimately changes: v3 pelvis_width foreshortens as the
  // body turns; v1 legs/arms span a knee/elbow. The validator checks drift only on rigid segments
  // (and skips the degeneracy check for pelvis_width, which vanishes in a side view).
  std::span<const bool> rigid;
  int joint_count() const { return static_cast<int>(joint_names.size()); }
  int segment_count() const { return static_cast<int>(segments.size()); }
};

const SkeletonSchema& schema(SkeletonFormat format);
std::optional<SkeletonFormat> format_from_dims(int dims);
std::optional<SkeletonFormat> format_from_type_name(std::string_view type_name);
std::string_view format_name(SkeletonFormat format);  // "v1" / "v3"
std::optional<SkeletonFormat> parse_format(std::string_view name);  // "v1"/"v3"/"20"/"48"

// joints [joint_count] -> flat segments [dims]
void joints_to_segments(const SkeletonSchema& s, const Vec2* joints, float* flat);
// flat segments -> joints; a joint named by several segment endpoints gets their mean.
void segments_to_joints(const SkeletonSchema& s, const float* flat, Vec2* joints);
// Largest distance between two endpoints that name the same joint (0 for a consistent pose).
float connectivity_error(const SkeletonSchema& s, const float* flat);
// v3 joints -> v1 joints (torso neck->pelvis_center, legs pelvis->ankles, arms neck->wrists).
void v3_joints_to_v1(const Vec2* v3_joints, Vec2* v1_joints);

// The same pose facing the other way, drawn as the procedural rig draws a figure facing -x instead of
// +x (or back): every offset from the root along the facing direction is negated, while the
// three-quarter view's lateral offsets stay where they are (the rig draws the left shoulder and hip
// at -x whichever way a figure faces: shoulders at -/+0.106 and hips at -/+0.049 times the body's
// scale, taken from the torso, 0.80 units at scale 1). Applying it twice gives the pose back. For a
// side-view clip of the procedural engine it maps facing +x onto facing -x (tested).
void turn_around(const SkeletonSchema& s, float* flat, float root_x);
// The pose as seen in the world mirrored about x = about: turned around its own root (turn_around),
// and that root reflected about `about`. Applying it twice gives the pose back.
void turn_around_mirrored(const SkeletonSchema& s, float* flat, float about);

// Rest pose facing the viewer, hip/pelvis at (0, leg length), feet on y = 0; body height ~2.6 units.
std::vector<Vec2> rest_pose_joints(SkeletonFormat format);
// The drawn head: v1 centre neck + 0.5(neck - hip), radius 0.3|neck - hip| (the reference's
// convention); v3 centre head_center, radius |head_center - neck| (the circle rests on the neck).
struct Circle {
  Vec2 center;
  float radius = 0.f;
};
Circle head_circle(const SkeletonSchema& s, const Vec2* joints);
// Body height of a pose: top of the (drawn) head to the lowest foot, used to express errors in
// body-height units.
float body_height(const SkeletonSchema& s, const Vec2* joints);

// ---------------------------------------------------------------- clips

constexpr int kPhysicsDims = 6;  // vx, vy, ax, ay, mx, my of the root (unit mass)
constexpr float kDefaultFps = 25.f;
constexpr int16_t kNoAction = -1;

struct Clip {
  SkeletonFormat format = SkeletonFormat::v1;
  int frames = 0;
  int actors = 0;
  float fps = kDefaultFps;
  std::vector<float> motion;        // [frames, actors, dims] flat segments
  std::vector<uint8_t> actor_mask;  // [frames, actors]; 1 = the actor is present in that frame
  std::vector<int16_t> actions;     // [frames, actors]; action id or kNoAction
  std::vector<float> physics;       // [frames, actors, 6]; empty until compute_physics()
  std::vector<float> camera;        // [frames, 3] (x, y, zoom) or empty
  std::string id, description, source;
  std::map<std::string, std::string> metadata;

  // A clip of `frames` x `actors` rest poses, every actor present, no actions.
  static Clip make(SkeletonFormat format, int frames, int actors, float fps = kDefaultFps);

  int dims() const { return static_cast<int>(format); }
  const SkeletonSchema& skeleton() const { return schema(format); }
  float duration() const { return fps > 0 ? frames / fps : 0.f; }
  size_t slot(int t, int a) const { return static_cast<size_t>(t) * actors + a; }
  float* pose(int t, int a) { return motion.data() + slot(t, a) * dims(); }
  const float* pose(int t, int a) const { return motion.data() + slot(t, a) * dims(); }
  bool present(int t, int a) const { return actor_mask[slot(t, a)] != 0; }
  int16_t action(int t, int a) const { return actions[slot(t, a)]; }
  float* physics_at(int t, int a) { return physics.data() + slot(t, a) * kPhysicsDims; }
  const float* physics_at(int t, int a) const { return physics.data() + slot(t, a) * kPhysicsDims; }
  // Throws Error naming the first field whose size disagrees with frames/actors/dims.
  void check_shapes() const;
};

// Root position (hip for v1, pelvis_center for v3; mean of its segment endpoints).
Vec2 root_position(const SkeletonSchema& s, const float* flat);

// Physics features, defined once: root velocity by backward differences in real seconds
// v[t] = (p[t] - p[t-1]) * fps, acceleration a[t] = (v[t] - v[t-1]) * fps, momentum = velocity
// (unit mass). Frame 0 copies frame 1 (and a[1] copies a[2]) so no spike appears at the start.
// Frames where an actor is absent (or just re-appeared) get the neighbouring present values.
void compute_physics(Clip& clip);

// Resample by time with linear interpolation of joints (segments are rebuilt from joints, so
// connectivity is kept); actions and masks take the nearest source frame; physics is recomputed.
Clip resample(const Clip& clip, float target_fps);
// Frames [begin, end) of a clip, physics recomputed.
Clip slice_frames(const Clip& clip, int begin, int end);
// v3 -> v1 (a v1 clip is returned unchanged); physics recomputed.
Clip to_v1(const Clip& clip);

// ---------------------------------------------------------------- reconciliation

// Bone lengths of one pose in the schema's bone tree (see bones()).
struct Bone {
  int parent;  // joint
  int child;   // joint
  // v1 legs (hip->foot) and arms (neck->hand) span a knee/elbow: their length changes legitimately
  // as the limb bends, so reconciliation only bounds it (never longer than the straight limb).
  bool spans_hinge = false;
};
std::span<const Bone> bones(SkeletonFormat format);  // parent-before-child order from the root

// Makes one frame of network output a consistent skeleton: endpoints that name the same joint
// are averaged; if `lengths` (one per bone) is given every bone is set to that length along its
// current direction, walking from the root — bones that span a hinge are only clamped into
// [kMinHingeFraction, 1] x length; v3 pelvis_center is put at the hips' midpoint.
constexpr float kMinHingeFraction = 0.3f;
void reconcile_pose(const SkeletonSchema& s, float* flat, const float* lengths = nullptr);
// Reconciles every frame of every actor with per-actor reference lengths (the median of each
// rigid bone, the 98th percentile of each hinge-spanning one), so rigid bones become constant;
// physics is recomputed.
void reconcile(Clip& clip);
// Bone lengths of one pose (size bones(format).size()).
std::vector<float> bone_lengths(const SkeletonSchema& s, const Vec2* joints);

// ---------------------------------------------------------------- validation

struct ValidationLimits {
  float max_speed = 20.f;            // root units/s (SPEC §7)
  float max_accel = 100.f;           // root units/s^2
  float bone_tolerance = 0.15f;      // every bone within +-15 % of its clip mean
  float connectivity_tolerance = 0.02f;  // endpoint disagreement, units
  float min_bone_length = 0.02f;     // shorter is a degenerate limb (units)
  float min_joint_angle_deg = 5.f;   // v3 elbows and knees ...
  float min_angle_fraction = 0.9f;   // ... in at least this fraction of frames
  float max_frozen_tail = 1.0f;      // seconds of bit-identical trailing poses allowed (<= 0: off)
};

struct ValidationIssue {
  // non_finite, shape, connectivity, bone_drift, speed, acceleration, degenerate_limb, frozen_tail
  std::string code;
  int frame = -1;    // first offending frame, or -1 for the whole clip
  int actor = -1;
  std::string message;  // one line
};

struct ValidationReport {
  std::vector<ValidationIssue> issues;
  float max_bone_drift = 0.f;   // largest |len/mean - 1| over bones, frames and actors
  float max_speed = 0.f;        // units/s
  float max_accel = 0.f;        // units/s^2
  float max_connectivity = 0.f; // units
  bool ok() const { return issues.empty(); }
  std::string summary() const;  // "ok" or "code: message; ..."
};

ValidationReport validate(const Clip& clip, const ValidationLimits& limits = {});

}  // namespace stickgen
