// Motion helpers: keys, ground postures, reach targets, the standing base, mood.
#include "data/synth/motion_util.hpp"

#include <algorithm>

namespace stickgen::synth {

LocalPose sample_keys(const Body& b, const std::vector<Key>& keys, float t) {
  if (t <= keys.front().t) return keys.front().p;
  if (t >= keys.back().t) return keys.back().p;
  size_t i = 0;
  while (i + 1 < keys.size() && keys[i + 1].t <= t) ++i;
  const float d = keys[i + 1].t - keys[i].t;
  const float w = smooth(d > 0.f ? (t - keys[i].t) / d : 1.f);
  return blend_with_contacts(b, keys[i].p, keys[i + 1].p, w);
}

LocalPose blend_with_contacts(const Body& b, const LocalPose& pa, const LocalPose& pb, float w) {
  if (w <= 0.f) return pa;
  if (w >= 1.f) return pb;
  LocalPose p = blend(pa, pb, w);
  Joints ja, jb, jp;
  local_fk(b, pa, ja);
  local_fk(b, pb, jb);
  local_fk(b, p, jp);
  const float s = b.leg() / 1.2f;
  const int ankle[2] = {v3::l_ankle, v3::r_ankle};
  // Feet. Planted in both: stay put, or step (lifted, one foot after the other) when the poses put
  // it somewhere else. Landing: arrive above the spot, then set down. Lifting: up first.
  const float dl = (jb[ankle[L]] - ja[ankle[L]]).norm(), dr = (jb[ankle[R]] - ja[ankle[R]]).norm();
  const bool step[2] = {pa.foot[L] && pb.foot[L] && dl > 0.03f, pa.foot[R] && pb.foot[R] && dr > 0.03f};
  const int first = dl >= dr ? L : R;
  for (int side = 0; side < 2; ++side) {
    const Vec2 a = ja[ankle[side]], c = jb[ankle[side]], g = jp[ankle[side]];
    Vec2 target = g;
    if (pa.foot[side] && pb.foot[side]) {
      if (step[side]) {
        float w0 = 0.f, w1 = 1.f;
        if (step[1 - side]) (side == first ? w1 : w0) = side == first ? 0.55f : 0.45f;
        const float u = clamp01((w - w0) / (w1 - w0));
        target = a + (c - a) * smoother(u) + Vec2{0.f, 0.1f * s * std::sin(kPi * u)};
        p.foot[side] = u <= 0.f || u >= 1.f;
      } else {
        target = a + (c - a) * w;
        p.foot[side] = 1;
      }
    } else if (!pa.foot[side] && pb.foot[side]) {
      const float clear = lerp(a.y, c.y, w) + 0.1f * s * std::sin(kPi * w);
      target = {lerp(g.x, c.x, smooth((w - 0.4f) / 0.45f)), std::max(g.y, clear)};
      p.foot[side] = 0;
    } else if (pa.foot[side] && !pb.foot[side]) {
      const float clear = lerp(a.y, c.y, w) + 0.1f * s * std::sin(kPi * w);
      target = {lerp(a.x, g.x, smooth((w - 0.2f) / 0.5f)), std::max(g.y, clear)};
      p.foot[side] = 0;
    } else {
      // Free in both: follow the angles, but keep clear of the ground (a foot brushing it mid-move
      // would drag). Only near the ground: a foot swinging between two raised ends passes under the
      // line joining them (a kick's backswing), and lifting it onto that line would fold the leg.
      const float floor_y = std::min(lerp(a.y, c.y, w), 0.03f * s) + 0.05f * s * std::sin(kPi * w);
      if (g.y >= floor_y) continue;
      target = {g.x, floor_y};
    }
    // A foot that either pose plants and that is down on the ground is planted (so it cannot slide).
    if ((pa.foot[side] || pb.foot[side]) && target.y < 0.015f * s) p.foot[side] = 1;
    leg_ik(b, {p.px, p.py}, target, p.hip[side], p.knee[side]);
  }
  for (int side = 0; side < 2; ++side) {
    if (pa.hand[side] == kHandPin && pb.hand[side] == kHandPin) {
      const int wr = side == L ? v3::l_wrist : v3::r_wrist;
      const Vec2 target = ja[wr] + (jb[wr] - ja[wr]) * w;
      arm_ik(b, p.lean + p.bend, jp[side == L ? v3::l_shoulder : v3::r_shoulder], target, p.sh[side], p.el[side]);
    }
  }
  return p;
}

Joints local_joints(const Body& b, const LocalPose& p) {
  Joints j;
  local_fk(b, p, j);
  return j;
}

void reach(const Body& b, LocalPose& p, int side, Vec2 target) {
  const Joints j = local_joints(b, p);
  const Vec2 shoulder = j[side == L ? v3::l_shoulder : v3::r_shoulder];
  arm_ik(b, p.lean + p.bend, shoulder, target, p.sh[side], p.el[side]);
}

Vec2 mouth_point(const Body& b, const LocalPose& p) {
  const Joints j = local_joints(b, p);
  const Vec2 up = j[v3::head_center] - j[v3::neck];
  const Vec2 fwd{up.y, -up.x};
  return j[v3::head_center] + fwd * 0.85f - up * 0.35f;
}

Vec2 brow_point(const Body& b, const LocalPose& p) {
  const Joints j = local_joints(b, p);
  const Vec2 up = j[v3::head_center] - j[v3::neck];
  const Vec2 fwd{up.y, -up.x};
  return j[v3::head_center] + fwd * 0.9f + up * 0.3f;
}

LocalPose standing_pose(const Body& b) {
  LocalPose p;
  p.hip[L] = p.hip[R] = 0.f;
  p.knee[L] = p.knee[R] = 0.06f;
  p.py = leg_height(b, 0.f, 0.06f);
  p.sh[L] = p.sh[R] = 0.06f;
  p.el[L] = p.el[R] = 0.18f;
  return p;
}

LocalPose pose_stand_at(const Body& b, float lx, float rx) {
  LocalPose p = standing_pose(b);
  p.px = 0.5f * (lx + rx);
  p.py = 0.985f * b.leg();
  plant_feet(b, p, {lx, 0.f}, {rx, 0.f});
  return p;
}

LocalPose pose_crouch_at(const Body& b, float lx, float rx, float depth) {
  const float s = b.leg() / 1.2f;
  LocalPose p = standing_pose(b);
  p.px = 0.5f * (lx + rx) - 0.1f * s;
  p.py = depth * b.leg();
  plant_feet(b, p, {lx, 0.f}, {rx, 0.f});
  p.lean = 0.35f + 0.5f * (1.f - depth);
  p.nod = -0.5f * p.lean;
  const Joints j = local_joints(b, p);
  reach(b, p, L, j[v3::l_knee] + Vec2{0.12f * s, -0.02f * s});
  reach(b, p, R, j[v3::r_knee] + Vec2{0.14f * s, -0.05f * s});
  return p;
}

LocalPose pose_sit_at(const Body& b, float fx, int variant) {
  const float s = b.leg() / 1.2f;
  LocalPose p = standing_pose(b);
  p.px = fx - (variant == 2 ? 1.02f : 0.74f) * s;
  p.py = 0.06f * s;
  p.lean = variant == 1 ? -0.22f : -0.04f;
  p.nod = 0.08f;
  if (variant == 2) {  // legs stretched out
    p.hip[L] = p.hip[R] = kPi / 2 - 0.02f;
    p.knee[L] = p.knee[R] = 0.35f;
    leg_ik(b, {p.px, p.py}, {fx - 0.03f * s, 0.f}, p.hip[L], p.knee[L]);
    leg_ik(b, {p.px, p.py}, {fx + 0.03f * s, 0.f}, p.hip[R], p.knee[R]);
  } else {
    leg_ik(b, {p.px, p.py}, {fx - 0.03f * s, 0.f}, p.hip[L], p.knee[L]);
    leg_ik(b, {p.px, p.py}, {fx + 0.03f * s, 0.f}, p.hip[R], p.knee[R]);
  }
  const Joints j = local_joints(b, p);
  if (variant == 1) {  // leaning back on the hands
    reach(b, p, L, {p.px - 0.32f * s, 0.01f});
    reach(b, p, R, {p.px - 0.28f * s, 0.01f});
    p.hand[L] = p.hand[R] = kHandPin;
    p.hand_w[L] = p.hand_w[R] = 1.f;
  } else {
    reach(b, p, L, j[v3::l_knee] + Vec2{0.02f * s, 0.04f * s});
    reach(b, p, R, j[v3::r_knee] + Vec2{0.05f * s, 0.02f * s});
  }
  return p;
}

LocalPose pose_kneel_at(const Body& b, float fx, int front) {
  const float s = b.leg() / 1.2f;
  const int back = 1 - front;
  LocalPose p = standing_pose(b);
  p.px = fx - 0.44f * s;
  const float kx = p.px - 0.06f * s, ky = 0.015f;
  p.py = ky + std::sqrt(std::max(0.01f, b.thigh * b.thigh - (p.px - kx) * (p.px - kx)));
  leg_ik(b, {p.px, p.py}, {fx, 0.f}, p.hip[front], p.knee[front]);
  p.hip[back] = std::atan2(kx - p.px, p.py - ky);
  p.knee[back] = p.hip[back] + kPi / 2 + 0.06f;
  p.foot[back] = 0;
  p.lean = 0.03f;
  p.nod = 0.12f;
  const Joints j = local_joints(b, p);
  reach(b, p, front, j[front == L ? v3::l_knee : v3::r_knee] + Vec2{0.03f * s, 0.05f * s});
  return p;
}

LocalPose pose_kneel2_at(const Body& b, float kx) {
  LocalPose p = standing_pose(b);
  p.px = kx;
  p.py = b.thigh + 0.015f;
  p.hip[L] = p.hip[R] = 0.f;
  p.knee[L] = p.knee[R] = kPi / 2 + 0.06f;
  p.foot[L] = p.foot[R] = 0;
  p.lean = 0.1f;
  p.sh[L] = p.sh[R] = 0.25f;
  p.el[L] = p.el[R] = 0.5f;
  return p;
}

LocalPose pose_lie_back_at(const Body& b, float px, int variant) {
  const float s = b.leg() / 1.2f;
  LocalPose p = standing_pose(b);
  p.px = px;
  p.py = 0.07f * s;
  p.lean = -kPi / 2;
  p.nod = 0.3f;
  // Legs along the ground, ankles on it, knees just off it.
  const float len = 0.985f * b.leg();
  const Vec2 ankle{px + std::sqrt(len * len - p.py * p.py), 0.f};
  leg_ik(b, {p.px, p.py}, ankle + Vec2{-0.02f * s, 0.f}, p.hip[L], p.knee[L]);
  leg_ik(b, {p.px, p.py}, ankle, p.hip[R], p.knee[R]);
  if (variant == 1) leg_ik(b, {p.px, p.py}, {px + 0.8f * s, 0.f}, p.hip[R], p.knee[R]);  // one knee up
  p.sh[L] = p.sh[R] = 0.03f;
  p.el[L] = p.el[R] = 0.05f;
  if (variant == 2) {  // hands behind the head
    const Joints j = local_joints(b, p);
    const Vec2 h = j[v3::head_center] + Vec2{-0.12f * s, 0.f};
    reach(b, p, L, {h.x, std::max(0.05f, h.y)});
    reach(b, p, R, {h.x - 0.02f, std::max(0.05f, h.y)});
  }
  return p;
}

LocalPose pose_lie_front_at(const Body& b, float px) {
  const float s = b.leg() / 1.2f;
  LocalPose p = standing_pose(b);
  p.px = px;
  p.py = 0.07f * s;
  p.lean = kPi / 2;
  p.nod = -0.4f;
  p.hip[L] = p.hip[R] = -kPi / 2 + 0.005f;
  p.knee[L] = p.knee[R] = 0.12f;  // feet just off the ground, resting on the toes
  p.foot[L] = p.foot[R] = 0;
  // Arms stretched ahead along the ground (the shoulders are at ground level: nothing may point down).
  p.sh[L] = kPi - 0.02f, p.sh[R] = kPi - 0.05f;
  p.el[L] = 0.12f, p.el[R] = 0.2f;
  (void)s;
  return p;
}

LocalPose pose_all_fours_at(const Body& b, float kx) {
  const float s = b.leg() / 1.2f;
  LocalPose p = pose_kneel2_at(b, kx);
  p.lean = 1.3f;
  p.bend = 0.1f;
  p.nod = -0.3f;
  p.py = b.thigh + 0.012f;
  const Joints j = local_joints(b, p);
  reach(b, p, L, {j[v3::l_shoulder].x + 0.03f * s, 0.f});
  reach(b, p, R, {j[v3::r_shoulder].x + 0.06f * s, 0.f});
  p.hand[L] = p.hand[R] = kHandPin;
  p.hand_w[L] = p.hand_w[R] = 1.f;
  return p;
}

BaseMotion::BaseMotion(const SegmentCtx& c, int k0, int k1) : c_(c), k0_(k0), k1_(k1), b_(*c.body) {
  scale_ = b_.leg() / 1.2f;
  Rng rng(c.seed ^ 0x5EEDull);
  for (float& p : ph_) p = rng.uniform();
  const float stagger = rng.uniform(0.04f, 0.1f) * scale_;
  const bool right_front = rng.chance(0.5f);
  // Feet go where the travel anchor comes to rest once the previous motion has blended out.
  const float x0 = X(k0 + static_cast<int>(std::max(0.5f, c.blend_in + 0.1f) * c.fps));
  feet_[L] = x0 + (right_front ? -stagger : stagger) * 0.5f;
  feet_[R] = x0 + (right_front ? stagger : -stagger) * 0.5f;
  dom_ = c.dom;
  off_ = 1 - c.dom;
  variant_ = static_cast<int>(rng.next() % 3);
}

float BaseMotion::Xt(float seconds) const {
  const auto& X = c_.track->X;
  const auto& v = c_.track->v;
  const int T = static_cast<int>(X.size());
  const float f = seconds * c_.fps;
  if (f <= 0.f) return X[0] + v[0] * seconds;
  if (f >= T - 1) return X[T - 1] + v[T - 1] * (seconds - (T - 1) / c_.fps);
  const int i = static_cast<int>(f);
  return lerp(X[i], X[i + 1], f - i);
}

LocalPose BaseMotion::stand(int k, float t, float stillness) const {
  const float shift = 0.022f * scale_ * stillness;
  const float x0 = X(k);
  LocalPose p = standing_pose(b_);
  const float sway = std::sin(kTwoPi * (0.11f * t + ph_[0]));
  p.px = 0.5f * (feet_[L] + feet_[R]) - x0 + shift * sway;
  p.py = 0.985f * b_.leg() + 0.004f * scale_ * std::sin(kTwoPi * (0.27f * t + ph_[1]));
  plant_feet(b_, p, {feet_[L] - x0, 0.f}, {feet_[R] - x0, 0.f});
  const float breath = std::sin(kTwoPi * (0.25f * t + ph_[1]));
  p.lean = 0.012f * std::sin(kTwoPi * (0.07f * t + ph_[2]));
  p.bend = 0.01f * breath;
  p.nod = 0.03f * std::sin(kTwoPi * (0.09f * t + ph_[3]));
  for (int s = 0; s < 2; ++s) {
    p.sh[s] = 0.05f + 0.025f * std::sin(kTwoPi * (0.2f * t + ph_[s]));
    p.el[s] = 0.16f + 0.03f * breath;
  }
  p.shrug[L] = p.shrug[R] = 0.006f * breath;
  return p;
}

void apply_mood(LocalPose& p, const SegmentCtx& c, float t) {
  const float upright = std::fabs(p.lean) < 0.8f ? 1.f : 0.f;
  const float standing = p.py > 0.75f * c.body->leg() ? 1.f : 0.f;
  const float s = c.body->leg() / 1.2f;
  p.lean += c.style->slouch * upright;
  switch (c.mood) {
    case Expression::sad:
      p.lean += 0.1f * upright;
      p.nod += 0.25f * upright;
      p.shrug[L] -= 0.015f * s, p.shrug[R] -= 0.015f * s;
      break;
    case Expression::angry:
      p.lean += 0.05f * upright;
      p.nod += 0.08f * upright;
      p.shrug[L] += 0.02f * s, p.shrug[R] += 0.02f * s;
      break;
    case Expression::happy:
      p.nod -= 0.05f * upright;
      p.py += standing * 0.006f * s * (1.f - std::cos(kTwoPi * 1.7f * t));
      break;
    case Expression::excited:
      p.nod -= 0.06f * upright;
      p.py += standing * 0.01f * s * (1.f - std::cos(kTwoPi * 2.f * t));
      break;
    case Expression::surprised:
      p.lean -= 0.04f * upright;
      p.nod -= 0.08f * upright;
      p.shrug[L] += 0.02f * s, p.shrug[R] += 0.02f * s;
      break;
    default:
      break;
  }
}

}  // namespace stickgen::synth
