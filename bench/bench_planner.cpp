// Planner latency. Before the benchmarks, the cold path is timed once in this fresh process: the first
// plan_prompt call pays for opening WordNet (memory-mapping the database, reading the exception lists and
// resolving the seed senses) and for the first open-vocabulary searches. Then warm latency per prompt kind,
// each relative to the one-word baseline measured in the same run.
//
//   bench_planner [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "stickgen/planner.hpp"

namespace {

const char* kSimple = "a person walks";
const char* kRoundTrip = "a person walks slowly to the left for 3 seconds, then waves happily";
const char* kMulti = "Alice and Bob walk toward each other and hug while a robot claps twice, then they all dance";
const char* kOpen = "a woman sashays, then lumbers, guzzles soda and jitterbugs";  // WordNet words (cached when warm)

std::string big_prompt() {
  std::string s;
  while (s.size() < 10 * 1024) s += "the man walks to the left and then he jumps twice, ";
  return s;
}

void run(benchmark::State& state, const std::string& prompt) {
  for (auto _ : state) {
    auto plan = stickgen::plan_prompt(prompt);
    benchmark::DoNotOptimize(plan);
  }
}

void BM_Simple(benchmark::State& s) { run(s, kSimple); }
void BM_RoundTripSentence(benchmark::State& s) { run(s, kRoundTrip); }
void BM_ThreeActors(benchmark::State& s) { run(s, kMulti); }
void BM_OpenVocabulary(benchmark::State& s) { run(s, kOpen); }
void BM_Hostile10kB(benchmark::State& s) { run(s, big_prompt()); }
BENCHMARK(BM_Simple)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RoundTripSentence)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ThreeActors)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OpenVocabulary)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Hostile10kB)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  auto t0 = Clock::now();
  auto plan = stickgen::plan_prompt(kOpen);  // cold: lexicon + WordNet open + uncached searches
  auto t1 = Clock::now();
  auto again = stickgen::plan_prompt(kOpen);  // same prompt, now warm
  auto t2 = Clock::now();
  std::printf("{\"cold_first_call_ms\": %.3f, \"warm_same_prompt_ms\": %.4f, \"wordnet\": %s, \"actors\": %zu}\n",
              ms(t0, t1), ms(t1, t2), stickgen::lexicon_status().wordnet ? "true" : "false", plan.actors.size() + 0 * again.actors.size());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
