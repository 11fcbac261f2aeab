//! Base64url without padding (RFC 4648 §5), strict: every value has one spelling,
//! so a length of 1 mod 4, a `=`, any character outside the alphabet and non-zero
//! bits after the last byte are refused (the `base64` crate's `URL_SAFE_NO_PAD`
//! rules, checked against it in the tests). Written for the members of the server's
//! per-login messages, tens to hundreds of bytes, where the general engine showed in
//! profiles; the other users in this crate keep the `base64` crate.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Set in a [`SHIFTED`] entry of a byte outside the alphabet (above the 24 bits
/// that four characters fill).
const BAD: u32 = 0xff00_0000;

/// Each byte's value in the alphabet, shifted to its place in a group of four
/// characters (the first's at bits 18 to 23, ..., the fourth's at bits 0 to 5), or
/// [`BAD`]: a group's 24 bits are the OR of its four entries, with no shifts and one
/// test for a bad character. Built at compile time, where an out-of-range index is
/// a compile error, not a panic.
#[allow(clippy::indexing_slicing)]
static SHIFTED: [[u32; 256]; 4] = {
    let mut t = [[BAD; 256]; 4];
    let mut i = 0;
    while i < 64 {
        let c = ALPHABET[i] as usize;
        let v = i as u32;
        t[0][c] = v << 18;
        t[1][c] = v << 12;
        t[2][c] = v << 6;
        t[3][c] = v;
        i += 1;
    }
    t
};

/// Character `c` as the `place`-th (0 to 3) of a group.
#[inline(always)]
fn at(place: usize, c: u8) -> u32 {
    SHIFTED
        .get(place)
        .and_then(|t| t.get(usize::from(c)))
        .copied()
        .unwrap_or(BAD)
}

fn in_alphabet(c: u8) -> bool {
    at(3, c) & BAD == 0
}

/// Decodes `text`, or `None` if it is not canonical unpadded base64url.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    match decode_run(text) {
        (decoded, run) if run == text.len() => decoded,
        _ => None,
    }
}

/// Characters [`decode_run`] reserves output for before it knows the run's length
/// (more is decoded too, with the output growing).
const RUN_RESERVE: usize = 1024;

/// Decodes the longest run of base64url characters at the start of `text` in one
/// pass, without a scan for its end first: the bytes (`None` if the run is not
/// canonical base64url) and the run's length in characters. The vector may have
/// more capacity than it holds: up to 3/4 of [`RUN_RESERVE`] bytes, and up to
/// twice what it holds for a longer run.
pub(crate) fn decode_run(text: &[u8]) -> (Option<Vec<u8>>, usize) {
    // Eight characters are written as an eight-byte word of which six count, so the
    // output keeps two bytes of room beyond them.
    let mut out = vec![0u8; text.len().min(RUN_RESERVE) / 8 * 6 + 8];
    let (mut read, mut written) = (0, 0);
    while let Some(word) = text.get(read..read + 8).and_then(octet) {
        if out.len() < written + 8 {
            out.resize(out.len() * 2, 0);
        }
        if let Some(dst) = out.get_mut(written..written + 8) {
            dst.copy_from_slice(&word.to_be_bytes());
        }
        read += 8;
        written += 6;
    }
    out.truncate(written);
    // The run ends within the next eight characters.
    let rest = text.get(read..).unwrap_or_default();
    let tail = rest.get(..rest.iter().take_while(|&&c| in_alphabet(c)).count());
    let tail = tail.unwrap_or_default();
    let ok = decode_tail(tail, &mut out);
    (ok.then_some(out), read + tail.len())
}

/// Eight characters as six bytes (the high 48 bits), or `None` if one is not in the
/// alphabet.
#[inline(always)]
fn octet(chunk: &[u8]) -> Option<u64> {
    let [a, b, c, d, e, f, g, h] = *chunk else {
        return None;
    };
    let high = at(0, a) | at(1, b) | at(2, c) | at(3, d);
    let low = at(0, e) | at(1, f) | at(2, g) | at(3, h);
    if (high | low) & BAD != 0 {
        return None;
    }
    Some((u64::from(high) << 40) | (u64::from(low) << 16))
}

/// Appends the decoding of the fewer than eight characters (all in the alphabet)
/// that end a run; `false` if they cannot end canonical base64url (one character
/// left over, or bits set after the last byte).
fn decode_tail(tail: &[u8], out: &mut Vec<u8>) -> bool {
    let (quad, rest) = tail.split_at(tail.len() / 4 * 4);
    if let [a, b, c, d] = *quad {
        let group = at(0, a) | at(1, b) | at(2, c) | at(3, d);
        out.extend_from_slice(group.to_be_bytes().get(1..).unwrap_or_default());
    }
    match *rest {
        [] => true,
        [a, b] => {
            // 12 bits for one byte: the last 4 must be zero.
            let group = at(0, a) | at(1, b);
            out.push((group >> 16) as u8);
            group & 0xf000 == 0
        }
        [a, b, c] => {
            // 18 bits for two bytes: the last 2 must be zero.
            let group = at(0, a) | at(1, b) | at(2, c);
            out.extend_from_slice(&[(group >> 16) as u8, (group >> 8) as u8]);
            group & 0xc0 == 0
        }
        _ => false,
    }
}

