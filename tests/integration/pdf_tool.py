#!/usr/bin/env python3
"""Helpers of tests/integration/pdf.sh that look into signed PDFs from outside hpki (only the
Python standard library and the qpdf CLI):

    pdf_tool.py sigs PDF                       one line per /ByteRange: "a b c d" (file order)
    pdf_tool.py extract PDF N PREFIX           the N-th signature (1 = first in the file):
                                               PREFIX.cms (the DER in /Contents, padding cut)
                                               and PREFIX.bin (the bytes its ByteRange covers)
    pdf_tool.py signer-info PREFIX.cms PREFIX  the first SignerInfo: PREFIX.attrs (the DER of the
                                               signed attributes as the SET that is signed,
                                               RFC 5652 5.4), PREFIX.sig (the signature value);
                                               prints "DIGEST_OID SIGALG_OID MESSAGE_DIGEST_HEX"
    pdf_tool.py ses PREFIX.cms PREFIX          a GB/T 38540 SES_Signature: PREFIX.tbs (DER of
                                               TBS_Sign), PREFIX.sig (its SM2 signature),
                                               PREFIX.cert (the signer's certificate, DER),
                                               PREFIX.seal-tbs (what the seal maker signed:
                                               SEQUENCE { eSealInfo, cert, signAlgID }),
                                               PREFIX.seal-sig, PREFIX.maker-cert,
                                               PREFIX.picture (the seal image); prints
                                               "SIGALG_OID DATA_HASH_HEX PROPERTY_INFO"
    pdf_tool.py pixels PNG X,Y,W,H COLOR       counts COLOR (red|blue) pixels of a pdftoppm
                                               -r 72 PNG inside and outside the rectangle given
                                               in PDF points: prints "INSIDE OUTSIDE"
    pdf_tool.py sig-rects PDF                  "PAGE X,Y,W,H" of every signature widget
    pdf_tool.py add-page PDF OUT               an incremental update: a new last page
    pdf_tool.py add-annot PDF OUT              an incremental update: a /Text annotation on page 1
    pdf_tool.py swap-image PDF OUT             an incremental update: every image XObject of the
                                               signature appearances replaced by a blue square
"""
import json
import re
import subprocess
import sys
import zlib


def read(path):
    with open(path, "rb") as f:
        return f.read()


def byte_ranges(data):
    return [tuple(int(x) for x in m.groups()) for m in
            re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)]


# ---- DER -------------------------------------------------------------------------------------
def tlv(b, i):
    """(tag, start of the TLV, start of the content, end)"""
    tag, start = b[i], i
    i += 1
    n = b[i]
    i += 1
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, start, i, i + n


def children(b, cs, ce):
    out, i = [], cs
    while i < ce:
        t = tlv(b, i)
        out.append(t)
        i = t[3]
    return out


