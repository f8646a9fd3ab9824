// stickgen generate "<prompt>": prompt -> plan (planner) -> clip (engine) -> file (renderer or .motion).
// --engine model (the default) runs the trained network (runtime/, KV-cached decoding); --engine
// procedural runs the procedural engine. A missing model is an error, never a silent switch of engine.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

#include <filesystem>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/generate.hpp"
#include "stickgen/motion_file.hpp"
#include "stickgen/planner.hpp"
#include "stickgen/progress.hpp"
#include "stickgen/render.hpp"
#include "stickgen/synth.hpp"

namespace stickgen::cli {
namespace {

struct GenerateArgs {
  std::string prompt;
  std::string output = "out.gif";
  std::string engine = "model";
  float seconds = 10.f;
  uint64_t seed = 0;
  std::string format;  // "" = the engine's own (the model's skeleton; v3 for procedural)
  float fps = 25.f;
  std::string model, actions, continue_from;
  float noise = GenerateOptions{}.noise;
  float guidance = GenerateOptions{}.guidance;
  float prime = GenerateOptions{}.prime_seconds;
  int candidates = GenerateOptions{}.candidates;
  std::string hypothesis = GenerateOptions{}.draw_hypotheses ? "draw" : "likeliest";
  float candidate_seconds = GenerateOptions{}.candidate_seconds;
  bool no_ground_contact = !GenerateOptions{}.ground_contact;
  int threads = 1;
  std::string size = "640x480", style = "normal", camera = "auto";
  int max_actors = 3;
  bool quiet = false;
};

// A few colour names the planner may hand over ("a man in red"); #rrggbb passes through.
std::optional<Rgb> colour(const std::string& name) {
  if (auto rgb = parse_rgb(name)) return rgb;
  struct Named { const char* name; Rgb rgb; };
  static const Named kNames[] = {
      {"red", {200, 40, 40}},     {"blue", {40, 80, 200}},     {"green", {40, 150, 60}},   {"black", {20, 20, 20}},
      {"orange", {230, 130, 30}}, {"purple", {130, 60, 170}},  {"pink", {230, 100, 160}},  {"yellow", {210, 180, 20}},
      {"brown", {130, 80, 40}},   {"gray", {120, 120, 120}},   {"grey", {120, 120, 120}},  {"white", {235, 235, 235}}};
  for (const auto& n : kNames)
    if (name == n.name) return n.rgb;
  return std::nullopt;
}

RenderOptions render_options(const GenerateArgs& a, const Plan& plan) {
  RenderOptions o;
  const size_t x = a.size.find_first_of("xX");
  try {
    if (x == std::string::npos) throw Error("");
    o.width = std::stoi(a.size.substr(0, x));
    o.height = std::stoi(a.size.substr(x + 1));
  } catch (...) {
    throw Error("--size: expected WxH with 16..4096, got '" + a.size + "'");
  }
  if (o.width < 16 || o.width > 4096 || o.height < 16 || o.height > 4096)
    throw Error("--size: expected WxH with 16..4096, got " + a.size);
  auto style = parse_style(a.style);
  if (!style) throw Error("--style: expected normal, sketch, ink or neon, got '" + a.style + "'");
  o.style = *style;
  auto camera = parse_camera(a.camera);
  if (!camera) throw Error("--camera: expected auto, static, follow or clip, got '" + a.camera + "'");
  o.camera = *camera;
  o.seed = static_cast<uint32_t>(a.seed);
  for (const auto& actor : plan.actors) o.actor_colors.push_back(actor.color.empty() ? std::nullopt : colour(actor.color));
  return o;
}

// The shipped model: $STICKGEN_MODEL, else models/ next to the build tree or the source tree.
constexpr const char* kDefaultModel = "models/stickgen-small-sft.safetensors";

std::string default_model_path() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("STICKGEN_MODEL"); env && *env) return env;
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / kDefaultModel);
    candidates.push_back(exe.parent_path().parent_path() / "share/stickgen" / kDefaultModel);
  }
  candidates.push_back(fs::path(STICKGEN_SOURCE_DIR) / kDefaultModel);
  for (const auto& c : candidates)
    if (fs::exists(c)) return c.string();
  return "";
}

