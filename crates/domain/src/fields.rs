//! The national field codes of the patch table ("一张表") and their Chinese
//! headers. Files and APIs use the codes; xlsx exports use the headers.
//!
//! Codes are matched case-insensitively; an issued column that is not listed
//! here is still kept verbatim, it only lacks a Chinese header.

/// A known field: its code (DBF name), Chinese header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownField {
    pub code: &'static str,
    pub header_zh: &'static str,
}

macro_rules! known {
    ($($code:literal => $zh:literal),* $(,)?) => {
        &[$(KnownField { code: $code, header_zh: $zh }),*]
    };
}

/// Issued fields of the national table, in the table's order.
pub const ISSUED_FIELDS: &[KnownField] = known![
    "NF" => "年份",
    "JD" => "季度",
    "XZQDM" => "行政区代码",
    "SMC" => "省名称",
    "CMC" => "市名称",
    "XMC" => "县名称",
    "JCBH" => "监测编号",
    "YSTBBH" => "原始图斑编号",
    "XFSJ" => "下发时间",
    "TBLY" => "图斑来源",
    "QSX" => "前时相",
    "HSX" => "后时相",
    "QQJH" => "前期影像景号",
    "DQJH" => "当期影像景号",
    "LZB" => "中心点经度",
    "BZB" => "中心点纬度",
    "TBLX" => "图斑类型",
    "JCLB" => "监测类别",
    "FXFS" => "变化信息发现方式",
    "ZDBH" => "计算机自动提取编号",
    "ZDLX" => "计算机自动提取类型",
    "BHMJ" => "变化面积",
    "QQJCBH" => "前期监测编号",
    "JCMJ" => "监测面积",
    "JCGDMJ" => "监测耕地面积",
    "YJJBNTMJ" => "永久基本农田面积",
    "NYDMJ" => "农用地面积",
    "JSYDMJ" => "建设用地面积",
    "WLYDMJ" => "未利用地面积",
    "STBHHXMJ" => "生态保护红线面积",
    "ZRBHDMJ" => "自然保护地面积",
    "PZYDMJ" => "已批准用地面积",
    "YXJSQNMJ" => "允许建设区内面积",
    "XZJSQNMJ" => "限制建设区内面积",
    "JZJSQNMJ" => "禁止建设区内面积",
    "YDSXZGDMJ" => "图斑中已有用地手续所占耕地面积",
    "WBSXZGDMJ" => "图斑中未办用地手续所占耕地面积",
    "KZ" => "矿种",
    "BZ" => "备注",
];

/// Fields weipian computes and writes on export (areas in 亩; the store keeps m²).
pub const COMPUTED_FIELDS: &[KnownField] = known![
    "STMJ" => "水田面积",
    "SJDMJ" => "水浇地面积",
    "HDMJ" => "旱地面积",
    "PZWH" => "批准文号",
    "BHDMC" => "自然保护地名称",
    "KQKZ" => "矿业权矿种",
    "ZDHC" => "重点核查",
    "BMDTB" => "百亩大图斑",
    "ZYKZ" => "重要矿种",
    "XZQFB" => "跨县分布（亩）",
    "TQMJ" => "椭球面积（亩）",
    "TQMJ_M2" => "椭球面积（平方米）",
];

/// The Chinese header of a field code, if it is a known one.
///
/// ```
/// assert_eq!(weipian_domain::fields::header_zh("jcbh"), Some("监测编号"));
/// assert_eq!(weipian_domain::fields::header_zh("FOO"), None);
/// ```
#[must_use]
pub fn header_zh(code: &str) -> Option<&'static str> {
    ISSUED_FIELDS
        .iter()
        .chain(COMPUTED_FIELDS)
        .find(|f| f.code.eq_ignore_ascii_case(code))
        .map(|f| f.header_zh)
}

/// The field code for a Chinese header (the reverse of [`header_zh`]).
#[must_use]
pub fn code_for_header(header: &str) -> Option<&'static str> {
    let h = header.trim();
    ISSUED_FIELDS
        .iter()
        .chain(COMPUTED_FIELDS)
        .find(|f| f.header_zh == h)
        .map(|f| f.code)
}

/// Columns a patch file must have.
pub const REQUIRED_PATCH_FIELDS: &[&str] = &["JCBH", "XZQDM"];
