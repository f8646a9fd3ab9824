// The scene sampler and its describer: a random scene is built as the planner's own intermediate form
// (phases of per-actor steps with exact or soft durations), timed with the planner's allocation rule,
// and written out only in constructions the planner reads back to the same phases. docs/DATA.md.
#include "stickgen/scene.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <set>

#include "stickgen/common.hpp"
#include "stickgen/planner.hpp"
#include "stickgen/synth.hpp"

namespace stickgen {
namespace {

using sv = std::string_view;

// ---------------------------------------------------------------------------------------------------
// Random numbers: splitmix64, seeded from (seed, index, attempt).

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(mix(seed)) {}
  uint64_t next() { return s_ = mix(s_); }
  float uniform() { return static_cast<float>(next() >> 40) * (1.f / 16777216.f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  int below(int n) { return n <= 1 ? 0 : static_cast<int>(next() % static_cast<uint64_t>(n)); }
  bool chance(float p) { return uniform() < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<size_t>(below(static_cast<int>(v.size())))]; }
  // Index drawn with the given weights.
  int weighted(std::initializer_list<float> w) {
    float total = 0.f;
    for (float x : w) total += x;
    float r = uniform() * total;
    int i = 0;
    for (float x : w) {
      if (r < x) return i;
      r -= x;
      ++i;
    }
    return i - 1;
  }

 private:
  uint64_t s_;
};

// ---------------------------------------------------------------------------------------------------
// Lexical choices. Every phrase here plans back to its action (tests/test_data_engine.cpp checks each).

std::vector<sv> phrase_bases(int a) {
  switch (a) {
    case act::idle: return {"wait", "pause", "rest", "stay still"};
    case act::walk: return {"walk"};
    case act::run: return {"run"};
    case act::sprint: return {"sprint", "dash", "race"};
    case act::jump: return {"jump", "leap"};
    case act::wave: return {"wave", "wave hello"};
    case act::talk: return {"talk", "speak", "chat"};
    case act::shout: return {"shout", "yell"};
    case act::whisper: return {"whisper", "murmur"};
    case act::sing: return {"sing", "hum"};
    case act::point: return {"point"};
    case act::clap: return {"clap", "applaud"};
    case act::batting: return {"swing a bat", "swing a golf club"};
    case act::pitching: return {"pitch a baseball", "pitch a ball"};
    case act::catching: return {"catch a ball"};
    case act::running_bases: return {"run the bases"};
    case act::fielding: return {"field a ground ball"};
    case act::throwing: return {"throw a ball"};
    case act::kicking: return {"kick a ball", "kick a football"};
    case act::dribbling: return {"dribble a ball", "dribble a basketball"};
    case act::shooting: return {"shoot a basketball", "shoot hoops"};
    case act::punch: return {"punch"};
    case act::kick: return {"kick"};
    case act::dodge: return {"dodge", "sidestep"};
    case act::sit: return {"sit down", "sit"};
    case act::stand: return {"stand", "stand still"};
    case act::kneel: return {"kneel", "kneel down"};
    case act::lie_down: return {"lie down"};
    case act::eating: return {"eat", "eat a sandwich"};
    case act::drinking: return {"drink", "drink some water"};
    case act::reading: return {"read a book", "read a newspaper"};
    case act::typing: return {"type on a keyboard", "type on a laptop"};
    case act::looking_around: return {"look around"};
    case act::climbing: return {"climb", "climb a ladder"};
    case act::crawling: return {"crawl"};
    case act::swimming: return {"swim"};
    case act::flying: return {"fly"};
    case act::celebrate: return {"celebrate", "cheer"};
    case act::dance: return {"dance"};
    case act::cry: return {"cry", "weep", "sob"};
    case act::laugh: return {"laugh", "giggle", "chuckle"};
    case act::fight_stance: return {"take a fighting stance"};
    case act::turn: return {"turn around"};
    case act::crouch: return {"crouch", "crouch down"};
    case act::bow: return {"bow"};
    case act::spin: return {"spin", "spin around", "twirl"};
    case act::hop: return {"hop"};
    case act::skip: return {"skip"};
    case act::march: return {"march"};
    case act::push: return {"push a cart", "push a box"};
    case act::pull: return {"pull a rope", "pull a sled"};
    case act::lift: return {"lift a box", "pick up a box"};
    case act::carry: return {"carry a box"};
    case act::squat: return {"squat"};
    case act::stretch: return {"stretch"};
    case act::salute: return {"salute"};
    case act::shrug: return {"shrug"};
    case act::fall: return {"fall down", "fall over"};
    case act::get_up: return {"get up", "stand up"};
    case act::limp: return {"limp"};
    default: return {action_phrase(a, VerbForm::base)};
  }
}

// "walk" -> "walks", "catch a ball" -> "catches a ball", "fly" -> "flies", "lie down" -> "lies down".
std::string third_person(sv base) {
  const size_t sp = base.find(' ');
  std::string w(base.substr(0, sp));
  const std::string rest = sp == sv::npos ? "" : std::string(base.substr(sp));
  auto ends = [&](sv s) { return w.size() >= s.size() && w.compare(w.size() - s.size(), s.size(), s) == 0; };
  auto vowel = [](char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; };
  if (w == "have") w = "has";
  else if (ends("s") || ends("sh") || ends("ch") || ends("x") || ends("z") || ends("o")) w += "es";
  else if (w.size() > 1 && w.back() == 'y' && !vowel(w[w.size() - 2])) w = w.substr(0, w.size() - 1) + "ies";
  else w += "s";
  return w + rest;
}

// "carry a box", "shoot hoops": a thing after the verb.
bool has_object(sv phrase) {
  return phrase.find(" a ") != sv::npos || phrase.find(" an ") != sv::npos || phrase.find(" some ") != sv::npos ||
         phrase.ends_with(" hoops");
}

// Manner words with the planner's values (planner.cpp kManner); "very" raises both to the power 1.5.
struct Manner {
  sv word;
  float tempo, intensity;
  int expression;  // -1 none
  enum Kind { pace, vigour, mood } kind;
};
constexpr int kHappy = 1, kSad = 2, kSurprised = 3, kAngry = 4, kExcited = 5;
constexpr Manner kManners[] = {
    {"slowly", 0.6f, 1.f, -1, Manner::pace},       {"quickly", 1.5f, 1.f, -1, Manner::pace},
    {"briskly", 1.3f, 1.f, -1, Manner::pace},      {"rapidly", 1.5f, 1.f, -1, Manner::pace},
    {"leisurely", 0.7f, 1.f, -1, Manner::pace},    {"gently", 1.f, 0.7f, -1, Manner::vigour},
    {"softly", 1.f, 0.7f, -1, Manner::vigour},     {"calmly", 0.9f, 0.8f, -1, Manner::vigour},
    {"vigorously", 1.1f, 1.4f, -1, Manner::vigour}, {"powerfully", 1.f, 1.4f, -1, Manner::vigour},
    {"energetically", 1.2f, 1.4f, kExcited, Manner::vigour},
    {"happily", 1.f, 1.1f, kHappy, Manner::mood},  {"cheerfully", 1.f, 1.1f, kHappy, Manner::mood},
    {"joyfully", 1.f, 1.2f, kHappy, Manner::mood}, {"sadly", 1.f, 0.7f, kSad, Manner::mood},
    {"gloomily", 1.f, 0.7f, kSad, Manner::mood},   {"angrily", 1.f, 1.3f, kAngry, Manner::mood},
    {"furiously", 1.1f, 1.5f, kAngry, Manner::mood}, {"excitedly", 1.1f, 1.3f, kExcited, Manner::mood},
    {"nervously", 1.f, 0.9f, kSurprised, Manner::mood}, {"wearily", 0.75f, 0.6f, kSad, Manner::mood},
    {"tiredly", 0.75f, 0.6f, kSad, Manner::mood},
};

const sv kNumberWords[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};

// Actions the synthesiser leaves low (it inserts a get-up before anything that needs standing).
bool ends_low(int a) {
  return a == act::sit || a == act::kneel || a == act::lie_down || a == act::crouch || a == act::fall ||
         a == act::crawling || a == act::swimming || a == act::flying;
}
// Low postures that are held (planner posture()) and can be followed by a get-up.
bool held_low(int a) { return a == act::sit || a == act::kneel || a == act::lie_down || a == act::crouch; }
// Actions that stay on the ground until the clip ends: only ever an actor's last step of the scene.
bool terminal(int a) { return a == act::crawling || a == act::swimming || a == act::flying; }
// After these the next step must get the body up (or keep it down): held postures and a fall.
bool grounded(int a) { return held_low(a) || a == act::fall; }
// The planner's posture(): a gap after these holds the pose instead of idling.
bool planner_posture(int a) {
  return a == act::sit || a == act::kneel || a == act::lie_down || a == act::crouch || a == act::stand ||
         a == act::fight_stance;
}
// Short actions always get an explicit duration (a soft one could stretch a turn over seconds).
bool always_exact(int a) {
  return a == act::get_up || a == act::turn || a == act::spin || a == act::fall || action_params(a).seconds.hi <= 4.f;
}
bool travelling(int a) {
  return action_info(a).travel_speed > 0.f && a != act::fight && a != act::dodge && a != act::dance &&
         a != act::climbing && a != act::push && a != act::pull && a != act::running_bases;
}
// The planner's partner within a group subject: members pair up in order (0-1, 2-3, ...), an odd last one
// joins the previous member.
int partner_in_group(const std::vector<int>& who, int a) {
  auto it = std::find(who.begin(), who.end(), a);
  if (who.size() < 2 || it == who.end()) return -1;
  const size_t i = static_cast<size_t>(it - who.begin());
  return who[(i % 2 == 0) ? (i + 1 < who.size() ? i + 1 : i - 1) : i - 1];
}
bool pair_action(int a) { return a == act::handshake || a == act::hug || a == act::high_five || a == act::fight; }

// ---------------------------------------------------------------------------------------------------
// The intermediate form.

struct Step {
  int action = act::idle;
  float seconds = 0.f;  // > 0: stated ("for 3 seconds"); 0: soft, shares the phase's free time
  float weight = 1.f;   // soft weight (1; "for a while" would be 2)
  float tempo = 1.f, intensity = 1.f;
  int expression = -1;  // from a manner word; -1 = the action's own
  Direction dir = Direction::none;
  int target = -1;
  // text
  std::string phrase;       // base form ("walk", "sit down")
  std::string manner;       // "slowly", "very happily", "at a slow pace"
  bool manner_first = false;
  std::string dir_text;     // "to the left", "toward Bob"
  std::string dur_text;     // "for 3 seconds"
  bool dur_first = false;   // "For 3 seconds, a woman claps" (first step of a sentence only)
};

struct Phase {
  enum Kind { individual, group, interaction } kind = individual;
  std::vector<int> members;               // actors with steps, in the order they are mentioned
  std::vector<int> shared;                // group / interaction phases: the actors doing the shared steps
  std::vector<std::vector<Step>> steps;   // [actor]
  int interaction_form = 0;               // which wording (interaction phases)
};

struct ActorWords {
  std::string intro, definite, pronoun, kind, name;
  int gender = 0;
  bool named = false, mentioned = false;
};

struct SceneDraft {
  float duration = 10.f;
  int n = 1;
  std::string layout;
  std::vector<ActorWords> words;
  std::vector<Phase> phases;
  bool people_intro = false;  // "Two people ..." (actors referred to as "the first person", ...)
};

// ---------------------------------------------------------------------------------------------------
// Timing: the planner's allocation (planner.cpp allocate_and_emit), so the truth is what it reads back.

struct Timed {
  std::vector<std::vector<ActionSegment>> actors;
  bool scaled = false;
  bool too_short = false;
};

Timed allocate(const SceneDraft& d) {
  Timed out;
  const int n = d.n;
  const float D = d.duration;
  std::vector<const Phase*> phases;
  for (const auto& p : d.phases) {
    bool any = false;
    for (const auto& l : p.steps) any = any || !l.empty();
    if (any) phases.push_back(&p);
  }
  const size_t P = phases.size();
  std::vector<std::vector<float>> E(P, std::vector<float>(n, 0.f)), W(P, std::vector<float>(n, 0.f));
  for (size_t p = 0; p < P; ++p)
    for (int a = 0; a < n; ++a)
      for (const auto& st : phases[p]->steps[a]) (st.seconds > 0.f ? E[p][a] += st.seconds : W[p][a] += st.weight);
  std::vector<float> Emax(P, 0.f), Wmax(P, 0.f);
  float base = 0.f, wsum = 0.f;
  for (size_t p = 0; p < P; ++p) {
    for (int a = 0; a < n; ++a) Emax[p] = std::max(Emax[p], E[p][a]), Wmax[p] = std::max(Wmax[p], W[p][a]);
    base += Emax[p];
    wsum += Wmax[p];
  }
  const float min_soft = std::min(0.5f * wsum, wsum > 0.f ? 0.5f * D : 0.f);
  float scale = 1.f;
  if (base > D - min_soft + 1e-4f && base > 0.f) {
    out.scaled = true;  // the planner shrinks stated durations that do not fit; the sampler avoids it
    scale = std::max(1e-3f, (D - min_soft) / base);
  }
  const float free = D - base * scale;
  std::vector<float> L(P);
  for (size_t p = 0; p < P; ++p) L[p] = Emax[p] * scale + (wsum > 0.f ? free * Wmax[p] / wsum : 0.f);

  out.actors.resize(n);
  for (int a = 0; a < n; ++a) {
    std::vector<ActionSegment> segs;
    float t = 0.f;
    int last = -1;
    auto fill = [&](float len) {
      if (len <= 1e-5f) return;
      const int action = (last >= 0 && planner_posture(last)) ? last : act::idle;
      if (!segs.empty() && segs.back().action == action && (action == act::idle || planner_posture(action))) {
        segs.back().end += len;
      } else {
        ActionSegment s;
        s.action = action;
        s.expression = action_info(action).expression;
        if (!segs.empty() && action == last) s = segs.back();
        s.start = t;
        s.end = t + len;
        segs.push_back(s);
      }
      t += len;
    };
    for (size_t p = 0; p < P; ++p) {
      const float start = t;
      const float room = L[p] - E[p][a] * scale;
      for (const auto& st : phases[p]->steps[a]) {
        const float len = st.seconds > 0.f ? st.seconds * scale
                                           : (W[p][a] > 0.f ? std::max(0.f, room) * st.weight / W[p][a] : 0.f);
        if (len <= 1e-5f) continue;
        const float need = st.seconds > 0.f ? 0.f : std::max(1.f, std::min(action_params(st.action).seconds.lo, 2.5f));
        if (len < need - 1e-4f) out.too_short = true;
        ActionSegment s;
        s.action = st.action;
        s.start = t;
        s.end = t + len;
        s.tempo = std::clamp(st.tempo, 0.25f, 4.f);
        s.intensity = std::clamp(st.intensity, 0.2f, 2.5f);
        s.direction = st.dir;
        s.expression = st.expression >= 0 ? static_cast<Expression>(st.expression) : action_info(st.action).expression;
        s.target_actor = st.target >= 0 && st.target < n && st.target != a ? st.target : -1;
        s.verb = st.phrase;
        segs.push_back(std::move(s));
        t += len;
        last = st.action;
      }
      fill(start + L[p] - t);
    }
    fill(D - t);
    // Millisecond boundaries, exact cover.
    std::vector<ActionSegment> fixed;
    for (auto& s : segs) {
      s.start = std::round(s.start * 1000.f) / 1000.f;
      s.end = std::round(s.end * 1000.f) / 1000.f;
      if (!fixed.empty()) s.start = fixed.back().end;
      if (s.end - s.start < 1e-3f) {
        if (!fixed.empty()) fixed.back().end = std::max(fixed.back().end, s.end);
        continue;
      }
      fixed.push_back(std::move(s));
    }
    if (fixed.empty()) {
      ActionSegment s;
      s.action = act::idle;
      fixed.push_back(s);
    }
    fixed.front().start = 0.f;
    fixed.back().end = D;
    for (size_t i = 1; i < fixed.size(); ++i) fixed[i].start = fixed[i - 1].end;
    out.actors[a] = std::move(fixed);
  }
  return out;
}

// Where the actors start and which way they face (the planner's place(), so the pictures agree).
void place(Plan& plan, Rng& rng) {
  const int n = static_cast<int>(plan.actors.size());
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = (static_cast<float>(i) - 0.5f * static_cast<float>(n - 1)) * 3.f;
  if (n == 2) {
    float approach = 0.f;
    for (int i = 0; i < 2; ++i)
      for (const auto& s : plan.actors[i].timeline)
        if (s.direction == Direction::toward && s.target_actor == 1 - i)
          approach += action_info(s.action).travel_speed * s.tempo * (s.end - s.start);
    if (approach > 0.f) {
      const float sep = std::clamp(approach + 1.f, 3.f, 14.f);
      x[0] = -0.5f * sep;
      x[1] = 0.5f * sep;
    }
  }
  for (auto& v : x) v += rng.uniform(-0.5f, 0.5f);
  for (int i = 0; i < n; ++i) {
    ActorPlan& ap = plan.actors[i];
    int facing = 0;
    for (const auto& s : ap.timeline) {
      if (s.direction == Direction::left) facing = -1;
      else if (s.direction == Direction::right) facing = 1;
      else if (s.target_actor >= 0 && s.direction == Direction::away) facing = x[s.target_actor] > x[i] ? -1 : 1;
      else if (s.target_actor >= 0) facing = x[s.target_actor] >= x[i] ? 1 : -1;
      if (facing != 0) break;
    }
    if (facing == 0) {
      for (int j = 0; j < n && facing == 0; ++j)
        for (const auto& s : plan.actors[j].timeline)
          if (s.target_actor == i && j != i && s.direction != Direction::away) {
            facing = x[j] >= x[i] ? 1 : -1;
            break;
          }
    }
    if (facing == 0) facing = n >= 2 ? (x[i] <= 0.f ? 1 : -1) : (rng.chance(0.5f) ? 1 : -1);
    ap.facing = facing;
  }
  // Keep the group's travel centred.
  float mean = 0.f;
  for (int i = 0; i < n; ++i) {
    float f = static_cast<float>(plan.actors[i].facing), disp = 0.f;
    for (const auto& s : plan.actors[i].timeline) {
      const float d = action_info(s.action).travel_speed * s.tempo * (s.end - s.start);
      switch (s.direction) {
        case Direction::left: disp -= d, f = -1; break;
        case Direction::right: disp += d, f = 1; break;
        case Direction::backward: disp -= f * d; break;
        case Direction::around: break;
        case Direction::toward:
        case Direction::away:
          if (s.target_actor >= 0) {
            const float sg = x[s.target_actor] >= x[i] ? 1.f : -1.f;
            disp += (s.direction == Direction::toward ? sg : -sg) * d;
          }
          break;
        default: disp += f * d; break;
      }
      if (s.action == act::turn) f = -f;
    }
    mean += disp;
  }
  mean /= static_cast<float>(std::max(n, 1));
  const float shift = std::clamp(-0.5f * mean, -8.f, 8.f);
  for (int i = 0; i < n; ++i) plan.actors[i].start_x = std::round((x[i] + shift) * 1000.f) / 1000.f;
}

// ---------------------------------------------------------------------------------------------------
// Sampling.

struct Names {
  sv name;
  int gender;
};
constexpr Names kNameList[] = {
    {"Alice", 2}, {"Bob", 1},    {"Carol", 2},  {"Dave", 1},   {"Frank", 1},  {"Heidi", 2},  {"Ivan", 1},
    {"Judy", 2},  {"Oscar", 1},  {"Peggy", 2},  {"Victor", 1}, {"Walter", 1}, {"Anna", 2},   {"Emma", 2},
    {"Olivia", 2}, {"Sophia", 2}, {"Mia", 2},   {"Lily", 2},   {"Lucy", 2},   {"Sarah", 2},  {"Maria", 2},
    {"Julia", 2}, {"Kate", 2},   {"Jane", 2},   {"Mary", 2},   {"Linda", 2},  {"Susan", 2},  {"Lisa", 2},
    {"Nina", 2},  {"Zoe", 2},    {"Amy", 2},    {"Ella", 2},   {"Chloe", 2},  {"Hannah", 2}, {"Fatima", 2},
    {"Aisha", 2}, {"Priya", 2},  {"John", 1},   {"James", 1},  {"Tom", 1},    {"Mike", 1},   {"Leo", 1},
    {"Paul", 1},  {"Peter", 1},  {"Luke", 1},   {"David", 1},  {"Ben", 1},    {"Adam", 1},   {"Noah", 1},
    {"Liam", 1},  {"Ethan", 1},  {"George", 1}, {"Harry", 1},  {"Joe", 1},    {"Steve", 1},  {"Tim", 1},
    {"Omar", 1},  {"Raj", 1},    {"Carlos", 1}, {"Diego", 1},  {"Juan", 1},   {"Pedro", 1},  {"Ahmed", 1},
    {"Fred", 1},  {"Hugo", 1},   {"Igor", 1},   {"Sam", 0},    {"Alex", 0},   {"Jordan", 0}, {"Taylor", 0},
    {"Charlie", 0},
};

struct Kind {
  sv noun;        // "man"
  sv kind;        // plan kind
  int gender;
  sv pronoun;     // "" when none is safe
};
constexpr Kind kKindList[] = {
    {"man", "man", 1, "he"},     {"woman", "woman", 2, "she"}, {"boy", "boy", 1, "he"},
    {"girl", "girl", 2, "she"},  {"robot", "robot", 0, "it"},  {"child", "child", 0, ""},
    {"person", "person", 0, ""},
};

class Sampler {
 public:
  Sampler(uint64_t seed, const SceneOptions& o) : rng_(seed), o_(o) {}

