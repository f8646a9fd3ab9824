// Explicit action timelines for generation (--actions) and request building from plans.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <filesystem>

#include "stickgen/actions.hpp"
#include "stickgen/generate.hpp"
#include "stickgen/motion_file.hpp"
#include "stickgen/planner.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/synth.hpp"
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

namespace {
// The committed default model (Error if it is missing, which fails the calling test).
Model shipped_model() { return Model::load(test::source_dir() / "models" / "stickgen-small-sft.safetensors"); }
}  // namespace

// The README's quick start: `stickgen generate "<prompt>"` without --model runs the shipped model.
TEST(ShippedModel, DefaultGenerationUsesItAndMoves) {
  const Model m = shipped_model();
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
  const Model model = shipped_model();
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
  // The prime and ground contact (wave keeps a foot down, jump does not) follow the action: both off.
  const GenerateOptions plain{.seed = 3, .noise = 0.f, .guidance = 1.f, .prime_seconds = 0.f, .ground_contact = false};
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

// Guidance is for actions the model sets going itself: a primed actor's first segment is decoded
// unguided (a one-segment clip is the same at any guidance), a later segment is guided.
TEST(Generate, GuidanceSkipsTheSegmentThePrimeStarted) {
  const Model model = shipped_model();
  auto encoder = text_encoder_for(model);
  auto max_diff = [](const Clip& x, const Clip& y, int from, int to) {
    float d = 0.f;
    for (int t = from; t < to; ++t)
      for (int k = 0; k < x.dims(); ++k) d = std::max(d, std::fabs(x.pose(t, 0)[k] - y.pose(t, 0)[k]));
    return d;
  };
  const GenerateOptions off{.seed = 4, .guidance = 1.f}, on{.seed = 4, .guidance = 2.f};
  Plan one = plan_prompt("a person waves");
  one.duration = 2.f;
  apply_action_spec(one, "wave:0-2");
  const GenerationRequest wave = request_from_plan(one, *encoder);
  EXPECT_EQ(max_diff(generate_clip(model, wave, off), generate_clip(model, wave, on), 0, wave.frames), 0.f);
  Plan two = plan_prompt("a person waves, then jumps");
  two.duration = 3.f;
  apply_action_spec(two, "wave:0-1.5,jump:1.5-3");
  const GenerationRequest wave_jump = request_from_plan(two, *encoder);
  const Clip a = generate_clip(model, wave_jump, off), b = generate_clip(model, wave_jump, on);
  EXPECT_EQ(max_diff(a, b, 0, 38), 0.f);                 // frames 0-37 are the waving segment's (1.5 s at 25 fps)
  EXPECT_GT(max_diff(a, b, 38, a.frames), 1e-3f);        // the jump is guided
  EXPECT_TRUE(validate(b).ok());
  // Without a prime nothing was started for the model, so the first segment is guided too.
  GenerateOptions off0 = off, on0 = on;
  off0.prime_seconds = on0.prime_seconds = 0.f;
  EXPECT_GT(max_diff(generate_clip(model, wave, off0), generate_clip(model, wave, on0), 0, wave.frames), 1e-3f);
}

// Candidates: several copies of the take decode together and the one the action head recognises best
// is kept at every selection. The result is a valid, reproducible take of the whole cast, opening with
// the same prime; without noise (or with one candidate) it is the single take.
TEST(Generate, CandidatesKeepTheTakeTheActionHeadRecognisesBest) {
  const Model model = shipped_model();
  auto encoder = text_encoder_for(model);
  PlannerOptions po;
  po.duration = 2.f;
  const GenerationRequest req = request_from_plan(plan_prompt("two people shake hands, then one walks away", po), *encoder);
  ASSERT_EQ(req.actors(), 2);
  const GenerateOptions one{.seed = 3}, four{.seed = 3, .candidates = 4, .candidate_seconds = 0.5f};
  const Clip single = generate_clip(model, req, one), searched = generate_clip(model, req, four);
  EXPECT_TRUE(validate(searched).ok());
  EXPECT_EQ(searched.frames, single.frames);
  EXPECT_EQ(searched.actors, 2);
  EXPECT_EQ(searched.metadata.at("stickgen.candidates"), "4");
  const double log_prob = std::stod(searched.metadata.at("stickgen.action_log_prob"));
  EXPECT_LT(log_prob, 0.0);
  EXPECT_GT(log_prob, -10.0);
  EXPECT_EQ(single.metadata.count("stickgen.candidates"), 0u);
  float prime_gap = 0.f, later_gap = 0.f, repeat_gap = 0.f;
  const Clip again = generate_clip(model, req, four);
  for (int t = 0; t < searched.frames; ++t)
    for (int a = 0; a < 2; ++a)
      for (int k = 0; k < searched.dims(); ++k) {
        const float d = std::fabs(searched.pose(t, a)[k] - single.pose(t, a)[k]);
        (t < 8 ? prime_gap : later_gap) = std::max(t < 8 ? prime_gap : later_gap, d);
        repeat_gap = std::max(repeat_gap, std::fabs(searched.pose(t, a)[k] - again.pose(t, a)[k]));
      }
  EXPECT_EQ(prime_gap, 0.f);   // the same 0.32 s opening
  EXPECT_GT(later_gap, 1e-3f); // then another take
  EXPECT_EQ(repeat_gap, 0.f);  // reproducible
  // No noise: every candidate would be the same take, so one is decoded.
  GenerateOptions quiet = four, quiet_one = one;
  quiet.noise = quiet_one.noise = 0.f;
  const Clip q4 = generate_clip(model, req, quiet), q1 = generate_clip(model, req, quiet_one);
  EXPECT_EQ(q4.motion, q1.motion);
  EXPECT_EQ(q4.metadata.count("stickgen.candidates"), 0u);
  GenerateOptions none = one;
  none.candidates = 0;
  EXPECT_THROW(generate_clip(model, req, none), Error);
  // Keeping the best of more candidates (one selection over the whole take) finds takes the action
  // head recognises better: the mean over seeds rises from 2 to 8 candidates.
  Plan wave = plan_prompt("a person waves");
  wave.duration = 2.f;
  apply_action_spec(wave, "wave:0-2");
  const GenerationRequest wave_req = request_from_plan(wave, *encoder);
  double few = 0, many = 0;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const GenerateOptions k2{.seed = seed, .candidates = 2, .candidate_seconds = 100.f};
    GenerateOptions k8 = k2;
    k8.candidates = 8;
    few += std::stod(generate_clip(model, wave_req, k2).metadata.at("stickgen.action_log_prob"));
    many += std::stod(generate_clip(model, wave_req, k8).metadata.at("stickgen.action_log_prob"));
  }
  EXPECT_GT(many, few);
}

