// Renderer: every output format read back by an independent reader (giflib, ffprobe, PNG header,
// an XML parser, node), pixel checks of framing/styles/colours, faces, and failure atomicity.
#include <gif_lib.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>

#include "stickgen/motion_file.hpp"
#include "stickgen/render.hpp"
#include "test_util.hpp"

namespace stickgen {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

// ---------------------------------------------------------------- synthetic clips

// Actor a walks (even a) or waves (odd a), starting 1.6 units apart; `travel` units/s of root motion.
Clip make_clip(SkeletonFormat format, int frames, int actors, float fps = 25.f, float travel = 1.0f) {
  Clip clip = Clip::make(format, frames, actors, fps);
  const SkeletonSchema& s = clip.skeleton();
  const std::vector<Vec2> rest = rest_pose_joints(format);
  std::vector<Vec2> j(rest.size());
  for (int t = 0; t < frames; ++t) {
    const float time = t / fps, w = 2.f * static_cast<float>(M_PI) * 1.5f * time;
    for (int a = 0; a < actors; ++a) {
      j = rest;
      const bool walker = a % 2 == 0;
      const Vec2 shift{1.6f * a + (walker ? travel * time : 0.f), 0.f};
      for (Vec2& p : j) p += shift;
      auto swing = [&](int joint, int anchor, float amount) {
        j[joint].x = j[anchor].x + (rest[joint].x - rest[anchor].x) + amount;
      };
      if (format == SkeletonFormat::v1) {
        if (walker) {
          swing(v1::l_foot, v1::hip, 0.35f * std::sin(w));
          swing(v1::r_foot, v1::hip, -0.35f * std::sin(w));
          swing(v1::l_hand, v1::neck, -0.3f * std::sin(w));
          swing(v1::r_hand, v1::neck, 0.3f * std::sin(w));
        } else {  // right hand up above the head, waving
          j[v1::r_hand] = j[v1::neck] + Vec2{0.45f + 0.2f * std::sin(2 * w), 0.75f};
        }
      } else {
        if (walker) {
          swing(v3::l_knee, v3::l_hip, 0.2f * std::sin(w));
          swing(v3::l_ankle, v3::l_hip, 0.35f * std::sin(w));
          swing(v3::r_knee, v3::r_hip, -0.2f * std::sin(w));
          swing(v3::r_ankle, v3::r_hip, -0.35f * std::sin(w));
          swing(v3::l_wrist, v3::l_shoulder, -0.3f * std::sin(w));
          swing(v3::r_wrist, v3::r_shoulder, 0.3f * std::sin(w));
        } else {
          j[v3::r_elbow] = j[v3::r_shoulder] + Vec2{0.35f, 0.25f};
          j[v3::r_wrist] = j[v3::r_elbow] + Vec2{0.15f * std::sin(2 * w), 0.42f};
        }
      }
      joints_to_segments(s, j.data(), clip.pose(t, a));
      clip.actions[clip.slot(t, a)] = static_cast<int16_t>(walker ? act::walk : act::wave);
    }
  }
  clip.description = "a person walks while another waves";
  return clip;
}

uint32_t packed(Rgb c) { return static_cast<uint32_t>(c.r) << 16 | static_cast<uint32_t>(c.g) << 8 | c.b; }

int count_pixels(const FrameRenderer::Image& img, uint32_t rgb) {
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) n += img.pixel(x, y) == rgb;
  return n;
}

// Pixels within `tol` (largest channel difference) of a colour: stroke cores and their nearest shades.
int count_near(const FrameRenderer::Image& img, uint32_t rgb, int tol = 40) {
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const uint32_t p = img.pixel(x, y);
      int worst = 0;
      for (int sh : {0, 8, 16}) worst = std::max(worst, std::abs(static_cast<int>((p >> sh) & 255) - static_cast<int>((rgb >> sh) & 255)));
      n += worst <= tol;
    }
  return n;
}

double luminance(uint32_t p) {
  return 0.2126 * ((p >> 16) & 255) + 0.7152 * ((p >> 8) & 255) + 0.0722 * (p & 255);
}

bool dir_empty(const fs::path& dir) { return fs::is_empty(dir); }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// ---------------------------------------------------------------- GIF

