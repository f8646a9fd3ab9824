// Each source's files -> takes (3-D v3 joints, +y up, labels) -> take_to_clips; input discovery, the
// dataset writer loop and load_motion_any.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

#include "data/convert/text_scan.hpp"
#include "stickgen/actions.hpp"
#include "stickgen/convert.hpp"
#include "stickgen/motion_file.hpp"

namespace stickgen {
namespace fs = std::filesystem;
using namespace convert;

namespace {

constexpr float kHumanML3DFps = 20.f;
constexpr float kInterHumanFps = 30.f;
constexpr float kNtuFps = 30.f;

// SMPL / HumanML3D 22-joint order -> v3 joints (pelvis_center is derived from the hips).
constexpr std::array<int, v3::kJointCount> kSmplToV3 = [] {
  std::array<int, v3::kJointCount> m{};
  m[v3::head_center] = 15, m[v3::neck] = 12, m[v3::chest] = 9, m[v3::pelvis_center] = 0;
  m[v3::l_shoulder] = 16, m[v3::l_elbow] = 18, m[v3::l_wrist] = 20;
  m[v3::r_shoulder] = 17, m[v3::r_elbow] = 19, m[v3::r_wrist] = 21;
  m[v3::l_hip] = 1, m[v3::l_knee] = 4, m[v3::l_ankle] = 7;
  m[v3::r_hip] = 2, m[v3::r_knee] = 5, m[v3::r_ankle] = 8;
  return m;
}();

// NTU RGB+D (Kinect v2) 25-joint order -> v3. Our neck is where the arms meet: spine_shoulder (20).
constexpr std::array<int, v3::kJointCount> kNtuToV3 = [] {
  std::array<int, v3::kJointCount> m{};
  m[v3::head_center] = 3, m[v3::neck] = 20, m[v3::chest] = 1, m[v3::pelvis_center] = 0;
  m[v3::l_shoulder] = 4, m[v3::l_elbow] = 5, m[v3::l_wrist] = 6;
  m[v3::r_shoulder] = 8, m[v3::r_elbow] = 9, m[v3::r_wrist] = 10;
  m[v3::l_hip] = 12, m[v3::l_knee] = 13, m[v3::l_ankle] = 14;
  m[v3::r_hip] = 16, m[v3::r_knee] = 17, m[v3::r_ankle] = 18;
  return m;
}();

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string up_text(const ConvertOptions& o, const char* fallback) {
  return o.up ? std::string(1, *o.up) : std::string(fallback);
}

int resolve_action(const ConvertOptions& opts, const std::string& text, std::optional<int> fallback = std::nullopt) {
  if (!opts.action.empty()) {
    auto id = action_id(opts.action);
    if (!id) throw Error("--action: unknown action '" + opts.action + "'");
    return *id;
  }
  if (fallback) return *fallback;
  if (auto a = action_for_text(text)) return *a;
  return kNoAction;
}

void finish_labels(Take& take, const ConvertOptions& opts) {
  if (!opts.description.empty()) take.description = opts.description;
  if (take.action != kNoAction) take.metadata["action"] = std::string(action_name(take.action));
}

float source_fps(const ConvertOptions& opts, float fallback) { return opts.fps ? *opts.fps : fallback; }

// A [T, J>=22, 3] array (or [T, D>=66] with 22 joints x 3 first, InterHuman's layout) as SMPL-order joints.
struct JointArray {
  int frames = 0, joints = 0;
  const float* data = nullptr;
  size_t stride = 0;  // floats per frame
};
JointArray smpl_joints(const NpyArray& a, const std::string& what, bool allow_flat) {
  JointArray j;
  if (a.shape.size() == 3 && a.shape[2] == 3 && a.shape[1] >= 22) {
    j.frames = static_cast<int>(a.shape[0]), j.joints = static_cast<int>(a.shape[1]), j.stride = static_cast<size_t>(a.shape[1]) * 3;
  } else if (allow_flat && a.shape.size() == 2 && a.shape[1] >= 66) {
    j.frames = static_cast<int>(a.shape[0]), j.joints = 22, j.stride = static_cast<size_t>(a.shape[1]);
  } else {
    std::string shape = "(";
    for (size_t i = 0; i < a.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape[i]);
    shape += ")";
    if (a.shape.size() == 2 && a.shape[1] == 263)
      throw Error(what + ": shape " + shape + " is HumanML3D's new_joint_vecs features, not positions; convert new_joints/*.npy");
    throw Error(what + ": shape " + shape + ": expected [T, J>=22, 3] joint positions" +
                (allow_flat ? " or [T, D>=66] with 22 joints x 3 first" : ""));
  }
  if (j.frames < 1) throw Error(what + ": no frames");
  if (j.frames > 10000000) throw Error(what + ": more than 10^7 frames");
  j.data = a.data.data();
  return j;
}

void fill_from_smpl(Take& take, int actor, const JointArray& j, const std::array<int, v3::kJointCount>& map) {
  for (int t = 0; t < take.frames && t < j.frames; ++t) {
    const float* f = j.data + static_cast<size_t>(t) * j.stride;
    for (int k = 0; k < v3::kJointCount; ++k) {
      const float* p = f + 3 * map[k];
      take.at(t, actor, k) = {p[0], p[1], p[2]};
    }
    take.present[static_cast<size_t>(t) * take.actors + actor] = 1;
  }
}

Take blank_take(int frames, int actors, float fps) {
  Take t;
  t.frames = frames, t.actors = actors, t.fps = fps;
  t.joints.assign(static_cast<size_t>(frames) * actors * v3::kJointCount, {});
  t.present.assign(static_cast<size_t>(frames) * actors, 0);
  return t;
}

std::string json_list(const std::vector<std::string>& items) { return nlohmann::json(items).dump(); }

// ---------------------------------------------------------------- BVH

// 100STYLE: <Style>_<BR|BW|FR|FW|ID|SR|SW|TR1|TR2|TR3>.bvh
struct StyleName {
  std::string style, gait_phrase;
  int action;
};
std::optional<StyleName> parse_100style(const std::string& stem) {
  static const std::regex re("^([A-Za-z]+)_(BR|BW|FR|FW|ID|SR|SW|TR1|TR2|TR3)$");
  std::smatch m;
  if (!std::regex_match(stem, m, re)) return std::nullopt;
  const std::string gait = m[2];
  StyleName s;
  s.style = words_of_name(m[1].str());
  if (gait == "FW") s.gait_phrase = "walks forwards", s.action = act::walk;
  else if (gait == "BW") s.gait_phrase = "walks backwards", s.action = act::walk;
  else if (gait == "SW") s.gait_phrase = "walks sideways", s.action = act::walk;
  else if (gait == "FR") s.gait_phrase = "runs forwards", s.action = act::run;
  else if (gait == "BR") s.gait_phrase = "runs backwards", s.action = act::run;
  else if (gait == "SR") s.gait_phrase = "runs sideways", s.action = act::run;
  else if (gait == "ID") s.gait_phrase = "stands in place", s.action = act::idle;
  else s.gait_phrase = "changes pace between walking and running", s.action = act::walk;
  // A style that is itself a way of moving replaces the gait's action.
  if (auto a = action_for_text(s.style)) {
    static const std::set<int> kLocomotion{act::skip, act::march, act::limp, act::hop, act::jump, act::crawling, act::spin};
    if (kLocomotion.count(*a)) s.action = *a;
  }
  return s;
}

// CMU descriptions: an explicit --index file, else index-like text files beside the BVH
// (cmu-mocap-index*.txt, <subject>_nn.bvh.source.txt, <stem>.txt).
std::map<std::string, std::string> cmu_index_for(const fs::path& bvh, const ConvertOptions& opts, bool& cgspeed_text) {
  std::map<std::string, std::string> index;
  cgspeed_text = false;
  auto absorb = [&](const fs::path& p) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) > (64u << 20)) return;
    const std::string text = read_file(p);
    if (text.find("cgspeed") != std::string::npos || text.find("mocap.cs.cmu.edu") != std::string::npos) cgspeed_text = true;
    for (auto& [k, v] : parse_cmu_index(text)) index.emplace(k, v);
  };
  if (!opts.index.empty()) absorb(opts.index);
  const fs::path dir = bvh.parent_path().empty() ? fs::path(".") : bvh.parent_path();
  const std::string stem = bvh.stem().string();
  absorb(dir / (stem + ".txt"));
  absorb(dir / (bvh.filename().string() + ".source.txt"));
  if (auto us = stem.find('_'); us != std::string::npos) absorb(dir / (stem.substr(0, us) + "_nn.bvh.source.txt"));
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = lower(it->path().filename().string());
    if (name.find("index") != std::string::npos && it->path().extension() == ".txt") absorb(it->path());
  }
  return index;
}

}  // namespace

