#pragma once

#include "kernels/registry.h"

// Registration functions of the ai.onnx.ml reference kernels, one per op family; RegisterMlKernels
// (ml_register.cc) calls them all.
namespace mlserving::kernels::reference {

void RegisterMlTreeEnsembleKernels(KernelRegistry& registry);  // ml_tree_ensemble.cc
void RegisterMlLinearKernels(KernelRegistry& registry);        // ml_linear.cc
void RegisterMlPreprocessKernels(KernelRegistry& registry);    // ml_preprocess.cc
void RegisterMlEncoderKernels(KernelRegistry& registry);       // ml_encoders.cc
void RegisterMlFeatureKernels(KernelRegistry& registry);       // ml_features.cc
void RegisterMlZipMapKernels(KernelRegistry& registry);        // ml_zipmap.cc
void RegisterMlSvmKernels(KernelRegistry& registry);           // ml_svm.cc

}  // namespace mlserving::kernels::reference
