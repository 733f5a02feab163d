#include "kernels/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mlserving::kernels {
namespace {

TEST(KernelRegistryTest, EveryOpInOpsDefHasAReferenceKernel) {
  const KernelRegistry& registry = KernelRegistry::Default();
  std::vector<std::string> missing;
#define ONNX ""
#define ONNX_ML "ai.onnx.ml"
#define MLS_OP(domain, op) \
  if (!registry.Find(domain, #op)) missing.push_back(std::string(domain) + (*domain ? "." : "") + #op);
#include "ir/ops.def"
#undef MLS_OP
#undef ONNX
#undef ONNX_ML
  EXPECT_TRUE(missing.empty()) << "ops without a kernel: " << testing::PrintToString(missing);
}

TEST(KernelRegistryTest, AiOnnxIsAnAliasOfTheDefaultDomain) {
  EXPECT_NE(KernelRegistry::Default().Find("ai.onnx", "Relu"), nullptr);
  EXPECT_EQ(KernelRegistry::Default().Find("", "NoSuchOp"), nullptr);
}

}  // namespace
}  // namespace mlserving::kernels