  SceneDraft draft() {
    SceneDraft d;
    const float full = std::clamp(o_.full_seconds, 1.f, 600.f);
    if (rng_.chance(o_.full_share) || o_.min_seconds >= full) {
      d.duration = full;
    } else {
      // Whole seconds: a whole number of frames at 25 fps, so the clip lasts exactly what the text plans.
      const int lo = static_cast<int>(std::ceil(std::max(1.f, o_.min_seconds)));
      const int hi = static_cast<int>(std::ceil(full)) - 1;
      d.duration = static_cast<float>(std::min(hi >= lo ? lo + rng_.below(hi - lo + 1) : lo, static_cast<int>(full)));
    }
    const int max_actors = std::clamp(o_.max_actors, 1, 3);
    d.n = 1 + rng_.weighted({0.45f, max_actors >= 2 ? 0.35f : 0.f, max_actors >= 3 ? 0.2f : 0.f});
    max_steps_ = std::clamp(o_.max_actions, 1, 4);
    if (d.duration < 6.f) max_steps_ = std::min(max_steps_, 2);
    else if (d.duration < 8.f) max_steps_ = std::min(max_steps_, 3);
    last_.assign(d.n, -1);
    used_.assign(d.n, 0);
    int pick = d.n == 1 ? -1 : rng_.weighted({d.n == 2 ? 0.4f : 0.45f, 0.2f, d.n == 2 ? 0.4f : 0.35f});
    if (max_steps_ < 2 && pick == 2) pick = 0;
    // "Two people ..." only where the first sentence names the whole group.
    choose_words(d, pick == 1);
    switch (pick) {
      case -1: d.layout = "solo", independent(d); break;
      case 0: d.layout = "independent", independent(d); break;
      case 1: d.layout = "together", together(d); break;
      default: d.layout = "interaction", interaction(d); break;
    }
    return d;
  }

