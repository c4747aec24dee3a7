#pragma once
// For harnesses whose target takes a path: the input bytes as a file in a directory of this process's own
// (/dev/shm/cagcl-fuzz-<tag>-<pid>/, or under /tmp without /dev/shm), removed again when the object goes out
// of scope (also when the target throws). Per process, so parallel fuzzing jobs (-jobs, -fork) do not
// overwrite each other's input. On tmpfs because creating and deleting a directory and a file per input on
// ext4 took ~40 % of the checkpoint_manifest harness's time.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace cagcl::fuzz {

class InputFile {
 public:
  InputFile(const std::string& tag, const std::string& file_name, const uint8_t* data, size_t size)
      : dir_(base_dir() / ("cagcl-fuzz-" + tag + "-" + std::to_string(::getpid()))), path_(dir_ / file_name) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (ec || !out) {  // the machine, not the input, is at fault: stop rather than report false findings
      std::fprintf(stderr, "cannot write the fuzz input %s\n", path_.c_str());
      std::abort();
    }
  }
  ~InputFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  static const std::filesystem::path& base_dir() {
    static const std::filesystem::path base = [] {
      std::error_code ec;
      return std::filesystem::path(std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp");
    }();
    return base;
  }

  std::filesystem::path dir_;
  std::filesystem::path path_;
};

}  // namespace cagcl::fuzz
