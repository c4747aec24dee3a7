#pragma once
// Names and constants of the shard file format (docs/dataset-format.md), shared by reader and writer so
// the two cannot drift apart.
#include <array>
#include <cstdint>

#include <hdf5.h>

namespace cagcl::data::shard_format {

inline constexpr const char* kFormat = "cagcl-shard";

// Root attributes.
inline constexpr const char* kAttrFormat = "format";
inline constexpr const char* kAttrSchemaVersion = "schema_version";
inline constexpr const char* kAttrAnatomies = "anatomies";
inline constexpr const char* kAttrLabels = "labels";
inline constexpr const char* kAttrCompression = "compression";
inline constexpr const char* kAttrNumSamples = "num_samples";
inline constexpr const char* kAttrFirstIndex = "first_index";

inline constexpr const char* kSamplesGroup = "samples";

// Members of one sample group.
inline constexpr const char* kVolume = "volume";
inline constexpr const char* kAnatomy = "anatomy";
inline constexpr const char* kSpacing = "spacing";
inline constexpr const char* kLabels = "labels";
inline constexpr const char* kNormal = "normal";
inline constexpr const char* kTextId = "text_id";
inline constexpr const char* kSentences = "sentences";
inline constexpr const char* kSentenceAnatomy = "sentence_anatomy";
inline constexpr const char* kSentenceSection = "sentence_section";
inline constexpr const char* kFindings = "findings";
inline constexpr const char* kImpression = "impression";
inline constexpr const char* kAttrName = "name";
inline constexpr const char* kAttrPatient = "patient";
inline constexpr const char* kAttrSplit = "split";

inline constexpr uint8_t kSectionConclusion = 0;
inline constexpr uint8_t kSectionDescription = 1;

// Voxel chunk shape (D, H, W), clipped to the volume. 32x64x64 is 256 KiB of int16 / 128 KiB of uint8:
// large enough for LZ4/deflate to reach their ratio and to keep per-chunk overhead small, small enough to
// sit in HDF5's default 1 MiB chunk cache, and a random (112,256,352) crop reads at most one extra chunk
// layer per face (see docs/dataset-format.md, "Chunking").
inline constexpr std::array<hsize_t, 3> kChunk = {32, 64, 64};

}  // namespace cagcl::data::shard_format
