#include "formats/pmml/expression.h"

#include <array>
#include <cmath>
#include <regex>

#include "formats/pmml/builtin_functions.h"
#include "formats/pmml/compiler.h"
#include "formats/pmml/data_dictionary.h"
#include "formats/pmml/window_expression.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {
namespace {

/// Inputs longer than this are not fed to std::regex (its matcher recurses per character).
constexpr size_t kMaxRegexInput = 4096;
constexpr int kMaxCallDepth = 64;

/// Reads an optional value attribute (mapMissingTo, defaultValue) typed by `type` when it parses.
Value OptionalValueAttr(pugi::xml_node node, std::string_view name, std::optional<DataType> type) {
  if (!HasAttr(node, name)) return Value::Missing();
  Value raw = Value::String(std::string(Attr(node, name)));
  if (type) {
    std::optional<Value> cast = CastValue(raw, *type);
    if (cast) return *cast;
  } else if (std::optional<double> n = ParseNumber(raw.string())) {
    return Value::Number(*n);
  }
  return raw;
}

std::optional<DataType> DataTypeAttr(pugi::xml_node node) {
  if (!HasAttr(node, "dataType")) return std::nullopt;
  return ParseDataType(Attr(node, "dataType"));
}

class ConstantExpr final : public Expression {
 public:
  explicit ConstantExpr(Value v) : value_(std::move(v)) {}
  Value Eval(EvalContext&) const override { return value_; }

 private:
  Value value_;
};

class FieldRefExpr final : public Expression {
 public:
  FieldRefExpr(Slot slot, Value map_missing) : slot_(slot), map_missing_(std::move(map_missing)) {}
  Value Eval(EvalContext& ctx) const override {
    const Value& v = ctx.Get(slot_);
    return v.missing() ? map_missing_ : v;
  }
  Slot field_slot() const override { return slot_; }

 private:
  Slot slot_;
  Value map_missing_;
};

class ParamRefExpr final : public Expression {
 public:
  ParamRefExpr(int index, Value map_missing) : index_(index), map_missing_(std::move(map_missing)) {}
  Value Eval(EvalContext& ctx) const override {
    const Value& v = ctx.Param(index_);
    return v.missing() ? map_missing_ : v;
  }

 private:
  int index_;
  Value map_missing_;
};

/// NormContinuous: piecewise-linear interpolation through the LinearNorm points.
class NormContinuousExpr final : public Expression {
 public:
  enum class Outliers { kAsIs, kAsMissing, kAsExtreme };
  NormContinuousExpr(Slot slot, std::vector<std::pair<double, double>> points, Outliers outliers, Value map_missing)
      : slot_(slot), points_(std::move(points)), outliers_(outliers), map_missing_(std::move(map_missing)) {}

  Value Eval(EvalContext& ctx) const override {
    std::optional<double> x = ctx.Get(slot_).AsNumber();
    if (!x || std::isnan(*x)) return map_missing_;
    const auto& p = points_;
    size_t n = p.size();
    if (*x < p.front().first || *x > p.back().first) {
      if (outliers_ == Outliers::kAsMissing) return map_missing_;
      if (outliers_ == Outliers::kAsExtreme)
        return Value::Number(*x < p.front().first ? p.front().second : p.back().second);
    }
    size_t i = 1;
    while (i < n - 1 && *x > p[i].first) ++i;
    const auto& a = p[i - 1];
    const auto& b = p[i];
    return Value::Number(a.second + (*x - a.first) / (b.first - a.first) * (b.second - a.second));
  }

 private:
  Slot slot_;
  std::vector<std::pair<double, double>> points_;
  Outliers outliers_;
  Value map_missing_;
};

class NormDiscreteExpr final : public Expression {
 public:
  NormDiscreteExpr(Slot slot, Value value, Value map_missing)
      : slot_(slot), value_(std::move(value)), map_missing_(std::move(map_missing)) {}
  Value Eval(EvalContext& ctx) const override {
    const Value& v = ctx.Get(slot_);
    if (v.missing()) return map_missing_;
    return Value::Number(v.Equals(value_) ? 1.0 : 0.0);
  }

