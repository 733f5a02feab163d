#include "tensor/dtype.h"

#include <array>

namespace mlserving {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::string_view api_name;
  size_t size;
};

constexpr std::array<DTypeInfo, 14> kInfos = {{
    {DType::kBool, "bool", "boolean", 1},
    {DType::kInt8, "int8", "integer", 1},
    {DType::kInt16, "int16", "integer", 2},
    {DType::kInt32, "int32", "integer", 4},
    {DType::kInt64, "int64", "long", 8},
    {DType::kUInt8, "uint8", "integer", 1},
    {DType::kUInt16, "uint16", "integer", 2},
    {DType::kUInt32, "uint32", "long", 4},
    {DType::kUInt64, "uint64", "long", 8},
    {DType::kFloat16, "float16", "float", 2},
    {DType::kBFloat16, "bfloat16", "float", 2},
    {DType::kFloat32, "float32", "float", 4},
    {DType::kFloat64, "float64", "double", 8},
    {DType::kString, "string", "string", sizeof(std::string)},
}};

const DTypeInfo& Info(DType dtype) { return kInfos[static_cast<size_t>(dtype)]; }

}  // namespace

size_t DTypeSize(DType dtype) { return Info(dtype).size; }
std::string_view DTypeName(DType dtype) { return Info(dtype).name; }
std::string_view ApiTypeName(DType dtype) { return Info(dtype).api_name; }

std::optional<DType> DTypeFromName(std::string_view name) {
  for (const auto& info : kInfos) {
    if (info.name == name) return info.dtype;
  }
  return std::nullopt;
}

bool IsFloating(DType d) {
  return d == DType::kFloat16 || d == DType::kBFloat16 || d == DType::kFloat32 || d == DType::kFloat64;
}
bool IsSignedInteger(DType d) {
  return d == DType::kInt8 || d == DType::kInt16 || d == DType::kInt32 || d == DType::kInt64;
}
bool IsUnsignedInteger(DType d) {
  return d == DType::kUInt8 || d == DType::kUInt16 || d == DType::kUInt32 || d == DType::kUInt64;
}

}  // namespace mlserving
