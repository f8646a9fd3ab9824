// check_synth_clip: the validator with strict limits plus checks of our own (foot slip, ground
// penetration, hands that must meet). Used by the tests and `stickgen synth-check`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "stickgen/synth.hpp"

namespace stickgen {
namespace {

std::string fmt(const char* f, double a, double b = 0.0, double c = 0.0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

float point_segment(Vec2 p, Vec2 a, Vec2 b) {
  const Vec2 ab = b - a, ap = p - a;
  const float l2 = ab.x * ab.x + ab.y * ab.y;
  const float u = l2 > 0.f ? std::clamp((ap.x * ab.x + ap.y * ab.y) / l2, 0.f, 1.f) : 0.f;
  return (a + ab * u - p).norm();
}

struct Names {
  int neck, root, l_ankle, r_ankle, l_wrist, r_wrist;
};

}  // namespace

SynthCheck check_synth_clip(const Clip& clip, const SynthCheckLimits& lim) {
  SynthCheck r;
  const bool v3f = clip.format == SkeletonFormat::v3;
  ValidationLimits vl = lim.validation;
  if (!v3f) vl.bone_tolerance = std::max(vl.bone_tolerance, 0.15f);  // v1 limbs span knees/elbows
  r.report = validate(clip, vl);
  for (const auto& i : r.report.issues) r.failures.push_back(i.code + ": " + i.message);
  if (!r.report.issues.empty() && r.report.issues.front().code == "shape") return r;
  if (v3f) r.max_bone_drift = r.report.max_bone_drift;
  {
    // Every v1 segment (torso, legs hip->foot, arms neck->hand) against its clip mean: SPEC §7's
    // +-15 % rule. The limbs span a knee or elbow, so bending changes them legitimately.
    const Clip v1 = to_v1(clip);
    for (int a = 0; a < v1.actors; ++a)
      for (int i = 0; i < v1::kSegmentCount; ++i) {
        double sum = 0.0;
        int n = 0;
        auto len = [&](int t) {
          const float* p = v1.pose(t, a);
          return std::hypot(p[4 * i + 2] - p[4 * i + 0], p[4 * i + 3] - p[4 * i + 1]);
        };
        for (int t = 0; t < v1.frames; ++t)
          if (v1.present(t, a)) sum += len(t), ++n;
        if (n == 0 || sum <= 0.0) continue;
        const double mean = sum / n;
        for (int t = 0; t < v1.frames; ++t)
          if (v1.present(t, a)) r.v1_limb_drift = std::max(r.v1_limb_drift, static_cast<float>(std::fabs(len(t) / mean - 1.0)));
      }
  }

  const auto& s = clip.skeleton();
  const Names n = v3f ? Names{v3::neck, v3::pelvis_center, v3::l_ankle, v3::r_ankle, v3::l_wrist, v3::r_wrist}
                      : Names{v1::neck, v1::hip, v1::l_foot, v1::r_foot, v1::l_hand, v1::r_hand};
  const int T = clip.frames, A = clip.actors, J = s.joint_count();
  std::vector<Vec2> joints(static_cast<size_t>(T) * A * J);
  auto at = [&](int t, int a, int j) -> Vec2& { return joints[(static_cast<size_t>(t) * A + a) * J + j]; };
  for (int t = 0; t < T; ++t)
    for (int a = 0; a < A; ++a) segments_to_joints(s, clip.pose(t, a), &at(t, a, 0));

  r.min_joint_y = 0.f;
  bool first = true;
  for (int a = 0; a < A; ++a) {
    // Body height from the longest limbs seen (a crouched or lying frame would understate it).
    float leg = 0.f, trunk = 0.f;
    for (int t = 0; t < T; ++t) {
      if (!clip.present(t, a)) continue;
      leg = std::max(leg, (at(t, a, n.root) - at(t, a, n.l_ankle)).norm());
      trunk = std::max(trunk, (at(t, a, n.neck) - at(t, a, n.root)).norm());
      for (int j = 0; j < J; ++j) {
        const float y = at(t, a, j).y;
        if (first || y < r.min_joint_y) r.min_joint_y = y, first = false;
      }
    }
    const float height = leg + trunk * 1.6f;
    if (height <= 0.f) continue;
    // Planted-foot slip.
    for (int foot : {n.l_ankle, n.r_ankle}) {
      int run = 0;
      double path = 0.0;
      auto close = [&] {
        if (run >= 2) {
          const float slip = static_cast<float>(path / (run / clip.fps) / height);
          r.max_foot_slip = std::max(r.max_foot_slip, slip);
        }
        run = 0, path = 0.0;
      };
      for (int t = 1; t < T; ++t) {
        if (!clip.present(t, a) || !clip.present(t - 1, a)) {
          close();
          continue;
        }
        const Vec2 p0 = at(t - 1, a, foot), p1 = at(t, a, foot);
        const float dx = std::fabs(p1.x - p0.x);
        // Planted: on the ground (below 2 cm) and nearly still; a foot setting down or lifting off
        // moves fast vertically and is not planted. The slip measured is horizontal.
        const bool planted = p0.y < 0.03f && p1.y < 0.03f && (p1 - p0).norm() * clip.fps < 0.25f * height;
        if (planted) {
          ++run, path += dx;
        } else {
          close();
        }
      }
      close();
    }
  }
  if (r.min_joint_y < -lim.ground_tolerance)
    r.failures.push_back(fmt("ground: a joint goes %.3f units below the ground (limit %.3f)", -r.min_joint_y,
                             lim.ground_tolerance));
  if (r.max_foot_slip > lim.max_foot_slip)
    r.failures.push_back(fmt("foot_slip: a planted foot slides %.2f%% of body height per second (limit %.2f%%)",
                             100.0 * r.max_foot_slip, 100.0 * lim.max_foot_slip));

  // Hands that must meet: claps, handshakes, high fives (wrist to wrist), hugs (wrist to the
  // partner's torso). Only judged when the action lasts long enough to reach contact.
  const int need = static_cast<int>(std::lround(1.5f * clip.fps));
  const int wr[2] = {n.l_wrist, n.r_wrist};
  for (int a = 0; a < A; ++a) {
    int clap_frames = 0;
    float clap_gap = 1e9f;
    for (int t = 0; t < T; ++t) {
      if (!clip.present(t, a) || clip.action(t, a) != act::clap) continue;
      ++clap_frames;
      clap_gap = std::min(clap_gap, (at(t, a, wr[0]) - at(t, a, wr[1])).norm());
    }
    if (clap_frames >= need) r.max_hand_gap = std::max(r.max_hand_gap, clap_gap);
    for (int b = 0; b < A; ++b) {
      if (b == a) continue;
      for (int action : {act::handshake, act::high_five, act::hug}) {
        if (action != act::hug && b < a) continue;
        int frames = 0;
        float gap = 1e9f;
        for (int t = 0; t < T; ++t) {
          if (!clip.present(t, a) || !clip.present(t, b) || clip.action(t, a) != action || clip.action(t, b) != action)
            continue;
          ++frames;
          if (action == act::hug) {
            for (int h : wr) gap = std::min(gap, point_segment(at(t, a, h), at(t, b, n.neck), at(t, b, n.root)));
          } else {
            for (int h : wr)
              for (int h2 : wr) gap = std::min(gap, (at(t, a, h) - at(t, b, h2)).norm());
          }
        }
        if (frames >= 2 * need) r.max_hand_gap = std::max(r.max_hand_gap, gap);
      }
    }
  }
  if (r.max_hand_gap > lim.max_hand_gap)
    r.failures.push_back(fmt("hands: hands that should meet stay %.3f units apart (limit %.3f)", r.max_hand_gap,
                             lim.max_hand_gap));
  return r;
}

}  // namespace stickgen
