#pragma once
// The rank bootstrap: one Runtime per process, created first thing in `main` and destroyed last.
//   MPI_Init_thread(MPI_THREAD_MULTIPLE) -- the MPI communicator runs its collectives on a worker thread --,
//   rank / world from MPI_COMM_WORLD, local rank / local size from MPI_Comm_split_type(MPI_COMM_TYPE_SHARED),
//   the device (cuda:local_rank when LibTorch sees GPUs, else the CPU with intra-op threads = the CPUs this
//   process may run on (its affinity mask) / the ranks of its node whose masks overlap it), and the Slurm job
//   this process belongs to. Works under `mpirun`, `srun --mpi=pmix`, and as a
//   plain process (MPI singleton: world size 1).
// The destructor calls MPI_Finalize; when it runs during stack unwinding (an exception escaped `main`'s
// body) it calls MPI_Abort instead, because MPI_Finalize would wait for the other ranks forever.
#include <torch/torch.h>

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cagcl {

struct SlurmInfo {
  std::string job_id;  // SLURM_JOB_ID
  // SLURM_PROCID and SLURM_NODEID; Runtime empties both when they are not this rank's own (ranks that mpirun
  // started inherit the ids of mpirun's process or of its daemon: the same for every rank of a node).
  std::string procid;
  std::string nodeid;
  std::string job_nodelist;   // SLURM_JOB_NODELIST
  std::string restart_count;  // SLURM_RESTART_COUNT (requeues)
};

struct RuntimeOptions {
  // Intra-op threads on the CPU; 0 = the CPUs of this process's affinity mask / the ranks of its node whose
  // masks overlap it, at least 1.
  int cpu_threads = 0;
  // Use a GPU when LibTorch has CUDA and sees one.
  bool allow_cuda = true;
};

class Runtime {
 public:
  Runtime(int* argc, char*** argv, const RuntimeOptions& options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  const torch::Device& device() const { return device_; }
  int cpu_threads() const { return cpu_threads_; }
  const std::optional<SlurmInfo>& slurm() const { return slurm_; }
  // The CPUs this process may run on (sched_getaffinity when it started), ascending.
  const std::vector<int>& allowed_cpus() const { return allowed_cpus_; }
  // "rank 1/4 (local 1/2) on node01, device cpu, 2 intra-op threads, CPU affinity 2-3 (2 CPUs), Slurm job 1234
  // procid 1 node 0 of node[01-02] restart 0" (procid and node only where they are this rank's own).
  std::string describe() const;

  // Logs "rank R failed: WHAT" on stderr and ends every rank of the job with MPI_Abort(code).
  [[noreturn]] void abort(const std::string& what, int code = 1) const;

  // Runs `body`; an exception escaping it is logged with the rank and aborts the whole job (non-zero exit,
  // at once, instead of the other ranks hanging in their next collective). Returns body's exit code.
  int run_or_abort(const std::function<int()>& body) const;

 private:
  int rank_ = 0;
  int world_size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  int cpu_threads_ = 1;
  torch::Device device_ = torch::kCPU;
  std::optional<SlurmInfo> slurm_;
  std::vector<int> allowed_cpus_;
  int uncaught_at_start_ = 0;
};

// The cores a rank may use divided among the ranks that share them, at least 1.
int threads_per_rank(int cores, int local_size);

// The CPUs this process may run on (its affinity mask), ascending; all of hardware_concurrency when the mask
// cannot be read.
std::vector<int> allowed_cpus_of_this_process();

// "0-3,8,10-11" (the form of /proc/PID/status's Cpus_allowed_list and of taskset -c); "" for none.
std::string format_cpu_list(const std::vector<int>& cpus);

// Whether SLURM_PROCID and SLURM_NODEID in `env` are this rank's: SLURM_PROCID is its MPI rank and the Slurm step
// has one task per rank (srun --mpi=pmix, or one process in the batch step), and mpirun did not start it
// (OMPI_COMM_WORLD_SIZE: its ranks see the step of mpirun's daemons, one task per node).
bool slurm_ids_are_own(int mpi_rank, int mpi_world_size, const std::function<const char*(const char*)>& env);

// Why the world size the launcher gave this process disagrees with MPI's, or nullopt when it agrees. The first of
// OMPI_COMM_WORLD_SIZE, PMI_SIZE, SLURM_STEP_NUM_TASKS (SLURM_NTASKS inside an srun step) that `env` has is the
// launcher's word; only it is compared (under mpirun in a Slurm job, the Slurm step is mpirun's daemons).
std::optional<std::string> world_size_disagreement(int mpi_world_size,
                                                   const std::function<const char*(const char*)>& env);

// The Slurm values of this process's environment; nullopt outside a Slurm job.
std::optional<SlurmInfo> read_slurm_environment();

}  // namespace cagcl
