#pragma once
// The project's exception types. Errors carry their context (file, member, key path, flag) in the
// message; `main` catches them once and maps them to an exit code.
#include <stdexcept>
#include <string>

namespace cagcl {

// Exit codes used by `cagcl` (documented in README "Exit codes").
enum class ExitCode : int {
  ok = 0,
  failure = 1,  // unexpected internal error
  usage = 2,    // bad command line / config
  data = 3,     // bad or corrupt input file
  io = 4,       // cannot read or write a file
  stopped = 5,  // training stopped early (SIGUSR1/SIGTERM or --stop-after-steps) after a checkpoint; resume it
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, ExitCode code = ExitCode::failure) : std::runtime_error(what), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// A bad command line, config key or value. The message names the flag or key path.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what, ExitCode::usage) {}
};

// Bad content in an input file (shard, manifest, checkpoint...). The message names the file and member.
class DataError : public Error {
 public:
  explicit DataError(const std::string& what) : Error(what, ExitCode::data) {}
};

// The operating system refused a read or write. The message names the path.
class IoError : public Error {
 public:
  explicit IoError(const std::string& what) : Error(what, ExitCode::io) {}
};

// A collective failed, timed out or was called out of order. The message names the rank, the operation,
// its sequence number and size, so the one line logged before MPI_Abort is enough to find the culprit.
class CommError : public Error {
 public:
  explicit CommError(const std::string& what) : Error(what, ExitCode::failure) {}
};

}  // namespace cagcl