struct GifFile {
  GifFileType* gif = nullptr;
  explicit GifFile(const fs::path& p) {
    int err = 0;
    gif = DGifOpenFileName(p.c_str(), &err);
    if (gif && DGifSlurp(gif) != GIF_OK) {
      DGifCloseFile(gif, &err);
      gif = nullptr;
    }
  }
  ~GifFile() {
    int err = 0;
    if (gif) DGifCloseFile(gif, &err);
  }
  int delay(int i) const {
    GraphicsControlBlock gcb{};
    DGifSavedExtensionToGCB(gif, i, &gcb);
    return gcb.DelayTime;
  }
  bool loops() const {
    for (int k = 0; k < gif->SavedImages[0].ExtensionBlockCount; ++k) {
      const ExtensionBlock& b = gif->SavedImages[0].ExtensionBlocks[k];
      if (b.Function == APPLICATION_EXT_FUNC_CODE && b.ByteCount == 11 &&
          std::string(reinterpret_cast<const char*>(b.Bytes), 11) == "NETSCAPE2.0")
        return true;
    }
    return false;
  }
  // Frames composited as a viewer shows them (disposal "do not dispose", transparency honoured).
  std::vector<uint32_t> composite(int upto) const {
    std::vector<uint32_t> canvas(static_cast<size_t>(gif->SWidth) * gif->SHeight, 0);
    for (int i = 0; i <= upto; ++i) {
      const SavedImage& im = gif->SavedImages[i];
      GraphicsControlBlock gcb{};
      DGifSavedExtensionToGCB(gif, i, &gcb);
      const ColorMapObject* cmap = im.ImageDesc.ColorMap ? im.ImageDesc.ColorMap : gif->SColorMap;
      for (int y = 0; y < im.ImageDesc.Height; ++y)
        for (int x = 0; x < im.ImageDesc.Width; ++x) {
          const int idx = im.RasterBits[y * im.ImageDesc.Width + x];
          if (idx == gcb.TransparentColor) continue;
          const GifColorType c = cmap->Colors[idx];
          canvas[static_cast<size_t>(im.ImageDesc.Top + y) * gif->SWidth + im.ImageDesc.Left + x] =
              static_cast<uint32_t>(c.Red) << 16 | static_cast<uint32_t>(c.Green) << 8 | c.Blue;
        }
    }
    return canvas;
  }
};

TEST(RenderGif, DelaysSumToTheExactDuration) {
  for (int d : gif_delays(250, 25.0)) EXPECT_EQ(d, 4);
  const auto d30 = gif_delays(30, 30.0);
  int sum = 0;
  for (int d : d30) {
    EXPECT_TRUE(d == 3 || d == 4) << d;
    sum += d;
  }
  EXPECT_EQ(sum, 100);  // 30 frames at 30 fps = exactly 1 s
  const auto d24 = gif_delays(240, 24.0);
  EXPECT_EQ(std::accumulate(d24.begin(), d24.end(), 0), 1000);
  EXPECT_EQ(gif_frame_step(25.0), 1);
  EXPECT_EQ(gif_frame_step(50.0), 1);
  EXPECT_EQ(gif_frame_step(60.0), 2);
  EXPECT_EQ(gif_frame_step(120.0), 3);
}

TEST(RenderGif, FrameCountDelaysLoopAndContent) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v1, 50, 2);
  RenderOptions opts;
  opts.width = 320;
  opts.height = 240;
  render_to_file(clip, dir / "a.gif", opts);
  GifFile g(dir / "a.gif");
  ASSERT_NE(g.gif, nullptr);
  EXPECT_EQ(g.gif->SWidth, 320);
  EXPECT_EQ(g.gif->SHeight, 240);
  ASSERT_EQ(g.gif->ImageCount, 50);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(g.delay(i), 4) << "frame " << i;
  EXPECT_TRUE(g.loops());
  // The palette is small: a few base colours and their shades.
  EXPECT_LE(g.gif->SColorMap->ColorCount, 256);

  // What a viewer composites at the last frame matches the renderer's own frame.
  FrameRenderer r(clip, opts);
  const auto img = r.render(49);
  const auto canvas = g.composite(49);
  int far = 0;
  for (int y = 0; y < 240; ++y)
    for (int x = 0; x < 320; ++x) {
      const uint32_t a = img.pixel(x, y), b = canvas[static_cast<size_t>(y) * 320 + x];
      int worst = 0;
      for (int sh : {0, 8, 16}) worst = std::max(worst, std::abs(static_cast<int>((a >> sh) & 255) - static_cast<int>((b >> sh) & 255)));
      far += worst > 48;
    }
  EXPECT_LT(far, 320 * 240 / 500) << "pixels far from the rendered frame";
  // Both actors' exact colours survive quantisation.
  std::set<uint32_t> colours(canvas.begin(), canvas.end());
  EXPECT_TRUE(colours.count(packed(actor_color(opts, 0))));
  EXPECT_TRUE(colours.count(packed(actor_color(opts, 1))));
}

TEST(RenderGif, HighFrameRatesDropFramesButKeepTheDuration) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v1, 60, 1, 60.f);
  RenderOptions opts;
  opts.width = opts.height = 64;
  render_to_file(clip, dir / "fast.gif", opts);
  GifFile g(dir / "fast.gif");
  ASSERT_NE(g.gif, nullptr);
  ASSERT_EQ(g.gif->ImageCount, 30);
  int sum = 0;
  for (int i = 0; i < g.gif->ImageCount; ++i) {
    EXPECT_GE(g.delay(i), 2);  // browsers slow down anything shorter
    sum += g.delay(i);
  }
  EXPECT_EQ(sum, 100);
}

// ---------------------------------------------------------------- MP4

