#include "eval/report_writer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json_file.hpp"
#include "common/subprocess.hpp"
#include "eval/training_curves.hpp"

namespace cagcl::eval {

std::string plot_script_text();  // generated from eval/plot_report.py (CMakeLists.txt)

namespace {

using json = nlohmann::ordered_json;

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string("nan"); }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

json threshold_json(const ThresholdMetrics& m) {
  return {{"threshold", num(m.threshold)},     {"accuracy", num(m.accuracy)},   {"sensitivity", num(m.sensitivity)},
          {"specificity", num(m.specificity)}, {"precision", num(m.precision)}, {"f1_weighted", num(m.f1_weighted)}};
}

json macro_json(const MacroMetrics& m) {
  return {{"labels", m.labels},
          {"undefined_labels", m.undefined},
          {"auc", num(m.auc)},
          {"accuracy", num(m.accuracy)},
          {"sensitivity", num(m.sensitivity)},
          {"specificity", num(m.specificity)},
          {"precision", num(m.precision)},
          {"f1_weighted", num(m.f1_weighted)}};
}

json interval_json(const Interval& i) {
  return {{"low", num(i.low)}, {"high", num(i.high)}, {"resamples", i.resamples}};
}

json stats_json(const SimilarityStats& s) { return {{"pairs", s.pairs}, {"mean", num(s.mean)}, {"sd", num(s.sd)}}; }

double at_or_nan(const std::vector<double>& v, size_t i) {
  return i < v.size() ? v[i] : std::numeric_limits<double>::quiet_NaN();
}

// {"R@1": ..., "R@5": ..., "R@10": ...}
json recall_json(const std::vector<int64_t>& ks, const std::vector<double>& recall) {
  json out = json::object();
  for (size_t k = 0; k < ks.size(); ++k) out["R@" + std::to_string(ks[k])] = num(at_or_nan(recall, k));
  return out;
}

json direction_json(const std::vector<int64_t>& ks, const RetrievalRecall& d) {
  return {{"queries", d.queries}, {"candidates", d.candidates}, {"recall", recall_json(ks, d.recall)}};
}

// null when retrieval was not computed (no K).
json retrieval_json(const RetrievalResult& r) {
  if (r.ks.empty()) return nullptr;
  json anatomies = json::array();
  for (const auto& a : r.anatomies)
    anatomies.push_back({{"name", a.anatomy},
                         {"in_mean", a.image_to_report.queries > 0},
                         {"image_to_report", direction_json(r.ks, a.image_to_report)},
                         {"report_to_image", direction_json(r.ks, a.report_to_image)}});
  return {{"k", r.ks},
          {"tie_rule", "pessimistic: rank = 1 + non-matching candidates with cosine >= the best matching one"},
          {"anatomies_in_mean", r.anatomies_in_mean},
          {"mean",
           {{"image_to_report", recall_json(r.ks, r.mean_image_to_report)},
            {"report_to_image", recall_json(r.ks, r.mean_report_to_image)}}},
          {"anatomies", anatomies}};
}

void write_text(const std::filesystem::path& path, const std::string& text) { write_file_atomically(path, text); }

std::string scores_csv(const EvalReport& r) {
  std::string out = "volume,family,label,score,truth\n";
  for (const auto& f : r.families)
    for (const auto& label : f.scores)
      for (size_t n = 0; n < label.score.size(); ++n)
        out +=
            fmt::format("{},{},{},{},{}\n", csv_field(n < r.volumes.size() ? r.volumes[n] : std::to_string(n)),
                        csv_field(f.family.name), csv_field(label.name), csv_num(label.score[n]), int(label.truth[n]));
  return out;
}

std::string label_metrics_csv(const EvalReport& r) {
  std::string out =
      "family,label,count,positives,defined,auc,auc_low,auc_high,threshold,accuracy,sensitivity,specificity,"
      "precision,f1_weighted,fitted_threshold,fitted_accuracy,fitted_sensitivity,fitted_specificity,"
      "fitted_precision,fitted_f1_weighted\n";
  for (const auto& f : r.families) {
    for (size_t l = 0; l < f.result.labels.size(); ++l) {
      const auto& m = f.result.labels[l];
      const Interval ci = l < f.bootstrap.label_auc.size() ? f.bootstrap.label_auc[l] : Interval{};
      const ThresholdMetrics fit = l < f.fitted.size() ? f.fitted[l].at : ThresholdMetrics{};
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(f.family.name),
                         csv_field(m.name), m.count, m.positives, m.defined ? 1 : 0, csv_num(m.auc), csv_num(ci.low),
                         csv_num(ci.high), csv_num(m.at.threshold), csv_num(m.at.accuracy), csv_num(m.at.sensitivity),
                         csv_num(m.at.specificity), csv_num(m.at.precision), csv_num(m.at.f1_weighted),
                         csv_num(fit.threshold), csv_num(fit.accuracy), csv_num(fit.sensitivity),
                         csv_num(fit.specificity), csv_num(fit.precision), csv_num(fit.f1_weighted));
    }
  }
  return out;
}

