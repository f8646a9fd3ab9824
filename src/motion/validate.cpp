// The clip validator: returns reasons, never throws for bad data.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "stickgen/motion.hpp"

namespace stickgen {
namespace {

std::string fmt(const char* format, double a, double b = 0.0, double c = 0.0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

float angle_deg(Vec2 a, Vec2 b) {  // angle between two vectors, degrees in [0, 180]
  const float na = a.norm(), nb = b.norm();
  if (na < 1e-9f || nb < 1e-9f) return 0.f;
  const float c = std::clamp((a.x * b.x + a.y * b.y) / (na * nb), -1.f, 1.f);
  return std::acos(c) * 180.f / 3.14159265f;
}

}  // namespace

std::string ValidationReport::summary() const {
  if (issues.empty()) return "ok";
  std::string out;
  for (const auto& i : issues) {
    if (!out.empty()) out += "; ";
    out += i.code + ": " + i.message;
  }
  return out;
}

ValidationReport validate(const Clip& clip, const ValidationLimits& limits) {
  ValidationReport report;
  auto add = [&](std::string code, int frame, int actor, std::string message) {
    report.issues.push_back({std::move(code), frame, actor, std::move(message)});
  };
  try {
    clip.check_shapes();
  } catch (const Error& e) {
    add("shape", -1, -1, e.what());
    return report;
  }
  const auto& s = clip.skeleton();
  const int T = clip.frames, D = clip.dims();

  for (int t = 0; t < T; ++t)
    for (int a = 0; a < clip.actors; ++a) {
      const float* p = clip.pose(t, a);
      if (!std::all_of(p, p + D, [](float v) { return std::isfinite(v); })) {
        add("non_finite", t, a, "frame " + std::to_string(t) + " actor " + std::to_string(a) + " has a non-finite coordinate");
        return report;  // nothing below is meaningful with NaN/inf in the data
      }
    }

  std::array<Vec2, v3::kJointCount> joints;
  for (int a = 0; a < clip.actors; ++a) {
    int present = 0, first_bad_conn = -1;
    std::vector<double> seg_sum(s.segment_count(), 0.0);
    for (int t = 0; t < T; ++t) {
      if (!clip.present(t, a)) continue;
      ++present;
      const float* p = clip.pose(t, a);
      const float c = connectivity_error(s, p);
      report.max_connectivity = std::max(report.max_connectivity, c);
      if (c > limits.connectivity_tolerance && first_bad_conn < 0) first_bad_conn = t;
      for (int i = 0; i < s.segment_count(); ++i)
        seg_sum[i] += std::hypot(p[4 * i + 2] - p[4 * i + 0], p[4 * i + 3] - p[4 * i + 1]);
    }
    if (present == 0) continue;
    if (first_bad_conn >= 0)
      add("connectivity", first_bad_conn, a,
          fmt("segment endpoints of one joint disagree by up to %.3f units (limit %.3f)", report.max_connectivity,
              limits.connectivity_tolerance));

    // Bone lengths against the clip mean, and degenerate limbs.
    float worst_drift = 0.f;
    int worst_seg = -1, worst_frame = -1;
    for (int i = 0; i < s.segment_count(); ++i) {
      const bool may_vanish = !s.rigid[i] && clip.format == SkeletonFormat::v3;
      if (may_vanish) continue;
      const double mean = seg_sum[i] / present;
      if (mean < limits.min_bone_length) {
        add("degenerate_limb", -1, a,
            std::string(s.segments[i].name) + fmt(" has mean length %.4f units (minimum %.4f)", mean, limits.min_bone_length));
        continue;
      }
      if (!s.rigid[i]) continue;
      for (int t = 0; t < T; ++t) {
        if (!clip.present(t, a)) continue;
        const float* p = clip.pose(t, a);
        const float len = std::hypot(p[4 * i + 2] - p[4 * i + 0], p[4 * i + 3] - p[4 * i + 1]);
        const float drift = static_cast<float>(std::fabs(len / mean - 1.0));
        if (drift > worst_drift) worst_drift = drift, worst_seg = i, worst_frame = t;
      }
    }
    report.max_bone_drift = std::max(report.max_bone_drift, worst_drift);
    if (worst_drift > limits.bone_tolerance)
      add("bone_drift", worst_frame, a,
          std::string(s.segments[worst_seg].name) +
              fmt(" length deviates %.1f%% from its clip mean (limit %.1f%%)", 100.0 * worst_drift,
                  100.0 * limits.bone_tolerance));

    // v3 elbows and knees must not fold flat in most frames.
    if (clip.format == SkeletonFormat::v3) {
      struct Hinge { const char* name; int a, mid, b; };
      const Hinge hinges[] = {{"l_elbow", v3::l_shoulder, v3::l_elbow, v3::l_wrist},
                              {"r_elbow", v3::r_shoulder, v3::r_elbow, v3::r_wrist},
                              {"l_knee", v3::l_hip, v3::l_knee, v3::l_ankle},
                              {"r_knee", v3::r_hip, v3::r_knee, v3::r_ankle}};
      for (const auto& h : hinges) {
        int ok = 0;
        for (int t = 0; t < T; ++t) {
          if (!clip.present(t, a)) continue;
          segments_to_joints(s, clip.pose(t, a), joints.data());
          if (angle_deg(joints[h.a] - joints[h.mid], joints[h.b] - joints[h.mid]) >= limits.min_joint_angle_deg) ++ok;
        }
        if (ok < limits.min_angle_fraction * present)
          add("degenerate_limb", -1, a,
              std::string(h.name) + fmt(" is folded below %.0f degrees in %.0f%% of frames", limits.min_joint_angle_deg,
                                        100.0 * (present - ok) / present));
      }
    }

    // Frozen tail: bit-identical poses repeated at the end of the clip.
    if (limits.max_frozen_tail > 0.f && T > 1) {
      int t = T - 1;
      while (t > 0 && clip.present(t, a) && clip.present(t - 1, a) &&
             std::equal(clip.pose(t, a), clip.pose(t, a) + D, clip.pose(t - 1, a)))
        --t;
      const float frozen = (T - 1 - t) / clip.fps;
      if (frozen > limits.max_frozen_tail)
        add("frozen_tail", t + 1, a, fmt("the last %.2f s repeat one pose exactly (limit %.2f s)", frozen, limits.max_frozen_tail));
    }
  }

  // Root speed and acceleration from physics recomputed here (the stored physics may be stale).
  Clip copy = clip;
  compute_physics(copy);
  for (int a = 0; a < clip.actors; ++a) {
    int speed_frame = -1, accel_frame = -1;
    float top_speed = 0.f, top_accel = 0.f;
    for (int t = 0; t < T; ++t) {
      if (!clip.present(t, a)) continue;
      const float* p = copy.physics_at(t, a);
      const float v = std::hypot(p[0], p[1]), acc = std::hypot(p[2], p[3]);
      if (v > top_speed) top_speed = v, speed_frame = t;
      if (acc > top_accel) top_accel = acc, accel_frame = t;
    }
    report.max_speed = std::max(report.max_speed, top_speed);
    report.max_accel = std::max(report.max_accel, top_accel);
    if (top_speed > limits.max_speed)
      add("speed", speed_frame, a, fmt("root speed %.1f units/s exceeds %.1f", top_speed, limits.max_speed));
    if (top_accel > limits.max_accel)
      add("acceleration", accel_frame, a, fmt("root acceleration %.1f units/s^2 exceeds %.1f", top_accel, limits.max_accel));
  }
  return report;
}

}  // namespace stickgen
