// One parametric motion per action. Families: gaits (walk ... footwork), standing gestures, jumps,
// key-pose sequences (postures, sports moves), ground/air locomotion (climb, crawl, swim, fly) and
// partner interactions. Every motion keeps something moving (breathing at least), so no clip ends
// in a frozen pose.
#include <algorithm>

#include "data/synth/gait.hpp"
#include "data/synth/motion_util.hpp"

namespace stickgen::synth {
namespace {

// ---------------------------------------------------------------- gaits

GaitSpec gait_for(int action, const SegmentCtx& c) {
  GaitSpec g;
  g.nominal_speed = std::max(0.05f, std::fabs(base_speed(action)));
  switch (action) {
    case act::run:
    case act::running_bases:
      g.cadence = 2.9f, g.contact[0][1] = 0.36f, g.roll = 0.3f, g.height = 0.9f, g.flight = true;
      g.lift = 0.42f, g.skew = 0.55f, g.arm_swing = 0.75f, g.arm_base = 0.1f, g.elbow = 1.45f, g.elbow_swing = 0.2f;
      g.lean = action == act::running_bases ? 0.22f : 0.14f;
      break;
    case act::sprint:
      g.cadence = 4.0f, g.contact[0][1] = 0.3f, g.roll = 0.3f, g.height = 0.88f, g.flight = true;
      g.lift = 0.5f, g.skew = 0.5f, g.arm_swing = 1.0f, g.arm_base = 0.1f, g.elbow = 1.5f, g.elbow_swing = 0.15f;
      g.lean = 0.25f;
      break;
    case act::march:
      g.cadence = 1.9f, g.contact[0][1] = 0.6f, g.lift = 0.42f, g.skew = 1.f, g.arm_swing = 0.75f, g.elbow = 0.05f;
      g.elbow_swing = 0.05f, g.lean = -0.02f, g.bob = 0.02f, g.height = 0.95f;
      break;
    case act::limp:
      g.cadence = 1.6f, g.contact[0][1] = 0.66f, g.asym = 0.3f, g.lift = 0.1f, g.arm_swing = 0.2f, g.lean = 0.08f;
      g.bob = 0.02f, g.height = 0.93f;
      break;
    case act::carry:
      g.cadence = 1.9f, g.lift = 0.12f, g.arm_swing = 0.f, g.lean = -0.04f, g.height = 0.93f;
      break;
    case act::dribbling:
      g.cadence = 1.9f, g.arm_swing = 0.3f, g.lean = 0.14f, g.height = 0.9f;
      break;
    case act::skip:
      g.cadence = 2.4f, g.contacts = 2, g.contact[0][0] = 0.f, g.contact[0][1] = 0.2f, g.contact[1][0] = 0.3f;
      g.contact[1][1] = 0.44f, g.flight = true, g.height = 0.93f, g.lift = 0.4f, g.skew = 0.8f, g.roll = 0.25f;
      g.arm_swing = 0.9f, g.arm_base = 0.3f, g.elbow = 0.6f, g.lean = 0.05f;
      break;
    case act::hop:
      g.cadence = 2.5f, g.contacts = 2, g.contact[0][0] = 0.f, g.contact[0][1] = 0.3f, g.contact[1][0] = 0.5f;
      g.contact[1][1] = 0.8f, g.flight = true, g.height = 0.92f, g.lift = 0.1f, g.roll = 0.3f;
      g.hop_foot = c.style->left_handed ? R : L;
      g.arm_swing = 0.25f, g.arm_base = 0.5f, g.elbow = 0.9f, g.lean = 0.06f;
      break;
    case act::push:
      g.cadence = 1.3f, g.lift = 0.08f, g.arm_swing = 0.f, g.lean = 0.45f, g.height = 0.9f, g.nominal_speed = 0.3f;
      break;
    case act::pull:
      g.cadence = 1.3f, g.lift = 0.08f, g.arm_swing = 0.f, g.lean = -0.3f, g.height = 0.9f, g.nominal_speed = 0.3f;
      break;
    case act::dance:
      g.cadence = 2.0f, g.keep_stepping = true, g.lift = 0.12f, g.height = 0.92f, g.bob = 0.04f, g.arm_swing = 0.f;
      g.nominal_speed = 0.8f;
      break;
    case act::fight:
    case act::dodge:
      g.cadence = 2.4f, g.keep_stepping = true, g.lift = 0.07f, g.height = 0.88f, g.bob = 0.02f, g.arm_swing = 0.f;
      g.contact[0][1] = 0.6f, g.nominal_speed = 0.6f, g.lean = 0.1f;
      break;
    case act::turn:
    case act::spin:  // feet stay down: the body pivots over them
      g.cadence = 1.5f, g.keep_stepping = false, g.lift = 0.08f, g.height = 0.97f;
      g.bob = 0.01f, g.arm_swing = 0.f, g.nominal_speed = 1.f, g.lean = 0.f;
      break;
    default:  // walk, and the approach of interactions
      g.cadence = 2.0f, g.nominal_speed = 1.9f;
      break;
  }
  g.lift *= std::clamp(c.amp, 0.7f, 1.3f);
  if (c.mood == Expression::sad) g.arm_swing *= 0.5f, g.lift *= 0.8f;
  if (c.mood == Expression::happy || c.mood == Expression::excited) g.arm_swing *= 1.2f;
  if (c.mood == Expression::angry) g.elbow += 0.3f;
  return g;
}

class Locomotion : public BaseMotion {
 public:
  Locomotion(const SegmentCtx& c, int k0, int k1)
      : BaseMotion(c, k0, k1), gait_(gait_for(c.action, c), c_, k0, k1) {}

  void eval(int k, float t, LocalPose& p) override {
    gait_.eval(k, p);
    const float ph = gait_.phase(k);
    const float A = c_.amp;
    const float s = sc();
    switch (c_.action) {
      case act::carry: {  // a box held against the chest
        const Joints j = local_joints(b_, p);
        const Vec2 box = j[v3::chest] + Vec2{0.32f * s, -0.12f * s + 0.01f * std::sin(kTwoPi * 2 * ph)};
        reach(b_, p, L, box + Vec2{-0.02f * s, 0.f});
        reach(b_, p, R, box + Vec2{0.02f * s, 0.f});
        break;
      }
      case act::dribbling: {  // the ball bounces under the dominant hand twice per cycle
        const Joints j = local_joints(b_, p);
        const float bounce = 0.5f + 0.5f * std::cos(kTwoPi * 2.f * ph);
        reach(b_, p, dom_, {j[v3::pelvis_center].x + 0.42f * s, p.py - 0.12f * s + 0.22f * s * bounce});
        p.sh[off_] = 0.45f, p.el[off_] = 1.0f;
        break;
      }
      case act::push:
      case act::pull: {
        const Joints j = local_joints(b_, p);
        const Vec2 sh = j[v3::r_shoulder];
        const float push = c_.action == act::push ? 0.78f : 0.84f;
        const float drop = c_.action == act::push ? 0.f : 0.25f * s;
        const float throb = 0.03f * s * std::sin(kTwoPi * 2.f * ph);
        for (int side = 0; side < 2; ++side) reach(b_, p, side, sh + Vec2{push * b_.arm() + throb, -drop});
        partner_hands(t, p, kHandPartnerBody);
        break;
      }
      case act::dance: dance(t, ph, p); break;
      case act::fight: guard(p), punches(warped(t), p, 1.1f), partner_hands(t, p, kHandFree); break;
      case act::dodge: {
        guard(p);
        const float tw = warped(t);
        const float w = std::sin(kTwoPi * (0.8f * c_.tempo * tw + ph_[0]));
        p.lean += 0.3f * A * w;
        p.py -= 0.08f * s * (1.f + std::sin(kTwoPi * (1.6f * c_.tempo * tw + ph_[1])));
        p.px -= 0.1f * s * w;
        break;
      }
      case act::spin:  // a pivot on the balls of both feet, arms tucked in
        p.sh[L] = p.sh[R] = 0.45f, p.el[L] = p.el[R] = 1.5f;
        p.hip_width = 0.15f;
        break;
      case act::turn:
        p.sh[L] = p.sh[R] = 0.08f, p.el[L] = p.el[R] = 0.25f;
        p.hip_width = 0.3f;
        break;
      case act::hop:
        p.el[L] = p.el[R] = 0.9f;
        break;
      default:
        break;
    }
    if (c_.action == act::spin || c_.action == act::turn) {
      // A pivot: both feet stay down where the body comes to rest (not where a gait would step next,
      // which may lie ahead with the next motion's travel) and the body turns over them.
      const float x0 = X(k), mid = 0.5f * (feet_[L] + feet_[R]);
      for (int side = 0; side < 2; ++side) {
        const float fx = mid + 0.35f * (feet_[side] - mid) - x0;
        leg_ik(b_, {p.px, p.py}, {fx, 0.f}, p.hip[side], p.knee[side]);
        p.foot[side] = 1;
      }
    } else {
      gait_.legs(k, p);  // the pelvis may have swayed: feet stay where the gait put them
    }
    const float breath = std::sin(kTwoPi * (0.25f * t + ph_[1]));
    p.bend += 0.01f * breath;
    p.shrug[L] += 0.004f * s * breath, p.shrug[R] += 0.004f * s * breath;
  }

