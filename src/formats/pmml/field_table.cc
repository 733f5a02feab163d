#include "formats/pmml/field_table.h"

#include "formats/pmml/compiler.h"
#include "formats/pmml/expression.h"
#include "formats/pmml/mining_schema.h"

namespace mlserving::formats::pmml {

FieldTable::FieldTable() = default;
FieldTable::~FieldTable() = default;

}  // namespace mlserving::formats::pmml
