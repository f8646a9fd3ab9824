// The HTML output: web/player.html (embedded at build time) with the clip's .motion document and
// the renderer's settings (colours, views, the action table) filled in. One file, no network.
#include <cmath>
#include <nlohmann/json.hpp>

#include "render/scene.hpp"
#include "stickgen/common.hpp"
#include "stickgen/motion_file.hpp"

#if __has_include("stickgen/player_html.inc")
#include "stickgen/player_html.inc"  // kPlayerHtml: web/player.html as bytes, NUL-terminated
#define STICKGEN_PLAYER_EMBEDDED 1
#endif

namespace stickgen {
namespace {

std::string player_template() {
#ifdef STICKGEN_PLAYER_EMBEDDED
  return std::string(reinterpret_cast<const char*>(kPlayerHtml), sizeof(kPlayerHtml) - 1);
#else
  // Built without the embedding step: read the player from the source tree.
  return read_file(std::filesystem::path(STICKGEN_SOURCE_DIR) / "web" / "player.html");
#endif
}

// JSON inside <script>: '<' only occurs inside JSON strings, where \u003c means the same, so no
// "</script>" or "<!--" in a description can end the block early.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

float round4(float v) { return std::round(v * 1e4f) / 1e4f; }

}  // namespace

std::string html_player_page(const Clip& clip, const RenderOptions& opts) {
  const render_detail::Scene scene = render_detail::build_scene(clip, opts);
  using nlohmann::json;
  json cfg;
  cfg["width"] = opts.width;
  cfg["height"] = opts.height;
  cfg["style"] = style_name(opts.style);
  cfg["faces"] = opts.faces;
  cfg["showGround"] = scene.has_ground;
  cfg["margin"] = opts.margin;
  cfg["background"] = rgb_hex(scene.style.background);
  cfg["ground"] = rgb_hex(scene.style.ground);
  cfg["colors"] = json::array();
  for (Rgb c : scene.colors) cfg["colors"].push_back(rgb_hex(c));
  cfg["lineWidth"] = 0.038;  // of the view scale, as draw.cpp
  cfg["transition"] = kExpressionTransitionSeconds;
  cfg["seed"] = opts.seed;
  json views = json::array();
  for (const View& v : scene.views) views.push_back({round4(v.cx), round4(v.cy), round4(v.scale)});
  cfg["views"] = std::move(views);
  json actions = json::array();
  for (const ActionInfo& a : stickgen::actions())
    actions.push_back({{"name", a.name}, {"expression", expression_name(a.expression)}, {"speech_hz", a.speech_hz}});
  cfg["actions"] = std::move(actions);
  json expressions = json::object();
  for (int e = 0; e < kNumExpressions; ++e) {
    const FaceParams f = expression_face(static_cast<Expression>(e));
    expressions[std::string(expression_name(static_cast<Expression>(e)))] =
        json::array({f.eye_open, f.brow_tilt, f.brow_raise, f.mouth_curve, f.mouth_open, f.mouth_width});
  }
  cfg["expressions"] = std::move(expressions);
  json overrides = json::array();
  bool any_override = false;
  for (int a = 0; a < clip.actors; ++a) {
    const bool has = static_cast<size_t>(a) < opts.actor_expressions.size() && opts.actor_expressions[a];
    any_override = any_override || has;
    overrides.push_back(has ? json(expression_name(*opts.actor_expressions[a])) : json(nullptr));
  }
  if (any_override) cfg["actorExpressions"] = std::move(overrides);

  const std::string motion = motion_to_json(clip, false);
  const std::string config = cfg.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string title = clip.description.empty() ? "stickgen animation" : clip.description;

  // Fill the placeholders of the template in one pass (inserted text is never rescanned).
  const std::string tpl = player_template();
  const std::pair<std::string_view, std::string> fills[] = {
      {"__STICKGEN_TITLE__", html_escape(title)},
      {"__STICKGEN_MOTION__", script_safe(motion)},
      {"__STICKGEN_CONFIG__", script_safe(config)},
  };
  std::string out;
  out.reserve(tpl.size() + motion.size() + config.size() + 256);
  size_t pos = 0;
  for (;;) {
    size_t best = std::string::npos;
    const std::pair<std::string_view, std::string>* which = nullptr;
    for (const auto& f : fills) {
      const size_t at = tpl.find(f.first, pos);
      if (at < best) best = at, which = &f;
    }
    if (!which) break;
    out.append(tpl, pos, best - pos);
    out += which->second;
    pos = best + which->first.size();
  }
  out.append(tpl, pos, std::string::npos);
  return out;
}

void render_html(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts) {
  std::string page;
  try {
    page = html_player_page(clip, opts);
  } catch (const Error& e) {
    const std::string msg = e.what();
    throw Error(msg.rfind("--", 0) == 0 || msg.rfind(path.string(), 0) == 0 ? msg : path.string() + ": " + msg);
  }
  write_file_atomic(path, page);
}

}  // namespace stickgen
