#include "text/lexicon.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <cmath>
#include <queue>
#include <unordered_set>

#include "stickgen/common.hpp"

namespace stickgen::text {
namespace {

using D = Direction;
constexpr int kNone = -1;
constexpr int kHappy = 1, kSad = 2, kSurprised = 3, kAngry = 4, kExcited = 5;

struct HandWord {
  std::string_view word;
  ActionHint hint;
};

// Verb lemmas -> action (+ what the word implies about pace, vigour, face and direction). The first entry
// of each action is its canonical verb. Words of the 46 reference actions first, then ours.
const HandWord kVerbs[] = {
    {"idle", {act::idle}}, {"wait", {act::idle}}, {"stay", {act::idle}}, {"pause", {act::idle}},
    {"stop", {act::idle}}, {"halt", {act::idle}}, {"freeze", {act::idle}}, {"linger", {act::idle}},
    {"loiter", {act::idle}}, {"remain", {act::idle}}, {"rest", {act::idle}}, {"relax", {act::idle, 1.f, 0.8f}},
    {"breathe", {act::idle}}, {"chill", {act::idle}}, {"hang", {act::idle}},
    {"smile", {act::idle, 1.f, 1.f, kHappy}}, {"grin", {act::idle, 1.f, 1.f, kHappy}},
    {"beam", {act::idle, 1.f, 1.f, kHappy}}, {"frown", {act::idle, 1.f, 1.f, kSad}},
    {"sulk", {act::idle, 1.f, 0.8f, kSad}}, {"pout", {act::idle, 1.f, 1.f, kSad}},
    {"sigh", {act::idle, 1.f, 0.8f, kSad}}, {"mope", {act::idle, 0.8f, 0.7f, kSad}},
    {"glare", {act::idle, 1.f, 1.f, kAngry}}, {"scowl", {act::idle, 1.f, 1.f, kAngry}},
    {"fume", {act::idle, 1.f, 1.2f, kAngry}}, {"gasp", {act::idle, 1.f, 1.f, kSurprised}},
    {"panic", {act::looking_around, 1.4f, 1.3f, kSurprised}},
    {"tremble", {act::idle, 1.f, 1.f, kSurprised}}, {"shiver", {act::idle, 1.f, 1.f, kSurprised}},
    {"think", {act::idle}}, {"meditate", {act::idle, 0.8f, 0.7f}}, {"shake", {act::idle, 1.f, 1.f, kSurprised}},
    {"lunge", {act::squat}}, {"pose", {act::idle}}, {"ponder", {act::idle}}, {"listen", {act::idle}}, {"sleepwalk", {act::walk, 0.6f, 0.6f}},

    {"walk", {act::walk}}, {"stroll", {act::walk, 0.7f}}, {"saunter", {act::walk, 0.7f}},
    {"amble", {act::walk, 0.7f}}, {"wander", {act::walk, 0.8f}}, {"roam", {act::walk, 0.8f}},
    {"meander", {act::walk, 0.7f}}, {"mosey", {act::walk, 0.7f}}, {"stride", {act::walk, 1.2f, 1.1f}},
    {"pace", {act::walk}}, {"step", {act::walk}}, {"move", {act::walk}}, {"go", {act::walk}},
    {"come", {act::walk}}, {"head", {act::walk}}, {"travel", {act::walk}}, {"proceed", {act::walk}},
    {"advance", {act::walk, 1.f, 1.f, kNone, D::forward}}, {"approach", {act::walk, 1.f, 1.f, kNone, D::toward}},
    {"meet", {act::walk, 1.f, 1.f, kNone, D::toward}}, {"slow", {act::walk, 0.7f}},
    {"leave", {act::walk, 1.f, 1.f, kNone, D::away}}, {"exit", {act::walk, 1.f, 1.f, kNone, D::away}},
    {"depart", {act::walk, 1.f, 1.f, kNone, D::away}}, {"enter", {act::walk, 1.f, 1.f, kNone, D::toward}},
    {"arrive", {act::walk, 1.f, 1.f, kNone, D::toward}}, {"return", {act::walk}}, {"cross", {act::walk}},
    {"tiptoe", {act::walk, 0.6f, 0.6f}}, {"sneak", {act::walk, 0.7f, 0.7f}}, {"shuffle", {act::walk, 0.6f, 0.8f}},
    {"trudge", {act::walk, 0.6f, 0.8f, kSad}}, {"plod", {act::walk, 0.6f, 0.8f}},
    {"stomp", {act::walk, 1.f, 1.3f, kAngry}}, {"storm", {act::walk, 1.2f, 1.3f, kAngry}},
    {"strut", {act::walk, 1.f, 1.2f, kHappy}}, {"swagger", {act::walk, 1.f, 1.2f, kHappy}},
    {"promenade", {act::walk, 0.7f}}, {"hike", {act::walk}}, {"trek", {act::walk}}, {"ramble", {act::walk, 0.7f}},
    {"patrol", {act::walk}}, {"follow", {act::walk, 1.f, 1.f, kNone, D::toward}},
    {"retreat", {act::walk, 1.f, 1.f, kNone, D::away}}, {"wade", {act::walk, 0.7f}}, {"waddle", {act::walk, 0.7f}},
    {"waltz", {act::dance}}, {"journey", {act::walk}}, {"walkabout", {act::walk}},

    {"run", {act::run}}, {"jog", {act::run, 0.75f}}, {"trot", {act::run, 0.8f}}, {"rush", {act::run, 1.2f}},
    {"hurry", {act::run, 1.2f}}, {"scurry", {act::run, 1.2f}}, {"scamper", {act::run, 1.2f}},
    {"lope", {act::run, 0.9f}}, {"gallop", {act::run, 1.2f}},
    {"flee", {act::run, 1.2f, 1.f, kSurprised, D::away}}, {"escape", {act::run, 1.2f, 1.f, kNone, D::away}},
    {"chase", {act::run, 1.f, 1.f, kNone, D::toward}}, {"pursue", {act::run, 1.f, 1.f, kNone, D::toward}},

    {"sprint", {act::sprint}}, {"dash", {act::sprint}}, {"bolt", {act::sprint}}, {"race", {act::sprint}},
    {"zoom", {act::sprint}}, {"charge", {act::sprint}}, {"hurtle", {act::sprint}},

    {"jump", {act::jump}}, {"leap", {act::jump}}, {"bound", {act::jump}}, {"spring", {act::jump}},
    {"vault", {act::jump}}, {"pounce", {act::jump}}, {"bounce", {act::jump}}, {"hurdle", {act::jump}},

    {"wave", {act::wave}}, {"beckon", {act::wave}}, {"greet", {act::wave}},
    {"talk", {act::talk}}, {"speak", {act::talk}}, {"chat", {act::talk}}, {"converse", {act::talk}},
    {"say", {act::talk}}, {"tell", {act::talk}}, {"explain", {act::talk}}, {"discuss", {act::talk}},
    {"argue", {act::talk, 1.f, 1.2f, kAngry}}, {"chatter", {act::talk}}, {"lecture", {act::talk}},
    {"present", {act::talk}}, {"gossip", {act::talk}}, {"ask", {act::talk}}, {"answer", {act::talk}},
    {"reply", {act::talk}}, {"phone", {act::talk}}, {"preach", {act::talk}}, {"babble", {act::talk}},
    {"joke", {act::talk, 1.f, 1.f, kHappy}}, {"narrate", {act::talk}}, {"recite", {act::talk}},
    {"address", {act::talk}}, {"call", {act::talk}}, {"complain", {act::talk, 1.f, 1.1f, kAngry}},
    {"shout", {act::shout}}, {"yell", {act::shout}}, {"scream", {act::shout}}, {"holler", {act::shout}},
    {"roar", {act::shout}}, {"bellow", {act::shout}}, {"shriek", {act::shout}}, {"screech", {act::shout}},
    {"howl", {act::shout}}, {"exclaim", {act::shout}}, {"announce", {act::shout}},
    {"whisper", {act::whisper}}, {"murmur", {act::whisper}}, {"mutter", {act::whisper}}, {"mumble", {act::whisper}},
    {"sing", {act::sing}}, {"hum", {act::sing}}, {"chant", {act::sing}}, {"serenade", {act::sing}},
    {"croon", {act::sing}}, {"rap", {act::sing}}, {"yodel", {act::sing}}, {"whistle", {act::sing}},
    {"point", {act::point}}, {"gesture", {act::point}}, {"indicate", {act::point}}, {"aim", {act::point}},
    {"clap", {act::clap}}, {"applaud", {act::clap}},

    {"bat", {act::batting}}, {"swing", {act::batting}},
    {"pitch", {act::pitching}}, {"bowl", {act::pitching}},
    {"catch", {act::catching}}, {"receive", {act::catching}},
    {"field", {act::fielding}},
    {"throw", {act::throwing}}, {"toss", {act::throwing}}, {"hurl", {act::throwing}}, {"fling", {act::throwing}},
    {"lob", {act::throwing}}, {"pass", {act::throwing}}, {"chuck", {act::throwing}},
    {"punt", {act::kicking}},
    {"dribble", {act::dribbling}},
    {"shoot", {act::shooting}}, {"dunk", {act::shooting}},

    {"fight", {act::fight}}, {"brawl", {act::fight}}, {"battle", {act::fight}}, {"wrestle", {act::fight}},
    {"spar", {act::fight}}, {"box", {act::fight}}, {"scuffle", {act::fight}}, {"tussle", {act::fight}},
    {"attack", {act::fight, 1.f, 1.2f}}, {"grapple", {act::fight}}, {"duel", {act::fight}},
    {"punch", {act::punch}}, {"hit", {act::punch}}, {"strike", {act::punch}}, {"jab", {act::punch}},
    {"smack", {act::punch}}, {"slap", {act::punch}}, {"sock", {act::punch}}, {"pummel", {act::punch}},
    {"beat", {act::punch}}, {"thump", {act::punch}}, {"whack", {act::punch}}, {"swat", {act::punch}},
    {"kick", {act::kick}},
    {"dodge", {act::dodge}}, {"duck", {act::dodge}}, {"evade", {act::dodge}}, {"sidestep", {act::dodge}},
    {"avoid", {act::dodge}}, {"swerve", {act::dodge}}, {"weave", {act::dodge}}, {"block", {act::dodge}},

    {"sit", {act::sit}}, {"seat", {act::sit}}, {"perch", {act::sit}},
    {"stand", {act::stand}},
    {"kneel", {act::kneel}}, {"genuflect", {act::kneel}},
    {"lie", {act::lie_down}}, {"lay", {act::lie_down}}, {"sleep", {act::lie_down}}, {"nap", {act::lie_down}},
    {"doze", {act::lie_down}}, {"snooze", {act::lie_down}}, {"recline", {act::lie_down}},
    {"sprawl", {act::lie_down}}, {"sunbathe", {act::lie_down}},
    {"eat", {act::eating}}, {"bite", {act::eating}}, {"chew", {act::eating}}, {"munch", {act::eating}},
    {"snack", {act::eating}}, {"dine", {act::eating}}, {"nibble", {act::eating}}, {"devour", {act::eating}},
    {"gobble", {act::eating}}, {"feast", {act::eating}}, {"lunch", {act::eating}}, {"taste", {act::eating}},
    {"drink", {act::drinking}}, {"sip", {act::drinking}}, {"gulp", {act::drinking}}, {"swig", {act::drinking}},
    {"slurp", {act::drinking}}, {"quaff", {act::drinking}}, {"toast", {act::drinking}},
    {"read", {act::reading}}, {"study", {act::reading}}, {"browse", {act::reading}}, {"peruse", {act::reading}},
    {"type", {act::typing}}, {"write", {act::typing}}, {"text", {act::typing}}, {"code", {act::typing}},
    {"program", {act::typing}}, {"email", {act::typing}},
    {"look", {act::looking_around}}, {"glance", {act::looking_around}}, {"search", {act::looking_around}},
    {"scan", {act::looking_around}}, {"peer", {act::looking_around}}, {"gaze", {act::looking_around}},
    {"watch", {act::looking_around}}, {"observe", {act::looking_around}}, {"stare", {act::looking_around}},
    {"peek", {act::looking_around}}, {"peep", {act::looking_around}}, {"explore", {act::looking_around}},
    {"inspect", {act::looking_around}}, {"survey", {act::looking_around}}, {"seek", {act::looking_around}},
    {"spy", {act::looking_around}}, {"check", {act::looking_around}},
    {"climb", {act::climbing}}, {"scale", {act::climbing}}, {"ascend", {act::climbing}},
    {"clamber", {act::climbing}}, {"mount", {act::climbing}}, {"scramble", {act::climbing}},
    {"crawl", {act::crawling}}, {"creep", {act::crawling}}, {"slither", {act::crawling}},
    {"squirm", {act::crawling}}, {"grovel", {act::crawling}},
    {"swim", {act::swimming}}, {"paddle", {act::swimming}}, {"dive", {act::swimming}}, {"snorkel", {act::swimming}},
    {"fly", {act::flying}}, {"glide", {act::flying}}, {"soar", {act::flying}}, {"flap", {act::flying}},
    {"hover", {act::flying, 0.5f}},
    {"celebrate", {act::celebrate}}, {"cheer", {act::celebrate}}, {"rejoice", {act::celebrate}},
    {"triumph", {act::celebrate}}, {"exult", {act::celebrate}}, {"party", {act::celebrate}},
    {"dance", {act::dance}}, {"boogie", {act::dance}}, {"tango", {act::dance}}, {"groove", {act::dance}},
    {"jive", {act::dance}}, {"shimmy", {act::dance}}, {"sway", {act::dance, 0.7f, 0.7f}}, {"salsa", {act::dance}},
    {"rumba", {act::dance}}, {"breakdance", {act::dance, 1.2f, 1.3f}}, {"jig", {act::dance}},
    {"foxtrot", {act::dance}}, {"disco", {act::dance}}, {"polka", {act::dance}}, {"samba", {act::dance}},
    {"twerk", {act::dance}}, {"bop", {act::dance}}, {"cha-cha", {act::dance}}, {"moonwalk", {act::dance}},
    {"cry", {act::cry}}, {"weep", {act::cry}}, {"sob", {act::cry}}, {"wail", {act::cry}},
    {"whimper", {act::cry}}, {"bawl", {act::cry}}, {"blubber", {act::cry}}, {"mourn", {act::cry}},
    {"grieve", {act::cry}},
    {"laugh", {act::laugh}}, {"giggle", {act::laugh}}, {"chuckle", {act::laugh}}, {"chortle", {act::laugh}},
    {"snicker", {act::laugh}}, {"cackle", {act::laugh}}, {"guffaw", {act::laugh}}, {"snigger", {act::laugh}},
    {"titter", {act::laugh}},
    {"handshake", {act::handshake}},
    {"hug", {act::hug}}, {"embrace", {act::hug}}, {"cuddle", {act::hug}}, {"squeeze", {act::hug}},
    {"high-five", {act::high_five}}, {"highfive", {act::high_five}},

    {"turn", {act::turn}}, {"rotate", {act::turn}}, {"pivot", {act::turn}}, {"face", {act::turn}},
    {"crouch", {act::crouch}}, {"hunker", {act::crouch}}, {"stoop", {act::crouch}},
    {"cower", {act::crouch, 1.f, 1.f, kSurprised}}, {"huddle", {act::crouch}}, {"hide", {act::crouch}},
    {"bow", {act::bow}}, {"curtsy", {act::bow}}, {"curtsey", {act::bow}}, {"nod", {act::bow, 1.f, 0.4f}},
    {"kowtow", {act::bow}},
    {"spin", {act::spin}}, {"twirl", {act::spin}}, {"pirouette", {act::spin}}, {"whirl", {act::spin}},
    {"swirl", {act::spin}}, {"gyrate", {act::spin}}, {"cartwheel", {act::spin}},
    {"hop", {act::hop}},
    {"skip", {act::skip}}, {"frolic", {act::skip}}, {"prance", {act::skip}}, {"gambol", {act::skip}},
    {"caper", {act::skip}},
    {"march", {act::march}}, {"parade", {act::march}},
    {"push", {act::push}}, {"shove", {act::push}}, {"press", {act::push}}, {"nudge", {act::push}},
    {"pull", {act::pull}}, {"drag", {act::pull}}, {"tug", {act::pull}}, {"haul", {act::pull}},
    {"yank", {act::pull}}, {"tow", {act::pull}},
    {"lift", {act::lift}}, {"raise", {act::lift}}, {"hoist", {act::lift}}, {"heave", {act::lift}},
    {"pick", {act::lift}},
    {"carry", {act::carry}}, {"tote", {act::carry}}, {"lug", {act::carry}}, {"bring", {act::carry}},
    {"fetch", {act::carry}}, {"deliver", {act::carry}},
    {"squat", {act::squat}},
    {"stretch", {act::stretch}}, {"yawn", {act::stretch, 0.8f, 0.8f}}, {"reach", {act::stretch}},
    {"limber", {act::stretch}}, {"exercise", {act::stretch}},
    {"salute", {act::salute}},
    {"shrug", {act::shrug}},
    {"fall", {act::fall}}, {"tumble", {act::fall}}, {"trip", {act::fall}}, {"stumble", {act::fall}},
    {"collapse", {act::fall}}, {"slip", {act::fall}}, {"topple", {act::fall}}, {"faint", {act::fall}},
    {"drop", {act::fall}}, {"plummet", {act::fall}},
    {"rise", {act::get_up}}, {"arise", {act::get_up}}, {"wake", {act::get_up}},
    {"limp", {act::limp}}, {"hobble", {act::limp}}, {"stagger", {act::limp}}, {"totter", {act::limp}},
};

// Nouns that name an activity, used after light verbs ("takes a walk", "does a dance", "gives a speech")
// or on their own ("a jump, then a spin").
const HandWord kNouns[] = {
    {"walk", {act::walk}}, {"stroll", {act::walk, 0.7f}}, {"hike", {act::walk}}, {"step", {act::walk}},
    {"wander", {act::walk, 0.8f}}, {"run", {act::run}}, {"jog", {act::run, 0.75f}}, {"lap", {act::run}},
    {"sprint", {act::sprint}}, {"dash", {act::sprint}}, {"race", {act::sprint}},
    {"jump", {act::jump}}, {"leap", {act::jump}}, {"flip", {act::jump}}, {"backflip", {act::jump}},
    {"somersault", {act::jump}}, {"handstand", {act::jump}}, {"jumping jacks", {act::jump}},
    {"wave", {act::wave}}, {"speech", {act::talk}}, {"talk", {act::talk}}, {"chat", {act::talk}},
    {"conversation", {act::talk}}, {"call", {act::talk}}, {"phone call", {act::talk}}, {"presentation", {act::talk}},
    {"shout", {act::shout}}, {"yell", {act::shout}}, {"scream", {act::shout}}, {"whisper", {act::whisper}},
    {"song", {act::sing}}, {"tune", {act::sing}}, {"point", {act::point}},
    {"applause", {act::clap}}, {"clap", {act::clap}}, {"swing", {act::batting}}, {"pitch", {act::pitching}},
    {"catch", {act::catching}}, {"throw", {act::throwing}}, {"toss", {act::throwing}}, {"pass", {act::throwing}},
    {"dribble", {act::dribbling}}, {"shot", {act::shooting}}, {"jump shot", {act::shooting}},
    {"free throw", {act::shooting}}, {"layup", {act::shooting}}, {"dunk", {act::shooting}},
    {"fight", {act::fight}}, {"brawl", {act::fight}}, {"punch", {act::punch}}, {"jab", {act::punch}},
    {"hook", {act::punch}}, {"uppercut", {act::punch}}, {"kick", {act::kick}}, {"dodge", {act::dodge}},
    {"seat", {act::sit}}, {"knee", {act::kneel}}, {"nap", {act::lie_down}}, {"sleep", {act::lie_down}},
    {"snooze", {act::lie_down}}, {"rest", {act::idle}}, {"break", {act::idle}}, {"pause", {act::idle}},
    {"nothing", {act::idle}}, {"bite", {act::eating}}, {"snack", {act::eating}}, {"meal", {act::eating}},
    {"lunch", {act::eating}}, {"breakfast", {act::eating}}, {"dinner", {act::eating}},
    {"drink", {act::drinking}}, {"sip", {act::drinking}}, {"gulp", {act::drinking}},
    {"look", {act::looking_around}}, {"peek", {act::looking_around}}, {"glance", {act::looking_around}},
    {"climb", {act::climbing}}, {"crawl", {act::crawling}}, {"swim", {act::swimming}}, {"dip", {act::swimming}},
    {"dive", {act::swimming}}, {"flight", {act::flying}}, {"celebration", {act::celebrate}},
    {"victory dance", {act::celebrate}}, {"victory lap", {act::run}},
    {"dance", {act::dance}}, {"waltz", {act::dance}}, {"tango", {act::dance}}, {"jig", {act::dance}},
    {"cry", {act::cry}}, {"laugh", {act::laugh}}, {"giggle", {act::laugh}},
    {"handshake", {act::handshake}}, {"hug", {act::hug}}, {"embrace", {act::hug}}, {"high five", {act::high_five}},
    {"high-five", {act::high_five}}, {"fighting stance", {act::fight_stance}}, {"fight stance", {act::fight_stance}},
    {"boxing stance", {act::fight_stance}}, {"stance", {act::fight_stance}}, {"guard", {act::fight_stance}},
    {"turn", {act::turn}}, {"u-turn", {act::turn}}, {"bow", {act::bow}}, {"curtsy", {act::bow}},
    {"nod", {act::bow, 1.f, 0.4f}}, {"spin", {act::spin}}, {"twirl", {act::spin}}, {"pirouette", {act::spin}},
    {"cartwheel", {act::spin}}, {"hop", {act::hop}}, {"skip", {act::skip}}, {"march", {act::march}},
    {"push", {act::push}}, {"shove", {act::push}}, {"pull", {act::pull}}, {"tug", {act::pull}},
    {"lift", {act::lift}}, {"squat", {act::squat}}, {"squats", {act::squat}}, {"lunge", {act::squat}},
    {"burpee", {act::squat}}, {"push ups", {act::crouch}}, {"pushup", {act::crouch}}, {"sit ups", {act::sit}},
    {"situp", {act::sit}}, {"stretch", {act::stretch}}, {"yoga", {act::stretch}}, {"exercise", {act::stretch}},
    {"warm up", {act::stretch}}, {"salute", {act::salute}}, {"shrug", {act::shrug}},
    {"fall", {act::fall}}, {"tumble", {act::fall}}, {"trip", {act::fall}}, {"stumble", {act::fall}},
    {"limp", {act::limp}},
};

// Irregular past forms and participles, enough to read prompts when WordNet is absent.
const std::pair<std::string_view, std::string_view> kIrregular[] = {
    {"ran", "run"}, {"sat", "sit"}, {"fell", "fall"}, {"fallen", "fall"}, {"lay", "lie"}, {"lain", "lie"},
    {"laid", "lay"}, {"stood", "stand"}, {"threw", "throw"}, {"thrown", "throw"}, {"caught", "catch"},
    {"swam", "swim"}, {"swum", "swim"}, {"flew", "fly"}, {"flown", "fly"}, {"flies", "fly"}, {"ate", "eat"},
    {"eaten", "eat"}, {"drank", "drink"}, {"drunk", "drink"}, {"fought", "fight"}, {"got", "get"},
    {"gotten", "get"}, {"knelt", "kneel"}, {"sang", "sing"}, {"sung", "sing"}, {"spun", "spin"},
    {"went", "go"}, {"gone", "go"}, {"came", "come"}, {"did", "do"}, {"done", "do"}, {"took", "take"},
    {"taken", "take"}, {"gave", "give"}, {"given", "give"}, {"made", "make"}, {"had", "have"},
    {"has", "have"}, {"was", "be"}, {"were", "be"}, {"is", "be"}, {"are", "be"}, {"been", "be"},
    {"leapt", "leap"}, {"crept", "creep"}, {"slept", "sleep"}, {"wept", "weep"}, {"swept", "sweep"},
    {"stole", "steal"}, {"struck", "strike"}, {"hit", "hit"}, {"shot", "shoot"}, {"spoke", "speak"},
    {"spoken", "speak"}, {"said", "say"}, {"told", "tell"}, {"read", "read"}, {"wrote", "write"},
    {"written", "write"}, {"rose", "rise"}, {"risen", "rise"}, {"arose", "arise"}, {"woke", "wake"},
    {"woken", "wake"}, {"drove", "drive"}, {"rode", "ride"}, {"slid", "slide"}, {"strode", "stride"},
    {"sprang", "spring"}, {"sprung", "spring"}, {"left", "leave"}, {"brought", "bring"}, {"began", "begin"},
    {"begun", "begin"}, {"kept", "keep"}, {"beat", "beat"}, {"bit", "bite"}, {"bitten", "bite"},
    {"clung", "cling"}, {"dove", "dive"}, {"dived", "dive"}, {"dug", "dig"}, {"hung", "hang"},
    {"lit", "light"}, {"met", "meet"}, {"paid", "pay"}, {"sought", "seek"}, {"shook", "shake"},
    {"shaken", "shake"}, {"swung", "swing"}, {"tore", "tear"}, {"tossed", "toss"}, {"wove", "weave"},
    {"woven", "weave"}, {"flung", "fling"}, {"held", "hold"}, {"stuck", "stick"}, {"bent", "bend"},
    {"lying", "lie"}, {"dying", "die"}, {"tying", "tie"},
};

constexpr float kMaxCost = 3.2f;    // farther than this is not a meaning of the word
constexpr int kMaxExpansions = 600; // bounds the search on pathological words
constexpr size_t kMaxCache = 50000;  // cached words per table before the cache starts over

struct Seed {
  int action;
  std::string_view lemma;
  wordnet::Pos pos;
  std::array<int, 4> senses;  // 1-based sense numbers, 0 = unused
};

using wordnet::Pos;
// Hand-picked WordNet 3.0 synsets that mean each action (lemma + sense numbers). Any other word reaches an
// action by walking from its own senses up hypernym (and across derivation) links to the nearest seed.
const Seed kSeeds[] = {
    {act::idle, "wait", Pos::verb, {1}}, {act::idle, "idle", Pos::verb, {2}}, {act::idle, "rest", Pos::verb, {2}},
    {act::idle, "relax", Pos::verb, {1}},
    {act::walk, "walk", Pos::verb, {1, 8, 10}}, {act::walk, "walk", Pos::noun, {1}},
    {act::walk, "stroll", Pos::noun, {1}}, {act::walk, "step", Pos::verb, {1}},
    {act::run, "run", Pos::verb, {1}}, {act::run, "jog", Pos::verb, {3, 4}}, {act::run, "run", Pos::noun, {3}},
    {act::sprint, "sprint", Pos::verb, {1}}, {act::sprint, "dart", Pos::verb, {1}},
    {act::jump, "jump", Pos::verb, {1, 8}}, {act::jump, "jump", Pos::noun, {1}},
    {act::wave, "wave", Pos::verb, {1}},
    {act::talk, "talk", Pos::verb, {1, 2, 3}}, {act::talk, "converse", Pos::verb, {1}}, {act::talk, "chat", Pos::verb, {1}},
    {act::shout, "shout", Pos::verb, {1, 2, 3}}, {act::shout, "yell", Pos::verb, {2}},
    {act::whisper, "whisper", Pos::verb, {1}},
    {act::sing, "sing", Pos::verb, {1, 2}},
    {act::point, "point", Pos::verb, {1}},
    {act::clap, "clap", Pos::verb, {3, 4}}, {act::clap, "applause", Pos::noun, {1}},
    {act::batting, "bat", Pos::verb, {1, 3, 4}},
    {act::pitching, "pitch", Pos::verb, {9}},
    {act::catching, "catch", Pos::verb, {4}},
    {act::fielding, "field", Pos::verb, {1, 2}},
    {act::throwing, "throw", Pos::verb, {1}}, {act::throwing, "pitch", Pos::verb, {1}},
    {act::kicking, "kick", Pos::verb, {1}},
    {act::dribbling, "dribble", Pos::verb, {3}},
    {act::shooting, "shoot", Pos::verb, {16}},
    {act::fight, "fight", Pos::verb, {1}}, {act::fight, "wrestle", Pos::verb, {4}}, {act::fight, "box", Pos::verb, {3}},
    {act::punch, "punch", Pos::verb, {1}}, {act::punch, "hit", Pos::verb, {3}}, {act::punch, "box", Pos::verb, {2}},
    {act::kick, "kick", Pos::verb, {2, 3}},
    {act::dodge, "dodge", Pos::verb, {1, 2}},
    {act::sit, "sit", Pos::verb, {1, 3}},
    {act::stand, "stand", Pos::verb, {1}},
    {act::kneel, "kneel", Pos::verb, {1}},
    {act::lie_down, "lie", Pos::verb, {2, 7}}, {act::lie_down, "sleep", Pos::verb, {1}},
    {act::eating, "eat", Pos::verb, {1, 2, 3}},
    {act::drinking, "drink", Pos::verb, {1, 2}},
    {act::reading, "read", Pos::verb, {1, 3, 4}},
    {act::typing, "type", Pos::verb, {1}},
    {act::looking_around, "look", Pos::verb, {1}}, {act::looking_around, "look_around", Pos::verb, {1}},
    {act::looking_around, "watch", Pos::verb, {1}},
    {act::climbing, "climb", Pos::verb, {1, 2}},
    {act::crawling, "crawl", Pos::verb, {1}},
    {act::swimming, "swim", Pos::verb, {1}},
    {act::flying, "fly", Pos::verb, {1, 2}},
    {act::celebrate, "celebrate", Pos::verb, {2}}, {act::celebrate, "rejoice", Pos::verb, {2}},
    {act::celebrate, "cheer", Pos::verb, {2}},
    {act::dance, "dance", Pos::verb, {1, 2, 3}}, {act::dance, "dance", Pos::noun, {1, 3}},
    {act::cry, "cry", Pos::verb, {2}},
    {act::laugh, "laugh", Pos::verb, {1}},
    {act::handshake, "shake_hands", Pos::verb, {1}},
    {act::hug, "hug", Pos::verb, {1}},
    {act::turn, "turn", Pos::verb, {1}}, {act::turn, "turn_around", Pos::verb, {1}},
    {act::crouch, "crouch", Pos::verb, {1, 2}},
    {act::bow, "bow", Pos::verb, {1, 3}},
    {act::spin, "spin", Pos::verb, {1, 3}},
    {act::hop, "hop", Pos::verb, {1, 2}},
    {act::skip, "frolic", Pos::verb, {1}},
    {act::march, "march", Pos::verb, {1, 2, 3}},
    {act::push, "push", Pos::verb, {1}},
    {act::pull, "pull", Pos::verb, {1}},
    {act::lift, "lift", Pos::verb, {1, 3}},
    {act::carry, "carry", Pos::verb, {1}},
    {act::stretch, "stretch", Pos::verb, {2}},
    {act::salute, "salute", Pos::verb, {2}},
    {act::shrug, "shrug", Pos::verb, {1}},
    {act::fall, "fall", Pos::verb, {1, 2}}, {act::fall, "tumble", Pos::verb, {1}}, {act::fall, "trip", Pos::verb, {1}},
    {act::get_up, "get_up", Pos::verb, {1}},
    {act::limp, "limp", Pos::verb, {1}},
};

// Nouns whose hyponyms are figures that can act in a scene.
uint64_t key(Pos p, uint32_t off) { return (static_cast<uint64_t>(p) << 32) | off; }

using WordMap = std::unordered_map<std::string_view, const ActionHint*>;
WordMap build_map(std::span<const HandWord> table) {
  WordMap m;
  for (const auto& e : table) m.emplace(e.word, &e.hint);  // first entry wins
  return m;
}
const ActionHint* find_in(const WordMap& m, std::string_view w) {
  auto it = m.find(w);
  return it == m.end() ? nullptr : it->second;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string sense_name(const wordnet::Database& db, Pos pos, uint32_t off) {
  auto s = db.synset(off, pos);
  if (!s || s->words.empty()) return "?";
  // lemma.pos.NN with the sense number of the synset's first word
  std::string name = s->words[0];
  if (auto e = db.index(name, pos)) {
    auto it = std::find(e->offsets.begin(), e->offsets.end(), off);
    if (it != e->offsets.end()) {
      int n = static_cast<int>(it - e->offsets.begin()) + 1;
      return name + "." + wordnet::pos_letter(pos) + "." + (n < 10 ? "0" : "") + std::to_string(n);
    }
  }
  return name + "." + wordnet::pos_letter(pos);
}

}  // namespace

const ActionHint* hand_verb(std::string_view lemma) {
  static const WordMap m = build_map(kVerbs);
  return find_in(m, lemma);
}
const ActionHint* hand_noun(std::string_view lemma) {
  static const WordMap m = build_map(kNouns);
  return find_in(m, lemma);
}

std::string_view irregular_verb_base(std::string_view word) {
  for (const auto& [form, base] : kIrregular)
    if (form == word) return base;
  return {};
}

Lexicon& Lexicon::instance() {
  static Lexicon lex;
  return lex;
}

Lexicon::Lexicon() {
  auto dir = wordnet::default_dir();
  try {
    wn_ = std::make_unique<wordnet::Database>(dir);
    init_seeds();
  } catch (const std::exception& e) {
    wn_.reset();
    wn_problem_ = std::string(e.what()) + " (install wordnet-base or set STICKGEN_WORDNET_DIR)";
  }
}

void Lexicon::init_seeds() {
  for (const auto& s : kSeeds) {
    auto e = wn_->index(s.lemma, s.pos);
    if (!e) continue;  // a different WordNet version: the seed is simply absent
    for (int n : s.senses)
      if (n >= 1 && static_cast<size_t>(n) <= e->offsets.size())
        seeds_.emplace(key(s.pos, e->offsets[n - 1]), s.action);
  }
  if (seeds_.empty()) throw Error(wn_->dir().string() + ": WordNet files have none of the expected senses");
}

std::vector<std::string> Lexicon::verb_bases(std::string_view word_in) const {
  std::string word = lower(word_in);
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  add(word);
  if (auto b = irregular_verb_base(word); !b.empty()) add(std::string(b));
  if (wn_)
    if (const auto* exc = wn_->exceptions(word, Pos::verb))
      for (const auto& b : *exc) add(b);
  for (auto& c : wordnet::detachment_candidates(word, Pos::verb)) add(std::move(c));
  return out;
}

std::vector<std::string> Lexicon::noun_bases(std::string_view word_in) const {
  std::string word = lower(word_in);
  std::vector<std::string> out{word};
  if (wn_)
    if (const auto* exc = wn_->exceptions(word, Pos::noun))
      for (const auto& b : *exc)
        if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
  for (auto& c : wordnet::detachment_candidates(word, Pos::noun))
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(std::move(c));
  return out;
}

namespace {
struct Node {
  float cost;
  Pos pos;
  uint32_t off;
  int parent;  // index into the visit log, -1 for a start sense
  bool operator>(const Node& o) const { return cost > o.cost; }
};
}  // namespace

std::vector<LexMatch> Lexicon::wordnet_all(std::string_view word, bool as_noun) {
  std::vector<LexMatch> found;
  if (!wn_) return found;
  const auto& db = *wn_;
  std::priority_queue<Node, std::vector<Node>, std::greater<Node>> pq;
  std::vector<Node> log;
  std::vector<std::string> lemma_of;  // per start node
  // Start at every sense of every base form. Later senses cost more; a noun read of a verb slot (or the
  // reverse) costs extra, since the word probably means something else there.
  auto push_senses = [&](Pos pos, float extra) {
    auto bases = db.base_forms(word, pos);
    for (size_t b = 0; b < bases.size(); ++b) {
      auto e = db.index(bases[b], pos);
      if (!e) continue;
      for (size_t k = 0; k < e->offsets.size(); ++k) {
        float c = extra + 0.25f * static_cast<float>(std::min<size_t>(k, 8)) +
                  (static_cast<int>(k) >= std::max(1, e->tagsense_count) ? 0.4f : 0.f) + 0.1f * b;
        pq.push({c, pos, e->offsets[k], -1});
      }
    }
  };
  if (as_noun) {
    push_senses(Pos::noun, 0.f);
    push_senses(Pos::verb, 0.6f);
  } else {
    push_senses(Pos::verb, 0.f);
    push_senses(Pos::noun, 0.8f);
  }
  std::unordered_map<uint64_t, float> best;
  std::unordered_set<int> actions_seen;
  int expansions = 0;
  while (!pq.empty() && expansions < kMaxExpansions) {
    Node n = pq.top();
    pq.pop();
    if (n.cost > kMaxCost) break;
    uint64_t k = key(n.pos, n.off);
    auto bit = best.find(k);
    if (bit != best.end() && bit->second <= n.cost) continue;
    best[k] = n.cost;
    ++expansions;
    int me = static_cast<int>(log.size());
    log.push_back(n);
    if (auto sit = seeds_.find(k); sit != seeds_.end()) {
      if (actions_seen.insert(sit->second).second) {
        LexMatch m;
        m.hint.action = sit->second;
        m.cost = n.cost;
        // Explain the path: start sense ... seed.
        std::vector<int> chain;
        for (int i = me; i >= 0; i = log[i].parent) chain.push_back(i);
        std::reverse(chain.begin(), chain.end());
        for (size_t i = 0; i < chain.size(); ++i) {
          if (i) m.via += " > ";
          m.via += sense_name(db, log[chain[i]].pos, log[chain[i]].off);
        }
        m.lemma = m.via.substr(0, m.via.find('.'));
        found.push_back(std::move(m));
      }
      continue;  // do not walk past a seed: its hypernyms mean something more general
    }
    auto s = db.synset(n.off, n.pos);
    if (!s) continue;
    for (const auto& p : s->pointers) {
      float step = 0.f;
      if (p.symbol == "@" || p.symbol == "@i") step = 1.0f;                  // hypernym
      else if (p.symbol == "$") step = 0.7f;                                // verb group
      else if (p.symbol == "+" && n.pos == Pos::noun && p.pos == Pos::verb) step = 0.5f;  // derivation
      else if (p.symbol == "*") step = 1.5f;                                // entailment
      else continue;
      pq.push({n.cost + step, p.pos, p.offset, me});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const LexMatch& a, const LexMatch& b) { return a.cost < b.cost; });
  return found;
}

std::optional<LexMatch> Lexicon::wordnet_search(std::string_view word, bool as_noun) {
  auto all = wordnet_all(word, as_noun);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::optional<LexMatch> Lexicon::verb(std::string_view word_in, bool open_vocab) {
  std::string word = lower(word_in);
  if (word.empty() || word.size() > 40) return std::nullopt;
  for (const auto& b : verb_bases(word))
    if (const auto* h = hand_verb(b)) return LexMatch{*h, 0.f, b, "lexicon"};
  if (!open_vocab || !wn_) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = verb_cache_.find(word);
  if (it != verb_cache_.end()) return it->second;
  auto m = wordnet_search(word, false);
  if (verb_cache_.size() >= kMaxCache) verb_cache_.clear();  // bounded memory under arbitrary input
  verb_cache_.emplace(word, m);
  return m;
}

std::optional<LexMatch> Lexicon::noun(std::string_view word_in, bool open_vocab) {
  std::string word = lower(word_in);
  if (word.empty() || word.size() > 40) return std::nullopt;
  for (const auto& b : noun_bases(word))
    if (const auto* h = hand_noun(b)) return LexMatch{*h, 0.f, b, "lexicon"};
  if (!open_vocab || !wn_) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = noun_cache_.find(word);
  if (it != noun_cache_.end()) return it->second;
  auto m = wordnet_search(word, true);
  if (noun_cache_.size() >= kMaxCache) noun_cache_.clear();
  noun_cache_.emplace(word, m);
  return m;
}

std::vector<LexMatch> Lexicon::all_actions(std::string_view word_in, bool open_vocab) {
  std::string word = lower(word_in);
  std::vector<LexMatch> out;
  auto add = [&](LexMatch m) {
    for (const auto& o : out)
      if (o.hint.action == m.hint.action) return;
    out.push_back(std::move(m));
  };
  if (word.empty() || word.size() > 40) return out;
  for (const auto& b : verb_bases(word))
    if (const auto* h = hand_verb(b)) add({*h, 0.f, b, "lexicon"});
  for (const auto& b : noun_bases(word))
    if (const auto* h = hand_noun(b)) add({*h, 0.f, b, "lexicon"});
  if (open_vocab && wn_) {
    std::vector<LexMatch> wn;
    {
      std::lock_guard lock(mu_);
      wn = wordnet_all(word, false);
      for (auto& m : wordnet_all(word, true)) wn.push_back(std::move(m));
    }
    std::stable_sort(wn.begin(), wn.end(), [](const LexMatch& a, const LexMatch& b) { return a.cost < b.cost; });
    for (auto& m : wn) add(std::move(m));
  }
  return out;
}

int Lexicon::animate_class(std::string_view word_in) {
  if (!wn_) return 0;
  std::string word = lower(word_in);
  if (word.empty() || word.size() > 40) return 0;
  std::lock_guard lock(mu_);
  if (auto it = animate_cache_.find(word); it != animate_cache_.end()) return it->second;
  // The lexicographer file says what a noun sense is: noun.person (18) or noun.animal (5). Look at the first
  // few senses ("climber" is a vine first, an athlete fourth) unless the first is a body part ("hands").
  constexpr int kNounBody = 8, kNounAnimal = 5, kNounPerson = 18;
  int found = 0;
  for (const auto& b : wn_->base_forms(word, Pos::noun)) {
    auto e = wn_->index(b, Pos::noun);
    if (!e) continue;
    for (size_t k = 0; k < e->offsets.size() && k < 4 && !found; ++k) {
      auto syn = wn_->synset(e->offsets[k], Pos::noun);
      if (!syn) continue;
      if (k == 0 && syn->lex_filenum == kNounBody) break;
      bool instance = false;  // "Tree" the actor is a person; "a tree" is not
      for (const auto& p : syn->pointers)
        if (p.symbol == "@i") instance = true;
      if (instance) continue;
      if (syn->lex_filenum == kNounPerson) found = 1;
      else if (syn->lex_filenum == kNounAnimal) found = 2;
    }
    if (found) break;
  }
  if (animate_cache_.size() >= kMaxCache) animate_cache_.clear();
  animate_cache_.emplace(word, found);
  return found;
}

std::vector<std::string_view> Lexicon::verbs_for(int action) const {
  std::vector<std::string_view> out;
  for (const auto& e : kVerbs)
    if (e.hint.action == action && e.hint.tempo == 1.f && e.hint.intensity == 1.f && e.hint.expression < 0 &&
        e.hint.direction == Direction::none)
      out.push_back(e.word);
  return out;
}

}  // namespace stickgen::text
