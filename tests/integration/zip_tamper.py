#!/usr/bin/env python3
"""Makes a tampered copy of an evidence package (tests/integration/evidence.sh, issue 21).

  zip_tamper.py IN OUT list                 print the member names, one per line
  zip_tamper.py IN OUT flip NAME            change one byte of NAME (JSON: one hex digit)
  zip_tamper.py IN OUT remove NAME          drop NAME
  zip_tamper.py IN OUT swap NAME OTHER.zip  NAME's bytes from OTHER.zip
  zip_tamper.py IN OUT add NAME             add an unlisted member NAME
The order of the members is kept; mimetype stays first and stored.
"""
import sys
import zipfile


def main():
    src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    if mode == "list":
        for name, _ in members:
            print(name)
        return
    name = sys.argv[4]
    out = []
    for n, data in members:
        if n != name:
            out.append((n, data))
            continue
        if mode == "flip":
            if n.endswith(".json"):
                # keep the JSON valid: change the first hex digit of the first 64-digit string
                text = data.decode()
                import re
                m = re.search(r'"([0-9a-f]{64})"', text)
                if m is None:
                    # no hash in it: change the first letter of the first string value
                    m = re.search(r'": "([a-z])', text)
                i = m.start(1)
                c = text[i]
                text = text[:i] + ("1" if c != "1" else "2") + text[i + 1:]
                out.append((n, text.encode()))
            else:
                b = bytearray(data)
                # a time-stamp token: its last byte (the signature value), not the unsigned
                # certificates in its middle, which a verifier may rightly take from elsewhere
                b[len(b) - 1 if n.endswith(".tst") else len(b) // 2] ^= 0x01
                out.append((n, bytes(b)))
        elif mode == "remove":
            pass
        elif mode == "swap":
            with zipfile.ZipFile(sys.argv[5]) as other:
                out.append((n, other.read(n)))
        else:
            out.append((n, data))
    if mode == "add":
        out.append((name, b"not listed in the manifest\n"))
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in out:
            method = zipfile.ZIP_STORED if n == "mimetype" else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)


if __name__ == "__main__":
    main()