 private:
  void guard(LocalPose& p) const {
    const Joints j = local_joints(b_, p);
    const float s = sc();
    const Vec2 n = j[v3::neck];
    reach(b_, p, off_, n + Vec2{0.34f * s, -0.02f * s});
    reach(b_, p, dom_, n + Vec2{0.2f * s, -0.1f * s});
    p.nod += 0.15f;
  }
  // Jab / cross on a seeded rhythm.
  void punches(float t, LocalPose& p, float period) const {
    const float u = cycle(t + 0.37f * c_.actor, period);
    const int n = static_cast<int>(std::floor(t * c_.tempo / period + c_.style->phase));
    const int hand = (n + c_.actor) % 3 == 2 ? dom_ : off_;
    const float d = std::max(0.12f, 0.14f * c_.tempo / period);  // no quicker than 0.14 s out or back
    const float e = window(u, 0.55f - 0.5f * (d - 0.12f), 0.85f + 0.5f * (d - 0.12f), d);
    if (e <= 0.f) return;
    const Joints j = local_joints(b_, p);
    const Vec2 sh = j[hand == L ? v3::l_shoulder : v3::r_shoulder];
    const Vec2 fist = sh + Vec2{0.97f * b_.arm(), 0.04f * sc()};
    LocalPose q = p;
    reach(b_, q, hand, fist);
    p.sh[hand] = lerp_arm(p.sh[hand], q.sh[hand], e);
    p.el[hand] = lerp(p.el[hand], q.el[hand], e);
    p.lean += 0.08f * e;
    p.twist += (hand == dom_ ? 0.35f : 0.15f) * e;
  }
  void dance(float t, float ph, LocalPose& p) const {
    const float beat = std::sin(kTwoPi * 2.f * ph);
    const float A = c_.amp;
    p.px += 0.05f * sc() * beat;
    p.twist = 0.35f * A * std::sin(kTwoPi * ph);
    p.lean = 0.05f * beat;
    switch (variant_) {
      case 0:  // disco: point up, point down across
        p.sh[dom_] = lerp(0.4f, 2.7f, 0.5f + 0.5f * beat * A), p.el[dom_] = 0.1f;
        p.sh[off_] = 0.3f, p.el[off_] = 1.4f;
        break;
      case 1:  // arms pumping overhead
        p.sh[L] = p.sh[R] = 2.3f + 0.4f * A * beat, p.el[L] = p.el[R] = 0.6f - 0.4f * beat;
        break;
      default:  // swinging arms, alternating
        p.sh[L] = 0.6f + 0.8f * A * beat, p.sh[R] = 0.6f - 0.8f * A * beat;
        p.el[L] = p.el[R] = 1.0f;
        break;
    }
  }
  // Interaction phases for push/pull/fight with a partner: hands on the partner while in contact.
  void partner_hands(float t, LocalPose& p, uint8_t mode) const {
    if (!c_.inter || mode == kHandFree || c_.inter->contact < 0.f) return;
    const float tc = c_.inter->contact - c_.start;
    const float w = ramp(t, tc - 0.3f, 0.3f);
    for (int s = 0; s < 2; ++s) p.hand[s] = mode, p.hand_w[s] = w;
  }

  Gait gait_;
};

// ---------------------------------------------------------------- standing gestures

class Gesture : public BaseMotion {
 public:
  using BaseMotion::BaseMotion;

  void eval(int k, float t, LocalPose& p) override {
    const float s = sc();
    const float A = c_.amp;
    const float in = ramp(t, 0.f, 0.35f / c_.tempo);  // raise into the gesture
    p = stand(k, t, c_.action == act::stand ? 0.3f : 1.f);
    const LocalPose rest = p;
    if (!(c_.action == act::catching && c_.sync_period > 0.f) && c_.action != act::salute) t = warped(t);
    switch (c_.action) {
      case act::idle: {
        p.sh[L] += 0.03f * std::sin(kTwoPi * (0.3f * t + ph_[2]));
        p.nod += 0.06f * std::sin(kTwoPi * (0.05f * t + ph_[3]));
        break;
      }
      case act::stand: {
        p.lean *= 0.3f;
        break;
      }
      case act::wave: {
        p.sh[dom_] = 2.55f;
        p.el[dom_] = 0.55f + 0.45f * A * osc(t, 2.2f, ph_[0]);
        p.lean -= 0.03f;
        p.shrug[dom_] += 0.03f * s;
        break;
      }
      case act::talk: {
        for (int side = 0; side < 2; ++side) {
          p.sh[side] = 0.35f + 0.22f * A * osc(t, side ? 0.63f : 0.91f, ph_[side]);
          p.el[side] = 1.25f + 0.3f * A * osc(t, side ? 1.1f : 0.77f, ph_[side + 2]);
        }
        p.nod += 0.06f * osc(t, 2.f);
        break;
      }
      case act::shout: {
        const float burst = window(cycle(t, 1.6f), 0.1f, 0.75f, 0.15f);
        p.lean += -0.06f + 0.12f * burst * A;
        p.nod -= 0.2f * burst;
        if (variant_ == 0) {  // fist in the air
          p.sh[dom_] = 2.7f, p.el[dom_] = 0.3f + 0.3f * burst;
        } else {  // hands cupped round the mouth
          const Vec2 m = mouth_point(b_, p);
          reach(b_, p, L, m + Vec2{0.1f * s, -0.03f * s});
          reach(b_, p, R, m + Vec2{0.12f * s, 0.02f * s});
        }
        break;
      }
      case act::whisper: {
        p.lean += 0.2f + 0.05f * osc(t, 0.3f);
        p.nod += 0.12f;
        const Vec2 m = mouth_point(b_, p);
        reach(b_, p, dom_, m + Vec2{0.1f * s, 0.03f * s});
        break;
      }
      case act::sing: {
        for (int side = 0; side < 2; ++side) {
          p.sh[side] = 1.5f + 0.35f * A * osc(t, 0.5f, side * 0.1f);
          p.el[side] = 0.35f;
        }
        p.lean -= 0.05f;
        p.nod += -0.12f + 0.08f * osc(t, 0.5f, 0.25f);
        p.px += 0.03f * s * osc(t, 0.5f);
        break;
      }
      case act::point: {
        p.sh[dom_] = 1.5f + 0.12f * osc(t, 0.25f, ph_[0]);
        p.el[dom_] = 0.04f;
        p.lean += 0.05f;
        break;
      }
      case act::clap: {
        const Joints j = local_joints(b_, p);
        const Vec2 base = j[v3::chest] + Vec2{0.34f * s, 0.02f * s};
        const float open = 0.5f + 0.5f * std::cos(kTwoPi * (2.4f * c_.tempo * t));
        reach(b_, p, L, base + Vec2{-0.09f * s * open * A, 0.f});
        reach(b_, p, R, base + Vec2{0.09f * s * open * A, 0.f});
        const float w = (1.f - open) * (1.f - open) * in;
        p.hand[L] = p.hand[R] = kHandClap;
        p.hand_w[L] = p.hand_w[R] = w;
        break;
      }
      case act::eating: {
        const Joints j = local_joints(b_, p);
        const Vec2 plate = j[v3::pelvis_center] + Vec2{0.34f * s, 0.22f * s};
        reach(b_, p, off_, plate);
        const float e = window(cycle(t, 2.5f), 0.15f, 0.6f, 0.18f);
        p.nod += 0.12f * e + 0.03f * osc(t, 3.f) * (1.f - e);
        const Vec2 m = mouth_point(b_, p);
        const Vec2 from = plate + Vec2{0.04f * s, 0.06f * s};
        reach(b_, p, dom_, from + (m + Vec2{0.05f * s, -0.02f * s} - from) * e);
        break;
      }
      case act::drinking: {
        const Joints j = local_joints(b_, p);
        const float e = window(cycle(t, 4.f), 0.1f, 0.7f, 0.15f);
        const float tilt = window(cycle(t, 4.f), 0.22f, 0.6f, 0.12f);
        p.nod -= 0.4f * tilt * A;
        const Vec2 m = mouth_point(b_, p);
        const Vec2 cup = j[v3::chest] + Vec2{0.3f * s, -0.12f * s};
        reach(b_, p, dom_, cup + (m + Vec2{0.06f * s, 0.f} - cup) * e);
        break;
      }
      case act::reading: {
        p.nod += 0.35f;
        p.lean += 0.04f;
        const Joints j = local_joints(b_, p);
        const Vec2 book = j[v3::chest] + Vec2{0.36f * s, -0.1f * s};
        const float turn = window(cycle(t, 3.5f), 0.7f, 0.9f, 0.08f);
        reach(b_, p, off_, book);
        reach(b_, p, dom_, book + Vec2{-0.08f * s * turn, 0.07f * s * turn});
        p.hand[L] = p.hand[R] = kHandClap;
        p.hand_w[L] = p.hand_w[R] = 0.6f * (1.f - turn) * in;
        break;
      }
      case act::typing: {
        p.lean += 0.12f;
        p.nod += 0.25f;
        const Joints j = local_joints(b_, p);
        const Vec2 keys = j[v3::pelvis_center] + Vec2{0.45f * s, 0.2f * s};
        const float pause = window(cycle(t, 5.f), 0.8f, 0.98f, 0.05f);
        for (int side = 0; side < 2; ++side) {
          const float tap = 0.018f * s * (1.f - pause) * std::sin(kTwoPi * (5.3f * c_.tempo * t + side * 0.5f + ph_[side]));
          reach(b_, p, side, keys + Vec2{(side ? 0.03f : -0.03f) * s, tap});
        }
        break;
      }
      case act::looking_around: {
        p.twist = 0.9f * A * osc(t, 0.22f, ph_[0]);
        p.nod += -0.05f + 0.1f * osc(t, 0.3f, ph_[1]);
        if (variant_ == 1) reach(b_, p, dom_, brow_point(b_, p) + Vec2{0.08f * s, 0.03f * s});
        break;
      }
      case act::cry: {
        p.lean += 0.25f;
        p.nod += 0.4f;
        const float sob = 0.5f + 0.5f * osc(t, 3.5f);
        p.shrug[L] += 0.025f * s * sob, p.shrug[R] += 0.025f * s * sob;
        p.bend += 0.03f * sob;
        const Vec2 face = mouth_point(b_, p) + Vec2{0.04f * s, 0.06f * s};
        reach(b_, p, L, face);
        reach(b_, p, R, face + Vec2{0.02f * s, 0.02f * s});
        break;
      }
      case act::laugh: {
        const float shake = osc(t, 4.5f);
        const float bout = 0.6f + 0.4f * osc(t, 0.4f, ph_[0]);
        p.nod -= 0.35f * bout * A;
        p.lean -= 0.1f * bout * A;
        p.bend += 0.04f * shake;
        p.shrug[L] += 0.02f * s * shake, p.shrug[R] += 0.02f * s * shake;
        const Joints j = local_joints(b_, p);
        const Vec2 belly = j[v3::pelvis_center] + (j[v3::chest] - j[v3::pelvis_center]) * 0.45f + Vec2{0.17f * s, 0.f};
        reach(b_, p, L, belly + Vec2{0.f, 0.02f * s});
        reach(b_, p, R, belly + Vec2{0.02f * s, -0.03f * s});
        break;
      }
      case act::stretch: {
        const float u = cycle(t, 4.f);
        const float up = window(u, 0.f, 0.5f, 0.15f), out = window(u, 0.45f, 0.95f, 0.15f);
        p.sh[L] = lerp(lerp(0.06f, 3.05f, up), 1.55f, out);
        p.sh[R] = lerp(lerp(0.06f, 3.0f, up), 1.7f, out);
        p.el[L] = p.el[R] = 0.05f;
        p.lean -= 0.12f * up * A;
        p.nod -= 0.2f * up;
        p.shrug[L] += 0.04f * s * up, p.shrug[R] += 0.04f * s * up;
        break;
      }
      case act::salute: {
        const float hold = c_.duration() > 2.f ? 1.f - ramp(t, c_.duration() - 0.5f, 0.35f) : 1.f;
        p.lean *= 0.2f;
        LocalPose q = p;
        reach(b_, q, dom_, brow_point(b_, p) + Vec2{0.05f * s, 0.02f * s});
        const float e = in * hold;
        p.sh[dom_] = lerp_arm(p.sh[dom_], q.sh[dom_], e);
        p.el[dom_] = lerp(p.el[dom_], q.el[dom_], e);
        break;
      }
      case act::shrug: {
        const float u = window(cycle(t, 2.f), 0.05f, 0.7f, 0.2f) * A;
        p.shrug[L] += 0.08f * s * u, p.shrug[R] += 0.08f * s * u;
        p.sh[L] = p.sh[R] = 0.15f + 0.15f * u;
        p.el[L] = p.el[R] = 0.2f + 1.3f * u;
        p.nod += -0.1f * u;
        break;
      }
      case act::fight_stance: {
        guard_stance(k, t, p);
        break;
      }
      case act::punch: {
        guard_stance(k, t, p);
        const float u = cycle(t, 1.0f);
        const int n = static_cast<int>(std::floor(t * c_.tempo + c_.style->phase));
        const int hand = n % 2 ? dom_ : off_;
        // Out and back in no less than 0.14 s each (3.5 frames): a quick jab is fast, not a teleport.
        const float d = std::max(0.12f, 0.14f * c_.tempo);
        const float e = window(u, 0.5f - 0.5f * (d - 0.12f), 0.8f + 0.5f * (d - 0.12f), d);
        if (e > 0.f) {
          const Joints j = local_joints(b_, p);
          const Vec2 sh = j[hand == L ? v3::l_shoulder : v3::r_shoulder];
          LocalPose q = p;
          reach(b_, q, hand, sh + Vec2{0.97f * b_.arm(), 0.03f * s});
          p.sh[hand] = lerp_arm(p.sh[hand], q.sh[hand], e);
          p.el[hand] = lerp(p.el[hand], q.el[hand], e);
          p.twist += (hand == dom_ ? 0.4f : 0.15f) * e;
          p.lean += 0.08f * e;
        }
        break;
      }
      case act::catching: {
        p = stand(k, t);
        // The ball arrives at u = 0.5 of each cycle: in a thrower's rhythm when there is one.
        float u = cycle(t, 2.f);
        if (c_.sync_period > 0.f) {
          const float v = (c_.start + t - c_.sync_offset) / c_.sync_period + 0.5f;
          u = v - std::floor(v);
        }
        const float reach_out = window(u, 0.1f, 0.55f, 0.2f), absorb = window(u, 0.5f, 0.9f, 0.12f);
        p.py -= 0.06f * s * (0.5f + 0.5f * reach_out);
        p.lean += 0.08f;
        const Joints j = local_joints(b_, p);
        const Vec2 ball = j[v3::chest] + Vec2{(0.3f + 0.32f * reach_out - 0.1f * absorb) * s, 0.05f * s};
        reach(b_, p, L, ball + Vec2{-0.02f * s, 0.f});
        reach(b_, p, R, ball + Vec2{0.02f * s, 0.f});
        p.hand[L] = p.hand[R] = kHandClap;
        p.hand_w[L] = p.hand_w[R] = 0.7f * in;
        break;
      }
      case act::bow: {
        const float u = cycle(t, 3.f);
        const float d = window(u, 0.05f, 0.6f, 0.2f) * std::min(1.f, A);
        p.lean += 0.95f * d;
        p.nod += 0.2f * d;
        p.px -= 0.12f * s * d;
        p.sh[L] = p.sh[R] = 0.95f * d + 0.05f;  // arms hang straight down
        p.el[L] = p.el[R] = 0.1f;
        break;
      }
      default:
        break;
    }
    (void)rest;
    if (c_.action != act::fight_stance && c_.action != act::punch) {  // hips moved: feet stay planted
      const float x0 = X(k);
      plant_feet(b_, p, {feet_[L] - x0, 0.f}, {feet_[R] - x0, 0.f});
    }
    if (c_.action != act::catching && c_.action != act::clap && c_.action != act::reading) {
      // Gestures grow in from the resting arms instead of snapping.
      for (int side = 0; side < 2; ++side) {
        p.sh[side] = lerp_arm(rest.sh[side], p.sh[side], in);
        p.el[side] = lerp(rest.el[side], p.el[side], in);
      }
    }
  }

