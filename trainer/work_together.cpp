#include <torch/torch.h>

#include "trainer/work_together.hpp"

#include <atomic>
#include <exception>
#include <thread>

namespace cagcl::trainer {

void work_together(Communicator& comm, const std::function<void()>& my_share, std::chrono::milliseconds poll) {
  std::atomic<bool> done{false};
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      my_share();
    } catch (...) {
      error = std::current_exception();
    }
    done = true;
  });
  // Joined on every path: a collective below may throw (a peer died), and the worker must not outlive `done`.
  struct Join {
    std::thread& t;
    ~Join() { t.join(); }
  } join{worker};
  const auto options = torch::TensorOptions(torch::kInt).device(comm.device());
  for (;;) {
    // Every rank takes the same number of turns: the loop ends on the all-reduced flag, never on a local one.
    auto all_done = torch::full({1}, done ? 1 : 0, options);
    comm.all_reduce(all_done, ReduceOp::min);
    if (all_done.item<int>() == 1) break;
    std::this_thread::sleep_for(poll);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace cagcl::trainer
