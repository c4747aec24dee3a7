// Conversion throughput of `cagcl convert ct-rate` per core, next to plain reads of the same nii.gz files.
//
//   convert FIXTURE_DIR [--synthesize N] [--size DxHxW] [--spacing z,y,x] [--repeat R]
//
// FIXTURE_DIR is a `cagcl synth --format ct-rate` directory (written with --synthesize N phantoms of --size
// when it has no dataset/ yet). On one thread: "read" = NiftiImage::read of each volume and its mask (gzip
// inflate + header checks); "convert" = CtRateVolumeConverter::convert (read + HU + reorientation + class merge
// + resampling to --spacing + crop + sentences + labels); "convert + write" adds the HDF5 shard write
// (deflate+shuffle) of every sample. Volumes/s per core, best of --repeat. Prints a table and one JSON line.
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/bench_common.hpp"
#include "common/error.hpp"
#include "data/convert/anatomy_lexicon.hpp"
#include "data/convert/anatomy_mapping.hpp"
#include "data/ct_rate/ct_rate_fixture_writer.hpp"
#include "data/ct_rate/ct_rate_inputs.hpp"
#include "data/ct_rate/ct_rate_volume_converter.hpp"
#include "data/nifti/nifti_image.hpp"
#include "data/phantom/phantom.hpp"
#include "data/schema.hpp"
#include "data/shard_writer.hpp"
#include "launch/commands/parse_triple.hpp"

namespace fs = std::filesystem;
using namespace cagcl;
using namespace cagcl::data;

int main(int argc, char** argv) {
  CLI::App app{"Conversion throughput (CT-RATE layout) next to plain NIfTI reads"};
  std::string dir;
  int64_t synthesize = 8;
  std::string size = "64x128x128";
  std::string spacing = "3,1,1";
  int repeat = 3;
  app.add_option("FIXTURE_DIR", dir, "a `cagcl synth --format ct-rate` directory")->required();
  app.add_option("--synthesize", synthesize, "phantoms to write when FIXTURE_DIR has none")->capture_default_str();
  app.add_option("--size", size, "phantom size DxHxW for --synthesize")->capture_default_str();
  app.add_option("--spacing", spacing, "target spacing z,y,x (mm)")->capture_default_str();
  app.add_option("--repeat", repeat, "runs; the best is reported")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    if (!fs::exists(ct_rate::CtRateFixtureWriter::dataset_dir(dir))) {
      phantom::PhantomOptions options;
      options.size = parse_triple<int64_t>(size, 'x', "--size");
      ct_rate::CtRateFixtureWriter writer(dir);
      const auto plans = phantom::plan_cohort(synthesize, options);
      for (size_t i = 0; i < plans.size(); ++i) writer.add(phantom::render(plans[i], options), static_cast<int64_t>(i));
      writer.finish();
    }
    const auto inputs = ct_rate::CtRateInputs::discover(ct_rate::CtRateFixtureWriter::dataset_dir(dir),
                                                        ct_rate::CtRateFixtureWriter::masks_dir(dir));
    const auto names = inputs.volume_names();
    const auto mapping =
        convert::AnatomyMapping::load(std::string(CAGCL_SOURCE_DIR) + "/configs/totalsegmentator_v2.yaml");
    const auto lexicon = convert::AnatomyLexicon::load(std::string(CAGCL_SOURCE_DIR) + "/configs/anatomy_lexicon.yaml");
    ct_rate::VolumeConvertOptions options;
    options.spacing = parse_triple<double>(spacing, ',', "--spacing");
    ct_rate::SentenceSource source;
    source.lexicon = &lexicon;
    const ct_rate::CtRateVolumeConverter converter(inputs, mapping, source, options);
    const double n = static_cast<double>(names.size());
    uint64_t file_bytes = 0;
    for (const auto& name : names)
      file_bytes += fs::file_size(inputs.volumes.at(name)[0]) + fs::file_size(inputs.mask_files.at(name));

    const double read_s = bench::best_seconds(repeat, [&] {
      for (const auto& name : names) {
        const auto v = nifti::NiftiImage::read(inputs.volumes.at(name)[0]);
        const auto m = nifti::NiftiImage::read(inputs.mask_files.at(name));
        if (v.header().voxels() != m.header().voxels()) throw Error("shape mismatch");
      }
    });
    const double convert_s = bench::best_seconds(repeat, [&] {
      for (const auto& name : names) converter.convert(name);
    });
    const fs::path shard = fs::path(dir) / "bench-shard.h5";
    const double write_s = bench::best_seconds(repeat, [&] {
      ShardLayout layout;
      layout.anatomies = mapping.anatomies;
      layout.labels = ct_rate_labels();
      layout.compression = Compression::deflate_shuffle;
      ShardWriter writer(shard, layout);
      for (const auto& name : names) writer.append(converter.convert(name));
      writer.finish();
    });
    fs::remove(shard);

    const auto first = nifti::NiftiImage::read_header(inputs.volumes.at(names[0])[0]);
    fmt::print(
        "{} volumes of {}x{}x{} (nx, ny, nz), {:.1f} MB of nii.gz (volumes + masks), target spacing {}, "
        "1 thread, best of {}\n\n",
        names.size(), first.dims[0], first.dims[1], first.dims[2], file_bytes / 1e6, spacing, repeat);
    fmt::print("| stage | volumes/s per core | ms/volume |\n| --- | --- | --- |\n");
    fmt::print("| read (volume + mask nii.gz) | {:.2f} | {:.1f} |\n", n / read_s, 1000 * read_s / n);
    fmt::print("| convert (read + HU + frame + merge + resample + crop + text) | {:.2f} | {:.1f} |\n", n / convert_s,
               1000 * convert_s / n);
    fmt::print("| convert + shard write (deflate+shuffle) | {:.2f} | {:.1f} |\n", n / write_s, 1000 * write_s / n);
    const nlohmann::json j = {{"bench", "convert"},
                              {"volumes", names.size()},
                              {"dims", first.dims},
                              {"spacing", options.spacing},
                              {"read_volumes_per_s", n / read_s},
                              {"convert_volumes_per_s", n / convert_s},
                              {"convert_write_volumes_per_s", n / write_s},
                              {"convert_over_read", read_s / convert_s}};
    std::cout << "\n" << j.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "convert bench: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
