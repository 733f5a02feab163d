#include "server/codecs/csv_codec.h"

#include <charconv>
#include <cmath>

namespace mlserving::codecs {
namespace {

bool IsMissingCell(std::string_view cell) { return cell.empty() || cell == "NA" || cell == "N/A"; }

std::optional<double> ParseDouble(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

}  // namespace

int CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<CsvTable> ParseCsv(std::string_view text, const CsvLimits& limits) {
  CsvTable table;
  std::vector<std::optional<std::string>> record;
  std::string cell;
  bool quoted = false;     // the current cell was quoted
  bool in_quotes = false;  // inside a quoted section
  bool any = false;        // the current record has content
  size_t line = 1, cells = 0;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM
  auto end_cell = [&] {
    if (!quoted && IsMissingCell(cell)) {
      record.emplace_back(std::nullopt);
    } else {
      record.emplace_back(std::move(cell));
    }
    cell.clear();
    quoted = false;
  };
  auto end_record = [&]() -> Status {
    end_cell();
    if (table.header.empty() && table.rows.empty() && !any) {
      return InvalidArgument("the CSV header (line 1) is empty");
    }
    if (table.header.empty()) {
      for (auto& c : record) table.header.push_back(c ? *c : "");
    } else {
      if (record.size() != table.header.size()) {
        return InvalidArgument("CSV line " + std::to_string(line) + " has " + std::to_string(record.size()) +
                               " cells; the header has " + std::to_string(table.header.size()));
      }
      table.rows.push_back(std::move(record));
    }
    cells += table.header.size();
    if (cells > limits.max_cells)
      return ResourceExhausted("the CSV has more cells than the limit of " + std::to_string(limits.max_cells));
    record.clear();
    any = false;
    return Status::Ok();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (c == '"' && cell.empty() && !quoted) {
      in_quotes = quoted = any = true;
    } else if (c == ',') {
      end_cell();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !cell.empty() || !record.empty()) RETURN_IF_ERROR(end_record());
      ++line;
    } else {
      cell += c;
      any = true;
    }
  }
  if (in_quotes) return InvalidArgument("the CSV ends inside a quoted cell (an unbalanced '\"')");
  if (any || !cell.empty() || !record.empty()) RETURN_IF_ERROR(end_record());
  if (table.header.empty()) return InvalidArgument("the CSV is empty; it needs a header line of field names");
  return table;
}

Result<TensorMap> CsvToInputs(const CsvTable& table, const Signature& signature) {
  TensorMap inputs;
  const int64_t rows = static_cast<int64_t>(table.rows.size());
  for (const TensorSpec& spec : signature.inputs) {
    int column = table.Column(spec.name);
    if (column < 0 && !spec.nullable) {
      return InvalidArgument("the CSV has no column '" + spec.name + "', an input of the model");
    }
    ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(spec.dtype, {rows}));
    for (int64_t r = 0; r < rows; ++r) {
      const std::optional<std::string>* cell =
          column < 0 ? nullptr : &table.rows[static_cast<size_t>(r)][static_cast<size_t>(column)];
      bool missing = cell == nullptr || !cell->has_value();
      if (missing && !spec.nullable) {
        return InvalidArgument("input '" + spec.name + "' is missing in CSV row " + std::to_string(r + 1) +
                               " and the model does not accept missing values");
      }
      auto bad = [&](const char* what) {
        return InvalidArgument("input '" + spec.name + "', CSV row " + std::to_string(r + 1) + ": '" + **cell +
                               "' is not " + what);
      };
      switch (spec.dtype) {
        case DType::kString: t.data<std::string>()[r] = missing ? std::string() : **cell; break;
        case DType::kFloat64:
        case DType::kFloat32: {
          double v = std::nan("");
          if (!missing) {
            std::optional<double> d = ParseDouble(**cell);
            if (!d) return bad("a number");
            v = *d;
          }
          if (spec.dtype == DType::kFloat64) {
            t.data<double>()[r] = v;
          } else {
            t.data<float>()[r] = static_cast<float>(v);
          }
          break;
        }
        case DType::kInt64: {
          int64_t v = kMissingInt64;
          if (!missing) {
            std::optional<double> d = ParseDouble(**cell);
            if (!d || *d != std::trunc(*d) || std::fabs(*d) > 9e18) return bad("an integer");
            v = static_cast<int64_t>(*d);
          }
          t.data<int64_t>()[r] = v;
          break;
        }
        case DType::kBool: {
          bool v = false;
          if (!missing) {
            const std::string& s = **cell;
            if (s == "true" || s == "TRUE" || s == "1") {
              v = true;
            } else if (!(s == "false" || s == "FALSE" || s == "0")) {
              return bad("a boolean (true/false)");
            }
          }
          t.data<bool>()[r] = v;
          break;
        }
        default:
          return InvalidArgument("input '" + spec.name + "' has the type " + std::string(DTypeName(spec.dtype)) +
                                 ", which CSV input does not support");
      }
    }
    inputs.emplace(spec.name, std::move(t));
  }
  return inputs;
}

void AppendCsvCell(std::string& out, std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += cell;
    return;
  }
  out += '"';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

Result<std::string> EncodeCsv(const TensorMap& outputs, const Signature& signature) {
  std::vector<const Tensor*> columns;
  int64_t rows = -1;
  std::string out;
  for (size_t i = 0; i < signature.outputs.size(); ++i) {
    const TensorSpec& spec = signature.outputs[i];
    auto it = outputs.find(spec.name);
    if (it == outputs.end()) return Internal("output '" + spec.name + "' was not computed");
    if (rows >= 0 && it->second.num_elements() != rows) {
      return InvalidArgument("outputs have different lengths; CSV output needs one value per row for each output");
    }
    rows = it->second.num_elements();
    columns.push_back(&it->second);
    if (i) out += ',';
    AppendCsvCell(out, spec.name);
  }
  out += '\n';
  for (int64_t r = 0; r < std::max<int64_t>(rows, 0); ++r) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) out += ',';
      const Tensor& t = *columns[c];
      switch (t.dtype()) {
        case DType::kFloat64: {
          double v = t.data<double>()[r];
          out += std::isnan(v) ? "NA" : FormatDouble(v);
          break;
        }
        case DType::kFloat32: {
          float v = t.data<float>()[r];
          out += std::isnan(v) ? "NA" : FormatDouble(v);
          break;
        }
        case DType::kInt64: {
          int64_t v = t.data<int64_t>()[r];
          out += v == kMissingInt64 ? "NA" : std::to_string(v);
          break;
        }
        case DType::kInt32: out += std::to_string(t.data<int32_t>()[r]); break;
        case DType::kBool: out += t.data<bool>()[r] ? "true" : "false"; break;
        case DType::kString: {
          const std::string& s = t.data<std::string>()[r];
          if (s.empty()) {
            out += "NA";
          } else {
            AppendCsvCell(out, s);
          }
          break;
        }
        default:
          return InvalidArgument("output '" + signature.outputs[c].name + "' has a type CSV output does not support");
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace mlserving::codecs
