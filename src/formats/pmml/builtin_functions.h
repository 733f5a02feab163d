#pragma once

#include <cstdint>
#include <string_view>

#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

/// The PMML 4.4 built-in functions of <Apply function="…"> plus supported vendor functions.
/// X(Enum, "pmml name", min_args, max_args (-1: any))
#define MLS_PMML_BUILTINS(X)                                     \
  X(kAdd, "+", 2, 2)                                             \
  X(kSubtract, "-", 2, 2)                                        \
  X(kMultiply, "*", 2, 2)                                        \
  X(kDivide, "/", 2, 2)                                          \
  X(kModulo, "modulo", 2, 2)                                     \
  X(kMin, "min", 1, -1)                                          \
  X(kMax, "max", 1, -1)                                          \
  X(kSum, "sum", 1, -1)                                          \
  X(kAvg, "avg", 1, -1)                                          \
  X(kMedian, "median", 1, -1)                                    \
  X(kProduct, "product", 1, -1)                                  \
  X(kLog10, "log10", 1, 1)                                       \
  X(kLn, "ln", 1, 1)                                             \
  X(kSqrt, "sqrt", 1, 1)                                         \
  X(kAbs, "abs", 1, 1)                                           \
  X(kExp, "exp", 1, 1)                                           \
  X(kPow, "pow", 2, 2)                                           \
  X(kThreshold, "threshold", 2, 2)                               \
  X(kFloor, "floor", 1, 1)                                       \
  X(kCeil, "ceil", 1, 1)                                         \
  X(kRound, "round", 1, 1)                                       \
  X(kRint, "rint", 1, 1)                                         \
  X(kExpm1, "expm1", 1, 1)                                       \
  X(kLn1p, "ln1p", 1, 1)                                         \
  X(kHypot, "hypot", 2, 2)                                       \
  X(kSin, "sin", 1, 1)                                           \
  X(kCos, "cos", 1, 1)                                           \
  X(kTan, "tan", 1, 1)                                           \
  X(kAsin, "asin", 1, 1)                                         \
  X(kAcos, "acos", 1, 1)                                         \
  X(kAtan, "atan", 1, 1)                                         \
  X(kAtan2, "atan2", 2, 2)                                       \
  X(kSinh, "sinh", 1, 1)                                         \
  X(kCosh, "cosh", 1, 1)                                         \
  X(kTanh, "tanh", 1, 1)                                         \
  X(kIsMissing, "isMissing", 1, 1)                               \
  X(kIsNotMissing, "isNotMissing", 1, 1)                         \
  X(kIsValid, "isValid", 1, 1)                                   \
  X(kIsInvalid, "isInvalid", 1, 1)                               \
  X(kEqual, "equal", 2, 2)                                       \
  X(kNotEqual, "notEqual", 2, 2)                                 \
  X(kLessThan, "lessThan", 2, 2)                                 \
  X(kLessOrEqual, "lessOrEqual", 2, 2)                           \
  X(kGreaterThan, "greaterThan", 2, 2)                           \
  X(kGreaterOrEqual, "greaterOrEqual", 2, 2)                     \
  X(kAnd, "and", 1, -1)                                          \
  X(kOr, "or", 1, -1)                                            \
  X(kNot, "not", 1, 1)                                           \
  X(kIsIn, "isIn", 1, -1)                                        \
  X(kIsNotIn, "isNotIn", 1, -1)                                  \
  X(kIf, "if", 2, 3)                                             \
  X(kUppercase, "uppercase", 1, 1)                               \
  X(kLowercase, "lowercase", 1, 1)                               \
  X(kSubstring, "substring", 3, 3)                               \
  X(kTrimBlanks, "trimBlanks", 1, 1)                             \
  X(kStringLength, "stringLength", 1, 1)                         \
  X(kConcat, "concat", 1, -1)                                    \
  X(kReplace, "replace", 3, 3)                                   \
  X(kMatches, "matches", 2, 2)                                   \
  X(kFormatNumber, "formatNumber", 2, 2)                         \
  X(kFormatDatetime, "formatDatetime", 2, 2)                     \
  X(kDateDaysSinceYear, "dateDaysSinceYear", 2, 2)               \
  X(kDateSecondsSinceYear, "dateSecondsSinceYear", 2, 2)         \
  X(kDateSecondsSinceMidnight, "dateSecondsSinceMidnight", 1, 1) \
  X(kSasEmStringNormalize, "SAS-EM-String-Normalize", 2, 2)

enum class Builtin : uint8_t {
#define MLS_PMML_BUILTIN_ENUM(e, name, lo, hi) e,
  MLS_PMML_BUILTINS(MLS_PMML_BUILTIN_ENUM)
#undef MLS_PMML_BUILTIN_ENUM
};

struct BuiltinInfo {
  Builtin id;
  std::string_view name;
  int min_args;
  int max_args;  ///< -1: variadic
};

/// The built-in named `name`, or nullptr for user-defined (DefineFunction) or unknown functions.
const BuiltinInfo* FindBuiltin(std::string_view name);

/// True for the functions that see missing arguments themselves; every other function returns
/// missing (Apply@mapMissingTo) as soon as one argument is missing.
bool HandlesMissing(Builtin fn);

/// Applies an eager built-in to evaluated arguments (none missing unless HandlesMissing). Returns
/// missing when the result is undefined (ln(-1), a bad substring range, an unparsable date…).
/// kIf, kIsValid and kIsInvalid are evaluated by the Apply expression itself, not here.
/// The regex functions (replace, matches) take their patterns from the arguments here; Apply
/// precompiles constant patterns and does not call this for them.
Value CallBuiltin(Builtin fn, const Value* args, int count);

/// Helpers shared with other expressions.
std::string ToUpper(std::string s);
/// Days since 1 January `year` of an ISO date ("2003-04-01", optional time part); nullopt when unparsable.
std::optional<double> DaysSinceYear(const std::string& date, int year);
/// Seconds since 1 January `year` 00:00:00 of an ISO date-time; nullopt when unparsable.
std::optional<double> SecondsSinceYear(const std::string& datetime, int year);
/// Seconds since midnight of an ISO time ("14:03:05") or of the time part of a date-time.
std::optional<double> SecondsSinceMidnight(const std::string& time);
/// printf-style formatting of one number with a validated pattern ("%.2f", "%3d"); nullopt when the
/// pattern has other than one numeric conversion.
std::optional<std::string> FormatWithPattern(double value, const std::string& pattern);

}  // namespace mlserving::formats::pmml
