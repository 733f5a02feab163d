#include "kernels/reference/kernel_util.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace mlserving::kernels::reference {

Result<const Tensor*> RequiredInput(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr) return InvalidArgument("required input " + std::to_string(i) + " is missing");
  return t;
}

void SetOutput(KernelContext& ctx, size_t i, Tensor tensor) {
  if (ctx.outputs.size() <= i) ctx.outputs.resize(i + 1);
  ctx.outputs[i] = std::move(tensor);
}

Status UnsupportedDType(DType dtype) {
  return InvalidArgument("unsupported element type " + std::string(DTypeName(dtype)));
}

std::optional<DType> DTypeFromOnnxCode(int64_t code) {
  switch (code) {
    case 1: return DType::kFloat32;
    case 2: return DType::kUInt8;
    case 3: return DType::kInt8;
    case 4: return DType::kUInt16;
    case 5: return DType::kInt16;
    case 6: return DType::kInt32;
    case 7: return DType::kInt64;
    case 8: return DType::kString;
    case 9: return DType::kBool;
    case 10: return DType::kFloat16;
    case 11: return DType::kFloat64;
    case 12: return DType::kUInt32;
    case 13: return DType::kUInt64;
    case 16: return DType::kBFloat16;
    default: return std::nullopt;
  }
}

std::vector<int64_t> ContiguousStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

Result<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; missing leading dims act as 1.
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return InvalidArgument("shapes " + ShapeToString(a) + " and " + ShapeToString(b) + " cannot be broadcast");
    }
  }
  return out;
}

std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out) {
  const std::vector<int64_t> contiguous = ContiguousStrides(in);
  std::vector<int64_t> strides(out.size(), 0);
  const size_t lead = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d) {
    strides[lead + d] = in[d] == 1 && out[lead + d] != 1 ? 0 : contiguous[d];
  }
  return strides;
}

Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return InvalidArgument("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

Result<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  out.reserve(axes.size());
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(rank, 0)), false);
  for (int64_t axis : axes) {
    ASSIGN_OR_RETURN(int64_t a, NormalizeAxis(axis, rank));
    if (seen[static_cast<size_t>(a)]) return InvalidArgument("axis " + std::to_string(axis) + " is repeated");
    seen[static_cast<size_t>(a)] = true;
    out.push_back(a);
  }
  return out;
}

Result<std::vector<int64_t>> ReadInt64s(const Tensor& tensor, const std::string& what) {
  std::vector<int64_t> values(static_cast<size_t>(tensor.num_elements()));
  if (tensor.dtype() == DType::kInt64) {
    std::copy_n(tensor.data<int64_t>(), values.size(), values.begin());
  } else if (tensor.dtype() == DType::kInt32) {
    std::copy_n(tensor.data<int32_t>(), values.size(), values.begin());
  } else {
    return InvalidArgument(what + " must be an int64 tensor, got " + tensor.DebugString());
  }
  return values;
}

int64_t DimProduct(const Shape& shape, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t d = begin; d < end && d < shape.size(); ++d) n *= shape[d];
  return n;
}

Result<Tensor> GatherStrided(const KernelContext& ctx, const Tensor& src, const Shape& out_shape,
                             const std::vector<int64_t>& strides, int64_t base) {
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(src.dtype(), out_shape));
  DispatchDType(src.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = src.data<T>();
    T* dst = out.data<T>();
    ForEachStrided<1>(out_shape, {strides}, [&](int64_t i, const std::array<int64_t, 1>& off) { dst[i] = in[off[0]]; },
                      {base});
  });
  return out;
}

namespace {

// Shortest scientific digits that round-trip to `value` in its own type, as "d.ddde±XX".
template <typename T>
std::string ShortestScientific(const T& value) {
  char buf[64];
  if constexpr (kIsHalf<T>) {
    const float f = Widen(value);
    for (int precision = 0; precision <= 9; ++precision) {
      auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific, precision);
      std::string text(buf, res.ptr);
      float parsed = 0;
      std::from_chars(text.data(), text.data() + text.size(), parsed);
      if (Narrow<T>(parsed).bits == value.bits) return text;
    }
    auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    return std::string(buf, res.ptr);
  } else {
    auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    return std::string(buf, res.ptr);
  }
}

