#include "formats/pmml/window_expression.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "formats/pmml/compiler.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {
namespace {

using Function = WindowSpec::Function;

/// Resolves a field a window expression reads per row; refuses OutputFields.
Result<Slot> ResolveWindowField(Scope& scope, const std::string& name, const std::string& element) {
  Result<Slot> slot = scope.Resolve(name);
  if (!slot.ok()) return slot.status().WithContext(element);
  if (scope.compiler().table().slots[static_cast<size_t>(*slot)].kind == SlotKind::kOutput) {
    return InvalidArgument(element + ": '" + name +
                           "' is an OutputField, known only after the model scored the row; an expression over "
                           "several rows cannot read it");
  }
  return *slot;
}

Status CheckPlacement(Scope& scope, const std::string& element) {
  if (scope.is_function_body()) {
    return InvalidArgument(element +
                           " inside a DefineFunction: a function sees only its parameters of one call, not "
                           "the other rows of the request");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Expression>> Register(Scope& scope, WindowSpec spec, DataType type, Value map_missing) {
  FieldTable& table = scope.compiler().table();
  SlotDef def;
  def.name = spec.element;
  def.kind = SlotKind::kInput;
  def.data_type = type;
  spec.result = table.Add(std::move(def));
  Slot result = spec.result;
  table.windows.push_back(std::make_shared<const WindowSpec>(std::move(spec)));
  // Reads the per-row result RequestWindows sets on the hidden slot (a multiset's values as its
  // collection, for an AssociationModel's items).
  return MakeFieldRef(result, std::move(map_missing));
}

DataType TypeOf(Scope& scope, Slot slot) { return scope.compiler().table().slots[static_cast<size_t>(slot)].data_type; }

/// A group key from the values of `keys` for the current row (missing is a value of its own).
std::string KeyOf(EvalContext& ctx, const std::vector<Slot>& keys) {
  std::string key;
  for (Slot s : keys) {
    const Value& v = ctx.Get(s);
    key += v.missing() ? std::string("\x1e") : v.AsString();
    key += '\x1f';
  }
  return key;
}

/// `function` over the non-missing values of `values` (missing when none qualifies).
Value Combine(Function function, const std::vector<const Value*>& values) {
  std::vector<double> numbers;
  bool all_numbers = true;
  size_t present = 0;
  for (const Value* v : values) {
    if (v->missing()) continue;
    ++present;
    std::optional<double> x = v->AsNumber();
    if (x && !std::isnan(*x)) {
      numbers.push_back(*x);
    } else {
      all_numbers = false;
    }
  }
  if (function == Function::kCount) return Value::Number(static_cast<double>(present));
  if (present == 0) return Value::Missing();
  if ((function == Function::kMin || function == Function::kMax) && !all_numbers) {
    const Value* best = nullptr;
    for (const Value* v : values) {
      if (v->missing()) continue;
      if (!best || (function == Function::kMin ? v->AsString() < best->AsString() : v->AsString() > best->AsString()))
        best = v;
    }
    return *best;
  }
  if (!all_numbers || numbers.empty()) return Value::Missing();
  const double n = static_cast<double>(numbers.size());
  switch (function) {
    case Function::kSum: {
      double s = 0;
      for (double x : numbers) s += x;
      return Value::Number(s);
    }
    case Function::kAverage: {
      double s = 0;
      for (double x : numbers) s += x;
      return Value::Number(s / n);
    }
    case Function::kMin: return Value::Number(*std::min_element(numbers.begin(), numbers.end()));
    case Function::kMax: return Value::Number(*std::max_element(numbers.begin(), numbers.end()));
    case Function::kProduct: {
      double p = 1;
      for (double x : numbers) p *= x;
      return Value::Number(p);
    }
    case Function::kMedian: {
      std::sort(numbers.begin(), numbers.end());
      size_t m = numbers.size();
      return Value::Number(m % 2 ? numbers[m / 2] : (numbers[m / 2 - 1] + numbers[m / 2]) / 2.0);
    }
    case Function::kStddev: {
      if (numbers.size() < 2) return Value::Missing();
      double mean = 0;
      for (double x : numbers) mean += x;
      mean /= n;
      double ss = 0;
      for (double x : numbers) ss += (x - mean) * (x - mean);
      return Value::Number(std::sqrt(ss / (n - 1)));
    }
    default: return Value::Missing();
  }
}

}  // namespace

Result<std::unique_ptr<Expression>> CompileAggregate(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(std::string field, RequiredAttr(node, "field"));
  std::string function_name(Attr(node, "function"));
  WindowSpec spec;
  spec.kind = WindowSpec::Kind::kAggregate;
  spec.element = "<Aggregate field='" + field + "' function='" + function_name + "'>";
  RETURN_IF_ERROR(CheckPlacement(scope, spec.element));
  if (function_name == "count") {
    spec.function = Function::kCount;
  } else if (function_name == "sum") {
    spec.function = Function::kSum;
  } else if (function_name == "average") {
    spec.function = Function::kAverage;
  } else if (function_name == "min") {
    spec.function = Function::kMin;
  } else if (function_name == "max") {
    spec.function = Function::kMax;
  } else if (function_name == "multiset") {
    spec.function = Function::kMultiset;
  } else {
    return InvalidArgument(spec.element + ": unknown function '" + function_name +
                           "' (count, sum, average, min, max or multiset)");
  }
  if (HasAttr(node, "sqlWhere")) {
    return Unimplemented(spec.element + " has a sqlWhere condition ('" + std::string(Attr(node, "sqlWhere")) +
                         "'), an SQL expression this runtime does not evaluate");
  }
  ASSIGN_OR_RETURN(spec.field, ResolveWindowField(scope, field, spec.element));
  if (HasAttr(node, "groupField")) {
    ASSIGN_OR_RETURN(Slot group, ResolveWindowField(scope, std::string(Attr(node, "groupField")), spec.element));
    spec.keys.push_back(group);
  }
  DataType type = spec.function == Function::kCount                                      ? DataType::kInteger
                  : spec.function == Function::kMultiset                                 ? TypeOf(scope, spec.field)
                  : (spec.function == Function::kMin || spec.function == Function::kMax) ? TypeOf(scope, spec.field)
                                                                                         : DataType::kDouble;
  return Register(scope, std::move(spec), type, Value::Missing());
}

Result<std::unique_ptr<Expression>> CompileLag(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(std::string field, RequiredAttr(node, "field"));
  WindowSpec spec;
  spec.kind = WindowSpec::Kind::kLag;
  ASSIGN_OR_RETURN(double n, NumberAttr(node, "n", 1));
  std::string aggregate(Attr(node, "aggregate", "none"));
  spec.element = "<Lag field='" + field + "' n='" + std::string(Attr(node, "n", "1")) + "'" +
                 (aggregate == "none" ? std::string() : " aggregate='" + aggregate + "'") + ">";
  RETURN_IF_ERROR(CheckPlacement(scope, spec.element));
  if (!(n >= 1) || n != std::floor(n) || n > 1e6) {
    return InvalidArgument(spec.element + ": n must be a positive integer");
  }
  spec.n = static_cast<int>(n);
  if (aggregate == "none") {
    spec.function = Function::kNone;
  } else if (aggregate == "avg") {
    spec.function = Function::kAverage;
  } else if (aggregate == "max") {
    spec.function = Function::kMax;
  } else if (aggregate == "median") {
    spec.function = Function::kMedian;
  } else if (aggregate == "min") {
    spec.function = Function::kMin;
  } else if (aggregate == "product") {
    spec.function = Function::kProduct;
  } else if (aggregate == "sum") {
    spec.function = Function::kSum;
  } else if (aggregate == "stddev") {
    spec.function = Function::kStddev;
  } else {
    return InvalidArgument(spec.element + ": unknown aggregate '" + aggregate +
                           "' (none, avg, max, median, min, product, sum or stddev)");
  }
  ASSIGN_OR_RETURN(spec.field, ResolveWindowField(scope, field, spec.element));
  for (pugi::xml_node block : Children(node, "BlockIndicator")) {
    ASSIGN_OR_RETURN(std::string name, RequiredAttr(block, "field"));
    ASSIGN_OR_RETURN(Slot slot, ResolveWindowField(scope, name, spec.element));
    spec.keys.push_back(slot);
  }
  DataType type = spec.function == Function::kNone ? TypeOf(scope, spec.field) : DataType::kDouble;
  Value map_missing;
  if (HasAttr(node, "mapMissingTo")) {
    std::string text(Attr(node, "mapMissingTo"));
    std::optional<double> x = ParseNumber(text);
    map_missing = x ? Value::Number(*x) : Value::String(text);
  }
  return Register(scope, std::move(spec), type, std::move(map_missing));
}

Status RequestWindows::Compute(const std::vector<std::shared_ptr<const WindowSpec>>& windows, EvalContext& ctx,
                               int64_t rows, const RowSetter& set_row) {
  per_window_.clear();
  per_window_.reserve(windows.size());
  const size_t n_rows = static_cast<size_t>(std::max<int64_t>(rows, 0));
  std::vector<Value> field(n_rows);
  std::vector<std::string> key(n_rows);
  for (const auto& spec_ptr : windows) {
    const WindowSpec& spec = *spec_ptr;
    // Read the window's field and keys on every row, with the earlier windows already set.
    for (size_t r = 0; r < n_rows; ++r) {
      set_row(ctx, static_cast<int64_t>(r));
      ApplyFirst(ctx, static_cast<int64_t>(r), per_window_.size());
      field[r] = ctx.Get(spec.field);
      key[r] = KeyOf(ctx, spec.keys);
    }
    PerWindow out;
    out.spec = &spec;
    out.values.assign(n_rows, Value::Missing());
    // Rows of each group (or block), in request order.
    std::unordered_map<std::string, size_t> index;
    std::vector<std::vector<size_t>> groups;
    for (size_t r = 0; r < n_rows; ++r) {
      auto [it, added] = index.emplace(key[r], groups.size());
      if (added) groups.emplace_back();
      groups[it->second].push_back(r);
    }
    std::vector<const Value*> values;
    if (spec.kind == WindowSpec::Kind::kAggregate) {
      if (spec.function == Function::kMultiset) {
        out.group.assign(n_rows, -1);
        int64_t copies = 0;
        for (const std::vector<size_t>& members : groups) {
          copies += static_cast<int64_t>(members.size()) * static_cast<int64_t>(members.size());
        }
        if (copies > kMaxMultisetValues) {
          per_window_.clear();
          return ResourceExhausted(spec.element + ": the groups of this request are too large for a multiset (" +
                                   std::to_string(rows) +
                                   " rows); send fewer rows per group, or group them with a usageType=\"group\" "
                                   "MiningField so that each group is scored once");
        }
      }
      for (const std::vector<size_t>& members : groups) {
        if (spec.function == Function::kMultiset) {
          std::vector<Value> items;
          for (size_t r : members) {
            if (!field[r].missing()) items.push_back(field[r]);
          }
          Value first = items.empty() ? Value::Missing() : items.front();
          for (size_t r : members) {
            out.values[r] = first;
            out.group[r] = static_cast<int32_t>(out.collections.size());
          }
          out.collections.push_back(std::move(items));
          continue;
        }
        values.clear();
        for (size_t r : members) values.push_back(&field[r]);
        Value result = Combine(spec.function, values);
        for (size_t r : members) out.values[r] = result;
      }
    } else {
      const size_t lag = static_cast<size_t>(spec.n);
      if (spec.function != Function::kNone) {
        int64_t work = 0;  // values combined: each row reads up to n previous ones
        for (const std::vector<size_t>& members : groups) {
          for (size_t p = 0; p < members.size(); ++p) work += static_cast<int64_t>(std::min(p, lag));
        }
        if (work > kMaxMultisetValues) {
          per_window_.clear();
          return ResourceExhausted(spec.element + ": combining the previous values of " + std::to_string(rows) +
                                   " rows is too much work for one request; send fewer rows");
        }
      }
      for (const std::vector<size_t>& members : groups) {
        for (size_t p = 0; p < members.size(); ++p) {
          if (spec.function == Function::kNone) {
            if (p >= lag) out.values[members[p]] = field[members[p - lag]];
            continue;
          }
          values.clear();
          for (size_t q = p > lag ? p - lag : 0; q < p; ++q) values.push_back(&field[members[q]]);
          out.values[members[p]] = Combine(spec.function, values);
        }
      }
    }
    per_window_.push_back(std::move(out));
  }
  return Status::Ok();
}

void RequestWindows::ApplyFirst(EvalContext& ctx, int64_t row, size_t count) const {
  const size_t r = static_cast<size_t>(row);
  for (size_t w = 0; w < count; ++w) {
    const PerWindow& pw = per_window_[w];
    ctx.Set(pw.spec->result, pw.values[r]);
    if (!pw.group.empty() && pw.group[r] >= 0) {
      ctx.SetCollection(pw.spec->result, pw.collections[static_cast<size_t>(pw.group[r])]);
    }
  }
}

}  // namespace mlserving::formats::pmml
