// End-to-end generation latency: `generate_clip` as `stickgen generate` runs it (plan -> per-frame
// actions + text embedding -> KV-cached decoding from a standing pose -> reconciled skeleton, root
// moved by the physics head), timed per clip. Prints one JSON line (read by bench/run_benchmarks.py).
//
//   bench_generate_clip --model M.safetensors [--prompt "a person walks then waves"] [--seconds 10]
//                       [--threads 1] [--batch 1] [--repeat 20] [--warmup 2] [--guidance G]
//
// --batch N decodes N actors together (the prompt's first actor's timeline repeated, side by side),
// the batching generate_clip does for multi-actor scenes. Latency: median and p95 (nearest rank)
// over --repeat timed clips after --warmup untimed ones; throughput from the median. --guidance
// defaults to what `stickgen generate` uses (GenerateOptions); 1 decodes without the second pass.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "stickgen/common.hpp"
#include "stickgen/generate.hpp"
#include "stickgen/planner.hpp"
#include "stickgen/runtime.hpp"

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  std::string model_path, prompt = "a person walks then waves";
  float seconds = 10.f;
  int threads = 1, batch = 1, repeat = 20, warmup = 2;
  float guidance = stickgen::GenerateOptions{}.guidance;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_generate_clip: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--model") model_path = value();
    else if (a == "--prompt") prompt = value();
    else if (a == "--seconds") seconds = std::stof(value());
    else if (a == "--threads") threads = std::stoi(value());
    else if (a == "--batch") batch = std::stoi(value());
    else if (a == "--repeat") repeat = std::stoi(value());
    else if (a == "--warmup") warmup = std::stoi(value());
    else if (a == "--guidance") guidance = std::stof(value());
    else {
      std::fprintf(stderr, "bench_generate_clip: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (model_path.empty() || repeat < 1 || batch < 1 || threads < 1 || !(seconds > 0)) {
    std::fprintf(stderr, "usage: bench_generate_clip --model M.safetensors [--prompt P] [--seconds S] [--threads N] "
                         "[--batch N] [--repeat N>=1] [--warmup N]\n");
    return 2;
  }
  try {
    const auto t_load = Clock::now();
    const stickgen::Model model = stickgen::Model::load(model_path);
    const double load_ms = ms_since(t_load);
    const auto encoder = stickgen::text_encoder_for(model);
    stickgen::PlannerOptions po;
    po.duration = seconds;
    const stickgen::Plan plan = stickgen::plan_prompt(prompt, po);
    stickgen::GenerationRequest req = stickgen::request_from_plan(plan, *encoder);
    // Exactly `batch` actors: the first actor's timeline, side by side.
    const auto first_actions = req.actions.at(0);
    const float x0 = req.start_x.at(0);
    const int facing = req.facing.at(0);
    req.actions.assign(batch, first_actions);
    if (!req.heading.empty()) req.heading.assign(batch, std::vector<int8_t>(req.heading.at(0)));
    req.start_x.clear();
    req.facing.assign(batch, facing);
    for (int b = 0; b < batch; ++b) req.start_x.push_back(x0 + 1.5f * b);
    std::vector<double> times;
    double checksum = 0;
    for (int r = 0; r < warmup + repeat; ++r) {
      stickgen::GenerateOptions go;
      go.seed = static_cast<uint64_t>(r + 1);
      go.threads = threads;
      go.guidance = guidance;
      const auto t0 = Clock::now();
      const stickgen::Clip clip = stickgen::generate_clip(model, req, go);
      const double ms = ms_since(t0);
      if (r >= warmup) times.push_back(ms);
      checksum = 0;
      for (float v : clip.motion) checksum += v;
    }
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                            : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
    const size_t rank = static_cast<size_t>(std::ceil(0.95 * sorted.size()));
    const double p95 = sorted[std::max<size_t>(1, rank) - 1];
    double mean = 0;
    for (double t : times) mean += t / times.size();
    std::printf("{\"bench\": \"generate_clip\", \"prompt\": \"%s\", \"kernel\": \"%s\", \"threads\": %d, \"batch\": %d, \"guidance\": %g, "
                "\"frames\": %d, \"repeat\": %d, \"load_ms\": %.2f, \"median_ms\": %.3f, \"p95_ms\": %.3f, \"min_ms\": %.3f, "
                "\"mean_ms\": %.3f, \"clips_per_s\": %.3f, \"frames_per_s\": %.1f, \"checksum\": %.6f}\n",
                json_escape(prompt).c_str(), stickgen::runtime_kernel_name().c_str(), threads, batch, guidance, req.frames, repeat, load_ms,
                median, p95, sorted.front(), mean, batch * 1000.0 / median, batch * req.frames * 1000.0 / median, checksum);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_generate_clip: %s\n", e.what());
    return 1;
  }
  return 0;
}
