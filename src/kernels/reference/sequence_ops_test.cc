#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernel_test_util.h"
#include "kernels/registry.h"

namespace mlserving::kernels {
namespace {

using kernel_test::IntAttr;
using kernel_test::Values;

/// Prepares `op_type` through the default registry and runs it on `inputs` (tensors, sequences
/// or none); returns its single output as a Value.
Result<Value> RunSeqOp(const std::string& op_type, kernel_test::Attrs attrs, const std::vector<Value>& inputs) {
  const ir::Node node = kernel_test::MakeNode(op_type, 17, std::move(attrs), inputs.size(), 1);
  ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, kernel_test::PrepareKernel(node));
  KernelContext ctx;
  for (const Value& v : inputs) {
    ctx.inputs.push_back(v.tensor_if());
    ctx.sequence_inputs.push_back(v.sequence_if());
  }
  ctx.outputs.assign(1, Tensor());
  ctx.sequence_outputs.assign(1, std::nullopt);
  RETURN_IF_ERROR(kernel->Compute(ctx));
  if (ctx.sequence_outputs[0]) return Value(*ctx.sequence_outputs[0]);
  return Value(ctx.outputs[0]);
}

Tensor F(Shape shape, std::vector<float> v) { return Tensor::FromVector<float>(std::move(shape), v); }
Tensor I64(int64_t v) { return Tensor::Scalar<int64_t>(v); }

TensorSequence ThreeElements() { return {DType::kFloat32, {F({1}, {1}), F({1}, {2}), F({1}, {3})}}; }

TEST(SequenceOpsTest, ConstructAtAndLength) {
  auto seq = RunSeqOp("SequenceConstruct", {}, {F({2}, {1, 2}), F({1}, {3})});
  ASSERT_TRUE(seq.ok()) << seq.status().message();
  ASSERT_TRUE(seq->is_sequence());
  EXPECT_EQ(seq->sequence().size(), 2u);
  auto last = RunSeqOp("SequenceAt", {}, {*seq, I64(-1)});
  ASSERT_TRUE(last.ok()) << last.status().message();
  EXPECT_EQ(Values<float>(last->tensor()), (std::vector<float>{3}));
  auto length = RunSeqOp("SequenceLength", {}, {*seq});
  ASSERT_TRUE(length.ok());
  EXPECT_EQ(length->tensor().data<int64_t>()[0], 2);
  // Out of range and mixed dtypes are the caller's errors.
  EXPECT_EQ(RunSeqOp("SequenceAt", {}, {*seq, I64(2)}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunSeqOp("SequenceConstruct", {}, {F({1}, {1}), I64(1)}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunSeqOp("SequenceAt", {}, {F({1}, {1}), I64(0)}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SequenceOpsTest, EmptyInsertAndErase) {
  auto empty = RunSeqOp("SequenceEmpty", {{"dtype", IntAttr(7)}}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->sequence().dtype, DType::kInt64);
  EXPECT_EQ(empty->sequence().size(), 0u);

  auto front = RunSeqOp("SequenceInsert", {}, {Value(ThreeElements()), F({1}, {0}), I64(0)});
  ASSERT_TRUE(front.ok()) << front.status().message();
  ASSERT_EQ(front->sequence().size(), 4u);
  EXPECT_EQ(Values<float>(front->sequence().tensors[0]), (std::vector<float>{0}));
  auto back = RunSeqOp("SequenceInsert", {}, {Value(ThreeElements()), F({1}, {9})});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Values<float>(back->sequence().tensors[3]), (std::vector<float>{9}));
  EXPECT_EQ(RunSeqOp("SequenceInsert", {}, {Value(ThreeElements()), I64(1)}).status().code(),
            StatusCode::kInvalidArgument);

  auto erased = RunSeqOp("SequenceErase", {}, {Value(ThreeElements()), I64(-3)});
  ASSERT_TRUE(erased.ok());
  ASSERT_EQ(erased->sequence().size(), 2u);
  EXPECT_EQ(Values<float>(erased->sequence().tensors[0]), (std::vector<float>{2}));
  auto erased_last = RunSeqOp("SequenceErase", {}, {Value(ThreeElements())});
  ASSERT_TRUE(erased_last.ok());
  EXPECT_EQ(Values<float>(erased_last->sequence().tensors[1]), (std::vector<float>{2}));
  EXPECT_EQ(RunSeqOp("SequenceErase", {}, {Value(TensorSequence{})}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SequenceOpsTest, ConcatFromSequenceConcatenatesOrStacks) {
  TensorSequence seq{DType::kFloat32, {F({1, 2}, {1, 2}), F({1, 2}, {3, 4})}};
  auto concat = RunSeqOp("ConcatFromSequence", {{"axis", IntAttr(1)}}, {Value(seq)});
  ASSERT_TRUE(concat.ok()) << concat.status().message();
  EXPECT_EQ(concat->tensor().shape(), (Shape{1, 4}));
  EXPECT_EQ(Values<float>(concat->tensor()), (std::vector<float>{1, 2, 3, 4}));
  auto stacked = RunSeqOp("ConcatFromSequence", {{"axis", IntAttr(-1)}, {"new_axis", IntAttr(1)}}, {Value(seq)});
  ASSERT_TRUE(stacked.ok()) << stacked.status().message();
  EXPECT_EQ(stacked->tensor().shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(Values<float>(stacked->tensor()), (std::vector<float>{1, 3, 2, 4}));
  TensorSequence mismatched{DType::kFloat32, {F({1, 2}, {1, 2}), F({2, 1}, {3, 4})}};
  EXPECT_EQ(RunSeqOp("ConcatFromSequence", {{"axis", IntAttr(1)}}, {Value(mismatched)}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SequenceOpsTest, SplitToSequence) {
  Tensor x = F({5, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto chunks = RunSeqOp("SplitToSequence", {}, {x, I64(2)});
  ASSERT_TRUE(chunks.ok()) << chunks.status().message();
  ASSERT_EQ(chunks->sequence().size(), 3u);
  EXPECT_EQ(chunks->sequence().tensors[2].shape(), (Shape{1, 2}));
  auto lengths = RunSeqOp("SplitToSequence", {{"axis", IntAttr(1)}}, {x, Tensor::FromVector<int64_t>({2}, {1, 1})});
  ASSERT_TRUE(lengths.ok());
  EXPECT_EQ(Values<float>(lengths->sequence().tensors[1]), (std::vector<float>{1, 3, 5, 7, 9}));
  auto rows = RunSeqOp("SplitToSequence", {{"keepdims", IntAttr(0)}}, {x});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->sequence().size(), 5u);
  EXPECT_EQ(rows->sequence().tensors[4].shape(), (Shape{2}));
  EXPECT_EQ(Values<float>(rows->sequence().tensors[4]), (std::vector<float>{8, 9}));
  EXPECT_EQ(RunSeqOp("SplitToSequence", {}, {x, Tensor::FromVector<int64_t>({2}, {1, 1})}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunSeqOp("SplitToSequence", {}, {x, I64(0)}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SequenceOpsTest, OptionalOps) {
  auto none = RunSeqOp("Optional", {}, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->is_none());
  auto has_none = RunSeqOp("OptionalHasElement", {}, {*none});
  ASSERT_TRUE(has_none.ok());
  EXPECT_FALSE(has_none->tensor().data<bool>()[0]);
  auto wrapped = RunSeqOp("Optional", {}, {Value(ThreeElements())});
  ASSERT_TRUE(wrapped.ok());
  auto has = RunSeqOp("OptionalHasElement", {}, {*wrapped});
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(has->tensor().data<bool>()[0]);
  auto element = RunSeqOp("OptionalGetElement", {}, {*wrapped});
  ASSERT_TRUE(element.ok());
  EXPECT_EQ(element->sequence().size(), 3u);
  EXPECT_EQ(RunSeqOp("OptionalGetElement", {}, {Value()}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SequenceOpsTest, IdentityPassesSequencesAndTensors) {
  auto seq = RunSeqOp("Identity", {}, {Value(ThreeElements())});
  ASSERT_TRUE(seq.ok()) << seq.status().message();
  EXPECT_EQ(seq->sequence().size(), 3u);
  auto tensor = RunSeqOp("Identity", {}, {F({2}, {4, 5})});
  ASSERT_TRUE(tensor.ok());
  EXPECT_EQ(Values<float>(tensor->tensor()), (std::vector<float>{4, 5}));
}

}  // namespace
}  // namespace mlserving::kernels
