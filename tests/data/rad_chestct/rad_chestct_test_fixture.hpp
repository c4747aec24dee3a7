#pragma once
// A small synthetic Rad-ChestCT download (phantoms written by RadChestCtFixtureWriter) and a library-level
// conversion of it, shared by the Rad-ChestCT tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/convert/anatomy_mapping.hpp"
#include "data/convert/sharded_conversion.hpp"
#include "data/phantom/phantom.hpp"
#include "data/rad_chestct/rad_chestct_fixture_writer.hpp"
#include "data/rad_chestct/rad_chestct_inputs.hpp"
#include "data/rad_chestct/rad_chestct_label_map.hpp"
#include "data/rad_chestct/rad_chestct_volume_converter.hpp"

namespace cagcl::data::rad_chestct::testing {

inline std::string config_file(const std::string& name) { return std::string(CAGCL_TEST_CONFIG_DIR) + "/" + name; }

struct Fixture {
  std::filesystem::path dir;
  phantom::PhantomOptions options;
  std::map<std::string, Sample> phantoms;  // by Rad-ChestCT name
  std::filesystem::path volumes() const { return RadChestCtFixtureWriter::volumes_dir(dir); }
  std::filesystem::path masks() const { return RadChestCtFixtureWriter::masks_dir(dir); }
};

// 32 x 48 x 48 phantoms (10 x 7.5 x 7.5 mm) in both splits: trn..., val... and tst....
inline Fixture make_fixture(const std::filesystem::path& dir, int64_t volumes = 6) {
  Fixture f;
  f.dir = dir;
  f.options.size = {32, 48, 48};
  f.options.seed = 11;
  f.options.valid_fraction = 0.5;
  RadChestCtFixtureWriter writer(dir);
  const auto plans = phantom::plan_cohort(volumes, f.options);
  for (size_t i = 0; i < plans.size(); ++i) {
    Sample s = phantom::render(plans[i], f.options);
    const std::string name = writer.add(s, static_cast<int64_t>(i));
    f.phantoms.emplace(name, std::move(s));
  }
  writer.finish();
  return f;
}

inline VolumeConvertOptions options_at(const Fixture& f) {
  VolumeConvertOptions o;
  o.source_spacing = f.phantoms.begin()->second.spacing;
  o.spacing = o.source_spacing;
  return o;
}

// The library path of `cagcl convert rad-chestct` on one process.
inline convert::AssemblyReport convert_fixture(const Fixture& f, const std::filesystem::path& out,
                                               bool skip_bad = false) {
  const auto inputs = RadChestCtInputs::discover(f.volumes(), f.volumes(), f.masks());
  const auto mapping = convert::AnatomyMapping::load(config_file("totalsegmentator_v2.yaml"));
  const auto labels = LabelMap::load(config_file("rad_chestct_labels.yaml"));
  const RadChestCtVolumeConverter converter(inputs, mapping, labels, options_at(f));
  convert::ConversionPlan plan;
  plan.out = out;
  plan.layout.anatomies = mapping.anatomies;
  plan.layout.labels = labels.names();
  plan.layout.compression = Compression::deflate_shuffle;
  plan.volumes_per_shard = 4;
  plan.skip_bad = skip_bad;
  plan.fingerprint = "test";
  plan.has_reports = false;
  convert::convert_parts(plan, inputs.volume_names(), [&](const std::string& name) { return converter.convert(name); });
  return convert::assemble_dataset(plan, inputs.volume_names());
}

}  // namespace cagcl::data::rad_chestct::testing
