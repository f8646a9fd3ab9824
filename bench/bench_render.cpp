// Rendering speed as a multiple of real time: a 250-frame (10 s at 25 fps) 640x480 clip of two
// actors to GIF and to MP4, plus drawing alone (no encoding) as the floor of both.
// Run: build/bench/bench_render   (x_realtime: seconds of animation per wall-clock second, the target
// is >= 10; x_realtime_cpu: per CPU second of all threads, which a busy shared machine does not skew).
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "stickgen/render.hpp"

namespace {
using namespace stickgen;

Clip walking_pair() {
  Clip clip = Clip::make(SkeletonFormat::v1, 250, 2, 25.f);
  const auto rest = rest_pose_joints(SkeletonFormat::v1);
  std::vector<Vec2> j(rest.size());
  for (int t = 0; t < clip.frames; ++t) {
    const float time = t / clip.fps, w = 2.f * static_cast<float>(M_PI) * 1.5f * time;
    for (int a = 0; a < 2; ++a) {
      j = rest;
      for (Vec2& p : j) p += Vec2{a * 2.f + (a == 0 ? 0.4f * time : 0.f), 0.f};
      j[v1::l_foot].x += 0.35f * std::sin(w);
      j[v1::r_foot].x -= 0.35f * std::sin(w);
      j[v1::l_hand].x -= 0.3f * std::sin(w);
      if (a == 1) j[v1::r_hand] = j[v1::neck] + Vec2{0.45f + 0.2f * std::sin(2 * w), 0.75f};
      else j[v1::r_hand].x += 0.3f * std::sin(w);
      joints_to_segments(clip.skeleton(), j.data(), clip.pose(t, a));
      clip.actions[clip.slot(t, a)] = static_cast<int16_t>(a == 0 ? (t < 125 ? act::walk : act::talk) : act::wave);
    }
  }
  return clip;
}

const Clip& clip() {
  static const Clip c = walking_pair();
  return c;
}

std::filesystem::path scratch(const char* ext) {
  return std::filesystem::temp_directory_path() / ("stickgen-bench-" + std::to_string(::getpid()) + "." + ext);
}

// CPU seconds of the whole process (every thread, e.g. x264's), independent of machine load.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

void report(benchmark::State& state, double cpu_seconds) {
  // Seconds of animation rendered per second of wall time ...
  state.counters["x_realtime"] = benchmark::Counter(clip().duration(), benchmark::Counter::kIsIterationInvariantRate);
  // ... and per CPU second of all threads (what one core would achieve on an idle machine).
  state.counters["x_realtime_cpu"] = clip().duration() * static_cast<double>(state.iterations()) / cpu_seconds;
  state.counters["frames"] = clip().frames;
}

RenderOptions options(int style) {
  RenderOptions o;
  o.style = static_cast<RenderStyle>(style);
  return o;
}

void BM_DrawOnly(benchmark::State& state) {
  FrameRenderer r(clip(), options(static_cast<int>(state.range(0))));
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state)
    for (int t = 0; t < clip().frames; ++t) benchmark::DoNotOptimize(r.render(t).data);
  report(state, process_cpu_seconds() - cpu0);
  state.SetLabel(std::string(style_name(static_cast<RenderStyle>(state.range(0)))));
}

void BM_Gif(benchmark::State& state) {
  const auto path = scratch("gif");
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) render_to_file(clip(), path, options(static_cast<int>(state.range(0))));
  const double cpu = process_cpu_seconds() - cpu0;
  state.counters["bytes"] = static_cast<double>(std::filesystem::file_size(path));
  std::filesystem::remove(path);
  report(state, cpu);
  state.SetLabel(std::string(style_name(static_cast<RenderStyle>(state.range(0)))));
}

void BM_Mp4(benchmark::State& state) {
  const auto path = scratch("mp4");
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) render_to_file(clip(), path, options(static_cast<int>(state.range(0))));
  const double cpu = process_cpu_seconds() - cpu0;
  state.counters["bytes"] = static_cast<double>(std::filesystem::file_size(path));
  std::filesystem::remove(path);
  report(state, cpu);
  state.SetLabel(std::string(style_name(static_cast<RenderStyle>(state.range(0)))));
}

// Styles: 0 normal, 3 neon (the most strokes per figure).
BENCHMARK(BM_DrawOnly)->Arg(0)->Arg(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Gif)->Arg(0)->Arg(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Mp4)->Arg(0)->Arg(3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
