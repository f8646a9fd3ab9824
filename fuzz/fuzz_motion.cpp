// libFuzzer target: the .motion reader must turn any byte string into a Clip or a one-line
// stickgen::Error — never a crash, UB, a hang or an allocation out of proportion to the input.
// Whatever it accepts must survive our writer and read back identical (the round-trip oracle).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "stickgen/motion_file.hpp"

namespace {
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_motion: %s\n", what);
  std::abort();
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  stickgen::Clip clip;
  try {
    clip = stickgen::parse_motion_json(text, "fuzz.motion");
  } catch (const stickgen::Error& e) {
    if (std::strchr(e.what(), '\n')) die("multi-line error");
    return 0;
  }
  clip.check_shapes();
  const std::string again = stickgen::motion_to_json(clip, size % 2 == 0);
  stickgen::Clip back;
  try {
    back = stickgen::parse_motion_json(again, "fuzz-roundtrip.motion");
  } catch (const stickgen::Error&) {
    die("our own output did not parse");
  }
  if (back.format != clip.format || back.frames != clip.frames || back.actors != clip.actors || back.fps != clip.fps ||
      !same_bits(back.motion, clip.motion) || !same_bits(back.physics, clip.physics) ||
      !same_bits(back.camera, clip.camera) || back.actions != clip.actions || back.actor_mask != clip.actor_mask ||
      back.id != clip.id || back.source != clip.source || back.metadata != clip.metadata)
    die("round trip changed the clip");
  return 0;
}
