// The data engine's scene sampler: random scenes (1-3 actors, 1-4 actions each, durations, modifiers,
// interactions) as a Plan the procedural engine renders, plus an English description written by the
// inverse of the planner, so that plan_prompt(description) gives back the same timeline.
// Grammar, distributions and the round-trip rules: docs/DATA.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stickgen/motion.hpp"
#include "stickgen/plan.hpp"

namespace stickgen {

struct SceneOptions {
  float full_seconds = 10.f;  // most clips last this long ...
  float full_share = 0.7f;    // ... this share of them; the others last min_seconds..full_seconds - 1 (whole seconds)
  float min_seconds = 4.f;
  int max_actors = 3;   // 1..3
  int max_actions = 4;  // actions per actor, 1..4 (a get-up the scene needs is one of them)
};

struct Scene {
  Plan plan;                // the truth the clip is synthesised from; plan.prompt == description
  std::string description;  // one to four English sentences
  std::string layout;       // solo | independent | together | interaction
};

// Scene number `index` of a corpus drawn from `seed`; depends only on (seed, index, attempt, options),
// so a corpus is the same whatever the thread count. `attempt` > 0 draws a replacement scene.
Scene sample_scene(uint64_t seed, uint64_t index, int attempt = 0, const SceneOptions& opts = {});

// ---------------------------------------------------------------- timelines

// One run of an action: [start, end) seconds.
struct TimedAction {
  int action = 0;
  float start = 0.f, end = 0.f;
};
using ActorTimeline = std::vector<TimedAction>;

// Per actor, consecutive segments with the same action merged into one run.
std::vector<ActorTimeline> plan_timeline(const Plan& plan);
// Per actor, runs of the per-frame action ids (frames where the actor is absent or unlabelled are skipped).
std::vector<ActorTimeline> clip_timeline(const Clip& clip);
// "" when both have the same number of actors, the same action sequence per actor and every run boundary
// within `tolerance` seconds; else a one-line description of the first difference.
std::string compare_timelines(const std::vector<ActorTimeline>& expected, const std::vector<ActorTimeline>& got,
                              float tolerance = 0.3f);
// Plans `description` for the clip's duration and compares the plan with the clip's per-frame timeline.
std::string check_description(const Clip& clip, std::string_view description, float tolerance = 0.3f);
// Like compare_timelines on the plans, and also every segment's tempo, intensity, expression, direction
// and interaction partner (the modifiers the description states).
std::string compare_plans(const Plan& expected, const Plan& got, float tolerance = 0.3f);

}  // namespace stickgen