 private:
  void guard_stance(int k, float t, LocalPose& p) const {
    const float s = sc();
    const float x0 = X(k);
    const float fx = 0.5f * (feet_[L] + feet_[R]) - x0;
    const float front = fx + 0.24f * s, back = fx - 0.24f * s;
    p.px = fx - 0.02f * s;
    p.py = 0.9f * b_.leg() + 0.012f * s * osc(t, 2.f, ph_[0]);
    plant_feet(b_, p, off_ == L ? Vec2{front, 0.f} : Vec2{back, 0.f}, off_ == L ? Vec2{back, 0.f} : Vec2{front, 0.f});
    p.lean = 0.1f;
    p.nod = 0.15f;
    const Joints j = local_joints(b_, p);
    const Vec2 n = j[v3::neck];
    reach(b_, p, off_, n + Vec2{0.34f * s, -0.02f * s});
    reach(b_, p, dom_, n + Vec2{0.2f * s, -0.1f * s});
  }
};

// ---------------------------------------------------------------- jumps (jump, celebrate, shooting)

class Jump : public BaseMotion {
 public:
  Jump(const SegmentCtx& c, int k0, int k1) : BaseMotion(c, k0, k1) {
    const float s = sc();
    if (c.action == act::jump) {
      height_ = 0.45f * s * std::clamp(c.amp, 0.6f, 1.4f), crouch_ = 0.24f * s, period_ = 1.9f;
    } else if (c.action == act::celebrate) {
      height_ = 0.14f * s * std::clamp(c.amp, 0.6f, 1.4f), crouch_ = 0.08f * s, period_ = 0.85f;
    } else {  // shooting: a modest jump shot every 3 s
      height_ = 0.22f * s, crouch_ = 0.16f * s, period_ = 3.f;
    }
    prep_ = c.action == act::celebrate ? 0.16f : 0.38f;
    recover_ = c.action == act::celebrate ? 0.14f : 0.4f;
    const float q = 1.f / std::sqrt(c.tempo);
    prep_ *= q, recover_ *= q;
    period_ /= c.tempo;
    if (c.repeats > 0) period_ = c.duration() / c.repeats;
    // The push and the landing are constant accelerations: from rest over the crouch (plus the little
    // rise to the take-off height) to the take-off speed V takes 2 D / V, at V^2 / (2 D) = g h / D,
    // 20-30 units/s^2 here. A short period (many repeats) quickens the crouch and the recovery first,
    // then lowers the jump (and the crouch with it, so the push stays as gentle).
    rise_ = 0.005f * b_.leg();  // standing pelvis (0.985 leg) -> take-off (0.99 leg)
    float f = 1.f;
    const float prep0 = prep_, recover0 = recover_;
    for (int guard = 0; guard < 60; ++guard) {
      timing(f, push_, flight_, absorb_);
      const float ground = push_ + absorb_ + 0.05f;
      const float need = prep_ + recover_ + ground + flight_;
      if (need <= period_) break;
      if (prep_ > 0.45f * prep0 || recover_ > 0.45f * recover0) {
        prep_ = std::max(0.45f * prep0, prep_ * 0.92f), recover_ = std::max(0.45f * recover0, recover_ * 0.92f);
      } else if (f > 0.12f) {
        f *= 0.92f;
      } else {
        break;
      }
    }
    scale_h_ = f;
    period_ = std::max(period_, prep_ + push_ + flight_ + absorb_ + recover_ + 0.05f);
  }