def oid(b):
    first = b[0]
    parts = [first // 40 if first < 80 else 2, first % 40 if first < 80 else first - 80]
    v = 0
    for x in b[1:]:
        v = (v << 7) | (x & 0x7F)
        if not x & 0x80:
            parts.append(v)
            v = 0
    return ".".join(str(p) for p in parts)


def extract(pdf, n, prefix):
    data = read(pdf)
    a, b, c, d = byte_ranges(data)[n - 1]
    hexstr = data[a + b:c].strip()
    assert hexstr[:1] == b"<" and hexstr[-1:] == b">", "the ByteRange gap is not a hex string"
    der = bytes.fromhex(hexstr[1:-1].decode())
    _, _, _, end = tlv(der, 0)
    with open(prefix + ".cms", "wb") as f:
        f.write(der[:end])
    with open(prefix + ".bin", "wb") as f:
        f.write(data[a:a + b] + data[c:c + d])


def signer_info(cms_path, prefix):
    b = read(cms_path)
    _, _, cs, ce = tlv(b, 0)                          # ContentInfo
    explicit = children(b, cs, ce)[1]                 # [0] EXPLICIT
    sd = children(b, explicit[2], explicit[3])[0]     # SignedData
    sets = [t for t in children(b, sd[2], sd[3]) if t[0] == 0x31]
    si = children(b, sets[-1][2], sets[-1][3])[0]     # signerInfos: the first SignerInfo
    fields = children(b, si[2], si[3])
    digest_alg = children(b, fields[2][2], fields[2][3])[0]
    attrs = next(t for t in fields if t[0] == 0xA0)
    sig_alg = fields[fields.index(attrs) + 1]
    sig = fields[fields.index(attrs) + 2]
    # RFC 5652 5.4: the signature is over the DER of the attributes with the SET OF tag
    with open(prefix + ".attrs", "wb") as f:
        f.write(b"\x31" + b[attrs[1] + 1:attrs[3]])
    with open(prefix + ".sig", "wb") as f:
        f.write(b[sig[2]:sig[3]])
    md = ""
    for attr in children(b, attrs[2], attrs[3]):
        kids = children(b, attr[2], attr[3])
        if oid(b[kids[0][2]:kids[0][3]]) == "1.2.840.113549.1.9.4":   # messageDigest
            value = children(b, kids[1][2], kids[1][3])[0]
            md = b[value[2]:value[3]].hex()
    sig_alg_oid = children(b, sig_alg[2], sig_alg[3])[0]
    print(oid(b[digest_alg[2]:digest_alg[3]]), oid(b[sig_alg_oid[2]:sig_alg_oid[3]]), md)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    k = (n.bit_length() + 7) // 8
    return bytes([0x80 | k]) + n.to_bytes(k, "big")


def ses(path, prefix):
    """GB/T 38540-2020 v4: SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING,
    signatureAlgID OID, signature BIT STRING, timeStamp [0] OPTIONAL }; TBS_Sign ::= SEQUENCE {
    version, eseal SESeal, timeInfo, dataHash BIT STRING, propertyInfo IA5String, ... };
    SESeal ::= SEQUENCE { eSealInfo, cert OCTET STRING, signAlgID OID, signedValue BIT STRING }"""
    b = read(path)
    _, _, cs, ce = tlv(b, 0)
    tbs, cert, alg, sig = children(b, cs, ce)[:4]

    def write(suffix, data):
        with open(prefix + suffix, "wb") as f:
            f.write(data)

    write(".tbs", b[tbs[1]:tbs[3]])
    write(".cert", b[cert[2]:cert[3]])
    write(".sig", b[sig[2] + 1:sig[3]])  # a BIT STRING: after its unused-bits octet
    t = children(b, tbs[2], tbs[3])
    eseal, data_hash, prop = t[1], t[3], t[4]
    e = children(b, eseal[2], eseal[3])
    signed = b[e[0][1]:e[2][3]]
    write(".seal-tbs", b"\x30" + der_len(len(signed)) + signed)
    write(".maker-cert", b[e[1][2]:e[1][3]])
    write(".seal-sig", b[e[3][2] + 1:e[3][3]])
    info = children(b, e[0][2], e[0][3])
    picture = children(b, info[3][2], info[3][3])
    write(".picture", b[picture[1][2]:picture[1][3]])
    print(oid(b[alg[2]:alg[3]]), b[data_hash[2] + 1:data_hash[3]].hex(), b[prop[2]:prop[3]].decode())


# ---- PNG (pdftoppm output: 8-bit RGB or RGBA, not interlaced) ----------------------------------
def png_rows(path):
    b = read(path)
    assert b[:8] == b"\x89PNG\r\n\x1a\n"
    i, idat, w = 8, b"", 0
    while i < len(b):
        n = int.from_bytes(b[i:i + 4], "big")
        kind, body = b[i + 4:i + 8], b[i + 8:i + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = (int.from_bytes(body[0:4], "big"),
                                                   int.from_bytes(body[4:8], "big"), *body[8:13])
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unexpected PNG format"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        i += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = prev[x]
            ul = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + left) & 0xFF
            elif f == 2:
                line[x] = (line[x] + up) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif f == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else ul)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def pixels(png, rect, color):
    w, h, bpp, rows = png_rows(png)
    x, y, rw, rh = (float(v) for v in rect.split(","))
    # -r 72: one pixel per point; PDF y grows upwards. A 2-pixel border counts as neither
    # (anti-aliasing).
    x0, x1 = x, x + rw
    y0, y1 = h - (y + rh), h - y
    inside = outside = 0
    for py in range(h):
        row = rows[py]
        for px in range(w):
            r, g, b = row[px * bpp:px * bpp + 3]
            hit = (r > 150 and g < 90 and b < 90) if color == "red" else (b > 180 and r < 90 and g < 120)
            if not hit:
                continue
            if x0 + 2 <= px <= x1 - 2 and y0 + 2 <= py <= y1 - 2:
                inside += 1
            elif not (x0 - 2 <= px <= x1 + 2 and y0 - 2 <= py <= y1 + 2):
                outside += 1
    print(inside, outside)


