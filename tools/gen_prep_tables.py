#!/usr/bin/env python3
"""Generate `sasl-core/src/prep/tables.rs` (SASLprep and PRECIS data tables).

Data sources, all read at generation time:

* Python's `stringprep` module: the RFC 3454 tables (A.1, B.1, C.*, D.1, D.2)
  that SASLprep (RFC 4013) uses.  It evaluates them against
  `unicodedata.ucd_3_2_0`, as RFC 3454 requires.
* Python's `unicodedata` (must be Unicode 14.0.0, the version shipped with
  Python 3.11): general category, bidi class, canonical combining class,
  decompositions and NFKC for the PRECIS (RFC 8264) derived property.
* The `idna` package (PyPI): its `idnadata` module carries the Script values
  (Greek, Hebrew, Hiragana, Katakana, Han) and Joining_Type values that the
  RFC 5892 contextual rules need; `unicodedata` has neither.  Only code points
  assigned in Unicode 14.0 are kept, so a newer `idna` does not change output.
* Default_Ignorable_Code_Point and Hangul_Syllable_Type: not exposed by
  `unicodedata`, so their Unicode 14.0 values (DerivedCoreProperties.txt,
  HangulSyllableType.txt) are listed below and sanity-checked.

Usage:
    python3 tools/gen_prep_tables.py [--out PATH] [--check]

`--check` exits non-zero when the file at PATH differs from what would be
generated (for CI).  The default PATH is sasl-core/src/prep/tables.rs next to
this script's parent directory.
"""

import argparse
import os
import stringprep
import sys
import unicodedata

import idna.idnadata

UNICODE_VERSION = "14.0.0"
MAX_CP = 0x10FFFF

# Default_Ignorable_Code_Point, Unicode 14.0 (DerivedCoreProperties.txt).
DEFAULT_IGNORABLE = [
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
]

# Hangul_Syllable_Type L, V and T, Unicode 14.0 (HangulSyllableType.txt).
OLD_HANGUL_JAMO = [
    (0x1100, 0x115F), (0xA960, 0xA97C),  # L
    (0x1160, 0x11A7), (0xD7B0, 0xD7C6),  # V
    (0x11A8, 0x11FF), (0xD7CB, 0xD7FB),  # T
]

# RFC 5892 section 2.6 (the PRECIS "Exceptions" category F).
EXCEPTIONS = {}
for _cp in (0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007):
    EXCEPTIONS[_cp] = "Pvalid"
for _cp in [0x00B7, 0x0375, 0x05F3, 0x05F4, 0x30FB] + list(range(0x0660, 0x066A)) + list(
    range(0x06F0, 0x06FA)
):
    EXCEPTIONS[_cp] = "ContextO"
for _cp in (0x0640, 0x07FA, 0x302E, 0x302F, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303B):
    EXCEPTIONS[_cp] = "Disallowed"

# Bidi classes the Bidi Rule (RFC 5893) distinguishes; all others are Other.
BIDI_NAMES = {
    "L": "L", "R": "R", "AL": "Al", "AN": "An", "EN": "En", "ES": "Es",
    "CS": "Cs", "ET": "Et", "ON": "On", "BN": "Bn", "NSM": "Nsm",
}