Take convert::bvh_take(std::string_view text, const fs::path& path, const ConvertOptions& opts) {
  const BvhFile bvh = parse_bvh(text, path.string());
  if (bvh.frames < 1) throw Error(path.string() + ": the file has no frames");
  std::map<std::string, std::string> overrides;
  if (!opts.joint_map.empty()) overrides = parse_joint_map(read_file(opts.joint_map), opts.joint_map.string());
  const BvhJointMap map = map_bvh_joints(bvh, overrides, path.string());

  auto v3_points = [&](const std::vector<Vec3>& w, std::array<Vec3, v3::kJointCount>& out) {
    for (int j = 0; j < v3::kJointCount; ++j)
      if (map.joint[j] >= 0) out[j] = w[map.joint[j]];
    out[v3::pelvis_center] = (out[v3::l_hip] + out[v3::r_hip]) * 0.5;
    if (map.head_top >= 0) out[v3::head_center] = (w[map.joint[v3::head_center]] + w[map.head_top]) * 0.5;
    if (map.joint[v3::chest] < 0) out[v3::chest] = (out[v3::pelvis_center] + out[v3::neck]) * 0.5;
  };

  // Up axis from the rest pose: the signed world axis nearest the direction from the ankles to the head.
  std::vector<Vec3> world;
  std::array<Vec3, v3::kJointCount> pts;
  bvh_forward_kinematics(bvh, -1, world);
  v3_points(world, pts);
  const Vec3 rise = pts[v3::head_center] - (pts[v3::l_ankle] + pts[v3::r_ankle]) * 0.5;
  std::string up;
  if (opts.up) {
    up = std::string(1, *opts.up);
  } else {
    const double ax = std::fabs(rise.x), ay = std::fabs(rise.y), az = std::fabs(rise.z);
    if (ay >= ax && ay >= az) up = rise.y < 0 ? "-y" : "y";
    else if (az >= ax) up = rise.z < 0 ? "-z" : "z";
    else up = rise.x < 0 ? "-x" : "x";
  }

  const float fps = static_cast<float>(1.0 / bvh.frame_time);
  Take take = blank_take(bvh.frames, 1, fps);
  for (int f = 0; f < bvh.frames; ++f) {
    bvh_forward_kinematics(bvh, f, world);
    v3_points(world, pts);
    for (int j = 0; j < v3::kJointCount; ++j) take.at(f, 0, j) = pts[j];
    take.present[f] = 1;
  }
  make_y_up(take, up);

  const std::string stem = path.stem().string();
  take.id = stem;
  take.base_id = stem;
  bool cgspeed_text = false;
  const auto index = cmu_index_for(path, opts, cgspeed_text);
  static const std::regex cmu_name("^([0-9]+)_([0-9]+)$");
  std::smatch m;
  const bool cmu_named = std::regex_match(stem, m, cmu_name);
  std::optional<int> fallback_action;
  if (map.rig == "mixamo") {
    take.source = "mixamo";
  } else if (auto style = parse_100style(stem)) {
    take.source = "100style";
    take.description = "a person " + style->gait_phrase + " in the style " + style->style;
    take.metadata["style"] = style->style;
    fallback_action = style->action;
  } else if (map.rig == "cmu" || cmu_named || cgspeed_text) {
    take.source = "cmu";
  } else {
    take.source = "bvh";
  }
  if (take.description.empty()) {
    if (auto it = index.find(stem); it != index.end()) {
      take.description = it->second;
    } else if (cmu_named) {
      std::string subject = m[1].str();
      if (auto s = index.find(subject); s != index.end()) take.description = s->second;
    }
  }
  if (take.description.empty()) {
    const std::string words = words_of_name(stem);
    take.description = action_for_text(words) ? words : "";
  }
  take.action = resolve_action(opts, take.description, fallback_action);
  if (take.description.empty()) take.description = take.source == "cmu" ? "CMU motion capture take " + stem : "motion capture take " + stem;
  take.metadata["source_file"] = path.filename().string();
  take.metadata["bvh_rig"] = map.rig;
  take.metadata["bvh_frames"] = std::to_string(bvh.frames);
  take.metadata["bvh_frame_time"] = std::to_string(bvh.frame_time);
  take.metadata["up_axis"] = up;
  if (!bvh.warnings.empty()) take.metadata["bvh_warning"] = bvh.warnings.front();
  finish_labels(take, opts);
  return take;
}