std::string template_auc_csv(const EvalReport& r) {
  std::string out = "family,label,auc\n";
  for (const auto& f : r.families) {
    for (const auto& m : f.result.labels)
      out += fmt::format("{},{},{}\n", csv_field(f.family.name), csv_field(m.name), csv_num(m.auc));
    out += fmt::format("{},macro,{}\n", csv_field(f.family.name), csv_num(f.result.macro.auc));
  }
  return out;
}

std::string roc_curves_csv(const EvalReport& r) {
  std::string out = "family,label,fpr,tpr,threshold\n";
  for (const auto& f : r.families)
    for (const auto& label : f.scores)
      for (const auto& p : roc_curve(label.score, label.truth))
        out += fmt::format("{},{},{},{},{}\n", csv_field(f.family.name), csv_field(label.name), csv_num(p.fpr),
                           csv_num(p.tpr), std::isfinite(p.threshold) ? csv_num(p.threshold) : std::string("inf"));
  return out;
}

std::string histogram_csv(const TextSimilarity& s) {
  std::string out = "bin_low,bin_high,same_anatomy,cross_anatomy\n";
  const auto& h = s.histogram;
  const double width = (h.hi - h.lo) / static_cast<double>(std::max<size_t>(h.same.size(), 1));
  for (size_t b = 0; b < h.same.size(); ++b)
    out +=
        fmt::format("{},{},{},{}\n", csv_num(h.lo + width * b), csv_num(h.lo + width * (b + 1)), h.same[b], h.cross[b]);
  return out;
}

// `anatomy,direction,queries,candidates,k,recall`; the mean over anatomies has anatomy "mean" and no counts.
std::string retrieval_csv(const RetrievalResult& r) {
  std::string out = "anatomy,direction,queries,candidates,k,recall\n";
  const auto rows = [&](const std::string& anatomy, const char* direction, const std::string& queries,
                        const std::string& candidates, const std::vector<double>& recall) {
    for (size_t k = 0; k < r.ks.size(); ++k)
      out += fmt::format("{},{},{},{},{},{}\n", csv_field(anatomy), direction, queries, candidates, r.ks[k],
                         csv_num(at_or_nan(recall, k)));
  };
  for (const auto& a : r.anatomies)
    for (const auto& [direction, d] :
         {std::pair<const char*, const RetrievalRecall*>{"image_to_report", &a.image_to_report},
          {"report_to_image", &a.report_to_image}})
      rows(a.anatomy, direction, std::to_string(d->queries), std::to_string(d->candidates), d->recall);
  rows("mean", "image_to_report", "", "", r.mean_image_to_report);
  rows("mean", "report_to_image", "", "", r.mean_report_to_image);
  return out;
}

std::string fmt3(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("n/a"); }

