#include "formats/pmml/pmml_document.h"

#include "formats/pmml/compiler.h"
#include "formats/pmml/window_expression.h"

namespace mlserving::formats::pmml {

mlserving::Result<std::unique_ptr<PmmlDocument>> PmmlDocument::Load(std::string_view bytes, const XmlLimits& limits) {
  ASSIGN_OR_RETURN(std::unique_ptr<pugi::xml_document> xml, ParseXml(bytes, limits));
  pugi::xml_node root = xml->document_element();
  std::unique_ptr<PmmlDocument> doc(new PmmlDocument());
  doc->version_ = std::string(Attr(root, "version"));
  ASSIGN_OR_RETURN(doc->dictionary_, ParseDataDictionary(Child(root, "DataDictionary")));

  Compiler compiler(doc->table_, doc->dictionary_);
  Scope document_scope(compiler, nullptr);
  for (size_t i = 0; i < doc->dictionary_.fields.size(); ++i) {
    const DataField& f = doc->dictionary_.fields[i];
    SlotDef def;
    def.name = f.name;
    def.kind = SlotKind::kInput;
    def.data_type = f.data_type;
    def.op_type = f.op_type;
    def.data_field = static_cast<int>(i);
    Slot slot = doc->table_.Add(std::move(def));
    doc->data_field_slots_.push_back(slot);
    document_scope.Define(f.name, slot);
  }
  pugi::xml_node transformations = Child(root, "TransformationDictionary");
  RETURN_IF_ERROR(compiler.AddFunctions(transformations));
  for (pugi::xml_node d : Children(transformations, "DerivedField")) RETURN_IF_ERROR(document_scope.DefineDerived(d));

  pugi::xml_node model_node;
  std::vector<std::string> others;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (!IsModelElement(c)) continue;
    if (!model_node && Attr(c, "isScorable", "true") != "false") model_node = c;
  }
  if (!model_node) {
    return InvalidArgument(
        "the PMML document contains no scorable model element (TreeModel, RegressionModel, "
        "MiningModel, …)");
  }
  ASSIGN_OR_RETURN(doc->model_, CompileModel(model_node, document_scope));
  doc->num_models_ = compiler.num_models();
  if (!compiler.finishers().empty()) {
    EvalContext ctx(doc->table_, doc->num_models_);
    for (const Compiler::Finisher& finish : compiler.finishers()) RETURN_IF_ERROR(finish(ctx));
  }