 private:
  Slot slot_;
  Value value_;
  Value map_missing_;
};

class DiscretizeExpr final : public Expression {
 public:
  struct Bin {
    Interval interval;
    Value value;
  };
  DiscretizeExpr(Slot slot, std::vector<Bin> bins, Value map_missing, Value default_value)
      : slot_(slot), bins_(std::move(bins)), map_missing_(std::move(map_missing)), default_(std::move(default_value)) {}
  Value Eval(EvalContext& ctx) const override {
    std::optional<double> x = ctx.Get(slot_).AsNumber();
    if (!x || std::isnan(*x)) return map_missing_;
    for (const Bin& b : bins_) {
      if (b.interval.Contains(*x)) return b.value;
    }
    return default_;
  }

 private:
  Slot slot_;
  std::vector<Bin> bins_;
  Value map_missing_;
  Value default_;
};

/// MapValues: the first InlineTable row whose input columns equal the field values.
class MapValuesExpr final : public Expression {
 public:
  MapValuesExpr(std::vector<Slot> inputs, std::vector<std::vector<Value>> rows, Value map_missing, Value default_value)
      : inputs_(std::move(inputs)),
        rows_(std::move(rows)),
        map_missing_(std::move(map_missing)),
        default_(std::move(default_value)) {}
  Value Eval(EvalContext& ctx) const override {
    for (Slot s : inputs_) {
      if (ctx.Get(s).missing()) return map_missing_;
    }
    for (const std::vector<Value>& row : rows_) {
      bool match = true;
      for (size_t i = 0; i < inputs_.size() && match; ++i) match = ctx.Get(inputs_[i]).Equals(row[i]);
      if (match) return row.back();
    }
    return default_;
  }

 private:
  std::vector<Slot> inputs_;
  std::vector<std::vector<Value>> rows_;  ///< input cells then the output cell
  Value map_missing_;
  Value default_;
};

/// One <TextIndexNormalization>: its InlineTable rows as replacements applied to the text in row
/// order (a whole pass repeated until the text no longer changes when `recursive`).
struct TextNormalization {
  struct Replacement {
    std::regex pattern;       ///< the inField cell: a regex (regexField "true") or a literal, quoted
    std::string replacement;  ///< ECMAScript format ($& $1 …; a literal cell has its '$' doubled)
  };
  std::vector<Replacement> replacements;
  bool recursive = false;
};

/// Passes of a recursive normalization before it is abandoned (the text then counts as missing).
constexpr int kMaxNormalizationPasses = 100;

/// TextIndex: frequency of a term (a token sequence) in a text field, weighted, after the
/// TextIndexNormalizations rewrote the text.
class TextIndexExpr final : public Expression {
 public:
  enum class Weight { kTermFrequency, kBinary, kLogarithmic, kAugmented };
  TextIndexExpr(Slot text, std::unique_ptr<Expression> term, Weight weight, bool case_sensitive, int max_distance,
                std::regex separator, std::vector<TextNormalization> normalizations)
      : text_(text),
        term_(std::move(term)),
        weight_(weight),
        case_sensitive_(case_sensitive),
        max_distance_(max_distance),
        separator_(std::move(separator)),
        normalizations_(std::move(normalizations)) {}

  Value Eval(EvalContext& ctx) const override {
    const Value& text = ctx.Get(text_);
    Value term = term_->Eval(ctx);
    if (text.missing() || term.missing()) return Value::Missing();
    std::string a = text.AsString(), b = term.AsString();
    if (a.size() > kMaxRegexInput || b.size() > kMaxRegexInput) return Value::Missing();
    if (!Normalize(a)) return Value::Missing();
    std::vector<std::string> words = Tokenize(a), term_words = Tokenize(b);
    if (term_words.empty()) return Value::Number(0);
    double count = 0;
    std::map<std::string, int> frequencies;
    for (size_t i = 0; i + term_words.size() <= words.size(); ++i) {
      bool hit = true;
      for (size_t j = 0; j < term_words.size() && hit; ++j)
        hit = Distance(words[i + j], term_words[j]) <= max_distance_;
      if (hit) ++count;
    }
    switch (weight_) {
      case Weight::kTermFrequency: return Value::Number(count);
      case Weight::kBinary: return Value::Number(count > 0 ? 1 : 0);
      case Weight::kLogarithmic: return Value::Number(std::log10(1 + count));
      case Weight::kAugmented: {
        int max_freq = 0;
        for (const std::string& w : words) max_freq = std::max(max_freq, ++frequencies[w]);
        return Value::Number(max_freq ? 0.5 * (1 + count / max_freq) : 0);
      }
    }
    return Value::Missing();
  }

