// The issuance pipeline's job (private to the ca module: pipeline.cpp runs it, hierarchy.cpp
// makes the hierarchy's certificates with it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ca/ca_service.h"
#include "crypto/key.h"

namespace hpki::ca {

// One issuance, from its checked request to its answer.
struct CaService::Job {
  // What to issue (step 1).
  const x509::Profile* profile = nullptr;
  IssuerCtx issuer;
  x509::SubjectData subject;
  Bytes spki;
  std::optional<Bytes> request;  // the CSR, stored with the certificate
  std::optional<int> days;
  std::vector<x509::Extension> requested;  // extensions the CSR asks for
  Requester by;
  std::string action = "issue";  // issue | renew | rekey | modify: audit "cert.<action>"
  // modify: the certificate revoked as superseded in the same transaction.
  std::optional<store::CertificateRecord> supersede;
  bool subject_record = true;  // false for the CA, OCSP and TSA certificates of init
  std::optional<std::int64_t> existing_subject;  // IssueRequest::subject_id
  bool internal = false;  // hpki's own certificate: any names (IssueRequest::internal_spki)
  std::optional<crypto::PrivateKey> key;  // server-side key generation
  std::optional<SecretBytes> key_passphrase;
  // Filled by the steps.
  std::optional<store::SubjectRecord> subject_rec;
  x509::IssueParams params;
  store::CertificateRecord rec;
  Bytes der;
  int attempts = 0;           // serials drawn (one taken already: another one, a few times)
  bool serial_taken = false;  // the last commit found the serial used
  IssueDone done;             // emptied when called
};

}  // namespace hpki::ca
