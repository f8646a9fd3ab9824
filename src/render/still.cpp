// Stills: PNG of one frame or a contact sheet of evenly spaced frames, and SVG of one frame.
#include <cairo-svg.h>
#include <cairo.h>

#include <cmath>
#include <cstdio>

#include "render/scene.hpp"
#include "stickgen/common.hpp"

namespace stickgen {
namespace {

struct Surface {
  cairo_surface_t* s = nullptr;
  cairo_t* cr = nullptr;
  ~Surface() {
    if (cr) cairo_destroy(cr);
    if (s) cairo_surface_destroy(s);
  }
};

void check(cairo_status_t status, const std::filesystem::path& path, const char* what) {
  if (status != CAIRO_STATUS_SUCCESS)
    throw Error(path.string() + ": " + what + " failed (" + cairo_status_to_string(status) + ")");
}

// Frames shown in a sheet of n cells: first and last included, evenly spaced between.
std::vector<int> sheet_frames(int frames, int n) {
  n = std::min(n, frames);
  std::vector<int> out;
  for (int i = 0; i < n; ++i)
    out.push_back(n == 1 ? 0 : static_cast<int>(std::lround(static_cast<double>(i) * (frames - 1) / (n - 1))));
  return out;
}

// Cell labels in a tiny stroke font (seven-segment digits, '#', '.', 's'): no font lookup, so a
// sheet looks the same on every machine and never touches fontconfig.
void draw_label(cairo_t* cr, double x, double y, double size, std::string_view text) {
  constexpr double w = 0.55;  // glyph width; height is 1 (y down from the top of the glyph)
  // Segments a..g of a seven-segment digit as (x0, y0, x1, y1).
  static constexpr double seg[7][4] = {{0, 0, w, 0},   {w, 0, w, .5}, {w, .5, w, 1}, {0, 1, w, 1},
                                       {0, .5, 0, 1},  {0, 0, 0, .5}, {0, .5, w, .5}};
  static constexpr const char* digits[10] = {"abcdef", "bc", "abged", "abgcd", "fgbc",
                                             "afgcd",  "afgedc", "abc", "abcdefg", "abcdfg"};
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, size, size);
  cairo_set_line_width(cr, 0.13);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  double pen = 0;
  for (char ch : text) {
    auto line = [&](double x0, double y0, double x1, double y1) {
      cairo_move_to(cr, pen + x0, y0);
      cairo_line_to(cr, pen + x1, y1);
    };
    if (ch == '1') {
      line(w * 0.5, 0, w * 0.5, 1);
    } else if (ch >= '0' && ch <= '9') {
      for (const char* c = digits[ch - '0']; *c; ++c) {
        const double* g = seg[*c - 'a'];
        line(g[0], g[1], g[2], g[3]);
      }
    } else if (ch == 's') {  // a small '5' in the lower half
      for (const char* c = "afgcd"; *c; ++c) {
        const double* g = seg[*c - 'a'];
        line(g[0] * 0.8, 0.45 + g[1] * 0.55, g[2] * 0.8, 0.45 + g[3] * 0.55);
      }
    } else if (ch == '#') {
      line(0.2, 0.05, 0.15, 0.95), line(0.45, 0.05, 0.4, 0.95), line(0, 0.35, w, 0.35), line(0, 0.65, w, 0.65);
    } else if (ch == '.') {
      line(0.1, 0.97, 0.1, 0.97);
      pen -= 0.4;
    }
    pen += ch == ' ' ? 0.45 : 0.85;
  }
  cairo_stroke(cr);
  cairo_restore(cr);
}

void write_sheet(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts, Surface& surf) {
  const render_detail::Scene scene = render_detail::build_scene(clip, opts);
  const std::vector<int> picks = sheet_frames(clip.frames, opts.sheet_frames);
  const int n = static_cast<int>(picks.size());
  const int cols = opts.sheet_columns > 0 ? std::min(opts.sheet_columns, n)
                                          : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int rows = (n + cols - 1) / cols;
  const int gap = 2;
  const int W = cols * opts.width + (cols - 1) * gap, H = rows * opts.height + (rows - 1) * gap;
  if (W > 16384 || H > 16384)
    throw Error("--sheet: a " + std::to_string(cols) + "x" + std::to_string(rows) + " sheet of " +
                std::to_string(opts.width) + "x" + std::to_string(opts.height) +
                " cells exceeds 16384 pixels; use a smaller --size or fewer --sheet-frames");
  surf.s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  check(cairo_surface_status(surf.s), path, "allocating the sheet");
  surf.cr = cairo_create(surf.s);
  const Rgb line = scene.style.ground;
  cairo_set_source_rgb(surf.cr, line.r / 255.0, line.g / 255.0, line.b / 255.0);
  cairo_paint(surf.cr);
  const double font = std::clamp(opts.height * 0.04, 7.0, 24.0);
  for (int i = 0; i < n; ++i) {
    const int cx = (i % cols) * (opts.width + gap), cy = (i / cols) * (opts.height + gap);
    cairo_save(surf.cr);
    cairo_translate(surf.cr, cx, cy);
    render_detail::draw_frame(surf.cr, scene, picks[i], opts.width, opts.height);
    // Label each cell with its frame number and time.
    char label[64];
    std::snprintf(label, sizeof label, "#%d  %.2fs", picks[i], picks[i] / clip.fps);
    cairo_set_source_rgb(surf.cr, line.r / 255.0, line.g / 255.0, line.b / 255.0);
    draw_label(surf.cr, font * 0.5, font * 0.5, font, label);
    cairo_restore(surf.cr);
  }
}

}  // namespace

void render_png(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts) {
  check_render_options(clip, opts);
  Surface surf;
  if (opts.sheet) {
    write_sheet(clip, path, opts, surf);
  } else {
    const render_detail::Scene scene = render_detail::build_scene(clip, opts);
    surf.s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, opts.width, opts.height);
    check(cairo_surface_status(surf.s), path, "allocating the image");
    surf.cr = cairo_create(surf.s);
    render_detail::draw_frame(surf.cr, scene, opts.frame, opts.width, opts.height);
  }
  check(cairo_status(surf.cr), path, "drawing");
  cairo_surface_flush(surf.s);
  AtomicFile file(path);
  check(cairo_surface_write_to_png(surf.s, file.temp_path().c_str()), path, "writing PNG");
  file.commit();
}

void render_svg(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts) {
  if (opts.sheet) throw Error("--sheet: contact sheets are PNG only (got " + path.filename().string() + ")");
  const render_detail::Scene scene = render_detail::build_scene(clip, opts);
  AtomicFile file(path);
  {
    Surface surf;
    surf.s = cairo_svg_surface_create(file.temp_path().c_str(), opts.width, opts.height);
    check(cairo_surface_status(surf.s), path, "creating SVG");
    cairo_svg_surface_restrict_to_version(surf.s, CAIRO_SVG_VERSION_1_1);
    surf.cr = cairo_create(surf.s);
    render_detail::draw_frame(surf.cr, scene, opts.frame, opts.width, opts.height);
    check(cairo_status(surf.cr), path, "drawing");
    cairo_destroy(surf.cr);
    surf.cr = nullptr;
    cairo_surface_finish(surf.s);
    check(cairo_surface_status(surf.s), path, "writing SVG");
  }
  file.commit();
}

}  // namespace stickgen