// Lays out scientific digits the way numpy's repr does.
std::string NumpyLayout(const std::string& scientific) {
  std::string text = scientific;
  std::string sign;
  if (!text.empty() && text[0] == '-') {
    sign = "-";
    text.erase(0, 1);
  }
  const size_t e_pos = text.find('e');
  std::string digits = text.substr(0, e_pos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exponent = std::atoi(text.c_str() + e_pos + 1);
  if (digits == "0") return sign + "0.0";
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    const size_t int_len = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= int_len) return sign + digits + std::string(int_len - digits.size(), '0') + ".0";
    return sign + digits.substr(0, int_len) + "." + digits.substr(int_len);
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  const int abs_exp = exponent < 0 ? -exponent : exponent;
  std::string exp_digits = std::to_string(abs_exp);
  if (exp_digits.size() < 2) exp_digits = "0" + exp_digits;
  return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp_digits;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t begin = 0, end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return s.substr(begin, end - begin);
}

// Parses a whole string as a floating value of type F (float or double).
template <typename F>
Result<F> ParseFloating(const std::string& raw) {
  const std::string text = Trim(raw);
  const std::string lower = Lower(text);
  if (lower == "inf" || lower == "+inf") return std::numeric_limits<F>::infinity();
  if (lower == "-inf") return -std::numeric_limits<F>::infinity();
  if (lower == "nan" || lower == "+nan" || lower == "-nan") return std::numeric_limits<F>::quiet_NaN();
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  F value = 0;
  auto res = std::from_chars(begin, end, value);
  if (res.ec == std::errc::result_out_of_range) {
    // Overflow saturates to infinity; underflow to zero (as strtod does).
    const bool negative = begin != end && *begin == '-';
    const std::string digits(begin, end);
    const bool tiny = digits.find("e-") != std::string::npos || digits.find("E-") != std::string::npos;
    const F magnitude = tiny ? F(0) : std::numeric_limits<F>::infinity();
    return negative ? -magnitude : magnitude;
  }
  if (res.ec != std::errc() || res.ptr != end || begin == end) {
    return InvalidArgument("cannot parse '" + raw + "' as a number");
  }
  return value;
}

}  // namespace

template <typename T>
std::string FormatNumber(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "True" : "False";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(value);
  } else {
    const auto v = Widen(value);
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-INF" : "INF";
    return NumpyLayout(ShortestScientific(value));
  }
}

template <typename T>
Result<T> ParseNumber(const std::string& text) {
  if constexpr (std::is_same_v<T, bool>) {
    const std::string lower = Lower(Trim(text));
    if (lower == "true") return true;
    if (lower == "false") return false;
    ASSIGN_OR_RETURN(double v, ParseFloating<double>(text));
    return v != 0;
  } else if constexpr (std::is_integral_v<T>) {
    const std::string trimmed = Trim(text);
    const char* begin = trimmed.data();
    const char* end = trimmed.data() + trimmed.size();
    if (begin != end && *begin == '+') ++begin;
    T value = 0;
    auto res = std::from_chars(begin, end, value);
    if (res.ec == std::errc() && res.ptr == end && begin != end) return value;
    // Not a plain in-range integer: parse as a float ("100.5" -> 100), saturating.
    ASSIGN_OR_RETURN(double v, ParseFloating<double>(text));
    return ConvertNumber<T>(v);
  } else if constexpr (std::is_same_v<T, double>) {
    return ParseFloating<double>(text);
  } else {
    ASSIGN_OR_RETURN(float v, ParseFloating<float>(text));
    return ConvertNumber<T>(v);
  }
}

#define MLS_INSTANTIATE_NUMBER_TEXT(T)            \
  template std::string FormatNumber<T>(const T&); \
  template Result<T> ParseNumber<T>(const std::string&);
MLS_INSTANTIATE_NUMBER_TEXT(bool)
MLS_INSTANTIATE_NUMBER_TEXT(int8_t)
MLS_INSTANTIATE_NUMBER_TEXT(int16_t)
MLS_INSTANTIATE_NUMBER_TEXT(int32_t)
MLS_INSTANTIATE_NUMBER_TEXT(int64_t)
MLS_INSTANTIATE_NUMBER_TEXT(uint8_t)
MLS_INSTANTIATE_NUMBER_TEXT(uint16_t)
MLS_INSTANTIATE_NUMBER_TEXT(uint32_t)
MLS_INSTANTIATE_NUMBER_TEXT(uint64_t)
MLS_INSTANTIATE_NUMBER_TEXT(Float16)
MLS_INSTANTIATE_NUMBER_TEXT(BFloat16)
MLS_INSTANTIATE_NUMBER_TEXT(float)
MLS_INSTANTIATE_NUMBER_TEXT(double)
#undef MLS_INSTANTIATE_NUMBER_TEXT

}  // namespace mlserving::kernels::reference
