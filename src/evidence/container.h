// The ZIP container of an evidence package (issue 21; docs/evidence.md "Container").
//
// An evidence package is a ZIP file in the spirit of ASiC-E (ETSI EN 319 162-1): the first
// member is `mimetype`, stored (not compressed), holding kMimeType; every other member is
// deflated. Names are relative paths of ASCII letters, digits and "._-/" without empty, "." or
// ".." segments, at most kMaxNameLength bytes; no two members share a name (compared
// case-insensitively, so that an extraction on a case-insensitive file system cannot overwrite).
//
// Reading is the attack surface (a package comes from anywhere): read() takes the whole file in
// memory, refuses it before decompressing anything when the central directory announces more
// than the limits allow, and decompresses each member with a hard bound (a member that inflates
// beyond its announced size, or beyond the limits, is refused: zip bombs), checks every CRC, and
// never touches the file system. extract() writes members only below the given folder.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::evidence::zip {

inline constexpr std::string_view kMimeType = "application/vnd.hpki.evidence+zip";
inline constexpr std::size_t kMaxNameLength = 255;

struct Limits {
  std::size_t max_archive_size = 192u * 1024 * 1024;  // the ZIP file itself
  std::size_t max_members = 4096;
  std::size_t max_member_size = 96u * 1024 * 1024;  // one member, uncompressed
  std::size_t max_total_size = 256u * 1024 * 1024;  // all members, uncompressed
};

struct Member {
  std::string name;
  Bytes data;
};

// kInvalidArgument for a bad or duplicate name, or when the first member is not `mimetype`
// holding kMimeType. Deterministic: the same members give the same bytes (fixed timestamps,
// 1980-01-01 00:00 in every time zone; no extra fields; the same zlib).
[[nodiscard]] Result<Bytes> write(const std::vector<Member>& members);

// The members in the archive's order. kTooLarge beyond a limit, kMalformed for anything that is
// not a well-formed ZIP of the rules above (the message names the member and the rule).
[[nodiscard]] Result<std::vector<Member>> read(BytesView archive, const Limits& limits = {});

// Writes each member to dir/name (creating sub-folders; dir must exist). Refuses (kInvalidArgument)
// names that are not valid by the rules above, all of them checked before anything is written;
// never follows a symbolic link found under dir (kPermissionDenied) and never replaces an
// existing file (kAlreadyExists); kIo when the file system fails. After such a failure, the
// members written before it stay: extract into a fresh folder.
[[nodiscard]] Result<void> extract(const std::vector<Member>& members,
                                   const std::filesystem::path& dir);

}  // namespace hpki::evidence::zip
