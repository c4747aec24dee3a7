#pragma once
// Stop requests from outside: SIGUSR1 (Slurm's `--signal=USR1@120` before the time limit) and SIGTERM
// (scancel, pre-emption) only set a flag here -- nothing else is safe in a signal handler. The training loop
// reads it at each step boundary and all ranks agree through an all-reduce (a rank that got the signal makes
// everyone stop at the same step), then save a checkpoint and exit with ExitCode::stopped.
#include <string>
#include <vector>

namespace cagcl::trainer {

// Installs the handlers (idempotent); the previous handlers are restored by uninstall_stop_handlers().
void install_stop_handlers();
void uninstall_stop_handlers();
bool stop_handlers_installed();

// The handlers for a scope: the outermost scope installs and, at its end, uninstalls them; inner scopes leave
// them alone. `cagcl train` opens one before the dataset opens (a SIGUSR1 then must not kill the job, its default
// action), and Trainer::run one for the run.
class StopHandlerScope {
 public:
  StopHandlerScope() : owner_(!stop_handlers_installed()) { install_stop_handlers(); }
  ~StopHandlerScope() {
    if (owner_) uninstall_stop_handlers();
  }
  StopHandlerScope(const StopHandlerScope&) = delete;
  StopHandlerScope& operator=(const StopHandlerScope&) = delete;

 private:
  bool owner_;
};

// The signal that arrived (SIGUSR1 / SIGTERM), or 0.
int stop_requested();
// Forgets a request (tests).
void clear_stop_request();

// `scontrol requeue JOB_ID` through common/subprocess.hpp's run_program (no shell, so the job id cannot inject
// anything); `scontrol` is looked up in PATH. Returns the command's exit status; -1 and a message in `error`
// when it could not be started.
int requeue_slurm_job(const std::string& job_id, std::string& error);

}  // namespace cagcl::trainer