// A row per anatomy with both directions' counts and recalls, then the mean over the anatomies with a query.
std::string retrieval_html(const RetrievalResult& r) {
  if (r.ks.empty()) return {};
  std::string k_heads;
  for (int64_t k : r.ks) k_heads += fmt::format("<th>R@{}</th>", k);
  std::string h =
      "<h2>Volume-report retrieval</h2>\n<p class=\"note\">Per anatomy: abnormal instances against the "
      "distinct report texts (ties count against the query). An anatomy without an abnormal instance "
      "has no query and is left out of the mean.</p>\n<table><tr><th>anatomy</th><th>image&rarr;report "
      "queries</th><th>texts</th>" +
      k_heads + "<th>report&rarr;image queries</th><th>instances</th>" + k_heads + "</tr>\n";
  const auto cells = [&](const std::vector<double>& recall) {
    std::string c;
    for (size_t k = 0; k < r.ks.size(); ++k) c += "<td>" + fmt3(at_or_nan(recall, k)) + "</td>";
    return c;
  };
  for (const auto& a : r.anatomies)
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td>{}</tr>\n", html_escape(a.anatomy),
                     a.image_to_report.queries, a.image_to_report.candidates, cells(a.image_to_report.recall),
                     a.report_to_image.queries, a.report_to_image.candidates, cells(a.report_to_image.recall));
  h += fmt::format("<tr><th>mean of {}</th><th></th><th></th>{}<th></th><th></th>{}</tr>\n</table>\n",
                   r.anatomies_in_mean, cells(r.mean_image_to_report), cells(r.mean_report_to_image));
  return h;
}

std::string inline_svg(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string svg = buffer.str();
  const size_t start = svg.find("<svg");
  return start == std::string::npos ? std::string() : svg.substr(start);
}

