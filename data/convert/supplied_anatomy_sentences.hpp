#pragma once
// Anatomy-level report sentences supplied as JSON, in the per-organ layout of fVLM's CT-RATE release: one
// object per volume, one entry per anatomy (docs/converting.md):
//   { "train_1_a_1": { "lung": "Sentence one. Sentence two.", "heart": "", ... }, ... }
// An anatomy's value may be a string (split into sentences), a list of sentences, or an object
// {"conclusion": ..., "description": ...} whose members are strings or lists. A plain string or list counts
// as description; fVLM keeps impression-derived text in a second file of the same layout, given with
// --anatomy-conclusions. A missing or empty anatomy is normal. Volume keys may carry ".nii.gz".
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/convert/anatomy_lexicon.hpp"

namespace cagcl::data::convert {

class SuppliedAnatomySentences {
 public:
  // DataError naming the file when it is not a JSON object; IoError when it cannot be read.
  static SuppliedAnatomySentences load(const std::filesystem::path& descriptions,
                                       const std::optional<std::filesystem::path>& conclusions = std::nullopt);

  // Sentences of `volume` per anatomy of `anatomies`. DataError naming the file and the key when the volume
  // is missing from the descriptions file or an entry has the wrong type.
  AnatomyLexicon::Split sentences_of(const std::string& volume, const std::vector<std::string>& anatomies) const;

 private:
  struct Source {
    std::string file;
    nlohmann::json root;
  };
  std::optional<Source> descriptions_;
  std::optional<Source> conclusions_;
};

}  // namespace cagcl::data::convert