namespace {

// ---------------------------------------------------------------- NTU RGB+D

// Levels a tilted camera: rotates about a horizontal axis so the mean torso direction (pelvis -> neck
// over every present frame) points straight up, when it is within 30 degrees of +y.
std::string level_camera(Take& take) {
  Vec3 sum;
  for (int t = 0; t < take.frames; ++t)
    for (int a = 0; a < take.actors; ++a) {
      if (!take.present[static_cast<size_t>(t) * take.actors + a]) continue;
      const Vec3 pelvis = (take.at(t, a, v3::l_hip) + take.at(t, a, v3::r_hip)) * 0.5;
      const Vec3 torso = take.at(t, a, v3::neck) - pelvis;
      const double n = torso.norm();
      if (n > 1e-9) sum = sum + torso * (1.0 / n);
    }
  const double n = sum.norm();
  if (n < 1e-9) return "none";
  const Vec3 u = sum * (1.0 / n), y{0, 1, 0};
  const double c = std::clamp(u.dot(y), -1.0, 1.0), angle = std::acos(c);
  if (angle < 1e-4 || angle > 30.0 * 3.14159265358979 / 180.0) return "none";
  // Rodrigues rotation taking u to y about k = u x y.
  Vec3 k = u.cross(y);
  k = k * (1.0 / k.norm());
  const double s = std::sin(angle);
  for (Vec3& p : take.joints) p = p * c + k.cross(p) * s + k * (k.dot(p) * (1 - c));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f deg", angle * 180.0 / 3.14159265358979);
  return buf;
}

}  // namespace

