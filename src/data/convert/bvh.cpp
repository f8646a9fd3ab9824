// BVH: a strict parser (any hierarchy, each joint's own CHANNELS), forward kinematics, and the mapping of
// rig joints onto our v3 joints by name patterns (CMU/cgspeed, Mixamo, 100STYLE, generic anatomical
// names, 3ds Max Biped, Unreal) or a --joint-map file.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "data/convert/text_scan.hpp"
#include "stickgen/convert.hpp"

namespace stickgen::convert {
namespace {

constexpr int kMaxDepth = 256;          // nesting of JOINT blocks (keeps recursion bounded)
constexpr size_t kMaxJoints = 100000;
constexpr int64_t kMaxFrames = 50000000;

struct Token {
  std::string_view text;
  int line;
};

// The hierarchy as tokens with their line numbers; `motion_line` is the index of the line after MOTION.
class HierarchyParser {
 public:
  HierarchyParser(std::string_view origin, const std::vector<std::string_view>& lines) : origin_(origin), lines_(lines) {}

  BvhFile parse() {
    BvhFile bvh;
    tokenize_until_motion();
    size_t i = 0;
    auto at_end = [&] { return i >= tokens_.size(); };
    if (at_end() || tokens_[i].text != "HIERARCHY") fail(at_end() ? last_line() : tokens_[i].line, "expected HIERARCHY");
    ++i;
    if (at_end() || tokens_[i].text != "ROOT") fail(at_end() ? last_line() : tokens_[i].line, "expected ROOT after HIERARCHY");
    while (!at_end()) {
      if (tokens_[i].text != "ROOT") fail(tokens_[i].line, "expected ROOT or MOTION, got '" + std::string(tokens_[i].text) + "'");
      parse_joint(bvh, i, -1, 0);
    }
    if (!found_motion_) fail(last_line(), "missing MOTION section");
    int column = 0;
    for (auto& j : bvh.joints) {
      j.first_channel = column;
      column += static_cast<int>(j.channels.size());
    }
    bvh.channel_count = column;
    return bvh;
  }

  size_t motion_line() const { return motion_line_; }

 private:
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw Error(std::string(origin_) + ":" + std::to_string(line) + ": " + what);
  }
  int last_line() const { return static_cast<int>(lines_.size()); }

  void tokenize_until_motion() {
    for (size_t l = 0; l < lines_.size(); ++l) {
      for (std::string_view tok : split_ws(lines_[l])) {
        if (tok == "MOTION") {
          found_motion_ = true;
          motion_line_ = l + 1;
          return;
        }
        tokens_.push_back({tok, static_cast<int>(l + 1)});
      }
    }
  }

  double number(size_t& i, const char* what) {
    if (i >= tokens_.size()) fail(last_line(), std::string("expected ") + what + ", got end of hierarchy");
    auto v = parse_finite(tokens_[i].text);
    if (!v) fail(tokens_[i].line, std::string("expected ") + what + ", got '" + std::string(tokens_[i].text) + "'");
    ++i;
    return *v;
  }

  void expect(size_t& i, std::string_view word) {
    if (i >= tokens_.size()) fail(last_line(), "expected '" + std::string(word) + "', got end of hierarchy");
    if (tokens_[i].text != word)
      fail(tokens_[i].line, "expected '" + std::string(word) + "', got '" + std::string(tokens_[i].text) + "'");
    ++i;
  }

  Vec3 offset(size_t& i) {
    Vec3 v;
    v.x = number(i, "OFFSET x");
    v.y = number(i, "OFFSET y");
    v.z = number(i, "OFFSET z");
    return v;
  }