# ---- the PDF's objects, through qpdf ----------------------------------------------------------
def qpdf_json(pdf):
    out = subprocess.run(["qpdf", "--json=2", "--json-key=qpdf", "--json-key=pages", pdf],
                         capture_output=True, check=False)
    doc = json.loads(out.stdout)
    return doc["qpdf"][1], doc["pages"]


def value(objs, ref):
    o = objs.get("obj:" + ref)
    if o is None:
        return None
    return o["value"] if "value" in o else o["stream"]["dict"]


def deref(objs, v):
    return value(objs, v) if isinstance(v, str) and v.endswith(" R") else v


def sig_rects(pdf):
    objs, pages = qpdf_json(pdf)
    for n, page in enumerate(pages, 1):
        annots = deref(objs, value(objs, page["object"]).get("/Annots")) or []
        for ref in annots:
            a = deref(objs, ref)
            if a.get("/Subtype") != "/Widget":
                continue
            ft = a.get("/FT") or (deref(objs, a.get("/Parent")) or {}).get("/FT")
            if ft != "/Sig":
                continue
            x0, y0, x1, y1 = (float(v) for v in deref(objs, a["/Rect"]))
            print(n, f"{min(x0, x1):g},{min(y0, y1):g},{abs(x1 - x0):g},{abs(y1 - y0):g}")


def show(pdf, what):
    return subprocess.run(["qpdf", "--show-object=" + what, pdf], capture_output=True,
                          check=True).stdout.decode("latin-1").strip()


def append_update(pdf, out, objects):
    """Appends an incremental update with `objects` ({number: bytes of the object body}) and a
    classic cross-reference section whose /Prev is the file's last startxref."""
    data = read(pdf)
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    trailer = show(pdf, "trailer")
    size = int(re.search(r"/Size (\d+)", trailer).group(1))
    root = re.search(r"/Root (\d+ \d+ R)", trailer).group(1)
    ids = re.search(r"/ID (\[[^\]]*\])", trailer)
    body = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(body)
        body += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n"
    for num in sorted(objects):
        body += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    size = max(size, max(objects) + 1)
    body += b"trailer\n<< /Size %d /Root %s /Prev %d%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, root.encode(), prev, (b" /ID " + ids.group(1).encode()) if ids else b"", xref)
    with open(out, "wb") as f:
        f.write(body)
    return size


def next_number(pdf):
    return int(re.search(r"/Size (\d+)", show(pdf, "trailer")).group(1))


def page_refs(pdf):
    out = subprocess.run(["qpdf", "--show-pages", pdf], capture_output=True, check=True).stdout
    return re.findall(r"^page \d+: (\d+) 0 R", out.decode(), re.M)


