//! Users, passwords and API tokens; turning credentials into an [`Actor`].
//!
//! Passwords are hashed with argon2id (PHC strings, a random salt each);
//! tokens are 32 random bytes shown once (`wp_` + 64 hex digits) and stored
//! only as their SHA-256. Creating users and tokens is itself scoped: an
//! administrator manages users inside its own region only, and a user
//! outside it is answered as missing.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;
use sha2::{Digest, Sha256};
use weipian_domain::access::{Actor, Op, Role, Scope};
use weipian_domain::RegionTable;
use weipian_store::{NewUser, Store, UserRecord};

use crate::ServiceError;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A user as shown to administrators (never the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub name: String,
    /// `000000` (the whole country) or the region code.
    pub region: String,
    pub region_name: String,
    pub role: String,
    pub role_name: String,
    pub created_at: String,
    pub created_by: String,
    pub disabled: bool,
}

fn scope_name(scope: Scope) -> String {
    match scope {
        Scope::National => "全国".into(),
        Scope::Region(r) => RegionTable::shared()
            .get(r)
            .map_or_else(|| r.to_string(), |reg| reg.name.clone()),
    }
}

/// The actor a stored user acts as.
fn actor_of(rec: &UserRecord) -> Result<Actor, ServiceError> {
    let corrupt = |what: &str| {
        ServiceError::Store(weipian_store::StoreError::Corrupt(format!(
            "用户 {} 的{what}",
            rec.name
        )))
    };
    let scope = Scope::parse(&rec.region).map_err(|_| corrupt("行政区代码无效"))?;
    let role = Role::parse(&rec.role).ok_or_else(|| corrupt("角色无效"))?;
    Actor::new(&rec.name, scope, role).map_err(|e| corrupt(&e.to_string()))
}

fn info(rec: &UserRecord) -> Result<UserInfo, ServiceError> {
    let a = actor_of(rec)?;
    Ok(UserInfo {
        name: rec.name.clone(),
        region: a.scope.code(),
        region_name: scope_name(a.scope),
        role: a.role.code().into(),
        role_name: a.role.name_zh().into(),
        created_at: rec.created_at.clone(),
        created_by: rec.created_by.clone(),
        disabled: rec.disabled_at.is_some(),
    })
}

fn check_name(name: &str) -> Result<(), ServiceError> {
    let n = name.chars().count();
    let ok = (2..=32).contains(&n)
        && name
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != ':' && c != '/');
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "用户名 “{name}” 无效：应为 2–32 个字符，不含空白、冒号或斜杠"
        )))
    }
}

/// Hash a password (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::Invalid(format!(
            "密码太短：至少 {MIN_PASSWORD_CHARS} 个字符"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Invalid(format!("无法计算密码散列：{e}")))
}

/// A random password for a new user (shown once), 16 characters from an
/// alphabet without look-alikes.
#[must_use]
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Create a user. `by` must be an administrator whose scope covers the new
/// user's region; the role must fit the region's level.
pub fn add_user(
    store: &mut Store,
    by: &Actor,
    name: &str,
    scope: Scope,
    role: Role,
    password: &str,
) -> Result<UserInfo, ServiceError> {
    if !by.may_at_all(Op::ManageUsers) {
        return Err(ServiceError::Denied(format!("{}不能创建用户", by.role)));
    }
    if !by.scope.covers(scope) {
        return Err(ServiceError::Denied(format!(
            "只能在本级行政区（{}）内创建用户",
            by.scope
        )));
    }
    check_name(name)?;
    if let Scope::Region(r) = scope {
        if RegionTable::shared().get(r).is_none() {
            return Err(ServiceError::Invalid(format!(
                "行政区代码 {r} 不在行政区划表中"
            )));
        }
    }
    Actor::new(name, scope, role).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let rec = store.add_user(&NewUser {
        name: name.into(),
        region: scope.code(),
        role: role.code().into(),
        password_hash: hash_password(password)?,
        created_by: by.user.clone(),
    })?;
    tracing::info!(user = name, region = %scope.code(), role = role.code(), by = %by.user, "user created");
    info(&rec)
}

