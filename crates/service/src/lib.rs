//! The service layer: what a user can do, independent of how they ask
//! (CLI today, HTTP later). Each operation is a plain function over a
//! [`weipian_store::Store`].
//!
//! Import is one pipeline for every format and every kind of data:
//!
//! ```text
//! file ──formats::read──▶ Dataset (file CRS) ──crs::identify──▶ Crs
//!      ──crs::to_geographic──▶ EPSG:4490 ──validate──▶ repairs / refusals
//!      ──area::ellipsoidal_area──▶ m² ──checks (JCBH, XZQDM)──▶ Store (one transaction)
//! ```
//!
//! Nothing is written unless every row passed: a rejected file yields one
//! [`ServiceError::Rejected`] listing every problem with its row and JCBH.

pub mod accountability;
pub mod analyze;
pub mod answers;
pub mod bulk;
pub mod case_ranges;
pub mod cases;
pub mod desk;
pub mod enforcement;
pub mod error;
pub mod evidence;
pub mod export;
pub mod field;
pub mod figures;
pub mod gate;
pub mod history;
pub mod import;
pub mod map;
pub mod military;
pub mod parcels;
pub mod patches;
mod prepare;
pub mod progress;
pub mod quick;
pub mod review;
pub mod sampling;
pub mod schedule;
pub mod scope;
pub mod stats;
pub mod users;

pub use error::{RowProblem, ServiceError};

/// Today's date in China (UTC+8), the calendar deadlines are counted in.
#[must_use]
pub fn today_in_china() -> time::Date {
    (time::OffsetDateTime::now_utc() + time::Duration::hours(8)).date()
}

/// The day (Beijing time) of a stored UTC timestamp (RFC 3339).
#[must_use]
pub fn day_in_china(rfc3339: &str) -> Option<time::Date> {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()?;
    Some((t.to_offset(time::UtcOffset::UTC) + time::Duration::hours(8)).date())
}
pub use progress::{NoProgress, Progress};
