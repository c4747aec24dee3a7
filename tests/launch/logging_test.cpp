#include "launch/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"

namespace cagcl {

TEST(Logging, EveryLineInTheLogFileCarriesTheRank) {
  const auto path = std::filesystem::temp_directory_path() / "cagcl_logging_test.log";
  std::filesystem::remove(path);
  init_logging({"debug", path.string(), 3, 4});
  spdlog::debug("hello from a test");
  spdlog::default_logger()->flush();
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("[rank 3/4]"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("hello from a test"), std::string::npos);
  init_logging({});
  std::filesystem::remove(path);
}

TEST(Logging, UnknownLevelNamesTheFlag) {
  try {
    init_logging({"loud", "", 0, 1});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--log-level 'loud'"), std::string::npos) << e.what();
  }
}

}  // namespace cagcl