  // tokens[i] is ROOT or JOINT.
  void parse_joint(BvhFile& bvh, size_t& i, int parent, int depth) {
    const Token kw = tokens_[i++];
    if (depth > kMaxDepth) fail(kw.line, "hierarchy nested deeper than " + std::to_string(kMaxDepth) + " joints");
    if (bvh.joints.size() >= kMaxJoints) fail(kw.line, "more than " + std::to_string(kMaxJoints) + " joints");
    // The name is the rest of the keyword's line (names may contain spaces), minus a trailing '{'.
    std::string name;
    while (i < tokens_.size() && tokens_[i].line == kw.line && tokens_[i].text != "{") {
      if (!name.empty()) name += ' ';
      name += tokens_[i++].text;
    }
    if (name.empty()) fail(kw.line, std::string(kw.text) + " without a joint name");
    expect(i, "{");
    const int self = static_cast<int>(bvh.joints.size());
    bvh.joints.push_back({});
    bvh.joints[self].name = name;
    bvh.joints[self].parent = parent;
    bvh.joints[self].line = kw.line;
    bool have_offset = false, have_channels = false;
    for (;;) {
      if (i >= tokens_.size()) fail(last_line(), "joint '" + name + "' (line " + std::to_string(kw.line) + ") is not closed with '}'");
      const Token t = tokens_[i];
      if (t.text == "}") {
        ++i;
        break;
      }
      if (t.text == "OFFSET") {
        if (have_offset) fail(t.line, "second OFFSET in joint '" + name + "'");
        ++i;
        bvh.joints[self].offset = offset(i);
        have_offset = true;
      } else if (t.text == "CHANNELS") {
        if (have_channels) fail(t.line, "second CHANNELS in joint '" + name + "'");
        ++i;
        const double n = number(i, "channel count");
        if (n != std::floor(n) || n < 0 || n > 6) fail(t.line, "CHANNELS count must be 0..6, got " + std::string(tokens_[i - 1].text));
        std::vector<Channel> channels;
        for (int c = 0; c < static_cast<int>(n); ++c) {
          if (i >= tokens_.size()) fail(last_line(), "CHANNELS list is short");
          auto ch = parse_channel(tokens_[i].text);
          if (!ch)
            fail(tokens_[i].line, "unknown channel '" + std::string(tokens_[i].text) +
                                      "' (expected Xposition Yposition Zposition Xrotation Yrotation Zrotation)");
          if (std::find(channels.begin(), channels.end(), *ch) != channels.end())
            fail(tokens_[i].line, "channel " + std::string(tokens_[i].text) + " listed twice in joint '" + name + "'");
          channels.push_back(*ch);
          ++i;
        }
        bvh.joints[self].channels = std::move(channels);
        have_channels = true;
      } else if (t.text == "JOINT") {
        if (!have_offset) fail(t.line, "joint '" + name + "' has no OFFSET before its children");
        parse_joint(bvh, i, self, depth + 1);
      } else if (t.text == "End") {
        ++i;
        expect(i, "Site");
        if (!have_offset) fail(t.line, "joint '" + name + "' has no OFFSET before its End Site");
        expect(i, "{");
        if (i >= tokens_.size() || tokens_[i].text != "OFFSET")
          fail(i < tokens_.size() ? tokens_[i].line : last_line(), "End Site needs an OFFSET");
        ++i;
        BvhJoint end;
        end.name = name + " End";
        end.parent = self;
        end.offset = offset(i);
        end.end_site = true;
        end.line = t.line;
        expect(i, "}");
        if (bvh.joints.size() >= kMaxJoints) fail(t.line, "more than " + std::to_string(kMaxJoints) + " joints");
        bvh.joints.push_back(std::move(end));
      } else {
        fail(t.line, "unexpected '" + std::string(t.text) + "' in joint '" + name +
                         "' (expected OFFSET, CHANNELS, JOINT, End Site or '}')");
      }
    }
    if (!have_offset) fail(kw.line, "joint '" + name + "' has no OFFSET");
  }

  static std::optional<Channel> parse_channel(std::string_view s) {
    static constexpr std::pair<std::string_view, Channel> kNames[] = {
        {"Xposition", Channel::x_position}, {"Yposition", Channel::y_position}, {"Zposition", Channel::z_position},
        {"Xrotation", Channel::x_rotation}, {"Yrotation", Channel::y_rotation}, {"Zrotation", Channel::z_rotation}};
    for (auto& [n, c] : kNames)
      if (equals_ignore_case(s, n)) return c;
    return std::nullopt;
  }

  std::string_view origin_;
  const std::vector<std::string_view>& lines_;
  std::vector<Token> tokens_;
  bool found_motion_ = false;
  size_t motion_line_ = 0;
};

// "Frames: 120", "Frames:120", "Frame  Time: 0.0083" -> the text after the colon (any spacing between words).
std::optional<std::string_view> value_after(std::string_view line, std::string_view key) {
  line = trim(line);
  size_t i = 0;
  for (size_t k = 0; k < key.size(); ++k) {
    if (key[k] == ' ') {
      if (i >= line.size() || !is_space(line[i])) return std::nullopt;
      while (i < line.size() && is_space(line[i])) ++i;
      continue;
    }
    if (i >= line.size() || std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(key[k])))
      return std::nullopt;
    ++i;
  }
  line = trim(line.substr(i));
  if (line.empty() || line[0] != ':') return std::nullopt;
  return trim(line.substr(1));
}

