#include <torch/torch.h>

#include "launch/runtime.hpp"

#include <mpi.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "common/error.hpp"

namespace cagcl {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "?";
  return name;
}

// How many ranks of this node (`node`: its shared-memory communicator) may run on a CPU of `cpus`, this rank
// included. Where the launcher binds each rank to its own cores, only itself; where it binds none, all the
// node's ranks (they share the node, or under mpirun --bind-to none the job's CPUs on it).
int ranks_sharing_cpus(MPI_Comm node, const std::vector<int>& cpus) {
  int highest = cpus.empty() ? 0 : cpus.back();
  int highest_on_node = 0;
  MPI_Allreduce(&highest, &highest_on_node, 1, MPI_INT, MPI_MAX, node);
  const int words = highest_on_node / 64 + 1;
  std::vector<std::uint64_t> mine(static_cast<size_t>(words), 0);
  for (int cpu : cpus) mine[static_cast<size_t>(cpu / 64)] |= std::uint64_t{1} << (cpu % 64);
  int size = 1;
  MPI_Comm_size(node, &size);
  std::vector<std::uint64_t> all(static_cast<size_t>(words) * static_cast<size_t>(size));
  MPI_Allgather(mine.data(), words, MPI_UINT64_T, all.data(), words, MPI_UINT64_T, node);
  int sharing = 0;
  for (int r = 0; r < size; ++r) {
    bool overlaps = false;
    for (int w = 0; w < words; ++w)
      overlaps = overlaps || (all[static_cast<size_t>(r) * static_cast<size_t>(words) + static_cast<size_t>(w)] &
                              mine[static_cast<size_t>(w)]) != 0;
    if (overlaps) ++sharing;
  }
  return std::max(1, sharing);
}

}  // namespace

std::vector<int> allowed_cpus_of_this_process() {
  const long configured = sysconf(_SC_NPROCESSORS_CONF);
  const size_t sets = static_cast<size_t>(std::max<long>(configured, CPU_SETSIZE) / CPU_SETSIZE + 1);
  std::vector<cpu_set_t> mask(sets);  // contiguous: one mask of sets * CPU_SETSIZE bits
  const size_t bytes = sets * sizeof(cpu_set_t);
  std::vector<int> cpus;
  if (sched_getaffinity(0, bytes, mask.data()) == 0) {
    for (int cpu = 0; cpu < static_cast<int>(sets * CPU_SETSIZE); ++cpu)
      if (CPU_ISSET_S(cpu, bytes, mask.data())) cpus.push_back(cpu);
  }
  if (cpus.empty())
    for (int cpu = 0; cpu < static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); ++cpu)
      cpus.push_back(cpu);
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string text;
  for (size_t i = 0; i < cpus.size();) {
    size_t last = i;
    while (last + 1 < cpus.size() && cpus[last + 1] == cpus[last] + 1) ++last;
    if (!text.empty()) text += ",";
    text += std::to_string(cpus[i]);
    if (last > i) text += "-" + std::to_string(cpus[last]);
    i = last + 1;
  }
  return text;
}

bool slurm_ids_are_own(int mpi_rank, int mpi_world_size, const std::function<const char*(const char*)>& env) {
  if (env("OMPI_COMM_WORLD_SIZE")) return false;  // started by mpirun
  const char* procid = env("SLURM_PROCID");
  if (!procid || std::to_string(mpi_rank) != procid) return false;
  // Inside a step (srun) its tasks are the ranks; outside one only the batch script's own process is task 0.
  const char* step_tasks = env("SLURM_STEP_NUM_TASKS");
  return step_tasks ? std::to_string(mpi_world_size) == step_tasks : mpi_world_size == 1;
}

int threads_per_rank(int cores, int local_size) { return std::max(1, cores / std::max(1, local_size)); }

std::optional<std::string> world_size_disagreement(int mpi_world_size,
                                                   const std::function<const char*(const char*)>& env) {
  const char* name = nullptr;
  for (const char* candidate : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"})
    if (env(candidate)) {
      name = candidate;
      break;
    }
  if (!name && env("SLURM_STEP_ID") && env("SLURM_NTASKS")) name = "SLURM_NTASKS";
  if (!name) return std::nullopt;
  const std::string value = env(name);
  char* end = nullptr;
  const long tasks = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || tasks <= 0 || tasks == mpi_world_size) return std::nullopt;
  return "MPI sees " + std::to_string(mpi_world_size) + " rank(s) but " + name + "=" + value +
         " says this process is one of " + value + " tasks: the launcher started the tasks without connecting " +
         "them (e.g. srun without --mpi=pmix), so each would train alone and they would overwrite each other's " +
         "run directory. Launch with `srun --mpi=pmix` or `mpirun` (docs/distributed.md)";
}

