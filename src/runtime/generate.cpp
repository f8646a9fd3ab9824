#include "stickgen/generate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "stickgen/actions.hpp"
#include "stickgen/augment.hpp"
#include "stickgen/common.hpp"
#include "stickgen/model_config.hpp"
#include "stickgen/motion_space.hpp"
#include "stickgen/synth.hpp"

namespace stickgen {

std::unique_ptr<TextEncoder> text_encoder_for(const Model& model) {
  auto it = model.metadata().find(model_meta::kTextEncoder);
  const std::string name = it == model.metadata().end() ? "hashed-v1" : it->second;
  // "hashed-v1-1024" and friends; anything else (e.g. a dataset's stored embeddings) cannot be
  // reproduced from a prompt.
  try {
    auto enc = make_text_encoder(name);
    if (enc->dim() != model.config().embedding_dim)
      throw Error("its text encoder '" + name + "' gives " + std::to_string(enc->dim()) + "-d embeddings, the model takes " +
                  std::to_string(model.config().embedding_dim));
    return enc;
  } catch (const Error& e) {
    throw Error(model.origin() + ": cannot encode prompts for this model: " + e.what());
  }
}

GenerationRequest request_from_plan(const Plan& plan, const TextEncoder& encoder, float fps) {
  if (plan.actors.empty()) throw Error("plan has no actors");
  GenerationRequest r;
  r.fps = fps;
  r.frames = std::max(2, static_cast<int>(std::lround(plan.duration * fps)));
  r.description = plan.prompt;
  r.text_embedding = encoder.encode(plan.prompt);
  if (const std::string mirrored = mirror_text(plan.prompt); mirrored != plan.prompt)
    r.mirrored_text_embedding = encoder.encode(mirrored);
  for (const ActorPlan& actor : plan.actors) {
    std::vector<int16_t> per_frame(r.frames, static_cast<int16_t>(act::idle));
    for (int t = 0; t < r.frames; ++t) {
      const float time = t / fps;
      for (const ActionSegment& seg : actor.timeline)
        if (time >= seg.start && (time < seg.end || &seg == &actor.timeline.back())) {
          per_frame[t] = static_cast<int16_t>(seg.action);
          break;
        }
    }
    r.actions.push_back(std::move(per_frame));
    // Where travelling segments go: the model walks the way its figure faces, so these decide turns.
    std::vector<int8_t> heading(r.frames, GenerationRequest::kHeadFree);
    for (const ActionSegment& seg : actor.timeline) {
      if (!action_params(seg.action).travels) continue;
      int8_t h = GenerationRequest::kHeadFree;
      switch (seg.direction) {
        case Direction::left: h = -1; break;
        case Direction::right: h = 1; break;
        case Direction::away: h = GenerationRequest::kHeadAway; break;
        case Direction::toward: h = GenerationRequest::kHeadToward; break;
        default: break;
      }
      if (h == GenerationRequest::kHeadFree) continue;
      const int begin = std::clamp(static_cast<int>(std::lround(seg.start * fps)), 0, r.frames);
      const int end = std::clamp(static_cast<int>(std::lround(seg.end * fps)), begin, r.frames);
      std::fill(heading.begin() + begin, heading.begin() + end, h);
    }
    r.heading.push_back(std::move(heading));
    r.start_x.push_back(actor.start_x);
    r.facing.push_back(actor.facing >= 0 ? 1 : -1);
  }
  // A pair whose first action is an interaction starts where it is performed: facing each other at the
  // action's gap, around their planned midpoint. The procedural engine walks them there within the
  // segment; the model does not learn that approach (docs/RUNTIME.md), so the clip would show two
  // figures shaking hands with the air.
  r.first_partner.assign(plan.actors.size(), -1);
  for (size_t a = 0; a < plan.actors.size(); ++a) {
    const auto& timeline = plan.actors[a].timeline;
    if (timeline.empty() || timeline.front().start > 0.f) continue;
    const ActionSegment& first = timeline.front();
    const int b = first.target_actor;
    if (b <= static_cast<int>(a) || b >= static_cast<int>(plan.actors.size())) continue;
    const float gap = action_params(first.action).partner_gap;
    if (gap <= 0.f || r.facing[a] == r.facing[b]) continue;
    r.first_partner[a] = b;
    r.first_partner[b] = static_cast<int>(a);
    const float mid = 0.5f * (r.start_x[a] + r.start_x[b]);
    const int left = r.facing[a] > 0 ? static_cast<int>(a) : b;  // faces +x, so it stands on the left
    r.start_x[left] = mid - 0.5f * gap;
    r.start_x[static_cast<int>(a) + b - left] = mid + 0.5f * gap;
  }
  return r;
}

namespace {

constexpr float kTurnSeconds = 0.5f;  // a figure turning to face the other way (about the synthesised turn's)

// The procedural engine's take of `plan` at `fps` with the standard figure and style (vary = false);
// `seed` draws the engine's free choices (life layer phases, a spin's direction...).
Clip engine_take(const Plan& plan, SkeletonFormat format, float fps, uint64_t seed = 0) {
  SynthOptions opts;
  opts.format = format;
  opts.vary = false;
  opts.seed = seed;
  opts.fps = fps;
  return synthesize(plan, opts);
}

// Actor a's pose in frame t of c (its last frame past the end), moved by dx along x.
std::vector<float> shifted_pose(const Clip& c, int t, int a, float dx) {
  const float* src = c.pose(std::min(t, c.frames - 1), a);
  std::vector<float> pose(src, src + c.dims());
  for (size_t k = 0; k < pose.size(); k += 2) pose[k] += dx;
  return pose;
}

// A standing figure of the procedural engine, facing `facing`, its root at x = start_x.
std::vector<float> standing_pose(SkeletonFormat format, float start_x, int facing) {
  SingleAction idle;
  idle.action = act::idle;
  idle.seconds = 0.2f;
  idle.facing = facing;
  const Clip c = engine_take(single_action_plan(idle), format, kDefaultFps);
  return shifted_pose(c, 0, 0, start_x - root_position(schema(format), c.pose(0, 0)).x);
}

// The first `frames` frames of the procedural engine performing `action` facing +x, its root starting
// at x = start_x, then turned to face `facing` (mirrored about start_x, so travel goes that way too):
// the same turn generation applies to a left-facing actor, so both facings get the same prime.
std::vector<std::vector<float>> procedural_prime(SkeletonFormat format, int action, float seconds, float start_x,
                                                 int facing, int frames, float fps, uint64_t seed) {
  SingleAction single;
  single.action = action;
  single.seconds = std::max(seconds, frames / fps);  // paced as the engine paces the whole segment
  const Clip c = engine_take(single_action_plan(single), format, fps, seed);
  const float dx = start_x - root_position(schema(format), c.pose(0, 0)).x;
  std::vector<std::vector<float>> poses;
  for (int t = 0; t < frames; ++t) {
    poses.push_back(shifted_pose(c, t, 0, dx));
    if (facing < 0) turn_around_mirrored(schema(format), poses.back().data(), start_x);
  }
  return poses;
}

// The first `frames` frames of the procedural engine performing the interaction `action` by a pair
// standing at start_x[0], start_x[1] (already at the action's gap, facing each other, so nobody walks),
// for a segment of `seconds`: [actor][frame] poses, the pair's midpoint kept where the request put it.
std::vector<std::vector<std::vector<float>>> pair_prime(SkeletonFormat format, int action, float seconds,
                                                         const float start_x[2], const int facing[2], int frames,
                                                         float fps, uint64_t seed) {
  SingleAction single;
  single.action = action;
  single.seconds = std::max(seconds, frames / fps);
  Plan plan = single_action_plan(single);  // two actors for an interaction, one for a fight, push or pull
  if (plan.actors.size() == 1) {
    plan.actors.push_back(plan.actors[0]);
    plan.actors[1].name = "person 2";
  }
  for (int i = 0; i < 2; ++i) {
    plan.actors[i].start_x = start_x[i];
    plan.actors[i].facing = facing[i];
    plan.actors[i].timeline.front().target_actor = 1 - i;  // each the other's partner
  }
  const Clip c = engine_take(plan, format, fps, seed);
  const SkeletonSchema& s = schema(format);
  const float dx = 0.5f * (start_x[0] + start_x[1]) -
                   0.5f * (root_position(s, c.pose(0, 0)).x + root_position(s, c.pose(0, 1)).x);
  std::vector<std::vector<std::vector<float>>> poses(2);
  for (int i = 0; i < 2; ++i)
    for (int t = 0; t < frames; ++t) poses[i].push_back(shifted_pose(c, t, i, dx));
  return poses;
}

// Lifts a pose whose lowest point is below the ground back onto it; with `settle` (ground contact) also
// lowers one that floats less than kGroundContactUnits above it.
void place_on_ground(float* pose, int dims, bool settle) {
  float lowest = pose[1];
  for (int k = 3; k < dims; k += 2) lowest = std::min(lowest, pose[k]);
  if (lowest < 0.f || (settle && lowest > 0.f && lowest < kGroundContactUnits))
    for (int k = 1; k < dims; k += 2) pose[k] -= lowest;
}

}  // namespace

bool guidance_applies(const Model& model) {
  const auto& meta = model.metadata();
  const auto it = meta.find("stickgen.train.config");
  if (it == meta.end()) return false;
  const auto config = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("training") || !config["training"].is_object()) return false;
  const auto& training = config["training"];
  return training.contains("action_dropout") && training["action_dropout"].is_number() &&
         training["action_dropout"].get<double>() > 0.0;
}

