#include "data/npz/npz_archive.hpp"

#include <zip.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/regular_file.hpp"

namespace cagcl::data::npz {
namespace {

constexpr const char* kSuffix = ".npy";

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

struct FileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

// The member's declared size is what the buffer below is allocated with, so it is checked first against what
// the member's bytes in the file can hold: a stored member exactly its compressed bytes, a deflated one at most
// kMaxDeflateRatio times them; and against the memory cap of the limits (the largest array they allow plus a
// generous header). A few bytes of zip can otherwise ask for gigabytes.
void check_declared_size(const zip_stat_t& st, const std::string& origin, const NpyLimits& limits) {
  const bool stored = st.comp_method == ZIP_CM_STORE;
  // Other methods (bzip2, xz, zstd) expand far more than deflate; NumPy never writes them.
  if (!stored && st.comp_method != ZIP_CM_DEFLATE)
    throw DataError(fmt::format("{}: compression method {} is neither stored nor deflate (np.savez writes only those)",
                                origin, st.comp_method));
  if (stored && st.size != st.comp_size) {
    throw DataError(fmt::format("{}: declares {} bytes, but a stored member holds exactly its {} compressed bytes",
                                origin, st.size, st.comp_size));
  }
  if (st.size / kMaxDeflateRatio > st.comp_size) {
    throw DataError(
        fmt::format("{}: declares {} bytes, more than its {} compressed bytes can inflate to (deflate "
                    "reaches at most {}:1; corrupt or hostile archive)",
                    origin, st.size, st.comp_size, kMaxDeflateRatio));
  }
  const uint64_t max_bytes =
      std::min(limits.max_bytes, static_cast<uint64_t>(limits.max_elements) * 8) + limits.max_header_bytes + 16;
  if (st.size > max_bytes)
    throw DataError(fmt::format("{}: {} bytes exceed the limit of {}", origin, st.size, max_bytes));
}

}  // namespace

void NpzArchive::Close::operator()(void* archive) const { zip_discard(static_cast<zip_t*>(archive)); }

NpzArchive::NpzArchive(NpzArchive&&) noexcept = default;
NpzArchive& NpzArchive::operator=(NpzArchive&&) noexcept = default;
NpzArchive::~NpzArchive() = default;

NpzArchive NpzArchive::open(const std::filesystem::path& path) {
  require_regular_file(path);  // before zip_open: a pipe would block it forever
  int code = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (z == nullptr)
    throw DataError(fmt::format("{}: not a readable .npz (zip) archive: {}", path.string(), zip_error_text(code)));
  NpzArchive a;
  a.path_ = path;
  a.zip_.reset(z);
  return a;
}

std::vector<std::string> NpzArchive::array_names() const {
  auto* z = static_cast<zip_t*>(zip_.get());
  std::vector<std::string> names;
  const zip_int64_t n = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(z, static_cast<zip_uint64_t>(i), 0);
    if (name == nullptr) continue;
    std::string s = name;
    const std::string suffix = kSuffix;
    if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(s.substr(0, s.size() - suffix.size()));
  }
  return names;
}

NpyArray NpzArchive::read(const std::string& array, const NpyLimits& limits) const {
  auto* z = static_cast<zip_t*>(zip_.get());
  const std::string member = array + kSuffix;
  const std::string origin = fmt::format("{}: array '{}'", path_.string(), array);
  const zip_int64_t index = zip_name_locate(z, member.c_str(), 0);
  if (index < 0) {
    const auto names = array_names();
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw DataError(fmt::format("{}: no array '{}' (the archive holds: {})", path_.string(), array,
                                list.empty() ? "nothing" : list));
  }
  zip_stat_t st;
  zip_stat_init(&st);
  const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
  if (zip_stat_index(z, static_cast<zip_uint64_t>(index), 0, &st) != 0 || (st.valid & need) != need)
    throw DataError(origin + ": cannot read its size: " + zip_strerror(z));
  check_declared_size(st, origin, limits);
  std::unique_ptr<zip_file_t, FileCloser> file(zip_fopen_index(z, static_cast<zip_uint64_t>(index), 0));
  if (!file) throw DataError(origin + ": cannot open: " + zip_strerror(z));
  std::string bytes(static_cast<size_t>(st.size), '\0');
  zip_uint64_t done = 0;
  while (done < st.size) {
    const zip_int64_t got = zip_fread(file.get(), bytes.data() + done, st.size - done);
    if (got < 0) throw DataError(fmt::format("{}: corrupt data: {}", origin, zip_file_strerror(file.get())));
    if (got == 0) throw DataError(fmt::format("{}: truncated ({} of {} bytes)", origin, done, st.size));
    done += static_cast<zip_uint64_t>(got);
  }
  // Reading past the end is where libzip compares the CRC-32 and finds data beyond the declared size.
  char extra = 0;
  const zip_int64_t tail = zip_fread(file.get(), &extra, 1);
  if (tail != 0) {
    throw DataError(fmt::format("{}: {}", origin,
                                tail < 0 ? "corrupt data: " + std::string(zip_file_strerror(file.get()))
                                         : std::string("more data than its declared size")));
  }
  return parse_npy(bytes, origin, limits);
}

void write_npz(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& arrays,
               bool compress) {
  const std::filesystem::path temp = path.string() + ".partial";
  int code = 0;
  std::unique_ptr<zip_t, void (*)(zip_t*)> z(zip_open(temp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code),
                                             [](zip_t* p) { zip_discard(p); });
  if (!z) throw IoError(fmt::format("{}: cannot create: {}", temp.string(), zip_error_text(code)));
  for (const auto& [name, bytes] : arrays) {
    // libzip reads the buffer at zip_close, while `arrays` is still alive; it must not free it.
    zip_source_t* source = zip_source_buffer(z.get(), bytes.data(), bytes.size(), 0);
    if (source == nullptr) throw IoError(temp.string() + ": " + zip_strerror(z.get()));
    const zip_int64_t index =
        zip_file_add(z.get(), (name + kSuffix).c_str(), source, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      throw IoError(temp.string() + ": " + zip_strerror(z.get()));
    }
    if (zip_set_file_compression(z.get(), static_cast<zip_uint64_t>(index), compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                                 0) != 0)
      throw IoError(temp.string() + ": " + zip_strerror(z.get()));
  }
  if (zip_close(z.get()) != 0) throw IoError(temp.string() + ": cannot write: " + zip_strerror(z.get()));
  z.release();  // zip_close freed it
  fsync_path(temp);
  durable_rename(temp, path);
}

}  // namespace cagcl::data::npz
