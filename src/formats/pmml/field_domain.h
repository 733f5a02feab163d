#pragma once

#include <optional>

#include "formats/pmml/data_dictionary.h"
#include "formats/pmml/field_table.h"

namespace mlserving::formats::pmml {

class Compiler;

/// The <DataField> behind `slot` (a data field, or a mining field reading one, through any chain
/// of mining fields); nullptr for derived and output fields, which declare no domain here.
const DataField* DeclaredDataField(Compiler& compiler, Slot slot);

/// Position of `v` in a field's declared domain: the index of the valid Value it equals, or, for
/// a field declared by Intervals only, the index of the first Interval containing the number.
/// nullopt when `v` is missing or lies outside the domain.
std::optional<size_t> DomainIndex(const DataField& field, const Value& v);

/// Number of positions DomainIndex can return (valid values, else intervals).
size_t DomainSize(const DataField& field);

}  // namespace mlserving::formats::pmml
