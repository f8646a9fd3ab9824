// A fixed team of threads for the runtime's parallel regions. run(f) calls f(index, count) once
// on every thread of the team (the caller is index 0) and returns when all are done. Nothing is
// allocated per call: the callable is passed by reference, workers spin briefly and then sleep on
// a futex between regions — a decode step has ~30 regions of a few microseconds each.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace stickgen::runtime {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  template <class F>
  void run(F&& f) {
    if (size_ == 1) {
      f(0, 1);
      return;
    }
    dispatch([](void* ctx, int i, int n) { (*static_cast<std::remove_reference_t<F>*>(ctx))(i, n); },
             const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  using Task = void (*)(void* ctx, int index, int count);
  void dispatch(Task task, void* ctx);
  void worker(int index);

  int size_;
  std::vector<std::thread> threads_;
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  std::atomic<uint32_t> generation_{0};  // a futex word: bumped once per region
  static_assert(sizeof(std::atomic<uint32_t>) == 4 && std::atomic<uint32_t>::is_always_lock_free);
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};  // workers asleep (or about to sleep) on generation_
  std::atomic<bool> stop_{false};
};

// The share [begin, end) of `total` items for thread `index` of `count`, in multiples of `align`.
inline void split_range(int total, int index, int count, int align, int& begin, int& end) {
  const int blocks = (total + align - 1) / align;
  begin = std::min(total, int(int64_t(blocks) * index / count) * align);
  end = std::min(total, int(int64_t(blocks) * (index + 1) / count) * align);
}

}  // namespace stickgen::runtime
