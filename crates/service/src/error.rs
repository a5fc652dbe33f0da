//! The service's error type: every message names the file and, for row
//! problems, the row and JCBH.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// One problem with one row of an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// 1-based record number in the file (0 = the file as a whole).
    pub row: usize,
    /// The patch's JCBH, when the row has one.
    pub jcbh: Option<String>,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row > 0 {
            write!(f, "第 {} 条记录", self.row)?;
        }
        if let Some(j) = &self.jcbh {
            write!(f, "（JCBH {j}）")?;
        }
        if self.row > 0 || self.jcbh.is_some() {
            f.write_str("：")?;
        }
        f.write_str(&self.message)
    }
}

/// How many row problems a message lists before summarising the rest.
const LISTED: usize = 50;

fn render_rejection(path: &std::path::Path, problems: &[RowProblem]) -> String {
    let mut s = format!(
        "{}：发现 {} 处问题，未写入任何数据。",
        path.display(),
        problems.len()
    );
    for p in problems.iter().take(LISTED) {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
    }
    if problems.len() > LISTED {
        s.push_str(&format!(
            "\n  ……其余 {} 处略（用 --json 查看全部）",
            problems.len() - LISTED
        ));
    }
    s
}

/// Everything an operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error(transparent)]
    Format(#[from] weipian_formats::FormatError),
    #[error("{path}：{source}")]
    Crs {
        path: PathBuf,
        source: weipian_geo::crs::CrsError,
    },
    #[error("{}", render_rejection(.path, .problems))]
    Rejected {
        path: PathBuf,
        problems: Vec<RowProblem>,
    },
    #[error(transparent)]
    Store(#[from] weipian_store::StoreError),
    #[error("{0}")]
    Invalid(String),
    /// Something that does not exist — or that lies outside the caller's
    /// scope: both get this same answer, so a scope cannot be probed.
    #[error("未找到：{0}")]
    NotFound(String),
    /// The caller's role may not do this (inside its scope).
    #[error("无权操作：{0}")]
    Denied(String),
    /// A write based on a stale version: nothing was written.
    #[error("{message}")]
    Conflict {
        message: String,
        current_version: i64,
        changed_fields: Vec<String>,
    },
    /// No valid credentials.
    #[error("身份验证失败：用户名、密码或令牌无效")]
    Unauthorized,
}

impl ServiceError {
    /// The row problems of a rejected file (empty for other errors).
    #[must_use]
    pub fn problems(&self) -> &[RowProblem] {
        match self {
            Self::Rejected { problems, .. } => problems,
            _ => &[],
        }
    }
}
