#pragma once
// The trainer's live zero-shot validation (trainer/live_validation.hpp, docs/training.md) built from eval/'s
// parts, so that the figures are defined exactly as `cagcl eval` defines them: fvlm16 macro AUC under each
// built-in template family, their mean and SD, the collapse index of the validation split's distinct anatomy
// texts, and image->report Recall@1/5/10 (mean over anatomies). No bootstrap intervals: too slow to run live.
//
// Per call: the volumes are embedded on every rank (volume k on rank k % world, gathered: embed_volumes); rank
// 0 embeds the prompts and report texts with the current text encoder, computes the figures and broadcasts
// them, so every rank reports the same. What does not change during a run (protocol, tokenizer, the split's
// report texts and their ids) is read once, at the first call, on every rank alike. Nothing here draws a
// random number or writes to the model.
#include <memory>
#include <optional>
#include <vector>

#include "config/config.hpp"
#include "data/dataset.hpp"
#include "data/tokenizer.hpp"
#include "eval/zero_shot_evaluation.hpp"
#include "trainer/live_validation.hpp"

namespace cagcl {

class LiveZeroShot : public trainer::LiveValidation {
 public:
  // `valid`: the dataset indices of the validation split, ascending.
  LiveZeroShot(Config config, std::shared_ptr<const data::Dataset> dataset, std::vector<int64_t> valid);
  std::optional<trainer::ZeroShotFigures> score(model::CagclModel& net, Communicator& comm, int64_t step) override;

 private:
  // Reads what stays fixed; a dataset that cannot be scored (no fvlm16 labels, an anatomy of the protocol
  // missing, inconsistent text ids) turns live scoring off with a warning instead of stopping training.
  void prepare(int rank);
  // Rank 0: the figures of the embedded volumes in `in`, with the model's current text encoder.
  std::vector<double> figures(model::CagclModel& net, eval::EvaluationInputs in, const torch::Device& device) const;

  Config config_;
  std::shared_ptr<const data::Dataset> dataset_;
  std::vector<int64_t> valid_;  // the validation split's dataset indices
  bool prepared_ = false, disabled_ = false;
  std::optional<data::Tokenizer> tokenizer_;
  eval::EvaluationInputs fixed_;           // protocol, families, truth, per-volume text ids, report text ids
  std::vector<std::string> report_texts_;  // the split's distinct anatomy-level texts (fixed_.text_ids)
};

}  // namespace cagcl