  void eval(int k, float t, LocalPose& p) override {
    p = stand(k, t, 0.3f);
    const float s = sc();
    const float stand_h = p.py;
    const float top = stand_h + rise_;
    const float tu = std::max(0.f, t) + c_.style->phase * 0.3f;
    const float u = std::fmod(tu, period_);
    // Every repetition differs a little: up to 10 % lower (and a shallower crouch), arms a little
    // lower or higher. The slack goes to the standing pause at the end of the cycle.
    const int n = static_cast<int>(std::floor(tu / period_));
    Rng rep(c_.seed ^ (0x1F2E3D4Cull + 0x9E37ull * static_cast<uint64_t>(n + 1000)));
    const float hv = 1.f - 0.1f * rep.uniform(), arm_v = rep.uniform(-0.1f, 0.1f);
    float push, flight, absorb;
    timing(scale_h_ * hv, push, flight, absorb);
    const float crouch_d = crouch_ * scale_h_ * hv;
    const float v0 = 0.5f * kGravity * flight;
    // Pelvis: crouch, push (C1 into the take-off speed), ballistic flight, absorb, recover.
    float y = stand_h, air = 0.f;
    const float t1 = prep_, t2 = t1 + push, t3 = t2 + flight, t4 = t3 + absorb, t5 = t4 + recover_;
    auto hermite = [](float y0, float v0, float y1, float v1, float T, float q) {
      const float q2 = q * q, q3 = q2 * q;
      return (2 * q3 - 3 * q2 + 1) * y0 + (q3 - 2 * q2 + q) * T * v0 + (-2 * q3 + 3 * q2) * y1 + (q3 - q2) * T * v1;
    };
    if (u < t1) {
      y = lerp(stand_h, stand_h - crouch_d, smooth(u / t1));
    } else if (u < t2) {
      y = hermite(stand_h - crouch_d, 0.f, top, v0, push, (u - t1) / push);
    } else if (u < t3) {
      const float tau = u - t2;
      y = top + v0 * tau - 0.5f * kGravity * tau * tau;
      air = std::sin(kPi * tau / flight);
    } else if (u < t4) {
      y = hermite(top, -v0, stand_h - 0.7f * crouch_d, 0.f, absorb, (u - t3) / absorb);
    } else if (u < t5) {
      y = lerp(stand_h - 0.7f * crouch_d, stand_h, smooth((u - t4) / recover_));
    }
    const float crouch = clamp01((stand_h - y) / std::max(1e-3f, crouch_));
    p.py = y;
    const float x0 = X(k);
    if (u >= t2 && u < t3) {  // airborne: feet tuck up over the spots they left and land on
      const float tuck = 0.25f * b_.leg() * air;
      for (int side = 0; side < 2; ++side) {
        const Vec2 hip{p.px, p.py};
        const Vec2 spot{feet_[side] - x0, std::max(0.f, p.py - top + tuck)};
        leg_ik(b_, hip, spot, p.hip[side], p.knee[side]);
        p.foot[side] = 0;
      }
    } else {
      plant_feet(b_, p, {feet_[L] - x0, 0.f}, {feet_[R] - x0, 0.f});
    }
    p.lean = 0.25f * crouch;
    p.nod = -0.15f * crouch;
    // Arms: back while crouching, forward and up through the push into the flight, down again over
    // the landing and recovery - continuous through every phase boundary and the cycle's wrap.
    const float swing0 = 0.5f * t1, swing1 = t2 + 0.45f * flight;
    const float back = smooth(u / std::max(0.05f, swing0));
    const float up = smooth((u - swing0) / std::max(0.05f, swing1 - swing0));
    const float down = u < t3 ? 0.f : smooth((u - t3) / std::max(0.05f, t5 - t3));
    const float busy = smooth(u / 0.15f) * (1.f - down);
    switch (c_.action) {
      case act::jump: {
        for (int side = 0; side < 2; ++side) {
          const float rest = p.sh[side];
          const float a = lerp(lerp(rest, -0.6f * hv, back), 2.6f + arm_v, up);
          p.sh[side] = lerp(a, rest, down);
          p.el[side] = lerp(p.el[side], 0.2f, busy);
        }
        break;
      }
      case act::celebrate: {
        p.sh[L] = 2.75f + arm_v + 0.12f * air, p.sh[R] = 2.55f - arm_v - 0.12f * air;
        p.el[L] = p.el[R] = 0.35f + 0.35f * crouch;
        break;
      }
      default: {  // shooting: ball from the chest up above the forehead, released at the top with a flick
        const Joints j = local_joints(b_, p);
        const Vec2 hold = j[v3::chest] + Vec2{0.3f * s, 0.f};
        const Vec2 set = j[v3::head_center] + Vec2{0.2f * s, 0.25f * s};
        const Vec2 release = j[v3::head_center] + Vec2{(0.5f + arm_v) * s, 0.65f * s};
        const float raise = smooth((u - 0.6f * t1) / std::max(0.05f, t2 + 0.3f * flight - 0.6f * t1));
        const float flick = smooth((u - t2 - 0.35f * flight) / std::max(0.08f, 0.4f * flight));
        const float lower = u < t3 ? 0.f : smooth((u - t3) / std::max(0.05f, t5 + 0.2f - t3));
        const Vec2 ball = lerp2(lerp2(lerp2(hold, set, raise), release, flick), hold, lower);
        const float settle = ramp(u, 0.f, 0.3f) * (1.f - ramp(u, t5, 0.3f));
        reach(b_, p, L, ball + Vec2{-0.02f * s, 0.f});
        reach(b_, p, R, ball + Vec2{0.02f * s, 0.f});
        p.hand[L] = p.hand[R] = kHandClap;
        p.hand_w[L] = p.hand_w[R] = 0.8f * settle * (1.f - flick * (1.f - lower));
        break;
      }
    }
  }

 private:
  static Vec2 lerp2(Vec2 a, Vec2 b, float w) { return a + (b - a) * w; }
  // Push, flight and landing durations of a jump lowered to f times its height (crouch too).
  void timing(float f, float& push, float& flight, float& absorb) const {
    const float v = std::sqrt(2.f * kGravity * height_ * f);
    flight = 2.f * v / kGravity;
    push = 2.f * (rise_ + crouch_ * f) / v;
    absorb = 2.f * (rise_ + 0.7f * crouch_ * f) / v;
  }

  float height_, crouch_, period_, flight_ = 0.f, prep_, push_ = 0.f, absorb_ = 0.f, recover_;
  float rise_ = 0.f, scale_h_ = 1.f;
};

// ---------------------------------------------------------------- key-pose sequences

class Keyed : public BaseMotion {
 public:
  Keyed(const SegmentCtx& c, int k0, int k1) : BaseMotion(c, k0, k1) {
    base_ = 0.5f * (feet_[L] + feet_[R]);
    build();
    // Getting up finishes within its segment: the next motion starts standing. A slow tempo in a short
    // segment is quickened (up to 2.5 times) rather than cut off halfway, which would leave the next
    // blend a whole posture to cover (a body rising from the floor in a third of a second).
    if ((c_.action == act::get_up || c_.action == act::stand) && keys_.size() > 1) {
      const float avail = std::max(0.2f, c_.duration() - 0.15f), last = keys_.back().t;
      if (last > avail) {
        const float k = std::max(avail / last, 0.4f);
        for (auto& key : keys_) key.t *= k;
      }
    }
  }

  void eval(int k, float t, LocalPose& p) override {
    const float x0 = X(k);
    float tt = t;
    if (period_ > 0.f && t > intro_) {
      // Each repetition takes its own time (+-4 %), except a throw someone is catching in time with.
      float start = intro_, len = cycle_length(0);
      for (int n = 1; t >= start + len && n < 10000; ++n) start += len, len = cycle_length(n);
      tt = intro_ + (t - start) * period_ / len;
    }
    p = sample_keys(b_, keys_, tt);
    p.px += base_ - x0;
    // Breathing keeps even a held pose alive.
    const float breath = std::sin(kTwoPi * (0.25f * t + ph_[1]));
    p.bend += 0.012f * breath;
    p.shrug[L] += 0.005f * sc() * breath, p.shrug[R] += 0.005f * sc() * breath;
    p.nod += 0.02f * std::sin(kTwoPi * (0.08f * t + ph_[3]));
    if (idle_arms_) {
      p.sh[L] += 0.02f * std::sin(kTwoPi * (0.2f * t + ph_[0]));
      p.sh[R] += 0.02f * std::sin(kTwoPi * (0.17f * t + ph_[2]));
    }
    if (c_.action == act::batting) {  // the bat waggles: both hands together
      const float waggle = 0.04f * std::sin(kTwoPi * (1.2f * t + ph_[0]));
      p.sh[L] += waggle, p.sh[R] += waggle;
    }
  }

  Posture end_posture() const override { return end_; }

 private:
  void add(float t, const LocalPose& p) { keys_.push_back({t / c_.tempo, p}); }
  float cycle_length(int n) const {
    if (c_.action == act::throwing) return period_;
    Rng r(c_.seed ^ (0xC1C1Eull + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(n + 1)));
    return period_ * r.uniform(0.96f, 1.04f);
  }
  // The posture the segment starts from (the previous motion ended there).
  LocalPose from_pose() const {
    const float s = sc();
    switch (c_.from) {
      case Posture::sitting: return pose_sit_at(b_, 0.05f * s, 0);
      case Posture::kneeling: return pose_kneel_at(b_, 0.06f * s, dom_);
      case Posture::lying: return pose_lie_back_at(b_, -0.69f * s, 0);
      case Posture::prone: return pose_lie_front_at(b_, 0.3f * s);
      case Posture::all_fours: return pose_all_fours_at(b_, -0.38f * s);
      case Posture::crouching: return pose_crouch_at(b_, -0.05f * s, 0.07f * s, 0.55f);
      default: return pose_stand_at(b_, -0.05f * s, 0.05f * s);
    }
  }
  // Halfway down to one knee (or up from it): the front foot planted, the back one on its toes.
  LocalPose lunge_pose() const {
    const float s = sc();
    const int d = dom_, back = 1 - dom_;
    LocalPose lunge = pose_kneel_at(b_, 0.06f * s, d);
    lunge.py += 0.2f * s;
    leg_ik(b_, {lunge.px, lunge.py}, {0.06f * s, 0.f}, lunge.hip[d], lunge.knee[d]);
    leg_ik(b_, {lunge.px, lunge.py}, {lunge.px - 0.5f * s, 0.08f * s}, lunge.hip[back], lunge.knee[back]);
    lunge.foot[back] = 0;  // on its toes
    return lunge;
  }
  // Seated, leaning forward over the feet with the hands on the ground: about to stand up.
  LocalPose sit_lean_pose() const {
    const float s = sc();
    LocalPose lean = pose_sit_at(b_, 0.05f * s, 0);
    lean.lean = 0.6f, lean.nod = -0.3f;
    const Joints j = local_joints(b_, lean);
    reach(b_, lean, L, {j[v3::l_ankle].x + 0.05f * s, 0.01f});
    reach(b_, lean, R, {j[v3::r_ankle].x + 0.1f * s, 0.01f});
    return lean;
  }
  // Key poses that bring the body from its posture to standing (feet near 0).
  float get_up_keys(float t0) {
    const float s = sc();
    float t = t0;
    switch (c_.from) {
      case Posture::lying:
        add(t, pose_lie_back_at(b_, -0.69f * s, 0));
        add(t += 0.7f, pose_sit_at(b_, 0.05f * s, 0));
        [[fallthrough]];
      case Posture::sitting: {
        if (c_.from == Posture::sitting) add(t, pose_sit_at(b_, 0.05f * s, 0));
        add(t += 0.45f, sit_lean_pose());
        add(t += 0.45f, pose_crouch_at(b_, 0.f, 0.08f * s, 0.5f));
        add(t += 0.6f, pose_stand_at(b_, -0.01f * s, 0.09f * s));
        break;
      }
      case Posture::prone: {
        add(t, pose_lie_front_at(b_, 0.3f * s));
        add(t += 0.7f, pose_all_fours_at(b_, 0.3f * s));
        add(t += 0.55f, pose_kneel_at(b_, 0.76f * s, dom_));
        add(t += 0.75f, pose_stand_at(b_, 0.68f * s, 0.8f * s));
        break;
      }
      case Posture::all_fours:
        add(t, pose_all_fours_at(b_, -0.38f * s));
        add(t += 0.6f, pose_kneel_at(b_, 0.06f * s, dom_));
        add(t += 0.75f, pose_stand_at(b_, -0.0f * s, 0.1f * s));
        break;
      case Posture::kneeling:
        add(t, pose_kneel_at(b_, 0.06f * s, dom_));
        add(t += 0.9f, pose_stand_at(b_, -0.0f * s, 0.1f * s));
        break;
      case Posture::crouching:
        add(t, pose_crouch_at(b_, -0.05f * s, 0.07f * s, 0.55f));
        add(t += 0.6f, pose_stand_at(b_, -0.05f * s, 0.07f * s));
        break;
      default:
        add(t, pose_stand_at(b_, -0.05f * s, 0.05f * s));
        add(t += 0.2f, pose_stand_at(b_, -0.05f * s, 0.05f * s));
        break;
    }
    return t;
  }

