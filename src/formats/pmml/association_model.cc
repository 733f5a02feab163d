#include "formats/pmml/association_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "formats/pmml/compiler.h"
#include "formats/pmml/expression.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

AssociationModel::AssociationModel(ModelInfo info, Spec spec) : Model(std::move(info)), spec_(std::move(spec)) {}

namespace {

bool Subset(const std::vector<int>& items, const std::vector<char>& basket) {
  for (int i : items) {
    if (!basket[static_cast<size_t>(i)]) return false;
  }
  return true;
}

double Basis(const AssociationModel::Rule& r, RuleRankBasis basis) {
  switch (basis) {
    case RuleRankBasis::kConfidence: return r.confidence;
    case RuleRankBasis::kSupport: return r.support;
    case RuleRankBasis::kLift: return r.lift;
    case RuleRankBasis::kLeverage: return r.leverage;
    case RuleRankBasis::kAffinity: return r.affinity;
  }
  return 0;
}

bool Selects(RuleAlgorithm algorithm, const AssociationModel::Rule& r, const std::vector<char>& basket) {
  bool antecedent = Subset(r.antecedent, basket);
  switch (algorithm) {
    case RuleAlgorithm::kRecommendation: return antecedent;
    case RuleAlgorithm::kExclusiveRecommendation: return antecedent && !Subset(r.consequent, basket);
    case RuleAlgorithm::kRuleAssociation: return antecedent && Subset(r.consequent, basket);
  }
  return false;
}

Value NumberOrMissing(double x) { return std::isnan(x) ? Value::Missing() : Value::Number(x); }

}  // namespace

std::string AssociationModel::Itemset(const std::vector<int>& items) const {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    out += spec_.items[static_cast<size_t>(items[i])];
  }
  return out + "}";
}

Value AssociationModel::RuleFeature(const Rule& rule, const std::string& feature) const {
  if (feature == "antecedent") return Value::String(Itemset(rule.antecedent));
  if (feature == "consequent") return Value::String(Itemset(rule.consequent));
  if (feature == "rule") return Value::String(Itemset(rule.antecedent) + "->" + Itemset(rule.consequent));
  if (feature == "ruleId") return Value::String(rule.id);
  if (feature == "support") return Value::Number(rule.support);
  if (feature == "confidence") return Value::Number(rule.confidence);
  if (feature == "lift") return NumberOrMissing(rule.lift);
  if (feature == "leverage") return NumberOrMissing(rule.leverage);
  if (feature == "affinity") return NumberOrMissing(rule.affinity);
  return Value::Missing();
}

