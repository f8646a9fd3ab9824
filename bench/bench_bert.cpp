// BERT text-encoder latency: one encode() of prompts of 8, 32, 128 and 512 tokens, on 1 and 2
// threads, each relative to the 8-token single-thread case measured in the same run. The model is
// the directory in $STICKGEN_BERT_DIR — a real bge-large-en-v1.5, or random weights of its shape:
//   scripts/bert_reference.py make --preset bge-large --out /tmp/bge-shape
// — else a tiny random BERT written here by scripts/bert_reference.py (hidden 32, 2 layers).
// Before the benchmarks the cold first call (weights mapped/converted, thread team started) is timed.
//
//   STICKGEN_BERT_DIR=DIR bench_bert [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "stickgen/bert.hpp"

namespace {
namespace fs = std::filesystem;

fs::path g_dir;
std::map<int, std::unique_ptr<stickgen::BertEncoder>> g_encoders;  // by thread count

stickgen::BertEncoder& encoder(int threads) {
  auto& e = g_encoders[threads];
  if (!e) e = std::make_unique<stickgen::BertEncoder>(g_dir, stickgen::BertOptions{threads});
  return *e;
}

// A prompt of exactly `tokens` ids ([CLS] and [SEP] included): words the fixtures' vocabulary has.
std::string prompt(int tokens) {
  static const char* words[] = {"a", "person", "walk", "then", "wave", "to", "the", "left", "and", "jump"};
  std::string s;
  for (int i = 0; i + 2 < tokens; ++i) s += std::string(i ? " " : "") + words[i % 10];
  return s;
}

void BM_Encode(benchmark::State& state) {
  const int tokens = int(state.range(0)), threads = int(state.range(1));
  auto& enc = encoder(threads);
  const std::string text = prompt(tokens);
  const auto ids = enc.token_ids(text);
  if (int(ids.size()) != std::min(tokens, enc.max_tokens())) {
    state.SkipWithError("the vocabulary does not have the benchmark's words");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(enc.embed_ids(ids));  // encode() would hit its cache
  state.counters["tokens"] = double(ids.size());
}
BENCHMARK(BM_Encode)
    ->ArgNames({"tokens", "threads"})
    ->ArgsProduct({{8, 32, 128, 512}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<fs::path> tmp;
  if (const char* d = std::getenv("STICKGEN_BERT_DIR"); d && *d) {
    g_dir = d;
  } else {
    g_dir = fs::temp_directory_path() / "stickgen-bench-tiny-bert";
    const std::string cmd = std::string("/usr/bin/python3 ") + STICKGEN_SOURCE_DIR +
                            "/scripts/bert_reference.py make --preset tiny --out " + g_dir.string();
    if (!fs::exists(g_dir / "model.safetensors") && std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "bench_bert: could not write the tiny model (%s)\n", cmd.c_str());
      return 1;
    }
  }
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto& enc = encoder(1);
  const auto t1 = Clock::now();
  enc.embed_ids(enc.token_ids(prompt(8)));
  const auto t2 = Clock::now();
  auto ms = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  const auto& c = enc.config();
  std::printf("{\"model\": \"%s\", \"layers\": %d, \"hidden\": %d, \"open_ms\": %.1f, \"cold_first_encode_ms\": %.1f}\n",
              enc.name().c_str(), c.num_layers, c.hidden_size, ms(t0, t1), ms(t1, t2));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
