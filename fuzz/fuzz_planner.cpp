// libFuzzer target: plan_prompt on arbitrary bytes must return a valid plan (never crash or throw), with
// one-line warnings, and its JSON must parse back.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "stickgen/planner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view prompt(reinterpret_cast<const char*>(data), size);
  stickgen::PlannerOptions opts;
  // The first byte (when present) also varies the clip length and the seed, to reach the allocation paths.
  if (size > 0) {
    opts.duration = 0.5f + static_cast<float>(data[0] % 40);
    opts.seed = data[0] & 1 ? data[0] : 0;
  }
  stickgen::Plan plan = stickgen::plan_prompt(prompt, opts);
  std::string problem = stickgen::check_plan(plan);
  if (!problem.empty()) {
    std::fprintf(stderr, "invalid plan: %s\n", problem.c_str());
    std::abort();
  }
  for (const auto& w : plan.warnings)
    if (w.find('\n') != std::string::npos) std::abort();
  stickgen::Plan back = stickgen::plan_from_json(stickgen::plan_to_json(plan, -1));
  if (back.actors.size() != plan.actors.size()) std::abort();
  return 0;
}
