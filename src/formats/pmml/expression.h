#pragma once

#include <pugixml.hpp>

#include <memory>

#include "core/result.h"
#include "formats/pmml/eval_context.h"
#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

class Scope;

/// A compiled PMML expression (Constant, FieldRef, NormContinuous, NormDiscrete, Discretize,
/// MapValues, TextIndex, Apply; Aggregate and Lag read values computed per request, see
/// window_expression.h). Immutable; Eval() reads fields through the context, which
/// computes them lazily, and never throws.
class Expression {
 public:
  virtual ~Expression() = default;
  virtual Value Eval(EvalContext& ctx) const = 0;
  /// The slot this expression reads verbatim when it is a plain FieldRef (for isValid/isInvalid).
  virtual Slot field_slot() const { return kNoSlot; }
};

/// True when `node` is one of the expression elements.
bool IsExpressionElement(pugi::xml_node node);

/// Compiles an expression element; names resolve through `scope`. Errors name the element and
/// what is unsupported (unknown functions, misplaced Aggregate/Lag).
Result<std::unique_ptr<Expression>> CompileExpression(pugi::xml_node node, Scope& scope);

/// Compiles the expression child of a DerivedField / OutputField / DefineFunction (the first
/// expression element among its children); kInvalidArgument when there is none.
Result<std::unique_ptr<Expression>> CompileExpressionChild(pugi::xml_node parent, Scope& scope);

/// An expression that returns a constant (used by tests and by models for defaults).
std::unique_ptr<Expression> MakeConstant(Value value);

/// An expression that reads `slot` (a FieldRef), `map_missing` where the slot holds a missing
/// value; its field_slot() is `slot` (collections such as a multiset are read through it).
std::unique_ptr<Expression> MakeFieldRef(Slot slot, Value map_missing);

}  // namespace mlserving::formats::pmml
