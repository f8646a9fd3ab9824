// Drawing one frame with Cairo: ground, limbs, head and face of every present actor, per style.
#include <algorithm>
#include <array>
#include <cmath>

#include "render/scene.hpp"

namespace stickgen {
namespace render_detail {
namespace {

constexpr double kTau = 6.283185307179586;

struct Pt {
  double x, y;
};

// World (y up) -> image pixels (y down) for one frame's view.
struct Projection {
  View v;
  double w, h;
  Pt operator()(Vec2 p) const { return {(p.x - v.cx) * v.scale + w * 0.5, h * 0.5 - (p.y - v.cy) * v.scale}; }
};

void set_rgb(cairo_t* cr, Rgb c, double alpha = 1.0) {
  if (alpha >= 1.0)
    cairo_set_source_rgb(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0);
  else
    cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha);
}

// Deterministic noise for sketch/ink: the same (seed, frame, actor, part) always gives the same value.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
struct Noise {
  uint64_t state;
  Noise(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) : state(mix(mix(mix(seed) ^ a) ^ b) ^ c) {}
  double next() {  // uniform in [-1, 1)
    state = mix(state);
    return static_cast<double>(state >> 11) * (2.0 / 9007199254740992.0) - 1.0;
  }
};

// The bones drawn for a schema, as joint pairs: the data's segments without the v3 head segment
// (the head circle is drawn instead), plus v3 shoulders joined to the neck so the figure reads.
std::vector<std::pair<int, int>> drawn_bones(const SkeletonSchema& s) {
  std::vector<std::pair<int, int>> out;
  for (int i = 0; i < s.segment_count(); ++i) {
    if (s.format == SkeletonFormat::v3 && i == v3::head) continue;
    out.emplace_back(s.segments[i].from, s.segments[i].to);
  }
  if (s.format == SkeletonFormat::v3) {
    out.emplace_back(v3::neck, v3::l_shoulder);
    out.emplace_back(v3::neck, v3::r_shoulder);
  }
  return out;
}

struct ActorFrame {
  const Vec2* joints;
  Circle head;
  Vec2 neck;
  Vec2 up;  // the head's up direction (world)
  Rgb color;
  int actor;
};

struct Painter {
  cairo_t* cr;
  const Scene& scene;
  Projection proj;
  int t;
  double lw;  // base stroke width in pixels
  const std::vector<std::pair<int, int>>& bones;

  Pt P(Vec2 p) const { return proj(p); }

  // The neck line from the neck joint to the rim of the head circle (v1 leaves a gap there).
  bool neck_line(const ActorFrame& f, Pt& a, Pt& b) const {
    const Vec2 d = f.head.center - f.neck;
    const float len = d.norm();
    if (len <= f.head.radius * 1.02f || len <= 1e-6f) return false;
    a = P(f.neck);
    b = P(f.neck + d * ((len - f.head.radius) / len));
    return true;
  }

  void limb_path(const ActorFrame& f) const {
    for (auto [i, j] : bones) {
      const Pt a = P(f.joints[i]), b = P(f.joints[j]);
      cairo_move_to(cr, a.x, a.y);
      cairo_line_to(cr, b.x, b.y);
    }
    Pt a, b;
    if (neck_line(f, a, b)) {
      cairo_move_to(cr, a.x, a.y);
      cairo_line_to(cr, b.x, b.y);
    }
  }

  void head_disc(const ActorFrame& f) const {
    const Pt c = P(f.head.center);
    cairo_new_sub_path(cr);
    cairo_arc(cr, c.x, c.y, std::max(0.5, static_cast<double>(f.head.radius) * proj.v.scale), 0, kTau);
  }

  void fill_head_background(const ActorFrame& f) const {
    head_disc(f);
    set_rgb(cr, scene.style.background);
    cairo_fill(cr);
  }

  // ---- styles

  // Limbs first, then the head as an opaque disc on top (a raised arm passes behind it).
  void normal(const ActorFrame& f) const {
    limb_path(f);
    set_rgb(cr, f.color);
    cairo_set_line_width(cr, lw);
    cairo_stroke(cr);
    fill_head_background(f);
    head_disc(f);
    set_rgb(cr, f.color);
    cairo_stroke(cr);
  }

  // Wide faint strokes under a light core: a glow that never hides the figure's shape.
  void neon_stroke(const ActorFrame& f) const {
    const std::array<std::pair<double, double>, 3> glow{{{4.6, 0.08}, {2.8, 0.16}, {1.8, 0.3}}};
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);  // soft anyway; the core below stays fully antialiased
    for (auto [width, alpha] : glow) {
      set_rgb(cr, f.color, alpha);
      cairo_set_line_width(cr, lw * width);
      cairo_stroke_preserve(cr);
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    set_rgb(cr, neon_core(f.color));
    cairo_set_line_width(cr, lw);
    cairo_stroke(cr);
  }

