#include "formats/pmml/flat_tree_ensemble.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "formats/pmml/pmml_test_util.h"
#include "formats/pmml/tree_model.h"

namespace mlserving::formats::pmml {
namespace {

constexpr int kFields = 4;
const char* const kClasses[] = {"a", "b", "c"};
const char* const kStrategies[] = {"none",         "nullPrediction", "lastPrediction",
                                   "defaultChild", "aggregateNodes", "weightedConfidence"};

std::string DataDictionary(bool classification, int num_classes = 3) {
  std::string dd;
  for (int f = 0; f < kFields; ++f)
    dd += "<DataField name=\"x" + std::to_string(f) + "\" optype=\"continuous\" dataType=\"double\"/>";
  if (classification) {
    dd += "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\">";
    for (int c = 0; c < num_classes; ++c) dd += std::string("<Value value=\"") + kClasses[c] + "\"/>";
    dd += "</DataField>";
  } else {
    dd += "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>";
  }
  return dd;
}

std::string MiningSchemaXml() {
  std::string ms = "<MiningSchema>";
  for (int f = 0; f < kFields; ++f) ms += "<MiningField name=\"x" + std::to_string(f) + "\"/>";
  return ms + "<MiningField name=\"y\" usageType=\"target\"/></MiningSchema>";
}

/// Thresholds and row values come from a small set, so that equal values (the boundary of every
/// operator) are frequent.
double Pick(std::mt19937& rng) {
  static const double kValues[] = {-2, -1, -0.5, 0, 0.25, 0.5, 1, 3};
  return kValues[rng() % 8];
}

/// Random TreeModels: multi-way splits, every numeric operator, True and False children, nodes
/// without score or ScoreDistribution, defaultChild links, recordCounts for the aggregations.
class TreeGenerator {
 public:
  /// `dense`: every node has a score and a ScoreDistribution and the root is True, so that
  /// ensembles of such trees mostly predict.
  /// `num_classes`: the first of a, b, c; `equal_ops`: also equal and notEqual predicates.
  TreeGenerator(std::mt19937& rng, bool classification, bool dense = false, int num_classes = 3, bool equal_ops = true)
      : rng_(rng), classification_(classification), dense_(dense), num_classes_(num_classes), equal_ops_(equal_ops) {}

  std::string Tree(const std::string& strategy, bool return_last) {
    next_id_ = 0;
    std::string root_predicate = !dense_ && rng_() % 8 == 0 ? Simple() : "<True/>";
    return "<TreeModel functionName=\"" + std::string(classification_ ? "classification" : "regression") +
           "\" missingValueStrategy=\"" + strategy + "\" noTrueChildStrategy=\"" +
           (return_last ? "returnLastPrediction" : "returnNullPrediction") + "\">" + MiningSchemaXml() +
           Node(root_predicate, 0) + "</TreeModel>";
  }

 private:
  std::string Simple() {
    static const char* const kOps[] = {"lessThan", "lessOrEqual", "greaterThan", "greaterOrEqual", "equal", "notEqual"};
    char value[32];
    std::snprintf(value, sizeof value, "%g", Pick(rng_));
    return "<SimplePredicate field=\"x" + std::to_string(rng_() % kFields) + "\" operator=\"" +
           kOps[rng_() % (equal_ops_ ? 6 : 4)] + "\" value=\"" + value + "\"/>";
  }

  std::string Node(const std::string& predicate, int depth) {
    std::string id = std::to_string(++next_id_);
    int children = depth >= 4 ? 0 : static_cast<int>(rng_() % 4);
    std::vector<std::string> kids;
    for (int c = 0; c < children; ++c) {
      std::string p;
      unsigned r = rng_() % 10;
      if (r == 0) {
        p = "<False/>";
      } else if (r == 1 || (c == children - 1 && r < 5)) {
        p = "<True/>";
      } else {
        p = Simple();
      }
      kids.push_back(Node(p, depth + 1));
    }
    std::string attrs = " id=\"" + id + "\" recordCount=\"" + std::to_string(1 + rng_() % 20) + "\"";
    if (dense_ || rng_() % 6 != 0) {
      if (classification_) {
        attrs += std::string(" score=\"") + kClasses[rng_() % static_cast<unsigned>(num_classes_)] + "\"";
      } else {
        char score[32];
        std::snprintf(score, sizeof score, "%.17g", std::ldexp(static_cast<double>(rng_() % 1000) - 500, -7));
        attrs += std::string(" score=\"") + score + "\"";
      }
    }
    if (!kids.empty() && rng_() % 2 == 0) attrs += " defaultChild=\"" + std::to_string(next_id_) + "\"";
    std::string xml = "<Node" + attrs + ">" + predicate;
    if (classification_ && (dense_ || rng_() % 8 != 0)) {
      for (int c = 0; c < num_classes_; ++c) {
        if (rng_() % 5 == 0) continue;  // a class the node does not list
        xml += std::string("<ScoreDistribution value=\"") + kClasses[c] + "\" recordCount=\"" +
               std::to_string(rng_() % 6) + "\"/>";
      }
    }
    for (const std::string& k : kids) xml += k;
    return xml + "</Node>";
  }

