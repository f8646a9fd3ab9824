// Everything a frame needs, computed once per clip: joints, heads, camera views, faces, colours.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "render/scene.hpp"
#include "stickgen/common.hpp"

namespace stickgen {

using render_detail::Scene;

// ---------------------------------------------------------------- names and parsing

std::string_view style_name(RenderStyle s) {
  switch (s) {
    case RenderStyle::normal: return "normal";
    case RenderStyle::sketch: return "sketch";
    case RenderStyle::ink: return "ink";
    case RenderStyle::neon: return "neon";
  }
  return "normal";
}

std::optional<RenderStyle> parse_style(std::string_view name) {
  for (auto s : {RenderStyle::normal, RenderStyle::sketch, RenderStyle::ink, RenderStyle::neon})
    if (style_name(s) == name) return s;
  return std::nullopt;
}

std::string_view camera_name(CameraMode m) {
  switch (m) {
    case CameraMode::automatic: return "auto";
    case CameraMode::fixed: return "static";
    case CameraMode::follow: return "follow";
    case CameraMode::clip: return "clip";
  }
  return "auto";
}

std::optional<CameraMode> parse_camera(std::string_view name) {
  for (auto m : {CameraMode::automatic, CameraMode::fixed, CameraMode::follow, CameraMode::clip})
    if (camera_name(m) == name) return m;
  if (name == "fixed") return CameraMode::fixed;
  return std::nullopt;
}

std::optional<OutputFormat> output_format_for(const std::filesystem::path& path) {
  const std::string ext = extension_of(path);
  if (ext == "gif") return OutputFormat::gif;
  if (ext == "mp4") return OutputFormat::mp4;
  if (ext == "png") return OutputFormat::png;
  if (ext == "svg") return OutputFormat::svg;
  if (ext == "html" || ext == "htm") return OutputFormat::html;
  if (ext == "motion") return OutputFormat::motion;
  return std::nullopt;
}

std::string_view output_extensions() { return ".gif, .mp4, .png, .svg, .html, .motion"; }

std::optional<Rgb> parse_rgb(std::string_view text) {
  if (!text.empty() && text[0] == '#') text.remove_prefix(1);
  if (text.size() != 6) return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<int, 6> d{};
  for (int i = 0; i < 6; ++i)
    if ((d[i] = hex(text[i])) < 0) return std::nullopt;
  return Rgb{static_cast<uint8_t>(d[0] * 16 + d[1]), static_cast<uint8_t>(d[2] * 16 + d[3]),
             static_cast<uint8_t>(d[4] * 16 + d[5])};
}

std::string rgb_hex(Rgb c) {
  static const char* digits = "0123456789abcdef";
  std::string s = "#";
  for (uint8_t v : {c.r, c.g, c.b}) {
    s += digits[v >> 4];
    s += digits[v & 15];
  }
  return s;
}

// ---------------------------------------------------------------- colours

namespace {

constexpr Rgb hex(uint32_t v) {
  return Rgb{static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

// Six distinct hues per style; readable on that style's background.
constexpr std::array<std::array<Rgb, 6>, 4> kPalettes{{
    {hex(0x1d3557), hex(0xc1121f), hex(0x2a8a46), hex(0x7b2cbf), hex(0xd96500), hex(0x0f7c8c)},  // normal
    {hex(0x2b2b2b), hex(0xa33a2a), hex(0x2f5f8f), hex(0x3b7a3b), hex(0x7a4a9a), hex(0xa8651e)},  // sketch
    {hex(0x121212), hex(0x8e1b1b), hex(0x1b2f6e), hex(0x2f5a2a), hex(0x5a2d6e), hex(0x7a4a12)},  // ink
    {hex(0x38e8ff), hex(0xff4fd8), hex(0xa6ff3d), hex(0xffd23d), hex(0xff7a3d), hex(0x9d7bff)},  // neon
}};

}  // namespace

namespace render_detail {

StyleColors style_colors(RenderStyle style) {
  switch (style) {
    case RenderStyle::normal: return {hex(0xfbfbf8), hex(0xa3a3a0)};
    case RenderStyle::sketch: return {hex(0xf7f4ec), hex(0x9a968c)};
    case RenderStyle::ink: return {hex(0xf2ead8), hex(0x8a7b63)};
    case RenderStyle::neon: return {hex(0x0a0c18), hex(0x3c4478)};
  }
  return {hex(0xffffff), hex(0x999999)};
}

Rgb neon_core(Rgb c) {
  auto lift = [](uint8_t v) { return static_cast<uint8_t>(std::lround(v + (255 - v) * 0.45)); };
  return {lift(c.r), lift(c.g), lift(c.b)};
}

}  // namespace render_detail

Rgb background_color(RenderStyle style) { return render_detail::style_colors(style).background; }

Rgb actor_color(const RenderOptions& opts, int actor) {
  if (actor >= 0 && static_cast<size_t>(actor) < opts.actor_colors.size() && opts.actor_colors[actor])
    return *opts.actor_colors[actor];
  const auto& palette = kPalettes[static_cast<int>(opts.style)];
  return palette[static_cast<size_t>(std::max(actor, 0)) % palette.size()];
}

// ---------------------------------------------------------------- options

void check_render_options(const Clip& clip, const RenderOptions& opts) {
  clip.check_shapes();
  if (clip.frames <= 0) throw Error("clip: no frames to render");
  if (clip.actors <= 0) throw Error("clip: no actors to render");
  auto in = [](long v, long lo, long hi) { return v >= lo && v <= hi; };
  if (!in(opts.width, 16, 4096) || !in(opts.height, 16, 4096))
    throw Error("--size: expected WxH with 16..4096, got " + std::to_string(opts.width) + "x" +
                std::to_string(opts.height));
  if (!in(opts.frame, 0, clip.frames - 1))
    throw Error("--frame: expected 0.." + std::to_string(clip.frames - 1) + " (the clip has " +
                std::to_string(clip.frames) + " frames), got " + std::to_string(opts.frame));
  if (!in(opts.sheet_frames, 1, 1000))
    throw Error("--sheet-frames: expected 1..1000, got " + std::to_string(opts.sheet_frames));
  if (!in(opts.sheet_columns, 0, 100))
    throw Error("--sheet-columns: expected 0..100 (0 = automatic), got " + std::to_string(opts.sheet_columns));
  if (!in(opts.crf, 0, 51)) throw Error("--crf: expected 0..51, got " + std::to_string(opts.crf));
  if (!(opts.margin >= 0.f && opts.margin <= 0.4f))
    throw Error("--margin: expected 0..0.4, got " + std::to_string(opts.margin));
  if (opts.camera == CameraMode::clip && clip.camera.empty())
    throw Error("--camera clip: the clip has no camera track");
}

// ---------------------------------------------------------------- faces

FaceParams expression_face(Expression e) {
  //                 eye   tilt   raise  curve  open  width
  switch (e) {
    case Expression::neutral: return {1.00f, 0.00f, 0.00f, 0.10f, 0.00f, 0.50f};
    case Expression::happy: return {0.75f, 0.00f, 0.15f, 0.85f, 0.10f, 0.62f};
    case Expression::sad: return {0.80f, -0.70f, 0.00f, -0.70f, 0.00f, 0.45f};
    case Expression::surprised: return {1.50f, 0.00f, 0.75f, 0.00f, 0.70f, 0.34f};
    case Expression::angry: return {0.75f, 0.85f, -0.20f, -0.55f, 0.12f, 0.50f};
    case Expression::excited: return {1.30f, -0.10f, 0.45f, 1.00f, 0.60f, 0.66f};
  }
  return {};
}

namespace {

FaceParams lerp(const FaceParams& a, const FaceParams& b, float u) {
  auto l = [u](float x, float y) { return x + (y - x) * u; };
  return {l(a.eye_open, b.eye_open), l(a.brow_tilt, b.brow_tilt), l(a.brow_raise, b.brow_raise),
          l(a.mouth_curve, b.mouth_curve), l(a.mouth_open, b.mouth_open), l(a.mouth_width, b.mouth_width)};
}

// How far the mouth opens at the peak of a speech cycle.
float speech_amplitude(int action) {
  switch (action) {
    case act::shout: return 0.95f;
    case act::whisper: return 0.3f;
    case act::sing: return 0.8f;
    default: return 0.6f;
  }
}

}  // namespace

std::vector<FaceParams> face_track(const Clip& clip, int actor, const RenderOptions& opts) {
  std::vector<FaceParams> out(static_cast<size_t>(std::max(clip.frames, 0)));
  if (actor < 0 || actor >= clip.actors) return out;
  std::optional<Expression> fixed;
  if (static_cast<size_t>(actor) < opts.actor_expressions.size()) fixed = opts.actor_expressions[actor];
  const bool has_actions = clip.actions.size() == static_cast<size_t>(clip.frames) * clip.actors;
  const float fps = clip.fps > 0 ? clip.fps : kDefaultFps;
  const float transition_frames = std::max(1.f, kExpressionTransitionSeconds * fps);

  // This actor's own state: the blend in progress and the speech phase.
  bool started = false;
  Expression target = Expression::neutral;
  FaceParams from{}, current{};
  float since_change = 0.f;  // frames since the target changed
  double phase = 0.0;        // speech cycles since speech began
  int speaking = kNoAction;
  for (int t = 0; t < clip.frames; ++t) {
    const int action = has_actions ? clip.action(t, actor) : kNoAction;
    const bool valid_action = action >= 0 && action < kNumActions;
    Expression want = fixed ? *fixed : valid_action ? action_info(action).expression : Expression::neutral;
    const bool present = clip.present(t, actor);
    if (!started || !present) {
      // First appearance (or absent): no transition to show, take the target at once.
      target = want;
      current = from = expression_face(want);
      since_change = transition_frames;
      started = present;
    } else if (want != target) {
      from = current;
      target = want;
      since_change = 0.f;
    }
    if (since_change < transition_frames) {
      since_change += 1.f;
      float u = std::min(1.f, since_change / transition_frames);
      u = u * u * (3.f - 2.f * u);  // smoothstep: no jolt at either end
      current = lerp(from, expression_face(target), u);
    } else {
      current = expression_face(target);
    }
    FaceParams face = current;
    const float hz = valid_action && present ? action_info(action).speech_hz : 0.f;
    if (hz > 0.f) {
      if (speaking != action) phase = 0.0;  // a new utterance starts with the mouth closed
      speaking = action;
      // Speech opens the mouth further from wherever the expression holds it, so it cycles visibly
      // even on an open-mouthed (surprised, excited) face.
      const float open = speech_amplitude(action) * 0.5f * (1.f - static_cast<float>(std::cos(2.0 * M_PI * phase)));
      face.mouth_open = face.mouth_open + (1.f - face.mouth_open) * open;
      phase += hz / fps;
    } else {
      speaking = kNoAction;
    }
    out[static_cast<size_t>(t)] = face;
  }
  return out;
}

// ---------------------------------------------------------------- camera

namespace render_detail {
namespace {

struct Box {
  float x0 = std::numeric_limits<float>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  bool empty() const { return !(x0 <= x1 && y0 <= y1); }
  void add(Vec2 p, float r = 0.f) {
    x0 = std::min(x0, p.x - r), x1 = std::max(x1, p.x + r);
    y0 = std::min(y0, p.y - r), y1 = std::max(y1, p.y + r);
  }
  void add_box(const Box& b) {
    if (b.empty()) return;
    add(Vec2{b.x0, b.y0});
    add(Vec2{b.x1, b.y1});
  }
  float w() const { return x1 - x0; }
  float h() const { return y1 - y0; }
  Vec2 center() const { return {(x0 + x1) * 0.5f, (y0 + y1) * 0.5f}; }
};

constexpr float kMinExtent = 1.0f;  // world units; a tiny or collapsed pose is not blown up

// Pixels per unit that fit a w x h world box into the usable part of the image.
float fit_scale(const RenderOptions& o, float w, float h) {
  const float uw = o.width * (1.f - 2.f * o.margin), uh = o.height * (1.f - 2.f * o.margin);
  return std::min(uw / std::max(w, kMinExtent), uh / std::max(h, kMinExtent));
}

// Centred moving average (truncated at the ends), applied twice: a smooth, lag-free follow.
std::vector<float> smooth(const std::vector<float>& v, int radius) {
  std::vector<float> a = v, b(v.size());
  const int n = static_cast<int>(v.size());
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<double> prefix(n + 1, 0.0);
    for (int i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + a[i];
    for (int i = 0; i < n; ++i) {
      const int lo = std::max(0, i - radius), hi = std::min(n - 1, i + radius);
      b[i] = static_cast<float>((prefix[hi + 1] - prefix[lo]) / (hi - lo + 1));
    }
    a.swap(b);
  }
  return a;
}

bool finite_pose(const Vec2* j, int n) {
  for (int i = 0; i < n; ++i)
    if (!std::isfinite(j[i].x) || !std::isfinite(j[i].y)) return false;
  return true;
}

}  // namespace

std::vector<View> compute_views(const Clip& clip, const RenderOptions& o, const std::vector<Vec2>& joints,
                                const std::vector<Circle>& heads, int jn) {
  const int T = clip.frames, A = clip.actors;
  std::vector<Box> boxes(static_cast<size_t>(T));
  Box all;
  for (int t = 0; t < T; ++t) {
    for (int a = 0; a < A; ++a) {
      const size_t slot = static_cast<size_t>(t) * A + a;
      if (!clip.present(t, a)) continue;
      const Vec2* j = joints.data() + slot * jn;
      if (!finite_pose(j, jn)) continue;
      for (int k = 0; k < jn; ++k) boxes[t].add(j[k]);
      boxes[t].add(heads[slot].center, heads[slot].radius);
    }
    all.add_box(boxes[t]);
  }
  if (all.empty()) {  // nobody on stage: frame a standing figure's space at the origin
    all.add(Vec2{-0.6f, 0.f});
    all.add(Vec2{0.6f, 2.7f});
  }
  const float fixed_scale = fit_scale(o, all.w(), all.h());
  const Vec2 fixed_center = all.center();
  std::vector<View> views(static_cast<size_t>(T), View{fixed_center.x, fixed_center.y, fixed_scale});

  CameraMode mode = o.camera;
  if (mode == CameraMode::automatic) mode = clip.camera.empty() ? CameraMode::fixed : CameraMode::clip;
  if (mode == CameraMode::clip && clip.camera.size() == static_cast<size_t>(T) * 3) {
    for (int t = 0; t < T; ++t) {
      const float* c = clip.camera.data() + static_cast<size_t>(t) * 3;
      const float zoom = std::isfinite(c[2]) && c[2] > 0.f ? c[2] : 1.f;
      if (std::isfinite(c[0]) && std::isfinite(c[1])) views[t] = {c[0], c[1], fixed_scale * zoom};
    }
  } else if (mode == CameraMode::follow) {
    float max_w = 0.f, max_h = 0.f;
    for (const Box& b : boxes)
      if (!b.empty()) max_w = std::max(max_w, b.w()), max_h = std::max(max_h, b.h());
    const float scale = max_w > 0.f ? fit_scale(o, max_w, max_h) : fixed_scale;
    // Frames without anyone hold the nearest known centre.
    std::vector<float> cx(static_cast<size_t>(T)), cy(static_cast<size_t>(T));
    int first = -1;
    for (int t = 0; t < T; ++t) {
      if (!boxes[t].empty()) {
        if (first < 0) first = t;
        cx[t] = boxes[t].center().x, cy[t] = boxes[t].center().y;
      } else if (t > 0) {
        cx[t] = cx[t - 1], cy[t] = cy[t - 1];
      }
    }
    if (first < 0) first = 0, cx.assign(T, fixed_center.x), cy.assign(T, fixed_center.y);
    for (int t = 0; t < first; ++t) cx[t] = cx[first], cy[t] = cy[first];
    const int radius = std::max(1, static_cast<int>(std::lround(clip.fps * 0.4f)));
    cx = smooth(cx, radius);
    cy = smooth(cy, radius);
    // Keep the horizon still when the whole clip fits vertically; follow y only when it must.
    const bool still_y = all.h() * scale <= o.height * (1.f - 2.f * o.margin);
    for (int t = 0; t < T; ++t) views[t] = {cx[t], still_y ? fixed_center.y : cy[t], scale};
  }

  // Whatever the mode, nobody present leaves the picture: widen, then shift, just enough.
  for (int t = 0; t < T; ++t) {
    const Box& b = boxes[t];
    if (b.empty()) continue;
    View& v = views[t];
    const float keep = 1.f - o.margin;  // half the margin may be used before the view moves
    v.scale = std::min(v.scale, std::min(o.width * keep / std::max(b.w(), 1e-3f), o.height * keep / std::max(b.h(), 1e-3f)));
    const float hw = o.width * 0.5f * keep / v.scale, hh = o.height * 0.5f * keep / v.scale;
    if (b.x0 < v.cx - hw) v.cx = b.x0 + hw;
    if (b.x1 > v.cx + hw) v.cx = b.x1 - hw;
    if (b.y0 < v.cy - hh) v.cy = b.y0 + hh;
    if (b.y1 > v.cy + hh) v.cy = b.y1 - hh;
  }
  return views;
}

// ---------------------------------------------------------------- the scene

std::vector<Rgb> Scene::base_colors() const {
  std::vector<Rgb> out;
  auto add = [&](Rgb c) {
    if (c == style.background) return;
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  if (has_ground) add(style.ground);
  for (int a = 0; a < actors(); ++a) {
    add(colors[a]);
    if (opts.style == RenderStyle::neon) add(neon_core(colors[a]));
  }
  return out;
}

Scene build_scene(const Clip& clip, const RenderOptions& opts) {
  check_render_options(clip, opts);
  Scene s;
  s.clip = &clip;
  s.opts = opts;
  s.opts.progress = nullptr;
  s.schema = &clip.skeleton();
  s.joint_count = s.schema->joint_count();
  const int T = clip.frames, A = clip.actors;
  s.joints.resize(static_cast<size_t>(T) * A * s.joint_count);
  s.heads.resize(static_cast<size_t>(T) * A);
  float lowest = std::numeric_limits<float>::infinity();
  for (int t = 0; t < T; ++t) {
    for (int a = 0; a < A; ++a) {
      const size_t slot = static_cast<size_t>(t) * A + a;
      Vec2* j = s.joints.data() + slot * s.joint_count;
      segments_to_joints(*s.schema, clip.pose(t, a), j);
      s.heads[slot] = head_circle(*s.schema, j);
      if (!clip.present(t, a) || !finite_pose(j, s.joint_count)) continue;
      for (int k = 0; k < s.joint_count; ++k) lowest = std::min(lowest, j[k].y);
    }
  }
  s.has_ground = opts.ground && std::isfinite(lowest);
  s.ground_y = std::isfinite(lowest) ? lowest : 0.f;
  s.views = compute_views(clip, opts, s.joints, s.heads, s.joint_count);
  s.faces.resize(static_cast<size_t>(A));
  if (opts.faces)
    for (int a = 0; a < A; ++a) s.faces[a] = face_track(clip, a, opts);
  s.style = style_colors(opts.style);
  for (int a = 0; a < A; ++a) s.colors.push_back(actor_color(opts, a));
  return s;
}

}  // namespace render_detail

std::vector<View> camera_track(const Clip& clip, const RenderOptions& opts) {
  return render_detail::build_scene(clip, opts).views;
}

}  // namespace stickgen
