// Fuzzes the PMML loader: XML parsing, compilation of the document, and (when it loads) scoring
// a few rows of generated values, as the server's warm-up and requests would.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/pmml/pmml_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlserving::formats::pmml;
  XmlLimits limits;
  limits.max_bytes = size_t{1} << 20;
  auto doc = PmmlDocument::Load(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!doc.ok()) return 0;
  auto ctx = (*doc)->NewContext();
  const Value samples[] = {Value::Missing(),      Value::Number(0),   Value::Number(1.5),
                           Value::Number(-1e300), Value::String("a"), Value::String("")};
  for (const Value& sample : samples) {
    ctx->BeginRow();
    for (const auto& input : (*doc)->inputs()) ctx->Set(input.slot, sample);
    if ((*doc)->ScoreRow(*ctx).ok()) {
      for (const auto& r : (*doc)->results()) (void)(*doc)->ResultValue(*ctx, r);
    }
  }
  return 0;
}