std::optional<SlurmInfo> read_slurm_environment() {
  if (!std::getenv("SLURM_JOB_ID")) return std::nullopt;
  return SlurmInfo{env_or_empty("SLURM_JOB_ID"), env_or_empty("SLURM_PROCID"), env_or_empty("SLURM_NODEID"),
                   env_or_empty("SLURM_JOB_NODELIST"), env_or_empty("SLURM_RESTART_COUNT")};
}

Runtime::Runtime(int* argc, char*** argv, const RuntimeOptions& options)
    : uncaught_at_start_(std::uncaught_exceptions()) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) throw Error("Runtime: MPI is already initialised; create exactly one Runtime per process");
  int provided = 0;
  // MULTIPLE: MpiCommunicator runs collectives on its own thread, and NCCL's bootstrap may use a second one.
  if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
    throw Error("Runtime: MPI_Init_thread failed");
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size_);
  if (const auto why = world_size_disagreement(world_size_, [](const char* name) { return std::getenv(name); }))
    abort(*why, static_cast<int>(ExitCode::usage));
  if (provided < MPI_THREAD_MULTIPLE) {
    const std::string what = "Runtime: MPI provides thread level " + std::to_string(provided) +
                             ", the MPI communicator needs MPI_THREAD_MULTIPLE (" +
                             std::to_string(MPI_THREAD_MULTIPLE) + ")";
    abort(what, static_cast<int>(ExitCode::failure));
  }

  // Ranks sharing a node (shared memory) decide the GPU index and the CPU-thread budget.
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_size(node, &local_size_);
  allowed_cpus_ = allowed_cpus_of_this_process();
  const int sharing = ranks_sharing_cpus(node, allowed_cpus_);
  MPI_Comm_free(&node);

  slurm_ = read_slurm_environment();
  if (slurm_ && !slurm_ids_are_own(rank_, world_size_, [](const char* name) { return std::getenv(name); })) {
    slurm_->procid.clear();
    slurm_->nodeid.clear();
  }

  if (options.allow_cuda && torch::cuda::is_available() && torch::cuda::device_count() > 0) {
    device_ = torch::Device(torch::kCUDA,
                            static_cast<c10::DeviceIndex>(local_rank_ % static_cast<int>(torch::cuda::device_count())));
    cpu_threads_ = at::get_num_threads();
  } else {
    device_ = torch::kCPU;
    // Without this every rank starts one thread per core of the node: local_size x oversubscribed where the
    // ranks share the node, and more threads than cores where the launcher bound each rank to a few.
    const int cpus = static_cast<int>(allowed_cpus_.size());
    cpu_threads_ = options.cpu_threads > 0 ? options.cpu_threads : threads_per_rank(cpus, sharing);
    at::set_num_threads(cpu_threads_);
  }
}

Runtime::~Runtime() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    // Unwinding: the other ranks may sit in a collective that this rank will never join.
    std::cerr << "[rank " << rank_ << "/" << world_size_ << "] exception escaped; aborting the job" << std::endl;
    MPI_Abort(MPI_COMM_WORLD, static_cast<int>(ExitCode::failure));
  }
  MPI_Finalize();
}

std::string Runtime::describe() const {
  std::string text = "rank " + std::to_string(rank_) + "/" + std::to_string(world_size_) + " (local " +
                     std::to_string(local_rank_) + "/" + std::to_string(local_size_) + ") on " + host_name() +
                     ", device " + device_.str() + ", " + std::to_string(cpu_threads_) + " intra-op threads" +
                     ", CPU affinity " + format_cpu_list(allowed_cpus_) + " (" + std::to_string(allowed_cpus_.size()) +
                     (allowed_cpus_.size() == 1 ? " CPU)" : " CPUs)");
  if (slurm_) {
    text += ", Slurm job " + slurm_->job_id;
    if (!slurm_->procid.empty()) text += " procid " + slurm_->procid + " node " + slurm_->nodeid;
    text += " of " + slurm_->job_nodelist + " restart " + (slurm_->restart_count.empty() ? "0" : slurm_->restart_count);
  }
  return text;
}

void Runtime::abort(const std::string& what, int code) const {
  // stderr directly: the logger may not be set up, and this line must get out before MPI_Abort kills us.
  std::cerr << "[rank " << rank_ << "/" << world_size_ << "] [error] rank " << rank_ << " failed: " << what
            << "; aborting the job" << std::endl;
  MPI_Abort(MPI_COMM_WORLD, code == 0 ? 1 : code);
  std::_Exit(code == 0 ? 1 : code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

int Runtime::run_or_abort(const std::function<int()>& body) const {
  try {
    return body();
  } catch (const Error& e) {
    abort(e.what(), static_cast<int>(e.code()));
  } catch (const std::exception& e) {
    abort(std::string("internal error: ") + e.what(), static_cast<int>(ExitCode::failure));
  } catch (...) {
    abort("unknown exception", static_cast<int>(ExitCode::failure));
  }
}

}  // namespace cagcl
