//! Base64url without padding (RFC 4648 §5), strict: every value has one spelling,
//! so a length of 1 mod 4, a `=`, any character outside the alphabet and non-zero
//! bits after the last byte are refused (the `base64` crate's `URL_SAFE_NO_PAD`
//! rules, checked against it in the tests). Written for the members of the server's
//! per-login messages, tens to hundreds of bytes, where the general engine showed in
//! profiles; the other users in this crate keep the `base64` crate.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Marks a byte that is not in the alphabet: every such entry has bits above 63.
const NOT: u8 = 0xff;

/// Each byte's value in the alphabet, or [`NOT`]. Built at compile time, where an
/// out-of-range index is a compile error, not a panic.
#[allow(clippy::indexing_slicing)]
const VALUES: [u8; 256] = {
    let mut t = [NOT; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

fn value(c: u8) -> u32 {
    u32::from(VALUES.get(usize::from(c)).copied().unwrap_or(NOT))
}

/// Decodes `text`, or `None` if it is not canonical unpadded base64url.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    decode_into(text, &mut out).then_some(out)
}

/// Characters [`decode_run`] reserves output for before it knows the run's length
/// (more is decoded too, with the vector growing as usual).
const RUN_RESERVE: usize = 1024;

/// Decodes the longest run of base64url characters at the start of `text` in one
/// pass, without a scan for its end first: the bytes (`None` if the run is not
/// canonical base64url) and the run's length in characters. The vector may have
/// more capacity than it holds (up to 3/4 of [`RUN_RESERVE`]).
pub(crate) fn decode_run(text: &[u8]) -> (Option<Vec<u8>>, usize) {
    let mut out = Vec::with_capacity(text.len().min(RUN_RESERVE) / 4 * 3 + 2);
    let mut done = 0;
    for chunk in text.chunks_exact(8) {
        let Some(word) = octet(chunk) else {
            break;
        };
        out.extend_from_slice(word.to_be_bytes().get(2..).unwrap_or_default());
        done += 8;
    }
    // The run ends within the next eight characters.
    let rest = text.get(done..).unwrap_or_default();
    let run = done + rest.iter().take_while(|&&c| value(c) <= 63).count();
    // `done` is a multiple of 4: decoding on from there is decoding the whole run.
    let ok = decode_into(text.get(done..run).unwrap_or_default(), &mut out);
    (ok.then_some(out), run)
}

/// Eight characters as six bytes (the low 48 bits), or `None` if one is not in the
/// alphabet.
#[inline(always)]
fn octet(chunk: &[u8]) -> Option<u64> {
    let [a, b, c, d, e, f, g, h] = chunk else {
        return None;
    };
    let [a, b, c, d] = [value(*a), value(*b), value(*c), value(*d)];
    let [e, f, g, h] = [value(*e), value(*f), value(*g), value(*h)];
    // Invalid characters have bits above 63.
    if (a | b) | (c | d) | ((e | f) | (g | h)) > 63 {
        return None;
    }
    let high = (a << 18) | (b << 12) | (c << 6) | d;
    let low = (e << 18) | (f << 12) | (g << 6) | h;
    Some((u64::from(high) << 24) | u64::from(low))
}

/// Appends the decoding of `text` to `out`; `false` (with `out` holding part of it)
/// if `text` is not canonical unpadded base64url.
fn decode_into(text: &[u8], out: &mut Vec<u8>) -> bool {
    if text.len() % 4 == 1 {
        return false;
    }
    out.reserve(text.len() / 4 * 3 + 2);
    // Whole octets into their place, without a length update each.
    let start = out.len();
    out.resize(start + text.len() / 8 * 6, 0);
    let dst = out.get_mut(start..).unwrap_or_default();
    let mut octets = text.chunks_exact(8);
    for (chunk, six) in (&mut octets).zip(dst.chunks_exact_mut(6)) {
        match octet(chunk) {
            Some(word) => six.copy_from_slice(word.to_be_bytes().get(2..).unwrap_or_default()),
            None => return false,
        }
    }
    let mut bad = 0u32;
    let mut quads = octets.remainder().chunks_exact(4);
    for quad in &mut quads {
        if let [a, b, c, d] = quad {
            let (a, b, c, d) = (value(*a), value(*b), value(*c), value(*d));
            bad |= a | b | c | d;
            let word = (a << 18) | (b << 12) | (c << 6) | d;
            out.extend_from_slice(&[(word >> 16) as u8, (word >> 8) as u8, word as u8]);
        }
    }
    match quads.remainder() {
        [] => {}
        [a, b] => {
            let (a, b) = (value(*a), value(*b));
            // 12 bits for one byte: the last 4 must be zero.
            bad |= a | b | (b & 0xf) << 6;
            out.push(((a << 2) | (b >> 4)) as u8);
        }
        [a, b, c] => {
            let (a, b, c) = (value(*a), value(*b), value(*c));
            // 18 bits for two bytes: the last 2 must be zero.
            bad |= a | b | c | (c & 0x3) << 6;
            let word = (a << 10) | (b << 4) | (c >> 2);
            out.extend_from_slice(&[(word >> 8) as u8, word as u8]);
        }
        _ => return false,
    }
    bad <= 63
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
