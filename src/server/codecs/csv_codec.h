#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "runtime/evaluator.h"
#include "runtime/signature.h"

namespace mlserving::codecs {

/// A parsed CSV document: a header and rows of cells; a missing cell is nullopt.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::optional<std::string>>> rows;

  /// Index of the first column named `name`, or -1.
  int Column(std::string_view name) const;
};

/// Bounds on what a CSV document may make us build.
struct CsvLimits {
  size_t max_cells = size_t{1} << 26;
};

/// Parses comma-separated text whose first record is the header (RFC 4180: double-quoted fields
/// may hold commas, newlines and "" escapes; LF or CRLF line ends). Unquoted `NA`, `N/A` and empty
/// cells are missing. Every row must have the header's number of cells. Errors are
/// kInvalidArgument naming the line.
Result<CsvTable> ParseCsv(std::string_view text, const CsvLimits& limits = {});

/// Builds the signature's inputs from a table: one 1-D column tensor per input (N rows), matched by
/// header name. Numbers are parsed for numeric and bool inputs; a missing cell, or an input with no
/// column, becomes the in-band missing value (NaN, "", kMissingInt64) when the input is nullable.
/// Errors name the input, the row and the offending cell.
Result<TensorMap> CsvToInputs(const CsvTable& table, const Signature& signature);

/// Encodes 1-D outputs as CSV: a header of the signature's outputs, then one record per row;
/// missing values (NaN, kMissingInt64, empty strings) are written `NA`; cells are quoted when needed.
Result<std::string> EncodeCsv(const TensorMap& outputs, const Signature& signature);

/// Appends `cell` to `out`, quoted when it contains a comma, quote or line break.
void AppendCsvCell(std::string& out, std::string_view cell);

}  // namespace mlserving::codecs