  void neon(const ActorFrame& f) const {
    limb_path(f);
    neon_stroke(f);
    fill_head_background(f);
    head_disc(f);
    neon_stroke(f);
  }

  void sketch_line(Noise& n, Pt a, Pt b, double jitter) const {
    const double dx = b.x - a.x, dy = b.y - a.y, len = std::hypot(dx, dy);
    if (len < 1e-6) return;
    const double ux = dx / len, uy = dy / len, nx = -uy, ny = ux;
    // Overshoot/undershoot at the ends and a slight bow, as a hand would draw it.
    const double e0 = n.next() * jitter, e1 = n.next() * jitter;
    const Pt s{a.x - ux * e0 + nx * n.next() * jitter * 0.6, a.y - uy * e0 + ny * n.next() * jitter * 0.6};
    const Pt e{b.x + ux * e1 + nx * n.next() * jitter * 0.6, b.y + uy * e1 + ny * n.next() * jitter * 0.6};
    const double bow1 = n.next() * std::min(len * 0.035, jitter * 1.5), bow2 = n.next() * std::min(len * 0.035, jitter * 1.5);
    cairo_move_to(cr, s.x, s.y);
    cairo_curve_to(cr, s.x + (e.x - s.x) / 3 + nx * bow1, s.y + (e.y - s.y) / 3 + ny * bow1,
                   s.x + 2 * (e.x - s.x) / 3 + nx * bow2, s.y + 2 * (e.y - s.y) / 3 + ny * bow2, e.x, e.y);
  }

  void sketch(const ActorFrame& f) const {
    const double jitter = std::max(0.8, lw * 0.45);
    const Pt c = P(f.head.center);
    const double r = std::max(0.5, static_cast<double>(f.head.radius) * proj.v.scale);
    for (int pass = 0; pass < 2; ++pass) {
      Noise n(scene.opts.seed, static_cast<uint64_t>(t), static_cast<uint64_t>(f.actor), static_cast<uint64_t>(pass));
      for (auto [i, j] : bones) sketch_line(n, P(f.joints[i]), P(f.joints[j]), jitter);
      Pt a, b;
      if (neck_line(f, a, b)) sketch_line(n, a, b, jitter);
      set_rgb(cr, f.color, 0.85);
      cairo_set_line_width(cr, lw * (pass == 0 ? 0.62 : 0.48));
      cairo_stroke(cr);
    }
    fill_head_background(f);
    for (int pass = 0; pass < 2; ++pass) {
      Noise n(scene.opts.seed, static_cast<uint64_t>(t), static_cast<uint64_t>(f.actor), static_cast<uint64_t>(pass + 2));
      // The head: a loop that does not quite close on itself, slightly off-round.
      const double start = (n.next() + 1.0) * kTau * 0.5;
      const double cx = c.x + n.next() * jitter * 0.5, cy = c.y + n.next() * jitter * 0.5;
      const double rr = r + n.next() * jitter * 0.4;
      cairo_new_sub_path(cr);
      cairo_arc(cr, cx, cy, rr, start, start + kTau * (1.04 + 0.03 * n.next()));
      set_rgb(cr, f.color, 0.85);
      cairo_set_line_width(cr, lw * (pass == 0 ? 0.62 : 0.48));
      cairo_stroke(cr);
    }
  }