Take convert::ntu_take(std::string_view text, const fs::path& path, const ConvertOptions& opts, int max_actors) {
  if (max_actors < 1) throw Error("max actors must be at least 1");
  const NtuSkeleton sk = parse_ntu_skeleton(text, path.string());
  const int T = static_cast<int>(sk.frames.size());
  if (T < 1) throw Error(path.string() + ": the file has no frames");
  // Tracks by bodyID, in order of first appearance.
  struct Track {
    uint64_t id;
    int first = -1, last = -1, frames = 0;
    std::vector<int> body_at;  // per frame: index into sk.frames[t], -1 when absent
  };
  std::vector<Track> tracks;
  for (int t = 0; t < T; ++t)
    for (int b = 0; b < static_cast<int>(sk.frames[t].size()); ++b) {
      const uint64_t id = sk.frames[t][b].id;
      auto it = std::find_if(tracks.begin(), tracks.end(), [&](const Track& k) { return k.id == id; });
      if (it == tracks.end()) {
        tracks.push_back({id, t, t, 0, std::vector<int>(T, -1)});
        it = tracks.end() - 1;
      }
      if (it->body_at[t] < 0) ++it->frames;
      it->body_at[t] = b;
      it->last = t;
    }
  if (tracks.empty()) throw Error(path.string() + ": no body in any frame");
  // Tracks of one person re-acquired under a new bodyID join the earlier track's slot when they do not
  // overlap it, start within 1 s and within 0.6 m of where it ended.
  auto root = [&](int t, int b) {
    const auto& j = sk.frames[t][b].joints;
    return (j[12] + j[16]) * 0.5;
  };
  struct Slot {
    std::vector<int> track_ids;
    int last = -1, frames = 0;
    std::vector<int> body_at;
  };
  std::vector<Slot> slots;
  std::vector<int> order(tracks.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return tracks[a].first < tracks[b].first; });
  int dropped_short = 0;
  for (int ti : order) {
    const Track& tr = tracks[ti];
    if (tr.frames < 10) {  // a third of a second or less: a Kinect false detection
      ++dropped_short;
      continue;
    }
    Slot* target = nullptr;
    for (Slot& s : slots) {
      if (s.last >= tr.first || tr.first - s.last > 30) continue;
      if ((root(tr.first, tr.body_at[tr.first]) - root(s.last, s.body_at[s.last])).norm() <= 0.6) {
        target = &s;
        break;
      }
    }
    if (!target) {
      slots.push_back({{}, -1, 0, std::vector<int>(T, -1)});
      target = &slots.back();
    }
    target->track_ids.push_back(ti);
    for (int t = tr.first; t <= tr.last; ++t)
      if (tr.body_at[t] >= 0) target->body_at[t] = tr.body_at[t], ++target->frames;
    target->last = tr.last;
  }
  if (slots.empty()) throw Error(path.string() + ": no body is tracked for 10 frames or more");
  // More bodies than actor slots: keep the longest-tracked, in order of appearance.
  int dropped_extra = 0;
  if (static_cast<int>(slots.size()) > max_actors) {
    std::vector<int> rank(slots.size());
    std::iota(rank.begin(), rank.end(), 0);
    std::stable_sort(rank.begin(), rank.end(), [&](int a, int b) { return slots[a].frames > slots[b].frames; });
    std::vector<int> keep(rank.begin(), rank.begin() + max_actors);
    std::sort(keep.begin(), keep.end());
    std::vector<Slot> kept;
    for (int k : keep) kept.push_back(std::move(slots[k]));
    dropped_extra = static_cast<int>(slots.size()) - max_actors;
    slots = std::move(kept);
  }
  const int A = static_cast<int>(slots.size());
  Take take = blank_take(T, A, source_fps(opts, kNtuFps));
  for (int a = 0; a < A; ++a)
    for (int t = 0; t < T; ++t) {
      const int b = slots[a].body_at[t];
      if (b < 0) continue;
      for (int k = 0; k < v3::kJointCount; ++k) take.at(t, a, k) = sk.frames[t][b].joints[kNtuToV3[k]];
      take.present[static_cast<size_t>(t) * A + a] = 1;
    }
  if (opts.up) make_y_up(take, up_text(opts, "y"));
  else take.metadata["camera_levelled"] = level_camera(take);

  const std::string stem = path.stem().string();
  take.id = stem;
  take.source = "ntu";
  take.metadata["source_file"] = path.filename().string();
  take.metadata["up_axis"] = up_text(opts, "y");
  if (dropped_short) take.metadata["dropped_short_bodies"] = std::to_string(dropped_short);
  if (dropped_extra) take.metadata["dropped_extra_bodies"] = std::to_string(dropped_extra);
  std::optional<int> fallback;
  if (auto name = parse_ntu_name(stem)) {
    char base[32];
    std::snprintf(base, sizeof base, "S%03dP%03dR%03dA%03d", name->setup, name->performer, name->replication, name->action);
    take.base_id = base;  // the three cameras of one performance share it
    take.metadata["ntu_class"] = "A" + std::string(base + 13);
    if (name->action >= 1 && name->action <= 60) {
      const NtuClass& c = ntu_classes()[name->action - 1];
      take.description = std::string(c.name);
      fallback = c.action;
    } else {
      take.metadata["ntu_note"] = "class outside the NTU RGB+D 60 table; no action label";
    }
  }
  take.action = resolve_action(opts, take.description, fallback);
  if (take.description.empty()) take.description = "NTU RGB+D take " + stem;
  finish_labels(take, opts);
  return take;
}

