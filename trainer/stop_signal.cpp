#include "trainer/stop_signal.hpp"

#include "common/subprocess.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace cagcl::trainer {
namespace {

volatile sig_atomic_t g_signal = 0;
struct sigaction g_previous_usr1 {};
struct sigaction g_previous_term {};
std::atomic<bool> g_installed{false};

extern "C" void on_stop_signal(int signal) { g_signal = signal; }

}  // namespace

void install_stop_handlers() {
  if (g_installed.exchange(true)) return;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads and MPI calls go on; the loop looks at the flag
  sigaction(SIGUSR1, &action, &g_previous_usr1);
  sigaction(SIGTERM, &action, &g_previous_term);
}

void uninstall_stop_handlers() {
  if (!g_installed.exchange(false)) return;
  sigaction(SIGUSR1, &g_previous_usr1, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool stop_handlers_installed() { return g_installed.load(); }

int stop_requested() { return g_signal; }
void clear_stop_request() { g_signal = 0; }

int requeue_slurm_job(const std::string& job_id, std::string& error) {
  if (job_id.empty()) {
    error = "not inside a Slurm job (SLURM_JOB_ID is not set)";
    return -1;
  }
  return run_program({"scontrol", "requeue", job_id}, error);
}

}  // namespace cagcl::trainer
