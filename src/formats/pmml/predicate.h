#pragma once

#include <pugixml.hpp>

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "formats/pmml/eval_context.h"
#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

class Scope;

/// Three-valued logic of PMML predicates: a comparison with a missing value is unknown.
enum class Tri : uint8_t { kFalse, kTrue, kUnknown };

/// A compiled predicate (SimplePredicate, CompoundPredicate incl. surrogate, SimpleSetPredicate,
/// True, False): a small tree of plain structs evaluated with a switch.
struct Predicate {
  enum class Kind : uint8_t { kTrue, kFalse, kSimple, kSimpleSet, kAnd, kOr, kXor, kSurrogate };
  enum class Op : uint8_t {
    kEqual,
    kNotEqual,
    kLess,
    kLessOrEqual,
    kGreater,
    kGreaterOrEqual,
    kIsMissing,
    kIsNotMissing
  };

  Kind kind = Kind::kTrue;
  Op op = Op::kEqual;
  bool set_is_in = true;   ///< kSimpleSet: isIn (true) or isNotIn
  Slot slot = kNoSlot;     ///< kSimple, kSimpleSet
  Value value;             ///< kSimple: the constant, typed like the field
  std::vector<Value> set;  ///< kSimpleSet
  std::vector<Predicate> children;

  Tri Evaluate(EvalContext& ctx) const;
};

/// True when `node` is a predicate element.
bool IsPredicateElement(pugi::xml_node node);
/// Compiles a predicate element; field names resolve through `scope`.
Result<Predicate> CompilePredicate(pugi::xml_node node, Scope& scope);
/// Compiles the first predicate child of `parent` (Node, Segment, rules); kInvalidArgument when none.
Result<Predicate> CompilePredicateChild(pugi::xml_node parent, Scope& scope);

}  // namespace mlserving::formats::pmml