Clip run_model(const GenerateArgs& a, const Plan& plan, std::string& engine_note) {
  const std::string path = a.model.empty() ? default_model_path() : a.model;
  if (path.empty())
    throw Error("generate: no trained model found (looked for " + std::string(kDefaultModel) +
                " and $STICKGEN_MODEL); pass --model FILE or use --engine procedural");
  Model model = Model::load(path);
  const auto model_format = format_from_dims(model.config().input_dim);
  if (!a.format.empty() && model_format && *parse_format(a.format) != *model_format)
    throw Error("--format: the model generates " + std::string(format_name(*model_format)) + " poses, not " + a.format);
  auto encoder = text_encoder_for(model);
  GenerationRequest req = request_from_plan(plan, *encoder, a.fps);
  std::optional<Clip> context;
  if (!a.continue_from.empty()) {
    context = read_motion_file(a.continue_from);
    if (context->fps != a.fps) context = resample(*context, a.fps);
    if (context->actors != req.actors()) {
      // the prompt's actors follow the clip's: keep the clip's actor count
      const int want = context->actors;
      while (req.actors() < want) {
        req.actions.push_back(req.actions.back());
        if (!req.heading.empty()) req.heading.push_back(req.heading.back());
        req.start_x.push_back(0.f);
        req.facing.push_back(1);
      }
      req.actions.resize(want);
      if (!req.heading.empty()) req.heading.resize(want);
      req.start_x.resize(want);
      req.facing.resize(want);
    }
    req.context = &*context;
  }
  GenerateOptions go;
  go.seed = a.seed;
  go.noise = a.noise;
  go.guidance = a.guidance;
  go.prime_seconds = a.prime;
  go.candidates = a.candidates;
  go.candidate_seconds = a.candidate_seconds;
  go.draw_hypotheses = a.hypothesis == "draw";
  go.ground_contact = !a.no_ground_contact;
  go.threads = a.threads;
  Clip clip = generate_clip(model, req, go);
  clip.description = plan.prompt;
  engine_note = "model " + std::filesystem::path(path).filename().string();
  if (const auto it = clip.metadata.find("stickgen.procedural_prime_seconds"); it != clip.metadata.end())
    engine_note += ", opening " + it->second + " s procedural (--prime)";
  return clip;
}

