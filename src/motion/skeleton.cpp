// Skeleton schemas v1/v3 (SPEC §3), joints <-> flat segments, rest poses, bone trees.
#include <algorithm>
#include <array>
#include <limits>

#include "stickgen/motion.hpp"

namespace stickgen {
namespace {

constexpr std::array<std::string_view, v1::kJointCount> kV1Joints{"neck", "hip", "l_foot", "r_foot", "l_hand", "r_hand"};
constexpr std::array<Segment, v1::kSegmentCount> kV1Segments{{
    {"torso", v1::neck, v1::hip},
    {"l_leg", v1::hip, v1::l_foot},
    {"r_leg", v1::hip, v1::r_foot},
    {"l_arm", v1::neck, v1::l_hand},
    {"r_arm", v1::neck, v1::r_hand},
}};
constexpr std::array<int, v1::kJointCount> kV1Mirror{v1::neck, v1::hip, v1::r_foot, v1::l_foot, v1::r_hand, v1::l_hand};
// v1 legs and arms span a knee/elbow, so only the torso has a fixed 2-D length.
constexpr std::array<bool, v1::kSegmentCount> kV1Rigid{true, false, false, false, false};

constexpr std::array<std::string_view, v3::kJointCount> kV3Joints{
    "head_center", "neck", "chest", "pelvis_center", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder",
    "r_elbow", "r_wrist", "l_hip", "l_knee", "l_ankle", "r_hip", "r_knee", "r_ankle"};
constexpr std::array<Segment, v3::kSegmentCount> kV3Segments{{
    {"head", v3::neck, v3::head_center},
    {"upper_torso", v3::neck, v3::chest},
    {"lower_torso", v3::chest, v3::pelvis_center},
    {"l_upper_arm", v3::l_shoulder, v3::l_elbow},
    {"l_forearm", v3::l_elbow, v3::l_wrist},
    {"r_upper_arm", v3::r_shoulder, v3::r_elbow},
    {"r_forearm", v3::r_elbow, v3::r_wrist},
    {"l_thigh", v3::l_hip, v3::l_knee},
    {"l_shin", v3::l_knee, v3::l_ankle},
    {"r_thigh", v3::r_hip, v3::r_knee},
    {"r_shin", v3::r_knee, v3::r_ankle},
    {"pelvis_width", v3::l_hip, v3::r_hip},
}};
constexpr std::array<int, v3::kJointCount> kV3Mirror{
    v3::head_center, v3::neck, v3::chest, v3::pelvis_center, v3::r_shoulder, v3::r_elbow, v3::r_wrist,
    v3::l_shoulder, v3::l_elbow, v3::l_wrist, v3::r_hip, v3::r_knee, v3::r_ankle, v3::l_hip, v3::l_knee, v3::l_ankle};
constexpr std::array<bool, v3::kSegmentCount> kV3Rigid{true, true, true, true, true, true,
                                                        true, true, true, true, true, false};

// Bone trees for reconciliation, parents before children, starting at the root. v3 shoulders are
// not connected to the torso in the data, so each arm chain starts at its shoulder.
constexpr std::array<Bone, 5> kV1Bones{{{v1::hip, v1::neck},
                                         {v1::hip, v1::l_foot, true},
                                         {v1::hip, v1::r_foot, true},
                                         {v1::neck, v1::l_hand, true},
                                         {v1::neck, v1::r_hand, true}}};
constexpr std::array<Bone, 13> kV3Bones{{
    {v3::pelvis_center, v3::chest}, {v3::chest, v3::neck}, {v3::neck, v3::head_center},
    {v3::pelvis_center, v3::l_hip}, {v3::pelvis_center, v3::r_hip},
    {v3::l_hip, v3::l_knee}, {v3::l_knee, v3::l_ankle}, {v3::r_hip, v3::r_knee}, {v3::r_knee, v3::r_ankle},
    {v3::l_shoulder, v3::l_elbow}, {v3::l_elbow, v3::l_wrist}, {v3::r_shoulder, v3::r_elbow}, {v3::r_elbow, v3::r_wrist}}};

const SkeletonSchema kV1{SkeletonFormat::v1, "stick_figure_5_segment", 20, v1::hip, kV1Joints, kV1Segments, kV1Mirror, kV1Rigid};
const SkeletonSchema kV3{SkeletonFormat::v3, "stick_figure_12_segment_v3", 48, v3::pelvis_center, kV3Joints, kV3Segments, kV3Mirror, kV3Rigid};

}  // namespace

const SkeletonSchema& schema(SkeletonFormat format) { return format == SkeletonFormat::v3 ? kV3 : kV1; }

std::optional<SkeletonFormat> format_from_dims(int dims) {
  if (dims == 20) return SkeletonFormat::v1;
  if (dims == 48) return SkeletonFormat::v3;
  return std::nullopt;
}

std::optional<SkeletonFormat> format_from_type_name(std::string_view type_name) {
  if (type_name == kV1.type_name) return SkeletonFormat::v1;
  if (type_name == kV3.type_name) return SkeletonFormat::v3;
  return std::nullopt;
}

std::string_view format_name(SkeletonFormat format) { return format == SkeletonFormat::v3 ? "v3" : "v1"; }

std::optional<SkeletonFormat> parse_format(std::string_view name) {
  if (name == "v1" || name == "20") return SkeletonFormat::v1;
  if (name == "v3" || name == "48") return SkeletonFormat::v3;
  return std::nullopt;
}

void joints_to_segments(const SkeletonSchema& s, const Vec2* joints, float* flat) {
  for (int i = 0; i < s.segment_count(); ++i) {
    const Segment& seg = s.segments[i];
    flat[4 * i + 0] = joints[seg.from].x;
    flat[4 * i + 1] = joints[seg.from].y;
    flat[4 * i + 2] = joints[seg.to].x;
    flat[4 * i + 3] = joints[seg.to].y;
  }
}

void segments_to_joints(const SkeletonSchema& s, const float* flat, Vec2* joints) {
  std::array<int, v3::kJointCount> count{};
  for (int j = 0; j < s.joint_count(); ++j) joints[j] = {};
  for (int i = 0; i < s.segment_count(); ++i) {
    const Segment& seg = s.segments[i];
    joints[seg.from] += Vec2{flat[4 * i + 0], flat[4 * i + 1]};
    joints[seg.to] += Vec2{flat[4 * i + 2], flat[4 * i + 3]};
    ++count[seg.from];
    ++count[seg.to];
  }
  for (int j = 0; j < s.joint_count(); ++j)
    if (count[j] > 1) joints[j] = joints[j] * (1.f / static_cast<float>(count[j]));
}

float connectivity_error(const SkeletonSchema& s, const float* flat) {
  std::array<Vec2, v3::kJointCount> joints;
  segments_to_joints(s, flat, joints.data());
  float worst = 0.f;
  for (int i = 0; i < s.segment_count(); ++i) {
    const Segment& seg = s.segments[i];
    worst = std::max(worst, (Vec2{flat[4 * i + 0], flat[4 * i + 1]} - joints[seg.from]).norm());
    worst = std::max(worst, (Vec2{flat[4 * i + 2], flat[4 * i + 3]} - joints[seg.to]).norm());
  }
  return 2.f * worst;  // distance between two disagreeing endpoints is twice their distance to the mean
}

void v3_joints_to_v1(const Vec2* j3, Vec2* j1) {
  j1[v1::neck] = j3[v3::neck];
  j1[v1::hip] = j3[v3::pelvis_center];
  j1[v1::l_foot] = j3[v3::l_ankle];
  j1[v1::r_foot] = j3[v3::r_ankle];
  j1[v1::l_hand] = j3[v3::l_wrist];
  j1[v1::r_hand] = j3[v3::r_wrist];
}

std::vector<Vec2> rest_pose_joints(SkeletonFormat format) {
  // Proportions of a ~1.8 m adult at 0.68 m per unit: legs 1.2, torso 0.8, arms ~1.0.
  std::vector<Vec2> j3(v3::kJointCount);
  j3[v3::pelvis_center] = {0.f, 1.2f};
  j3[v3::chest] = {0.f, 1.62f};
  j3[v3::neck] = {0.f, 2.0f};
  j3[v3::head_center] = {0.f, 2.24f};
  j3[v3::l_shoulder] = {-0.3f, 1.92f};
  j3[v3::l_elbow] = {-0.36f, 1.46f};
  j3[v3::l_wrist] = {-0.4f, 1.02f};
  j3[v3::r_shoulder] = {0.3f, 1.92f};
  j3[v3::r_elbow] = {0.36f, 1.46f};
  j3[v3::r_wrist] = {0.4f, 1.02f};
  j3[v3::l_hip] = {-0.14f, 1.2f};
  j3[v3::l_knee] = {-0.15f, 0.61f};
  j3[v3::l_ankle] = {-0.16f, 0.f};
  j3[v3::r_hip] = {0.14f, 1.2f};
  j3[v3::r_knee] = {0.15f, 0.61f};
  j3[v3::r_ankle] = {0.16f, 0.f};
  if (format == SkeletonFormat::v3) return j3;
  std::vector<Vec2> j1(v1::kJointCount);
  v3_joints_to_v1(j3.data(), j1.data());
  return j1;
}

Circle head_circle(const SkeletonSchema& s, const Vec2* joints) {
  if (s.format == SkeletonFormat::v1) {
    const Vec2 up = joints[v1::neck] - joints[v1::hip];
    return {joints[v1::neck] + up * 0.5f, 0.3f * up.norm()};
  }
  return {joints[v3::head_center], (joints[v3::head_center] - joints[v3::neck]).norm()};
}

float body_height(const SkeletonSchema& s, const Vec2* joints) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (int j = 0; j < s.joint_count(); ++j) {
    lo = std::min(lo, joints[j].y);
    hi = std::max(hi, joints[j].y);
  }
  const Circle head = head_circle(s, joints);
  hi = std::max(hi, head.center.y + head.radius);
  lo = std::min(lo, head.center.y - head.radius);
  return hi - lo;
}

