// The renderer: clips -> stick-figure frames (Cairo) -> GIF, MP4, PNG (frame or contact sheet), SVG,
// a self-contained HTML player, or .motion. Frames are drawn from the reconciled joints of every
// present actor; the head is a circle (v1: at neck + 0.5*(neck - hip), radius 0.3*|neck - hip|;
// v3: at head_center), faces follow the per-frame actions, and world y points up.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stickgen/actions.hpp"
#include "stickgen/motion.hpp"

namespace stickgen {

enum class RenderStyle : int { normal, sketch, ink, neon };
std::string_view style_name(RenderStyle s);
std::optional<RenderStyle> parse_style(std::string_view name);

// automatic: the clip's camera track when it has one, else fixed. fixed: one view for the whole
// clip. follow: tracks the actors smoothly. clip: the clip's camera track (x, y = world point at the
// centre of the image, zoom multiplies the fixed view's scale). Every mode keeps all present actors
// in view: a view that would cut one off is moved (and if need be widened) just enough.
enum class CameraMode : int { automatic, fixed, follow, clip };
std::string_view camera_name(CameraMode m);  // "auto", "static", "follow", "clip"
std::optional<CameraMode> parse_camera(std::string_view name);

enum class OutputFormat : int { gif, mp4, png, svg, html, motion };
// From the file's extension; nullopt for anything else.
std::optional<OutputFormat> output_format_for(const std::filesystem::path& path);
// ".gif, .mp4, .png, .svg, .html, .motion" for error messages.
std::string_view output_extensions();

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};
std::optional<Rgb> parse_rgb(std::string_view text);  // "#rrggbb" or "rrggbb"
std::string rgb_hex(Rgb c);                            // "#rrggbb"

struct RenderOptions {
  int width = 640, height = 480;  // pixels; 16..4096 (MP4 rounds odd sizes up to even)
  RenderStyle style = RenderStyle::normal;
  CameraMode camera = CameraMode::automatic;
  float margin = 0.08f;           // fraction of width/height kept free around the actors
  bool faces = true;
  bool ground = true;
  uint32_t seed = 1;              // sketch wobble (the same seed and frame draw the same strokes)
  std::vector<std::optional<Rgb>> actor_colors;               // per-actor override, by actor index
  std::vector<std::optional<Expression>> actor_expressions;   // per-actor fixed expression
  int frame = 0;                  // PNG/SVG: the frame to draw
  bool sheet = false;             // PNG: a contact sheet of evenly spaced frames instead
  int sheet_frames = 12;          // cells in the sheet (at most the clip's frame count)
  int sheet_columns = 0;          // 0 = about square
  int crf = 20;                   // MP4 quality (x264 CRF, 0..51, lower is better)
  // Called after each encoded frame (done, total) for progress display; may be empty.
  std::function<void(int, int)> progress;
};

// Throws Error naming the option as a command-line flag ("--size: ...") when it is out of range
// for this clip (size, frame, sheet counts, crf, camera clip without a track).
void check_render_options(const Clip& clip, const RenderOptions& opts);

// ---------------------------------------------------------------- what a frame shows

// The view of one frame: world point at the image centre and pixels per world unit.
struct View {
  float cx = 0.f, cy = 0.f, scale = 1.f;
};
std::vector<View> camera_track(const Clip& clip, const RenderOptions& opts);

// A face as six numbers, so expressions can be blended; expression_face gives the pure ones.
struct FaceParams {
  float eye_open = 1.f;     // eye height relative to neutral (0 = closed line)
  float brow_tilt = 0.f;    // + inner ends down (angry), - inner ends up (sad)
  float brow_raise = 0.f;   // + raised (surprised)
  float mouth_curve = 0.f;  // + smile, - frown
  float mouth_open = 0.f;   // 0 closed .. 1 wide open (speech adds to it)
  float mouth_width = 0.5f; // fraction of the head radius
};
FaceParams expression_face(Expression e);
constexpr float kExpressionTransitionSeconds = 0.3f;
// The face of one actor in every frame: the expression its action (or the override) asks for,
// blended over 0.3 s when it changes, plus speech mouth cycles at the action's speech_hz. The
// state belongs to this actor alone.
std::vector<FaceParams> face_track(const Clip& clip, int actor, const RenderOptions& opts);

Rgb background_color(RenderStyle style);
Rgb actor_color(const RenderOptions& opts, int actor);  // the override or the style's palette

// Draws frames of one clip, reusing one Cairo surface. Frames can be drawn in any order; the same
// frame always gives the same pixels.
class FrameRenderer {
 public:
  FrameRenderer(const Clip& clip, const RenderOptions& opts);
  ~FrameRenderer();
  FrameRenderer(const FrameRenderer&) = delete;
  FrameRenderer& operator=(const FrameRenderer&) = delete;

  struct Image {
    const uint8_t* data;  // 32-bit pixels 0x00RRGGBB in native byte order (Cairo RGB24)
    int width, height, stride;  // stride in bytes
    uint32_t pixel(int x, int y) const {
      return reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(y) * stride)[x] & 0xffffffu;
    }
  };
  Image render(int frame);  // valid until the next call
  int frames() const;
  int width() const;
  int height() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------- outputs

// Renders to the format named by the extension of `path`; the file appears only when complete.
void render_to_file(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts);
void render_gif(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts);
void render_mp4(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts);
void render_png(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts);
void render_svg(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts);
void render_html(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts);
// The self-contained HTML page (player + the clip's .motion document), as text.
std::string html_player_page(const Clip& clip, const RenderOptions& opts);

// GIF frame delays in centiseconds for `frames` frames at `fps`: each delay is the rounded end
// time minus the rounded start time, so they sum to the exact duration (25 fps -> 4, 4, 4, ...;
// 30 fps -> 3, 4, 3, ...). GIF players clamp delays under 2 cs, so render_gif drops frames of
// clips above 50 fps (gif_frame_step).
std::vector<int> gif_delays(int frames, double fps);
int gif_frame_step(double fps);  // 1 up to 50 fps, else the smallest step that brings it to <= 50

}  // namespace stickgen
