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

// The exit code of a command that can end without an error but with a code other than 0 (`train` stopped
// early: ExitCode::stopped). `main` returns it after the command ran; 0 unless a command set it.
int& command_exit_code();

Command add_config_command(CLI::App& app);
Command add_synth_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_tokenize_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_convert_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_train_command(CLI::App& app);

// Adds the shared `--config FILE|PRESET` and `--set key.path=value` options; returns nothing, fills refs.
void add_config_options(CLI::App& command, std::string& config_source, std::vector<std::string>& overrides);

}  // namespace cagcl
