#include "formats/pmml/builtin_functions.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace mlserving::formats::pmml {
namespace {

constexpr std::array kBuiltins = {
#define MLS_PMML_BUILTIN_INFO(e, name, lo, hi) BuiltinInfo{Builtin::e, name, lo, hi},
    MLS_PMML_BUILTINS(MLS_PMML_BUILTIN_INFO)
#undef MLS_PMML_BUILTIN_INFO
};

Value Num(double v) { return std::isnan(v) ? Value::Missing() : Value::Number(v); }

/// Days from 1970-01-01 to the civil date (proleptic Gregorian; Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct DateTime {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  bool has_date = false;
};

bool ParseInt(const std::string& s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

/// Reads "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" (or a blank instead of T) and "HH:MM:SS".
std::optional<DateTime> ParseDateTime(const std::string& s) {
  DateTime dt;
  size_t time_pos = std::string::npos;
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-') {
    if (!ParseInt(s, 0, 4, &dt.year) || !ParseInt(s, 5, 2, &dt.month) || !ParseInt(s, 8, 2, &dt.day)) {
      return std::nullopt;
    }
    if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > 31) return std::nullopt;
    dt.has_date = true;
    if (s.size() > 10 && (s[10] == 'T' || s[10] == ' ')) time_pos = 11;
  } else {
    time_pos = 0;
  }
  if (time_pos != std::string::npos) {
    if (s.size() < time_pos + 8 || s[time_pos + 2] != ':' || s[time_pos + 5] != ':') return std::nullopt;
    if (!ParseInt(s, time_pos, 2, &dt.hour) || !ParseInt(s, time_pos + 3, 2, &dt.minute) ||
        !ParseInt(s, time_pos + 6, 2, &dt.second)) {
      return std::nullopt;
    }
  }
  return dt;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

std::string TrimBlanks(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

const BuiltinInfo* FindBuiltin(std::string_view name) {
  for (const BuiltinInfo& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

bool HandlesMissing(Builtin fn) {
  return fn == Builtin::kIsMissing || fn == Builtin::kIsNotMissing || fn == Builtin::kIsValid ||
         fn == Builtin::kIsInvalid || fn == Builtin::kIf;
}

std::string ToUpper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::optional<double> DaysSinceYear(const std::string& date, int year) {
  std::optional<DateTime> dt = ParseDateTime(date);
  if (!dt || !dt->has_date) return std::nullopt;
  return static_cast<double>(DaysFromCivil(dt->year, static_cast<unsigned>(dt->month), static_cast<unsigned>(dt->day)) -
                             DaysFromCivil(year, 1, 1));
}

std::optional<double> SecondsSinceYear(const std::string& datetime, int year) {
  std::optional<DateTime> dt = ParseDateTime(datetime);
  if (!dt || !dt->has_date) return std::nullopt;
  double days =
      static_cast<double>(DaysFromCivil(dt->year, static_cast<unsigned>(dt->month), static_cast<unsigned>(dt->day)) -
                          DaysFromCivil(year, 1, 1));
  return days * 86400.0 + dt->hour * 3600.0 + dt->minute * 60.0 + dt->second;
}

std::optional<double> SecondsSinceMidnight(const std::string& time) {
  std::optional<DateTime> dt = ParseDateTime(time);
  if (!dt) return std::nullopt;
  return dt->hour * 3600.0 + dt->minute * 60.0 + dt->second;
}

std::optional<std::string> FormatWithPattern(double value, const std::string& pattern) {
  // Accept exactly one conversion: %[-+ 0#]*[0-9]*(.[0-9]+)?[diouxXfFeEgG]; "%%" elsewhere.
  size_t spec_begin = std::string::npos, spec_end = 0;
  char conv = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
      ++i;
      continue;
    }
    if (spec_begin != std::string::npos) return std::nullopt;
    size_t j = i + 1;
    while (j < pattern.size() && std::string_view("-+ 0#").find(pattern[j]) != std::string_view::npos) ++j;
    while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) ++j;
    if (j < pattern.size() && pattern[j] == '.') {
      ++j;
      while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) ++j;
    }
    if (j >= pattern.size() || std::string_view("diouxXfFeEgG").find(pattern[j]) == std::string_view::npos) {
      return std::nullopt;
    }
    if (j - i > 12) return std::nullopt;  // width/precision beyond any sensible use
    spec_begin = i;
    spec_end = j;
    conv = pattern[j];
    i = j;
  }
  if (spec_begin == std::string::npos) return pattern;
  std::string spec = pattern.substr(spec_begin, spec_end - spec_begin);
  char buf[512];
  int n;
  if (std::string_view("diouxX").find(conv) != std::string_view::npos) {
    if (!std::isfinite(value)) return std::nullopt;
    spec += "ll";
    spec += conv;
    n = std::snprintf(buf, sizeof(buf), spec.c_str(), static_cast<long long>(value));
  } else {
    spec += conv;
    n = std::snprintf(buf, sizeof(buf), spec.c_str(), value);
  }
  if (n < 0 || static_cast<size_t>(n) >= sizeof(buf)) return std::nullopt;
  std::string out =
      pattern.substr(0, spec_begin) + std::string(buf, static_cast<size_t>(n)) + pattern.substr(spec_end + 1);
  // Collapse the "%%" escapes outside the conversion.
  std::string collapsed;
  for (size_t i = 0; i < out.size(); ++i) {
    collapsed += out[i];
    if (out[i] == '%' && i + 1 < out.size() && out[i + 1] == '%') ++i;
  }
  return collapsed;
}

