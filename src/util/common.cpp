#include "stickgen/common.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

namespace stickgen {
namespace fs = std::filesystem;

namespace {
std::string unique_suffix() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  return ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + std::to_string(rd() % 100000);
}
}  // namespace

std::string one_line(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
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

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)) {
  temp_ = path_;
  temp_ += unique_suffix();
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void AtomicFile::commit() {
  if (fs::is_regular_file(temp_)) {
    int fd = ::open(temp_.c_str(), O_RDONLY);
    if (fd >= 0) {
      // Writers that create their temporary file privately (0600) still deliver an ordinary file:
      // the permissions a plain create would have given (0666 minus the umask).
      static const mode_t mask = [] {
        const mode_t m = ::umask(0);
        ::umask(m);
        return m;
      }();
      ::fchmod(fd, 0666 & ~mask);
      ::fsync(fd);
      ::close(fd);
    }
  }
  std::error_code ec;
  fs::rename(temp_, path_, ec);
  if (ec) throw Error(path_.string() + ": cannot write (" + ec.message() + ")");
  committed_ = true;
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path.string() + ": cannot create (" + std::strerror(errno) + ")");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw Error(path.string() + ": write failed (" + std::strerror(errno) + ")");
  }
  file.commit();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read failed");
  return ss.str();
}

std::string extension_of(const fs::path& path) {
  std::string ext = path.extension().string();
  if (!ext.empty() && ext[0] == '.') ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace stickgen
