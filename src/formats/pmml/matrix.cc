#include "formats/pmml/matrix.h"

#include <cmath>
#include <string_view>

#include "formats/pmml/model_util.h"
#include "formats/pmml/value.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

namespace {

constexpr double kMaxCells = 1 << 24;

/// A non-negative integer attribute; -1 when absent.
Result<double> CountAttr(pugi::xml_node node, std::string_view name, const std::string& what) {
  if (!HasAttr(node, name)) return -1.0;
  ASSIGN_OR_RETURN(double v, NumberAttr(node, name, 0));
  if (!(v >= 0) || v != std::floor(v) || v > kMaxCells) {
    return InvalidArgument(what + ": " + std::string(name) + "='" + std::string(Attr(node, name)) +
                           "' is not a valid size");
  }
  return v;
}

}  // namespace

Result<DenseMatrix> ParseMatrix(pugi::xml_node matrix, const std::string& what) {
  if (!matrix) return InvalidArgument(what + " has no <Matrix>");
  std::string_view kind = Attr(matrix, "kind", "any");
  if (kind != "any" && kind != "symmetric" && kind != "diagonal") {
    return InvalidArgument(what + ": unknown Matrix kind='" + std::string(kind) + "'");
  }
  ASSIGN_OR_RETURN(double nb_rows, CountAttr(matrix, "nbRows", what));
  ASSIGN_OR_RETURN(double nb_cols, CountAttr(matrix, "nbCols", what));
  ASSIGN_OR_RETURN(double diag_default, NumberAttr(matrix, "diagDefault", 0));
  ASSIGN_OR_RETURN(double off_diag_default, NumberAttr(matrix, "offDiagDefault", 0));
  std::vector<pugi::xml_node> arrays = Children(matrix, "Array");
  std::vector<pugi::xml_node> cells = Children(matrix, "MatCell");
  if (!arrays.empty() && !cells.empty()) return InvalidArgument(what + ": a Matrix mixes Array rows and MatCells");

  DenseMatrix m;
  if (!cells.empty()) {
    if (nb_rows < 0 || nb_cols < 0)
      return InvalidArgument(what + ": a sparse Matrix (MatCell) needs nbRows and nbCols");
    if (nb_rows * nb_cols > kMaxCells) return InvalidArgument(what + ": the Matrix is too large");
    m.rows = static_cast<size_t>(nb_rows);
    m.cols = static_cast<size_t>(nb_cols);
    m.values.resize(m.rows * m.cols);
    for (size_t r = 0; r < m.rows; ++r) {
      for (size_t c = 0; c < m.cols; ++c) m.values[r * m.cols + c] = r == c ? diag_default : off_diag_default;
    }
    for (pugi::xml_node cell : cells) {
      ASSIGN_OR_RETURN(double row, RequiredNumberAttr(cell, "row"));
      ASSIGN_OR_RETURN(double col, RequiredNumberAttr(cell, "col"));
      if (row != std::floor(row) || col != std::floor(col) || row < 1 || col < 1 || row > nb_rows || col > nb_cols) {
        return InvalidArgument(what + ": MatCell row='" + std::string(Attr(cell, "row")) + "' col='" +
                               std::string(Attr(cell, "col")) + "' lies outside the " + std::to_string(m.rows) + "x" +
                               std::to_string(m.cols) + " matrix (rows and columns count from 1)");
      }
      std::optional<double> v = ParseNumber(cell.child_value());
      if (!v) {
        return InvalidArgument(what + ": the MatCell at row " + std::to_string(static_cast<size_t>(row)) + ", col " +
                               std::to_string(static_cast<size_t>(col)) + " is not a number");
      }
      m.values[static_cast<size_t>(row - 1) * m.cols + static_cast<size_t>(col - 1)] = *v;
    }
    if (kind == "symmetric" || kind == "diagonal") {
      return InvalidArgument(what + ": MatCells need Matrix kind='any'");
    }
    return m;
  }

  if (arrays.empty()) return InvalidArgument(what + ": the Matrix has neither Array rows nor MatCells");
  std::vector<std::vector<double>> rows;
  for (pugi::xml_node a : arrays) {
    Result<std::vector<double>> row = NumberArray(a);
    if (!row.ok()) return InvalidArgument(what + ": " + row.status().message());
    rows.push_back(std::move(row).value());
  }
  if (kind == "diagonal") {
    if (rows.size() != 1) return InvalidArgument(what + ": a diagonal Matrix holds exactly one Array");
    const size_t n = rows[0].size();
    if (static_cast<double>(n) * static_cast<double>(n) > kMaxCells)
      return InvalidArgument(what + ": the Matrix is too large");
    m.rows = m.cols = n;
    m.values.assign(n * n, off_diag_default);
    for (size_t i = 0; i < n; ++i) m.values[i * n + i] = rows[0][i];
  } else if (kind == "symmetric") {
    const size_t n = rows.size();
    m.rows = m.cols = n;
    m.values.resize(n * n);
    for (size_t r = 0; r < n; ++r) {
      if (rows[r].size() != r + 1) {
        return InvalidArgument(what + ": row " + std::to_string(r + 1) +
                               " of a symmetric Matrix (the lower triangle) needs " + std::to_string(r + 1) +
                               " numbers, not " + std::to_string(rows[r].size()));
      }
      for (size_t c = 0; c <= r; ++c) m.values[r * n + c] = m.values[c * n + r] = rows[r][c];
    }
  } else {
    m.rows = rows.size();
    m.cols = rows[0].size();
    if (static_cast<double>(m.rows) * static_cast<double>(m.cols) > kMaxCells) {
      return InvalidArgument(what + ": the Matrix is too large");
    }
    for (size_t r = 0; r < m.rows; ++r) {
      if (rows[r].size() != m.cols) {
        return InvalidArgument(what + ": Matrix row " + std::to_string(r + 1) + " has " +
                               std::to_string(rows[r].size()) + " numbers, row 1 has " + std::to_string(m.cols));
      }
      m.values.insert(m.values.end(), rows[r].begin(), rows[r].end());
    }
  }
  if ((nb_rows >= 0 && static_cast<size_t>(nb_rows) != m.rows) ||
      (nb_cols >= 0 && static_cast<size_t>(nb_cols) != m.cols)) {
    return InvalidArgument(what + ": the Matrix declares nbRows/nbCols that disagree with its " +
                           std::to_string(m.rows) + "x" + std::to_string(m.cols) + " content");
  }
  return m;
}

}  // namespace mlserving::formats::pmml