std::span<const Bone> bones(SkeletonFormat format) {
  if (format == SkeletonFormat::v3) return kV3Bones;
  return kV1Bones;
}

std::vector<float> bone_lengths(const SkeletonSchema& s, const Vec2* joints) {
  auto tree = bones(s.format);
  std::vector<float> out(tree.size());
  for (size_t b = 0; b < tree.size(); ++b) out[b] = (joints[tree[b].child] - joints[tree[b].parent]).norm();
  return out;
}

namespace {
// Per joint of a schema, its side times the rig's lateral offset at scale 1 (shoulder half width 0.3
// for arm joints, hip half width 0.14 for leg joints, times the projection sin(0.36) of the rig's
// three-quarter view, synth/rig.cpp; the left side at -x); 0 on the midline.
std::vector<float> lateral_offsets(const SkeletonSchema& s) {
  constexpr float kShoulder = 0.3f * 0.35227f, kHip = 0.14f * 0.35227f;
  std::vector<float> lateral(s.joint_count(), 0.f);
  for (int j = 0; j < s.joint_count(); ++j) {
    const std::string_view name = s.joint_names[j];
    if (name.size() < 2 || name[1] != '_' || (name[0] != 'l' && name[0] != 'r')) continue;
    const bool arm = name.find("shoulder") != name.npos || name.find("elbow") != name.npos ||
                     name.find("wrist") != name.npos || name.find("hand") != name.npos;
    lateral[j] = (name[0] == 'l' ? -1.f : 1.f) * (arm ? kShoulder : kHip);
  }
  return lateral;
}
}  // namespace

