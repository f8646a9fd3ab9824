// NTU RGB+D .skeleton text files and the 60-class action table.
#include <algorithm>
#include <array>

#include "data/convert/text_scan.hpp"
#include "stickgen/actions.hpp"
#include "stickgen/convert.hpp"

namespace stickgen::convert {
namespace {

constexpr long long kMaxFrames = 1000000;
constexpr long long kMaxBodies = 16;  // Kinect v2 tracks at most 6; a little slack for other trackers

// NTU RGB+D 60 (Shahroudy et al., CVPR 2016), A001..A060, each with the nearest of our 64 actions.
// Classes with no counterpart of their own map to the action whose motion is closest (docs/CONVERTERS.md).
constexpr NtuClass kClasses[] = {
    {1, "drink water", act::drinking, false},
    {2, "eat meal/snack", act::eating, false},
    {3, "brushing teeth", act::eating, false},           // a hand working at the mouth
    {4, "brushing hair", act::stretch, false},           // a raised arm at the head
    {5, "drop", act::idle, false},
    {6, "pickup", act::lift, false},
    {7, "throw", act::throwing, false},
    {8, "sitting down", act::sit, false},
    {9, "standing up (from sitting position)", act::stand, false},
    {10, "clapping", act::clap, false},
    {11, "reading", act::reading, false},
    {12, "writing", act::typing, false},                 // hands working in front of the body
    {13, "tear up paper", act::pull, false},
    {14, "wear jacket", act::stretch, false},
    {15, "take off jacket", act::stretch, false},
    {16, "wear a shoe", act::crouch, false},
    {17, "take off a shoe", act::crouch, false},
    {18, "wear on glasses", act::idle, false},
    {19, "take off glasses", act::idle, false},
    {20, "put on a hat/cap", act::idle, false},
    {21, "take off a hat/cap", act::idle, false},
    {22, "cheer up", act::celebrate, false},
    {23, "hand waving", act::wave, false},
    {24, "kicking something", act::kicking, false},
    {25, "reach into pocket", act::idle, false},
    {26, "hopping (one foot jumping)", act::hop, false},
    {27, "jump up", act::jump, false},
    {28, "make a phone call/answer phone", act::talk, false},
    {29, "playing with phone/tablet", act::typing, false},
    {30, "typing on a keyboard", act::typing, false},
    {31, "pointing to something with finger", act::point, false},
    {32, "taking a selfie", act::point, false},          // an arm held out in front
    {33, "check time (from watch)", act::looking_around, false},
    {34, "rub two hands together", act::clap, false},
    {35, "nod head/bow", act::bow, false},
    {36, "shake head", act::looking_around, false},
    {37, "wipe face", act::idle, false},
    {38, "salute", act::salute, false},
    {39, "put the palms together", act::bow, false},
    {40, "cross hands in front (say stop)", act::fight_stance, false},
    {41, "sneeze/cough", act::idle, false},
    {42, "staggering", act::limp, false},
    {43, "falling", act::fall, false},
    {44, "touch head (headache)", act::idle, false},
    {45, "touch chest (stomachache/heart pain)", act::idle, false},
    {46, "touch back (backache)", act::idle, false},
    {47, "touch neck (neckache)", act::idle, false},
    {48, "nausea or vomiting condition", act::crouch, false},
    {49, "use a fan (with hand or paper)/feeling warm", act::wave, false},
    {50, "punching/slapping other person", act::punch, true},
    {51, "kicking other person", act::kick, true},
    {52, "pushing other person", act::push, true},
    {53, "pat on back of other person", act::hug, true},
    {54, "point finger at the other person", act::point, true},
    {55, "hugging other person", act::hug, true},
    {56, "giving something to other person", act::handshake, true},
    {57, "touch other person's pocket", act::handshake, true},
    {58, "handshaking", act::handshake, true},
    {59, "walking towards each other", act::walk, true},
    {60, "walking apart from each other", act::walk, true},
};
static_assert(std::size(kClasses) == 60);

}  // namespace

std::span<const NtuClass> ntu_classes() { return kClasses; }

std::optional<NtuName> parse_ntu_name(std::string_view stem) {
  // S001C002P003R002A013, optionally with a suffix (_rgb, .skeleton already removed).
  NtuName n;
  const char letters[5] = {'S', 'C', 'P', 'R', 'A'};
  int* fields[5] = {&n.setup, &n.camera, &n.performer, &n.replication, &n.action};
  size_t i = 0;
  for (int f = 0; f < 5; ++f) {
    if (i + 4 > stem.size() || (stem[i] != letters[f] && stem[i] != letters[f] + 32)) return std::nullopt;
    auto v = parse_integer(stem.substr(i + 1, 3));
    if (!v || *v < 0) return std::nullopt;
    *fields[f] = static_cast<int>(*v);
    i += 4;
  }
  return n;
}

NtuSkeleton parse_ntu_skeleton(std::string_view text, std::string_view origin) {
  const auto lines = split_lines(text);
  size_t l = 0;
  auto fail = [&](size_t line, const std::string& what) {
    return Error(std::string(origin) + ":" + std::to_string(line) + ": " + what);
  };
  // The next non-blank line's tokens (and its 1-based number in `at`).
  size_t at = 0;
  auto next = [&](const char* expected) {
    while (l < lines.size() && trim(lines[l]).empty()) ++l;
    if (l >= lines.size()) throw fail(lines.size(), std::string("file ends where ") + expected + " was expected");
    at = l + 1;
    return split_ws(lines[l++]);
  };
  auto count = [&](const char* what, long long max) {
    auto toks = next(what);
    if (toks.size() != 1) throw fail(at, std::string("expected ") + what + " (one whole number), got " + std::to_string(toks.size()) + " values");
    auto v = parse_integer(toks[0]);
    if (!v || *v < 0 || *v > max)
      throw fail(at, std::string(what) + ": expected 0.." + std::to_string(max) + ", got '" + std::string(toks[0].substr(0, 32)) + "'");
    return static_cast<int>(*v);
  };

  NtuSkeleton sk;
  const int frames = count("the frame count", kMaxFrames);
  sk.frames.reserve(std::min<size_t>(static_cast<size_t>(frames), lines.size()));
  for (int f = 0; f < frames; ++f) {
    const int bodies = count("a body count", kMaxBodies);
    std::vector<NtuBody> frame;
    for (int b = 0; b < bodies; ++b) {
      auto info = next("a body info line");
      if (info.size() != 10)
        throw fail(at, "frame " + std::to_string(f) + " body " + std::to_string(b) + ": expected 10 body values (bodyID clipedEdges "
                       "handLeftConfidence handLeftState handRightConfidence handRightState isResticted leanX leanY trackingState), got " +
                       std::to_string(info.size()));
      NtuBody body;
      uint64_t id = 0;
      auto r = std::from_chars(info[0].data(), info[0].data() + info[0].size(), id);
      if (r.ec != std::errc() || r.ptr != info[0].data() + info[0].size())
        throw fail(at, "bodyID: expected an unsigned integer, got '" + std::string(info[0].substr(0, 32)) + "'");
      body.id = id;
      for (size_t k = 1; k < info.size(); ++k)
        if (!parse_finite(info[k])) throw fail(at, "body value " + std::to_string(k + 1) + ": expected a number, got '" + std::string(info[k].substr(0, 32)) + "'");
      const int joints = count("a joint count", 1000);
      if (joints != kNtuJoints) throw fail(at, "joint count: expected 25 (Kinect v2), got " + std::to_string(joints));
      for (int j = 0; j < kNtuJoints; ++j) {
        auto vals = next("a joint line");
        if (vals.size() < 3 || vals.size() > 12)
          throw fail(at, "joint " + std::to_string(j) + ": expected x y z and up to 9 more values, got " + std::to_string(vals.size()));
        double xyz[3];
        for (size_t k = 0; k < vals.size(); ++k) {
          auto v = parse_finite(vals[k]);
          if (!v || (k < 3 && std::fabs(*v) > 1e4))
            throw fail(at, "joint " + std::to_string(j) + " value " + std::to_string(k + 1) + ": expected a number" +
                               (k < 3 ? " (metres, |v| <= 10000)" : "") + ", got '" + std::string(vals[k].substr(0, 32)) + "'");
          if (k < 3) xyz[k] = *v;
        }
        body.joints[j] = {xyz[0], xyz[1], xyz[2]};
      }
      frame.push_back(body);
    }
    sk.frames.push_back(std::move(frame));
  }
  while (l < lines.size() && trim(lines[l]).empty()) ++l;
  if (l < lines.size()) throw fail(l + 1, "unexpected data after the last of " + std::to_string(frames) + " frames");
  return sk;
}

}  // namespace stickgen::convert
