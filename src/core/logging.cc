#include "core/logging.h"

namespace mlserving {

void InitLogging(const std::string& level, bool json) {
  spdlog::set_level(spdlog::level::from_str(level));
  if (json) {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":%v})");
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
}

}  // namespace mlserving
