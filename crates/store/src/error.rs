//! The store's error type. Messages are in Chinese: they reach users.

use std::path::PathBuf;

use weipian_domain::{BatchId, PatchKind};

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("无法创建数据目录 {path}：{source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{path} 不是 weipian 数据库：{reason}")]
    NotAStore { path: PathBuf, reason: String },

    #[error("数据库 {path} 的结构版本为 {found}，本程序只支持到 {supported}：请升级 weipian")]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error("数据库升级到版本 {version}（{name}）失败：{source}")]
    Migration {
        version: u32,
        name: &'static str,
        source: Box<StoreError>,
    },

    #[error("数据库错误：{0}")]
    Sqlite(rusqlite::Error),

    #[error("数据库正被其他程序写入，等待超时，请稍后再试")]
    Busy,

    #[error("GeoPackage：{0}")]
    Gpkg(#[from] weipian_formats::Problem),

    #[error("数据库内容损坏：{0}")]
    Corrupt(String),

    /// A value the caller passed that cannot be stored.
    #[error("{0}")]
    Invalid(String),

    /// One record of an import that cannot be stored.
    #[error("第 {row} 条记录（{what}）：{problem}")]
    InvalidRecord {
        row: usize,
        what: String,
        problem: String,
    },

    #[error("监测编号 {jcbh} 重复：第 {first_row} 条与第 {second_row} 条记录")]
    DuplicateJcbh {
        jcbh: String,
        first_row: usize,
        second_row: usize,
    },

    #[error(
        "监测编号 {jcbh} 已作为{}图斑导入批次 {batch}，不能再作为{}图斑导入（同一批次内监测编号不能重复）",
        .stored.name_zh(), .importing.name_zh()
    )]
    KindConflict {
        jcbh: String,
        batch: BatchId,
        stored: PatchKind,
        importing: PatchKind,
    },

    #[error("批次 {batch}（{}）的字段结构与已导入的不同：{detail}。下发字段不可更改；如确需更换，请使用新的批次名称", .kind.name_zh())]
    SchemaMismatch {
        batch: BatchId,
        kind: PatchKind,
        detail: String,
    },

    /// A write based on a version that is no longer current.
    #[error("记录已被 {by} 于 {at} 修改（当前版本 {version}），请在最新版本上重新修改")]
    Conflict {
        version: i64,
        by: String,
        at: String,
    },

    /// Test-only fault injection (a write failing midway through an import).
    #[cfg(test)]
    #[error("测试注入的写入失败")]
    Injected,
}

impl StoreError {
    pub(crate) fn record(row: usize, what: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::InvalidRecord {
            row,
            what: what.into(),
            problem: problem.into(),
        }
    }
}

/// A column holding the wrong SQLite type: the file was changed behind our back.
impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        Self::Corrupt(format!("列的数据类型不符：{e}"))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Self::Busy
            }
            _ => Self::Sqlite(e),
        }
    }
}
