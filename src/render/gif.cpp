// Animated GIF via giflib: one global palette made of the few colours a clip is drawn with plus
// ramps from each towards the background (the antialiasing shades), a cached colour -> index map,
// and frames stored as the changed rectangle over the previous one (unchanged pixels transparent).
#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "render/scene.hpp"
#include "stickgen/common.hpp"

namespace stickgen {

std::vector<int> gif_delays(int frames, double fps) {
  std::vector<int> out(static_cast<size_t>(std::max(frames, 0)));
  if (!(fps > 0)) fps = kDefaultFps;
  for (int i = 0; i < frames; ++i)
    out[i] = static_cast<int>(std::llround((i + 1) * 100.0 / fps) - std::llround(i * 100.0 / fps));
  return out;
}

int gif_frame_step(double fps) {
  if (!(fps > 50.0)) return 1;
  return static_cast<int>(std::ceil(fps / 50.0 - 1e-9));
}

namespace {

struct GifPalette {
  std::vector<Rgb> colors;  // index 0 is the background
  int transparent = 0;      // an index no pixel maps to
  int size = 2;             // power of two >= colors.size() + 1

  // Cached nearest-colour lookup keyed by 6 bits per channel (filled on first use).
  std::vector<uint16_t> cache = std::vector<uint16_t>(1u << 18, 0xffff);

