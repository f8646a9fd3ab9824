// stickgen render clip.motion -o out.{gif,mp4,png,svg,html,motion}: draws a clip to a file.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/convert.hpp"
#include "stickgen/motion_file.hpp"
#include "stickgen/render.hpp"

namespace stickgen::cli {
namespace {

struct RenderArgs {
  std::string input, output;
  std::string size = "640x480", style = "normal", camera = "auto", colors, expressions;
  int frame = 0, sheet_frames = 12, sheet_columns = 0, crf = 20;
  long long seed = 1;
  double margin = 0.08;
  bool sheet = false, no_faces = false, no_ground = false, verbose = false, quiet = false;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// "640x480" -> width, height; the range check happens with the other options.
void parse_size(const std::string& text, RenderOptions& o) {
  const size_t x = text.find_first_of("xX");
  auto number = [](const std::string& s, int& out) {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) return false;
    out = std::stoi(s);
    return true;
  };
  if (x == std::string::npos || !number(text.substr(0, x), o.width) || !number(text.substr(x + 1), o.height))
    throw Error("--size: expected WxH with 16..4096, got '" + text + "'");
  if (o.width < 16 || o.width > 4096 || o.height < 16 || o.height > 4096)
    throw Error("--size: expected WxH with 16..4096, got " + text);
}

RenderOptions options_from(const RenderArgs& a) {
  RenderOptions o;
  parse_size(a.size, o);
  auto style = parse_style(a.style);
  if (!style) throw Error("--style: expected normal, sketch, ink or neon, got '" + a.style + "'");
  o.style = *style;
  auto camera = parse_camera(a.camera);
  if (!camera) throw Error("--camera: expected auto, static, follow or clip, got '" + a.camera + "'");
  o.camera = *camera;
  o.frame = a.frame;
  o.sheet = a.sheet;
  o.sheet_frames = a.sheet_frames;
  o.sheet_columns = a.sheet_columns;
  o.crf = a.crf;
  o.margin = static_cast<float>(a.margin);
  o.faces = !a.no_faces;
  o.ground = !a.no_ground;
  if (a.seed < 0 || a.seed > 0xffffffffLL) throw Error("--seed: expected 0..4294967295, got " + std::to_string(a.seed));
  o.seed = static_cast<uint32_t>(a.seed);
  if (!a.colors.empty()) {
    for (const std::string& c : split_commas(a.colors)) {
      if (c.empty()) {
        o.actor_colors.emplace_back();
        continue;
      }
      auto rgb = parse_rgb(c);
      if (!rgb) throw Error("--colors: expected #rrggbb per actor (comma-separated, empty keeps the palette), got '" + c + "'");
      o.actor_colors.emplace_back(*rgb);
    }
  }
  if (!a.expressions.empty()) {
    for (const std::string& e : split_commas(a.expressions)) {
      if (e.empty()) {
        o.actor_expressions.emplace_back();
        continue;
      }
      auto ex = parse_expression(e);
      if (!ex)
        throw Error("--expressions: expected neutral, happy, sad, surprised, angry or excited per actor, got '" + e + "'");
      o.actor_expressions.emplace_back(*ex);
    }
  }
  return o;
}

// A progress bar with rate and ETA on a terminal; nothing in a pipe.
struct Progress {
  bool enabled;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  void operator()(int done, int total) const {
    if (!enabled || total <= 0) return;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = secs > 0 ? done / secs : 0.0;
    const int width = 30, filled = done * width / total;
    std::fprintf(stderr, "\rrender [%s%s] %d/%d frames  %.0f fps  ETA %.1f s ", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total, rate, rate > 0 ? (total - done) / rate : 0.0);
    if (done == total) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
};

void run_render(const RenderArgs& args) {
  const std::filesystem::path out(args.output);
  if (!output_format_for(out)) {
    const std::string ext = out.extension().string();
    throw Error("-o " + args.output + ": unknown output extension " + (ext.empty() ? "(none)" : "'" + ext + "'") +
                " (expected " + std::string(output_extensions()) + ")");
  }
  RenderOptions opts = options_from(args);
  if (opts.sheet && *output_format_for(out) != OutputFormat::png)
    throw Error("--sheet: contact sheets are written as PNG, not " + out.filename().string());
  const Clip clip = load_motion_any(args.input);  // .motion, or .bvh/.skeleton/.npy/.npz converted
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  Progress progress{tty && !args.quiet};
  opts.progress = [&progress](int done, int total) { progress(done, total); };
  render_to_file(clip, out, opts);
  if ((tty || args.verbose) && !args.quiet) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - progress.start).count();
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(out, ec);
    std::fprintf(stderr, "wrote %s (%d frames, %dx%d, %s, %.1f KiB) in %.2f s\n", args.output.c_str(), clip.frames,
                 opts.width, opts.height, std::string(style_name(opts.style)).c_str(), ec ? 0.0 : bytes / 1024.0, secs);
  }
}

void add_render(CLI::App& app) {
  auto a = std::make_shared<RenderArgs>();
  auto* cmd = app.add_subcommand("render", "Draw a .motion clip as GIF, MP4, PNG, SVG, HTML (or re-write .motion)");
  cmd->add_option("input", a->input, "The clip: .motion, or .bvh/.skeleton/.npy/.npz (converted on the fly)")->required();
  cmd->add_option("-o,--output", a->output, "Output file; the extension picks the format (.gif .mp4 .png .svg .html .motion)")
      ->required();
  cmd->add_option("--size", a->size, "Image size WxH (16..4096; MP4 rounds odd sizes up)")->capture_default_str();
  cmd->add_option("--style", a->style, "normal | sketch | ink | neon")->capture_default_str();
  cmd->add_option("--camera", a->camera,
                  "auto (the clip's camera track if any, else static) | static | follow | clip")
      ->capture_default_str();
  cmd->add_option("--frame", a->frame, "PNG/SVG: the frame to draw (0-based)")->capture_default_str();
  cmd->add_flag("--sheet", a->sheet, "PNG: a contact sheet of evenly spaced frames");
  cmd->add_option("--sheet-frames", a->sheet_frames, "Cells in the contact sheet")->capture_default_str();
  cmd->add_option("--sheet-columns", a->sheet_columns, "Columns in the contact sheet (0 = about square)")
      ->capture_default_str();
  cmd->add_option("--colors", a->colors, "Per-actor colours, e.g. '#e63946,,#2a9d8f' (empty keeps the palette)");
  cmd->add_option("--expressions", a->expressions, "Per-actor fixed expressions, e.g. 'happy,angry'");
  cmd->add_flag("--no-faces", a->no_faces, "Draw plain heads");
  cmd->add_flag("--no-ground", a->no_ground, "Leave out the ground line");
  cmd->add_option("--margin", a->margin, "Free border around the actors, fraction of the image (0..0.4)")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Sketch-style wobble seed")->capture_default_str();
  cmd->add_option("--crf", a->crf, "MP4 quality, x264 CRF 0..51 (lower is better)")->capture_default_str();
  cmd->add_flag("-v,--verbose", a->verbose, "Report what was written even when not on a terminal");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress or summary");
  cmd->callback([a] { run_render(*a); });
}

STICKGEN_COMMAND(20, add_render);

}  // namespace
}  // namespace stickgen::cli