  void build() {
    const float s = sc();
    const float A = std::clamp(c_.amp, 0.6f, 1.4f);
    const int d = dom_, o = off_;
    switch (c_.action) {
      case act::stand:
      case act::get_up: {
        const float t = get_up_keys(0.f);
        LocalPose end = keys_.back().p;
        LocalPose settled = end;
        settled.sh[L] = settled.sh[R] = 0.06f, settled.el[L] = settled.el[R] = 0.16f;
        settled.lean = 0.f, settled.nod = 0.f;
        add(t + 0.3f, settled);
        idle_arms_ = true;
        end_ = Posture::standing;
        break;
      }
      case act::sit: {
        const int v = variant_;
        if (c_.from == Posture::lying) {
          add(0.f, pose_lie_back_at(b_, -0.69f * s, 0));
          add(0.8f, pose_sit_at(b_, 0.05f * s, v));
        } else if (c_.from == Posture::standing) {
          add(0.f, pose_stand_at(b_, -0.05f * s, 0.05f * s));
          LocalPose down = pose_crouch_at(b_, 0.0f, 0.06f * s, 0.5f);
          down.px -= 0.12f * s;
          plant_feet(b_, down, {0.f, 0.f}, {0.06f * s, 0.f});
          add(0.55f, down);
          add(1.15f, pose_sit_at(b_, 0.05f * s, v));
        } else if (c_.from == Posture::kneeling || c_.from == Posture::all_fours || c_.from == Posture::prone) {
          // Up off the knee into a lunge, down into a crouch, onto the seat: a knee swept back and
          // forth along the ground would have to pass through it.
          float t = 0.f;
          if (c_.from == Posture::prone) add(t, pose_lie_front_at(b_, 0.3f * s)), t += 0.7f;
          if (c_.from != Posture::kneeling) add(t, pose_all_fours_at(b_, c_.from == Posture::prone ? 0.3f * s : -0.38f * s)), t += 0.6f;
          add(t, pose_kneel_at(b_, 0.06f * s, d));
          add(t += 0.4f, lunge_pose());
          LocalPose down = pose_crouch_at(b_, 0.0f, 0.06f * s, 0.5f);
          down.px -= 0.12f * s;
          plant_feet(b_, down, {0.f, 0.f}, {0.06f * s, 0.f});
          add(t += 0.5f, down);
          add(t += 0.6f, pose_sit_at(b_, 0.05f * s, v));
        } else {
          add(0.f, from_pose());
          add(0.9f, pose_sit_at(b_, 0.05f * s, v));
        }
        idle_arms_ = v != 1;
        end_ = Posture::sitting;
        break;
      }
      case act::kneel: {
        if (c_.from == Posture::standing) {
          add(0.f, pose_stand_at(b_, -0.05f * s, 0.06f * s));
          add(0.45f, lunge_pose());
          add(0.95f, pose_kneel_at(b_, 0.06f * s, d));
        } else if (c_.from == Posture::sitting || c_.from == Posture::lying) {
          // Up from the seat (lean forward onto the feet, crouch), then down onto one knee.
          float t = 0.f;
          if (c_.from == Posture::lying) add(t, pose_lie_back_at(b_, -0.69f * s, 0)), t += 0.7f;
          add(t, pose_sit_at(b_, 0.05f * s, 0));
          add(t += 0.45f, sit_lean_pose());
          add(t += 0.45f, pose_crouch_at(b_, 0.f, 0.08f * s, 0.5f));
          add(t += 0.4f, lunge_pose());
          add(t += 0.5f, pose_kneel_at(b_, 0.06f * s, d));
        } else if (c_.from == Posture::prone) {
          add(0.f, pose_lie_front_at(b_, 0.3f * s));
          add(0.7f, pose_all_fours_at(b_, 0.3f * s));
          add(1.25f, pose_kneel_at(b_, 0.76f * s, dom_));
        } else if (c_.from == Posture::crouching) {
          add(0.f, from_pose());
          add(0.4f, lunge_pose());
          add(0.9f, pose_kneel_at(b_, 0.06f * s, d));
        } else {
          add(0.f, from_pose());
          add(1.0f, pose_kneel_at(b_, 0.06f * s, d));
        }
        idle_arms_ = true;
        end_ = Posture::kneeling;
        break;
      }
      case act::lie_down: {
        float t = 0.f;
        if (c_.from == Posture::standing || c_.from == Posture::crouching || c_.from == Posture::kneeling) {
          add(t, from_pose());
          LocalPose down = pose_crouch_at(b_, 0.0f, 0.06f * s, 0.5f);
          down.px -= 0.12f * s;
          plant_feet(b_, down, {0.f, 0.f}, {0.06f * s, 0.f});
          add(t += 0.55f, down);
          add(t += 0.6f, pose_sit_at(b_, 0.05f * s, 0));
        } else if (c_.from == Posture::sitting) {
          add(t, pose_sit_at(b_, 0.05f * s, 0));
        } else {
          add(t, from_pose());
        }
        add(t += 0.9f, pose_lie_back_at(b_, -0.69f * s, variant_));
        idle_arms_ = variant_ != 2;
        end_ = Posture::lying;
        break;
      }
      case act::crouch: {
        add(0.f, from_pose());
        add(0.5f, pose_crouch_at(b_, -0.05f * s, 0.07f * s, 0.55f + 0.05f * (1.f - A)));
        LocalPose look = pose_crouch_at(b_, -0.05f * s, 0.07f * s, 0.55f + 0.05f * (1.f - A));
        look.nod -= 0.15f;
        add(1.6f, look);
        add(2.8f, keys_[1].p);
        intro_ = 0.5f / c_.tempo;
        period_ = 2.3f / c_.tempo;
        end_ = Posture::crouching;
        break;
      }
      case act::squat: {
        const LocalPose up = pose_stand_at(b_, -0.09f * s, 0.09f * s);
        LocalPose low = pose_crouch_at(b_, -0.09f * s, 0.09f * s, 0.5f + 0.1f * (1.4f - A));
        low.sh[L] = low.sh[R] = 1.45f, low.el[L] = low.el[R] = 0.1f;
        low.nod = -0.3f;
        add(0.f, up);
        add(0.9f, low);
        add(1.1f, low);
        add(2.0f, up);
        period_ = 2.0f / c_.tempo;
        idle_arms_ = false;
        break;
      }
      case act::lift: {  // squat, grab the box, stand with it, hold, put it back
        const LocalPose up = pose_stand_at(b_, -0.1f * s, 0.1f * s);
        LocalPose low = pose_crouch_at(b_, -0.1f * s, 0.1f * s, 0.5f);
        low.lean = 0.75f;
        {
          const Joints j = local_joints(b_, low);
          reach(b_, low, L, {j[v3::l_knee].x + 0.28f * s, 0.12f * s});
          reach(b_, low, R, {j[v3::r_knee].x + 0.3f * s, 0.12f * s});
        }
        LocalPose hold = up;
        {
          const Joints j = local_joints(b_, hold);
          reach(b_, hold, L, j[v3::chest] + Vec2{0.3f * s, -0.15f * s});
          reach(b_, hold, R, j[v3::chest] + Vec2{0.32f * s, -0.15f * s});
          hold.lean = -0.08f;
        }
        add(0.f, up);
        add(1.0f, low);
        add(1.3f, low);
        add(2.3f, hold);
        add(3.3f, hold);
        add(4.3f, low);
        add(4.6f, low);
        add(5.5f, up);
        period_ = 5.5f / c_.tempo;
        break;
      }
      case act::fall: {
        const bool forward = fall_forward(c_.seed);
        if (c_.from != Posture::standing) {
          add(0.f, from_pose());
          add(0.8f, forward ? pose_lie_front_at(b_, 0.3f * s) : pose_lie_back_at(b_, -0.69f * s, 0));
          end_ = forward ? Posture::prone : Posture::lying;
          break;
        }
        add(0.f, pose_stand_at(b_, -0.05f * s, 0.05f * s));
        if (forward) {
          LocalPose trip = pose_stand_at(b_, -0.05f * s, 0.3f * s);
          trip.lean = 0.45f, trip.sh[L] = trip.sh[R] = 1.2f, trip.el[L] = trip.el[R] = 0.3f;
          add(0.3f, trip);
          LocalPose knees = pose_kneel2_at(b_, 0.3f * s);
          knees.lean = 0.7f, knees.sh[L] = knees.sh[R] = 1.6f;
          add(0.62f, knees);
          add(1.0f, pose_lie_front_at(b_, 0.3f * s));
          end_ = Posture::prone;
        } else {
          LocalPose stagger = pose_stand_at(b_, -0.05f * s, 0.05f * s);
          stagger.lean = -0.25f * A, stagger.px -= 0.06f * s;
          plant_feet(b_, stagger, {-0.05f * s, 0.f}, {0.05f * s, 0.f});
          stagger.sh[L] = 2.4f, stagger.sh[R] = 1.9f, stagger.el[L] = stagger.el[R] = 0.5f;
          add(0.22f, stagger);
          LocalPose seat = pose_sit_at(b_, 0.05f * s, 2);
          seat.lean = -0.5f, seat.sh[L] = 1.7f, seat.sh[R] = 1.5f, seat.el[L] = seat.el[R] = 0.3f;  // arms thrown forward
          seat.hand[L] = seat.hand[R] = kHandFree;
          add(0.6f, seat);
          LocalPose flat = pose_lie_back_at(b_, -0.97f * s, 0);
          flat.hip[L] = flat.hip[R] = kPi / 2 + 0.25f;  // legs bounce up on impact
          flat.foot[L] = flat.foot[R] = 0;
          add(0.9f, flat);
          add(1.4f, pose_lie_back_at(b_, -0.97f * s, 0));
          end_ = Posture::lying;
        }
        break;
      }
      case act::batting: {
        const float fx = 0.3f * s;
        LocalPose stance = pose_stand_at(b_, -fx, fx);
        stance.py -= 0.08f * s;
        plant_feet(b_, stance, {o == L ? fx : -fx, 0.f}, {o == L ? -fx : fx, 0.f});
        stance.lean = 0.15f;
        auto hands = [&](LocalPose& p, Vec2 at, float twist) {
          p.twist = twist;
          reach(b_, p, L, at);
          reach(b_, p, R, at + Vec2{0.01f, 0.02f});
          p.hand[L] = p.hand[R] = kHandClap;
          p.hand_w[L] = p.hand_w[R] = 1.f;
        };
        const Joints j = local_joints(b_, stance);
        const Vec2 neck = j[v3::neck];
        LocalPose wait = stance, load = stance, contact = stance, follow = stance;
        hands(wait, neck + Vec2{-0.18f * s, 0.05f * s}, -0.3f);
        load.lean = 0.05f;
        hands(load, neck + Vec2{-0.3f * s, 0.1f * s}, -0.6f);
        contact.lean = 0.25f;
        hands(contact, neck + Vec2{0.55f * s, -0.45f * s}, 0.4f * A);
        follow.lean = 0.1f;
        hands(follow, neck + Vec2{0.15f * s, 0.08f * s}, 1.0f * A);
        add(0.f, wait);
        add(1.4f, wait);
        add(1.8f, load);
        add(2.0f, contact);
        add(2.3f, follow);
        add(2.9f, wait);
        period_ = 2.9f / c_.tempo;
        break;
      }
      case act::pitching: {
        LocalPose set = pose_stand_at(b_, -0.05f * s, 0.08f * s);
        auto ball_hands = [&](LocalPose& p) {
          const Joints j = local_joints(b_, p);
          reach(b_, p, L, j[v3::chest] + Vec2{0.22f * s, -0.05f * s});
          reach(b_, p, R, j[v3::chest] + Vec2{0.23f * s, -0.04f * s});
          p.hand[L] = p.hand[R] = kHandClap;
          p.hand_w[L] = p.hand_w[R] = 1.f;
        };
        ball_hands(set);
        LocalPose lift = set;
        lift.hip[o] = 1.35f * std::min(1.f, A), lift.knee[o] = 1.7f, lift.foot[o] = 0;
        lift.py = leg_height(b_, 0.f, 0.1f);
        leg_ik(b_, {lift.px, lift.py}, {0.08f * s * (d == R ? 1.f : -1.f) * 0.f, 0.f}, lift.hip[d], lift.knee[d]);
        lift.twist = -0.5f;
        ball_hands(lift);
        LocalPose stride = pose_stand_at(b_, 0.f, 0.f);
        stride.px = 0.4f * s, stride.py = 0.84f * b_.leg();
        plant_feet(b_, stride, d == L ? Vec2{0.f, 0.f} : Vec2{0.85f * s, 0.f}, d == L ? Vec2{0.85f * s, 0.f} : Vec2{0.f, 0.f});
        stride.sh[d] = -1.1f, stride.el[d] = 1.4f, stride.sh[o] = 1.3f, stride.el[o] = 0.4f, stride.twist = -0.6f;
        stride.lean = 0.1f;
        LocalPose release = stride;
        release.sh[d] = 2.5f, release.el[d] = 0.35f, release.sh[o] = 0.2f, release.el[o] = 1.2f, release.twist = 0.6f;
        release.lean = 0.45f;
        LocalPose follow = stride;
        follow.px = 0.55f * s;
        plant_feet(b_, follow, d == L ? Vec2{-0.05f * s, 0.f} : Vec2{0.85f * s, 0.f},
                   d == L ? Vec2{0.85f * s, 0.f} : Vec2{-0.05f * s, 0.f});
        follow.sh[d] = 0.4f, follow.el[d] = 0.4f, follow.sh[o] = 0.1f, follow.el[o] = 1.2f, follow.twist = 0.8f;
        follow.lean = 0.65f;
        follow.hip[d] = -0.5f, follow.knee[d] = 0.9f, follow.foot[d] = 0;
        LocalPose step = pose_stand_at(b_, 0.6f * s, 0.75f * s);
        LocalPose back = pose_stand_at(b_, 0.2f * s, 0.35f * s);
        add(0.f, set);
        add(0.7f, set);
        add(1.2f, lift);
        add(1.5f, stride);
        add(1.68f, release);
        add(2.1f, follow);
        add(2.6f, step);
        add(3.1f, back);
        add(3.6f, set);
        period_ = 3.6f / c_.tempo;
        break;
      }
      case act::throwing: {
        LocalPose ready = pose_stand_at(b_, -0.06f * s, 0.08f * s);
        {
          const Joints j = local_joints(b_, ready);
          reach(b_, ready, d, j[v3::chest] + Vec2{0.2f * s, -0.05f * s});
        }
        LocalPose wind = pose_stand_at(b_, 0.f, 0.f);
        wind.px = 0.05f * s;
        plant_feet(b_, wind, d == L ? Vec2{-0.08f * s, 0.f} : Vec2{0.45f * s, 0.f}, d == L ? Vec2{0.45f * s, 0.f} : Vec2{-0.08f * s, 0.f});
        wind.sh[d] = -1.0f, wind.el[d] = 1.5f, wind.sh[o] = 1.4f, wind.el[o] = 0.3f, wind.lean = -0.12f, wind.twist = -0.6f;
        LocalPose thr = wind;
        thr.px = 0.25f * s;
        plant_feet(b_, thr, d == L ? Vec2{-0.08f * s, 0.f} : Vec2{0.45f * s, 0.f}, d == L ? Vec2{0.45f * s, 0.f} : Vec2{-0.08f * s, 0.f});
        thr.sh[d] = 2.4f * std::min(1.1f, A), thr.el[d] = 0.3f, thr.sh[o] = 0.3f, thr.el[o] = 1.2f, thr.lean = 0.35f, thr.twist = 0.6f;
        LocalPose follow = thr;
        follow.sh[d] = 0.3f, follow.el[d] = 0.3f, follow.lean = 0.5f, follow.twist = 0.7f;
        add(0.f, ready);
        add(0.7f, ready);
        add(1.15f, wind);
        add(1.33f, thr);
        add(1.7f, follow);
        add(2.5f, ready);
        period_ = 2.5f / c_.tempo;
        break;
      }
      case act::kicking: {
        const LocalPose stand0 = pose_stand_at(b_, -0.05f * s, 0.05f * s);
        LocalPose plant = pose_stand_at(b_, 0.f, 0.f);
        plant.px = 0.12f * s;
        plant_feet(b_, plant, o == L ? Vec2{0.3f * s, 0.f} : Vec2{-0.05f * s, 0.f}, o == L ? Vec2{-0.05f * s, 0.f} : Vec2{0.3f * s, 0.f});
        plant.foot[d] = 0;  // the kicking foot is already up on its toes, about to swing back
        leg_ik(b_, {plant.px, plant.py}, {o == L ? -0.12f * s : -0.12f * s, 0.12f * s}, plant.hip[d], plant.knee[d]);
        LocalPose back = plant;
        back.px = 0.2f * s;
        leg_ik(b_, {back.px, back.py}, {0.3f * s, 0.f}, back.hip[o], back.knee[o]);
        back.hip[d] = -0.55f, back.knee[d] = 1.4f, back.foot[d] = 0;
        back.sh[o] = 0.9f, back.sh[d] = -0.3f, back.el[L] = back.el[R] = 0.4f, back.lean = 0.1f;
        LocalPose kick = back;
        kick.hip[d] = 1.1f * std::min(1.2f, A), kick.knee[d] = 0.15f, kick.lean = -0.12f;
        kick.sh[o] = -0.4f, kick.sh[d] = 0.9f;
        LocalPose down = pose_stand_at(b_, 0.f, 0.f);
        down.px = 0.3f * s;
        plant_feet(b_, down, {0.28f * s, 0.f}, {0.34f * s, 0.f});
        add(0.f, stand0);
        add(0.5f, stand0);
        add(0.85f, plant);
        add(1.1f, back);
        add(1.28f, kick);
        add(1.65f, down);
        add(2.1f, pose_stand_at(b_, 0.1f * s, 0.2f * s));
        add(2.6f, stand0);
        period_ = 2.6f / c_.tempo;
        break;
      }
      case act::fielding: {
        LocalPose ready = pose_crouch_at(b_, -0.18f * s, 0.18f * s, 0.78f);
        ready.sh[L] = ready.sh[R] = 0.6f, ready.el[L] = ready.el[R] = 0.6f;
        LocalPose scoop = pose_crouch_at(b_, -0.18f * s, 0.18f * s, 0.56f);
        scoop.lean = 0.95f;
        {
          const Joints j = local_joints(b_, scoop);
          reach(b_, scoop, L, {j[v3::l_knee].x + 0.35f * s, 0.05f * s});
          reach(b_, scoop, R, {j[v3::r_knee].x + 0.38f * s, 0.05f * s});
          scoop.hand[L] = scoop.hand[R] = kHandClap;
          scoop.hand_w[L] = scoop.hand_w[R] = 1.f;
        }
        LocalPose up = pose_stand_at(b_, -0.18f * s, 0.18f * s);
        {
          const Joints j = local_joints(b_, up);
          reach(b_, up, L, j[v3::chest] + Vec2{0.25f * s, -0.05f * s});
          reach(b_, up, R, j[v3::chest] + Vec2{0.26f * s, -0.04f * s});
          up.hand[L] = up.hand[R] = kHandClap;
          up.hand_w[L] = up.hand_w[R] = 1.f;
        }
        LocalPose thr = pose_stand_at(b_, -0.18f * s, 0.18f * s);
        thr.sh[d] = 2.3f, thr.el[d] = 0.4f, thr.sh[o] = 0.5f, thr.el[o] = 1.0f, thr.lean = 0.3f, thr.twist = 0.6f;
        add(0.f, ready);
        add(0.6f, ready);
        add(1.1f, scoop);
        add(1.35f, scoop);
        add(1.8f, up);
        add(2.05f, up);
        add(2.3f, thr);
        add(3.0f, ready);
        period_ = 3.0f / c_.tempo;
        break;
      }
      case act::kick: {  // martial-arts front kick from a guard
        LocalPose guard = pose_stand_at(b_, 0.f, 0.f);
        guard.px = 0.f, guard.py = 0.9f * b_.leg();
        plant_feet(b_, guard, o == L ? Vec2{0.24f * s, 0.f} : Vec2{-0.24f * s, 0.f}, o == L ? Vec2{-0.24f * s, 0.f} : Vec2{0.24f * s, 0.f});
        guard.lean = 0.1f, guard.nod = 0.15f;
        {
          const Joints j = local_joints(b_, guard);
          reach(b_, guard, o, j[v3::neck] + Vec2{0.34f * s, -0.02f * s});
          reach(b_, guard, d, j[v3::neck] + Vec2{0.2f * s, -0.1f * s});
        }
        LocalPose chamber = guard;
        chamber.px = 0.12f * s;
        leg_ik(b_, {chamber.px, chamber.py}, {0.24f * s * (o == L ? 1.f : 1.f), 0.f}, chamber.hip[o], chamber.knee[o]);
        chamber.hip[d] = 1.45f, chamber.knee[d] = 1.8f, chamber.foot[d] = 0, chamber.lean = -0.05f;
        LocalPose ext = chamber;
        ext.hip[d] = 1.5f * std::min(1.1f, A), ext.knee[d] = 0.08f, ext.lean = -0.28f;
        add(0.f, guard);
        add(0.5f, guard);
        add(0.78f, chamber);
        add(0.93f, ext);
        add(1.15f, chamber);
        add(1.5f, guard);
        period_ = 1.6f / c_.tempo;
        break;
      }
      default:
        add(0.f, pose_stand_at(b_, -0.05f * s, 0.05f * s));
        break;
    }
  }

