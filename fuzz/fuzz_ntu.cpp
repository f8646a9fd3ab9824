// libFuzzer: the NTU RGB+D .skeleton parser, body tracking and the conversion pipeline.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stickgen/convert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace stickgen;
  try {
    convert::parse_ntu_skeleton(text, "fuzz.skeleton");
    ConvertOptions opts;
    const convert::Take take = convert::ntu_take(text, "/nonexistent-stickgen-fuzz/S001C001P001R001A058.skeleton", opts, 2);
    for (const auto& clip : convert::take_to_clips(take, opts)) clip.clip.check_shapes();
  } catch (const Error&) {
  }
  return 0;
}
