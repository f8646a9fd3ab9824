// Internal to src/io: errors are one line even when they quote names read from a file.
#pragma once

#include <string>
#include <string_view>

namespace stickgen::io {

// Escapes control characters (newlines, tabs, ...) as \n, \t or \xNN.
inline std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  static const char* hex = "0123456789abcdef";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) (out += "\\x") += std::string{hex[u >> 4], hex[u & 15]};
    else out += c;
  }
  return out;
}

}  // namespace stickgen::io
