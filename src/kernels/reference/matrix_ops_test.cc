#include <string>
#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(build/namespaces): test harness vocabulary

Tensor Einsum(const std::string& equation, const std::vector<Tensor>& inputs) {
  return Run1("Einsum", 12, {{"equation", StringAttr(equation)}}, inputs);
}

TEST(MatrixOpsTest, EinsumProductsTracesAndTransposes) {
  Tensor a = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::FromVector<float>({2, 2}, {5, 6, 7, 8});
  ExpectNear<float>(Einsum("ij,jk->ik", {a, b}), {2, 2}, {19, 22, 43, 50});
  ExpectNear<float>(Einsum("ij,jk", {a, b}), {2, 2}, {19, 22, 43, 50});  // implicit output "ik"
  ExpectNear<float>(Einsum("ba", {a}), {2, 2}, {1, 3, 2, 4});            // implicit output "ab" transposes
  ExpectNear<float>(Einsum("ii->", {a}), {}, {5});
  ExpectNear<float>(Einsum("ii->i", {a}), {2}, {1, 4});
  ExpectNear<float>(Einsum("i,i", {T1<float>({1, 2}), T1<float>({3, 4})}), {}, {11});
  ExpectNear<float>(Einsum("i,j->ij", {T1<float>({1, 2}), T1<float>({3, 4})}), {2, 2}, {3, 4, 6, 8});
}

TEST(MatrixOpsTest, EinsumEllipsisBroadcasts) {
  Tensor batch = Tensor::FromVector<int32_t>({2, 1, 2}, {1, 2, 3, 4});
  ExpectEq<int32_t>(Einsum("...ij->...ji", {batch}), {2, 2, 1}, {1, 2, 3, 4});
  // Rows of a [2, 2] dotted with one vector: the vector's ellipsis covers no dims.
  Tensor a = Tensor::FromVector<int32_t>({2, 2}, {1, 2, 3, 4});
  ExpectEq<int32_t>(Einsum("...i,i->...", {a, T1<int32_t>({1, 10})}), {2}, {21, 43});
  EXPECT_EQ(RunCode("Einsum", 12, {{"equation", StringAttr("ij,jk->ik")}}, {a, T1<int32_t>({1, 2, 3})}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunCode("Einsum", 12, {{"equation", StringAttr("i1->i")}}, {a}), StatusCode::kInvalidArgument);
}

TEST(MatrixOpsTest, DetOfSingleAndBatchedMatrices) {
  ExpectNear<float>(Run1("Det", 11, {}, {Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4})}), {}, {-2});
  ExpectNear<double>(Run1("Det", 11, {}, {Tensor::FromVector<double>({2, 2, 2}, {1, 2, 3, 4, 2, 0, 0, 3})}), {2},
                     {-2, 6});
  // A row swap has determinant -1; a singular matrix 0.
  ExpectNear<float>(Run1("Det", 11, {}, {Tensor::FromVector<float>({3, 3}, {0, 1, 0, 1, 0, 0, 0, 0, 1})}), {}, {-1});
  ExpectNear<float>(Run1("Det", 11, {}, {Tensor::FromVector<float>({2, 2}, {1, 2, 2, 4})}), {}, {0});
  EXPECT_EQ(RunCode("Det", 11, {}, {Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6})}),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlserving::kernels
