#include "common/subprocess.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cagcl {

int run_program(const std::vector<std::string>& argv, std::string& error, const std::filesystem::path& output) {
  if (argv.empty()) {
    error = "empty argument vector";
    return -1;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out_fd = -1;
  if (!output.empty()) {
    out_fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      error = output.string() + ": " + std::strerror(errno);
      return -1;
    }
  }
  const pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    if (out_fd >= 0) ::close(out_fd);
    return -1;
  }
  if (pid == 0) {  // only async-signal-safe calls after fork in a threaded process
    if (out_fd >= 0 && (dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)) _exit(126);
    execvp(args[0], args.data());
    _exit(127);
  }
  if (out_fd >= 0) ::close(out_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      error = std::string("waitpid: ") + std::strerror(errno);
      return -1;
    }
  }
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 127) error = "could not run '" + argv[0] + "' (not in PATH?)";
    return WEXITSTATUS(status);
  }
  error = "'" + argv[0] + "' ended by signal " + std::to_string(WTERMSIG(status));
  return -1;
}

}  // namespace cagcl
