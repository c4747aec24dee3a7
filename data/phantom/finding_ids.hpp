#pragma once
// Index of each CT-RATE label in ct_rate_labels() and the anatomy (label-map value) it belongs to under
// the fvlm16 protocol. Kept next to schema.hpp's names by a test (PhantomFindingIds.MatchTheSchemaOrder).
#include <array>
#include <cstdint>

namespace cagcl::data::phantom {

enum Finding : int {
  kMedicalMaterial = 0,
  kArterialCalcification,
  kCardiomegaly,
  kPericardialEffusion,
  kCoronaryCalcification,
  kHiatalHernia,
  kLymphadenopathy,
  kEmphysema,
  kAtelectasis,
  kLungNodule,
  kLungOpacity,
  kFibroticSequela,
  kPleuralEffusion,
  kMosaicAttenuation,
  kPeribronchialThickening,
  kConsolidation,
  kBronchiectasis,
  kSeptalThickening,
  kNumFindings
};

// Label-map values, in the order of default_anatomies().
enum Anatomy : uint8_t { kBackground = 0, kLung = 1, kHeart = 2, kEsophagus = 3, kAorta = 4 };
inline constexpr int kNumAnatomies = 4;

// fvlm16: the anatomy each finding is reported under; kBackground = whole-report only.
inline constexpr std::array<Anatomy, kNumFindings> kFindingAnatomy = {
    kBackground, kAorta, kHeart, kHeart, kHeart, kEsophagus, kBackground, kLung, kLung,
    kLung,       kLung,  kLung,  kLung,  kLung,  kLung,      kLung,       kLung, kLung,
};

}  // namespace cagcl::data::phantom