/// Change a user's region and role, or disable / re-enable the account
/// (administrators, within their region, both before and after). The
/// user's sessions end; the change is audited.
pub fn update_user(
    store: &mut Store,
    by: &Actor,
    name: &str,
    scope: Scope,
    role: Role,
    disabled: bool,
) -> Result<UserInfo, ServiceError> {
    let rec = managed_user(store, by, name)?;
    if !by.scope.covers(scope) {
        return Err(ServiceError::Denied(format!(
            "只能把用户设在本级行政区（{}）内",
            by.scope
        )));
    }
    if let Scope::Region(r) = scope {
        if RegionTable::shared().get(r).is_none() {
            return Err(ServiceError::Invalid(format!(
                "行政区代码 {r} 不在行政区划表中"
            )));
        }
    }
    if name == by.user && disabled {
        return Err(ServiceError::Invalid("不能停用自己的账号".into()));
    }
    Actor::new(name, scope, role).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let before = info(&rec)?;
    let audit = weipian_store::NewAudit {
        actor: by.user.clone(),
        region: by.scope.code(),
        action: "user.update".into(),
        target: format!("user/{name}"),
        before: Some(format!(
            "{} {} 停用={}",
            before.region, before.role, before.disabled
        )),
        after: Some(format!("{} {} 停用={disabled}", scope.code(), role.code())),
        reason: None,
    };
    let rec = store.update_user(rec.id, &scope.code(), role.code(), disabled, &audit)?;
    tracing::info!(user = name, by = %by.user, "user updated");
    info(&rec)
}

/// A user `by` may manage, or NotFound (also when outside its scope).
fn managed_user(store: &Store, by: &Actor, name: &str) -> Result<UserRecord, ServiceError> {
    let missing = || ServiceError::NotFound(format!("用户 {name}"));
    let rec = store.user(name)?.ok_or_else(missing)?;
    let actor = actor_of(&rec)?;
    if !by.scope.covers(actor.scope) {
        return Err(missing());
    }
    if !by.may_at_all(Op::ManageUsers) {
        return Err(ServiceError::Denied(format!("{}不能管理用户", by.role)));
    }
    Ok(rec)
}

