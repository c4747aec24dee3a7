#include "data/nifti/nifti_image.hpp"

#include <nifti2_io.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/regular_file.hpp"

namespace cagcl::data::nifti {
namespace {

nifti_image* as_nim(void* p) { return static_cast<nifti_image*>(p); }

Matrix4 from_dmat44(const nifti_dmat44& m) {
  Matrix4 out{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) out[r][c] = m.m[r][c];
  return out;
}

nifti_dmat44 to_dmat44(const Matrix4& m) {
  nifti_dmat44 out{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) out.m[r][c] = m[r][c];
  return out;
}

bool voxel_type_of(int datatype, VoxelType& type) {
  switch (datatype) {
    case NIFTI_TYPE_UINT8: type = VoxelType::u8; return true;
    case NIFTI_TYPE_INT8: type = VoxelType::i8; return true;
    case NIFTI_TYPE_INT16: type = VoxelType::i16; return true;
    case NIFTI_TYPE_UINT16: type = VoxelType::u16; return true;
    case NIFTI_TYPE_INT32: type = VoxelType::i32; return true;
    case NIFTI_TYPE_UINT32: type = VoxelType::u32; return true;
    case NIFTI_TYPE_FLOAT32: type = VoxelType::f32; return true;
    case NIFTI_TYPE_FLOAT64: type = VoxelType::f64; return true;
    default: return false;
  }
}

int datatype_of(VoxelType type) {
  switch (type) {
    case VoxelType::u8: return NIFTI_TYPE_UINT8;
    case VoxelType::i8: return NIFTI_TYPE_INT8;
    case VoxelType::i16: return NIFTI_TYPE_INT16;
    case VoxelType::u16: return NIFTI_TYPE_UINT16;
    case VoxelType::i32: return NIFTI_TYPE_INT32;
    case VoxelType::u32: return NIFTI_TYPE_UINT32;
    case VoxelType::f32: return NIFTI_TYPE_FLOAT32;
    case VoxelType::f64: return NIFTI_TYPE_FLOAT64;
  }
  return 0;
}

size_t bytes_of(VoxelType type) {
  switch (type) {
    case VoxelType::u8:
    case VoxelType::i8: return 1;
    case VoxelType::i16:
    case VoxelType::u16: return 2;
    case VoxelType::i32:
    case VoxelType::u32:
    case VoxelType::f32: return 4;
    case VoxelType::f64: return 8;
  }
  return 0;
}

// What loading the voxels would allocate, checked against what the file can hold and the memory cap; "" when
// it passes. The voxels are read from the image file (the .nii itself, or the .img of a .hdr/.img pair) from
// iname_offset on: a plain file must hold them all, a gzipped one inflates at most kMaxGzipRatio times its size.
std::string data_size_error(const nifti_image* nim, const NiftiHeader& h, const NiftiLimits& limits) {
  const uint64_t bytes = static_cast<uint64_t>(h.voxels()) * bytes_of(h.type);
  if (bytes > limits.max_bytes)
    return fmt::format("{} bytes of voxels exceed the memory cap of {} bytes", bytes, limits.max_bytes);
  std::error_code ec;
  const std::filesystem::path image = nim->iname != nullptr ? nim->iname : nim->fname;
  const uint64_t file_bytes = std::filesystem::file_size(image, ec);
  if (ec) return fmt::format("cannot read the size of the image file {}", image.string());
  const uint64_t offset = nim->iname_offset > 0 ? static_cast<uint64_t>(nim->iname_offset) : 0;
  const bool gz = nifti_is_gzfile(image.c_str()) != 0;
  const uint64_t room = gz ? file_bytes * kMaxGzipRatio : file_bytes;
  if (offset > room || bytes > room - offset) {
    return fmt::format(
        "the header declares {} bytes of voxels, more than the file can hold ({} bytes{}; truncated, corrupt or "
        "hostile file)",
        bytes, file_bytes, gz ? fmt::format(" of gzip inflate to at most {} times that", kMaxGzipRatio) : "");
  }
  return "";
}

// Reads the header through the library and checks it; returns the nifti_image without voxels.
nifti_image* open_checked(const std::filesystem::path& path, const NiftiLimits& limits, NiftiHeader& h) {
  require_regular_file(path);  // before the library opens it: a pipe would block it forever
  nifti_set_debug_level(0);    // the library's own messages would go to stderr; ours name the file instead
  nifti_image* nim = nifti_image_read(path.c_str(), 0);
  if (nim == nullptr) {
    throw DataError(path.string() + ": not a readable NIfTI header (not NIfTI, truncated, or corrupt gzip)");
  }
  auto fail = [&](const std::string& what) {
    nifti_image_free(nim);
    throw DataError(fmt::format("{}: {}", path.string(), what));
  };
  if (nim->ndim < 1 || nim->ndim > 4 || (nim->ndim == 4 && nim->nt != 1)) {
    fail(fmt::format("expected a 3-D volume, found {} dimensions (dim = [{}, {}, {}, {}])", nim->ndim, nim->nx, nim->ny,
                     nim->nz, nim->nt));
  }
  for (int d = 5; d <= 7; ++d) {
    if (nim->dim[0] >= d && nim->dim[d] > 1) fail(fmt::format("dimension {} has size {}, expected 1", d, nim->dim[d]));
  }
  h.dims = {nim->nx, nim->ny, std::max<int64_t>(nim->nz, 1)};
  for (int a = 0; a < 3; ++a) {
    if (h.dims[a] < 1 || h.dims[a] > limits.max_dim)
      fail(fmt::format("dim[{}] = {} is out of [1, {}]", a + 1, h.dims[a], limits.max_dim));
  }
  if (h.voxels() > limits.max_voxels) fail(fmt::format("{} voxels exceed the limit {}", h.voxels(), limits.max_voxels));
  if (!voxel_type_of(nim->datatype, h.type)) {
    fail(fmt::format("unsupported datatype {} ({})", nim->datatype, nifti_datatype_string(nim->datatype)));
  }
  const std::string size_error = data_size_error(nim, h, limits);
  if (!size_error.empty()) fail(size_error);
  h.pixdim = {nim->dx, nim->dy, nim->dz};
  for (int a = 0; a < 3; ++a) {
    if (!std::isfinite(h.pixdim[a]) || h.pixdim[a] <= 0 || h.pixdim[a] > 1000)
      fail(fmt::format("pixdim[{}] = {} is not a spacing in (0, 1000] mm", a + 1, h.pixdim[a]));
  }
  h.scl_slope = std::isfinite(nim->scl_slope) ? nim->scl_slope : 0;
  h.scl_inter = std::isfinite(nim->scl_inter) ? nim->scl_inter : 0;
  h.qform_code = nim->qform_code;
  h.sform_code = nim->sform_code;
  h.qform = from_dmat44(nim->qto_xyz);
  h.sform = from_dmat44(nim->sto_xyz);
  return nim;
}

bool is_gzip_name(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
}

// Inflates the whole file and lets zlib check the CRC-32 and length in the gzip trailer.
void check_gzip_stream(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw IoError(path.string() + ": cannot open");
  std::vector<char> buffer(size_t{1} << 20);
  int err = Z_OK;
  std::string message;
  for (;;) {
    const int n = gzread(f, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (n > 0) continue;
    const char* text = gzerror(f, &err);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) message = text != nullptr ? text : "inflate failed";
    break;
  }
  gzclose(f);
  if (!message.empty()) throw DataError(path.string() + ": corrupt gzip stream (" + message + ")");
}

template <class T>
void widen(const void* src, int64_t n, std::vector<float>& out) {
  const T* p = static_cast<const T*>(src);
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<float>(p[i]);
}

template <class T>
void to_labels(const void* src, int64_t n, std::vector<uint8_t>& out, const std::filesystem::path& path) {
  const T* p = static_cast<const T*>(src);
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(p[i]);
    if (!(v >= 0 && v <= 255) || v != std::floor(v)) {
      throw DataError(fmt::format("{}: voxel {} holds {}, not a label in [0, 255]", path.string(), i, v));
    }
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
  }
}

}  // namespace

