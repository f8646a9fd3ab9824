// The .motion JSON file (SPEC §5) and our additive multi-actor extension ("actors"); the layout
// is documented in docs/FORMATS.md. The reader is strict: every error names the JSON path.
#include "stickgen/motion_file.hpp"

#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>

#include "stickgen/actions.hpp"

namespace stickgen {
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxFrames = 10'000'000;  // ~4.6 days at 25 fps; keeps frames*actors*dims in range
constexpr int64_t kMaxActors = 64;
constexpr double kMinFps = 0.001, kMaxFps = 10'000.0;
constexpr double kFloatOverflow = 0x1.ffffffp127;  // doubles from here on round to float infinity
constexpr std::string_view kJointFormat = "xy_lines_flat";
constexpr std::string_view kGenerator = "stickgen 0.1.0";

std::string describe(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return std::string(v.type_name()) + " " + s;
}

std::string idx(std::string_view path, size_t i) { return std::string(path) + "[" + std::to_string(i) + "]"; }

// Field access with errors that name the JSON path.
class Reader {
 public:
  explicit Reader(std::string_view origin) : origin_(origin) {}

  [[noreturn]] void fail(std::string_view path, const std::string& what) const {
    throw Error(origin_ + ": " + std::string(path) + ": " + what);
  }

  const json& object(const json& parent, std::string_view parent_path, const char* key) const {
    const json& v = required(parent, parent_path, key, "an object");
    if (!v.is_object()) fail(join(parent_path, key), "expected an object, got " + describe(v));
    return v;
  }

  const json* optional(const json& parent, const char* key) const {
    auto it = parent.find(key);
    return it == parent.end() ? nullptr : &*it;
  }

  const json& required(const json& parent, std::string_view parent_path, const char* key,
                       const std::string& expected) const {
    auto it = parent.find(key);
    if (it == parent.end()) fail(join(parent_path, key), "missing (expected " + expected + ")");
    return *it;
  }

  std::string string(const json& v, std::string_view path) const {
    if (!v.is_string()) fail(path, "expected a string, got " + describe(v));
    return v.get<std::string>();
  }

  // A whole number in [lo, hi] (an integral float such as 250.0 is accepted).
  int64_t integer(const json& v, std::string_view path, int64_t lo, int64_t hi, const std::string& expected) const {
    int64_t n = 0;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(hi)) fail(path, "expected " + expected + ", got " + std::to_string(u));
      n = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      n = v.get<int64_t>();
    } else if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!(d == std::floor(d)) || !(std::fabs(d) < 0x1p53))  // integral and exactly an int64
        fail(path, "expected " + expected + ", got " + describe(v));
      n = static_cast<int64_t>(d);
    } else {
      fail(path, "expected " + expected + ", got " + describe(v));
    }
    if (n < lo || n > hi) fail(path, "expected " + expected + ", got " + std::to_string(n));
    return n;
  }

  double number(const json& v, std::string_view path, const std::string& expected) const {
    if (!v.is_number()) fail(path, "expected " + expected + ", got " + describe(v));
    const double d = v.get<double>();
    if (!std::isfinite(d)) fail(path, "expected " + expected + ", got a non-finite number");
    return d;
  }

  void check_length(const json& v, std::string_view path, size_t count, const std::string& expected) const {
    if (!v.is_array()) fail(path, "expected an array of " + expected + ", got " + describe(v));
    if (v.size() != count) fail(path, "expected " + expected + ", got " + std::to_string(v.size()));
  }

  // Exactly `count` finite float numbers into `out`; `expected` says where the count comes from.
  void floats(const json& v, std::string_view path, size_t count, const std::string& expected, float* out) const {
    check_length(v, path, count, expected);
    for (size_t i = 0; i < count; ++i) {
      const json& e = v[i];
      if (!e.is_number()) fail(idx(path, i), "expected a number, got " + describe(e));
      const double d = e.get<double>();
      if (!std::isfinite(d) || std::fabs(d) >= kFloatOverflow)
        fail(idx(path, i), "expected a finite number within float range, got " + describe(e));
      // Between FLT_MAX and the overflow midpoint a double rounds to FLT_MAX; say so explicitly.
      out[i] = std::fabs(d) > std::numeric_limits<float>::max() ? std::copysign(std::numeric_limits<float>::max(), static_cast<float>(d > 0 ? 1 : -1))
                                                               : static_cast<float>(d);
    }
  }

  // Per-frame action names for one actor: T names ("" = none) or an empty array.
  void actions(const json& v, std::string_view path, int frames, int actors, int actor, Clip& clip) const {
    if (!v.is_array()) fail(path, "expected an array of action names, got " + describe(v));
    if (v.empty()) return;
    if (v.size() != static_cast<size_t>(frames))
      fail(path, "expected total_frames = " + std::to_string(frames) + " action names (one per frame) or [], got " +
                     std::to_string(v.size()));
    for (int t = 0; t < frames; ++t) {
      const json& e = v[t];
      if (!e.is_string()) fail(idx(path, t), "expected an action name, got " + describe(e));
      const std::string& name = e.get_ref<const std::string&>();
      int16_t id = kNoAction;
      if (!name.empty()) {
        auto found = action_id(name);
        if (!found) fail(idx(path, t), "unknown action '" + name + "'");
        id = static_cast<int16_t>(*found);
      }
      clip.actions[static_cast<size_t>(t) * actors + actor] = id;
    }
  }

  static std::string join(std::string_view parent, const char* key) {
    return parent.empty() ? std::string(key) : std::string(parent) + "." + key;
  }

 private:
  std::string origin_;
};