nlohmann::json ffprobe(const fs::path& file) {
  const auto r = test::run_command(
      "ffprobe -v error -select_streams v:0 -count_frames -show_entries "
      "stream=codec_name,avg_frame_rate,nb_read_frames,pix_fmt,width,height -of json " +
      test::shell_quote(file.string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  if (r.exit_code != 0) return {};
  return nlohmann::json::parse(r.output)["streams"][0];
}

// Top-level MP4 box names in file order.
std::vector<std::string> mp4_boxes(const fs::path& p) {
  const std::string data = read_text(p);
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos + 8 <= data.size()) {
    uint64_t size = 0;
    for (int i = 0; i < 4; ++i) size = size << 8 | static_cast<uint8_t>(data[pos + i]);
    out.push_back(data.substr(pos + 4, 4));
    if (size == 1 && pos + 16 <= data.size()) {
      size = 0;
      for (int i = 8; i < 16; ++i) size = size << 8 | static_cast<uint8_t>(data[pos + i]);
    }
    if (size < 8) break;
    pos += size;
  }
  return out;
}

TEST(RenderMp4, FfprobeSeesH264At25FpsWithEveryFrame) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v3, 60, 2);
  RenderOptions opts;
  opts.width = 320;
  opts.height = 240;
  render_to_file(clip, dir / "a.mp4", opts);
  const auto s = ffprobe(dir / "a.mp4");
  ASSERT_FALSE(s.is_null());
  EXPECT_EQ(s["codec_name"], "h264");
  EXPECT_EQ(s["avg_frame_rate"], "25/1");
  EXPECT_EQ(s["pix_fmt"], "yuv420p");
  EXPECT_EQ(s["nb_read_frames"], "60");
  EXPECT_EQ(s["width"], 320);
  EXPECT_EQ(s["height"], 240);
  // Browsers start playing before the download ends only when moov precedes mdat.
  const auto boxes = mp4_boxes(dir / "a.mp4");
  const auto moov = std::find(boxes.begin(), boxes.end(), "moov"), mdat = std::find(boxes.begin(), boxes.end(), "mdat");
  ASSERT_NE(moov, boxes.end());
  ASSERT_NE(mdat, boxes.end());
  EXPECT_LT(moov - boxes.begin(), mdat - boxes.begin());
}

TEST(RenderMp4, DecodedFramesMatchTheRenderedOnes) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v1, 8, 2);
  RenderOptions opts;
  opts.width = 320;
  opts.height = 240;
  opts.style = RenderStyle::neon;
  opts.crf = 12;
  render_to_file(clip, dir / "c.mp4", opts);
  const auto r = test::run_command("ffmpeg -v error -i " + test::shell_quote((dir / "c.mp4").string()) +
                                   " -frames:v 1 -f rawvideo -pix_fmt rgb24 " + test::shell_quote((dir / "f0.rgb").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string rgb = read_text(dir / "f0.rgb");
  ASSERT_EQ(rgb.size(), 320u * 240u * 3u);
  FrameRenderer fr(clip, opts);
  const auto img = fr.render(0);
  std::vector<int> diffs;
  for (int y = 0; y < 240; ++y)
    for (int x = 0; x < 320; ++x) {
      const uint32_t p = img.pixel(x, y);
      const size_t at = (static_cast<size_t>(y) * 320 + x) * 3;
      int worst = 0;
      for (int c = 0; c < 3; ++c)
        worst = std::max(worst, std::abs(static_cast<int>(static_cast<uint8_t>(rgb[at + c])) - static_cast<int>((p >> (16 - 8 * c)) & 255)));
      diffs.push_back(worst);
    }
  std::sort(diffs.begin(), diffs.end());
  EXPECT_LE(diffs[diffs.size() / 2], 4) << "colours shifted (range or matrix mismatch)";
  EXPECT_LE(diffs[diffs.size() * 98 / 100], 40);
}

TEST(RenderMp4, OddSizesAreRoundedUpToEven) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v1, 10, 1, 30.f);
  RenderOptions opts;
  opts.width = 161;
  opts.height = 121;
  render_to_file(clip, dir / "odd.mp4", opts);
  const auto s = ffprobe(dir / "odd.mp4");
  ASSERT_FALSE(s.is_null());
  EXPECT_EQ(s["width"], 162);
  EXPECT_EQ(s["height"], 122);
  EXPECT_EQ(s["avg_frame_rate"], "30/1");
  EXPECT_EQ(s["nb_read_frames"], "10");
}

// ---------------------------------------------------------------- PNG, SVG, HTML, .motion

std::pair<int, int> png_size(const fs::path& p) {
  const std::string d = read_text(p);
  if (d.size() < 24 || d.compare(1, 3, "PNG") != 0 || d.compare(12, 4, "IHDR") != 0) return {-1, -1};
  auto be32 = [&](size_t at) {
    return static_cast<int>(static_cast<uint8_t>(d[at]) << 24 | static_cast<uint8_t>(d[at + 1]) << 16 |
                            static_cast<uint8_t>(d[at + 2]) << 8 | static_cast<uint8_t>(d[at + 3]));
  };
  return {be32(16), be32(20)};
}

TEST(RenderStill, PngFrameAndContactSheet) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v1, 40, 2);
  RenderOptions opts;
  opts.width = 200;
  opts.height = 150;
  opts.frame = 39;
  render_to_file(clip, dir / "f.png", opts);
  EXPECT_EQ(png_size(dir / "f.png"), std::make_pair(200, 150));
  opts.sheet = true;
  opts.sheet_frames = 6;
  opts.sheet_columns = 3;
  render_to_file(clip, dir / "sheet.png", opts);
  EXPECT_EQ(png_size(dir / "sheet.png"), std::make_pair(3 * 200 + 2 * 2, 2 * 150 + 2));
}