using Mat3 = std::array<double, 9>;  // row-major

Mat3 mul(const Mat3& a, const Mat3& b) {
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  return r;
}
Vec3 rotate(const Mat3& m, const Vec3& v) {
  return {m[0] * v.x + m[1] * v.y + m[2] * v.z, m[3] * v.x + m[4] * v.y + m[5] * v.z, m[6] * v.x + m[7] * v.y + m[8] * v.z};
}
Mat3 axis_rotation(Channel c, double degrees) {
  const double r = degrees * (3.14159265358979323846 / 180.0), s = std::sin(r), k = std::cos(r);
  switch (c) {
    case Channel::x_rotation: return {1, 0, 0, 0, k, -s, 0, s, k};
    case Channel::y_rotation: return {k, 0, s, 0, 1, 0, -s, 0, k};
    default: return {k, -s, 0, s, k, 0, 0, 0, 1};
  }
}
constexpr Mat3 kIdentity{1, 0, 0, 0, 1, 0, 0, 0, 1};

}  // namespace

double Vec3::norm() const { return std::sqrt(x * x + y * y + z * z); }

std::string_view channel_name(Channel c) {
  switch (c) {
    case Channel::x_position: return "Xposition";
    case Channel::y_position: return "Yposition";
    case Channel::z_position: return "Zposition";
    case Channel::x_rotation: return "Xrotation";
    case Channel::y_rotation: return "Yrotation";
    case Channel::z_rotation: return "Zrotation";
  }
  return "?";
}

int BvhFile::children_of(int joint, std::vector<int>& out) const {
  out.clear();
  for (int j = 0; j < static_cast<int>(joints.size()); ++j)
    if (joints[j].parent == joint) out.push_back(j);
  return static_cast<int>(out.size());
}

int BvhFile::find(std::string_view name) const {
  for (int j = 0; j < static_cast<int>(joints.size()); ++j)
    if (joints[j].name == name) return j;
  return -1;
}

BvhFile parse_bvh(std::string_view text, std::string_view origin) {
  const std::vector<std::string_view> lines = split_lines(text);
  HierarchyParser hp(origin, lines);
  BvhFile bvh = hp.parse();
  auto fail = [&](size_t line, const std::string& what) -> Error {
    return Error(std::string(origin) + ":" + std::to_string(line) + ": " + what);
  };
  size_t l = hp.motion_line();
  auto next_content = [&] {
    while (l < lines.size() && trim(lines[l]).empty()) ++l;
  };
  next_content();
  if (l >= lines.size()) throw fail(lines.size(), "expected 'Frames: N' after MOTION");
  auto frames_text = value_after(lines[l], "Frames");
  if (!frames_text) throw fail(l + 1, "expected 'Frames: N', got '" + std::string(trim(lines[l]).substr(0, 40)) + "'");
  auto frames = parse_finite(*frames_text);
  if (!frames || *frames != std::floor(*frames) || *frames < 0 || *frames > kMaxFrames)
    throw fail(l + 1, "Frames: expected a whole number 0.." + std::to_string(kMaxFrames) + ", got '" + std::string(*frames_text) + "'");
  bvh.frames = static_cast<int>(*frames);
  ++l;
  next_content();
  if (l >= lines.size()) throw fail(lines.size(), "expected 'Frame Time: seconds' after Frames");
  auto time_text = value_after(lines[l], "Frame Time");
  if (!time_text) throw fail(l + 1, "expected 'Frame Time: seconds', got '" + std::string(trim(lines[l]).substr(0, 40)) + "'");
  auto ft = parse_finite(*time_text);
  if (!ft || !(*ft >= 1e-4) || *ft > 1.0)
    throw fail(l + 1, "Frame Time: expected seconds in [0.0001, 1], got '" + std::string(*time_text) + "'");
  bvh.frame_time = *ft;
  ++l;
  if (bvh.frames > 0 && bvh.channel_count == 0) throw fail(l, "the hierarchy declares no CHANNELS, but there are frames");
  const size_t C = static_cast<size_t>(bvh.channel_count);
  bvh.values.reserve(std::min<size_t>(static_cast<size_t>(bvh.frames), lines.size() - std::min(l, lines.size())) * C);
  int frame = 0;
  for (; l < lines.size(); ++l) {
    const std::string_view line = lines[l];
    if (trim(line).empty()) continue;
    const bool extra = frame >= bvh.frames;  // exporters are often off by one: checked, then dropped
    size_t n = 0;
    for (std::string_view tok : split_ws(line)) {
      if (n >= C) throw fail(l + 1, "frame " + std::to_string(frame) + " has more than " + std::to_string(C) + " values");
      auto v = parse_finite(tok);
      if (!v || !std::isfinite(static_cast<float>(*v)))
        throw fail(l + 1, "frame " + std::to_string(frame) + " value " + std::to_string(n + 1) + ": expected a number, got '" +
                              std::string(tok.substr(0, 32)) + "'");
      if (!extra) bvh.values.push_back(static_cast<float>(*v));
      ++n;
    }
    if (n != C)
      throw fail(l + 1, "frame " + std::to_string(frame) + " has " + std::to_string(n) + " values, expected " + std::to_string(C) +
                            " (one per channel)");
    ++frame;
  }
  if (frame > bvh.frames)
    bvh.warnings.push_back(std::to_string(frame - bvh.frames) + " frame line(s) beyond 'Frames: " + std::to_string(bvh.frames) +
                           "' ignored");
  if (frame < bvh.frames)
    throw fail(lines.size(), "file ends after " + std::to_string(frame) + " frames, 'Frames:' said " + std::to_string(bvh.frames));
  return bvh;
}

