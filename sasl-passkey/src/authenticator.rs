//! Placeholder: the software authenticator.