// Ground contact: while the figure performs an action that keeps a foot down, no generated frame floats
// less than kGroundContactUnits above the ground. Left alone, the shipped model's typing figure drifts a
// few hundredths up (and the evaluator reads it as "hug"), so the test can tell the two apart.
TEST(Generate, GroundContactLowersFiguresFloatingInGroundedActions) {
  EXPECT_TRUE(keeps_a_foot_down(act::typing));
  EXPECT_TRUE(keeps_a_foot_down(act::lie_down));
  EXPECT_FALSE(keeps_a_foot_down(act::jump));
  EXPECT_FALSE(keeps_a_foot_down(act::crawling));
  EXPECT_FALSE(keeps_a_foot_down(kNoAction));
  const Model model = shipped_model();
  auto encoder = text_encoder_for(model);
  Plan plan = plan_prompt("a person types");
  plan.duration = 3.f;
  apply_action_spec(plan, "typing:0-3");
  const GenerationRequest req = request_from_plan(plan, *encoder);
  const GenerateOptions on{.seed = 1};
  GenerateOptions off = on;
  off.ground_contact = false;
  const Clip grounded = generate_clip(model, req, on), floating = generate_clip(model, req, off);
  EXPECT_TRUE(validate(grounded).ok());
  auto lowest = [](const Clip& c, int t) {
    float low = c.pose(t, 0)[1];
    for (int k = 3; k < c.dims(); k += 2) low = std::min(low, c.pose(t, 0)[k]);
    return low;
  };
  int floated = 0;
  for (int t = 8; t < grounded.frames; ++t) {  // after the 0.32-s prime
    const float low = lowest(grounded, t);
    EXPECT_TRUE(low == 0.f || low >= kGroundContactUnits) << "frame " << t << " floats " << low;
    if (lowest(floating, t) > 0.01f) ++floated;
  }
  EXPECT_GT(floated, 20);
  for (int t = 0; t < 8; ++t) EXPECT_EQ(lowest(grounded, t), lowest(floating, t));  // the prime is untouched
}

