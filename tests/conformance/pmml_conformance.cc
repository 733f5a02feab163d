// Scores the PMML conformance corpora of ../shared/conformance/pmml (see its INDEX.md) and
// compares with the expected outputs of the exporting tools:
//  - jpmml: every model of pmml_cases.tsv with its input/expected CSVs, compared as jpmml's
//    VerificationUtil does (numbers: both within ±zeroThreshold of 0, or relative precision;
//    other values: the expected text read as our value's type, then equal);
//  - cpmml: the `prediction` column against the top model's prediction (string equal, else
//    relative difference < 1e-3, as cPMML's model_tester does);
//  - dmg: every line of dmg-examples-pmml4s/expected_cases.jsonl (numbers to 1e-12 relative).
// Models of unsupported types count as failed. Prints PASS/FAIL per model with the first
// difference, a per-model-type table and `N passed, M failed, K skipped`; exits 1 when fewer
// than --min-pass cases pass, 77 when the corpus is absent.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/pmml/pmml_document.h"
#include "server/codecs/csv_codec.h"

namespace fs = std::filesystem;
using mlserving::codecs::CsvTable;
using mlserving::codecs::ParseCsv;
using mlserving::formats::pmml::PmmlDocument;
using PValue = mlserving::formats::pmml::Value;