// ---------------------------------------------------------------- writing helpers

void append_float(std::string& out, float f) {
  if (f == 0.f && std::signbit(f)) {  // "-0" would read back as the integer 0
    out += "-0.0";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);  // shortest text that reads back to the same float
  out.append(buf, r.ptr);
}

void append_json(std::string& out, const json& v) { out += v.dump(-1, ' ', false, json::error_handler_t::replace); }

// A flat number array; when pretty, `row` numbers per line at `indent`.
void append_floats(std::string& out, const float* v, size_t n, size_t row, bool pretty, int indent) {
  out += '[';
  const std::string pad(pretty ? indent + 2 : 0, ' ');
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    if (pretty && i % row == 0) out += "\n" + pad;
    else if (pretty && i) out += ' ';
    append_float(out, v[i]);
  }
  if (pretty && n) out += "\n" + std::string(indent, ' ');
  out += ']';
}

std::string iso8601_utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void check_finite(const std::vector<float>& v, const std::string& what, const std::string& field) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) throw Error(what + ": " + field + "[" + std::to_string(i) + "] is not finite");
}

}  // namespace

// ---------------------------------------------------------------- reading

Clip parse_motion_json(std::string_view text, std::string_view origin) {
  Reader r(origin);
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    std::string msg = e.what();
    if (auto pos = msg.find("] "); pos != std::string::npos) msg = msg.substr(pos + 2);
    throw Error(std::string(origin) + ": not valid JSON (" + msg + ")");
  }
  if (!root.is_object()) r.fail("(top level)", "expected a JSON object, got " + std::string(root.type_name()));

  // meta
  const json& meta = r.object(root, "", "meta");
  if (const json* v = r.optional(meta, "version")) {
    const std::string version = r.string(*v, "meta.version");
    if (version.rfind("1.", 0) != 0) r.fail("meta.version", "expected \"1.x\", got \"" + version + "\"");
  }
  const double fps_d = r.number(r.required(meta, "meta", "fps", "a positive number"), "meta.fps", "a positive number");
  if (!(fps_d >= kMinFps) || fps_d > kMaxFps)
    r.fail("meta.fps", "expected a positive number from 0.001 to 10000, got " + describe(meta.at("fps")));
  const int64_t frames = r.integer(r.required(meta, "meta", "total_frames", "a frame count"), "meta.total_frames", 1,
                                   kMaxFrames, "a frame count from 1 to " + std::to_string(kMaxFrames));
  if (const json* v = r.optional(meta, "duration")) {
    const double d = r.number(*v, "meta.duration", "a non-negative number of seconds");
    if (d < 0) r.fail("meta.duration", "expected a non-negative number of seconds, got " + describe(*v));
  }
  for (const char* key : {"generator", "created_at"})
    if (const json* v = r.optional(meta, key)) r.string(*v, std::string("meta.") + key);

  // skeleton
  const json& skel = r.object(root, "", "skeleton");
  const int64_t dims = r.integer(r.required(skel, "skeleton", "input_dim", "20 or 48"), "skeleton.input_dim",
                                 std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), "20 or 48");
  auto format = format_from_dims(static_cast<int>(dims));
  if (dims != 20 && dims != 48) format.reset();
  if (!format) r.fail("skeleton.input_dim", "expected 20 or 48, got " + std::to_string(dims));
  const SkeletonSchema& s = schema(*format);
  if (const json* v = r.optional(skel, "type")) {
    const std::string type = r.string(*v, "skeleton.type");
    if (type != s.type_name)
      r.fail("skeleton.type", "expected \"" + std::string(s.type_name) + "\" for input_dim " + std::to_string(dims) +
                                  ", got \"" + type + "\"");
  }
  if (const json* v = r.optional(skel, "joint_format")) {
    const std::string jf = r.string(*v, "skeleton.joint_format");
    if (jf != kJointFormat) r.fail("skeleton.joint_format", "expected \"xy_lines_flat\", got \"" + jf + "\"");
  }
  if (const json* v = r.optional(skel, "segments")) {
    if (!v->is_array()) r.fail("skeleton.segments", "expected an array of segment names, got " + describe(*v));
    if (v->size() != s.segments.size())
      r.fail("skeleton.segments", "expected " + std::to_string(s.segments.size()) + " segment names for input_dim " +
                                      std::to_string(dims) + ", got " + std::to_string(v->size()));
    for (size_t i = 0; i < v->size(); ++i) {
      const std::string name = r.string((*v)[i], idx("skeleton.segments", i));
      if (name != s.segments[i].name)
        r.fail(idx("skeleton.segments", i), "expected \"" + std::string(s.segments[i].name) + "\", got \"" + name + "\"");
    }
  }

  // actors (our extension): how many, and which are present
  int actors = 1;
  const json* ext = r.optional(root, "actors");
  if (ext) {
    if (!ext->is_object()) r.fail("actors", "expected an object, got " + describe(*ext));
    actors = static_cast<int>(r.integer(r.required(*ext, "actors", "count", "an actor count"), "actors.count", 1,
                                        kMaxActors, "an actor count from 1 to " + std::to_string(kMaxActors)));
  }
  const int T = static_cast<int>(frames), A = actors, D = static_cast<int>(dims);
  const std::string dim_count = std::to_string(static_cast<int64_t>(T) * D);
  const std::string dim_expected = "total_frames*input_dim = " + dim_count + " numbers";
  const size_t pose_values = static_cast<size_t>(T) * D;

  // Every motion array must have its full length before the clip is allocated, so a small file
  // cannot ask for a huge clip.
  const json& motion0 = r.required(root, "", "motion", "total_frames*input_dim numbers");
  r.check_length(motion0, "motion", pose_values, dim_expected);
  const json* ext_motion = nullptr;
  if (ext && A > 1) {
    ext_motion = &r.required(*ext, "actors", "motion", "count-1 per-actor motion arrays");
    if (!ext_motion->is_array() || ext_motion->size() != static_cast<size_t>(A - 1))
      r.fail("actors.motion", "expected count-1 = " + std::to_string(A - 1) + " arrays (actors 1.." +
                                  std::to_string(A - 1) + "), got " + describe(*ext_motion));
    for (int a = 1; a < A; ++a) r.check_length((*ext_motion)[a - 1], idx("actors.motion", a - 1), pose_values, dim_expected);
  }

  Clip clip;
  try {
    clip = Clip::make(*format, T, A, static_cast<float>(fps_d));
  } catch (const Error& e) {
    r.fail("(clip)", e.what());
  }
  if (const json* v = r.optional(meta, "description")) clip.description = r.string(*v, "meta.description");
  if (const json* v = r.optional(meta, "id")) clip.id = r.string(*v, "meta.id");
  if (const json* v = r.optional(meta, "source")) clip.source = r.string(*v, "meta.source");
  if (const json* v = r.optional(meta, "metadata")) {
    if (!v->is_object()) r.fail("meta.metadata", "expected an object of strings, got " + describe(*v));
    for (const auto& [key, value] : v->items())
      clip.metadata[key] = r.string(value, "meta.metadata." + key);
  }

  // motion: actor 0 at the top level, actors 1.. in actors.motion
  std::vector<float> buf(pose_values);
  auto scatter_motion = [&](int a) {
    for (int t = 0; t < T; ++t) std::copy_n(buf.data() + static_cast<size_t>(t) * D, D, clip.pose(t, a));
  };
  r.floats(motion0, "motion", pose_values, dim_expected, buf.data());
  scatter_motion(0);

  // physics / camera (optional)
  const json* physics = r.optional(root, "physics");
  if (physics) {
    clip.physics.assign(static_cast<size_t>(T) * A * kPhysicsDims, 0.f);
    std::vector<float> p(static_cast<size_t>(T) * kPhysicsDims);
    r.floats(*physics, "physics", p.size(), "total_frames*6 = " + std::to_string(p.size()) + " numbers", p.data());
    for (int t = 0; t < T; ++t) std::copy_n(p.data() + static_cast<size_t>(t) * kPhysicsDims, kPhysicsDims, clip.physics_at(t, 0));
  }
  if (const json* v = r.optional(root, "camera")) {
    clip.camera.resize(static_cast<size_t>(T) * 3);
    r.floats(*v, "camera", clip.camera.size(), "total_frames*3 = " + std::to_string(clip.camera.size()) + " numbers",
             clip.camera.data());
  }
  if (const json* v = r.optional(root, "actions")) r.actions(*v, "actions", T, A, 0, clip);

  if (ext) {
    const std::string others = std::to_string(A - 1);
    auto per_actor = [&](const char* key, bool required) -> const json* {
      const std::string path = std::string("actors.") + key;
      const json* v = r.optional(*ext, key);
      if (!v) {
        if (required && A > 1) r.fail(path, "missing (expected " + others + " arrays, one per actor after the first)");
        return nullptr;
      }
      if (!v->is_array()) r.fail(path, "expected an array of " + others + " per-actor arrays, got " + describe(*v));
      if (v->size() != static_cast<size_t>(A - 1))
        r.fail(path, "expected count-1 = " + others + " arrays (actors 1.." + others + "), got " + std::to_string(v->size()));
      return v;
    };
    if (const json* m = per_actor("motion", A > 1)) {
      for (int a = 1; a < A; ++a) {
        r.floats((*m)[a - 1], idx("actors.motion", a - 1), pose_values, dim_expected, buf.data());
        scatter_motion(a);
      }
    }
    if (const json* acts = per_actor("actions", false)) {
      for (int a = 1; a < A; ++a) r.actions((*acts)[a - 1], idx("actors.actions", a - 1), T, A, a, clip);
    }
    const json* ext_physics = per_actor("physics", physics != nullptr);
    if (ext_physics && !physics) r.fail("actors.physics", "present but the top-level \"physics\" is missing");
    if (ext_physics) {
      std::vector<float> p(static_cast<size_t>(T) * kPhysicsDims);
      for (int a = 1; a < A; ++a) {
        r.floats((*ext_physics)[a - 1], idx("actors.physics", a - 1), p.size(),
                 "total_frames*6 = " + std::to_string(p.size()) + " numbers", p.data());
        for (int t = 0; t < T; ++t)
          std::copy_n(p.data() + static_cast<size_t>(t) * kPhysicsDims, kPhysicsDims, clip.physics_at(t, a));
      }
    }
    if (const json* present = r.optional(*ext, "present")) {
      const size_t n = static_cast<size_t>(T) * A;
      if (!present->is_array()) r.fail("actors.present", "expected an array of 0/1, got " + describe(*present));
      if (present->size() != n)
        r.fail("actors.present", "expected total_frames*count = " + std::to_string(n) + " values (0 or 1), got " +
                                     std::to_string(present->size()));
      for (size_t i = 0; i < n; ++i) {
        const json& e = (*present)[i];
        if (!e.is_number_unsigned() || e.get<uint64_t>() > 1)
          r.fail(idx("actors.present", i), "expected 0 or 1, got " + describe(e));
        clip.actor_mask[i] = static_cast<uint8_t>(e.get<uint64_t>());
      }
    }
  }
  clip.check_shapes();
  return clip;
}

