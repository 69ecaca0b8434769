// Opening a home's database with the upgrade steps that need more than SQL (issue 17): schema
// 7 removes the reservations of the old two-write issuance; one that a crash left (status
// `issuing`, no DER) is a serial hpki drew but never delivered, so the upgrade records it as
// never delivered and revoked (CRLs and OCSP then answer "revoked" for it, never "unknown")
// with an audit entry `cert.never_delivered` naming the hash of the TBSCertificate it would
// have signed — in the migration's transaction, so an upgrade is all or nothing.
//
// Every opening of a home's database goes through here (Runtime, the CLI's store-only
// commands); opening it with the store alone refuses such a database with the reason.
#pragma once

#include <memory>

#include "ca/home.h"
#include "core/clock.h"
#include "store/store.h"

namespace hpki::ca {

struct OpenedDatabase {
  std::unique_ptr<store::Store> store;
  int never_delivered = 0;  // reservations of an older version resolved by this opening
};

[[nodiscard]] Result<OpenedDatabase> open_home_database(const HomeConfig& home, const Clock& clock);

}  // namespace hpki::ca