  uint8_t index_of(uint32_t rgb) {
    const uint32_t key = ((rgb >> 18) & 0x3f) << 12 | ((rgb >> 10) & 0x3f) << 6 | ((rgb >> 2) & 0x3f);
    uint16_t& slot = cache[key];
    if (slot == 0xffff) {
      const int r = static_cast<int>((rgb >> 16) & 0xff), g = static_cast<int>((rgb >> 8) & 0xff),
                b = static_cast<int>(rgb & 0xff);
      int best = 0, best_d = 1 << 30;
      for (size_t i = 0; i < colors.size(); ++i) {
        const int dr = r - colors[i].r, dg = g - colors[i].g, db = b - colors[i].b;
        // Green weighs most for the eye; a cheap perceptual weighting.
        const int d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
        if (d < best_d) best_d = d, best = static_cast<int>(i);
      }
      slot = static_cast<uint16_t>(best);
    }
    return static_cast<uint8_t>(slot);
  }
};

GifPalette make_palette(const render_detail::Scene& scene) {
  GifPalette p;
  const Rgb bg = scene.style.background;
  p.colors.push_back(bg);
  std::vector<Rgb> bases = scene.base_colors();
  if (bases.size() > 127) bases.resize(127);  // more distinct colours than a GIF can shade
  const int steps = bases.empty() ? 1 : std::clamp(254 / static_cast<int>(bases.size()), 1, 32);
  for (Rgb c : bases) {
    for (int k = 1; k <= steps; ++k) {
      const double u = static_cast<double>(k) / steps;
      auto m = [u](uint8_t from, uint8_t to) { return static_cast<uint8_t>(std::lround(from + (to - from) * u)); };
      const Rgb shade{m(bg.r, c.r), m(bg.g, c.g), m(bg.b, c.b)};
      if (std::find(p.colors.begin(), p.colors.end(), shade) == p.colors.end()) p.colors.push_back(shade);
    }
  }
  p.transparent = static_cast<int>(p.colors.size());
  p.size = 2;
  while (p.size < p.transparent + 1) p.size *= 2;
  return p;
}

struct GifWriter {
  GifFileType* gif = nullptr;
  std::string path;  // the user-facing path, for messages
  ~GifWriter() {
    if (gif) {
      int err = 0;
      EGifCloseFile(gif, &err);
    }
  }
  void check(int rc, const char* what) const {
    if (rc != GIF_OK)
      throw Error(path + ": GIF " + what + " failed (" +
                  (gif ? std::string(GifErrorString(gif->Error) ? GifErrorString(gif->Error) : "?") : "?") + ")");
  }
};

}  // namespace

void render_gif(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts) {
  FrameRenderer renderer(clip, opts);
  const render_detail::Scene scene = render_detail::build_scene(clip, opts);
  GifPalette palette = make_palette(scene);
  const int W = opts.width, H = opts.height;
  const int step = gif_frame_step(clip.fps);
  const int out_frames = (clip.frames + step - 1) / step;
  const std::vector<int> delays = gif_delays(out_frames, clip.fps / step);

  AtomicFile file(path);
  GifWriter w;
  w.path = path.string();
  int err = 0;
  w.gif = EGifOpenFileName(file.temp_path().c_str(), false, &err);
  if (!w.gif) throw Error(path.string() + ": cannot create GIF (" + std::string(GifErrorString(err) ? GifErrorString(err) : "?") + ")");
  EGifSetGifVersion(w.gif, true);

  std::vector<GifColorType> entries(static_cast<size_t>(palette.size));
  for (size_t i = 0; i < palette.colors.size(); ++i)
    entries[i] = {palette.colors[i].r, palette.colors[i].g, palette.colors[i].b};
  ColorMapObject* cmap = GifMakeMapObject(palette.size, entries.data());
  if (!cmap) throw Error(path.string() + ": cannot build the GIF palette");
  int bits = 1;
  while ((1 << bits) < palette.size) ++bits;
  const int rc = EGifPutScreenDesc(w.gif, W, H, bits, 0, cmap);
  GifFreeMapObject(cmap);
  w.check(rc, "screen descriptor");

  // Loop forever (NETSCAPE2.0 application extension, repeat count 0).
  const unsigned char loop[3] = {1, 0, 0};
  w.check(EGifPutExtensionLeader(w.gif, APPLICATION_EXT_FUNC_CODE), "loop extension");
  w.check(EGifPutExtensionBlock(w.gif, 11, "NETSCAPE2.0"), "loop extension");
  w.check(EGifPutExtensionBlock(w.gif, 3, loop), "loop extension");
  w.check(EGifPutExtensionTrailer(w.gif), "loop extension");

  std::vector<uint8_t> cur(static_cast<size_t>(W) * H), prev(cur.size()), rect(cur.size());
  for (int k = 0; k < out_frames; ++k) {
    const auto img = renderer.render(k * step);
    for (int y = 0; y < H; ++y) {
      const uint32_t* row = reinterpret_cast<const uint32_t*>(img.data + static_cast<size_t>(y) * img.stride);
      uint8_t* out = cur.data() + static_cast<size_t>(y) * W;
      uint32_t last = 0xffffffffu;
      uint8_t last_index = 0;
      for (int x = 0; x < W; ++x) {
        const uint32_t px = row[x] & 0xffffffu;
        if (px != last) last = px, last_index = palette.index_of(px);
        out[x] = last_index;
      }
    }
    // The rectangle that changed since the previous frame (all of it for the first).
    int x0 = 0, y0 = 0, x1 = W - 1, y1 = H - 1;
    if (k > 0) {
      x0 = W, y0 = H, x1 = -1, y1 = -1;
      for (int y = 0; y < H; ++y) {
        const uint8_t* a = cur.data() + static_cast<size_t>(y) * W;
        const uint8_t* b = prev.data() + static_cast<size_t>(y) * W;
        if (std::memcmp(a, b, static_cast<size_t>(W)) == 0) continue;
        y0 = std::min(y0, y), y1 = y;
        int l = 0, r = W - 1;
        while (a[l] == b[l]) ++l;
        while (a[r] == b[r]) --r;
        x0 = std::min(x0, l), x1 = std::max(x1, r);
      }
      if (y1 < 0) x0 = y0 = x1 = y1 = 0;  // nothing changed: one transparent pixel
    }
    const int rw = x1 - x0 + 1, rh = y1 - y0 + 1;
    for (int y = 0; y < rh; ++y) {
      const uint8_t* a = cur.data() + static_cast<size_t>(y0 + y) * W + x0;
      const uint8_t* b = prev.data() + static_cast<size_t>(y0 + y) * W + x0;
      uint8_t* o = rect.data() + static_cast<size_t>(y) * rw;
      if (k == 0)
        std::memcpy(o, a, static_cast<size_t>(rw));
      else
        for (int x = 0; x < rw; ++x) o[x] = a[x] == b[x] ? static_cast<uint8_t>(palette.transparent) : a[x];
    }

    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSE_DO_NOT;
    gcb.UserInputFlag = false;
    gcb.DelayTime = delays[static_cast<size_t>(k)];
    gcb.TransparentColor = k == 0 ? NO_TRANSPARENT_COLOR : palette.transparent;
    GifByteType ext[4];
    EGifGCBToExtension(&gcb, ext);
    w.check(EGifPutExtension(w.gif, GRAPHICS_EXT_FUNC_CODE, 4, ext), "frame delay");
    w.check(EGifPutImageDesc(w.gif, x0, y0, rw, rh, false, nullptr), "frame descriptor");
    for (int y = 0; y < rh; ++y) w.check(EGifPutLine(w.gif, rect.data() + static_cast<size_t>(y) * rw, rw), "frame data");
    cur.swap(prev);
    if (opts.progress) opts.progress(k + 1, out_frames);
  }
  GifFileType* gif = w.gif;
  w.gif = nullptr;
  if (EGifCloseFile(gif, &err) != GIF_OK)
    throw Error(path.string() + ": cannot finish GIF (" + std::string(GifErrorString(err) ? GifErrorString(err) : "?") + ")");
  file.commit();
}

}  // namespace stickgen
