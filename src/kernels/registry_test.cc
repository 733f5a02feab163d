#include "kernels/registry.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace mlserving::kernels {
namespace {

TEST(KernelRegistryTest, EveryOpInOpsDefHasAReferenceKernel) {
  const KernelRegistry& registry = KernelRegistry::Default();
  std::vector<std::string> missing;
#define ONNX ""
#define ONNX_ML "ai.onnx.ml"
#define MLSERVING "com.mlserving"
#define MLS_OP(domain, op) \
  if (!registry.Find(domain, #op)) missing.push_back(std::string(domain) + (*domain ? "." : "") + #op);
#include "ir/ops.def"
#undef MLS_OP
#undef ONNX
#undef ONNX_ML
#undef MLSERVING
  EXPECT_TRUE(missing.empty()) << "ops without a kernel: " << testing::PrintToString(missing);
}

TEST(KernelRegistryTest, FormatsDocListsEveryOp) {
  std::ifstream in(std::string(MLSERVING_SOURCE_DIR) + "/docs/FORMATS.md");
  ASSERT_TRUE(in) << "docs/FORMATS.md not found";
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> undocumented;
#define MLS_OP(domain, op) \
  if (doc.find("`" #op "`") == std::string::npos) undocumented.push_back(#op);
#include "ir/ops.def"
#undef MLS_OP
  EXPECT_TRUE(undocumented.empty()) << "ops missing from docs/FORMATS.md: " << testing::PrintToString(undocumented);
}

TEST(KernelRegistryTest, AiOnnxIsAnAliasOfTheDefaultDomain) {
  EXPECT_NE(KernelRegistry::Default().Find("ai.onnx", "Relu"), nullptr);
  EXPECT_EQ(KernelRegistry::Default().Find("", "NoSuchOp"), nullptr);
}

}  // namespace
}  // namespace mlserving::kernels
