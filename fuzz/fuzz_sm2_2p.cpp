// fuzz-links: ossl
// Two-party SM2 (src/ossl/sm2_2p.h) on what the other party sends: points, proofs, scalars and
// C1 || C3 || C2 ciphertexts of any length. The first byte picks the step, the rest is the
// input. Never a crash; every refusal has one of the documented codes; whatever is accepted
// must be consistent (an accepted point has 65 bytes, a phone signature verifies).
// The keys are those of tests/vectors/cosign/sm2_2p.json (the seeds are its values), so that
// seeds reach the end of every step.
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "ossl/digest.h"
#include "ossl/sm2_2p.h"

namespace {

using namespace hpki;
namespace tp = hpki::ossl::sm2_2p;

constexpr std::string_view kCtx = "enrollment-00000001";

// As tests/unit/crypto/sm2_2p/vectors_test.cpp derives the vector file's inputs.
SecretBytes derived_scalar(std::string_view label) {
  auto h = ossl::digest("SM3", as_bytes("hpki-sm2-2p-vector:" + std::string(label)));
  if (!h) std::abort();
  (*h)[0] &= 0x7f;
  return SecretBytes(*h);
}

struct State {
  SecretBytes d1 = derived_scalar("d1");
  SecretBytes d2 = derived_scalar("d2");
  SecretBytes w1 = derived_scalar("w1");
  tp::ClientKey client;
  tp::ServerKey server;
};

const State& state() {
  static const State s = [] {
    State out;
    auto client = tp::testing::keygen_client(out.d1, kCtx, derived_scalar("k1"));
    if (!client) std::abort();
    auto server =
        tp::testing::keygen_server(client->p1, client->proof, kCtx, out.d2, derived_scalar("k2"));
    if (!server) std::abort();
    out.client = std::move(*client);
    out.server = std::move(*server);
    return out;
  }();
  return s;
}

// The next n bytes of the input (fewer at its end).
BytesView take(BytesView& in, std::size_t n) {
  const BytesView out = in.first(std::min(n, in.size()));
  in = in.subspan(out.size());
  return out;
}

void expect(const Error& e, std::initializer_list<ErrorCode> allowed) {
  for (ErrorCode c : allowed) {
    if (e.code() == c) return;
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const State& st = state();
  BytesView in(data + 1, size - 1);
  const auto bad_input = {ErrorCode::kInvalidArgument};
  const auto bad_or_forged = {ErrorCode::kInvalidArgument, ErrorCode::kBadSignature};
  switch (data[0] % 9) {
    case 0: {
      auto r = tp::validate_point(in, "X");
      if (r) {
        if (in.size() != tp::kPointLen || in[0] != 0x04) std::abort();
      } else {
        expect(r.error(), bad_input);
      }
      return 0;
    }
    case 1: {  // D1, D2, D3 on a ciphertext
      auto start = tp::decrypt_client_start(in.first(std::min(in.size(), tp::kPointLen)));
      if (!start) {
        expect(start.error(), bad_input);
        return 0;
      }
      auto t2 = tp::decrypt_server(st.d2, start->t1);
      if (!t2) std::abort();
      auto m = tp::decrypt_client_finish(st.d1, std::move(start->w), *t2, in);
      if (!m) {
        expect(m.error(),
               {ErrorCode::kInvalidArgument, ErrorCode::kTooLarge, ErrorCode::kDecryptFailed});
      } else if (m->size() + tp::kPointLen + tp::kC3Len != in.size()) {
        std::abort();
      }
      return 0;
    }
    case 2: {  // a proof of knowledge for X, with the context
      BytesView x = take(in, tp::kPointLen);
      BytesView rr = take(in, tp::kPointLen);
      BytesView z = take(in, tp::kScalarLen);
      tp::Proof proof{Bytes(rr.begin(), rr.end()), Bytes(z.begin(), z.end())};
      if (auto r = tp::verify_proof(x, proof, as_string(in)); !r) expect(r.error(), bad_or_forged);
      return 0;
    }
    case 3: {  // S2 on Q1 and e
      BytesView q1 = take(in, tp::kPointLen);
      if (auto r = tp::sign_server(st.d2, q1, in); !r) expect(r.error(), bad_input);
      return 0;
    }
    case 4: {  // S3 on r, s1, e and P
      BytesView r = take(in, tp::kScalarLen);
      BytesView s1 = take(in, tp::kScalarLen);
      BytesView e = take(in, tp::kDigestLen);
      auto s = tp::sign_client_finish(st.d1, st.w1.copy(), r, s1, e, in);
      if (!s) {
        expect(s.error(), bad_or_forged);
      } else if (!tp::verify_signature(in, e, r, *s)) {
        std::abort();
      }
      return 0;
    }
    case 5: {  // D2 on T1
      if (auto r = tp::decrypt_server(st.d2, in); !r) expect(r.error(), bad_input);
      return 0;
    }
    case 6: {  // K2 on P1, its proof and the context
      BytesView p1 = take(in, tp::kPointLen);
      BytesView rr = take(in, tp::kPointLen);
      BytesView z = take(in, tp::kScalarLen);
      tp::Proof proof{Bytes(rr.begin(), rr.end()), Bytes(z.begin(), z.end())};
      if (auto r = tp::keygen_server(p1, proof, as_string(in)); !r) {
        expect(r.error(), bad_or_forged);
      }
      return 0;
    }
    case 7: {  // K3 on P, P2, its proof and the context
      BytesView p = take(in, tp::kPointLen);
      BytesView p2 = take(in, tp::kPointLen);
      BytesView rr = take(in, tp::kPointLen);
      BytesView z = take(in, tp::kScalarLen);
      tp::Proof proof{Bytes(rr.begin(), rr.end()), Bytes(z.begin(), z.end())};
      if (auto r = tp::check_joint_key(st.d1, p, p2, proof, as_string(in)); !r) {
        expect(r.error(),
               {ErrorCode::kInvalidArgument, ErrorCode::kBadSignature, ErrorCode::kKeyMismatch});
      }
      return 0;
    }
    default: {  // hpki's final verification of (r, s) over e under the joint key
      BytesView e = take(in, tp::kDigestLen);
      BytesView r = take(in, tp::kScalarLen);
      if (auto ok = tp::verify_signature(st.server.p, e, r, in); !ok) {
        expect(ok.error(), bad_or_forged);
      }
      return 0;
    }
  }
}