Matrix4 identity4() {
  Matrix4 m{};
  for (int i = 0; i < 4; ++i) m[i][i] = 1;
  return m;
}

std::string to_string(VoxelType type) { return nifti_datatype_string(datatype_of(type)); }

Matrix4 NiftiHeader::best_affine(std::string* which) const {
  if (sform_code > 0) {
    if (which) *which = "sform";
    return sform;
  }
  if (qform_code > 0) {
    if (which) *which = "qform";
    return qform;
  }
  if (which) *which = "pixdim";
  Matrix4 m = identity4();
  for (int a = 0; a < 3; ++a) m[a][a] = pixdim[a];
  return m;
}

void NiftiImage::Free::operator()(void* image) const {
  if (image != nullptr) nifti_image_free(as_nim(image));
}

NiftiImage::NiftiImage(NiftiImage&&) noexcept = default;
NiftiImage& NiftiImage::operator=(NiftiImage&&) noexcept = default;
NiftiImage::~NiftiImage() = default;

NiftiHeader NiftiImage::read_header(const std::filesystem::path& path, const NiftiLimits& limits) {
  NiftiHeader h;
  nifti_image_free(open_checked(path, limits, h));
  return h;
}

NiftiImage NiftiImage::read(const std::filesystem::path& path, const NiftiLimits& limits) {
  NiftiImage image;
  image.path_ = path;
  image.image_.reset(open_checked(path, limits, image.header_));
  if (limits.check_gzip_trailer && is_gzip_name(path)) check_gzip_stream(path);
  nifti_image* nim = as_nim(image.image_.get());
  // nvox and nbyper come from the checked dims and datatype, so the allocation below is bounded.
  if (nifti_image_load(nim) != 0 || nim->data == nullptr) {
    throw DataError(path.string() + ": cannot read the voxel data (truncated file or corrupt gzip stream)");
  }
  return image;
}

