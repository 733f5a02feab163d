// Fuzzes the .npy decoder (the CLI reads user-supplied tensor files) and re-encodes what decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/codecs/npy_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tensor = mlserving::codecs::DecodeNpy(std::string_view(reinterpret_cast<const char*>(data), size));
  if (tensor.ok() && tensor->num_elements() < (1 << 20)) {
    auto encoded = mlserving::codecs::EncodeNpy(*tensor);
    if (!encoded.ok()) __builtin_trap();
  }
  return 0;
}