namespace {

// ---------------------------------------------------------------- HumanML3D

struct Caption {
  std::string text;
  float start = 0.f, end = 0.f;  // seconds; 0, 0 = the whole clip
};

std::vector<Caption> read_captions(const fs::path& path) {
  std::vector<Caption> out;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return out;
  const std::string text = read_file(path);
  const auto lines = split_lines(text);
  for (size_t l = 0; l < lines.size(); ++l) {
    const std::string_view line = trim(lines[l]);
    if (line.empty()) continue;
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
      const size_t hash = line.find('#', start);
      parts.push_back(line.substr(start, hash - start));
      if (hash == std::string_view::npos) break;
      start = hash + 1;
    }
    Caption c;
    c.text = std::string(trim(parts[0]));
    if (parts.size() >= 4) {
      auto parse_time = [&](std::string_view s, const char* field) {
        s = trim(s);
        if (equals_ignore_case(s, "nan")) return 0.f;  // the published files write nan for "whole clip"
        auto v = parse_finite(s);
        if (!v || *v < 0 || *v > 1e6)
          throw Error(path.string() + ":" + std::to_string(l + 1) + ": " + field + ": expected seconds, got '" + std::string(s.substr(0, 32)) + "'");
        return static_cast<float>(*v);
      };
      c.start = parse_time(parts[2], "start");
      c.end = parse_time(parts[3], "end");
    } else if (parts.size() != 1) {
      throw Error(path.string() + ":" + std::to_string(l + 1) + ": expected 'caption#tokens#start#end'");
    }
    if (!c.text.empty()) out.push_back(std::move(c));
  }
  return out;
}

std::vector<Take> humanml3d_takes(const fs::path& path, const ConvertOptions& opts) {
  const NpyArray a = read_npy(path);
  const JointArray j = smpl_joints(a, path.string(), false);
  const std::string stem = path.stem().string();
  fs::path texts = path.parent_path().parent_path() / "texts" / (stem + ".txt");
  if (!fs::exists(texts)) texts = path.parent_path() / (stem + ".txt");
  const std::vector<Caption> captions = read_captions(texts);
  const float fps = source_fps(opts, kHumanML3DFps);
  // Mirrored copies (M000123) are the same take as 000123 for splitting.
  const std::string base = stem.size() > 1 && stem[0] == 'M' ? stem.substr(1) : stem;

  Take whole = blank_take(j.frames, 1, fps);
  fill_from_smpl(whole, 0, j, kSmplToV3);
  make_y_up(whole, up_text(opts, "y"));
  whole.source = "humanml3d";
  whole.base_id = base;
  whole.metadata["source_file"] = path.filename().string();
  whole.metadata["up_axis"] = up_text(opts, "y");

  std::vector<Take> takes;
  std::vector<std::string> whole_captions;
  int span = 0;
  for (const Caption& c : captions) {
    if (c.start == 0.f && c.end == 0.f) {
      whole_captions.push_back(c.text);
      continue;
    }
    const int b = static_cast<int>(std::floor(c.start * fps)), e = std::min(j.frames, static_cast<int>(std::floor(c.end * fps)));
    if (e - b < 2) continue;  // a span outside the motion or under two frames
    Take t = blank_take(e - b, 1, fps);
    for (int f = b; f < e; ++f) {
      std::copy_n(&whole.at(f, 0, 0), v3::kJointCount, &t.at(f - b, 0, 0));
      t.present[f - b] = 1;
    }
    t.source = whole.source, t.base_id = base, t.metadata = whole.metadata;
    t.id = stem + "_s" + std::to_string(span++);
    t.description = c.text;
    t.metadata["span_s"] = std::to_string(c.start) + "-" + std::to_string(c.end);
    t.action = resolve_action(opts, t.description);
    finish_labels(t, opts);
    takes.push_back(std::move(t));
  }
  whole.id = stem;
  whole.description = whole_captions.empty() ? "" : whole_captions.front();
  if (whole_captions.size() > 1) whole.metadata["captions"] = json_list(whole_captions);
  whole.action = resolve_action(opts, whole.description);
  if (captions.empty()) whole.metadata["caption_note"] = "no captions found at " + texts.string();
  finish_labels(whole, opts);
  if (!whole_captions.empty() || takes.empty()) takes.insert(takes.begin(), std::move(whole));
  return takes;
}

