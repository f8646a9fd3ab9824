// The data engine: scene sampler + descriptions (round trip through the planner), corpus synthesis
// (determinism, resume), augmentation, quality terms, curation (splits, stratification) and the CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "stickgen/planner.hpp"
#include "stickgen/scene.hpp"
#include "stickgen/synth.hpp"
#include "test_util.hpp"

namespace stickgen {
namespace {

namespace fs = std::filesystem;

Plan plan_back(const Scene& s) {
  PlannerOptions o;
  o.duration = s.plan.duration;
  return plan_prompt(s.description, o);
}

TEST(Scene, DescriptionsPlanBackToTheirScenes) {
  std::map<std::string, int> layouts;
  int failures = 0;
  for (uint64_t i = 0; i < 4000; ++i) {
    const Scene s = sample_scene(7, i);
    ++layouts[s.layout];
    ASSERT_EQ(check_plan(s.plan), "") << s.description;
    const Plan p = plan_back(s);
    const std::string diff = compare_plans(s.plan, p);
    std::string warn;
    for (const auto& w : p.warnings) warn += w + "; ";
    if (!diff.empty() || !warn.empty()) {
      ++failures;
      ADD_FAILURE() << "scene " << i << " (" << s.layout << "): " << s.description << "\n  " << diff << " " << warn
                    << "\n" << plan_to_table(s.plan) << "--- planned:\n" << plan_to_table(p);
      if (failures > 10) return;
    }
  }
  EXPECT_GT(layouts["solo"], 50);
  EXPECT_GT(layouts["independent"], 30);
  EXPECT_GT(layouts["together"], 15);
  EXPECT_GT(layouts["interaction"], 30);
}

}  // namespace
}  // namespace stickgen
