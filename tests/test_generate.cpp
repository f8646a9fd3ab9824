// Explicit action timelines for generation (--actions) and request building from plans.
#include <gtest/gtest.h>

#include "stickgen/generate.hpp"
#include "stickgen/planner.hpp"

using namespace stickgen;

TEST(ActionSpec, ParsesTimelinesAndFillsGaps) {
  Plan plan = plan_prompt("a person stands");
  apply_action_spec(plan, "walk:0-4, wave:5-10");
  ASSERT_EQ(plan.actors.size(), 1u);
  const auto& tl = plan.actors[0].timeline;
  ASSERT_EQ(tl.size(), 3u);
  EXPECT_EQ(tl[0].action, act::walk);
  EXPECT_EQ(tl[1].action, act::idle);
  EXPECT_FLOAT_EQ(tl[1].start, 4.f);
  EXPECT_EQ(tl[2].action, act::wave);
  EXPECT_FLOAT_EQ(plan.duration, 10.f);
  EXPECT_EQ(check_plan(plan), "");

  Plan two = plan_prompt("a person stands", PlannerOptions{.duration = 6.f});
  apply_action_spec(two, "walk:0-3|dance:0-6");
  ASSERT_EQ(two.actors.size(), 2u);
  EXPECT_EQ(two.actors[1].timeline[0].action, act::dance);
  EXPECT_FLOAT_EQ(two.actors[0].timeline.back().end, 6.f);
  EXPECT_EQ(check_plan(two), "");
}

TEST(ActionSpec, ErrorsNameTheItem) {
  Plan plan = plan_prompt("x");
  auto message = [&](const std::string& spec) {
    try {
      apply_action_spec(plan, spec);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message("moonwalk:0-3").find("moonwalk"), std::string::npos);
  EXPECT_NE(message("walk:3-1").find("walk:3-1"), std::string::npos);
  EXPECT_NE(message("walk").find("action:start-end"), std::string::npos);
  EXPECT_NE(message("walk:0-4,wave:3-5").find("overlap"), std::string::npos);
}

TEST(RequestFromPlan, PerFrameActionsFollowTheTimeline) {
  Plan plan = plan_prompt("a person walks then waves", PlannerOptions{.duration = 4.f});
  auto enc = make_hashed_encoder();
  GenerationRequest r = request_from_plan(plan, *enc);
  EXPECT_EQ(r.frames, 100);
  ASSERT_EQ(r.actors(), 1);
  EXPECT_EQ(r.actions[0].front(), act::walk);
  EXPECT_EQ(r.actions[0].back(), act::wave);
  EXPECT_EQ(r.text_embedding.size(), 1024u);
}