// ---------------------------------------------------------------- InterHuman

// <root>/motions/person1/<id>.npy + person2/<id>.npy, captions in <root>/annots/<id>.txt.
Take interhuman_take(const fs::path& person1, const ConvertOptions& opts) {
  const fs::path dir1 = person1.parent_path();
  const fs::path person2 = dir1.parent_path() / "person2" / person1.filename();
  if (!fs::exists(person2)) throw Error(person2.string() + ": missing (InterHuman clips have person1/ and person2/ files)");
  const NpyArray a1 = read_npy(person1), a2 = read_npy(person2);
  const JointArray j1 = smpl_joints(a1, person1.string(), true), j2 = smpl_joints(a2, person2.string(), true);
  const int T = std::max(j1.frames, j2.frames);
  Take take = blank_take(T, 2, source_fps(opts, kInterHumanFps));
  fill_from_smpl(take, 0, j1, kSmplToV3);
  fill_from_smpl(take, 1, j2, kSmplToV3);
  make_y_up(take, up_text(opts, "z"));
  const std::string stem = person1.stem().string();
  take.id = stem;
  take.base_id = stem;
  take.source = "interhuman";
  take.metadata["up_axis"] = up_text(opts, "z");
  take.metadata["source_file"] = "person1/" + person1.filename().string();
  // annots/<id>.txt next to motions/ (or next to person1/ when there is no motions/ level)
  fs::path annot = dir1.parent_path().parent_path() / "annots" / (stem + ".txt");
  if (!fs::exists(annot)) annot = dir1.parent_path() / "annots" / (stem + ".txt");
  std::vector<std::string> lines;
  for (const Caption& c : read_captions(annot)) lines.push_back(c.text);
  if (!lines.empty()) take.description = lines.front();
  if (lines.size() > 1) take.metadata["captions"] = json_list(lines);
  if (lines.empty()) take.metadata["caption_note"] = "no annotation found at " + annot.string();
  take.action = resolve_action(opts, take.description);
  finish_labels(take, opts);
  return take;
}

// ---------------------------------------------------------------- AMASS joints

Take amass_take(const fs::path& path, const ConvertOptions& opts) {
  NpyArray joints;
  std::optional<float> fps = opts.fps;
  if (lower(path.extension().string()) == ".npz") {
    ZipReader zip(read_file(path), path.string());
    auto has = [&](const char* key) { return zip.contains(std::string(key) + ".npy"); };
    const char* key = nullptr;
    for (const char* k : {"joints", "positions", "joint_positions", "jtr", "Jtr", "joints3d"})
      if (has(k)) {
        key = k;
        break;
      }
    if (!key) {
      if (has("poses") || has("trans") || has("betas") || has("root_orient"))
        throw Error(path.string() + ": holds AMASS SMPL parameters (poses/betas/trans), which need the licensed SMPL "
                                    "body model to give joint positions; stickgen does not ship it: export joints "
                                    "[T, J>=22, 3] to a 'joints' array and convert that");
      std::string names;
      for (const auto& n : zip.names()) names += (names.empty() ? "" : ", ") + n;
      throw Error(path.string() + ": no joint positions (expected a 'joints' or 'positions' array; found " + names + ")");
    }
    joints = parse_npy(zip.read(std::string(key) + ".npy"), path.string() + ":" + key);
    if (!fps)
      for (const char* k : {"mocap_framerate", "mocap_frame_rate", "fps", "framerate", "frame_rate"})
        if (has(k)) {
          const NpyArray r = parse_npy(zip.read(std::string(k) + ".npy"), path.string() + ":" + k);
          if (r.size() != 1 || !(r.data[0] >= 1.f) || r.data[0] > 10000.f)
            throw Error(path.string() + ": " + k + ": expected one frame rate in [1, 10000]");
          fps = r.data[0];
          break;
        }
  } else {
    joints = read_npy(path);
  }
  if (!fps) throw Error(path.string() + ": no frame rate in the file (mocap_framerate); give it with --fps");
  const JointArray j = smpl_joints(joints, path.string(), false);
  Take take = blank_take(j.frames, 1, *fps);
  fill_from_smpl(take, 0, j, kSmplToV3);
  make_y_up(take, up_text(opts, "z"));
  take.id = path.stem().string();
  // AMASS names takes <dataset>/<subject>/<take>_poses: keep the subject for a readable, unique id.
  if (path.has_parent_path() && !path.parent_path().filename().empty())
    take.id = path.parent_path().filename().string() + "_" + take.id;
  take.base_id = take.id;
  take.source = "amass";
  take.metadata["source_file"] = path.filename().string();
  take.metadata["up_axis"] = up_text(opts, "z");
  take.description = words_of_name(path.stem().string());
  take.action = resolve_action(opts, take.description);
  if (take.action == kNoAction) take.description = "AMASS take " + path.stem().string();
  finish_labels(take, opts);
  return take;
}

