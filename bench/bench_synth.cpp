// Procedural engine throughput: 250-frame (10 s) clips per second on one thread.
// Counters: clips_per_s. The baseline in the same run is the bare cost of a clip container
// (Clip::make + compute_physics), so the ratio says what synthesis adds on top of writing a clip.
#include <benchmark/benchmark.h>

#include "stickgen/synth.hpp"

namespace {

using namespace stickgen;

Plan walk_plan() {
  Plan p;
  p.duration = 10.f;
  ActorPlan a;
  ActionSegment s;
  s.action = act::walk;
  s.end = 10.f;
  a.timeline.push_back(s);
  p.actors.push_back(a);
  return p;
}

// A mixed scene per iteration: 1-3 actors, 1-4 actions each, drawn from the seed (like the corpus).
Plan mixed_plan(uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  auto next = [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  Plan p;
  p.duration = 10.f;
  const int actors = 1 + static_cast<int>(next() % 3);
  for (int a = 0; a < actors; ++a) {
    ActorPlan ap;
    ap.start_x = -3.f + 3.f * a;
    const int n = 1 + static_cast<int>(next() % 4);
    for (int i = 0; i < n; ++i) {
      ActionSegment s;
      s.action = static_cast<int>(next() % kNumActions);
      s.start = 10.f * i / n;
      s.end = 10.f * (i + 1) / n;
      s.target_actor = actors > 1 ? (a + 1) % actors : -1;
      ap.timeline.push_back(s);
    }
    p.actors.push_back(ap);
  }
  return p;
}

void BM_BaselineClipContainer(benchmark::State& state) {
  for (auto _ : state) {
    Clip c = Clip::make(SkeletonFormat::v3, 250, 1);
    compute_physics(c);
    benchmark::DoNotOptimize(c.physics.data());
  }
  state.counters["clips_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BaselineClipContainer);

void BM_SynthWalk10s(benchmark::State& state) {
  const Plan p = walk_plan();
  SynthOptions o;
  for (auto _ : state) {
    Clip c = synthesize(p, o);
    benchmark::DoNotOptimize(c.motion.data());
  }
  state.counters["clips_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SynthWalk10s);

void BM_SynthEveryAction10s(benchmark::State& state) {
  std::vector<Plan> plans;
  for (int id = 0; id < kNumActions; ++id) {
    Plan p = single_action_plan({.action = id, .seconds = 10.f});
    plans.push_back(p);
  }
  size_t i = 0;
  SynthOptions o;
  for (auto _ : state) {
    o.seed = i;
    Clip c = synthesize(plans[i++ % plans.size()], o);
    benchmark::DoNotOptimize(c.motion.data());
  }
  state.counters["clips_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SynthEveryAction10s);

void BM_SynthMixedScenes10s(benchmark::State& state) {
  uint64_t seed = 1;
  SynthOptions o;
  for (auto _ : state) {
    state.PauseTiming();
    const Plan p = mixed_plan(seed);
    o.seed = seed++;
    state.ResumeTiming();
    Clip c = synthesize(p, o);
    benchmark::DoNotOptimize(c.motion.data());
  }
  state.counters["clips_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SynthMixedScenes10s);

}  // namespace

BENCHMARK_MAIN();
