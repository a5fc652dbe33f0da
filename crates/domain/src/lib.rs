//! The pure domain model of weipian (卫片执法): no I/O, no geometry engine.
//!
//! * [`access`] — roles, scopes and who may do what where.
//! * [`region`] — administrative division codes (GB/T 2260) and the region tree.
//! * [`case`] — cases (违法行为) from 立案 to 结案, rectification, supervision; events in order only.
//! * [`determination`] — the year's 判定 code table (`data/determination/`) and answer validation.
//! * [`batch`] — a delivery of patches: year, batch name, land or mineral.
//! * [`attr`] — attribute values and field definitions carried verbatim from files.
//! * [`layer`] — the table of reference-layer kinds (耕地, 永久基本农田, …).
//! * [`fields`] — the national field codes (JCBH, XZQDM, …) and their Chinese headers.
//! * [`units`] — m² ↔ 公顷 / 亩 and display rounding.

pub mod access;
pub mod accountability;
pub mod attr;
pub mod batch;
pub mod case;
pub mod desk;
pub mod determination;
pub mod fields;
pub mod layer;
pub mod region;
pub mod review;
pub mod sampling;
pub mod schedule;
pub mod templates;
pub mod units;

pub use attr::{AttrValue, FieldDef, FieldType};
pub use batch::{BatchId, PatchKind};
pub use layer::{LayerKind, LAYER_KINDS};
pub use region::{Region, RegionCode, RegionLevel, RegionTable};
