#include "formats/pmml/compiler.h"

#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {
namespace {
constexpr int kMaxCompileDepth = 200;
}  // namespace

Status Scope::DefineDerived(pugi::xml_node derived_field) {
  ASSIGN_OR_RETURN(std::string name, RequiredAttr(derived_field, "name"));
  pending_[name] = derived_field;
  names_.erase(name);
  return Status::Ok();
}

bool Scope::DefinesLocally(std::string_view name) const {
  std::string key(name);
  return names_.count(key) > 0 || pending_.count(key) > 0;
}

int Scope::ParameterIndex(std::string_view name) const {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<Slot> Scope::Resolve(std::string_view name) {
  std::string key(name);
  if (auto it = names_.find(key); it != names_.end()) return it->second;
  if (auto it = pending_.find(key); it != pending_.end()) {
    pugi::xml_node node = it->second;
    if (busy_.count(key)) {
      return InvalidArgument("the DerivedField '" + key + "' refers to itself through a cycle of derived fields");
    }
    busy_.insert(key);
    RETURN_IF_ERROR(compiler_.Enter());
    Result<Slot> slot = compiler_.CompileDerivedField(node, *this);
    compiler_.Leave();
    busy_.erase(key);
    if (!slot.ok()) return slot.status();
    pending_.erase(key);
    names_[key] = *slot;
    return *slot;
  }
  if (function_body_) {
    return InvalidArgument("'" + key +
                           "' is not a parameter of the function; a DefineFunction body may only refer to "
                           "its ParameterFields");
  }
  if (parent_) return parent_->Resolve(name);
  return InvalidArgument("the field '" + key +
                         "' is not defined: no DataField, DerivedField, MiningField or OutputField in scope has this "
                         "name");
}

Compiler::Compiler(FieldTable& table, const DataDictionary& dictionary) : table_(table), dictionary_(dictionary) {}

Status Compiler::Enter() {
  if (++depth_ > kMaxCompileDepth) {
    --depth_;
    return InvalidArgument("definitions nest deeper than " + std::to_string(kMaxCompileDepth) +
                           " levels (derived fields referring to derived fields, nested models); refused");
  }
  return Status::Ok();
}

Status Compiler::AddFunctions(pugi::xml_node transformation_dictionary) {
  for (pugi::xml_node f : Children(transformation_dictionary, "DefineFunction")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(f, "name"));
    function_nodes_[name] = f;
  }
  return Status::Ok();
}

Result<const FunctionDef*> Compiler::Function(std::string_view name) {
  std::string key(name);
  if (auto it = functions_.find(key); it != functions_.end()) return it->second;
  auto node_it = function_nodes_.find(key);
  if (node_it == function_nodes_.end()) return static_cast<const FunctionDef*>(nullptr);
  if (busy_functions_.count(key)) {
    return InvalidArgument("the DefineFunction '" + key +
                           "' calls itself (directly or indirectly); recursion is "
                           "not allowed in PMML");
  }
  pugi::xml_node node = node_it->second;
  auto def = std::make_unique<FunctionDef>();
  def->name = key;
  if (HasAttr(node, "dataType")) {
    std::optional<DataType> t = ParseDataType(Attr(node, "dataType"));
    if (!t) return InvalidArgument("DefineFunction '" + key + "' has an unknown dataType");
    def->has_type = true;
    def->data_type = *t;
  }
  for (pugi::xml_node p : Children(node, "ParameterField")) {
    ASSIGN_OR_RETURN(std::string pname, RequiredAttr(p, "name"));
    def->parameters.push_back(pname);
    std::optional<DataType> t = ParseDataType(Attr(p, "dataType", "string"));
    def->parameter_types.push_back(t ? *t : DataType::kString);
  }
  Scope body_scope(*this, nullptr);
  body_scope.SetParameters(def->parameters);
  busy_functions_.insert(key);
  RETURN_IF_ERROR(Enter());
  Result<std::unique_ptr<Expression>> body = CompileExpressionChild(node, body_scope);
  Leave();
  busy_functions_.erase(key);
  if (!body.ok()) return body.status().WithContext("DefineFunction '" + key + "'");
  def->body = std::move(body).value();
  const FunctionDef* raw = def.get();
  functions_[key] = raw;
  table_.functions.push_back(std::move(def));
  return raw;
}

const Expression* Compiler::Own(std::unique_ptr<Expression> e) {
  table_.expressions.push_back(std::move(e));
  return table_.expressions.back().get();
}

Result<Slot> Compiler::CompileDerivedField(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(std::string name, RequiredAttr(node, "name"));
  SlotDef def;
  def.name = name;
  def.kind = SlotKind::kDerived;
  def.cast = HasAttr(node, "dataType");
  std::string_view dt = Attr(node, "dataType", "double");
  std::optional<DataType> data_type = ParseDataType(dt);
  if (!data_type)
    return InvalidArgument("DerivedField '" + name + "' has the unknown dataType '" + std::string(dt) + "'");
  def.data_type = *data_type;
  std::optional<OpType> op_type =
      ParseOpType(Attr(node, "optype", IsNumeric(def.data_type) ? "continuous" : "categorical"));
  def.op_type = op_type ? *op_type : OpType::kContinuous;
  Result<std::unique_ptr<Expression>> expr = CompileExpressionChild(node, scope);
  if (!expr.ok()) return expr.status().WithContext("DerivedField '" + name + "'");
  def.expression = Own(std::move(expr).value());
  return table_.Add(std::move(def));
}

}  // namespace mlserving::formats::pmml
