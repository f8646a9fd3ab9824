// Plots and the progress bar: files appear, are PNGs of the asked size, and bad input is an error.
#include <gtest/gtest.h>

#include <cairo.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stickgen/common.hpp"
#include "stickgen/plot.hpp"
#include "stickgen/progress.hpp"
#include "test_util.hpp"

using namespace stickgen;

namespace {
std::pair<int, int> png_size(const std::filesystem::path& p) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(p.c_str());
  std::pair<int, int> wh{-1, -1};
  if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS)
    wh = {cairo_image_surface_get_width(s), cairo_image_surface_get_height(s)};
  cairo_surface_destroy(s);
  return wh;
}
}  // namespace

TEST(Plot, WritesEveryChartKind) {
  test::TempDir dir;
  plot::LineChart line{"loss", "step", "loss", {{"train", {0, 1, 2, 3}, {4, 2, 1, 0.5}}, {"val", {0, 3}, {4, 1}}}, true};
  plot::write_png(line, dir / "line.png", 640, 400);
  EXPECT_EQ(png_size(dir / "line.png"), std::make_pair(640, 400));
  plot::BarChart bars{"counts", "clips", {"walk", "run", "a_very_long_label"}, {3, 5, 1}, {2, 2, 2}};
  plot::write_png(bars, dir / "bars.png");
  EXPECT_EQ(png_size(dir / "bars.png").first, 1100);
  plot::Histogram hist{"quality", "score", {0.1, 0.5, 0.55, 0.9, 0.95}, 10, {0.5}};
  plot::write_png(hist, dir / "hist.png");
  EXPECT_GT(png_size(dir / "hist.png").first, 0);
  plot::Heatmap heat{"confusion", {"a", "b"}, {"a", "b"}, {5, 1, 0, 6}, true};
  plot::write_png(heat, dir / "heat.png", 300, 300);
  EXPECT_EQ(png_size(dir / "heat.png"), std::make_pair(300, 300));
  plot::Table table{"metrics", {"metric", "value"}, {{"fid", "1.0"}, {"acc", "0.9"}}};
  plot::write_png(table, dir / "table.png", 400);
  EXPECT_EQ(png_size(dir / "table.png").first, 400);
  plot::Heatmap bad{"bad", {"a"}, {"a", "b"}, {1}};
  EXPECT_THROW(plot::write_png(bad, dir / "bad.png"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.png"));
}

TEST(Progress, SilentWhenNotATerminalAndCountsAnyway) {
  setenv("STICKGEN_PROGRESS", "0", 1);
  Progress p("work", 10, "items");
  EXPECT_FALSE(p.enabled());
  p.advance(3);
  p.advance(2);
  EXPECT_EQ(p.done(), 5);
  p.finish();
}

TEST(Error, IsAlwaysOneLine) {
  const std::string quoted = std::string("tensor 'a\nb\tc\r") + '\x01' + "\x7f' is bad";
  const Error e(quoted);
  EXPECT_EQ(std::string(e.what()), "tensor 'a\\nb\\tc\\r\\x01\\x7f' is bad");
  EXPECT_EQ(std::string(Error(e.what()).what()), e.what());  // re-wrapping does not escape twice
  EXPECT_EQ(one_line("caf\xc3\xa9 \\n"), "caf\xc3\xa9 \\n");  // UTF-8 and backslashes pass through
}

TEST(AtomicFile, NothingAppearsUntilCommitAndTempIsRemoved) {
  test::TempDir dir;
  {
    AtomicFile f(dir / "out.txt");
    write_file_atomic(f.temp_path(), "partial");
    EXPECT_FALSE(std::filesystem::exists(dir / "out.txt"));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  write_file_atomic(dir / "out.txt", "whole");
  EXPECT_EQ(read_file(dir / "out.txt"), "whole");
  EXPECT_THROW(read_file(dir / "missing.txt"), Error);
  EXPECT_EQ(extension_of("a/b.GIF"), "gif");
}

TEST(AtomicFile, CommittedFilesGetTheUmaskPermissionsNotTheTemporaryOnes) {
  test::TempDir dir;
  const mode_t old = ::umask(022);
  {
    AtomicFile f(dir / "clip.gif");
    const int fd = ::open(f.temp_path().c_str(), O_CREAT | O_WRONLY | O_EXCL, 0600);  // as private as mkstemp
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "GIF89a", 6), 6);
    ::close(fd);
    f.commit();
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir / "clip.gif").c_str(), &st), 0);
  ::umask(old);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}
