// Per-action facts of the procedural engine: family, contact-sheet group, parameter ranges,
// travel rules; and seeded actor styles.
#include <algorithm>
#include <array>
#include <string>

#include "data/synth/engine.hpp"
#include "stickgen/common.hpp"

namespace stickgen {
namespace {

using F = ActionFamily;
constexpr ParamRange kTempo{0.7f, 1.4f}, kSlowTempo{0.75f, 1.25f}, kInt{0.6f, 1.4f};

struct Row {
  F family;
  std::string_view group;
  ParamRange tempo, intensity, seconds;
  float cycle;
  bool directional, ground;
};

// clang-format off
constexpr std::array<Row, kNumActions> kRows{{
    /* 0 idle          */ {F::stand,       "gestures",     kSlowTempo, kInt, {2, 10}, 5.f, false, false},
    /* 1 walk          */ {F::locomotion,  "locomotion",   kTempo,     kInt, {2, 10}, 1.f, true,  false},
    /* 2 run           */ {F::locomotion,  "locomotion",   kTempo,     kInt, {2, 8},  0.7f, true, false},
    /* 3 sprint        */ {F::locomotion,  "locomotion",   {0.8f, 1.2f}, kInt, {2, 6}, 0.48f, true, false},
    /* 4 jump          */ {F::ballistic,   "locomotion",   kSlowTempo, kInt, {1.5f, 8}, 1.5f, true, false},
    /* 5 wave          */ {F::gesture,     "gestures",     kTempo,     kInt, {1.5f, 6}, 0.5f, true, false},
    /* 6 talk          */ {F::gesture,     "gestures",     kTempo,     kInt, {2, 10}, 1.4f, true, false},
    /* 7 shout         */ {F::gesture,     "gestures",     kTempo,     kInt, {1.5f, 6}, 1.6f, true, false},
    /* 8 whisper       */ {F::gesture,     "gestures",     kSlowTempo, kInt, {2, 8},  2.f, true, false},
    /* 9 sing          */ {F::gesture,     "gestures",     kTempo,     kInt, {2, 10}, 2.f, true, false},
    /* 10 point        */ {F::gesture,     "gestures",     kSlowTempo, kInt, {1.5f, 6}, 3.f, true, false},
    /* 11 clap         */ {F::gesture,     "gestures",     kTempo,     kInt, {1.5f, 6}, 0.4f, true, false},
    /* 12 batting      */ {F::sport,       "sports",       kSlowTempo, kInt, {2, 8},  3.f, true, false},
    /* 13 pitching     */ {F::sport,       "sports",       kSlowTempo, kInt, {2.5f, 8}, 3.5f, true, false},
    /* 14 catching     */ {F::sport,       "sports",       kSlowTempo, kInt, {2, 8},  2.f, true, false},
    /* 15 running_bases*/ {F::locomotion,  "sports",       kTempo,     kInt, {2, 8},  0.64f, true, false},
    /* 16 fielding     */ {F::sport,       "sports",       kSlowTempo, kInt, {2.5f, 8}, 3.f, true, false},
    /* 17 throwing     */ {F::sport,       "sports",       kSlowTempo, kInt, {2, 8},  2.5f, true, false},
    /* 18 kicking      */ {F::sport,       "sports",       kSlowTempo, kInt, {2, 8},  2.5f, true, false},
    /* 19 dribbling    */ {F::locomotion,  "sports",       kTempo,     kInt, {2, 10}, 1.f, true, false},
    /* 20 shooting     */ {F::sport,       "sports",       kSlowTempo, kInt, {2, 8},  3.f, true, false},
    /* 21 fight        */ {F::fight,       "fighting",     kTempo,     kInt, {2, 10}, 2.f, true, false},
    /* 22 punch        */ {F::fight,       "fighting",     kTempo,     kInt, {1.5f, 6}, 1.f, true, false},
    /* 23 kick         */ {F::fight,       "fighting",     kSlowTempo, kInt, {1.5f, 6}, 1.6f, true, false},
    /* 24 dodge        */ {F::fight,       "fighting",     kTempo,     kInt, {1.5f, 6}, 1.6f, true, false},
    /* 25 sit          */ {F::posture,     "postures",     kSlowTempo, kInt, {2, 10}, 0.f, true, true},
    /* 26 stand        */ {F::stand,       "postures",     kSlowTempo, kInt, {1.5f, 10}, 0.f, true, false},
    /* 27 kneel        */ {F::posture,     "postures",     kSlowTempo, kInt, {2, 10}, 0.f, true, true},
    /* 28 lie_down     */ {F::posture,     "postures",     kSlowTempo, kInt, {3, 10}, 0.f, true, true},
    /* 29 eating       */ {F::gesture,     "gestures",     kSlowTempo, kInt, {2.5f, 10}, 2.5f, true, false},
    /* 30 drinking     */ {F::gesture,     "gestures",     kSlowTempo, kInt, {2.5f, 10}, 4.f, true, false},
    /* 31 reading      */ {F::gesture,     "gestures",     kSlowTempo, kInt, {2.5f, 10}, 4.f, true, false},
    /* 32 typing       */ {F::gesture,     "gestures",     kTempo,     kInt, {2, 10}, 0.25f, true, false},
    /* 33 looking_around*/{F::gesture,     "gestures",     kSlowTempo, kInt, {2, 8},  4.f, false, false},
    /* 34 climbing     */ {F::ground,      "locomotion",   kSlowTempo, kInt, {3, 10}, 1.2f, true, false},
    /* 35 crawling     */ {F::ground,      "locomotion",   kSlowTempo, kInt, {3, 10}, 0.9f, true, true},
    /* 36 swimming     */ {F::ground,      "locomotion",   kSlowTempo, kInt, {3, 10}, 1.4f, true, false},
    /* 37 flying       */ {F::ground,      "locomotion",   kSlowTempo, kInt, {3, 10}, 1.6f, true, false},
    /* 38 celebrate    */ {F::ballistic,   "gestures",     kTempo,     kInt, {1.5f, 6}, 0.8f, true, false},
    /* 39 dance        */ {F::gesture,     "gestures",     kTempo,     kInt, {2, 10}, 1.f, true, false},
    /* 40 cry          */ {F::gesture,     "gestures",     kSlowTempo, kInt, {2, 8},  2.f, true, false},
    /* 41 laugh        */ {F::gesture,     "gestures",     kTempo,     kInt, {1.5f, 6}, 0.4f, true, false},
    /* 42 handshake    */ {F::interaction, "interactions", kSlowTempo, kInt, {3, 8},  0.4f, false, false},
    /* 43 hug          */ {F::interaction, "interactions", kSlowTempo, kInt, {3, 8},  0.f, false, false},
    /* 44 high_five    */ {F::interaction, "interactions", kSlowTempo, kInt, {2.5f, 6}, 0.f, false, false},
    /* 45 fight_stance */ {F::fight,       "fighting",     kSlowTempo, kInt, {1.5f, 8}, 0.5f, true, false},
    /* 46 turn         */ {F::stand,       "ours",         kSlowTempo, kInt, {1, 4},  0.f, false, false},
    /* 47 crouch       */ {F::posture,     "ours",         kSlowTempo, kInt, {1.5f, 8}, 0.f, true, false},
    /* 48 bow          */ {F::gesture,     "ours",         kSlowTempo, kInt, {2, 6},  3.f, true, false},
    /* 49 spin         */ {F::stand,       "ours",         kSlowTempo, kInt, {1, 4},  0.8f, false, false},
    /* 50 hop          */ {F::ballistic,   "ours",         kSlowTempo, kInt, {1.5f, 6}, 0.8f, true, false},
    /* 51 skip         */ {F::locomotion,  "ours",         kSlowTempo, kInt, {2, 8},  0.8f, true, false},
    /* 52 march        */ {F::locomotion,  "ours",         kSlowTempo, kInt, {2, 10}, 1.f, true, false},
    /* 53 push         */ {F::locomotion,  "ours",         kSlowTempo, kInt, {2, 8},  1.4f, true, false},
    /* 54 pull         */ {F::locomotion,  "ours",         kSlowTempo, kInt, {2, 8},  1.4f, true, false},
    /* 55 lift         */ {F::posture,     "ours",         kSlowTempo, kInt, {3, 10}, 4.f, true, false},
    /* 56 carry        */ {F::locomotion,  "ours",         kSlowTempo, kInt, {2, 10}, 1.1f, true, false},
    /* 57 squat        */ {F::posture,     "ours",         kSlowTempo, kInt, {2, 8},  2.f, true, false},
    /* 58 stretch      */ {F::gesture,     "ours",         kSlowTempo, kInt, {2, 8},  4.f, true, false},
    /* 59 salute       */ {F::gesture,     "ours",         kSlowTempo, kInt, {1.5f, 6}, 0.f, true, false},
    /* 60 shrug        */ {F::gesture,     "ours",         kSlowTempo, kInt, {1.5f, 6}, 2.f, true, false},
    /* 61 fall         */ {F::posture,     "ours",         kSlowTempo, kInt, {1.5f, 6}, 0.f, true, true},
    /* 62 get_up       */ {F::posture,     "ours",         kSlowTempo, kInt, {1.5f, 6}, 0.f, true, false},
    /* 63 limp         */ {F::locomotion,  "ours",         kSlowTempo, kInt, {2, 10}, 1.25f, true, false},
}};
// clang-format on

constexpr std::array<std::string_view, 7> kGroups{"locomotion", "gestures", "sports", "fighting",
                                                   "postures",   "interactions", "ours"};

std::array<ActionParams, kNumActions> build_params() {
  std::array<ActionParams, kNumActions> out{};
  for (int i = 0; i < kNumActions; ++i) {
    const Row& r = kRows[i];
    ActionParams& p = out[i];
    p.action = i;
    p.family = r.family;
    p.group = r.group;
    p.tempo = r.tempo;
    p.intensity = r.intensity;
    p.seconds = r.seconds;
    p.cycle_seconds = r.cycle;
    p.travels = action_info(i).travel_speed > 0.f;
    p.needs_partner = synth::paired_action(i) && r.family == F::interaction;
    p.partner_gap = synth::paired_action(i) ? synth::interaction_gap(i) : 0.f;
    p.directional = r.directional || p.travels;
    p.ends_on_ground = r.ground;
  }
  // Fighting as a pair reads best, but one fighter alone is still a fight.
  return out;
}

}  // namespace

std::string_view family_name(ActionFamily f) {
  static constexpr std::array<std::string_view, 9> names{"stand", "gesture", "locomotion", "ballistic", "posture",
                                                         "ground", "sport", "fight", "interaction"};
  return names.at(static_cast<int>(f));
}

const ActionParams& action_params(int action) {
  static const auto params = build_params();
  if (action < 0 || action >= kNumActions)
    throw Error("action id " + std::to_string(action) + " is outside [0, " + std::to_string(kNumActions) + ")");
  return params[action];
}

std::span<const std::string_view> action_groups() { return kGroups; }

std::vector<int> actions_in_group(std::string_view group) {
  std::vector<int> out;
  for (int i = 0; i < kNumActions; ++i)
    if (kRows[i].group == group) out.push_back(i);
  if (group == "interactions") out.insert(out.begin(), act::fight);  // fighting as a pair
  return out;
}

ActorStyle random_style(uint64_t seed, int actor, std::string_view kind) {
  synth::Rng rng(seed * 1000003ull + static_cast<uint64_t>(actor) * 7919ull + 17ull);
  ActorStyle s;
  s.body.scale = rng.uniform(0.92f, 1.08f);
  s.body.legs = rng.uniform(0.95f, 1.05f);
  s.body.torso = rng.uniform(0.95f, 1.05f);
  s.body.arms = rng.uniform(0.95f, 1.05f);
  s.body.head = rng.uniform(0.92f, 1.08f);
  s.left_handed = rng.chance(0.12f);
  s.tempo = rng.uniform(0.9f, 1.1f);
  s.amplitude = rng.uniform(0.85f, 1.15f);
  s.slouch = rng.uniform(-0.03f, 0.08f);
  s.phase = rng.uniform();
  if (kind == "child" || kind == "kid" || kind == "boy" || kind == "girl" || kind == "baby") {
    s.body.scale = rng.uniform(0.62f, 0.72f);
    s.body.head *= 1.25f;
    s.tempo *= 1.1f;
  } else if (kind == "robot") {
    s.amplitude *= 0.8f;
    s.slouch = 0.f;
  }
  return s;
}

SingleAction sample_single_action(int action, uint64_t seed) {
  const ActionParams& p = action_params(action);
  synth::Rng rng(seed * 0x2545F4914F6CDD1Dull + static_cast<uint64_t>(action) * 97ull + 5ull);
  SingleAction a;
  a.action = action;
  a.tempo = rng.uniform(p.tempo.lo, p.tempo.hi);
  a.intensity = rng.uniform(p.intensity.lo, p.intensity.hi);
  a.seconds = rng.uniform(std::max(p.seconds.lo, 3.f), std::max(p.seconds.hi, 4.f));
  a.facing = rng.chance(0.5f) ? 1 : -1;
  if (p.directional && !p.needs_partner) {
    const float r = rng.uniform();
    if (p.travels) {
      a.direction = r < 0.3f ? Direction::none : r < 0.55f ? Direction::left : r < 0.8f ? Direction::right
                  : r < 0.9f ? Direction::around : Direction::backward;
      if (action == act::push || action == act::pull) a.direction = Direction::none;
      const bool horizontal = action == act::swimming || action == act::flying || action == act::crawling;
      if (horizontal && a.direction == Direction::around) a.direction = Direction::none;
    } else {
      a.direction = r < 0.6f ? Direction::none : r < 0.8f ? Direction::left : Direction::right;
    }
  }
  if (rng.chance(0.35f)) {
    a.default_expression = false;
    a.expression = static_cast<Expression>(rng.next() % kNumExpressions);
  }
  return a;
}

namespace synth {

float base_speed(int action) {
  switch (action) {
    case act::climbing: return 0.f;  // climbs vertically
    case act::pull: return -action_info(action).travel_speed;  // walks backwards, hauling
    default: return action_info(action).travel_speed;
  }
}

bool oscillating_travel(int action) {
  return action == act::fight || action == act::dance || action == act::dodge;
}

bool paired_action(int action) {
  switch (action) {
    case act::handshake: case act::hug: case act::high_five: case act::fight: case act::push: case act::pull:
      return true;
    default:
      return false;
  }
}

float interaction_gap(int action) {
  switch (action) {
    case act::handshake: return 1.15f;
    case act::hug: return 0.68f;
    case act::high_five: return 1.0f;
    case act::fight: return 1.55f;
    case act::push: return 0.75f;
    case act::pull: return 1.25f;
    default: return 1.2f;
  }
}

bool needs_standing(int action) {
  switch (action) {
    case act::sit: case act::kneel: case act::lie_down: case act::get_up: case act::fall: case act::crawling:
    case act::stand:
      return false;
    default:
      return true;
  }
}

Posture end_posture(int action, Posture from) {
  switch (action) {
    case act::sit: return Posture::sitting;
    case act::kneel: return Posture::kneeling;
    case act::lie_down: return Posture::lying;
    case act::fall: return Posture::lying;
    case act::crawling: return Posture::all_fours;
    case act::swimming: case act::flying: return Posture::horizontal;
    case act::crouch: return Posture::crouching;
    default: return Posture::standing;
  }
}

}  // namespace synth
}  // namespace stickgen
