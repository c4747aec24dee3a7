#pragma once
// Runs a command line through the shell and collects its standard output and exit code, for the tests that
// drive the built `cagcl` binary. The tests build every command line themselves from paths they created
// (quoted), so no outside string reaches the shell.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

namespace cagcl::test_support {

struct CommandResult {
  int exit_code;    // -1 when the command did not exit normally
  std::string out;  // standard output (add " 2>&1" to the command for standard error too)
};

inline CommandResult run_shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) out.append(buffer.data(), n);
  const int status = pclose(pipe.release());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace cagcl::test_support