// RFC 4648 base64: the training-curves PNG goes into the page as a data: URI, so it still opens alone, offline.
std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? table[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string training_curves_html(const std::filesystem::path& dir, const ReportFiles& files) {
  if (files.training_curves_made) {
    std::ifstream in(dir / "plots" / "training_curves.png", std::ios::binary);
    std::stringstream png;
    png << in.rdbuf();
    return "<h2>Training curves</h2>\n<div class=\"plot\"><img alt=\"training curves\" style=\"max-width:100%\" "
           "src=\"data:image/png;base64," +
           base64(png.str()) + "\"></div>\n";
  }
  if (files.training_curves_error.empty()) return {};
  return "<h2>Training curves</h2>\n<p class=\"note\">No training curves: " + html_escape(files.training_curves_error) +
         "</p>\n";
}

std::string report_html(const EvalReport& r, const std::filesystem::path& dir, const ReportFiles& files) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cagcl evaluation</title>\n<style>"
       "body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}"
       "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}th{background:#eee}td:first-child,"
       "th:first-child{text-align:left}.big{font-size:1.4em}.plot svg{max-width:100%;height:auto}"
       ".note{color:#555}</style></head><body>\n";
  h += "<h1>cagcl zero-shot evaluation</h1>\n<p class=\"note\">";
  for (const auto& [key, value] : r.run.items())
    h += html_escape(valid_utf8(key)) + ": <code>" +
         html_escape(value.is_string() ? valid_utf8(value.get<std::string>()) : dump_json(value)) + "</code><br>\n";
  h += "</p>\n";
  const auto& rb = r.robustness;
  h += fmt::format(
      "<p class=\"big\">macro AUC (mean over {} template families): <b>{}</b> &nbsp; template SD: <b>{}</b> &nbsp; "
      "collapse index: <b>{}</b></p>\n",
      rb.families.size(), fmt3(rb.mean_macro_auc), fmt3(rb.sd_macro_auc), fmt3(r.similarity.collapse_index));

  h += "<h2>Template families</h2>\n<table><tr><th>family</th><th>positive</th><th>negative</th><th>macro AUC</th>"
       "<th>95 % CI</th><th>accuracy</th><th>sensitivity</th><th>specificity</th><th>precision</th><th>F1 "
       "(weighted)</th><th>undefined labels</th><th>cross-fitted: sens.</th><th>spec.</th><th>F1</th></tr>\n";
  for (const auto& f : r.families) {
    const auto& m = f.result.macro;
    h += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} - {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}"
        "</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        html_escape(f.family.name), html_escape(f.family.positive), html_escape(f.family.negative), fmt3(m.auc),
        fmt3(f.bootstrap.macro_auc.low), fmt3(f.bootstrap.macro_auc.high), fmt3(m.accuracy), fmt3(m.sensitivity),
        fmt3(m.specificity), fmt3(m.precision), fmt3(m.f1_weighted), m.undefined, fmt3(f.fitted_macro.sensitivity),
        fmt3(f.fitted_macro.specificity), fmt3(f.fitted_macro.f1_weighted));
  }
  h += "</table>\n";

  h += "<h2>AUC per label and template family</h2>\n<table><tr><th>label</th>";
  for (const auto& name : rb.families) h += "<th>" + html_escape(name) + "</th>";
  h += "<th>mean</th><th>SD</th><th>range</th><th>positives</th></tr>\n";
  for (size_t l = 0; l < rb.labels.size(); ++l) {
    const auto& s = rb.labels[l];
    h += "<tr><td>" + html_escape(s.label) + "</td>";
    for (double v : s.auc) h += "<td>" + fmt3(v) + "</td>";
    const int64_t positives = r.families.empty() ? 0 : r.families.front().result.labels[l].positives;
    const int64_t count = r.families.empty() ? 0 : r.families.front().result.labels[l].count;
    h += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td></tr>\n", fmt3(s.mean), fmt3(s.sd),
                     fmt3(s.range), positives, count);
  }
  h += "</table>\n";

  h += "<h2>Anatomies</h2>\n<p class=\"note\">An absent anatomy, or one with less than the required fraction inside "
       "its evaluation window (dropped), scores 0 for its findings.</p>\n<table><tr><th>anatomy</th><th>scored</th>"
       "<th>absent</th><th>dropped (partly outside the window)</th></tr>\n";
  for (const auto& a : r.anatomies)
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", html_escape(a.anatomy), a.present,
                     a.absent, a.partial);
  h += "</table>\n";

  const auto& s = r.similarity;
  h += "<h2>Text similarity</h2>\n<table><tr><th>pairs</th><th>count</th><th>mean cosine</th><th>SD</th></tr>\n";
  for (const auto& [name, st] : {std::pair<const char*, const SimilarityStats*>{"same anatomy", &s.same},
                                 {"cross anatomy", &s.cross},
                                 {"all", &s.all}})
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", name, st->pairs, fmt3(st->mean),
                     fmt3(st->sd));
  h += fmt::format(
      "</table>\n<p>{} distinct anatomy-level texts. Collapse index (mean cross-anatomy cosine): "
      "<b>{}</b>.</p>\n",
      s.texts, fmt3(s.collapse_index));

  h += retrieval_html(r.retrieval);

  h += "<h2>Plots</h2>\n";
  if (!files.plots_made) {
    h += "<p class=\"note\">No plots: " + html_escape(files.plot_error) +
         ". Install python3-matplotlib and run <code>python3 plots/plot_report.py .</code> in this directory, "
         "then open the SVG files in plots/.</p>\n";
  } else {
    for (const char* name : {"template_auc.svg", "similarity_histogram.svg", "roc_curves.svg"}) {
      const std::string svg = inline_svg(dir / "plots" / name);
      h += svg.empty() ? fmt::format("<p class=\"note\">plots/{} is missing</p>\n", name)
                       : "<div class=\"plot\">" + svg + "</div>\n";
    }
  }
  h += training_curves_html(dir, files);
  h += "<p class=\"note\">Files: report.json (every figure), scores.csv, label_metrics.csv, template_auc.csv, "
       "roc_curves.csv, similarity_histogram.csv, retrieval.csv, plots/. Definitions: "
       "docs/evaluation.md.</p>\n</body></html>\n";
  return h;
}