def add_page(pdf, out):
    root = re.search(r"/Root (\d+) 0 R", show(pdf, "trailer")).group(1)
    pages_num = re.search(r"/Pages (\d+) 0 R", show(pdf, root)).group(1)
    pages = show(pdf, pages_num)
    n = next_number(pdf)
    count = int(re.search(r"/Count (\d+)", pages).group(1))
    pages = re.sub(r"/Count \d+", "/Count %d" % (count + 1), pages)
    pages = re.sub(r"/Kids \[([^\]]*)\]", lambda m: "/Kids [%s %d 0 R]" % (m.group(1).strip(), n), pages)
    content = b"BT /F2 14 Tf 72 700 Td (A page added after signing) Tj ET"
    append_update(pdf, out, {
        int(pages_num): pages.encode("latin-1"),
        n: b"<< /Type /Page /Parent %s 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (
            pages_num.encode(), n + 1),
        n + 1: b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    })


def add_annot(pdf, out):
    page = page_refs(pdf)[0]
    d = show(pdf, page)
    n = next_number(pdf)
    if "/Annots" in d:
        m = re.search(r"/Annots (\d+) 0 R", d)
        assert not m, "indirect /Annots arrays are not handled here"
        d = re.sub(r"/Annots \[([^\]]*)\]", lambda m: "/Annots [%s %d 0 R]" % (m.group(1).strip(), n), d)
    else:
        d = d[:-2].rstrip() + " /Annots [%d 0 R] >>" % n
    append_update(pdf, out, {
        int(page): d.encode("latin-1"),
        n: b"<< /Type /Annot /Subtype /Text /Rect [400 600 420 620] /Contents (added after signing) "
           b"/P %s 0 R /F 4 >>" % page.encode(),
    })


def swap_image(pdf, out):
    """Replaces the image XObjects drawn by the signature appearances (found through the /AP /N
    of every signature widget, one level of form XObjects deep) by a 200x200 blue square."""
    objs, pages = qpdf_json(pdf)
    images = set()

    def walk(ref, depth):
        d = value(objs, ref)
        if d is None or depth > 3:
            return
        if d.get("/Subtype") == "/Image":
            images.add(ref)
            return
        xobjs = deref(objs, (deref(objs, d.get("/Resources")) or {}).get("/XObject")) or {}
        for r in xobjs.values():
            walk(r, depth + 1)

    for page in pages:
        for ref in deref(objs, value(objs, page["object"]).get("/Annots")) or []:
            a = deref(objs, ref)
            ft = a.get("/FT") or (deref(objs, a.get("/Parent")) or {}).get("/FT")
            if a.get("/Subtype") == "/Widget" and ft == "/Sig":
                n = (deref(objs, a.get("/AP")) or {}).get("/N")
                if isinstance(n, str):
                    walk(n, 0)
    assert images, "no image in the signature appearances"
    pixels_ = zlib.compress(b"\x1e\x3c\xdc" * (200 * 200))
    objects = {}
    for ref in images:
        objects[int(ref.split()[0])] = (
            b"<< /Type /XObject /Subtype /Image /Width 200 /Height 200 /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(pixels_)
            + pixels_ + b"\nendstream")
    append_update(pdf, out, objects)
    print(" ".join(sorted(images)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "sigs":
        for r in byte_ranges(read(args[0])):
            print(*r)
    elif cmd == "extract":
        extract(args[0], int(args[1]), args[2])
    elif cmd == "signer-info":
        signer_info(args[0], args[1])
    elif cmd == "ses":
        ses(args[0], args[1])
    elif cmd == "pixels":
        pixels(args[0], args[1], args[2])
    elif cmd == "sig-rects":
        sig_rects(args[0])
    elif cmd == "add-page":
        add_page(args[0], args[1])
    elif cmd == "add-annot":
        add_annot(args[0], args[1])
    elif cmd == "swap-image":
        swap_image(args[0], args[1])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
