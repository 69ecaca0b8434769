// The ZIP container of evidence packages (evidence/container.h): round trips, deterministic
// bytes, Info-ZIP's unzip reading what write() makes, hostile archives built byte by byte here
// (APPNOTE.TXT 4.3 layout, deflate data from zlib), and extraction that stays inside its folder.
#include "evidence/container.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/test_util.h"

namespace hpki::evidence::zip {
namespace {

using hpki::test::read_file;
using hpki::test::run;
using hpki::test::TempDir;
using hpki::test::write_file;
namespace fs = std::filesystem;

constexpr std::size_t kMiB = 1024 * 1024;

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

// --- a ZIP written byte by byte, so that a test can make it say anything

void put16(Bytes& b, std::uint64_t v) {
  for (int i = 0; i < 2; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put32(Bytes& b, std::uint64_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
std::uint32_t get16(BytesView b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t get32(BytesView b, std::size_t at) { return get16(b, at) | (get16(b, at + 2) << 16); }

struct Raw {
  std::string name;
  std::uint16_t method = 0;  // 0 stored, 8 deflated
  std::uint16_t flags = 0;   // general purpose bit flag
  Bytes payload{};           // the bytes as stored in the archive
  std::uint32_t crc = 0;
  std::uint32_t size = 0;                   // the announced uncompressed size
  std::optional<std::string> local_name{};  // the local header's name, if it differs
};

std::uint32_t crc_of(BytesView data) {
  return static_cast<std::uint32_t>(::crc32(0, data.data(), static_cast<uInt>(data.size())));
}

Raw stored(std::string name, Bytes data) {
  Raw r{.name = std::move(name),
        .crc = crc_of(data),
        .size = static_cast<std::uint32_t>(data.size())};
  r.payload = std::move(data);
  return r;
}

// Raw deflate (RFC 1951, no zlib wrapper) of `chunk` repeated `times`.
Bytes deflate_repeated(BytesView chunk, std::size_t times, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  Bytes out;
  std::vector<std::uint8_t> buf(64 * 1024);
  for (std::size_t i = 0; i <= times; ++i) {
    const bool last = i == times;
    z.next_in = const_cast<Bytef*>(chunk.data());
    z.avail_in = last ? 0 : static_cast<uInt>(chunk.size());
    int rc;
    do {
      z.next_out = buf.data();
      z.avail_out = static_cast<uInt>(buf.size());
      rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      out.insert(out.end(), buf.data(), buf.data() + (buf.size() - z.avail_out));
    } while (z.avail_out == 0 || (last && rc != Z_STREAM_END));
  }
  deflateEnd(&z);
  return out;
}

Raw deflated(std::string name, const Bytes& data, int level = Z_DEFAULT_COMPRESSION) {
  return Raw{.name = std::move(name),
             .method = 8,
             .payload = deflate_repeated(data, 1, level),
             .crc = crc_of(data),
             .size = static_cast<std::uint32_t>(data.size())};
}

Raw mimetype_raw() { return stored("mimetype", to_bytes(kMimeType)); }

// Local headers and data, central directory, end record (APPNOTE.TXT 4.3.6). `count` overrides
// the number of entries the end record announces.
Bytes build(const std::vector<Raw>& entries, std::optional<std::uint16_t> count = {}) {
  Bytes out, cd;
  for (const Raw& e : entries) {
    const std::string& local = e.local_name ? *e.local_name : e.name;
    const std::size_t offset = out.size();
    put32(out, 0x04034b50);
    put16(out, 20);
    put16(out, e.flags);
    put16(out, e.method);
    put16(out, 0);     // time 00:00
    put16(out, 0x21);  // date 1980-01-01
    put32(out, e.crc);
    put32(out, e.payload.size());
    put32(out, e.size);
    put16(out, local.size());
    put16(out, 0);
    put(out, local);
    out.insert(out.end(), e.payload.begin(), e.payload.end());

    put32(cd, 0x02014b50);
    put16(cd, 20);
    put16(cd, 20);
    put16(cd, e.flags);
    put16(cd, e.method);
    put16(cd, 0);
    put16(cd, 0x21);
    put32(cd, e.crc);
    put32(cd, e.payload.size());
    put32(cd, e.size);
    put16(cd, e.name.size());
    put16(cd, 0);  // extra field
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);  // internal attributes
    put32(cd, 0);  // external attributes
    put32(cd, offset);
    put(cd, e.name);
  }
  const std::size_t cd_offset = out.size();
  out.insert(out.end(), cd.begin(), cd.end());
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, count.value_or(static_cast<std::uint16_t>(entries.size())));
  put16(out, count.value_or(static_cast<std::uint16_t>(entries.size())));
  put32(out, cd.size());
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

// What the central directory of `zip` says about each member.
struct Listed {
  std::string name;
  std::uint32_t flags, method, time, date, extra_len, comment_len, local_offset;
};
std::vector<Listed> central(BytesView zip) {
  const std::size_t eocd = zip.size() - 22;
  EXPECT_EQ(get32(zip, eocd), 0x06054b50u);
  std::vector<Listed> out;
  std::size_t at = get32(zip, eocd + 16);
  for (std::uint32_t i = 0; i < get16(zip, eocd + 10); ++i) {
    EXPECT_EQ(get32(zip, at), 0x02014b50u);
    const std::uint32_t n = get16(zip, at + 28), m = get16(zip, at + 30), k = get16(zip, at + 32);
    out.push_back({std::string(as_string(zip.subspan(at + 46, n))), get16(zip, at + 8),
                   get16(zip, at + 10), get16(zip, at + 12), get16(zip, at + 14), m, k,
                   get32(zip, at + 42)});
    at += 46 + n + m + k;
  }
  return out;
}

std::vector<Member> sample() {
  Bytes binary(70000);
  for (std::size_t i = 0; i < binary.size(); ++i)
    binary[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  return {
      {"mimetype", to_bytes(kMimeType)},
      {"manifest.json", to_bytes(R"({"members":["data/signed.bin"]})")},
      {"data/signed.bin", binary},
      {"empty.txt", {}},
      {"certs/chain/root-CA_1.pem", to_bytes("-----BEGIN CERTIFICATE-----\n")},
  };
}

void expect_error(const Result<std::vector<Member>>& r, ErrorCode code, std::string_view part) {
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), code) << r.error().to_string();
  EXPECT_TRUE(Contains(r.error().detail(), std::string(part)));
}

// --- write

TEST(EvidenceZip, RoundTrips) {
  auto zip = write(sample());
  ASSERT_TRUE(zip.has_value()) << zip.error().to_string();
  auto back = read(*zip);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  ASSERT_EQ(back->size(), sample().size());
  for (std::size_t i = 0; i < back->size(); ++i) {
    EXPECT_EQ((*back)[i].name, sample()[i].name);
    EXPECT_EQ((*back)[i].data, sample()[i].data) << sample()[i].name;
  }
}

// ETSI EN 319 162-1 A.1: "mimetype" first, stored; the others deflated. Deterministic: fixed
// time 1980-01-01 00:00 in every time zone, no extra fields, no comments, no data descriptors.
TEST(EvidenceZip, WritesDeterministicBytes) {
  const char* tz = std::getenv("TZ");
  const std::optional<std::string> saved = tz ? std::optional<std::string>(tz) : std::nullopt;
  ::setenv("TZ", "CST-8", 1);  // POSIX TZ strings: no tzdata needed
  ::tzset();
  auto east = write(sample());
  ::setenv("TZ", "PST8PDT", 1);
  ::tzset();
  auto west = write(sample());
  auto again = write(sample());
  if (saved) {
    ::setenv("TZ", saved->c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  ASSERT_TRUE(east.has_value() && west.has_value() && again.has_value());
  EXPECT_EQ(*east, *west);
  EXPECT_EQ(*west, *again);

  const Bytes& zip = *east;
  // ASiC's magic: "mimetype" and its content start at fixed offsets 30 and 38.
  EXPECT_EQ(as_string(BytesView(zip).subspan(30, 8 + kMimeType.size())),
            "mimetype" + std::string(kMimeType));
  auto listed = central(zip);
  ASSERT_EQ(listed.size(), sample().size());
  for (std::size_t i = 0; i < listed.size(); ++i) {
    const Listed& l = listed[i];
    EXPECT_EQ(l.name, sample()[i].name);
    EXPECT_EQ(l.method, i == 0 ? 0u : 8u) << l.name;
    EXPECT_EQ(l.date, 0x21u) << l.name;  // 1980-01-01
    EXPECT_EQ(l.time, 0u) << l.name;     // 00:00:00
    EXPECT_EQ(l.extra_len, 0u) << l.name;
    EXPECT_EQ(l.comment_len, 0u) << l.name;
    EXPECT_EQ(l.flags & 0x9u, 0u) << l.name;  // not encrypted, no data descriptor
    // The local header agrees: same method, no extra field.
    EXPECT_EQ(get32(zip, l.local_offset), 0x04034b50u);
    EXPECT_EQ(get16(zip, l.local_offset + 8), l.method) << l.name;
    EXPECT_EQ(get16(zip, l.local_offset + 28), 0u) << l.name;
  }
}

TEST(EvidenceZip, UnzipAcceptsWhatWriteMakes) {
  auto zip = write(sample());
  ASSERT_TRUE(zip.has_value());
  TempDir dir;
  const std::string path = dir.file("package.zip");
  write_file(path, *zip);
  auto test = run("unzip -t '" + path + "'");
  EXPECT_EQ(test.exit_code, 0) << test.output;
  EXPECT_TRUE(Contains(test.output, "No errors detected"));
  auto list = run("unzip -Z1 '" + path + "'");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(list.output,
            "mimetype\nmanifest.json\ndata/signed.bin\nempty.txt\ncerts/chain/root-CA_1.pem\n");
  auto content = run("unzip -p '" + path + "' data/signed.bin > '" + dir.file("out.bin") + "'");
  EXPECT_EQ(content.exit_code, 0) << content.output;
  EXPECT_EQ(read_file(dir.file("out.bin")), sample()[2].data);
}

TEST(EvidenceZip, WriteRefusesBadMembers) {
  auto with = [](std::string name) {
    auto m = sample();
    m.push_back({std::move(name), to_bytes("x")});
    return m;
  };
  struct Case {
    std::string name, rule;
  };
  const std::vector<Case> cases = {
      {"../evil", "path traversal"},
      {"a/../../evil", "path traversal"},
      {"/abs", "absolute path"},
      {"a\\b", "backslash"},
      {"a//b", "empty path segment"},
      {"dir/", "empty path segment"},
      {"./a", "\".\" path segment"},
      {"a b", "character ' '"},
      {"caf\xc3\xa9", "non-ASCII"},
      {"a\tb", "control character"},
      {"", "empty name"},
      {std::string(256, 'a'), "longer than 255"},
      {"MANIFEST.JSON", "duplicate of \"manifest.json\""},
      {"manifest.json", "duplicate of \"manifest.json\""},
  };
  for (const auto& c : cases) {
    auto r = write(with(c.name));
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(Contains(r.error().detail(), c.rule)) << c.name;
  }
  EXPECT_TRUE(write(with(std::string(255, 'a'))).has_value());

  auto no_mimetype = sample();
  no_mimetype.erase(no_mimetype.begin());
  EXPECT_EQ(write(no_mimetype).error().code(), ErrorCode::kInvalidArgument);
  auto wrong_type = sample();
  wrong_type[0].data = to_bytes("application/zip");
  EXPECT_EQ(write(wrong_type).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(write({}).error().code(), ErrorCode::kInvalidArgument);
}

// --- read: hostile archives

TEST(EvidenceZip, BuilderMakesArchivesThatRead) {
  // The hand-built archives below differ from this one by the one thing each test names.
  auto r = read(build({mimetype_raw(), deflated("a.txt", to_bytes("hello")), stored("b", {})}));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].data, to_bytes("hello"));
}

// APPNOTE.TXT 4.4.17.1: no leading slash, forward slashes only; and no ".." (path traversal).
TEST(EvidenceZip, ReadRefusesBadNames) {
  struct Case {
    std::string name, shown, rule;
  };
  const std::vector<Case> cases = {
      {"../evil", "\"../evil\"", "path traversal"},
      {"a/../../evil", "\"a/../../evil\"", "path traversal"},
      {"/abs", "\"/abs\"", "absolute path"},
      {"a\\b", "\"a\\\\b\"", "backslash"},
      {"a\x01"
       "b",
       "\"a\\x01b\"", "control character"},
      {std::string("a\0b", 3), "\"a b\"", "character ' '"},  // libzip turns NUL into a space
      {"caf\xc3\xa9", "\"caf\\xc3\\xa9\"", "non-ASCII"},
      {"dir/", "\"dir/\"", "empty path segment"},
      {std::string(300, 'n'), "\"nnnn", "longer than 255"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.shown);
    expect_error(read(build({mimetype_raw(), stored(c.name, to_bytes("x"))})),
                 ErrorCode::kMalformed, "member " + c.shown);
    expect_error(read(build({mimetype_raw(), stored(c.name, to_bytes("x"))})),
                 ErrorCode::kMalformed, c.rule);
  }
}

TEST(EvidenceZip, ReadRefusesDuplicateNames) {
  expect_error(
      read(build({mimetype_raw(), stored("a.txt", to_bytes("1")), stored("a.txt", to_bytes("2"))})),
      ErrorCode::kMalformed, "member \"a.txt\": duplicate of \"a.txt\"");
  // Case-insensitive: on a case-insensitive file system the second would overwrite the first.
  expect_error(read(build({mimetype_raw(), stored("dir/Report.PDF", to_bytes("1")),
                           stored("DIR/report.pdf", to_bytes("2"))})),
               ErrorCode::kMalformed, "member \"DIR/report.pdf\": duplicate of \"dir/Report.PDF\"");
}

// The local header's name is the one most unzip tools write to disk: it must agree with the
// central directory's (libzip's ZIP_CHECKCONS).
TEST(EvidenceZip, ReadRefusesALocalNameThatDiffersFromTheCentralOne) {
  Raw sneaky = stored("fine.txt", to_bytes("x"));
  sneaky.local_name = "../../etc/evil";
  expect_error(read(build({mimetype_raw(), sneaky})), ErrorCode::kMalformed, "ZIP archive");
}

// A deflate bomb: 200 MiB of zeros in about 200 KiB. Told truthfully, the announced size is
// refused before anything is inflated; lied about, inflating stops one byte past the lie.
TEST(EvidenceZip, ReadRefusesDeflateBombs) {
  const Bytes zeros(kMiB, 0);
  const std::size_t mib = 200;
  Raw bomb{.name = "bomb.bin", .method = 8, .payload = deflate_repeated(zeros, mib, 9)};
  ASSERT_LT(bomb.payload.size(), 300u * 1024);
  std::uint32_t crc = 0;
  for (std::size_t i = 0; i < mib; ++i) {
    crc = static_cast<std::uint32_t>(::crc32(crc, zeros.data(), static_cast<uInt>(zeros.size())));
  }
  bomb.crc = crc;
  const Limits lowered{.max_member_size = 16 * kMiB, .max_total_size = 32 * kMiB};

  Raw truthful = bomb;
  truthful.size = static_cast<std::uint32_t>(mib * kMiB);
  expect_error(read(build({mimetype_raw(), truthful}), lowered), ErrorCode::kTooLarge,
               "member \"bomb.bin\": announced size of 209715200 bytes, more than the member "
               "limit of 16777216");

  Raw lying = bomb;
  lying.size = 1000;
  expect_error(read(build({mimetype_raw(), lying}), lowered), ErrorCode::kMalformed,
               "member \"bomb.bin\": inflates beyond its announced size of 1000 bytes");
  lying.size = static_cast<std::uint32_t>(16 * kMiB);  // as much as the limit allows
  expect_error(read(build({mimetype_raw(), lying}), lowered), ErrorCode::kMalformed,
               "member \"bomb.bin\": inflates beyond");
  // Under the default limits too (200 MiB is more than the 96 MiB a member may have).
  expect_error(read(build({mimetype_raw(), truthful})), ErrorCode::kTooLarge,
               "member \"bomb.bin\": announced size");
}

// The total is checked on the announced sizes alone, before decompression: these members
// announce 1 MiB each and hold one byte (so inflating them would fail differently).
TEST(EvidenceZip, ReadChecksTheAnnouncedTotalBeforeInflating) {
  std::vector<Raw> entries = {mimetype_raw()};
  for (const char* name : {"a", "b", "c"}) {
    Raw r = stored(name, to_bytes("x"));
    r.size = static_cast<std::uint32_t>(kMiB);
    entries.push_back(r);
  }
  const Limits limits{.max_member_size = kMiB, .max_total_size = 2 * kMiB + kMiB / 2};
  expect_error(read(build(entries), limits), ErrorCode::kTooLarge,
               "member \"c\": the announced sizes add up to more than the total limit");
  // Within the limits, the lie is found when reading.
  expect_error(read(build(entries)), ErrorCode::kMalformed, "member \"a\": shorter than");
}

TEST(EvidenceZip, ReadRefusesCrcMismatches) {
  // Stored data with a flipped byte.
  Raw flipped = stored("data.bin", to_bytes("the signed document"));
  flipped.payload[4] ^= 0x01;
  expect_error(read(build({mimetype_raw(), flipped})), ErrorCode::kMalformed,
               "member \"data.bin\": CRC-32 mismatch");
  // Deflated data with a flipped byte (level 0: deflate's stored blocks, so the stream stays
  // valid and only the CRC can tell).
  Raw flipped_deflated = deflated("doc.pdf", to_bytes("%PDF-1.7 the signed document"), 0);
  flipped_deflated.payload[flipped_deflated.payload.size() - 3] ^= 0x20;
  expect_error(read(build({mimetype_raw(), flipped_deflated})), ErrorCode::kMalformed,
               "member \"doc.pdf\": CRC-32 mismatch");
  // A flipped byte inside compressed (Huffman-coded) data: the stream or the CRC breaks.
  Bytes text;
  for (int i = 0; i < 200; ++i) put(text, "line " + std::to_string(i) + " of the record\n");
  Raw broken = deflated("log.txt", text, 9);
  broken.payload[broken.payload.size() / 2] ^= 0x55;
  expect_error(read(build({mimetype_raw(), broken})), ErrorCode::kMalformed,
               "member \"log.txt\": ");
}

TEST(EvidenceZip, ReadRefusesTruncatedArchives) {
  auto zip = write(sample());
  ASSERT_TRUE(zip.has_value());
  for (std::size_t cut : {std::size_t{1}, std::size_t{22}, zip->size() / 2, zip->size() - 1}) {
    SCOPED_TRACE(cut);
    expect_error(read(BytesView(*zip).first(cut)), ErrorCode::kMalformed,
                 "not a well-formed ZIP archive");
  }
  expect_error(read(BytesView{}), ErrorCode::kMalformed, "not a well-formed ZIP archive");
  // Trailing bytes after the end record are refused as well (ZIP_CHECKCONS).
  Bytes longer = *zip;
  longer.push_back(0);
  expect_error(read(longer), ErrorCode::kMalformed, "not a well-formed ZIP archive");
}

// One end-of-central-directory record, the last 22 bytes: no archive comment, and so no second
// record hidden in a comment, which tools resolve differently (libzip alone would take this one,
// the one whose central directory checks out).
TEST(EvidenceZip, ReadRefusesCommentsAndAmbiguousEndRecords) {
  const Bytes zip = build({mimetype_raw(), stored("a.txt", to_bytes("x"))});
  ASSERT_TRUE(read(zip).has_value());
  auto with_comment = [&](BytesView comment) {
    Bytes out = zip;
    out[out.size() - 2] = static_cast<std::uint8_t>(comment.size());
    out.insert(out.end(), comment.begin(), comment.end());
    return out;
  };
  expect_error(read(with_comment(as_bytes("hello"))), ErrorCode::kMalformed,
               "an archive comment (not allowed)");
  expect_error(read(with_comment(BytesView(zip).last(22))), ErrorCode::kMalformed,
               "more than one end-of-central-directory record (ambiguous)");
}

// ETSI EN 319 162-1 A.1: the first member is "mimetype", stored, with the package's media type.
TEST(EvidenceZip, ReadRefusesAMissingOrWrongMimetype) {
  expect_error(read(build({stored("a.txt", to_bytes("x")), mimetype_raw()})), ErrorCode::kMalformed,
               "member \"a.txt\": the first member must be \"mimetype\"");
  expect_error(read(build({stored("a.txt", to_bytes("x"))})), ErrorCode::kMalformed,
               "member \"a.txt\": the first member must be \"mimetype\"");
  expect_error(read(build({stored("mimetype", to_bytes("application/zip"))})),
               ErrorCode::kMalformed, "member \"mimetype\": does not hold");
  expect_error(read(build({stored("mimetype", to_bytes(std::string(kMimeType) + "\n"))})),
               ErrorCode::kMalformed, "member \"mimetype\": does not hold");
  expect_error(read(build({deflated("mimetype", to_bytes(kMimeType))})), ErrorCode::kMalformed,
               "member \"mimetype\": compressed; it must be stored");
  expect_error(read(build({stored("MimeType", to_bytes(kMimeType))})), ErrorCode::kMalformed,
               "member \"MimeType\": the first member must be");
}

// APPNOTE.TXT 4.4.4: general purpose bit 0 marks an encrypted member (bit 6: strong encryption).
TEST(EvidenceZip, ReadRefusesEncryptedMembers) {
  for (std::uint16_t flags : {std::uint16_t{0x0001}, std::uint16_t{0x0041}}) {
    Raw secret = stored("secret.bin", Bytes(12 + 5, 0xAB));  // 12-byte ZipCrypto header + data
    secret.flags = flags;
    expect_error(read(build({mimetype_raw(), secret})), ErrorCode::kMalformed,
                 "member \"secret.bin\": encrypted");
  }
}

TEST(EvidenceZip, ReadRefusesOtherCompressionMethods) {
  // bzip2, LZMA, zstd, xz: libzip could inflate some of them, the format allows none.
  for (std::uint16_t method : {std::uint16_t{12}, std::uint16_t{14}, std::uint16_t{93},
                               std::uint16_t{95}, std::uint16_t{1}}) {
    Raw odd = stored("odd.bin", to_bytes("x"));
    odd.method = method;
    expect_error(read(build({mimetype_raw(), odd})), ErrorCode::kMalformed,
                 "member \"odd.bin\": compression method " + std::to_string(method));
  }
  // 99 is WinZip AES, which needs its extra field: without, libzip finds the archive
  // inconsistent.
  Raw aes = stored("odd.bin", to_bytes("x"));
  aes.method = 99;
  expect_error(read(build({mimetype_raw(), aes})), ErrorCode::kMalformed, "not a well-formed");
}

TEST(EvidenceZip, ReadEnforcesTheMemberAndArchiveLimits) {
  std::vector<Raw> entries = {mimetype_raw()};
  for (int i = 0; i < 4; ++i) entries.push_back(stored("m" + std::to_string(i), to_bytes("x")));
  const Bytes zip = build(entries);
  EXPECT_TRUE(read(zip, {.max_members = 5}).has_value());
  expect_error(read(zip, {.max_members = 4}), ErrorCode::kTooLarge, "limit of 4 members");
  // An end record that under-announces: libzip reads on past the count (Info-ZIP's convention
  // beyond 65535 members); the members are counted, not the announcement believed.
  const Bytes under = build(entries, 1);
  expect_error(read(under, {.max_members = 4}), ErrorCode::kTooLarge, "limit of 4 members");
  expect_error(read(zip, {.max_archive_size = zip.size() - 1}), ErrorCode::kTooLarge,
               "archive of " + std::to_string(zip.size()) + " bytes");
  EXPECT_TRUE(read(zip, {.max_archive_size = zip.size()}).has_value());
  expect_error(
      read(build({mimetype_raw(), stored("big", Bytes(101, 1))}), {.max_member_size = 100}),
      ErrorCode::kTooLarge, "member \"big\": announced size of 101 bytes");
}

// --- extract

bool empty_dir(const fs::path& p) { return fs::is_empty(p); }

TEST(EvidenceZip, ExtractWritesEveryMemberBelowTheFolder) {
  TempDir dir;
  ASSERT_TRUE(extract(sample(), dir.path()).has_value());
  for (const Member& m : sample()) {
    EXPECT_EQ(read_file(dir.file(m.name)), m.data) << m.name;
    struct stat st {};
    ASSERT_EQ(::lstat(dir.file(m.name).c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode)) << m.name;
  }
}

TEST(EvidenceZip, ExtractNeverFollowsASymlinkUnderTheFolder) {
  TempDir tmp;
  const fs::path outside = tmp.path() / "outside", out = tmp.path() / "out";
  fs::create_directory(outside);
  fs::create_directory(out);
  // A folder of a member's path is a link pointing outside.
  fs::create_directory_symlink(outside, out / "certs");
  auto r = extract(sample(), out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(Contains(r.error().detail(), (out / "certs").string() + " is a symbolic link"));
  EXPECT_TRUE(empty_dir(outside));

  // Deeper down, after real folders.
  fs::remove(out / "certs");
  fs::create_directories(out / "certs");
  fs::create_directory_symlink(outside, out / "certs" / "chain");
  r = extract({{"certs/chain/root.pem", to_bytes("x")}}, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(empty_dir(outside));

  // The member itself is a link (to a file that does not exist yet, and to one that does).
  fs::remove_all(out);
  fs::create_directory(out);
  fs::create_symlink(outside / "planted", out / "manifest.json");
  r = extract({{"manifest.json", to_bytes("x")}}, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(fs::symlink_status(outside / "planted")));
  write_file((outside / "existing").string(), "keep");
  fs::create_symlink(outside / "existing", out / "other.json");
  r = extract({{"other.json", to_bytes("x")}}, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(read_file((outside / "existing").string()), to_bytes("keep"));
}

TEST(EvidenceZip, ExtractNeverOverwrites) {
  TempDir dir;
  write_file(dir.file("manifest.json"), "before");
  auto r = extract(sample(), dir.path());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(Contains(r.error().detail(), "manifest.json exists"));
  EXPECT_EQ(read_file(dir.file("manifest.json")), to_bytes("before"));
  // A file where a folder of the path should be.
  write_file(dir.file("data"), "a file");
  r = extract({{"data/signed.bin", to_bytes("x")}}, dir.path());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kAlreadyExists);
}

TEST(EvidenceZip, ExtractChecksEveryNameBeforeWritingAnything) {
  TempDir tmp;
  const fs::path out = tmp.path() / "a" / "out";
  fs::create_directories(out);
  for (std::string bad : {"../evil", "../../evil", "/tmp/evil", "x/../../evil", "A.txt"}) {
    SCOPED_TRACE(bad);
    std::vector<Member> members = {{"a.txt", to_bytes("fine")}, {bad, to_bytes("evil")}};
    auto r = extract(members, out);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_TRUE(Contains(r.error().detail(), "member \"" + bad + "\""));
    EXPECT_TRUE(empty_dir(out));
    EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path() / "a"), fs::directory_iterator{}), 1);
    EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator{}), 1);
  }
}

}  // namespace
}  // namespace hpki::evidence::zip
