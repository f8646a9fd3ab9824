// A plan: what the prompt asks for, per actor, on a timeline. Produced by the planner (src/text/),
// consumed by the procedural engine (src/data/synth/), the text encoder and model generation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stickgen/actions.hpp"

namespace stickgen {

enum class Direction : int { none, forward, backward, left, right, toward, away, around };
std::string_view direction_name(Direction d);

struct ActionSegment {
  int action = 0;           // action id
  float start = 0.f;        // seconds
  float end = 0.f;          // seconds
  float tempo = 1.f;        // speed modifier: <1 slowly, >1 quickly
  float intensity = 1.f;    // amplitude: <1 tired/sad/gentle, >1 angry/excited/vigorous
  Direction direction = Direction::none;
  Expression expression = Expression::neutral;  // from mood words, else the action's default
  int target_actor = -1;    // partner for interactions / toward / away / chase
  int repeats = 0;          // "twice", "a few times" (0 = as often as fits)
  std::string verb;         // the word in the prompt that produced it (for reports)
  int overlay = -1;         // a second action layered on this one ("walks while waving": walk + wave), -1 none
};

struct ActorPlan {
  std::string name;         // "person 1", "Alice", "the robot"
  std::string kind;         // person, man, woman, child, robot, ...
  std::string color;        // "" = renderer's palette; else a colour name or #rrggbb
  std::vector<ActionSegment> timeline;  // sorted, non-overlapping, covering [0, duration]
  float start_x = 0.f;      // initial root x (units)
  int facing = 1;           // +1 faces +x (right), -1 faces -x
};

struct Plan {
  std::string prompt;
  float duration = 10.f;    // seconds
  std::vector<ActorPlan> actors;
  std::vector<std::string> warnings;  // one line each (empty prompt, unknown words, ...)
};

}  // namespace stickgen