Clip read_motion_file(const fs::path& path) { return parse_motion_json(read_file(path), path.string()); }

// ---------------------------------------------------------------- writing

std::string motion_to_json(const Clip& clip, bool pretty) {
  const std::string what = clip.id.empty() ? "clip" : "clip '" + one_line(clip.id) + "'";
  clip.check_shapes();
  if (clip.frames < 1) throw Error(what + ": no frames to write");
  if (clip.actors < 1) throw Error(what + ": no actors to write");
  if (clip.frames > kMaxFrames || clip.actors > kMaxActors)
    throw Error(what + ": too large for a .motion file (" + std::to_string(clip.frames) + " frames, " +
                std::to_string(clip.actors) + " actors)");
  check_finite(clip.motion, what, "motion");
  check_finite(clip.physics, what, "physics");
  check_finite(clip.camera, what, "camera");
  for (size_t i = 0; i < clip.actions.size(); ++i) {
    const int16_t id = clip.actions[i];
    if (id != kNoAction && action_name(id).empty())
      throw Error(what + ": actions[" + std::to_string(i) + "]: " + std::to_string(id) + " is not an action id");
  }

  const int T = clip.frames, A = clip.actors, D = clip.dims();
  const SkeletonSchema& s = clip.skeleton();
  bool all_present = true;
  for (uint8_t m : clip.actor_mask) all_present = all_present && m == 1;

  // One actor's track as a flat array.
  auto track = [&](const std::vector<float>& src, int width, int a) {
    std::vector<float> out(static_cast<size_t>(T) * width);
    for (int t = 0; t < T; ++t)
      std::copy_n(src.data() + clip.slot(t, a) * width, width, out.data() + static_cast<size_t>(t) * width);
    return out;
  };
  auto action_names = [&](int a) {
    json names = json::array();
    bool any = false;
    for (int t = 0; t < T; ++t) any = any || clip.action(t, a) != kNoAction;
    if (any)
      for (int t = 0; t < T; ++t) names.push_back(std::string(action_name(clip.action(t, a))));
    return names;
  };

  nlohmann::ordered_json meta;
  meta["version"] = "1.0";
  meta["generator"] = kGenerator;
  meta["created_at"] = iso8601_utc_now();
  meta["fps"] = 0;         // placeholders keep the key order; numbers are written below
  meta["duration"] = 0;
  meta["total_frames"] = T;
  meta["description"] = clip.description;
  if (!clip.id.empty()) meta["id"] = clip.id;
  if (!clip.source.empty()) meta["source"] = clip.source;
  if (!clip.metadata.empty()) meta["metadata"] = clip.metadata;

  nlohmann::ordered_json skel;
  skel["type"] = s.type_name;
  skel["joint_format"] = kJointFormat;
  skel["input_dim"] = D;
  skel["segments"] = json::array();
  for (const auto& seg : s.segments) skel["segments"].push_back(seg.name);

  const std::string nl = pretty ? "\n" : "", in1 = pretty ? "  " : "", in2 = pretty ? "    " : "";
  const std::string sep = pretty ? ": " : ":";
  std::string out = "{" + nl;

  // meta, with fps and duration as the shortest exact float text
  out += in1 + "\"meta\"" + sep + "{" + nl;
  bool first = true;
  for (const auto& [key, value] : meta.items()) {
    if (!first) out += "," + nl;
    first = false;
    out += in2;
    append_json(out, key);
    out += sep;
    if (key == "fps") append_float(out, clip.fps);
    else if (key == "duration") append_float(out, clip.duration());
    else if (pretty) {
      std::string v = value.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      for (size_t p = 0; (p = v.find('\n', p)) != std::string::npos; p += 1) v.insert(p + 1, in2);
      out += v;
    } else {
      out += value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    }
  }
  out += nl + in1 + "}," + nl;

  out += in1 + "\"skeleton\"" + sep;
  out += skel.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  out += "," + nl;

  auto field = [&](const char* key) { out += in1 + "\"" + key + "\"" + sep; };
  field("motion");
  const auto m0 = track(clip.motion, D, 0);
  append_floats(out, m0.data(), m0.size(), D, pretty, 2);
  out += "," + nl;
  field("actions");
  append_json(out, action_names(0));
  if (!clip.physics.empty()) {
    out += "," + nl;
    field("physics");
    const auto p0 = track(clip.physics, kPhysicsDims, 0);
    append_floats(out, p0.data(), p0.size(), kPhysicsDims, pretty, 2);
  }
  if (!clip.camera.empty()) {
    out += "," + nl;
    field("camera");
    append_floats(out, clip.camera.data(), clip.camera.size(), 3, pretty, 2);
  }

  if (A > 1 || !all_present) {
    out += "," + nl;
    field("actors");
    out += "{" + nl + in2 + "\"count\"" + sep + std::to_string(A) + "," + nl;
    out += in2 + "\"present\"" + sep + "[";
    for (size_t i = 0; i < clip.actor_mask.size(); ++i) {
      if (i) out += ',';
      if (pretty && i % A == 0) out += "\n      ";
      else if (pretty && i) out += ' ';
      out += clip.actor_mask[i] ? '1' : '0';
    }
    if (pretty) out += "\n    ";
    out += "]," + nl;
    auto per_actor = [&](const char* key, auto&& emit) {
      out += in2 + "\"" + key + "\"" + sep + "[";
      for (int a = 1; a < A; ++a) {
        if (a > 1) out += ",";
        if (pretty) out += "\n      ";
        emit(a);
      }
      if (pretty && A > 1) out += "\n    ";
      out += "]";
    };
    per_actor("motion", [&](int a) {
      const auto m = track(clip.motion, D, a);
      append_floats(out, m.data(), m.size(), D, pretty, 6);
    });
    out += "," + nl;
    per_actor("actions", [&](int a) { append_json(out, action_names(a)); });
    if (!clip.physics.empty()) {
      out += "," + nl;
      per_actor("physics", [&](int a) {
        const auto p = track(clip.physics, kPhysicsDims, a);
        append_floats(out, p.data(), p.size(), kPhysicsDims, pretty, 6);
      });
    }
    out += nl + in1 + "}";
  }
  out += nl + "}" + nl;
  return out;
}

void write_motion_file(const fs::path& path, const Clip& clip) {
  std::string text;
  try {
    text = motion_to_json(clip, false);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  write_file_atomic(path, text);
}

}  // namespace stickgen
