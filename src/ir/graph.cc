#include "ir/graph.h"

#include <deque>
#include <set>

namespace mlserving::ir {

const Attribute* Node::Find(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? nullptr : &it->second;
}
int64_t Node::GetInt(const std::string& key, int64_t fallback) const {
  const Attribute* a = Find(key);
  return a ? a->i : fallback;
}
float Node::GetFloat(const std::string& key, float fallback) const {
  const Attribute* a = Find(key);
  return a ? a->f : fallback;
}
std::string Node::GetString(const std::string& key, const std::string& fallback) const {
  const Attribute* a = Find(key);
  return a ? a->s : fallback;
}
std::vector<int64_t> Node::GetInts(const std::string& key) const {
  const Attribute* a = Find(key);
  return a ? a->ints : std::vector<int64_t>{};
}
std::vector<float> Node::GetFloats(const std::string& key) const {
  const Attribute* a = Find(key);
  return a ? a->floats : std::vector<float>{};
}
std::vector<std::string> Node::GetStrings(const std::string& key) const {
  const Attribute* a = Find(key);
  return a ? a->strings : std::vector<std::string>{};
}
Tensor Node::GetTensor(const std::string& key) const {
  const Attribute* a = Find(key);
  return a ? a->t : Tensor();
}
std::string Node::Describe() const {
  std::string out = domain.empty() ? op_type : domain + "." + op_type;
  if (!name.empty()) out += " (node '" + name + "')";
  return out;
}

ValueId Graph::GetOrAddValue(const std::string& name) {
  if (!name.empty()) {
    auto it = by_name_.find(name);
    if (it != by_name_.end()) return it->second;
  }
  auto id = static_cast<ValueId>(values_.size());
  values_.push_back(Value{name, {}, std::nullopt});
  if (!name.empty()) by_name_.emplace(name, id);
  return id;
}

std::optional<ValueId> Graph::FindValue(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::vector<int> Graph::ProducerIndex() const {
  std::vector<int> producer(values_.size(), -1);
  for (size_t n = 0; n < nodes_.size(); ++n) {
    for (ValueId out : nodes_[n].outputs) {
      if (out != kNoValue) producer[static_cast<size_t>(out)] = static_cast<int>(n);
    }
  }
  return producer;
}

Status Graph::SortTopologically(const std::vector<std::string>& outer_scope) {
  std::vector<bool> available(values_.size(), false);
  for (ValueId id : inputs_) available[static_cast<size_t>(id)] = true;
  for (size_t v = 0; v < values_.size(); ++v) {
    if (values_[v].constant) available[v] = true;
  }
  for (const auto& name : outer_scope) {
    if (auto id = FindValue(name)) available[static_cast<size_t>(*id)] = true;
  }
  std::vector<int> producer = ProducerIndex();
  // Kahn's algorithm over node dependencies.
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<int>> consumers(nodes_.size());
  for (size_t n = 0; n < nodes_.size(); ++n) {
    std::vector<ValueId> reads = nodes_[n].inputs;
    for (const std::string& name : ImplicitInputs(nodes_[n])) {
      std::optional<ValueId> id = FindValue(name);
      if (!id) {
        return InvalidArgument(nodes_[n].Describe() + " has a subgraph that reads '" + name +
                               "', which is not defined in any enclosing graph");
      }
      reads.push_back(*id);
    }
    for (ValueId in : reads) {
      if (in == kNoValue || available[static_cast<size_t>(in)]) continue;
      int p = producer[static_cast<size_t>(in)];
      if (p < 0) {
        return InvalidArgument(nodes_[n].Describe() + " reads '" + values_[static_cast<size_t>(in)].name +
                               "', which is neither a graph input, an initializer nor a node output");
      }
      ++pending[n];
      consumers[static_cast<size_t>(p)].push_back(static_cast<int>(n));
    }
  }
  std::deque<int> ready;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (pending[n] == 0) ready.push_back(static_cast<int>(n));
  }
  std::vector<Node> sorted;
  sorted.reserve(nodes_.size());
  while (!ready.empty()) {
    int n = ready.front();
    ready.pop_front();
    for (int c : consumers[static_cast<size_t>(n)]) {
      if (--pending[static_cast<size_t>(c)] == 0) ready.push_back(c);
    }
    sorted.push_back(std::move(nodes_[static_cast<size_t>(n)]));
  }
  if (sorted.size() != nodes_.size()) return InvalidArgument("the graph has a cycle");
  nodes_ = std::move(sorted);
  return Status::Ok();
}

std::vector<std::string> OuterScopeReads(const Graph& graph) {
  std::vector<bool> local(graph.num_values(), false);
  for (ValueId id : graph.inputs()) local[static_cast<size_t>(id)] = true;
  for (size_t v = 0; v < graph.num_values(); ++v) {
    if (graph.value(static_cast<ValueId>(v)).constant) local[v] = true;
  }
  for (const Node& node : graph.nodes()) {
    for (ValueId out : node.outputs) {
      if (out != kNoValue) local[static_cast<size_t>(out)] = true;
    }
  }
  std::set<std::string> reads;
  auto read = [&](ValueId id) {
    if (id != kNoValue && !local[static_cast<size_t>(id)]) reads.insert(graph.value(id).name);
  };
  for (const Node& node : graph.nodes()) {
    for (ValueId in : node.inputs) read(in);
    for (const std::string& name : ImplicitInputs(node)) {
      std::optional<ValueId> id = graph.FindValue(name);
      if (!id || !local[static_cast<size_t>(*id)]) reads.insert(name);
    }
  }
  for (ValueId out : graph.outputs()) read(out);
  return {reads.begin(), reads.end()};
}

std::vector<std::string> ImplicitInputs(const Node& node) {
  std::set<std::string> names;
  for (const auto& [key, attribute] : node.attributes) {
    if (attribute.g) {
      for (std::string& name : OuterScopeReads(*attribute.g)) names.insert(std::move(name));
    }
    for (const auto& g : attribute.graphs) {
      if (g) {
        for (std::string& name : OuterScopeReads(*g)) names.insert(std::move(name));
      }
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace mlserving::ir
