// Small PNG charts for reports (curation, training curves, evaluation): lines, bars, histograms,
// heatmaps and tables, drawn with Cairo. Files are written atomically.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace stickgen::plot {

struct Series {
  std::string name;
  std::vector<double> x, y;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool log_y = false;
};

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> labels;
  std::vector<double> values;
  std::vector<double> reference;  // optional second bar per label (e.g. a baseline), same size as values
  std::string value_name = "value", reference_name = "reference";
  bool horizontal_labels = false;  // labels are rotated 90 degrees unless few and short
};

struct Histogram {
  std::string title, x_label;
  std::vector<double> values;
  int bins = 20;
  std::vector<double> marks;  // vertical lines (thresholds)
};

struct Heatmap {
  std::string title;
  std::vector<std::string> row_labels, col_labels;
  std::vector<double> values;  // row-major [rows, cols]
  bool annotate = false;       // print each value in its cell
};

struct Table {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

void write_png(const LineChart& chart, const std::filesystem::path& path, int width = 900, int height = 520);
void write_png(const BarChart& chart, const std::filesystem::path& path, int width = 1100, int height = 560);
void write_png(const Histogram& chart, const std::filesystem::path& path, int width = 800, int height = 480);
void write_png(const Heatmap& chart, const std::filesystem::path& path, int width = 900, int height = 900);
void write_png(const Table& table, const std::filesystem::path& path, int width = 900);

}  // namespace stickgen::plot
