#pragma once
// A sub-command of `cagcl`: its CLI11 parser and what it does once the whole command line is parsed
// and logging is set up. Each sub-command lives in one file of launch/commands/.
#include <CLI/CLI.hpp>

#include <functional>

namespace cagcl {

struct Command {
  CLI::App* parser = nullptr;
  std::function<void()> run;
};

Command add_config_command(CLI::App& app);
Command add_synth_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_tokenize_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_convert_command(CLI::App& app);
Command add_eval_command(CLI::App& app);

// Adds the shared `--config FILE|PRESET` and `--set key.path=value` options; returns nothing, fills refs.
void add_config_options(CLI::App& command, std::string& config_source, std::vector<std::string>& overrides);

}  // namespace cagcl
