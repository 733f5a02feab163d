// Fuzzes the native JSON request decoder and the response encoder against a signature that
// exercises every path: numeric, string and boolean inputs, fixed and dynamic dims, and an
// input accepted one key per column.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/codecs/json_tensor_codec.h"

namespace {

const mlserving::Signature& FuzzSignature() {
  using mlserving::DType;
  static const mlserving::Signature signature = [] {
    mlserving::Signature s;
    s.inputs.push_back({"fare", DType::kFloat32, {-1, 1}, true, {}, false, {}});
    s.inputs.push_back({"sex", DType::kString, {-1, 1}, true, {}, true, {}});
    s.inputs.push_back({"count", DType::kInt64, {-1}, true, {}, true, {}});
    s.inputs.push_back({"flag", DType::kBool, {-1, 2}, true, {}, false, {}});
    s.inputs.push_back({"features", DType::kFloat64, {-1, 3}, true, {"a", "b", "c"}, false, {}});
    s.inputs.push_back({"image", DType::kUInt8, {-1, -1, 3}, true, {}, false, {}});
    s.outputs = s.inputs;
    return s;
  }();
  return signature;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  mlserving::codecs::JsonLimits limits;
  limits.max_elements = 1 << 16;
  auto decoded = mlserving::codecs::DecodeJsonRequest(body, FuzzSignature(), limits);
  if (decoded.ok()) {
    // Whatever decodes must encode again without trouble.
    std::string json = mlserving::codecs::EncodeJsonResponse(*decoded, FuzzSignature());
    std::string html = mlserving::codecs::EncodeHtmlResponse(*decoded, FuzzSignature());
    if (json.empty() || html.empty()) __builtin_trap();
  }
  return 0;
}
