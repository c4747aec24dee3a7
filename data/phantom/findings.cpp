#include "data/phantom/findings.hpp"

#include <cmath>

#include "data/phantom/rng.hpp"

namespace cagcl::data::phantom {

bool is_chronic(int finding) {
  switch (finding) {
    case kMedicalMaterial:
    case kArterialCalcification:
    case kCardiomegaly:
    case kCoronaryCalcification:
    case kHiatalHernia:
    case kEmphysema:
    case kLungNodule:
    case kFibroticSequela:
    case kBronchiectasis: return true;
    default: return false;
  }
}

uint64_t finding_seed(const ScanPlan& plan, int finding) {
  const uint64_t parent = is_chronic(finding) ? plan.patient_seed : plan.scan_seed;
  return derive_seed(parent, Stream::finding, static_cast<uint64_t>(finding));
}

namespace {

bool finding_is_positive(const ScanPlan& plan, int finding) { return plan.labels[static_cast<size_t>(finding)] != 0; }

// Which lungs a finding affects: one side or both (the report names it).
Side pick_side(Rng& rng, double p_both) {
  if (rng.bernoulli(p_both)) return Side::both;
  return rng.bernoulli(0.5) ? Side::right : Side::left;
}
bool affects(Side side, int lung_index) { return side == Side::both || (side == Side::right) == (lung_index == 0); }

// A random direction (uniform on the sphere) by rejection from the cube: no trigonometry, so it is exact.
Vec3 random_direction(Rng& rng) {
  for (;;) {
    const Vec3 v{rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)};
    const double n2 = dot(v, v);
    if (n2 > 1e-4 && n2 <= 1) return (1.0 / std::sqrt(n2)) * v;
  }
}

// A uniform number in [0, 1) that is a pure function of (seed, cell, salt): patterns on a lattice of cells.
double unit_hash(uint64_t seed, int64_t cell, uint64_t salt) {
  const uint64_t h = hash64(seed ^ hash64(static_cast<uint64_t>(cell) * 0x9e3779b97f4a7c15ULL + salt));
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

Ellipsoid ball(const Vec3& centre, double r_mm, const Grid& g) { return {centre, visible_radii(r_mm, g)}; }

// ---- findings that change outlines -------------------------------------------------------------------

FindingFacts enlarge_heart(ChestModel& m, Rng& rng) {
  const double f = rng.uniform(1.40, 1.52);  // cardiothoracic ratio ~0.56-0.62 instead of ~0.40
  m.myocardium.radii = Vec3{m.myocardium.radii.z * 1.2, m.myocardium.radii.y * f, m.myocardium.radii.x * f};
  m.myocardium.centre.y += 4 * m.scale_xy;  // the enlarged heart spreads posteriorly as well
  FindingFacts facts;
  facts.variant = f > 1.46 ? 1 : 0;  // moderate vs mild
  return facts;
}

FindingFacts add_pericardial_rim(ChestModel& m, Rng& rng) {
  m.pericardial_rim_mm = rng.uniform(9, 16);
  FindingFacts facts;
  facts.size_mm = m.pericardial_rim_mm;
  return facts;
}

FindingFacts add_hernia_sac(ChestModel& m, Rng& rng) {
  const double r = rng.uniform(22, 30) * m.scale_xy;
  const Vec3 gej = m.esophagus_path[3];
  m.hernia = Ellipsoid{gej + Vec3{-4 * m.scale_z, -2 * m.scale_xy, 0}, Vec3{1.2 * r, 0.9 * r, r}};
  FindingFacts facts;
  facts.size_mm = 2 * r;
  facts.variant = rng.below(2);  // sliding vs large
  return facts;
}

// ---- lung findings --------------------------------------------------------------------------------------

FindingFacts draw_mosaic(Grid& g, const ChestModel& m, Rng& rng) {
  const uint64_t seed = rng.next();
  // Patchwork of lobule-sized cells: some hypo-attenuating (air trapping / hypoperfusion), some denser.
  const double cell = std::max(22.0, 2.0 * std::max({g.spacing[0], g.spacing[1], g.spacing[2]}));
  for (const LungModel& lung : m.lungs) {
    g.for_each(lung.box(g), [&](size_t idx, const Vec3& p) {
      if (g.label[idx] != kLung) return;
      const auto cz = static_cast<int64_t>(std::floor(p.z / cell)), cy = static_cast<int64_t>(std::floor(p.y / cell)),
                 cx = static_cast<int64_t>(std::floor(p.x / cell));
      const double r = unit_hash(seed, cz * 73856093 + cy * 19349663 + cx * 83492791, 0);
      if (r < 0.4) {
        g.hu[idx] += lesion::kMosaicLow;
      } else if (r < 0.75) {
        g.hu[idx] += lesion::kMosaicHigh;
      }
    });
  }
  return {};
}

FindingFacts draw_emphysema(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = Side::both;
  facts.upper = true;
  facts.variant = rng.below(2);  // centrilobular (deep) vs paraseptal (subpleural)
  const double min_rho = facts.variant == 1 ? 0.75 : 0.0, max_rho = facts.variant == 1 ? 1.0 : 0.8;
  for (const LungModel& lung : m.lungs) {
    const int patches = 12 + rng.below(6);
    for (int i = 0; i < patches; ++i) {
      const Vec3 c = random_point_in_lung(rng, lung, min_rho, max_rho, 0.15, 0.65);
      paint(g, ball(c, rng.uniform(10, 18), g), lesion::kEmphysema, only_in(kLung));
    }
    facts.count += patches;
  }
  return facts;
}

FindingFacts draw_septal_lines(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = pick_side(rng, 0.8);
  // A square lattice of thin dense lines (secondary lobules ~1-2.5 cm) in the subpleural lung of the lower
  // two thirds; line width >= 1 voxel so the lattice does not alias away at coarse spacing.
  const double period = std::max(14.0, 4.0 * std::max(g.spacing[1], g.spacing[2]));
  const double wy = std::max(1.5, g.spacing[1]), wx = std::max(1.5, g.spacing[2]);
  const double shift = rng.uniform(0, period);
  const uint64_t seed = rng.next();
  for (int side = 0; side < 2; ++side) {
    if (!affects(facts.side, side)) continue;
    const LungModel& lung = m.lungs[side];
    const double z_from = lung.z_apex + 0.33 * (lung.z_dome - lung.z_apex);
    g.for_each(lung.box(g), [&](size_t idx, const Vec3& p) {
      if (g.label[idx] != kLung || p.z < z_from || lung.rho(p) < 0.72) return;
      // Each row of cells shifts its dividing lines by a hashed offset, which turns the square grid into an
      // irregular polygonal network like secondary pulmonary lobules.
      const double py = p.y + shift, px = p.x + shift;
      const double row = std::floor(py / period), column = std::floor(px / period);
      const double px_jittered = px + 0.45 * period * unit_hash(seed, static_cast<int64_t>(row), 0);
      const double py_jittered = py + 0.45 * period * unit_hash(seed, static_cast<int64_t>(column), 1);
      const bool on_line = py_jittered - period * std::floor(py_jittered / period) < wy ||
                           px_jittered - period * std::floor(px_jittered / period) < wx;
      if (on_line) g.hu[idx] = lesion::kSeptum;
    });
  }
  return facts;
}

FindingFacts draw_fibrotic_strands(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = pick_side(rng, 0.6);
  facts.upper = rng.bernoulli(0.5);
  const double top = facts.upper ? 0.1 : 0.55, bottom = facts.upper ? 0.5 : 1.0;
  for (int side = 0; side < 2; ++side) {
    if (!affects(facts.side, side)) continue;
    const int strands = 10 + rng.below(7);
    for (int i = 0; i < strands; ++i) {
      const Vec3 a = random_point_in_lung(rng, m.lungs[side], 0.65, 0.95, top, bottom);
      // Two statements: the evaluation order of `x() * y()` is unspecified, and both draw from rng.
      const double length = rng.uniform(18, 35);
      const Vec3 b = a + length * random_direction(rng);
      paint(g, Capsule{a, b, visible_radii(1.3, g)}, lesion::kFibroticStrand, only_in(kLung));
    }
    facts.count += strands;
  }
  return facts;
}

FindingFacts draw_ground_glass(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = pick_side(rng, 0.4);
  facts.upper = rng.bernoulli(0.5);
  for (int side = 0; side < 2; ++side) {
    if (!affects(facts.side, side)) continue;
    const int blobs = 2 + rng.below(2);
    for (int i = 0; i < blobs; ++i) {
      const Vec3 c =
          random_point_in_lung(rng, m.lungs[side], 0.0, 0.7, facts.upper ? 0.2 : 0.55, facts.upper ? 0.55 : 0.95);
      const double r = rng.uniform(18, 30);
      paint(g, Ellipsoid{c, visible_radii(r, g) + Vec3{0, 0.2 * r, 0}}, lesion::kGroundGlass, only_in(kLung));
    }
    facts.count += blobs;
  }
  return facts;
}

// Airways running from the hilum into the lower lobe; the part near the hilum is left out (it lies in the
// mediastinum, not in the lung mask).
std::vector<Capsule> peripheral_airways(Rng& rng, const ChestModel& m, int side, int count) {
  std::vector<Capsule> airways;
  for (int i = 0; i < count; ++i) {
    const Vec3 end = random_point_in_lung(rng, m.lungs[side], 0.4, 0.85, 0.45, 0.95);
    const Vec3 start = m.hilum[side] + 0.3 * (end - m.hilum[side]);
    airways.push_back({start, end, {1, 1, 1}});
  }
  return airways;
}

FindingFacts draw_bronchiectasis(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = pick_side(rng, 0.5);
  facts.variant = rng.below(2);  // cylindrical vs varicose wording
  const double wall = std::max(1.5, 0.6 * std::min(g.spacing[1], g.spacing[2]));
  for (int side = 0; side < 2; ++side) {
    if (!affects(facts.side, side)) continue;
    for (Capsule airway : peripheral_airways(rng, m, side, 4 + rng.below(3))) {
      const double lumen = rng.uniform(5, 7);
      airway.radii = visible_radii(lumen + wall, g);
      paint(g, airway, lesion::kBronchiectaticWall, only_in(kLung));
      airway.radii = visible_radii(lumen, g);
      paint(g, airway, tissue::kAir, only_in(kLung));
      facts.size_mm = std::max(facts.size_mm, 2 * lumen);
      ++facts.count;
    }
  }
  return facts;
}

FindingFacts draw_peribronchial_cuffs(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = pick_side(rng, 0.7);
  for (int side = 0; side < 2; ++side) {
    if (!affects(facts.side, side)) continue;
    for (Capsule airway : peripheral_airways(rng, m, side, 5 + rng.below(3))) {
      airway.radii = visible_radii(5.5, g);
      paint(g, airway, lesion::kBronchialWall, only_in(kLung));
      airway.radii = {2.2, 2.2, 2.2};  // normal-calibre lumen: thin, may vanish at coarse spacing
      paint(g, airway, -900.0f, only_in(kLung));
      ++facts.count;
    }
  }
  return facts;
}

FindingFacts draw_nodules(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.count = 1 + (rng.bernoulli(0.3) ? 1 : 0);
  bool sides[2] = {false, false};
  for (int i = 0; i < facts.count; ++i) {
    const int side = rng.below(2);
    const LungModel& lung = m.lungs[side];
    const Vec3 c = random_point_in_lung(rng, lung, 0.0, 0.75, 0.1, 0.9);
    const double diameter = rng.uniform(8, 18);
    paint(g, ball(c, diameter / 2, g), lesion::kNodule, only_in(kLung));
    if (diameter > facts.size_mm) {
      facts.size_mm = diameter;
      facts.upper = c.z < 0.5 * (lung.z_apex + lung.z_dome);
    }
    sides[side] = true;
  }
  facts.side = sides[0] && sides[1] ? Side::both : (sides[0] ? Side::right : Side::left);
  return facts;
}

FindingFacts draw_atelectasis(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = pick_side(rng, 0.4);
  for (int side = 0; side < 2; ++side) {
    if (!affects(facts.side, side)) continue;
    const LungModel& lung = m.lungs[side];
    // Plate-like band in the dependent lung base, just above the diaphragm.
    const Vec3 c{lung.z_dome - rng.uniform(8, 18), lung.cy + 0.5 * lung.ay, lung.cx + lung.side * 0.15 * lung.ax};
    const Vec3 radii{std::max(7.0, 0.9 * g.spacing[0]), 14, 28};  // thin in z, yet >= 1 slice
    paint(g, Ellipsoid{c, radii}, lesion::kAtelectasis, only_in(kLung));
  }
  return facts;
}

FindingFacts draw_consolidation(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = pick_side(rng, 0.25);
  facts.upper = rng.bernoulli(0.3);
  for (int side = 0; side < 2; ++side) {
    if (!affects(facts.side, side)) continue;
    const Vec3 c =
        random_point_in_lung(rng, m.lungs[side], 0.0, 0.6, facts.upper ? 0.3 : 0.6, facts.upper ? 0.55 : 0.9);
    const double r = rng.uniform(25, 38);
    paint(g, Ellipsoid{c, visible_radii(r, g) + Vec3{0, 0, -0.2 * r}}, lesion::kConsolidation, only_in(kLung));
  }
  return facts;
}

FindingFacts draw_pleural_fluid(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.side = pick_side(rng, 0.55);
  const double filled = rng.uniform(0.35, 0.6);  // fraction of the AP lung depth filled at the base
  for (int side = 0; side < 2; ++side) {
    if (!affects(facts.side, side)) continue;
    const LungModel& lung = m.lungs[side];
    const double z_top = lung.z_dome - 0.35 * (lung.z_dome - lung.z_apex);
    // Supine patient: fluid layers posteriorly, deepest at the base, tapering up to z_top.
    g.for_each(lung.box(g), [&](size_t idx, const Vec3& p) {
      if (g.label[idx] != kLung || p.z < z_top) return;
      const double depth = filled * std::min(1.0, (p.z - z_top) / (lung.z_dome - z_top));
      if ((p.y - lung.cy) / lung.ay > 1 - 2 * depth) g.hu[idx] = lesion::kPleuralFluid;
    });
    facts.size_mm = filled * 2 * lung.ay;  // depth at the base, in mm
  }
  return facts;
}

// ---- heart, aorta, mediastinum, devices ---------------------------------------------------------------

FindingFacts draw_coronary_calcium(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.count = 3 + rng.below(5);
  bool left = false, right = false;
  for (int i = 0; i < facts.count; ++i) {
    Vec3 d = random_direction(rng);
    // Coronaries run in the atrioventricular and interventricular grooves: the upper, anterior surface.
    d.z = -std::abs(d.z);
    d.y = -std::abs(d.y);
    const Vec3& r = m.myocardium.radii;
    const Vec3 c = m.myocardium.centre + Vec3{0.85 * r.z * d.z, 0.85 * r.y * d.y, 0.85 * r.x * d.x};
    paint(g, ball(c, 2.5, g), lesion::kCalcium, only_in(kHeart));
    (d.x > 0 ? left : right) = true;
  }
  facts.variant = left && right ? 2 : (left ? 1 : 0);  // right coronary / LAD / multivessel
  return facts;
}

FindingFacts draw_aortic_calcium(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.count = 4 + rng.below(6);
  int in_arch = 0;
  for (int i = 0; i < facts.count; ++i) {
    const size_t seg = 2 + static_cast<size_t>(rng.below(static_cast<int>(m.aorta_path.size()) - 3));
    const Vec3 a = m.aorta_path[seg], b = m.aorta_path[seg + 1];
    const Vec3 axis_point = a + rng.uniform(0.1, 0.9) * (b - a);
    const Vec3 dir = b - a;
    Vec3 v = random_direction(rng);
    v = v - (dot(v, dir) / dot(dir, dir)) * dir;  // perpendicular to the aortic axis: on the wall
    const double n = std::sqrt(dot(v, v));
    if (n < 1e-6) continue;
    const Vec3 c = axis_point + (0.6 * m.aorta_radius / n) * v;
    paint(g, ball(c, 2.5, g), lesion::kCalcium, only_in(kAorta));
    in_arch += seg <= 3 ? 1 : 0;
  }
  facts.upper = in_arch * 2 >= facts.count;  // mostly arch vs mostly descending
  return facts;
}

FindingFacts draw_lymph_nodes(Grid& g, const ChestModel& m, Rng& rng) {
  // Stations in mediastinal fat: right paratracheal (4R), prevascular (3A), subcarinal (7).
  const Vec3 stations[3] = {{-80, -4, -20}, {-85, -42, 6}, {-25, 12, 2}};
  FindingFacts facts;
  const int first = rng.below(3);
  facts.count = 2 + rng.below(2);
  for (int i = 0; i < facts.count; ++i) {
    const Vec3& s = stations[(first + i) % 3];
    const Vec3 c{s.z * m.scale_z, s.y * m.scale_xy, s.x * m.scale_xy};
    const double short_axis = rng.uniform(15, 24);
    const Ellipsoid node{c, visible_radii(short_axis / 2, g) + Vec3{0.3 * short_axis, 0, 0}};
    // Only fat is replaced: nodes displace fat, not the airway or the vessels.
    g.for_each(node.box(g), [&](size_t idx, const Vec3& p) {
      if (g.label[idx] == kBackground && g.hu[idx] > -200 && g.hu[idx] < -50 && node.contains(p))
        g.hu[idx] = lesion::kLymphNode;
    });
    facts.size_mm = std::max(facts.size_mm, short_axis);
  }
  facts.variant = first;
  return facts;
}

double skin_y_anterior(const ChestModel& m, double x) {
  const double nx = x / m.body_ax;
  return -m.body_ay * std::sqrt(std::max(0.0, 1 - nx * nx));
}

FindingFacts draw_device(Grid& g, const ChestModel& m, Rng& rng) {
  FindingFacts facts;
  facts.variant = rng.below(2);  // 0 pacemaker (left), 1 central venous port (right)
  const double s = m.scale_xy, sz = m.scale_z;
  const double x = (facts.variant == 0 ? 80 : -80) * s;
  const Vec3 box_centre{-100 * sz, skin_y_anterior(m, x) + 0.5 * m.fat_mm + 2, x};
  const Vec3 box_radii = facts.variant == 0 ? Vec3{22, 5, 22} : Vec3{14, 6, 14};
  paint(g, Ellipsoid{box_centre, box_radii + visible_radii(0, g)}, lesion::kMetal, anywhere());
  std::vector<Vec3> lead{box_centre, {-115 * sz, -60 * s, x * 0.55}, {-60 * sz, -25 * s, -12 * s}};
  if (facts.variant == 0) {
    lead.push_back({20 * sz, -30 * s, -16 * s});  // right atrium
    lead.push_back({70 * sz, -58 * s, 30 * s});   // right ventricular apex
  } else {
    lead.push_back({10 * sz, -26 * s, -14 * s});  // cavoatrial junction
  }
  for (const Capsule& c : tube(lead, visible_radii(1.5, g))) paint(g, c, lesion::kMetal, anywhere());
  return facts;
}

}  // namespace

void shape_findings(ChestModel& model, const ScanPlan& plan, FindingFactsTable& facts) {
  auto shape = [&](int finding, auto&& draw) {
    if (!finding_is_positive(plan, finding)) return;
    Rng rng(finding_seed(plan, finding));
    facts[static_cast<size_t>(finding)] = draw(model, rng);
    facts[static_cast<size_t>(finding)].present = true;
  };
  shape(kCardiomegaly, enlarge_heart);
  shape(kPericardialEffusion, add_pericardial_rim);
  shape(kHiatalHernia, add_hernia_sac);
}

void draw_findings(Grid& grid, const ChestModel& model, const ScanPlan& plan, FindingFactsTable& facts) {
  auto draw = [&](int finding, auto&& painter) {
    if (!finding_is_positive(plan, finding)) return;
    Rng rng(finding_seed(plan, finding));
    facts[static_cast<size_t>(finding)] = painter(grid, model, rng);
    facts[static_cast<size_t>(finding)].present = true;
  };
  // Order matters where findings overlap: diffuse parenchymal changes first, then focal lesions, then
  // pleural fluid (it layers over everything in the dependent lung), then calcium and metal.
  draw(kMosaicAttenuation, draw_mosaic);
  draw(kEmphysema, draw_emphysema);
  draw(kSeptalThickening, draw_septal_lines);
  draw(kFibroticSequela, draw_fibrotic_strands);
  draw(kLungOpacity, draw_ground_glass);
  draw(kBronchiectasis, draw_bronchiectasis);
  draw(kPeribronchialThickening, draw_peribronchial_cuffs);
  draw(kLungNodule, draw_nodules);
  draw(kAtelectasis, draw_atelectasis);
  draw(kConsolidation, draw_consolidation);
  draw(kPleuralEffusion, draw_pleural_fluid);
  draw(kCoronaryCalcification, draw_coronary_calcium);
  draw(kArterialCalcification, draw_aortic_calcium);
  draw(kLymphadenopathy, draw_lymph_nodes);
  draw(kMedicalMaterial, draw_device);
}

}  // namespace cagcl::data::phantom
