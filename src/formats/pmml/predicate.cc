#include "formats/pmml/predicate.h"

#include "formats/pmml/compiler.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

Tri Predicate::Evaluate(EvalContext& ctx) const {
  switch (kind) {
    case Kind::kTrue: return Tri::kTrue;
    case Kind::kFalse: return Tri::kFalse;
    case Kind::kSimple: {
      const Value& v = ctx.Get(slot);
      if (op == Op::kIsMissing) return v.missing() ? Tri::kTrue : Tri::kFalse;
      if (op == Op::kIsNotMissing) return v.missing() ? Tri::kFalse : Tri::kTrue;
      std::optional<int> c = v.Compare(value);
      if (!c) return Tri::kUnknown;
      bool r = false;
      switch (op) {
        case Op::kEqual: r = *c == 0; break;
        case Op::kNotEqual: r = *c != 0; break;
        case Op::kLess: r = *c < 0; break;
        case Op::kLessOrEqual: r = *c <= 0; break;
        case Op::kGreater: r = *c > 0; break;
        case Op::kGreaterOrEqual: r = *c >= 0; break;
        default: break;
      }
      return r ? Tri::kTrue : Tri::kFalse;
    }
    case Kind::kSimpleSet: {
      const Value& v = ctx.Get(slot);
      if (v.missing()) return Tri::kUnknown;
      bool found = false;
      for (const Value& s : set) {
        if (v.Equals(s)) {
          found = true;
          break;
        }
      }
      return found == set_is_in ? Tri::kTrue : Tri::kFalse;
    }
    case Kind::kAnd: {
      bool unknown = false;
      for (const Predicate& c : children) {
        Tri t = c.Evaluate(ctx);
        if (t == Tri::kFalse) return Tri::kFalse;
        unknown = unknown || t == Tri::kUnknown;
      }
      return unknown ? Tri::kUnknown : Tri::kTrue;
    }
    case Kind::kOr: {
      bool unknown = false;
      for (const Predicate& c : children) {
        Tri t = c.Evaluate(ctx);
        if (t == Tri::kTrue) return Tri::kTrue;
        unknown = unknown || t == Tri::kUnknown;
      }
      return unknown ? Tri::kUnknown : Tri::kFalse;
    }
    case Kind::kXor: {
      bool acc = false;
      for (const Predicate& c : children) {
        Tri t = c.Evaluate(ctx);
        if (t == Tri::kUnknown) return Tri::kUnknown;
        acc = acc != (t == Tri::kTrue);
      }
      return acc ? Tri::kTrue : Tri::kFalse;
    }
    case Kind::kSurrogate: {
      for (const Predicate& c : children) {
        Tri t = c.Evaluate(ctx);
        if (t != Tri::kUnknown) return t;
      }
      return Tri::kUnknown;
    }
  }
  return Tri::kUnknown;
}

bool IsPredicateElement(pugi::xml_node node) {
  if (node.type() != pugi::node_element) return false;
  std::string_view n = LocalName(node);
  return n == "SimplePredicate" || n == "CompoundPredicate" || n == "SimpleSetPredicate" || n == "True" || n == "False";
}

namespace {

/// Types a predicate constant like the field it is compared with (so "1" == 1.0 for numbers and
/// float fields compare in single precision).
Value TypedConstant(const std::string& text, DataType type) {
  Value raw = Value::String(text);
  std::optional<Value> cast = CastValue(raw, type == DataType::kInteger ? DataType::kDouble : type);
  return cast ? *cast : raw;
}

}  // namespace

Result<Predicate> CompilePredicate(pugi::xml_node node, Scope& scope) {
  std::string_view n = LocalName(node);
  Predicate p;
  if (n == "True") {
    p.kind = Predicate::Kind::kTrue;
    return p;
  }
  if (n == "False") {
    p.kind = Predicate::Kind::kFalse;
    return p;
  }
  if (n == "SimplePredicate" || n == "SimpleSetPredicate") {
    ASSIGN_OR_RETURN(std::string field, RequiredAttr(node, "field"));
    ASSIGN_OR_RETURN(p.slot, scope.Resolve(field));
    DataType type = scope.compiler().table().slots[static_cast<size_t>(p.slot)].data_type;
    if (n == "SimplePredicate") {
      p.kind = Predicate::Kind::kSimple;
      std::string_view op = Attr(node, "operator");
      using Op = Predicate::Op;
      if (op == "equal") {
        p.op = Op::kEqual;
      } else if (op == "notEqual") {
        p.op = Op::kNotEqual;
      } else if (op == "lessThan") {
        p.op = Op::kLess;
      } else if (op == "lessOrEqual") {
        p.op = Op::kLessOrEqual;
      } else if (op == "greaterThan") {
        p.op = Op::kGreater;
      } else if (op == "greaterOrEqual") {
        p.op = Op::kGreaterOrEqual;
      } else if (op == "isMissing") {
        p.op = Op::kIsMissing;
      } else if (op == "isNotMissing") {
        p.op = Op::kIsNotMissing;
      } else {
        return InvalidArgument(Describe(node) + ": unknown operator '" + std::string(op) + "'");
      }
      if (p.op != Op::kIsMissing && p.op != Op::kIsNotMissing) {
        if (!HasAttr(node, "value")) return InvalidArgument(Describe(node) + " lacks the value attribute");
        p.value = TypedConstant(std::string(Attr(node, "value")), type);
      }
      return p;
    }
    p.kind = Predicate::Kind::kSimpleSet;
    std::string_view op = Attr(node, "booleanOperator");
    if (op != "isIn" && op != "isNotIn") {
      return InvalidArgument(Describe(node) + ": booleanOperator must be isIn or isNotIn, not '" + std::string(op) +
                             "'");
    }
    p.set_is_in = op == "isIn";
    pugi::xml_node array = Child(node, "Array");
    if (!array) return InvalidArgument(Describe(node) + " has no <Array> of values");
    for (std::string& item : SplitArray(array.text().get())) p.set.push_back(TypedConstant(item, type));
    return p;
  }
  if (n == "CompoundPredicate") {
    std::string_view op = Attr(node, "booleanOperator");
    using Kind = Predicate::Kind;
    if (op == "and") {
      p.kind = Kind::kAnd;
    } else if (op == "or") {
      p.kind = Kind::kOr;
    } else if (op == "xor") {
      p.kind = Kind::kXor;
    } else if (op == "surrogate") {
      p.kind = Kind::kSurrogate;
    } else {
      return InvalidArgument(Describe(node) + ": unknown booleanOperator '" + std::string(op) + "'");
    }
    RETURN_IF_ERROR(scope.compiler().Enter());
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
      if (!IsPredicateElement(c)) continue;
      Result<Predicate> child = CompilePredicate(c, scope);
      if (!child.ok()) {
        scope.compiler().Leave();
        return child.status();
      }
      p.children.push_back(std::move(child).value());
    }
    scope.compiler().Leave();
    if (p.children.empty()) return InvalidArgument(Describe(node) + " has no predicates");
    return p;
  }
  return InvalidArgument("<" + std::string(n) + "> is not a predicate");
}

Result<Predicate> CompilePredicateChild(pugi::xml_node parent, Scope& scope) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (IsPredicateElement(c)) return CompilePredicate(c, scope);
  }
  return InvalidArgument(Describe(parent) + " has no predicate (True, SimplePredicate, CompoundPredicate, …)");
}

}  // namespace mlserving::formats::pmml