bool has_extension(const fs::path& p, std::initializer_list<const char*> exts) {
  const std::string e = lower(p.extension().string());
  for (const char* x : exts)
    if (e == x) return true;
  return false;
}

}  // namespace

// ================================================================ public API

std::string_view convert_source_name(ConvertSource s) {
  switch (s) {
    case ConvertSource::bvh: return "bvh";
    case ConvertSource::ntu: return "ntu";
    case ConvertSource::humanml3d: return "humanml3d";
    case ConvertSource::interhuman: return "interhuman";
    case ConvertSource::amass_joints: return "amass-joints";
  }
  return "?";
}

std::optional<ConvertSource> parse_convert_source(std::string_view name) {
  for (auto s : {ConvertSource::bvh, ConvertSource::ntu, ConvertSource::humanml3d, ConvertSource::interhuman, ConvertSource::amass_joints})
    if (convert_source_name(s) == name) return s;
  if (name == "amass") return ConvertSource::amass_joints;
  return std::nullopt;
}

std::string_view view_name(ProjectionView v) {
  return v == ProjectionView::side ? "side" : v == ProjectionView::front ? "front" : "auto";
}

std::optional<ProjectionView> parse_view(std::string_view name) {
  if (name == "side") return ProjectionView::side;
  if (name == "front") return ProjectionView::front;
  if (name == "auto") return ProjectionView::automatic;
  return std::nullopt;
}

int default_max_actors(ConvertSource source) {
  return source == ConvertSource::ntu || source == ConvertSource::interhuman ? 2 : 1;
}

std::vector<ConvertedClip> convert_file(ConvertSource source, const fs::path& path, const ConvertOptions& opts) {
  if (opts.fps && (!(*opts.fps >= 1.f) || *opts.fps > 10000.f)) throw Error("--fps: expected a frame rate in [1, 10000]");
  if (opts.window_seconds > 0.f && opts.overlap_seconds >= opts.window_seconds)
    throw Error("--overlap: must be shorter than --window");
  std::vector<Take> takes;
  switch (source) {
    case ConvertSource::bvh: takes.push_back(bvh_take(read_file(path), path, opts)); break;
    case ConvertSource::ntu:
      takes.push_back(ntu_take(read_file(path), path, opts, opts.max_actors > 0 ? opts.max_actors : default_max_actors(source)));
      break;
    case ConvertSource::humanml3d: takes = humanml3d_takes(path, opts); break;
    case ConvertSource::interhuman: takes.push_back(interhuman_take(path, opts)); break;
    case ConvertSource::amass_joints: takes.push_back(amass_take(path, opts)); break;
  }
  std::vector<ConvertedClip> out;
  for (const Take& t : takes) {
    std::vector<ConvertedClip> clips;
    try {
      clips = take_to_clips(t, opts);
    } catch (const Error& e) {
      throw Error(path.string() + ": " + e.what());
    }
    for (auto& c : clips) out.push_back(std::move(c));
  }
  return out;
}