// The clip opens with the procedural engine's first frames of each actor's first action (turned for a
// left-facing actor), the model continues them, and an interaction or a continued clip gets no prime.
TEST(Generate, OpensWithTheProceduralPrimeThenTheModelContinues) {
  const Model model = shipped_model();
  auto encoder = text_encoder_for(model);
  Plan plan = plan_prompt("a person kicks");
  plan.duration = 2.f;
  apply_action_spec(plan, "kick:0-2");
  GenerationRequest req = request_from_plan(plan, *encoder);
  req.start_x = {0.7f};
  req.facing = {1};
  const GenerateOptions o{.seed = 2, .prime_seconds = 0.32f};  // 8 frames at 25 fps
  const Clip c = generate_clip(model, req, o);
  ASSERT_EQ(c.frames, req.frames);
  EXPECT_EQ(c.metadata.at("stickgen.procedural_prime_seconds"), "0.32");
  // Frames 0-7: the engine's kick (standard proportions and style, its free choices drawn from the
  // take's prime seed; 2 s segment), moved to start at x = 0.7.
  SingleAction kick;
  kick.action = act::kick;
  kick.seconds = 2.f;
  SynthOptions so;
  so.format = c.format;
  so.vary = false;
  so.seed = prime_seed(o.seed, 0);
  const Clip engine = synthesize_action(kick, so);
  const SkeletonSchema& s = c.skeleton();
  const float dx = 0.7f - root_position(s, engine.pose(0, 0)).x;
  float prime_err = 0.f, model_change = 0.f;
  for (int t = 0; t < 8; ++t)
    for (int k = 0; k < c.dims(); ++k)
      prime_err = std::max(prime_err, std::fabs(c.pose(t, 0)[k] - engine.pose(t, 0)[k] - (k % 2 == 0 ? dx : 0.f)));
  EXPECT_LT(prime_err, 1e-5f);
  for (int t = 8; t < c.frames; ++t)
    for (int k = 0; k < c.dims(); ++k) model_change += std::fabs(c.pose(t, 0)[k] - c.pose(t - 1, 0)[k]);
  EXPECT_GT(model_change, 1.f);  // the model goes on moving
  EXPECT_TRUE(validate(c).ok());
  // Another seed opens with the engine's kick under that seed: the same figure and style, with
  // the life layer's breathing and sway at other phases; a third seed repeats its take exactly.
  const Clip other = generate_clip(model, req, GenerateOptions{.seed = 9, .prime_seconds = 0.32f});
  so.seed = prime_seed(9, 0);
  const Clip engine9 = synthesize_action(kick, so);
  const float dx9 = 0.7f - root_position(s, engine9.pose(0, 0)).x;
  float other_err = 0.f, prime_gap = 0.f, later = 0.f;
  for (int t = 0; t < 8; ++t)
    for (int k = 0; k < c.dims(); ++k) {
      other_err = std::max(other_err, std::fabs(other.pose(t, 0)[k] - engine9.pose(t, 0)[k] - (k % 2 == 0 ? dx9 : 0.f)));
      prime_gap = std::max(prime_gap, std::fabs(c.pose(t, 0)[k] - other.pose(t, 0)[k]));
    }
  for (int k = 0; k < c.dims(); ++k) later = std::max(later, std::fabs(c.pose(c.frames - 1, 0)[k] - other.pose(c.frames - 1, 0)[k]));
  EXPECT_LT(other_err, 1e-5f);
  EXPECT_GT(prime_gap, 1e-3f);
  EXPECT_LT(prime_gap, 0.2f);  // the same kick, not another figure
  EXPECT_GT(later, 1e-4f);
  const Clip again = generate_clip(model, req, o);
  EXPECT_EQ(again.motion, c.motion);
  // Without a prime the clip starts from the standing pose and records none.
  const Clip unprimed = generate_clip(model, req, GenerateOptions{.seed = 2, .prime_seconds = 0.f});
  EXPECT_EQ(unprimed.metadata.count("stickgen.procedural_prime_seconds"), 0u);
  float differs = 0.f;
  for (int k = 0; k < c.dims(); ++k) differs = std::max(differs, std::fabs(c.pose(5, 0)[k] - unprimed.pose(5, 0)[k]));
  EXPECT_GT(differs, 1e-3f);
  // A pair whose first action is an interaction is primed together, where the request put it: the
  // engine's handshake of the two at the gap, their midpoint kept.
  Plan shake = plan_prompt("two people shake hands");
  shake.duration = 2.f;
  const GenerationRequest shake_req = request_from_plan(shake, *encoder);
  ASSERT_EQ(shake_req.first_partner, (std::vector<int>{1, 0}));
  const Clip pair = generate_clip(model, shake_req, o);
  EXPECT_EQ(pair.metadata.at("stickgen.procedural_prime_seconds"), "0.32");
  Plan engine_plan = shake;
  for (int a = 0; a < 2; ++a) {
    engine_plan.actors[a].start_x = shake_req.start_x[a];
    engine_plan.actors[a].facing = shake_req.facing[a];
  }
  so.seed = prime_seed(o.seed, 0);
  const Clip engine_pair = synthesize(engine_plan, so);
  const float mid_dx = 0.5f * (shake_req.start_x[0] + shake_req.start_x[1]) -
                       0.5f * (root_position(s, engine_pair.pose(0, 0)).x + root_position(s, engine_pair.pose(0, 1)).x);
  float pair_err = 0.f;
  for (int a = 0; a < 2; ++a)
    for (int t = 0; t < 8; ++t)
      for (int k = 0; k < pair.dims(); ++k)
        pair_err = std::max(pair_err, std::fabs(pair.pose(t, a)[k] - engine_pair.pose(t, a)[k] - (k % 2 == 0 ? mid_dx : 0.f)));
  EXPECT_LT(pair_err, 1e-5f);
  // Without its partner's interaction (the request says nothing of a pair) an interaction is not primed.
  GenerationRequest lone = shake_req;
  lone.first_partner.clear();
  EXPECT_EQ(generate_clip(model, lone, o).metadata.count("stickgen.procedural_prime_seconds"), 0u);
  GenerateOptions bad = o;
  bad.prime_seconds = -1.f;
  EXPECT_THROW(generate_clip(model, req, bad), Error);
}

