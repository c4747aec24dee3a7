// `cagcl config`: prints (and optionally saves) the resolved configuration, or lists every key.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "config/config.hpp"
#include "launch/commands/command.hpp"

namespace cagcl {

void add_config_options(CLI::App& command, std::string& config_source, std::vector<std::string>& overrides) {
  std::string presets;
  for (const auto& name : preset_names()) presets += (presets.empty() ? "" : ", ") + name;
  command.add_option("--config", config_source, "preset (" + presets + ") or YAML file; a file may say `base: PRESET`")
      ->capture_default_str();
  command.add_option("--set", overrides, "override one key, e.g. --set train.lr=3e-4 --set data.crop=[32,64,64]")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

Command add_config_command(CLI::App& app) {
  struct Options {
    std::string source = "small";
    std::vector<std::string> overrides;
    std::string out;
    bool keys = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("config", "Print the resolved configuration (preset + file + --set), or save it");
  add_config_options(*cmd, options->source, options->overrides);
  cmd->add_option("--out", options->out, "also write the resolved YAML to this file (atomically)");
  cmd->add_flag("--keys", options->keys, "list every key with its meaning instead");
  return {cmd, [options] {
            if (options->keys) {
              for (const auto& [key, help] : config_keys()) std::cout << key << "\t" << help << "\n";
              return;
            }
            const Config config = load_config(options->source, options->overrides);
            std::cout << to_yaml(config);
            if (!options->out.empty()) {
              save_config(config, options->out);
              spdlog::info("wrote {}", options->out);
            }
          }};
}

}  // namespace cagcl
