//! The platform's configuration file (`weipian.toml`): where to listen,
//! the data directory, the basemap and each batch's before/after imagery.
//! Everything is optional: with no file the platform listens on
//! 127.0.0.1:8080 and shows its maps without any basemap.
//!
//! ```toml
//! [server]
//! addr = "0.0.0.0:8080"
//! data = "/srv/weipian"
//! max_import_mb = 1024      # largest batch/layer file uploaded in the browser
//!
//! [basemap]                 # 天地图 (a key from the 天地图 site), or any XYZ/WMTS
//! kind = "xyz"
//! url = "https://t{0-7}.tianditu.gov.cn/DataServer?T=img_w&x={x}&y={y}&l={z}&tk=KEY"
//! attribution = "天地图"
//!
//! [imagery."2020/2020Q1"]   # the batch's 前时相/后时相 tiles (XYZ)
//! before = "https://imagery.example/2019/{z}/{x}/{y}.jpg"
//! after = "https://imagery.example/2020/{z}/{x}/{y}.jpg"
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取配置文件 {path}：{source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("配置文件 {path} 格式错误：{message}")]
    Syntax { path: PathBuf, message: String },
    #[error("配置文件 {path}：{message}")]
    Invalid { path: PathBuf, message: String },
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerSection,
    pub basemap: Option<Basemap>,
    /// `"YEAR/BATCH"` → the batch's imagery.
    #[serde(default)]
    pub imagery: BTreeMap<String, Imagery>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub addr: Option<SocketAddr>,
    pub data: Option<PathBuf>,
    /// Largest data file (a batch, a layer, the boundaries) an administrator
    /// may upload in the browser, in MB (default 1024).
    pub max_import_mb: Option<u64>,
}

/// [`ServerSection::max_import_mb`] when not set.
pub const DEFAULT_MAX_IMPORT_MB: u64 = 1024;

impl ServerSection {
    /// The upload limit for data imports, in bytes.
    #[must_use]
    pub fn max_import_bytes(&self) -> u64 {
        self.max_import_mb.unwrap_or(DEFAULT_MAX_IMPORT_MB) << 20
    }
}

/// A tile service under the maps.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Basemap {
    /// `xyz` (default) or `wmts` (KVP, Web Mercator matrix set).
    #[serde(default = "xyz")]
    pub kind: String,
    /// XYZ: a URL template with `{x}`, `{y}`, `{z}` (and `{0-7}`-style
    /// subdomains); WMTS: the service URL.
    pub url: String,
    #[serde(default)]
    pub attribution: Option<String>,
    #[serde(default)]
    pub max_zoom: Option<u8>,
    /// WMTS only.
    #[serde(default)]
    pub layer: Option<String>,
    #[serde(default)]
    pub matrix_set: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub style: Option<String>,
}

fn xyz() -> String {
    "xyz".into()
}

/// A batch's before/after imagery (XYZ templates).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Imagery {
    pub before: String,
    pub after: String,
    #[serde(default)]
    pub max_zoom: Option<u8>,
}

impl Config {
    /// Read and check `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Syntax { message, .. } => ConfigError::Syntax {
                path: path.to_path_buf(),
                message,
            },
            ConfigError::Invalid { message, .. } => ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parse and check a file's text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let c: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: PathBuf::new(),
            message,
        };
        if let Some(b) = &c.basemap {
            if !["xyz", "wmts"].contains(&b.kind.as_str()) {
                return Err(invalid(format!(
                    "[basemap] kind “{}” 应为 xyz 或 wmts",
                    b.kind
                )));
            }
            origin(&b.url).map_err(|m| invalid(format!("[basemap] url：{m}")))?;
        }
        for (batch, i) in &c.imagery {
            if batch
                .split_once('/')
                .is_none_or(|(y, n)| y.parse::<u16>().is_err() || n.is_empty())
            {
                return Err(invalid(format!(
                    "[imagery.\"{batch}\"] 批次应写作 \"年份/批次\"，如 \"2020/2020Q1\""
                )));
            }
            for (what, url) in [("before", &i.before), ("after", &i.after)] {
                origin(url).map_err(|m| invalid(format!("[imagery.\"{batch}\"] {what}：{m}")))?;
            }
        }
        Ok(c)
    }

    /// The origins the page may load images from besides itself (for the
    /// Content-Security-Policy's `img-src`).
    #[must_use]
    pub fn image_origins(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .basemap
            .iter()
            .map(|b| b.url.as_str())
            .chain(
                self.imagery
                    .values()
                    .flat_map(|i| [i.before.as_str(), i.after.as_str()]),
            )
            .filter_map(|u| origin(u).ok())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// `scheme://host[:port]` of a URL template, for a CSP source: a host
/// with a `{…}` subdomain pattern becomes `*.rest-of-host`.
///
/// ```
/// use weipian_server::config::origin;
/// assert_eq!(origin("https://t{0-7}.tianditu.gov.cn/DataServer?x={x}").unwrap(), "https://*.tianditu.gov.cn");
/// assert_eq!(origin("http://10.1.2.3:8081/tiles/{z}/{x}/{y}.png").unwrap(), "http://10.1.2.3:8081");
/// assert!(origin("ftp://x/").is_err());
/// assert!(origin("https://a b/").is_err());
/// ```
pub fn origin(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| ["http", "https"].contains(s))
        .ok_or_else(|| format!("“{url}”应以 http:// 或 https:// 开头"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host.split_once('.') {
        Some((first, tail)) if first.contains('{') => format!("*.{tail}"),
        _ => host.to_string(),
    };
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:*[]".contains(c));
    if !ok {
        return Err(format!("“{url}”的主机名无效"));
    }
    Ok(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn a_full_file_is_read_and_its_image_origins_listed() {
        let c = Config::parse(
            r#"
[server]
addr = "0.0.0.0:9000"
data = "/srv/weipian"
[basemap]
url = "https://t{0-7}.tianditu.gov.cn/DataServer?T=img_w&x={x}&y={y}&l={z}&tk=K"
attribution = "天地图"
[imagery."2020/2020Q1"]
before = "http://10.0.0.5/2019/{z}/{x}/{y}.jpg"
after = "http://10.0.0.5/2020/{z}/{x}/{y}.jpg"
"#,
        )
        .unwrap();
        assert_eq!(c.server.addr.unwrap().port(), 9000);
        assert_eq!(c.basemap.as_ref().unwrap().kind, "xyz");
        assert_eq!(
            c.image_origins(),
            ["http://10.0.0.5", "https://*.tianditu.gov.cn"]
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = Config::parse("[basemap]\nurl = \"javascript:alert(1)\"").unwrap_err();
        assert!(e.to_string().contains("[basemap] url"), "{e}");
        let e = Config::parse("[basemap]\nkind = \"wms\"\nurl = \"https://x/\"").unwrap_err();
        assert!(e.to_string().contains("wms"), "{e}");
        let e =
            Config::parse("[imagery.\"2020Q1\"]\nbefore = \"https://x/\"\nafter = \"https://x/\"")
                .unwrap_err();
        assert!(e.to_string().contains("年份/批次"), "{e}");
        let e = Config::parse("[server]\nport = 80").unwrap_err();
        assert!(e.to_string().contains("port"), "{e}");
    }
}
