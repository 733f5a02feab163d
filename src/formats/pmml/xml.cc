#include "formats/pmml/xml.h"

#include <cstring>

#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {
namespace {

/// True when `text` contains `needle` (ASCII case-insensitive).
bool ContainsNoCase(std::string_view text, std::string_view needle) {
  if (needle.size() > text.size()) return false;
  for (size_t i = 0; i + needle.size() <= text.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && std::toupper(static_cast<unsigned char>(text[i + j])) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<pugi::xml_document>> ParseXml(std::string_view bytes, const XmlLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return ResourceExhausted("the PMML document has " + std::to_string(bytes.size()) +
                             " bytes, more than the limit of " + std::to_string(limits.max_bytes));
  }
  // A DOCTYPE is never needed by PMML; one that declares entities is an expansion or external
  // entity attack. The DOCTYPE, when present, precedes the root element.
  size_t root = bytes.find("<PMML");
  std::string_view prolog = bytes.substr(0, root == std::string_view::npos ? bytes.size() : root);
  if (ContainsNoCase(prolog, "<!DOCTYPE") && ContainsNoCase(prolog, "<!ENTITY")) {
    return InvalidArgument(
        "the PMML document declares XML entities in its DOCTYPE; entity declarations are refused (they enable "
        "billion-laughs and external-entity attacks): remove the DOCTYPE");
  }
  auto doc = std::make_unique<pugi::xml_document>();
  // parse_default without parse_doctype: the DOCTYPE is skipped, entities are not expanded.
  unsigned options = pugi::parse_default & ~pugi::parse_doctype;
  pugi::xml_parse_result parsed = doc->load_buffer(bytes.data(), bytes.size(), options);
  if (!parsed) {
    return InvalidArgument("the PMML document is not well-formed XML: " + std::string(parsed.description()) +
                           " at byte offset " + std::to_string(parsed.offset));
  }
  pugi::xml_node pmml = doc->document_element();
  if (!pmml || LocalName(pmml) != "PMML") {
    return InvalidArgument("the document's root element is <" + std::string(pmml ? pmml.name() : "") +
                           ">, not <PMML>: this is not a PMML document");
  }
  // Iterative depth check: later stages recurse over the element tree.
  int depth = 0;
  pugi::xml_node node = pmml;
  while (node) {
    if (node.first_child()) {
      node = node.first_child();
      if (++depth > limits.max_depth) {
        return InvalidArgument("the PMML document nests elements deeper than " + std::to_string(limits.max_depth) +
                               " levels; such documents are refused");
      }
      continue;
    }
    while (node && !node.next_sibling() && node != pmml) {
      node = node.parent();
      --depth;
    }
    if (!node || node == pmml) break;
    node = node.next_sibling();
  }
  return doc;
}

std::string_view LocalName(const char* qualified) {
  std::string_view name(qualified);
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(pugi::xml_node node, std::string_view name) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == name) return c;
  }
  return {};
}

std::vector<pugi::xml_node> Children(pugi::xml_node node, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == name) out.push_back(c);
  }
  return out;
}

bool IsIgnorable(pugi::xml_node node) {
  std::string_view n = LocalName(node);
  return node.type() != pugi::node_element || n == "Extension";
}

std::string_view Attr(pugi::xml_node node, std::string_view name, std::string_view fallback) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    if (LocalName(a.name()) == name) return a.value();
  }
  return fallback;
}

bool HasAttr(pugi::xml_node node, std::string_view name) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    if (LocalName(a.name()) == name) return true;
  }
  return false;
}

Result<double> NumberAttr(pugi::xml_node node, std::string_view name, double fallback) {
  if (!HasAttr(node, name)) return fallback;
  std::string_view text = Attr(node, name);
  std::optional<double> v = ParseNumber(text);
  if (!v) {
    return InvalidArgument(Describe(node) + ": attribute " + std::string(name) + "=\"" + std::string(text) +
                           "\" is not a number");
  }
  return *v;
}

Result<double> RequiredNumberAttr(pugi::xml_node node, std::string_view name) {
  if (!HasAttr(node, name)) {
    return InvalidArgument(Describe(node) + " lacks the required attribute " + std::string(name));
  }
  return NumberAttr(node, name, 0.0);
}

Result<std::string> RequiredAttr(pugi::xml_node node, std::string_view name) {
  std::string_view v = Attr(node, name);
  if (v.empty()) return InvalidArgument(Describe(node) + " lacks the required attribute " + std::string(name));
  return std::string(v);
}

std::string Describe(pugi::xml_node node) {
  std::string out = "<" + std::string(LocalName(node)) + ">";
  for (const char* key : {"name", "id", "field", "function"}) {
    std::string_view v = Attr(node, key);
    if (!v.empty()) {
      out += " " + std::string(key) + "='" + std::string(v) + "'";
      break;
    }
  }
  return out;
}

std::vector<std::string> SplitArray(std::string_view text) {
  std::vector<std::string> items;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    std::string item;
    if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '"') ++i;
        item += text[i++];
      }
      ++i;
    } else {
      while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') {
        item += text[i++];
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace mlserving::formats::pmml
