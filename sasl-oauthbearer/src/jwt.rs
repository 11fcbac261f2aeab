//! Placeholder: the JWT validator.