  std::vector<Key> keys_;
  float base_ = 0.f;
  float period_ = 0.f, intro_ = 0.f;
  bool idle_arms_ = false;
  Posture end_ = Posture::standing;
};

// ---------------------------------------------------------------- climbing, crawling, swimming, flying

class Climb : public BaseMotion {
 public:
  using BaseMotion::BaseMotion;
  void eval(int k, float t, LocalPose& p) override {
    const float s = sc();
    const float dur = c_.duration();
    // Up the ladder and back down by the end, peaking at the SPEC's 0.5 units/s x tempo.
    const float span = std::max(0.5f, dur - 1.0f);
    const float top = std::min(2.5f * s, 0.5f * c_.tempo * span / kPi);
    auto height = [&](float tt) {
      const float u = clamp01((tt - 0.4f) / span);
      const float sn = std::sin(kPi * u);
      return top * sn * sn;
    };
    const float H = height(t);
    const float period = 1.2f / c_.tempo;
    const float wall = 0.42f * s;
    const float leg = b_.leg();
    p = standing_pose(b_);
    p.px = -0.02f * s + 0.5f * (feet_[L] + feet_[R]) - X(k);
    p.py = H + 0.9f * leg;
    p.lean = 0.06f;
    p.nod = -0.2f;
    // One limb moves at a time: right hand, left foot, left hand, right foot.
    for (int limb = 0; limb < 4; ++limb) {
      const float off = 0.25f * limb;
      const float u = t / period - off;
      const float n = std::floor(u), r = u - n;
      const float move = 0.25f;
      const bool hand = limb % 2 == 0;
      const int side = limb == 0 || limb == 3 ? R : L;
      // A hold is taken ahead of the body: hands well above the shoulders, feet a rung up.
      const float rel = hand ? 0.9f * leg + 1.3f * s : 0.42f * s;
      auto hold = [&](float cyc) { return height((cyc + off + move) * period) + rel + (side == R ? 0.03f * s : 0.f); };
      float y;
      const bool moving = r < move;
      if (moving) {
        const float q = r / move;
        y = lerp(hold(n - 1.f), hold(n), smooth(q)) + 0.06f * s * std::sin(kPi * q);
      } else {
        y = hold(n);
      }
      if (hand) {
        reach(b_, p, side, {wall + p.px - 0.02f * s, y});
        p.hand[side] = moving ? kHandFree : kHandPin;
        p.hand_w[side] = 1.f;
      } else {
        leg_ik(b_, {p.px, p.py}, {wall + p.px - 0.14f * s, y}, p.hip[side], p.knee[side]);
        p.foot[side] = moving ? 0 : 1;
      }
    }
  }
};

class Crawl : public BaseMotion {
 public:
  Crawl(const SegmentCtx& c, int k0, int k1) : BaseMotion(c, k0, k1) {
    entry_ = c.from == Posture::all_fours ? 0.f : crawl_entry_seconds(c.tempo);
    // Down onto one knee, then onto the hands.
    const float s = sc(), T = entry_;
    LocalPose first = pose_stand_at(b_, -0.05f * s, 0.06f * s);
    if (c.from == Posture::kneeling) first = pose_kneel_at(b_, 0.06f * s, dom_);
    if (c.from == Posture::sitting) first = pose_sit_at(b_, 0.05f * s, 0);
    if (c.from == Posture::lying) first = pose_lie_back_at(b_, -0.69f * s, 0);
    if (c.from == Posture::prone) first = pose_lie_front_at(b_, 0.3f * s);
    entry_keys_.push_back({0.f, first});
    if (c.from == Posture::standing || c.from == Posture::crouching) {
      LocalPose lunge = pose_kneel_at(b_, 0.06f * s, dom_);
      lunge.py += 0.2f * s;
      const int back = 1 - dom_;
      leg_ik(b_, {lunge.px, lunge.py}, {0.06f * s, 0.f}, lunge.hip[dom_], lunge.knee[dom_]);
      leg_ik(b_, {lunge.px, lunge.py}, {lunge.px - 0.5f * s, 0.08f * s}, lunge.hip[back], lunge.knee[back]);
      lunge.foot[back] = 0;
      entry_keys_.push_back({0.3f * T, lunge});
      entry_keys_.push_back({0.6f * T, pose_kneel_at(b_, 0.06f * s, dom_)});
    }
    entry_keys_.push_back({T, pose_all_fours_at(b_, -0.38f * s)});
  }
  Posture end_posture() const override { return Posture::all_fours; }

