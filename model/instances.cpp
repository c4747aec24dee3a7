#include <torch/torch.h>

#include "model/instances.hpp"

#include <string>

#include "common/error.hpp"

namespace cagcl::model {
namespace {

std::string shape_text(c10::IntArrayRef shape) {
  std::string s = "[";
  for (size_t d = 0; d < shape.size(); ++d) s += (d ? "," : "") + std::to_string(shape[d]);
  return s + "]";
}

std::string shape_of(const torch::Tensor& t) { return t.defined() ? shape_text(t.sizes()) : "undefined"; }

void expect_shape(const torch::Tensor& t, std::vector<int64_t> shape, const char* field) {
  if (!t.defined() || t.sizes() != c10::IntArrayRef(shape))
    throw Error(std::string("intact_instances: ") + field + " has shape " + shape_of(t) + ", expected " +
                shape_text(shape));
}

}  // namespace

Instances intact_instances(const Embeddings& e, const data::Batch& batch) {
  if (!e.v.defined() || e.v.dim() != 3)
    throw Error("intact_instances: embeddings.v has shape " + shape_of(e.v) + ", expected [B,A,E]");
  const int64_t b = e.v.size(0), a = e.v.size(1), dim = e.v.size(2);
  expect_shape(e.t, {b, a, dim}, "embeddings.t");
  expect_shape(batch.intact, {b, a}, "batch.intact");
  expect_shape(batch.normal, {b, a}, "batch.normal");
  expect_shape(batch.text_id, {b, a}, "batch.text_id");
  expect_shape(batch.valid, {b}, "batch.valid");
  const auto device = e.v.device();
  const auto keep =
      (batch.intact.to(device, torch::kBool) & batch.valid.to(device, torch::kBool).unsqueeze(1)).reshape({-1});
  const auto rows = keep.nonzero().squeeze(1);  // ascending: (sample, anatomy) order
  Instances out;
  out.v = e.v.reshape({b * a, dim}).index_select(0, rows);
  out.t = e.t.reshape({b * a, dim}).index_select(0, rows);
  out.anatomy = rows.remainder(a);
  out.normal = batch.normal.to(device, torch::kBool).reshape({-1}).index_select(0, rows);
  out.text_id = batch.text_id.to(device, torch::kLong).reshape({-1}).index_select(0, rows);
  return out;
}

Instances slice_instances(const Instances& all, int64_t begin, int64_t count) {
  return {all.v.narrow(0, begin, count), all.t.narrow(0, begin, count), all.anatomy.narrow(0, begin, count),
          all.normal.narrow(0, begin, count), all.text_id.narrow(0, begin, count)};
}

void check_instances(const Instances& x, const char* what) {
  auto fail = [&](const std::string& field, const std::string& why) {
    throw Error(std::string(what) + ": instances." + field + " " + why);
  };
  if (!x.v.defined() || x.v.dim() != 2) fail("v", "has shape " + shape_of(x.v) + ", expected [n,E]");
  const int64_t n = x.v.size(0);
  if (!x.t.defined() || x.t.sizes() != x.v.sizes())
    fail("t", "has shape " + shape_of(x.t) + ", expected " + shape_of(x.v));
  if (!x.t.is_floating_point() || x.t.scalar_type() != x.v.scalar_type()) fail("t", "must have v's floating dtype");
  auto check_key = [&](const torch::Tensor& k, const char* field, torch::ScalarType type) {
    if (!k.defined() || k.dim() != 1 || k.size(0) != n)
      fail(field, "has shape " + shape_of(k) + ", expected [" + std::to_string(n) + "]");
    if (k.scalar_type() != type) fail(field, std::string("must be ") + c10::toString(type));
    if (k.device() != x.v.device()) fail(field, "must be on v's device");
  };
  check_key(x.anatomy, "anatomy", torch::kLong);
  check_key(x.normal, "normal", torch::kBool);
  check_key(x.text_id, "text_id", torch::kLong);
}

}  // namespace cagcl::model
