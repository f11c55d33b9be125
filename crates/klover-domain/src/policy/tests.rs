//! Unit tests of every policy rule (filled in below).
