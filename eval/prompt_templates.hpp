#pragma once
// Prompt template families for zero-shot scoring: each family turns a finding on an anatomy into one
// positive and one negative sentence. Placeholders: {X} the label name as the dataset spells it
// ("Lung nodule"), {x} the same in lower case ("lung nodule"), {anatomy} the anatomy name ("lung").
// Any other "{...}" is an error, so a typo in a user file cannot silently score a literal brace.
//
// User families come from a YAML file (docs/evaluation.md):
//   families:
//     - name: signs
//       positive: "Signs of {x} in the {anatomy}."
//       negative: "No signs of {x} in the {anatomy}."
#include <string>
#include <vector>

namespace cagcl::eval {

struct TemplateFamily {
  std::string name;
  std::string positive;
  std::string negative;
};

// The five families of METHOD.md: fvlm, ctclip, there_is, anatomy_shows, findings.
const std::vector<TemplateFamily>& builtin_families();

// Replaces the placeholders; UsageError naming `origin` and the placeholder on an unknown or unclosed one.
std::string fill_template(const std::string& text, const std::string& label, const std::string& anatomy,
                          const std::string& origin = "template");
// Checks every placeholder of a family (both sentences) without a label; UsageError naming `origin`.
void validate_family(const TemplateFamily& family, const std::string& origin);

// Families of a YAML file (format above). UsageError naming the file and the entry when it is unreadable,
// has no families, an entry lacks name/positive/negative, a name repeats, or a template is bad.
std::vector<TemplateFamily> load_template_file(const std::string& path);

// The --templates value: a comma-separated list of items, each "all" (the built-in families), a built-in
// family name, or a YAML file path. Order kept, repeats dropped. UsageError naming --templates otherwise.
std::vector<TemplateFamily> select_families(const std::string& spec);

}  // namespace cagcl::eval
