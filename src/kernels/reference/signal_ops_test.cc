#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using namespace kernel_test;  // NOLINT(build/namespaces): test harness vocabulary

TEST(SignalOpsTest, Windows) {
  ExpectNear<float>(Run1("HannWindow", 17, {}, {Tensor::Scalar<int64_t>(4)}), {4}, {0, 0.5f, 1, 0.5f});
  ExpectNear<float>(Run1("HannWindow", 17, {{"periodic", IntAttr(0)}}, {Tensor::Scalar<int64_t>(3)}), {3}, {0, 1, 0});
  ExpectNear<double>(Run1("HammingWindow", 17, {{"output_datatype", IntAttr(11)}}, {Tensor::Scalar<int32_t>(2)}), {2},
                     {4.0 / 46, 1});
  ExpectNear<float>(Run1("BlackmanWindow", 17, {}, {Tensor::Scalar<int64_t>(2)}), {2}, {0, 1});
}

TEST(SignalOpsTest, MelWeightMatrix) {
  // Band edges at 0, 427, 1114, 2220 Hz fall in spectrogram bins 0, 0, 1, 2 (9 * hz / 8000).
  Tensor out = Run1("MelWeightMatrix", 17, {},
                    {Tensor::Scalar<int64_t>(2), Tensor::Scalar<int64_t>(8), Tensor::Scalar<int64_t>(8000),
                     Tensor::Scalar<float>(0), Tensor::Scalar<float>(4000)});
  ExpectNear<float>(out, {5, 2}, {1, 0, 0, 1, 0, 0, 0, 0, 0, 0});
}

TEST(SignalOpsTest, DftForwardInverseAndOnesided) {
  // DFT of 1 2 3 4: 10, -2+2i, -2, -2-2i.
  Tensor x = Tensor::FromVector<float>({1, 4, 1}, {1, 2, 3, 4});
  Tensor spectrum = Run1("DFT", 17, {}, {x});
  ExpectNear<float>(spectrum, {1, 4, 2}, {10, 0, -2, 2, -2, 0, -2, -2}, 1e-4);
  ExpectNear<float>(Run1("DFT", 17, {{"inverse", IntAttr(1)}}, {spectrum}), {1, 4, 2}, {1, 0, 2, 0, 3, 0, 4, 0}, 1e-4);
  ExpectNear<float>(Run1("DFT", 17, {{"onesided", IntAttr(1)}}, {x}), {1, 3, 2}, {10, 0, -2, 2, -2, 0}, 1e-4);
}

TEST(SignalOpsTest, StftFramesTheSignal) {
  // Frames [1 2] and [3 4] (step 2, no window): DFTs [3, -1] and [7, -1].
  Tensor x = Tensor::FromVector<float>({1, 4, 1}, {1, 2, 3, 4});
  ExpectNear<float>(Run1("STFT", 17, {{"onesided", IntAttr(0)}},
                         {x, Tensor::Scalar<int64_t>(2), Tensor(), Tensor::Scalar<int64_t>(2)}),
                    {1, 2, 2, 2}, {3, 0, -1, 0, 7, 0, -1, 0}, 1e-4);
}

}  // namespace
}  // namespace mlserving::kernels
