#include "test_util.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sys/wait.h>

namespace stickgen::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("stickgen-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run_command(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

static std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// The build tree's binaries when the environment does not name them (a test run outside ctest):
// test programs live in <build>/tests, the tools in <build>.
static std::string build_tool(const char* env, const char* name) {
  std::string v = env_or(env, "");
  if (!v.empty()) return v;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& dir : {self.parent_path().parent_path(), self.parent_path().parent_path().parent_path()})
      if (fs::exists(dir / name)) return (dir / name).string();
  }
  return "";
}

std::string stickgen_bin() { return build_tool("STICKGEN_BIN", "stickgen"); }
std::string stickgen_train_bin() { return build_tool("STICKGEN_TRAIN_BIN", "stickgen-train"); }

CommandResult run_stickgen(const std::string& args) {
  return run_command(shell_quote(stickgen_bin()) + " " + args);
}

CommandResult run_stickgen_train(const std::string& args) {
  std::string bin = stickgen_train_bin();
  if (bin.empty()) return {};
  return run_command(shell_quote(bin) + " " + args);
}

fs::path source_dir() { return env_or("STICKGEN_SOURCE_DIR", STICKGEN_SOURCE_DIR); }

std::string python() { return env_or("STICKGEN_PYTHON", "/usr/bin/python3"); }

void add_single_action_clip(DatasetWriter& writer, const SingleAction& action, uint64_t seed, const std::string& id,
                            const std::string& split) {
  SynthOptions opts;
  opts.format = SkeletonFormat::v1;
  opts.seed = seed;
  ClipRecord rec;
  rec.id = id;
  rec.description = "a person " + std::string(action_name(action.action));
  rec.source = "synthetic";
  rec.split = split;
  writer.add(synthesize_action(action, opts), rec);
}

}  // namespace stickgen::test