  // New durations for the same steps (when the first draw does not fit the clip).
  void redraw_durations(SceneDraft& d) {
    for (auto& p : d.phases)
      for (auto& l : p.steps)
        for (auto& st : l) {
          if (!terminal(st.action) && (st.seconds > 0.f || always_exact(st.action))) {
            st.seconds = exact_seconds(st.action, d.duration);
            st.dur_text = duration_text(st.seconds);
          }
        }
    // Group and interaction steps are shared: copy the first member's timing to the others.
    for (auto& p : d.phases) {
      if (p.kind == Phase::individual || p.shared.empty()) continue;
      const auto& ref = p.steps[p.shared[0]];
      for (int m : p.shared)
        for (size_t i = 0; i < p.steps[m].size() && i < ref.size(); ++i) {
          p.steps[m][i].seconds = ref[i].seconds;
          p.steps[m][i].dur_text = ref[i].dur_text;
        }
    }
  }

  Rng& rng() { return rng_; }

 private:
  // -------------------------------------------------- who
  void choose_words(SceneDraft& d, bool group_first) {
    d.words.resize(d.n);
    const bool names = rng_.chance(d.n == 1 ? 0.25f : 0.45f);
    if (group_first && !names && rng_.chance(0.3f)) {
      d.people_intro = true;  // "Two people ...": the first person, the second person
      for (int a = 0; a < d.n; ++a) {
        auto& w = d.words[a];
        w.kind = "person";
        static const sv ord[] = {"first", "second", "third"};
        w.definite = "the " + std::string(ord[a]) + " person";
        w.intro = w.definite;
      }
      return;
    }
    if (names) {
      std::vector<int> pool;
      for (int i = 0; i < static_cast<int>(std::size(kNameList)); ++i) pool.push_back(i);
      for (int a = 0; a < d.n; ++a) {
        const int k = rng_.below(static_cast<int>(pool.size()));
        const Names& nm = kNameList[pool[k]];
        pool.erase(pool.begin() + k);
        auto& w = d.words[a];
        w.intro = w.definite = w.name = std::string(nm.name);
        w.named = true;
        w.gender = nm.gender;
        w.kind = nm.gender == 1 ? "man" : nm.gender == 2 ? "woman" : "person";
      }
    } else {
      // Distinct kinds; "child" never with a boy or girl ("the child" would match them), "person" only alone.
      std::vector<int> pool;
      for (int i = 0; i < static_cast<int>(std::size(kKindList)); ++i)
        if (kKindList[i].noun != "person" || d.n == 1) pool.push_back(i);
      for (int a = 0; a < d.n; ++a) {
        int k = rng_.below(static_cast<int>(pool.size()));
        if (a == 0 && d.n >= 2 && rng_.chance(0.5f)) k = 0;  // "a man and a woman" is the common pair
        const Kind& kd = kKindList[pool[k]];
        pool.erase(pool.begin() + k);
        if (kd.noun == "child" || kd.noun == "boy" || kd.noun == "girl")
          pool.erase(std::remove_if(pool.begin(), pool.end(),
                                    [](int i) {
                                      return kKindList[i].noun == "child" || kKindList[i].noun == "boy" ||
                                             kKindList[i].noun == "girl";
                                    }),
                     pool.end());
        auto& w = d.words[a];
        w.intro = std::string("a ") + std::string(kd.noun);
        w.definite = std::string("the ") + std::string(kd.noun);
        w.kind = std::string(kd.kind);
        w.gender = kd.gender;
        w.pronoun = std::string(kd.pronoun);
      }
    }
    // A pronoun only when no other actor could take it.
    for (int a = 0; a < d.n; ++a) {
      auto& w = d.words[a];
      if (w.named) w.pronoun = w.gender == 1 ? "he" : w.gender == 2 ? "she" : "";
      if (w.pronoun.empty()) continue;
      for (int b = 0; b < d.n; ++b) {
        if (b == a) continue;
        const auto& o = d.words[b];
        const bool clash = (w.pronoun == "it") ? o.kind == "robot" : o.gender == w.gender || o.gender == 0;
        if (clash) w.pronoun.clear();
      }
    }
  }

