#include "evidence/container.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <utility>

namespace hpki::evidence::zip {
namespace {

constexpr std::string_view kMimetypeName = "mimetype";

// --- libzip handles

struct ZipDiscard {
  void operator()(zip_t* z) const noexcept { zip_discard(z); }
};
struct SourceFree {
  void operator()(zip_source_t* s) const noexcept { zip_source_free(s); }
};
struct FileClose {
  void operator()(zip_file_t* f) const noexcept { zip_fclose(f); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;
using SourcePtr = std::unique_ptr<zip_source_t, SourceFree>;
using FilePtr = std::unique_ptr<zip_file_t, FileClose>;

class ZipError {
 public:
  ZipError() { zip_error_init(&e_); }
  ~ZipError() { zip_error_fini(&e_); }
  ZipError(const ZipError&) = delete;
  ZipError& operator=(const ZipError&) = delete;
  [[nodiscard]] zip_error_t* get() noexcept { return &e_; }
  [[nodiscard]] int code() const noexcept { return zip_error_code_zip(&e_); }
  [[nodiscard]] std::string message() { return zip_error_strerror(&e_); }

 private:
  zip_error_t e_;
};

// An archive over `bytes` (not copied; they must outlive it). The archive and the caller each
// hold a reference to the source, so the source survives zip_close (write() reads it back).
struct Opened {
  SourcePtr source;
  ZipPtr archive;
};

// On failure, `zip_code` is libzip's error code (ZIP_ER_*).
Result<Opened> open_archive(const void* bytes, std::size_t size, int flags, int& zip_code) {
  ZipError err;
  SourcePtr source(zip_source_buffer_create(bytes, size, 0, err.get()));
  if (!source) return fail(ErrorCode::kInternal, "libzip: " + err.message());
  zip_t* z = zip_open_from_source(source.get(), flags, err.get());
  if (z == nullptr) {
    // On failure the source still belongs to us alone.
    zip_code = err.code();
    const ErrorCode code = (flags & ZIP_RDONLY) != 0 ? ErrorCode::kMalformed : ErrorCode::kInternal;
    return fail(code, "not a well-formed ZIP archive: " + err.message());
  }
  zip_source_keep(source.get());
  return Opened{std::move(source), ZipPtr(z)};
}

// --- names

// A member name as it may appear in a message: quoted, control and non-ASCII bytes escaped,
// cut after 100 characters.
std::string shown_name(std::string_view name) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (char c : name) {
    if (shown++ == 100) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string member(std::string_view name) { return "member " + shown_name(name); }

bool allowed_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '/';
}

// Which rule of container.h the name breaks, if any.
std::optional<std::string> name_problem(std::string_view name) {
  if (name.empty()) return "empty name";
  if (name.size() > kMaxNameLength) {
    return "name of " + std::to_string(name.size()) + " bytes, longer than " +
           std::to_string(kMaxNameLength);
  }
  // APPNOTE.TXT 4.4.17.1: no drive letter, no leading slash, forward slashes only.
  if (name.front() == '/') return "absolute path";
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') return "backslash in the name (a path separator on Windows)";
    if (u < 0x20 || u == 0x7f) return "control character in the name";
    if (u >= 0x80) return "non-ASCII byte in the name";
    if (!allowed_char(c)) return std::string("character '") + c + "' not allowed in a name";
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    const std::string_view seg = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty()) return "empty path segment";
    if (seg == ".") return "\".\" path segment";
    if (seg == "..") return "\"..\" path segment (path traversal)";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return std::nullopt;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Names seen so far, compared case-insensitively (an extraction on a case-insensitive file
// system would otherwise let the second overwrite the first).
class NameSet {
 public:
  // The earlier name equal to `name` ignoring case, if any; else records `name`.
  std::optional<std::string> add(std::string_view name) {
    auto [it, inserted] = seen_.emplace(lower_ascii(name), std::string(name));
    if (inserted) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string> seen_;
};

// Checks every name of `members` (the rules and uniqueness), with `code` on failure.
Result<void> check_names(const std::vector<Member>& members, ErrorCode code) {
  NameSet seen;
  for (const Member& m : members) {
    if (auto problem = name_problem(m.name)) return fail(code, member(m.name) + ": " + *problem);
    if (auto earlier = seen.add(m.name)) {
      return fail(code, member(m.name) + ": duplicate of " + shown_name(*earlier) +
                            " (names compare case-insensitively)");
    }
  }
  return {};
}

// --- little-endian fields for the pre-scan

std::uint64_t le(BytesView b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | b[at + i];
  return v;
}

// The end-of-central-directory record, checked before libzip sees the file. libzip, with
// ZIP_CHECKCONS, takes any record within the last 64 KiB whose comment reaches the end of the
// file, reads the central directory of each such candidate and keeps the "best" one; a file with
// several candidates is read differently by different tools (a classic ZIP ambiguity) and costs
// libzip a full central-directory read per candidate. So: exactly one candidate, and it has no
// comment (the record is the last 22 bytes).
//
// Then the members are counted here, because libzip allocates its state for every entry before
// anyone can count them: this walk bounds memory by max_members rather than by the archive's
// size. It follows a ZIP64 locator as libzip does and counts the central-directory headers one by
// one (libzip reads on past the announced count, the Info-ZIP convention for more than 65535
// members). Whatever else is wrong is left to libzip to refuse.
Result<void> check_end_record(BytesView a, std::size_t max_members) {
  constexpr std::size_t kEocd = 22, kLocator = 20, kEocd64 = 56, kCentral = 46;
  auto malformed = [](std::string_view why) {
    return fail(ErrorCode::kMalformed, "not a well-formed ZIP archive: " + std::string(why));
  };
  if (a.size() < kEocd) return malformed("no end-of-central-directory record");
  const std::size_t last = a.size() - kEocd;
  const std::size_t first = last > 0xffff ? last - 0xffff : 0;
  std::optional<std::size_t> found;
  for (std::size_t p = last + 1; p-- > first;) {
    if (le(a, p, 4) != 0x06054b50 || p + kEocd + le(a, p + 20, 2) != a.size()) continue;
    if (found) return malformed("more than one end-of-central-directory record (ambiguous)");
    found = p;
  }
  if (!found) return malformed("no end-of-central-directory record");
  const std::size_t p = *found;
  if (p != last) return malformed("an archive comment (not allowed)");

  std::uint64_t announced = le(a, p + 10, 2);
  std::uint64_t cd_size = le(a, p + 12, 4);
  std::uint64_t cd_offset = le(a, p + 16, 4);
  if (p >= kLocator && le(a, p - kLocator, 4) == 0x07064b50) {
    const std::uint64_t at = le(a, p - kLocator + 8, 8);
    if (a.size() >= kEocd64 && at <= a.size() - kEocd64 && le(a, at, 4) == 0x06064b50) {
      announced = le(a, at + 32, 8);
      cd_size = le(a, at + 40, 8);
      cd_offset = le(a, at + 48, 8);
    }
  }
  auto too_many = [&] {
    return fail(ErrorCode::kTooLarge, "the central directory lists more than the limit of " +
                                          std::to_string(max_members) + " members");
  };
  if (announced > max_members) return too_many();
  if (cd_offset > a.size()) return {};
  const std::uint64_t end = cd_offset + std::min<std::uint64_t>(cd_size, a.size() - cd_offset);
  std::uint64_t at = cd_offset;
  std::size_t count = 0;
  while (at + kCentral <= end && le(a, at, 4) == 0x02014b50) {
    if (++count > max_members) return too_many();
    at += kCentral + le(a, at + 28, 2) + le(a, at + 30, 2) + le(a, at + 32, 2);
  }
  return {};
}

// --- reading

struct Entry {
  std::string name;
  std::uint64_t size = 0;  // announced, uncompressed
};

// Everything the central directory says, checked against the rules and the limits before a
// single byte is decompressed.
Result<std::vector<Entry>> inventory(zip_t* za, const Limits& limits) {
  const zip_int64_t n = zip_get_num_entries(za, 0);
  if (n < 0) return fail(ErrorCode::kInternal, "libzip: no entry count");
  if (static_cast<std::uint64_t>(n) > limits.max_members) {
    return fail(ErrorCode::kTooLarge, std::to_string(n) + " members, more than the limit of " +
                                          std::to_string(limits.max_members));
  }
  if (n == 0) return fail(ErrorCode::kMalformed, "no members: the first must be \"mimetype\"");
  std::vector<Entry> entries;
  entries.reserve(static_cast<std::size_t>(n));
  NameSet seen;
  std::uint64_t total = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(n); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, i, ZIP_FL_ENC_RAW, &st) != 0 || (st.valid & ZIP_STAT_NAME) == 0 ||
        (st.valid & ZIP_STAT_SIZE) == 0 || (st.valid & ZIP_STAT_COMP_METHOD) == 0 ||
        (st.valid & ZIP_STAT_ENCRYPTION_METHOD) == 0) {
      return fail(ErrorCode::kMalformed,
                  "entry " + std::to_string(i) + ": unreadable: " + zip_strerror(za));
    }
    // libzip has turned a NUL inside a name into a space, which the rules refuse as well.
    std::string name = st.name;
    if (auto problem = name_problem(name)) {
      return fail(ErrorCode::kMalformed, member(name) + ": " + *problem);
    }
    if (auto earlier = seen.add(name)) {
      return fail(ErrorCode::kMalformed, member(name) + ": duplicate of " + shown_name(*earlier) +
                                             " (names compare case-insensitively)");
    }
    // APPNOTE.TXT 4.4.4: general purpose bit 0 (and WinZip AES, method 99) mark encryption.
    if (st.encryption_method != ZIP_EM_NONE) {
      return fail(ErrorCode::kMalformed, member(name) + ": encrypted (method " +
                                             std::to_string(st.encryption_method) +
                                             "); members are never encrypted");
    }
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE) {
      return fail(ErrorCode::kMalformed, member(name) + ": compression method " +
                                             std::to_string(st.comp_method) +
                                             " (only 0 stored and 8 deflated are allowed)");
    }
    if (st.size > limits.max_member_size) {
      return fail(ErrorCode::kTooLarge, member(name) + ": announced size of " +
                                            std::to_string(st.size) +
                                            " bytes, more than the member limit of " +
                                            std::to_string(limits.max_member_size));
    }
    total += st.size;  // no overflow: each term is at most max_member_size, checked each time
    if (total > limits.max_total_size) {
      return fail(ErrorCode::kTooLarge,
                  member(name) + ": the announced sizes add up to more than the total limit of " +
                      std::to_string(limits.max_total_size) + " bytes");
    }
    // ETSI EN 319 162-1 A.1: "mimetype" is the first member, stored, not compressed.
    if (i == 0) {
      if (name != kMimetypeName) {
        return fail(ErrorCode::kMalformed,
                    member(name) + ": the first member must be \"mimetype\"");
      }
      if (st.comp_method != ZIP_CM_STORE) {
        return fail(ErrorCode::kMalformed,
                    member(name) + ": compressed; it must be stored (method 0)");
      }
    }
    entries.push_back(Entry{std::move(name), st.size});
  }
  return entries;
}

// Decompresses one member into a buffer never larger than its announced size + 1 byte.
Result<Bytes> read_member(zip_t* za, zip_uint64_t index, const Entry& e) {
  FilePtr f(zip_fopen_index(za, index, 0));
  if (!f) {
    return fail(ErrorCode::kMalformed, member(e.name) + ": cannot open: " + zip_strerror(za));
  }
  const std::uint64_t cap = e.size + 1;  // e.size <= max_member_size, far below 2^64 - 1
  Bytes data(static_cast<std::size_t>(std::min<std::uint64_t>(cap, 64 * 1024)));
  std::size_t got = 0;
  for (;;) {
    if (got == data.size()) {
      if (got == cap) {
        return fail(ErrorCode::kMalformed, member(e.name) +
                                               ": inflates beyond its announced size of " +
                                               std::to_string(e.size) + " bytes (zip bomb)");
      }
      data.resize(static_cast<std::size_t>(std::min<std::uint64_t>(cap, 2 * data.size())));
    }
    const zip_int64_t r = zip_fread(f.get(), data.data() + got, data.size() - got);
    if (r < 0) {
      zip_error_t* err = zip_file_get_error(f.get());
      const int code = zip_error_code_zip(err);
      if (code == ZIP_ER_CRC) {
        return fail(ErrorCode::kMalformed, member(e.name) + ": CRC-32 mismatch");
      }
      if (code == ZIP_ER_INCONS) {
        return fail(ErrorCode::kMalformed, member(e.name) +
                                               ": shorter than its announced size of " +
                                               std::to_string(e.size) + " bytes");
      }
      return fail(ErrorCode::kMalformed,
                  member(e.name) + ": cannot decompress: " + zip_file_strerror(f.get()));
    }
    if (r == 0) break;  // end of data; libzip has checked the CRC and the size
    got += static_cast<std::size_t>(r);
  }
  if (got != e.size) {
    return fail(ErrorCode::kMalformed, member(e.name) + ": shorter than its announced size of " +
                                           std::to_string(e.size) + " bytes");
  }
  data.resize(got);
  return data;
}

// --- extraction

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool ok() const noexcept { return fd_ >= 0; }
  // Closes and reports whether close() succeeded (it can report a failed write).
  [[nodiscard]] bool close() noexcept { return ::close(std::exchange(fd_, -1)) == 0; }