BvhFile read_bvh(const std::filesystem::path& path) { return parse_bvh(read_file(path), path.string()); }

void bvh_forward_kinematics(const BvhFile& bvh, int frame, std::vector<Vec3>& world) {
  const size_t J = bvh.joints.size();
  world.assign(J, {});
  std::vector<Mat3> rot(J, kIdentity);
  const float* values = frame >= 0 ? bvh.values.data() + static_cast<size_t>(frame) * bvh.channel_count : nullptr;
  for (size_t j = 0; j < J; ++j) {
    const BvhJoint& joint = bvh.joints[j];
    Vec3 t = joint.offset;
    Mat3 local = kIdentity;
    if (values) {
      for (size_t c = 0; c < joint.channels.size(); ++c) {
        const double v = values[joint.first_channel + c];
        switch (joint.channels[c]) {
          case Channel::x_position: t.x = v; break;
          case Channel::y_position: t.y = v; break;
          case Channel::z_position: t.z = v; break;
          default: local = mul(local, axis_rotation(joint.channels[c], v));
        }
      }
    }
    if (joint.parent < 0) {
      world[j] = t;
      rot[j] = local;
    } else {
      world[j] = world[joint.parent] + rotate(rot[joint.parent], t);
      rot[j] = mul(rot[joint.parent], local);
    }
  }
}

// ---------------------------------------------------------------- joint mapping

namespace {

// Lower-case letters and digits only, without a namespace ("mixamorig:LeftArm" -> "leftarm") or a
// Biped prefix ("Bip01 L Thigh" -> "lthigh").
std::string normalize_joint_name(std::string_view name) {
  if (auto colon = name.rfind(':'); colon != std::string_view::npos) name = name.substr(colon + 1);
  std::string out;
  for (char c : name)
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view prefix : {"bip001", "bip01", "biped"})
    if (out.size() > prefix.size() && out.compare(0, prefix.size(), prefix) == 0) {
      out.erase(0, prefix.size());
      break;
    }
  return out;
}

enum class Side { none, left, right };

// Every reading of a normalised name as (side, base): "leftupleg" -> (left, "upleg"); "thighl" -> (left, "thigh").
std::vector<std::pair<Side, std::string>> readings(const std::string& n) {
  std::vector<std::pair<Side, std::string>> out{{Side::none, n}};
  auto try_prefix = [&](std::string_view p, Side s) {
    if (n.size() > p.size() && n.compare(0, p.size(), p) == 0) out.push_back({s, n.substr(p.size())});
  };
  auto try_suffix = [&](std::string_view p, Side s) {
    if (n.size() > p.size() && n.compare(n.size() - p.size(), p.size(), p) == 0) out.push_back({s, n.substr(0, n.size() - p.size())});
  };
  try_prefix("left", Side::left), try_prefix("right", Side::right), try_prefix("l", Side::left), try_prefix("r", Side::right);
  try_suffix("left", Side::left), try_suffix("right", Side::right), try_suffix("l", Side::left), try_suffix("r", Side::right);
  return out;
}

