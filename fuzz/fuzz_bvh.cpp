// libFuzzer: the BVH parser, joint mapping, forward kinematics and the whole conversion pipeline.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stickgen/convert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace stickgen;
  try {
    const convert::BvhFile bvh = convert::parse_bvh(text, "fuzz.bvh");
    std::vector<convert::Vec3> world;
    convert::bvh_forward_kinematics(bvh, -1, world);
    if (bvh.frames > 0) convert::bvh_forward_kinematics(bvh, bvh.frames - 1, world);
    ConvertOptions opts;
    opts.window_seconds = 4.f;
    // A path in a directory that does not exist: no companion files are read.
    const convert::Take take = convert::bvh_take(text, "/nonexistent-stickgen-fuzz/01_01.bvh", opts);
    for (const auto& clip : convert::take_to_clips(take, opts)) clip.clip.check_shapes();
  } catch (const Error&) {
  }
  return 0;
}