std::vector<float> NiftiImage::stored_as_float() const {
  const nifti_image* nim = as_nim(image_.get());
  const int64_t n = header_.voxels();
  std::vector<float> out(static_cast<size_t>(n));
  switch (header_.type) {
    case VoxelType::u8: widen<uint8_t>(nim->data, n, out); break;
    case VoxelType::i8: widen<int8_t>(nim->data, n, out); break;
    case VoxelType::i16: widen<int16_t>(nim->data, n, out); break;
    case VoxelType::u16: widen<uint16_t>(nim->data, n, out); break;
    case VoxelType::i32: widen<int32_t>(nim->data, n, out); break;
    case VoxelType::u32: widen<uint32_t>(nim->data, n, out); break;
    case VoxelType::f32: widen<float>(nim->data, n, out); break;
    case VoxelType::f64: widen<double>(nim->data, n, out); break;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(out[static_cast<size_t>(i)]))
      throw DataError(fmt::format("{}: voxel {} is not finite", path_.string(), i));
  }
  return out;
}

std::vector<uint8_t> NiftiImage::as_labels() const {
  const nifti_image* nim = as_nim(image_.get());
  const int64_t n = header_.voxels();
  std::vector<uint8_t> out(static_cast<size_t>(n));
  switch (header_.type) {
    case VoxelType::u8: std::memcpy(out.data(), nim->data, out.size()); break;
    case VoxelType::i8: to_labels<int8_t>(nim->data, n, out, path_); break;
    case VoxelType::i16: to_labels<int16_t>(nim->data, n, out, path_); break;
    case VoxelType::u16: to_labels<uint16_t>(nim->data, n, out, path_); break;
    case VoxelType::i32: to_labels<int32_t>(nim->data, n, out, path_); break;
    case VoxelType::u32: to_labels<uint32_t>(nim->data, n, out, path_); break;
    case VoxelType::f32: to_labels<float>(nim->data, n, out, path_); break;
    case VoxelType::f64: to_labels<double>(nim->data, n, out, path_); break;
  }
  return out;
}

