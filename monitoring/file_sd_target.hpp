#pragma once
// This process's entry in a Prometheus file_sd directory: `DIR/cagcl-HOST-PORT.json` holding
// [{"targets": ["HOST:PORT"], "labels": {...}}]. Written atomically (a scraper never reads half a file),
// removed when the object is destroyed, so a rank that exits cleanly leaves the scrape config; a rank that
// is killed leaves its file behind, and Prometheus then reports it as down (`up == 0`). The name is unique
// per live endpoint, so ranks of one job and jobs sharing the directory never write the same file, and a
// requeued rank that gets the same host and port replaces its stale entry.
#include <filesystem>
#include <map>
#include <string>

namespace cagcl::monitoring {

class FileSdTarget {
 public:
  FileSdTarget(const std::filesystem::path& dir, const std::string& host, int port,
               const std::map<std::string, std::string>& labels);
  ~FileSdTarget();
  FileSdTarget(const FileSdTarget&) = delete;
  FileSdTarget& operator=(const FileSdTarget&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // The file's JSON text (a list with one target group).
  static std::string render(const std::string& host, int port, const std::map<std::string, std::string>& labels);

 private:
  std::filesystem::path path_;
};

}  // namespace cagcl::monitoring
