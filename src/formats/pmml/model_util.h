#pragma once
// Small load-time helpers shared by the model types (GeneralRegression, NeuralNetwork, NaiveBayes,
// SVM, Clustering, …).

#include <pugixml.hpp>

#include <string_view>
#include <vector>

#include "core/result.h"
#include "formats/pmml/field_table.h"
#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

class Compiler;

/// The constant `text` typed like `slot` (so "1" compares equal to a double field's 1.0); the
/// string itself when it cannot be converted.
Value ConstantLike(Compiler& compiler, Slot slot, std::string_view text);

/// The numbers of an <Array> (type real or int); kInvalidArgument naming the element when an item
/// is not a number or when `n` is given and disagrees with the item count.
Result<std::vector<double>> NumberArray(pugi::xml_node array);

/// Index of the largest element (the first one on ties); 0 for an empty vector.
size_t ArgMax(const std::vector<double>& v);

}  // namespace mlserving::formats::pmml
