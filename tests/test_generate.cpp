// Explicit action timelines for generation (--actions) and request building from plans.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "stickgen/generate.hpp"
#include "stickgen/motion_file.hpp"
#include "stickgen/planner.hpp"
#include "stickgen/runtime.hpp"
#include "test_util.hpp"

using namespace stickgen;
namespace fs = std::filesystem;

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

// A pair whose first action is an interaction starts at that action's gap, facing each other around
// the planned midpoint; a pair that interacts later keeps the planner's places.
TEST(RequestFromPlan, InteractingPairsStartAtTheirGap) {
  auto enc = make_hashed_encoder();
  const Plan shake = plan_prompt("two people shake hands, then one walks away");
  ASSERT_EQ(shake.actors.size(), 2u);
  const GenerationRequest r = request_from_plan(shake, *enc);
  const float gap = action_params(act::handshake).partner_gap;
  EXPECT_GT(gap, 0.5f);
  const int left = r.facing[0] > 0 ? 0 : 1;
  EXPECT_EQ(r.facing[left], 1);
  EXPECT_EQ(r.facing[1 - left], -1);
  EXPECT_NEAR(r.start_x[1 - left] - r.start_x[left], gap, 1e-5f);
  EXPECT_NEAR(r.start_x[0] + r.start_x[1], shake.actors[0].start_x + shake.actors[1].start_x, 1e-4f);
  EXPECT_GT(std::fabs(shake.actors[0].start_x - shake.actors[1].start_x), 2.f * gap);  // the planner's were far apart
  const Plan later = plan_prompt("a man walks while a woman waves");
  ASSERT_EQ(later.actors.size(), 2u);
  const GenerationRequest l = request_from_plan(later, *enc);
  EXPECT_EQ(l.start_x[0], later.actors[0].start_x);
  EXPECT_EQ(l.start_x[1], later.actors[1].start_x);
}

// The README's quick start: `stickgen generate "<prompt>"` without --model runs the shipped model.
TEST(ShippedModel, DefaultGenerationUsesItAndMoves) {
  const fs::path model = test::source_dir() / "models" / "stickgen-small-sft.safetensors";
  ASSERT_TRUE(fs::exists(model)) << model;
  Model m = Model::load(model);
  EXPECT_EQ(m.config().attention, AttentionMode::causal);
  EXPECT_FALSE(m.normalization().empty());
  test::TempDir dir;
  auto r = test::run_stickgen("generate \"a person walks\" --seconds 4 -q -o " +
                              test::shell_quote((dir / "walk.motion").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Clip c = read_motion_file(dir / "walk.motion");
  EXPECT_EQ(c.source, "model");
  ASSERT_EQ(c.frames, 100);
  EXPECT_TRUE(validate(c).ok());
  // It walks: the root travels and the pose changes over the clip.
  const auto& s = c.skeleton();
  const float travel = std::fabs(root_position(s, c.pose(c.frames - 1, 0)).x - root_position(s, c.pose(0, 0)).x);
  EXPECT_GT(travel, 0.5f);
  float change = 0.f;
  for (int t = 1; t < c.frames; ++t)
    for (int k = 0; k < c.dims(); ++k) change += std::fabs(c.pose(t, 0)[k] - c.pose(t - 1, 0)[k]);
  EXPECT_GT(change / static_cast<float>(c.frames), 0.05f);
}

// Action guidance: 0 is the model without action input (the timeline no longer matters), 1 the
// conditional model alone, and values in between/above mix the two heads; out-of-range is an error.
TEST(Generate, ActionGuidanceMixesTheConditionalAndUnconditionalHeads) {
  const fs::path path = test::source_dir() / "models" / "stickgen-small-sft.safetensors";
  ASSERT_TRUE(fs::exists(path)) << path;
  const Model model = Model::load(path);
  EXPECT_TRUE(guidance_applies(model));  // trained with action dropout
  auto encoder = text_encoder_for(model);
  Plan plan = plan_prompt("a person waves");
  plan.duration = 1.2f;
  apply_action_spec(plan, "wave:0-1.2");
  GenerationRequest wave = request_from_plan(plan, *encoder);
  GenerationRequest jump = wave;
  for (auto& a : jump.actions) std::fill(a.begin(), a.end(), static_cast<int16_t>(act::jump));
  auto max_diff = [](const Clip& x, const Clip& y) {
    float d = 0.f;
    for (int t = 0; t < x.frames; ++t)
      for (int k = 0; k < x.dims(); ++k) d = std::max(d, std::fabs(x.pose(t, 0)[k] - y.pose(t, 0)[k]));
    return d;
  };
  const GenerateOptions plain{.seed = 3, .noise = 0.f, .guidance = 1.f};
  GenerateOptions none = plain, strong = plain;
  none.guidance = 0.f;
  strong.guidance = 2.f;
  // Without action input the two timelines give the same motion; with it they do not.
  EXPECT_EQ(max_diff(generate_clip(model, wave, none), generate_clip(model, jump, none)), 0.f);
  EXPECT_GT(max_diff(generate_clip(model, wave, plain), generate_clip(model, jump, plain)), 1e-3f);
  // Guidance changes the take, and the result is still a valid clip.
  const Clip guided = generate_clip(model, wave, strong);
  EXPECT_GT(max_diff(guided, generate_clip(model, wave, plain)), 1e-4f);
  EXPECT_TRUE(validate(guided).ok());
  GenerateOptions bad = plain;
  bad.guidance = -1.f;
  EXPECT_THROW(generate_clip(model, wave, bad), Error);
}