// Travelling segments carry where they go; other segments leave the figure's facing alone.
TEST(RequestFromPlan, TravellingSegmentsCarryTheirHeading) {
  auto enc = make_hashed_encoder();
  Plan plan = plan_prompt("a person walks to the left, then waves, then walks to the right", PlannerOptions{.duration = 9.f});
  GenerationRequest r = request_from_plan(plan, *enc);
  ASSERT_EQ(r.heading.size(), 1u);
  ASSERT_EQ(r.heading[0].size(), static_cast<size_t>(r.frames));
  std::map<int, std::set<int>> seen;  // action -> headings
  for (int t = 0; t < r.frames; ++t) seen[r.actions[0][t]].insert(r.heading[0][t]);
  ASSERT_TRUE(seen.count(act::walk) && seen.count(act::wave)) << "plan changed";
  EXPECT_EQ(seen[act::walk], (std::set<int>{-1, 1}));
  EXPECT_EQ(seen[act::wave], std::set<int>{GenerationRequest::kHeadFree});
  EXPECT_FALSE(r.mirrored_text_embedding.empty());  // the prompt says left and right
  const Plan shake = plan_prompt("two people shake hands, then one walks away");
  const GenerationRequest s = request_from_plan(shake, *enc);
  int away = 0;
  for (const auto& h : s.heading) away += static_cast<int>(std::count(h.begin(), h.end(), GenerationRequest::kHeadAway));
  EXPECT_GT(away, s.frames / 4);
  EXPECT_TRUE(s.mirrored_text_embedding.empty());
}

