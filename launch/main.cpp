// `cagcl`: one executable, one CLI11 sub-command per job. Errors are exceptions carrying their context;
// they are caught here once and turned into a message and an exit code (see README, "Exit codes").
#include <spdlog/spdlog.h>

#include <iostream>
#include <vector>

#include "common/error.hpp"
#include "launch/commands/command.hpp"
#include "launch/logging.hpp"
#include "launch/runtime_report.hpp"

int main(int argc, char** argv) {
  using namespace cagcl;
  CLI::App app{"cagcl: CA-GCL vision-language pre-training for 3D chest CT", "cagcl"};
  app.set_version_flag("--version", std::string(CAGCL_VERSION));
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the sub-command
  LogOptions log;
  app.add_option("--log-level", log.level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_option("--log-file", log.file, "also append log lines to this file");

  std::vector<Command> commands = {add_synth_command(app),    add_inspect_command(app), add_config_command(app),
                                   add_tokenize_command(app), add_export_command(app),  add_convert_command(app),
                                   add_eval_command(app),     add_train_command(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); its own codes (105, 114, ...) become the documented 2.
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  try {
    log.rank = launcher_rank();
    log.world = launcher_world_size();
    init_logging(log);
    log_runtime_report();
    for (auto& command : commands) {
      if (command.parser->parsed()) command.run();
    }
    return command_exit_code();
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return static_cast<int>(ExitCode::failure);
  }
}
