#include "server/codecs/npy_codec.h"

#include <cstring>
#include <regex>

#include "tensor/float16.h"

namespace mlserving::codecs {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

struct NpyType {
  const char* descr;
  DType dtype;
};
constexpr NpyType kNpyTypes[] = {
    {"|b1", DType::kBool},   {"|i1", DType::kInt8},    {"<i2", DType::kInt16},   {"<i4", DType::kInt32},
    {"<i8", DType::kInt64},  {"|u1", DType::kUInt8},   {"<u2", DType::kUInt16},  {"<u4", DType::kUInt32},
    {"<u8", DType::kUInt64}, {"<f2", DType::kFloat16}, {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64},
};

/// Appends the UTF-8 encoding of `cp`.
void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Decodes UTF-8 into code points; invalid bytes become U+FFFD.
std::vector<uint32_t> Utf8ToCodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    uint32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(extra) + 1;
  }
  return out;
}

Result<Tensor> DecodeData(const std::string& descr, const Shape& shape, int64_t count, std::string_view data) {
  if (descr.size() >= 3 && (descr[1] == 'U' || descr[1] == 'S')) {
    bool unicode = descr[1] == 'U';
    if (descr.find_first_not_of("0123456789", 2) != std::string::npos || descr.size() > 12) {
      return InvalidArgument("invalid .npy string descr '" + descr + "'");
    }
    size_t width = std::stoul(descr.substr(2));
    size_t item = unicode ? width * 4 : width;
    if (item != 0 && static_cast<size_t>(count) > data.size() / item) return InvalidArgument("truncated .npy data");
    // Zero-width strings occupy no bytes, so the data size does not bound their count.
    if (item == 0 && count > (int64_t{1} << 20)) return InvalidArgument(".npy array of empty strings too large");
    ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(DType::kString, shape));
    auto* out = t.data<std::string>();
    for (int64_t i = 0; i < count; ++i) {
      std::string_view cell = data.substr(static_cast<size_t>(i) * item, item);
      std::string s;
      if (unicode) {
        for (size_t k = 0; k + 4 <= cell.size(); k += 4) {
          uint32_t cp = 0;
          std::memcpy(&cp, cell.data() + k, 4);
          if (cp == 0) break;
          AppendUtf8(s, cp);
        }
      } else {
        s.assign(cell.data(), strnlen(cell.data(), cell.size()));
      }
      out[i] = std::move(s);
    }
    return t;
  }
  for (const NpyType& type : kNpyTypes) {
    std::string alt = type.descr;
    alt[0] = alt[0] == '|' ? '<' : '|';  // NumPy writes single-byte types with either prefix
    if (descr != type.descr && descr != alt && descr != std::string("=") + (type.descr + 1)) continue;
    // Check the payload before allocating: the header alone must not make us allocate.
    if (static_cast<uint64_t>(count) > data.size() / DTypeSize(type.dtype)) {
      return InvalidArgument("truncated .npy data: the shape needs " + std::to_string(count) + " elements, " +
                             std::to_string(data.size()) + " bytes present");
    }
    ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(type.dtype, shape));
    if (data.size() < t.byte_size()) {
      return InvalidArgument("truncated .npy data: " + std::to_string(t.byte_size()) + " bytes needed, " +
                             std::to_string(data.size()) + " present");
    }
    if (t.byte_size()) std::memcpy(t.raw_data(), data.data(), t.byte_size());
    return t;
  }
  return Unimplemented(".npy dtype '" + descr + "' is not supported (object arrays and big-endian data are refused)");
}