struct Pattern {
  int joint;        // v3 joint
  Side side;
  std::vector<std::string_view> bases;  // most specific first
};

// Bases per v3 joint, in priority order. CMU/Mixamo call the clavicle "Shoulder" and the upper arm
// "Arm", anatomical rigs call the upper arm "Shoulder": "arm" is tried first, so both come out right.
const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> p = [] {
    std::vector<Pattern> v;
    auto limb = [&](int lj, int rj, std::vector<std::string_view> bases) {
      v.push_back({lj, Side::left, bases});
      v.push_back({rj, Side::right, bases});
    };
    limb(v3::l_hip, v3::r_hip, {"upleg", "upperleg", "thigh", "hip", "femur"});
    limb(v3::l_knee, v3::r_knee, {"leg", "lowerleg", "knee", "calf", "shin", "tibia"});
    limb(v3::l_ankle, v3::r_ankle, {"ankle", "foot"});
    limb(v3::l_shoulder, v3::r_shoulder, {"arm", "upperarm", "shoulder", "humerus"});
    limb(v3::l_elbow, v3::r_elbow, {"forearm", "lowerarm", "elbow"});
    limb(v3::l_wrist, v3::r_wrist, {"wrist", "hand"});
    v.push_back({v3::neck, Side::none, {"neck", "neck01", "neck0", "neck1", "neckbase", "spine4"}});
    v.push_back({v3::head_center, Side::none, {"head"}});
    return v;
  }();
  return p;
}

bool is_ancestor(const BvhFile& bvh, int ancestor, int joint) {
  for (int j = bvh.joints[joint].parent; j >= 0; j = bvh.joints[j].parent)
    if (j == ancestor) return true;
  return false;
}

int v3_joint_by_name(std::string_view name) {
  const auto& s = schema(SkeletonFormat::v3);
  for (int j = 0; j < s.joint_count(); ++j)
    if (s.joint_names[j] == name) return j;
  if (name == "head") return v3::head_center;
  return -1;
}

}  // namespace

std::map<std::string, std::string> parse_joint_map(std::string_view text, std::string_view origin) {
  std::map<std::string, std::string> out;
  const auto lines = split_lines(text);
  for (size_t l = 0; l < lines.size(); ++l) {
    std::string_view line = lines[l];
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    size_t sep = line.find_first_of("=: \t");
    // "mixamorig:Hips" contains a colon: only a separator when it follows a stickgen joint name.
    if (sep == std::string_view::npos)
      throw Error(std::string(origin) + ":" + std::to_string(l + 1) + ": expected 'stickgen_joint bvh_joint', got '" +
                  std::string(line) + "'");
    std::string key(trim(line.substr(0, sep)));
    std::string value(trim(line.substr(sep + 1)));
    if (!value.empty() && (value[0] == '=' || value[0] == ':')) value = std::string(trim(std::string_view(value).substr(1)));
    if (key == "head_top") {
      // allowed: the joint marking the top of the head
    } else if (key == "pelvis_center") {
      throw Error(std::string(origin) + ":" + std::to_string(l + 1) +
                  ": pelvis_center is always the midpoint of l_hip and r_hip; map the hips instead");
    } else if (v3_joint_by_name(key) < 0) {
      throw Error(std::string(origin) + ":" + std::to_string(l + 1) + ": unknown stickgen joint '" + key +
                  "' (expected head_center neck chest l_shoulder l_elbow l_wrist r_shoulder r_elbow r_wrist l_hip l_knee "
                  "l_ankle r_hip r_knee r_ankle head_top)");
    }
    if (value.empty())
      throw Error(std::string(origin) + ":" + std::to_string(l + 1) + ": no BVH joint named for '" + key + "'");
    if (out.count(key)) throw Error(std::string(origin) + ":" + std::to_string(l + 1) + ": '" + key + "' mapped twice");
    out[key] = value;
  }
  return out;
}

