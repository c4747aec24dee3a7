#include "data/phantom/report_writer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "data/phantom/rng.hpp"
#include "data/schema.hpp"
#include "data/text_id.hpp"

namespace cagcl::data::phantom {

namespace {

using Phrases = std::vector<const char*>;

struct Wording {
  Phrases description;
  Phrases conclusion;
};

// {lung}: "right lung" / "left lung" / "both lungs"; {side}: "right" / "left" / "bilateral";
// {lobe}: "right upper lobe" / "both lower lobes"; {size}: "12 mm"; {count}: a number; {kind}: variant word.
const Wording& wording_of(int finding) {
  static const std::array<Wording, kNumFindings> table = {{
      // Medical material
      {{"{Kind} is noted in the anterior chest wall.",
        "There is {kind} in the anterior chest wall with its {where} coursing through the superior vena cava.",
        "Metallic density of {kind} is seen in the anterior chest wall."},
       {"{Kind} in place.", "{Kind} noted.", "{Kind} is present in the chest wall."}},
      // Arterial wall calcification
      {{"Atherosclerotic calcified plaques are seen in the wall of the {where}.",
        "There are {count} calcific foci along the wall of the {where}.",
        "Mural calcifications are noted in the {where}."},
       {"Atherosclerosis of the thoracic aorta.", "Aortic wall calcification.",
        "Calcified atherosclerotic plaques in the aorta."}},
      // Cardiomegaly
      {{"The heart is {kind} enlarged.", "Cardiac silhouette is {kind} increased in size.",
        "Heart dimensions are {kind} increased, with a cardiothoracic ratio above 0.5."},
       {"Cardiomegaly noted.", "Enlarged heart.", "Cardiomegaly is seen."}},
      // Pericardial effusion
      {{"Pericardial effusion reaching {size} in thickness is observed.",
        "There is fluid in the pericardial space measuring up to {size}.",
        "A pericardial effusion with a thickness of {size} is seen."},
       {"Pericardial effusion noted.", "Pericardial fluid.", "Pericardial effusion is noted."}},
      // Coronary artery wall calcification
      {{"Calcified plaques are seen in the {where}.", "There are calcifications in the wall of the {where}.",
        "Coronary artery calcification is noted along the {where}."},
       {"Coronary artery calcification.", "Coronary atherosclerosis.", "Calcified coronary artery plaques."}},
      // Hiatal hernia
      {{"A {kind} hiatal hernia measuring {size} is seen at the distal esophagus.",
        "The distal esophagus is dilated with a {kind} hiatal hernia containing fluid and air.",
        "There is a {kind} hiatal hernia of {size} at the esophageal hiatus."},
       {"Hiatal hernia noted.", "{Kind} hiatal hernia.", "Hiatal hernia is seen."}},
      // Lymphadenopathy
      {{"Enlarged lymph nodes up to {size} in short axis are seen in the {where} region.",
        "There are {count} pathologically enlarged mediastinal lymph nodes, the largest {size} in short axis.",
        "Mediastinal lymphadenopathy is present, with nodes measuring up to {size}."},
       {"Mediastinal lymphadenopathy.", "Enlarged mediastinal lymph nodes.", "Mediastinal lymph node enlargement."}},
      // Emphysema
      {{"{Kind} emphysematous changes are seen in both upper lobes.",
        "There are {kind} emphysema areas predominantly in the upper lobes of both lungs.",
        "Low-attenuation areas consistent with {kind} emphysema are present in both lungs."},
       {"{Kind} emphysema.", "Emphysema in both lungs.", "Emphysematous changes in both lungs."}},
      // Atelectasis
      {{"Subsegmental atelectasis is seen in the posterobasal segment of the {lobe}.",
        "There are plate-like atelectatic bands in the {lobe}.",
        "Linear atelectasis is noted at the base of the {lung}."},
       {"Atelectasis in the {lobe}.", "Subsegmental atelectasis.", "Basal atelectasis of the {lung}."}},
      // Lung nodule
      {{"A solid nodule measuring {size} is seen in the {lobe}.",
        "There is a {size} solid pulmonary nodule in the {lobe}.",
        "A nodular opacity with a diameter of {size} is noted in the {lobe}."},
       {"Pulmonary nodule in the {lobe}.", "{Size} nodule in the {lobe}.", "Lung nodule noted."}},
      // Lung opacity
      {{"Ground-glass opacities are seen in the {lobe}.",
        "There are patchy ground-glass density increases in the {lobe}.",
        "Areas of ground-glass opacity are noted in the {lung}."},
       {"Ground-glass opacities in the {lung}.", "Lung opacities.", "Ground-glass opacity in the {lobe}."}},
      // Pulmonary fibrotic sequela
      {{"Fibrotic bands and linear densities are seen in the {lobe}.",
        "There are sequelae fibrotic changes in the periphery of the {lobe}.",
        "Linear fibrotic strands are noted in the {lung}."},
       {"Fibrotic sequelae in the {lung}.", "Sequelae fibrotic changes.", "Post-inflammatory fibrotic sequelae."}},
      // Pleural effusion
      {{"A {kind} pleural effusion is seen {on_side}.",
        "There is {kind} pleural fluid layering posteriorly in {hemithorax}.",
        "Pleural effusion reaching {size} in depth is observed {on_side}."},
       {"{Side} pleural effusion.", "Pleural effusion noted.", "{Kind} {side} pleural effusion."}},
      // Mosaic attenuation pattern
      {{"A mosaic attenuation pattern is seen in both lungs.",
        "There are geographic areas of decreased and increased attenuation in both lungs, consistent with mosaic "
        "attenuation.",
        "Heterogeneous lung parenchyma with a mosaic attenuation pattern is noted."},
       {"Mosaic attenuation pattern noted.", "Mosaic attenuation in both lungs.",
        "Findings suggestive of small airway disease with mosaic attenuation."}},
      // Peribronchial thickening
      {{"Peribronchial thickening is seen in the {lung}.", "There is bronchial wall thickening in the {lung}.",
        "Thickened peribronchial interstitium is noted in the lower lobe of the {lung}."},
       {"Peribronchial thickening noted.", "Bronchial wall thickening.", "Peribronchial thickening in the {lung}."}},
      // Consolidation
      {{"A consolidation area is seen in the {lobe}.", "There is dense parenchymal consolidation in the {lobe}.",
        "Consolidation is noted in the {lobe}."},
       {"Consolidation in the {lobe}.", "Pneumonic consolidation.", "Consolidation of the {lung}."}},
      // Bronchiectasis
      {{"{Kind} bronchiectasis is seen in the lower lobe of the {lung}, with bronchi up to {size} in lumen.",
        "There are dilated bronchi consistent with {kind} bronchiectasis in the {lung}.",
        "Bronchiectatic changes are noted in the lower lobe of the {lung}."},
       {"Bronchiectasis noted.", "{Kind} bronchiectasis in the {lung}.", "Bronchiectatic changes."}},
      // Interlobular septal thickening
      {{"Interlobular septal thickening is seen in the periphery of the {lung}.",
        "There is smooth thickening of the interlobular septa in the {lung}.",
        "Thickened interlobular septa are noted subpleurally in the {lung}."},
       {"Interlobular septal thickening noted.", "Septal thickening in the {lung}.",
        "Interlobular septal thickening, possibly interstitial edema."}},
  }};
  return table[static_cast<size_t>(finding)];
}

// Statements of a normal anatomy in the free-text Findings section (never in the per-anatomy texts).
const Phrases& normal_statements(int anatomy_or_mediastinum) {
  static const std::array<Phrases, 5> table = {{
      {"No mediastinal or hilar lymphadenopathy is seen.", "Mediastinal lymph nodes are not enlarged.",
       "No pathologically enlarged lymph nodes are detected in the mediastinum."},
      {"The lungs are clear.", "Both lungs are clear without nodule, consolidation or effusion.",
       "Lung parenchyma is unremarkable.", "No focal lesion is seen in either lung."},
      {"Heart size is within normal limits.", "The heart is normal in size without pericardial effusion.",
       "Cardiac dimensions are normal.", "No cardiomegaly or pericardial effusion."},
      {"The esophagus is unremarkable.", "Esophageal calibre is normal and no hiatal hernia is seen.",
       "The esophagus appears normal."},
      {"The thoracic aorta is normal in calibre.", "The aorta is of normal diameter without wall calcification.",
       "Thoracic aorta is unremarkable."},
  }};
  return table[static_cast<size_t>(anatomy_or_mediastinum)];
}

const Phrases& normal_impressions() {
  static const Phrases p = {"No acute cardiopulmonary abnormality.", "Normal chest CT.",
                            "No significant abnormality in the chest.", "Unremarkable chest CT examination."};
  return p;
}

std::string pick(Rng& rng, const Phrases& phrases) {
  return phrases[static_cast<size_t>(rng.below(static_cast<int>(phrases.size())))];
}

void replace_all(std::string& text, const std::string& key, const std::string& value) {
  for (size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + value.size()))
    text.replace(pos, key.size(), value);
}

std::string capitalised(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string kind_word(int finding, const FindingFacts& f) {
  switch (finding) {
    case kMedicalMaterial: return f.variant == 0 ? "a cardiac pacemaker" : "a central venous port";
    case kCardiomegaly: return f.variant == 1 ? "moderately" : "mildly";
    case kHiatalHernia: return f.variant == 1 ? "large" : "sliding";
    case kEmphysema: return f.variant == 1 ? "paraseptal" : "centrilobular";
    case kPleuralEffusion: return f.size_mm > 60 ? "moderate" : "small";
    case kBronchiectasis: return f.variant == 1 ? "varicose" : "cylindrical";
    default: return "";
  }
}

std::string where_word(int finding, const FindingFacts& f) {
  switch (finding) {
    case kArterialCalcification: return f.upper ? "aortic arch" : "descending thoracic aorta";
    case kCoronaryCalcification:
      return f.variant == 2 ? "left anterior descending and right coronary arteries"
                            : (f.variant == 1 ? "left anterior descending artery" : "right coronary artery");
    case kMedicalMaterial: return f.variant == 0 ? "lead" : "catheter";
    case kLymphadenopathy: {
      static const char* stations[3] = {"right paratracheal", "prevascular", "subcarinal"};
      return stations[f.variant % 3];
    }
    default: return "";
  }
}

std::string fill(std::string text, int finding, const FindingFacts& f) {
  const char* side = f.side == Side::both ? "bilateral" : (f.side == Side::right ? "right" : "left");
  const char* lung = f.side == Side::both ? "both lungs" : (f.side == Side::right ? "right lung" : "left lung");
  const char* on_side =
      f.side == Side::both ? "on both sides" : (f.side == Side::right ? "on the right" : "on the left");
  const char* hemithorax = f.side == Side::both
                               ? "both hemithoraces"
                               : (f.side == Side::right ? "the right hemithorax" : "the left hemithorax");
  const std::string lobe = f.side == Side::both ? std::string(f.upper ? "upper" : "lower") + " lobes of both lungs"
                                                : std::string(lung).substr(0, f.side == Side::right ? 6 : 5) +
                                                      (f.upper ? "upper lobe" : "lower lobe");
  const std::string size = std::to_string(static_cast<int>(std::floor(f.size_mm + 0.5))) + " mm";
  // The medical-material kind carries its article ("a cardiac pacemaker"); {Kind} drops it ("Cardiac
  // pacemaker in place.").
  std::string kind = kind_word(finding, f);
  std::string kind_cap = kind;
  if (finding == kMedicalMaterial) kind_cap = kind.substr(kind.find(' ') + 1);
  replace_all(text, "{Kind}", capitalised(kind_cap));
  replace_all(text, "{kind}", kind);
  replace_all(text, "{Side}", capitalised(side));
  replace_all(text, "{side}", side);
  replace_all(text, "{on_side}", on_side);
  replace_all(text, "{hemithorax}", hemithorax);
  // "the {lung}" must not become "the both lungs".
  if (f.side == Side::both) {
    replace_all(text, "lower lobe of the {lung}", "lower lobes of both lungs");
    replace_all(text, "the {lung}", "both lungs");
  }
  replace_all(text, "{lung}", lung);
  replace_all(text, "{lobe}", lobe);
  replace_all(text, "{Size}", size);
  replace_all(text, "{size}", size);
  replace_all(text, "{count}", std::to_string(f.count));
  replace_all(text, "{where}", where_word(finding, f));
  return capitalised(text);
}

// Pertinent negatives: what a radiologist states as absent in an anatomy that has findings. None of these
// wordings is the surface form of a built-in prompt family (eval/prompt_templates.cpp), so zero-shot stays
// zero-shot: tests/data/phantom/report_writer_test.cpp checks every generated sentence against them.
const Phrases& negation_wordings() {
  static const Phrases p = {"No {x} is seen.",          "No {x} is identified.", "{X} is absent.",
                            "There is no sign of {x}.", "Negative for {x}.",     "No {x} was detected."};
  return p;
}

// Names a radiologist uses for an absent finding (several per finding, as reports vary).
const Phrases& absent_names(int finding) {
  static const std::array<Phrases, kNumFindings> table = {{
      {},                                                        // Medical material (no anatomy)
      {"aortic wall calcification", "calcified aortic plaque"},  // Arterial wall calcification
      {"cardiomegaly", "cardiac enlargement"},
      {"pericardial effusion", "pericardial fluid"},
      {"coronary artery calcification", "coronary calcification"},
      {"hiatal hernia"},
      {},  // Lymphadenopathy (no anatomy)
      {"emphysema", "emphysematous change"},
      {"atelectasis"},
      {"pulmonary nodule", "lung nodule"},
      {"ground-glass opacity", "lung opacity"},
      {"fibrotic sequela", "pulmonary fibrosis"},
      {"pleural effusion"},
      {"mosaic attenuation"},
      {"peribronchial thickening", "bronchial wall thickening"},
      {"consolidation"},
      {"bronchiectasis"},
      {"interlobular septal thickening", "septal thickening"},
  }};
  return table[static_cast<size_t>(finding)];
}

// Absent findings outside the label set, for anatomies with a single labelled finding (esophagus, aorta):
// when that finding is present, these are the only negatives left to state.
const Phrases& extra_absent_names(int anatomy) {
  static const std::array<Phrases, kNumAnatomies + 1> table = {{
      {},
      {},
      {},
      {"esophageal wall thickening", "esophageal dilatation"},
      {"aortic aneurysm", "aortic dissection"},
  }};
  return table[static_cast<size_t>(anatomy)];
}

std::string negation(Rng& rng, const std::string& name) {
  std::string text = pick(rng, negation_wordings());
  replace_all(text, "{X}", capitalised(name));
  replace_all(text, "{x}", name);
  return text;
}

// One or two absent findings of an abnormal anatomy, each in one of several wordings.
std::vector<std::string> pertinent_negatives(const ScanPlan& plan, const FindingFactsTable& facts, int anatomy) {
  std::vector<std::string> names;
  for (int f = 0; f < kNumFindings; ++f) {
    if (kFindingAnatomy[static_cast<size_t>(f)] != anatomy || facts[static_cast<size_t>(f)].present) continue;
    Rng name_rng(derive_seed(plan.scan_seed, Stream::wording, 3000 + static_cast<uint64_t>(f)));
    names.push_back(pick(name_rng, absent_names(f)));
  }
  for (const char* extra : extra_absent_names(anatomy)) names.push_back(extra);
  Rng rng(derive_seed(plan.scan_seed, Stream::wording, 2000 + static_cast<uint64_t>(anatomy)));
  const int wanted = std::min(static_cast<int>(names.size()), 1 + rng.below(2));
  std::vector<std::string> out;
  for (int i = 0; i < wanted; ++i) {
    // Partial Fisher-Yates: distinct findings, in a random order.
    const int j = i + rng.below(static_cast<int>(names.size()) - i);
    std::swap(names[static_cast<size_t>(i)], names[static_cast<size_t>(j)]);
    out.push_back(negation(rng, names[static_cast<size_t>(i)]));
  }
  return out;
}

void append_sentence(std::string& section, const std::string& sentence) {
  if (!section.empty()) section += ' ';
  section += sentence;
}

}  // namespace

void write_report(Sample& sample, const ScanPlan& plan, const FindingFactsTable& facts) {
  const auto& names = default_anatomies();
  const size_t anatomies = names.size();
  sample.conclusion.assign(anatomies, {});
  sample.description.assign(anatomies, {});
  std::string whole_report_description[2], whole_report_conclusion[2];  // lymph nodes, device

  for (int f = 0; f < kNumFindings; ++f) {
    const FindingFacts& fact = facts[static_cast<size_t>(f)];
    if (!fact.present) continue;
    Rng rng(derive_seed(plan.scan_seed, Stream::wording, static_cast<uint64_t>(f)));
    const Wording& w = wording_of(f);
    const std::string description = fill(pick(rng, w.description), f, fact);
    const std::string conclusion = fill(pick(rng, w.conclusion), f, fact);
    const Anatomy anatomy = kFindingAnatomy[static_cast<size_t>(f)];
    if (anatomy == kBackground) {
      const int slot = f == kLymphadenopathy ? 0 : 1;
      whole_report_description[slot] = description;
      whole_report_conclusion[slot] = conclusion;
      continue;
    }
    sample.description[anatomy - 1u].push_back(description);
    sample.conclusion[anatomy - 1u].push_back(conclusion);
  }

  sample.normal.assign(anatomies, 0);
  sample.text_id.assign(anatomies, 0);
  for (size_t a = 0; a < anatomies; ++a) {
    sample.normal[a] = sample.conclusion[a].empty() && sample.description[a].empty() ? 1 : 0;
    if (!sample.normal[a]) {
      for (auto& sentence : pertinent_negatives(plan, facts, static_cast<int>(a) + 1))
        sample.description[a].push_back(std::move(sentence));
    }
    sample.text_id[a] = text_id(names[a], sample.conclusion[a], sample.description[a]);
  }

  // Findings section in reading order: mediastinum and heart, vessels, esophagus, lungs, devices.
  Rng rng(derive_seed(plan.scan_seed, Stream::wording, 1000));
  std::string findings;
  auto section_of = [&](int anatomy_value) {
    const size_t a = static_cast<size_t>(anatomy_value - 1);
    if (sample.normal[a]) {
      append_sentence(findings, pick(rng, normal_statements(anatomy_value)));
    } else {
      for (const auto& s : sample.description[a]) append_sentence(findings, s);
    }
  };
  section_of(kHeart);
  section_of(kAorta);
  if (whole_report_description[0].empty()) {
    append_sentence(findings, pick(rng, normal_statements(0)));
  } else {
    append_sentence(findings, whole_report_description[0]);
  }
  section_of(kEsophagus);
  section_of(kLung);
  if (!whole_report_description[1].empty()) append_sentence(findings, whole_report_description[1]);
  sample.findings = findings;

  std::string impression;
  for (int a : {kLung, kHeart, kAorta, kEsophagus}) {
    for (const auto& s : sample.conclusion[static_cast<size_t>(a - 1)]) append_sentence(impression, s);
  }
  for (const auto& s : whole_report_conclusion) {
    if (!s.empty()) append_sentence(impression, s);
  }
  sample.impression = impression.empty() ? pick(rng, normal_impressions()) : impression;
}

}  // namespace cagcl::data::phantom