  // -------------------------------------------------- steps
  float exact_seconds(int action, float clip) {
    const ActionParams& p = action_params(action);
    float lo = std::max(1.f, std::min(p.seconds.lo, 2.5f)), hi = std::min(p.seconds.hi, 6.f);
    if (action == act::get_up) lo = 1.5f, hi = 2.5f;
    if (action == act::turn || action == act::spin) lo = 1.f, hi = 3.f;
    if (action == act::fall) lo = 1.f, hi = 2.f;
    hi = std::min(hi, std::max(lo, 0.6f * clip));
    const int a = static_cast<int>(std::ceil(lo * 2.f)), b = static_cast<int>(std::floor(hi * 2.f));
    return 0.5f * static_cast<float>(a + rng_.below(std::max(1, b - a + 1)));
  }

  std::string duration_text(float s) {
    const int halves = static_cast<int>(std::lround(s * 2.f));
    const int whole = halves / 2;
    const bool half = halves % 2 == 1;
    const int style = rng_.below(10);
    std::string num;
    if (style < 5) {  // digits
      char buf[32];
      if (half) std::snprintf(buf, sizeof buf, "%d.5", whole);
      else std::snprintf(buf, sizeof buf, "%d", whole);
      num = buf;
      return "for " + num + (halves == 2 ? " second" : " seconds");
    }
    if (whole == 1 && !half && style < 7) return "for a second";
    if (whole == 1 && half && style < 7) return "for a second and a half";
    num = whole <= 10 ? std::string(kNumberWords[whole]) : std::to_string(whole);
    const std::string about = style == 9 ? "about " : "";
    if (half) return "for " + about + num + " and a half seconds";
    return "for " + about + num + (whole == 1 ? " second" : " seconds");
  }

  bool manner_fits(const Manner& m, int action) const {
    const ActionFamily f = action_params(action).family;
    const bool still = action == act::idle || action == act::stand || action == act::get_up || action == act::fall ||
                       f == ActionFamily::posture;
    if (m.kind == Manner::vigour && (still || action == act::looking_around)) return false;
    if (m.kind == Manner::pace && (action == act::idle || action == act::stand || action == act::fall)) return false;
    if (m.tempo > 1.25f && action == act::sprint) return false;
    return true;
  }

