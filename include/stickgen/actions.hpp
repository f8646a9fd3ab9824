// The 64-entry action vocabulary: SPEC §4's 46 reference actions at their indices, then 18 of ours.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace stickgen {

constexpr int kNumActions = 64;
constexpr int kReferenceActions = 46;

enum class Expression : int { neutral, happy, sad, surprised, angry, excited };
constexpr int kNumExpressions = 6;
std::string_view expression_name(Expression e);
std::optional<Expression> parse_expression(std::string_view name);

struct ActionInfo {
  int id;
  std::string_view name;
  std::string_view definition;  // one line
  Expression expression;        // default face while performing it
  float travel_speed;           // units/s of root motion at normal tempo (SPEC §4)
  float speech_hz;              // mouth open/close cycles per second, 0 when silent
  bool interaction;             // performed with a partner (handshake, hug, ...)
};

// All 64, indexed by id.
std::span<const ActionInfo> actions();
const ActionInfo& action_info(int id);  // throws Error for an id outside [0, 64)
std::optional<int> action_id(std::string_view name);  // exact name, e.g. "lie_down"
std::string_view action_name(int id);                  // "" for kNoAction/out of range
// Whether a figure performing the action keeps a foot (or, lying, its body) on the ground throughout:
// true for 41 actions (the standing, sitting and lying ones), false for locomotion, jumps, crawling,
// climbing, swimming, flying, falling and the like, and for kNoAction. Measured on the synthesised SFT
// training split: the figure's lowest point is within 0.01 units of the ground in at least 95 % of the
// frames labelled with these actions (the rest are transitions); docs/RUNTIME.md, "Ground contact".
bool keeps_a_foot_down(int id);

// Named ids for code that refers to specific actions.
namespace act {
enum : int {
  idle, walk, run, sprint, jump, wave, talk, shout, whisper, sing, point, clap, batting, pitching,
  catching, running_bases, fielding, throwing, kicking, dribbling, shooting, fight, punch, kick, dodge,
  sit, stand, kneel, lie_down, eating, drinking, reading, typing, looking_around, climbing, crawling,
  swimming, flying, celebrate, dance, cry, laugh, handshake, hug, high_five, fight_stance,
  // ours (46..63)
  turn, crouch, bow, spin, hop, skip, march, push, pull, lift, carry, squat, stretch, salute, shrug,
  fall, get_up, limp
};
}  // namespace act

}  // namespace stickgen
