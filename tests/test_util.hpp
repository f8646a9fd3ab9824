// Helpers shared by the test programs: scratch directories and running the command-line tools.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "stickgen/dataset.hpp"
#include "stickgen/synth.hpp"

namespace stickgen::test {

// A fresh directory under the build's temp area, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing its output.
CommandResult run_command(const std::string& command_line);
// Runs `stickgen <args>` (the binary from $STICKGEN_BIN).
CommandResult run_stickgen(const std::string& args);
// Runs `stickgen-train <args>` ($STICKGEN_TRAIN_BIN); exit_code -1 when it is not built.
CommandResult run_stickgen_train(const std::string& args);
// Paths of the built tools ($STICKGEN_BIN / $STICKGEN_TRAIN_BIN, else found beside the test
// program in the build tree; "" when absent).
std::string stickgen_bin();
std::string stickgen_train_bin();
// Single-quotes a string for the shell.
std::string shell_quote(const std::string& s);
// $STICKGEN_SOURCE_DIR (the repository root).
std::filesystem::path source_dir();
// $STICKGEN_PYTHON or /usr/bin/python3.
std::string python();

// Synthesises `action` (v1, `seed`) and adds it to `writer` as a labelled synthetic clip described
// as "a person <action name>", with the given id and split.
void add_single_action_clip(DatasetWriter& writer, const SingleAction& action, uint64_t seed, const std::string& id,
                            const std::string& split);

}  // namespace stickgen::test
