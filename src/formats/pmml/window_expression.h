#pragma once
// Request-level expressions: <Aggregate> and <Lag>. Their value for one row depends on other rows
// of the same request, so they are computed for the whole request before its rows are scored.

#include <pugixml.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "formats/pmml/eval_context.h"
#include "formats/pmml/expression.h"
#include "formats/pmml/field_table.h"

namespace mlserving::formats::pmml {

class Scope;

/// One compiled <Aggregate> or <Lag>. The expression itself reads `result`, a hidden input slot
/// that RequestWindows sets per row; `field` and `keys` are read per row, in the scope of the
/// expression, before the rows are scored.
///
///  - Aggregate: the rows of the request with the same value of `groupField` (keys; all rows of
///    the request when there is none) form a group, and every row of a group gets `function`
///    over the group's non-missing `field` values: count (of those values), sum, average, min,
///    max (numbers; min/max compare strings when a value is not a number) or multiset (the values
///    themselves: set as the result slot's collection, first value as its scalar).
///  - Lag: within the rows with the same BlockIndicator values (keys; all rows when none), in
///    request order, `function` kNone gives `field` of the n-th previous row (missing when there
///    are fewer than n), the others (avg, max, median, min, product, sum, stddev: the sample
///    standard deviation) combine the non-missing values of the up to n previous rows.
/// Results are missing when no value qualifies.
struct WindowSpec {
  enum class Kind : uint8_t { kAggregate, kLag };
  enum class Function : uint8_t { kNone, kCount, kSum, kAverage, kMin, kMax, kMultiset, kMedian, kProduct, kStddev };

  Kind kind = Kind::kAggregate;
  Function function = Function::kNone;
  Slot field = kNoSlot;
  std::vector<Slot> keys;  ///< Aggregate: groupField (0 or 1); Lag: BlockIndicator fields
  int n = 1;               ///< Lag
  Slot result = kNoSlot;   ///< hidden kInput slot holding the row's value
  std::string element;     ///< for messages, e.g. <Lag field='x' n='2'>
};

/// Compile an <Aggregate> / <Lag> element in `scope`: registers a WindowSpec in the field table
/// (FieldTable::windows) and returns the expression reading its per-row result. Errors name the
/// element: unknown function or aggregate, sqlWhere (an SQL condition, not evaluated here), use
/// inside a DefineFunction, an aggregated field that is an OutputField (known only after scoring).
Result<std::unique_ptr<Expression>> CompileAggregate(pugi::xml_node node, Scope& scope);
Result<std::unique_ptr<Expression>> CompileLag(pugi::xml_node node, Scope& scope);

/// The values of a document's window expressions for every row of one request.
class RequestWindows {
 public:
  /// Makes `ctx` ready for row `row`: BeginRow() and the row's inputs Set.
  using RowSetter = std::function<void(EvalContext& ctx, int64_t row)>;

  /// Computes every window of `windows` (in order: a window may read earlier ones) over `rows`
  /// rows, reading each row through `set_row`. Row errors are ignored here (scoring reports them).
  /// kResourceExhausted when multiset groups are so large that handing every row its group's
  /// values (rows x group size), or a Lag aggregate's previous values (rows x n), would exceed
  /// kMaxMultisetValues.
  Status Compute(const std::vector<std::shared_ptr<const WindowSpec>>& windows, EvalContext& ctx, int64_t rows,
                 const RowSetter& set_row);

  /// Bound on the values one window may copy or combine for a request (Σ (group size)² for a
  /// multiset, Σ min(position, n) for a Lag aggregate).
  static constexpr int64_t kMaxMultisetValues = int64_t{1} << 24;

  /// Sets the window results of `row` in `ctx` (after the row's inputs, before scoring).
  void Apply(EvalContext& ctx, int64_t row) const { ApplyFirst(ctx, row, per_window_.size()); }

  bool empty() const { return per_window_.empty(); }

 private:
  struct PerWindow {
    const WindowSpec* spec = nullptr;
    std::vector<Value> values;                    ///< per row
    std::vector<int32_t> group;                   ///< multiset: per row, index in collections
    std::vector<std::vector<Value>> collections;  ///< multiset: per group
  };
  void ApplyFirst(EvalContext& ctx, int64_t row, size_t count) const;

  std::vector<PerWindow> per_window_;
};

}  // namespace mlserving::formats::pmml