  void add_manner(Step& st, bool allow_first) {
    if (!rng_.chance(0.35f)) return;
    std::vector<const Manner*> fits;
    for (const auto& m : kManners)
      if (manner_fits(m, st.action) && st.phrase.substr(0, 4) != m.word.substr(0, 4)) fits.push_back(&m);  // no "cheers cheerfully"
    if (fits.empty()) return;
    const Manner& m = *rng_.pick(fits);
    float amp = 1.f;
    st.manner = std::string(m.word);
    // "very" after an object is read as part of it ("pushes a box very gently"): only on bare verbs.
    if (rng_.chance(0.15f) && m.kind != Manner::mood && !has_object(st.phrase)) {
      amp = 1.5f;
      st.manner = "very " + st.manner;
    } else if (m.word == "slowly" && rng_.chance(0.2f)) {
      st.manner = "at a slow pace";
    } else if (m.word == "quickly" && rng_.chance(0.2f)) {
      st.manner = "at a fast pace";
    } else {
      st.manner_first = allow_first && rng_.chance(0.3f);
    }
    st.tempo = std::pow(m.tempo, amp);
    st.intensity = std::pow(m.intensity, amp);
    st.expression = m.expression;
  }

  void add_direction(Step& st) {
    if (!travelling(st.action) || !rng_.chance(0.5f)) return;
    if (has_object(st.phrase)) {
      // After an object only a prepositional direction reads back ("carries a box leftward" would be
      // swallowed by the object's noun phrase).
      const bool left = rng_.chance(0.5f);
      st.dir = left ? Direction::left : Direction::right;
      st.dir_text = left ? "to the left" : "to the right";
      return;
    }
    const bool ground = st.action == act::crawling || st.action == act::swimming || st.action == act::flying;
    const int r = rng_.weighted({0.35f, 0.35f, 0.12f, st.action == act::walk ? 0.08f : 0.f, ground ? 0.f : 0.1f});
    static const std::vector<sv> left = {"to the left", "left", "leftward"}, right = {"to the right", "right", "rightward"},
                                 fwd = {"forward", "ahead"}, back = {"backward", "backwards"},
                                 around = {"in circles", "in a circle", "around"};
    switch (r) {
      case 0: st.dir = Direction::left, st.dir_text = rng_.pick(left); break;
      case 1: st.dir = Direction::right, st.dir_text = rng_.pick(right); break;
      case 2: st.dir = Direction::forward, st.dir_text = rng_.pick(fwd); break;
      case 3: st.dir = Direction::backward, st.dir_text = rng_.pick(back); break;
      default: st.dir = Direction::around, st.dir_text = rng_.pick(around); break;
    }
  }

  Step make_step(int action, bool soft_ok, float clip, float p_exact = 0.55f) {
    Step st;
    st.action = action;
    const auto bases = phrase_bases(action);
    st.phrase = std::string(rng_.pick(bases));
    add_manner(st, true);
    add_direction(st);
    // A terminal action (crawl, swim, fly) lasts to the end of the clip: an idle gap after it would
    // make the engine insert a get-up the text does not mention.
    if (!terminal(action) && (always_exact(action) || !soft_ok || rng_.chance(p_exact))) {
      st.seconds = exact_seconds(action, clip);
      st.dur_text = duration_text(st.seconds);
    }
    return st;
  }

  // An action for actor `a` after its last one. `final_step`: nothing follows it in the scene;
  // `stand_after`: the actor must be standing when this step ends (an interaction follows).
  int next_action(int a, bool final_step, bool multi, bool group, bool stand_after) {
    const int last = last_[a];
    if (last >= 0 && grounded(last)) {
      // From the ground: get up (usually), stand, or change posture.
      const int r = rng_.weighted({0.75f, 0.1f, 0.15f});
      if (r == 0 || stand_after) return act::get_up;
      if (r == 1) return act::stand;
      std::vector<int> other;
      for (int x : {act::sit, act::kneel, act::lie_down})
        if (x != last) other.push_back(x);
      return rng_.pick(other);
    }
    std::vector<int> pool;
    for (int x = 0; x < kNumActions; ++x) {
      if (x == last || pair_action(x) || x == act::get_up) continue;
      if (multi && (x == act::push || x == act::pull)) continue;  // paired in the engine: they seek a partner
      if (group && (x == act::throwing || x == act::catching)) continue;  // a group "throws" passes to itself
      if (terminal(x) && !final_step) continue;
      if (x == act::fall && final_step) continue;  // a fall is always followed by getting up (or lying)
      if (stand_after && ends_low(x)) continue;
      pool.push_back(x);
    }
    // idle and stand are also what gaps become: draw them less often.
    int x = rng_.pick(pool);
    if ((x == act::idle || x == act::stand) && rng_.chance(0.5f)) x = rng_.pick(pool);
    return x;
  }

  // A chain of up to `k` steps for actor `a` (stops early at a terminal action).
  std::vector<Step> chain(int a, int k, bool final_phase, bool multi, bool group, bool stand_after, float clip) {
    std::vector<Step> out;
    for (int i = 0; i < k && used_[a] < max_steps_; ++i) {
      const bool last_here = i + 1 == k || used_[a] + 1 == max_steps_;
      int x = next_action(a, final_phase && last_here, multi, group, stand_after && last_here);
      // Nothing may follow this step here: a fall needs its get-up in the same chain.
      if (last_here && x == act::fall) x = act::stand;
      if (last_here && stand_after && ends_low(x)) x = act::idle;
      // A chain's last step usually takes the rest of the phase (an unstated duration).
      out.push_back(make_step(x, true, clip, last_here ? 0.25f : 0.6f));
      last_[a] = x;
      ++used_[a];
      if (terminal(x)) break;
    }
    return out;
  }

  int steps_wanted(int cap) {
    const int k = 1 + rng_.weighted({0.25f, 0.35f, 0.25f, 0.15f});
    return std::max(1, std::min(k, cap));
  }

  void independent(SceneDraft& d) {
    Phase p;
    p.kind = Phase::individual;
    p.steps.resize(d.n);
    for (int a = 0; a < d.n; ++a) {
      p.members.push_back(a);
      p.steps[a] = chain(a, steps_wanted(max_steps_), true, d.n > 1, false, false, d.duration);
      p.steps[a].front().dur_first = p.steps[a].front().seconds > 0.f && rng_.chance(0.08f);
    }
    d.phases.push_back(std::move(p));
  }

  // Continuation after a group/interaction phase: "Then A does x, while B does y [, then z]".
  void continuation(SceneDraft& d, std::vector<int> who, int avoid_first, bool final_phase) {
    if (who.empty()) return;
    for (size_t i = who.size(); i > 1; --i) std::swap(who[i - 1], who[rng_.below(static_cast<int>(i))]);
    if (who.size() > 1 && who.front() == avoid_first) std::swap(who[0], who[1]);
    if (who.front() == avoid_first) return;
    Phase p;
    p.kind = Phase::individual;
    p.steps.resize(d.n);
    for (size_t i = 0; i < who.size(); ++i) {
      const int a = who[i];
      if (used_[a] >= max_steps_) continue;
      const int k = i + 1 == who.size() ? std::min(2, steps_wanted(2)) : 1;
      auto steps = chain(a, k, final_phase, true, false, false, d.duration);
      if (steps.empty()) continue;
      p.members.push_back(a);
      p.steps[a] = std::move(steps);
    }
    if (!p.members.empty() && p.members.front() != avoid_first) d.phases.push_back(std::move(p));
  }

  void together(SceneDraft& d) {
    Phase g;
    g.kind = Phase::group;
    g.steps.resize(d.n);
    for (int a = 0; a < d.n; ++a) g.members.push_back(a);
    g.shared = g.members;
    const bool more = rng_.chance(0.75f) && max_steps_ >= 2;
    const int k = more ? 1 : std::min(2, steps_wanted(2));
    // One chain, shared: sample it for actor 0 and copy the state to the others.
    auto steps = chain(0, k, !more, true, true, false, d.duration);
    for (int a = 0; a < d.n; ++a) {
      g.steps[a] = steps;
      // A group that talks or whispers talks to each other (the planner pairs the members up).
      for (auto& st : g.steps[a])
        if (st.action == act::talk || st.action == act::whisper) st.target = partner_in_group(g.shared, a);
      last_[a] = last_[0];
      used_[a] = used_[0];
    }
    d.phases.push_back(std::move(g));
    if (more) {
      std::vector<int> who;
      for (int a = 0; a < d.n; ++a)
        if (a == 0 || rng_.chance(0.8f)) who.push_back(a);
      continuation(d, who, -1, true);
    }
  }