TEST(RenderStill, SvgIsWellFormedWithStrokedPaths) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v3, 5, 2);
  RenderOptions opts;
  opts.frame = 2;
  render_to_file(clip, dir / "f.svg", opts);
  const std::string script =
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.parse(sys.argv[1]).getroot()\n"
      "ns = '{http://www.w3.org/2000/svg}'\n"
      "assert root.tag == ns + 'svg', root.tag\n"
      "paths = [e for e in root.iter() if e.tag == ns + 'path']\n"
      "stroked = [p for p in paths if 'stroke:' in (p.get('style') or '') or p.get('stroke')]\n"
      "print(root.get('width'), root.get('height'), len(paths), len(stroked))\n";
  std::ofstream(dir / "check.py") << script;
  const auto r = test::run_command(test::python() + " " + test::shell_quote((dir / "check.py").string()) + " " +
                                   test::shell_quote((dir / "f.svg").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream in(r.output);
  std::string w, h;
  int paths = 0, stroked = 0;
  in >> w >> h >> paths >> stroked;
  EXPECT_TRUE(w.rfind("640", 0) == 0) << w;
  EXPECT_TRUE(h.rfind("480", 0) == 0) << h;
  EXPECT_GE(paths, 4);    // ground, two figures' limbs and heads, faces
  EXPECT_GE(stroked, 3);
}

TEST(RenderHtml, SelfContainedPageWithTheMotionDocument) {
  TempDir dir;
  Clip clip = make_clip(SkeletonFormat::v1, 30, 2);
  clip.description = "two friends </script><script>alert(1)</script> & co";
  RenderOptions opts;
  render_to_file(clip, dir / "p.html", opts);
  const std::string page = read_text(dir / "p.html");
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("__STICKGEN_"), std::string::npos);
  EXPECT_EQ(page.find("<script>alert(1)"), std::string::npos) << "the description escaped its JSON block";
  // The embedded .motion document reads back as the same clip.
  const std::string open = "<script type=\"application/json\" id=\"stickgen-motion\">";
  const size_t a = page.find(open);
  ASSERT_NE(a, std::string::npos);
  const size_t b = page.find("</script>", a);
  const Clip back = parse_motion_json(page.substr(a + open.size(), b - a - open.size()), "embedded");
  EXPECT_EQ(back.frames, 30);
  EXPECT_EQ(back.actors, 2);
  EXPECT_EQ(back.description, clip.description);
  EXPECT_NEAR(back.pose(29, 1)[5], clip.pose(29, 1)[5], 1e-6);
  for (const char* control : {"id=\"play\"", "id=\"scrub\"", "id=\"speed\"", "id=\"counter\"", "id=\"loop\""})
    EXPECT_NE(page.find(control), std::string::npos) << control;
}

TEST(RenderHtml, PlayerRunsInNode) {
  if (test::run_command("command -v node").exit_code != 0) GTEST_SKIP() << "node is not installed";
  TempDir dir;
  for (SkeletonFormat f : {SkeletonFormat::v1, SkeletonFormat::v3}) {
    Clip clip = make_clip(f, 40, 2);
    clip.actor_mask[clip.slot(3, 1)] = 0;
    for (int t = 10; t < 30; ++t) clip.actions[clip.slot(t, 0)] = act::talk;
    RenderOptions opts;
    opts.style = f == SkeletonFormat::v1 ? RenderStyle::neon : RenderStyle::sketch;
    render_to_file(clip, dir / "p.html", opts);
    const auto r = test::run_command("node " + test::shell_quote((test::source_dir() / "tests/render_player_check.js").string()) +
                                     " " + test::shell_quote((dir / "p.html").string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto s = nlohmann::json::parse(r.output);
    EXPECT_EQ(s["frames"], 40);
    EXPECT_EQ(s["actors"], 2);
    EXPECT_EQ(s["width"], 640);
    EXPECT_GT(s["strokes"].get<int>(), 40 * 2);
    EXPECT_EQ(s["nonfinite"], 0);
    EXPECT_EQ(s["outside"], 0) << "the player drew outside its canvas";
    EXPECT_GE(s["advanced"].get<int>(), 20) << "one second of playback should reach about frame 25";
    EXPECT_LE(s["advanced"].get<int>(), 27);
  }
}

TEST(RenderMotion, RewritesTheClip) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v3, 12, 2);
  render_to_file(clip, dir / "again.motion", RenderOptions{});
  const Clip back = read_motion_file(dir / "again.motion");
  EXPECT_EQ(back.frames, 12);
  EXPECT_EQ(back.actors, 2);
  EXPECT_EQ(back.format, SkeletonFormat::v3);
}

// ---------------------------------------------------------------- pixels

TEST(RenderPixels, StaticFramingKeepsEveryActorInside) {
  const Clip clip = make_clip(SkeletonFormat::v1, 100, 2, 25.f, 3.0f);  // the walker travels 12 units
  RenderOptions opts;
  opts.camera = CameraMode::fixed;
  opts.width = 320;
  opts.height = 240;
  FrameRenderer r(clip, opts);
  const auto views = camera_track(clip, opts);
  for (int t = 0; t < clip.frames; t += 9) {
    EXPECT_EQ(views[t].scale, views[0].scale);
    const auto img = r.render(t);
    for (int a = 0; a < 2; ++a) {
      const uint32_t c = packed(actor_color(opts, a));
      ASSERT_GT(count_near(img, c), 20) << "actor " << a << " frame " << t;
      for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
          if (count_near(FrameRenderer::Image{img.data + y * img.stride + x * 4, 1, 1, img.stride}, c) == 1) {
            ASSERT_TRUE(x > 2 && x < img.width - 3 && y > 2 && y < img.height - 3)
                << "actor " << a << " touches the border at frame " << t;
          }
    }
  }
}

