#pragma once

#include <pugixml.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mlserving::formats::pmml {

/// Limits applied while reading a PMML document; they bound memory and recursion for hostile input.
struct XmlLimits {
  size_t max_bytes = size_t{512} << 20;  ///< documents above this are refused
  int max_depth = 400;                   ///< element nesting (a TreeModel of depth d needs about d + 6)
};

/// Parses PMML text. Refuses documents whose DOCTYPE declares entities (entity expansion attacks,
/// external entities), documents over `limits`, malformed XML and documents whose root is not <PMML>.
/// Entities are never expanded (pugixml knows only the five predefined ones and character refs).
Result<std::unique_ptr<pugi::xml_document>> ParseXml(std::string_view bytes, const XmlLimits& limits = {});

/// Element and attribute names without their namespace prefix: PMML 3.x and 4.x documents differ
/// only by namespace, and some producers use a prefix (`pmml:TreeModel`).
std::string_view LocalName(const char* qualified);
inline std::string_view LocalName(pugi::xml_node node) { return LocalName(node.name()); }

/// The first child element named `name` (any namespace); an empty node when absent.
pugi::xml_node Child(pugi::xml_node node, std::string_view name);
/// All child elements named `name`, in document order.
std::vector<pugi::xml_node> Children(pugi::xml_node node, std::string_view name);
/// True for child elements that carry no PMML semantics (Extension, annotations).
bool IsIgnorable(pugi::xml_node node);

/// An attribute's text; `fallback` when absent.
std::string_view Attr(pugi::xml_node node, std::string_view name, std::string_view fallback = {});
bool HasAttr(pugi::xml_node node, std::string_view name);
/// A numeric attribute; `fallback` when absent, kInvalidArgument naming the element when malformed.
Result<double> NumberAttr(pugi::xml_node node, std::string_view name, double fallback);
/// A required numeric attribute.
Result<double> RequiredNumberAttr(pugi::xml_node node, std::string_view name);
/// A required non-empty attribute.
Result<std::string> RequiredAttr(pugi::xml_node node, std::string_view name);

/// "<TreeModel> (line-less) path" used in messages: `Element 'name'`.
std::string Describe(pugi::xml_node node);

/// Splits the content of an <Array> into its items: blank-separated tokens, double-quoted items
/// with `\"` escapes kept whole.
std::vector<std::string> SplitArray(std::string_view text);

}  // namespace mlserving::formats::pmml
