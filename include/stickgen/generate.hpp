// Generation with a trained model (the runtime tier): a per-frame action timeline per actor and a
// text embedding -> causal KV-cached decoding from a standing pose -> every frame reconciled into
// a consistent skeleton, the root moved by the physics head's velocity -> a Clip.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stickgen/motion.hpp"
#include "stickgen/plan.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/text_encoder.hpp"

namespace stickgen {

struct GenerationRequest {
  int frames = 250;                            // frames to generate (after any context)
  float fps = kDefaultFps;
  std::vector<std::vector<int16_t>> actions;   // [actors][frames] action of each generated frame
  std::vector<float> start_x;                  // [actors] initial root x (units)
  std::vector<int> facing;                     // [actors] +1 faces +x, -1 faces -x
  // [actors][frames] (or empty: none) which way each generated frame's segment wants the figure to
  // face: kHeadFree, +1 (+x), -1 (-x), kHeadAway / kHeadToward (from / to the nearest other actor).
  // When a segment wants the other way, generation turns the figure (see generate_clip).
  std::vector<std::vector<int8_t>> heading;
  static constexpr int8_t kHeadFree = 0, kHeadAway = 2, kHeadToward = 3;
  // [actors] (or empty: not known) the actor each one performs its first action with when that action
  // is an interaction starting at frame 0 (request_from_plan places such a pair at the action's gap),
  // else -1: such a pair is primed together (see GenerateOptions::prime_seconds).
  std::vector<int> first_partner;
  std::vector<float> text_embedding;           // [embedding_dim]
  // The embedding of the prompt with left and right exchanged (mirror_text), for actors decoded in
  // their mirror image (see generate_clip); empty = the prompt has no such words.
  std::vector<float> mirrored_text_embedding;
  std::string description;
  // Optional motion to continue from: its frames are fed to the model first and kept at the
  // start of the result; it must have the request's actor count and the model's skeleton.
  const Clip* context = nullptr;
  int actors() const { return static_cast<int>(actions.size()); }
};

struct GenerateOptions {
  uint64_t seed = 0;      // seeds the rollout noise: different seeds give different takes
  float noise = 0.02f;    // std of Gaussian noise on fed-back frames (normalised units); 0 = none
  // Action guidance: the pose and physics heads are read as uncond + guidance * (cond - uncond),
  // where uncond is the same model run without its action input (it was trained with action
  // dropout). 1 = the conditional model alone; above 1 strengthens what the action adds to the
  // motion, against the damped, averaged motion a regression-trained model rolls out. When != 1
  // every actor is decoded twice in one batch (the second copy with kNoAction). Applied only to
  // models that were trained without action input some of the time (guidance_applies); others
  // never learned the unconditioned case and decode with 1.
  float guidance = 1.5f;
  // The clip opens with this much of the procedural engine performing each actor's first action
  // (synthesised facing +x, turned for an actor facing -x; a pair whose first action is an interaction
  // is synthesised together where it stands), and the model continues from there: the
  // network continues an action far more reliably than it starts one from a standing pose (the
  // shipped model: 53 % of single-action clips recognised from a standing start with guidance 2, 64 %
  // with 0.32 s of priming and guidance 1.5; docs/RUNTIME.md). Capped one frame short of the clip;
  // ignored when continuing a clip (its frames are the context). 0 = decode from the standing pose.
  // The engine performs it with the standard figure and style, and its free choices (the phases of
  // breathing and idle sway, which way a spin turns, whether a get-up starts lying or sitting) are
  // drawn from prime_seed(seed, actor), so each seed opens its take its own way.
  float prime_seconds = 0.32f;
  // Candidates: this many copies of the take decode side by side, each with its own noise, and every
  // `candidate_seconds` the one whose motion the model's own action head (reading it without the
  // action input) recognises best as the intended actions replaces the others, which go on from it.
  // A search against drift into a neighbouring action; costs about 2 * candidates times the decoding.
  // 1 = a single take. Needs a model trained with action dropout (its action head learned to read
  // motion alone) and noise > 0; otherwise one take is decoded.
  int candidates = 1;
  float candidate_seconds = 1.f;
  // A model with pose hypotheses (ModelConfig::pose_hypotheses > 1): each frame draws one by the
  // head's logits (seeded by `seed`; true), or always follows the likeliest (false). Ignored by a
  // model with a single pose head.
  bool draw_hypotheses = true;
  // Ground contact: while an actor performs an action that keeps a foot down (keeps_a_foot_down), a
  // generated frame whose lowest point floats less than kGroundContactUnits above the ground is lowered
  // onto it (the model lets standing figures drift a few hundredths up, and the evaluator then reads
  // typing as "hug"; docs/RUNTIME.md, "Ground contact"). The lowered frame is what the model is fed next.
  bool ground_contact = true;
  int threads = 1;
};

// How far above the ground (in the motion's units; a figure is about 2 tall) a frame of an action that
// keeps a foot down still counts as floating and is lowered (GenerateOptions::ground_contact). Higher
// is a lift the action means (a kick's raised foot never is the lowest point; a hop within a dance is).
inline constexpr float kGroundContactUnits = 0.1f;

// The procedural engine's seed (SynthOptions::seed) for the prime of actor `actor` (a pair primed
// together: the lower of the two) of a take with GenerateOptions::seed `seed`.
inline constexpr uint64_t prime_seed(uint64_t seed, int actor) { return seed * 7919u + static_cast<uint64_t>(actor); }

// The text encoder a model was trained with (its "stickgen.text_encoder" metadata; hashed-v1 when
// absent). Throws Error if the model names an encoder this build cannot construct.
std::unique_ptr<TextEncoder> text_encoder_for(const Model& model);

// Per-frame actions, start positions and facing from a plan; the prompt is encoded with `encoder`.
GenerationRequest request_from_plan(const Plan& plan, const TextEncoder& encoder, float fps = kDefaultFps);

// Whether action guidance means anything for this model: its training config (the file's
// "stickgen.train.config" metadata) has action_dropout > 0. False for files without it (imported
// reference checkpoints).
bool guidance_applies(const Model& model);

// Runs the model. Throws Error for a bidirectional model (it cannot be decoded causally), a model
// without motion normalisation, or a request whose sizes disagree.
Clip generate_clip(const Model& model, const GenerationRequest& request, const GenerateOptions& options = {});

// Parses an explicit timeline "walk:0-4,wave:4-10" (action:start-end in seconds; '|' separates
// actors) into plan timelines; gaps are filled with idle and the plan's duration becomes the last
// end time (or `duration` when larger). Errors name the bad item.
void apply_action_spec(Plan& plan, const std::string& spec);

}  // namespace stickgen