  void eval(int k, float t, LocalPose& p) override {
    const float s = sc();
    const float xk = X(k);
    const float base = 0.5f * (feet_[L] + feet_[R]);
    const float kx0 = -0.38f * s;  // knees' spot once down on all fours (anchor-relative)
    if (t < entry_) {
      p = sample_keys(b_, entry_keys_, t);
      p.px += base - xk;
      return;
    }
    // All fours, pelvis carried by the travel; diagonal pairs move together (left hand with the
    // right knee). A limb is planted where the travel puts it at the middle of its stance.
    p = pose_all_fours_at(b_, 0.f);
    const float x_entry = Xt(c_.start + entry_);
    p.px = base + kx0 - x_entry;  // constant offset: pelvis rides on the anchor
    const float period = 0.9f / c_.tempo, duty = 0.72f;
    const Joints j = local_joints(b_, p);
    auto limb = [&](float off, float rel, float& x, float& lift, bool& down) {
      const float u = (t - entry_) / period + off;
      const float n = std::floor(u), r = u - n;
      auto pin = [&](float cyc) {  // X-space position of the contact that starts at cycle cyc
        const float mid = c_.start + entry_ + (cyc - off + 0.5f * duty) * period;
        return Xt(mid) + rel;
      };
      if (r < duty) {
        x = pin(n) - xk, lift = 0.f, down = true;
      } else {
        const float q = (r - duty) / (1.f - duty);
        x = lerp(pin(n), pin(n + 1.f), smooth(q)) - xk, lift = std::sin(kPi * q), down = false;
      }
    };
    for (int side = 0; side < 2; ++side) {
      float x, lift;
      bool down;
      limb(side == L ? 0.5f : 0.f, p.px, x, lift, down);  // knee under the hip at mid-stance
      const float dx = std::clamp(x - p.px, -0.8f * b_.thigh, 0.8f * b_.thigh);
      const float ky = 0.015f + 0.05f * s * lift;
      p.hip[side] = std::atan2(dx, p.py - ky);
      p.knee[side] = p.hip[side] + kPi / 2 + 0.08f;
      p.foot[side] = 0;
      const Vec2 sh = j[side == L ? v3::l_shoulder : v3::r_shoulder];
      limb(side == L ? 0.f : 0.5f, sh.x + 0.04f * s, x, lift, down);
      reach(b_, p, side, {x, 0.06f * s * lift});
      p.hand[side] = down ? kHandPin : kHandFree;
      p.hand_w[side] = 1.f;
    }
    const float ph = (t - entry_) / period;
    p.nod += 0.05f * std::sin(kTwoPi * ph);
    p.bend += 0.03f * std::sin(kTwoPi * 2.f * ph);
    if (entry_ > 0.f && t < entry_ + 0.4f) {  // settle from the last entry key into the crawl
      LocalPose q = entry_keys_.back().p;
      q.px += base - xk;
      p = blend(q, p, smooth((t - entry_) / 0.4f));
    }
  }