/// Appends the base64url of `data`, without padding, to `out`.
pub(crate) fn append(out: &mut Vec<u8>, data: &[u8]) {
    let start = out.len();
    out.resize(
        start + data.len() / 3 * 4 + (data.len() % 3 * 4).div_ceil(3),
        0,
    );
    let dst = out.get_mut(start..).unwrap_or_default();
    let char_of = |v: u32| ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'A');
    // Six bytes at a time, written as one eight-byte word.
    let mut sixes = data.chunks_exact(6);
    let mut eights = dst.chunks_exact_mut(8);
    for (six, eight) in (&mut sixes).zip(&mut eights) {
        let mut word = [0u8; 8];
        word.get_mut(2..).unwrap_or_default().copy_from_slice(six);
        let n = u64::from_be_bytes(word);
        let mut chars = [0u8; 8];
        for (i, c) in chars.iter_mut().enumerate() {
            *c = ALPHABET
                .get(((n >> (42 - 6 * i)) & 63) as usize)
                .copied()
                .unwrap_or(b'A');
        }
        eight.copy_from_slice(&chars);
    }
    let done = data.len() - sixes.remainder().len();
    let data = sixes.remainder();
    let dst = dst.get_mut(done / 3 * 4..).unwrap_or_default();
    let mut triples = data.chunks_exact(3);
    let mut quads = dst.chunks_exact_mut(4);
    for (t, q) in (&mut triples).zip(&mut quads) {
        if let ([a, b, c], [w, x, y, z]) = (t, q) {
            let n = (u32::from(*a) << 16) | (u32::from(*b) << 8) | u32::from(*c);
            (*w, *x, *y, *z) = (
                char_of(n >> 18),
                char_of(n >> 12),
                char_of(n >> 6),
                char_of(n),
            );
        }
    }
    match (triples.remainder(), quads.into_remainder()) {
        ([a], [w, x]) => {
            let n = u32::from(*a) << 16;
            (*w, *x) = (char_of(n >> 18), char_of(n >> 12));
        }
        ([a, b], [w, x, y]) => {
            let n = (u32::from(*a) << 16) | (u32::from(*b) << 8);
            (*w, *x, *y) = (char_of(n >> 18), char_of(n >> 12), char_of(n >> 6));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;

    #[test]
    fn rfc_4648_vectors_and_refusals() {
        // RFC 4648 §10, in the URL alphabet without padding.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(
                decode(encoded.as_bytes()).as_deref(),
                Some(plain.as_bytes())
            );
            let mut s = Vec::new();
            append(&mut s, plain.as_bytes());
            assert_eq!(s, encoded.as_bytes());
        }
        assert_eq!(decode(b"-_-_").as_deref(), Some(&[0xfb, 0xff, 0xbf][..]));
        for bad in [
            "Z", "Zg==", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9v\n", "Zm 9v", "Z\u{e9}",
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn runs_are_decoded_to_their_end() {
        assert_eq!(decode_run(b"Zm9vYmFy\"}"), (Some(b"foobar".to_vec()), 8));
        assert_eq!(decode_run(b"Zm9vYg\","), (Some(b"foob".to_vec()), 6));
        assert_eq!(decode_run(b"\""), (Some(vec![]), 0));
        assert_eq!(decode_run(b"Zh\""), (None, 2));
        assert_eq!(decode_run(b"Zg==\""), (Some(b"f".to_vec()), 2));
        // Longer than what is reserved.
        let data: Vec<u8> = (0..=255u8).cycle().take(RUN_RESERVE * 2 + 1).collect();
        let mut text = Vec::new();
        append(&mut text, &data);
        let len = text.len();
        text.extend_from_slice(b"\"x");
        assert_eq!(decode_run(&text), (Some(data), len));
    }

    proptest! {
        #[test]
        fn a_run_decodes_as_its_prefix(text in "[A-Za-z0-9_-]{0,40}", stop in "[\"=+/\\\\ ]?", more in "[A-Za-z0-9\"]{0,9}") {
            let whole = format!("{text}{stop}{more}");
            let (decoded, run) = decode_run(whole.as_bytes());
            let expected = if stop.is_empty() { whole.len() - more.len() + more.chars().take_while(|c| *c != '"').count() } else { text.len() };
            prop_assert_eq!(run, expected);
            prop_assert_eq!(decoded, URL_SAFE_NO_PAD.decode(&whole[..run]).ok());
        }

        #[test]
        fn agrees_with_the_base64_crate(text in "[A-Za-z0-9_+/=-]{0,40}") {
            prop_assert_eq!(decode(text.as_bytes()), URL_SAFE_NO_PAD.decode(&text).ok());
        }

        #[test]
        fn agrees_on_arbitrary_bytes(text in prop::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(decode(&text), URL_SAFE_NO_PAD.decode(&text).ok());
        }

        #[test]
        fn encodes_as_the_base64_crate_and_round_trips(data in prop::collection::vec(any::<u8>(), 0..64)) {
            let mut s = b"x".to_vec();
            append(&mut s, &data);
            let theirs = URL_SAFE_NO_PAD.encode(&data);
            prop_assert_eq!(&s[1..], theirs.as_bytes());
            prop_assert_eq!(decode(&s[1..]), Some(data));
        }
    }
}
