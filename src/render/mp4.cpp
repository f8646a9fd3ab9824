// MP4 (H.264, yuv420p, BT.709 tagged) via libavcodec/libavformat: browser-playable
// (moov atom at the front), time base 1/fps so players and ffprobe see the clip's rate and frames.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cmath>
#include <memory>

#include "render/scene.hpp"
#include "stickgen/common.hpp"

namespace stickgen {
namespace {

std::string av_message(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

// RGB -> Y'CbCr BT.709 limited range, 4:2:0, in 16-bit fixed point; chroma from each 2x2 block's
// mean. Cheaper than a general scaler, and the flat backgrounds of our frames take the fast path.
constexpr int fix16(double v) { return static_cast<int>(v * 65536.0 + (v >= 0 ? 0.5 : -0.5)); }
constexpr double kKr = 0.2126, kKb = 0.0722, kKg = 1.0 - kKr - kKb;
constexpr double kYs = 219.0 / 255.0, kCs = 224.0 / 255.0;
constexpr int kYR = fix16(kKr * kYs), kYG = fix16(kKg * kYs), kYB = fix16(kKb * kYs);
constexpr int kUR = fix16(-kKr / (2 * (1 - kKb)) * kCs), kUB = fix16(0.5 * kCs), kUG = -kUR - kUB;  // grey -> 128
constexpr int kVR = fix16(0.5 * kCs), kVB = fix16(-kKb / (2 * (1 - kKr)) * kCs), kVG = -kVR - kVB;

void rgb_to_yuv420(const FrameRenderer::Image& img, AVFrame* f) {
  uint32_t last_quad[4] = {0xffffffffu, 0, 0, 0};
  uint8_t last_y[4] = {0, 0, 0, 0}, last_u = 128, last_v = 128;
  for (int y = 0; y < img.height; y += 2) {
    const uint32_t* r0 = reinterpret_cast<const uint32_t*>(img.data + static_cast<size_t>(y) * img.stride);
    const uint32_t* r1 = reinterpret_cast<const uint32_t*>(img.data + static_cast<size_t>(y + 1) * img.stride);
    uint8_t* y0 = f->data[0] + static_cast<size_t>(y) * f->linesize[0];
    uint8_t* y1 = y0 + f->linesize[0];
    uint8_t* u = f->data[1] + static_cast<size_t>(y / 2) * f->linesize[1];
    uint8_t* v = f->data[2] + static_cast<size_t>(y / 2) * f->linesize[2];
    for (int x = 0; x < img.width; x += 2) {
      const uint32_t q[4] = {r0[x] & 0xffffffu, r0[x + 1] & 0xffffffu, r1[x] & 0xffffffu, r1[x + 1] & 0xffffffu};
      if (q[0] != last_quad[0] || q[1] != last_quad[1] || q[2] != last_quad[2] || q[3] != last_quad[3]) {
        int rs = 0, gs = 0, bs = 0;
        for (int k = 0; k < 4; ++k) {
          const int r = static_cast<int>(q[k] >> 16), g = static_cast<int>((q[k] >> 8) & 255), b = static_cast<int>(q[k] & 255);
          last_y[k] = static_cast<uint8_t>((kYR * r + kYG * g + kYB * b + (16 << 16) + (1 << 15)) >> 16);
          rs += r, gs += g, bs += b;
        }
        last_u = static_cast<uint8_t>((kUR * rs + kUG * gs + kUB * bs + (128 << 18) + (1 << 17)) >> 18);
        last_v = static_cast<uint8_t>((kVR * rs + kVG * gs + kVB * bs + (128 << 18) + (1 << 17)) >> 18);
        std::copy(q, q + 4, last_quad);
      }
      y0[x] = last_y[0], y0[x + 1] = last_y[1], y1[x] = last_y[2], y1[x + 1] = last_y[3];
      u[x / 2] = last_u, v[x / 2] = last_v;
    }
  }
}

struct Encoder {
  AVFormatContext* fmt = nullptr;
  AVCodecContext* enc = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* pkt = nullptr;
  AVStream* stream = nullptr;
  std::string where;  // the user-facing path

  ~Encoder() {
    if (pkt) av_packet_free(&pkt);
    if (frame) av_frame_free(&frame);
    if (enc) avcodec_free_context(&enc);
    if (fmt) {
      if (fmt->pb) avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
  }
  [[noreturn]] void fail(const std::string& what, int err) const {
    throw Error(where + ": MP4 " + what + " failed (" + av_message(err) + ")");
  }
  void drain() {
    for (;;) {
      int rc = avcodec_receive_packet(enc, pkt);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) fail("encoding", rc);
      if (pkt->duration <= 0) pkt->duration = 1;  // one frame, in the encoder's 1/fps time base
      av_packet_rescale_ts(pkt, enc->time_base, stream->time_base);
      pkt->stream_index = stream->index;
      rc = av_interleaved_write_frame(fmt, pkt);
      if (rc < 0) fail("writing", rc);
    }
  }
};

}  // namespace

void render_mp4(const Clip& clip, const std::filesystem::path& path, const RenderOptions& options) {
  // yuv420p needs even dimensions: odd sizes grow by one pixel.
  RenderOptions opts = options;
  opts.width += opts.width & 1;
  opts.height += opts.height & 1;
  check_render_options(clip, opts);
  FrameRenderer renderer(clip, opts);
  const int W = opts.width, H = opts.height;
  av_log_set_level(AV_LOG_ERROR);

  AtomicFile file(path);
  Encoder e;
  e.where = path.string();
  int rc = avformat_alloc_output_context2(&e.fmt, nullptr, "mp4", file.temp_path().c_str());
  if (rc < 0 || !e.fmt) e.fail("muxer setup", rc);
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
  if (!codec) throw Error(path.string() + ": no H.264 encoder in this libavcodec (install libavcodec with libx264)");
  e.stream = avformat_new_stream(e.fmt, nullptr);
  e.enc = avcodec_alloc_context3(codec);
  if (!e.stream || !e.enc) throw Error(path.string() + ": out of memory setting up the MP4 encoder");

  const AVRational rate = av_d2q(clip.fps, 100000);
  e.enc->width = W;
  e.enc->height = H;
  e.enc->pix_fmt = AV_PIX_FMT_YUV420P;
  e.enc->time_base = av_inv_q(rate);
  e.enc->framerate = rate;
  e.enc->sample_aspect_ratio = {1, 1};
  e.enc->gop_size = std::max(1, static_cast<int>(std::lround(clip.fps * 2)));  // a keyframe every 2 s for scrubbing
  e.enc->color_range = AVCOL_RANGE_MPEG;
  e.enc->colorspace = AVCOL_SPC_BT709;
  e.enc->color_primaries = AVCOL_PRI_BT709;
  e.enc->color_trc = AVCOL_TRC_BT709;
  if (e.fmt->oformat->flags & AVFMT_GLOBALHEADER) e.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* codec_opts = nullptr;
  if (std::string_view(codec->name) == "libx264") {
    av_dict_set(&codec_opts, "preset", "veryfast", 0);
    av_dict_set(&codec_opts, "tune", "animation", 0);
    av_dict_set(&codec_opts, "profile", "high", 0);
    av_dict_set(&codec_opts, "crf", std::to_string(opts.crf).c_str(), 0);
  }
  rc = avcodec_open2(e.enc, codec, &codec_opts);
  av_dict_free(&codec_opts);
  if (rc < 0) e.fail("encoder setup", rc);
  rc = avcodec_parameters_from_context(e.stream->codecpar, e.enc);
  if (rc < 0) e.fail("stream setup", rc);
  e.stream->time_base = e.enc->time_base;
  e.stream->avg_frame_rate = rate;
  e.stream->r_frame_rate = rate;

  rc = avio_open(&e.fmt->pb, file.temp_path().c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) e.fail("open", rc);
  AVDictionary* mux_opts = nullptr;
  av_dict_set(&mux_opts, "movflags", "+faststart", 0);  // moov first: playback starts before download ends
  rc = avformat_write_header(e.fmt, &mux_opts);
  av_dict_free(&mux_opts);
  if (rc < 0) e.fail("header", rc);

  e.frame = av_frame_alloc();
  e.pkt = av_packet_alloc();
  if (!e.frame || !e.pkt) throw Error(path.string() + ": out of memory setting up the MP4 encoder");
  e.frame->format = AV_PIX_FMT_YUV420P;
  e.frame->width = W;
  e.frame->height = H;
  e.frame->color_range = AVCOL_RANGE_MPEG;
  e.frame->colorspace = AVCOL_SPC_BT709;
  rc = av_frame_get_buffer(e.frame, 0);
  if (rc < 0) e.fail("frame buffer", rc);
  for (int t = 0; t < clip.frames; ++t) {
    const auto img = renderer.render(t);
    rc = av_frame_make_writable(e.frame);
    if (rc < 0) e.fail("frame buffer", rc);
    rgb_to_yuv420(img, e.frame);
    e.frame->pts = t;
    rc = avcodec_send_frame(e.enc, e.frame);
    if (rc < 0) e.fail("encoding", rc);
    e.drain();
    if (opts.progress) opts.progress(t + 1, clip.frames);
  }
  rc = avcodec_send_frame(e.enc, nullptr);
  if (rc < 0) e.fail("encoding", rc);
  e.drain();
  rc = av_write_trailer(e.fmt);
  if (rc < 0) e.fail("trailer", rc);
  rc = avio_closep(&e.fmt->pb);
  if (rc < 0) e.fail("close", rc);
  file.commit();
}

}  // namespace stickgen
