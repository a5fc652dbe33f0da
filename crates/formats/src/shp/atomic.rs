//! Writing a set of files so that a failure leaves none of them half-written:
//! every file is written in full to a temporary file in the target folder,
//! flushed to disk, and only then renamed into place.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{FormatError, Problem};

/// Files written to temporaries, waiting to be renamed into place.
pub(crate) struct AtomicFiles {
    dir: PathBuf,
    pending: Vec<(NamedTempFile, PathBuf)>,
}

impl AtomicFiles {
    /// Files that will end up in the folder of `target`.
    pub(crate) fn for_target(target: &Path) -> Self {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self {
            dir,
            pending: Vec::new(),
        }
    }

    /// Write `bytes` to a temporary file that will become `target`.
    pub(crate) fn add(&mut self, target: PathBuf, bytes: &[u8]) -> Result<(), FormatError> {
        let io = |e: std::io::Error| FormatError::file(&target, Problem::Io(e));
        let mut tmp = tempfile::Builder::new()
            .prefix(".weipian-")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io)?;
        tmp.write_all(bytes).map_err(io)?;
        tmp.flush().map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        self.pending.push((tmp, target));
        Ok(())
    }

    /// Rename every temporary into place. Files not yet renamed when a
    /// rename fails are removed with their temporaries.
    pub(crate) fn commit(self) -> Result<(), FormatError> {
        for (tmp, target) in self.pending {
            tmp.persist(&target)
                .map_err(|e| FormatError::file(&target, Problem::Io(e.error)))?;
        }
        Ok(())
    }
}
