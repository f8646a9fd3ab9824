// What the renderer draws, computed once per clip: reconciled joints and heads of every actor in
// every frame, the camera track, each actor's face track, the colours and line widths. Drawing a
// frame only reads this, so frames can be drawn in any order (and in parallel with encoding).
#pragma once

#include <cairo.h>

#include <vector>

#include "stickgen/render.hpp"

namespace stickgen::render_detail {

struct StyleColors {
  Rgb background;
  Rgb ground;
};
StyleColors style_colors(RenderStyle style);
// The neon core colour: the actor colour lifted towards white so thin strokes stay readable.
Rgb neon_core(Rgb c);

struct Scene {
  const Clip* clip = nullptr;
  RenderOptions opts;
  const SkeletonSchema* schema = nullptr;
  int joint_count = 0;
  std::vector<Vec2> joints;           // [frames, actors, joint_count], reconciled
  std::vector<Circle> heads;          // [frames, actors]
  std::vector<std::vector<FaceParams>> faces;  // [actor][frame]
  std::vector<View> views;            // [frames]
  std::vector<Rgb> colors;            // [actors]
  StyleColors style;
  float ground_y = 0.f;
  bool has_ground = false;

  int frames() const { return clip->frames; }
  int actors() const { return clip->actors; }
  const Vec2* joints_at(int t, int a) const {
    return joints.data() + (static_cast<size_t>(t) * clip->actors + a) * joint_count;
  }
  const Circle& head_at(int t, int a) const { return heads[static_cast<size_t>(t) * clip->actors + a]; }
  // Every distinct colour a frame can be drawn from (besides the background), for GIF palettes.
  std::vector<Rgb> base_colors() const;
};

Scene build_scene(const Clip& clip, const RenderOptions& opts);

// Draws frame t with its own view onto a context whose user space is a width x height image
// (the caller sets up any translation/clip, e.g. for contact-sheet cells).
void draw_frame(cairo_t* cr, const Scene& scene, int t, double width, double height);

// Converts the clip's camera track and framing rules into a view per frame (render.hpp's
// camera_track is this on a fresh scene).
std::vector<View> compute_views(const Clip& clip, const RenderOptions& opts, const std::vector<Vec2>& joints,
                                const std::vector<Circle>& heads, int joint_count);

}  // namespace stickgen::render_detail
