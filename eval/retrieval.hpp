#pragma once
// Volume-report retrieval (METHOD.md "Retrieval"; the figure CT-CLIP reports), per anatomy:
//   image -> report: the queries are the abnormal instances (v_a of a present anatomy whose report has a
//     sentence); the candidates are the anatomy's distinct texts (one per canonical text id, the normal
//     template included when the split has it: mistaking an abnormal image for a normal one is a miss).
//     A query is a hit at K when its own text id is among the K candidates of highest cosine.
//   report -> image: the queries are the candidate texts that are the text of at least one abnormal
//     instance; the candidates are the abnormal instances. A query is a hit at K when any instance with its
//     text id is among the K of highest cosine.
// Normal instances are neither queries nor candidates: they all share the normal template, so retrieving it
// says nothing. Recall@K = hits / queries; the mean is over the anatomies that have a query.
//
// Ties count against the query (pessimistic): a query's rank is 1 + the number of non-matching candidates
// whose cosine is >= the best matching candidate's. A collapsed model that maps everything to one vector then
// scores the chance level, not a perfect recall, and the result does not depend on the order of the
// candidates or on a sort's tie breaking. A NaN cosine of the matching candidate is a miss.
//
// No torch in this header and no communicator: `cagcl eval` and the trainer's validation call it with
// embeddings gathered on one rank. Ids are compared for equality only; the trainer's int64 bit pattern of
// Sample::text_id (data/batch.hpp) is what they hold.
#include <cstdint>
#include <string>
#include <vector>

namespace cagcl::eval {

// One anatomy's retrieval problem. Embeddings of any scale (rows are normalised here).
struct RetrievalSet {
  std::string anatomy;
  int64_t dim = 0;                     // E
  std::vector<float> images;           // [N, E] instances of the anatomy, present (intact) ones only
  std::vector<int64_t> image_text_id;  // [N] canonical text id of each instance's report text
  std::vector<uint8_t> image_normal;   // [N] 1 = normal (the normal template): left out
  std::vector<float> texts;            // [M, E] candidate texts
  std::vector<int64_t> text_id;        // [M] their canonical text ids, distinct
};

// One direction of one anatomy.
struct RetrievalRecall {
  int64_t queries = 0, candidates = 0;
  std::vector<double> recall;  // per K of RetrievalResult::ks; NaN when there is no query
};

struct AnatomyRetrieval {
  std::string anatomy;
  RetrievalRecall image_to_report, report_to_image;
};

struct RetrievalResult {
  std::vector<int64_t> ks;
  std::vector<AnatomyRetrieval> anatomies;                         // in the order of the sets
  int64_t anatomies_in_mean = 0;                                   // anatomies with at least one query
  std::vector<double> mean_image_to_report, mean_report_to_image;  // per K; NaN when no anatomy has a query
};

// UsageError (naming the anatomy) when sizes disagree, a candidate id repeats, an abnormal instance's text
// id is not among the candidates, or a K is < 1.
RetrievalResult retrieval_recall(const std::vector<RetrievalSet>& sets, const std::vector<int64_t>& ks = {1, 5, 10});

}  // namespace cagcl::eval
