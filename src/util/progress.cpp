#include "stickgen/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace stickgen {

bool Progress::stderr_is_interactive() {
  if (const char* force = std::getenv("STICKGEN_PROGRESS")) return force[0] == '1';
  return ::isatty(2) != 0;
}

Progress::Progress(std::string label, int64_t total, std::string unit, bool force)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      enabled_(force || stderr_is_interactive()), start_(std::chrono::steady_clock::now()), last_draw_() {}

Progress::~Progress() { finish(); }

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(int64_t n) { set(done_ + n); }

void Progress::set(int64_t done) {
  done_ = done;
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && (total_ == 0 || done_ < total_)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::set_status(std::string status) { status_ = std::move(status); }

static std::string clock_text(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "--:--";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  return buf;
}

void Progress::draw(bool final) {
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  char line[512];
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    const int width = 24, filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    const double eta = rate > 0 ? (total_ - done_) / rate : -1;
    const std::string when = final ? "in " + clock_text(elapsed) : clock_text(eta) + " left";
    std::snprintf(line, sizeof line, "\r%s [%s] %3.0f%% %lld/%lld %s, %.1f %s/s, %s%s%s\x1b[K", label_.c_str(),
                  bar.c_str(), 100 * frac, static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(),
                  rate, unit_.c_str(), when.c_str(),
                  status_.empty() ? "" : ", ", status_.c_str());
  } else {
    std::snprintf(line, sizeof line, "\r%s %lld %s, %.1f %s/s, %s%s%s\x1b[K", label_.c_str(),
                  static_cast<long long>(done_), unit_.c_str(), rate, unit_.c_str(), clock_text(elapsed).c_str(),
                  status_.empty() ? "" : ", ", status_.c_str());
  }
  std::fputs(line, stderr);
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

}  // namespace stickgen
