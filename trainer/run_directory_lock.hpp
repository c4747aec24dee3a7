#pragma once
// One job per run directory: rank 0 holds a POSIX record lock on RUN/.lock for the whole run. Two jobs with the
// same --out (or `srun` without PMI starting N "rank 0 of 1" processes) would otherwise prune and overwrite each
// other's checkpoints. The lock goes with the process (kill -9 included), so a stale lock file never blocks a
// resume; fcntl locks, unlike flock, also work across NFS and Lustre clients.
#include <filesystem>

namespace cagcl::trainer {

class RunDirectoryLock {
 public:
  // Creates RUN/.lock when missing and locks it; UsageError naming the directory and the holder (pid and host
  // written in the file) when another process holds it. IoError when the file cannot be created.
  explicit RunDirectoryLock(const std::filesystem::path& run_dir);
  ~RunDirectoryLock();
  RunDirectoryLock(const RunDirectoryLock&) = delete;
  RunDirectoryLock& operator=(const RunDirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cagcl::trainer
