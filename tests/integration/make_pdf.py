#!/usr/bin/env python3
"""Writes a small, real PDF for the PDF signing tests (tests/integration/pdf.sh, docs/pdf.md):

    make_pdf.py OUT.pdf [PAGES]
    make_pdf.py --seal OUT.png [COLOR]     a round red (or COLOR=blue) seal image with alpha

A4 pages with Chinese text in the non-embedded CJK font STSong-Light (UniGB-UTF16-H, as
Chinese office software writes it) and Latin text in Helvetica, the anchor text "医生签名:" on
the last page, and an AcroForm text field (patient name) on the first page; a classic
cross-reference table. `qpdf --object-streams=generate` turns it into the cross-reference
stream form. Only the Python standard library.
"""
import sys
import zlib


def utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def page_content(n: int, pages: int) -> bytes:
    lines = [
        ("F2", 18, 72, 770, f"Discharge summary - page {n} of {pages}", False),
        ("F1", 16, 72, 740, "出院小结 第 %d 页" % n, True),
        ("F1", 12, 72, 710, "患者: 张三  科室: 心内科  住院号: 2026-0042", True),
        ("F2", 11, 72, 690, "Diagnosis: stable angina; discharged in good condition.", False),
    ]
    if n == pages:
        lines.append(("F1", 12, 72, 160, "医生签名:", True))
        lines.append(("F2", 10, 72, 140, "Signature of the attending physician", False))
    out = []
    for font, size, x, y, text, cjk in lines:
        shown = f"<{utf16_hex(text)}>" if cjk else "(" + text.replace("(", "\\(").replace(")", "\\)") + ")"
        out.append(f"BT /{font} {size} Tf {x} {y} Td {shown} Tj ET")
    # a frame, so that pages differ in graphics too
    out.append(f"0.2 0.3 0.6 RG 1 w 50 50 495 742 re S")
    return "\n".join(out).encode("ascii")


def seal_png(out: str, color: str) -> None:
    """A 200x200 RGBA seal: a ring, a star and a bar, red (or blue) on transparent."""
    import math
    import struct
    rgb = (220, 20, 30) if color == "red" else (30, 60, 220)
    size = 200
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            dx, dy = x - 99.5, y - 99.5
            r = math.hypot(dx, dy)
            ang = math.atan2(dy, dx)
            star = r < 38 * (0.55 + 0.45 * abs(math.cos(2.5 * ang)))
            on = (86 <= r <= 96) or star or (abs(dy - 55) < 7 and abs(dx) < 50)
            rows += bytes(rgb + (255,)) if on else b"\x00\x00\x00\x00"
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    with open(out, "wb") as f:
        f.write(png)


def main() -> None:
    if sys.argv[1] == "--seal":
        seal_png(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "red")
        return
    out = sys.argv[1]
    pages = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    objs: dict[int, bytes] = {}
    # 1 catalog, 2 pages, 3 CJK font, 4 descendant, 5 Helvetica, 6 field, then pages/contents
    first_page = 7
    kids = [first_page + 2 * i for i in range(pages)]
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 5 0 R >> >> >> >>"
    objs[2] = ("<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, " ".join(f"{k} 0 R" for k in kids))).encode()
    objs[3] = b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UTF16-H /DescendantFonts [4 0 R] >>"
    objs[4] = (b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
               b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
               b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
               b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >> /DW 1000 >>")
    objs[5] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objs[6] = (b"<< /FT /Tx /T (patient) /V (Zhang San) /DA (/Helv 11 Tf 0 g) /Type /Annot /Subtype /Widget "
               b"/Rect [300 700 520 720] /F 4 /P %d 0 R >>" % first_page)
    for i, k in enumerate(kids):
        annots = " /Annots [6 0 R]" if i == 0 else ""
        objs[k] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {k + 1} 0 R "
                   f"/Resources << /Font << /F1 3 0 R /F2 5 0 R >> >>{annots} >>").encode()
        data = zlib.compress(page_content(i + 1, pages))
        objs[k + 1] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(body)
        body += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref = len(body)
    size = max(objs) + 1
    body += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        body += b"%010d 00000 n \n" % offsets[num]
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    with open(out, "wb") as f:
        f.write(body)


if __name__ == "__main__":
    main()