namespace {

struct Outcome {
  bool pass = false;
  std::string detail;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Reads a model file; `.zip` archives are read through `unzip -p` (first member).
std::string ReadModel(const fs::path& path) {
  if (path.extension() != ".zip") return ReadFile(path);
  std::string cmd = "unzip -p '" + path.string() + "' 2>/dev/null";
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return out;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

std::optional<double> Number(const std::string& s) {
  char* end = nullptr;
  if (s.empty()) return std::nullopt;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

/// jpmml's VerificationUtil.acceptable for one cell. `as_float`: the result field is declared
/// dataType="float", so our value is rounded to single precision as the Java evaluators round it;
/// the expected text is rounded the same way before comparing (references such as pmml4s print
/// the unrounded double).
bool Acceptable(const std::optional<std::string>& expected, const PValue& actual, double precision, double zero,
                bool as_float = false) {
  if (!expected) return actual.missing();
  if (actual.missing()) return false;
  if (actual.is_number() || (actual.is_string() && Number(actual.string()))) {
    std::optional<double> e = Number(*expected);
    if (e && as_float) e = static_cast<double>(static_cast<float>(*e));
    std::optional<double> a = actual.AsNumber();
    if (!e || !a) return false;
    if (std::fabs(*e) <= zero && std::fabs(*a) <= zero) return true;
    double lo = *e * (1 - precision), hi = *e * (1 + precision);
    if (lo > hi) std::swap(lo, hi);
    return *a >= lo && *a <= hi;
  }
  if (actual.is_bool()) {
    std::optional<bool> e = PValue::String(*expected).AsBool();
    return e && *e == (actual.number() != 0);
  }
  return actual.string() == *expected;
}

std::string Show(const PValue& v) { return v.missing() ? "<missing>" : v.AsString(); }

void SetInputs(const PmmlDocument& doc, mlserving::formats::pmml::EvalContext& ctx, const CsvTable& table, size_t row) {
  const auto& fields = doc.dictionary().fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    int col = table.Column(fields[i].name);
    if (col < 0) continue;
    const std::optional<std::string>& cell = table.rows[row][static_cast<size_t>(col)];
    PValue v = cell ? PValue::String(*cell) : PValue::Missing();
    if (cell && mlserving::formats::pmml::IsNumeric(fields[i].data_type)) {
      if (std::optional<double> n = Number(*cell)) v = PValue::Number(*n);
    }
    ctx.Set(doc.data_field_slots()[i], std::move(v));
  }
}

const PmmlDocument::Result* FindResult(const PmmlDocument& doc, const std::string& name) {
  for (const auto& r : doc.results()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

mlserving::Result<std::unique_ptr<PmmlDocument>> LoadDoc(const fs::path& path) {
  std::string bytes = ReadModel(path);
  if (bytes.empty()) return mlserving::NotFound("cannot read " + path.string());
  return PmmlDocument::Load(bytes);
}

Outcome RunJpmml(const fs::path& root, const std::vector<std::string>& c) {
  // c: corpus model type input expected precision zero excluded mapping
  auto doc = LoadDoc(root / c[1]);
  if (!doc.ok()) return {false, "load: " + doc.status().message()};
  auto input = ParseCsv(ReadFile(root / c[3]));
  auto expected = ParseCsv(ReadFile(root / c[4]));
  if (!input.ok() || !expected.ok()) return {false, "cannot read the CSVs"};
  // Transactional models (a group MiningField): rows sharing the group value form one
  // transaction scored once, in order of first appearance (jpmml's EvaluatorUtil.groupRows).
  std::vector<std::vector<size_t>> groups;
  if (const PmmlDocument::Input* group = (*doc)->group()) {
    int col = input->Column(group->name);
    if (col < 0) return {false, "the input has no group column '" + group->name + "'"};
    std::map<std::string, size_t> index;
    for (size_t row = 0; row < input->rows.size(); ++row) {
      const auto& cell = input->rows[row][static_cast<size_t>(col)];
      auto [it, added] = index.emplace(cell ? *cell : "", groups.size());
      if (added) groups.emplace_back();
      groups[it->second].push_back(row);
    }
  } else {
    for (size_t row = 0; row < input->rows.size(); ++row) groups.push_back({row});
  }
  if (groups.size() != expected->rows.size()) {
    return {false, "input has " + std::to_string(groups.size()) + " rows (after grouping), expected " +
                       std::to_string(expected->rows.size())};
  }
  double precision = std::stod(c[5]), zero = std::stod(c[6]);
  std::vector<std::string> excluded;
  if (c[7] != "-") {
    std::stringstream ss(c[7]);
    for (std::string s; std::getline(ss, s, ',');) excluded.push_back(s);
  }
  std::vector<std::pair<std::string, std::string>> columns;  // expected column -> result name
  if (c[8] != "-") {
    std::stringstream ss(c[8]);
    for (std::string s; std::getline(ss, s, ',');) {
      size_t eq = s.find('=');
      columns.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
  } else {
    for (const std::string& h : expected->header) {
      if (std::find(excluded.begin(), excluded.end(), h) == excluded.end()) columns.emplace_back(h, h);
    }
  }
  std::vector<std::pair<int, const PmmlDocument::Result*>> checks;
  for (const auto& [e, r] : columns) {
    const PmmlDocument::Result* result = FindResult(**doc, r);
    if (!result) return {false, "no result field '" + r + "'"};
    checks.emplace_back(expected->Column(e), result);
  }
  auto ctx = (*doc)->NewContext();
  for (size_t row = 0; row < groups.size(); ++row) {
    ctx->BeginRow();
    SetInputs(**doc, *ctx, *input, groups[row].front());
    if ((*doc)->group()) {
      for (const PmmlDocument::Input& in : (*doc)->inputs()) {
        int col = input->Column(in.name);
        if (col < 0) continue;
        std::vector<PValue> values;
        for (size_t r : groups[row]) {
          const auto& cell = input->rows[r][static_cast<size_t>(col)];
          values.push_back(cell ? PValue::String(*cell) : PValue::Missing());
        }
        ctx->SetCollection(in.slot, std::move(values));
      }
    }
    mlserving::Status s = (*doc)->ScoreRow(*ctx);
    if (!s.ok()) return {false, "row " + std::to_string(row + 1) + ": " + s.message()};
    for (const auto& [col, result] : checks) {
      PValue v = (*doc)->ResultValue(*ctx, *result);
      const auto& cell = expected->rows[row][static_cast<size_t>(col)];
      if (!Acceptable(cell, v, precision, zero, result->data_type == mlserving::formats::pmml::DataType::kFloat)) {
        return {false, "row " + std::to_string(row + 1) + " " + result->name + ": expected " +
                           (cell ? *cell : "<missing>") + ", got " + Show(v)};
      }
    }
  }
  return {true, std::to_string(groups.size()) + " rows"};
}

Outcome RunCpmml(const fs::path& root, const std::vector<std::string>& c) {
  auto doc = LoadDoc(root / c[1]);
  if (!doc.ok()) return {false, "load: " + doc.status().message()};
  auto table = ParseCsv(ReadFile(root / c[3]));
  if (!table.ok()) return {false, "cannot read " + c[3]};
  int col = table->Column("prediction");
  const PmmlDocument::Result* target = nullptr;
  for (const auto& r : (*doc)->results()) {
    if (r.is_target) target = &r;
  }
  if (col < 0 || !target) return {false, "no prediction column or no target"};
  auto ctx = (*doc)->NewContext();
  for (size_t row = 0; row < table->rows.size(); ++row) {
    ctx->BeginRow();
    SetInputs(**doc, *ctx, *table, row);
    mlserving::Status s = (*doc)->ScoreRow(*ctx);
    if (!s.ok()) return {false, "row " + std::to_string(row + 1) + ": " + s.message()};
    PValue v = (*doc)->ResultValue(*ctx, *target);
    const auto& cell = table->rows[row][static_cast<size_t>(col)];
    std::string got = v.missing() ? "" : v.AsString();
    bool ok = cell ? got == *cell : v.missing();
    if (!ok && cell) {
      std::optional<double> e = Number(*cell), a = v.AsNumber();
      ok = e && a && (*e == *a || std::fabs((*a - *e) / *e) < 1e-3);
      if (!ok && v.is_bool()) ok = PValue::String(*cell).AsBool() == v.AsBool();
    }
    if (!ok)
      return {false,
              "row " + std::to_string(row + 1) + ": expected " + (cell ? *cell : "<missing>") + ", got " + Show(v)};
  }
  return {true, std::to_string(table->rows.size()) + " rows"};
}

/// pmml4s' default outputs of models without <Output> as the DMG cases name them:
/// probability(predicted), probability(X), probability_X, P(X), confidence; for clustering
/// "cluster id", "cluster name" and "affinity (…)".
std::optional<PValue> DefaultOutput(const PmmlDocument& doc, mlserving::formats::pmml::EvalContext& ctx,
                                    const std::string& name) {
  const auto& info = doc.model().info();
  const auto& p = ctx.prediction(info.id);
  if (name == "cluster id") return p.entity_id.empty() ? PValue::Missing() : PValue::String(p.entity_id);
  if (name == "cluster name") {
    const auto* target = info.targets.Find(info.target_name);
    const auto* tv = target && !p.value.missing() ? target->Find(p.value) : nullptr;
    return tv ? PValue::String(tv->display_value) : PValue::Missing();
  }
  if (name == "affinity" || name.rfind("affinity (", 0) == 0) {
    return std::isnan(p.affinity) ? PValue::Missing() : PValue::Number(p.affinity);
  }
  std::string category;
  bool confidence = false;
  if (name == "probability" || name == "probability(predicted)" || name == "confidence") {
    category = p.value.AsString();
    confidence = name == "confidence";
  } else if (name.rfind("probability(", 0) == 0 && name.back() == ')') {
    category = name.substr(12, name.size() - 13);
  } else if (name.rfind("probability_", 0) == 0) {
    category = name.substr(12);
  } else if (name.rfind("P(", 0) == 0 && name.back() == ')') {
    category = name.substr(2, name.size() - 3);
  } else {
    return std::nullopt;
  }
  int i = info.ClassIndex(category);
  const std::vector<double>& v = confidence && !p.confidences.empty() ? p.confidences : p.probabilities;
  if (i < 0 || static_cast<size_t>(i) >= v.size()) return PValue::Missing();
  return PValue::Number(v[static_cast<size_t>(i)]);
}

/// `excluded`: expected fields not compared (reference-specific behaviour, see pmml_exclusions.tsv).
Outcome RunDmg(const fs::path& root, const nlohmann::json& c, const std::vector<std::string>& excluded) {
  auto doc = LoadDoc(root / "dmg-examples-pmml4s" / c["model"].get<std::string>());
  if (!doc.ok()) return {false, "load: " + doc.status().message()};
  auto ctx = (*doc)->NewContext();
  ctx->BeginRow();
  const auto& fields = (*doc)->dictionary().fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    auto it = c["input"].find(fields[i].name);
    if (it == c["input"].end() || it->is_null()) continue;
    PValue v = it->is_number()    ? PValue::Number(it->get<double>())
               : it->is_boolean() ? PValue::Bool(it->get<bool>())
                                  : PValue::String(it->get<std::string>());
    ctx->Set((*doc)->data_field_slots()[i], std::move(v));
  }
  mlserving::Status s = (*doc)->ScoreRow(*ctx);
  if (!s.ok()) return {false, s.message()};
  for (const auto& [name, expected] : c["expected"].items()) {
    if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) continue;
    const PmmlDocument::Result* result = FindResult(**doc, name);
    // Transcribed names may carry an explanation: "output_1 (species, continuous)".
    if (!result && name.find(" (") != std::string::npos) result = FindResult(**doc, name.substr(0, name.find(" (")));
    PValue v;
    if (result) {
      v = (*doc)->ResultValue(*ctx, *result);
    } else if (std::optional<PValue> d = DefaultOutput(**doc, *ctx, name)) {
      v = *d;
    } else {
      return {false, "no result field '" + name + "'"};
    }
    std::optional<std::string> e;
    if (!expected.is_null()) e = expected.is_string() ? expected.get<std::string>() : expected.dump();
    bool as_float = result && result->data_type == mlserving::formats::pmml::DataType::kFloat;
    if (!Acceptable(e, v, 1e-12, 1e-15, as_float))
      return {false, name + ": expected " + (e ? *e : "<missing>") + ", got " + Show(v)};
  }
  return {true, ""};
}

}  // namespace

int main(int argc, char** argv) {
  fs::path root = fs::path(MLSERVING_SOURCE_DIR) / ".." / "shared" / "conformance" / "pmml";
  fs::path cases = fs::path(MLSERVING_SOURCE_DIR) / "tests" / "conformance" / "pmml_cases.tsv";
  int min_pass = 0;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--min-pass" && i + 1 < argc) min_pass = std::atoi(argv[++i]);
    if (a == "--root" && i + 1 < argc) root = argv[++i];
    if (a == "-v") verbose = true;
  }
  if (!fs::exists(root / "INDEX.md")) {
    std::cout << "SKIPPED: the PMML conformance corpus is absent (" << root.string() << ")\n";
    return 77;
  }
  struct Tally {
    int pass = 0, fail = 0;
  };
  std::map<std::string, Tally> by_type;
  std::map<std::string, Tally> by_corpus;
  int passed = 0, failed = 0, skipped = 0;
  auto report = [&](const std::string& corpus, const std::string& type, const std::string& name, const Outcome& o) {
    (o.pass ? passed : failed)++;
    (o.pass ? by_type[type].pass : by_type[type].fail)++;
    (o.pass ? by_corpus[corpus].pass : by_corpus[corpus].fail)++;
    if (!o.pass || verbose)
      std::cout << (o.pass ? "PASS " : "FAIL ") << corpus << " " << name << ": " << o.detail << "\n";
  };
  // Exclusions (pmml_exclusions.tsv): case -> fields not compared ("*": the whole case is skipped),
  // each with the reason, printed when the case is skipped.
  std::map<std::string, std::vector<std::string>> excluded;
  std::map<std::string, std::string> exclusion_reason;
  std::ifstream exclusions(fs::path(MLSERVING_SOURCE_DIR) / "tests" / "conformance" / "pmml_exclusions.tsv");
  for (std::string line; std::getline(exclusions, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, '\t');) cells.push_back(cell);
    if (cells.size() < 2) continue;
    std::stringstream fields(cells[1]);
    for (std::string f; std::getline(fields, f, ',');) excluded[cells[0]].push_back(f);
    exclusion_reason[cells[0]] = cells.size() > 2 ? cells[2] : "";
  }
  auto skipped_whole = [&](const std::string& name) {
    auto it = excluded.find(name);
    if (it == excluded.end() || it->second != std::vector<std::string>{"*"}) return false;
    ++skipped;
    std::cout << "SKIP " << name << ": excluded: " << exclusion_reason[name] << "\n";
    return true;
  };
  std::ifstream tsv(cases);
  for (std::string line; std::getline(tsv, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, '\t');) c.push_back(cell);
    if (c.size() < 9) continue;
    if (!fs::exists(root / c[1])) {
      ++skipped;
      std::cout << "SKIP " << c[1] << ": file absent\n";
      continue;
    }
    if (skipped_whole(c[1])) continue;
    report(c[0], c[2], c[1], c[0] == "cpmml" ? RunCpmml(root, c) : RunJpmml(root, c));
  }
  std::ifstream jsonl(root / "dmg-examples-pmml4s" / "expected_cases.jsonl");
  int index = 0;
  for (std::string line; std::getline(jsonl, line);) {
    if (line.empty()) continue;
    ++index;
    nlohmann::json c = nlohmann::json::parse(line, nullptr, false);
    if (c.is_discarded()) {
      ++skipped;
      continue;
    }
    std::string type = c["type"].get<std::string>();
    type = type.substr(0, type.find('('));
    std::string name = c["model"].get<std::string>() + "#" + std::to_string(index);
    if (skipped_whole(name)) continue;
    report("dmg", type, name, RunDmg(root, c, excluded[name]));
  }
  std::cout << "\nper corpus:\n";
  for (const auto& [name, t] : by_corpus) std::printf("  %-10s %3d passed %3d failed\n", name.c_str(), t.pass, t.fail);
  std::cout << "per model type:\n";
  for (const auto& [name, t] : by_type) std::printf("  %-28s %3d passed %3d failed\n", name.c_str(), t.pass, t.fail);
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  if (passed < min_pass) {
    std::cout << "FAILED: " << passed << " cases passed, below the floor of " << min_pass
              << " (tests/conformance/pmml_pass_floor.txt)\n";
    return 1;
  }
  return 0;
}
