// PNG charts with Cairo. Layout: a title band, a plot area with axes and ticks, labels.
#include "stickgen/plot.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "stickgen/common.hpp"

namespace stickgen::plot {
namespace {

struct Rgb {
  double r, g, b;
};
constexpr Rgb kPalette[] = {{0.16, 0.42, 0.73}, {0.90, 0.45, 0.10}, {0.20, 0.62, 0.28}, {0.80, 0.15, 0.20},
                            {0.55, 0.35, 0.72}, {0.50, 0.33, 0.25}, {0.90, 0.40, 0.70}, {0.45, 0.45, 0.45}};

struct Canvas {
  cairo_surface_t* surface;
  cairo_t* cr;
  int width, height;
  Canvas(int w, int h) : width(w), height(h) {
    surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  }
  ~Canvas() {
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
  }
  void save(const std::filesystem::path& path) {
    cairo_surface_flush(surface);
    AtomicFile file(path);
    if (cairo_surface_write_to_png(surface, file.temp_path().c_str()) != CAIRO_STATUS_SUCCESS)
      throw Error(path.string() + ": cannot write PNG");
    file.commit();
  }
  void text(double x, double y, const std::string& s, double size, double align = 0.0, double angle = 0.0,
            bool bold = false) {
    cairo_save(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s.c_str(), &ext);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, angle);
    cairo_move_to(cr, -align * ext.x_advance, 0);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_show_text(cr, s.c_str());
    cairo_restore(cr);
  }
  double text_width(const std::string& s, double size) {
    cairo_set_font_size(cr, size);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s.c_str(), &ext);
    return ext.x_advance;
  }
};

std::string number(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e5)) std::snprintf(buf, sizeof buf, "%.2g", v);
  else if (a >= 100 || v == std::floor(v)) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (a >= 1) std::snprintf(buf, sizeof buf, "%.2f", v);
  else std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// Round tick step for a range.
double nice_step(double range, int target) {
  if (!(range > 0)) return 1;
  const double raw = range / target, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

struct Frame {
  double left, top, right, bottom;  // plot area in pixels
  double x0, x1, y0, y1;            // data ranges
  bool log_y = false;
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (right - left); }
  double py(double y) const {
    if (log_y) y = std::log10(std::max(y, 1e-300));
    return bottom - (y - y0) / (y1 - y0) * (bottom - top);
  }
};

void draw_axes(Canvas& c, Frame& f, const std::string& title, const std::string& xl, const std::string& yl,
               bool x_ticks = true) {
  cairo_t* cr = c.cr;
  c.text(c.width / 2.0, 26, title, 16, 0.5, 0, true);
  cairo_set_line_width(cr, 1);
  const double ystep = nice_step(f.y1 - f.y0, 6);
  for (double y = std::ceil(f.y0 / ystep) * ystep; y <= f.y1 + 1e-9 * ystep; y += ystep) {
    const double py = f.bottom - (y - f.y0) / (f.y1 - f.y0) * (f.bottom - f.top);
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, f.left, py);
    cairo_line_to(cr, f.right, py);
    cairo_stroke(cr);
    c.text(f.left - 6, py + 4, f.log_y ? number(std::pow(10.0, y)) : number(y), 11, 1.0);
  }
  if (x_ticks) {
    const double xstep = nice_step(f.x1 - f.x0, 8);
    for (double x = std::ceil(f.x0 / xstep) * xstep; x <= f.x1 + 1e-9 * xstep; x += xstep)
      c.text(f.px(x), f.bottom + 16, number(x), 11, 0.5);
  }
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_rectangle(cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_stroke(cr);
  if (!xl.empty()) c.text((f.left + f.right) / 2, c.height - 10, xl, 12, 0.5);
  if (!yl.empty()) c.text(16, (f.top + f.bottom) / 2, yl, 12, 0.5, -M_PI / 2);
}

void legend(Canvas& c, const Frame& f, const std::vector<std::string>& names) {
  double y = f.top + 14;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) continue;
    const Rgb col = kPalette[i % std::size(kPalette)];
    cairo_set_source_rgb(c.cr, col.r, col.g, col.b);
    cairo_rectangle(c.cr, f.right - 170, y - 9, 12, 10);
    cairo_fill(c.cr);
    c.text(f.right - 152, y, names[i], 11);
    y += 16;
  }
}

}  // namespace