BvhJointMap map_bvh_joints(const BvhFile& bvh, const std::map<std::string, std::string>& overrides,
                           std::string_view origin) {
  BvhJointMap map;
  map.joint.fill(-1);
  const int J = static_cast<int>(bvh.joints.size());
  std::vector<std::vector<std::pair<Side, std::string>>> names(J);
  for (int j = 0; j < J; ++j)
    if (!bvh.joints[j].end_site) names[j] = readings(normalize_joint_name(bvh.joints[j].name));

  bool any_mixamo = false;
  for (const auto& j : bvh.joints) any_mixamo = any_mixamo || j.name.rfind("mixamorig", 0) == 0;
  map.rig = any_mixamo ? "mixamo" : (bvh.find("LHipJoint") >= 0 && bvh.find("LowerBack") >= 0 ? "cmu" : "generic");

  for (const Pattern& p : patterns()) {
    for (std::string_view base : p.bases) {
      for (int j = 0; j < J && map.joint[p.joint] < 0; ++j)
        for (const auto& [side, b] : names[j])
          if (side == p.side && b == base) {
            map.joint[p.joint] = j;
            break;
          }
      if (map.joint[p.joint] >= 0) break;
    }
  }
  // The top of the head: a HeadTop joint below the head, else the head's End Site.
  auto find_head_top = [&](int head) {
    map.head_top = -1;
    for (int j = 0; j < J; ++j) {
      if (!is_ancestor(bvh, head, j)) continue;
      const std::string n = normalize_joint_name(bvh.joints[j].name);
      if (!bvh.joints[j].end_site && n.rfind("headtop", 0) == 0) {
        map.head_top = j;
        return;
      }
    }
    for (int j = 0; j < J; ++j)
      if (bvh.joints[j].end_site && bvh.joints[j].parent == head) {
        map.head_top = j;
        return;
      }
  };

  bool any_override = false;
  for (const auto& [key, value] : overrides) {
    const int j = bvh.find(value);
    if (j < 0) throw Error(std::string(origin) + ": --joint-map: " + key + " -> '" + value + "': no such joint in the file");
    any_override = true;
    if (key == "head_top") continue;
    map.joint[v3_joint_by_name(key)] = j;
  }
  if (any_override) map.rig = "map";
  if (map.joint[v3::head_center] >= 0) find_head_top(map.joint[v3::head_center]);
  if (auto it = overrides.find("head_top"); it != overrides.end()) map.head_top = bvh.find(it->second);

  const auto& s = schema(SkeletonFormat::v3);
  for (int j = 0; j < v3::kJointCount; ++j) {
    if (j == v3::pelvis_center || j == v3::chest) continue;
    if (map.joint[j] < 0)
      throw Error(std::string(origin) + ": no joint for " + std::string(s.joint_names[j]) +
                  " (the rig's names match no known pattern; name it with --joint-map)");
  }
  // The limbs must be chains in the hierarchy, else a pattern matched the wrong joint.
  const std::pair<int, int> chains[] = {{v3::l_hip, v3::l_knee},           {v3::l_knee, v3::l_ankle},
                                        {v3::r_hip, v3::r_knee},           {v3::r_knee, v3::r_ankle},
                                        {v3::l_shoulder, v3::l_elbow},     {v3::l_elbow, v3::l_wrist},
                                        {v3::r_shoulder, v3::r_elbow},     {v3::r_elbow, v3::r_wrist},
                                        {v3::neck, v3::head_center}};
  for (auto [a, b] : chains)
    if (!is_ancestor(bvh, map.joint[a], map.joint[b]))
      throw Error(std::string(origin) + ": " + std::string(s.joint_names[b]) + " ('" + bvh.joints[map.joint[b]].name +
                  "') is not below " + std::string(s.joint_names[a]) + " ('" + bvh.joints[map.joint[a]].name +
                  "') in the hierarchy; name the joints with --joint-map");

  // Chest: the spine joint nearest 52.5 % of the way from the hips' midpoint up to the neck (rest pose).
  if (map.joint[v3::chest] < 0) {
    std::vector<Vec3> rest;
    bvh_forward_kinematics(bvh, -1, rest);
    const Vec3 pelvis = (rest[map.joint[v3::l_hip]] + rest[map.joint[v3::r_hip]]) * 0.5;
    const Vec3 neck = rest[map.joint[v3::neck]];
    const Vec3 target = pelvis + (neck - pelvis) * 0.525;
    const double torso = (neck - pelvis).norm();
    double best = std::numeric_limits<double>::infinity();
    for (int j = bvh.joints[map.joint[v3::neck]].parent; j >= 0; j = bvh.joints[j].parent) {
      const double along = (rest[j] - pelvis).dot(neck - pelvis) / std::max(torso * torso, 1e-12);
      if (along <= 0.15 || along >= 0.9) continue;  // the hips' and the neck's own joints are not a chest
      const double d = (rest[j] - target).norm();
      if (d < best) best = d, map.joint[v3::chest] = j;
    }
  }
  return map;
}

}  // namespace stickgen::convert
