// Clips: construction, shape checks, physics features, resampling, slicing, v3 -> v1, and
// reconciliation of network output into one consistent skeleton.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "stickgen/motion.hpp"

namespace stickgen {

Clip Clip::make(SkeletonFormat format, int frames, int actors, float fps) {
  if (frames < 0 || actors < 0) throw Error("clip: frames and actors must be non-negative");
  if (!(fps > 0.f)) throw Error("clip: fps must be positive");
  Clip c;
  c.format = format;
  c.frames = frames;
  c.actors = actors;
  c.fps = fps;
  const auto& s = schema(format);
  const auto rest = rest_pose_joints(format);
  std::vector<float> pose(s.dims);
  joints_to_segments(s, rest.data(), pose.data());
  c.motion.resize(static_cast<size_t>(frames) * actors * s.dims);
  for (size_t k = 0; k < static_cast<size_t>(frames) * actors; ++k)
    std::copy(pose.begin(), pose.end(), c.motion.begin() + k * s.dims);
  c.actor_mask.assign(static_cast<size_t>(frames) * actors, 1);
  c.actions.assign(static_cast<size_t>(frames) * actors, kNoAction);
  return c;
}

void Clip::check_shapes() const {
  const size_t slots = static_cast<size_t>(frames) * actors;
  auto need = [&](bool ok, const char* field, size_t expected, size_t got) {
    if (!ok)
      throw Error(std::string("clip ") + (id.empty() ? "" : "'" + id + "' ") + field + ": expected " +
                  std::to_string(expected) + " values, got " + std::to_string(got));
  };
  if (frames < 0 || actors < 0) throw Error("clip: negative frame or actor count");
  if (!(fps > 0.f) || !std::isfinite(fps)) throw Error("clip: fps must be a positive number");
  need(motion.size() == slots * dims(), "motion", slots * dims(), motion.size());
  need(actor_mask.size() == slots, "actor_mask", slots, actor_mask.size());
  need(actions.size() == slots, "actions", slots, actions.size());
  need(physics.empty() || physics.size() == slots * kPhysicsDims, "physics", slots * kPhysicsDims, physics.size());
  need(camera.empty() || camera.size() == static_cast<size_t>(frames) * 3, "camera", static_cast<size_t>(frames) * 3,
       camera.size());
}

Vec2 root_position(const SkeletonSchema& s, const float* flat) {
  Vec2 sum;
  int n = 0;
  for (int i = 0; i < s.segment_count(); ++i) {
    if (s.segments[i].from == s.root) sum += Vec2{flat[4 * i + 0], flat[4 * i + 1]}, ++n;
    if (s.segments[i].to == s.root) sum += Vec2{flat[4 * i + 2], flat[4 * i + 3]}, ++n;
  }
  return n ? sum * (1.f / static_cast<float>(n)) : Vec2{};
}

namespace {

// Fills undefined entries of a per-frame series from the nearest defined entry (earlier ones
// win ties); all zeros when nothing is defined.
void fill_from_nearest(std::vector<Vec2>& values, const std::vector<uint8_t>& defined) {
  const int n = static_cast<int>(values.size());
  int last = -1;
  std::vector<int> nearest(n, -1);
  for (int t = 0; t < n; ++t) {
    if (defined[t]) last = t;
    nearest[t] = last;
  }
  int next = -1;
  for (int t = n - 1; t >= 0; --t) {
    if (defined[t]) next = t;
    const int prev = nearest[t];
    int pick = prev;
    if (prev < 0 || (next >= 0 && next - t < t - prev)) pick = next;
    nearest[t] = pick;
  }
  for (int t = 0; t < n; ++t) values[t] = nearest[t] >= 0 ? values[nearest[t]] : Vec2{};
}

}  // namespace

void compute_physics(Clip& clip) {
  clip.check_shapes();
  const auto& s = clip.skeleton();
  const int T = clip.frames;
  clip.physics.assign(static_cast<size_t>(T) * clip.actors * kPhysicsDims, 0.f);
  std::vector<Vec2> pos(T), vel(T), acc(T);
  std::vector<uint8_t> has_v(T), has_a(T);
  for (int a = 0; a < clip.actors; ++a) {
    for (int t = 0; t < T; ++t) pos[t] = root_position(s, clip.pose(t, a));
    for (int t = 0; t < T; ++t) {
      has_v[t] = t > 0 && clip.present(t, a) && clip.present(t - 1, a);
      vel[t] = has_v[t] ? (pos[t] - pos[t - 1]) * clip.fps : Vec2{};
    }
    for (int t = 0; t < T; ++t) {
      has_a[t] = t > 0 && has_v[t] && has_v[t - 1];
      acc[t] = has_a[t] ? (vel[t] - vel[t - 1]) * clip.fps : Vec2{};
    }
    fill_from_nearest(vel, has_v);
    fill_from_nearest(acc, has_a);
    for (int t = 0; t < T; ++t) {
      float* p = clip.physics_at(t, a);
      p[0] = vel[t].x, p[1] = vel[t].y, p[2] = acc[t].x, p[3] = acc[t].y, p[4] = vel[t].x, p[5] = vel[t].y;
    }
  }
}

Clip resample(const Clip& clip, float target_fps) {
  clip.check_shapes();
  if (!(target_fps > 0.f)) throw Error("resample: target fps must be positive");
  const auto& s = clip.skeleton();
  Clip out = clip;
  out.fps = target_fps;
  const int T = clip.frames;
  const int n = T == 0 ? 0 : static_cast<int>(std::floor((T - 1) * target_fps / clip.fps + 1e-4)) + 1;
  out.frames = n;
  out.motion.assign(static_cast<size_t>(n) * clip.actors * s.dims, 0.f);
  out.actor_mask.assign(static_cast<size_t>(n) * clip.actors, 0);
  out.actions.assign(static_cast<size_t>(n) * clip.actors, kNoAction);
  out.physics.clear();
  if (!clip.camera.empty()) out.camera.assign(static_cast<size_t>(n) * 3, 0.f);
  std::array<Vec2, v3::kJointCount> ja, jb, jm;
  for (int i = 0; i < n; ++i) {
    const double src = static_cast<double>(i) * clip.fps / target_fps;
    const int t0 = std::min(static_cast<int>(std::floor(src)), T - 1);
    const int t1 = std::min(t0 + 1, T - 1);
    const float w = static_cast<float>(src - t0);
    const int nearest = w < 0.5f ? t0 : t1;
    for (int a = 0; a < clip.actors; ++a) {
      const bool both = clip.present(t0, a) && clip.present(t1, a);
      out.actor_mask[out.slot(i, a)] = clip.actor_mask[clip.slot(nearest, a)];
      out.actions[out.slot(i, a)] = clip.actions[clip.slot(nearest, a)];
      if (both) {
        segments_to_joints(s, clip.pose(t0, a), ja.data());
        segments_to_joints(s, clip.pose(t1, a), jb.data());
        for (int j = 0; j < s.joint_count(); ++j) jm[j] = ja[j] * (1.f - w) + jb[j] * w;
        joints_to_segments(s, jm.data(), out.pose(i, a));
      } else {
        std::copy_n(clip.pose(nearest, a), s.dims, out.pose(i, a));
      }
    }
    if (!clip.camera.empty())
      for (int k = 0; k < 3; ++k)
        out.camera[3 * i + k] = clip.camera[3 * t0 + k] * (1.f - w) + clip.camera[3 * t1 + k] * w;
  }
  compute_physics(out);
  return out;
}

Clip slice_frames(const Clip& clip, int begin, int end) {
  clip.check_shapes();
  if (begin < 0 || end > clip.frames || begin > end)
    throw Error("slice: frames [" + std::to_string(begin) + ", " + std::to_string(end) + ") are outside [0, " +
                std::to_string(clip.frames) + ")");
  Clip out = clip;
  out.frames = end - begin;
  const size_t slots = static_cast<size_t>(clip.actors);
  auto cut = [&](auto& dst, const auto& src, size_t per_slot) {
    dst.assign(src.begin() + begin * slots * per_slot, src.begin() + end * slots * per_slot);
  };
  cut(out.motion, clip.motion, clip.dims());
  cut(out.actor_mask, clip.actor_mask, 1);
  cut(out.actions, clip.actions, 1);
  out.physics.clear();
  if (!clip.camera.empty()) out.camera.assign(clip.camera.begin() + 3 * begin, clip.camera.begin() + 3 * end);
  compute_physics(out);
  return out;
}

Clip to_v1(const Clip& clip) {
  if (clip.format == SkeletonFormat::v1) return clip;
  clip.check_shapes();
  Clip out = clip;
  out.format = SkeletonFormat::v1;
  const auto& s3 = schema(SkeletonFormat::v3);
  const auto& s1 = schema(SkeletonFormat::v1);
  out.motion.assign(static_cast<size_t>(clip.frames) * clip.actors * s1.dims, 0.f);
  std::array<Vec2, v3::kJointCount> j3;
  std::array<Vec2, v1::kJointCount> j1;
  for (int t = 0; t < clip.frames; ++t)
    for (int a = 0; a < clip.actors; ++a) {
      segments_to_joints(s3, clip.pose(t, a), j3.data());
      v3_joints_to_v1(j3.data(), j1.data());
      joints_to_segments(s1, j1.data(), out.pose(t, a));
    }
  compute_physics(out);
  return out;
}

void reconcile_pose(const SkeletonSchema& s, float* flat, const float* lengths) {
  std::array<Vec2, v3::kJointCount> joints;
  segments_to_joints(s, flat, joints.data());
  const bool v3 = s.format == SkeletonFormat::v3;
  if (v3) joints[v3::pelvis_center] = (joints[v3::l_hip] + joints[v3::r_hip]) * 0.5f;
  if (lengths) {
    const auto tree = bones(s.format);
    // Walk from the root, moving each child (and, through later bones, its subtree) so that the
    // bone has its target length along its current direction.
    std::array<Vec2, v3::kJointCount> original = joints;
    for (size_t b = 0; b < tree.size(); ++b) {
      const Bone& bone = tree[b];
      Vec2 dir = original[bone.child] - original[bone.parent];
      float len = dir.norm();
      if (len < 1e-6f) {
        dir = {0.f, bone.child == s.root ? 1.f : -1.f};
        len = 1.f;
      }
      float target = lengths[b];
      if (bone.spans_hinge) target = std::clamp(len, kMinHingeFraction * lengths[b], lengths[b]);
      joints[bone.child] = joints[bone.parent] + dir * (target / len);
    }
    if (v3) {  // keep the pelvis centred between the hips: re-place both hips symmetrically
      Vec2 across = joints[v3::r_hip] - joints[v3::l_hip];
      const float half = 0.5f * (lengths[3] + lengths[4]);
      float n = across.norm();
      if (n < 1e-6f) across = {1.f, 0.f}, n = 1.f;
      const Vec2 off = across * (0.5f / n);
      const Vec2 l_new = joints[v3::pelvis_center] - off * (2.f * half);
      const Vec2 r_new = joints[v3::pelvis_center] + off * (2.f * half);
      const Vec2 dl = l_new - joints[v3::l_hip], dr = r_new - joints[v3::r_hip];
      for (int j : {v3::l_hip, v3::l_knee, v3::l_ankle}) joints[j] += dl;
      for (int j : {v3::r_hip, v3::r_knee, v3::r_ankle}) joints[j] += dr;
    }
  }
  joints_to_segments(s, joints.data(), flat);
}

void reconcile(Clip& clip) {
  clip.check_shapes();
  const auto& s = clip.skeleton();
  const auto tree = bones(clip.format);
  std::array<Vec2, v3::kJointCount> joints;
  for (int a = 0; a < clip.actors; ++a) {
    std::vector<std::vector<float>> per_bone(tree.size());
    for (int t = 0; t < clip.frames; ++t) {
      if (!clip.present(t, a)) continue;
      segments_to_joints(s, clip.pose(t, a), joints.data());
      if (clip.format == SkeletonFormat::v3) joints[v3::pelvis_center] = (joints[v3::l_hip] + joints[v3::r_hip]) * 0.5f;
      for (size_t b = 0; b < tree.size(); ++b)
        per_bone[b].push_back((joints[tree[b].child] - joints[tree[b].parent]).norm());
    }
    if (per_bone[0].empty()) continue;
    std::vector<float> median(tree.size());
    for (size_t b = 0; b < tree.size(); ++b) {
      auto& v = per_bone[b];
      const size_t k = tree[b].spans_hinge ? std::min(v.size() - 1, v.size() * 98 / 100) : v.size() / 2;
      std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
      median[b] = v[k];
    }
    if (clip.format == SkeletonFormat::v3) median[3] = median[4] = 0.5f * (median[3] + median[4]);
    for (int t = 0; t < clip.frames; ++t)
      if (clip.present(t, a)) reconcile_pose(s, clip.pose(t, a), median.data());
  }
  compute_physics(clip);
}

}  // namespace stickgen