// A figure facing -x is decoded as the same figure facing +x and turned around, so its take is the
// right-facing take turned around its root, with the root's travel reflected.
TEST(Generate, LeftFacingTakesAreRightFacingTakesTurnedAround) {
  const Model model = shipped_model();
  auto encoder = text_encoder_for(model);
  Plan plan = plan_prompt("a person walks");
  plan.duration = 1.6f;
  GenerationRequest right = request_from_plan(plan, *encoder);
  right.facing = {1};
  right.start_x = {0.5f};
  GenerationRequest left = right;
  left.facing = {-1};
  const GenerateOptions o{.seed = 5};
  const Clip r = generate_clip(model, right, o), l = generate_clip(model, left, o);
  const SkeletonSchema& s = r.skeleton();
  float worst = 0.f;
  for (int t = 0; t < r.frames; ++t) {
    std::vector<float> p(r.pose(t, 0), r.pose(t, 0) + r.dims());
    const float rr = root_position(s, p.data()).x;
    turn_around(s, p.data(), rr);
    for (int k = 0; k < r.dims(); k += 2) p[k] += 2.f * (0.5f - rr);  // the root reflected about the start
    for (int k = 0; k < r.dims(); ++k) worst = std::max(worst, std::fabs(p[k] - l.pose(t, 0)[k]));
  }
  EXPECT_LT(worst, 1e-3f);
  EXPECT_GT(root_position(s, r.pose(r.frames - 1, 0)).x - 0.5f, 0.3f);  // it walks, to the right
}

// The shipped model goes where the prompt says: to the left, and away from a partner after a
// handshake (the figure turns around first, in place).
TEST(ShippedModel, WalksWhereThePromptSays) {
  test::TempDir dir;
  const std::string out = test::shell_quote((dir / "c.motion").string());
  auto r = test::run_stickgen("generate \"a person walks to the left\" --seconds 4 -q -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Clip c = read_motion_file(dir / "c.motion");
  const auto& s = c.skeleton();
  EXPECT_LT(root_position(s, c.pose(c.frames - 1, 0)).x - root_position(s, c.pose(0, 0)).x, -1.5f);

  r = test::run_stickgen("generate \"two people shake hands, then one walks away\" --seconds 10 -q -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  c = read_motion_file(dir / "c.motion");
  ASSERT_EQ(c.actors, 2);
  const Plan plan = plan_prompt("two people shake hands, then one walks away", PlannerOptions{.duration = 10.f});
  int walker = -1;
  float walk_start = 0.f;
  for (int a = 0; a < 2; ++a)
    for (const auto& seg : plan.actors[a].timeline)
      if (seg.action == act::walk) walker = a, walk_start = seg.start;
  ASSERT_GE(walker, 0) << "plan changed";
  auto gap = [&](int t) { return std::fabs(root_position(s, c.pose(t, walker)).x - root_position(s, c.pose(t, 1 - walker)).x); };
  const int t0 = static_cast<int>(walk_start * c.fps);
  EXPECT_GT(gap(c.frames - 1), gap(t0) + 1.f);
  // The turn: the root holds still while the figure comes round.
  const float turn_travel = std::fabs(root_position(s, c.pose(t0 + 10, walker)).x - root_position(s, c.pose(t0, walker)).x);
  EXPECT_LT(turn_travel, 0.05f);
}