# RFC 3454 Unicode 3.2 NFKC results that later corrigenda changed; modern NFKC
# gives a different answer for exactly these code points.
def nfkc_corrigenda():
    old = unicodedata.ucd_3_2_0
    out = []
    for cp in range(MAX_CP + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if stringprep.in_table_a1(ch):
            continue
        a = old.normalize("NFKC", ch)
        b = unicodedata.normalize("NFKC", ch)
        if a != b:
            assert len(a) == 1, hex(cp)
            assert unicodedata.normalize("NFKC", a) == a, hex(cp)
            out.append((cp, ord(a)))
    return out


def in_ranges(cp, ranges):
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_noncharacter(cp):
    return (cp & 0xFFFF) >= 0xFFFE or 0xFDD0 <= cp <= 0xFDEF


def assigned14(cp):
    return unicodedata.category(chr(cp)) != "Cn"


def ranges_of(pred):
    """Sorted inclusive ranges of code points (surrogates skipped) where pred holds."""
    out = []
    start = None
    for cp in range(MAX_CP + 2):
        ok = cp <= MAX_CP and not (0xD800 <= cp <= 0xDFFF) and pred(cp)
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append((start, cp - 1))
            start = None
    return merge_over_surrogates(out)


def merge_over_surrogates(ranges):
    # A range ending at D7FF and one starting at E000 are adjacent for Rust
    # `char`, which cannot hold surrogates.
    out = []
    for lo, hi in ranges:
        if out and out[-1][1] == 0xD7FF and lo == 0xE000:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def precis_property(cp):
    """RFC 8264 section 8 derived property, in the exact rule order."""
    ch = chr(cp)
    cat = unicodedata.category(ch)
    if cp in EXCEPTIONS:
        return EXCEPTIONS[cp]
    # BackwardCompatible (G) is empty.
    if cat == "Cn" and not is_noncharacter(cp):
        return "Unassigned"
    if 0x21 <= cp <= 0x7E:
        return "Pvalid"
    if cp in (0x200C, 0x200D):
        return "ContextJ"
    if in_ranges(cp, OLD_HANGUL_JAMO):
        return "Disallowed"
    if in_ranges(cp, DEFAULT_IGNORABLE) or is_noncharacter(cp):
        return "Disallowed"
    if cat == "Cc":
        return "Disallowed"
    if unicodedata.normalize("NFKC", ch) != ch:
        return "FreePval"
    if cat in ("Ll", "Lu", "Lo", "Nd", "Lm", "Mn", "Mc"):
        return "Pvalid"
    if cat in ("Lt", "Nl", "No", "Me", "Zs", "Sm", "Sc", "Sk", "So") or cat.startswith("P"):
        return "FreePval"
    return "Disallowed"


def runs(values):
    """Run-length encode a per-code-point list as (start, value) pairs.

    Surrogates and code points whose value is None ("don't care") join
    whatever run they fall in.
    """
    out = []
    for cp, v in enumerate(values):
        if v is None or 0xD800 <= cp <= 0xDFFF:
            continue
        if not out or out[-1][1] != v:
            out.append((cp, v))
    assert out and out[0][0] == 0
    return out


def sanity_checks():
    if unicodedata.unidata_version != UNICODE_VERSION:
        sys.exit(f"need unicodedata {UNICODE_VERSION}, have {unicodedata.unidata_version}")
    # The listed ignorables must contain every Cf that is not excluded by the
    # Default_Ignorable_Code_Point derivation (White_Space, Prepended
    # Concatenation Marks, FFF9..FFFB, Egyptian format controls).
    pcm = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F,
           0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD}
    for cp in range(MAX_CP + 1):
        if unicodedata.category(chr(cp)) == "Cf":
            excluded = cp in pcm or 0xFFF9 <= cp <= 0xFFFB or 0x13430 <= cp <= 0x13438
            assert in_ranges(cp, DEFAULT_IGNORABLE) != excluded, hex(cp)
    for lo, hi in OLD_HANGUL_JAMO:
        for cp in range(lo, hi + 1):
            name = unicodedata.name(chr(cp))
            assert name.startswith(("HANGUL CHOSEONG", "HANGUL JUNGSEONG", "HANGUL JONGSEONG")), hex(cp)
    for cp in range(MAX_CP + 1):
        name = unicodedata.name(chr(cp), "")
        if name.startswith(("HANGUL CHOSEONG", "HANGUL JUNGSEONG", "HANGUL JONGSEONG")):
            assert in_ranges(cp, OLD_HANGUL_JAMO), hex(cp)


def fmt_ranges(name, doc, ranges):
    lines = [f"/// {doc}", f"pub(crate) static {name}: &[(u32, u32)] = &["]
    lines += wrap([f"(0x{lo:04X}, 0x{hi:04X})" for lo, hi in ranges])
    lines.append("];")
    return "\n".join(lines)