 private:
  /// Applies the normalizations to `text`; false when it grows past kMaxRegexInput or a
  /// recursive normalization does not settle.
  bool Normalize(std::string& text) const {
    try {
      for (const TextNormalization& n : normalizations_) {
        for (int pass = 0;; ++pass) {
          if (pass >= kMaxNormalizationPasses) return false;
          std::string before = text;
          for (const TextNormalization::Replacement& r : n.replacements) {
            text = std::regex_replace(text, r.pattern, r.replacement);
            if (text.size() > kMaxRegexInput) return false;
          }
          if (!n.recursive || text == before) break;
        }
      }
    } catch (const std::exception&) {
      return false;
    }
    return true;
  }

  std::vector<std::string> Tokenize(std::string s) const {
    if (!case_sensitive_) {
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::vector<std::string> out;
    try {
      std::sregex_token_iterator it(s.begin(), s.end(), separator_, -1), end;
      for (; it != end; ++it) {
        std::string word = TrimPunctuation(it->str());
        if (!word.empty()) out.push_back(std::move(word));
      }
    } catch (const std::exception&) {
      out.clear();
    }
    return out;
  }
  /// Words lose leading and trailing punctuation, as jpmml-evaluator tokenizes (ASCII
  /// punctuation of the Unicode P* categories: ! " # % & ' ( ) * , - . / : ; ? @ [ \ ] _ { }).
  static std::string TrimPunctuation(const std::string& word) {
    auto punct = [](char c) { return std::string_view("!\"#%&'()*,-./:;?@[\\]_{}").find(c) != std::string_view::npos; };
    size_t b = 0, e = word.size();
    while (b < e && punct(word[b])) ++b;
    while (e > b && punct(word[e - 1])) --e;
    return word.substr(b, e - b);
  }
  static int Distance(const std::string& a, const std::string& b) {
    if (a == b) return 0;
    std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = static_cast<int>(i);
      for (size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  }

  Slot text_;
  std::unique_ptr<Expression> term_;
  Weight weight_;
  bool case_sensitive_;
  int max_distance_;
  std::regex separator_;
  std::vector<TextNormalization> normalizations_;
};

class ApplyExpr final : public Expression {
 public:
  ApplyExpr(const BuiltinInfo* builtin, const FunctionDef* user, std::vector<std::unique_ptr<Expression>> args,
            Value map_missing, Value default_value)
      : builtin_(builtin),
        user_(user),
        args_(std::move(args)),
        map_missing_(std::move(map_missing)),
        default_(std::move(default_value)) {}

  /// Precompiles a constant regex pattern (argument 1) of replace/matches.
  void SetRegex(std::regex re) { regex_ = std::move(re); }

  Value Eval(EvalContext& ctx) const override {
    Value result = Compute(ctx);
    if (result.is_number() && std::isnan(result.number())) result = Value::Missing();
    return result;
  }

 private:
  Value Compute(EvalContext& ctx) const {
    if (builtin_) {
      switch (builtin_->id) {
        case Builtin::kIf: {
          Value cond = args_[0]->Eval(ctx);
          std::optional<bool> b = cond.AsBool();
          if (!b) return map_missing_;
          if (*b) return OrDefault(args_[1]->Eval(ctx));
          return args_.size() > 2 ? OrDefault(args_[2]->Eval(ctx)) : OrDefault(Value::Missing());
        }
        case Builtin::kIsValid:
        case Builtin::kIsInvalid: {
          Value v = args_[0]->Eval(ctx);
          Slot slot = args_[0]->field_slot();
          bool invalid = slot != kNoSlot && ctx.IsInvalid(slot);
          bool valid = !v.missing() && !invalid;
          return Value::Bool(builtin_->id == Builtin::kIsValid ? valid : invalid);
        }
        default: break;
      }
    }
    size_t n = args_.size();
    std::array<Value, 4> inline_args;
    std::vector<Value> heap_args;
    Value* argv = inline_args.data();
    if (n > inline_args.size()) {
      heap_args.resize(n);
      argv = heap_args.data();
    }
    bool handles_missing = builtin_ && HandlesMissing(builtin_->id);
    for (size_t i = 0; i < n; ++i) {
      argv[i] = args_[i]->Eval(ctx);
      if (argv[i].missing() && !handles_missing) return map_missing_;
    }
    if (user_) return OrDefault(CallUser(ctx, argv, n));
    switch (builtin_->id) {
      case Builtin::kReplace:
      case Builtin::kMatches: return OrDefault(CallRegex(argv));
      default: return OrDefault(CallBuiltin(builtin_->id, argv, static_cast<int>(n)));
    }
  }

  Value OrDefault(Value v) const { return v.missing() ? default_ : v; }

  Value CallUser(EvalContext& ctx, Value* argv, size_t n) const {
    if (ctx.call_depth >= kMaxCallDepth) return Value::Missing();
    std::vector<Value> frame(argv, argv + n);
    for (size_t i = 0; i < n && i < user_->parameter_types.size(); ++i) {
      std::optional<Value> cast = CastValue(frame[i], user_->parameter_types[i]);
      if (cast && user_->parameter_types[i] != DataType::kString) frame[i] = std::move(*cast);
    }
    ++ctx.call_depth;
    size_t base = ctx.PushFrame(std::move(frame));
    Value v = user_->body->Eval(ctx);
    ctx.PopFrame(base);
    --ctx.call_depth;
    if (user_->has_type && !v.missing()) {
      std::optional<Value> cast = CastValue(v, user_->data_type);
      if (cast) return *cast;
    }
    return v;
  }

  Value CallRegex(const Value* argv) const {
    std::string input = argv[0].AsString();
    if (input.size() > kMaxRegexInput) return Value::Missing();
    try {
      std::regex dynamic;
      const std::regex* re = regex_ ? &*regex_ : nullptr;
      if (!regex_) {
        std::string pattern = argv[1].AsString();
        if (pattern.size() > kMaxRegexInput) return Value::Missing();
        dynamic = std::regex(pattern, std::regex::ECMAScript);
        re = &dynamic;
      }
      if (builtin_->id == Builtin::kMatches) return Value::Bool(std::regex_search(input, *re));
      return Value::String(std::regex_replace(input, *re, argv[2].AsString()));
    } catch (const std::exception&) {
      return Value::Missing();
    }
  }

  const BuiltinInfo* builtin_;
  const FunctionDef* user_;
  std::vector<std::unique_ptr<Expression>> args_;
  Value map_missing_;
  Value default_;
  std::optional<std::regex> regex_;
};

Result<Slot> ResolveFieldAttr(pugi::xml_node node, std::string_view attr, Scope& scope) {
  ASSIGN_OR_RETURN(std::string name, RequiredAttr(node, attr));
  return scope.Resolve(name);
}

Result<std::unique_ptr<Expression>> CompileConstant(pugi::xml_node node, Scope& scope) {
  std::string text = node.text().get();
  if (Attr(node, "missing") == "true") return MakeConstant(Value::Missing());
  std::optional<DataType> type = DataTypeAttr(node);
  if (HasAttr(node, "dataType") && !type) {
    return InvalidArgument("<Constant> has the unknown dataType '" + std::string(Attr(node, "dataType")) + "'");
  }
  if (!type && scope.is_function_body()) {
    // Exporter bug workaround (SAS EM): a parameter name written as <Constant>NAME</Constant>
    // inside a DefineFunction body means the parameter.
    int index = scope.ParameterIndex(text);
    if (index >= 0) return std::unique_ptr<Expression>(new ParamRefExpr(index, Value::Missing()));
  }
  Value raw = Value::String(text);
  if (!type) {
    std::optional<double> n = ParseNumber(text);
    return MakeConstant(n ? Value::Number(*n) : raw);
  }
  std::optional<Value> cast = CastValue(raw, *type);
  if (!cast)
    return InvalidArgument("<Constant dataType=\"" + std::string(DataTypeName(*type)) + "\">" + text +
                           " is not a valid value of its type");
  return MakeConstant(*cast);
}

Result<std::unique_ptr<Expression>> CompileFieldRef(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(std::string name, RequiredAttr(node, "field"));
  Value map_missing = OptionalValueAttr(node, "mapMissingTo", std::nullopt);
  if (scope.is_function_body()) {
    int index = scope.ParameterIndex(name);
    if (index < 0) {
      return InvalidArgument("<FieldRef field='" + name + "'> inside a DefineFunction names no ParameterField");
    }
    return std::unique_ptr<Expression>(new ParamRefExpr(index, std::move(map_missing)));
  }
  ASSIGN_OR_RETURN(Slot slot, scope.Resolve(name));
  return std::unique_ptr<Expression>(new FieldRefExpr(slot, std::move(map_missing)));
}

Result<std::unique_ptr<Expression>> CompileNormContinuous(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(Slot slot, ResolveFieldAttr(node, "field", scope));
  std::vector<std::pair<double, double>> points;
  for (pugi::xml_node ln : Children(node, "LinearNorm")) {
    ASSIGN_OR_RETURN(double orig, RequiredNumberAttr(ln, "orig"));
    ASSIGN_OR_RETURN(double norm, RequiredNumberAttr(ln, "norm"));
    if (!points.empty() && !(orig > points.back().first)) {
      return InvalidArgument(Describe(node) + ": LinearNorm orig values must be strictly increasing");
    }
    points.emplace_back(orig, norm);
  }
  if (points.size() < 2) return InvalidArgument(Describe(node) + " needs at least two LinearNorm elements");
  std::string_view o = Attr(node, "outliers", "asIs");
  auto outliers = o == "asMissingValues"   ? NormContinuousExpr::Outliers::kAsMissing
                  : o == "asExtremeValues" ? NormContinuousExpr::Outliers::kAsExtreme
                                           : NormContinuousExpr::Outliers::kAsIs;
  return std::unique_ptr<Expression>(
      new NormContinuousExpr(slot, std::move(points), outliers, OptionalValueAttr(node, "mapMissingTo", std::nullopt)));
}

Result<std::unique_ptr<Expression>> CompileNormDiscrete(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(Slot slot, ResolveFieldAttr(node, "field", scope));
  Value value = Value::String(std::string(Attr(node, "value")));
  return std::unique_ptr<Expression>(
      new NormDiscreteExpr(slot, std::move(value), OptionalValueAttr(node, "mapMissingTo", std::nullopt)));
}

Result<std::unique_ptr<Expression>> CompileDiscretize(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(Slot slot, ResolveFieldAttr(node, "field", scope));
  std::optional<DataType> type = DataTypeAttr(node);
  std::vector<DiscretizeExpr::Bin> bins;
  for (pugi::xml_node b : Children(node, "DiscretizeBin")) {
    DataField holder;
    RETURN_IF_ERROR(ParseDomain(b, holder));
    if (holder.intervals.size() != 1)
      return InvalidArgument(Describe(node) + ": each DiscretizeBin needs one Interval");
    bins.push_back({holder.intervals[0], OptionalValueAttr(b, "binValue", type)});
  }
  return std::unique_ptr<Expression>(new DiscretizeExpr(slot, std::move(bins),
                                                        OptionalValueAttr(node, "mapMissingTo", type),
                                                        OptionalValueAttr(node, "defaultValue", type)));
}

Result<std::unique_ptr<Expression>> CompileMapValues(pugi::xml_node node, Scope& scope) {
  std::optional<DataType> type = DataTypeAttr(node);
  std::vector<Slot> inputs;
  std::vector<std::string> columns;
  for (pugi::xml_node pair : Children(node, "FieldColumnPair")) {
    ASSIGN_OR_RETURN(Slot slot, ResolveFieldAttr(pair, "field", scope));
    ASSIGN_OR_RETURN(std::string column, RequiredAttr(pair, "column"));
    inputs.push_back(slot);
    columns.emplace_back(LocalName(column.c_str()));
  }
  ASSIGN_OR_RETURN(std::string output, RequiredAttr(node, "outputColumn"));
  output = std::string(LocalName(output.c_str()));
  pugi::xml_node table = Child(node, "InlineTable");
  if (!table && Child(node, "TableLocator")) {
    return Unimplemented(Describe(node) + " uses a TableLocator (an external table); only InlineTable is supported");
  }
  std::vector<std::vector<Value>> rows;
  for (pugi::xml_node row : Children(table, "row")) {
    std::vector<Value> cells(columns.size() + 1);
    std::vector<bool> seen(columns.size() + 1, false);
    for (pugi::xml_node cell = row.first_child(); cell; cell = cell.next_sibling()) {
      if (cell.type() != pugi::node_element) continue;
      std::string_view name = LocalName(cell);
      Value raw = Value::String(cell.text().get());
      for (size_t i = 0; i < columns.size(); ++i) {
        if (columns[i] == name) {
          cells[i] = raw;
          seen[i] = true;
        }
      }
      if (name == output) {
        std::optional<Value> cast = type ? CastValue(raw, *type) : std::optional<Value>(raw);
        cells.back() = cast ? *cast : raw;
        seen.back() = true;
      }
    }
    bool complete = true;
    for (bool s : seen) complete = complete && s;
    if (complete) rows.push_back(std::move(cells));
  }
  return std::unique_ptr<Expression>(new MapValuesExpr(std::move(inputs), std::move(rows),
                                                       OptionalValueAttr(node, "mapMissingTo", type),
                                                       OptionalValueAttr(node, "defaultValue", type)));
}

/// Escapes the regex metacharacters of `text` (an ECMAScript pattern matching it literally).
std::string QuoteRegex(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}/").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

/// A <TextIndexNormalization>: rows of its InlineTable (columns inField, outField, regexField,
/// "string", "stem", "regex" by default). Case-insensitive matching unless isCaseSensitive (its
/// own, else the TextIndex's) is true.
Result<TextNormalization> CompileTextNormalization(pugi::xml_node node, bool text_index_case_sensitive) {
  std::string element = "<TextIndexNormalization>";
  if (Child(node, "TableLocator")) {
    return Unimplemented(element + " uses a TableLocator (an external table); only InlineTable is supported");
  }
  std::string in_field(LocalName(std::string(Attr(node, "inField", "string")).c_str()));
  std::string out_field(LocalName(std::string(Attr(node, "outField", "stem")).c_str()));
  std::string regex_field(LocalName(std::string(Attr(node, "regexField", "regex")).c_str()));
  bool case_sensitive =
      HasAttr(node, "isCaseSensitive") ? Attr(node, "isCaseSensitive") == "true" : text_index_case_sensitive;
  TextNormalization out;
  out.recursive = Attr(node, "recursive", "false") == "true";
  int index = 0;
  for (pugi::xml_node row : Children(Child(node, "InlineTable"), "row")) {
    ++index;
    const char* in = nullptr;
    const char* replacement = nullptr;
    bool is_regex = false;
    for (pugi::xml_node cell = row.first_child(); cell; cell = cell.next_sibling()) {
      if (cell.type() != pugi::node_element) continue;
      std::string_view name = LocalName(cell);
      if (name == in_field) in = cell.text().get();
      if (name == out_field) replacement = cell.text().get();
      if (name == regex_field) {
        std::string flag = cell.text().get();
        for (char& c : flag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        is_regex = flag == "true";
      }
    }
    if (!in || !replacement) {
      return InvalidArgument(element + ": row " + std::to_string(index) + " of its InlineTable has no '" +
                             (in ? out_field : in_field) + "' cell");
    }
    auto flags = std::regex::ECMAScript;
    if (!case_sensitive) flags |= std::regex::icase;
    TextNormalization::Replacement r;
    try {
      r.pattern = std::regex(is_regex ? std::string(in) : QuoteRegex(in), flags);
    } catch (const std::exception&) {
      return InvalidArgument(element + ": row " + std::to_string(index) + ": '" + in +
                             "' is not a valid regular expression");
    }
    for (const char* c = replacement; *c; ++c) {
      if (*c == '$' && !is_regex) r.replacement += '$';
      r.replacement += *c;
    }
    out.replacements.push_back(std::move(r));
  }
  return out;
}

Result<std::unique_ptr<Expression>> CompileTextIndex(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(Slot slot, ResolveFieldAttr(node, "textField", scope));
  const bool case_sensitive = Attr(node, "isCaseSensitive", "false") == "true";
  std::vector<TextNormalization> normalizations;
  for (pugi::xml_node n : Children(node, "TextIndexNormalization")) {
    ASSIGN_OR_RETURN(TextNormalization normalization, CompileTextNormalization(n, case_sensitive));
    normalizations.push_back(std::move(normalization));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Expression> term, CompileExpressionChild(node, scope));
  std::string_view w = Attr(node, "localTermWeights", "termFrequency");
  TextIndexExpr::Weight weight;
  if (w == "termFrequency") {
    weight = TextIndexExpr::Weight::kTermFrequency;
  } else if (w == "binary") {
    weight = TextIndexExpr::Weight::kBinary;
  } else if (w == "logarithmic") {
    weight = TextIndexExpr::Weight::kLogarithmic;
  } else if (w == "augmentedNormalizedTermFrequency") {
    weight = TextIndexExpr::Weight::kAugmented;
  } else {
    return InvalidArgument(Describe(node) + ": unknown localTermWeights '" + std::string(w) + "'");
  }
  ASSIGN_OR_RETURN(double distance, NumberAttr(node, "maxLevenshteinDistance", 0));
  std::string separator(Attr(node, "wordSeparatorCharacterRE", "\\s+"));
  std::regex re;
  try {
    re = std::regex(separator, std::regex::ECMAScript);
  } catch (const std::exception&) {
    return InvalidArgument(Describe(node) + ": wordSeparatorCharacterRE '" + separator + "' is not a valid regex");
  }
  return std::unique_ptr<Expression>(new TextIndexExpr(slot, std::move(term), weight, case_sensitive,
                                                       static_cast<int>(std::clamp(distance, 0.0, 100.0)),
                                                       std::move(re), std::move(normalizations)));
}

Result<std::unique_ptr<Expression>> CompileApply(pugi::xml_node node, Scope& scope) {
  ASSIGN_OR_RETURN(std::string name, RequiredAttr(node, "function"));
  const BuiltinInfo* builtin = FindBuiltin(name);
  const FunctionDef* user = nullptr;
  if (!builtin || builtin->id == Builtin::kSasEmStringNormalize) {
    // A document's own definition wins, except for the vendor function we implement natively
    // (SAS documents ship a broken definition of it).
    ASSIGN_OR_RETURN(user, scope.compiler().Function(name));
    if (builtin) user = nullptr;
    if (!builtin && !user) {
      return Unimplemented("<Apply function='" + name +
                           "'>: unknown function; it is neither a PMML built-in nor defined by a DefineFunction");
    }
  }
  std::vector<std::unique_ptr<Expression>> args;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (!IsExpressionElement(c)) continue;
    ASSIGN_OR_RETURN(std::unique_ptr<Expression> arg, CompileExpression(c, scope));
    args.push_back(std::move(arg));
  }
  int n = static_cast<int>(args.size());
  if (builtin && (n < builtin->min_args || (builtin->max_args >= 0 && n > builtin->max_args))) {
    return InvalidArgument("<Apply function='" + name + "'> has " + std::to_string(n) + " arguments; it takes " +
                           std::to_string(builtin->min_args) +
                           (builtin->max_args < 0                    ? " or more"
                            : builtin->max_args == builtin->min_args ? ""
                                                                     : " to " + std::to_string(builtin->max_args)));
  }
  if (user && n != static_cast<int>(user->parameters.size())) {
    return InvalidArgument("<Apply function='" + name + "'> has " + std::to_string(n) +
                           " arguments; the DefineFunction declares " + std::to_string(user->parameters.size()));
  }
  std::optional<std::regex> regex;
  if (builtin && (builtin->id == Builtin::kReplace || builtin->id == Builtin::kMatches)) {
    pugi::xml_node pattern_node;
    int index = 0;
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
      if (!IsExpressionElement(c)) continue;
      if (index++ == 1) pattern_node = c;
    }
    if (pattern_node && LocalName(pattern_node) == "Constant") {
      try {
        regex = std::regex(pattern_node.text().get(), std::regex::ECMAScript);
      } catch (const std::exception&) {
        return InvalidArgument("<Apply function='" + name + "'>: the pattern '" +
                               std::string(pattern_node.text().get()) + "' is not a valid regular expression");
      }
    }
  }
  auto apply =
      std::make_unique<ApplyExpr>(builtin, user, std::move(args), OptionalValueAttr(node, "mapMissingTo", std::nullopt),
                                  OptionalValueAttr(node, "defaultValue", std::nullopt));
  if (regex) apply->SetRegex(std::move(*regex));
  return std::unique_ptr<Expression>(std::move(apply));
}

}  // namespace

std::unique_ptr<Expression> MakeConstant(Value value) { return std::make_unique<ConstantExpr>(std::move(value)); }

std::unique_ptr<Expression> MakeFieldRef(Slot slot, Value map_missing) {
  return std::make_unique<FieldRefExpr>(slot, std::move(map_missing));
}

bool IsExpressionElement(pugi::xml_node node) {
  if (node.type() != pugi::node_element) return false;
  std::string_view n = LocalName(node);
  return n == "Constant" || n == "FieldRef" || n == "NormContinuous" || n == "NormDiscrete" || n == "Discretize" ||
         n == "MapValues" || n == "TextIndex" || n == "Apply" || n == "Aggregate" || n == "Lag";
}

Result<std::unique_ptr<Expression>> CompileExpression(pugi::xml_node node, Scope& scope) {
  std::string_view n = LocalName(node);
  RETURN_IF_ERROR(scope.compiler().Enter());
  Result<std::unique_ptr<Expression>> result = Unimplemented("<" + std::string(n) + "> is not a supported expression");
  if (n == "Constant") {
    result = CompileConstant(node, scope);
  } else if (n == "FieldRef") {
    result = CompileFieldRef(node, scope);
  } else if (n == "NormContinuous") {
    result = CompileNormContinuous(node, scope);
  } else if (n == "NormDiscrete") {
    result = CompileNormDiscrete(node, scope);
  } else if (n == "Discretize") {
    result = CompileDiscretize(node, scope);
  } else if (n == "MapValues") {
    result = CompileMapValues(node, scope);
  } else if (n == "TextIndex") {
    result = CompileTextIndex(node, scope);
  } else if (n == "Apply") {
    result = CompileApply(node, scope);
  } else if (n == "Aggregate") {
    result = CompileAggregate(node, scope);
  } else if (n == "Lag") {
    result = CompileLag(node, scope);
  }
  scope.compiler().Leave();
  return result;
}

Result<std::unique_ptr<Expression>> CompileExpressionChild(pugi::xml_node parent, Scope& scope) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (IsExpressionElement(c)) return CompileExpression(c, scope);
  }
  return InvalidArgument(Describe(parent) + " has no expression (Constant, FieldRef, Apply, …)");
}

}  // namespace mlserving::formats::pmml
