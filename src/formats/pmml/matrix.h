#pragma once

#include <pugixml.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "core/result.h"

namespace mlserving::formats::pmml {

/// A PMML <Matrix> (GeneralStructure: "Matrix") read into dense row-major form. The element's
/// forms:
///  - kind="any" (default) with Arrays: one Array per row, all of the same length;
///  - kind="symmetric": the lower triangle, row i (0-based) holding i + 1 numbers; the upper
///    triangle mirrors it;
///  - kind="diagonal": one Array with the diagonal; off-diagonal cells are offDiagDefault (0 when
///    absent);
///  - sparse: MatCell row="r" col="c" (1-based) entries of an nbRows × nbCols matrix; the cells
///    not given are diagDefault on the diagonal and offDiagDefault elsewhere (0 when absent).
/// nbRows/nbCols, when present, must agree with the content.
struct DenseMatrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<double> values;  ///< rows × cols, row-major

  double at(size_t r, size_t c) const { return values[r * cols + c]; }
};

/// Reads `matrix`; errors are kInvalidArgument and start with `what` (e.g. "the contrast matrix
/// of 'x'"). A matrix of more than 2^24 cells is refused.
Result<DenseMatrix> ParseMatrix(pugi::xml_node matrix, const std::string& what);

}  // namespace mlserving::formats::pmml