 private:
  float entry_;
  std::vector<Key> entry_keys_;
};

class Swim : public BaseMotion {
 public:
  Swim(const SegmentCtx& c, int k0, int k1) : BaseMotion(c, k0, k1) {
    // Stroke phase per arm, integrated frame by frame from a rate that eases in (the right arm half a
    // stroke after the left) and, when another motion follows, eases out before the segment ends, so
    // the arm angle is continuous from standing, through the strokes, into the next blend.
    const float f = 0.7f * c.tempo;  // strokes per second per arm
    const bool next = k1 > static_cast<int>(std::ceil(c.end * c.fps)) + 1;
    const int n = std::max(1, k1 - k0);
    for (int side = 0; side < 2; ++side) {
      const float d = 0.15f + (side == R ? 0.5f / f : 0.f);
      stroke_[side].assign(n, 0.f);
      double th = 0.0;
      float tprev = static_cast<float>(k0) / c.fps - c.start;
      for (int i = 0; i < n; ++i) {
        const float t = static_cast<float>(k0 + i) / c.fps - c.start;
        constexpr int kSub = 4;
        for (int q = 0; q < kSub && i > 0; ++q) {
          const float tm = tprev + (t - tprev) * (q + 0.5f) / kSub;
          float rate = f * smooth((tm - d) / 0.5f);
          if (next) rate *= 1.f - smooth((tm - (c.end - c.start - 0.3f)) / 0.7f);
          // Each stroke a little quicker or slower than the last.
          rate *= 1.f + 0.06f * std::sin(kTwoPi * (0.23f * tm + ph_[0])) + 0.03f * std::sin(kTwoPi * (0.61f * tm + ph_[2]));
          th += kTwoPi * rate * (t - tprev) / kSub;
        }
        stroke_[side][i] = static_cast<float>(th);
        tprev = t;
      }
    }
  }
  Posture end_posture() const override { return Posture::horizontal; }
  void eval(int k, float t, LocalPose& p) override {
    const float s = sc();
    p = standing_pose(b_);
    const float in = ramp(t, 0.f, 0.7f);
    p.px = 0.f;
    p.py = lerp(0.985f * b_.leg(), 1.02f * s + 0.015f * s * std::sin(kTwoPi * (0.31f * t + ph_[1])) * in, in);
    p.lean = lerp(0.f, kPi / 2 - 0.08f + 0.03f * std::sin(kTwoPi * (0.17f * t + ph_[3])), in);
    p.nod = -0.45f * in;
    const float A = c_.amp;
    const int i = std::clamp(k - k0_, 0, static_cast<int>(stroke_[0].size()) - 1);
    for (int side = 0; side < 2; ++side) {
      // Freestyle: from along the body up out of the water, forward, then pulling down and back.
      const float th = stroke_[side][i];
      p.sh[side] = 0.1f - th;
      p.el[side] = lerp(0.2f, 0.35f + 0.3f * std::max(0.f, std::sin(th)), in);
      const float kick = std::sin(kTwoPi * 2.2f * c_.tempo * t + side * kPi);
      p.hip[side] = lerp(0.f, -kPi / 2 + 0.12f + 0.22f * A * kick, in);
      p.knee[side] = lerp(0.06f, 0.25f + 0.2f * std::max(0.f, kick), in);
      p.foot[side] = in < 0.3f ? 1 : 0;
    }
  }

 private:
  std::vector<float> stroke_[2];
};

class Fly : public BaseMotion {
 public:
  using BaseMotion::BaseMotion;
  Posture end_posture() const override { return Posture::horizontal; }
  void eval(int k, float t, LocalPose& p) override {
    const float s = sc();
    p = standing_pose(b_);
    const float in = ramp(t, 0.f, 0.9f);
    // Hovering bob at the tempo plus slower drifts at unrelated rates: no two windows repeat.
    const float bob = 0.08f * s * std::sin(kTwoPi * (0.4f * c_.tempo * t + ph_[0])) +
                      0.03f * s * std::sin(kTwoPi * (0.13f * t + ph_[1]));
    p.py = lerp(0.985f * b_.leg(), 2.3f * s + bob, in);
    p.lean = lerp(0.f, kPi / 2 - 0.15f + 0.04f * std::sin(kTwoPi * (0.21f * t + ph_[2])), in);
    p.nod = (-0.5f + 0.06f * std::sin(kTwoPi * (0.17f * t + ph_[3]))) * in;
    const float beat = 0.8f * c_.tempo * t + 0.12f * std::sin(kTwoPi * (0.17f * t + ph_[3]));
    const float flap = std::sin(kTwoPi * beat);
    if (variant_ == 0) {  // arms ahead like a superhero
      p.sh[dom_] = lerp(0.06f, kPi - 0.1f + 0.05f * std::sin(kTwoPi * (0.27f * t + ph_[0])), in), p.el[dom_] = 0.05f;
      p.sh[off_] = lerp(0.06f, 0.2f + 0.08f * std::sin(kTwoPi * (0.19f * t + ph_[1])), in), p.el[off_] = 0.1f;
    } else {  // wings, each beat a little different
      const float size = c_.amp * (1.f + 0.1f * std::sin(kTwoPi * (0.11f * t + ph_[2])));
      p.sh[L] = lerp(0.06f, 1.6f + 0.5f * size * flap, in);
      p.sh[R] = lerp(0.06f, 1.5f + 0.5f * size * flap, in);
      p.el[L] = p.el[R] = 0.15f;
    }
    for (int side = 0; side < 2; ++side) {
      const float drift = 0.06f * std::sin(kTwoPi * (0.6f * c_.tempo * t + 0.16f * side + ph_[2])) +
                          0.04f * std::sin(kTwoPi * (0.23f * t + 0.3f * side + ph_[3]));
      p.hip[side] = lerp(0.f, -kPi / 2 + 0.2f + drift, in);
      p.knee[side] = lerp(0.06f, 0.3f + 0.1f * side, in);
      p.foot[side] = in < 0.2f ? 1 : 0;
    }
    (void)k;
  }
};

// ---------------------------------------------------------------- interactions

class Interact : public BaseMotion {
 public:
  Interact(const SegmentCtx& c, int k0, int k1) : BaseMotion(c, k0, k1), gait_(gait_for(act::walk, c), c_, k0, k1) {}

  void eval(int k, float t, LocalPose& p) override {
    gait_.eval(k, p);
    const float walking = gait_.activity(k);
    if (walking < 1.f) {
      LocalPose st = stand(k, t);
      // While standing, feet stay where the gait put them (the lock pins them there).
      st.hip[L] = p.hip[L], st.hip[R] = p.hip[R], st.knee[L] = p.knee[L], st.knee[R] = p.knee[R];
      st.py = p.py, st.px = p.px;
      const uint8_t feet[2] = {p.foot[L], p.foot[R]};
      p = blend(st, p, walking);
      p.foot[L] = feet[L], p.foot[R] = feet[R];  // the gait knows which foot is down
    }
    const float s = sc();
    const float tc = c_.inter && c_.inter->contact >= 0.f ? c_.inter->contact - c_.start : 1e9f;
    const float gap = c_.inter ? c_.inter->gap : 1.1f * s;
    const Joints j = local_joints(b_, p);
    switch (c_.action) {
      case act::handshake: {
        const float hold = 2.0f / c_.tempo;
        const float w = window(t, tc - 0.45f, tc + hold + 0.45f, 0.45f);
        const float pump = window(t, tc, tc + hold, 0.2f) * std::sin(kTwoPi * 2.4f * c_.tempo * (t - tc));
        const Vec2 meet{p.px + 0.5f * gap, 0.92f * b_.leg() + 0.07f * s * pump};
        LocalPose q = p;
        reach(b_, q, R, meet);
        p.sh[R] = lerp_arm(p.sh[R], q.sh[R], w), p.el[R] = lerp(p.el[R], q.el[R], w);
        p.hand[R] = kHandPartner, p.hand_w[R] = ramp(t, tc - 0.2f, 0.2f) * (1.f - ramp(t, tc + hold, 0.25f));
        p.lean += 0.06f * w;
        break;
      }
      case act::high_five: {
        const float w = window(t, tc - 0.5f, tc + 0.5f, 0.45f);
        const Vec2 meet{p.px + 0.5f * gap, 2.42f * s};  // above the heads
        LocalPose q = p;
        reach(b_, q, dom_, meet);
        p.sh[dom_] = lerp_arm(p.sh[dom_], q.sh[dom_], w), p.el[dom_] = lerp(p.el[dom_], q.el[dom_], w);
        p.hand[dom_] = kHandPartner, p.hand_w[dom_] = window(t, tc - 0.15f, tc + 0.15f, 0.14f);
        p.lean -= 0.05f * w;
        break;
      }
      case act::hug: {
        const float hold = 2.4f / c_.tempo;
        const float w = window(t, tc - 0.5f, tc + hold + 0.5f, 0.5f);
        const Vec2 back = j[v3::chest] + Vec2{gap + 0.06f * s, 0.08f * s};
        LocalPose q = p;
        reach(b_, q, L, back);
        reach(b_, q, R, back + Vec2{0.f, 0.1f * s});
        for (int side = 0; side < 2; ++side) {
          p.sh[side] = lerp_arm(p.sh[side], q.sh[side], w), p.el[side] = lerp(p.el[side], q.el[side], w);
          p.hand[side] = kHandPartnerBody;
          p.hand_w[side] = ramp(t, tc - 0.25f, 0.25f) * (1.f - ramp(t, tc + hold, 0.3f));
        }
        p.lean += 0.12f * w;
        p.nod += 0.15f * w;
        p.twist = 0.2f * w * std::sin(kTwoPi * 0.5f * (t - tc));
        break;
      }
      default:
        break;
    }
  }

 private:
  Gait gait_;
};

}  // namespace

std::unique_ptr<Motion> make_motion(const SegmentCtx& c, int k0, int k1) {
  switch (c.action) {
    case act::walk: case act::run: case act::sprint: case act::running_bases: case act::march: case act::limp:
    case act::carry: case act::dribbling: case act::skip: case act::hop: case act::push: case act::pull:
    case act::dance: case act::fight: case act::dodge: case act::turn: case act::spin:
      return std::make_unique<Locomotion>(c, k0, k1);
    case act::jump: case act::celebrate: case act::shooting:
      return std::make_unique<Jump>(c, k0, k1);
    case act::sit: case act::kneel: case act::lie_down: case act::crouch: case act::squat: case act::lift:
    case act::fall: case act::get_up: case act::batting: case act::pitching: case act::throwing:
    case act::kicking: case act::fielding: case act::kick:
      return std::make_unique<Keyed>(c, k0, k1);
    case act::stand:
      if (c.from != Posture::standing) return std::make_unique<Keyed>(c, k0, k1);
      return std::make_unique<Gesture>(c, k0, k1);
    case act::climbing: return std::make_unique<Climb>(c, k0, k1);
    case act::crawling: return std::make_unique<Crawl>(c, k0, k1);
    case act::swimming: return std::make_unique<Swim>(c, k0, k1);
    case act::flying: return std::make_unique<Fly>(c, k0, k1);
    case act::handshake: case act::hug: case act::high_five:
      return std::make_unique<Interact>(c, k0, k1);
    default:
      return std::make_unique<Gesture>(c, k0, k1);
  }
}

}  // namespace stickgen::synth