  void interaction(SceneDraft& d) {
    static const int kPairs[] = {act::handshake, act::hug, act::high_five, act::fight};
    const int action = kPairs[rng_.below(4)];
    const int pa = 0, pb = 1;
    const int third = d.n == 3 ? 2 : -1;
    const bool pre = rng_.chance(0.55f) && max_steps_ >= 2;
    const bool post = rng_.chance(0.5f) && max_steps_ >= 2;
    if (pre) {
      Phase p;
      p.steps.resize(d.n);
      if (rng_.chance(0.4f)) {
        // "A and B walk toward each other" (a group step), the third actor on its own.
        p.kind = Phase::group;
        Step st = make_step(rng_.chance(0.75f) ? act::walk : act::run, true, d.duration);
        st.dir = Direction::toward;
        st.dir_text = "toward each other";
        p.members = p.shared = {pa, pb};
        for (int a : {pa, pb}) {
          Step s = st;
          s.target = a == pa ? pb : pa;
          p.steps[a] = {s};
          last_[a] = st.action;
          ++used_[a];
        }
      } else {
        p.kind = Phase::individual;
        // The third actor's sentence comes after A's and B's: B may only stay silent here (and wait)
        // when the third actor does too, so that the actors are introduced in their index order.
        const bool third_here = third >= 0 && rng_.chance(0.7f);
        for (int a : {pa, pb}) {
          const int other = a == pa ? pb : pa;
          if (a == pb && !third_here && rng_.chance(0.25f)) continue;  // B just waits (a gap)
          const bool approach = rng_.chance(0.45f);  // the last step walks up to the partner
          const int k = std::min(2, steps_wanted(2)) - (approach ? 1 : 0);
          std::vector<Step> steps;
          if (k > 0) steps = chain(a, k, false, true, false, true, d.duration);
          if (approach && used_[a] < max_steps_) {
            int loco = rng_.chance(0.75f) ? act::walk : act::run;
            if (!steps.empty() && steps.back().action == loco) loco = loco == act::walk ? act::run : act::walk;
            Step s = make_step(loco, true, d.duration);
            s.dir = Direction::toward;
            s.target = other;
            static const std::vector<sv> toward = {"toward ", "towards ", "over to ", "up to "};
            s.dir_text = std::string(rng_.pick(toward)) + "{" + std::to_string(other) + "}";
            steps.push_back(s);
            last_[a] = s.action;
            ++used_[a];
          }
          if (steps.empty()) continue;
          p.members.push_back(a);
          p.steps[a] = std::move(steps);
        }
        if (third_here) {
          p.steps[third] = chain(third, std::min(2, steps_wanted(2)), false, true, false, false, d.duration);
          if (!p.steps[third].empty()) p.members.push_back(third);
        }
      }
      if (p.kind == Phase::group && third >= 0 && rng_.chance(0.7f)) {
        p.steps[third] = chain(third, std::min(2, steps_wanted(2)), false, true, false, false, d.duration);
        if (!p.steps[third].empty()) p.members.push_back(third);  // said in its own sentence
      }
      if (!p.members.empty()) d.phases.push_back(std::move(p));
    }
    Phase in;
    in.kind = Phase::interaction;
    in.steps.resize(d.n);
    in.members = in.shared = {pa, pb};
    in.interaction_form = rng_.below(4);
    Step st;
    st.action = action;
    st.phrase = std::string(action_phrase(action, VerbForm::base));
    if (rng_.chance(0.25f)) {  // a mood: "hug happily", "fight angrily"
      std::vector<const Manner*> moods;
      for (const auto& m : kManners)
        if (m.kind == Manner::mood) moods.push_back(&m);
      const Manner& m = *rng_.pick(moods);
      st.manner = std::string(m.word);
      st.tempo = m.tempo;
      st.intensity = m.intensity;
      st.expression = m.expression;
    }
    if (rng_.chance(0.5f)) {  // "for 3 seconds" (then a gap), else the whole phase
      st.seconds = std::max(2.5f, exact_seconds(action, d.duration));
      st.dur_text = duration_text(st.seconds);
    }
    for (int a : {pa, pb}) {
      Step s = st;
      s.target = a == pa ? pb : pa;
      in.steps[a] = {s};
      last_[a] = action;
      ++used_[a];
    }
    int last_subject = -1;
    // Every actor does something somewhere (else the text would not mention it).
    if (third >= 0 && (used_[third] == 0 || rng_.chance(0.6f)) && used_[third] < max_steps_) {
      // Without a first phase the third actor's own sentence lands in this phase too.
      auto steps = chain(third, pre ? std::min(2, steps_wanted(2)) : steps_wanted(max_steps_), !post, true, false,
                         false, d.duration);
      if (!steps.empty()) {
        in.members.push_back(third);
        in.steps[third] = std::move(steps);
        last_subject = third;
      }
    }
    d.phases.push_back(std::move(in));
    if (post) {
      std::vector<int> who;
      for (int a = 0; a < d.n; ++a)
        if (used_[a] < max_steps_ && (a != third || rng_.chance(0.5f)) && rng_.chance(0.85f)) who.push_back(a);
      continuation(d, who, last_subject, true);
    }
  }

  Rng rng_;
  SceneOptions o_;
  int max_steps_ = 4;
  std::vector<int> last_, used_;
};

// ---------------------------------------------------------------------------------------------------
// Writing it down.

class Writer {
 public:
  Writer(SceneDraft& d, Rng& rng) : d_(d), rng_(rng) {}

  std::string write() {
    for (size_t p = 0; p < d_.phases.size(); ++p) {
      const Phase& ph = d_.phases[p];
      const bool first = p == 0;
      const bool last = p + 1 == d_.phases.size();
      final_phase_ = last;
      switch (ph.kind) {
        case Phase::individual:
          if (first) write_independent(ph);
          else write_continuation(ph, last);
          break;
        case Phase::group: write_group(ph, first); break;
        case Phase::interaction: write_interaction(ph, first); break;
      }
    }
    return finish();
  }

 private:
  // Sentences are built as token text; finish() capitalises and punctuates.
  void sentence(std::string s) { sentences_.push_back(std::move(s)); }
  void append(const std::string& s) { sentences_.back() += s; }

  std::string finish() {
    std::string out;
    for (auto& s : sentences_) {
      if (s.empty()) continue;
      s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
      if (!out.empty()) out += ' ';
      out += s + ".";
    }
    return out;
  }

  std::string ref(int a, bool allow_pronoun = true) {
    ActorWords& w = d_.words[a];
    if (!w.mentioned) {
      w.mentioned = true;
      return w.intro;
    }
    if (allow_pronoun && !w.pronoun.empty() && rng_.chance(0.6f)) return w.pronoun;
    return w.definite;
  }
  std::string object_ref(int a) {  // "walks toward a woman" on first mention, "the woman" after
    ActorWords& w = d_.words[a];
    const bool first = !w.mentioned;
    w.mentioned = true;
    return first ? w.intro : w.definite;
  }
  std::string group_ref(const std::vector<int>& who) {
    bool all_new = true, any_new = false;
    for (int a : who) all_new = all_new && !d_.words[a].mentioned, any_new = any_new || !d_.words[a].mentioned;
    if (d_.people_intro && all_new && static_cast<int>(who.size()) == d_.n) {
      for (int a : who) d_.words[a].mentioned = true;
      return who.size() == 2 ? "two people" : "three people";
    }
    if (!any_new && static_cast<int>(who.size()) == d_.n && d_.n == 2 && rng_.chance(0.5f)) return "they";
    std::string s;
    for (size_t i = 0; i < who.size(); ++i) {
      if (i > 0) s += i + 1 == who.size() ? " and " : ", ";
      s += ref(who[i], false);
    }
    return s;
  }