def fmt_pairs(name, doc, ty, items):
    lines = [f"/// {doc}", f"pub(crate) static {name}: &[{ty}] = &["]
    lines += wrap(items)
    lines.append("];")
    return "\n".join(lines)


def wrap(items, width=96):
    lines = []
    cur = "   "
    for it in items:
        piece = f" {it},"
        if len(cur) + len(piece) > width:
            lines.append(cur)
            cur = "   "
        cur += piece
    if cur.strip():
        lines.append(cur)
    return lines


def idna_ranges(script):
    out = []
    for packed in idna.idnadata.scripts[script]:
        lo, hi = packed >> 32, (packed & 0xFFFFFFFF) - 1
        out.append((lo, hi))
    return out


def idna_joining_types():
    """Joining_Type per code point as {cp: ord(type letter)}.

    idna has stored this table in several shapes over its releases: a dict
    {cp: ord(letter)}, a function returning that dict, or a dict
    {letter: packed ranges}.
    """
    jt = idna.idnadata.joining_types
    if callable(jt):
        jt = jt()
    if jt and isinstance(next(iter(jt)), str):
        flat = {}
        for letter, packed_ranges in jt.items():
            for packed in packed_ranges:
                for cp in range(packed >> 32, packed & 0xFFFFFFFF):
                    flat[cp] = ord(letter)
        jt = flat
    return jt


