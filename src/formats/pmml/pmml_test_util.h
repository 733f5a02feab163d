#pragma once
// Test helpers: compile a PMML string and score one row given as name -> value.

#include <map>
#include <memory>
#include <string>

#include "formats/pmml/pmml_document.h"

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

inline std::unique_ptr<PmmlDocument> MustLoad(const std::string& text) {
  auto doc = PmmlDocument::Load(text);
  if (!doc.ok()) return nullptr;
  return std::move(doc).value();
}

inline Value N(double v) { return Value::Number(v); }
inline Value S(const std::string& v) { return Value::String(v); }

}  // namespace mlserving::formats::pmml::testing
