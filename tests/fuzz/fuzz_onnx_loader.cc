// Fuzzes the ONNX loader: protobuf parsing, lowering to the IR and kernel preparation.
// A model that loads is also evaluated once on generated inputs, as the server's warm-up does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/onnx/onnx_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = mlserving::formats::onnx::LoadOnnxBytes(std::string_view(reinterpret_cast<const char*>(data), size),
                                                       "fuzz.onnx", "/nonexistent");
  if (model.ok()) {
    mlserving::TensorMap inputs;
    for (const auto& spec : (*model)->Describe().inputs) {
      mlserving::Shape shape = spec.shape;
      for (auto& d : shape) d = d < 0 || d > 64 ? 1 : d;
      auto t = mlserving::Tensor::Allocate(spec.dtype, shape, 1 << 16);
      if (!t.ok()) return 0;
      inputs.emplace(spec.name, *t);
    }
    mlserving::EvaluationContext ctx;
    ctx.max_tensor_elements = 1 << 20;
    (void)(*model)->Evaluate(inputs, ctx);
  }
  return 0;
}
