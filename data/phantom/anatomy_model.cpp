#include "data/phantom/anatomy_model.hpp"

#include <cmath>

#include "data/phantom/finding_ids.hpp"
#include "data/phantom/rng.hpp"

namespace cagcl::data::phantom {

double LungModel::width_factor(double z) const {
  // The apex is a dome: the cross-section grows like sqrt of the distance below the apex for the top 30 %.
  const double s = (z - z_apex) / (0.3 * (z_dome - z_apex));
  return s <= 0 ? 0.0 : (s >= 1 ? 1.0 : std::sqrt(s));
}

double LungModel::floor_z(double y, double x) const {
  const double posterior = std::clamp((y - cy) / ay, -1.0, 1.0);
  const double lateral = std::max(0.0, side * (x - cx) / ax);
  return z_dome + 28.0 * posterior + 14.0 * lateral * lateral;
}

double LungModel::rho(const Vec3& p) const {
  const double f = width_factor(p.z);
  if (f < 1e-3) return 1e9;
  const double dx = (p.x - cx) / (ax * f), dy = (p.y - cy) / (ay * f);
  return std::sqrt(dx * dx + dy * dy);
}

Box LungModel::box(const Grid& g, double margin) const {
  return g.box({z_apex, cy - margin * ay, cx - margin * ax}, {z_bottom(), cy + margin * ay, cx + margin * ax});
}

Vec3 random_point_in_lung(Rng& rng, const LungModel& lung, double min_rho, double max_rho, double top, double bottom) {
  const double height = lung.z_dome - lung.z_apex;
  for (int attempt = 0; attempt < 400; ++attempt) {
    const Vec3 p{lung.z_apex + height * rng.uniform(top, bottom), rng.uniform(lung.cy - lung.ay, lung.cy + lung.ay),
                 rng.uniform(lung.cx - lung.ax, lung.cx + lung.ax)};
    const double rho = lung.rho(p);
    if (lung.contains(p) && rho >= min_rho && rho < max_rho) return p;
  }
  return {lung.z_apex + 0.6 * height, lung.cy, lung.cx};
}

std::vector<Capsule> tube(const std::vector<Vec3>& path, const Vec3& radii) {
  std::vector<Capsule> pieces;
  for (size_t i = 1; i < path.size(); ++i) pieces.push_back({path[i - 1], path[i], radii});
  return pieces;
}

ChestModel build_chest_model(const PatientBody& body) {
  const double s = body.scale_xy, sz = body.scale_z;
  // Nominal adult chest (mm, z, y, x) scaled per patient; numbers follow typical adult CT measurements.
  auto at = [&](double z, double y, double x) { return Vec3{z * sz, y * s, x * s}; };
  ChestModel m;
  m.scale_xy = s;
  m.scale_z = sz;
  m.body_ax = 165 * s;
  m.body_ay = 130 * s;
  m.fat_mm = body.fat_mm;
  m.lung_hu = body.lung_hu;
  for (int side = 0; side < 2; ++side) {
    LungModel& lung = m.lungs[side];
    lung.side = side == 0 ? -1.0 : 1.0;
    lung.cx = lung.side * 72 * s;
    lung.cy = 8 * s;
    lung.ax = 57 * s;
    lung.ay = 80 * s;
    lung.z_apex = -135 * sz;
    // The liver pushes the right hemidiaphragm higher than the left.
    lung.z_dome = (side == 0 ? 85 : 97) * sz;
  }
  m.myocardium.centre = at(45 + body.heart_shift_z_mm, -30, 24 + body.heart_shift_x_mm);
  m.myocardium.radii = body.heart_scale * Vec3{45 * sz, 42 * s, 52 * s};

  m.aorta_radius = body.aorta_radius_mm * s;
  // Root inside the heart, ascending anterior-right, arch passing left of the trachea, descending left of
  // the spine down to the hiatus. Both tubes end inside the field of view (z in +-160 mm at the default
  // spacing, +-155 mm at the coarsest voxel centres): an organ that runs through a face of the volume is
  // never intact and never enters a loss (docs/synthetic-phantoms.md, "Field of view").
  m.aorta_path = {at(35, -22, 2),  at(-40, -28, -8), at(-68, -10, 24),
                  at(-58, 22, 28), at(-35, 42, 26),  at(118, 42, 20)};
  m.esophagus_radius = 8 * s;
  m.esophagus_path = {at(-118, 24, 2), at(-40, 26, 4), at(40, 30, 8), at(95, 22, 18), at(125, 12, 35)};
  m.trachea_radius = 9 * s;
  m.bronchus_radius = 6 * s;
  m.trachea_top = at(-220, -2, 0);
  m.carina = at(-45, 4, 0);
  m.hilum[0] = at(-25, 8, -40);
  m.hilum[1] = at(-15, 10, 38);

  m.spine_y = 70 * s;
  m.vertebra_radius = 17 * s;
  m.sternum_y = -m.body_ay + m.fat_mm + 15;
  m.mediastinum_half_width = 38 * s;
  m.mediastinum_anterior = m.sternum_y;
  m.mediastinum_posterior = 55 * s;
  m.mediastinum_top = -250;
  m.mediastinum_bottom = m.lungs[1].z_dome;
  return m;
}

namespace {

// Skin, subcutaneous fat, chest wall muscle and mediastinal fat, row by row (the body is an elliptic
// cylinder, so each row is an interval and no per-voxel shape test is needed).
void paint_body(Grid& g, const ChestModel& m) {
  const double inner_ax = m.body_ax - m.fat_mm, inner_ay = m.body_ay - m.fat_mm;
  for (int64_t k = 0; k < g.shape[0]; ++k) {
    const double z = g.mm(0, k);
    for (int64_t j = 0; j < g.shape[1]; ++j) {
      const double y = g.mm(1, j);
      const double ny = y / m.body_ay, nyi = y / inner_ay;
      if (ny * ny >= 1) continue;
      const double outer = m.body_ax * std::sqrt(1 - ny * ny);
      const double inner = nyi * nyi < 1 ? inner_ax * std::sqrt(1 - nyi * nyi) : -1.0;
      size_t idx = g.index(k, j, 0);
      for (int64_t i = 0; i < g.shape[2]; ++i, ++idx) {
        const double x = g.mm(2, i), ax = std::abs(x);
        if (ax > outer) continue;
        if (ax > inner) {
          g.hu[idx] = tissue::kFat;
        } else {
          g.hu[idx] = m.in_mediastinum({z, y, x}) ? tissue::kMediastinalFat : tissue::kMuscle;
        }
      }
    }
  }
}

void paint_lungs(Grid& g, const ChestModel& m) {
  for (const LungModel& lung : m.lungs) {
    g.for_each(lung.box(g), [&](size_t idx, const Vec3& p) {
      if (!lung.contains(p)) return;
      g.hu[idx] = static_cast<float>(m.lung_hu);
      g.label[idx] = kLung;
    });
  }
}

// Pulmonary vessels: branches radiating from the hilum, slightly denser than parenchyma. Kept below -500 HU
// (partial volume of small vessels) so that no normal lung voxel looks like a nodule or consolidation.
void paint_vessels(Grid& g, const ChestModel& m, uint64_t vessel_seed) {
  Rng rng(vessel_seed);
  const float vessel_hu = static_cast<float>(m.lung_hu) + tissue::kVesselOffset;
  for (int side = 0; side < 2; ++side) {
    const LungModel& lung = m.lungs[side];
    for (int v = 0; v < 14; ++v) {
      const Vec3 end = random_point_in_lung(rng, lung, 0.0, 0.92);
      const Vec3 mid = m.hilum[side] + 0.5 * (end - m.hilum[side]);
      const Vec3 twig = random_point_in_lung(rng, lung, 0.0, 0.92);
      const Vec3 twig_end = mid + 0.5 * (twig - mid);
      paint(g, Capsule{m.hilum[side], end, {2.4, 2.4, 2.4}}, vessel_hu, only_in(kLung));
      paint(g, Capsule{mid, twig_end, {1.8, 1.8, 1.8}}, vessel_hu, only_in(kLung));
    }
  }
}

void paint_airways(Grid& g, const ChestModel& m) {
  for (const Capsule& c : tube({m.trachea_top, m.carina}, visible_radii(m.trachea_radius, g)))
    paint(g, c, tissue::kAir, anywhere(), kBackground);
  for (const Vec3& hilum : m.hilum)
    paint(g, Capsule{m.carina, hilum, visible_radii(m.bronchus_radius, g)}, tissue::kAir, anywhere(), kBackground);
}

void paint_heart(Grid& g, const ChestModel& m) {
  const Ellipsoid outline = m.heart_outline();
  g.for_each(outline.box(g), [&](size_t idx, const Vec3& p) {
    if (!outline.contains(p)) return;
    g.hu[idx] = m.myocardium.contains(p) ? tissue::kMyocardium : 8.0f;  // pericardial fluid
    g.label[idx] = kHeart;
  });
}

void paint_aorta(Grid& g, const ChestModel& m) {
  for (const Capsule& c : tube(m.aorta_path, visible_radii(m.aorta_radius, g)))
    paint(g, c, tissue::kAorta, anywhere(), kAorta);
}

void paint_esophagus(Grid& g, const ChestModel& m) {
  for (const Capsule& c : tube(m.esophagus_path, visible_radii(m.esophagus_radius, g)))
    paint(g, c, tissue::kEsophagus, anywhere(), kEsophagus);
  // A trace of swallowed air in the upper lumen, only where the in-plane spacing resolves a 5 mm lumen;
  // at coarser spacing it would fill most of the few voxels of the esophagus.
  if (std::max(g.spacing[1], g.spacing[2]) <= 3.0) {
    const std::vector<Vec3> upper(m.esophagus_path.begin(), m.esophagus_path.begin() + 2);
    for (const Capsule& c : tube(upper, {2.5, 2.5, 2.5})) paint(g, c, tissue::kAir, only_in(kEsophagus));
  }
  if (!m.hernia) return;
  // Hernia sac: soft-tissue wall, fluid in the dependent (posterior) part, air anteriorly.
  const Ellipsoid& sac = *m.hernia;
  g.for_each(sac.box(g), [&](size_t idx, const Vec3& p) {
    const double r2 = sac.rho2(p);
    if (r2 > 1) return;
    g.label[idx] = kEsophagus;
    if (r2 > 0.7) {
      g.hu[idx] = tissue::kEsophagus;
    } else {
      g.hu[idx] = p.y < sac.centre.y - 0.2 * sac.radii.y ? tissue::kAir : 15.0f;
    }
  });
}

bool is_soft_tissue_or_lung(uint8_t label) { return label == kBackground || label == kLung; }

void paint_spine(Grid& g, const ChestModel& m) {
  const double r = m.vertebra_radius, canal_y = m.spine_y + r + 8, canal_r = 7, lamina_r = 12.5;
  const double disc_period = 28, disc_mm = std::max(6.0, 0.9 * g.spacing[0]);
  const Box box = g.box({-1e4, m.spine_y - r, -r}, {1e4, canal_y + lamina_r + 10, r});
  g.for_each(box, [&](size_t idx, const Vec3& p) {
    if (!is_soft_tissue_or_lung(g.label[idx])) return;
    const double dy = p.y - m.spine_y, body_r = std::sqrt(p.x * p.x + dy * dy);
    const double cy = p.y - canal_y, ring_r = std::sqrt(p.x * p.x + cy * cy);
    float hu;
    if (body_r <= r) {
      const double phase = p.z / disc_period - std::floor(p.z / disc_period);
      hu = phase * disc_period < disc_mm ? tissue::kDisc : (body_r > r - 2.5 ? tissue::kCortex : tissue::kVertebra);
    } else if (ring_r <= canal_r) {
      hu = tissue::kCsf;
    } else if (ring_r <= lamina_r || (std::abs(p.x) < 4 && cy > 0 && cy < lamina_r + 10)) {
      hu = 650;  // neural arch and spinous process
    } else {
      return;
    }
    g.hu[idx] = hu;
    g.label[idx] = kBackground;
  });
}

// Ribs: a shell just outside each lung, cut into bands that run obliquely (anterior ends lower), with the
// anterior-medial cartilage left out.
void paint_ribs(Grid& g, const ChestModel& m) {
  const double period = 26, band = std::max(9.0, 0.9 * g.spacing[0]);
  for (const LungModel& lung : m.lungs) {
    g.for_each(lung.box(g, 1.25), [&](size_t idx, const Vec3& p) {
      if (g.label[idx] != kBackground || g.hu[idx] < tissue::kFat - 1 || m.in_mediastinum(p)) return;
      if (p.z > lung.floor_z(p.y, p.x)) return;
      const double rho = lung.rho(p);
      if (rho < 1.06 || rho > 1.17) return;
      if (lung.side * (p.x - lung.cx) < -0.3 * lung.ax && p.y < lung.cy) return;
      const double phase = p.z - 0.35 * (lung.cy - p.y);
      if (phase - period * std::floor(phase / period) < band) g.hu[idx] = tissue::kRib;
    });
  }
}

void paint_sternum(Grid& g, const ChestModel& m) {
  const Box box = g.box({-125, m.sternum_y - 12, -14}, {60, m.sternum_y, 14});
  g.for_each(box, [&](size_t idx, const Vec3&) {
    if (g.label[idx] == kBackground && g.hu[idx] > tissue::kAir + 1) g.hu[idx] = tissue::kSternum;
  });
}

}  // namespace

void paint_chest(Grid& grid, const ChestModel& model, uint64_t vessel_seed) {
  paint_body(grid, model);
  paint_lungs(grid, model);
  paint_vessels(grid, model, vessel_seed);
  paint_airways(grid, model);
  paint_heart(grid, model);
  paint_aorta(grid, model);
  paint_esophagus(grid, model);
  paint_spine(grid, model);
  paint_ribs(grid, model);
  paint_sternum(grid, model);
}

}  // namespace cagcl::data::phantom
