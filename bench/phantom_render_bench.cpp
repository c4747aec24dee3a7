// Render time of synthetic phantoms (docs/synthetic-phantoms.md "Speed").
//   phantom_render_bench [volumes=8] [D H W = 64 128 128] [--pgm DIR] [--labels none|I,J,...]
// --pgm writes a mid-axial, a lower axial (3/4 depth) and a mid-coronal slice of each volume (lung window) for
// eyeballing;
// --labels forces the positive findings (indices into ct_rate_labels()) of every scan.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "data/phantom/phantom.hpp"

namespace {

using cagcl::data::Sample;

// Axial slice at fraction `level` of the depth (0 = top), or the mid-coronal slice.
void write_pgm(const std::string& path, const Sample& s, bool coronal, double level = 0.5) {
  const int64_t D = s.shape[0], H = s.shape[1], W = s.shape[2];
  const int64_t rows = coronal ? D : H;
  std::ofstream out(path, std::ios::binary);
  out << "P5\n" << W << ' ' << rows << "\n255\n";
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t x = 0; x < W; ++x) {
      const int64_t idx = coronal ? (r * H + H / 2) * W + x
                                  : (static_cast<int64_t>(level * static_cast<double>(D - 1)) * H + r) * W + x;
      const double v = (s.volume[static_cast<size_t>(idx)] + 1150.0) / 1500.0;  // window [-1150, 350]
      out.put(static_cast<char>(std::clamp(v, 0.0, 1.0) * 255));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  cagcl::data::phantom::PhantomOptions options;
  int64_t volumes = 8;
  std::string pgm_dir;
  std::optional<std::vector<uint8_t>> forced_labels;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--pgm" && i + 1 < argc) {
      pgm_dir = argv[++i];
    } else if (arg == "--labels" && i + 1 < argc) {
      forced_labels = std::vector<uint8_t>(cagcl::data::phantom::labels().size(), 0);
      const std::string list = argv[++i];
      for (size_t pos = 0; list != "none" && pos < list.size();) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        forced_labels->at(static_cast<size_t>(std::stoi(list.substr(pos, comma - pos)))) = 1;
        pos = comma + 1;
      }
    } else if (positional == 0) {
      volumes = std::atoll(argv[i]);
      ++positional;
    } else if (positional <= 3) {
      options.size[static_cast<size_t>(positional - 1)] = std::atoll(argv[i]);
      ++positional;
    }
  }
  auto plans = cagcl::data::phantom::plan_cohort(volumes, options);
  if (forced_labels) {
    for (auto& plan : plans) plan.labels = *forced_labels;
  }
  double total = 0, worst = 0;
  for (const auto& plan : plans) {
    const auto t0 = std::chrono::steady_clock::now();
    const Sample s = cagcl::data::phantom::render(plan, options);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total += dt;
    worst = std::max(worst, dt);
    if (!pgm_dir.empty()) {
      write_pgm(pgm_dir + "/" + s.name + "_axial.pgm", s, false);
      write_pgm(pgm_dir + "/" + s.name + "_axial_low.pgm", s, false, 0.75);
      write_pgm(pgm_dir + "/" + s.name + "_coronal.pgm", s, true);
      std::printf("%s  %s\n  IMPRESSION: %s\n", s.name.c_str(), s.findings.c_str(), s.impression.c_str());
    }
  }
  std::printf("rendered %lld volumes of %lldx%lldx%lld: mean %.1f ms, worst %.1f ms per volume\n",
              static_cast<long long>(plans.size()), static_cast<long long>(options.size[0]),
              static_cast<long long>(options.size[1]), static_cast<long long>(options.size[2]),
              1e3 * total / static_cast<double>(plans.size()), 1e3 * worst);
  return 0;
}
