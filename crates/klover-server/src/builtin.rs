//! The reference curriculum (`curriculum/async-python`) compiled into the binary, so
//! `klover serve` teaches something from any folder, like the embedded web client.

use klover_domain::Curriculum;
use klover_domain::curriculum::{SourceFile, load_sources};

use crate::error::Error;

/// The embedded files, as paths relative to the curriculum folder with their text.
/// `tests::the_embedded_copy_matches_the_folder` fails when a file is added there and not here.
pub const FILES: &[(&str, &str)] = &[
    (
        "curriculum.toml",
        include_str!("../../../curriculum/async-python/curriculum.toml"),
    ),
    (
        "concepts/01-sync-vs-async.toml",
        include_str!("../../../curriculum/async-python/concepts/01-sync-vs-async.toml"),
    ),
    (
        "concepts/02-io-vs-cpu.toml",
        include_str!("../../../curriculum/async-python/concepts/02-io-vs-cpu.toml"),
    ),
    (
        "concepts/03-event-loop.toml",
        include_str!("../../../curriculum/async-python/concepts/03-event-loop.toml"),
    ),
    (
        "concepts/04-threads-and-processes.toml",
        include_str!("../../../curriculum/async-python/concepts/04-threads-and-processes.toml"),
    ),
    (
        "concepts/05-gil.toml",
        include_str!("../../../curriculum/async-python/concepts/05-gil.toml"),
    ),
    (
        "concepts/06-threading-vs-async.toml",
        include_str!("../../../curriculum/async-python/concepts/06-threading-vs-async.toml"),
    ),
    (
        "concepts/07-blocking-in-async.toml",
        include_str!("../../../curriculum/async-python/concepts/07-blocking-in-async.toml"),
    ),
];

/// The embedded reference curriculum, parsed and validated.
pub fn reference_curriculum() -> Result<Curriculum, Error> {
    let files: Vec<SourceFile> = FILES
        .iter()
        .map(|(path, text)| SourceFile {
            path: (*path).to_owned(),
            text: (*text).to_owned(),
        })
        .collect();
    load_sources(&files).map_err(|e| Error::Curriculum(format!("built-in curriculum: {e}")))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_embedded_copy_matches_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../curriculum/async-python");
        let on_disk = klover_store::curriculum_files::read_dir(&dir).unwrap();
        let disk: Vec<(&str, &str)> = on_disk
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_str()))
            .collect();
        assert_eq!(
            disk,
            FILES.to_vec(),
            "update builtin::FILES to match curriculum/async-python"
        );
    }

    #[test]
    fn the_embedded_curriculum_is_valid() {
        let c = reference_curriculum().unwrap();
        assert_eq!(c.id.as_str(), "async-python");
        assert_eq!(c.concepts.len(), 7);
    }
}