/// Returns `t` with its axes reversed (the C-order view of a Fortran-order array).
Tensor ReverseAxes(const Tensor& t) {
  const Shape& in_shape = t.shape();
  const size_t rank = in_shape.size();
  Shape out_shape(in_shape.rbegin(), in_shape.rend());
  Tensor out(t.dtype(), out_shape);
  // Input strides (C order); output index i0..in-1 reads input index in-1..i0.
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t k = rank; k-- > 1;) in_strides[k - 1] = in_strides[k] * in_shape[k];
  std::vector<int64_t> index(rank, 0);
  const size_t item = DTypeSize(t.dtype());
  for (int64_t o = 0; o < out.num_elements(); ++o) {
    int64_t source = 0;
    for (size_t k = 0; k < rank; ++k) source += index[k] * in_strides[rank - 1 - k];
    if (t.dtype() == DType::kString) {
      out.data<std::string>()[o] = t.data<std::string>()[source];
    } else {
      std::memcpy(static_cast<char*>(out.raw_data()) + static_cast<size_t>(o) * item,
                  static_cast<const char*>(t.raw_data()) + static_cast<size_t>(source) * item, item);
    }
    for (size_t k = rank; k-- > 0;) {
      if (++index[k] < out_shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

}  // namespace

Result<Tensor> DecodeNpy(std::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != kMagic) return InvalidArgument("not a .npy file (bad magic)");
  auto major = static_cast<unsigned char>(bytes[6]);
  size_t header_len;
  size_t offset;
  if (major == 1) {
    header_len =
        static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return InvalidArgument("truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    return InvalidArgument(".npy format version " + std::to_string(major) + " is not supported");
  }
  if (offset + header_len > bytes.size()) return InvalidArgument("truncated .npy header");
  std::string header(bytes.substr(offset, header_len));
  std::string_view data = bytes.substr(offset + header_len);

  std::smatch m;
  static const std::regex kDescr(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex kFortran(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex kShape(R"('shape'\s*:\s*\(([^)]*)\))");
  if (!std::regex_search(header, m, kDescr)) return InvalidArgument(".npy header has no descr");
  std::string descr = m[1];
  bool fortran_order = std::regex_search(header, m, kFortran) && m[1] == "True";
  if (!std::regex_search(header, m, kShape)) return InvalidArgument(".npy header has no shape");
  Shape shape;
  std::string dims = m[1];
  static const std::regex kInt(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), kInt); it != std::sregex_iterator(); ++it) {
    if (it->str().size() > 15) return InvalidArgument(".npy shape dimension too large");
    shape.push_back(std::stoll(it->str()));
  }
  auto count = CheckedNumElements(shape);
  if (!count) return InvalidArgument(".npy shape overflows");
  if (fortran_order && shape.size() > 1) {
    // A Fortran-order array is the C-order array of the reversed shape, transposed.
    Shape reversed(shape.rbegin(), shape.rend());
    ASSIGN_OR_RETURN(Tensor c_order, DecodeData(descr, reversed, *count, data));
    return ReverseAxes(c_order);
  }
  return DecodeData(descr, shape, *count, data);
}

Result<std::string> EncodeNpy(const Tensor& input) {
  Tensor tensor = input;
  if (tensor.dtype() == DType::kBFloat16) {
    Tensor f(DType::kFloat32, tensor.shape());
    for (int64_t i = 0; i < tensor.num_elements(); ++i) {
      f.data<float>()[i] = BFloat16ToFloat(tensor.data<BFloat16>()[i].bits);
    }
    tensor = f;
  }
  std::string descr;
  std::string body;
  if (tensor.dtype() == DType::kString) {
    std::vector<std::vector<uint32_t>> cps;
    size_t width = 1;
    for (int64_t i = 0; i < tensor.num_elements(); ++i) {
      cps.push_back(Utf8ToCodePoints(tensor.data<std::string>()[i]));
      width = std::max(width, cps.back().size());
    }
    descr = "<U" + std::to_string(width);
    body.assign(cps.size() * width * 4, '\0');
    for (size_t i = 0; i < cps.size(); ++i) {
      std::memcpy(body.data() + i * width * 4, cps[i].data(), cps[i].size() * 4);
    }
  } else {
    for (const NpyType& type : kNpyTypes) {
      if (type.dtype == tensor.dtype()) descr = type.descr;
    }
    body.assign(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
  }
  std::string shape = "(";
  for (int64_t d : tensor.shape()) shape += std::to_string(d) + ",";
  if (tensor.rank() > 1) shape.pop_back();
  shape += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = kMagic.size() + 4 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>((header.size() >> 8) & 0xFF);
  out += header;
  out += body;
  return out;
}

}  // namespace mlserving::codecs