TEST(RenderPixels, FollowCameraTracksAndStaysInView) {
  const Clip clip = make_clip(SkeletonFormat::v3, 125, 1, 25.f, 4.0f);  // 20 units in 5 s
  RenderOptions fixed, follow;
  fixed.camera = CameraMode::fixed;
  follow.camera = CameraMode::follow;
  const auto vf = camera_track(clip, fixed), vt = camera_track(clip, follow);
  EXPECT_GT(vt[0].scale, vf[0].scale * 3) << "following should frame the walker, not the whole path";
  EXPECT_GT(vt.back().cx - vt.front().cx, 15.f);
  std::vector<Vec2> j(16);
  for (int t = 0; t < clip.frames; ++t) {
    segments_to_joints(clip.skeleton(), clip.pose(t, 0), j.data());
    for (const Vec2& p : j) {
      const float sx = (p.x - vt[t].cx) * vt[t].scale + 320, sy = 240 - (p.y - vt[t].cy) * vt[t].scale;
      ASSERT_TRUE(sx > 0 && sx < 640 && sy > 0 && sy < 480) << "frame " << t;
    }
    if (t > 0) {
      EXPECT_LT(std::abs(vt[t].cx - vt[t - 1].cx), 0.4f) << "the camera jumps at frame " << t;
    }
  }
}

TEST(RenderPixels, ClipCameraTrackIsHonouredButNobodyIsLost) {
  Clip clip = make_clip(SkeletonFormat::v1, 20, 1, 25.f, 0.f);
  clip.camera.assign(20 * 3, 0.f);
  for (int t = 0; t < 20; ++t) {
    clip.camera[t * 3 + 0] = 0.02f * t;  // pans right slowly
    clip.camera[t * 3 + 1] = 1.3f;
    clip.camera[t * 3 + 2] = 1.f;
  }
  clip.camera[19 * 3 + 0] = 50.f;  // a wild last frame would lose the actor
  RenderOptions opts;  // automatic -> the clip's track
  const auto v = camera_track(clip, opts);
  EXPECT_NEAR(v[5].cx, 0.1f, 1e-4);
  EXPECT_NEAR(v[5].cy, 1.3f, 1e-4);
  EXPECT_LT(v[19].cx, 2.f) << "the view was not pulled back to the actor";
  opts.camera = CameraMode::fixed;
  EXPECT_NEAR(camera_track(clip, opts)[5].cx, camera_track(clip, opts)[15].cx, 1e-6);
}

TEST(RenderPixels, NeonIsLightOnDark) {
  const Clip clip = make_clip(SkeletonFormat::v1, 5, 2);
  RenderOptions opts;
  opts.style = RenderStyle::neon;
  FrameRenderer r(clip, opts);
  const auto img = r.render(2);
  EXPECT_LT(luminance(img.pixel(0, 0)), 30.0);
  EXPECT_LT(luminance(packed(background_color(RenderStyle::neon))), 30.0);
  double brightest = 0;
  int bright = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const double l = luminance(img.pixel(x, y));
      brightest = std::max(brightest, l);
      bright += l > 150;
    }
  EXPECT_GT(brightest, 190.0);
  EXPECT_GT(bright, 300) << "strokes should be light and thick enough to read";
}

TEST(RenderPixels, StylesDifferAndAreDeterministic) {
  const Clip clip = make_clip(SkeletonFormat::v3, 6, 1);
  std::vector<std::vector<uint32_t>> frames;
  for (RenderStyle s : {RenderStyle::normal, RenderStyle::sketch, RenderStyle::ink, RenderStyle::neon}) {
    RenderOptions opts;
    opts.style = s;
    opts.width = 160;
    opts.height = 120;
    FrameRenderer r(clip, opts);
    auto grab = [&](int t) {
      const auto img = r.render(t);
      std::vector<uint32_t> px;
      for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) px.push_back(img.pixel(x, y));
      return px;
    };
    const auto a = grab(3);
    grab(5);
    EXPECT_EQ(a, grab(3)) << style_name(s) << ": the same frame drew different pixels";
    frames.push_back(a);
  }
  for (size_t i = 0; i < frames.size(); ++i)
    for (size_t j = i + 1; j < frames.size(); ++j) EXPECT_NE(frames[i], frames[j]);
  // Sketch wobble depends on the seed.
  RenderOptions s1, s2;
  s1.style = s2.style = RenderStyle::sketch;
  s2.seed = 99;
  FrameRenderer r1(clip, s1), r2(clip, s2);
  const auto i1 = r1.render(1);
  std::vector<uint32_t> p1;
  for (int x = 0; x < 640 * 480; ++x) p1.push_back(i1.pixel(x % 640, x / 640));
  const auto i2 = r2.render(1);
  int diff = 0;
  for (int x = 0; x < 640 * 480; ++x) diff += p1[x] != i2.pixel(x % 640, x / 640);
  EXPECT_GT(diff, 50);
}

