// A progress bar for long work: rate and ETA on a terminal (stderr), silent in pipes unless forced.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace stickgen {

class Progress {
 public:
  // `total` 0 = unknown; `unit` names what is counted ("clips", "steps").
  Progress(std::string label, int64_t total, std::string unit = "it", bool force = false);
  ~Progress();  // finishes the line if still open
  void advance(int64_t n = 1);
  void set(int64_t done);
  void set_status(std::string status);  // shown after the bar, e.g. "loss 0.123"
  void finish();
  bool enabled() const { return enabled_; }
  double elapsed_seconds() const;
  int64_t done() const { return done_; }

  // STICKGEN_PROGRESS=1 forces bars on, =0 off; otherwise on only when stderr is a terminal.
  static bool stderr_is_interactive();

 private:
  void draw(bool final);
  std::string label_, unit_, status_;
  int64_t total_, done_ = 0;
  bool enabled_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace stickgen
