// libFuzzer: .npy arrays, .npz (zip, stored and deflated entries) and joint arrays through the pipeline.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "stickgen/convert.hpp"

namespace {

// A [T, J>=16, 3] array as a one-actor take (joints 0..15 in order; the mapping is not under test).
void through_pipeline(const stickgen::convert::NpyArray& a) {
  using namespace stickgen;
  if (a.shape.size() != 3 || a.shape[2] != 3 || a.shape[1] < 16 || a.shape[0] < 1 || a.shape[0] > 2000) return;
  convert::Take take;
  take.fps = 20.f;
  take.frames = static_cast<int>(a.shape[0]);
  take.actors = 1;
  take.id = "fuzz";
  take.joints.resize(static_cast<size_t>(take.frames) * v3::kJointCount);
  take.present.assign(static_cast<size_t>(take.frames), 1);
  for (int t = 0; t < take.frames; ++t)
    for (int j = 0; j < v3::kJointCount; ++j) {
      const float* p = a.data.data() + (static_cast<size_t>(t) * a.shape[1] + j) * 3;
      take.at(t, 0, j) = {p[0], p[1], p[2]};
    }
  ConvertOptions opts;
  opts.window_seconds = 2.f;
  for (const auto& clip : convert::take_to_clips(take, opts)) clip.clip.check_shapes();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stickgen;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    through_pipeline(convert::parse_npy(bytes, "fuzz.npy"));
  } catch (const Error&) {
  }
  try {
    convert::ZipReader zip(bytes, "fuzz.npz");
    for (const std::string& name : zip.names()) {
      try {
        through_pipeline(convert::parse_npy(zip.read(name), name));
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
