// synthesize(): plan -> clip.
//  1. Timelines: sorted, gap-free segments per actor; a get-up is inserted where an action that
//     starts standing follows one that ended on the ground.
//  2. Travel (all actors in lockstep, because approaching and facing depend on the others):
//     anchor x, facing yaw psi (turns, spins, circles), local speed v and distance X per frame.
//  3. Poses: each segment's generator, blended into the next over 0.3-0.5 s, mood applied.
//  4. World: forward kinematics, then feet and hands pinned where they are planted (two-bone IK,
//     pelvis lowered where a leg cannot reach), then hands that must meet (clap, partners).
#include <algorithm>
#include <cmath>
#include <string>

#include "data/synth/engine.hpp"
#include "data/synth/motion_util.hpp"
#include "stickgen/common.hpp"
#include "stickgen/synth.hpp"

namespace stickgen {
namespace synth {
namespace {

constexpr float kMaxTravel = 17.f;      // units/s: keeps the root well under SPEC §7's 20
constexpr float kAccelBudget = 55.f;    // units/s^2 a blend or turn may ask of the root
constexpr float kApproachAccel = 2.5f;  // units/s^2 when walking up to a partner or target

struct Seg {
  int action = 0;
  int label = 0;  // per-frame action id written to the clip
  float start = 0.f, end = 0.f;
  int k0 = 0, k1 = 0;
  float tempo = 1.f, amp = 1.f;
  Expression mood = Expression::neutral;
  Direction dir = Direction::none;
  int target = -1;
  int repeats = 0;
  int overlay = -1;   // upper-body action layered on this one ("walks while waving")
  float sync_period = 0.f, sync_offset = 0.f;  // catching in time with a thrower
  float blend = 0.f;  // seconds blending in from the previous segment
  float pre = 0.f;    // seconds before its start that the speed already changes towards it (a stop too big for the blend)
  float speed = 0.f;  // base local speed (signed)
  Posture from = Posture::standing;
  int inter = -1;     // index of the interaction it takes part in
  uint64_t seed = 0;
  // phase-1 state
  float ctrl_v = 0.f;
  float psi_start = 0.f;
  int spin_turns = 0;
  float spin_dir = 1.f;
};

struct Turn {
  bool active = false;
  float t0 = 0.f, dur = 0.f, psi0 = 0.f, psi1 = 0.f;
};

struct Actor {
  Body body;
  ActorStyle style;
  std::vector<Seg> segs;
  ActorTrack track;
  Turn turn;
  int cur = 0;
  std::vector<std::unique_ptr<Motion>> motions;
  std::vector<LocalPose> poses;
  std::vector<Joints> joints;
  float life[22] = {};  // seeded phases (0-19) and rate factors (20, 21) of the life layer
};

// Life: breathing, a drifting head, idle arms and a slow sway of the torso, added to every pose.
// Too small to read as motion in an active pose, enough that no held posture (sitting, lying, idle,
// a long hug) is ever a still frame: several incommensurate sines per part, seeded per actor.
void add_life(LocalPose& p, const Body& body, const float* ph, float t) {
  const float s = body.leg() / 1.2f;
  // Slow drift plus a faint quicker tremor (so that a drift's turning points are not still frames).
  auto wob = [&](int i, float f1, float f2, float f3) {
    return 0.5f * std::sin(kTwoPi * (f1 * ph[20] * t + ph[i])) + 0.3f * std::sin(kTwoPi * (f2 * ph[21] * t + ph[i + 1])) +
           0.2f * std::sin(kTwoPi * (f3 * ph[21] * t + ph[i + 2]));
  };
  // Lying on the back (lean ~ -pi/2) or the front (~ +pi/2): everything that moves, moves up, off the floor.
  const float flat = smooth((std::fabs(p.lean) - 0.8f) / 0.5f);
  const float up = p.lean > 0.f ? -1.f : 1.f;  // torso bend that raises the neck of a flat body
  auto signed_or_up = [&](float w) { return lerp(w, 0.5f + 0.5f * w, flat); };
  // A hand or the head already near the floor (hands planted to stand up, a head on the ground) does
  // not drift into it: its share fades out below 0.12 units.
  Joints j;
  local_fk(body, p, j);
  // (A hand pinned to the ground is held there by the hand locks, which keep it out of the floor.)
  auto near_floor = [&](int side, Vec2 wrist, Vec2 elbow) {
    const float n = lerp(smooth(std::min(wrist.y, elbow.y) / 0.12f), 1.f, flat);
    return p.hand[side] == kHandPin ? lerp(n, 1.f, clamp01(p.hand_w[side])) : n;
  };
  const float near_l = near_floor(L, j[v3::l_wrist], j[v3::l_elbow]);
  const float near_r = near_floor(R, j[v3::r_wrist], j[v3::r_elbow]);
  const float near_h = smooth((j[v3::head_center].y - body.head) / 0.12f);
  const float breath = 0.5f + 0.5f * std::sin(kTwoPi * (0.26f * ph[20] * t + ph[0]));
  p.bend += lerp(0.014f * (breath - 0.5f), up * 0.02f * breath, flat);
  p.shrug[L] += 0.007f * s * breath, p.shrug[R] += 0.007f * s * breath;
  p.nod += 0.04f * near_h * wob(1, 0.11f, 0.29f, 0.9f);
  // The torso sways more when seated or kneeling (nothing else may be free to move: hands planted
  // behind the back), and the pelvis shifts its weight a little (not when lying).
  const float seated = 1.f - smooth((p.py / body.leg() - 0.4f) / 0.4f);
  const float sway = wob(4, 0.09f, 0.23f, 0.85f);
  p.lean += lerp(lerp(0.035f, 0.05f, seated) * std::min(near_l, near_r) * sway, up * 0.015f * (0.5f + 0.5f * sway), flat);
  p.px += (1.f - flat) * 0.012f * s * wob(10, 0.07f, 0.17f, 0.7f);
  for (int side = 0; side < 2; ++side) {
    const int i = side ? 13 : 7;
    const float near = side ? near_r : near_l;
    p.sh[side] += 0.06f * near * signed_or_up(wob(i, side ? 0.17f : 0.13f, side ? 0.41f : 0.37f, side ? 1.2f : 1.1f));
    p.el[side] = std::max(0.f, p.el[side] + 0.05f * near * wob(i + 3, side ? 0.29f : 0.23f, 0.53f, side ? 1.05f : 0.95f));
  }
}

float mood_tempo(Expression e) {
  switch (e) {
    case Expression::sad: return 0.85f;
    case Expression::angry: return 1.05f;
    case Expression::excited: return 1.1f;
    case Expression::happy: return 1.04f;
    default: return 1.f;
  }
}
float mood_amp(Expression e) {
  switch (e) {
    case Expression::sad: return 0.75f;
    case Expression::angry: return 1.1f;
    case Expression::excited: return 1.2f;
    case Expression::happy: return 1.08f;
    default: return 1.f;
  }
}

int frame_of(float t, float fps) { return static_cast<int>(std::ceil(t * fps - 1e-3f)); }

// Sorted, clamped, gap-free segments covering [0, duration).
std::vector<ActionSegment> normalise_timeline(const std::vector<ActionSegment>& in, float duration) {
  std::vector<ActionSegment> segs;
  for (const auto& s : in) {
    if (s.action < 0 || s.action >= kNumActions)
      throw Error("plan: action id " + std::to_string(s.action) + " is outside [0, " + std::to_string(kNumActions) + ")");
    ActionSegment c = s;
    if (!std::isfinite(c.start)) c.start = 0.f;
    if (!std::isfinite(c.end)) c.end = duration;
    c.start = std::clamp(c.start, 0.f, duration);
    c.end = std::clamp(c.end, 0.f, duration);
    if (c.end - c.start < 1e-3f) continue;
    segs.push_back(c);
  }
  std::stable_sort(segs.begin(), segs.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  std::vector<ActionSegment> out;
  float t = 0.f;
  for (auto s : segs) {
    if (s.start < t) s.start = t;
    if (s.end - s.start < 1e-3f) continue;
    if (s.start > t + 1e-3f) {
      if (!out.empty() && action_params(out.back().action).ends_on_ground) {
        out.back().end = s.start;
      } else if (out.empty() && s.start < 0.5f) {
        s.start = 0.f;
      } else {
        ActionSegment idle;
        idle.action = act::idle;
        idle.start = t, idle.end = s.start;
        idle.expression = action_info(act::idle).expression;
        out.push_back(idle);
      }
    }
    out.push_back(s);
    t = s.end;
  }
  if (out.empty()) {
    ActionSegment idle;
    idle.action = act::idle;
    idle.expression = Expression::neutral;
    idle.start = 0.f, idle.end = duration;
    out.push_back(idle);
  } else if (t < duration) {
    out.back().end = duration;  // the last action goes on to the end
  }
  return out;
}

float getup_seconds(Posture p) {
  switch (p) {
    case Posture::lying: case Posture::prone: return 2.0f;
    case Posture::all_fours: return 1.3f;
    case Posture::sitting: return 1.4f;
    case Posture::kneeling: return 1.0f;
    case Posture::crouching: return 0.7f;
    case Posture::horizontal: return 0.9f;
    default: return 0.f;
  }
}

}  // namespace

bool overlay_action(int action) {
  switch (action) {
    case act::wave: case act::talk: case act::shout: case act::whisper: case act::sing: case act::point:
    case act::clap: case act::eating: case act::drinking: case act::reading: case act::typing:
    case act::looking_around: case act::laugh: case act::cry: case act::salute: case act::shrug:
      return true;
    default:
      return false;
  }
}

bool fall_forward(uint64_t seed) { return (Rng(seed ^ 0xFA11ull).next() % 4) == 0; }

// ---------------------------------------------------------------- the engine

class Engine {
 public:
  Engine(const Plan& plan, const SynthOptions& opts) : plan_(plan), opts_(opts) {
    if (plan.actors.empty()) throw Error("plan: no actors");
    if (!(opts.fps > 0.f) || !std::isfinite(opts.fps)) throw Error("synth: fps must be positive");
    duration_ = plan.duration > 0.f && std::isfinite(plan.duration) ? plan.duration : 10.f;
    fps_ = opts.fps;
    T_ = std::max(1, static_cast<int>(std::lround(duration_ * fps_)));
    duration_ = T_ / fps_;
  }

