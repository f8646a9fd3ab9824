// (b) of bench/compare_generation.sh: the same autoregressive 250-frame generation as
// bench/bench_generate.cpp, with the LibTorch model (src/torch/model) and its KV cache.
// Prints one JSON line.
//
//   torch_bench_generate_torch --model small.safetensors [--frames 250] [--repeat 3]
//                              [--torch-threads 1] [--blas-threads 1]
//
// Thread counts are set deliberately: torch intra-op threads (torch::set_num_threads; inter-op 1)
// and OpenBLAS threads (openblas_set_num_threads, looked up at run time: Debian's LibTorch calls
// BLAS through libblas.so.3, which is OpenBLAS here). Both default to 1.
#include <dlfcn.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "stickgen/torch_model.hpp"

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// The same deterministic text embedding as bench_generate.cpp.
torch::Tensor text_embedding(int dim) {
  std::vector<float> t(static_cast<size_t>(dim));
  double ss = 0;
  for (int i = 0; i < dim; ++i) ss += std::pow(t[size_t(i)] = float(std::sin(0.37 * i + 1.0)), 2);
  for (auto& v : t) v /= float(std::sqrt(ss));
  return torch::from_blob(t.data(), {1, dim}, torch::kFloat32).clone();
}

double generate(stickgen::torch_model::StickFigureTransformer& model, const torch::Tensor& text, int frames) {
  auto cache = model->start(text, frames);
  torch::Tensor frame = torch::zeros({1, model->config().input_dim});
  for (int t = 0; t + 1 < frames; ++t) frame = model->step(cache, {frame}).pose;
  return frame.sum().item<double>();
}
}  // namespace

int main(int argc, char** argv) {
  const auto start = Clock::now();
  std::string model_path;
  int frames = 250, repeat = 3, torch_threads = 1, blas_threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_generate_torch: %s needs a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--model") model_path = v;
    else if (a == "--frames") frames = std::stoi(v);
    else if (a == "--repeat") repeat = std::stoi(v);
    else if (a == "--torch-threads") torch_threads = std::stoi(v);
    else if (a == "--blas-threads") blas_threads = std::stoi(v);
    else {
      std::fprintf(stderr, "bench_generate_torch: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (model_path.empty() || frames < 2 || repeat < 1) {
    std::fprintf(stderr, "usage: bench_generate_torch --model M [--frames N] [--repeat N] [--torch-threads N] "
                         "[--blas-threads N]\n");
    return 2;
  }
  try {
    using SetThreads = void (*)(int);
    auto* set_blas = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (set_blas) set_blas(blas_threads);
    torch::set_num_threads(torch_threads);
    torch::set_num_interop_threads(1);
    torch::NoGradGuard no_grad;

    auto loaded = stickgen::torch_model::load_model(model_path);
    auto& model = loaded.model;
    model->eval();
    const auto text = text_embedding(model->config().embedding_dim);
    const double load_ms = ms_since(start);
    {
      auto cache = model->start(text, 1);
      model->step(cache, {torch::zeros({1, model->config().input_dim})});
    }
    const double first_frame_ms = ms_since(start);

    std::vector<double> times, cpu_times;
    double checksum = 0;
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = Clock::now();
      const double c0 = cpu_ms();
      checksum = generate(model, text, frames);
      times.push_back(ms_since(t0));
      cpu_times.push_back(cpu_ms() - c0);
    }
    std::sort(times.begin(), times.end());
    std::sort(cpu_times.begin(), cpu_times.end());
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("{\"impl\": \"libtorch\", \"torch_threads\": %d, \"blas_threads\": %d, \"openblas\": %s, "
                "\"frames\": %d, \"load_ms\": %.2f, \"first_frame_ms\": %.2f, \"generate_ms_min\": %.2f, "
                "\"generate_ms_median\": %.2f, \"generate_cpu_ms_min\": %.2f, \"peak_rss_mb\": %.1f, "
                "\"checksum\": %.6f}\n",
                torch_threads, blas_threads, set_blas ? "true" : "false", frames, load_ms, first_frame_ms,
                times.front(), times[times.size() / 2], cpu_times.front(), double(ru.ru_maxrss) / 1024.0, checksum);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_generate_torch: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
