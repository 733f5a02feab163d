#pragma once

#include <pugixml.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "formats/pmml/data_dictionary.h"
#include "formats/pmml/eval_context.h"
#include "formats/pmml/expression.h"
#include "formats/pmml/field_table.h"

namespace mlserving::formats::pmml {

class Compiler;

/// Load-time name resolution. A scope maps field names to slots and may hold DerivedFields that
/// are compiled the first time something refers to them (so definitions may appear in any order
/// and unused ones cost nothing). Lookups fall back to the parent scope: document (data fields +
/// TransformationDictionary) <- model (mining fields + LocalTransformations) <- nested models.
/// A function-body scope (DefineFunction) sees only its parameters.
class Scope {
 public:
  Scope(Compiler& compiler, Scope* parent) : compiler_(compiler), parent_(parent) {}

  Compiler& compiler() { return compiler_; }
  Scope* parent() { return parent_; }

  /// Makes `name` refer to `slot` in this scope (shadowing outer definitions).
  void Define(const std::string& name, Slot slot) { names_[name] = slot; }
  /// Registers a <DerivedField> compiled on first reference.
  Status DefineDerived(pugi::xml_node derived_field);
  /// The slot `name` refers to here; kInvalidArgument naming the field when nothing defines it,
  /// or when derived fields refer to each other in a cycle.
  Result<Slot> Resolve(std::string_view name);
  /// Like Resolve, but only this scope's own definitions (no parent lookup).
  bool DefinesLocally(std::string_view name) const;

  /// Function-body scopes: FieldRefs name parameters.
  void SetParameters(std::vector<std::string> names) {
    parameters_ = std::move(names);
    function_body_ = true;
  }
  bool is_function_body() const { return function_body_; }
  /// Index of parameter `name`, or -1.
  int ParameterIndex(std::string_view name) const;

 private:
  Compiler& compiler_;
  Scope* parent_;
  std::unordered_map<std::string, Slot> names_;
  std::unordered_map<std::string, pugi::xml_node> pending_;
  std::unordered_set<std::string> busy_;
  std::vector<std::string> parameters_;
  bool function_body_ = false;
};

/// A compiled <DefineFunction>.
struct FunctionDef {
  std::string name;
  std::vector<std::string> parameters;
  std::vector<DataType> parameter_types;
  bool has_type = false;
  DataType data_type = DataType::kDouble;
  std::unique_ptr<Expression> body;
};

/// Load-time state shared by everything compiled from one document: the field table being
/// built, the data dictionary and the (lazily compiled) user-defined functions.
class Compiler {
 public:
  Compiler(FieldTable& table, const DataDictionary& dictionary);

  FieldTable& table() { return table_; }
  const DataDictionary& dictionary() const { return dictionary_; }

  /// Registers the DefineFunctions of the TransformationDictionary (compiled on first use).
  Status AddFunctions(pugi::xml_node transformation_dictionary);
  /// The user-defined function `name` (compiling it now if needed); nullptr when undefined.
  /// kInvalidArgument for recursive definitions or bodies that do not compile.
  Result<const FunctionDef*> Function(std::string_view name);

  /// Compiles a <DerivedField> in `scope` into a new kDerived slot.
  Result<Slot> CompileDerivedField(pugi::xml_node node, Scope& scope);
  /// Hands ownership of an expression to the field table; returns the raw pointer.
  const Expression* Own(std::unique_ptr<Expression> e);

  /// A new model id (index of its Prediction scratch in EvalContext).
  int NewModelId() { return num_models_++; }
  int num_models() const { return num_models_; }

  /// Load-time work that needs the finished field table (e.g. running the transformations over a
  /// NearestNeighborModel's training instances). PmmlDocument::Load runs them in registration
  /// order with one fresh EvalContext once the whole document compiled; an error fails the load.
  using Finisher = std::function<Status(EvalContext&)>;
  void AddFinisher(Finisher finisher) { finishers_.push_back(std::move(finisher)); }
  const std::vector<Finisher>& finishers() const { return finishers_; }

  /// Nesting guard for recursive compilation (derived fields referring to derived fields,
  /// nested segmentations): kInvalidArgument past the limit.
  Status Enter();
  void Leave() { --depth_; }

 private:
  FieldTable& table_;
  const DataDictionary& dictionary_;
  std::unordered_map<std::string, pugi::xml_node> function_nodes_;
  std::unordered_map<std::string, const FunctionDef*> functions_;  ///< owned by table_
  std::unordered_set<std::string> busy_functions_;
  std::vector<Finisher> finishers_;
  int num_models_ = 0;
  int depth_ = 0;
};

}  // namespace mlserving::formats::pmml
