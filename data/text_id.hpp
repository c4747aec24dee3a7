#pragma once
// Canonical text of one (sample, anatomy) and its id. The id finds false negatives in the contrastive
// losses (same text => positive pair), so it must be identical on every rank, build and run: FNV-1a 64
// over the UTF-8 bytes, no process-dependent hashing.
#include <cstdint>
#include <string>
#include <vector>

#include "data/schema.hpp"

namespace cagcl::data {

inline uint64_t fnv1a64(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Conclusion sentences first, then description sentences, joined by one space; the normal template when
// the anatomy has no sentence (METHOD.md).
inline std::string canonical_text(const std::string& anatomy, const std::vector<std::string>& conclusion,
                                  const std::vector<std::string>& description) {
  if (conclusion.empty() && description.empty()) return normal_template(anatomy);
  std::string text;
  for (const auto* part : {&conclusion, &description}) {
    for (const auto& s : *part) {
      if (!text.empty()) text += ' ';
      text += s;
    }
  }
  return text;
}

inline uint64_t text_id(const std::string& anatomy, const std::vector<std::string>& conclusion,
                        const std::vector<std::string>& description) {
  return fnv1a64(canonical_text(anatomy, conclusion, description));
}

}  // namespace cagcl::data