void add_generate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate an animation from a prompt");
  cmd->add_option("prompt", args->prompt, "What should happen, in English")->required();
  cmd->add_option("-o,--output", args->output, "Output file; the extension picks the format (.gif .mp4 .png .svg .html .motion)");
  cmd->add_option("--engine", args->engine, "Generation engine: model (default) | procedural")
      ->check(CLI::IsMember({"model", "procedural"}));
  cmd->add_option("--seconds", args->seconds, "Clip length in seconds")->check(CLI::Range(0.5, 600.0));
  cmd->add_option("--seed", args->seed, "Seed (same prompt + seed = same animation)");
  cmd->add_option("--format", args->format, "Skeleton: v1 (20 numbers) or v3 (48)")->check(CLI::IsMember({"v1", "v3"}));
  cmd->add_option("--fps", args->fps, "Frames per second")->check(CLI::Range(1.0, 120.0));
  cmd->add_option("--max-actors", args->max_actors, "Most figures in the scene")->check(CLI::Range(1, 8));
  cmd->add_option("--size", args->size, "Frame size WxH (pixels)");
  cmd->add_option("--style", args->style, "normal | sketch | ink | neon");
  cmd->add_option("--camera", args->camera, "auto | static | follow | clip");
  cmd->add_option("--model", args->model, "Model file (default: $STICKGEN_MODEL or the shipped " + std::string(kDefaultModel) + ")");
  cmd->add_option("--actions", args->actions, "Explicit timeline, e.g. \"walk:0-4,wave:4-10\" ('|' separates actors)");
  cmd->add_option("--continue-from", args->continue_from, "Continue this .motion clip (model engine)");
  cmd->add_option("--noise", args->noise, "Model engine: noise on fed-back frames (different takes per --seed)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--guidance", args->guidance,
                  "Model engine: action guidance (1 = off; higher = more pronounced actions; models trained with action dropout)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  cmd->add_option("--prime", args->prime,
                  "Model engine: seconds of the procedural engine performing each actor's first action that the model "
                  "continues (0 = the model starts from a standing pose)")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  cmd->add_option("--candidates", args->candidates,
                  "Model engine: takes decoded side by side; every --candidate-seconds the one the model's own action head "
                  "recognises best as the planned actions replaces the others (costs about 2x that many times the decoding)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--candidate-seconds", args->candidate_seconds,
                  "Model engine: with --candidates, how often the best candidate replaces the others")
      ->check(CLI::Range(0.04, 3600.0))
      ->capture_default_str();
  cmd->add_option("--hypothesis", args->hypothesis,
                  "Model engine, for a model with pose hypotheses: draw one each frame by the model's odds, or follow the likeliest")
      ->check(CLI::IsMember({"draw", "likeliest"}))
      ->capture_default_str();
  char ground_help[256];
  std::snprintf(ground_help, sizeof ground_help,
                "Model engine: leave figures floating where the model put them (by default a figure performing an action "
                "that keeps a foot down is lowered onto the ground when it floats less than %.1f units above it)",
                kGroundContactUnits);
  cmd->add_flag("--no-ground-contact", args->no_ground_contact, ground_help);
  cmd->add_option("--threads", args->threads, "Model engine: compute threads")->check(CLI::Range(1, 64));
  cmd->add_flag("-q,--quiet", args->quiet, "No progress or summary");
  cmd->callback([args] {
    if (!output_format_for(args->output))
      throw Error("-o: unsupported extension for '" + args->output + "' (expected " + std::string(output_extensions()) + ")");
    PlannerOptions po;
    po.duration = args->seconds;
    po.max_actors = args->max_actors;
    po.seed = args->seed;
    Plan plan = plan_prompt(args->prompt, po);
    for (const auto& w : plan.warnings) std::fprintf(stderr, "stickgen: warning: %s\n", w.c_str());
    if (!args->actions.empty()) apply_action_spec(plan, args->actions);
    std::string engine_note = "procedural engine";
    Clip clip;
    if (args->engine == "model") {
      clip = run_model(*args, plan, engine_note);
    } else {
      if (!args->continue_from.empty()) throw Error("--continue-from: only the model engine continues a clip");
      SynthOptions so;
      so.seed = args->seed;
      so.fps = args->fps;
      so.format = *parse_format(args->format.empty() ? "v3" : args->format);
      clip = synthesize(plan, so);
    }
    RenderOptions ro = render_options(*args, plan);
    std::optional<Progress> progress;
    if (!args->quiet) {
      progress.emplace("rendering", clip.frames, "frames");
      ro.progress = [&progress](int done, int) { progress->set(done); };
    }
    render_to_file(clip, args->output, ro);
    if (progress) progress->finish();
    if (!args->quiet) {
      std::string timeline;
      for (size_t a = 0; a < plan.actors.size(); ++a) {
        timeline += (a ? "; " : "") + plan.actors[a].name + ":";
        for (const auto& s : plan.actors[a].timeline) timeline += " " + std::string(action_name(s.action));
      }
      std::fprintf(stderr, "stickgen: wrote %s (%d frames, %d actor%s, %s; %s)\n", args->output.c_str(), clip.frames,
                   clip.actors, clip.actors == 1 ? "" : "s", engine_note.c_str(), timeline.c_str());
    }
  });
}

STICKGEN_COMMAND(10, add_generate);

}  // namespace
}  // namespace stickgen::cli