std::vector<fs::path> collect_inputs(ConvertSource source, const std::vector<fs::path>& paths) {
  std::vector<fs::path> out;
  auto wanted = [&](const fs::path& p) {
    switch (source) {
      case ConvertSource::bvh: return has_extension(p, {".bvh"});
      case ConvertSource::ntu: return has_extension(p, {".skeleton"});
      case ConvertSource::humanml3d: return has_extension(p, {".npy"}) && p.parent_path().filename() != "new_joint_vecs";
      case ConvertSource::interhuman: return has_extension(p, {".npy"}) && p.parent_path().filename() == "person1";
      case ConvertSource::amass_joints: return has_extension(p, {".npz", ".npy"});
    }
    return false;
  };
  for (const fs::path& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) throw Error(p.string() + ": no such file or directory");
    if (fs::is_directory(p, ec)) {
      fs::path root = p;
      if (source == ConvertSource::humanml3d && fs::is_directory(p / "new_joints")) root = p / "new_joints";
      const size_t before = out.size();
      for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && wanted(it->path())) out.push_back(it->path());
      if (ec) throw Error(p.string() + ": cannot list (" + ec.message() + ")");
      if (out.size() == before)
        throw Error(p.string() + ": no " + std::string(convert_source_name(source)) + " input files found" +
                    (source == ConvertSource::interhuman ? " (expected motions/person1/<id>.npy)" : ""));
    } else if (source == ConvertSource::interhuman && p.parent_path().filename() == "person2") {
      out.push_back(p.parent_path().parent_path() / "person1" / p.filename());
    } else {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ConvertSummary convert_to_dataset(ConvertSource source, const std::vector<fs::path>& inputs, const fs::path& out_dir,
                                  const ConvertOptions& opts, bool keep_going,
                                  const std::function<void(int, int, const fs::path&)>& progress) {
  ConvertSummary sum;
  const int max_actors = opts.max_actors > 0 ? opts.max_actors : default_max_actors(source);
  DatasetWriter writer(out_dir, opts.format, max_actors);
  std::set<std::string> ids;
  const int total = static_cast<int>(inputs.size());
  for (int i = 0; i < total; ++i) {
    const fs::path& path = inputs[i];
    if (progress) progress(i, total, path);
    ++sum.files;
    std::vector<ConvertedClip> clips;
    try {
      clips = convert_file(source, path, opts);
    } catch (const Error& e) {
      ++sum.files_failed;
      sum.errors.push_back(e.what());
      if (!keep_going) throw;
      continue;
    }
    for (ConvertedClip& c : clips) {
      if (!c.validation.ok()) {
        ++sum.clips_rejected;
        std::set<std::string> codes;
        for (const auto& issue : c.validation.issues) codes.insert(issue.code);
        for (const auto& code : codes) ++sum.reject_reasons[code];
        sum.rejections.push_back(c.record.id + ": " + c.validation.summary());
        continue;
      }
      // Same-named takes from different folders stay distinct.
      std::string id = c.record.id;
      for (int k = 2; ids.count(id); ++k) id = c.record.id + "_" + std::to_string(k);
      ids.insert(id);
      c.record.id = id;
      c.clip.id = id;
      c.clip.metadata["validation"] = "ok";
      writer.add(c.clip, c.record);
      ++sum.clips_written;
    }
  }
  if (progress) progress(total, total, {});
  if (sum.clips_written == 0) {
    std::string why;
    for (const auto& [code, n] : sum.reject_reasons) why += (why.empty() ? "" : ", ") + code + " " + std::to_string(n);
    throw Error(out_dir.string() + ": nothing to write: " +
                (sum.clips_rejected ? std::to_string(sum.clips_rejected) + " clip(s) failed validation (" + why + ")"
                                    : std::to_string(sum.files_failed) + " file(s) failed to convert"));
  }
  writer.finish();
  return sum;
}

bool is_convertible_motion(const fs::path& path) { return has_extension(path, {".bvh", ".skeleton", ".npy", ".npz"}); }

Clip load_motion_any(const fs::path& path, const ConvertOptions& opts) {
  if (has_extension(path, {".motion"})) return read_motion_file(path);
  ConvertSource source;
  fs::path input = path;
  if (has_extension(path, {".bvh"})) {
    source = ConvertSource::bvh;
  } else if (has_extension(path, {".skeleton"})) {
    source = ConvertSource::ntu;
  } else if (has_extension(path, {".npz"})) {
    source = ConvertSource::amass_joints;
  } else if (has_extension(path, {".npy"})) {
    const std::string parent = path.parent_path().filename().string();
    if (parent == "person1" || parent == "person2") {
      source = ConvertSource::interhuman;
      input = path.parent_path().parent_path() / "person1" / path.filename();
    } else {
      source = ConvertSource::humanml3d;
    }
  } else {
    throw Error(path.string() + ": unknown motion file type (expected .motion, .bvh, .skeleton, .npy or .npz)");
  }
  ConvertOptions o = opts;
  if (o.max_actors <= 0) o.max_actors = default_max_actors(source);
  auto clips = convert_file(source, input, o);
  if (clips.empty()) throw Error(path.string() + ": converted to no clip");
  return std::move(clips.front().clip);
}

}  // namespace stickgen
