// The .motion JSON file (SPEC §5), strict reader and writer; multi-actor data as an additive
// extension that old readers ignore (they keep seeing actor 0 in "motion").
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "stickgen/motion.hpp"

namespace stickgen {

// Parses .motion JSON text. `origin` names the source in error messages ("clip.motion").
// Errors are one line naming the field: "clip.motion: skeleton.input_dim: expected 20 or 48, got 7".
Clip parse_motion_json(std::string_view text, std::string_view origin = "<motion>");
std::string motion_to_json(const Clip& clip, bool pretty = false);

Clip read_motion_file(const std::filesystem::path& path);
void write_motion_file(const std::filesystem::path& path, const Clip& clip);  // atomic

}  // namespace stickgen
