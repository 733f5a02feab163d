// Why: oneDNN (Debian's build) runs its parallel regions on GNU OpenMP, whose threads by default
// spin for ~300k iterations at each barrier before sleeping. When the CPUs are busy — other
// requests, other processes, more runnable threads than cores — a spinning thread burns the time
// slice the thread it waits for needs, and every parallel op then costs whole scheduler slices:
// measured on 2 loaded cores, a bare 2-thread parallel region averaged 2 ms instead of 0.04 ms, and
// mlp batch 64 at 2 threads had a p99 of 30-50 ms instead of 0.2 ms (docs/ARCHITECTURE.md,
// "Threads"). A short spin removes the collapse and keeps most of the spinning's benefit on an
// idle machine, where back-to-back parallel regions find their threads still awake: with
// GOMP_SPINCOUNT=1000 (a few µs) ResNet-18 at 2 threads ran 11.5 ms on an idle machine (passive
// waiting: 16.2 ms, the default spin: 12.8 ms) and 31 ms beside three CPU hogs (passive: 40 ms).
//
// How: libgomp parses its environment once, in its library constructor, before main() runs, and
// offers no call to change the wait policy afterwards. Setting the variable from the executable's
// .preinit_array does not work either: libc's own initialisation, which runs after it, resets
// `environ` to the original block. Re-executing the program with the variable set is the reliable
// way; it costs one exec() at start-up.
#include "cli/openmp_defaults.h"

#include <unistd.h>

#include <cstdlib>

namespace mlserving::cli {
namespace {

/// libgomp's spin iterations before a waiting thread sleeps (its default is 300000).
constexpr const char* kSpinCount = "1000";

}  // namespace

void ApplyOpenMpWaitPolicy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (setenv("GOMP_SPINCOUNT", kSpinCount, /*overwrite=*/0) != 0) return;
  execv("/proc/self/exe", argv);
  // Only reached when exec failed (no /proc): carry on with the spinning default.
}

}  // namespace mlserving::cli
