#include "runtime/thread_pool.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "stickgen/common.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SG_PAUSE() _mm_pause()
#else
#define SG_PAUSE() ((void)0)
#endif

namespace stickgen::runtime {
namespace {
constexpr int kSpins = 20000;  // ~tens of microseconds: longer than the gap between two regions

// Raw futex on the generation counter (libstdc++ 12's atomic::wait can miss a wake-up).
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
void futex_wake_all(std::atomic<uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}
}  // namespace

ThreadPool::ThreadPool(int threads) : size_(std::max(1, threads)) {
  if (threads < 1 || threads > 256) throw Error("threads: expected 1..256, got " + std::to_string(threads));
  for (int i = 1; i < size_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  futex_wake_all(generation_);
  for (auto& t : threads_) t.join();
}

void ThreadPool::dispatch(Task task, void* ctx) {
  task_ = task;
  ctx_ = ctx;
  pending_.store(size_ - 1, std::memory_order_relaxed);
  // Dekker pair with worker(): either a sleeper sees the new generation, or we see the sleeper.
  generation_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) futex_wake_all(generation_);
  task(ctx, 0, size_);
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpins) SG_PAUSE();
    else std::this_thread::yield();
  }
}

void ThreadPool::worker(int index) {
  uint32_t seen = 0;  // the value at construction: a region may be dispatched before this thread runs
  for (;;) {
    uint32_t now = generation_.load(std::memory_order_acquire);
    for (int spin = 0; now == seen && spin < kSpins; ++spin) {
      SG_PAUSE();
      now = generation_.load(std::memory_order_acquire);
    }
    while (now == seen) {
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      if (generation_.load(std::memory_order_seq_cst) == seen) futex_wait(generation_, seen);
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      now = generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stop_.load(std::memory_order_acquire)) return;
    task_(ctx_, index, size_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace stickgen::runtime
