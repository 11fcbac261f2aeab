//! Ready-made tamper hooks for [`Driver::with_tamper`](crate::Driver::with_tamper).
//!
//! Each returns a closure that changes one message (by direction and index) and
//! leaves the others alone.

use crate::{Direction, Message};

/// Flips bit `bit` (0-7) of byte `pos` of the chosen message (`pos` past the end
/// wraps around; an empty message gets one byte appended).
pub fn flip_bit(
    direction: Direction,
    index: usize,
    pos: usize,
    bit: u8,
) -> impl FnMut(&Message) -> Option<Vec<u8>> {
    move |m| {
        if m.direction != direction || m.index != index {
            return None;
        }
        let mut data = m.data.clone();
        if data.is_empty() {
            data.push(1u8 << (bit % 8));
        } else {
            let at = pos % data.len();
            if let Some(b) = data.get_mut(at) {
                *b ^= 1u8 << (bit % 8);
            }
        }
        Some(data)
    }
}

/// Cuts the chosen message to `len` bytes.
pub fn truncate(
    direction: Direction,
    index: usize,
    len: usize,
) -> impl FnMut(&Message) -> Option<Vec<u8>> {
    move |m| {
        if m.direction != direction || m.index != index {
            return None;
        }
        Some(m.data.iter().copied().take(len).collect())
    }
}

/// Replaces the first occurrence of `from` with `to` in the chosen message (swap a
/// nonce, strip a channel-binding flag). Leaves it unchanged if `from` is absent.
pub fn replace(
    direction: Direction,
    index: usize,
    from: &[u8],
    to: &[u8],
) -> impl FnMut(&Message) -> Option<Vec<u8>> + use<> {
    let (from, to) = (from.to_vec(), to.to_vec());
    move |m| {
        if m.direction != direction || m.index != index || from.is_empty() {
            return None;
        }
        let at = m
            .data
            .windows(from.len())
            .position(|w| w == from.as_slice())?;
        let mut data = Vec::with_capacity(m.data.len() + to.len());
        data.extend_from_slice(m.data.get(..at)?);
        data.extend_from_slice(&to);
        data.extend_from_slice(m.data.get(at + from.len()..)?);
        Some(data)
    }
}

/// Replaces the chosen message entirely.
pub fn substitute(
    direction: Direction,
    index: usize,
    with: &[u8],
) -> impl FnMut(&Message) -> Option<Vec<u8>> + use<> {
    let with = with.to_vec();
    move |m| (m.direction == direction && m.index == index).then(|| with.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(data: &[u8]) -> Message {
        Message {
            direction: Direction::ClientToServer,
            index: 1,
            data: data.to_vec(),
        }
    }

    #[test]
    fn hooks_touch_only_their_message() {
        let mut f = flip_bit(Direction::ClientToServer, 1, 0, 0);
        assert_eq!(f(&msg(b"a")), Some(b"`".to_vec()));
        let mut other = flip_bit(Direction::ClientToServer, 0, 0, 0);
        assert_eq!(other(&msg(b"a")), None);
        assert_eq!(
            truncate(Direction::ClientToServer, 1, 2)(&msg(b"abcd")),
            Some(b"ab".to_vec())
        );
        assert_eq!(
            replace(Direction::ClientToServer, 1, b"bc", b"X")(&msg(b"abcd")),
            Some(b"aXd".to_vec())
        );
        assert_eq!(
            replace(Direction::ClientToServer, 1, b"zz", b"X")(&msg(b"abcd")),
            None
        );
        assert_eq!(
            substitute(Direction::ClientToServer, 1, b"q")(&msg(b"abcd")),
            Some(b"q".to_vec())
        );
    }
}