 private:
  int fd_;
};

std::string errno_text(int e) { return std::strerror(e); }

bool is_symlink_at(int parent, const std::string& name) {
  struct stat st {};
  return ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

Result<void> refuse_existing(int parent, const std::string& shown, const std::string& seg, int e) {
  if (is_symlink_at(parent, seg)) {
    return fail(ErrorCode::kPermissionDenied,
                shown + " is a symbolic link; extraction does not follow links");
  }
  if (e == EEXIST) return fail(ErrorCode::kAlreadyExists, shown + " exists; not overwritten");
  if (e == ENOTDIR) return fail(ErrorCode::kAlreadyExists, shown + " exists and is not a folder");
  return fail(ErrorCode::kIo, "cannot open " + shown + ": " + errno_text(e));
}

Result<void> extract_one(int root, const Member& m, const std::filesystem::path& dir) {
  Fd parent(::dup(root));
  if (!parent.ok()) return fail(ErrorCode::kIo, "dup: " + errno_text(errno));
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = m.name.find('/', start);
    const std::string seg =
        m.name.substr(start, slash == std::string::npos ? slash : slash - start);
    const std::string shown = (dir / m.name.substr(0, slash)).string();
    if (slash == std::string::npos) {
      // O_EXCL: never replaces a file, and with O_CREAT never follows a link as the last part.
      Fd out(::openat(parent.get(), seg.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (!out.ok()) return refuse_existing(parent.get(), shown, seg, errno);
      std::size_t done = 0;
      while (done < m.data.size()) {
        const ssize_t w = ::write(out.get(), m.data.data() + done, m.data.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return fail(ErrorCode::kIo, "cannot write " + shown + ": " + errno_text(errno));
        done += static_cast<std::size_t>(w);
      }
      if (!out.close())
        return fail(ErrorCode::kIo, "cannot write " + shown + ": " + errno_text(errno));
      return {};
    }
    if (::mkdirat(parent.get(), seg.c_str(), 0755) != 0 && errno != EEXIST) {
      return fail(ErrorCode::kIo, "cannot create " + shown + ": " + errno_text(errno));
    }
    // O_NOFOLLOW: a folder of the path that is a symbolic link (planted before, or raced in
    // after mkdirat) is refused, not followed out of dir.
    Fd next(::openat(parent.get(), seg.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.ok()) return refuse_existing(parent.get(), shown, seg, errno);
    parent = std::move(next);
    start = slash + 1;
  }
}

}  // namespace

Result<Bytes> write(const std::vector<Member>& members) {
  if (members.empty() || members.front().name != kMimetypeName) {
    return fail(ErrorCode::kInvalidArgument, "the first member must be \"mimetype\"");
  }
  if (as_string(members.front().data) != kMimeType) {
    return fail(ErrorCode::kInvalidArgument,
                "member \"mimetype\" must hold \"" + std::string(kMimeType) + "\"");
  }
  HPKI_TRY(check_names(members, ErrorCode::kInvalidArgument));

  // Every member gets 1980-01-01 00:00:00, the earliest MS-DOS time. libzip converts with
  // localtime(), so the local midnight is what makes the bytes the same in every time zone.
  std::tm epoch{};
  epoch.tm_year = 80;
  epoch.tm_mday = 1;
  epoch.tm_isdst = -1;
  const std::time_t mtime = std::mktime(&epoch);

  int zip_code = 0;
  Opened o = HPKI_TRY(open_archive(nullptr, 0, ZIP_CREATE | ZIP_TRUNCATE, zip_code));
  auto zip_failed = [&](std::string_view what) {
    return fail(ErrorCode::kInternal,
                "libzip: " + std::string(what) + ": " + zip_strerror(o.archive.get()));
  };
  for (std::size_t i = 0; i < members.size(); ++i) {
    const Member& m = members[i];
    zip_source_t* data = zip_source_buffer(o.archive.get(), m.data.data(), m.data.size(), 0);
    if (data == nullptr) return zip_failed(m.name);
    const zip_int64_t idx = zip_file_add(o.archive.get(), m.name.c_str(), data, ZIP_FL_ENC_GUESS);
    if (idx < 0) {
      zip_source_free(data);
      return zip_failed(m.name);
    }
    const auto index = static_cast<zip_uint64_t>(idx);
    // ETSI EN 319 162-1 A.1: "mimetype" is stored, not compressed.
    const zip_int32_t method = i == 0 ? ZIP_CM_STORE : ZIP_CM_DEFLATE;
    if (zip_set_file_compression(o.archive.get(), index, method, 0) != 0 ||
        zip_file_set_mtime(o.archive.get(), index, mtime, 0) != 0 ||
        zip_file_set_external_attributes(o.archive.get(), index, 0, ZIP_OPSYS_UNIX,
                                         0100644u << 16) != 0) {
      return zip_failed(m.name);
    }
  }
  zip_t* z = o.archive.release();
  if (zip_close(z) != 0) {
    std::string why = zip_strerror(z);
    zip_discard(z);
    return fail(ErrorCode::kInternal, "libzip: cannot write the archive: " + why);
  }

  // The finished archive is in the buffer source we kept a reference to.
  zip_source_t* src = o.source.get();
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(src, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0 ||
      zip_source_open(src) != 0) {
    return fail(ErrorCode::kInternal, "libzip: cannot read the archive back");
  }
  Bytes out(static_cast<std::size_t>(st.size));
  std::size_t got = 0;
  while (got < out.size()) {
    const zip_int64_t r = zip_source_read(src, out.data() + got, out.size() - got);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  zip_source_close(src);
  if (got != out.size()) return fail(ErrorCode::kInternal, "libzip: short read of the archive");
  return out;
}

Result<std::vector<Member>> read(BytesView archive, const Limits& limits) {
  if (archive.size() > limits.max_archive_size) {
    return fail(ErrorCode::kTooLarge, "archive of " + std::to_string(archive.size()) +
                                          " bytes, more than the limit of " +
                                          std::to_string(limits.max_archive_size));
  }
  HPKI_TRY(check_end_record(archive, limits.max_members));
  int zip_code = 0;
  auto opened = open_archive(archive.data(), archive.size(), ZIP_CHECKCONS | ZIP_RDONLY, zip_code);
  if (!opened && zip_code == ZIP_ER_EXISTS) {
    // libzip refuses two members of the same name without saying which: name it (the lenient
    // open accepts duplicates; inventory() refuses them, or whatever else comes first).
    auto lenient = open_archive(archive.data(), archive.size(), ZIP_RDONLY, zip_code);
    if (lenient) {
      auto checked = inventory(lenient->archive.get(), limits);
      if (!checked) return fail(std::move(checked).error());
    }
    return fail(ErrorCode::kMalformed, "two members share a name");
  }
  if (!opened) return fail(std::move(opened).error());
  zip_t* za = opened->archive.get();
  std::vector<Entry> entries = HPKI_TRY(inventory(za, limits));

  std::vector<Member> members;
  members.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    Bytes data = HPKI_TRY(read_member(za, i, entries[i]));
    if (i == 0 && as_string(data) != kMimeType) {
      return fail(ErrorCode::kMalformed,
                  member(entries[i].name) + ": does not hold \"" + std::string(kMimeType) + "\"");
    }
    members.push_back(Member{std::move(entries[i].name), std::move(data)});
  }
  return members;
}

Result<void> extract(const std::vector<Member>& members, const std::filesystem::path& dir) {
  // Every name is checked before anything is written.
  HPKI_TRY(check_names(members, ErrorCode::kInvalidArgument));
  Fd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.ok())
    return fail(ErrorCode::kIo, "cannot open " + dir.string() + ": " + errno_text(errno));
  for (const Member& m : members) HPKI_TRY(extract_one(root.get(), m, dir));
  return {};
}

}  // namespace hpki::evidence::zip
