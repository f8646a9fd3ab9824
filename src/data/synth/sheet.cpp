// Contact sheets of the procedural actions: one row per action (its name, then evenly spaced
// frames drawn by the renderer), one PNG per group. docs/actions/<group>.png.
#include <cairo.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "stickgen/common.hpp"
#include "stickgen/render.hpp"
#include "stickgen/synth.hpp"

namespace stickgen {

void write_action_sheet(const std::vector<int>& ids, const std::filesystem::path& png, const SheetOptions& o) {
  if (ids.empty()) throw Error("sheet: no actions to draw");
  const int label_w = 130, cols = std::max(1, o.frames);
  const int W = label_w + cols * o.cell_width, H = static_cast<int>(ids.size()) * o.cell_height;
  cairo_surface_t* sheet = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  cairo_t* cr = cairo_create(sheet);
  std::unique_ptr<cairo_t, void (*)(cairo_t*)> cr_guard(cr, cairo_destroy);
  std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> s_guard(sheet, cairo_surface_destroy);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  for (size_t r = 0; r < ids.size(); ++r) {
    const int id = ids[r];
    SingleAction a;
    a.action = id;
    a.seconds = o.seconds;
    const ActionParams& p = action_params(id);
    if (p.ends_on_ground || id == act::get_up || id == act::stand) a.seconds = std::max(o.seconds, 3.5f);
    SynthOptions so;
    so.seed = o.seed;
    so.vary = false;
    Plan plan = single_action_plan(a);
    if (id == act::get_up || id == act::stand) {  // show them getting up from the ground
      ActionSegment down = plan.actors[0].timeline[0];
      down.action = act::lie_down;
      down.end = 1.8f;
      plan.actors[0].timeline[0].start = 1.8f;
      plan.actors[0].timeline.insert(plan.actors[0].timeline.begin(), down);
      plan.duration += 1.8f;
    }
    if (id == act::fight && !p.needs_partner) {  // a fight reads best as a pair
      plan.actors.push_back(plan.actors[0]);
      plan.actors[0].start_x = -1.6f, plan.actors[1].start_x = 1.6f, plan.actors[1].facing = -1;
      plan.actors[0].timeline[0].target_actor = 1, plan.actors[1].timeline[0].target_actor = 0;
      plan.actors[1].name = "person 2";
    }
    const Clip clip = synthesize(plan, so);
    RenderOptions ro;
    ro.width = o.cell_width;
    ro.height = o.cell_height;
    ro.camera = clip.actors > 1 ? CameraMode::fixed : CameraMode::follow;
    ro.margin = 0.12f;
    FrameRenderer fr(clip, ro);
    const int y0 = static_cast<int>(r) * o.cell_height;
    for (int c = 0; c < cols; ++c) {
      const int k = cols == 1 ? 0 : static_cast<int>(std::lround(static_cast<double>(c) * (clip.frames - 1) / (cols - 1)));
      const auto img = fr.render(k);
      cairo_surface_t* cell = cairo_image_surface_create_for_data(const_cast<unsigned char*>(img.data), CAIRO_FORMAT_RGB24,
                                                                  img.width, img.height, img.stride);
      cairo_set_source_surface(cr, cell, label_w + c * o.cell_width, y0);
      cairo_paint(cr);
      cairo_surface_destroy(cell);
      cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
      cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
      cairo_set_font_size(cr, 10);
      char t[32];
      std::snprintf(t, sizeof t, "%.1fs", k / clip.fps);
      cairo_move_to(cr, label_w + c * o.cell_width + 4, y0 + 12);
      cairo_show_text(cr, t);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 14);
    cairo_move_to(cr, 8, y0 + o.cell_height / 2 - 4);
    cairo_show_text(cr, std::string(action_name(id)).c_str());
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 10);
    cairo_move_to(cr, 8, y0 + o.cell_height / 2 + 12);
    cairo_show_text(cr, ("#" + std::to_string(id) + "  " + std::string(family_name(p.family))).c_str());
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    cairo_move_to(cr, 0, y0 + 0.5);
    cairo_line_to(cr, W, y0 + 0.5);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
  }
  cairo_surface_flush(sheet);
  AtomicFile out(png);
  if (cairo_surface_write_to_png(sheet, out.temp_path().c_str()) != CAIRO_STATUS_SUCCESS)
    throw Error(png.string() + ": could not write the PNG");
  out.commit();
}

}  // namespace stickgen
