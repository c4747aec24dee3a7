#pragma once
// Live zero-shot scoring during training (docs/training.md, "Live zero-shot validation"): right after each
// validation-loss pass the trainer hands its model to a LiveValidation, which scores the validation split
// zero-shot and returns a few figures for the reports. The interface lives here and the implementation in
// launch/ (launch/live_zero_shot.hpp), because the scoring is eval/'s and trainer/ must not depend on eval/.
//
// Contract: called on every rank, in the same order, with the model in eval mode under a NoGradGuard; it may
// issue collectives on `comm` (the same ones on every rank) and must return the same figures on every rank.
// It must draw no random numbers and change no parameter or buffer, so that a run with live scoring on
// trains exactly the weights of the same run with it off.
#include <cstdint>
#include <optional>
#include <vector>

#include "comm/communicator.hpp"
#include "model/cagcl_model.hpp"
#include "trainer/step_report.hpp"

namespace cagcl::trainer {

class LiveValidation {
 public:
  virtual ~LiveValidation() = default;
  // Scores the validation split the implementation was built for. std::nullopt: nothing to report (e.g. the
  // dataset has no labels of the protocol); then on every rank.
  virtual std::optional<ZeroShotFigures> score(model::CagclModel& net, Communicator& comm, int64_t step) = 0;
};

}  // namespace cagcl::trainer
