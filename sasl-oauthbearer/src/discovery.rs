//! Placeholder: OAuth discovery helpers.
