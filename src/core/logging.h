#pragma once

// Logging goes through spdlog; this header fixes the one place where its format is chosen.
#include <spdlog/spdlog.h>

namespace mlserving {

/// Sets the process-wide log format and level ("debug", "info", "warn", "error").
void InitLogging(const std::string& level, bool json);

}  // namespace mlserving
