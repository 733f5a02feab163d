#include "kernels/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace mlserving::kernels {
namespace {

/// One pause of a spin-wait loop (lets the sibling hyperthread run, saves power).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

/// Spins until `ready()` or until `budget` has passed; returns ready(). The clock is read every
/// 64 pauses (a pause is tens of ns, a clock read about as much).
template <typename Ready>
bool SpinUntil(Ready&& ready, std::chrono::nanoseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

/// What a caller and its helpers share. Helpers hold it by shared_ptr, so one that takes it after
/// every task was claimed finds none left and touches nothing else (`fn` lives on the caller's
/// stack and is only dereferenced for a claimed task, before the caller can return).
struct Job {
  int64_t tasks = 0;
  const std::function<void(int64_t)>* fn = nullptr;
  std::atomic<int64_t> next{0};  ///< the next unclaimed task
  std::atomic<int64_t> done{0};  ///< tasks finished or skipped
  std::mutex mutex;              ///< guards `error` and the caller's blocking wait
  std::condition_variable finished;
  std::exception_ptr error;  ///< the first exception a task threw

  /// Claims and runs tasks until none is left. A task that throws records the exception and
  /// skips every task not yet claimed.
  void Work() {
    for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < tasks;
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      int64_t finished_now = 1;
      try {
        (*fn)(i);
      } catch (...) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (!error) error = std::current_exception();
        }
        finished_now += std::max<int64_t>(0, tasks - next.exchange(tasks, std::memory_order_relaxed));
      }
      if (done.fetch_add(finished_now, std::memory_order_acq_rel) + finished_now == tasks) {
        std::lock_guard<std::mutex> lock(mutex);
        finished.notify_all();
      }
    }
  }

  bool Finished() const { return done.load(std::memory_order_acquire) == tasks; }
};

/// The process-wide helpers: std::thread::hardware_concurrency() - 1 threads (at least one),
/// started on first use. A helper that runs out of work spins for kSpin, watching `published_`,
/// before it sleeps on the condition variable; a caller publishing a job while helpers spin
/// makes no system call, and it notifies only when some helper sleeps. Idle, the helpers sleep:
/// a process that stops calling ParallelFor burns no CPU after kSpin.
class HelperPool {
 public:
  /// How long a helper keeps looking for work after its last job: longer than the gap between
  /// two parallel ops of one request (so a model's next op finds it awake), short enough to
  /// cost nothing measurable when the process goes idle.
  static constexpr std::chrono::microseconds kSpin{50};

  /// The pool, never destroyed: joining helpers during static destruction would run their
  /// thread-local state's destructors (oneDNN memory objects of the MatMul kernel) after the
  /// statics those refer to may be gone. At exit the helpers sleep and the process ends them.
  static HelperPool& Get() {
    static HelperPool* const pool = new HelperPool([] {
      const unsigned cores = std::thread::hardware_concurrency();  // 0 when unknown
      return cores > 1 ? cores - 1 : 1u;
    }());
    return *pool;
  }

  explicit HelperPool(unsigned helpers) {
    threads_.reserve(helpers);
    for (unsigned i = 0; i < helpers; ++i) threads_.emplace_back([this] { Loop(); });
  }

  /// Stops and joins the helpers (for a pool other than Get()'s).
  ~HelperPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  int64_t size() const { return static_cast<int64_t>(threads_.size()); }

  /// Offers `job` to `helpers` helpers.
  void Publish(const std::shared_ptr<Job>& job, int64_t helpers) {
    bool notify = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back({job, helpers});
      published_.fetch_add(1, std::memory_order_release);
      notify = sleeping_ > 0;
    }
    if (notify) {
      if (helpers == 1) {
        wake_.notify_one();
      } else {
        wake_.notify_all();
      }
    }
  }

  /// Takes `job` off the queue when helpers have not claimed it yet (its caller claimed every
  /// task itself): a sleeping helper is then not woken for nothing.
  void Withdraw(const std::shared_ptr<Job>& job) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->job == job) {
        queue_.erase(it);
        return;
      }
    }
  }

 private:
  struct Offer {
    std::shared_ptr<Job> job;
    int64_t helpers = 0;  ///< helpers still wanted
  };

  /// The job at the head of the queue, claimed for one helper; null when the queue is empty.
  std::shared_ptr<Job> TakeLocked() {
    while (!queue_.empty()) {
      Offer& offer = queue_.front();
      std::shared_ptr<Job> job = offer.job;
      if (--offer.helpers <= 0) queue_.pop_front();
      if (job->next.load(std::memory_order_relaxed) < job->tasks) return job;
    }
    return nullptr;
  }

  void Loop() {
    uint64_t seen = published_.load(std::memory_order_acquire);
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        job = TakeLocked();
      }
      if (job) {
        job->Work();
        continue;
      }
      // Nothing queued: spin for a while on the publication counter, then sleep.
      if (SpinUntil([&] { return published_.load(std::memory_order_acquire) != seen; }, kSpin)) {
        seen = published_.load(std::memory_order_acquire);
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleeping_;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --sleeping_;
      seen = published_.load(std::memory_order_acquire);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Offer> queue_;             ///< guarded by mutex_
  int sleeping_ = 0;                    ///< helpers blocked on wake_; guarded by mutex_
  bool stopping_ = false;               ///< guarded by mutex_
  std::atomic<uint64_t> published_{0};  ///< bumped by every Publish (what spinning helpers watch)
  std::vector<std::thread> threads_;
};

}  // namespace

void ParallelFor(int64_t tasks, int threads, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  HelperPool& pool = HelperPool::Get();
  const int64_t helpers = std::min<int64_t>({static_cast<int64_t>(threads) - 1, tasks - 1, pool.size()});
  if (helpers <= 0) {
    for (int64_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->tasks = tasks;
  job->fn = &fn;
  pool.Publish(job, helpers);
  job->Work();
  pool.Withdraw(job);
  // Tasks still running on helpers: they are short (a kernel's row blocks), so spin first.
  if (!SpinUntil([&] { return job->Finished(); }, HelperPool::kSpin)) {
    std::unique_lock<std::mutex> lock(job->mutex);
    job->finished.wait(lock, [&] { return job->Finished(); });
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace mlserving::kernels
