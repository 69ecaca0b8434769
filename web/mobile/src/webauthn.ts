// Passkeys (WebAuthn): registration at enrollment and approvals bound to what is approved
// (docs/cosign.md §3 "Approval", §4, §5; mobile.md §2.2). Platform authenticator, user
// verification required, ES256.
//
// Challenge encodings (the byte strings hashed; ‖ is concatenation):
//   request  SHA-256("hpki-cosign-approve-v1" ‖ id ‖ document_sha256 ‖ expires_at ‖ nonce)
//            every field as the UTF-8 of the JSON string the server sent (id as decimal text)
//   batch    SHA-256("hpki-cosign-batch-v1" ‖ challenge_1 ‖ … ‖ challenge_n), each the 32 raw bytes
//   QR       SHA-256("hpki-cosign-qr-v1" ‖ id ‖ number), UTF-8 text (number as sent to the phone)
//   decrypt  SHA-256("hpki-cosign-decrypt-v1" ‖ t1), t1 as the 65 bytes of the point
//   refresh  SHA-256("hpki-cosign-refresh-v1" ‖ u16be(len(device id)) ‖ device id ‖ t ‖ P2),
//            t the 32 bytes of the factor, P2 = d1·(P+G) the 65 bytes of hpki's share point

import { b64decode, b64encode, buf, sha256 } from './util';

const te = new TextEncoder();
const u = (s: string | number): Uint8Array => te.encode(String(s));

export async function requestChallenge(id: string | number, documentSha256: string, expiresAt: string, nonce: string): Promise<Uint8Array> {
  return sha256(u('hpki-cosign-approve-v1'), u(id), u(documentSha256), u(expiresAt), u(nonce));
}
export async function batchChallenge(challenges: Uint8Array[]): Promise<Uint8Array> {
  return sha256(u('hpki-cosign-batch-v1'), ...challenges);
}
export async function qrChallenge(id: string, number: string | number): Promise<Uint8Array> {
  return sha256(u('hpki-cosign-qr-v1'), u(id), u(number));
}
export async function decryptChallenge(t1: Uint8Array): Promise<Uint8Array> {
  return sha256(u('hpki-cosign-decrypt-v1'), t1);
}

export async function refreshChallenge(deviceId: string, t: Uint8Array, p2: Uint8Array): Promise<Uint8Array> {
  const id = u(deviceId);
  return sha256(u('hpki-cosign-refresh-v1'), new Uint8Array([(id.length >> 8) & 0xff, id.length & 0xff]), id, t, p2);
}

export const webauthnAvailable = (): boolean => typeof window !== 'undefined' && 'PublicKeyCredential' in window && !!navigator.credentials;

export interface Registration {
  credential_id: string;
  attestation_object: string;
  client_data_json: string;
}

/** navigator.credentials.create for the options of enroll/start (base64 fields). */
export async function register(opts: { challenge: string; rp_id: string; rp_name: string; user_id: string; user_name: string }, displayName: string): Promise<Registration> {
  const cred = (await navigator.credentials.create({
    publicKey: {
      challenge: buf(b64decode(opts.challenge)),
      rp: { id: opts.rp_id, name: opts.rp_name },
      user: { id: buf(b64decode(opts.user_id)), name: opts.user_name, displayName: displayName || opts.user_name },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }], // ES256
      authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required', residentKey: 'preferred' },
      attestation: 'none',
      timeout: 120000,
    },
  })) as PublicKeyCredential | null;
  if (!cred) throw new Error('no credential');
  const resp = cred.response as AuthenticatorAttestationResponse;
  return {
    credential_id: b64encode(cred.rawId),
    attestation_object: b64encode(resp.attestationObject),
    client_data_json: b64encode(resp.clientDataJSON),
  };
}

export interface WebauthnApproval {
  method: 'webauthn';
  credential_id: string;
  authenticator_data: string;
  client_data_json: string;
  signature: string;
}

/** navigator.credentials.get with the given challenge, for the enrolled credential only. */
export async function approve(credentialId: string, challenge: Uint8Array): Promise<WebauthnApproval> {
  const cred = (await navigator.credentials.get({
    publicKey: {
      challenge: buf(challenge),
      allowCredentials: [{ type: 'public-key', id: buf(b64decode(credentialId)) }],
      userVerification: 'required',
      timeout: 120000,
    },
  })) as PublicKeyCredential | null;
  if (!cred) throw new Error('no assertion');
  const resp = cred.response as AuthenticatorAssertionResponse;
  return {
    method: 'webauthn',
    credential_id: b64encode(cred.rawId),
    authenticator_data: b64encode(resp.authenticatorData),
    client_data_json: b64encode(resp.clientDataJSON),
    signature: b64encode(resp.signature),
  };
}
