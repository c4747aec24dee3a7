#pragma once
// Geometry of one patient's normal chest in millimetres (axes in grid.hpp), and its painting into a Grid.
// Findings that change an organ's shape (cardiomegaly, pericardial effusion, hiatal hernia) edit the model
// before it is painted; all other findings are painted on top afterwards (findings.hpp).
#include <optional>
#include <vector>

#include "data/phantom/grid.hpp"
#include "data/phantom/phantom.hpp"
#include "data/phantom/rng.hpp"

namespace cagcl::data::phantom {

// One lung: an elliptic cross-section that narrows towards a rounded apex and ends on a diaphragm dome that
// reaches lowest posteriorly and laterally (the costophrenic recesses).
struct LungModel {
  double side = 1;                        // -1 right lung, +1 left lung (x grows towards the patient's left)
  double cx = 0, cy = 0, ax = 0, ay = 0;  // in-plane centre and semi-axes at full width
  double z_apex = 0, z_dome = 0;          // apex and top of the diaphragm dome

  double width_factor(double z) const;       // 0 at the apex, 1 from 30 % of the height down
  double floor_z(double y, double x) const;  // lung base under (y, x)
  // Normalised in-plane radius at p's slice (0 centre, 1 pleura); large outside the lung's z range.
  double rho(const Vec3& p) const;
  bool contains(const Vec3& p) const { return p.z <= floor_z(p.y, p.x) && rho(p) <= 1.0; }
  double z_bottom() const { return z_dome + 40.0; }
  Box box(const Grid& g, double margin = 1.0) const;
};

struct ChestModel {
  double scale_xy = 1, scale_z = 1;  // the patient's PatientBody scales, for placing findings
  // Body outline and subcutaneous fat, centred at y = 0.
  double body_ax = 0, body_ay = 0, fat_mm = 0;
  LungModel lungs[2];  // right, left
  double lung_hu = -850;

  Ellipsoid myocardium;           // heart without pericardial fluid
  double pericardial_rim_mm = 0;  // > 0: fluid rim, part of the heart mask

  std::vector<Vec3> aorta_path;  // root -> ascending -> arch -> descending
  double aorta_radius = 13;
  std::vector<Vec3> esophagus_path;
  double esophagus_radius = 8;
  std::optional<Ellipsoid> hernia;  // hiatal hernia sac at the lower esophagus
  Vec3 trachea_top, carina, hilum[2];
  double trachea_radius = 9, bronchus_radius = 6;

  double spine_y = 0, vertebra_radius = 0;  // vertebral body centre (x = 0)
  double sternum_y = 0;                     // posterior surface of the sternum
  // Mediastinum (fat between the lungs): |x| < half width, y in [anterior, posterior], z in [top, bottom].
  double mediastinum_half_width = 0, mediastinum_anterior = 0, mediastinum_posterior = 0;
  double mediastinum_top = 0, mediastinum_bottom = 0;

  Ellipsoid heart_outline() const {
    Ellipsoid h = myocardium;
    h.radii = h.radii + Vec3{pericardial_rim_mm, pericardial_rim_mm, pericardial_rim_mm};
    return h;
  }
  bool in_mediastinum(const Vec3& p) const {
    return p.x > -mediastinum_half_width && p.x < mediastinum_half_width && p.y > mediastinum_anterior &&
           p.y < mediastinum_posterior && p.z > mediastinum_top && p.z < mediastinum_bottom;
  }
};

// Tissue attenuation (HU) of the normal chest, before noise.
namespace tissue {
inline constexpr float kAir = -1000, kFat = -100, kMediastinalFat = -90, kMuscle = 45, kBlood = 40;
inline constexpr float kMyocardium = 40, kAorta = 45, kEsophagus = 35, kVertebra = 380, kCortex = 700;
inline constexpr float kRib = 750, kSternum = 500, kDisc = 90, kCsf = 15, kVesselOffset = 140;
}  // namespace tissue

ChestModel build_chest_model(const PatientBody& body);

// Paints body, lungs (with vessel texture from vessel_seed), airways, mediastinum, heart, aorta,
// esophagus and skeleton. Later structures win where shapes overlap, in an order chosen so that every
// anatomy mask stays non-empty down to 16 x 32 x 32 voxels.
void paint_chest(Grid& grid, const ChestModel& model, uint64_t vessel_seed);

// A random point of the lung with normalised radius in [min_rho, max_rho) whose height lies in the given
// fraction [top, bottom] of the apex-to-dome distance (0 = apex). Rejection sampling with a bounded number of
// tries, so it always terminates (falling back to the lung's centre).
Vec3 random_point_in_lung(Rng& rng, const LungModel& lung, double min_rho, double max_rho, double top = 0.0,
                          double bottom = 1.0);

// Capsules along a polyline, for tubes (aorta, esophagus, airways, leads).
std::vector<Capsule> tube(const std::vector<Vec3>& path, const Vec3& radii);

}  // namespace cagcl::data::phantom