  // The verb phrase of a step: manner, verb, direction, duration in one of the orders the planner reads.
  std::string vp(const Step& st, bool plural, bool with_duration = true) {
    std::string verb = plural ? st.phrase : third_person(st.phrase);
    std::string dir = expand(st.dir_text);
    std::vector<std::string> parts;
    if (!st.manner.empty() && st.manner_first) parts.push_back(st.manner);
    parts.push_back(verb);
    std::vector<std::string> tail;
    if (!dir.empty()) tail.push_back(dir);
    if (!st.manner.empty() && !st.manner_first) {
      // "walks slowly to the left" or "walks to the left slowly"
      if (rng_.chance(0.5f)) tail.insert(tail.begin(), st.manner);
      else tail.push_back(st.manner);
    }
    if (with_duration && !st.dur_text.empty() && !st.dur_first) {
      // The duration may come before a trailing manner ("walks left for 3 seconds happily"), never
      // before a direction.
      const bool manner_last = !st.manner.empty() && !st.manner_first && !tail.empty() && tail.back() == st.manner;
      if (manner_last && rng_.chance(0.3f)) tail.insert(tail.end() - 1, st.dur_text);
      else tail.push_back(st.dur_text);
    }
    for (auto& t : tail) parts.push_back(t);
    std::string s;
    for (const auto& p : parts) s += (s.empty() ? "" : " ") + p;
    return s;
  }

  std::string expand(const std::string& text) {  // "{1}" -> actor 1's words
    const size_t open = text.find('{');
    if (open == std::string::npos) return text;
    const size_t close = text.find('}', open);
    const int a = std::stoi(text.substr(open + 1, close - open - 1));
    return text.substr(0, open) + object_ref(a) + text.substr(close + 1);
  }

  // Steps 1.. of one actor's chain after its first clause.
  void chain_rest(int a, const std::vector<Step>& steps, size_t from, bool plural, const std::string& group) {
    for (size_t i = from; i < steps.size(); ++i) {
      const bool last = i + 1 == steps.size();
      // "finally" only where nothing else follows in the scene.
      const int r = rng_.weighted({0.3f, 0.2f, 0.2f, 0.15f, 0.1f, last && final_phase_ ? 0.25f : 0.f});
      auto subj = [&] { return plural ? group : ref(a); };
      switch (r) {
        case 0: append(", then " + vp(steps[i], plural)); break;
        case 1: append(" and then " + vp(steps[i], plural)); break;
        case 2: sentence("then " + subj() + " " + vp(steps[i], plural)); break;
        case 3: sentence("after that, " + subj() + " " + vp(steps[i], plural)); break;
        case 4: sentence("next, " + subj() + " " + vp(steps[i], plural)); break;
        default:
          if (rng_.chance(0.5f)) append(", and finally " + vp(steps[i], plural));
          else sentence("finally, " + subj() + " " + vp(steps[i], plural));
          break;
      }
    }
  }

  // "A man walks ..." (first clause of a sentence), with an optional leading duration.
  std::string opening(const std::string& subject, const Step& st, bool plural) {
    if (st.dur_first && !st.dur_text.empty()) {
      std::string d = st.dur_text;
      return d + ", " + subject + " " + vp(st, plural);
    }
    return subject + " " + vp(st, plural);
  }

  void write_independent(const Phase& ph) {
    for (int a : ph.members) {
      const auto& steps = ph.steps[a];
      if (steps.empty()) continue;
      sentence(opening(ref(a), steps[0], false));
      chain_rest(a, steps, 1, false, "");
    }
  }

  void write_continuation(const Phase& ph, bool last_phase) {
    static const std::vector<sv> lead = {"then", "after that,", "next,", "afterwards,", "later,"};
    std::string start(rng_.pick(lead));
    if (last_phase && rng_.chance(0.2f)) start = "finally,";
    bool first = true;
    for (int a : ph.members) {
      const auto& steps = ph.steps[a];
      if (steps.empty()) continue;
      if (first) {
        sentence(start + " " + ref(a) + " " + vp(steps[0], false));
        first = false;
      } else if (a == ph.members[1]) {
        append(", while " + ref(a) + " " + vp(steps[0], false));
      } else if (rng_.chance(0.5f)) {
        append(", and at the same time " + ref(a) + " " + vp(steps[0], false));
      } else {
        sentence("meanwhile, " + ref(a) + " " + vp(steps[0], false));
      }
      // Only the last-mentioned actor may go on ("while" binds to the clause just before it).
      chain_rest_inline(a, steps);
    }
  }

  // Within one sentence: ", then x" / " and then x".
  void chain_rest_inline(int a, const std::vector<Step>& steps) {
    (void)a;
    for (size_t i = 1; i < steps.size(); ++i) append((rng_.chance(0.5f) ? ", then " : " and then ") + vp(steps[i], false));
  }

  void write_group(const Phase& ph, bool first) {
    // Members outside the group (the third actor) speak in their own sentence.
    const std::vector<int>& group = ph.shared;
    std::vector<int> solo;
    for (int a : ph.members)
      if (std::find(group.begin(), group.end(), a) == group.end()) solo.push_back(a);
    const auto& shared = ph.steps[group[0]];
    const std::string who = group_ref(group);
    std::string s = first ? "" : std::string(rng_.chance(0.5f) ? "then " : "after that, ");
    sentence(s + opening(who, shared[0], true));
    chain_rest_group(group, shared, who);
    for (int a : solo) {
      sentence(opening(ref(a), ph.steps[a][0], false));
      chain_rest(a, ph.steps[a], 1, false, "");
    }
  }

  void chain_rest_group(const std::vector<int>& group, const std::vector<Step>& steps, const std::string& who) {
    for (size_t i = 1; i < steps.size(); ++i) {
      const int r = rng_.weighted({0.4f, 0.3f, 0.3f});
      if (r == 0) append(", then " + vp(steps[i], true));
      else if (r == 1) append(" and then " + vp(steps[i], true));
      else sentence("then " + again(group, who) + " " + vp(steps[i], true));
    }
  }
  std::string again(const std::vector<int>& group, const std::string& who) {
    if (static_cast<int>(group.size()) == d_.n && d_.n == 2) return "they";
    std::string s;
    for (size_t i = 0; i < group.size(); ++i) {
      if (i > 0) s += i + 1 == group.size() ? " and " : ", ";
      s += d_.words[group[i]].definite;
    }
    (void)who;
    return s;
  }

