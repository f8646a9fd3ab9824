// The planner: prompt -> tokens -> clauses (subject + one action each, with modifiers) -> phases (groups of
// steps that must start together) -> timed segments per actor -> placement. Grammar: docs/PLANNER.md.
#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "stickgen/common.hpp"
#include "stickgen/planner.hpp"
#include "text/lexicon.hpp"
#include "text/tokenize.hpp"

namespace stickgen {
namespace {

using text::Lexicon;
using text::Token;
using sv = std::string_view;

constexpr int kMaxStepsPerActor = 32;
constexpr size_t kMaxTokens = 800;
constexpr float kMaxWordnetCost = 2.6f;  // open-vocabulary matches farther than this are not trusted

bool one_of(sv w, std::initializer_list<sv> set) {
  for (sv s : set)
    if (w == s) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Closed word classes.

const std::unordered_set<sv> kDeterminers = {"a", "an", "the", "this", "that", "these", "those", "some", "another",
                                             "his", "her", "their", "its", "my", "your", "our", "each", "every"};
const std::unordered_set<sv> kAux = {"is", "are", "was", "were", "be", "been", "being", "am", "will", "would",
                                     "shall", "should", "can", "could", "may", "might", "must", "does", "do",
                                     "did", "has", "have", "had", "just", "also", "still", "now", "gonna"};
const std::unordered_set<sv> kAspect = {"start", "begin", "keep", "continue", "try", "attempt", "decide", "want",
                                        "like", "love", "proceed", "resume", "finish", "learn", "need", "prepare",
                                        "seem", "appear", "manage", "stop", "quit"};
const std::unordered_set<sv> kLight = {"take", "do", "make", "have", "give", "perform", "go", "break", "throw",
                                       "bust", "pull", "execute", "attempt", "try", "practice", "practise", "get",
                                       "play", "pop", "strike", "hit", "land", "deliver", "let", "pull"};
const std::unordered_set<sv> kCopula = {"be", "look", "seem", "feel", "get", "become", "appear", "grow", "stay",
                                        "remain", "turn", "act", "sound"};
const std::unordered_set<sv> kPrepositions = {"to", "at", "toward", "towards", "with", "from", "into", "onto", "on",
                                              "in", "over", "under", "across", "through", "along", "past", "behind",
                                              "beside", "near", "by", "of", "for", "about", "around", "off", "out",
                                              "up", "down", "inside", "outside", "between", "against", "upon",
                                              "within", "without", "like", "toward", "round", "above", "below"};
const std::unordered_set<sv> kFiller = {"there", "here", "also", "just", "even", "really", "actually", "then",
                                        "please", "somewhere", "anyway", "again", "too", "suddenly", "immediately",
                                        "now", "still", "already", "soon", "first", "firstly", "initially"};

struct KindInfo {
  sv kind;
  int gender;  // 0 unknown, 1 male, 2 female
  bool plural;
};
const std::unordered_map<sv, KindInfo> kKinds = {
    {"person", {"person", 0, false}}, {"people", {"person", 0, true}}, {"persons", {"person", 0, true}},
    {"figure", {"person", 0, false}}, {"figures", {"person", 0, true}}, {"stickman", {"person", 0, false}},
    {"stickmen", {"person", 0, true}}, {"individual", {"person", 0, false}}, {"human", {"person", 0, false}},
    {"humans", {"person", 0, true}}, {"character", {"person", 0, false}}, {"characters", {"person", 0, true}},
    {"adult", {"person", 0, false}}, {"adults", {"person", 0, true}}, {"teenager", {"person", 0, false}},
    {"teenagers", {"person", 0, true}}, {"teen", {"person", 0, false}}, {"teens", {"person", 0, true}},
    {"friend", {"person", 0, false}}, {"friends", {"person", 0, true}}, {"stranger", {"person", 0, false}},
    {"strangers", {"person", 0, true}}, {"couple", {"person", 0, true}}, {"pair", {"person", 0, true}},
    {"man", {"man", 1, false}}, {"men", {"man", 1, true}}, {"guy", {"man", 1, false}}, {"guys", {"man", 1, true}},
    {"gentleman", {"man", 1, false}}, {"gentlemen", {"man", 1, true}}, {"dude", {"man", 1, false}},
    {"woman", {"woman", 2, false}}, {"women", {"woman", 2, true}}, {"lady", {"woman", 2, false}},
    {"ladies", {"woman", 2, true}}, {"gal", {"woman", 2, false}},
    {"boy", {"boy", 1, false}}, {"boys", {"boy", 1, true}}, {"girl", {"girl", 2, false}},
    {"girls", {"girl", 2, true}}, {"kid", {"child", 0, false}}, {"kids", {"child", 0, true}},
    {"child", {"child", 0, false}}, {"children", {"child", 0, true}}, {"baby", {"child", 0, false}},
    {"toddler", {"child", 0, false}}, {"toddlers", {"child", 0, true}},
    {"robot", {"robot", 0, false}}, {"robots", {"robot", 0, true}}, {"android", {"robot", 0, false}},
    {"androids", {"robot", 0, true}}, {"cyborg", {"robot", 0, false}}, {"droid", {"robot", 0, false}},
    {"bot", {"robot", 0, false}}, {"bots", {"robot", 0, true}}, {"machine", {"robot", 0, false}},
};

const std::unordered_map<sv, int> kNames = {
    {"alice", 2}, {"bob", 1}, {"carol", 2}, {"dave", 1}, {"eve", 2}, {"frank", 1}, {"grace", 2}, {"heidi", 2},
    {"ivan", 1}, {"judy", 2}, {"mallory", 2}, {"oscar", 1}, {"peggy", 2}, {"trent", 1}, {"victor", 1},
    {"walter", 1}, {"anna", 2}, {"emma", 2}, {"olivia", 2}, {"sophia", 2}, {"mia", 2}, {"lily", 2}, {"lucy", 2},
    {"sarah", 2}, {"maria", 2}, {"julia", 2}, {"kate", 2}, {"jane", 2}, {"mary", 2}, {"linda", 2}, {"susan", 2},
    {"lisa", 2}, {"nina", 2}, {"zoe", 2}, {"amy", 2}, {"ella", 2}, {"chloe", 2}, {"hannah", 2}, {"rose", 2},
    {"fatima", 2}, {"aisha", 2}, {"priya", 2}, {"yuki", 0}, {"sam", 0}, {"alex", 0}, {"chris", 0},
    {"jordan", 0}, {"taylor", 0}, {"pat", 0}, {"charlie", 0}, {"kim", 0}, {"robin", 0}, {"john", 1},
    {"james", 1}, {"tom", 1}, {"mike", 1}, {"max", 1}, {"leo", 1}, {"jack", 1}, {"paul", 1}, {"peter", 1},
    {"mark", 1}, {"luke", 1}, {"david", 1}, {"ben", 1}, {"adam", 1}, {"noah", 1}, {"liam", 1}, {"ethan", 1},
    {"george", 1}, {"harry", 1}, {"joe", 1}, {"steve", 1}, {"tim", 1}, {"omar", 1}, {"raj", 1}, {"carlos", 1},
    {"diego", 1}, {"juan", 1}, {"pedro", 1}, {"ahmed", 1}, {"bill", 1}, {"fred", 1}, {"hugo", 1}, {"igor", 1},
};

const std::unordered_map<sv, sv> kColors = {
    {"red", "red"}, {"blue", "blue"}, {"green", "green"}, {"yellow", "yellow"}, {"orange", "orange"},
    {"purple", "purple"}, {"pink", "pink"}, {"black", "black"}, {"white", "white"}, {"gray", "gray"},
    {"grey", "gray"}, {"brown", "brown"}, {"cyan", "cyan"}, {"magenta", "magenta"}, {"gold", "gold"},
    {"golden", "gold"}, {"silver", "silver"}, {"teal", "teal"}, {"navy", "navy"}, {"violet", "violet"},
    {"maroon", "maroon"}, {"turquoise", "turquoise"}, {"lime", "lime"}, {"crimson", "crimson"},
};

struct Manner {
  float tempo = 1.f, intensity = 1.f;
  int expression = -1;
};
constexpr int kHappy = 1, kSad = 2, kSurprised = 3, kAngry = 4, kExcited = 5;
const std::unordered_map<sv, Manner> kManner = {
    // pace
    {"slowly", {0.6f}}, {"slow", {0.6f}}, {"leisurely", {0.7f}}, {"unhurriedly", {0.7f}}, {"sluggishly", {0.6f}},
    {"gradually", {0.75f}}, {"lazily", {0.7f, 0.8f}}, {"slower", {0.8f}}, {"steadily", {0.9f}},
    {"quickly", {1.5f}}, {"quick", {1.5f}}, {"fast", {1.5f}}, {"rapidly", {1.5f}}, {"rapid", {1.5f}},
    {"swiftly", {1.5f}}, {"swift", {1.5f}}, {"speedily", {1.5f}}, {"hurriedly", {1.4f}}, {"hastily", {1.4f}},
    {"briskly", {1.3f}}, {"brisk", {1.3f}}, {"faster", {1.25f}}, {"quicker", {1.25f}},
    // vigour
    {"gently", {1.f, 0.7f}}, {"gentle", {1.f, 0.7f}}, {"softly", {1.f, 0.7f}}, {"quietly", {1.f, 0.7f}},
    {"calmly", {0.9f, 0.8f}}, {"calm", {0.9f, 0.8f}}, {"relaxed", {0.9f, 0.8f}}, {"peacefully", {0.9f, 0.8f}},
    {"carefully", {0.75f, 0.8f}}, {"cautiously", {0.75f, 0.8f}}, {"casually", {0.9f, 0.9f}},
    {"gracefully", {0.9f, 0.9f}}, {"elegantly", {0.9f, 0.9f}}, {"smoothly", {0.9f, 0.9f}},
    {"weakly", {0.9f, 0.6f}}, {"feebly", {0.8f, 0.6f}}, {"loudly", {1.f, 1.3f}}, {"loud", {1.f, 1.3f}},
    {"hard", {1.f, 1.3f}}, {"powerfully", {1.f, 1.4f}}, {"forcefully", {1.f, 1.4f}}, {"strongly", {1.f, 1.3f}},
    {"vigorously", {1.1f, 1.4f}}, {"vigorous", {1.1f, 1.4f}}, {"wildly", {1.2f, 1.5f, kExcited}},
    {"wild", {1.2f, 1.5f, kExcited}}, {"frantically", {1.4f, 1.4f, kSurprised}},
    {"energetically", {1.2f, 1.4f, kExcited}}, {"energetic", {1.2f, 1.4f, kExcited}},
    {"lively", {1.1f, 1.2f, kHappy}}, {"clumsily", {1.f, 1.1f}}, {"awkwardly", {1.f, 0.9f}},
    // mood
    {"happily", {1.f, 1.1f, kHappy}}, {"happy", {1.f, 1.1f, kHappy}}, {"cheerfully", {1.f, 1.1f, kHappy}},
    {"cheerful", {1.f, 1.1f, kHappy}}, {"joyfully", {1.f, 1.2f, kHappy}}, {"joyful", {1.f, 1.2f, kHappy}},
    {"gleefully", {1.f, 1.2f, kHappy}}, {"gleeful", {1.f, 1.2f, kHappy}}, {"merrily", {1.f, 1.1f, kHappy}},
    {"merry", {1.f, 1.1f, kHappy}}, {"glad", {1.f, 1.1f, kHappy}}, {"gladly", {1.f, 1.1f, kHappy}},
    {"delighted", {1.f, 1.2f, kHappy}}, {"playfully", {1.f, 1.1f, kHappy}}, {"playful", {1.f, 1.1f, kHappy}},
    {"smiling", {1.f, 1.f, kHappy}}, {"jolly", {1.f, 1.1f, kHappy}}, {"proudly", {1.f, 1.1f, kHappy}},
    {"proud", {1.f, 1.1f, kHappy}}, {"confidently", {1.f, 1.1f, kHappy}}, {"confident", {1.f, 1.1f, kHappy}},
    {"excitedly", {1.1f, 1.3f, kExcited}}, {"excited", {1.1f, 1.3f, kExcited}},
    {"enthusiastically", {1.1f, 1.3f, kExcited}}, {"enthusiastic", {1.1f, 1.3f, kExcited}},
    {"eagerly", {1.1f, 1.2f, kExcited}}, {"eager", {1.1f, 1.2f, kExcited}}, {"thrilled", {1.1f, 1.3f, kExcited}},
    {"ecstatic", {1.1f, 1.4f, kExcited}}, {"ecstatically", {1.1f, 1.4f, kExcited}},
    {"angrily", {1.f, 1.3f, kAngry}}, {"angry", {1.f, 1.3f, kAngry}}, {"mad", {1.f, 1.3f, kAngry}},
    {"furiously", {1.1f, 1.5f, kAngry}}, {"furious", {1.1f, 1.5f, kAngry}}, {"annoyed", {1.f, 1.1f, kAngry}},
    {"irritated", {1.f, 1.1f, kAngry}}, {"grumpy", {1.f, 0.9f, kAngry}}, {"grumpily", {1.f, 0.9f, kAngry}},
    {"aggressively", {1.1f, 1.3f, kAngry}}, {"aggressive", {1.1f, 1.3f, kAngry}},
    {"fiercely", {1.1f, 1.4f, kAngry}}, {"fierce", {1.1f, 1.4f, kAngry}}, {"frustrated", {1.f, 1.1f, kAngry}},
    {"enraged", {1.1f, 1.5f, kAngry}},
    {"sadly", {1.f, 0.7f, kSad}}, {"sad", {1.f, 0.7f, kSad}}, {"unhappily", {1.f, 0.7f, kSad}},
    {"unhappy", {1.f, 0.7f, kSad}}, {"gloomily", {1.f, 0.7f, kSad}}, {"gloomy", {1.f, 0.7f, kSad}},
    {"sorrowfully", {1.f, 0.7f, kSad}}, {"miserably", {1.f, 0.6f, kSad}}, {"miserable", {1.f, 0.6f, kSad}},
    {"depressed", {0.9f, 0.6f, kSad}}, {"upset", {1.f, 0.8f, kSad}}, {"heartbroken", {0.9f, 0.6f, kSad}},
    {"mournfully", {0.9f, 0.6f, kSad}}, {"glumly", {1.f, 0.7f, kSad}}, {"glum", {1.f, 0.7f, kSad}},
    {"bored", {0.85f, 0.7f, kSad}}, {"lonely", {0.9f, 0.7f, kSad}},
    {"tired", {0.75f, 0.6f, kSad}}, {"tiredly", {0.75f, 0.6f, kSad}}, {"exhausted", {0.7f, 0.5f, kSad}},
    {"weary", {0.75f, 0.6f, kSad}}, {"wearily", {0.75f, 0.6f, kSad}}, {"sleepy", {0.7f, 0.6f, kSad}},
    {"sleepily", {0.7f, 0.6f, kSad}}, {"drowsy", {0.7f, 0.6f, kSad}}, {"fatigued", {0.75f, 0.6f, kSad}},
    {"lethargic", {0.7f, 0.6f, kSad}}, {"lazy", {0.7f, 0.7f}},
    {"surprised", {1.f, 1.1f, kSurprised}}, {"shocked", {1.f, 1.2f, kSurprised}},
    {"startled", {1.1f, 1.2f, kSurprised}}, {"amazed", {1.f, 1.1f, kSurprised}},
    {"astonished", {1.f, 1.1f, kSurprised}}, {"scared", {1.1f, 1.1f, kSurprised}},
    {"afraid", {1.1f, 1.1f, kSurprised}}, {"frightened", {1.1f, 1.1f, kSurprised}},
    {"terrified", {1.2f, 1.3f, kSurprised}}, {"fearfully", {1.1f, 1.1f, kSurprised}},
    {"nervously", {1.f, 0.9f, kSurprised}}, {"nervous", {1.f, 0.9f, kSurprised}},
    {"anxiously", {1.f, 0.9f, kSurprised}}, {"anxious", {1.f, 0.9f, kSurprised}},
    {"worried", {1.f, 0.9f, kSurprised}}, {"curiously", {0.9f, 0.9f, kSurprised}},
    {"curious", {0.9f, 0.9f, kSurprised}}, {"neutral", {1.f, 1.f, 0}},
};
const std::unordered_set<sv> kIntensifiers = {"very", "really", "extremely", "super", "so", "incredibly",
                                              "terribly", "awfully", "quite", "too", "especially"};
const std::unordered_set<sv> kSofteners = {"slightly", "somewhat", "fairly", "rather", "kinda", "mildly"};

const std::unordered_map<sv, double> kNumberWords = {
    {"zero", 0}, {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5}, {"six", 6}, {"seven", 7},
    {"eight", 8}, {"nine", 9}, {"ten", 10}, {"eleven", 11}, {"twelve", 12}, {"thirteen", 13}, {"fourteen", 14},
    {"fifteen", 15}, {"sixteen", 16}, {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19}, {"twenty", 20},
    {"thirty", 30}, {"forty", 40}, {"fifty", 50}, {"sixty", 60}, {"a", 1}, {"an", 1}, {"half", 0.5},
    {"dozen", 12}, {"couple", 2}, {"few", 3}, {"several", 4}, {"many", 5},
};

const std::unordered_map<sv, double> kUnits = {
    {"second", 1}, {"seconds", 1}, {"sec", 1}, {"secs", 1}, {"s", 1}, {"moment", 1}, {"moments", 1},
    {"minute", 60}, {"minutes", 60}, {"min", 60}, {"mins", 60}, {"millisecond", 0.001},
    {"milliseconds", 0.001}, {"ms", 0.001}, {"instant", 0.5}, {"beat", 1}, {"beats", 1},
};

// Verb + particle(s) -> action. "stand up" is special (get_up after sitting/lying, else stand).
constexpr int kStandUp = -2;
struct Phrase {
  sv verb;
  sv p1, p2;
  int action;
  Direction dir = Direction::none;
};
const Phrase kPhrases[] = {
    {"lie", "down", "", act::lie_down}, {"lay", "down", "", act::lie_down}, {"sit", "down", "", act::sit},
    {"sit", "up", "", act::sit}, {"sit", "back", "", act::sit}, {"stand", "up", "", kStandUp},
    {"get", "up", "", act::get_up}, {"get", "back", "up", act::get_up}, {"pick", "himself", "up", act::get_up},
    {"pick", "herself", "up", act::get_up}, {"pick", "themselves", "up", act::get_up},
    {"stand", "still", "", act::stand}, {"stand", "there", "", act::stand}, {"stand", "around", "", act::idle},
    {"stay", "still", "", act::idle}, {"keep", "still", "", act::idle}, {"hold", "still", "", act::idle},
    {"stay", "put", "", act::idle}, {"look", "around", "", act::looking_around},
    {"look", "about", "", act::looking_around}, {"look", "round", "", act::looking_around},
    {"turn", "around", "", act::turn}, {"turn", "round", "", act::turn}, {"turn", "back", "", act::turn},
    {"spin", "around", "", act::spin}, {"spin", "round", "", act::spin}, {"fall", "down", "", act::fall},
    {"fall", "over", "", act::fall}, {"fall", "off", "", act::fall}, {"pass", "out", "", act::fall},
    {"pick", "up", "", act::lift}, {"warm", "up", "", act::stretch}, {"wake", "up", "", act::get_up},
    {"call", "out", "", act::shout}, {"cry", "out", "", act::shout}, {"shake", "hands", "", act::handshake},
    {"shake", "hand", "", act::handshake}, {"high", "five", "", act::high_five}, {"high", "fives", "", act::high_five},
    {"high", "fived", "", act::high_five}, {"high", "fiving", "", act::high_five}, {"bend", "down", "", act::crouch},
    {"bend", "over", "", act::bow}, {"crouch", "down", "", act::crouch}, {"kneel", "down", "", act::kneel},
    {"squat", "down", "", act::squat}, {"duck", "down", "", act::crouch}, {"calm", "down", "", act::idle},
    {"run", "the", "bases", act::running_bases}, {"run", "bases", "", act::running_bases},
    {"round", "the", "bases", act::running_bases}, {"skip", "rope", "", act::jump},
    {"burst", "off", "", act::sprint}, {"burst", "out", "laughing", act::laugh}, {"burst", "out", "crying", act::cry},
    {"power", "down", "", act::idle}, {"shut", "down", "", act::idle}, {"power", "off", "", act::idle},
    {"square", "off", "", act::fight_stance}, {"put", "up", "", act::fight_stance},
    {"raise", "fists", "", act::fight_stance}, {"show", "off", "", act::celebrate},
    {"hang", "out", "", act::idle}, {"back", "away", "", act::walk, Direction::backward},
    {"back", "up", "", act::walk, Direction::backward}, {"step", "back", "", act::walk, Direction::backward},
    {"jump", "rope", "", act::jump}, {"wave", "goodbye", "", act::wave}, {"wave", "hello", "", act::wave},
    {"say", "hello", "", act::wave}, {"say", "goodbye", "", act::wave}, {"say", "hi", "", act::wave},
    {"fist", "pump", "", act::celebrate}, {"pump", "fists", "", act::celebrate}, {"moon", "walk", "", act::dance},
    {"break", "dance", "", act::dance}, {"tap", "dance", "", act::dance}, {"belly", "dance", "", act::dance},
    {"do", "nothing", "", act::idle}, {"take", "off", "", act::flying}, {"lift", "off", "", act::flying},
    {"run", "away", "", act::run, Direction::away}, {"run", "off", "", act::run, Direction::away},
    {"walk", "away", "", act::walk, Direction::away}, {"walk", "off", "", act::walk, Direction::away},
    {"get", "down", "on", act::kneel}, {"get", "down", "", act::crouch}, {"put", "down", "", act::lift},
    {"set", "down", "", act::lift}, {"slow", "down", "", act::walk}, {"come", "to", "a", act::idle}, {"lie", "flat", "", act::lie_down}, {"go", "to", "sleep", act::lie_down},
    {"go", "to", "bed", act::lie_down}, {"keel", "over", "", act::fall},
};

// Sports for "plays X".
const std::unordered_map<sv, int> kSports = {
    {"baseball", act::batting}, {"softball", act::batting}, {"cricket", act::batting}, {"tennis", act::batting},
    {"golf", act::batting}, {"basketball", act::dribbling}, {"hoops", act::shooting}, {"soccer", act::kicking},
    {"football", act::kicking}, {"volleyball", act::jump}, {"dodgeball", act::dodge}, {"tag", act::run},
    {"hopscotch", act::hop}, {"catch", act::throwing}, {"boxing", act::fight}, {"rugby", act::run},
    {"hockey", act::run}, {"handball", act::throwing},
};
const std::unordered_set<sv> kBallWords = {"ball", "balls", "football", "soccer", "basketball", "baseball",
                                           "frisbee", "volleyball", "softball", "beachball"};

// Actions done mostly with the upper body, which can be layered over a lower-body action.
bool upper_body(int a) {
  return one_of(action_name(a), {"wave", "talk", "shout", "whisper", "sing", "point", "clap", "eating", "drinking",
                                 "reading", "typing", "laugh", "cry", "shrug", "salute", "looking_around",
                                 "throwing", "catching", "dribbling", "punch"});
}
// Postures that persist: a gap after them holds the pose instead of idling.
bool posture(int a) {
  return a == act::sit || a == act::kneel || a == act::lie_down || a == act::crouch || a == act::stand ||
         a == act::fight_stance;
}
bool low_posture(int a) {
  return a == act::sit || a == act::kneel || a == act::lie_down || a == act::crouch || a == act::fall ||
         a == act::squat || a == act::crawling;
}

// ---------------------------------------------------------------------------------------------------------

struct Dur {
  enum Kind { none, exact, soft } kind = none;
  float seconds = 0.f;
  float weight = 1.f;
};

struct Step {
  int action = act::idle;
  float tempo = 1.f, intensity = 1.f;
  int expression = -1;
  Direction dir = Direction::none;
  int target = -1;
  int repeats = 0;
  int overlay = -1;
  std::string verb;
  Dur dur;
  bool stand_up = false;  // "stands up"/"rises": get_up after a low posture, else stand (decided in time order)
};

enum class Link { seq, then, par };
enum class Sub { none, after, before, par };

struct Clause {
  std::vector<int> subject;
  std::vector<std::pair<int, Step>> steps;
  bool sync = false;
  Link link = Link::seq;
  Sub sub = Sub::none;
  bool subject_pending = false;
  // scheduling
  int phase = 0;
  bool at_phase_start = true;
  std::vector<std::pair<int, size_t>> where;  // (actor, index in the phase's list)
};

struct Actor {
  std::string name, kind, noun, color;
  int gender = 0;
  bool named = false;
  int mood_expression = -1;
  float mood_tempo = 1.f, mood_intensity = 1.f;
  long recency = 0;
  int last_action = -1;
};

struct NP {
  enum Type { none, fresh, pron, definite, named, ord, group_all, one_of_them, other } type = none;
  int count = 1;
  bool plural = false;
  std::string kind, noun, color, name, pronoun;
  int gender = 0;
  int ordinal = 0;
  Manner mood;
  bool has_mood = false;
  bool possessive = false;  // "his friends", "her dog"
  size_t start = 0, end = 0;
};

struct VP {
  int action = -1;  // -1: no recognised action
  text::ActionHint hint;
  std::string verb, lemma;
  float tempo = 1.f, intensity = 1.f;
  int expression = -1;
  Direction dir = Direction::none;
  std::vector<int> targets;   // toward/at/to X
  std::vector<int> objects;   // direct objects that are actors
  std::vector<int> with;      // "with X" companions
  bool each_other = false;
  bool together = false;
  bool back_and_forth = false;
  std::string object_noun;
  Dur dur;
  int repeats = 0;
  int overlay = -1;
  bool negated = false;
  bool mood_only = false;
  bool unknown = false;
  bool stand_up = false;
  bool pass = false;
  bool chase = false;
};

class Planner {
 public:
  Planner(std::string_view prompt, const PlannerOptions& opts) : opts_(opts) {
    plan_.prompt = std::string(prompt);
    float d = opts.duration;
    if (!std::isfinite(d) || d < 0.5f || d > 600.f) {
      float clamped = std::isfinite(d) ? std::clamp(d, 0.5f, 600.f) : 10.f;
      warn("duration " + std::to_string(d) + " s is outside [0.5, 600]; using " + std::to_string(clamped) + " s");
      d = clamped;
    }
    plan_.duration = d;
    max_actors_ = std::clamp(opts.max_actors, 1, 8);
    if (max_actors_ != opts.max_actors)
      warn("max_actors " + std::to_string(opts.max_actors) + " is outside [1, 8]; using " + std::to_string(max_actors_));
    open_vocab_ = opts.open_vocabulary;
  }

  Plan run(std::string_view prompt) {
    auto clean = text::clean_text(prompt, kMaxPromptBytes);
    if (clean.truncated)
      warn("prompt is longer than " + std::to_string(kMaxPromptBytes) + " bytes; only the start was read");
    if (clean.had_control) warn("control characters or invalid UTF-8 in the prompt were ignored");
    detect_hostile(clean);
    toks_ = text::tokenize_clean(clean.text);
    if (toks_.size() > kMaxTokens) {
      toks_.resize(kMaxTokens);
      warn("prompt has more than " + std::to_string(kMaxTokens) + " words; only the first were read");
    }
    size_t words = 0, english = 0;
    for (const auto& t : toks_)
      if (t.kind == Token::word) {
        ++words;
        if (t.ascii) ++english;
      }
    if (clean.other_letters > 0 && clean.other_letters * 2 > clean.ascii_letters)
      warn("prompt is mostly not English; only English words are understood");
    parse();
    schedule_and_build();
    if (words == 0 && english == 0 && plan_.warnings.empty()) warn("empty prompt: one figure idles");
    return std::move(plan_);
  }

 private:
  // ------------------------------------------------------------------ warnings and hostile input
  void warn(const std::string& w) {
    if (plan_.warnings.size() >= 8) return;
    if (std::find(plan_.warnings.begin(), plan_.warnings.end(), w) == plan_.warnings.end())
      plan_.warnings.push_back(w);
  }

  void detect_hostile(const text::CleanText& c) {
    std::string low = c.text;
    for (char& ch : low)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    auto has = [&](sv s) { return low.find(s) != std::string::npos; };
    bool code = c.had_markup || (c.symbols >= 3 && c.symbols * 12 > c.ascii_letters) ||
                (has("select ") && has(" from ")) || has("drop table") || has("insert into") ||
                has("delete from") || has("union select") || has("' or '") || has("rm -rf") ||
                has("#include") || has("function(") || has("=>") || has("();") || has("eval(") ||
                has("<?php") || has("javascript:") || has("\":") || has("{\"") || has("\\x") || has("</");
    bool instructions = has("ignore previous") || has("ignore all") || has("ignore the above") ||
                        has("previous instructions") || has("system prompt") || has("disregard") ||
                        has("you are now") || has("jailbreak") || has("as an ai") || has("developer mode") ||
                        has("reveal your") || has("print your") || has("api key") || has("password");
    if (code) {
      warn("prompt looks like code or markup, not a description; only plain action words were used");
      open_vocab_ = false;
      code_like_ = true;
    } else if (instructions) {
      warn("prompt looks like instructions to a program; only plain action words were used");
      open_vocab_ = false;
    }
  }

  // ------------------------------------------------------------------ token access
  const Token& at(size_t k) const {
    static const Token kEnd{Token::punct, "", "", 0, false, false, true};
    return k < toks_.size() ? toks_[k] : kEnd;
  }
  sv w(size_t k) const { return at(k).w; }
  bool is_end(size_t k) const { return k >= toks_.size(); }
  bool is_punct(size_t k) const { return k >= toks_.size() || toks_[k].kind == Token::punct; }
  bool sentence_end(size_t k) const {
    return k >= toks_.size() || (toks_[k].kind == Token::punct && toks_[k].w != ",");
  }

  // ------------------------------------------------------------------ actors
  int add_actor(Actor a) {
    if (static_cast<int>(actors_.size()) >= max_actors_) {
      if (!cap_warned_) {
        warn("prompt mentions more than " + std::to_string(max_actors_) + " figures; extra ones were merged");
        cap_warned_ = true;
      }
      return static_cast<int>(actors_.size()) - 1;
    }
    a.recency = ++clock_;
    actors_.push_back(std::move(a));
    return static_cast<int>(actors_.size()) - 1;
  }
  void touch(const std::vector<int>& ids) {
    for (int id : ids)
      if (id >= 0 && id < static_cast<int>(actors_.size())) actors_[id].recency = ++clock_;
  }
  int default_actor() {
    if (actors_.empty()) {
      Actor a;
      a.kind = "person";
      add_actor(a);
      fresh_default_ = true;  // may be withdrawn if the words that needed it turn out to mean nothing
    }
    return most_recent_single();
  }
  int most_recent_single(int exclude = -1) const {
    int best = -1;
    for (int i = 0; i < static_cast<int>(actors_.size()); ++i)
      if (i != exclude && (best < 0 || actors_[i].recency > actors_[best].recency)) best = i;
    return best;
  }

  static bool all_caps(const Token& t) {
    return t.raw.size() > 1 && std::none_of(t.raw.begin(), t.raw.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  }
  // Known name, or a capitalised word we do not otherwise know.
  bool looks_like_name(size_t k) const {
    const Token& t = at(k);
    if (t.kind != Token::word || !t.ascii || t.w.size() < 2) return false;
    if (kNames.count(t.w)) return true;
    if (!t.capitalized) return false;
    if (all_caps(t) || code_like_) return false;  // "DROP TABLE", "A MAN WALKS": not names
    if (is_function_word(t.w) || kKinds.count(t.w) || kColors.count(t.w) || kManner.count(t.w) ||
        kNumberWords.count(t.w) || kUnits.count(t.w))
      return false;
    // A capitalised verb at the start of a sentence is an imperative, not a name ("Walk to the left").
    auto& lex = Lexicon::instance();
    if (lex.verb(t.w, false) || lex.noun(t.w, false)) return false;
    if (t.sentence_start && is_common_english(t.w)) return false;
    return true;
  }
  static bool adjective(sv w) {
    auto* db = Lexicon::instance().wordnet();
    if (!db) return false;
    auto adj = db->index(w, wordnet::Pos::adj);
    if (!adj) return false;
    auto noun = db->index(w, wordnet::Pos::noun);
    // More adjective senses than noun senses: "heavy", "tall", "angry"; not "dancer" or "man".
    return !noun || adj->offsets.size() >= noun->offsets.size();
  }
  static bool direction_word(sv w) {
    return one_of(w, {"forward", "forwards", "backward", "backwards", "left", "right", "away", "ahead", "back",
                      "around", "up", "down", "off", "home", "inside", "outside"});
  }
  static bool body_part(sv w) {
    return one_of(w, {"hand", "hands", "arm", "arms", "leg", "legs", "head", "foot", "feet", "fist", "fists",
                      "finger", "fingers", "face", "body", "hair", "shoulder", "shoulders", "knee", "knees", "hip",
                      "hips", "back", "eye", "eyes", "mouth", "toe", "toes", "neck", "chest", "heart"});
  }
  static bool is_common_english(sv w) {
    return one_of(w, {"outside", "inside", "today", "yesterday", "tomorrow", "suddenly", "meanwhile", "later",
                      "afterwards", "finally", "next", "first", "once", "when", "while", "after", "before",
                      "somewhere", "everyone", "everybody", "someone", "somebody", "nobody", "here", "there",
                      "in", "on", "at", "by", "with", "without", "during", "one", "again", "soon", "now"});
  }
  static bool is_function_word(sv w) {
    return kDeterminers.count(w) || kAux.count(w) || kPrepositions.count(w) || kFiller.count(w) ||
           one_of(w, {"and", "or", "but", "then", "while", "whilst", "as", "before", "after", "until", "till",
                      "when", "once", "meanwhile", "finally", "next", "later", "afterwards", "afterward",
                      "lastly", "eventually", "he", "she", "it", "they", "him", "her", "them", "we", "you", "i",
                      "me", "us", "both", "all", "everyone", "everybody", "someone", "somebody", "one", "other",
                      "others", "not", "never", "no", "who", "which", "that", "what", "where", "why", "how",
                      "if", "so", "because", "together", "each", "either", "neither", "nor", "than"});
  }

  // Parses a noun phrase naming figures at k (does not register anything).
  NP parse_np(size_t k, bool allow_new) const {
    NP np = parse_np_at(k, allow_new);
    np.start = k;
    return np;
  }
  NP parse_np_at(size_t k, bool allow_new) const {
    NP np;
    sv t0 = w(k);
    // Pronouns and group references.
    if (one_of(t0, {"he", "him", "she", "her", "it", "they", "them", "i", "me", "we", "us", "you", "himself",
                    "herself", "themselves"})) {
      // "her" followed by a noun is a determiner ("her friend").
      if (t0 == "her" && kKinds.count(w(k + 1))) return np;
      np.type = NP::pron;
      np.pronoun = std::string(t0);
      np.end = k + 1;
      return np;
    }
    if (one_of(t0, {"both", "everyone", "everybody", "all", "each"})) {
      np.type = NP::group_all;
      np.end = k + 1;
      if (w(np.end) == "of" && one_of(w(np.end + 1), {"them", "us", "you"})) np.end += 2;
      else if (kNumberWords.count(w(np.end)) && w(np.end) != "a") np.end += 1;  // "all three"
      else if (kKinds.count(w(np.end))) np.end += 1;                             // "both kids"
      return np;
    }
    if (one_of(t0, {"someone", "somebody", "anyone", "anybody"})) {
      np.type = NP::fresh;
      np.kind = "person";
      np.end = k + 1;
      return np;
    }
    if (t0 == "one" && w(k + 1) == "of" && one_of(w(k + 2), {"them", "us", "the"})) {
      np.type = NP::one_of_them;
      np.end = k + 3;
      if (w(k + 2) == "the") {
        // "one of the men"
        size_t e = k + 3;
        while (e < k + 6 && !kKinds.count(w(e)) && !is_punct(e)) ++e;
        np.end = kKinds.count(w(e)) ? e + 1 : k + 3;
      }
      return np;
    }
    if (t0 == "one" && !kKinds.count(w(k + 1))) {
      np.type = NP::one_of_them;
      np.end = k + 1;
      return np;
    }
    if ((t0 == "the" || t0 == "an" || t0 == "another") && one_of(w(k + 1), {"other", "others"})) {
      np.type = NP::other;
      np.end = k + 2;
      if (one_of(w(np.end), {"one", "person", "figure"}) || kKinds.count(w(np.end))) ++np.end;
      return np;
    }
    if (t0 == "the" && one_of(w(k + 1), {"first", "second", "third", "last", "former", "latter"})) {
      sv o = w(k + 1);
      np.type = NP::ord;
      np.ordinal = o == "first" || o == "former" ? 0 : o == "second" || o == "latter" ? 1 : o == "third" ? 2 : -1;
      np.end = k + 2;
      if (one_of(w(np.end), {"one", "person", "figure"}) || kKinds.count(w(np.end))) ++np.end;
      return np;
    }
    if (t0 == "the" && one_of(w(k + 1), {"two", "three", "pair", "couple", "group", "trio", "duo"}) &&
        !kKinds.count(w(k + 2))) {
      np.type = NP::group_all;
      np.end = k + 2;
      if (w(np.end) == "of" && w(np.end + 1) == "them") np.end += 2;
      return np;
    }
    // Names, possibly "Alice the robot".
    if (looks_like_name(k)) {
      np.type = NP::named;
      np.name = at(k).raw;
      if (!np.name.empty()) np.name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(np.name[0])));
      auto g = kNames.find(at(k).w);
      np.gender = g != kNames.end() ? g->second : 0;
      np.kind = np.gender == 1 ? "man" : np.gender == 2 ? "woman" : "person";
      np.end = k + 1;
      if (w(np.end) == "the" && kKinds.count(w(np.end + 1))) {
        auto ki = kKinds.at(w(np.end + 1));
        np.kind = std::string(ki.kind);
        np.end += 2;
      }
      return np;
    }
    // [det|number] [adjectives] head [in|wearing colour]
    size_t e = k;
    bool definite = false, indefinite = false, possessive = false;
    int count = 0;
    if (one_of(w(e), {"the", "this", "that", "these", "those"})) {
      definite = true;
      ++e;
    } else if (one_of(w(e), {"a", "an", "one", "another", "some"})) {
      indefinite = true;
      count = w(e) == "some" ? 2 : 1;
      ++e;
      if (one_of(w(e), {"couple", "pair"}) && w(e + 1) == "of") { count = 2; e += 2; }
      else if (one_of(w(e), {"group", "crowd", "bunch", "team", "few", "trio"}) ) {
        count = 3;
        e += (w(e + 1) == "of") ? 2 : 1;
      }
    } else if (one_of(w(e), {"his", "her", "their", "my", "your", "our", "its"})) {
      indefinite = true;
      possessive = true;
      count = 1;
      ++e;
    }
    bool quantifier = one_of(w(e), {"couple", "few", "several", "many", "dozen"});
    if (quantifier && w(e + 1) == "of") {
      count = w(e) == "couple" ? 2 : 3;
      indefinite = !definite;
      e += 2;
    } else if (at(e).kind == Token::number ||
               (kNumberWords.count(w(e)) && !one_of(w(e), {"a", "an", "half"}) && (!quantifier || !kKinds.count(w(e))))) {
      double v = at(e).kind == Token::number ? at(e).value : kNumberWords.at(w(e));
      if (v >= 1 && v <= 1000 && std::floor(v) == v) {
        count = static_cast<int>(v);
        indefinite = !definite;
        ++e;
      }
    }
    Manner mood;
    bool has_mood = false;
    std::string color, noun;
    size_t head = 0;
    for (size_t s = e; s < e + 4 && !is_punct(s); ++s) {
      sv x = w(s);
      if (kKinds.count(x)) { head = s; break; }
      if (auto c = kColors.find(x); c != kColors.end()) { color = std::string(c->second); continue; }
      if (auto m = kManner.find(x); m != kManner.end()) { mood = m->second; has_mood = true; continue; }
      if (kIntensifiers.count(x) || one_of(x, {"stick", "little", "tall", "short", "old", "young", "big", "small",
                                                "large", "tiny", "giant", "fat", "thin", "skinny", "strong",
                                                "new", "other", "second", "first", "third", "single", "lone"}))
        continue;
      if (s == e + 3 || is_function_word(x) || x == "and") break;
      // Mainly an adjective ("a heavy box", "an old robot"): keep looking for the noun.
      if (s + 1 < toks_.size() && !is_punct(s + 1) && !is_function_word(w(s + 1)) && adjective(x)) continue;
      // An open-class noun that WordNet knows as a person or animal: "a ballerina", "two soldiers", "a dog".
      if ((definite || indefinite || count > 0) && allow_new && !body_part(x) && !direction_word(x)) {
        int cls = Lexicon::instance().animate_class(x);
        if (cls > 0) {
          head = s;
          noun = std::string(x);
          // Compounds name the last noun: "a cat burglar", "a police officer".
          while (!is_punct(head + 1) && !is_function_word(w(head + 1)) && !body_part(w(head + 1)) &&
                 (kKinds.count(w(head + 1)) || Lexicon::instance().animate_class(w(head + 1)) == 1) &&
                 !verb_start(head + 1)) {
            ++head;
            noun = std::string(w(head));
          }
          break;
        }
      }
      // Any other word is the head noun of something that is not a figure ("a heavy cart").
      break;
    }
    if (!head) {
      // "the red one"
      if ((definite || indefinite) && w(e) != "" && (kColors.count(w(e)) || kManner.count(w(e))) &&
          one_of(w(e + 1), {"one", "ones"})) {
        if (auto c = kColors.find(w(e)); c != kColors.end()) color = std::string(c->second);
        head = e + 1;
        noun = "";
      } else {
        return np;
      }
    }
    np.end = head + 1;
    np.possessive = possessive;
    np.color = color;
    np.mood = mood;
    np.has_mood = has_mood;
    if (kKinds.count(w(head))) {
      const auto& ki = kKinds.at(w(head));
      np.kind = std::string(ki.kind);
      np.gender = ki.gender;
      np.plural = ki.plural;
      np.noun = std::string(w(head));
      if (w(head) == "couple" || w(head) == "pair") count = std::max(count, 2);
    } else if (!noun.empty()) {
      // Open-class noun: singular lemma as the kind.
      auto bases = Lexicon::instance().noun_bases(noun);
      std::string lemma = noun;
      for (const auto& b : bases)
        if (Lexicon::instance().wordnet() && Lexicon::instance().wordnet()->has_lemma(b, wordnet::Pos::noun)) {
          lemma = b;
          break;
        }
      np.plural = lemma != noun;
      np.kind = lemma;
      np.noun = lemma;
    } else {
      np.kind = "";
    }
    // Post-modifiers: "in red", "wearing a blue shirt", "with a green hat", "dressed in black".
    size_t p = np.end;
    if (one_of(w(p), {"in", "wearing", "with", "dressed"})) {
      size_t q = p + 1;
      if (w(q) == "in") ++q;
      if (one_of(w(q), {"a", "an", "the", "all"})) ++q;
      if (auto c = kColors.find(w(q)); c != kColors.end()) {
        np.color = std::string(c->second);
        ++q;
        if (one_of(w(q), {"shirt", "t", "jacket", "hat", "cap", "dress", "clothes", "outfit", "suit", "hoodie",
                          "sweater", "coat", "shorts", "pants", "trousers", "top", "scarf", "uniform", "shoes"}))
          ++q;
        if (w(q) == "shirt") ++q;  // "t shirt"
        np.end = q;
      }
    }
    // Count: explicit number, else plural noun -> 2, else 1.
    if (count == 0) count = np.plural ? 2 : 1;
    if (np.plural && count == 1 && !indefinite) count = 2;
    np.count = count;
    np.type = (definite && !indefinite) ? NP::definite : NP::fresh;
    if (np.kind.empty() && np.type == NP::fresh) np.kind = "person";
    return np;
  }

  // Resolves a noun phrase to actor ids, registering new figures. `exclude` is the clause subject (for
  // object pronouns: "Alice hugs her" is not Alice).
  std::vector<int> resolve(const NP& np, const std::vector<int>& exclude = {}) {
    std::vector<int> out;
    auto not_excluded = [&](int i) { return std::find(exclude.begin(), exclude.end(), i) == exclude.end(); };
    auto by_recency = [&](auto pred) {
      int best = -1;
      for (int i = 0; i < static_cast<int>(actors_.size()); ++i)
        if (pred(i) && not_excluded(i) && (best < 0 || actors_[i].recency > actors_[best].recency)) best = i;
      return best;
    };
    auto make = [&](int n) {
      for (int c = 0; c < n; ++c) {
        Actor a;
        a.kind = np.kind.empty() ? "person" : np.kind;
        a.noun = np.noun;
        a.color = np.color;
        a.gender = np.gender;
        if (np.has_mood) {
          a.mood_expression = np.mood.expression;
          a.mood_tempo = np.mood.tempo;
          a.mood_intensity = np.mood.intensity;
        }
        if (np.type == NP::named) {
          a.name = np.name;
          a.named = true;
        }
        int id = add_actor(a);
        if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
      }
    };
    switch (np.type) {
      case NP::none: break;
      case NP::named: {
        int id = by_recency([&](int i) {
          std::string a = actors_[i].name, b = np.name;
          std::transform(a.begin(), a.end(), a.begin(), ::tolower);
          std::transform(b.begin(), b.end(), b.begin(), ::tolower);
          return actors_[i].named && a == b;
        });
        if (id < 0) {
          // A name given to a figure introduced without one ("A man walks. Bob waves" is a new figure.)
          make(1);
        } else {
          out.push_back(id);
        }
        break;
      }
      case NP::pron: {
        const std::string& p = np.pronoun;
        if (one_of(p, {"he", "him", "himself"})) {
          int id = by_recency([&](int i) { return actors_[i].gender == 1; });
          if (id < 0) id = by_recency([&](int i) { return actors_[i].gender == 0; });
          if (id < 0) id = by_recency([](int) { return true; });
          if (id < 0 && exclude.empty()) {
            Actor a;
            a.kind = "man";
            a.gender = 1;
            id = add_actor(a);
          }
          if (id >= 0) out.push_back(id);
        } else if (one_of(p, {"she", "her", "herself"})) {
          int id = by_recency([&](int i) { return actors_[i].gender == 2; });
          if (id < 0) id = by_recency([&](int i) { return actors_[i].gender == 0; });
          if (id < 0) id = by_recency([](int) { return true; });
          if (id < 0 && exclude.empty()) {
            Actor a;
            a.kind = "woman";
            a.gender = 2;
            id = add_actor(a);
          }
          if (id >= 0) out.push_back(id);
        } else if (p == "it") {
          int id = by_recency([&](int i) { return actors_[i].kind == "robot"; });
          if (id < 0) id = by_recency([](int) { return true; });
          if (id < 0 && exclude.empty()) id = default_actor();
          if (id >= 0) out.push_back(id);
        } else if (one_of(p, {"i", "me", "you"})) {
          if (exclude.empty()) out.push_back(default_actor());
        } else {  // they, them, we, us, themselves
          if (!exclude.empty()) {
            for (int i = 0; i < static_cast<int>(actors_.size()); ++i)
              if (not_excluded(i)) out.push_back(i);
          } else if (last_group_.size() > 1) {
            out = last_group_;
          } else if (actors_.size() > 1) {
            for (int i = 0; i < static_cast<int>(actors_.size()); ++i) out.push_back(i);
          } else if (actors_.size() == 1) {
            out.push_back(0);
          } else {
            NP two;
            two.type = NP::fresh;
            two.kind = "person";
            two.count = 2;
            return resolve(two);
          }
        }
        break;
      }
      case NP::group_all: {
        if (last_group_.size() > 1) out = last_group_;
        else
          for (int i = 0; i < static_cast<int>(actors_.size()); ++i) out.push_back(i);
        if (out.size() < 2 && actors_.size() < 2) {
          NP two;
          two.type = NP::fresh;
          two.kind = "person";
          two.count = 2 - static_cast<int>(actors_.size());
          for (int id : resolve(two))
            if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
        }
        break;
      }
      case NP::one_of_them: {
        const auto& g = last_group_.size() > 1 ? last_group_ : all_ids();
        if (!g.empty()) {
          out.push_back(g[0]);
          last_one_ = g[0];
        } else {
          out.push_back(default_actor());
        }
        break;
      }
      case NP::other: {
        const auto& g = last_group_.size() > 1 ? last_group_ : all_ids();
        int pick = -1;
        for (int id : g)
          if (id != last_one_ && not_excluded(id)) {
            pick = id;
            break;
          }
        if (pick < 0) pick = by_recency([&](int i) { return i != most_recent_single(); });
        if (pick < 0) {
          Actor a;
          a.kind = "person";
          pick = add_actor(a);
        }
        out.push_back(pick);
        break;
      }
      case NP::ord: {
        int n = static_cast<int>(actors_.size());
        int idx = np.ordinal < 0 ? n - 1 : np.ordinal;
        if (idx >= 0 && idx < n) out.push_back(idx);
        else out.push_back(default_actor());
        break;
      }
      case NP::definite: {
        // The most recent figure(s) matching the noun, colour or kind; a new one if none matches.
        auto match = [&](int i) {
          const Actor& a = actors_[i];
          if (!np.color.empty() && a.color != np.color) return false;
          if (np.kind.empty()) return true;
          if (np.kind == "person") return true;  // "the person"/"the figure" matches anyone
          if (a.kind == np.kind || a.noun == np.noun) return true;
          if (np.kind == "child" && (a.kind == "boy" || a.kind == "girl")) return true;
          return false;
        };
        if (np.plural || np.count > 1) {
          for (int i = 0; i < static_cast<int>(actors_.size()); ++i)
            if (match(i) && not_excluded(i)) out.push_back(i);
          if (out.empty()) make(std::max(np.count, 2));
        } else {
          int id = by_recency(match);
          if (id < 0) make(1);
          else out.push_back(id);
        }
        break;
      }
      case NP::fresh: make(std::max(1, np.count)); break;
    }
    touch(out);
    return out;
  }

  std::vector<int> all_ids() const {
    std::vector<int> v;
    for (int i = 0; i < static_cast<int>(actors_.size()); ++i) v.push_back(i);
    return v;
  }

  // A list of noun phrases joined by "and" / ",": "a man and a woman", "Alice, Bob and Carol".
  bool parse_np_list(size_t k, std::vector<NP>& out, size_t& end, bool allow_new) const {
    NP np = parse_np(k, allow_new);
    if (np.type == NP::none) return false;
    out.push_back(np);
    end = np.end;
    while (one_of(w(end), {"and", ","}) || (w(end) == "," && w(end + 1) == "and")) {
      size_t n = end + 1;
      if (w(n) == "and") ++n;
      NP next = parse_np(n, allow_new);
      if (next.type == NP::none) break;
      out.push_back(next);
      end = next.end;
    }
    return true;
  }

  // ------------------------------------------------------------------ verbs
  // Verb reading of token k: hand lexicon first, then WordNet (open vocabulary, cost-bounded).
  std::optional<text::LexMatch> verb_at(size_t k, bool allow_open) const {
    const Token& t = at(k);
    if (t.kind != Token::word || !t.ascii || t.w.size() < 2) return std::nullopt;
    if (code_like_ && all_caps(t)) return std::nullopt;  // SQL keywords and the like
    if (is_function_word(t.w) || kKinds.count(t.w) || kColors.count(t.w) || kManner.count(t.w) ||
        kNumberWords.count(t.w) || kUnits.count(t.w) || kNames.count(t.w))
      return std::nullopt;
    auto& lex = Lexicon::instance();
    auto m = lex.verb(t.w, false);
    if (m) return m;
    if (!allow_open || !open_vocab_) return std::nullopt;
    m = lex.verb(t.w, true);
    if (m && m->cost <= kMaxWordnetCost) return m;
    return std::nullopt;
  }
  // Whether token k could be a verb at all (known to WordNet as a verb, or looks inflected).
  bool verbish(size_t k) const {
    const Token& t = at(k);
    if (t.kind != Token::word || !t.ascii) return false;
    if (code_like_ && all_caps(t)) return false;
    if (phrase_at(k)) return true;
    if (is_function_word(t.w) || kKinds.count(t.w) || kColors.count(t.w) || kNumberWords.count(t.w) ||
        kUnits.count(t.w))
      return false;
    if (verb_at(k, false)) return true;
    auto* db = Lexicon::instance().wordnet();
    if (db) return !db->base_forms(t.w, wordnet::Pos::verb).empty();
    return t.w.size() > 3 && (t.w.ends_with("s") || t.w.ends_with("ed") || t.w.ends_with("ing"));
  }
  // Whether a verb + particle phrase ("high five", "lie down") starts at k.
  bool phrase_at(size_t k) const {
    if (at(k).kind != Token::word || !at(k).ascii) return false;
    auto bases = Lexicon::instance().verb_bases(at(k).w);
    for (const auto& ph : kPhrases)
      if (std::find(bases.begin(), bases.end(), ph.verb) != bases.end() && w(k + 1) == ph.p1 &&
          (ph.p2.empty() || w(k + 2) == ph.p2))
        return true;
    return false;
  }
  // Whether a verb phrase starts at k (after a subject).
  bool verb_start(size_t k) const {
    for (size_t s = k; s < k + 6 && !is_punct(s); ++s) {
      sv x = w(s);
      if (one_of(x, {"do", "does", "did", "has", "have", "had"}) &&
          (kDeterminers.count(w(s + 1)) || w(s + 1) == "nothing" || text::hand_noun(std::string(w(s + 1)))))
        return true;  // "does a dance", "has a drink"
      if (kAux.count(x) || one_of(x, {"not", "never", "also", "then", "just", "suddenly", "slowly", "quickly",
                                      "happily", "first", "finally", "both", "all", "each", "together",
                                      "immediately", "now", "who", "there"}))
        continue;
      if (kManner.count(x) && !kManner.count(w(s + 1)) && s + 1 < toks_.size()) continue;
      if (x == "and" || x == "or") return false;
      return verbish(s) || (kManner.count(x) > 0 && s > k);
    }
    return false;
  }

  // Reads a duration at k ("for 3 seconds", "for two and a half seconds", "3s", "briefly", "for a while").
  bool parse_duration(size_t& k, Dur& d) const {
    size_t s = k;
    if (w(s) == "briefly" || (w(s) == "for" && w(s + 1) == "a" && one_of(w(s + 2), {"moment", "second", "sec"}) &&
                              !one_of(w(s + 3), {"and"}))) {
      d.kind = Dur::exact;
      d.seconds = 1.f;
      k = w(s) == "briefly" ? s + 1 : s + 3;
      return true;
    }
    if (w(s) == "for" && w(s + 1) == "a" && one_of(w(s + 2), {"while", "bit"})) {
      d.kind = Dur::soft;
      d.weight = w(s + 2) == "while" ? 2.f : 0.6f;
      k = s + 3;
      return true;
    }
    if (w(s) == "for" && w(s + 1) == "a" && w(s + 2) == "long" && one_of(w(s + 3), {"time", "while"})) {
      d.kind = Dur::soft;
      d.weight = 3.f;
      k = s + 4;
      return true;
    }
    if ((w(s) == "for" && w(s + 1) == "the" && one_of(w(s + 2), {"rest", "remainder", "remaining", "whole",
                                                                   "entire"})) ||
        (one_of(w(s), {"until", "till"}) && w(s + 1) == "the" && w(s + 2) == "end") ||
        (w(s) == "the" && one_of(w(s + 1), {"whole", "entire"}) && w(s + 2) == "time") ||
        (w(s) == "all" && w(s + 1) == "the" && w(s + 2) == "time") || one_of(w(s), {"forever", "continuously",
                                                                                      "nonstop", "endlessly"})) {
      d.kind = Dur::soft;
      d.weight = 3.f;
      size_t e = s + 1;
      while (e < s + 8 && !is_punct(e) && !one_of(w(e), {"and", "then", "while", "before", "after"})) {
        if (one_of(w(e), {"time", "clip", "animation", "video", "scene", "end", "way"})) {
          ++e;
          break;
        }
        ++e;
      }
      k = one_of(w(s), {"forever", "continuously", "nonstop", "endlessly"}) ? s + 1 : e;
      return true;
    }
    size_t n = s;
    bool had_for = false;
    if (one_of(w(n), {"for", "during", "over"})) {
      ++n;
      had_for = true;
    }
    if (one_of(w(n), {"about", "around", "roughly", "approximately", "nearly", "almost", "exactly", "another",
                      "just", "only", "over", "under"}))
      ++n;
    double value = 0;
    size_t m = n;
    if (!read_number(m, value)) return false;
    if (one_of(w(m), {"more", "full", "whole", "long", "short"})) ++m;
    auto u = kUnits.find(w(m));
    if (u == kUnits.end()) return false;
    if (!had_for && w(m) == "s" && at(m - 1).kind != Token::number) return false;
    ++m;
    // "a second and a half"
    if (w(m) == "and" && w(m + 1) == "a" && w(m + 2) == "half") {
      value += 0.5;
      m += 3;
    }
    d.kind = Dur::exact;
    d.seconds = static_cast<float>(std::clamp(value * u->second, 0.05, 3600.0));
    k = m;
    return true;
  }

  // "3", "2.5", "two", "two and a half", "a", "half a", "a couple of", "a few".
  bool read_number(size_t& k, double& v) const {
    size_t s = k;
    if (w(s) == "half" && one_of(w(s + 1), {"a", "an"})) {
      v = 0.5;
      k = s + 2;
      return true;
    }
    if (at(s).kind == Token::number) {
      v = at(s).value;
      ++s;
    } else if (one_of(w(s), {"a", "an"}) && one_of(w(s + 1), {"couple", "few"})) {
      v = w(s + 1) == "couple" ? 2 : 3;
      s += 2;
      if (w(s) == "of") ++s;
      k = s;
      return true;
    } else if (auto it = kNumberWords.find(w(s)); it != kNumberWords.end()) {
      v = it->second;
      ++s;
      // "twenty five"
      if (v >= 20 && v < 100) {
        auto it2 = kNumberWords.find(w(s));
        if (it2 != kNumberWords.end() && it2->second >= 1 && it2->second < 10 && w(s) != "a") {
          v += it2->second;
          ++s;
        }
      }
      if (w(s) == "of") ++s;  // "a couple of"
    } else {
      return false;
    }
    if (w(s) == "and" && one_of(w(s + 1), {"a", "one"}) && w(s + 2) == "half") {
      v += 0.5;
      s += 3;
    } else if (w(s) == "point" && at(s + 1).kind == Token::number) {
      std::string frac = "0." + at(s + 1).w;
      v += std::strtod(frac.c_str(), nullptr);
      s += 2;
    }
    k = s;
    return true;
  }

  // "twice", "three times", "a few times", "once" (only when not starting a clause), "repeatedly".
  bool parse_repeats(size_t& k, int& reps) const {
    sv x = w(k);
    if (x == "twice") { reps = 2; ++k; return true; }
    if (x == "thrice") { reps = 3; ++k; return true; }
    if (x == "once" && (sentence_end(k + 1) || one_of(w(k + 1), {"and", "then", "more", "again"}))) {
      reps = 1;
      k += w(k + 1) == "more" ? 2 : 1;
      return true;
    }
    if (x == "repeatedly" || (x == "over" && w(k + 1) == "and" && w(k + 2) == "over") ||
        (x == "again" && w(k + 1) == "and" && w(k + 2) == "again")) {
      reps = 0;
      k += x == "repeatedly" ? 1 : 3;
      return true;
    }
    size_t m = k;
    double v = 0;
    if (one_of(x, {"several", "many", "multiple", "numerous"}) && w(k + 1) == "times") {
      reps = x == "several" || x == "multiple" ? 4 : 5;
      k += 2;
      return true;
    }
    if (read_number(m, v) && one_of(w(m), {"times", "time"}) && v >= 1 && v <= 100) {
      reps = static_cast<int>(v);
      k = m + 1;
      return true;
    }
    return false;
  }

  bool apply_manner(size_t& k, VP& vp) const {
    float amp = 1.f;
    size_t s = k;
    if (kIntensifiers.count(w(s)) && (kManner.count(w(s + 1)) || kIntensifiers.count(w(s + 1)))) {
      amp = 1.5f;
      ++s;
      while (kIntensifiers.count(w(s)) && s < k + 3) ++s;
    } else if ((kSofteners.count(w(s)) || (one_of(w(s), {"a"}) && one_of(w(s + 1), {"bit", "little"}))) &&
               kManner.count(w(s + (w(s) == "a" ? 2 : 1)))) {
      amp = 0.5f;
      s += w(s) == "a" ? 2 : 1;
    }
    // Multi-word manners.
    if (w(s) == "in" && w(s + 1) == "slow" && w(s + 2) == "motion") {
      vp.tempo *= 0.4f;
      k = s + 3;
      return true;
    }
    if (w(s) == "at" && one_of(w(s + 1), {"a", "full", "top"})) {
      size_t q = s + 1 + (w(s + 1) == "a" ? 1 : 0);
      if (one_of(w(q), {"slow", "leisurely", "relaxed", "gentle"}) && one_of(w(q + 1), {"pace", "speed"})) {
        vp.tempo *= 0.6f;
        k = q + 2;
        return true;
      }
      if (one_of(w(q), {"fast", "quick", "brisk", "rapid", "high", "full", "top", "great"}) &&
          one_of(w(q + 1), {"pace", "speed", "rate"})) {
        vp.tempo *= one_of(w(q), {"full", "top"}) ? 1.8f : 1.5f;
        k = q + 2;
        return true;
      }
    }
    if (w(s) == "as" && one_of(w(s + 1), {"fast", "quickly", "hard"}) && w(s + 2) == "as") {
      size_t q = s + 3;
      while (q < s + 7 && !is_punct(q) && !one_of(w(q), {"can", "could", "possible"})) ++q;
      if (one_of(w(q), {"can", "could", "possible"})) {
        if (w(s + 1) == "hard") vp.intensity *= 1.6f;
        else vp.tempo *= 1.8f;
        k = q + 1;
        return true;
      }
    }
    if (w(s) == "with" && one_of(w(s + 1), {"joy", "glee", "delight", "excitement", "anger", "rage", "sadness",
                                              "sorrow", "fear", "enthusiasm", "energy", "force", "care"})) {
      static const std::unordered_map<sv, sv> kNounMood = {
          {"joy", "joyfully"}, {"glee", "gleefully"}, {"delight", "happily"}, {"excitement", "excitedly"},
          {"anger", "angrily"}, {"rage", "furiously"}, {"sadness", "sadly"}, {"sorrow", "sadly"},
          {"fear", "fearfully"}, {"enthusiasm", "enthusiastically"}, {"energy", "energetically"},
          {"force", "forcefully"}, {"care", "carefully"}};
      const Manner& m = kManner.at(kNounMood.at(w(s + 1)));
      combine(vp, m, amp);
      k = s + 2;
      return true;
    }
    if (w(s) == "in" && one_of(w(s + 1), {"anger", "surprise", "fear", "shock", "despair", "joy", "excitement",
                                            "frustration", "horror", "tears"})) {
      static const std::unordered_map<sv, sv> kNounMood = {
          {"anger", "angrily"}, {"surprise", "surprised"}, {"fear", "fearfully"}, {"shock", "shocked"},
          {"despair", "miserably"}, {"joy", "joyfully"}, {"excitement", "excitedly"}, {"frustration", "frustrated"},
          {"horror", "terrified"}, {"tears", "sadly"}};
      combine(vp, kManner.at(kNounMood.at(w(s + 1))), amp);
      k = s + 2;
      return true;
    }
    auto m = kManner.find(w(s));
    if (m == kManner.end()) return false;
    // "fast" / "hard" / "quick" as adjectives before a noun are not manners ("a fast car").
    combine(vp, m->second, amp);
    k = s + 1;
    return true;
  }
  static void combine(VP& vp, const Manner& m, float amp) {
    vp.tempo *= std::pow(m.tempo, amp);
    vp.intensity *= std::pow(m.intensity, amp);
    if (m.expression >= 0) vp.expression = m.expression;
  }

  // Direction at k: "to the left", "left", "leftward", "forward", "backwards", "away", "around",
  // "in circles", "from left to right", "toward X", "away from X", "at X", "to X".
  bool parse_direction(size_t& k, VP& vp, const std::vector<int>& subject) {
    size_t s = k;
    sv x = w(s);
    auto set = [&](Direction d, size_t end) {
      vp.dir = d;
      k = end;
      return true;
    };
    if (one_of(x, {"left", "leftward", "leftwards"})) return set(Direction::left, s + 1);
    if (one_of(x, {"right", "rightward", "rightwards"})) {
      if (one_of(w(s + 1), {"now", "away", "there", "here", "after", "before"})) return false;
      return set(Direction::right, s + 1);
    }
    if (one_of(x, {"forward", "forwards", "ahead", "onward", "onwards", "straight"})) {
      size_t e = s + 1;
      if (x == "straight" && one_of(w(e), {"ahead", "forward", "on"})) ++e;
      return set(Direction::forward, e);
    }
    if (one_of(x, {"backward", "backwards", "back"})) {
      if (x == "back" && w(s + 1) == "and" && one_of(w(s + 2), {"forth", "forward"})) return set(Direction::around, s + 3);
      if (x == "back") {
        k = s + 1;  // "walks back", "waves back": returning or answering, no direction of its own
        return true;
      }
      return set(Direction::backward, s + 1);
    }
    if (one_of(x, {"to", "towards", "toward"}) && w(s + 1) == "the" && one_of(w(s + 2), {"left", "right"})) {
      return set(w(s + 2) == "left" ? Direction::left : Direction::right, s + 3);
    }
    if (x == "to" && w(s + 1) == "the" && one_of(w(s + 2), {"front", "back"})) {
      return set(w(s + 2) == "front" ? Direction::forward : Direction::backward, s + 3);
    }
    if (x == "from" && (one_of(w(s + 1), {"left", "right"}) || (w(s + 1) == "the" && one_of(w(s + 2), {"left", "right"}))) &&
        w(s + (w(s + 1) == "the" ? 3 : 2)) != "to") {
      // "comes in from the left" moves rightward
      bool left = w(s + 1) == "left" || w(s + 2) == "left";
      return set(left ? Direction::right : Direction::left, s + (w(s + 1) == "the" ? 3 : 2));
    }
    if (x == "from" && !one_of(w(s + 1), {"left", "right"}) && !(w(s + 1) == "the" && one_of(w(s + 2), {"left", "right"}))) {
      NP np = parse_np(s + 1, true);
      if (np.type != NP::none && np_is_figure(np)) {
        vp.targets = resolve(np, subject);
        if (vp.dir == Direction::none) vp.dir = Direction::away;
        k = np.end;
        return true;
      }
      return false;
    }
    if (x == "from" && one_of(w(s + 1), {"left", "right"}) && w(s + 2) == "to" && one_of(w(s + 3), {"left", "right"}))
      return set(w(s + 3) == "right" ? Direction::right : Direction::left, s + 4);
    if (x == "from" && w(s + 1) == "the" && one_of(w(s + 2), {"left", "right"}) && w(s + 3) == "to" &&
        w(s + 4) == "the" && one_of(w(s + 5), {"left", "right"}))
      return set(w(s + 5) == "right" ? Direction::right : Direction::left, s + 6);
    if (one_of(x, {"around", "round", "about"}) && !(x == "about" && at(s + 1).kind == Token::number)) {
      if (one_of(w(s + 1), {"the", "a"}) && !one_of(w(s + 2), {"room", "stage", "place", "field", "yard", "park",
                                                               "area", "circle", "track", "floor"})) {
        // "around the woman" -> circling a target
        NP np = parse_np(s + 1, false);
        if (np.type != NP::none) {
          auto ids = resolve(np, subject);
          if (!ids.empty()) vp.targets = ids;
          return set(Direction::around, np.end);
        }
      }
      if (x == "round" && w(s + 1) == "and" && w(s + 2) == "round") return set(Direction::around, s + 3);
      return set(Direction::around, s + 1);
    }
    if (x == "in" && one_of(w(s + 1), {"circles", "a"}) ) {
      if (w(s + 1) == "circles") return set(Direction::around, s + 2);
      if (w(s + 2) == "circle") return set(Direction::around, s + 3);
    }
    if (one_of(x, {"away", "off"})) {
      size_t e = s + 1;
      if (w(e) == "from") {
        NP np = parse_np(e + 1, true);
        if (np.type != NP::none && np_is_figure(np)) {
          vp.targets = resolve(np, subject);
          e = np.end;
        } else {
          e = skip_object(e + 1);
        }
      }
      return set(Direction::away, e);
    }
    if (one_of(x, {"toward", "towards", "to", "at", "up", "over"}) || (x == "after" && vp.chase)) {
      size_t e = s + 1;
      if (one_of(x, {"up", "over"}) && w(e) == "to") ++e;
      else if (one_of(x, {"up", "over"})) return false;
      if (one_of(w(e), {"each", "one"}) && one_of(w(e + 1), {"other", "another"})) {
        vp.each_other = true;
        if (x != "at") vp.dir = Direction::toward;
        k = e + 2;
        return true;
      }
      if (one_of(w(e), {"the"}) && one_of(w(e + 1), {"camera", "viewer", "audience", "center", "centre",
                                                      "middle", "crowd"})) {
        if (x != "at") vp.dir = Direction::toward;
        k = e + 2;
        return true;
      }
      NP np = parse_np(e, true);
      if (np.type != NP::none && np_is_partner(np, vp)) {
        auto ids = resolve(np, subject);
        if (!ids.empty()) {
          vp.targets = ids;
          if (x == "toward" || x == "towards" || ((x == "to" || x == "up" || x == "over") && locomotive(vp.action)))
            vp.dir = Direction::toward;
          if (x == "to" && (vp.pass || vp.action == act::throwing)) vp.pass = true;
        }
        k = np.end;
        return true;
      }
      if (x == "toward" || x == "towards") {
        vp.dir = Direction::toward;
        k = skip_object(e);
        return true;
      }
      return false;
    }
    return false;
  }
  static bool locomotive(int a) {
    return a >= 0 && action_info(a).travel_speed > 0.f && a != act::fight && a != act::dance;
  }
  bool np_is_figure(const NP& np) const {
    switch (np.type) {
      case NP::none: return false;
      case NP::fresh:
      case NP::definite:
        // "a ball" is an object, "a woman" a figure; animals only count once they are actors already.
        if (kKinds.count(np.noun) || np.noun.empty()) return true;
        if (np.type == NP::definite)
          for (const auto& a : actors_)
            if (a.noun == np.noun || a.kind == np.kind) return true;
        if (int cls = Lexicon::instance().animate_class(np.noun); cls == 1) {
          return true;
        } else if (cls == 2) {
          // Animals act only in scenes that already have animal actors ("a dog chases a cat"), not as props.
          for (const auto& a : actors_)
            if (!a.noun.empty() && Lexicon::instance().animate_class(a.noun) == 2) return true;
        }
        return false;
      default: return true;
    }
  }
  // Records what a skipped object phrase says: ball words, "bases", a bat; manner adjectives inside it
  // ("dances a slow waltz") modify the step.
  void note_object(size_t b, size_t e, VP& vp, bool direct) const {
    for (size_t j = b; j < e; ++j) {
      sv x = w(j);
      if (kBallWords.count(x)) vp.object_noun = "ball";
      else if (one_of(x, {"bases", "base"}) && vp.object_noun.empty()) vp.object_noun = "bases";
      else if (one_of(x, {"bat", "racket", "racquet", "club"}) && vp.object_noun.empty()) vp.object_noun = "bat";
      if (direct && j > b && kManner.count(x)) {
        size_t q = j;
        VP tmp;
        apply_manner(q, tmp);
        vp.tempo *= tmp.tempo;
        vp.intensity *= tmp.intensity;
        if (tmp.expression >= 0 && vp.expression < 0) vp.expression = tmp.expression;
      }
    }
  }
  // A figure named as the object of this verb. "his friends" in "waves to his friends" are off stage;
  // "hugs her friend" needs the friend on stage.
  bool np_is_partner(const NP& np, const VP& vp) const {
    if (!np_is_figure(np)) return false;
    if (!np.possessive) return true;
    return vp.chase || vp.pass || (vp.action >= 0 && action_info(vp.action).interaction) ||
           one_of(vp.lemma, {"follow", "chase", "kiss", "greet", "meet", "join", "carry", "lift", "push", "pull"});
  }
  // Skips an object noun phrase ("the door", "a red ball", "the big tree"); returns the index after it.
  size_t skip_object(size_t k) const {
    size_t s = k;
    bool det = false;
    if (kDeterminers.count(w(s)) || at(s).kind == Token::number || (kNumberWords.count(w(s)) && w(s) != "half")) {
      ++s;
      det = true;
    }
    size_t e = s;
    // After a determiner the next words are the noun phrase even when they could be verbs ("a box", "the phone").
    // Manner words right after the determiner describe the noun ("a slow waltz"); after the noun they
    // describe the verb ("types on a keyboard quickly").
    while (e < s + 3 && !is_punct(e) && !is_function_word(w(e)) &&
           (!kManner.count(w(e)) || (det && (e == s || kManner.count(w(e - 1))) && !is_punct(e + 1) &&
                                     !is_function_word(w(e + 1)))) &&
           !direction_word(w(e)) &&
           (det ? !(e > s && verb_at(e, false) && !verb_at(e - 1, false) && !is_punct(e + 1) &&
                    !is_function_word(w(e + 1)))
                : !verb_at(e, false)))
      ++e;
    if (e == s && e < toks_.size() && !is_punct(e) && !is_function_word(w(e)) && !kManner.count(w(e)) &&
        !verb_at(e, false))
      ++e;
    return e == k ? k + (is_punct(k) ? 0 : 1) : e;
  }

  // ------------------------------------------------------------------ verb phrases
  // Parses one verb phrase at k for `subject`; returns false when nothing verb-like is there.
  bool parse_vp(size_t& k, const std::vector<int>& subject, VP& vp) {
    size_t s = k;
    // Prefix: auxiliaries, negation, manners, aspect verbs ("starts to", "keeps"), "there is".
    for (int guard = 0; guard < 12 && !is_punct(s); ++guard) {
      sv x = w(s);
      if (one_of(x, {"do", "does", "did", "has", "have", "had"}) &&
          (kDeterminers.count(w(s + 1)) || one_of(w(s + 1), {"nothing", "some", "jumping", "push", "sit"}) ||
           text::hand_noun(std::string(w(s + 1)))))
        break;  // "does a dance", "has a drink", "does nothing": a light verb, not an auxiliary
      if (kAux.count(x) || one_of(x, {"also", "just", "then", "suddenly", "immediately", "now", "still", "gonna",
                                      "first", "again", "both", "all", "each", "who", "that", "which"})) {
        // A copula followed by a mood ("is happy", "looks tired") is a mood clause.
        ++s;
        continue;
      }
      if (one_of(x, {"not", "never", "no", "longer"})) {
        vp.negated = true;
        ++s;
        continue;
      }
      if (x == "to" && verbish(s + 1)) {
        ++s;
        continue;
      }
      size_t before = s;
      if (apply_manner(s, vp)) {
        if (s == before) ++s;
        continue;
      }
      break;
    }
    // Copula + mood: "is happy", "looks sad", "seems tired", "gets angry".
    {
      size_t q = s;
      std::string lemma = lemma_of(q);
      if (!lemma.empty() && kCopula.count(lemma) && lemma != "turn") {
        size_t r = q + 1;
        VP tmp;
        if (apply_manner(r, tmp) && tmp.expression >= 0) {
          // a mood adjective, possibly followed by more ("happy and excited")
          vp.tempo *= tmp.tempo;
          vp.intensity *= tmp.intensity;
          vp.expression = tmp.expression;
          vp.mood_only = true;
          vp.action = act::idle;
          vp.verb = at(q).w;
          k = r;
          parse_complements(k, subject, vp);
          return true;
        }
      }
      // Bare mood with the copula already skipped ("is happy" where "is" was an aux).
      if (s > k && kAux.count(w(s - 1)) && kManner.count(w(s)) && kManner.at(w(s)).expression >= 0) {
        VP tmp;
        size_t r = s;
        apply_manner(r, tmp);
        vp.tempo *= tmp.tempo;
        vp.intensity *= tmp.intensity;
        vp.expression = tmp.expression;
        vp.mood_only = true;
        vp.action = act::idle;
        vp.verb = std::string(w(s));
        k = r;
        parse_complements(k, subject, vp);
        return true;
      }
    }
    if (s > k && vp.expression >= 0 && (is_punct(s) || one_of(w(s), {"and", "then", "while"})) && !verbish(s)) {
      // "is happy" already consumed as aux + manner
      vp.mood_only = true;
      vp.action = act::idle;
      vp.verb = std::string(w(s - 1));
      k = s;
      return true;
    }
    // Aspect verbs: "starts running", "begins to dance", "keeps walking", "stops to wave", "goes running".
    for (int guard = 0; guard < 3; ++guard) {
      std::string lemma = lemma_of(s);
      if (lemma.empty()) break;
      size_t nx = s + 1;
      if (w(nx) == "to") ++nx;
      while (kManner.count(w(nx)) && nx < s + 3) ++nx;
      bool next_verb = verbish(nx) && !kDeterminers.count(w(nx));
      if (lemma == "stop" || lemma == "quit" || lemma == "cease") {
        if (next_verb && w(s + 1) != "to" && at(nx).w.ends_with("ing")) {
          // "stops walking" -> idle
          vp.action = act::idle;
          vp.verb = at(s).w;
          k = nx + 1;
          parse_complements(k, subject, vp);
          return true;
        }
        if (next_verb && w(s + 1) == "to") {
          s = nx;
          continue;
        }
        break;
      }
      if (kAspect.count(lemma) && next_verb && (w(s + 1) == "to" || at(nx).w.ends_with("ing"))) {
        s = s + 1;
        if (w(s) == "to") ++s;
        continue;
      }
      if ((lemma == "go" || lemma == "come") && at(s + 1).w.ends_with("ing") && verbish(s + 1)) {
        ++s;
        continue;
      }
      break;
    }
    // Manners between aspect and verb ("starts slowly walking").
    for (int guard = 0; guard < 3; ++guard) {
      size_t before = s;
      if (!apply_manner(s, vp) || s == before) break;
    }
    if (is_punct(s)) return false;
    // Phrases: verb + particle(s) ("lies down", "shakes hands", "high-fives", "runs the bases").
    if (at(s).kind == Token::word && at(s).ascii) {
      auto bases = Lexicon::instance().verb_bases(at(s).w);
      for (const auto& ph : kPhrases) {
        if (std::find(bases.begin(), bases.end(), ph.verb) == bases.end()) continue;
        size_t q = s + 1;
        while (kManner.count(w(q)) && q < s + 3) ++q;  // "sits slowly down"
        if (one_of(w(q), {"it", "him", "her", "them", "this", "that"}) && w(q + 1) == ph.p1 &&
            one_of(ph.p1, {"up", "down", "off", "away", "over"}))
          ++q;  // "picks it up", "puts it down"
        if (w(q) != ph.p1) continue;
        if (!ph.p2.empty() && w(q + 1) != ph.p2) continue;
        size_t end = q + (ph.p2.empty() ? 1 : 2);
        vp.action = ph.action == kStandUp ? act::stand : ph.action;
        vp.stand_up = ph.action == kStandUp;
        vp.hint = {};
        vp.hint.action = vp.action;
        if (ph.dir != Direction::none) vp.dir = ph.dir;
        vp.verb = at(s).w + " " + std::string(ph.p1) + (ph.p2.empty() ? "" : " " + std::string(ph.p2));
        vp.lemma = std::string(ph.verb);
        k = end;
        parse_complements(k, subject, vp);
        return true;
      }
    }
    // Light verbs with an activity noun: "takes a walk", "does a dance", "gives a high five", "goes for a swim",
    // "throws a punch", "plays basketball", "bursts into tears".
    {
      std::string lemma = lemma_of(s);
      if (!lemma.empty() && (kLight.count(lemma) || lemma == "burst")) {
        size_t q = s + 1;
        if (one_of(w(q), {"for", "into", "in", "out", "off", "up"}) && lemma != "pull") ++q;
        if (lemma == "pull" && w(q) == "off") ++q;
        if (lemma == "play" && kSports.count(w(q))) {
          vp.action = kSports.at(w(q));
          if (w(q) == "catch") vp.pass = true;
          vp.verb = at(s).w + " " + at(q).w;
          vp.lemma = "play";
          k = q + 1;
          parse_complements(k, subject, vp);
          return true;
        }
        if (lemma == "burst" && w(q) == "tears") {
          vp.action = act::cry;
          vp.verb = "bursts into tears";
          k = q + 1;
          parse_complements(k, subject, vp);
          return true;
        }
        // An indirect object before the activity: "gives the boy a high five", "gives her a hug".
        std::vector<int> indirect;
        if (one_of(lemma, {"give", "throw", "pass", "offer"})) {
          NP io = parse_np(q, true);
          if (io.type != NP::none && np_is_figure(io) && io.end > q &&
              (kDeterminers.count(w(io.end)) || text::hand_noun(std::string(w(io.end))))) {
            indirect = resolve(io, subject);
            q = io.end;
          }
        }
        size_t d = q;
        if (kDeterminers.count(w(d)) || one_of(w(d), {"some", "few"})) ++d;
        while (d < q + 4 && !is_punct(d + 1) && !text::hand_noun(std::string(w(d))) &&
               !text::hand_noun(std::string(w(d)) + " " + std::string(w(d + 1))) &&
               (one_of(w(d), {"first", "last", "next", "final", "own", "very"}) || adjective(w(d))) &&
               !kManner.count(w(d)))
          ++d;  // "takes its first steps", "does a perfect cartwheel"
        if (one_of(w(d), {"few", "couple", "quick", "little", "short", "long", "big", "small", "brief", "nice",
                          "slow", "fast", "happy", "final", "victory", "single", "second", "deep"}) &&
            !(one_of(w(d), {"victory"}) )) {
          // adjectives inside the noun phrase become manners when they are manners
          size_t tmpk = d;
          if (kManner.count(w(d))) apply_manner(tmpk, vp);
          if (w(d) == "brief" || w(d) == "short" || w(d) == "quick") {
            if (w(d) == "brief") vp.dur = {Dur::exact, 1.f, 1.f};
          }
          ++d;
          if (w(d) == "of") ++d;
        }
        // Compound activity nouns first ("high five", "jumping jacks", "victory dance").
        for (size_t len : {3u, 2u, 1u}) {
          std::string phrase;
          bool ok = true;
          for (size_t j = 0; j < len; ++j) {
            if (is_punct(d + j)) { ok = false; break; }
            if (j) phrase += ' ';
            phrase += at(d + j).w;
          }
          if (!ok) continue;
          std::optional<text::LexMatch> m;
          if (len > 1) {
            if (const auto* h = text::hand_noun(phrase)) m = text::LexMatch{*h, 0.f, phrase, "lexicon"};
            // "push ups" written as "pushups"/"push-ups" also lands here after hyphen splitting.
          } else if (!kKinds.count(at(d).w) && !kBallWords.count(at(d).w)) {
            auto nm = Lexicon::instance().noun(at(d).w, open_vocab_);
            if (nm && nm->cost <= kMaxWordnetCost) m = nm;
          }
          if (m) {
            set_action(vp, *m, at(s).w + " " + phrase);
            for (int id : indirect) vp.objects.push_back(id);
            k = d + len;
            if (m->hint.action == act::throwing && (lemma == "play")) vp.pass = true;
            parse_complements(k, subject, vp);
            return true;
          }
        }
      }
    }
    // The main verb.
    auto m = verb_at(s, true);
    if (!m) {
      // Not a known action. If it still looks like a verb, consume it (and its complements) so the rest of the
      // sentence parses, and report it.
      if (verbish(s) && !kDeterminers.count(w(s))) {
        vp.unknown = true;
        vp.verb = at(s).w;
        k = s + 1;
        parse_complements(k, subject, vp);
        return true;
      }
      return false;
    }
    std::string lemma = m->lemma;
    vp.verb = at(s).w;
    vp.lemma = lemma;
    size_t e = s + 1;
    if (lemma == "rise" || lemma == "arise") vp.stand_up = true;
    set_action(vp, *m, at(s).w);
    if (one_of(lemma, {"chase", "pursue"})) vp.chase = true;
    if (one_of(lemma, {"throw", "toss", "pass", "lob", "fling", "hurl", "chuck"})) vp.pass = true;
    k = e;
    parse_complements(k, subject, vp);
    return true;
  }

  void set_action(VP& vp, const text::LexMatch& m, std::string verb) {
    vp.action = m.hint.action;
    vp.hint = m.hint;
    vp.tempo *= m.hint.tempo;
    vp.intensity *= m.hint.intensity;
    if (m.hint.expression >= 0 && vp.expression < 0) vp.expression = m.hint.expression;
    if (m.hint.direction != Direction::none) vp.dir = m.hint.direction;
    vp.verb = std::move(verb);
    if (m.lemma.size()) vp.lemma = m.lemma;
  }

  std::string lemma_of(size_t k) const {
    const Token& t = at(k);
    if (t.kind != Token::word || !t.ascii) return "";
    auto& lex = Lexicon::instance();
    auto bases = lex.verb_bases(t.w);
    // Prefer a base that is a known verb (hand lexicon or closed classes).
    for (const auto& b : bases)
      if (kLight.count(b) || kAspect.count(b) || kCopula.count(b) || text::hand_verb(b) || b == "burst" ||
          b == "cease")
        return b;
    return bases.empty() ? "" : bases[0];
  }

  // Complements after the verb, up to the next clause boundary.
  void parse_complements(size_t& k, const std::vector<int>& subject, VP& vp) {
    verb_end_ = k;
    for (int guard = 0; guard < 40 && !is_end(k); ++guard) {
      if (is_punct(k)) return;
      sv x = w(k);
      // Clause boundaries.
      if (x == "next" && w(k + 1) == "to") {
        k = skip_object(k + 2);  // "sits next to him"
        continue;
      }
      if (one_of(x, {"and", "or", "but", "then", "meanwhile", "afterwards", "afterward", "finally", "later",
                     "next", "until", "till", "because", "so", "whilst", "lastly", "eventually", "who", "which"}))
        return;
      if (x == "while") {
        // "while waving" (same figure, layered) vs "while the woman dances" (another clause).
        size_t q = k + 1;
        if (verb_at(q, true) && !looks_like_name(q) && parse_np(q, false).type == NP::none) {
          VP inner;
          size_t r = q;
          if (parse_vp(r, subject, inner) && inner.action >= 0 && !inner.unknown) {
            vp.overlay = inner.action;
            if (vp.expression < 0 && inner.expression >= 0) vp.expression = inner.expression;
            k = r;
            continue;
          }
        }
        return;
      }
      if (one_of(x, {"as", "when", "once", "before", "after"})) {
        if (x == "once" || x == "after") {
          int reps = 0;
          size_t q = k;
          if (x == "once" && parse_repeats(q, reps)) {
            vp.repeats = reps;
            k = q;
            continue;
          }
          if (x == "after" && vp.chase) {
            size_t q2 = k;
            if (parse_direction(q2, vp, subject)) {
              k = q2;
              continue;
            }
          }
        }
        if (x == "as" && one_of(w(k + 1), {"fast", "quickly", "hard"})) {
          size_t q = k;
          if (apply_manner(q, vp)) {
            k = q;
            continue;
          }
        }
        return;
      }
      // Fixed expressions.
      if ((x == "up" && w(k + 1) == "and" && w(k + 2) == "down") ||
          (x == "side" && w(k + 1) == "to" && w(k + 2) == "side") ||
          (x == "to" && w(k + 1) == "and" && w(k + 2) == "fro") ||
          (x == "in" && w(k + 1) == "place") || (x == "on" && w(k + 1) == "the" && w(k + 2) == "spot")) {
        k += (x == "in") ? 2 : 3;
        continue;
      }
      if (x == "back" && w(k + 1) == "and" && one_of(w(k + 2), {"forth", "forward"})) {
        vp.back_and_forth = true;
        if (vp.action != act::throwing && !vp.pass) vp.dir = Direction::around;
        k += 3;
        continue;
      }
      if (one_of(x, {"each", "one"}) && one_of(w(k + 1), {"other", "another"})) {
        vp.each_other = true;
        k += 2;
        continue;
      }
      if (x == "together") {
        vp.together = true;
        ++k;
        continue;
      }
      if (x == "on" && (one_of(w(k + 1), {"knee", "knees"}) ||
                        (one_of(w(k + 1), {"one", "his", "her", "their", "both", "a"}) &&
                         one_of(w(k + 2), {"knee", "knees"})))) {
        if (vp.action == act::crouch || vp.action == act::idle || vp.action == act::sit || vp.action == act::fall ||
            vp.action == act::stand || vp.action == act::get_up)
          vp.action = act::kneel;
        k += one_of(w(k + 1), {"knee", "knees"}) ? 2 : 3;
        continue;
      }
      if (x == "again") {
        ++k;
        continue;
      }
      {
        Dur d;
        size_t q = k;
        if (parse_duration(q, d)) {
          vp.dur = d;
          k = q;
          continue;
        }
      }
      {
        int reps = 0;
        size_t q = k;
        if (parse_repeats(q, reps)) {
          vp.repeats = reps;
          k = q;
          continue;
        }
      }
      {
        size_t q = k;
        if (apply_manner(q, vp)) {
          k = q;
          continue;
        }
      }
      {
        size_t q = k;
        if (parse_direction(q, vp, subject)) {
          k = q;
          continue;
        }
      }
      if (x == "with") {
        // "with Bob" (companion), "with a ball" (object), "with each other".
        size_t q = k + 1;
        if (one_of(w(q), {"each", "one"}) && one_of(w(q + 1), {"other", "another"})) {
          vp.each_other = true;
          k = q + 2;
          continue;
        }
        std::vector<NP> nps;
        size_t end = q;
        if (parse_np_list(q, nps, end, true) && np_is_partner(nps[0], vp)) {
          for (const auto& np : nps)
            for (int id : resolve(np, subject))
              if (std::find(subject.begin(), subject.end(), id) == subject.end()) vp.with.push_back(id);
          k = end;
          continue;
        }
        size_t e = skip_object(q);
        note_object(q, e, vp, false);
        k = std::max(e, q);
        continue;
      }
      // Object: a figure ("hugs Bob", "chases the woman", "high-fives her") or a thing ("kicks a ball").
      {
        if (one_of(x, {"him", "her", "them", "it", "himself", "herself", "themselves"}) ||
            looks_like_name(k) || kDeterminers.count(x) || kKinds.count(x) ||
            at(k).kind == Token::number || kNumberWords.count(x)) {
          std::vector<NP> nps;
          size_t end = k;
          bool listed = parse_np_list(k, nps, end, true);
          // "... waves the man walks": no punctuation, but a new subject with its own verb starts here.
          // In "punches a man, and the man falls" only the last noun phrase is that subject.
          if (listed && verb_start(end) && !one_of(w(end), {"and", "then"})) {
            if (nps.size() == 1 && nps[0].type != NP::pron) return;
            if (nps.size() > 1) {
              size_t last_start = nps.back().start;
              nps.pop_back();
              end = last_start;
              while (end > k && one_of(w(end - 1), {"and", ","})) --end;
            }
          }
          if (listed && np_is_partner(nps[0], vp) &&
              !one_of(x, {"himself", "herself", "themselves"})) {
            for (const auto& np : nps)
              for (int id : resolve(np, subject))
                if (std::find(vp.objects.begin(), vp.objects.end(), id) == vp.objects.end()) vp.objects.push_back(id);
            k = end;
            if (w(k) == "'s") {
              ++k;
              k = skip_object(k);
            }
            continue;
          }
          if (one_of(x, {"himself", "herself", "themselves", "it"})) {
            ++k;
            continue;
          }
          size_t e = skip_object(k);
          note_object(k, e, vp, true);
          if (e > k) {
            k = e;
            continue;
          }
        }
      }
      // A gerund after the verb layers a second action: "walks away laughing", "sits reading".
      if (at(k).w.size() > 4 && at(k).w.ends_with("ing")) {
        auto g = verb_at(k, false);
        if (g && g->hint.action != vp.action) {
          vp.overlay = g->hint.action;
          ++k;
          continue;
        }
      }
      // A bare verb with no connector starts the next verb phrase ("walks jumps"), unless it can be a noun
      // object right after the verb ("eats lunch", "drinks coffee").
      if (at(k).hyphen_next) {
        k += 2;  // a hyphenated compound ("cross-legged", "slow-motion") is a modifier, not a new verb
        continue;
      }
      if (verb_at(k, false) && !kPrepositions.count(x)) {
        if (k == verb_end_ && Lexicon::instance().noun(x, false) && !verb_start(k + 1)) {
          ++k;
          continue;
        }
        return;
      }
      // A new subject with its verb ("a man walks the woman runs") ends this phrase.
      if (kPrepositions.count(x)) {
        // A prepositional phrase about a place or thing: skip it (just the preposition when another
        // preposition or a direction follows: "walks in from the left").
        if (is_function_word(w(k + 1)) && !kDeterminers.count(w(k + 1)) && !kNumberWords.count(w(k + 1))) {
          ++k;
          continue;
        }
        k = skip_object(k + 1);
        continue;
      }
      ++k;  // unknown word: ignore
    }
  }

  // ------------------------------------------------------------------ clauses
  struct Conn {
    bool sentence = false, then = false, par = false;
    Sub sub = Sub::none;       // a subordinating word at the start of a clause
    bool before = false;       // "X before Y"
    bool after = false;        // "X after Y" / "X when Y"
  };

  Conn read_connectors(size_t& k) {
    Conn c;
    for (int guard = 0; guard < 12 && !is_end(k); ++guard) {
      sv x = w(k);
      if (at(k).kind == Token::punct) {
        if (x != ",") c.sentence = true;
        ++k;
        continue;
      }
      if (one_of(x, {"and", "but", "or", "so", "plus"})) { ++k; continue; }
      if (one_of(x, {"then", "next", "afterwards", "afterward", "later", "finally", "lastly", "eventually",
                     "subsequently", "thereafter"}) && !(x == "next" && w(k + 1) == "to")) {
        c.then = true;
        ++k;
        if (w(k) == "on") ++k;  // "later on"
        continue;
      }
      if (x == "after" && one_of(w(k + 1), {"that", "this", "which", "a", "some", "all", "these"}) &&
          !(w(k + 1) == "a" && !one_of(w(k + 2), {"while", "moment", "bit", "pause"}))) {
        c.then = true;
        k += 2;
        if (one_of(w(k - 1), {"a", "some"})) ++k;  // "after a while", "after some time"
        continue;
      }
      if (one_of(x, {"soon", "shortly"}) && one_of(w(k + 1), {"after", "afterwards"})) {
        c.then = true;
        k += 2;
        continue;
      }
      if ((x == "at" || x == "in") && w(k + 1) == "the" && w(k + 2) == "end") {
        c.then = true;
        k += 3;
        continue;
      }
      if (x == "at" && w(k + 1) == "last") { c.then = true; k += 2; continue; }
      if (x == "to" && one_of(w(k + 1), {"finish", "end", "conclude"})) { c.then = true; k += 2; continue; }
      if (one_of(x, {"meanwhile", "simultaneously", "concurrently"})) { c.par = true; ++k; continue; }
      if ((x == "in" && w(k + 1) == "the" && w(k + 2) == "meantime")) { c.par = true; k += 3; continue; }
      if (x == "at" && w(k + 1) == "the" && w(k + 2) == "same" && w(k + 3) == "time") { c.par = true; k += 4; continue; }
      if (x == "all" && w(k + 1) == "the" && w(k + 2) == "while") { c.par = true; k += 3; continue; }
      if (one_of(x, {"first", "firstly", "initially", "suddenly", "now", "also", "again", "once", "here", "there",
                     "today", "outside", "inside", "somewhere"}) &&
          !(x == "once" && !is_punct(k + 1) && verb_start_or_subject(k + 1)) && !(x == "there" && kAux.count(w(k + 1)))) {
        if (x == "once") {
          c.sub = Sub::after;
        }
        ++k;
        continue;
      }
      if (x == "at" && one_of(w(k + 1), {"first", "once"})) { k += 2; continue; }
      if (x == "to" && one_of(w(k + 1), {"start", "begin"})) { k += 2; if (w(k) == "with") ++k; continue; }
      if (one_of(x, {"while", "whilst", "as", "during"})) {
        if (c.sentence || k == 0) c.sub = Sub::par;
        else c.par = true;
        ++k;
        continue;
      }
      if (one_of(x, {"before"})) {
        if (c.sentence || k == 0) c.sub = Sub::before;
        else c.before = true;
        ++k;
        continue;
      }
      if (one_of(x, {"until", "till"})) {
        c.then = true;
        ++k;
        continue;
      }
      if (one_of(x, {"after", "when", "once", "whenever"})) {
        if (c.sentence || k == 0) c.sub = Sub::after;
        else c.after = true;
        ++k;
        continue;
      }
      break;
    }
    return c;
  }
  bool verb_start_or_subject(size_t k) const {
    NP np = parse_np(k, false);
    return np.type != NP::none || verbish(k);
  }

  void parse() {
    size_t k = 0;
    std::vector<int> subject;  // the current subject (empty = default figure, created lazily)
    bool first = true;
    Sub pending_sub = Sub::none;
    int sub_clause = -1;
    int guard = 0;
    while (k < toks_.size() && guard++ < 2000) {
      size_t k0 = k;
      Conn c = read_connectors(k);
      if (first) c.sentence = true;
      if (c.sub != Sub::none) {
        pending_sub = c.sub;
        sub_clause = -1;
      }
      if (is_end(k)) break;
      // A duration before its clause: "For three seconds, a woman claps".
      Dur lead;
      {
        size_t q = k;
        if (w(q) == "for" && parse_duration(q, lead)) {
          k = q;
          if (w(k) == ",") ++k;
        } else {
          lead = {};
        }
      }
      // Subject?
      std::vector<int> subj;
      bool explicit_subject = false;
      size_t s = k;
      if (w(s) == "there" && kAux.count(w(s + 1))) s += 2;  // "there is a man ..."
      {
        std::vector<NP> nps;
        size_t end = s;
        if (parse_np_list(s, nps, end, true)) {
          size_t after = end;
          if (verb_start(after) || (w(after) == "," && verb_start(after + 1)) ||
              (one_of(w(after), {"who", "that"}) && verb_start(after + 1))) {
            bool figure = true;
            for (const auto& np : nps)
              if (!np_is_figure(np) && !(np.type == NP::fresh && Lexicon::instance().animate_class(np.noun) == 2))
                figure = false;
            if (figure) {
              for (const auto& np : nps)
                for (int id : resolve(np))
                  if (std::find(subj.begin(), subj.end(), id) == subj.end()) subj.push_back(id);
              explicit_subject = !subj.empty();
              k = end;
              if (w(k) == ",") ++k;
              if (explicit_subject) {
                for (const auto& np : nps)
                  if (np.type == NP::fresh && !kKinds.count(np.noun) && !np.noun.empty() &&
                      Lexicon::instance().animate_class(np.noun) == 2)
                    warn("'" + np.noun + "' is drawn as a stick figure");
              }
            }
          }
        }
      }
      if (!explicit_subject) {
        // A scene set up without a verb: "Two people in a park." / "Alice and Bob:" introduces the figures.
        std::vector<NP> nps;
        size_t end = s;
        if (parse_np_list(s, nps, end, true)) {
          bool intro = true;
          for (const auto& np : nps)
            if (!(np.type == NP::fresh || np.type == NP::named) || !np_is_figure(np)) intro = false;
          size_t e = end;
          while (!is_punct(e) && (kPrepositions.count(w(e)) || kDeterminers.count(w(e)) ||
                                  !verb_at(e, false)) && e < end + 6)
            ++e;
          if (intro && is_punct(e)) {
            for (const auto& np : nps)
              for (int id : resolve(np))
                if (std::find(subj.begin(), subj.end(), id) == subj.end()) subj.push_back(id);
            subject = subj;
            if (subj.size() > 1) last_group_ = subj;
            k = e;
            first = false;
            continue;
          }
        }
      }
      if (explicit_subject) {
        subject = subj;
        if (subj.size() > 1) last_group_ = subj;
      }
      // Verb phrase(s) for the subject.
      std::vector<int> who = subject;
      bool pending = false;
      if (who.empty()) {
        if (pending_sub != Sub::none && sub_clause < 0) {
          pending = true;  // "Before jumping, she crouches": the subject comes later
        } else {
          who = {default_actor()};
          subject = who;
        }
      }
      bool made_default = !explicit_subject && actors_.size() == 1 && clauses_.empty() && last_group_.empty() &&
                          subject == who && actors_[0].kind == "person" && actors_[0].noun.empty() &&
                          !actors_[0].named && fresh_default_;
      fresh_default_ = false;
      size_t actors_before = actors_.size();
      VP vp;
      size_t v = k;
      bool got = parse_vp(v, pending ? std::vector<int>{} : who, vp);
      if (!got && has_last_vp_ && !who.empty()) {
        // Ellipsis: "walks quickly, then slowly" repeats the last action with new modifiers.
        VP again;
        size_t q = k;
        bool any = false;
        for (int guard = 0; guard < 4 && !is_punct(q); ++guard) {
          size_t before = q;
          Dur d;
          int reps = 0;
          if (apply_manner(q, again) || parse_direction(q, again, who)) any = true;
          else if (parse_duration(q, d)) { again.dur = d; any = true; }
          else if (parse_repeats(q, reps)) { again.repeats = reps; any = true; }
          if (q == before) break;
        }
        if (any && (is_punct(q) || one_of(w(q), {"and", "then", "while", "before", "after"}))) {
          VP copy = last_vp_;
          copy.tempo = again.tempo * last_vp_.hint.tempo;
          copy.intensity = again.intensity * last_vp_.hint.intensity;
          copy.expression = again.expression >= 0 ? again.expression : last_vp_.hint.expression;
          copy.dir = again.dir != Direction::none ? again.dir : last_vp_.hint.direction;
          copy.targets = again.targets;
          copy.dur = again.dur;
          copy.repeats = again.repeats;
          copy.overlay = -1;
          vp = copy;
          v = q;
          got = true;
        }
      }
      if (!got) {
        // A bare activity noun ("a jump, then a spin"), else skip a token.
        size_t q = k;
        if (kDeterminers.count(w(q))) ++q;
        auto nm = (!is_punct(q) && !kKinds.count(w(q))) ? Lexicon::instance().noun(w(q), false) : std::nullopt;
        if (nm && (is_punct(q + 1) || one_of(w(q + 1), {"and", "then", "while", "for"}))) {
          if (who.empty()) {
            who = {default_actor()};
            subject = who;
            pending = false;
          }
          set_action(vp, *nm, std::string(w(q)));
          v = q + 1;
          parse_complements(v, who, vp);
          got = true;
        }
      }
      // A figure conjured up for words that turned out to mean nothing is withdrawn.
      auto withdraw_default = [&] {
        if (made_default && actors_.size() == actors_before && actors_.size() == 1 && clauses_.empty()) {
          actors_.clear();
          subject.clear();
        }
      };
      if (!got || vp.unknown || vp.action < 0) withdraw_default();
      if (!got) {
        if (at(k).kind == Token::word && at(k).ascii && !is_function_word(w(k)) && !kKinds.count(w(k)) &&
            !kNames.count(w(k)) && !kManner.count(w(k)) && at(k).w.size() > 1)
          ignored_.push_back(at(k).w);
        k = std::max(k + 1, k0 + 1);
        first = false;
        continue;
      }
      k = std::max(v, k + 1);
      first = false;
      if (vp.unknown) {
        ignored_.push_back(vp.verb);
        continue;
      }
      if (vp.action < 0) continue;
      if (lead.kind != Dur::none && vp.dur.kind == Dur::none) vp.dur = lead;
      // Build the clause(s).
      Link link = c.then ? Link::then : c.par ? Link::par : Link::seq;
      // A reaction: "X punches Y, and Y falls" -- the figure acted upon responds after the act.
      if (link == Link::seq && !c.sentence && explicit_subject && !clauses_.empty() && !pending) {
        const Clause& prev = clauses_.back();
        std::set<int> acted_on;
        for (const auto& [a, st] : prev.steps)
          if (std::find(prev.subject.begin(), prev.subject.end(), a) != prev.subject.end() && st.target >= 0 &&
              !prev.sync)
            acted_on.insert(st.target);
        bool all = !who.empty();
        for (int a : who) all = all && acted_on.count(a);
        if (all) link = Link::then;
      }
      last_vp_ = vp;
      has_last_vp_ = true;
      size_t before_count = clauses_.size();
      build_clauses(vp, pending ? std::vector<int>{} : who, link, pending);
      if (clauses_.size() == before_count) continue;
      // Subordinate clause bookkeeping ("After X, Y", "Before X, Y", "While X, Y").
      if (c.sub != Sub::none) {
        sub_clause = static_cast<int>(before_count);
        clauses_[before_count].sub = c.sub;
      } else if (pending_sub != Sub::none && sub_clause >= 0 && static_cast<int>(before_count) > sub_clause) {
        resolve_subordinate(sub_clause, static_cast<int>(before_count), pending_sub);
        pending_sub = Sub::none;
        sub_clause = -1;
      }
      // "X before Y": Y follows; "X after Y" / "X when Y": Y goes first.
      if (c.before) clauses_[before_count].link = Link::then;
      if (c.after && before_count > 0) swap_last(static_cast<int>(before_count));
    }
    // Subjects still pending (a sub-clause with no main clause): give them the current figure.
    for (auto& cl : clauses_)
      if (cl.subject_pending) fill_pending(cl, {default_actor()});
  }

  void fill_pending(Clause& cl, const std::vector<int>& who) {
    cl.subject = who;
    std::vector<std::pair<int, Step>> steps;
    for (auto& [a, st] : cl.steps)
      if (a < 0)
        for (int id : who) steps.push_back({id, st});
      else
        steps.push_back({a, st});
    cl.steps = std::move(steps);
    cl.subject_pending = false;
  }

  // sub: clauses [sub_first, main_first) form the subordinate clause, [main_first, end) the main one.
  void resolve_subordinate(int sub_first, int main_first, Sub kind) {
    auto main_subject = clauses_[main_first].subject;
    for (int i = sub_first; i < main_first; ++i)
      if (clauses_[i].subject_pending) fill_pending(clauses_[i], main_subject);
    Link sub_link = clauses_[sub_first].link;
    if (kind == Sub::after) {
      clauses_[main_first].link = Link::then;
    } else if (kind == Sub::par) {
      clauses_[main_first].link = Link::par;
    } else if (kind == Sub::before) {
      // "Before Y, X" -> X then Y: move the main clauses in front of the subordinate ones.
      std::vector<Clause> moved(clauses_.begin() + main_first, clauses_.end());
      clauses_.erase(clauses_.begin() + main_first, clauses_.end());
      moved.front().link = sub_link;
      clauses_[sub_first].link = Link::then;
      clauses_.insert(clauses_.begin() + sub_first, moved.begin(), moved.end());
    }
  }

  void swap_last(int newest) {
    // clauses_[newest..] are the "after" clause; they go before clause newest-1.
    int prev = newest - 1;
    if (prev < 0) return;
    Link prev_link = clauses_[prev].link;
    std::vector<Clause> moved(clauses_.begin() + newest, clauses_.end());
    clauses_.erase(clauses_.begin() + newest, clauses_.end());
    moved.front().link = prev_link;
    clauses_[prev].link = Link::then;
    clauses_.insert(clauses_.begin() + prev, moved.begin(), moved.end());
  }

  Step make_step(const VP& vp, int actor, int action) const {
    Step st;
    st.action = action;
    st.tempo = vp.tempo;
    st.intensity = vp.intensity;
    st.expression = vp.expression;
    st.dir = vp.dir;
    st.repeats = vp.repeats;
    st.overlay = vp.overlay >= 0 && vp.overlay != action ? vp.overlay : -1;
    st.verb = vp.verb;
    st.dur = vp.dur;
    st.stand_up = vp.stand_up;
    if (actor >= 0 && actor < static_cast<int>(actors_.size())) {
      const Actor& a = actors_[actor];
      st.tempo *= a.mood_tempo;
      st.intensity *= a.mood_intensity;
      if (st.expression < 0) st.expression = a.mood_expression;
    }
    // Keep the main action the one the legs do; layer the gesture on top.
    if (st.overlay >= 0 && upper_body(st.action) && !upper_body(st.overlay)) std::swap(st.action, st.overlay);
    if (st.repeats > 0 && st.dur.kind == Dur::none) {
      st.dur.kind = Dur::exact;
      st.dur.seconds = static_cast<float>(st.repeats) / std::clamp(st.tempo, 0.25f, 4.f);
    }
    return st;
  }

  void build_clauses(VP vp, std::vector<int> who, Link link, bool pending) {
    if (vp.negated) {
      vp.action = act::idle;
      vp.overlay = -1;
    }
    if (vp.action == act::kick && vp.object_noun == "ball") vp.action = act::kicking;
    if (vp.action == act::punch && vp.lemma != "punch" && (vp.object_noun == "ball" || vp.object_noun == "bat"))
      vp.action = act::batting;  // "hits the ball with a bat"
    if ((vp.action == act::run || vp.action == act::sprint || vp.action == act::walk) && vp.object_noun == "bases")
      vp.action = act::running_bases;
    if (vp.action == act::kicking && (!vp.targets.empty() || !vp.objects.empty())) vp.pass = vp.pass || !vp.targets.empty();
    int action = vp.action;
    auto add = [&](std::vector<std::pair<int, Step>> steps, bool sync, Link l, std::vector<int> subj) {
      Clause c;
      c.subject = std::move(subj);
      c.steps = std::move(steps);
      c.sync = sync;
      c.link = l;
      c.subject_pending = pending;
      for (auto& [a, st] : c.steps)
        if (a >= 0 && a < static_cast<int>(actors_.size())) actors_[a].last_action = st.action;
      clauses_.push_back(std::move(c));
    };
    if (pending) {
      // Subject unknown yet: one placeholder step (actor -1) filled in later.
      add({{-1, make_step(vp, -1, action)}}, false, link, {});
      return;
    }
    // Partners: objects, "with X", "each other"/"together" within a group.
    std::vector<int> partners = vp.objects;
    for (int id : vp.with)
      if (std::find(partners.begin(), partners.end(), id) == partners.end()) partners.push_back(id);
    if (action >= 0 && action_info(action).interaction)
      for (int id : vp.targets)  // "shakes hands with", "high-fives to" -> partner
        if (std::find(partners.begin(), partners.end(), id) == partners.end()) partners.push_back(id);
    auto partner_in_group = [&](int a) {
      // the next member of the subject group
      auto it = std::find(who.begin(), who.end(), a);
      if (who.size() < 2 || it == who.end()) return -1;
      size_t i = static_cast<size_t>(it - who.begin());
      return who[(i % 2 == 0) ? (i + 1 < who.size() ? i + 1 : i - 1) : i - 1];
    };
    bool interaction = action >= 0 && action_info(action).interaction;
    // Chase: chaser runs toward, the chased runs away.
    if (vp.chase) {
      std::vector<int> chased = !vp.objects.empty() ? vp.objects : vp.targets;
      if (chased.empty() && who.size() >= 2) {  // "they chase each other": the first chases the second
        chased = {who[1]};
        who = {who[0]};
      }
      if (!chased.empty()) {
        std::vector<std::pair<int, Step>> steps;
        for (int a : who) {
          Step st = make_step(vp, a, vp.action);
          st.dir = Direction::toward;
          st.target = chased[0];
          steps.push_back({a, st});
        }
        for (int b : chased) {
          VP fl = vp;
          fl.expression = vp.expression >= 0 ? vp.expression : 3;  // surprised
          fl.overlay = -1;
          Step st = make_step(fl, b, vp.action == act::walk ? act::walk : act::run);
          st.dir = Direction::away;
          st.target = who[0];
          st.verb = "flees";
          steps.push_back({b, st});
        }
        std::vector<int> subj = who;
        subj.insert(subj.end(), chased.begin(), chased.end());
        add(std::move(steps), true, link, subj);
        return;
      }
    }
    // Passing a ball: thrower throws, receiver catches (at the same time); groups exchange both ways.
    if (vp.pass && (action == act::throwing || action == act::catching)) {
      std::vector<int> recv = vp.targets;
      for (int id : vp.objects)
        if (std::find(recv.begin(), recv.end(), id) == recv.end()) recv.push_back(id);
      for (int id : vp.with)
        if (std::find(recv.begin(), recv.end(), id) == recv.end()) recv.push_back(id);
      bool exchange = false;
      if (recv.empty() && who.size() >= 2) {
        recv = {who[1]};
        who = {who[0]};
        exchange = true;
      }
      if (vp.each_other || vp.back_and_forth || vp.lemma == "play") exchange = exchange || !recv.empty();
      if (!recv.empty()) {
        int a = who[0], b = recv[0];
        auto pass = [&](int from, int to, Link l, bool halve) {
          VP t = vp;
          if (halve && t.dur.kind == Dur::exact) t.dur.seconds *= 0.5f;
          Step th = make_step(t, from, act::throwing);
          th.target = to;
          Step ca = make_step(t, to, act::catching);
          ca.target = from;
          ca.verb = "catches";
          ca.overlay = -1;
          add({{from, th}, {to, ca}}, true, l, {from, to});
        };
        pass(a, b, link, exchange);
        if (exchange) pass(b, a, Link::seq, true);
        return;
      }
    }
    // Interactions (handshake, hug, high five, fight): both sides do it at the same time, facing each other.
    if (interaction) {
      std::vector<std::pair<int, Step>> steps;
      std::vector<int> subj = who;
      if (!partners.empty()) {
        for (int a : who) {
          Step st = make_step(vp, a, action);
          st.target = partners[0];
          steps.push_back({a, st});
        }
        for (int b : partners) {
          if (std::find(subj.begin(), subj.end(), b) != subj.end()) continue;
          Step st = make_step(vp, b, action);
          st.target = who[0];
          st.overlay = -1;
          steps.push_back({b, st});
          subj.push_back(b);
        }
      } else if (who.size() >= 2) {
        for (int a : who) {
          Step st = make_step(vp, a, action);
          st.target = partner_in_group(a);
          steps.push_back({a, st});
        }
      } else {
        Step st = make_step(vp, who[0], action);
        int other = actors_.size() == 2 ? 1 - who[0] : -1;
        if (other >= 0) {
          st.target = other;
          Step st2 = make_step(vp, other, action);
          st2.target = who[0];
          st2.overlay = -1;
          steps.push_back({who[0], st});
          steps.push_back({other, st2});
          subj.push_back(other);
        } else {
          warn(std::string(action_name(action)) + " needs a partner; none was named");
          steps.push_back({who[0], st});
        }
      }
      add(std::move(steps), steps.size() > 1 || subj.size() > 1, link, subj);
      return;
    }
    // Everything else: each subject figure does it; companions ("with X") join in at the same time.
    std::vector<std::pair<int, Step>> steps;
    std::vector<int> subj = who;
    for (int a : who) {
      Step st = make_step(vp, a, action);
      if (!vp.targets.empty()) st.target = vp.targets[0] != a ? vp.targets[0] : -1;
      else if (!vp.objects.empty()) st.target = vp.objects[0] != a ? vp.objects[0] : -1;
      bool conversation = action == act::talk || action == act::whisper || vp.lemma == "argue";
      if ((vp.each_other || vp.together || conversation ||
           (vp.dir == Direction::toward && vp.targets.empty() && vp.objects.empty())) &&
          who.size() >= 2 && vp.targets.empty() && vp.objects.empty()) {
        st.target = partner_in_group(a);
        if (vp.each_other && st.dir == Direction::none && locomotive(action)) st.dir = Direction::toward;
      }
      steps.push_back({a, st});
    }
    for (int b : vp.with) {
      if (std::find(subj.begin(), subj.end(), b) != subj.end()) continue;
      Step st = make_step(vp, b, action);
      st.target = who[0];
      steps.push_back({b, st});
      subj.push_back(b);
      for (auto& [a, s0] : steps)
        if (a != b && s0.target < 0) s0.target = b;
    }
    // A figure named only as an object of a gesture still exists (it idles); its facing follows later.
    bool sync = !vp.with.empty();
    add(std::move(steps), sync, link, subj);
  }

  // ------------------------------------------------------------------ scheduling
  struct Phase {
    std::vector<std::vector<Step>> per_actor;
  };

  void schedule_and_build() {
    if (actors_.empty()) default_actor();
    const int n = static_cast<int>(actors_.size());
    if (clauses_.empty()) {
      if (!ignored_.empty()) warn(ignored_summary());
      else if (plan_.warnings.empty() || !toks_.empty()) warn("no action recognised in the prompt; the figure idles");
    } else if (!ignored_.empty()) {
      warn(ignored_summary());
    }
    if (!Lexicon::instance().has_wordnet() && !ignored_.empty())
      warn("WordNet not found (" + Lexicon::instance().wordnet_problem() + "); only the built-in word list was used");

    std::vector<Phase> phases(1);
    auto ensure = [&](int p) {
      while (static_cast<int>(phases.size()) <= p) phases.emplace_back();
      for (auto& ph : phases) ph.per_actor.resize(n);
    };
    ensure(0);
    std::vector<int> last_phase(n, 0), locked(n, -1);
    std::vector<int> step_count(n, 0), last_action(n, -1);
    bool capped = false;

    auto split_before = [&](Clause& c) {
      // Make clause c begin a phase: move its steps (and anything after them) to a new phase p+1.
      int p = c.phase;
      phases.insert(phases.begin() + p + 1, Phase{});
      phases[p + 1].per_actor.resize(n);
      for (auto& [a, idx] : c.where) {
        auto& src = phases[p].per_actor[a];
        if (idx > src.size()) continue;
        auto& dst = phases[p + 1].per_actor[a];
        dst.assign(src.begin() + static_cast<long>(idx), src.end());
        src.erase(src.begin() + static_cast<long>(idx), src.end());
        idx = 0;
      }
      for (auto& other : clauses_)
        if (&other != &c && other.phase > p) ++other.phase;
      c.phase = p + 1;
      c.at_phase_start = true;
      for (int a = 0; a < n; ++a) {
        if (last_phase[a] > p) ++last_phase[a];
        if (locked[a] > p) ++locked[a];
      }
      for (auto& [a, idx] : c.where) last_phase[a] = p + 1;
    };

    Clause* prev = nullptr;
    for (auto& c : clauses_) {
      if (c.steps.empty()) continue;
      std::vector<int> acts;
      for (auto& [a, st] : c.steps)
        if (a >= 0 && a < n && std::find(acts.begin(), acts.end(), a) == acts.end()) acts.push_back(a);
      if (acts.empty()) continue;
      int pmin = 0;
      if (prev) {
        std::set<int> ps(prev->subject.begin(), prev->subject.end()), cs(c.subject.begin(), c.subject.end());
        if (c.link == Link::then && ps != cs) pmin = prev->phase + 1;
        if (c.link == Link::par) {
          // Same figure "while": layer onto its previous step instead of a new one.
          std::vector<std::pair<int, Step>> rest;
          for (auto& [a, st] : c.steps) {
            const int who = a;  // structured bindings cannot be captured before C++20 in clang 14
            auto it = std::find_if(prev->where.begin(), prev->where.end(), [who](auto& pr) { return pr.first == who; });
            if (it != prev->where.end() && !c.sync) {
              auto& list = phases[prev->phase].per_actor[a];
              if (it->second < list.size()) {
                Step& host = list[it->second];
                if (host.overlay < 0 && st.action != host.action) {
                  host.overlay = st.action;
                  if (upper_body(host.action) && !upper_body(host.overlay)) std::swap(host.action, host.overlay);
                }
                continue;
              }
            }
            rest.push_back({a, st});
          }
          c.steps = std::move(rest);
          acts.clear();
          for (auto& [a, st] : c.steps)
            if (std::find(acts.begin(), acts.end(), a) == acts.end()) acts.push_back(a);
          if (acts.empty()) continue;
          if (!prev->at_phase_start) split_before(*prev);
          pmin = prev->phase;
        }
      }
      int p = pmin;
      bool start = true;
      // Interactions, and anything a group does as one subject ("they talk"), start together: in a phase
      // where none of the figures has done anything yet.
      const bool together = c.sync || acts.size() > 1;
      if (together) {
        for (int a : acts) p = std::max({p, last_phase[a], locked[a] + 1});
        for (int a : acts)
          if (p < static_cast<int>(phases.size()) && !phases[p].per_actor[a].empty()) {
            ++p;
            break;
          }
        ensure(p);
        for (int a : acts)
          if (!phases[p].per_actor[a].empty()) ++p;
        ensure(p);
      }
      c.where.clear();
      c.phase = p;
      for (auto& [a, st] : c.steps) {
        if (a < 0 || a >= n) continue;
        if (step_count[a] >= kMaxStepsPerActor) {
          capped = true;
          continue;
        }
        int pa = together ? p : std::max({p, last_phase[a], locked[a] + 1});
        ensure(pa);
        auto& list = phases[pa].per_actor[a];
        if (!list.empty()) start = false;
        c.where.push_back({a, list.size()});
        if (st.stand_up) st.action = low_posture(last_action[a]) ? act::get_up : act::stand;
        last_action[a] = st.action;
        list.push_back(st);
        ++step_count[a];
        last_phase[a] = pa;
        if (c.sync) locked[a] = pa;
        c.phase = std::max(c.phase, pa);
      }
      c.at_phase_start = start;
      prev = &c;
    }
    if (capped) warn("too many actions; only the first " + std::to_string(kMaxStepsPerActor) + " per figure were planned");

    allocate_and_emit(phases, n);
    place();
  }

  void allocate_and_emit(std::vector<Phase>& phases, int n) {
    const float D = plan_.duration;
    std::mt19937_64 rng(opts_.seed);
    std::uniform_real_distribution<float> jitter(0.8f, 1.2f);
    // Drop empty phases.
    phases.erase(std::remove_if(phases.begin(), phases.end(),
                                [](const Phase& p) {
                                  for (const auto& l : p.per_actor)
                                    if (!l.empty()) return false;
                                  return true;
                                }),
                 phases.end());
    const size_t P = phases.size();
    std::vector<std::vector<float>> E(P, std::vector<float>(n, 0.f)), W(P, std::vector<float>(n, 0.f));
    for (size_t p = 0; p < P; ++p)
      for (int a = 0; a < n; ++a)
        for (auto& st : phases[p].per_actor[a]) {
          if (st.dur.kind == Dur::exact) {
            E[p][a] += st.dur.seconds;
          } else {
            if (st.dur.kind == Dur::none) st.dur = {Dur::soft, 0.f, 1.f};
            if (opts_.seed != 0) st.dur.weight *= jitter(rng);
            W[p][a] += st.dur.weight;
          }
        }
    std::vector<float> Emax(P, 0.f), Wmax(P, 0.f);
    float base = 0.f, wsum = 0.f;
    for (size_t p = 0; p < P; ++p) {
      for (int a = 0; a < n; ++a) {
        Emax[p] = std::max(Emax[p], E[p][a]);
        Wmax[p] = std::max(Wmax[p], W[p][a]);
      }
      base += Emax[p];
      wsum += Wmax[p];
    }
    // Soft steps need some room: at least 0.5 s per unit of weight, but never more than half the clip.
    float min_soft = std::min(0.5f * wsum, wsum > 0.f ? 0.5f * D : 0.f);
    float scale = 1.f;
    if (base > D - min_soft + 1e-4f && base > 0.f) {
      scale = std::max(1e-3f, (D - min_soft) / base);
      char buf[160];
      std::snprintf(buf, sizeof buf, "the durations asked for add up to %.1f s, more than the %.1f s clip; scaled to fit",
                    base, D);
      warn(buf);
    }
    float free = D - base * scale;
    std::vector<float> L(P);
    for (size_t p = 0; p < P; ++p)
      L[p] = Emax[p] * scale + (wsum > 0.f ? free * Wmax[p] / wsum : 0.f);

    for (int a = 0; a < n; ++a) {
      std::vector<ActionSegment> segs;
      float t = 0.f;
      int last = -1;
      auto fill = [&](float len) {
        if (len <= 1e-5f) return;
        int action = (last >= 0 && posture(last)) ? last : act::idle;
        if (!segs.empty() && segs.back().action == action && (action == act::idle || posture(action))) {
          segs.back().end += len;
        } else {
          ActionSegment s;
          s.action = action;
          s.start = t;
          s.end = t + len;
          s.expression = action_info(action).expression;
          if (!segs.empty() && action == last) {
            s = segs.back();
            s.start = t;
            s.end = t + len;
          }
          segs.push_back(s);
        }
        t += len;
      };
      for (size_t p = 0; p < P; ++p) {
        float start = t;
        const auto& list = phases[p].per_actor[a];
        float room = L[p] - E[p][a] * scale;
        for (const auto& st : list) {
          float len = st.dur.kind == Dur::exact ? st.dur.seconds * scale
                                                : (W[p][a] > 0.f ? std::max(0.f, room) * st.dur.weight / W[p][a] : 0.f);
          if (len <= 1e-5f) continue;
          ActionSegment s;
          s.action = st.action;
          s.start = t;
          s.end = t + len;
          s.tempo = std::clamp(st.tempo, 0.25f, 4.f);
          s.intensity = std::clamp(st.intensity, 0.2f, 2.5f);
          s.direction = st.dir;
          s.expression = st.expression >= 0 ? static_cast<Expression>(st.expression) : action_info(st.action).expression;
          s.target_actor = st.target >= 0 && st.target < n && st.target != a ? st.target : -1;
          s.repeats = st.repeats;
          s.verb = st.verb;
          s.overlay = st.overlay;
          segs.push_back(std::move(s));
          t += len;
          last = st.action;
        }
        fill(start + L[p] - t);
      }
      fill(D - t);
      // Exact cover: round boundaries to milliseconds, drop what rounds to nothing, pin the ends.
      std::vector<ActionSegment> out;
      for (auto& s : segs) {
        s.start = std::round(s.start * 1000.f) / 1000.f;
        s.end = std::round(s.end * 1000.f) / 1000.f;
        if (!out.empty()) s.start = out.back().end;
        if (s.end - s.start < 1e-3f) {
          if (!out.empty()) out.back().end = std::max(out.back().end, s.end);
          continue;
        }
        out.push_back(std::move(s));
      }
      if (out.empty()) {
        ActionSegment s;
        s.action = act::idle;
        s.expression = action_info(act::idle).expression;
        out.push_back(s);
      }
      out.front().start = 0.f;
      out.back().end = D;
      for (size_t i = 1; i < out.size(); ++i) out[i].start = out[i - 1].end;
      // Merge adjacent idle fills.
      std::vector<ActionSegment> merged;
      for (auto& s : out) {
        if (!merged.empty() && s.action == act::idle && merged.back().action == act::idle && s.verb.empty() &&
            merged.back().verb.empty() && s.expression == merged.back().expression) {
          merged.back().end = s.end;
          continue;
        }
        merged.push_back(std::move(s));
      }
      ActorPlan ap;
      ap.timeline = std::move(merged);
      plan_.actors.push_back(std::move(ap));
    }
  }

  // ------------------------------------------------------------------ names, placement, facing
  void place() {
    const int n = static_cast<int>(actors_.size());
    // Names: given names, else "the <colour> <kind>" when unique, else "<kind> <i>".
    std::unordered_map<std::string, int> kind_count;
    for (const auto& a : actors_) kind_count[a.color + "|" + (a.noun.empty() ? a.kind : a.noun)]++;
    std::unordered_map<std::string, int> kind_seen;
    for (int i = 0; i < n; ++i) {
      const Actor& a = actors_[i];
      ActorPlan& ap = plan_.actors[i];
      ap.kind = a.kind.empty() ? "person" : a.kind;
      ap.color = a.color;
      std::string noun = a.noun.empty() || kKinds.count(a.noun) ? ap.kind : a.noun;
      if (!a.noun.empty() && kKinds.count(a.noun)) {
        const auto& ki = kKinds.at(a.noun);
        if (ki.plural) noun = std::string(ki.kind);
        else noun = a.noun;
        if (noun == "figure" || noun == "people" || noun == "couple" || noun == "pair") noun = "person";
        if (ki.plural && (noun == "child")) noun = "child";
      }
      std::string key = a.color + "|" + (a.noun.empty() ? a.kind : a.noun);
      if (a.named) {
        ap.name = a.name;
      } else if (kind_count[key] == 1) {
        ap.name = "the " + (a.color.empty() ? "" : a.color + " ") + noun;
      } else {
        ap.name = (a.color.empty() ? "" : a.color + " ") + noun + " " + std::to_string(++kind_seen[key]);
      }
    }
    // Base layout: spread 3 units apart around x = 0.
    std::vector<float> x(n);
    for (int i = 0; i < n; ++i) x[i] = (static_cast<float>(i) - 0.5f * static_cast<float>(n - 1)) * 3.f;
    // Two figures that approach each other start far enough apart to meet rather than pass.
    if (n == 2) {
      float approach = 0.f;
      for (int i = 0; i < 2; ++i)
        for (const auto& s : plan_.actors[i].timeline)
          if (s.direction == Direction::toward && s.target_actor == 1 - i)
            approach += action_info(s.action).travel_speed * s.tempo * (s.end - s.start);
      if (approach > 0.f) {
        float sep = std::clamp(approach + 1.0f, 3.f, 14.f);
        x[0] = -0.5f * sep;
        x[1] = 0.5f * sep;
      }
    }
    // Chases: the chaser starts behind the chased, on the side it runs from.
    for (int i = 0; i < n; ++i)
      for (const auto& s : plan_.actors[i].timeline)
        if (s.direction == Direction::toward && s.target_actor >= 0 && s.action != act::walk &&
            action_info(s.action).travel_speed > 0.f && x[i] > x[s.target_actor]) {
          std::swap(x[i], x[s.target_actor]);
          break;
        }
    if (opts_.seed != 0) {
      std::mt19937_64 rng(opts_.seed ^ 0x9e3779b97f4a7c15ull);
      std::uniform_real_distribution<float> j(-0.5f, 0.5f);
      for (auto& v : x) v += j(rng);
    }
    // Facing: the first segment that says where to go or whom to face decides.
    for (int i = 0; i < n; ++i) {
      ActorPlan& ap = plan_.actors[i];
      int facing = 0;
      for (const auto& s : ap.timeline) {
        if (s.direction == Direction::left) facing = -1;
        else if (s.direction == Direction::right) facing = 1;
        else if (s.target_actor >= 0 && s.direction == Direction::away)
          facing = x[s.target_actor] > x[i] ? -1 : 1;
        else if (s.target_actor >= 0 && s.target_actor != i)
          facing = x[s.target_actor] >= x[i] ? 1 : -1;
        if (facing != 0) break;
      }
      if (facing == 0) {
        // Someone else's target? Face them back.
        for (int j = 0; j < n && facing == 0; ++j)
          for (const auto& s : plan_.actors[j].timeline)
            if (s.target_actor == i && j != i && s.direction != Direction::away) {
              facing = x[j] >= x[i] ? 1 : -1;
              break;
            }
      }
      if (facing == 0) facing = n >= 2 ? (x[i] <= 0.f ? 1 : -1) : 1;
      ap.facing = facing;
    }
    // Keep the group's travel centred: shift everyone by half the mean displacement.
    float mean = 0.f;
    for (int i = 0; i < n; ++i) {
      float f = static_cast<float>(plan_.actors[i].facing), disp = 0.f;
      for (const auto& s : plan_.actors[i].timeline) {
        float d = action_info(s.action).travel_speed * s.tempo * (s.end - s.start);
        switch (s.direction) {
          case Direction::left: disp -= d; f = -1; break;
          case Direction::right: disp += d; f = 1; break;
          case Direction::backward: disp -= f * d; break;
          case Direction::around: break;
          case Direction::toward:
          case Direction::away:
            if (s.target_actor >= 0) {
              float sg = x[s.target_actor] >= x[i] ? 1.f : -1.f;
              disp += (s.direction == Direction::toward ? sg : -sg) * d;
            } else {
              disp += (s.direction == Direction::toward ? (x[i] > 0 ? -1.f : 1.f) : f) * d;
            }
            break;
          default: disp += f * d; break;
        }
        if (s.action == act::turn) f = -f;
      }
      mean += disp;
    }
    mean /= static_cast<float>(std::max(n, 1));
    float shift = std::clamp(-0.5f * mean, -8.f, 8.f);
    for (int i = 0; i < n; ++i) plan_.actors[i].start_x = std::round((x[i] + shift) * 1000.f) / 1000.f;
  }

  std::string ignored_summary() const {
    std::string s = "no matching action for: ";
    std::set<std::string> seen;
    int shown = 0;
    for (const auto& w0 : ignored_) {
      if (!seen.insert(w0).second) continue;
      if (shown == 5) {
        s += ", ...";
        break;
      }
      std::string clean;
      for (char c : w0)
        if (static_cast<unsigned char>(c) >= 0x20 && c != '\x7f') clean += c;
      if (clean.size() > 24) clean = clean.substr(0, 24) + "...";
      s += (shown ? ", '" : "'") + clean + "'";
      ++shown;
    }
    return s + " (ignored)";
  }

  PlannerOptions opts_;
  Plan plan_;
  int max_actors_ = 3;
  bool open_vocab_ = true;
  bool cap_warned_ = false;
  bool code_like_ = false;
  bool fresh_default_ = false;
  size_t verb_end_ = 0;  // where the current verb phrase's complements begin
  VP last_vp_;
  bool has_last_vp_ = false;
  std::vector<Token> toks_;
  std::vector<Actor> actors_;
  std::vector<Clause> clauses_;
  std::vector<int> last_group_;
  int last_one_ = -1;
  long clock_ = 0;
  std::vector<std::string> ignored_;
};

}  // namespace

Plan plan_prompt(std::string_view prompt, const PlannerOptions& opts) {
  try {
    Planner p(prompt, opts);
    return p.run(prompt);
  } catch (const std::exception& e) {
    // Defensive: the planner must never take a caller down. Fall back to one figure idling.
    Plan plan;
    plan.prompt = std::string(prompt);
    plan.duration = std::isfinite(opts.duration) ? std::clamp(opts.duration, 0.5f, 600.f) : 10.f;
    ActorPlan a;
    a.name = "the person";
    a.kind = "person";
    ActionSegment s;
    s.action = act::idle;
    s.end = plan.duration;
    a.timeline.push_back(s);
    plan.actors.push_back(a);
    plan.warnings.push_back(std::string("planner error (") + e.what() + "); the figure idles");
    return plan;
  }
}

// ---- lexicon API ----
std::string verb_base_form(std::string_view word) {
  auto& lex = text::Lexicon::instance();
  auto bases = lex.verb_bases(word);
  for (const auto& b : bases)
    if (text::hand_verb(b)) return b;
  if (auto* db = lex.wordnet()) {
    auto forms = db->base_forms(word, wordnet::Pos::verb);
    if (!forms.empty()) return forms[0];
  }
  return bases.empty() ? std::string(word) : bases[0];
}

std::optional<int> nearest_action(std::string_view word) {
  auto& lex = text::Lexicon::instance();
  if (auto m = lex.verb(word, true); m && m->cost <= kMaxWordnetCost) return m->hint.action;
  if (auto m = lex.noun(word, true); m && m->cost <= kMaxWordnetCost) return m->hint.action;
  return std::nullopt;
}

std::vector<int> actions_for_word(std::string_view word) {
  std::vector<int> out;
  for (const auto& m : text::Lexicon::instance().all_actions(word, true))
    if (m.cost <= kMaxWordnetCost) out.push_back(m.hint.action);
  return out;
}

std::vector<WordMeaning> explain_word(std::string_view word) {
  std::vector<WordMeaning> out;
  for (const auto& m : text::Lexicon::instance().all_actions(word, true))
    out.push_back({m.hint.action, m.cost, m.lemma, m.via});
  return out;
}

std::vector<std::string_view> verbs_for_action(int action) { return text::Lexicon::instance().verbs_for(action); }

LexiconStatus lexicon_status() {
  auto& lex = text::Lexicon::instance();
  LexiconStatus s;
  s.wordnet = lex.has_wordnet();
  s.wordnet_dir = lex.wordnet() ? lex.wordnet()->dir().string() : wordnet::default_dir().string();
  s.problem = lex.wordnet_problem();
  return s;
}

std::string_view action_phrase(int action, VerbForm form) {
  struct Forms {
    std::string_view base, third, gerund;
  };
  static constexpr Forms kForms[kNumActions] = {
      {"wait", "waits", "waiting"},
      {"walk", "walks", "walking"},
      {"run", "runs", "running"},
      {"sprint", "sprints", "sprinting"},
      {"jump", "jumps", "jumping"},
      {"wave", "waves", "waving"},
      {"talk", "talks", "talking"},
      {"shout", "shouts", "shouting"},
      {"whisper", "whispers", "whispering"},
      {"sing", "sings", "singing"},
      {"point", "points", "pointing"},
      {"clap", "claps", "clapping"},
      {"swing a bat", "swings a bat", "swinging a bat"},
      {"pitch a baseball", "pitches a baseball", "pitching a baseball"},
      {"catch a ball", "catches a ball", "catching a ball"},
      {"run the bases", "runs the bases", "running the bases"},
      {"field a ground ball", "fields a ground ball", "fielding a ground ball"},
      {"throw a ball", "throws a ball", "throwing a ball"},
      {"kick a ball", "kicks a ball", "kicking a ball"},
      {"dribble a ball", "dribbles a ball", "dribbling a ball"},
      {"shoot a basketball", "shoots a basketball", "shooting a basketball"},
      {"fight", "fights", "fighting"},
      {"punch", "punches", "punching"},
      {"kick", "kicks", "kicking"},
      {"dodge", "dodges", "dodging"},
      {"sit down", "sits down", "sitting down"},
      {"stand", "stands", "standing"},
      {"kneel", "kneels", "kneeling"},
      {"lie down", "lies down", "lying down"},
      {"eat", "eats", "eating"},
      {"drink", "drinks", "drinking"},
      {"read a book", "reads a book", "reading a book"},
      {"type on a keyboard", "types on a keyboard", "typing on a keyboard"},
      {"look around", "looks around", "looking around"},
      {"climb", "climbs", "climbing"},
      {"crawl", "crawls", "crawling"},
      {"swim", "swims", "swimming"},
      {"fly", "flies", "flying"},
      {"celebrate", "celebrates", "celebrating"},
      {"dance", "dances", "dancing"},
      {"cry", "cries", "crying"},
      {"laugh", "laughs", "laughing"},
      {"shake hands", "shake hands", "shaking hands"},
      {"hug", "hugs", "hugging"},
      {"high five", "high five", "high fiving"},
      {"take a fighting stance", "takes a fighting stance", "taking a fighting stance"},
      {"turn around", "turns around", "turning around"},
      {"crouch", "crouches", "crouching"},
      {"bow", "bows", "bowing"},
      {"spin", "spins", "spinning"},
      {"hop", "hops", "hopping"},
      {"skip", "skips", "skipping"},
      {"march", "marches", "marching"},
      {"push", "pushes", "pushing"},
      {"pull", "pulls", "pulling"},
      {"lift a box", "lifts a box", "lifting a box"},
      {"carry a box", "carries a box", "carrying a box"},
      {"squat", "squats", "squatting"},
      {"stretch", "stretches", "stretching"},
      {"salute", "salutes", "saluting"},
      {"shrug", "shrugs", "shrugging"},
      {"fall down", "falls down", "falling down"},
      {"get up", "gets up", "getting up"},
      {"limp", "limps", "limping"},
  };
  if (action < 0 || action >= kNumActions) return {};
  const Forms& f = kForms[action];
  switch (form) {
    case VerbForm::base: return f.base;
    case VerbForm::third_person: return f.third;
    case VerbForm::gerund: return f.gerund;
  }
  return f.third;
}

}  // namespace stickgen
