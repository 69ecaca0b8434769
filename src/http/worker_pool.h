// A fixed pool of std::threads running handler work (crypto, database) off the I/O threads.
// submit() refuses work when the queue already holds `max_queue` tasks (the caller answers
// 503). stop() runs the queued tasks, then joins; submit() after stop() refuses.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hpki::http {

class WorkerPool {
 public:
  // `name`: the threads' name (ps -L, top -H).
  WorkerPool(std::size_t threads, std::size_t max_queue, std::string name = "hpki-work");
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  [[nodiscard]] bool submit(std::function<void()> task);
  [[nodiscard]] std::size_t queue_depth() const;
  [[nodiscard]] std::size_t busy() const;
  void stop();

 private:
  void run();

  std::size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hpki::http
