//! Klover's store: curriculum folders on disk and (soon) sessions in SQLite or PostgreSQL.

pub mod curriculum_files;
