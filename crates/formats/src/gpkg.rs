//! (module being written — placeholder so the crate compiles while it is)

use std::path::Path;

use crate::{Dataset, FormatError, Problem, ReadOptions};

/// Placeholder: replaced by the real reader.
pub fn read(path: &Path, _options: &ReadOptions) -> Result<Dataset, FormatError> {
    Err(FormatError::file(path, Problem::Unsupported("reader not written yet".into())))
}
