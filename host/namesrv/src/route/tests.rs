//! Unit tests of the route tables.