Status AssociationModel::Score(EvalContext& ctx, Prediction& out) const {
  // Per-thread scratch: the transaction as item flags, and the selected rules per algorithm.
  thread_local std::vector<char> basket;
  thread_local std::array<std::vector<int>, 3> selected;
  basket.assign(spec_.items.size(), 0);
  auto add = [&](const Value& v) {
    if (v.missing()) return;
    auto it = spec_.item_index.find(v.AsString());
    if (it != spec_.item_index.end()) basket[static_cast<size_t>(it->second)] = 1;
  };
  if (spec_.item_slot != kNoSlot) {
    if (const std::vector<Value>* items = ctx.Collection(spec_.item_source)) {
      for (const Value& v : *items) add(v);
    } else {
      add(ctx.Get(spec_.item_slot));
    }
  }
  for (const FieldItem& item : spec_.field_items) {
    const Value& v = ctx.Get(item.slot);
    if (v.missing()) continue;
    bool in = false;
    if (item.flag) {
      std::optional<bool> b = v.AsBool();
      if (!b) {
        return InvalidArgument("the AssociationModel item field '" + item.field +
                               "' must be true or false (1/0), got '" + v.AsString() + "'");
      }
      in = *b;
    } else {
      in = v.AsString() == item.category || v.Equals(Value::String(item.category));
    }
    if (in) basket[static_cast<size_t>(item.item)] = 1;
  }
  std::array<bool, 3> done{};
  for (const OutputFieldDef& f : info_.outputs) {
    if (f.feature != ResultFeature::kRuleValue && f.feature != ResultFeature::kEntityId &&
        f.feature != ResultFeature::kAffinity)
      continue;
    size_t a = static_cast<size_t>(f.algorithm);
    std::vector<int>& rules = selected[a];
    if (!done[a]) {
      rules.clear();
      for (size_t r = 0; r < spec_.rules.size(); ++r) {
        if (Selects(f.algorithm, spec_.rules[r], basket)) rules.push_back(static_cast<int>(r));
      }
      done[a] = true;
    }
    // The rank-th best rule by this field's basis and order (stable: ties keep document order).
    thread_local std::vector<int> ranked;
    ranked = rules;
    std::stable_sort(ranked.begin(), ranked.end(), [&](int x, int y) {
      double bx = Basis(spec_.rules[static_cast<size_t>(x)], f.rank_basis);
      double by = Basis(spec_.rules[static_cast<size_t>(y)], f.rank_basis);
      return f.rank_ascending ? bx < by : bx > by;
    });
    auto feature_of = [&](int rank) {
      if (static_cast<size_t>(rank) > ranked.size()) return Value::Missing();
      const Rule& rule = spec_.rules[static_cast<size_t>(ranked[static_cast<size_t>(rank - 1)])];
      switch (f.feature) {
        case ResultFeature::kEntityId: return Value::String(rule.id);
        case ResultFeature::kAffinity: return NumberOrMissing(rule.affinity);
        default: return RuleFeature(rule, f.rule_feature);
      }
    };
    if (f.element_slots.empty()) {
      out.output_values.emplace_back(f.name, feature_of(f.rank));
      continue;
    }
    // isMultiValued: ranks 1..rank, as `name[k]`; the field itself holds rank 1.
    out.output_values.emplace_back(f.name, feature_of(1));
    for (size_t k = 1; k <= f.element_slots.size(); ++k) {
      out.output_values.emplace_back(f.name + "[" + std::to_string(k) + "]", feature_of(static_cast<int>(k)));
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Model>> CompileAssociationModel(ModelCompileContext& ctx) {
  if (ctx.info.function != MiningFunction::kAssociationRules) {
    return InvalidArgument("an AssociationModel needs functionName=\"associationRules\"");
  }
  AssociationModel::Spec spec;
  std::vector<Slot> active;
  bool transactional = false;  // a group field: one item per row, rows grouped into transactions
  for (size_t i = 0; i < ctx.info.schema.fields.size(); ++i) {
    UsageType usage = ctx.info.schema.fields[i]->usage;
    transactional |= usage == UsageType::kGroup;
    if (usage == UsageType::kActive) active.push_back(ctx.info.schema.slots[i]);
  }
  if (active.empty()) return InvalidArgument("the AssociationModel has no active (item) field");
  if (transactional && active.size() > 1) {
    return InvalidArgument("a transactional AssociationModel (with a group field) takes one active (item) field, not " +
                           std::to_string(active.size()));
  }
  const FieldTable& table = ctx.compiler.table();
  if (active.size() == 1) {
    spec.item_slot = active.front();
    // The slot the transaction's values are set on: through the mining field and plain field
    // references (a derived multiset reads the per-request collection of its Aggregate).
    Slot source = spec.item_slot;
    for (int hops = 0; hops < 64; ++hops) {
      const SlotDef& def = table.slots[static_cast<size_t>(source)];
      Slot next = def.kind == SlotKind::kMiningField                 ? def.source
                  : def.kind == SlotKind::kDerived && def.expression ? def.expression->field_slot()
                                                                     : kNoSlot;
      if (next == kNoSlot) break;
      source = next;
    }
    spec.item_source = source;
  }

  std::unordered_map<std::string, int> item_index;
  bool value_items = false;  // items matched against the single active field's values
  for (pugi::xml_node item : Children(ctx.node, "Item")) {
    ASSIGN_OR_RETURN(std::string id, RequiredAttr(item, "id"));
    ASSIGN_OR_RETURN(std::string value, RequiredAttr(item, "value"));
    const int index = static_cast<int>(spec.items.size());
    if (!item_index.emplace(id, index).second) {
      return InvalidArgument("the Item id '" + id + "' is used twice");
    }
    spec.items.push_back(value);
    std::string field(Attr(item, "field"));
    std::string category(Attr(item, "category"));
    const bool has_category = HasAttr(item, "category");
    if (transactional ||
        (field.empty() && active.size() == 1 && !ctx.scope.Resolve(value).ok() &&
         (value.find('=') == std::string::npos || !ctx.scope.Resolve(value.substr(0, value.find('='))).ok()))) {
      // A value of the one item field (its category when the Item names a field).
      spec.item_index.emplace(!field.empty() && has_category ? category : value, index);
      value_items = true;
      continue;
    }
    AssociationModel::FieldItem fi;
    fi.item = index;
    if (!field.empty()) {
      if (!has_category) {
        return InvalidArgument("<Item id='" + id + "' field='" + field +
                               "'> needs a category (the field value that makes the item)");
      }
      fi.field = field;
      fi.category = category;
    } else if (ctx.scope.Resolve(value).ok()) {
      fi.field = value;
      fi.flag = true;
    } else if (size_t eq = value.find('='); eq != std::string::npos && ctx.scope.Resolve(value.substr(0, eq)).ok()) {
      fi.field = value.substr(0, eq);
      fi.category = value.substr(eq + 1);
    } else {
      return InvalidArgument("<Item id='" + id + "' value='" + value +
                             "'>: with several active fields an item names a field (a true/false flag), "
                             "'field=value', or has field and category attributes");
    }
    Result<Slot> slot = ctx.scope.Resolve(fi.field);
    if (!slot.ok()) return slot.status().WithContext("<Item id='" + id + "'>");
    fi.slot = *slot;
    spec.field_items.push_back(std::move(fi));
  }
  if (!value_items && !transactional) spec.item_slot = kNoSlot;
  std::unordered_map<std::string, std::vector<int>> itemsets;
  for (pugi::xml_node set : Children(ctx.node, "Itemset")) {
    ASSIGN_OR_RETURN(std::string id, RequiredAttr(set, "id"));
    std::vector<int> items;
    for (pugi::xml_node ref : Children(set, "ItemRef")) {
      ASSIGN_OR_RETURN(std::string item, RequiredAttr(ref, "itemRef"));
      auto it = item_index.find(item);
      if (it == item_index.end())
        return InvalidArgument("Itemset '" + id + "' refers to the unknown Item '" + item + "'");
      items.push_back(it->second);
    }
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    if (!itemsets.emplace(id, std::move(items)).second) {
      return InvalidArgument("the Itemset id '" + id + "' is used twice");
    }
  }
  for (pugi::xml_node r : Children(ctx.node, "AssociationRule")) {
    AssociationModel::Rule rule;
    rule.id = HasAttr(r, "id") ? std::string(Attr(r, "id")) : std::to_string(spec.rules.size() + 1);
    for (auto [attr, dst] : {std::pair{"antecedent", &rule.antecedent}, std::pair{"consequent", &rule.consequent}}) {
      ASSIGN_OR_RETURN(std::string set, RequiredAttr(r, attr));
      auto it = itemsets.find(set);
      if (it == itemsets.end()) {
        return InvalidArgument("AssociationRule '" + rule.id + "' refers to the unknown Itemset '" + set + "'");
      }
      *dst = it->second;
    }
    ASSIGN_OR_RETURN(rule.support, RequiredNumberAttr(r, "support"));
    ASSIGN_OR_RETURN(rule.confidence, RequiredNumberAttr(r, "confidence"));
    ASSIGN_OR_RETURN(rule.lift, NumberAttr(r, "lift", std::nan("")));
    ASSIGN_OR_RETURN(rule.leverage, NumberAttr(r, "leverage", std::nan("")));
    ASSIGN_OR_RETURN(rule.affinity, NumberAttr(r, "affinity", std::nan("")));
    spec.rules.push_back(std::move(rule));
  }
  return std::unique_ptr<Model>(new AssociationModel(std::move(ctx.info), std::move(spec)));
}

}  // namespace mlserving::formats::pmml
