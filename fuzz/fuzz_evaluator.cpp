// libFuzzer target: evaluator files (include/stickgen/evaluator.hpp). Any byte string must load as
// an Evaluator or fail with a one-line stickgen::Error — never a crash, UB or a hang; whatever loads
// must run its forward pass on a short track and give finite or at least well-formed outputs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "stickgen/evaluator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stickgen;
  try {
    const Evaluator ev = Evaluator::from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    const EvaluatorConfig& c = ev.config();
    const int frames = c.min_frames;
    std::vector<float> track(static_cast<size_t>(frames) * kEvaluatorChannels, 0.5f);
    std::vector<float> logits(c.num_classes), features(c.feature_dim());
    ev.forward(track.data(), frames, logits.data(), features.data());
    for (float f : features)
      if (f < 0.f) {  // features are means of ReLU outputs
        std::fprintf(stderr, "fuzz_evaluator: negative feature\n");
        std::abort();
      }
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.find('\n') != std::string::npos) {
      std::fprintf(stderr, "fuzz_evaluator: multi-line error\n");
      std::abort();
    }
  }
  return 0;
}