  std::mt19937& rng_;
  bool classification_;
  bool dense_;
  int num_classes_;
  bool equal_ops_;
  int next_id_ = 0;
};

/// Sets row `x` (NaN = missing) into a fresh row of `ctx`.
void SetRow(const PmmlDocument& doc, EvalContext& ctx, const std::vector<double>& x) {
  ctx.BeginRow();
  for (int f = 0; f < kFields; ++f) {
    int index = doc.dictionary().Find("x" + std::to_string(f));
    ctx.Set(doc.data_field_slots()[static_cast<size_t>(index)],
            std::isnan(x[static_cast<size_t>(f)]) ? Value::Missing() : Value::Number(x[static_cast<size_t>(f)]));
  }
}

// The flat walk ends where TreeModel::WalkTree does, on every row without missing values, for
// random trees under every missingValueStrategy and noTrueChildStrategy.
TEST(PmmlFlatTreeTest, WalkEndsAtTheGenericWalksNode) {
  std::mt19937 rng(7);
  int compared = 0, null_predictions = 0;
  for (int round = 0; round < 300; ++round) {
    bool classification = round % 2 == 0;
    TreeGenerator gen(rng, classification);
    std::string text =
        testing::Doc(DataDictionary(classification), gen.Tree(kStrategies[round % 6], (round / 6) % 2 == 0));
    auto doc = testing::MustLoad(text);
    ASSERT_NE(doc, nullptr) << text;
    const auto* tree = dynamic_cast<const TreeModel*>(&doc->model());
    ASSERT_NE(tree, nullptr);
    FlatTreeEnsemble::Member member;
    member.tree = tree;
    if (classification) {
      for (size_t j = 0; j < tree->info().classes.size(); ++j) member.class_map.push_back(static_cast<int>(j));
    }
    auto flat = FlatTreeEnsemble::Build({member}, classification, tree->info().classes.size());
    ASSERT_NE(flat, nullptr) << "numeric predicates only: the flat form applies\n" << text;
    auto ctx = doc->NewContext();
    for (int r = 0; r < 40; ++r) {
      std::vector<double> row(kFields);
      for (double& v : row) v = rng() % 4 == 0 ? std::ldexp(static_cast<double>(rng() % 64) - 32, -3) : Pick(rng);
      SetRow(*doc, *ctx, row);
      TreeModel::Walk walk = tree->WalkTree(*ctx);
      ASSERT_NE(walk.kind, TreeModel::Walk::kAggregate) << "no predicate is unknown on a complete row";
      int expected = walk.kind == TreeModel::Walk::kNode ? walk.node : -1;
      std::vector<double> x;
      for (Slot s : flat->feature_slots()) x.push_back(ctx->Get(s).number());
      x.push_back(0);  // at least one value: a leaf reads x[0]
      ASSERT_EQ(flat->WalkToNode(0, x.data()), expected)
          << text << "\nrow " << row[0] << "," << row[1] << "," << row[2] << "," << row[3];
      ++compared;
      null_predictions += expected < 0;
    }
  }
  EXPECT_EQ(compared, 300 * 40);
  EXPECT_GT(null_predictions, 100);  // null predictions (noTrueChild, False roots) were exercised
}

TEST(PmmlFlatTreeTest, OtherPredicatesKeepTheGenericWalk) {
  std::string text = testing::Doc(
      DataDictionary(false),
      "<TreeModel functionName=\"regression\">" + MiningSchemaXml() +
          "<Node score=\"1\"><True/><Node score=\"2\"><CompoundPredicate booleanOperator=\"and\">"
          "<SimplePredicate field=\"x0\" operator=\"lessThan\" value=\"1\"/>"
          "<SimplePredicate field=\"x1\" operator=\"lessThan\" value=\"1\"/></CompoundPredicate></Node></Node>"
          "</TreeModel>");
  auto doc = testing::MustLoad(text);
  ASSERT_NE(doc, nullptr);
  FlatTreeEnsemble::Member member;
  member.tree = dynamic_cast<const TreeModel*>(&doc->model());
  EXPECT_EQ(FlatTreeEnsemble::Build({member}, false, 0), nullptr);
}

/// The probability of each class per tree, scored by a document holding that tree alone.
struct TreeResult {
  bool has = false;
  double probability[3] = {0, 0, 0};
};

// A 40-tree average (the flat form on complete rows, the generic walk on rows with missing
// values) gives exactly the average of the trees scored one by one, in tree order.
TEST(PmmlFlatTreeTest, EnsembleEqualsTreesScoredOneByOne) {
  std::mt19937 rng(11);
  int rows_with_value = 0;
  for (int round = 0; round < 12; ++round) {
    // Odd rounds: two classes and no equality tests (the specialised accumulation).
    const int num_classes = round % 2 ? 2 : 3;
    std::string outputs = "<Output>";
    for (int c = 0; c < num_classes; ++c) {
      outputs += std::string("<OutputField name=\"p_") + kClasses[c] + "\" feature=\"probability\" value=\"" +
                 kClasses[c] + "\"/>";
    }
    outputs += "</Output>";
    TreeGenerator gen(rng, true, /*dense=*/true, num_classes, /*equal_ops=*/round % 2 == 0);
    std::vector<std::string> trees;
    std::string segments;
    for (int t = 0; t < 40; ++t) {  // several groups of lanes
      trees.push_back(gen.Tree(kStrategies[(round + t) % 6], true));
      segments += "<Segment id=\"" + std::to_string(t + 1) + "\"><True/>" + trees.back() + "</Segment>";
    }
    auto ensemble = testing::MustLoad(testing::Doc(
        DataDictionary(true, num_classes), "<MiningModel functionName=\"classification\">" + MiningSchemaXml() +
                                               outputs + "<Segmentation multipleModelMethod=\"average\">" + segments +
                                               "</Segmentation></MiningModel>"));
    ASSERT_NE(ensemble, nullptr);
    std::vector<std::unique_ptr<PmmlDocument>> singles;
    for (std::string tree : trees) {
      tree.insert(tree.find("<Node"), outputs);
      singles.push_back(testing::MustLoad(testing::Doc(DataDictionary(true, num_classes), tree)));
      ASSERT_NE(singles.back(), nullptr);
    }
    for (int r = 0; r < 60; ++r) {
      std::map<std::string, Value> row;
      for (int f = 0; f < kFields; ++f) {
        row["x" + std::to_string(f)] = r % 3 == 0 && rng() % 3 == 0 ? Value::Missing() : Value::Number(Pick(rng));
      }
      double acc[3] = {0, 0, 0};
      bool has = true;
      for (const auto& single : singles) {
        testing::Scored s = testing::ScoreOne(*single, row);
        ASSERT_TRUE(s.status.ok());
        Value p = s.Get("p_a");
        if (p.missing()) {
          has = false;
          break;
        }
        for (int c = 0; c < num_classes; ++c) acc[c] += s.Get(std::string("p_") + kClasses[c]).number();
      }
      testing::Scored got = testing::ScoreOne(*ensemble, row);
      ASSERT_TRUE(got.status.ok());
      ASSERT_EQ(got.Get("y").missing(), !has) << "round " << round << " row " << r;
      if (!has) continue;
      ++rows_with_value;
      for (int c = 0; c < num_classes; ++c) {
        EXPECT_EQ(got.Get(std::string("p_") + kClasses[c]).number(), acc[c] / 40)
            << "round " << round << " row " << r << " class " << kClasses[c];
      }
    }
  }
  EXPECT_GT(rows_with_value, 50);
}

// Regression trees summed with weights, as gradient boosting exports them.
TEST(PmmlFlatTreeTest, WeightedSumEqualsTreesScoredOneByOne) {
  std::mt19937 rng(5);
  int rows_with_value = 0;
  for (int round = 0; round < 12; ++round) {
    TreeGenerator gen(rng, false, /*dense=*/true, 3, /*equal_ops=*/round % 2 == 0);
    std::vector<std::string> trees;
    std::vector<double> weights;
    std::string segments;
    for (int t = 0; t < 40; ++t) {
      trees.push_back(gen.Tree(kStrategies[(round + t) % 6], true));
      weights.push_back(0.25 * static_cast<double>(1 + rng() % 8));
      segments += "<Segment id=\"" + std::to_string(t + 1) + "\" weight=\"" + std::to_string(weights.back()) +
                  "\"><True/>" + trees.back() + "</Segment>";
    }
    auto ensemble = testing::MustLoad(
        testing::Doc(DataDictionary(false), "<MiningModel functionName=\"regression\">" + MiningSchemaXml() +
                                                "<Segmentation multipleModelMethod=\"weightedSum\">" + segments +
                                                "</Segmentation></MiningModel>"));
    ASSERT_NE(ensemble, nullptr);
    std::vector<std::unique_ptr<PmmlDocument>> singles;
    for (const std::string& tree : trees) {
      singles.push_back(testing::MustLoad(testing::Doc(DataDictionary(false), tree)));
      ASSERT_NE(singles.back(), nullptr);
    }
    for (int r = 0; r < 60; ++r) {
      std::map<std::string, Value> row;
      for (int f = 0; f < kFields; ++f) {
        row["x" + std::to_string(f)] = r % 3 == 0 && rng() % 3 == 0 ? Value::Missing() : Value::Number(Pick(rng));
      }
      double sum = 0;
      bool has = true;
      for (size_t t = 0; t < singles.size(); ++t) {
        Value y = testing::ScoreOne(*singles[t], row).Get("y");
        if (y.missing()) has = false;
        if (has) sum += y.number() * weights[t];
      }
      Value got = testing::ScoreOne(*ensemble, row).Get("y");
      ASSERT_EQ(got.missing(), !has) << "round " << round << " row " << r;
      if (!has) continue;
      ++rows_with_value;
      EXPECT_EQ(got.number(), sum) << "round " << round << " row " << r;
    }
  }
  EXPECT_GT(rows_with_value, 50);
}

}  // namespace
}  // namespace mlserving::formats::pmml