  Clip run();

 private:
  void build_actors();
  void travel();
  void enter_segment(int a, int i, int k);
  float segment_speed(int a, int i, int k, float t);
  float facing_update(int a, int i, int k, float t, float psi_prev, float v);
  void start_turn(int a, float t, float psi, float target_sign, float v, float tempo);
  void schedule_interactions();
  void poses();
  void world();
  void lock_feet(Actor& A);
  void lock_hands(Actor& A);
  void meet_hands();
  float partner_x(int a, int k) const;
  int partner_of(int a, const Seg& s) const;

  const Plan& plan_;
  const SynthOptions& opts_;
  float duration_, fps_;
  int T_;
  std::vector<Actor> actors_;
  std::vector<Interaction> inter_;
};

void Engine::build_actors() {
  const int A = static_cast<int>(plan_.actors.size());
  actors_.resize(A);
  for (int a = 0; a < A; ++a) {
    Actor& act = actors_[a];
    const ActorPlan& ap = plan_.actors[a];
    if (!opts_.vary) act.style = ActorStyle{};
    else if (a < static_cast<int>(opts_.styles.size())) act.style = opts_.styles[a];
    else act.style = random_style(opts_.seed, a, ap.kind);
    act.body = make_body(act.style.body);
    {
      Rng rng(opts_.seed * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(a) + 1) * 0xA24BAED4963EE407ull ^ 0x11FEull);
      for (int i = 0; i < 20; ++i) act.life[i] = rng.uniform();
      act.life[20] = rng.uniform(0.85f, 1.15f), act.life[21] = rng.uniform(0.85f, 1.15f);  // rate factors
    }
    const auto timeline = normalise_timeline(ap.timeline, duration_);
    Posture posture = Posture::standing;
    int idx = 0;
    for (const auto& s : timeline) {
      Seg g;
      g.action = g.label = s.action;
      g.start = s.start, g.end = s.end;
      const float t_mod = std::isfinite(s.tempo) && s.tempo > 0.f ? s.tempo : 1.f;
      const float i_mod = std::isfinite(s.intensity) && s.intensity > 0.f ? s.intensity : 1.f;
      g.mood = s.expression;
      // A mood the prompt asked for (not the action's own face) changes pace and size.
      const bool asked = g.mood != action_info(g.action).expression;
      g.tempo = std::clamp(t_mod * act.style.tempo * (asked ? mood_tempo(g.mood) : 1.f), 0.4f, 2.0f);
      g.amp = std::clamp(i_mod * act.style.amplitude * (asked ? mood_amp(g.mood) : 1.f), 0.3f, 1.7f);
      g.dir = s.direction;
      g.target = s.target_actor >= 0 && s.target_actor < A && s.target_actor != a ? s.target_actor : -1;
      g.repeats = std::max(0, s.repeats);
      g.overlay = s.overlay >= 0 && s.overlay < kNumActions ? s.overlay : -1;
      // "three times": fit the repetitions into the segment by adjusting the tempo.
      const float cycle = action_params(g.action).cycle_seconds;
      if (g.repeats > 0 && cycle > 0.f && s.end > s.start)
        g.tempo = std::clamp(cycle * g.repeats / (s.end - s.start), 0.5f, 2.0f);
      g.seed = opts_.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(a) * 1315423911ull + idx * 2654435761ull;
      ++idx;
      g.from = posture;
      // Getting up at the very start of a clip starts on the ground (mid-clip after a standing
      // action there is nothing to get up from: the figure stays up).
      if (g.action == act::get_up && idx == 1 && posture == Posture::standing)
        g.from = Rng(g.seed).chance(0.5f) ? Posture::lying : Posture::sitting;
      // Something that starts standing after the body ended on the ground gets up first.
      if (posture != Posture::standing && needs_standing(g.action)) {
        const float need = getup_seconds(posture) / std::sqrt(g.tempo);
        const float len = g.end - g.start;
        Seg up = g;
        up.action = act::get_up;
        up.label = act::get_up;
        up.mood = Expression::neutral;
        if (len < need + 0.6f) {
          up.end = g.end;
          act.segs.push_back(up);
          posture = Posture::standing;
          continue;
        }
        up.end = g.start + need;
        act.segs.push_back(up);
        g.start = up.end;
        g.from = Posture::standing;
      }
      posture = end_posture(g.action, g.from);
      if (g.action == act::fall && fall_forward(g.seed)) posture = Posture::prone;
      if (g.action == act::get_up || g.action == act::stand) posture = Posture::standing;
      act.segs.push_back(g);
    }
    // Frames, speeds and blend windows.
    for (size_t i = 0; i < act.segs.size(); ++i) {
      Seg& g = act.segs[i];
      g.k0 = frame_of(g.start, fps_);
      g.k1 = i + 1 < act.segs.size() ? frame_of(g.end, fps_) : T_;
      float speed = base_speed(g.action) * g.tempo;
      if (g.dir == Direction::backward) speed = -std::fabs(speed) * 0.6f;
      g.speed = std::clamp(speed, -kMaxTravel, kMaxTravel);
      if (oscillating_travel(g.action)) g.speed = std::fabs(g.speed);
    }
    // Drop segments shorter than a frame (their time goes to the previous one).
    std::vector<Seg> kept;
    for (auto& g : act.segs) {
      if (g.k1 <= g.k0) {
        if (!kept.empty()) kept.back().end = g.end, kept.back().k1 = std::max(kept.back().k1, g.k1);
        continue;
      }
      kept.push_back(g);
    }
    if (kept.empty()) {
      Seg g;
      g.action = g.label = act::idle;
      g.start = 0, g.end = duration_, g.k0 = 0, g.k1 = T_;
      kept.push_back(g);
    }
    kept.front().k0 = 0;
    kept.back().k1 = T_;
    for (size_t i = 1; i < kept.size(); ++i) kept[i].k0 = kept[i - 1].k1;
    for (size_t i = 1; i < kept.size(); ++i) {
      Seg& g = kept[i];
      const Seg& p = kept[i - 1];
      float b = std::clamp(0.4f / std::sqrt(g.tempo), 0.3f, 0.5f);
      // A smoothstep speed change over b peaks at 1.5 dv / b. When one side stands still its body is
      // fixed in the world while the other rides on the moving anchor, and blending the two poses on top
      // of the speed ramp doubles that peak (about 3 dv / b).
      // (3.5 rather than 3: the next pose may itself be moving fast, e.g. crouching down to crawl.)
      // (Crawling starts from standing still: it only moves off once down on all fours.)
      const float g_speed = g.action == act::crawling && g.from != Posture::all_fours ? 0.f : g.speed;
      const bool fixed = p.speed == 0.f || g_speed == 0.f || oscillating_travel(p.action) || oscillating_travel(g.action);
      const float dv = std::fabs(g_speed - p.speed);
      b = std::max(b, (fixed ? 3.5f : 1.5f) * dv / kAccelBudget);
      if (g.from == Posture::horizontal || p.action == act::flying || p.action == act::swimming) b = std::max(b, 0.8f);
      const float dg = (g.k1 - g.k0) / fps_, dp = (p.k1 - p.k0) / fps_;
      g.blend = std::min({b, 0.6f * dg, 0.6f * dp});
      // A stop the next segment is too short to absorb (a sprint, then half a second of idling): the
      // speed starts changing before the boundary, within the previous segment after its own blend-in,
      // so the speed ramp (1.5 dv over its length) stays within the budget. Only towards a plain speed.
      const float ramp_need = 1.5f * dv / kAccelBudget;
      if (ramp_need > g.blend && g.dir != Direction::toward && g.dir != Direction::away && !paired_action(g.action))
        g.pre = std::clamp(ramp_need - g.blend, 0.f, std::max(0.f, dp - p.blend - 0.1f));
    }
    act.segs = std::move(kept);
    act.track.x.assign(T_, 0.f);
    act.track.psi.assign(T_, 0.f);
    act.track.v.assign(T_, 0.f);
    act.track.X.assign(T_, 0.f);
  }
  // A throw aimed at someone who is catching: the catcher's rhythm follows the thrower's releases.
  for (int a = 0; a < A; ++a)
    for (const Seg& thr : actors_[a].segs) {
      if (thr.action != act::throwing || thr.target < 0) continue;
      for (Seg& cat : actors_[thr.target].segs) {
        if (cat.action != act::catching || cat.end <= thr.start || cat.start >= thr.end) continue;
        if (cat.target >= 0 && cat.target != a) continue;
        const float period = 2.5f / thr.tempo;
        const float release = thr.start + 1.33f / thr.tempo - actors_[a].style.phase * period;
        const float flight = std::fabs(plan_.actors[thr.target].start_x - plan_.actors[a].start_x) / 8.f;
        cat.sync_period = period;
        cat.sync_offset = release + flight;
      }
    }
  // Initial positions: the plan's, spread apart when several actors share a spot.
  bool all_same = A > 1;
  for (int a = 1; a < A; ++a) all_same &= std::fabs(plan_.actors[a].start_x - plan_.actors[0].start_x) < 1e-3f;
  for (int a = 0; a < A; ++a) {
    float x = plan_.actors[a].start_x;
    if (!std::isfinite(x)) x = 0.f;
    if (all_same) x += (a - 0.5f * (A - 1)) * 2.6f;
    actors_[a].track.x[0] = x;
    actors_[a].track.psi[0] = plan_.actors[a].facing < 0 ? kPi : 0.f;
  }
}

int Engine::partner_of(int a, const Seg& s) const {
  if (s.target >= 0) return s.target;
  // An interaction without a named partner goes to the nearest other actor.
  if (!paired_action(s.action) || actors_.size() < 2) return -1;
  int best = -1;
  float bd = 1e30f;
  for (int b = 0; b < static_cast<int>(actors_.size()); ++b) {
    if (b == a) continue;
    const float d = std::fabs(actors_[b].track.x[0] - actors_[a].track.x[0]);
    if (d < bd) bd = d, best = b;
  }
  return best;
}

float Engine::partner_x(int a, int k) const { return actors_[a].track.x[std::max(0, k)]; }

void Engine::start_turn(int a, float t, float psi, float target_sign, float v, float tempo) {
  Turn& tr = actors_[a].turn;
  // Nearest yaw with the wanted facing: 2*pi*n (+x) or pi + 2*pi*n (-x).
  const float base = target_sign > 0.f ? 0.f : kPi;
  const float n = std::round((psi - base) / kTwoPi);
  float target = base + n * kTwoPi;
  if (std::fabs(target - psi) < 1e-4f) return;
  if (std::fabs(std::fabs(target - psi) - kPi) < 1e-3f) target = psi + (psi > 0.5f ? -kPi : kPi);
  tr.active = true;
  tr.t0 = t;
  tr.psi0 = psi;
  tr.psi1 = target;
  const float angle = std::fabs(target - psi) / kPi;
  tr.dur = std::max(0.55f * std::sqrt(angle) / std::sqrt(tempo), std::fabs(v) * 4.8f / kAccelBudget);
}

void Engine::enter_segment(int a, int i, int k) {
  Actor& A = actors_[a];
  Seg& s = A.segs[i];
  const float psi = k > 0 ? A.track.psi[k - 1] : A.track.psi[0];
  s.psi_start = psi;
  s.ctrl_v = k > 0 ? A.track.v[k - 1] : 0.f;
  if (s.action == act::spin) {
    const float dur = std::max(0.3f, s.end - s.start - 0.25f);
    // At most ~1.1 turns a second on average (the smootherstep peaks near 2 turns/s, 30 degrees a frame):
    // faster, the limbs would flip through their mirror images from one frame to the next.
    // ("spins three times" still spins three times.)
    s.spin_turns = std::max(1, std::min(static_cast<int>(std::lround(1.3f * s.tempo * dur)), static_cast<int>(1.1f * dur)));
    if (s.repeats > 0) s.spin_turns = s.repeats;
    s.spin_dir = (s.seed >> 7) & 1 ? 1.f : -1.f;
  }
  if (s.action == act::turn) {
    start_turn(a, s.start, psi, std::cos(psi) >= 0.f ? -1.f : 1.f, 0.f, s.tempo * 0.7f);
  }
  const bool needs_partner = s.action == act::handshake || s.action == act::hug || s.action == act::high_five;
  if (paired_action(s.action) && (needs_partner || partner_of(a, s) >= 0)) {
    const int p = partner_of(a, s);
    if (p >= 0) {
      // Join the partner's interaction if it is waiting for us, else open one.
      for (int n = 0; n < static_cast<int>(inter_.size()); ++n) {
        Interaction& it = inter_[n];
        if (it.action == s.action && it.a == p && it.b == a) {
          const Seg& ps = actors_[p].segs[actors_[p].cur];
          if (ps.inter == n && ps.end > s.start) {
            s.inter = n;
            it.meet_x = 0.5f * (A.track.x[std::max(0, k - 1)] + actors_[p].track.x[std::max(0, k - 1)]);
            it.arrive[0] = -1.f;
            return;
          }
        }
      }
      Interaction it;
      it.action = s.action;
      it.a = a;
      it.b = p;
      const float scale = 0.5f * (A.style.body.scale + actors_[p].style.body.scale);
      it.gap = interaction_gap(s.action) * scale;
      const float xa = A.track.x[std::max(0, k - 1)], xb = actors_[p].track.x[std::max(0, k - 1)];
      it.meet_x = 0.5f * (xa + xb);
      s.inter = static_cast<int>(inter_.size());
      inter_.push_back(it);
    } else {
      Interaction it;
      it.action = s.action;
      it.a = a;
      it.gap = interaction_gap(s.action) * A.style.body.scale;
      it.meet_x = A.track.x[std::max(0, k - 1)] + (std::cos(psi) >= 0.f ? 0.5f : -0.5f) * it.gap;
      s.inter = static_cast<int>(inter_.size());
      inter_.push_back(it);
    }
  }
}

// Local forward speed segment i asks for at frame k (x of frame k-1 is known).
float Engine::segment_speed(int a, int i, int k, float t) {
  Actor& A = actors_[a];
  Seg& s = A.segs[i];
  const float x = A.track.x[std::max(0, k - 1)];
  const float c = std::cos(A.track.psi[std::max(0, k - 1)]);
  const float dt = 1.f / fps_;
  auto approach = [&](float goal, float vmax) {
    const float d = goal - x;
    float vw = std::min(vmax, std::sqrt(2.f * kApproachAccel * std::max(0.f, std::fabs(d) - 0.005f)));
    vw = d >= 0.f ? vw : -vw;
    const float want = std::fabs(c) > 0.3f ? vw / c : 0.f;
    const float dv = std::clamp(want - s.ctrl_v, -4.f * dt, 4.f * dt);
    s.ctrl_v += dv;
    return s.ctrl_v;
  };
  if (s.inter >= 0) {
    Interaction& it = inter_[s.inter];
    const bool me_a = it.a == a;
    const int p = me_a ? it.b : it.a;
    float goal;
    if (p < 0) {
      goal = x;  // nobody to walk to
    } else {
      const float xp = partner_x(p, k - 1);
      const Seg& ps = actors_[p].segs[actors_[p].cur];
      const bool paired = ps.inter == s.inter;
      const float side = xp > x || (xp == x && a < p) ? 1.f : -1.f;
      goal = paired ? it.meet_x - side * 0.5f * it.gap : xp - side * it.gap;
    }
    const float vmax = 1.9f * s.tempo;
    float v = approach(goal, vmax);
    const float d = std::fabs(goal - x);
    const int slot = me_a ? 0 : 1;
    if (it.arrive[slot] < 0.f && d < 0.03f && std::fabs(v) < 0.08f) it.arrive[slot] = t;
    if (s.action == act::fight && it.arrive[slot] >= 0.f) {
      const float ph = kTwoPi * 0.5f * s.tempo * (t - it.arrive[slot]);
      v += 0.3f * s.tempo * 1.2f * std::sin(ph) * ramp(t, it.arrive[slot], 0.5f);
    }
    return v;
  }
  if ((s.dir == Direction::toward || s.dir == Direction::away) && s.speed != 0.f) {
    const int p = s.target >= 0 ? s.target : (actors_.size() > 1 ? (a == 0 ? 1 : 0) : -1);
    if (s.dir == Direction::toward) {
      const float xp = p >= 0 ? partner_x(p, k - 1) : 0.f;
      const float side = xp >= x ? 1.f : -1.f;
      return approach(xp - side * 1.3f * A.style.body.scale, std::fabs(s.speed));
    }
    return std::fabs(s.speed);  // away: face away (facing_update) and go
  }
  if (oscillating_travel(s.action)) {
    const float hz = s.action == act::fight ? 0.5f : (s.action == act::dance ? 0.5f : 0.8f);
    return 0.5f * kPi * s.speed * std::sin(kTwoPi * hz * s.tempo * (t - s.start));
  }
  // Crawling starts once the body is down on all fours.
  if (s.action == act::crawling && s.from != Posture::all_fours)
    return s.speed * ramp(t - s.start, crawl_entry_seconds(s.tempo) + 0.2f, 0.5f);
  return s.speed;
}

float Engine::facing_update(int a, int i, int k, float t, float psi_prev, float v) {
  Actor& A = actors_[a];
  Seg& s = A.segs[i];
  Turn& tr = A.turn;
  if (s.action == act::spin) {
    tr.active = false;
    const float dur = std::max(0.3f, s.end - s.start - 0.25f);
    const float u = clamp01((t - s.start) / dur);
    return s.psi_start + s.spin_dir * kTwoPi * s.spin_turns * smoother(u);
  }
  const bool horizontal = s.action == act::swimming || s.action == act::flying || s.action == act::crawling;
  if (s.dir == Direction::around && s.speed != 0.f && s.inter < 0 && !horizontal) {
    tr.active = false;
    // Round a circle seen from the side: long side-on stretches, quick passes through the views
    // from the front and the back (where a planar leg cannot show its step).
    // Radius from a comfortable lateral acceleration (~0.55 g): small circles walking, wide ones running.
    const float radius = std::max(1.2f, s.speed * s.speed / 8.f);
    const float sp = std::sin(psi_prev);
    const float omega = std::min(std::fabs(v) / radius * (0.45f + 2.2f * sp * sp), 50.f / std::max(0.1f, std::fabs(v)));
    return psi_prev + omega / fps_;
  }
  // Which way should the actor face?
  float want = std::cos(psi_prev) >= 0.f ? 1.f : -1.f;
  const float x = A.track.x[std::max(0, k - 1)];
  auto face_x = [&](float xp, float hysteresis) {
    if (std::fabs(xp - x) > hysteresis) want = xp > x ? 1.f : -1.f;
  };
  if (s.action != act::turn) {
    if (s.dir == Direction::left) want = -1.f;
    else if (s.dir == Direction::right) want = 1.f;
    else if (s.inter >= 0) {
      const Interaction& it = inter_[s.inter];
      const int p = it.a == a ? it.b : it.a;
      if (p >= 0) face_x(partner_x(p, k - 1), 0.3f);
    } else if (s.dir == Direction::toward || s.dir == Direction::away || s.target >= 0) {
      const int p = s.target >= 0 ? s.target : (actors_.size() > 1 ? (a == 0 ? 1 : 0) : -1);
      const float xp = p >= 0 ? partner_x(p, k - 1) : 0.f;
      if (p >= 0 || std::fabs(x) > 0.5f) {
        face_x(xp, 0.3f);
        if (s.dir == Direction::away) want = -want;
      }
    }
  }
  if (k == 0 && s.action != act::turn) {  // the clip starts already facing the right way
    tr.active = false;
    return want > 0.f ? 0.f : kPi;
  }
  if (tr.active) {
    const float u = (t - tr.t0) / tr.dur;
    if (u >= 1.f) {
      tr.active = false;
      psi_prev = tr.psi1;
    } else {
      return tr.psi0 + (tr.psi1 - tr.psi0) * smooth(u);
    }
  }
  const float base = want > 0.f ? 0.f : kPi;
  const float nearest = base + std::round((psi_prev - base) / kTwoPi) * kTwoPi;
  if (std::fabs(nearest - psi_prev) > 1e-4f && s.action != act::turn) {
    // The turn must suit the speed the segment is heading for, not only the (blended) one it has now.
    const float vturn = std::fabs(v) > std::fabs(s.speed) || oscillating_travel(s.action) ? v : s.speed;
    start_turn(a, t - 1.f / fps_, psi_prev, want, vturn, s.tempo);
    if (tr.active) {
      const float u = (t - tr.t0) / tr.dur;
      return tr.psi0 + (tr.psi1 - tr.psi0) * smooth(u);
    }
  }
  return psi_prev;
}

void Engine::travel() {
  const float dt = 1.f / fps_;
  const int A = static_cast<int>(actors_.size());
  for (int a = 0; a < A; ++a) actors_[a].cur = 0;
  for (int k = 0; k < T_; ++k) {
    const float t = k * dt;
    for (int a = 0; a < A; ++a) {
      Actor& act = actors_[a];
      while (act.cur + 1 < static_cast<int>(act.segs.size()) && k >= act.segs[act.cur].k1) ++act.cur;
      const int i = act.cur;
      Seg& s = act.segs[i];
      if (k == s.k0) enter_segment(a, i, k);
      float v = segment_speed(a, i, k, t);
      // One speed ramp over [start - pre, start + blend]: before the boundary towards the speed the
      // next segment starts with, after it between the two segments' own speeds.
      if (i > 0 && s.blend + s.pre > 0.f && t < s.start + s.blend) {
        const float w = smooth((t - (s.start - s.pre)) / (s.pre + s.blend));
        v = lerp(segment_speed(a, i - 1, k, t), v, w);
      }
      if (i + 1 < static_cast<int>(act.segs.size())) {
        const Seg& next = act.segs[i + 1];
        if (next.pre > 0.f && t >= next.start - next.pre) {
          const float w = smooth((t - (next.start - next.pre)) / (next.pre + next.blend));
          const bool still = oscillating_travel(next.action) || (next.action == act::crawling && next.from != Posture::all_fours);
          v = lerp(v, still ? 0.f : next.speed, w);
        }
      }
      const float psi_prev = k > 0 ? act.track.psi[k - 1] : act.track.psi[0];
      const float psi = facing_update(a, i, k, t, psi_prev, v);
      act.track.v[k] = v;
      act.track.psi[k] = psi;
      if (k > 0) {
        const float vx = 0.5f * (std::cos(psi_prev) * act.track.v[k - 1] + std::cos(psi) * v);
        act.track.x[k] = act.track.x[k - 1] + vx * dt;
        act.track.X[k] = act.track.X[k - 1] + 0.5f * (act.track.v[k - 1] + v) * dt;
      }
    }
  }
}

void Engine::schedule_interactions() {
  for (auto& it : inter_) {
    float reach = 0.45f;
    if (it.action == act::fight) reach = 0.f;
    const bool paired = it.b >= 0 && it.arrive[1] >= 0.f;
    if (it.arrive[0] < 0.f) continue;
    if (it.b >= 0 && !paired) {
      // Partner never came: meet when we arrive (they are where they are).
      it.contact = it.arrive[0] + reach;
    } else {
      it.contact = std::max(it.arrive[0], paired ? it.arrive[1] : it.arrive[0]) + reach;
    }
  }
}

void Engine::poses() {
  for (int a = 0; a < static_cast<int>(actors_.size()); ++a) {
    Actor& A = actors_[a];
    const int n = static_cast<int>(A.segs.size());
    A.motions.resize(n);
    std::vector<std::unique_ptr<Motion>> overlays(n);
    for (int i = 0; i < n; ++i) {
      const Seg& s = A.segs[i];
      SegmentCtx c;
      c.body = &A.body;
      c.style = &A.style;
      c.track = &A.track;
      c.actor = a;
      c.action = s.action;
      c.start = s.start;
      c.end = s.end;
      c.fps = fps_;
      c.tempo = s.tempo;
      c.amp = s.amp;
      c.mood = s.mood;
      c.direction = s.dir;
      c.dom = A.style.left_handed ? L : R;
      c.repeats = s.repeats;
      c.from = s.from;
      c.inter = s.inter >= 0 ? &inter_[s.inter] : nullptr;
      c.seed = s.seed;
      c.sync_period = s.sync_period;
      c.sync_offset = s.sync_offset;
      c.blend_in = s.blend;
      const int tail = i + 1 < n ? static_cast<int>(std::ceil(A.segs[i + 1].blend * fps_)) + 1 : 0;
      A.motions[i] = make_motion(c, s.k0, std::min(T_, s.k1 + tail));
      if (s.overlay >= 0 && overlay_action(s.overlay) && s.overlay != s.action) {
        SegmentCtx oc = c;
        oc.action = s.overlay;
        oc.inter = nullptr;
        overlays[i] = make_motion(oc, s.k0, std::min(T_, s.k1 + tail));
      }
    }
    A.poses.resize(T_);
    int i = 0;
    for (int k = 0; k < T_; ++k) {
      while (i + 1 < n && k >= A.segs[i].k1) ++i;
      const Seg& s = A.segs[i];
      const float t = k / fps_;
      LocalPose p;
      auto eval = [&](int seg, LocalPose& out) {
        const float ts = t - A.segs[seg].start;
        A.motions[seg]->eval(k, ts, out);
        if (overlays[seg]) {  // the layered action owns the arms (and the head), faded in and out
          LocalPose o;
          overlays[seg]->eval(k, ts, o);
          const float w = ramp(ts, 0.f, 0.4f) * (1.f - ramp(ts, A.segs[seg].end - A.segs[seg].start - 0.3f, 0.3f));
          for (int side = 0; side < 2; ++side) {
            out.sh[side] = lerp_arm(out.sh[side], o.sh[side], w);
            out.el[side] = lerp(out.el[side], o.el[side], w);
            out.shrug[side] = lerp(out.shrug[side], o.shrug[side], w);
            if (o.hand[side] == kHandClap) out.hand[side] = kHandClap, out.hand_w[side] = o.hand_w[side] * w;
          }
          out.nod += (o.nod - 0.f) * w * 0.5f;
          out.twist = lerp(out.twist, o.twist, w);
        }
      };
      eval(i, p);
      if (i > 0 && s.blend > 0.f && t < s.start + s.blend) {
        LocalPose q;
        eval(i - 1, q);
        p = blend_with_contacts(A.body, q, p, smooth((t - s.start) / s.blend));
      }
      add_life(p, A.body, A.life, t);
      // Facing the viewer mid-turn, arms and a horizontal torso relax towards neutral so no bone
      // has to pass through the picture plane's normal.
      // Every weight here is continuous in time: a hand relaxes as its contact fades, a torso as it
      // leans past 0.5 rad, and the pelvis is only ever raised (a flier keeps its height).
      const float sp = std::sin(A.track.psi[k]);
      const float nw = sp * sp;
      if (nw > 1e-6f) {
        for (int side = 0; side < 2; ++side) {
          const float w = nw * (p.hand[side] == kHandFree ? 1.f : 1.f - clamp01(p.hand_w[side]));
          p.sh[side] = lerp_arm(p.sh[side], 0.1f, w);
          p.el[side] = lerp(p.el[side], 0.25f, w);
        }
        // An upright standing body straightens its legs as it faces the viewer: a planar knee cannot
        // pass through the hip-ankle line while the leg is bent, so a turn with bent knees would make
        // them pop from one side to the other. The pelvis is offered a straight-leg height; the feet
        // locks lower it back to exactly where the planted feet are reached.
        const float leg = A.body.leg();
        // (Standing and stepping only: a runner's legs swing through the turn, and a body getting down
        // to the ground or jumping has its own height to follow.)
        auto upright_action = [](int id) {
          const ActionFamily f = action_params(id).family;
          return f != ActionFamily::posture && f != ActionFamily::ground && f != ActionFamily::ballistic &&
                 id != act::get_up && id != act::fall && id != act::squat && id != act::lift;
        };
        float allowed = upright_action(s.action) ? 1.f : 0.f;
        if (i > 0 && s.blend > 0.f && t < s.start + s.blend)
          allowed = lerp(upright_action(A.segs[i - 1].action) ? 1.f : 0.f, allowed, smooth((t - s.start) / s.blend));
        const float uw = nw * allowed * smooth((p.py / leg - 0.6f) / 0.2f) *
                         (1.f - smooth((std::fabs(p.lean) - 0.5f) / 0.4f)) * (1.f - smooth(std::fabs(A.track.v[k]) / 4.f));
        if (uw > 1e-6f) {  // (a foot in the air stays where it was: its leg is re-aimed from the raised hip)
          Joints lj;
          local_fk(A.body, p, lj);
          p.py = lerp(p.py, std::max(p.py, 1.02f * leg), uw);
          for (int side = 0; side < 2; ++side)
            if (!p.foot[side]) leg_ik(A.body, {p.px, p.py}, lj[side == L ? v3::l_ankle : v3::r_ankle], p.hip[side], p.knee[side]);
        }
        // Nor may a leg bone lie near the horizontal then (a runner's thigh or kicked-up shin): it would
        // swing through vertical to its mirror image within a frame or two. Thigh and knee are limited.
        const float upright = 1.f - smooth((std::fabs(p.lean) - 0.5f) / 0.4f);
        for (int side = 0; side < 2; ++side) {
          const float hip = std::clamp(p.hip[side], -0.7f, 0.7f);
          p.hip[side] = lerp(p.hip[side], hip, nw * upright);
          p.knee[side] = lerp(p.knee[side], std::min(p.knee[side], std::max(0.f, hip + 0.9f)), nw * upright);
        }
        const float lw = nw * smooth((std::fabs(p.lean) - 0.5f) / 0.4f);
        if (lw > 1e-6f) {
          LocalPose neutral = standing_pose(A.body);
          neutral.foot[0] = p.foot[0], neutral.foot[1] = p.foot[1];
          for (int side = 0; side < 2; ++side) neutral.hand[side] = p.hand[side], neutral.hand_w[side] = p.hand_w[side];
          neutral.px = p.px;
          neutral.py = std::max(p.py, neutral.py);
          const uint8_t hands[2] = {p.hand[0], p.hand[1]};
          const float hw[2] = {p.hand_w[0], p.hand_w[1]};
          p = blend(p, neutral, lw);
          for (int side = 0; side < 2; ++side) p.hand[side] = hands[side], p.hand_w[side] = hw[side];
        }
      }
      A.poses[k] = p;
    }
  }
}

// ---------------------------------------------------------------- world space

namespace {

struct Pin {
  int s, e;  // frames [s, e]
  Vec2 at;
};

// Targets for one limb end: pinned where the generator says it is planted, a corrected path in
// between. A pin whose generator position drifts more than `drift` starts a small step.
void limb_targets(const std::vector<Vec2>& g, const std::vector<uint8_t>& contact, float drift, int step_frames,
                  float step_height, int decay_frames, bool ground_only, std::vector<Vec2>& f,
                  std::vector<uint8_t>& pinned) {
  const int T = static_cast<int>(g.size());
  std::vector<Pin> pins;
  std::vector<uint8_t> inserted(T, 0);
  pinned.assign(T, 0);
  int k = 0;
  const int settle = std::max(2, step_frames);  // a drift must last this long to be a new spot
  const int long_run = 4 * step_frames;
  while (k < T) {
    if (!contact[k]) {
      ++k;
      continue;
    }
    Pin p{k, k, g[k]};
    if (p.at.y < 0.15f || ground_only) p.at.y = 0.f;
    int run_end = k;
    while (run_end + 1 < T && contact[run_end + 1]) ++run_end;
    int j = k;
    bool moved = false;
    // A short contact is a gait's stance: the foot stays down for all of it and the leg absorbs
    // any wander. Only long contacts (standing, sitting) may re-plant with an inserted step.
    if (run_end - k + 1 < long_run) {
      j = run_end;
    } else {
      while (j + 1 < T && contact[j + 1]) {
        if ((g[j + 1] - g[p.s]).norm() > drift) {
          // Transient wander (an interpolation, a lean) is absorbed by the leg; a lasting one is a step.
          int q = j + 1, last = std::min(T - 1, j + settle);
          bool lasting = true;
          for (; q <= last && contact[q]; ++q)
            if ((g[q] - g[p.s]).norm() < 0.5f * drift) lasting = false;
          if (lasting) {
            moved = true;
            break;
          }
        }
        ++j;
      }
    }
    p.e = j;
    pins.push_back(p);
    if (moved) {
      int n = std::min(step_frames, T - (j + 1));
      for (int q = j + 1; q < j + 1 + n; ++q) inserted[q] = 1;
      k = j + 1 + n;
      while (k < T && !contact[k]) ++k;
      continue;
    }
    k = j + 1;
  }
  f = g;
  for (const auto& p : pins)
    for (int q = p.s; q <= p.e; ++q) f[q] = p.at, pinned[q] = 1;
  // Free stretches: carry the pin's offset in and out smoothly; inserted steps lift the foot; a
  // foot leaving a pin rises before it travels and sets down vertically on the next one.
  const int np = static_cast<int>(pins.size());
  for (int n = 0; n <= np; ++n) {
    const int a = n == 0 ? -1 : pins[n - 1].e;      // last pinned frame before
    const int b = n == np ? T : pins[n].s;          // first pinned frame after
    if (b - a <= 1) continue;
    const Vec2 el = a >= 0 ? pins[n - 1].at - g[a] : Vec2{};
    const Vec2 er = b < T ? pins[n].at - g[b] : Vec2{};
    int s0 = a + 1;  // first frame of an inserted step in this stretch
    while (s0 < b && !inserted[s0]) ++s0;
    int s1 = s0;
    while (s1 < b && inserted[s1]) ++s1;
    for (int q = a + 1; q < b; ++q) {
      Vec2 off;
      const bool step = inserted[q] != 0;
      const float us = step ? static_cast<float>(q - s0 + 1) / (s1 - s0 + 1) : 0.f;
      if (a >= 0 && b < T && (step || b - a <= 2 * decay_frames)) {
        const float u = static_cast<float>(q - a) / (b - a);
        const float w = step ? smoother(u) : smooth(u);
        off = el * (1.f - w) + er * w;
      } else if (a >= 0 && b < T) {  // a long free stretch: each pin's offset fades near its own end
        off = el * (1.f - smooth(static_cast<float>(q - a) / decay_frames)) +
              er * (1.f - smooth(static_cast<float>(b - q) / decay_frames));
      } else if (a >= 0) {
        off = el * (1.f - (step ? smoother(us) : smooth(static_cast<float>(q - a) / decay_frames)));
      } else {
        off = er * (1.f - smooth(static_cast<float>(b - q) / decay_frames));
      }
      f[q] = f[q] + off;
      if (step) f[q].y += step_height * std::pow(std::sin(kPi * us), 0.6f);
      if (a >= 0 && b < T && pins[n - 1].at.y == 0.f && pins[n].at.y == 0.f && b - a < 2 * step_frames) {
        const float u = static_cast<float>(q - a) / (b - a);
        if (u < 0.12f) f[q].x = lerp(pins[n - 1].at.x, f[q].x, smooth(u / 0.12f));
        if (u > 0.85f) f[q].x = lerp(f[q].x, pins[n].at.x, smooth((u - 0.85f) / 0.15f));
      }
      // Within a couple of frames of touching down (or after lifting off) and still low, the foot
      // is already over its spot: it sets down and picks up vertically.
      // (Weights fade over three frames and with height, so the correction never jumps.)
      // Near both ends of a short gap the two pulls share the frame instead of the later one winning.
      {
        const float low = 1.f - smooth((f[q].y - 0.03f) / 0.05f);
        const float cb = b < T && pins[n].at.y == 0.f ? low * clamp01((4.f - (b - q)) / 3.f) : 0.f;
        const float ca = a >= 0 && pins[n - 1].at.y == 0.f ? low * clamp01((4.f - (q - a)) / 3.f) : 0.f;
        const float sum = ca + cb, k = sum > 1.f ? 1.f / sum : 1.f;
        float dx = 0.f;
        if (ca > 0.f) dx += ca * (pins[n - 1].at.x - f[q].x);
        if (cb > 0.f) dx += cb * (pins[n].at.x - f[q].x);
        f[q].x += k * dx;
      }
      // Between two ground contacts a swinging foot clears the ground by 3.5 cm (a low swing mid-turn
      // would brush along it), except in the frames just after lifting off and just before setting down.
      if (a >= 0 && b < T && pins[n - 1].at.y == 0.f && pins[n].at.y == 0.f && !step && std::min(q - a, b - q) >= 2)
        f[q].y = std::max(f[q].y, 0.035f);
    }
  }
  for (auto& p : f) p.y = std::max(p.y, 0.f);
}

}  // namespace

void Engine::lock_feet(Actor& A) {
  using namespace v3;
  const Body& b = A.body;
  const float scale = b.leg() / 1.2f;
  const int step = std::max(3, static_cast<int>(std::lround(0.28f * fps_)));
  const int decay = std::max(2, static_cast<int>(std::lround(0.25f * fps_)));
  std::vector<Vec2> g(T_), f[2];
  std::vector<uint8_t> c(T_), pinned[2];
  const int ankle[2] = {l_ankle, r_ankle}, hipj[2] = {l_hip, r_hip}, kneej[2] = {l_knee, r_knee};
  for (int s = 0; s < 2; ++s) {
    for (int k = 0; k < T_; ++k) g[k] = A.joints[k][ankle[s]], c[k] = A.poses[k].foot[s];
    limb_targets(g, c, 0.1f * scale, step, 0.07f * scale, decay, false, f[s], pinned[s]);
  }
  // Where a leg cannot reach its target, lower the whole body (smoothly) until it can.
  const float reach = 0.997f * b.leg();
  std::vector<float> need(T_, 0.f);
  for (int k = 0; k < T_; ++k) {
    for (int s = 0; s < 2; ++s) {
      const Vec2 h = A.joints[k][hipj[s]];
      const Vec2 d = f[s][k] - h;
      if (d.norm() <= reach) continue;
      const float dy = std::fabs(d.x) < reach ? f[s][k].y + std::sqrt(reach * reach - d.x * d.x) - h.y : f[s][k].y - h.y;
      need[k] = std::min(need[k], dy);
    }
  }
  // Never lower the body into the ground (lying and sitting bodies already rest on it).
  for (int k = 0; k < T_; ++k) {
    if (need[k] >= 0.f) continue;
    float lowest = 1e9f;
    for (int j = 0; j < v3::kJointCount; ++j)
      if (j != l_knee && j != r_knee && j != l_ankle && j != r_ankle) lowest = std::min(lowest, A.joints[k][j].y);
    need[k] = std::max(need[k], -std::max(0.f, lowest));
  }
  bool any = false;
  for (float n : need) any |= n < 0.f;
  if (any) {
    const int r = std::max(2, static_cast<int>(std::lround(0.12f * fps_)));
    std::vector<float> m(T_), sm(T_);
    for (int k = 0; k < T_; ++k) {
      float lo = 0.f;
      for (int q = std::max(0, k - r); q <= std::min(T_ - 1, k + r); ++q) lo = std::min(lo, need[q]);
      m[k] = lo;
    }
    for (int k = 0; k < T_; ++k) {
      float sum = 0.f;
      int cnt = 0;
      for (int q = std::max(0, k - r); q <= std::min(T_ - 1, k + r); ++q) sum += m[q], ++cnt;
      sm[k] = sum / cnt;
    }
    for (int k = 0; k < T_; ++k)
      if (sm[k] < 0.f)
        for (auto& j : A.joints[k]) j.y += sm[k];
  }
  std::vector<Vec2> root(T_), hint(T_), hint_end(T_), mid(T_);
  for (int s = 0; s < 2; ++s) {
    for (int k = 0; k < T_; ++k)
      root[k] = A.joints[k][hipj[s]], hint[k] = A.joints[k][kneej[s]], hint_end[k] = A.joints[k][ankle[s]];
    solve_limb(root, f[s], hint, hint_end, b.thigh, b.shin, 0.1f * scale, mid);
    for (int k = 0; k < T_; ++k) A.joints[k][kneej[s]] = mid[k], A.joints[k][ankle[s]] = f[s][k];
  }
}

namespace {
// Two-bone IK of one limb at frames ks (ascending) with targets/roots/hints; each run of consecutive
// frames is solved as one (solve_limb keeps the bend side from frame to frame). Writes mids, adjusts targets.
void solve_frames(const std::vector<int>& ks, const std::vector<Vec2>& roots, std::vector<Vec2>& targets,
                  const std::vector<Vec2>& hints, const std::vector<Vec2>& ends, float a, float b, float straight,
                  std::vector<Vec2>& mids) {
  const size_t n = ks.size();
  mids.assign(n, Vec2{});
  for (size_t i = 0; i < n;) {
    size_t e = i + 1;
    while (e < n && ks[e] == ks[e - 1] + 1) ++e;
    solve_limb(std::span(roots).subspan(i, e - i), std::span(targets).subspan(i, e - i),
               std::span(hints).subspan(i, e - i), std::span(ends).subspan(i, e - i), a, b, straight,
               std::span(mids).subspan(i, e - i));
    i = e;
  }
}
}  // namespace

void Engine::lock_hands(Actor& A) {
  using namespace v3;
  const Body& b = A.body;
  const float scale = b.leg() / 1.2f;
  const int wrist[2] = {l_wrist, r_wrist}, sh[2] = {l_shoulder, r_shoulder}, el[2] = {l_elbow, r_elbow};
  for (int s = 0; s < 2; ++s) {
    bool any = false;
    for (int k = 0; k < T_; ++k) any |= A.poses[k].hand[s] == kHandPin;
    if (!any) continue;
    std::vector<Vec2> g(T_), f;
    std::vector<uint8_t> c(T_), pinned;
    // Pinned once the pose that pins the hand has taken over (a blend into climbing or crawling pins
    // the hand where it arrives, not where it was when the blend began).
    for (int k = 0; k < T_; ++k)
      g[k] = A.joints[k][wrist[s]], c[k] = A.poses[k].hand[s] == kHandPin && A.poses[k].hand_w[s] > 0.99f;
    limb_targets(g, c, 0.12f * scale, std::max(3, static_cast<int>(0.25f * fps_)), 0.06f * scale,
                 std::max(2, static_cast<int>(0.2f * fps_)), false, f, pinned);
    std::vector<int> ks;
    std::vector<Vec2> roots, targets, hints, ends, mids;
    for (int k = 0; k < T_; ++k) {
      if ((f[k] - g[k]).norm() < 1e-6f) continue;
      ks.push_back(k), roots.push_back(A.joints[k][sh[s]]), targets.push_back(f[k]), hints.push_back(A.joints[k][el[s]]);
      ends.push_back(g[k]);
    }
    solve_frames(ks, roots, targets, hints, ends, b.upper_arm, b.forearm, 0.1f * scale, mids);
    for (size_t i = 0; i < ks.size(); ++i) A.joints[ks[i]][el[s]] = mids[i], A.joints[ks[i]][wrist[s]] = targets[i];
  }
}

void Engine::meet_hands() {
  using namespace v3;
  const int wrist[2] = {l_wrist, r_wrist}, sh[2] = {l_shoulder, r_shoulder}, el[2] = {l_elbow, r_elbow};
  const int A = static_cast<int>(actors_.size());
  struct Goal {
    int a, s, k;
    Vec2 at;
  };
  std::vector<Goal> goals;
  for (int a = 0; a < A; ++a) {
    Actor& act = actors_[a];
    int i = 0;
    for (int k = 0; k < T_; ++k) {
      while (i + 1 < static_cast<int>(act.segs.size()) && k >= act.segs[i].k1) ++i;
      const LocalPose& p = act.poses[k];
      for (int s = 0; s < 2; ++s) {
        const float w = p.hand_w[s];
        if (p.hand[s] == kHandFree || p.hand[s] == kHandPin || w <= 0.f) continue;
        const Vec2 own = act.joints[k][wrist[s]];
        Vec2 target = own;
        if (p.hand[s] == kHandClap) {
          const int o = 1 - s;
          const Vec2 other = act.joints[k][wrist[o]];
          target = p.hand[o] == kHandClap ? (own + other) * 0.5f : other;
        } else {
          // Partner: the actor this segment interacts with (while the next segment blends in, the
          // interaction being left: its hands let go gradually instead of snapping back).
          const Seg* sgp = &act.segs[i];
          if (sgp->inter < 0 && i > 0 && act.segs[i - 1].inter >= 0 &&
              k < sgp->k0 + static_cast<int>(std::ceil(sgp->blend * fps_)) + 1)
            sgp = &act.segs[i - 1];
          const Seg& sg = *sgp;
          int partner = -1;
          if (sg.inter >= 0) partner = inter_[sg.inter].a == a ? inter_[sg.inter].b : inter_[sg.inter].a;
          if (partner < 0) continue;
          const Actor& pa = actors_[partner];
          const LocalPose& pp = pa.poses[k];
          if (p.hand[s] == kHandPartner) {
            int ps = s;
            if (pp.hand[ps] != kHandPartner && pp.hand[1 - ps] == kHandPartner) ps = 1 - ps;
            const Vec2 theirs = pa.joints[k][wrist[ps]];
            target = pp.hand[ps] == kHandPartner ? (own + theirs) * 0.5f : theirs;
          } else {  // partner's body: hug -> their back, push -> their chest, pull -> their wrist
            const float pf = std::cos(pa.track.psi[k]) >= 0.f ? 1.f : -1.f;
            const Vec2 chest = pa.joints[k][v3::chest];
            const Vec2 neck = pa.joints[k][v3::neck];
            const float sc = pa.body.leg() / 1.2f;
            if (sg.action == act::hug) {
              // Held close, the hands rub the partner's back a little (each its own rhythm).
              const float t = static_cast<float>(k) / fps_;
              const float rub = 0.035f * sc * std::sin(kTwoPi * (0.55f * t + 0.37f * s + 0.21f * a));
              target = chest * 0.6f + neck * 0.4f + Vec2{-pf * 0.07f * sc, rub};
            }
            else if (sg.action == act::push) target = chest * 0.5f + neck * 0.5f + Vec2{pf * 0.1f * sc, 0.f};
            else target = pa.joints[k][wrist[pa.style.left_handed ? 0 : 1]];
          }
        }
        goals.push_back({a, s, k, own + (target - own) * w});
      }
    }
  }
  // Per actor and hand, the goals in frame order.
  for (int a = 0; a < A; ++a)
    for (int side = 0; side < 2; ++side) {
      Actor& act = actors_[a];
      std::vector<int> ks;
      std::vector<Vec2> roots, targets, hints, ends, mids;
      for (const auto& g : goals) {
        if (g.a != a || g.s != side) continue;
        Vec2 target = g.at;
        target.y = std::max(target.y, 0.f);
        ks.push_back(g.k), roots.push_back(act.joints[g.k][sh[side]]), targets.push_back(target);
        hints.push_back(act.joints[g.k][el[side]]), ends.push_back(act.joints[g.k][wrist[side]]);
      }
      solve_frames(ks, roots, targets, hints, ends, act.body.upper_arm, act.body.forearm, 0.1f * act.body.leg() / 1.2f,
                   mids);
      for (size_t i = 0; i < ks.size(); ++i) act.joints[ks[i]][el[side]] = mids[i], act.joints[ks[i]][wrist[side]] = targets[i];
    }
}

void Engine::world() {
  for (auto& A : actors_) {
    A.joints.resize(T_);
    Joints local;
    for (int k = 0; k < T_; ++k) {
      forward_kinematics(A.body, A.poses[k], A.track.x[k], A.track.psi[k], A.joints[k]);
      // Turned towards the viewer a leg's bones all look vertical, which would drag a lifted foot
      // along the ground: a free foot keeps the height its pose gives it (the lock re-solves the knee).
      const float c = std::cos(A.track.psi[k]);
      if (std::fabs(c) < 0.999f && (!A.poses[k].foot[L] || !A.poses[k].foot[R])) {
        local_fk(A.body, A.poses[k], local);
        const float lift = A.joints[k][v3::pelvis_center].y - A.poses[k].py;
        if (!A.poses[k].foot[L]) A.joints[k][v3::l_ankle].y = std::max(A.joints[k][v3::l_ankle].y, local[v3::l_ankle].y + lift);
        if (!A.poses[k].foot[R]) A.joints[k][v3::r_ankle].y = std::max(A.joints[k][v3::r_ankle].y, local[v3::r_ankle].y + lift);
      }
    }
    lock_feet(A);
    lock_hands(A);
  }
  meet_hands();
}

Clip Engine::run() {
  build_actors();
  travel();
  schedule_interactions();
  poses();
  world();
  const int A = static_cast<int>(actors_.size());
  Clip clip = Clip::make(opts_.format, T_, A, fps_);
  const auto& s3 = schema(SkeletonFormat::v3);
  const auto& s1 = schema(SkeletonFormat::v1);
  std::array<Vec2, v1::kJointCount> j1;
  for (int a = 0; a < A; ++a) {
    const Actor& act = actors_[a];
    int i = 0;
    for (int k = 0; k < T_; ++k) {
      while (i + 1 < static_cast<int>(act.segs.size()) && k >= act.segs[i].k1) ++i;
      clip.actions[clip.slot(k, a)] = static_cast<int16_t>(act.segs[i].label);
      if (opts_.format == SkeletonFormat::v3) {
        joints_to_segments(s3, act.joints[k].data(), clip.pose(k, a));
      } else {
        v3_joints_to_v1(act.joints[k].data(), j1.data());
        joints_to_segments(s1, j1.data(), clip.pose(k, a));
      }
    }
  }
  clip.description = plan_.prompt;
  clip.source = "procedural";
  clip.metadata["engine"] = "procedural";
  clip.metadata["seed"] = std::to_string(opts_.seed);
  compute_physics(clip);
  return clip;
}

}  // namespace synth

Clip synthesize(const Plan& plan, const SynthOptions& opts) {
  synth::Engine engine(plan, opts);
  return engine.run();
}

Plan single_action_plan(const SingleAction& a) {
  const ActionParams& p = action_params(a.action);
  Plan plan;
  plan.duration = a.seconds > 0.f ? a.seconds : 4.f;
  plan.prompt = std::string(action_name(a.action));
  const int n = p.needs_partner ? 2 : 1;
  for (int i = 0; i < n; ++i) {
    ActorPlan ap;
    ap.name = "person " + std::to_string(i + 1);
    ap.kind = "person";
    ap.start_x = n == 1 ? 0.f : (i == 0 ? -1.6f : 1.6f);
    ap.facing = n == 1 ? (a.facing < 0 ? -1 : 1) : (i == 0 ? 1 : -1);
    ActionSegment s;
    s.action = a.action;
    s.start = 0.f;
    s.end = plan.duration;
    s.tempo = a.tempo;
    s.intensity = a.intensity;
    s.direction = a.direction;
    s.expression = a.default_expression ? action_info(a.action).expression : a.expression;
    s.target_actor = n == 2 ? 1 - i : -1;
    ap.timeline.push_back(s);
    plan.actors.push_back(ap);
  }
  return plan;
}

Clip synthesize_action(const SingleAction& a, const SynthOptions& opts) { return synthesize(single_action_plan(a), opts); }

}  // namespace stickgen
