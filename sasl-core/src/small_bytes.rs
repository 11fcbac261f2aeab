//! Bytes kept inline when short, so that a value built per exchange (a lookup's user
//! name, a salt) costs no allocation of its own.

/// `N` bytes or fewer inline, anything longer on the heap. `N` is at most 255.
#[derive(Clone)]
pub(crate) enum SmallBytes<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(Vec<u8>),
}

impl<const N: usize> SmallBytes<N> {
    /// A copy of `data`.
    pub(crate) fn copy(data: &[u8]) -> Self {
        let mut bytes = [0u8; N];
        match (bytes.get_mut(..data.len()), u8::try_from(data.len())) {
            (Some(dst), Ok(len)) => {
                dst.copy_from_slice(data);
                SmallBytes::Inline { len, bytes }
            }
            _ => SmallBytes::Heap(data.to_vec()),
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            SmallBytes::Heap(data) => data,
        }
    }
}

impl<const N: usize> core::fmt::Debug for SmallBytes<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_slice(), f)
    }
}
