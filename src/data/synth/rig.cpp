// Planar rig: body proportions, pose blending, forward kinematics with facing, two-bone IK.
#include "data/synth/rig.hpp"

#include <algorithm>
#include <vector>

namespace stickgen::synth {

Body make_body(const BodyShape& shape) {
  Body b;
  const float s = shape.scale;
  b.thigh *= s * shape.legs;
  b.shin *= s * shape.legs;
  b.lower_torso *= s * shape.torso;
  b.upper_torso *= s * shape.torso;
  b.head *= s * shape.head;
  b.upper_arm *= s * shape.arms;
  b.forearm *= s * shape.arms;
  b.hip_half *= s;
  b.shoulder_half *= s;
  b.shoulder_drop *= s;
  return b;
}

LocalPose blend(const LocalPose& a, const LocalPose& b, float w) {
  if (w <= 0.f) return a;
  if (w >= 1.f) return b;
  LocalPose o;
  o.px = lerp(a.px, b.px, w);
  o.py = lerp(a.py, b.py, w);
  o.lean = lerp_angle(a.lean, b.lean, w);
  o.bend = lerp_angle(a.bend, b.bend, w);
  o.nod = lerp_angle(a.nod, b.nod, w);
  o.twist = lerp(a.twist, b.twist, w);
  o.hip_width = lerp(a.hip_width, b.hip_width, w);
  for (int s = 0; s < 2; ++s) {
    o.shrug[s] = lerp(a.shrug[s], b.shrug[s], w);
    o.sh[s] = lerp_arm(a.sh[s], b.sh[s], w);
    o.el[s] = lerp(a.el[s], b.el[s], w);
    o.hip[s] = lerp_angle(a.hip[s], b.hip[s], w);
    o.knee[s] = lerp(a.knee[s], b.knee[s], w);
    // Planted through a blend only if planted in both poses: a foot that one of them has in the
    // air moves freely until the blend is over (then it is pinned where it came down).
    o.foot[s] = a.foot[s] && b.foot[s];
    // A hand target fades with its pose's weight, so a contact ends smoothly.
    const float wa = a.hand[s] ? a.hand_w[s] * (1.f - w) : 0.f, wb = b.hand[s] ? b.hand_w[s] * w : 0.f;
    o.hand[s] = wb >= wa ? (b.hand[s] ? b.hand[s] : a.hand[s]) : a.hand[s];
    if (a.hand[s] && b.hand[s] && a.hand[s] != b.hand[s]) {
      // Two different contacts (a hug's hands on a back, a bat's grip): one lets go as the other takes
      // hold, passing through no contact at all where their weights cross, so the target never jumps.
      o.hand_w[s] = std::fabs(wb - wa);
    } else {
      o.hand_w[s] = (o.hand[s] == a.hand[s] ? wa : 0.f) + (o.hand[s] == b.hand[s] ? wb : 0.f);
    }
  }
  return o;
}

namespace {
// Local direction (f, u) seen under yaw with cosine c, length kept.
inline Vec2 project(float c, float f, float u, float len) {
  if (c == 1.f) return {f * len, u * len};
  if (c == -1.f) return {-f * len, u * len};
  const float x = c * f;
  const float n2 = x * x + u * u;
  if (n2 < 1e-12f) return {0.f, -len};
  const float k = len / std::sqrt(n2);
  return {x * k, u * k};
}
}  // namespace

void forward_kinematics(const Body& b, const LocalPose& p, float anchor_x, float psi, Joints& j, bool widths) {
  using namespace v3;
  const float c = std::cos(psi);
  const float cu = p.twist == 0.f ? c : std::cos(psi + p.twist);
  const float ch = p.twist == 0.f ? c : std::cos(psi + 1.3f * p.twist);
  // Lateral offsets of the body's left side (right is the mirror): the true projection -sin(psi)
  // of a yaw turned ~20 degrees towards the viewer, so a side view reads three-quarter (left at
  // -x whichever way the actor faces) and a full spin swaps the sides as it passes the back.
  auto lateral = [](float yaw) { return std::sin(yaw + 0.36f * std::cos(yaw)); };
  const float k = !widths ? 0.f : lateral(psi) * p.hip_width;
  const float ku = !widths ? 0.f : lateral(psi + p.twist);

  const Vec2 pelvis{anchor_x + c * p.px, p.py};
  j[pelvis_center] = pelvis;
  j[l_hip] = pelvis + Vec2{-b.hip_half * k, 0.f};
  j[r_hip] = pelvis + Vec2{b.hip_half * k, 0.f};

  const float a1 = p.lean, a2 = p.lean + p.bend, a3 = a2 + p.nod;
  const float s1 = std::sin(a1), c1 = std::cos(a1), s2 = std::sin(a2), c2 = std::cos(a2);
  j[chest] = pelvis + project(c, s1, c1, b.lower_torso);
  const Vec2 up = project(cu, s2, c2, 1.f);
  j[neck] = j[chest] + up * b.upper_torso;
  j[head_center] = j[neck] + project(ch, std::sin(a3), std::cos(a3), b.head);

  for (int s = 0; s < 2; ++s) {
    const float side = s == L ? -1.f : 1.f;
    const Vec2 shoulder = j[neck] - up * (b.shoulder_drop - p.shrug[s]) + Vec2{side * b.shoulder_half * ku, 0.f};
    const float au = -a2 + p.sh[s], af = au + p.el[s];
    const Vec2 elbow = shoulder + project(cu, std::sin(au), -std::cos(au), b.upper_arm);
    const Vec2 wrist = elbow + project(cu, std::sin(af), -std::cos(af), b.forearm);
    const float at = p.hip[s], as = p.hip[s] - p.knee[s];
    const Vec2 hip = s == L ? j[l_hip] : j[r_hip];
    const Vec2 kn = hip + project(c, std::sin(at), -std::cos(at), b.thigh);
    const Vec2 an = kn + project(c, std::sin(as), -std::cos(as), b.shin);
    if (s == L) {
      j[l_shoulder] = shoulder, j[l_elbow] = elbow, j[l_wrist] = wrist, j[l_knee] = kn, j[l_ankle] = an;
    } else {
      j[r_shoulder] = shoulder, j[r_elbow] = elbow, j[r_wrist] = wrist, j[r_knee] = kn, j[r_ankle] = an;
    }
  }
}

namespace {
// Interior angle at the middle joint and the root's offset angle for a two-bone chain.
struct Chain {
  float d, beta, phi, flex;
};
Chain chain(Vec2 root, Vec2 target, float a, float b) {
  Vec2 dv = target - root;
  float d = dv.norm();
  const float lo = std::fabs(a - b) + 1e-3f, hi = 0.999f * (a + b);
  const float beta = d > 1e-6f ? std::atan2(dv.x, -dv.y) : 0.f;
  d = std::clamp(d, lo, hi);
  const float cphi = std::clamp((a * a + d * d - b * b) / (2.f * a * d), -1.f, 1.f);
  const float cgam = std::clamp((a * a + b * b - d * d) / (2.f * a * b), -1.f, 1.f);
  return {d, beta, std::acos(cphi), kPi - std::acos(cgam)};
}
}  // namespace

void leg_ik(const Body& b, Vec2 hip, Vec2 ankle, float& hip_angle, float& knee) {
  const Chain ch = chain(hip, ankle, b.thigh, b.shin);
  hip_angle = ch.beta + ch.phi;
  knee = ch.flex;
}

void arm_ik(const Body& b, float torso_angle, Vec2 shoulder, Vec2 wrist, float& sh, float& el) {
  const Chain ch = chain(shoulder, wrist, b.upper_arm, b.forearm);
  sh = arm_angle(ch.beta - ch.phi + torso_angle);
  el = ch.flex;
}

float leg_height(const Body& b, float hip, float knee) {
  return b.thigh * std::cos(hip) + b.shin * std::cos(hip - knee);
}

void plant_feet(const Body& b, LocalPose& p, Vec2 left, Vec2 right) {
  const float reach = 0.995f * b.leg();
  for (Vec2 f : {left, right}) {
    const float dx = f.x - p.px;
    const float top = std::fabs(dx) < reach ? f.y + std::sqrt(reach * reach - dx * dx) : f.y;
    p.py = std::min(p.py, top);
  }
  leg_ik(b, {p.px, p.py}, left, p.hip[L], p.knee[L]);
  leg_ik(b, {p.px, p.py}, right, p.hip[R], p.knee[R]);
}

void two_bone_solutions(Vec2 root, Vec2& target, float a, float b, Vec2& m1, Vec2& m2) {
  Vec2 dv = target - root;
  float d = dv.norm();
  const float hi = 0.999f * (a + b), lo = std::fabs(a - b) + 1e-3f;
  if (d < 1e-6f) dv = {0.f, -1.f}, d = 1.f, target = root + Vec2{0.f, -lo};
  const Vec2 u = dv * (1.f / d);
  if (d > hi) d = hi, target = root + u * d;
  if (d < lo) d = lo, target = root + u * d;
  const float cphi = std::clamp((a * a + d * d - b * b) / (2.f * a * d), -1.f, 1.f);
  const float sphi = std::sqrt(std::max(0.f, 1.f - cphi * cphi));
  const Vec2 n{-u.y, u.x};
  m1 = root + (u * cphi + n * sphi) * a, m2 = root + (u * cphi - n * sphi) * a;
}

Vec2 solve_two_bone(Vec2 root, Vec2& target, float a, float b, Vec2 hint) {
  Vec2 m1, m2;
  two_bone_solutions(root, target, a, b, m1, m2);
  // The bend nearer the generator's intent, unless that one would push the joint into the ground.
  const bool under1 = m1.y < 0.f && m1.y < m2.y, under2 = m2.y < 0.f && m2.y < m1.y;
  if (under1 != under2) return under1 ? m2 : m1;
  return (m1 - hint).norm() <= (m2 - hint).norm() ? m1 : m2;
}

void solve_limb(std::span<const Vec2> root, std::span<Vec2> target, std::span<const Vec2> hint,
                std::span<const Vec2> hint_end, float a, float b, float straight, std::span<Vec2> mid) {
  const int n = static_cast<int>(root.size());
  std::vector<Vec2> m0(n), m1(n);
  std::vector<uint8_t> want(n);
  std::vector<float> gap(n);
  auto cross = [](Vec2 u, Vec2 v) { return u.x * v.y - u.y * v.x; };
  for (int k = 0; k < n; ++k) {
    two_bone_solutions(root[k], target[k], a, b, m0[k], m1[k]);
    gap[k] = (m0[k] - m1[k]).norm();
    // The generator's bend direction: which side of the root -> end line its middle joint lies on.
    // A (nearly) straight generator limb says nothing: keep the previous frame's wish.
    const Vec2 fe = hint_end[k] - root[k], fm = hint[k] - root[k];
    const float c = cross(fe, fm) / std::max(1e-6f, fe.norm() * fm.norm());
    if (std::fabs(c) > 0.05f) {
      want[k] = (cross(target[k] - root[k], m0[k] - root[k]) > 0.f) == (c > 0.f) ? 0 : 1;
    } else if (k > 0) {
      want[k] = want[k - 1];
    } else {
      want[k] = (m0[k] - hint[k]).norm() <= (m1[k] - hint[k]).norm() ? 0 : 1;
    }
  }
  // Keep the bend of the previous frame. When the generator asks for the other one (for more than a
  // few frames, or while the limb is straight anyway), switch where the two solutions are closest
  // within the next second, so the joint crosses over as the limb straightens rather than popping.
  // The generator's wish flips a little after its limb passed the crossing (its bend is ambiguous near
  // it), so the search also looks a few frames back, to the last switch at the earliest.
  constexpr int kLook = 25, kBack = 8, kMinRun = 6;
  int side = n > 0 ? want[0] : 0, last_switch = 0;
  for (int k = 0; k < n;) {
    if (want[k] == side) {
      mid[k] = side ? m1[k] : m0[k];
      ++k;
      continue;
    }
    int e = k;
    while (e + 1 < n && want[e + 1] != side) ++e;
    int best = k;
    for (int q = std::max(last_switch, k - kBack); q <= std::min(e, k + kLook - 1); ++q)
      if (gap[q] < gap[best]) best = q;
    const bool switch_now = gap[best] < straight || e - k + 1 >= kMinRun;
    if (!switch_now) {
      for (int q = k; q <= e; ++q) mid[q] = side ? m1[q] : m0[q];
      k = e + 1;
      continue;
    }
    for (int q = k; q < best; ++q) mid[q] = side ? m1[q] : m0[q];
    side = 1 - side;
    for (int q = best; q < k; ++q) mid[q] = side ? m1[q] : m0[q];  // switched a little earlier
    last_switch = best + 1;
    k = std::max(k, best);
  }
  // Never into the ground. A middle joint that would dip under it (a knee going down to kneel) swings
  // the whole limb up about the root just enough, end included; only if that would put the end under
  // the ground does it take the other bend.
  for (int k = 0; k < n; ++k) {
    if (mid[k].y >= 0.f) continue;
    const Vec2 r = mid[k] - root[k];
    if (root[k].y > 0.f && root[k].y < a) {
      const float alpha = std::atan2(r.y, r.x);
      const float lift = std::asin(std::clamp(-root[k].y / a, -1.f, 1.f));  // angle with the joint at y = 0
      const float c1 = lift, c2 = (lift >= 0.f ? kPi : -kPi) - lift;          // both such angles
      const float d1 = wrap_pi(c1 - alpha), d2 = wrap_pi(c2 - alpha);
      const float d = std::fabs(d1) <= std::fabs(d2) ? d1 : d2;
      const float cs = std::cos(d), sn = std::sin(d);
      auto rot = [&](Vec2 v) { return Vec2{v.x * cs - v.y * sn, v.x * sn + v.y * cs}; };
      const Vec2 end = root[k] + rot(target[k] - root[k]);
      if (end.y >= -0.004f) {
        mid[k] = root[k] + rot(r);
        mid[k].y = std::max(mid[k].y, 0.f);
        target[k] = end;
        continue;
      }
    }
    const Vec2 other = (mid[k] - m0[k]).norm() < 1e-7f ? m1[k] : m0[k];
    if (mid[k].y < -0.004f && other.y > mid[k].y) mid[k] = other;
  }
}

}  // namespace stickgen::synth
