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
  const double font = std::clamp(opts.height * 0.045, 9.0, 28.0);
  for (int i = 0; i < n; ++i) {
    const int cx = (i % cols) * (opts.width + gap), cy = (i / cols) * (opts.height + gap);
    cairo_save(surf.cr);
    cairo_translate(surf.cr, cx, cy);
    render_detail::draw_frame(surf.cr, scene, picks[i], opts.width, opts.height);
    // Label each cell with its frame number and time.
    char label[64];
    std::snprintf(label, sizeof label, "#%d  %.2f s", picks[i], picks[i] / clip.fps);
    cairo_select_font_face(surf.cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(surf.cr, font);
    cairo_set_source_rgb(surf.cr, line.r / 255.0, line.g / 255.0, line.b / 255.0);
    cairo_move_to(surf.cr, font * 0.5, font * 1.2);
    cairo_show_text(surf.cr, label);
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