ReportFiles make_plots(const std::filesystem::path& dir, const ReportOptions& options) {
  ReportFiles files;
  if (!options.plots) {
    files.plot_error = "plots were turned off (--no-plots)";
    return files;
  }
  const auto script = dir / "plots" / "plot_report.py";
  const auto log = dir / "plots" / "plot_report.log";
  const std::string python = options.python.empty() ? default_python() : options.python;
  std::string error;
  const int status = run_program({python, script.string(), dir.string()}, error, log);
  if (status != 0) {
    std::ifstream in(log);
    std::string last, line;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    if (last.empty()) last = error.empty() ? "exit status " + std::to_string(status) : error;
    files.plot_error = "the plot script failed (" + last + "; see plots/plot_report.log)";
    spdlog::warn("eval: {}", files.plot_error);
    return files;
  }
  files.plots_made = true;
  return files;
}

// plots/training_curves.png of the evaluated run, when its metrics log was given and plots are on.
TrainingCurves report_training_curves(const std::filesystem::path& dir, const ReportOptions& options) {
  if (options.metrics_log.empty()) return {};
  if (!options.plots) return {false, "plots were turned off (--no-plots)", ""};
  TrainingCurvesRequest request;
  request.metrics = options.metrics_log;
  request.png = dir / "plots" / "training_curves.png";
  request.script = dir / "plots" / "plot_training_curves.py";
  request.log = dir / "plots" / "plot_training_curves.log";
  request.python = options.python;
  request.max_step = options.max_step;
  TrainingCurves curves = draw_training_curves(request);
  if (!curves.made) spdlog::warn("eval: no training curves: {}", curves.error);
  return curves;
}

}  // namespace

std::string default_python() {
  if (const char* env = std::getenv("CAGCL_PYTHON"); env && *env) return env;
  if (std::filesystem::exists("/usr/bin/python3")) return "/usr/bin/python3";
  return "python3";
}

const std::string& plot_script() {
  static const std::string text = plot_script_text();
  return text;
}