  void ink(const ActorFrame& f) const {
    set_rgb(cr, f.color);
    // Each bone a tapered brush stroke, its pressure fixed per actor and bone so it does not flicker.
    auto brush = [&](Pt a, Pt b, int part) {
      const double dx = b.x - a.x, dy = b.y - a.y, len = std::hypot(dx, dy);
      Noise n(scene.opts.seed, 0x1c, static_cast<uint64_t>(f.actor), static_cast<uint64_t>(part));
      const double pressure = 1.0 + 0.18 * n.next(), bias = 0.25 * n.next();
      const double wmax = lw * 2.1 * pressure;
      auto width = [&](double s) { return wmax * (0.55 + 0.45 * std::pow(std::sin(M_PI * std::clamp(s + bias * s * (1 - s), 0.0, 1.0)), 0.7)); };
      if (len < 1e-6) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, a.x, a.y, width(0) * 0.5, 0, kTau);
        cairo_fill(cr);
        return;
      }
      const double nx = -dy / len, ny = dx / len;
      constexpr int kSteps = 8;
      cairo_new_sub_path(cr);
      for (int k = 0; k <= kSteps; ++k) {
        const double s = static_cast<double>(k) / kSteps, w = width(s) * 0.5;
        cairo_line_to(cr, a.x + dx * s + nx * w, a.y + dy * s + ny * w);
      }
      for (int k = kSteps; k >= 0; --k) {
        const double s = static_cast<double>(k) / kSteps, w = width(s) * 0.5;
        cairo_line_to(cr, a.x + dx * s - nx * w, a.y + dy * s - ny * w);
      }
      cairo_close_path(cr);
      cairo_new_sub_path(cr);
      cairo_arc(cr, a.x, a.y, width(0) * 0.5, 0, kTau);
      cairo_new_sub_path(cr);
      cairo_arc(cr, b.x, b.y, width(1) * 0.5, 0, kTau);
      cairo_fill(cr);
    };
    int part = 0;
    for (auto [i, j] : bones) brush(P(f.joints[i]), P(f.joints[j]), part++);
    Pt a, b;
    if (neck_line(f, a, b)) brush(a, b, part++);
    fill_head_background(f);
    set_rgb(cr, f.color);
    const Pt c = P(f.head.center);
    const double r = std::max(0.5, static_cast<double>(f.head.radius) * proj.v.scale);
    cairo_new_sub_path(cr);
    cairo_arc(cr, c.x, c.y, r, 0, kTau);
    cairo_set_line_width(cr, lw * 1.3);
    cairo_stroke(cr);
    // A heavier sweep along the lower left of the head, where the brush would press.
    cairo_new_sub_path(cr);
    cairo_arc(cr, c.x, c.y, r, kTau * 0.30, kTau * 0.62);
    cairo_set_line_width(cr, lw * 2.1);
    cairo_stroke(cr);
  }

  // ---- faces (head-local coordinates: unit = head radius, y down, rotated with the head)

  void face(const ActorFrame& f, const FaceParams& p) const {
    const double r = f.head.radius * proj.v.scale;
    if (!(r >= 4.5)) return;  // too small to read; a blur of pixels would only look like dirt
    const Rgb ink = scene.opts.style == RenderStyle::neon ? neon_core(f.color) : f.color;
    const Pt c = P(f.head.center);
    const double angle = std::atan2(static_cast<double>(f.up.x), static_cast<double>(f.up.y));
    cairo_save(cr);
    cairo_translate(cr, c.x, c.y);
    cairo_rotate(cr, angle);
    cairo_scale(cr, r, r);
    set_rgb(cr, ink);
    const double line = std::max(1.0, lw * 0.5) / r;
    cairo_set_line_width(cr, line);

    // Eyes: ellipses whose height is the expression's openness; nearly closed ones become lines.
    for (int side : {-1, 1}) {
      const double ex = side * 0.36, ey = -0.08;
      const double rx = std::max(0.085, 0.6 / r), ry = 0.105 * p.eye_open;
      if (ry * r < 0.9) {
        cairo_move_to(cr, ex - rx * 1.3, ey);
        cairo_line_to(cr, ex + rx * 1.3, ey);
        cairo_stroke(cr);
      } else {
        cairo_save(cr);
        cairo_translate(cr, ex, ey);
        cairo_scale(cr, rx, ry);
        cairo_arc(cr, 0, 0, 1, 0, kTau);
        cairo_restore(cr);
        cairo_fill(cr);
      }
    }
    // Brows only where they can be told apart from the eyes.
    if (r >= 11.0) {
      const double base = -0.4 - p.brow_raise * 0.16;
      for (int side : {-1, 1}) {
        cairo_move_to(cr, side * 0.16, base + p.brow_tilt * 0.13);
        cairo_line_to(cr, side * 0.56, base - p.brow_tilt * 0.09);
      }
      cairo_stroke(cr);
    }
    // Mouth: an upper lip curve (corners up for a smile) and a lower lip pulled down by openness.
    const double y0 = 0.42, hw = 0.55 * p.mouth_width;
    // Opening lifts the upper lip a little and drops the lower one more, so an open mouth is an oval.
    const double open = std::max(0.f, p.mouth_open), base_q = y0 + p.mouth_curve * 0.36;
    const double corner = y0 - p.mouth_curve * 0.12, upper_q = base_q - open * 0.3, lower_q = base_q + open * 0.6;
    auto quad = [&](double x0, double y0q, double qx, double qy, double x1, double y1) {
      cairo_curve_to(cr, x0 + (qx - x0) * 2 / 3, y0q + (qy - y0q) * 2 / 3, x1 + (qx - x1) * 2 / 3,
                     y1 + (qy - y1) * 2 / 3, x1, y1);
    };
    cairo_move_to(cr, -hw, corner);
    quad(-hw, corner, 0, upper_q, hw, corner);
    if (p.mouth_open > 0.04f) {
      quad(hw, corner, 0, lower_q, -hw, corner);
      cairo_close_path(cr);
      cairo_fill_preserve(cr);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
  }
};

}  // namespace

