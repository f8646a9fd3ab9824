// Plan <-> JSON, the human-readable table, and the invariant checker.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "stickgen/common.hpp"
#include "stickgen/planner.hpp"

namespace stickgen {
namespace {

constexpr std::string_view kDirectionNames[] = {"none", "forward", "backward", "left",
                                                "right", "toward", "away", "around"};

using json = nlohmann::ordered_json;

float round3(float v) { return std::round(v * 1000.f) / 1000.f; }

template <typename T>
T get_field(const json& obj, const char* name, const std::string& where, T fallback, bool required = false) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    if (required) throw Error("plan JSON: " + where + "." + name + " is missing");
    return fallback;
  }
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    throw Error("plan JSON: " + where + "." + name + " has the wrong type");
  }
}

}  // namespace

std::string_view direction_name(Direction d) {
  int i = static_cast<int>(d);
  if (i < 0 || i >= static_cast<int>(std::size(kDirectionNames))) return "none";
  return kDirectionNames[i];
}

std::optional<Direction> parse_direction(std::string_view name) {
  for (size_t i = 0; i < std::size(kDirectionNames); ++i)
    if (kDirectionNames[i] == name) return static_cast<Direction>(i);
  return std::nullopt;
}

std::string plan_to_json(const Plan& plan, int indent) {
  json j;
  j["prompt"] = plan.prompt;
  j["duration"] = round3(plan.duration);
  j["actors"] = json::array();
  for (const auto& a : plan.actors) {
    json ja;
    ja["name"] = a.name;
    ja["kind"] = a.kind;
    ja["color"] = a.color;
    ja["start_x"] = round3(a.start_x);
    ja["facing"] = a.facing;
    ja["timeline"] = json::array();
    for (const auto& s : a.timeline) {
      json js;
      js["action"] = std::string(action_name(s.action));
      js["start"] = round3(s.start);
      js["end"] = round3(s.end);
      js["tempo"] = round3(s.tempo);
      js["intensity"] = round3(s.intensity);
      js["direction"] = std::string(direction_name(s.direction));
      js["expression"] = std::string(expression_name(s.expression));
      js["target"] = s.target_actor;
      js["repeats"] = s.repeats;
      js["verb"] = s.verb;
      js["overlay"] = s.overlay >= 0 ? json(std::string(action_name(s.overlay))) : json(nullptr);
      ja["timeline"].push_back(std::move(js));
    }
    j["actors"].push_back(std::move(ja));
  }
  j["warnings"] = plan.warnings;
  // Prompts are arbitrary bytes: replace invalid UTF-8 rather than throwing.
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

Plan plan_from_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    throw Error(std::string("plan JSON: not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw Error("plan JSON: expected an object at the top level");
  Plan p;
  p.prompt = get_field<std::string>(j, "prompt", "plan", "");
  p.duration = get_field<float>(j, "duration", "plan", 0.f, true);
  if (!(p.duration > 0.f) || !std::isfinite(p.duration)) throw Error("plan JSON: plan.duration must be > 0");
  auto actors = j.find("actors");
  if (actors == j.end() || !actors->is_array()) throw Error("plan JSON: plan.actors must be an array");
  for (size_t ai = 0; ai < actors->size(); ++ai) {
    const auto& ja = (*actors)[ai];
    std::string where = "actors[" + std::to_string(ai) + "]";
    if (!ja.is_object()) throw Error("plan JSON: " + where + " must be an object");
    ActorPlan a;
    a.name = get_field<std::string>(ja, "name", where, "");
    a.kind = get_field<std::string>(ja, "kind", where, "person");
    a.color = get_field<std::string>(ja, "color", where, "");
    a.start_x = get_field<float>(ja, "start_x", where, 0.f);
    a.facing = get_field<int>(ja, "facing", where, 1) < 0 ? -1 : 1;
    auto tl = ja.find("timeline");
    if (tl == ja.end() || !tl->is_array()) throw Error("plan JSON: " + where + ".timeline must be an array");
    for (size_t si = 0; si < tl->size(); ++si) {
      const auto& js = (*tl)[si];
      std::string sw = where + ".timeline[" + std::to_string(si) + "]";
      if (!js.is_object()) throw Error("plan JSON: " + sw + " must be an object");
      ActionSegment s;
      auto name = get_field<std::string>(js, "action", sw, "", true);
      auto id = action_id(name);
      if (!id) throw Error("plan JSON: " + sw + ".action '" + name + "' is not one of the 64 actions");
      s.action = *id;
      s.start = get_field<float>(js, "start", sw, 0.f, true);
      s.end = get_field<float>(js, "end", sw, 0.f, true);
      s.tempo = get_field<float>(js, "tempo", sw, 1.f);
      s.intensity = get_field<float>(js, "intensity", sw, 1.f);
      auto dir = get_field<std::string>(js, "direction", sw, "none");
      auto d = parse_direction(dir);
      if (!d) throw Error("plan JSON: " + sw + ".direction '" + dir + "' is not a direction");
      s.direction = *d;
      auto ex = get_field<std::string>(js, "expression", sw, std::string(expression_name(action_info(s.action).expression)));
      auto e = parse_expression(ex);
      if (!e) throw Error("plan JSON: " + sw + ".expression '" + ex + "' is not an expression");
      s.expression = *e;
      s.target_actor = get_field<int>(js, "target", sw, -1);
      s.repeats = get_field<int>(js, "repeats", sw, 0);
      s.verb = get_field<std::string>(js, "verb", sw, "");
      auto ov = get_field<std::string>(js, "overlay", sw, "");
      if (!ov.empty()) {
        auto oid = action_id(ov);
        if (!oid) throw Error("plan JSON: " + sw + ".overlay '" + ov + "' is not one of the 64 actions");
        s.overlay = *oid;
      }
      a.timeline.push_back(std::move(s));
    }
    p.actors.push_back(std::move(a));
  }
  auto w = j.find("warnings");
  if (w != j.end() && w->is_array())
    for (const auto& x : *w)
      if (x.is_string()) p.warnings.push_back(x.get<std::string>());
  return p;
}

std::string check_plan(const Plan& plan) {
  constexpr float kEps = 1e-3f;
  if (!(plan.duration > 0.f) || !std::isfinite(plan.duration)) return "duration must be a positive number";
  if (plan.actors.empty()) return "a plan needs at least one actor";
  for (size_t a = 0; a < plan.actors.size(); ++a) {
    const auto& tl = plan.actors[a].timeline;
    std::string who = "actor " + std::to_string(a) + " (" + plan.actors[a].name + ")";
    if (tl.empty()) return who + ": empty timeline";
    if (std::fabs(tl.front().start) > kEps) return who + ": timeline starts at " + std::to_string(tl.front().start);
    if (std::fabs(tl.back().end - plan.duration) > kEps)
      return who + ": timeline ends at " + std::to_string(tl.back().end) + ", not " + std::to_string(plan.duration);
    for (size_t i = 0; i < tl.size(); ++i) {
      const auto& s = tl[i];
      std::string seg = who + " segment " + std::to_string(i);
      if (s.action < 0 || s.action >= kNumActions) return seg + ": action id out of range";
      if (s.overlay < -1 || s.overlay >= kNumActions) return seg + ": overlay id out of range";
      if (!(s.end > s.start)) return seg + ": end must be after start";
      if (i > 0 && std::fabs(s.start - tl[i - 1].end) > kEps) return seg + ": does not start where the previous ends";
      if (!(s.tempo > 0.f) || !std::isfinite(s.tempo)) return seg + ": tempo must be positive";
      if (!(s.intensity > 0.f) || !std::isfinite(s.intensity)) return seg + ": intensity must be positive";
      if (s.target_actor < -1 || s.target_actor >= static_cast<int>(plan.actors.size()) ||
          s.target_actor == static_cast<int>(a))
        return seg + ": target_actor must be another actor or -1";
    }
  }
  return "";
}

std::string plan_to_table(const Plan& plan) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "plan: %.2f s, %zu actor%s\n", plan.duration, plan.actors.size(),
                plan.actors.size() == 1 ? "" : "s");
  out += buf;
  for (size_t a = 0; a < plan.actors.size(); ++a) {
    const auto& ac = plan.actors[a];
    std::snprintf(buf, sizeof buf, "[%zu] %s (%s%s%s)  start x=%.2f facing %s\n", a, ac.name.c_str(),
                  ac.kind.c_str(), ac.color.empty() ? "" : ", ", ac.color.c_str(), ac.start_x,
                  ac.facing > 0 ? "right" : "left");
    out += buf;
    for (const auto& s : ac.timeline) {
      std::string extra;
      if (s.direction != Direction::none) extra += " dir=" + std::string(direction_name(s.direction));
      if (s.target_actor >= 0) extra += " target=" + std::to_string(s.target_actor);
      if (s.repeats > 0) extra += " x" + std::to_string(s.repeats);
      if (s.overlay >= 0) extra += " +" + std::string(action_name(s.overlay));
      if (!s.verb.empty()) extra += "  \"" + s.verb + "\"";
      std::snprintf(buf, sizeof buf, "    %6.2f-%6.2f  %-15s tempo %.2f  intensity %.2f  %-9s%s\n", s.start, s.end,
                    std::string(action_name(s.action)).c_str(), s.tempo, s.intensity,
                    std::string(expression_name(s.expression)).c_str(), extra.c_str());
      out += buf;
    }
  }
  return out;
}

}  // namespace stickgen