void write_nifti(const std::filesystem::path& path, const NiftiWriteSpec& spec, const void* data) {
  if (spec.type != VoxelType::u8 && spec.type != VoxelType::i16 && spec.type != VoxelType::u16)
    throw UsageError(path.string() + ": write_nifti supports uint8, int16 and uint16 voxels");
  for (int a = 0; a < 3; ++a) {
    if (spec.dims[a] < 1) throw UsageError(fmt::format("{}: dims[{}] = {} < 1", path.string(), a, spec.dims[a]));
  }
  const int64_t dims[8] = {3, spec.dims[0], spec.dims[1], spec.dims[2], 1, 1, 1, 1};
  struct Owner {
    nifti_image* nim;
    ~Owner() { nifti_image_free(nim); }
  } owner{nifti_make_new_nim(dims, datatype_of(spec.type), 0)};
  nifti_image* nim = owner.nim;
  if (nim == nullptr) throw Error(path.string() + ": nifti_make_new_nim failed");
  // nifti_image_free releases `data` with free(), so it must come from malloc.
  const size_t bytes = static_cast<size_t>(spec.dims[0] * spec.dims[1] * spec.dims[2]) * bytes_of(spec.type);
  nim->data = std::malloc(bytes);
  if (nim->data == nullptr) throw Error(path.string() + ": out of memory");
  std::memcpy(nim->data, data, bytes);

  const nifti_dmat44 affine = to_dmat44(spec.affine);
  double qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;
  nifti_dmat44_to_quatern(affine, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
  nim->quatern_b = qb;
  nim->quatern_c = qc;
  nim->quatern_d = qd;
  nim->qoffset_x = qx;
  nim->qoffset_y = qy;
  nim->qoffset_z = qz;
  nim->qfac = qfac;
  nim->dx = nim->pixdim[1] = dx;
  nim->dy = nim->pixdim[2] = dy;
  nim->dz = nim->pixdim[3] = dz;
  nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->sto_xyz = affine;
  nim->xyz_units = NIFTI_UNITS_MM;
  nim->scl_slope = spec.scl_slope;
  nim->scl_inter = spec.scl_inter;
  std::strncpy(nim->descrip, spec.description.c_str(), sizeof(nim->descrip) - 1);
  nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;

  // The library picks gzip from the name, so the temporary keeps the ".nii(.gz)" ending.
  const std::string name = path.filename().string();
  const bool gz = name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
  const std::filesystem::path tmp =
      path.parent_path() / fmt::format(".{}.tmp{}{}", name, static_cast<long>(::getpid()), gz ? ".nii.gz" : ".nii");
  if (nifti_set_filenames(nim, tmp.c_str(), 0, 1) != 0) throw Error(tmp.string() + ": nifti_set_filenames failed");
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  // nifti_image_write reports failures (a short write of the voxels on a full disk) only on stderr, so the file
  // is read back whole, voxels included, and compared before it may take the name.
  nifti_image_write(nim);
  nifti_image* back = std::filesystem::exists(tmp, ec) ? nifti_image_read(tmp.c_str(), 1) : nullptr;
  const bool ok = back != nullptr && back->nvox == nim->nvox && back->nbyper == nim->nbyper && back->data != nullptr &&
                  std::memcmp(back->data, nim->data, bytes) == 0;
  if (back != nullptr) nifti_image_free(back);
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    throw IoError(path.string() + ": writing the NIfTI file failed (disk full or directory not writable?)");
  }
  fsync_path(tmp);
  durable_rename(tmp, path);
}

}  // namespace cagcl::data::nifti