def generate():
    sanity_checks()
    parts = []
    parts.append(
        "// @generated by tools/gen_prep_tables.py -- do not edit by hand.\n"
        f"// PRECIS data: Unicode {UNICODE_VERSION}. SASLprep data: RFC 3454 (Unicode 3.2).\n"
        "\n"
        "use super::ucd::Bidi::{self, *};\n"
        "use super::ucd::JoinType::{self, *};\n"
        "use super::ucd::Prop::{self, *};"
    )

    # ---- SASLprep / stringprep (Unicode 3.2) ----
    sp = stringprep
    parts.append(fmt_ranges("SASL_UNASSIGNED", "RFC 3454 table A.1: unassigned in Unicode 3.2.",
                            ranges_of(lambda cp: sp.in_table_a1(chr(cp)))))
    parts.append(fmt_ranges("SASL_MAP_TO_NOTHING", "RFC 3454 table B.1: commonly mapped to nothing.",
                            ranges_of(lambda cp: sp.in_table_b1(chr(cp)))))
    parts.append(fmt_ranges("SASL_NON_ASCII_SPACE", "RFC 3454 table C.1.2: non-ASCII space characters.",
                            ranges_of(lambda cp: sp.in_table_c12(chr(cp)))))

    def prohibited(cp):
        c = chr(cp)
        return (sp.in_table_c12(c) or sp.in_table_c21(c) or sp.in_table_c22(c)
                or sp.in_table_c3(c) or sp.in_table_c4(c) or sp.in_table_c5(c)
                or sp.in_table_c6(c) or sp.in_table_c7(c) or sp.in_table_c8(c)
                or sp.in_table_c9(c))
    parts.append(fmt_ranges("SASL_PROHIBITED",
                            "RFC 4013 section 2.3 prohibited output: C.1.2, C.2.1, C.2.2, C.3-C.9.",
                            ranges_of(prohibited)))
    parts.append(fmt_ranges("SASL_RAND_AL_CAT", "RFC 3454 table D.1: Unicode 3.2 bidi class R or AL.",
                            ranges_of(lambda cp: sp.in_table_d1(chr(cp)))))
    parts.append(fmt_ranges("SASL_L_CAT", "RFC 3454 table D.2: Unicode 3.2 bidi class L.",
                            ranges_of(lambda cp: sp.in_table_d2(chr(cp)))))
    parts.append(fmt_pairs(
        "SASL_NFKC_CORRIGENDA",
        "Code points whose Unicode 3.2 NFKC differs from modern NFKC, with their 3.2 result.",
        "(u32, u32)", [f"(0x{a:04X}, 0x{b:04X})" for a, b in nfkc_corrigenda()]))

    # ---- PRECIS (Unicode 14.0) ----
    props = [precis_property(cp) if not (0xD800 <= cp <= 0xDFFF) else "Disallowed"
             for cp in range(MAX_CP + 1)]
    parts.append(fmt_pairs(
        "PRECIS_PROPERTY",
        "RFC 8264 derived property: runs of `(first code point, value)`, sorted.",
        "(u32, Prop)", [f"(0x{s:04X}, {v})" for s, v in runs(props)]))

    bidi = []
    for cp in range(MAX_CP + 1):
        ch = chr(cp) if not (0xD800 <= cp <= 0xDFFF) else None
        if ch is None or (unicodedata.category(ch) == "Cn" and not is_noncharacter(cp)):
            # Unassigned code points never reach the Bidi Rule (they are
            # rejected first), so they may join any run.
            bidi.append(None)
        else:
            bidi.append(BIDI_NAMES.get(unicodedata.bidirectional(ch), "Other"))
    parts.append(fmt_pairs(
        "BIDI_CLASS",
        "Bidi_Class (as the Bidi Rule needs it): runs of `(first code point, value)`, sorted.",
        "(u32, Bidi)", [f"(0x{s:04X}, {v})" for s, v in runs(bidi)]))

    width = []
    for cp in range(MAX_CP + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        d = unicodedata.decomposition(chr(cp)).split()
        if d and d[0] in ("<wide>", "<narrow>"):
            assert len(d) == 2
            width.append((cp, int(d[1], 16)))
    parts.append(fmt_pairs(
        "WIDTH_MAP",
        "Decomposition_Type wide or narrow: `(code point, mapping)`, sorted.",
        "(u32, u32)", [f"(0x{a:04X}, 0x{b:04X})" for a, b in width]))

    parts.append(fmt_ranges(
        "PRECIS_NON_ASCII_SPACE", "General_Category Zs except U+0020.",
        ranges_of(lambda cp: cp != 0x20 and unicodedata.category(chr(cp)) == "Zs")))
    parts.append(fmt_ranges(
        "VIRAMA", "Canonical_Combining_Class = 9 (Virama).",
        ranges_of(lambda cp: unicodedata.combining(chr(cp)) == 9)))

    def script_set(names):
        s = set()
        for n in names:
            for lo, hi in idna_ranges(n):
                s.update(cp for cp in range(lo, hi + 1) if assigned14(cp))
        return s
    greek = script_set(["Greek"])
    hebrew = script_set(["Hebrew"])
    hkh = script_set(["Hiragana", "Katakana", "Han"])
    parts.append(fmt_ranges("SCRIPT_GREEK", "Script = Greek.", ranges_of(lambda cp: cp in greek)))
    parts.append(fmt_ranges("SCRIPT_HEBREW", "Script = Hebrew.", ranges_of(lambda cp: cp in hebrew)))
    parts.append(fmt_ranges("SCRIPT_HIRAGANA_KATAKANA_HAN", "Script = Hiragana, Katakana or Han.",
                            ranges_of(lambda cp: cp in hkh)))

    jt_names = {ord("L"): "Left", ord("R"): "Right", ord("D"): "Dual", ord("T"): "Transparent"}
    jt = idna_joining_types()
    join = []
    for cp in sorted(jt):
        name = jt_names.get(jt[cp])
        if name is None or not assigned14(cp):
            continue
        if join and join[-1][1] == cp - 1 and join[-1][2] == name:
            join[-1] = (join[-1][0], cp, name)
        else:
            join.append((cp, cp, name))
    parts.append(fmt_pairs(
        "JOINING_TYPE",
        "Joining_Type L, R, D and T as inclusive `(first, last, type)` ranges, sorted.",
        "(u32, u32, JoinType)", [f"(0x{a:04X}, 0x{b:04X}, {n})" for a, b, n in join]))

    return "\n\n".join(parts) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "sasl-core", "src", "prep", "tables.rs")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=default_out)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    text = generate()
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            sys.exit(f"{args.out} is out of date; rerun tools/gen_prep_tables.py")
        print(f"{args.out} is up to date")
        return
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.out} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
