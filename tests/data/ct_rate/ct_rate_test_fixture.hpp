#pragma once
// A small synthetic CT-RATE download (phantoms written by CtRateFixtureWriter) and a library-level
// conversion of it, shared by the CT-RATE conversion tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>

#include <filesystem>
#include <string>
#include <vector>

#include "data/convert/anatomy_crop.hpp"
#include "data/convert/anatomy_lexicon.hpp"
#include "data/convert/anatomy_mapping.hpp"
#include "data/convert/sharded_conversion.hpp"
#include "data/convert/supplied_anatomy_sentences.hpp"
#include "data/ct_rate/ct_rate_fixture_writer.hpp"
#include "data/ct_rate/ct_rate_inputs.hpp"
#include "data/ct_rate/ct_rate_volume_converter.hpp"
#include "data/phantom/phantom.hpp"
#include "data/schema.hpp"

namespace cagcl::data::ct_rate::testing {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() / ("cagcl-" + tag + "-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Fixture {
  std::filesystem::path dir;
  phantom::PhantomOptions options;
  std::vector<Sample> samples;  // what the raw files were made from, in cohort order
  std::filesystem::path dataset() const { return CtRateFixtureWriter::dataset_dir(dir); }
  std::filesystem::path masks() const { return CtRateFixtureWriter::masks_dir(dir); }
  std::filesystem::path sentences() const { return CtRateFixtureWriter::sentences_file(dir); }
  const Sample& sample(const std::string& name) const {
    for (const auto& s : samples)
      if (s.name == name) return s;
    throw std::runtime_error("no phantom " + name);
  }
};

// 32 x 48 x 48 phantoms: spacing 10 x 7.5 x 7.5 mm, inside the converter's plausibility limits.
inline Fixture make_fixture(const std::filesystem::path& dir, int64_t volumes = 6) {
  Fixture f;
  f.dir = dir;
  f.options.size = {32, 48, 48};
  f.options.seed = 7;
  f.options.valid_fraction = 0.34;
  CtRateFixtureWriter writer(dir);
  const auto plans = phantom::plan_cohort(volumes, f.options);
  for (size_t i = 0; i < plans.size(); ++i) {
    f.samples.push_back(phantom::render(plans[i], f.options));
    writer.add(f.samples.back(), static_cast<int64_t>(i));
  }
  writer.finish();
  return f;
}

struct ConvertSettings {
  std::array<double, 3> spacing{10, 7.5, 7.5};
  bool lexicon = false;  // false: the fixture's anatomy_sentences.json
  bool skip_bad = false;
  int64_t volumes_per_shard = 2;
  GeometrySource geometry = GeometrySource::metadata;
  int rank = 0;
  int world = 1;
};

inline std::string config_file(const std::string& name) { return std::string(CAGCL_TEST_CONFIG_DIR) + "/" + name; }

struct ConversionResult {
  convert::PartsReport parts;
  convert::AssemblyReport assembly;
};

// The library path of `cagcl convert ct-rate` on one rank (world > 1: only this rank's parts, no assembly
// unless rank == world - 1 ... callers use world 1, or call the pieces themselves).
inline ConversionResult convert_fixture(const Fixture& f, const std::filesystem::path& out,
                                        const ConvertSettings& s = {}, const std::string& fingerprint = "test") {
  const auto inputs = CtRateInputs::discover(f.dataset(), f.masks());
  const auto mapping = convert::AnatomyMapping::load(config_file("totalsegmentator_v2.yaml"));
  std::optional<convert::SuppliedAnatomySentences> supplied;
  std::optional<convert::AnatomyLexicon> lexicon;
  SentenceSource source;
  if (s.lexicon) {
    lexicon = convert::AnatomyLexicon::load(config_file("anatomy_lexicon.yaml"));
    source.lexicon = &*lexicon;
  } else {
    supplied = convert::SuppliedAnatomySentences::load(f.sentences());
    source.supplied = &*supplied;
  }
  VolumeConvertOptions options;
  options.spacing = s.spacing;
  options.geometry = s.geometry;
  const CtRateVolumeConverter converter(inputs, mapping, source, options);
  convert::ConversionPlan plan;
  plan.out = out;
  plan.layout.anatomies = mapping.anatomies;
  plan.layout.labels = ct_rate_labels();
  plan.layout.compression = Compression::deflate_shuffle;
  plan.volumes_per_shard = s.volumes_per_shard;
  plan.skip_bad = s.skip_bad;
  plan.fingerprint = fingerprint;
  plan.rank = s.rank;
  plan.world = s.world;
  ConversionResult r;
  r.parts = convert::convert_parts(plan, inputs.volume_names(),
                                   [&](const std::string& name) { return converter.convert(name); });
  if (s.rank == 0 && s.world == 1) r.assembly = convert::assemble_dataset(plan, inputs.volume_names());
  return r;
}

// The phantom as the converter must give it back at the phantom's own spacing: cropped to the anatomies'
// box + the default margin.
inline Sample expected_at_source_spacing(const Sample& phantom) {
  Sample e = phantom;
  const auto box = convert::anatomy_box(phantom.anatomy, phantom.shape, {5, 20, 20});
  e.volume = convert::crop(phantom.volume, phantom.shape, box);
  e.anatomy = convert::crop(phantom.anatomy, phantom.shape, box);
  e.shape = box.size();
  return e;
}

}  // namespace cagcl::data::ct_rate::testing
