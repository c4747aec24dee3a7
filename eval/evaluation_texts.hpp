#pragma once
// The texts an evaluation embeds besides the volumes: each template family's prompts for the protocol's
// findings, and the evaluated split's distinct anatomy-level report texts (retrieval's candidates, the
// text-similarity analysis's texts). Shared by `cagcl eval` and the trainer's live zero-shot validation, so
// that both score the same prompts against the same texts.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/tokenizer.hpp"
#include "eval/volume_embedder.hpp"
#include "eval/zero_shot_evaluation.hpp"

namespace cagcl::eval {

// Fills the per-volume inputs of `in` (names, patients, each anatomy's text id and normal flag) and the ids of
// the distinct anatomy-level report texts (each (anatomy, text) once, in volume order: text_anatomy,
// text_ids), and returns those texts: the canonical, un-augmented ones (data::eval_text) whose ids
// (Sample::text_id) the trainer's false negatives use. Retrieval needs one id per text within an anatomy; a
// dataset that breaks this is a DataError rather than silently wrong figures.
std::vector<std::string> collect_report_texts(const data::Dataset& dataset, const std::vector<int64_t>& indices,
                                              EvaluationInputs& in);

// One PromptEmbeddings per family (in order): the positive and negative sentence of every finding of the
// protocol, embedded with `encode`.
std::vector<PromptEmbeddings> embed_prompts(const Protocol& protocol, const std::vector<TemplateFamily>& families,
                                            const data::Tokenizer& tokenizer, int64_t max_length,
                                            const TextEncoder& encode, const torch::Device& device);

}  // namespace cagcl::eval
