#pragma once

#include <cstdint>
#include <functional>

namespace mlserving::kernels {

/// Runs fn(0) … fn(tasks - 1), each exactly once, on up to `threads` threads: the calling thread
/// and helpers from one process-wide pool (std::thread::hardware_concurrency() - 1 workers,
/// started on first use). Tasks are claimed dynamically, so the caller keeps working while
/// helpers wake up, and runs everything itself when none is free. Returns when every task ran.
/// `fn` must be safe to call concurrently for different indices. For our own kernels; oneDNN
/// kernels parallelise through OpenMP instead.
void ParallelFor(int64_t tasks, int threads, const std::function<void(int64_t)>& fn);

}  // namespace mlserving::kernels