/// The users `by` may see: those inside its scope (administrators only).
pub fn list_users(store: &Store, by: &Actor) -> Result<Vec<UserInfo>, ServiceError> {
    if !by.may_at_all(Op::ManageUsers) {
        return Err(ServiceError::Denied(format!("{}不能查看用户列表", by.role)));
    }
    let mut out = Vec::new();
    for rec in store.users()? {
        let a = actor_of(&rec)?;
        if by.scope.covers(a.scope) {
            out.push(info(&rec)?);
        }
    }
    Ok(out)
}

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issue a new API token for `name` (shown once; only its SHA-256 is stored).
pub fn issue_token(
    store: &mut Store,
    by: &Actor,
    name: &str,
    label: &str,
) -> Result<String, ServiceError> {
    let rec = managed_user(store, by, name)?;
    if rec.disabled_at.is_some() {
        return Err(ServiceError::Invalid(format!("用户 {name} 已停用")));
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token: String = std::iter::once("wp_".to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    store.add_token(rec.id, &sha256_hex(&token), label)?;
    tracing::info!(user = name, by = %by.user, "token issued");
    Ok(token)
}

/// The actor holding `token`, or Unauthorized.
pub fn authenticate_token(store: &Store, token: &str) -> Result<Actor, ServiceError> {
    let t = token.trim();
    if !t.starts_with("wp_") || t.len() != 67 {
        return Err(ServiceError::Unauthorized);
    }
    let rec = store
        .user_by_token(&sha256_hex(t))?
        .ok_or(ServiceError::Unauthorized)?;
    actor_of(&rec)
}

/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in browser session: the cookie's secret (shown once), the
/// anti-CSRF token the page sends back with every change, who it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub actor: Actor,
}

/// The anti-CSRF token of a session: derived from the cookie's secret,
/// which a page of another site can neither read (HttpOnly) nor guess.
#[must_use]
pub fn csrf_of(session_token: &str) -> String {
    sha256_hex(&format!("csrf:{session_token}"))
}

fn stored_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        t.date(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Sign in with a password: a new session (the same Unauthorized for an
/// unknown name, a wrong password or a disabled user).
pub fn start_session(
    store: &mut Store,
    name: &str,
    password: &str,
) -> Result<Session, ServiceError> {
    let actor = authenticate_password(store, name, password)?;
    let rec = store.user(name)?.ok_or(ServiceError::Unauthorized)?;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token: String = std::iter::once("ws_".to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    let expires =
        stored_time(time::OffsetDateTime::now_utc() + time::Duration::hours(SESSION_HOURS));
    store.add_session(rec.id, &sha256_hex(&token), &expires)?;
    tracing::info!(user = name, "signed in");
    Ok(Session {
        csrf: csrf_of(&token),
        token,
        actor,
    })
}

/// The actor of a live session, or Unauthorized.
pub fn authenticate_session(store: &Store, token: &str) -> Result<Actor, ServiceError> {
    let t = token.trim();
    if !t.starts_with("ws_") || t.len() != 67 {
        return Err(ServiceError::Unauthorized);
    }
    let rec = store
        .user_by_session(&sha256_hex(t))?
        .ok_or(ServiceError::Unauthorized)?;
    actor_of(&rec)
}

/// Sign out.
pub fn end_session(store: &mut Store, token: &str) -> Result<(), ServiceError> {
    store.end_session(&sha256_hex(token.trim()))?;
    Ok(())
}

/// Change one's own password: the current one is required; the new one
/// follows the length rule; every other session of the user ends.
pub fn change_password(
    store: &mut Store,
    actor: &Actor,
    current: &str,
    new: &str,
    session: Option<&str>,
) -> Result<(), ServiceError> {
    authenticate_password(store, &actor.user, current)
        .map_err(|_| ServiceError::Invalid("当前密码不正确".into()))?;
    if new == current {
        return Err(ServiceError::Invalid("新密码不能与当前密码相同".into()));
    }
    let hash = hash_password(new)?;
    let rec = store.user(&actor.user)?.ok_or(ServiceError::Unauthorized)?;
    let audit = weipian_store::NewAudit {
        actor: actor.user.clone(),
        region: actor.scope.code(),
        action: "user.password".into(),
        target: format!("user/{}", actor.user),
        before: None,
        after: None,
        reason: None,
    };
    store.set_password(
        rec.id,
        &hash,
        session.map(|t| sha256_hex(t.trim())).as_deref(),
        &audit,
    )?;
    Ok(())
}

/// The actor `name` signs in as with `password`, or Unauthorized (the same
/// for an unknown name, a wrong password and a disabled user; an unknown
/// name still costs one hash, so timing does not tell names apart).
pub fn authenticate_password(
    store: &Store,
    name: &str,
    password: &str,
) -> Result<Actor, ServiceError> {
    let rec = store.user(name)?;
    let Some(rec) = rec.filter(|r| r.disabled_at.is_none()) else {
        let _ = hash_password("不存在的用户的占位密码");
        return Err(ServiceError::Unauthorized);
    };
    let parsed = PasswordHash::new(&rec.password_hash).map_err(|_| ServiceError::Unauthorized)?;
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .map_err(|_| ServiceError::Unauthorized)?;
    actor_of(&rec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use weipian_domain::RegionCode;

    fn rc(s: &str) -> Scope {
        Scope::Region(RegionCode::parse(s).unwrap())
    }

    #[test]
    fn an_administrator_moves_a_user_within_its_region_and_disables_the_account() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let root = Actor::local_admin();
        let sc = add_user(
            &mut store,
            &root,
            "sc-admin",
            rc("510000"),
            Role::Admin,
            "admin-password-1",
        )
        .unwrap();
        assert_eq!(sc.region, "510000");
        let sc = actor_of(&store.user("sc-admin").unwrap().unwrap()).unwrap();
        add_user(
            &mut store,
            &sc,
            "cd-clerk",
            rc("510104"),
            Role::CountyFiller,
            "clerk-password-1",
        )
        .unwrap();
        let s = start_session(&mut store, "cd-clerk", "clerk-password-1").unwrap();
        // Moved to another county and made a city reviewer: sessions end.
        let u = update_user(
            &mut store,
            &sc,
            "cd-clerk",
            rc("510100"),
            Role::CityReviewer,
            false,
        )
        .unwrap();
        assert_eq!((u.region.as_str(), u.role.as_str()), ("510100", "city"));
        assert!(authenticate_session(&store, &s.token).is_err());
        // Not outside the administrator's region; not a role that does not fit.
        assert!(update_user(
            &mut store,
            &sc,
            "cd-clerk",
            rc("330100"),
            Role::CityReviewer,
            false
        )
        .is_err());
        assert!(update_user(
            &mut store,
            &sc,
            "cd-clerk",
            rc("510104"),
            Role::CityReviewer,
            false
        )
        .is_err());
        // Disabled: no sign-in; re-enabled: again.
        update_user(
            &mut store,
            &sc,
            "cd-clerk",
            rc("510100"),
            Role::CityReviewer,
            true,
        )
        .unwrap();
        assert!(start_session(&mut store, "cd-clerk", "clerk-password-1").is_err());
        update_user(
            &mut store,
            &sc,
            "cd-clerk",
            rc("510100"),
            Role::CityReviewer,
            false,
        )
        .unwrap();
        assert!(start_session(&mut store, "cd-clerk", "clerk-password-1").is_ok());
        // Not oneself; not a user beyond one's region.
        assert!(update_user(&mut store, &sc, "sc-admin", rc("510000"), Role::Admin, true).is_err());
        let clerk = actor_of(&store.user("cd-clerk").unwrap().unwrap()).unwrap();
        assert!(update_user(
            &mut store,
            &clerk,
            "sc-admin",
            rc("510000"),
            Role::Admin,
            false
        )
        .is_err());
        assert!(store.verify_audit().unwrap().first_bad.is_none());
    }

    #[test]
    fn sessions_start_end_and_a_password_change_ends_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let root = Actor::local_admin();
        add_user(
            &mut store,
            &root,
            "cd-city",
            rc("510100"),
            Role::CityReviewer,
            "first-password-1",
        )
        .unwrap();
        assert!(matches!(
            start_session(&mut store, "cd-city", "wrong-password"),
            Err(ServiceError::Unauthorized)
        ));
        assert!(matches!(
            start_session(&mut store, "nobody", "first-password-1"),
            Err(ServiceError::Unauthorized)
        ));
        let a = start_session(&mut store, "cd-city", "first-password-1").unwrap();
        let b = start_session(&mut store, "cd-city", "first-password-1").unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(a.csrf, csrf_of(&a.token));
        assert_eq!(
            authenticate_session(&store, &a.token).unwrap().user,
            "cd-city"
        );
        assert!(authenticate_session(&store, "ws_nonsense").is_err());
        // A bearer token is not a session, nor the reverse.
        assert!(authenticate_token(&store, &a.token).is_err());
        // Password change: the current one is required; other sessions end.
        let actor = authenticate_session(&store, &a.token).unwrap();
        let e = change_password(
            &mut store,
            &actor,
            "wrong",
            "second-password-2",
            Some(&a.token),
        )
        .unwrap_err();
        assert!(e.to_string().contains("当前密码不正确"), "{e}");
        assert!(change_password(
            &mut store,
            &actor,
            "first-password-1",
            "short",
            Some(&a.token)
        )
        .is_err());
        change_password(
            &mut store,
            &actor,
            "first-password-1",
            "second-password-2",
            Some(&a.token),
        )
        .unwrap();
        assert!(authenticate_session(&store, &a.token).is_ok());
        assert!(authenticate_session(&store, &b.token).is_err());
        assert!(start_session(&mut store, "cd-city", "first-password-1").is_err());
        start_session(&mut store, "cd-city", "second-password-2").unwrap();
        // Sign-out.
        end_session(&mut store, &a.token).unwrap();
        assert!(authenticate_session(&store, &a.token).is_err());
        assert!(store.verify_audit().unwrap().first_bad.is_none());
    }

    #[test]
    fn users_tokens_and_passwords_end_to_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let root = Actor::local_admin();
        let prov_admin = add_user(
            &mut store,
            &root,
            "sc-admin",
            rc("510000"),
            Role::Admin,
            "s3cret-enough",
        )
        .unwrap();
        assert_eq!(prov_admin.region_name, "四川省");
        let sc = authenticate_password(&store, "sc-admin", "s3cret-enough").unwrap();
        assert_eq!(sc.role, Role::Admin);
        // The province admin creates a county clerk inside Sichuan…
        add_user(
            &mut store,
            &sc,
            "jinjiang",
            rc("510104"),
            Role::CountyFiller,
            "jinjiang-pass",
        )
        .unwrap();
        // …but not outside it, nor a Ministry user.
        let e = add_user(
            &mut store,
            &sc,
            "hz",
            rc("330100"),
            Role::CityReviewer,
            "xxxxxxxxxxxx",
        )
        .unwrap_err();
        assert!(matches!(e, ServiceError::Denied(_)), "{e}");
        let e = add_user(
            &mut store,
            &sc,
            "mo",
            Scope::National,
            Role::Ministry,
            "xxxxxxxxxxxx",
        )
        .unwrap_err();
        assert!(matches!(e, ServiceError::Denied(_)), "{e}");
        // Roles must fit the level; names are unique; passwords long enough.
        let e = add_user(
            &mut store,
            &sc,
            "cd",
            rc("510100"),
            Role::CountyFiller,
            "xxxxxxxxxxxx",
        )
        .unwrap_err();
        assert!(e.to_string().contains("县级填报"), "{e}");
        let e = add_user(
            &mut store,
            &sc,
            "jinjiang",
            rc("510104"),
            Role::CountyFiller,
            "xxxxxxxxxxxx",
        )
        .unwrap_err();
        assert!(e.to_string().contains("已存在"), "{e}");
        let e = add_user(
            &mut store,
            &sc,
            "short",
            rc("510104"),
            Role::CountyFiller,
            "short",
        )
        .unwrap_err();
        assert!(e.to_string().contains("密码太短"), "{e}");
        let e = add_user(
            &mut store,
            &sc,
            "a b",
            rc("510104"),
            Role::CountyFiller,
            "xxxxxxxxxxxx",
        )
        .unwrap_err();
        assert!(e.to_string().contains("用户名"), "{e}");
        // A county clerk cannot manage users.
        let clerk = authenticate_password(&store, "jinjiang", "jinjiang-pass").unwrap();
        assert_eq!(clerk.scope, rc("510104"));
        assert!(matches!(
            list_users(&store, &clerk),
            Err(ServiceError::Denied(_))
        ));
        // Wrong password, unknown user: the same answer.
        assert!(matches!(
            authenticate_password(&store, "jinjiang", "wrong-pass!"),
            Err(ServiceError::Unauthorized)
        ));
        assert!(matches!(
            authenticate_password(&store, "nobody", "jinjiang-pass"),
            Err(ServiceError::Unauthorized)
        ));
        // Tokens: shown once, stored hashed, authenticate as the user.
        let token = issue_token(&mut store, &sc, "jinjiang", "脚本").unwrap();
        assert!(token.starts_with("wp_") && token.len() == 67);
        assert_eq!(authenticate_token(&store, &token).unwrap(), clerk);
        let stored: Vec<String> = {
            let conn = store_bytes(dir.path());
            conn
        };
        assert!(stored.iter().all(|h| !h.contains(&token[3..])));
        assert!(matches!(
            authenticate_token(&store, "wp_0000"),
            Err(ServiceError::Unauthorized)
        ));
        let mut forged = token.clone();
        forged.replace_range(66.., if token.ends_with('0') { "1" } else { "0" });
        assert!(matches!(
            authenticate_token(&store, &forged),
            Err(ServiceError::Unauthorized)
        ));
        // Another province's admin cannot see or issue tokens for Sichuan users.
        add_user(
            &mut store,
            &root,
            "zj-admin",
            rc("330000"),
            Role::Admin,
            "zhejiang-pass",
        )
        .unwrap();
        let zj = authenticate_password(&store, "zj-admin", "zhejiang-pass").unwrap();
        let e = issue_token(&mut store, &zj, "jinjiang", "x").unwrap_err();
        assert!(matches!(e, ServiceError::NotFound(_)), "{e}");
        let names: Vec<String> = list_users(&store, &zj)
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(names, vec!["zj-admin"]);
        let all: Vec<String> = list_users(&store, &root)
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(all, vec!["jinjiang", "sc-admin", "zj-admin"]);
    }

    /// What the store file holds for passwords and tokens, read directly.
    fn store_bytes(dir: &std::path::Path) -> Vec<String> {
        let text = std::fs::read(dir.join(weipian_store::FILE_NAME)).unwrap();
        let wal = std::fs::read(dir.join(format!("{}-wal", weipian_store::FILE_NAME)))
            .unwrap_or_default();
        let mut all = String::from_utf8_lossy(&text).into_owned();
        all.push_str(&String::from_utf8_lossy(&wal));
        vec![all]
    }
}