  const ModelInfo& info = doc->model_->info();
  bool derived_inputs = false;
  for (size_t i = 0; i < info.schema.fields.size(); ++i) {
    const MiningField* f = info.schema.fields[i];
    if (f->usage == UsageType::kGroup && !doc->has_group_) {
      int df = doc->dictionary_.Find(f->name);
      if (df < 0) return InvalidArgument("the group field '" + f->name + "' is not a DataField");
      doc->group_ = {f->name, doc->dictionary_.fields[static_cast<size_t>(df)].data_type,
                     doc->data_field_slots_[static_cast<size_t>(df)]};
      doc->has_group_ = true;
    }
    if (f->usage != UsageType::kActive) continue;
    int df = doc->dictionary_.Find(f->name);
    if (df < 0) {
      derived_inputs = true;
      continue;
    }
    doc->inputs_.push_back({f->name, doc->dictionary_.fields[static_cast<size_t>(df)].data_type,
                            doc->data_field_slots_[static_cast<size_t>(df)]});
  }
  if (derived_inputs) {
    // Active fields computed by the TransformationDictionary: every other non-target DataField may feed them.
    for (size_t i = 0; i < doc->dictionary_.fields.size(); ++i) {
      const DataField& f = doc->dictionary_.fields[i];
      bool listed = false;
      for (const Input& in : doc->inputs_) listed |= in.name == f.name;
      for (const MiningField* t : info.schema.targets) listed |= t->name == f.name;
      listed |= doc->has_group_ && doc->group_.name == f.name;
      if (!listed) doc->inputs_.push_back({f.name, f.data_type, doc->data_field_slots_[i]});
    }
  }
  // DataFields that only a window expression reads (an Aggregate's groupField, a Lag's
  // BlockIndicator) are request inputs too.
  for (const auto& window : doc->table_.windows) {
    std::vector<Slot> read = window->keys;
    read.push_back(window->field);
    for (Slot slot : read) {
      const SlotDef& def = doc->table_.slots[static_cast<size_t>(slot)];
      if (def.kind != SlotKind::kInput || def.data_field < 0) continue;
      bool listed = doc->has_group_ && doc->group_.slot == slot;
      for (const Input& in : doc->inputs_) listed |= in.slot == slot;
      if (!listed) doc->inputs_.push_back({def.name, def.data_type, slot});
    }
  }
  for (const MiningField* t : info.schema.targets) {
    int df = doc->dictionary_.Find(t->name);
    DataType type = df >= 0 ? doc->dictionary_.fields[static_cast<size_t>(df)].data_type : info.target_type;
    doc->results_.push_back({t->name, type, true, true, kNoSlot, -1, {}});
  }
  if (info.schema.targets.empty() && info.has_target) {
    doc->results_.push_back({info.target_name, info.target_type, true, true, kNoSlot, -1, {}});
  }
  for (const OutputFieldDef& f : info.outputs) {
    if (!f.element_slots.empty()) {
      // A multi-valued field (isMultiValued): one result per value, `name[1]`..`name[rank]`.
      for (size_t k = 0; k < f.element_slots.size(); ++k) {
        std::string name = f.name + "[" + std::to_string(k + 1) + "]";
        doc->results_.push_back({name, OutputDataType(f, info), false, f.final_result, f.element_slots[k], -1, {}});
      }
      continue;
    }
    doc->results_.push_back({f.name, OutputDataType(f, info), false, f.final_result, f.slot, -1, {}});
  }
  if (info.outputs.empty() && info.chain_last) {
    // A model chain without an Output of its own: the final output fields of its last segment
    // (following nested chains that have no Output either).
    const ModelInfo* last = info.chain_last;
    while (last->outputs.empty() && last->chain_last) last = last->chain_last;
    for (const OutputFieldDef& f : last->outputs) {
      if (f.final_result) {
        doc->results_.push_back({f.name, OutputDataType(f, *last), false, true, f.slot, -1, {}});
      }
    }
  }
  if (info.select_all) {
    // Every segment's targets and final output fields, named `<field>[<segment id>]`.
    for (const auto& [id, segment] : info.segments) {
      std::string suffix = "[" + id + "]";
      std::vector<std::string> targets;
      for (const MiningField* t : segment->schema.targets) targets.push_back(t->name);
      if (targets.empty() && segment->has_target) targets.push_back(segment->target_name);
      // A segment without a target of its own predicts the MiningModel's.
      if (targets.empty() && info.has_target) targets.push_back(info.target_name);
      for (const std::string& t : targets) {
        int df = doc->dictionary_.Find(t);
        DataType type = df >= 0 ? doc->dictionary_.fields[static_cast<size_t>(df)].data_type : segment->target_type;
        doc->results_.push_back({t + suffix, type, false, true, kNoSlot, segment->id, t});
      }
      for (const OutputFieldDef& f : segment->outputs) {
        if (f.final_result) {
          doc->results_.push_back({f.name + suffix, OutputDataType(f, *segment), false, true, f.slot, -1, {}});
        }
      }
    }
  }
  return doc;
}

std::unique_ptr<EvalContext> PmmlDocument::NewContext() const {
  return std::make_unique<EvalContext>(table_, num_models_);
}

Status PmmlDocument::ScoreRow(EvalContext& ctx) const { return RunModel(*model_, ctx); }

Value PmmlDocument::ResultValue(EvalContext& ctx, const Result& result) const {
  const Value* predicted = nullptr;
  if (result.model_id >= 0) {
    predicted = &PredictedValueOf(ctx.prediction(result.model_id), result.target);
  } else if (result.is_target) {
    predicted = &PredictedValueOf(ctx.prediction(model_->info().id), result.name);
  } else {
    return ctx.Get(result.slot);
  }
  const Value& v = *predicted;
  std::optional<Value> cast = CastValue(v, result.data_type);
  return cast ? *cast : v;
}

}  // namespace mlserving::formats::pmml
