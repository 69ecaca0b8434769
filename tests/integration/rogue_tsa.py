#!/usr/bin/env python3
"""A rogue RFC 3161 TSA for tests/integration/designation.sh (issue 16).

    rogue_tsa.py CERT KEY GENTIME OUTDIR

Answers every TimeStampReq (POST, any path) with a granted TimeStampResp whose TSTInfo carries
the request's messageImprint and nonce and the given genTime (GeneralizedTime text, e.g.
20260101000000Z: back-dated at will), signed by the real `openssl cms -sign -cades` (ESS
signingCertificateV2, RFC 5816) with CERT and KEY, eContentType id-ct-TSTInfo. Prints its port
on the first line, keeps the last reply in OUTDIR/last.tsr and its imprint (hex) in
OUTDIR/last.digest, and serves until killed. Only the DER it needs is parsed; a request it
cannot read gets HTTP 400.
"""
import http.server
import os
import subprocess
import sys
import tempfile

CERT, KEY, GEN_TIME, OUT = sys.argv[1:5]


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def read(buf, pos):
    """One TLV at pos: (tag, content, next position)."""
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        k = length & 0x7F
        length = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    if pos + length > len(buf):
        raise ValueError("truncated")
    return tag, buf[pos:pos + length], pos + length


def parse_request(der):
    """RFC 3161 2.4.1 TimeStampReq: (messageImprint TLV, hashedMessage, nonce TLV or None)."""
    tag, body, _ = read(der, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    _, _, pos = read(body, 0)  # version
    start = pos
    _, imprint_body, pos = read(body, pos)
    imprint = body[start:pos]
    _, _, ipos = read(imprint_body, 0)  # hashAlgorithm
    _, hashed, _ = read(imprint_body, ipos)
    nonce = None
    while pos < len(body):
        s = pos
        tag, _, pos = read(body, pos)
        if tag == 0x02:
            nonce = body[s:pos]
    return imprint, hashed, nonce


def token_for(imprint, nonce):
    # TSTInfo ::= SEQUENCE { version 1, policy 1.2.3.4, messageImprint, serialNumber,
    #   genTime, nonce }
    tst = tlv(0x30, tlv(0x02, b"\x01") + tlv(0x06, bytes([0x2A, 0x03, 0x04])) + imprint +
              tlv(0x02, b"\x07") + tlv(0x18, GEN_TIME.encode()) + (nonce or b""))
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "tst.der"), "wb") as f:
            f.write(tst)
        subprocess.run(["openssl", "cms", "-sign", "-binary", "-nodetach", "-cades", "-nosmimecap",
                        "-md", "sha256", "-econtent_type", "1.2.840.113549.1.9.16.1.4",
                        "-signer", CERT, "-inkey", KEY, "-in", os.path.join(d, "tst.der"),
                        "-outform", "DER", "-out", os.path.join(d, "token.der")],
                       check=True, capture_output=True)
        with open(os.path.join(d, "token.der"), "rb") as f:
            return f.read()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            imprint, hashed, nonce = parse_request(body)
        except (ValueError, IndexError):
            self.send_response(400)
            self.end_headers()
            return
        # TimeStampResp ::= SEQUENCE { status PKIStatusInfo { granted }, timeStampToken }
        reply = tlv(0x30, tlv(0x30, tlv(0x02, b"\x00")) + token_for(imprint, nonce))
        with open(os.path.join(OUT, "last.tsr"), "wb") as f:
            f.write(reply)
        with open(os.path.join(OUT, "last.digest"), "w") as f:
            f.write(hashed.hex())
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
