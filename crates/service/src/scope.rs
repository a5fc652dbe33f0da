//! Scoping of reads: which part of a request an actor may see.

use weipian_domain::access::{Actor, Op, Scope};
use weipian_domain::RegionCode;

use crate::ServiceError;

/// The region filter to apply when `actor` asks for `requested` (`None` =
/// everything it may see): `Ok(Some(filter))`, where `filter` is `None` for
/// the whole country; `Ok(None)` when the request lies wholly outside the
/// actor's scope — callers answer that exactly as they answer “nothing
/// there”, so a scope cannot be probed.
///
/// ```
/// use weipian_domain::access::{Actor, Role, Scope};
/// use weipian_domain::RegionCode;
/// use weipian_service::scope::region_filter;
/// let rc = |s| RegionCode::parse(s).unwrap();
/// let city = Actor::new("cd", Scope::Region(rc("510100")), Role::CityReviewer).unwrap();
/// assert_eq!(region_filter(&city, None).unwrap(), Some(Some(rc("510100"))));
/// assert_eq!(region_filter(&city, Some(rc("510104"))).unwrap(), Some(Some(rc("510104"))));
/// assert_eq!(region_filter(&city, Some(rc("510000"))).unwrap(), Some(Some(rc("510100")))); // narrowed
/// assert_eq!(region_filter(&city, Some(rc("510300"))).unwrap(), None); // outside
/// ```
pub fn region_filter(
    actor: &Actor,
    requested: Option<RegionCode>,
) -> Result<Option<Option<RegionCode>>, ServiceError> {
    if !actor.may_at_all(Op::ReadPatches) {
        return Err(ServiceError::Denied(format!("{}不能查看图斑", actor.role)));
    }
    Ok(match (actor.scope, requested) {
        (Scope::National, r) => Some(r),
        (Scope::Region(s), None) => Some(Some(s)),
        (Scope::Region(s), Some(r)) if r.is_within(s) => Some(Some(r)),
        (Scope::Region(s), Some(r)) if s.is_within(r) => Some(Some(s)),
        (Scope::Region(_), Some(_)) => None,
    })
}

/// A patch of `batch` the actor may read, or "not found" — the same answer
/// when it does not exist, is military land, or lies outside the actor's
/// region, so a scope cannot be probed.
pub(crate) fn visible_patch(
    store: &weipian_store::Store,
    actor: &Actor,
    batch: &weipian_domain::BatchId,
    jcbh: &str,
) -> Result<weipian_store::StoredPatch, ServiceError> {
    let missing = || ServiceError::NotFound(format!("批次 {batch} 的图斑 {jcbh}"));
    let patch = store.patch(batch, jcbh)?.ok_or_else(missing)?;
    let inside = RegionCode::parse(&patch.xzqdm).is_ok_and(|r| actor.may(Op::ReadPatches, r));
    if !inside {
        return Err(missing());
    }
    Ok(patch)
}