namespace {

Clip generate_take(const Model& model, const GenerationRequest& req, const GenerateOptions& options) {
  const ModelConfig& cfg = model.config();
  if (cfg.attention != AttentionMode::causal)
    throw Error(model.origin() + ": a bidirectional model cannot generate frame by frame (its outputs depend on "
                "frames not yet generated); convert it with --attention causal only if it was trained causally");
  const auto format = format_from_dims(cfg.input_dim);
  if (!format || cfg.output_dim != cfg.input_dim)
    throw Error(model.origin() + ": generation needs input_dim = output_dim = 20 or 48");
  if (model.normalization().empty())
    throw Error(model.origin() + ": the model records no motion normalisation, so its outputs cannot be placed");
  const int A = req.actors();
  if (A < 1) throw Error("generation request has no actors");
  if (req.frames < 1) throw Error("generation request has no frames");
  if (static_cast<int>(req.start_x.size()) != A || static_cast<int>(req.facing.size()) != A)
    throw Error("generation request: start_x/facing must have one entry per actor");
  for (const auto& a : req.actions)
    if (static_cast<int>(a.size()) != req.frames) throw Error("generation request: actions must have one entry per frame");
  if (!req.heading.empty()) {
    if (static_cast<int>(req.heading.size()) != A) throw Error("generation request: heading must have one row per actor");
    for (const auto& h : req.heading)
      if (static_cast<int>(h.size()) != req.frames) throw Error("generation request: heading must have one entry per frame");
  }
  if (static_cast<int>(req.text_embedding.size()) != cfg.embedding_dim)
    throw Error("generation request: text embedding has " + std::to_string(req.text_embedding.size()) +
                " values, the model takes " + std::to_string(cfg.embedding_dim));
  if (req.context) {
    if (req.context->actors != A) throw Error("--continue-from: the clip has " + std::to_string(req.context->actors) +
                                              " actors, the prompt " + std::to_string(A));
    if (req.context->format != *format)
      throw Error("--continue-from: the clip is " + std::string(format_name(req.context->format)) + ", the model " +
                  std::string(format_name(*format)));
    if (req.context->frames < 1) throw Error("--continue-from: the clip has no frames");
  }

  const SkeletonSchema& s = schema(*format);
  const int D = s.dims;
  MotionSpace space(*format, model.normalization());
  const int context_frames = req.context ? req.context->frames : 0;
  // With context, its last frame is where generation starts; without, a standing pose is frame 0.
  const int total = req.context ? context_frames + req.frames : req.frames;

  Clip out = Clip::make(*format, total, A, req.fps);
  out.description = req.description;
  out.source = "model";
  // Every actor is decoded facing +x: one facing -x is fed the same pose facing +x (turn_around: the
  // world mirrored, the figure turned around its root) and the output is turned back (after it is reconciled to the bone lengths of the first frame
  // as the model sees it, so the two facings give the same take exactly). The network is
  // not mirror-symmetric (its data walk right 3x as often as left, and it barely walks left), so a
  // left-facing take is the turned-around image of a right-facing one. A continued clip keeps the
  // model's own frame (its facing is not known).
  std::vector<int> sign(A, 1);
  if (!req.context)
    for (int a = 0; a < A; ++a) sign[a] = req.facing[a] < 0 ? -1 : 1;
  if (!(options.prime_seconds >= 0.f && options.prime_seconds <= 60.f))
    throw Error("generation: prime_seconds must be between 0 and 60, got " + std::to_string(options.prime_seconds));
  // Frames of the procedural engine the model continues from (none when continuing a clip).
  const int prime =
      req.context ? 0 : std::min(req.frames - 1, static_cast<int>(std::lround(options.prime_seconds * req.fps)));
  // An interaction is primed only for a pair that performs it together from frame 0 (first_partner),
  // synthesised as a pair where it stands: alone, the engine performs one by walking up to the partner,
  // who is already there in generation, and the model went on walking (hug read as "skip"; measured).
  std::vector<bool> primed(A, false);
  std::vector<int> primed_run(A, 0);  // frames of a primed actor's first segment: the prime started that action
  std::vector<int> pair(A, -1);       // the partner an actor is primed together with
  for (int a = 0; a < A && prime > 0; ++a) {
    const int16_t first = req.actions[a][0];
    if (first < 0 || first >= kNumActions) continue;
    if (static_cast<int>(req.first_partner.size()) == A) {
      const int b = req.first_partner[a];
      if (b >= 0 && b < A && b != a && req.first_partner[b] == a && req.actions[b][0] == first &&
          req.facing[a] != req.facing[b])
        pair[a] = b;
    }
    primed[a] = !action_params(first).needs_partner || pair[a] >= 0;
    if (primed[a])
      while (primed_run[a] < req.frames && req.actions[a][primed_run[a]] == first) ++primed_run[a];
  }
  std::vector<std::vector<float>> ref_lengths(A);  // bone lengths of frame 0 in the frame the model sees
  for (int a = 0; a < A; ++a) {
    if (req.context) {
      for (int t = 0; t < context_frames; ++t) {
        std::copy_n(req.context->pose(t, a), D, out.pose(t, a));
        out.actions[out.slot(t, a)] = req.context->action(t, a);
      }
    } else if (primed[a] && pair[a] >= 0) {
      const int b = pair[a];
      if (a < b) {  // once per pair, written for both
        const float xs[2] = {req.start_x[a], req.start_x[b]};
        const int fs[2] = {req.facing[a], req.facing[b]};
        const int run = std::min(primed_run[a], primed_run[b]);
        const auto poses =
            pair_prime(*format, req.actions[a][0], run / req.fps, xs, fs, prime, req.fps, prime_seed(options.seed, a));
        for (int t = 0; t < prime; ++t) {
          std::copy(poses[0][t].begin(), poses[0][t].end(), out.pose(t, a));
          std::copy(poses[1][t].begin(), poses[1][t].end(), out.pose(t, b));
        }
      }
    } else if (primed[a]) {
      const auto poses =
          procedural_prime(*format, req.actions[a][0], primed_run[a] / req.fps, req.start_x[a], req.facing[a], prime,
                           req.fps, prime_seed(options.seed, a));
      for (int t = 0; t < prime; ++t) std::copy(poses[t].begin(), poses[t].end(), out.pose(t, a));
    } else {
      auto pose = standing_pose(*format, req.start_x[a], req.facing[a]);
      std::copy(pose.begin(), pose.end(), out.pose(0, a));
    }
    std::vector<float> first(out.pose(0, a), out.pose(0, a) + D);
    if (sign[a] < 0) turn_around(s, first.data(), root_position(s, first.data()).x);
    std::vector<Vec2> joints(s.joint_count());
    segments_to_joints(s, first.data(), joints.data());
    ref_lengths[a] = bone_lengths(s, joints.data());
    for (int t = 0; t < req.frames; ++t) out.actions[out.slot(total - req.frames + t, a)] = req.actions[a][t];
  }

  if (!(options.guidance >= 0.f && options.guidance <= 10.f))
    throw Error("generation: guidance must be between 0 and 10 (1 = off), got " + std::to_string(options.guidance));
  if (!(options.candidate_seconds > 0.f && options.candidate_seconds <= 3600.f))
    throw Error("generation: candidate_seconds must be positive, got " + std::to_string(options.candidate_seconds));
  // Candidates: K copies ("particles") of the whole cast decode side by side with their own noise; every
  // candidate_seconds the one whose motion the action head recognises best as the intended actions is
  // copied over the others (poses, turning state and decoder history), and all go on from there.
  // Row r = p * A + a is particle p's actor a. Only a model that learned to read motion without its
  // action input (action dropout) can judge, and without noise every particle would be the same.
  const int K = guidance_applies(model) && options.noise > 0 ? options.candidates : 1;
  const int R = K * A;
  // With guidance the batch holds every row twice: rows [0, R) with their actions, rows [R, 2R) the
  // same frames without (kNoAction), so one decoder step gives both heads.
  // Guidance is for the actions the model must set going itself: a primed actor's first segment, which
  // the procedural prime began, is decoded unguided (the shipped model scored as well or better there
  // without it; docs/RUNTIME.md), and a clip with nothing else skips the unconditioned copy.
  auto needs_guidance = [&](int a, int frame) { return frame >= primed_run[a]; };  // 0 when not primed
  bool any_guided_frame = false;
  for (int a = 0; a < A && !any_guided_frame; ++a) any_guided_frame = needs_guidance(a, req.frames - 1);
  const bool guided = options.guidance != 1.f && guidance_applies(model) && any_guided_frame;
  const bool unconditioned = guided || K > 1;  // rows [R, 2R) decoded without actions
  const int B = unconditioned ? 2 * R : R;
  Decoder decoder(model, B, std::max(1, total - 1), RuntimeOptions{options.threads});
  if (!req.mirrored_text_embedding.empty() && req.mirrored_text_embedding.size() != req.text_embedding.size())
    throw Error("generation request: the mirrored text embedding has the wrong size");
  std::vector<float> text(static_cast<size_t>(B) * cfg.embedding_dim);
  for (int b = 0; b < B; ++b) {
    const auto& e = sign[b % A] < 0 && !req.mirrored_text_embedding.empty() ? req.mirrored_text_embedding : req.text_embedding;
    std::copy(e.begin(), e.end(), text.begin() + static_cast<ptrdiff_t>(b) * cfg.embedding_dim);
  }
  decoder.reset(text);
  // Every particle starts from the same opening frames.
  Clip work = K == 1 ? std::move(out) : Clip::make(*format, total, R, req.fps);
  if (K > 1) {
    for (int t = 0; t < total; ++t)
      for (int r = 0; r < R; ++r) {
        std::copy_n(out.pose(t, r % A), D, work.pose(t, r));
        work.actions[work.slot(t, r)] = out.actions[out.slot(t, r % A)];
      }
    sign.resize(R);
    for (int r = A; r < R; ++r) sign[r] = sign[r % A];
  }
  // A pose as an actor whose frame has `sgn` sees it (1: as is; -1: the world mirrored about `about`,
  // so the figure is turned around its own root and its root reflected about `about`).
  std::vector<float> flipped(D);
  auto in_frame = [&](const float* pose, float about, int sgn) -> const float* {
    if (sgn > 0) return pose;
    std::copy_n(pose, D, flipped.begin());
    turn_around_mirrored(s, flipped.data(), about);
    return flipped.data();
  };
  const int W = cfg.pose_width();  // D, or K hypotheses of D and their K logits
  std::vector<float> head_pose(static_cast<size_t>(R) * W), head_physics(static_cast<size_t>(R) * kPhysicsDims);
  // Draws among pose hypotheses come from their own stream, so a single-head model's takes are
  // unchanged by their existence.
  std::mt19937_64 hypothesis_rng(options.seed * 0xd1b54a32d192ed03ull + 777);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  std::mt19937_64 rng(options.seed * 0x9e3779b97f4a7c15ull + 12345);
  std::normal_distribution<float> gauss(0.f, 1.f);
  std::vector<float> motion(static_cast<size_t>(R) * D), partner(A > 1 ? static_cast<size_t>(B) * D : 0);
  std::vector<float> seen(static_cast<size_t>(B) * D);  // what the model is fed: `motion` plus the take's noise
  std::vector<int64_t> actions(B, kNoAction);
  std::vector<float> root_x(R), phys(kPhysicsDims), predicted(D);
  // The first frame the model makes, per actor: after the context, after its prime, or frame 1.
  std::vector<int> first_generated(A, req.context ? context_frames : 1);
  for (int a = 0; a < A; ++a)
    if (primed[a]) first_generated[a] = prime;
  if (std::find(primed.begin(), primed.end(), true) != primed.end()) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.2f", prime / req.fps);
    work.metadata["stickgen.procedural_prime_seconds"] = seconds;  // the opening frames the model continued
  }
  // Turns asked for by the request's heading: which way each figure faces now (0 = not known yet, for
  // a continued clip), and the turn in progress.
  std::vector<int> facing_now(R, 0);
  if (!req.context)
    for (int r = 0; r < R; ++r) facing_now[r] = req.facing[r % A];
  struct Turn {
    int left = 0;                 // frames still to go
    std::vector<float> from, to;  // the pose the turn started from, and the same pose turned around
  };
  std::vector<Turn> turns(R);
  const int turn_frames = std::max(2, static_cast<int>(std::lround(kTurnSeconds * req.fps)));
  auto nearest_other = [&](int r) {  // in r's particle, by root x in the current frame; -1 when alone
    int nearest = -1;
    float best = 1e30f;
    const int first = r - r % A;
    for (int b = first; b < first + A; ++b)
      if (b != r && std::fabs(root_x[b] - root_x[r]) < best) best = std::fabs(root_x[b] - root_x[r]), nearest = b;
    return nearest;
  };
  auto wanted_facing = [&](int r, int frame) -> int {  // frame: index into the request's frames
    if (frame < 0 || frame >= req.frames) return 0;
    const int8_t h = req.heading[r % A][frame];
    if (h == 1 || h == -1) return h;
    if (h != GenerationRequest::kHeadAway && h != GenerationRequest::kHeadToward) return 0;
    const int nearest = nearest_other(r);
    if (nearest < 0 || root_x[nearest] == root_x[r]) return 0;
    const int away = root_x[r] > root_x[nearest] ? 1 : -1;
    return h == GenerationRequest::kHeadAway ? away : -away;
  };
  // How well the action head, reading each particle's motion alone, recognises its intended actions:
  // log-probabilities summed since the last selection, and along each particle's whole history.
  std::vector<double> recent(K, 0.0), lineage(K, 0.0);
  int64_t scored_frames = 0, recent_frames = 0;  // per particle (all particles score the same frames)
  int shared_until = 0;  // frames [0, shared_until] are the same in every particle (the last selection)
  const int select_every = std::max(1, static_cast<int>(std::lround(options.candidate_seconds * req.fps)));
  auto best_particle = [&] { return static_cast<int>(std::max_element(recent.begin(), recent.end()) - recent.begin()); };
  for (int t = 0; t + 1 < total; ++t) {
    for (int r = 0; r < R; ++r) root_x[r] = root_position(s, work.pose(t, r)).x;
    for (int r = 0; r < R; ++r) {
      const int a = r % A;
      space.encode_pose(in_frame(work.pose(t, r), root_x[r], sign[r]), root_x[r], &motion[static_cast<size_t>(r) * D]);
      // The noise perturbs what the model sees, not the pose it builds on: the next frame is the clean
      // current frame plus the predicted change, so takes differ without a random walk of jitter.
      for (int k = 0; k < D; ++k) {
        const size_t i = static_cast<size_t>(r) * D + k;
        seen[i] = motion[i];
        if (t + 1 >= first_generated[a] && t > 0 && options.noise > 0) seen[i] += options.noise * gauss(rng);
      }
      const int16_t next = work.action(t + 1, r);
      actions[r] = next >= 0 && next < cfg.num_actions ? next : static_cast<int16_t>(act::idle);
      if (A > 1) {  // the nearest other actor of the particle, in this actor's frame of reference
        const int nearest = nearest_other(r);
        space.encode_pose(in_frame(work.pose(t, nearest), root_x[r], sign[r]), root_x[r], &partner[static_cast<size_t>(r) * D]);
      }
    }
    if (unconditioned) {  // the unconditioned half sees the same frames (noise included) and partners
      std::copy_n(seen.begin(), static_cast<size_t>(R) * D, seen.begin() + static_cast<ptrdiff_t>(R) * D);
      if (A > 1) std::copy_n(partner.begin(), static_cast<size_t>(R) * D, partner.begin() + static_cast<ptrdiff_t>(R) * D);
    }
    DecoderFrame frame;
    frame.motion = seen;
    frame.actions = actions;
    if (A > 1) frame.partner = partner;
    DecoderOutput y = decoder.step(frame);
    if (K > 1) {
      bool counted = false;
      for (int r = 0; r < R; ++r) {
        if (t + 1 < first_generated[r % A]) continue;  // context and prime are not the model's
        const float* row = y.action_logits.data() + static_cast<size_t>(R + r) * cfg.num_actions;
        const float top = *std::max_element(row, row + cfg.num_actions);
        double sum = 0;
        for (int k = 0; k < cfg.num_actions; ++k) sum += std::exp(static_cast<double>(row[k] - top));
        const double lp = row[actions[r]] - top - std::log(sum);
        recent[r / A] += lp;
        lineage[r / A] += lp;
        counted = true;
      }
      if (counted) ++scored_frames, ++recent_frames;
    }
    std::copy_n(y.pose.begin(), head_pose.size(), head_pose.begin());
    std::copy_n(y.physics.begin(), head_physics.size(), head_physics.begin());
    if (guided) {
      const float* u_pose = y.pose.data() + head_pose.size();
      const float* u_phys = y.physics.data() + head_physics.size();
      for (int r = 0; r < R; ++r) {
        if (!needs_guidance(r % A, t + 1 - (total - req.frames))) continue;
        const float g = options.guidance;
        for (int i = r * W; i < (r + 1) * W; ++i) head_pose[i] = u_pose[i] + g * (head_pose[i] - u_pose[i]);
        for (int i = r * kPhysicsDims; i < (r + 1) * kPhysicsDims; ++i)
          head_physics[i] = u_phys[i] + g * (head_physics[i] - u_phys[i]);
      }
    }
    for (int r = 0; r < R; ++r) {
      if (t + 1 < first_generated[r % A]) continue;  // teacher-forced through the context or prime
      if (turns[r].left == 0 && !req.heading.empty()) {
        const int want = wanted_facing(r, t + 1 - (total - req.frames));
        if (want != 0 && facing_now[r] == 0) {
          facing_now[r] = want;  // continuing a clip: its facing is taken to be the first one asked for
        } else if (want != 0 && want != facing_now[r]) {
          facing_now[r] = want;
          turns[r].left = turn_frames;
          turns[r].from.assign(work.pose(t, r), work.pose(t, r) + D);
          turns[r].to = turns[r].from;
          turn_around(s, turns[r].to.data(), root_x[r]);
        }
      }
      if (turns[r].left > 0) {
        // Turning in place: the body holds its pose while its x coordinates move smoothly to those of the
        // same pose facing the other way (turn_around), passing a view from the front; the root stays.
        const int j = turn_frames - --turns[r].left;
        const float u = static_cast<float>(j) / static_cast<float>(turn_frames), w = u * u * (3.f - 2.f * u);
        const std::vector<float>& from = turns[r].from;
        float* pose = work.pose(t + 1, r);
        // Both ends are consistent poses, so the blend is too; only the torso's slight lean changes length
        // (by < 0.1 %), which is why it is not reconciled (the lengths are those of the model's frame).
        for (int d = 0; d < D; ++d) pose[d] = from[d] + w * (turns[r].to[d] - from[d]);
        // At the middle of the turn the figure comes to face the other way: from the next frame on, the
        // model sees it in the mirrored frame, where it turned towards the viewer and back.
        if (2 * j >= turn_frames && 2 * (j - 1) < turn_frames) sign[r] = -sign[r];
        continue;
      }
      space.decode_physics(&head_physics[static_cast<size_t>(r) * kPhysicsDims], phys.data());
      const float next_root_x = root_x[r] + sign[r] * phys[0] / req.fps;
      float* pose = work.pose(t + 1, r);
      const float* head_row = &head_pose[static_cast<size_t>(r) * W];
      if (cfg.pose_hypotheses > 1) {
        const int k = options.draw_hypotheses ? draw_hypothesis(head_row, cfg, unit(hypothesis_rng))
                                              : likeliest_hypothesis(head_row, cfg);
        head_row += static_cast<size_t>(k) * D;
      }
      space.next_from_head(&motion[static_cast<size_t>(r) * D], head_row, predicted.data());
      space.decode_pose(predicted.data(), next_root_x, pose);
      reconcile_pose(s, pose, ref_lengths[r % A].data());
      place_on_ground(pose, D, options.ground_contact && keeps_a_foot_down(work.action(t + 1, r)));
      if (sign[r] < 0) turn_around(s, pose, root_position(s, pose).x);
    }
    if (K > 1 && recent_frames >= select_every && t + 2 < total) {
      // Selection: the best particle's history (frames 0..t+1, decoder cache, turning state) replaces
      // the others'; they part again with their own noise from the next frame.
      const int keep = best_particle();
      for (int p = 0; p < K; ++p) {
        if (p == keep) continue;
        for (int a = 0; a < A; ++a) {
          const int from = keep * A + a, to = p * A + a;
          for (int f = shared_until + 1; f <= t + 1; ++f) std::copy_n(work.pose(f, from), D, work.pose(f, to));
          sign[to] = sign[from];
          facing_now[to] = facing_now[from];
          turns[to] = turns[from];
          decoder.copy_sequence(from, to);
          if (unconditioned) decoder.copy_sequence(R + from, R + to);
        }
        lineage[p] = lineage[keep];
      }
      std::fill(recent.begin(), recent.end(), 0.0);
      shared_until = t + 1;
      recent_frames = 0;
    }
  }
  const int keep = K > 1 ? best_particle() : 0;
  if (K > 1) {
    out.metadata = work.metadata;
    for (int t = 0; t < total; ++t)
      for (int a = 0; a < A; ++a) std::copy_n(work.pose(t, keep * A + a), D, out.pose(t, a));
    out.metadata["stickgen.candidates"] = std::to_string(K);
    // How sure the action head is of the kept take: its mean log-probability of the intended actions.
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", scored_frames ? lineage[keep] / (static_cast<double>(scored_frames) * A) : 0.0);
    out.metadata["stickgen.action_log_prob"] = text;
  } else {
    out = std::move(work);
  }
  compute_physics(out);
  return out;
}

}  // namespace

