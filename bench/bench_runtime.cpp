// Google Benchmark programs for the runtime: one decode step (KV cache at a mid-clip position)
// and the whole-sequence forward, for fp32 and fp16 model files, batch 1 and 3, 1 and 2 threads.
// The model is $STICKGEN_BENCH_MODEL, or random small weights saved by scripts/reference_model.py.
//   build/bench/bench_runtime [--benchmark_filter=Decode]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "stickgen/common.hpp"
#include "stickgen/runtime.hpp"

namespace {
namespace fs = std::filesystem;

const stickgen::Model& model(bool f16) {
  static std::map<bool, stickgen::Model> models;
  if (auto it = models.find(f16); it != models.end()) return it->second;
  fs::path path;
  if (const char* env = std::getenv("STICKGEN_BENCH_MODEL"); env && *env && !f16) {
    path = env;
  } else {
    path = fs::temp_directory_path() / (f16 ? "stickgen-bench-small-f16.safetensors" : "stickgen-bench-small.safetensors");
    if (!fs::exists(path)) {
      const std::string cmd = std::string("/usr/bin/python3 '") + STICKGEN_SOURCE_DIR +
                              "/scripts/reference_model.py' save --preset small --seed 0 " +
                              (f16 ? "--dtype f16 " : "") + "--out '" + path.string() + "'";
      if (std::system(cmd.c_str()) != 0) throw stickgen::Error("bench_runtime: could not create " + path.string());
    }
  }
  return models.emplace(f16, stickgen::Model::load(path)).first->second;
}

// One decode step at position ~125 of a 250-frame clip. Args: batch, threads, fp16.
void BM_DecodeStep(benchmark::State& state) {
  const int B = int(state.range(0)), threads = int(state.range(1));
  const auto& m = model(state.range(2) != 0);
  const auto& c = m.config();
  stickgen::Decoder dec(m, B, 250, {threads});
  std::vector<float> text(size_t(B) * c.embedding_dim, 0.03f), frame(size_t(B) * c.input_dim, 0.1f);
  dec.reset(text);
  for (int t = 0; t < 125; ++t) dec.step({frame});
  int done = 125;
  for (auto _ : state) {
    if (done == 250) {  // keep the position near the middle of the clip
      state.PauseTiming();
      dec.reset(text);
      for (int t = 0; t < 125; ++t) dec.step({frame});
      done = 125;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(dec.step({frame}).pose.data());
    ++done;
  }
  state.SetItemsProcessed(state.iterations() * B);
}
BENCHMARK(BM_DecodeStep)
    ->ArgNames({"batch", "threads", "f16"})
    ->Args({1, 1, 0})->Args({1, 2, 0})->Args({3, 1, 0})->Args({1, 1, 1})->Args({1, 2, 1})->Args({3, 1, 1})
    ->Unit(benchmark::kMicrosecond);

// Whole-sequence forward of T frames (the reference algorithm's unit of work). Args: T, threads.
void BM_Forward(benchmark::State& state) {
  const int T = int(state.range(0)), threads = int(state.range(1));
  const auto& m = model(false);
  const auto& c = m.config();
  std::vector<float> motion(size_t(T) * c.input_dim, 0.1f), text(size_t(c.embedding_dim), 0.03f);
  stickgen::ForwardInputs in;
  in.frames = T, in.batch = 1, in.motion = motion, in.text_embedding = text;
  for (auto _ : state) benchmark::DoNotOptimize(m.forward(in, {threads}).pose.data());
}
BENCHMARK(BM_Forward)->ArgNames({"T", "threads"})->Args({250, 1})->Args({250, 2})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
