//! Reads a curriculum folder from disk into [`SourceFile`]s for the pure loader.

use std::path::Path;

use klover_domain::Curriculum;
use klover_domain::curriculum::{CurriculumError, SourceFile, load_sources};

/// Why a curriculum folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The folder or a file in it could not be read.
    #[error(
        "cannot read curriculum folder {path}: {reason} (pass the folder holding curriculum.toml)"
    )]
    Io {
        /// The path that failed.
        path: String,
        /// The underlying error.
        reason: std::io::Error,
    },
    /// The files were read but are not a valid curriculum.
    #[error("{0}")]
    Invalid(#[from] CurriculumError),
}

/// Reads `curriculum.toml` and every `concepts/*.toml` under `dir`.
pub fn read_dir(dir: &Path) -> Result<Vec<SourceFile>, LoadError> {
    let io = |path: &Path, reason| LoadError::Io {
        path: path.display().to_string(),
        reason,
    };
    let mut files = Vec::new();
    let manifest = dir.join("curriculum.toml");
    if manifest.exists() {
        files.push(SourceFile {
            path: "curriculum.toml".into(),
            text: std::fs::read_to_string(&manifest).map_err(|e| io(&manifest, e))?,
        });
    } else if !dir.is_dir() {
        return Err(io(
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "the folder does not exist"),
        ));
    }
    let concepts = dir.join("concepts");
    if concepts.is_dir() {
        let mut paths: Vec<_> = std::fs::read_dir(&concepts)
            .map_err(|e| io(&concepts, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push(SourceFile {
                path: format!("concepts/{name}"),
                text: std::fs::read_to_string(&p).map_err(|e| io(&p, e))?,
            });
        }
    }
    Ok(files)
}

/// Reads and validates the curriculum in `dir`.
pub fn load_dir(dir: &Path) -> Result<Curriculum, LoadError> {
    Ok(load_sources(&read_dir(dir)?)?)
}
