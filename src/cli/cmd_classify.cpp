// stickgen classify: what the action evaluator (docs/EVALUATION.md) recognises in a .motion clip —
// the top-k actions of one actor over a time span, as text or JSON. Useful to check a generated or
// hand-made clip against the evaluator that scores the model.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "stickgen/actions.hpp"
#include "stickgen/common.hpp"
#include "stickgen/evaluator.hpp"
#include "stickgen/motion_file.hpp"


namespace stickgen::cli {
namespace {
using json = nlohmann::json;

struct ClassifyArgs {
  std::string clip, evaluator;
  int actor = 0, top = 5;
  double from = 0, to = -1;
  bool json_out = false;
};

std::string default_evaluator() {
  const std::string shipped = std::string(STICKGEN_SOURCE_DIR) + "/models/evaluator.safetensors";
  return std::filesystem::exists(shipped) ? shipped : "";
}

void add_classify(CLI::App& app) {
  auto a = std::make_shared<ClassifyArgs>();
  auto* cmd = app.add_subcommand("classify", "Show the actions the evaluator recognises in a .motion clip");
  cmd->add_option("clip", a->clip, ".motion clip")->required()->check(CLI::ExistingFile);
  cmd->add_option("--evaluator", a->evaluator, "Evaluator file (default: the shipped models/evaluator.safetensors)");
  cmd->add_option("--actor", a->actor, "Actor index (0 = first)")->capture_default_str();
  cmd->add_option("--from", a->from, "Start of the span (seconds)")->capture_default_str();
  cmd->add_option("--to", a->to, "End of the span (seconds; default: the clip's end)");
  cmd->add_option("-k,--top", a->top, "How many actions to list")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_flag("--json", a->json_out, "JSON output");
  cmd->callback([a] {
    const std::string ev_path = a->evaluator.empty() ? default_evaluator() : a->evaluator;
    if (ev_path.empty()) throw Error("classify: no evaluator found (models/evaluator.safetensors); pass --evaluator FILE");
    const Evaluator ev = Evaluator::load(ev_path);
    const Clip clip = read_motion_file(a->clip);
    if (a->actor < 0 || a->actor >= clip.actors)
      throw Error("--actor: the clip has " + std::to_string(clip.actors) + " actor(s), got " + std::to_string(a->actor));
    const Clip v1 = evaluator_clip(clip, ev.config().fps);
    const double end_s = a->to < 0 ? v1.frames / static_cast<double>(v1.fps) : a->to;
    if (!(a->from >= 0 && end_s > a->from)) throw Error("--from/--to: need 0 <= from < to");
    const int begin = static_cast<int>(std::lround(a->from * v1.fps));
    const int end = std::min(v1.frames, static_cast<int>(std::lround(end_s * v1.fps)));
    const EvaluatorResult r = ev.classify(v1, a->actor, begin, end);
    std::vector<int> order(r.probabilities.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return r.probabilities[x] > r.probabilities[y]; });
    order.resize(std::min<size_t>(order.size(), static_cast<size_t>(a->top)));
    if (a->json_out) {
      json top = json::array();
      for (int k : order) top.push_back({{"action", std::string(action_name(k))}, {"probability", r.probabilities[k]}});
      std::printf("%s\n", json({{"clip", a->clip}, {"actor", a->actor}, {"from", begin / static_cast<double>(v1.fps)},
                                {"to", end / static_cast<double>(v1.fps)}, {"top", top}})
                              .dump()
                              .c_str());
      return;
    }
    std::printf("%s, actor %d, %.2f-%.2f s:\n", a->clip.c_str(), a->actor, begin / v1.fps, end / v1.fps);
    for (int k : order) std::printf("  %-16s %5.1f %%\n", std::string(action_name(k)).c_str(), 100.0 * r.probabilities[k]);
  });
}

STICKGEN_COMMAND(62, add_classify);

}  // namespace
}  // namespace stickgen::cli