void write_png(const LineChart& chart, const std::filesystem::path& path, int width, int height) {
  Canvas c(width, height);
  Frame f{70, 44, width - 20.0, height - 46.0, 0, 1, 0, 1, chart.log_y};
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& s : chart.series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (chart.log_y && s.y[i] <= 0)) continue;
      const double y = chart.log_y ? std::log10(s.y[i]) : s.y[i];
      xmin = std::min(xmin, s.x[i]), xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, y), ymax = std::max(ymax, y);
    }
  if (!std::isfinite(xmin)) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  if (xmax <= xmin) xmax = xmin + 1;
  if (ymax <= ymin) ymax = ymin + 1;
  const double pad = 0.05 * (ymax - ymin);
  f.x0 = xmin, f.x1 = xmax, f.y0 = ymin - pad, f.y1 = ymax + pad;
  draw_axes(c, f, chart.title, chart.x_label, chart.y_label);
  std::vector<std::string> names;
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const auto& s = chart.series[k];
    names.push_back(s.name);
    const Rgb col = kPalette[k % std::size(kPalette)];
    cairo_set_source_rgb(c.cr, col.r, col.g, col.b);
    cairo_set_line_width(c.cr, 1.8);
    bool started = false;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (chart.log_y && s.y[i] <= 0)) continue;
      if (!started) cairo_move_to(c.cr, f.px(s.x[i]), f.py(s.y[i]));
      else cairo_line_to(c.cr, f.px(s.x[i]), f.py(s.y[i]));
      started = true;
    }
    cairo_stroke(c.cr);
  }
  legend(c, f, names);
  c.save(path);
}

void write_png(const BarChart& chart, const std::filesystem::path& path, int width, int height) {
  const size_t n = chart.values.size();
  const bool two = chart.reference.size() == n && n > 0;
  size_t longest = 0;
  for (const auto& l : chart.labels) longest = std::max(longest, l.size());
  const bool rotate = !chart.horizontal_labels && (n > 12 || longest > 10);
  Canvas c(width, height);
  const double label_band = rotate ? std::min(150.0, 8.0 + 6.5 * longest) : 30.0;
  Frame f{70, 44, width - 20.0, height - label_band - 10, 0, 1, 0, 1};
  double ymax = 0, ymin = 0;
  for (size_t i = 0; i < n; ++i) {
    ymax = std::max({ymax, chart.values[i], two ? chart.reference[i] : 0.0});
    ymin = std::min({ymin, chart.values[i], two ? chart.reference[i] : 0.0});
  }
  if (ymax <= ymin) ymax = ymin + 1;
  f.y0 = ymin, f.y1 = ymax * 1.08;
  f.x0 = 0, f.x1 = std::max<double>(1, n);
  draw_axes(c, f, chart.title, "", chart.y_label, false);
  const double slot = (f.right - f.left) / std::max<size_t>(1, n);
  for (size_t i = 0; i < n; ++i) {
    const double x = f.left + i * slot;
    const double w = slot * (two ? 0.4 : 0.75);
    for (int k = 0; k < (two ? 2 : 1); ++k) {
      const double v = k == 0 ? chart.values[i] : chart.reference[i];
      const Rgb col = kPalette[k];
      cairo_set_source_rgb(c.cr, col.r, col.g, col.b);
      const double top = f.py(std::max(v, 0.0)), base = f.py(std::min(v, 0.0));
      cairo_rectangle(c.cr, x + slot * 0.1 + k * w, top, w, base - top);
      cairo_fill(c.cr);
    }
    const std::string& label = i < chart.labels.size() ? chart.labels[i] : std::string();
    if (rotate) c.text(x + slot / 2 + 4, f.bottom + 6, label, 10, 0.0, M_PI / 2);
    else c.text(x + slot / 2, f.bottom + 16, label, 11, 0.5);
  }
  if (two) legend(c, f, {chart.value_name, chart.reference_name});
  c.save(path);
}