void turn_around(const SkeletonSchema& s, float* flat, float root_x) {
  constexpr float kTorso = 0.80f;  // the rig's neck-to-pelvis length at scale 1
  static const std::vector<float> lateral_v1 = lateral_offsets(schema(SkeletonFormat::v1));
  static const std::vector<float> lateral_v3 = lateral_offsets(schema(SkeletonFormat::v3));
  const bool v1 = s.format == SkeletonFormat::v1;
  const std::vector<float>& lateral = v1 ? lateral_v1 : lateral_v3;
  std::array<Vec2, v3::kJointCount> joints;
  segments_to_joints(s, flat, joints.data());
  const Vec2 top = joints[v1 ? static_cast<int>(v1::neck) : static_cast<int>(v3::neck)], bottom = joints[s.root];
  const float scale = (top - bottom).norm() / kTorso;
  for (int g = 0; g < s.segment_count(); ++g) {
    const int ends[2] = {s.segments[g].from, s.segments[g].to};
    for (int e = 0; e < 2; ++e) {
      float& x = flat[4 * g + 2 * e];
      x = root_x + 2.f * lateral[ends[e]] * scale - (x - root_x);
    }
  }
}

void turn_around_mirrored(const SkeletonSchema& s, float* flat, float about) {
  const float root = root_position(s, flat).x;
  turn_around(s, flat, root);
  for (int d = 0; d < s.dims; d += 2) flat[d] += 2.f * (about - root);
}

}  // namespace stickgen