void draw_frame(cairo_t* cr, const Scene& scene, int t, double width, double height) {
  const Projection proj{scene.views[static_cast<size_t>(t)], width, height};
  const double lw = std::clamp(0.038 * proj.v.scale, 1.2, 48.0);
  static const auto bones_v1 = drawn_bones(schema(SkeletonFormat::v1));
  static const auto bones_v3 = drawn_bones(schema(SkeletonFormat::v3));
  const Painter painter{cr, scene, proj, t, lw, scene.schema->format == SkeletonFormat::v3 ? bones_v3 : bones_v1};

  cairo_save(cr);
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_rectangle(cr, 0, 0, width, height);
  cairo_clip(cr);
  set_rgb(cr, scene.style.background);
  cairo_paint(cr);

  if (scene.has_ground) {
    const double gw = std::max(1.0, lw * 0.45);
    const double y = proj({0.f, scene.ground_y}).y + lw * 0.5 + gw * 0.5;
    cairo_move_to(cr, 0, y);
    cairo_line_to(cr, width, y);
    set_rgb(cr, scene.style.ground);
    cairo_set_line_width(cr, gw);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_stroke(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  }

  const SkeletonSchema& s = *scene.schema;
  for (int a = 0; a < scene.actors(); ++a) {
    if (!scene.clip->present(t, a)) continue;
    const Vec2* j = scene.joints_at(t, a);
    bool finite = true;
    for (int k = 0; k < scene.joint_count; ++k) finite = finite && std::isfinite(j[k].x) && std::isfinite(j[k].y);
    if (!finite) continue;
    ActorFrame f{j, scene.head_at(t, a), {}, {0.f, 1.f}, scene.colors[a], a};
    Vec2 up;
    if (s.format == SkeletonFormat::v1) {
      f.neck = j[v1::neck];
      up = j[v1::neck] - j[v1::hip];
    } else {
      f.neck = j[v3::neck];
      up = j[v3::head_center] - j[v3::neck];
    }
    if (up.norm() > 1e-6f) f.up = up * (1.f / up.norm());
    switch (scene.opts.style) {
      case RenderStyle::normal: painter.normal(f); break;
      case RenderStyle::sketch: painter.sketch(f); break;
      case RenderStyle::ink: painter.ink(f); break;
      case RenderStyle::neon: painter.neon(f); break;
    }
    if (scene.opts.faces && !scene.faces[a].empty()) painter.face(f, scene.faces[a][static_cast<size_t>(t)]);
  }
  cairo_restore(cr);
}

}  // namespace render_detail

// ---------------------------------------------------------------- FrameRenderer

struct FrameRenderer::Impl {
  render_detail::Scene scene;
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
  ~Impl() {
    if (cr) cairo_destroy(cr);
    if (surface) cairo_surface_destroy(surface);
  }
};

FrameRenderer::FrameRenderer(const Clip& clip, const RenderOptions& opts) : impl_(std::make_unique<Impl>()) {
  impl_->scene = render_detail::build_scene(clip, opts);
  impl_->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, opts.width, opts.height);
  if (cairo_surface_status(impl_->surface) != CAIRO_STATUS_SUCCESS)
    throw Error("render: cannot allocate a " + std::to_string(opts.width) + "x" + std::to_string(opts.height) + " image");
  impl_->cr = cairo_create(impl_->surface);
}

FrameRenderer::~FrameRenderer() = default;

FrameRenderer::Image FrameRenderer::render(int frame) {
  if (frame < 0 || frame >= impl_->scene.frames())
    throw Error("render: frame " + std::to_string(frame) + " outside 0.." + std::to_string(impl_->scene.frames() - 1));
  render_detail::draw_frame(impl_->cr, impl_->scene, frame, width(), height());
  // A context in an error state would silently draw nothing from here on.
  if (cairo_status(impl_->cr) != CAIRO_STATUS_SUCCESS)
    throw Error("render: drawing frame " + std::to_string(frame) + " failed (" +
                cairo_status_to_string(cairo_status(impl_->cr)) + ")");
  cairo_surface_flush(impl_->surface);
  return {cairo_image_surface_get_data(impl_->surface), width(), height(),
          cairo_image_surface_get_stride(impl_->surface)};
}

int FrameRenderer::frames() const { return impl_->scene.frames(); }
int FrameRenderer::width() const { return impl_->scene.opts.width; }
int FrameRenderer::height() const { return impl_->scene.opts.height; }

}  // namespace stickgen
