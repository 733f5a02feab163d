#include "kernels/parallel_for.h"

#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mlserving::kernels {
namespace {

TEST(ParallelForTest, RunsEveryTaskExactlyOnceWhateverTheThreads) {
  for (int threads : {1, 2, 4, 16}) {
    for (int64_t tasks : {0, 1, 3, 100}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
      ParallelFor(tasks, threads, [&](int64_t i) { runs[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < tasks; ++i) EXPECT_EQ(runs[static_cast<size_t>(i)].load(), 1) << threads << " " << i;
    }
  }
}

TEST(ParallelForTest, ConcurrentCallersEachGetTheirOwnTasks) {
  std::vector<std::thread> callers;
  std::vector<int64_t> sums(8, 0);
  for (size_t c = 0; c < sums.size(); ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 50; ++round) {
        std::vector<int64_t> out(64, 0);
        ParallelFor(64, 4, [&](int64_t i) { out[static_cast<size_t>(i)] = i * static_cast<int64_t>(c + 1); });
        for (int64_t v : out) sums[c] += v;
      }
    });
  }
  for (auto& t : callers) t.join();
  for (size_t c = 0; c < sums.size(); ++c) EXPECT_EQ(sums[c], 50 * 2016 * static_cast<int64_t>(c + 1));
}

TEST(ParallelForTest, ConcurrentCallersWithDifferentThreadCountsAndTinyJobs) {
  // Many short jobs back to back from several callers: the path where helpers spin between
  // jobs and pick up the next one without sleeping.
  std::vector<std::thread> callers;
  std::vector<int64_t> sums(6, 0);
  for (size_t c = 0; c < sums.size(); ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 2000; ++round) {
        const int64_t tasks = 1 + (round + static_cast<int>(c)) % 7;
        std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
        ParallelFor(tasks, 1 + static_cast<int>(c % 3), [&](int64_t i) { runs[static_cast<size_t>(i)].fetch_add(1); });
        for (auto& r : runs) sums[c] += r.load();
      }
    });
  }
  for (auto& t : callers) t.join();
  for (size_t c = 0; c < sums.size(); ++c) {
    int64_t expected = 0;
    for (int round = 0; round < 2000; ++round) expected += 1 + (round + static_cast<int>(c)) % 7;
    EXPECT_EQ(sums[c], expected) << "caller " << c;
  }
}

TEST(ParallelForTest, NestedCallsFromATaskComplete) {
  std::atomic<int64_t> total{0};
  ParallelFor(4, 4, [&](int64_t i) { ParallelFor(8, 4, [&](int64_t j) { total.fetch_add(i * 8 + j); }); });
  EXPECT_EQ(total.load(), 31 * 32 / 2);
}

TEST(ParallelForTest, ATaskThatThrowsSkipsTheRestAndRethrowsInTheCaller) {
  for (int threads : {1, 2, 4}) {
    for (int64_t thrower : {0, 5, 99}) {
      std::atomic<int> ran{0};
      std::vector<std::atomic<int>> runs(100);
      try {
        ParallelFor(100, threads, [&](int64_t i) {
          if (i == thrower) throw std::runtime_error("task " + std::to_string(i));
          runs[static_cast<size_t>(i)].fetch_add(1);
          ran.fetch_add(1);
        });
        ADD_FAILURE() << "no exception";
      } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "task " + std::to_string(thrower));
      }
      // ParallelFor returned only after every task that started finished: none runs later.
      const int after = ran.load();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      EXPECT_EQ(ran.load(), after);
      for (const auto& r : runs) EXPECT_LE(r.load(), 1);
      EXPECT_EQ(runs[static_cast<size_t>(thrower)].load(), 0);
    }
  }
  // The pool still works afterwards.
  std::atomic<int> count{0};
  ParallelFor(64, 4, [&](int64_t) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 64);
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(ParallelForTest, IdleHelpersBurnNoCpu) {
  // Wake every helper, then go idle: their spin is bounded (tens of µs), after which they
  // sleep, so 200 ms of idleness costs well under the 200 ms a spinning helper would burn.
  std::atomic<int> count{0};
  ParallelFor(1000, 64, [&](int64_t) { count.fetch_add(1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the spin
  const double before = ProcessCpuSeconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LT(ProcessCpuSeconds() - before, 0.02);
}

}  // namespace
}  // namespace mlserving::kernels
