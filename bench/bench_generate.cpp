// (a) of bench/compare_generation.sh: autoregressive generation with our runtime and its KV cache.
// A 250-frame clip = a zero start frame + 249 decoded frames, each output pose fed back as the
// next input (the reference algorithm's clip, generated incrementally). Prints one JSON line.
//
//   bench_generate --model small.safetensors [--frames 250] [--threads 1] [--repeat 5]
//                  [--batch 1] [--kernel avx2|avx512|generic|eigen] [--f16-convert]
//
// load_ms / first_frame_ms are measured from the start of main(): loading the model, allocating
// the decoder, running the text token and the first frame (what `stickgen generate` does first).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "stickgen/common.hpp"
#include "stickgen/runtime.hpp"

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
// CPU time of the whole process (all threads): on a shared machine, wall time also counts waiting.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// The same deterministic unit-length text embedding in every implementation of the comparison.
std::vector<float> text_embedding(int dim, int batch) {
  std::vector<float> t(size_t(dim) * batch);
  for (int b = 0; b < batch; ++b) {
    double ss = 0;
    for (int i = 0; i < dim; ++i) ss += std::pow(t[size_t(b) * dim + i] = float(std::sin(0.37 * i + 1.0 + b)), 2);
    for (int i = 0; i < dim; ++i) t[size_t(b) * dim + i] /= float(std::sqrt(ss));
  }
  return t;
}

// One clip per batch item: zero frame, then frames-1 steps feeding each pose back. Returns the
// sum of the last pose (a checksum to compare implementations).
double generate(stickgen::Decoder& dec, const std::vector<float>& text, int frames, std::vector<float>& frame) {
  std::fill(frame.begin(), frame.end(), 0.f);
  dec.reset(text);
  stickgen::DecoderOutput y{};
  for (int t = 0; t + 1 < frames; ++t) {
    y = dec.step({frame});
    std::copy(y.pose.begin(), y.pose.end(), frame.begin());
  }
  double sum = 0;
  for (float v : frame) sum += v;
  return sum;
}
}  // namespace

int main(int argc, char** argv) {
  const auto start = Clock::now();
  std::string model_path, kernel;
  int frames = 250, threads = 1, repeat = 5, batch = 1;
  bool f16_in_place = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_generate: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--model") model_path = value();
    else if (a == "--frames") frames = std::stoi(value());
    else if (a == "--threads") threads = std::stoi(value());
    else if (a == "--repeat") repeat = std::stoi(value());
    else if (a == "--batch") batch = std::stoi(value());
    else if (a == "--kernel") kernel = value();
    else if (a == "--f16-convert") f16_in_place = false;
    else {
      std::fprintf(stderr, "bench_generate: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (model_path.empty() || frames < 2 || repeat < 1) {
    std::fprintf(stderr, "usage: bench_generate --model M.safetensors [--frames N>=2] [--threads N] [--repeat N] "
                         "[--batch N] [--kernel NAME]\n");
    return 2;
  }
  try {
    if (!kernel.empty()) stickgen::set_runtime_kernel(kernel);
    const stickgen::Model model = stickgen::Model::load(model_path, {.f16_in_place = f16_in_place});
    const auto& c = model.config();
    if (c.output_dim != c.input_dim) throw stickgen::Error("bench_generate: output_dim must equal input_dim");
    stickgen::Decoder dec(model, batch, frames - 1, {threads});
    const double load_ms = ms_since(start);
    const auto text = text_embedding(c.embedding_dim, batch);
    std::vector<float> frame(size_t(batch) * c.input_dim, 0.f);
    dec.reset(text);
    dec.step({frame});
    const double first_frame_ms = ms_since(start);

    std::vector<double> times, cpu_times;
    double checksum = 0;
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = Clock::now();
      const double c0 = cpu_ms();
      checksum = generate(dec, text, frames, frame);
      times.push_back(ms_since(t0));
      cpu_times.push_back(cpu_ms() - c0);
    }
    std::sort(times.begin(), times.end());
    std::sort(cpu_times.begin(), cpu_times.end());
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("{\"impl\": \"runtime\", \"weights\": \"%s\", \"kernel\": \"%s\", \"threads\": %d, \"batch\": %d, \"frames\": %d, "
                "\"load_ms\": %.2f, \"first_frame_ms\": %.2f, \"generate_ms_min\": %.2f, "
                "\"generate_ms_median\": %.2f, \"generate_cpu_ms_min\": %.2f, \"peak_rss_mb\": %.1f, "
                "\"checksum\": %.6f}\n",
                (model.weight_dtype() + (model.f16_in_place() ? " in place" : "")).c_str(),
                stickgen::runtime_kernel_name().c_str(), threads, batch, frames, load_ms, first_frame_ms,
                times.front(), times[times.size() / 2], cpu_times.front(), double(ru.ru_maxrss) / 1024.0, checksum);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_generate: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