void write_png(const Histogram& chart, const std::filesystem::path& path, int width, int height) {
  Canvas c(width, height);
  Frame f{70, 44, width - 20.0, height - 46.0, 0, 1, 0, 1};
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : chart.values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  for (double m : chart.marks) lo = std::min(lo, m), hi = std::max(hi, m);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi <= lo) hi = lo + 1;
  const int bins = std::max(1, chart.bins);
  std::vector<double> counts(bins, 0);
  for (double v : chart.values)
    if (std::isfinite(v)) counts[std::min(bins - 1, static_cast<int>((v - lo) / (hi - lo) * bins))] += 1;
  f.x0 = lo, f.x1 = hi, f.y0 = 0, f.y1 = std::max(1.0, *std::max_element(counts.begin(), counts.end())) * 1.08;
  draw_axes(c, f, chart.title, chart.x_label, "count");
  cairo_set_source_rgb(c.cr, kPalette[0].r, kPalette[0].g, kPalette[0].b);
  for (int b = 0; b < bins; ++b) {
    const double x0 = f.px(lo + (hi - lo) * b / bins), x1 = f.px(lo + (hi - lo) * (b + 1) / bins);
    cairo_rectangle(c.cr, x0 + 0.5, f.py(counts[b]), std::max(1.0, x1 - x0 - 1), f.py(0) - f.py(counts[b]));
    cairo_fill(c.cr);
  }
  cairo_set_source_rgb(c.cr, 0.8, 0.1, 0.1);
  cairo_set_line_width(c.cr, 1.5);
  for (double m : chart.marks) {
    cairo_move_to(c.cr, f.px(m), f.top);
    cairo_line_to(c.cr, f.px(m), f.bottom);
    cairo_stroke(c.cr);
  }
  c.save(path);
}

void write_png(const Heatmap& chart, const std::filesystem::path& path, int width, int height) {
  const size_t rows = chart.row_labels.size(), cols = chart.col_labels.size();
  if (chart.values.size() != rows * cols) throw Error(path.string() + ": heatmap values do not match its labels");
  Canvas c(width, height);
  const double margin = 110;
  const double cell_w = (width - margin - 20) / std::max<size_t>(1, cols);
  const double cell_h = (height - margin - 20) / std::max<size_t>(1, rows);
  c.text(width / 2.0, 26, chart.title, 16, 0.5, 0, true);
  double vmax = 0;
  for (double v : chart.values) vmax = std::max(vmax, v);
  if (vmax <= 0) vmax = 1;
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < cols; ++k) {
      const double t = std::clamp(chart.values[r * cols + k] / vmax, 0.0, 1.0);
      cairo_set_source_rgb(c.cr, 1 - 0.85 * t, 1 - 0.6 * t, 1 - 0.25 * t);
      cairo_rectangle(c.cr, margin + k * cell_w, margin + r * cell_h, cell_w, cell_h);
      cairo_fill(c.cr);
      if (chart.annotate && cell_w > 18) c.text(margin + (k + 0.5) * cell_w, margin + (r + 0.7) * cell_h,
                                               number(chart.values[r * cols + k]), std::min(10.0, cell_h * 0.6), 0.5);
    }
  const double fs = std::clamp(std::min(cell_w, cell_h) * 0.8, 5.0, 11.0);
  for (size_t r = 0; r < rows; ++r) c.text(margin - 4, margin + (r + 0.75) * cell_h, chart.row_labels[r], fs, 1.0);
  for (size_t k = 0; k < cols; ++k) c.text(margin + (k + 0.7) * cell_w, margin - 4, chart.col_labels[k], fs, 0.0, -M_PI / 2);
  c.save(path);
}

void write_png(const Table& table, const std::filesystem::path& path, int width) {
  const double row_h = 22, top = 44;
  const size_t cols = table.header.size();
  const int height = static_cast<int>(top + row_h * (table.rows.size() + 1) + 16);
  Canvas c(width, height);
  c.text(width / 2.0, 26, table.title, 16, 0.5, 0, true);
  std::vector<double> widths(cols, 40);
  for (size_t k = 0; k < cols; ++k) {
    widths[k] = std::max(widths[k], c.text_width(table.header[k], 12) + 16);
    for (const auto& row : table.rows)
      if (k < row.size()) widths[k] = std::max(widths[k], c.text_width(row[k], 12) + 16);
  }
  double total = 0;
  for (double w : widths) total += w;
  const double scale = total > width - 20 ? (width - 20) / total : 1.0;
  for (size_t r = 0; r <= table.rows.size(); ++r) {
    const double y = top + r * row_h;
    if (r % 2 == 1) {
      cairo_set_source_rgb(c.cr, 0.95, 0.96, 0.98);
      cairo_rectangle(c.cr, 10, y, width - 20, row_h);
      cairo_fill(c.cr);
    }
    double x = 10;
    for (size_t k = 0; k < cols; ++k) {
      const std::string& cell = r == 0 ? table.header[k] : (k < table.rows[r - 1].size() ? table.rows[r - 1][k] : "");
      c.text(x + 8, y + 15, cell, 12, 0.0, 0.0, r == 0);
      x += widths[k] * scale;
    }
  }
  c.save(path);
}

}  // namespace stickgen::plot