TEST(RenderPixels, ActorsHaveTheirOwnColoursAndAbsentOnesAreNotDrawn) {
  Clip clip = make_clip(SkeletonFormat::v1, 4, 3);
  clip.actor_mask[clip.slot(2, 1)] = 0;
  RenderOptions opts;
  opts.actor_colors = {std::nullopt, std::nullopt, Rgb{200, 30, 200}};
  EXPECT_NE(actor_color(opts, 0), actor_color(opts, 1));
  EXPECT_EQ(actor_color(opts, 2), (Rgb{200, 30, 200}));
  FrameRenderer r(clip, opts);
  auto img = r.render(1);
  for (int a = 0; a < 3; ++a) EXPECT_GT(count_pixels(img, packed(actor_color(opts, a))), 30) << a;
  img = r.render(2);
  EXPECT_EQ(count_pixels(img, packed(actor_color(opts, 1))), 0) << "an absent actor was drawn";
  EXPECT_GT(count_pixels(img, packed(actor_color(opts, 0))), 30);
}

TEST(RenderPixels, NetworkOutputIsDrawnFromReconciledJoints) {
  // Endpoints of the same joint that disagree (as a network outputs them) are drawn at their mean,
  // so the figure stays connected: nothing is drawn at the stray endpoint.
  Clip clip = make_clip(SkeletonFormat::v1, 1, 1, 25.f, 0.f);
  float* p = clip.pose(0, 0);
  p[4 * v1::r_arm + 0] += 0.4f;  // r_arm's neck end strays right
  RenderOptions opts;
  opts.faces = false;
  opts.camera = CameraMode::fixed;
  const auto view = camera_track(clip, opts)[0];
  std::vector<Vec2> j(6);
  segments_to_joints(clip.skeleton(), p, j.data());
  FrameRenderer r(clip, opts);
  const auto img = r.render(0);
  const uint32_t c = packed(actor_color(opts, 0));
  auto at = [&](Vec2 w) {
    return img.pixel(static_cast<int>((w.x - view.cx) * view.scale + 320), static_cast<int>(240 - (w.y - view.cy) * view.scale));
  };
  EXPECT_EQ(at(j[v1::neck]), c);
  const Vec2 stray{p[4 * v1::r_arm + 0] + 0.05f, p[4 * v1::r_arm + 1] + 0.05f};
  EXPECT_NE(at(stray), c);
}

// ---------------------------------------------------------------- faces

TEST(RenderFaces, TransitionsTakeAThirdOfASecondPerActor) {
  Clip clip = make_clip(SkeletonFormat::v1, 60, 2);
  for (int t = 0; t < 60; ++t) {
    clip.actions[clip.slot(t, 0)] = static_cast<int16_t>(t < 20 ? act::idle : act::wave);  // neutral -> happy
    clip.actions[clip.slot(t, 1)] = act::punch;                                             // angry throughout
  }
  RenderOptions opts;
  const auto f0 = face_track(clip, 0, opts), f1 = face_track(clip, 1, opts);
  const FaceParams neutral = expression_face(Expression::neutral), happy = expression_face(Expression::happy),
                   angry = expression_face(Expression::angry);
  EXPECT_FLOAT_EQ(f0[19].mouth_curve, neutral.mouth_curve);
  EXPECT_GT(f0[22].mouth_curve, neutral.mouth_curve);
  EXPECT_LT(f0[22].mouth_curve, happy.mouth_curve);  // mid-blend
  EXPECT_FLOAT_EQ(f0[20 + 8].mouth_curve, happy.mouth_curve);  // 0.3 s = 7.5 frames later
  for (int t = 0; t < 60; ++t) EXPECT_FLOAT_EQ(f1[t].brow_tilt, angry.brow_tilt) << "actor 1 caught actor 0's face at " << t;
  // Actor 1's track does not depend on what actor 0 does (no shared expression state).
  Clip other = clip;
  for (int t = 0; t < 60; ++t) other.actions[other.slot(t, 0)] = act::cry;
  const auto g1 = face_track(other, 1, opts);
  for (int t = 0; t < 60; ++t) EXPECT_FLOAT_EQ(g1[t].mouth_curve, f1[t].mouth_curve);
  // Overrides pin one actor's face.
  opts.actor_expressions = {Expression::sad};
  for (const FaceParams& f : face_track(clip, 0, opts)) EXPECT_FLOAT_EQ(f.mouth_curve, expression_face(Expression::sad).mouth_curve);
  EXPECT_FLOAT_EQ(face_track(clip, 1, opts)[30].brow_tilt, angry.brow_tilt);
}

int mouth_cycles(const std::vector<FaceParams>& f, int begin, int end) {
  int peaks = 0;
  for (int t = begin + 1; t + 1 < end; ++t)
    peaks += f[t].mouth_open > f[t - 1].mouth_open && f[t].mouth_open >= f[t + 1].mouth_open && f[t].mouth_open > 0.2f;
  return peaks;
}

