// Shared vocabulary of every module: the error type and atomic file output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace stickgen {

// Escapes control characters (newlines, tabs, ...) as \n, \t or \xNN; idempotent.
std::string one_line(std::string_view s);

// Every user-facing failure is one line naming the file, field or flag and what was expected. The
// message is passed through one_line, so names quoted from a file cannot break it over lines.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(one_line(message)) {}
};

// A file that appears at `path` only when commit() succeeds: writes go to a temporary sibling
// which is renamed over the target, so a crash or an exception never leaves half a file behind.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& path() const { return path_; }
  void commit();  // fsync + rename; throws Error on failure

 private:
  std::filesystem::path path_, temp_;
  bool committed_ = false;
};

// Writes `bytes` to `path` atomically.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);
// Reads a whole file; throws Error("<path>: ...") when it cannot.
std::string read_file(const std::filesystem::path& path);

// Lower-case extension without the dot ("gif" for "a/b.GIF").
std::string extension_of(const std::filesystem::path& path);

}  // namespace stickgen
