#include <torch/torch.h>

#include "trainer/collective_strings.hpp"

#include <algorithm>
#include <cstring>

#include "trainer/work_together.hpp"

namespace cagcl::trainer {

std::vector<std::string> all_gather_strings(Communicator& comm, const std::string& mine) {
  const auto device = comm.device();
  auto length = torch::tensor({static_cast<int64_t>(mine.size())}, torch::TensorOptions(torch::kLong).device(device));
  const auto lengths = comm.all_gather(length).to(torch::kCPU);
  int64_t longest = 1;
  for (int r = 0; r < comm.size(); ++r) longest = std::max(longest, lengths[r].item<int64_t>());
  auto bytes = torch::zeros({longest}, torch::kUInt8);
  if (!mine.empty()) std::memcpy(bytes.data_ptr<uint8_t>(), mine.data(), mine.size());
  const auto all = comm.all_gather(bytes.to(device)).to(torch::kCPU).contiguous();
  std::vector<std::string> out;
  const auto* data = all.data_ptr<uint8_t>();
  for (int r = 0; r < comm.size(); ++r)
    out.emplace_back(reinterpret_cast<const char*>(data + r * longest),
                     static_cast<size_t>(lengths[r].item<int64_t>()));
  return out;
}

std::string broadcast_string(Communicator& comm, const std::string& value, int root) {
  const auto device = comm.device();
  auto length = torch::tensor({static_cast<int64_t>(value.size())}, torch::TensorOptions(torch::kLong).device(device));
  comm.broadcast(length, root);
  const int64_t n = length.to(torch::kCPU).item<int64_t>();
  auto bytes = torch::zeros({std::max<int64_t>(1, n)}, torch::kUInt8);
  if (comm.rank() == root && n > 0) std::memcpy(bytes.data_ptr<uint8_t>(), value.data(), value.size());
  auto on_device = bytes.to(device);
  comm.broadcast(on_device, root);
  const auto back = on_device.to(torch::kCPU).contiguous();
  return std::string(reinterpret_cast<const char*>(back.data_ptr<uint8_t>()), static_cast<size_t>(n));
}

std::string broadcast_string_from(Communicator& comm, int root, const std::function<std::string()>& compute) {
  std::string value;
  work_together(comm, [&] {
    if (comm.rank() == root) value = compute();
  });
  return broadcast_string(comm, value, root);
}

}  // namespace cagcl::trainer
