//! WAL checkpoints off the caller's path.
//!
//! The store's connection never checkpoints on commit (`wal_autocheckpoint
//! = 0`): a 100 MB import would otherwise copy its pages from the WAL into
//! the database inside `import_batch`. Instead, after each write the store
//! nudges a worker thread, which runs a PASSIVE checkpoint on its own
//! connection — it neither blocks readers nor the next writer. Committed
//! data is safe in the WAL either way; a process killed mid-checkpoint
//! leaves a store SQLite recovers on the next open.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// The worker; dropping it finishes the pending checkpoint and stops it.
pub(crate) struct Checkpointer {
    tx: Option<Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path) -> Self {
        let (tx, rx) = mpsc::channel();
        let path = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("weipian-checkpoint".into())
            .spawn(move || run(&path, &rx))
            .ok();
        Self {
            tx: handle.as_ref().map(|_| tx),
            handle,
        }
    }

    /// Ask for a checkpoint soon (coalesced with any already pending).
    pub(crate) fn request(&self, conn: &Connection) {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(()).is_ok());
        if !sent {
            // No worker (thread could not start): checkpoint inline.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn run(path: &PathBuf, rx: &Receiver<()>) {
    let conn = match Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "cannot open the store for checkpoints");
            return;
        }
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    while rx.recv().is_ok() {
        while rx.try_recv().is_ok() {} // coalesce
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}
