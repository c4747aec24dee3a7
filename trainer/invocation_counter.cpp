#include "trainer/invocation_counter.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace cagcl::trainer {
namespace {

// The number in `text` ("3\n"); 0 when it is not one positive integer alone.
int64_t parse_count(const std::string& text) {
  std::istringstream in(text);
  int64_t count = 0;
  std::string rest;
  if (!(in >> count) || count < 1 || (in >> rest)) return 0;
  return count;
}

}  // namespace

int64_t next_invocation(const std::filesystem::path& run_dir) {
  const auto path = run_dir / kInvocationFileName;
  int64_t previous = 0;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path);
    if (!in) throw IoError(path.string() + ": cannot read the invocation counter: " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    previous = parse_count(text.str());
    // A damaged counter must not silently restart at 1: readers would mix two invocations' steps.
    if (previous == 0)
      throw DataError(path.string() +
                      ": expected the number of the last `cagcl train` invocation (a positive "
                      "integer), found '" +
                      text.str().substr(0, 40) + "'; write the highest \"invocation\" of metrics.jsonl into it");
  } else if (ec) {
    throw IoError(path.string() + ": cannot check the invocation counter: " + ec.message());
  }
  write_file_atomically(path, std::to_string(previous + 1) + "\n");
  return previous + 1;
}

}  // namespace cagcl::trainer