Clip generate_clip(const Model& model, const GenerationRequest& req, const GenerateOptions& options) {
  if (options.candidates < 1 || options.candidates > 64)
    throw Error("generation: candidates must be between 1 and 64, got " + std::to_string(options.candidates));
  return generate_take(model, req, options);
}

void apply_action_spec(Plan& plan, const std::string& spec) {
  std::vector<std::string> per_actor;
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, '|')) per_actor.push_back(part);
  if (per_actor.empty()) throw Error("--actions: empty timeline (expected e.g. \"walk:0-4,wave:4-10\")");
  float end_all = plan.duration;
  std::vector<std::vector<ActionSegment>> timelines;
  for (const std::string& actor_spec : per_actor) {
    std::vector<ActionSegment> segs;
    std::stringstream items(actor_spec);
    std::string item;
    while (std::getline(items, item, ',')) {
      item.erase(std::remove_if(item.begin(), item.end(), ::isspace), item.end());
      const auto colon = item.find(':'), dash = item.find('-', colon == std::string::npos ? 0 : colon);
      if (colon == std::string::npos || dash == std::string::npos)
        throw Error("--actions: '" + item + "' is not action:start-end (e.g. walk:0-4)");
      const std::string name = item.substr(0, colon);
      const auto id = action_id(name);
      if (!id) throw Error("--actions: unknown action '" + name + "' (see the 64 names in docs/ACTIONS.md)");
      ActionSegment seg;
      seg.action = *id;
      try {
        seg.start = std::stof(item.substr(colon + 1, dash - colon - 1));
        seg.end = std::stof(item.substr(dash + 1));
      } catch (const std::exception&) {
        throw Error("--actions: '" + item + "' has a bad time range (seconds, e.g. 0-4)");
      }
      if (!(seg.start >= 0 && seg.end > seg.start && seg.end <= 600))
        throw Error("--actions: '" + item + "' needs 0 <= start < end <= 600 seconds");
      seg.expression = action_info(seg.action).expression;
      seg.verb = name;
      segs.push_back(seg);
    }
    std::sort(segs.begin(), segs.end(), [](const auto& x, const auto& y) { return x.start < y.start; });
    for (size_t i = 1; i < segs.size(); ++i)
      if (segs[i].start < segs[i - 1].end - 1e-4f)
        throw Error("--actions: '" + std::string(action_name(segs[i - 1].action)) + "' and '" +
                    std::string(action_name(segs[i].action)) + "' overlap");
    if (!segs.empty()) end_all = std::max(end_all, segs.back().end);
    timelines.push_back(std::move(segs));
  }
  plan.duration = end_all;
  while (plan.actors.size() < timelines.size()) {
    ActorPlan extra;
    extra.name = "person " + std::to_string(plan.actors.size() + 1);
    extra.kind = "person";
    extra.start_x = plan.actors.empty() ? 0.f : plan.actors.back().start_x + 1.5f;
    plan.actors.push_back(extra);
  }
  for (size_t a = 0; a < timelines.size(); ++a) {
    std::vector<ActionSegment> filled;
    float cursor = 0.f;
    for (const auto& seg : timelines[a]) {
      if (seg.start > cursor + 1e-4f) {
        ActionSegment gap;
        gap.action = act::idle;
        gap.start = cursor;
        gap.end = seg.start;
        filled.push_back(gap);
      }
      filled.push_back(seg);
      cursor = seg.end;
    }
    if (cursor < plan.duration - 1e-4f) {
      ActionSegment tail = filled.empty() ? ActionSegment{} : filled.back();
      if (filled.empty() || tail.action != act::idle) {
        tail = ActionSegment{};
        tail.action = act::idle;
        tail.start = cursor;
        filled.push_back(tail);
      }
      filled.back().end = plan.duration;
    }
    plan.actors[a].timeline = std::move(filled);
  }
}

}  // namespace stickgen