nlohmann::ordered_json report_json(const EvalReport& r) {
  json j;
  j["format"] = "cagcl-eval-report";
  j["version"] = 1;
  j["run"] = r.run;
  j["volumes"] = r.volumes.size();
  json anatomies = json::array();
  for (const auto& a : r.anatomies)
    anatomies.push_back(
        {{"name", a.anatomy}, {"scored", a.present}, {"absent", a.absent}, {"dropped_partial", a.partial}});
  j["anatomies"] = anatomies;
  j["summary"] = {{"families", r.robustness.families.size()},
                  {"macro_auc", num(r.robustness.mean_macro_auc)},
                  {"template_sd", num(r.robustness.sd_macro_auc)},
                  {"collapse_index", num(r.similarity.collapse_index)}};
  json families = json::array();
  for (const auto& f : r.families) {
    json labels = json::array();
    for (size_t l = 0; l < f.result.labels.size(); ++l) {
      const auto& m = f.result.labels[l];
      json entry = {{"name", m.name},
                    {"count", m.count},
                    {"positives", m.positives},
                    {"defined", m.defined},
                    {"auc", num(m.auc)}};
      if (l < f.bootstrap.label_auc.size()) entry["auc_ci"] = interval_json(f.bootstrap.label_auc[l]);
      entry["at_threshold"] = threshold_json(m.at);
      if (l < f.fitted.size()) entry["cross_fitted"] = threshold_json(f.fitted[l].at);
      labels.push_back(entry);
    }
    const auto& b = f.bootstrap;
    families.push_back({{"name", f.family.name},
                        {"positive", f.family.positive},
                        {"negative", f.family.negative},
                        {"macro", macro_json(f.result.macro)},
                        {"macro_ci",
                         {{"auc", interval_json(b.macro_auc)},
                          {"accuracy", interval_json(b.macro_accuracy)},
                          {"sensitivity", interval_json(b.macro_sensitivity)},
                          {"specificity", interval_json(b.macro_specificity)},
                          {"precision", interval_json(b.macro_precision)},
                          {"f1_weighted", interval_json(b.macro_f1_weighted)}}},
                        {"cross_fitted_macro", macro_json(f.fitted_macro)},
                        {"labels", labels}});
  }
  j["families"] = families;
  const auto& rb = r.robustness;
  json spreads = json::array();
  for (const auto& s : rb.labels) {
    json aucs = json::array();
    for (double v : s.auc) aucs.push_back(num(v));
    spreads.push_back({{"name", s.label},
                       {"auc", aucs},
                       {"mean", num(s.mean)},
                       {"sd", num(s.sd)},
                       {"min", num(s.min)},
                       {"max", num(s.max)},
                       {"range", num(s.range)}});
  }
  json macro_aucs = json::array();
  for (double v : rb.macro_auc) macro_aucs.push_back(num(v));
  j["prompt_robustness"] = {
      {"families", rb.families},    {"macro_auc", macro_aucs},      {"mean", num(rb.mean_macro_auc)},
      {"sd", num(rb.sd_macro_auc)}, {"min", num(rb.min_macro_auc)}, {"max", num(rb.max_macro_auc)},
      {"labels", spreads}};
  const auto& s = r.similarity;
  json per_anatomy = json::object();
  for (size_t a = 0; a < s.texts_per_anatomy.size(); ++a)
    per_anatomy[a < r.similarity_anatomies.size() ? r.similarity_anatomies[a] : std::to_string(a)] =
        s.texts_per_anatomy[a];
  j["text_similarity"] = {{"texts", s.texts},
                          {"texts_per_anatomy", per_anatomy},
                          {"same_anatomy", stats_json(s.same)},
                          {"cross_anatomy", stats_json(s.cross)},
                          {"all", stats_json(s.all)},
                          {"collapse_index", num(s.collapse_index)},
                          {"histogram",
                           {{"low", s.histogram.lo},
                            {"high", s.histogram.hi},
                            {"same_anatomy", s.histogram.same},
                            {"cross_anatomy", s.histogram.cross}}}};
  j["retrieval"] = retrieval_json(r.retrieval);
  return j;
}

ReportFiles write_report(const EvalReport& report, const std::filesystem::path& dir, const ReportOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir / "plots", ec);
  if (ec) throw IoError("--out: cannot create '" + (dir / "plots").string() + "': " + ec.message());
  const TrainingCurves curves = report_training_curves(dir, options);
  json j = report_json(report);
  if (!options.metrics_log.empty())
    j["training_curves"] = {{"metrics_log", options.metrics_log.string()},
                            {"max_step", options.max_step >= 0 ? json(options.max_step) : json(nullptr)},
                            {"file", curves.made ? json("plots/training_curves.png") : json(nullptr)},
                            {"error", curves.made ? json(nullptr) : json(curves.error)}};
  // Names and provenance come from outside (datasets, paths): invalid UTF-8 is written as U+FFFD, not fatal.
  write_text(dir / "report.json", dump_json(j, 2) + "\n");
  write_text(dir / "scores.csv", scores_csv(report));
  write_text(dir / "label_metrics.csv", label_metrics_csv(report));
  write_text(dir / "template_auc.csv", template_auc_csv(report));
  write_text(dir / "roc_curves.csv", roc_curves_csv(report));
  write_text(dir / "similarity_histogram.csv", histogram_csv(report.similarity));
  write_text(dir / "retrieval.csv", retrieval_csv(report.retrieval));
  write_text(dir / "plots" / "plot_report.py", plot_script());
  ReportFiles files = make_plots(dir, options);
  files.training_curves_made = curves.made;
  files.training_curves_error = curves.error;
  files.json = dir / "report.json";
  files.html = dir / "report.html";
  write_text(files.html, report_html(report, dir, files));
  return files;
}

}  // namespace cagcl::eval