  void write_interaction(const Phase& ph, bool first) {
    const int a = ph.members[0], b = ph.members[1];
    const Step& st = ph.steps[a][0];
    const std::string lead = first ? "" : std::string(rng_.chance(0.6f) ? "then " : "after that, ");
    auto tail = [&](std::string s) {
      std::vector<std::string> t;
      if (!st.manner.empty()) t.push_back(st.manner);
      if (!st.dur_text.empty()) t.push_back(st.dur_text);
      if (t.size() == 2 && rng_.chance(0.5f)) std::swap(t[0], t[1]);
      for (auto& x : t) s += " " + x;
      return s;
    };
    const int form = ph.interaction_form;
    std::string text;
    const bool pair_first = form <= 1;
    if (pair_first) {
      const std::string who = group_ref({a, b});
      std::string verb;
      switch (st.action) {
        case act::handshake: verb = "shake hands"; break;
        case act::hug: verb = form == 1 ? "hug each other" : (rng_.chance(0.3f) ? "embrace" : "hug"); break;
        case act::high_five: verb = form == 1 ? "high-five each other" : "high-five"; break;
        default: verb = form == 1 ? "fight each other" : "fight"; break;
      }
      text = tail(who + " " + verb);
    } else {
      const std::string sa = ref(a, true);
      std::string verb;
      switch (st.action) {
        case act::handshake: verb = "shakes hands with " + object_ref(b); break;
        case act::hug: verb = "hugs " + object_ref(b); break;
        case act::high_five: verb = form == 3 ? "gives " + object_ref(b) + " a high five" : "high-fives " + object_ref(b); break;
        default: verb = "fights " + object_ref(b); break;
      }
      text = tail(sa + " " + verb);
    }
    sentence(lead + text);
    // The third actor: in its own sentence when this phase opens the scene, else "while".
    for (size_t i = 2; i < ph.members.size(); ++i) {
      const int c = ph.members[i];
      const auto& steps = ph.steps[c];
      if (first) {
        sentence(opening(ref(c), steps[0], false));
        chain_rest(c, steps, 1, false, "");
      } else {
        append(", while " + ref(c) + " " + vp(steps[0], false));
        chain_rest_inline(c, steps);
      }
    }
  }

  SceneDraft& d_;
  Rng& rng_;
  std::vector<std::string> sentences_;
  bool final_phase_ = true;  // the phase being written is the scene's last
};

Plan build_plan(const SceneDraft& d, const Timed& t, Rng& rng) {
  Plan plan;
  plan.duration = d.duration;
  for (int a = 0; a < d.n; ++a) {
    ActorPlan ap;
    ap.name = d.words[a].named ? d.words[a].name : d.words[a].definite;
    ap.kind = d.words[a].kind;
    ap.timeline = t.actors[a];
    plan.actors.push_back(std::move(ap));
  }
  place(plan, rng);
  return plan;
}

}  // namespace

Scene sample_scene(uint64_t seed, uint64_t index, int attempt, const SceneOptions& opts) {
  const uint64_t key = mix(mix(seed) ^ (index * 0xD1B54A32D192ED03ull)) ^ (static_cast<uint64_t>(attempt) * 0x8CB92BA72F3D8DD7ull);
  Sampler sampler(key, opts);
  for (int tries = 0;; ++tries) {
    SceneDraft d = sampler.draft();
    Timed t = allocate(d);
    for (int r = 0; r < 24 && (t.scaled || t.too_short); ++r) {
      sampler.redraw_durations(d);
      t = allocate(d);
    }
    if ((t.scaled || t.too_short) && tries < 40) continue;
    Scene s;
    s.layout = d.layout;
    s.description = Writer(d, sampler.rng()).write();
    s.plan = build_plan(d, t, sampler.rng());
    s.plan.prompt = s.description;
    return s;
  }
}

// ---------------------------------------------------------------------------------------------------
// Timelines.

std::vector<ActorTimeline> plan_timeline(const Plan& plan) {
  std::vector<ActorTimeline> out;
  for (const auto& a : plan.actors) {
    ActorTimeline tl;
    for (const auto& s : a.timeline) {
      if (!tl.empty() && tl.back().action == s.action) {
        tl.back().end = s.end;
        continue;
      }
      tl.push_back({s.action, s.start, s.end});
    }
    out.push_back(std::move(tl));
  }
  return out;
}

std::vector<ActorTimeline> clip_timeline(const Clip& clip) {
  std::vector<ActorTimeline> out(clip.actors);
  for (int a = 0; a < clip.actors; ++a) {
    auto& tl = out[a];
    for (int t = 0; t < clip.frames; ++t) {
      if (!clip.present(t, a)) continue;
      const int x = clip.action(t, a);
      if (x == kNoAction) continue;
      const float t0 = t / clip.fps, t1 = (t + 1) / clip.fps;
      if (!tl.empty() && tl.back().action == x) tl.back().end = t1;
      else tl.push_back({x, t0, t1});
    }
  }
  return out;
}

namespace {
std::string seq_text(const ActorTimeline& tl) {
  std::string s;
  char buf[64];
  for (const auto& r : tl) {
    std::snprintf(buf, sizeof buf, "%s%s %.2f-%.2f", s.empty() ? "" : ", ", std::string(action_name(r.action)).c_str(),
                  r.start, r.end);
    s += buf;
  }
  return s;
}
}  // namespace

std::string compare_timelines(const std::vector<ActorTimeline>& expected, const std::vector<ActorTimeline>& got,
                              float tolerance) {
  if (expected.size() != got.size())
    return "expected " + std::to_string(expected.size()) + " actors, got " + std::to_string(got.size());
  for (size_t a = 0; a < expected.size(); ++a) {
    const auto& e = expected[a];
    const auto& g = got[a];
    bool same = e.size() == g.size();
    for (size_t i = 0; same && i < e.size(); ++i) same = e[i].action == g[i].action;
    if (!same)
      return "actor " + std::to_string(a) + ": expected [" + seq_text(e) + "], got [" + seq_text(g) + "]";
    for (size_t i = 0; i < e.size(); ++i)
      if (std::fabs(e[i].start - g[i].start) > tolerance || std::fabs(e[i].end - g[i].end) > tolerance)
        return "actor " + std::to_string(a) + " " + std::string(action_name(e[i].action)) + ": expected [" + seq_text(e) +
               "], got [" + seq_text(g) + "]";
  }
  return "";
}

std::string check_description(const Clip& clip, std::string_view description, float tolerance) {
  PlannerOptions o;
  o.duration = clip.duration();
  o.max_actors = std::max(3, clip.actors);
  const Plan plan = plan_prompt(description, o);
  return compare_timelines(clip_timeline(clip), plan_timeline(plan), tolerance);
}

std::string compare_plans(const Plan& expected, const Plan& got, float tolerance) {
  std::string r = compare_timelines(plan_timeline(expected), plan_timeline(got), tolerance);
  if (!r.empty()) return r;
  // Segment modifiers: compare the first segment of each merged run.
  for (size_t a = 0; a < expected.actors.size(); ++a) {
    auto firsts = [](const ActorPlan& ap) {
      std::vector<const ActionSegment*> v;
      for (const auto& s : ap.timeline)
        if (v.empty() || v.back()->action != s.action) v.push_back(&s);
      return v;
    };
    const auto e = firsts(expected.actors[a]), g = firsts(got.actors[a]);
    for (size_t i = 0; i < e.size() && i < g.size(); ++i) {
      const auto& x = *e[i];
      const auto& y = *g[i];
      const std::string where = "actor " + std::to_string(a) + " " + std::string(action_name(x.action)) + " at " +
                                std::to_string(x.start).substr(0, 5) + " s: ";
      auto near = [](float p, float q) { return std::fabs(p - q) <= 1e-3f * std::max(1.f, std::fabs(p)); };
      if (!near(x.tempo, y.tempo)) return where + "tempo " + std::to_string(x.tempo) + " vs " + std::to_string(y.tempo);
      if (!near(x.intensity, y.intensity))
        return where + "intensity " + std::to_string(x.intensity) + " vs " + std::to_string(y.intensity);
      if (x.expression != y.expression)
        return where + "expression " + std::string(expression_name(x.expression)) + " vs " +
               std::string(expression_name(y.expression));
      if (x.direction != y.direction)
        return where + "direction " + std::string(direction_name(x.direction)) + " vs " +
               std::string(direction_name(y.direction));
      if (x.target_actor != y.target_actor)
        return where + "partner " + std::to_string(x.target_actor) + " vs " + std::to_string(y.target_actor);
    }
  }
  return "";
}

}  // namespace stickgen
