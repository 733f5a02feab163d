#include "cli/tensor_files.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "formats/onnx/onnx_proto_convert.h"
#include "server/codecs/npy_codec.h"

namespace mlserving::cli {

Result<std::string> ReadAll(const std::string& path) {
  if (path == "-") return std::string((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path + "'");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<Tensor> ReadTensorFile(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".pb") return formats::onnx::ReadTensorProtoFile(path);
  ASSIGN_OR_RETURN(std::string bytes, ReadAll(path));
  Result<Tensor> t = codecs::DecodeNpy(bytes);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

Result<std::pair<std::string, std::string>> SplitNameValue(const std::string& arg, const std::string& flag) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    return InvalidArgument(flag + " expects NAME=VALUE, got '" + arg + "'");
  }
  return std::make_pair(arg.substr(0, eq), arg.substr(eq + 1));
}

}  // namespace mlserving::cli