TEST(RenderFaces, SpeechMouthCyclesAtTheActionsRate) {
  // 100 fps so every cycle is sampled cleanly: talk 8 Hz, shout 6, whisper 10, sing 4.
  Clip clip = Clip::make(SkeletonFormat::v1, 400, 1, 100.f);
  const std::pair<int, int> speech[] = {{act::talk, 8}, {act::shout, 6}, {act::whisper, 10}, {act::sing, 4}};
  for (int k = 0; k < 4; ++k)
    for (int t = 0; t < 100; ++t) clip.actions[clip.slot(k * 100 + t, 0)] = static_cast<int16_t>(speech[k].first);
  const auto f = face_track(clip, 0, RenderOptions{});
  for (int k = 0; k < 4; ++k) {
    const int peaks = mouth_cycles(f, k * 100, k * 100 + 100);
    EXPECT_NEAR(peaks, speech[k].second, 1) << action_name(speech[k].first);
  }
  EXPECT_FLOAT_EQ(f[0].mouth_open, 0.f);  // each utterance starts closed
  // Shouting opens wider than whispering.
  float shout = 0, whisper = 0;
  for (int t = 150; t < 200; ++t) shout = std::max(shout, f[t].mouth_open);  // after the face settled
  for (int t = 250; t < 300; ++t) whisper = std::max(whisper, f[t].mouth_open);
  EXPECT_GT(shout, whisper + 0.3f);
}

TEST(RenderFaces, ExpressionsAreDistinct) {
  for (int a = 0; a < kNumExpressions; ++a)
    for (int b = a + 1; b < kNumExpressions; ++b) {
      const FaceParams x = expression_face(static_cast<Expression>(a)), y = expression_face(static_cast<Expression>(b));
      const float d = std::abs(x.eye_open - y.eye_open) + std::abs(x.brow_tilt - y.brow_tilt) +
                      std::abs(x.brow_raise - y.brow_raise) + std::abs(x.mouth_curve - y.mouth_curve) +
                      std::abs(x.mouth_open - y.mouth_open) + std::abs(x.mouth_width - y.mouth_width);
      EXPECT_GT(d, 0.3f) << a << " vs " << b;
    }
}

// ---------------------------------------------------------------- failures

TEST(RenderErrors, BadOptionsNameTheFlagAndLeaveNothing) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v1, 10, 1);
  auto expect_error = [&](const RenderOptions& o, const std::string& file, const std::string& message,
                          const Clip* which = nullptr) {
    try {
      render_to_file(which ? *which : clip, dir / file, o);
      ADD_FAILURE() << "no error for " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "not one line: " << e.what();
    }
    EXPECT_TRUE(dir_empty(dir.path())) << message;
  };
  RenderOptions o;
  o.width = 12;
  o.height = 9;
  expect_error(o, "a.gif", "--size: expected WxH with 16..4096, got 12x9");
  o = {};
  o.frame = 10;
  expect_error(o, "a.png", "--frame: expected 0..9");
  o = {};
  expect_error(o, "a.webm", ".gif, .mp4, .png, .svg, .html, .motion");
  o.sheet = true;
  expect_error(o, "a.gif", "--sheet");
  o = {};
  o.crf = 60;
  expect_error(o, "a.mp4", "--crf");
  o = {};
  o.camera = CameraMode::clip;
  expect_error(o, "a.gif", "--camera clip");
  Clip bad = clip;
  bad.motion[3] = std::nanf("");
  expect_error(RenderOptions{}, "a.html", "not finite", &bad);
}

TEST(RenderErrors, UnwritablePathsFailCleanly) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v1, 5, 1);
  for (const char* name : {"a.gif", "a.mp4", "a.png", "a.svg", "a.html"}) {
    EXPECT_THROW(render_to_file(clip, dir / "missing" / name, RenderOptions{}), Error) << name;
  }
  EXPECT_TRUE(dir_empty(dir.path()));
}

TEST(RenderErrors, NonFiniteActorsAreSkippedNotFatal) {
  Clip clip = make_clip(SkeletonFormat::v1, 3, 2);
  clip.pose(1, 1)[0] = std::numeric_limits<float>::infinity();
  RenderOptions opts;
  FrameRenderer r(clip, opts);
  const auto img = r.render(1);
  EXPECT_EQ(count_pixels(img, packed(actor_color(opts, 1))), 0);
  EXPECT_GT(count_pixels(img, packed(actor_color(opts, 0))), 30);
}

TEST(RenderErrors, ExtremeCoordinatesStillDraw) {
  // One far-off outlier pose (as an untrained network may emit) shrinks the static view but must
  // neither crash nor break the drawing context; follow keeps the others readable.
  Clip clip = make_clip(SkeletonFormat::v3, 6, 2);
  for (int i = 0; i < clip.dims(); i += 2) clip.pose(3, 1)[i] += 1e7f;
  for (CameraMode camera : {CameraMode::fixed, CameraMode::follow}) {
    RenderOptions opts;
    opts.camera = camera;
    opts.width = 160;
    opts.height = 120;
    FrameRenderer r(clip, opts);
    for (int t = 0; t < clip.frames; ++t) EXPECT_NO_THROW(r.render(t)) << t;
  }
  TempDir dir;
  EXPECT_NO_THROW(render_to_file(clip, dir / "far.gif", RenderOptions{}));
}

// ---------------------------------------------------------------- the command

