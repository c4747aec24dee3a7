#include "eval/trained_instances.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/error.hpp"
#include "common/json_file.hpp"

namespace cagcl::eval {
namespace {

constexpr size_t kMaxLine = 64 * 1024;

struct StepCounts {
  int64_t invocation = -1;
  std::map<std::string, int64_t> counts;
};

// The step line's (step, invocation, counts), or false when the line is not such a line: torn (the last line
// of a killed run), nested deeper than any metrics line (common/json_file.hpp), or of other types.
bool parse_step_line(const std::string& line, int64_t& step, StepCounts& out) {
  nlohmann::json j;
  try {
    j = parse_json_text(line, "metrics line");
  } catch (const DataError&) {
    return false;
  }
  if (!j.is_object()) return false;
  const auto event = j.find("event");
  if (event == j.end() || *event != "step") return false;
  const auto step_field = j.find("step");
  const auto counts = j.find("intact_instances");
  if (step_field == j.end() || counts == j.end() || !step_field->is_number_integer() || !counts->is_object())
    return false;
  step = step_field->get<int64_t>();
  const auto invocation = j.find("invocation");
  out.invocation = invocation != j.end() && invocation->is_number_integer() ? invocation->get<int64_t>() : 0;
  for (const auto& [anatomy, n] : counts->items())
    if (n.is_number_integer()) out.counts[anatomy] = n.get<int64_t>();
  return true;
}

}  // namespace

std::map<std::string, int64_t> trained_instances(const std::filesystem::path& metrics_jsonl, int64_t up_to_step) {
  std::map<std::string, int64_t> total;
  if (!std::filesystem::exists(metrics_jsonl)) return total;
  std::ifstream in(metrics_jsonl);
  if (!in) throw IoError(metrics_jsonl.string() + ": cannot read: " + std::strerror(errno));
  std::map<int64_t, StepCounts> by_step;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > kMaxLine) continue;
    int64_t step = 0;
    StepCounts parsed;
    if (!parse_step_line(line, step, parsed) || step > up_to_step) continue;
    auto& kept = by_step[step];
    if (parsed.invocation >= kept.invocation) kept = std::move(parsed);
  }
  for (const auto& [step, kept] : by_step)
    for (const auto& [anatomy, n] : kept.counts) total[anatomy] += n;
  return total;
}

}  // namespace cagcl::eval
