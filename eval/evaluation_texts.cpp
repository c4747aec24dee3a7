#include <torch/torch.h>

#include "eval/evaluation_texts.hpp"

#include <map>
#include <utility>

#include "common/error.hpp"
#include "data/text_augmentation.hpp"

namespace cagcl::eval {

std::vector<std::string> collect_report_texts(const data::Dataset& dataset, const std::vector<int64_t>& indices,
                                              EvaluationInputs& in) {
  const auto& anatomies = dataset.manifest().anatomies;
  std::vector<std::string> texts;
  std::map<std::pair<size_t, std::string>, int64_t> id_of;
  std::map<std::pair<size_t, int64_t>, std::string> text_of;
  for (int64_t index : indices) {
    const data::Sample s = dataset.read_metadata(index);
    if (s.text_id.size() != anatomies.size() || s.normal.size() != anatomies.size())
      throw DataError("volume '" + s.name + "': text ids or normal flags do not cover the dataset's anatomies");
    in.volume_names.push_back(s.name);
    in.patients.push_back(s.patient);
    in.volume_text_ids.emplace_back();
    in.volume_normal.push_back(s.normal);
    for (size_t a = 0; a < anatomies.size(); ++a) {
      const auto id = static_cast<int64_t>(s.text_id[a]);  // the bit pattern, as data/batch.hpp carries it
      in.volume_text_ids.back().push_back(id);
      std::string text = data::eval_text(s, a, anatomies[a]);
      const auto [known_id, new_text] = id_of.emplace(std::make_pair(a, text), id);
      const auto [known_text, new_id] = text_of.emplace(std::make_pair(a, id), text);
      if (known_id->second != id || known_text->second != text)
        throw DataError("volume '" + s.name + "', anatomy " + anatomies[a] + ": its text id " +
                        std::to_string(s.text_id[a]) +
                        " and text do not match those of an earlier volume (one id per canonical text expected)");
      if (!new_text) continue;
      texts.push_back(std::move(text));
      in.text_anatomy.push_back(static_cast<int64_t>(a));
      in.text_ids.push_back(id);
    }
  }
  return texts;
}

std::vector<PromptEmbeddings> embed_prompts(const Protocol& protocol, const std::vector<TemplateFamily>& families,
                                            const data::Tokenizer& tokenizer, int64_t max_length,
                                            const TextEncoder& encode, const torch::Device& device) {
  std::vector<PromptEmbeddings> out;
  for (const auto& family : families) {
    std::vector<std::string> pos, neg;
    for (const auto& [p, n] : family_prompts(protocol, family)) pos.push_back(p), neg.push_back(n);
    const torch::Tensor tp = embed_texts(pos, tokenizer, max_length, encode, device);
    const torch::Tensor tn = embed_texts(neg, tokenizer, max_length, encode, device);
    PromptEmbeddings pe;
    pe.findings = static_cast<int64_t>(pos.size()), pe.dim = tp.size(1);
    pe.positive.assign(tp.data_ptr<float>(), tp.data_ptr<float>() + tp.numel());
    pe.negative.assign(tn.data_ptr<float>(), tn.data_ptr<float>() + tn.numel());
    out.push_back(std::move(pe));
  }
  return out;
}

}  // namespace cagcl::eval