TEST(RenderCli, RendersEveryFormatAndRejectsBadFlags) {
  TempDir dir;
  const Clip clip = make_clip(SkeletonFormat::v3, 25, 2);
  write_motion_file(dir / "clip.motion", clip);
  const std::string in = test::shell_quote((dir / "clip.motion").string());
  for (const char* ext : {"gif", "mp4", "png", "svg", "html", "motion"}) {
    const fs::path out = dir / (std::string("out.") + ext);
    const auto r = test::run_stickgen("render " + in + " -o " + test::shell_quote(out.string()) + " --size 160x120");
    EXPECT_EQ(r.exit_code, 0) << ext << ": " << r.output;
    EXPECT_TRUE(fs::exists(out)) << ext;
  }
  const auto sheet = test::run_stickgen("render " + in + " -o " + test::shell_quote((dir / "sheet.png").string()) +
                                        " --sheet --sheet-frames 4 --size 100x80 --style ink");
  EXPECT_EQ(sheet.exit_code, 0) << sheet.output;
  EXPECT_EQ(png_size(dir / "sheet.png"), std::make_pair(2 * 100 + 2, 2 * 80 + 2));

  struct Bad {
    std::string args, message;
  };
  const Bad bad[] = {
      {"--size 12x9", "--size: expected WxH with 16..4096, got 12x9"},
      {"--size big", "--size: expected WxH"},
      {"--style chalk", "--style: expected normal, sketch, ink or neon, got 'chalk'"},
      {"--camera drone", "--camera:"},
      {"--frame 25", "--frame: expected 0..24"},
      {"--colors '#12345z'", "--colors:"},
      {"--expressions happy,bored", "--expressions:"},
  };
  for (const Bad& b : bad) {
    const fs::path out = dir / "bad.gif";
    const auto r = test::run_stickgen("render " + in + " -o " + test::shell_quote(out.string()) + " " + b.args);
    EXPECT_NE(r.exit_code, 0) << b.args;
    EXPECT_NE(r.output.find(b.message), std::string::npos) << b.args << " -> " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "not one line: " << r.output;
    EXPECT_FALSE(fs::exists(out)) << b.args;
  }
  auto r = test::run_stickgen("render " + in + " -o " + test::shell_quote((dir / "x.avi").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find(".gif, .mp4, .png, .svg, .html, .motion"), std::string::npos) << r.output;
  r = test::run_stickgen("render " + test::shell_quote((dir / "nope.motion").string()) + " -o " +
                         test::shell_quote((dir / "y.gif").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("nope.motion"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "y.gif"));
}

// The hand-written fixtures (v1 and v3, one and two actors) through every format.
TEST(RenderCli, FixturesRenderToEveryFormat) {
  std::vector<fs::path> fixtures;
  const fs::path data = test::source_dir() / "tests" / "data";
  if (fs::is_directory(data))
    for (const auto& e : fs::directory_iterator(data))
      if (e.path().extension() == ".motion") fixtures.push_back(e.path());
  if (fixtures.empty()) GTEST_SKIP() << "no tests/data/*.motion fixtures";
  std::sort(fixtures.begin(), fixtures.end());
  TempDir dir;
  std::set<int> formats, actor_counts;
  for (const fs::path& fixture : fixtures) {
    Clip clip;
    try {
      clip = read_motion_file(fixture);
    } catch (const Error&) {
      continue;  // fixtures of malformed files belong to the reader's tests
    }
    formats.insert(clip.dims());
    actor_counts.insert(clip.actors);
    const std::string in = test::shell_quote(fixture.string());
    for (const char* ext : {"gif", "mp4", "png", "svg", "html"}) {
      const fs::path out = dir / (fixture.stem().string() + "." + ext);
      const auto r = test::run_stickgen("render " + in + " -o " + test::shell_quote(out.string()));
      ASSERT_EQ(r.exit_code, 0) << fixture.filename() << " -> " << ext << ": " << r.output;
    }
    const int step = gif_frame_step(clip.fps);
    GifFile g(dir / (fixture.stem().string() + ".gif"));
    ASSERT_NE(g.gif, nullptr);
    EXPECT_EQ(g.gif->ImageCount, (clip.frames + step - 1) / step) << fixture.filename();
    const auto delays = gif_delays((clip.frames + step - 1) / step, clip.fps / step);
    for (int i = 0; i < g.gif->ImageCount; ++i) EXPECT_EQ(g.delay(i), delays[i]);
    const auto s = ffprobe(dir / (fixture.stem().string() + ".mp4"));
    ASSERT_FALSE(s.is_null());
    EXPECT_EQ(s["codec_name"], "h264");
    EXPECT_EQ(s["pix_fmt"], "yuv420p");
    EXPECT_EQ(s["nb_read_frames"], std::to_string(clip.frames)) << fixture.filename();
    if (clip.fps == 25.f) {
      EXPECT_EQ(s["avg_frame_rate"], "25/1");
    }
    EXPECT_EQ(png_size(dir / (fixture.stem().string() + ".png")), std::make_pair(640, 480));
  }
  EXPECT_EQ(formats, (std::set<int>{20, 48})) << "fixtures should cover v1 and v3";
  EXPECT_TRUE(actor_counts.count(1) && actor_counts.count(2)) << "fixtures should cover one and two actors";
}

}  // namespace
}  // namespace stickgen
