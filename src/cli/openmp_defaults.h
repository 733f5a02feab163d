#pragma once

namespace mlserving::cli {

/// Makes idle OpenMP threads spin only briefly before they sleep, unless the user chose a wait
/// policy: when neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, sets GOMP_SPINCOUNT=1000 (libgomp's
/// default is 300000) and re-executes
/// this program (/proc/self/exe, same arguments) so that libgomp, which reads its environment once
/// while the program loads, sees it. Call first thing in main(), before any thread exists. Returns
/// when nothing needs doing, or when the re-execution failed (libgomp's defaults then stay).
void ApplyOpenMpWaitPolicy(char** argv);

}  // namespace mlserving::cli
