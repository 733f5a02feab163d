#pragma once
// Test helpers: compile a PMML string and score one row given as name -> value.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "formats/pmml/pmml_document.h"
#include "formats/pmml/window_expression.h"

namespace mlserving::formats::pmml::testing {

/// Wraps a model element (and optional TransformationDictionary) in a PMML 4.4 document.
inline std::string Doc(const std::string& data_dictionary, const std::string& body) {
  return "<?xml version=\"1.0\"?>\n<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\"><Header/>"
         "<DataDictionary>" +
         data_dictionary + "</DataDictionary>" + body + "</PMML>";
}

/// One scored row: every result field by name, or the row's error.
struct Scored {
  Status status;
  std::map<std::string, Value> results;
  Value Get(const std::string& name) const {
    auto it = results.find(name);
    return it == results.end() ? Value::Missing() : it->second;
  }
};

inline Scored ScoreOne(const PmmlDocument& doc, const std::map<std::string, Value>& row) {
  auto ctx = doc.NewContext();
  ctx->BeginRow();
  for (size_t i = 0; i < doc.dictionary().fields.size(); ++i) {
    auto it = row.find(doc.dictionary().fields[i].name);
    if (it != row.end()) ctx->Set(doc.data_field_slots()[i], it->second);
  }
  Scored out;
  out.status = doc.ScoreRow(*ctx);
  if (!out.status.ok()) return out;
  for (const auto& r : doc.results()) out.results[r.name] = doc.ResultValue(*ctx, r);
  return out;
}

/// Scores the rows of one request, as the evaluator does: the request-level expressions
/// (Aggregate, Lag) are computed over all rows first, then each row is scored.
inline std::vector<Scored> ScoreRows(const PmmlDocument& doc, const std::vector<std::map<std::string, Value>>& rows) {
  auto ctx = doc.NewContext();
  auto set_row = [&](EvalContext& c, int64_t r) {
    c.BeginRow();
    const auto& row = rows[static_cast<size_t>(r)];
    for (size_t i = 0; i < doc.dictionary().fields.size(); ++i) {
      auto it = row.find(doc.dictionary().fields[i].name);
      if (it != row.end()) c.Set(doc.data_field_slots()[i], it->second);
    }
  };
  RequestWindows windows;
  std::vector<Scored> out(rows.size());
  Status computed = windows.Compute(doc.windows(), *ctx, static_cast<int64_t>(rows.size()), set_row);
  if (!computed.ok()) {
    for (Scored& s : out) s.status = computed;
    return out;
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    set_row(*ctx, static_cast<int64_t>(r));
    windows.Apply(*ctx, static_cast<int64_t>(r));
    out[r].status = doc.ScoreRow(*ctx);
    if (!out[r].status.ok()) continue;
    for (const auto& res : doc.results()) out[r].results[res.name] = doc.ResultValue(*ctx, res);
  }
  return out;
}

inline std::unique_ptr<PmmlDocument> MustLoad(const std::string& text) {
  auto doc = PmmlDocument::Load(text);
  if (!doc.ok()) return nullptr;
  return std::move(doc).value();
}

inline Value N(double v) { return Value::Number(v); }
inline Value S(const std::string& v) { return Value::String(v); }

}  // namespace mlserving::formats::pmml::testing
