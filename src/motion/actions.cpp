#include "stickgen/actions.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>

#include "stickgen/common.hpp"

namespace stickgen {
namespace {
using E = Expression;

// id, name, definition, expression, travel speed (units/s), speech Hz, interaction
constexpr std::array<ActionInfo, kNumActions> kActions{{
    {0, "idle", "stand in place, breathing and shifting weight", E::neutral, 0.f, 0.f, false},
    {1, "walk", "walk forward at an ordinary pace", E::neutral, 1.9f, 0.f, false},
    {2, "run", "run forward at a jogging-to-running pace", E::neutral, 7.4f, 0.f, false},
    {3, "sprint", "run forward as fast as possible", E::excited, 11.8f, 0.f, false},
    {4, "jump", "jump up from both feet and land", E::excited, 0.f, 0.f, false},
    {5, "wave", "wave one raised hand from side to side", E::happy, 0.f, 0.f, false},
    {6, "talk", "speak with small hand gestures", E::neutral, 0.f, 8.f, false},
    {7, "shout", "call out loudly, hands cupped or raised", E::excited, 0.f, 6.f, false},
    {8, "whisper", "speak quietly, leaning in", E::neutral, 0.f, 10.f, false},
    {9, "sing", "sing with open arms", E::happy, 0.f, 4.f, false},
    {10, "point", "point at something with an outstretched arm", E::neutral, 0.f, 0.f, false},
    {11, "clap", "clap both hands together repeatedly", E::happy, 0.f, 0.f, false},
    {12, "batting", "swing a baseball bat", E::neutral, 0.f, 0.f, false},
    {13, "pitching", "pitch a baseball overhand", E::neutral, 0.f, 0.f, false},
    {14, "catching", "catch a ball with both hands", E::surprised, 0.f, 0.f, false},
    {15, "running_bases", "run between bases", E::neutral, 8.8f, 0.f, false},
    {16, "fielding", "crouch low to field a ground ball", E::neutral, 0.f, 0.f, false},
    {17, "throwing", "throw an object overhand", E::neutral, 0.f, 0.f, false},
    {18, "kicking", "kick a ball forward", E::neutral, 0.f, 0.f, false},
    {19, "dribbling", "dribble a ball while moving", E::neutral, 1.5f, 0.f, false},
    {20, "shooting", "shoot a basketball with both arms", E::neutral, 0.f, 0.f, false},
    {21, "fight", "fight with punches and footwork", E::angry, 0.3f, 0.f, true},
    {22, "punch", "throw a straight punch", E::angry, 0.f, 0.f, false},
    {23, "kick", "deliver a fighting kick", E::angry, 0.f, 0.f, false},
    {24, "dodge", "duck and lean sideways to avoid a hit", E::surprised, 2.0f, 0.f, false},
    {25, "sit", "sit down and stay seated", E::neutral, 0.f, 0.f, false},
    {26, "stand", "stand upright, still", E::neutral, 0.f, 0.f, false},
    {27, "kneel", "kneel on one knee", E::sad, 0.f, 0.f, false},
    {28, "lie_down", "lie flat on the ground", E::neutral, 0.f, 0.f, false},
    {29, "eating", "bring food to the mouth", E::neutral, 0.f, 0.f, false},
    {30, "drinking", "raise a cup to the mouth and tilt the head", E::neutral, 0.f, 0.f, false},
    {31, "reading", "hold a book and read", E::neutral, 0.f, 0.f, false},
    {32, "typing", "type on a keyboard in front of the body", E::neutral, 0.f, 0.f, false},
    {33, "looking_around", "turn the head and body to look around", E::surprised, 0.f, 0.f, false},
    {34, "climbing", "climb with alternating arms and legs", E::neutral, 0.5f, 0.f, false},
    {35, "crawling", "crawl on hands and knees", E::neutral, 0.8f, 0.f, false},
    {36, "swimming", "swim with arm strokes and kicks", E::neutral, 1.2f, 0.f, false},
    {37, "flying", "glide with the arms spread like wings", E::excited, 3.0f, 0.f, false},
    {38, "celebrate", "celebrate with raised fists and hops", E::excited, 0.f, 0.f, false},
    {39, "dance", "dance rhythmically, swaying and stepping", E::happy, 0.5f, 0.f, false},
    {40, "cry", "cry with hunched shoulders and hands to the face", E::sad, 0.f, 0.f, false},
    {41, "laugh", "laugh, shaking with the head thrown back", E::happy, 0.f, 0.f, false},
    {42, "handshake", "shake hands with a partner", E::happy, 0.f, 0.f, true},
    {43, "hug", "hug a partner", E::happy, 0.f, 0.f, true},
    {44, "high_five", "slap a raised hand against a partner's", E::excited, 0.f, 0.f, true},
    {45, "fight_stance", "hold a guarded fighting stance", E::angry, 0.f, 0.f, false},
    // ours: common human motions the reference list lacks
    {46, "turn", "turn around in place to face the other way", E::neutral, 0.f, 0.f, false},
    {47, "crouch", "lower the body on bent knees and stay low", E::neutral, 0.f, 0.f, false},
    {48, "bow", "bend forward at the waist and straighten up", E::neutral, 0.f, 0.f, false},
    {49, "spin", "spin around quickly on the spot", E::excited, 0.f, 0.f, false},
    {50, "hop", "hop repeatedly on one foot", E::happy, 1.0f, 0.f, false},
    {51, "skip", "skip forward with a hop on each step", E::happy, 2.5f, 0.f, false},
    {52, "march", "march with high knees and swinging arms", E::neutral, 1.5f, 0.f, false},
    {53, "push", "push something heavy forward with both arms", E::neutral, 0.3f, 0.f, false},
    {54, "pull", "pull something heavy backward with both arms", E::neutral, 0.3f, 0.f, false},
    {55, "lift", "bend down, lift an object and stand up with it", E::neutral, 0.f, 0.f, false},
    {56, "carry", "walk while carrying an object in both arms", E::neutral, 1.2f, 0.f, false},
    {57, "squat", "squat down and up repeatedly", E::neutral, 0.f, 0.f, false},
    {58, "stretch", "stretch the arms overhead and to the sides", E::happy, 0.f, 0.f, false},
    {59, "salute", "raise a hand to the brow in a salute", E::neutral, 0.f, 0.f, false},
    {60, "shrug", "raise both shoulders and open the palms", E::neutral, 0.f, 0.f, false},
    {61, "fall", "lose balance and fall to the ground", E::surprised, 0.f, 0.f, false},
    {62, "get_up", "get up from the ground to standing", E::neutral, 0.f, 0.f, false},
    {63, "limp", "walk slowly favouring one leg", E::sad, 0.9f, 0.f, false},
}};

constexpr std::array<std::string_view, kNumExpressions> kExpressionNames{
    "neutral", "happy", "sad", "surprised", "angry", "excited"};
}  // namespace

std::string_view expression_name(Expression e) { return kExpressionNames.at(static_cast<int>(e)); }

std::optional<Expression> parse_expression(std::string_view name) {
  for (int i = 0; i < kNumExpressions; ++i)
    if (kExpressionNames[i] == name) return static_cast<Expression>(i);
  return std::nullopt;
}

std::span<const ActionInfo> actions() { return kActions; }

const ActionInfo& action_info(int id) {
  if (id < 0 || id >= kNumActions)
    throw Error("action id " + std::to_string(id) + " is outside [0, " + std::to_string(kNumActions) + ")");
  return kActions[id];
}

std::optional<int> action_id(std::string_view name) {
  for (const auto& a : kActions)
    if (a.name == name) return a.id;
  return std::nullopt;
}

std::string_view action_name(int id) {
  if (id < 0 || id >= kNumActions) return {};
  return kActions[id].name;
}

bool keeps_a_foot_down(int id) {
  using namespace act;
  static constexpr int kGrounded[] = {
      idle,     wave,    talk,      shout,    whisper,      sing,         point,   clap,       batting,  catching,
      fielding, throwing, fight,    punch,    kick,         sit,          stand,   kneel,      lie_down, eating,
      drinking, reading, typing,    looking_around, cry,    laugh,        handshake, hug,      high_five, fight_stance,
      turn,     crouch,  bow,       spin,     push,         pull,         lift,    squat,      stretch,  salute,
      shrug};
  static_assert(std::size(kGrounded) == 41);
  return std::find(std::begin(kGrounded), std::end(kGrounded), id) != std::end(kGrounded);
}

}  // namespace stickgen
