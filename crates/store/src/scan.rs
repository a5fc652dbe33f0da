//! Parallel reads of big feature tables.
//!
//! SQLite returns one row at a time per connection, so reading a million
//! parcels is bound by one core. [`Store::scan_parallel`] splits the table
//! by `fid` range and reads each range on its own read-only connection, on
//! its own thread, handing every row to the caller's visitor there — the
//! decoding the caller does in the visitor runs in parallel too.
//!
//! One snapshot: while the readers start, the store's own connection holds
//! the write lock (`BEGIN IMMEDIATE`, rolled back after), so no other writer
//! can commit in between and every reader sees the same committed state.
//! Readers are not blocked by it (WAL). When another connection is writing
//! at that moment, the scan does not wait for it: it reads on the store's
//! own connection, in one statement (one snapshot too), on one core.

use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row, ToSql};

use crate::{Store, StoreError};

/// Rows below which one connection reads everything (threads would not pay).
const MIN_ROWS_PER_PART: i64 = 20_000;

/// A read of one table, split by fid.
pub(crate) struct Scan<'a> {
    /// Table name (already quoted if needed).
    pub table: &'a str,
    /// Selected columns.
    pub select: &'a str,
    /// `WHERE` condition without the fid range (`1` for all rows), with
    /// parameters `?1…?n` from `params`.
    pub filter: &'a str,
    pub params: &'a [&'a (dyn ToSql + Sync)],
}

/// Holds the write lock on the store's connection; rolled back on drop.
struct WriteLock<'c>(&'c Connection);

impl<'c> WriteLock<'c> {
    /// The lock, or `None` at once when another connection is writing (an
    /// import, say): the caller then reads on its own connection instead
    /// of waiting for the writer.
    fn try_take(conn: &'c Connection) -> Result<Option<Self>, StoreError> {
        conn.busy_timeout(Duration::ZERO)?;
        let taken = conn.execute_batch("BEGIN IMMEDIATE");
        conn.busy_timeout(crate::BUSY_TIMEOUT)?;
        match taken {
            Ok(()) => Ok(Some(Self(conn))),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl Drop for WriteLock<'_> {
    fn drop(&mut self) {
        // Nothing was written: rolling back only releases the lock.
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// A read-only connection to the store file for a reader thread.
fn reader(path: &std::path::Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(30))?;
    // Memory-mapped reads skip copying each page into the page cache.
    conn.execute_batch("PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536;")?;
    Ok(conn)
}

impl Store {
    /// Read the rows of `scan` in `parts` fid ranges in parallel (fewer for
    /// small tables), calling `visit(acc, row)` with one accumulator per part
    /// made by `init(rows)`, `rows` an estimate of the part's rows (its fid
    /// span) for reserving capacity. Returns the accumulators in fid order: concatenated,
    /// they hold the rows in `ORDER BY fid` order.
    pub(crate) fn scan_parallel<T, I, V>(
        &self,
        scan: &Scan<'_>,
        parts: usize,
        init: I,
        visit: V,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send,
        I: Fn(usize) -> T + Sync,
        V: Fn(&mut T, &Row<'_>) -> Result<(), StoreError> + Sync,
    {
        let Scan {
            table,
            select,
            filter,
            params,
        } = *scan;
        let n = params.len();
        let sql = format!(
            "SELECT {select} FROM {table} WHERE ({filter}) AND fid >= ?{} AND fid < ?{} ORDER BY fid",
            n + 1,
            n + 2
        );
        let read = |conn: &Connection, lo: i64, hi: i64| -> Result<T, StoreError> {
            let mut stmt = conn.prepare(&sql)?;
            let mut all: Vec<&dyn ToSql> = params.iter().map(|p| *p as &dyn ToSql).collect();
            all.push(&lo);
            all.push(&hi);
            let mut rows = stmt.query(all.as_slice())?;
            let mut acc = init(usize::try_from(hi - lo).unwrap_or(0));
            while let Some(row) = rows.next()? {
                visit(&mut acc, row)?;
            }
            Ok(acc)
        };

        let lock = WriteLock::try_take(&self.conn)?;
        let (lo, hi): (Option<i64>, Option<i64>) = self.conn.query_row(
            &format!("SELECT MIN(fid), MAX(fid) FROM {table} WHERE {filter}"),
            params
                .iter()
                .map(|p| *p as &dyn ToSql)
                .collect::<Vec<_>>()
                .as_slice(),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(Vec::new());
        };
        let span = hi - lo + 1;
        let parts = i64::try_from(parts.max(1))
            .unwrap_or(1)
            .min(span / MIN_ROWS_PER_PART)
            .max(1);
        if parts == 1 || lock.is_none() {
            drop(lock);
            return Ok(vec![read(&self.conn, lo, hi + 1)?]);
        }
        let bounds: Vec<(i64, i64)> = (0..parts)
            .map(|k| (lo + span * k / parts, lo + span * (k + 1) / parts))
            .collect();
        std::thread::scope(|s| {
            // Each reader opens its connection and starts its read
            // transaction while the lock is held…
            let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
            let handles: Vec<_> = bounds
                .iter()
                .map(|&(a, b)| {
                    let started = started_tx.clone();
                    let (read, path) = (&read, self.path.as_path());
                    s.spawn(move || -> Result<T, StoreError> {
                        let conn = reader(path)?;
                        conn.execute_batch("BEGIN")?;
                        // The snapshot is taken at the first read.
                        conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()))?;
                        let _ = started.send(());
                        let out = read(&conn, a, b);
                        let _ = conn.execute_batch("COMMIT");
                        out
                    })
                })
                .collect();
            drop(started_tx);
            // …then the lock goes (a reader that failed to start ends the wait too).
            for _ in 0..handles.len() {
                if started_rx.recv().is_err() {
                    break;
                }
            }
            drop(lock);
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| StoreError::Corrupt(format!("读取 {table} 的线程异常退出")))?
                })
                .collect()
        })
    }
}