Value CallBuiltin(Builtin fn, const Value* args, int count) {
  auto num = [&](int i) -> std::optional<double> { return args[i].AsNumber(); };
  auto numeric_args = [&](std::vector<double>& out) {
    out.clear();
    for (int i = 0; i < count; ++i) {
      std::optional<double> v = num(i);
      if (!v) return false;
      out.push_back(*v);
    }
    return true;
  };
  auto unary = [&](double (*f)(double)) -> Value {
    std::optional<double> a = num(0);
    return a ? Num(f(*a)) : Value::Missing();
  };
  auto binary = [&](auto f) -> Value {
    std::optional<double> a = num(0), b = num(1);
    return a && b ? Num(f(*a, *b)) : Value::Missing();
  };
  auto compare = [&](auto pred) -> Value {
    std::optional<int> c = args[0].Compare(args[1]);
    return c ? Value::Bool(pred(*c)) : Value::Missing();
  };
  switch (fn) {
    case Builtin::kAdd: return binary([](double a, double b) { return a + b; });
    case Builtin::kSubtract: return binary([](double a, double b) { return a - b; });
    case Builtin::kMultiply: return binary([](double a, double b) { return a * b; });
    case Builtin::kDivide: return binary([](double a, double b) { return a / b; });
    case Builtin::kModulo: return binary([](double a, double b) { return a - b * std::floor(a / b); });
    case Builtin::kPow: return binary([](double a, double b) { return std::pow(a, b); });
    case Builtin::kThreshold: return binary([](double a, double b) { return a > b ? 1.0 : 0.0; });
    case Builtin::kHypot: return binary([](double a, double b) { return std::hypot(a, b); });
    case Builtin::kAtan2: return binary([](double a, double b) { return std::atan2(a, b); });
    case Builtin::kMin:
    case Builtin::kMax:
    case Builtin::kSum:
    case Builtin::kAvg:
    case Builtin::kMedian:
    case Builtin::kProduct: {
      std::vector<double> v;
      if (!numeric_args(v)) return Value::Missing();
      switch (fn) {
        case Builtin::kMin: return Num(*std::min_element(v.begin(), v.end()));
        case Builtin::kMax: return Num(*std::max_element(v.begin(), v.end()));
        case Builtin::kMedian: return Num(Median(std::move(v)));
        default: break;
      }
      double acc = fn == Builtin::kProduct ? 1.0 : 0.0;
      for (double x : v) acc = fn == Builtin::kProduct ? acc * x : acc + x;
      return Num(fn == Builtin::kAvg ? acc / static_cast<double>(v.size()) : acc);
    }
    case Builtin::kLog10: return unary([](double x) { return x > 0 || x == 0 ? std::log10(x) : std::nan(""); });
    case Builtin::kLn: return unary([](double x) { return std::log(x); });
    case Builtin::kSqrt: return unary([](double x) { return std::sqrt(x); });
    case Builtin::kAbs: return unary([](double x) { return std::fabs(x); });
    case Builtin::kExp: return unary([](double x) { return std::exp(x); });
    case Builtin::kFloor: return unary([](double x) { return std::floor(x); });
    case Builtin::kCeil: return unary([](double x) { return std::ceil(x); });
    case Builtin::kRound: return unary([](double x) { return std::floor(x + 0.5); });  // Java Math.round
    case Builtin::kRint: return unary([](double x) { return std::nearbyint(x); });
    case Builtin::kExpm1: return unary([](double x) { return std::expm1(x); });
    case Builtin::kLn1p: return unary([](double x) { return std::log1p(x); });
    case Builtin::kSin: return unary([](double x) { return std::sin(x); });
    case Builtin::kCos: return unary([](double x) { return std::cos(x); });
    case Builtin::kTan: return unary([](double x) { return std::tan(x); });
    case Builtin::kAsin: return unary([](double x) { return std::asin(x); });
    case Builtin::kAcos: return unary([](double x) { return std::acos(x); });
    case Builtin::kAtan: return unary([](double x) { return std::atan(x); });
    case Builtin::kSinh: return unary([](double x) { return std::sinh(x); });
    case Builtin::kCosh: return unary([](double x) { return std::cosh(x); });
    case Builtin::kTanh: return unary([](double x) { return std::tanh(x); });
    case Builtin::kIsMissing: return Value::Bool(args[0].missing());
    case Builtin::kIsNotMissing: return Value::Bool(!args[0].missing());
    case Builtin::kEqual: return compare([](int c) { return c == 0; });
    case Builtin::kNotEqual: return compare([](int c) { return c != 0; });
    case Builtin::kLessThan: return compare([](int c) { return c < 0; });
    case Builtin::kLessOrEqual: return compare([](int c) { return c <= 0; });
    case Builtin::kGreaterThan: return compare([](int c) { return c > 0; });
    case Builtin::kGreaterOrEqual: return compare([](int c) { return c >= 0; });
    case Builtin::kAnd:
    case Builtin::kOr: {
      bool acc = fn == Builtin::kAnd;
      for (int i = 0; i < count; ++i) {
        std::optional<bool> b = args[i].AsBool();
        if (!b) return Value::Missing();
        acc = fn == Builtin::kAnd ? acc && *b : acc || *b;
      }
      return Value::Bool(acc);
    }
    case Builtin::kNot: {
      std::optional<bool> b = args[0].AsBool();
      return b ? Value::Bool(!*b) : Value::Missing();
    }
    case Builtin::kIsIn:
    case Builtin::kIsNotIn: {
      bool found = false;
      for (int i = 1; i < count && !found; ++i) found = args[0].Equals(args[i]);
      return Value::Bool(fn == Builtin::kIsIn ? found : !found);
    }
    case Builtin::kUppercase: return Value::String(ToUpper(args[0].AsString()));
    case Builtin::kLowercase: {
      std::string s = args[0].AsString();
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return Value::String(std::move(s));
    }
    case Builtin::kSubstring: {
      std::string s = args[0].AsString();
      std::optional<double> start = num(1), length = num(2);
      if (!start || !length || *start < 1 || *length < 0 || !std::isfinite(*start) || !std::isfinite(*length)) {
        return Value::Missing();
      }
      size_t b = static_cast<size_t>(*start) - 1;
      if (b >= s.size()) return Value::String("");
      return Value::String(s.substr(b, static_cast<size_t>(std::min(*length, 1e9))));
    }
    case Builtin::kTrimBlanks: return Value::String(TrimBlanks(args[0].AsString()));
    case Builtin::kStringLength: return Value::Number(static_cast<double>(args[0].AsString().size()));
    case Builtin::kConcat: {
      std::string s;
      for (int i = 0; i < count; ++i) s += args[i].AsString();
      return Value::String(std::move(s));
    }
    case Builtin::kFormatNumber: {
      std::optional<double> v = num(0);
      if (!v) return Value::Missing();
      std::optional<std::string> s = FormatWithPattern(*v, args[1].AsString());
      return s ? Value::String(std::move(*s)) : Value::Missing();
    }
    case Builtin::kFormatDatetime: {
      std::optional<DateTime> dt = ParseDateTime(args[0].AsString());
      if (!dt) return Value::Missing();
      std::tm tm{};
      tm.tm_year = dt->year - 1900;
      tm.tm_mon = dt->month - 1;
      tm.tm_mday = dt->day;
      tm.tm_hour = dt->hour;
      tm.tm_min = dt->minute;
      tm.tm_sec = dt->second;
      std::string pattern = args[1].AsString();
      char buf[256];
      size_t n = pattern.empty() || pattern.size() > 64 ? 0 : std::strftime(buf, sizeof(buf), pattern.c_str(), &tm);
      return n ? Value::String(std::string(buf, n)) : Value::Missing();
    }
    case Builtin::kDateDaysSinceYear: {
      std::optional<double> year = num(1);
      if (!year || std::fabs(*year) > 1e6) return Value::Missing();
      std::optional<double> d = DaysSinceYear(args[0].AsString(), static_cast<int>(*year));
      return d ? Value::Number(*d) : Value::Missing();
    }
    case Builtin::kDateSecondsSinceYear: {
      std::optional<double> year = num(1);
      if (!year || std::fabs(*year) > 1e6) return Value::Missing();
      std::optional<double> d = SecondsSinceYear(args[0].AsString(), static_cast<int>(*year));
      return d ? Value::Number(*d) : Value::Missing();
    }
    case Builtin::kDateSecondsSinceMidnight: {
      std::optional<double> d = SecondsSinceMidnight(args[0].AsString());
      return d ? Value::Number(*d) : Value::Missing();
    }
    case Builtin::kSasEmStringNormalize: {
      // SAS-EM-String-Normalize(length, string): drop leading chars <= ' ', truncate, upper-case.
      std::optional<double> length = num(0);
      if (!length || *length < 0) return Value::Missing();
      std::string s = args[1].AsString();
      size_t b = 0;
      while (b < s.size() && static_cast<unsigned char>(s[b]) <= ' ') ++b;
      s = s.substr(b, static_cast<size_t>(std::min(*length, 1e9)));
      return Value::String(ToUpper(std::move(s)));
    }
    case Builtin::kIsValid:
    case Builtin::kIsInvalid:
    case Builtin::kIf:
    case Builtin::kReplace:
    case Builtin::kMatches: return Value::Missing();  // evaluated by ApplyExpression
  }
  return Value::Missing();
}

}  // namespace mlserving::formats::pmml
