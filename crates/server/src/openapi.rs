//! The OpenAPI 3.1 document, written out by hand (the API is small and its
//! errors are uniform): every path with its parameters, request body and
//! response codes.

use serde_json::{json, Map, Value};

use crate::routes::XLSX;

/// A JSON response with a description.
fn ok(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": {} } })
}

/// A GeoJSON response (RFC 7946) with a description.
fn geojson(description: &str) -> Value {
    json!({ "description": description, "content": { "application/geo+json": {} } })
}

/// A file response.
fn file(description: &str, media_types: &[&str]) -> Value {
    let content: Map<String, Value> = media_types
        .iter()
        .map(|m| {
            (
                (*m).to_string(),
                json!({ "schema": { "type": "string", "format": "binary" } }),
            )
        })
        .collect();
    json!({ "description": description, "content": content })
}

/// Responses: the success one (status, response) and the error statuses.
fn responses(success: (&str, Value), errors: &[&str]) -> Value {
    let mut m = Map::new();
    m.insert(success.0.into(), success.1);
    for code in errors {
        let description = match *code {
            "401" => "未登录或令牌无效",
            "403" => "所辖范围内，但角色无权执行",
            "404" => "不存在，或不在调用者所辖行政区内",
            "409" => "基于过期版本的修改（附 current_version）",
            "413" => "上传内容超过上限",
            _ => "请求有误",
        };
        m.insert(
            (*code).into(),
            json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
    }
    Value::Object(m)
}

fn path_param(name: &str, kind: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": kind }, "description": description })
}

fn query_param(name: &str, required: bool, schema: &Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": required, "schema": schema, "description": description })
}

fn json_body(schema: &Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

/// The OpenAPI 3.1 description of the API (served at `/api/openapi.json`).
#[must_use]
#[allow(clippy::too_many_lines)] // one literal document
pub fn openapi_document() -> Value {
    let patch_params = json!([
        path_param("year", "integer", "年份"),
        path_param("batch", "string", "批次"),
        path_param("jcbh", "string", "监测编号"),
    ]);
    let with = |extra: Value| -> Value {
        let mut v = patch_params.as_array().cloned().unwrap_or_default();
        v.push(extra);
        Value::Array(v)
    };
    let batch_params = json!([
        query_param("year", true, &json!({ "type": "integer" }), "年份"),
        query_param("batch", true, &json!({ "type": "string" }), "批次"),
    ]);
    let table_params = {
        let mut v = batch_params.as_array().cloned().unwrap_or_default();
        v.push(query_param(
            "format",
            false,
            &json!({ "type": "string", "enum": ["xlsx", "csv"], "default": "xlsx" }),
            "表格格式（csv 为带 BOM 的 UTF-8）",
        ));
        Value::Array(v)
    };
    let with_all = |extra: &[Value]| -> Value {
        let mut v = patch_params.as_array().cloned().unwrap_or_default();
        v.extend(extra.iter().cloned());
        Value::Array(v)
    };
    let geometry_body = json!({ "required": true, "content": { "application/octet-stream": {
        "schema": { "type": "string", "format": "binary" } } } });
    let case_id = json!([path_param("id", "integer", "案件编号")]);
    json!({
        "openapi": "3.1.0",
        "info": { "title": "weipian 卫片执法 API", "version": env!("CARGO_PKG_VERSION") },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": { "type": "string", "enum": ["unauthorized", "forbidden", "not_found", "conflict", "too_large", "invalid", "internal", "busy"] },
                        "message": { "type": "string" },
                        "current_version": { "type": "integer", "description": "409 时：当前版本" },
                        "changed_fields": { "type": "array", "items": { "type": "string" }, "description": "409 时：对方改动的字段" }
                    }
                },
                "MilitaryRecord": {
                    "type": "object",
                    "required": ["DWMC", "YT", "TBR", "TBRQ"],
                    "properties": {
                        "DWMC": { "type": "string", "description": "使用单位（可填代号）" },
                        "YT": { "type": "string", "description": "用途" },
                        "MJ": { "type": ["number", "null"], "description": "面积（平方米）" },
                        "PZWJ": { "type": ["string", "null"], "description": "批准或权属文件" },
                        "TBR": { "type": "string", "description": "填表人" },
                        "TBRQ": { "type": "string", "description": "填表日期 YYYY-MM-DD" },
                        "BZ": { "type": ["string", "null"], "description": "备注" }
                    }
                }
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/me": { "get": { "summary": "当前用户", "responses": responses(("200", ok("用户、行政区与角色")), &["401"]) } },
            "/api/session": {
                "post": {
                    "summary": "浏览器登录：用户名与密码；成功后设置 HttpOnly、SameSite=Strict 的会话 Cookie，返回防跨站请求令牌（此后每个修改请求须在 X-CSRF-Token 头中带上）；同一用户名连续失败 5 次后 10 分钟内拒绝登录",
                    "security": [],
                    "requestBody": json_body(&json!({ "type": "object", "required": ["name", "password"],
                        "properties": { "name": { "type": "string" }, "password": { "type": "string" } } })),
                    "responses": responses(("200", ok("用户、角色、行政区与防跨站请求令牌")), &["401", "422", "429"])
                },
                "get": { "summary": "当前会话：用户与防跨站请求令牌", "responses": responses(("200", ok("会话")), &["401"]) },
                "delete": { "summary": "退出登录（须带 X-CSRF-Token）", "responses": responses(("204", ok("已退出")), &["401", "403"]) }
            },
            "/api/batches": { "get": { "summary": "批次（年份、批次名、图斑种类）", "responses": responses(("200", ok("批次列表")), &["401"]) } },
            "/api/regions": { "get": { "summary": "行政区名称：调用者辖区内及其上级的行政区（代码、名称、层级、上级代码）", "responses": responses(("200", ok("行政区列表")), &["401"]) } },
            "/api/platform": { "get": { "summary": "地图配置：底图（XYZ 或 WMTS，未配置为 null）与各批次前后时相影像（来自配置文件）", "responses": responses(("200", ok("地图配置")), &["401"]) } },
            "/api/determination/{year}": { "get": {
                "summary": "该年度判定类型代码表（填报表单用）：土地、矿产的判定类型及具体情形、各情形要求的举证材料组、每组的字段（代码、名称、输入类型）、扣除情形、矿产处理方式",
                "parameters": [path_param("year", "integer", "年份")],
                "responses": responses(("200", ok("代码表")), &["401", "404"])
            } },
            "/api/users": {
                "get": { "summary": "用户列表（管理员，本辖区内）", "responses": responses(("200", ok("用户")), &["401", "403"]) },
                "post": {
                    "summary": "创建用户（管理员，本辖区内）：用户名、行政区代码（000000 为全国）、角色、初始密码（至少 10 个字符）",
                    "requestBody": json_body(&json!({ "type": "object", "required": ["name", "region", "role", "password"],
                        "properties": { "name": { "type": "string" }, "region": { "type": "string" },
                            "role": { "type": "string", "enum": ["admin", "county", "city", "province", "desk", "military", "ministry"] },
                            "password": { "type": "string" } } })),
                    "responses": responses(("201", ok("用户")), &["401", "403", "422"])
                }
            },
            "/api/users/{name}": { "put": {
                "summary": "设置用户的行政区与角色、停用或启用（管理员，本辖区内）；该用户的登录会话随之失效",
                "parameters": [path_param("name", "string", "用户名")],
                "requestBody": json_body(&json!({ "type": "object", "required": ["region", "role"],
                    "properties": { "region": { "type": "string" }, "role": { "type": "string" }, "disabled": { "type": "boolean" } } })),
                "responses": responses(("200", ok("用户")), &["401", "403", "404", "422"])
            } },
            "/api/me/password": { "post": {
                "summary": "修改本人密码：须提供当前密码；其他会话随之失效",
                "requestBody": json_body(&json!({ "type": "object", "required": ["current", "new"],
                    "properties": { "current": { "type": "string" }, "new": { "type": "string" } } })),
                "responses": responses(("204", ok("已修改")), &["401", "403", "422"])
            } },
            "/api/patches": { "get": {
                "summary": "图斑列表：筛选、排序、分页（只含调用者所辖行政区，不含军用地）。返回 { total, page, per_page, items }；每行：JCBH、XZQDM、kind、area_m2（椭球面积，平方米）、PDLX（整斑当前填报的判定类型）、figures（叠加分析数据，平方米）、ZDHC、BMDTB、DKS（地块数）、answer_version、answer_complete（拆分图斑须每个地块填报完整）、review_state 与 review_state_name、returned、status 与 status_name（unanswered 未填报、draft 填报中、ready 待上报、returned 已退回，或审核状态 city、city_passed、province、province_passed、reported）、open_flags（未处理疑点数）、updated_at（填报或审核最近更新时间，UTC，RFC 3339；没有则为 null）",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("batch", true, &json!({ "type": "string" }), "批次"),
                    query_param("kind", false, &json!({ "type": "string", "enum": ["land", "mineral"] }), "土地或矿产"),
                    query_param("region", false, &json!({ "type": "string" }), "行政区代码（限于所辖范围；范围外返回空页）"),
                    query_param("status", false, &json!({ "type": "string" }), "状态，可用逗号分隔多个（任一即可）：unanswered、draft、ready、returned、city、city_passed、province、province_passed、reported"),
                    query_param("pdlx", false, &json!({ "type": "string" }), "判定类型代码（该年代码表中的，如 HF、WF、QT）：图斑或其任一地块的当前填报为此类型"),
                    query_param("jtqx", false, &json!({ "type": "string" }), "具体情形代码（如 WF01）：图斑或其任一地块的当前填报为此情形"),
                    query_param("flag", false, &json!({ "type": "string", "enum": ["open", "upheld", "any", "none"] }), "内业疑点：有未处理的、有认定成立的、有任何疑点、没有疑点"),
                    query_param("min_area", false, &json!({ "type": "number", "minimum": 0 }), "椭球面积下限（平方米，含）"),
                    query_param("max_area", false, &json!({ "type": "number", "minimum": 0 }), "椭球面积上限（平方米，含）"),
                    query_param("q", false, &json!({ "type": "string", "maxLength": 100 }), "监测编号包含的文字（不区分大小写，% 与 _ 按原样匹配）"),
                    query_param("sort", false, &json!({ "type": "string", "enum": ["jcbh", "area", "xzqdm", "updated"], "default": "jcbh" }), "排序：监测编号、面积、行政区代码、最近更新（没有更新的排在最后）；相同时按监测编号升序"),
                    query_param("dir", false, &json!({ "type": "string", "enum": ["asc", "desc"], "default": "asc" }), "升序或降序"),
                    query_param("page", false, &json!({ "type": "integer", "minimum": 1, "default": 1 }), "页码"),
                    query_param("per_page", false, &json!({ "type": "integer", "minimum": 1, "maximum": 500, "default": 50 }), "每页条数（超出范围时取最近的有效值）")
                ],
                "responses": responses(("200", ok("一页图斑")), &["401", "403", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}": { "get": {
                "summary": "图斑详情：下发属性、叠加分析数据、填报、附件、关联案件",
                "parameters": patch_params,
                "responses": responses(("200", ok("图斑详情")), &["401", "404", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/answer": {
                "get": { "summary": "图斑填报", "parameters": patch_params,
                         "responses": responses(("200", ok("当前填报及其校验结果")), &["401", "404", "422"]) },
                "put": { "summary": "保存图斑填报（基于版本）", "parameters": patch_params,
                         "requestBody": json_body(&json!({
                             "type": "object", "required": ["answer"],
                             "properties": { "answer": { "type": "object", "description": "填报内容（国家字段代码）" }, "based_on": { "type": ["integer", "null"] }, "reason": { "type": ["string", "null"] } } })),
                         "responses": responses(("200", ok("已保存（不完整时列出全部问题）")), &["401", "403", "404", "409", "422"]) }
            },
            "/api/patches/{year}/{batch}/{jcbh}/history": { "get": {
                "summary": "图斑及其案件的审计记录（按时间先后）",
                "parameters": patch_params,
                "responses": responses(("200", ok("审计记录")), &["401", "404", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/attachments": {
                "get": { "summary": "图斑的举证附件（含 EXIF 信息与提示）", "parameters": patch_params,
                         "responses": responses(("200", ok("附件列表")), &["401", "404", "422"]) },
                "post": { "summary": "上传举证附件（JPEG、PNG 或 PDF，按内容判断；请求体为文件本身）",
                          "parameters": with(query_param("name", false, &json!({ "type": "string" }), "文件名")),
                          "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                          "responses": responses(("201", ok("已保存的附件")), &["401", "403", "404", "413", "422"]) }
            },
            "/api/patches/{year}/{batch}/{jcbh}/attachments/{sha256}": { "get": {
                "summary": "下载附件（须为该图斑的附件）",
                "parameters": with(path_param("sha256", "string", "附件的 SHA-256")),
                "responses": responses(("200", file("附件内容（以附件形式下载）", &["image/jpeg", "image/png", "application/pdf", "application/octet-stream"])), &["401", "404", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/military": { "post": {
                "summary": "登记为军用土地（此后不再出现在任何普通列表、导出和统计中）",
                "parameters": patch_params,
                "requestBody": json_body(&json!({ "$ref": "#/components/schemas/MilitaryRecord" })),
                "responses": responses(("200", ok("已登记")), &["401", "403", "404", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/parcels": {
                "get": { "summary": "图斑拆分的地块：面积、叠加分析数据、各地块填报及合计", "parameters": patch_params,
                         "responses": responses(("200", ok("地块及合计（未拆分时为空）")), &["401", "404", "422"]) },
                "put": { "summary": "拆分图斑为地块（请求体为地块范围文件，每个要素一个地块；须恰好覆盖图斑，无缝隙、无重叠、不出界）",
                         "parameters": with_all(&[
                             query_param("name", false, &json!({ "type": "string", "default": "地块.geojson" }), "文件名，按扩展名识别格式：.geojson、.zip（Shapefile）、.gpkg、.txt（国土坐标文件）"),
                             query_param("discard_answers", false, &json!({ "type": "boolean", "default": false }), "已有填报时仍重新拆分（原填报失效，历史版本保留）")]),
                         "requestBody": geometry_body.clone(),
                         "responses": responses(("200", ok("拆分后的地块")), &["401", "403", "404", "413", "422"]) },
                "delete": { "summary": "撤销拆分",
                            "parameters": with_all(&[
                                query_param("discard_answers", false, &json!({ "type": "boolean", "default": false }), "地块已有填报时仍撤销"),
                                query_param("reason", false, &json!({ "type": "string" }), "原因")]),
                            "responses": responses(("200", ok("撤销后的图斑（无地块）")), &["401", "403", "404", "422"]) }
            },
            "/api/patches/{year}/{batch}/{jcbh}/parcels/cut": { "put": {
                "parameters": patch_params.clone(),
                "summary": "按分割线拆分地块：在地图上画出穿过图斑的分割线（EPSG:4490 经纬度），图斑沿线切开，各块按面积从大到小成为地块 1、2……（与文件拆分相同的分区检查、叠加分析与审计）",
                "requestBody": json_body(&json!({ "type": "object", "required": ["lines"],
                    "properties": { "lines": { "type": "array", "items": { "type": "array", "items": { "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2 } } },
                        "discard_answers": { "type": "boolean" } } })),
                "responses": responses(("200", ok("地块")), &["401", "403", "404", "409", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/parcels/{no}/answer": {
                "get": { "summary": "地块填报", "parameters": with(path_param("no", "integer", "地块序号（1 起）")),
                         "responses": responses(("200", ok("当前填报及其校验结果（按地块面积校验）")), &["401", "404", "422"]) },
                "put": { "summary": "保存地块填报（基于版本）", "parameters": with(path_param("no", "integer", "地块序号（1 起）")),
                         "requestBody": json_body(&json!({
                             "type": "object", "required": ["answer"],
                             "properties": { "answer": { "type": "object" }, "based_on": { "type": ["integer", "null"] }, "reason": { "type": ["string", "null"] } } })),
                         "responses": responses(("200", ok("已保存")), &["401", "403", "404", "409", "422"]) }
            },
            "/api/cases": {
                "get": { "summary": "批次的案件（所辖县）", "parameters": batch_params,
                         "responses": responses(("200", ok("案件列表")), &["401", "422"]) },
                "post": { "summary": "立案（县级，关联同一县的违法图斑）",
                          "requestBody": json_body(&json!({
                              "type": "object", "required": ["year", "batch", "number", "jcbhs"],
                              "properties": { "year": { "type": "integer" }, "batch": { "type": "string" }, "number": { "type": "string", "description": "违法行为编号" }, "jcbhs": { "type": "array", "items": { "type": "string" } } } })),
                          "responses": responses(("201", ok("新案件")), &["401", "403", "404", "422"]) }
            },
            "/api/cases/{id}": { "get": {
                "summary": "案件", "parameters": case_id,
                "responses": responses(("200", ok("案件")), &["401", "404"])
            } },
            "/api/cases/{id}/events": { "post": {
                "summary": "办理案件：记录一个环节（基于版本）", "parameters": case_id,
                "requestBody": json_body(&json!({
                    "type": "object", "required": ["event", "based_on"],
                    "properties": {
                        "event": { "type": "object", "required": ["event"], "description": "环节：event 为 file、decide、enforce、close、rectify、eliminate、supervise、report、public_notice 或 add_party，其余字段随环节而定" },
                        "based_on": { "type": "integer", "description": "所依据的案件版本" } } })),
                "responses": responses(("200", ok("办理后的案件")), &["401", "403", "404", "409", "422"])
            } },
            "/api/cases/{id}/range": {
                "get": { "summary": "案件的违法用地矢量范围：各要素面积与叠加分析数据", "parameters": case_id,
                         "responses": responses(("200", ok("范围（未上传时为空）")), &["401", "404"]) },
                "put": { "summary": "上传违法用地矢量范围（替换原有范围；须为 CGCS2000、在案件所在县内、与案件图斑重叠）",
                         "parameters": [path_param("id", "integer", "案件编号"),
                             query_param("name", false, &json!({ "type": "string", "default": "违法用地范围.geojson" }), "文件名，按扩展名识别格式")],
                         "requestBody": geometry_body.clone(),
                         "responses": responses(("200", ok("上传后的范围及提示")), &["401", "403", "404", "413", "422"]) }
            },
            "/api/patches/{year}/{batch}/{jcbh}/review": { "get": {
                "summary": "图斑的审核状态、退回次数与每一步记录（办理人、时间、意见）",
                "parameters": patch_params,
                "responses": responses(("200", ok("审核状态")), &["401", "404", "422"])
            } },
            "/api/reviews": { "post": {
                "summary": "审核链办理：县级上报、审核通过、退回（须写原因）、市级上报、报部；可一次办理多个图斑",
                "requestBody": json_body(&json!({
                    "type": "object", "required": ["year", "batch", "jcbhs", "action"],
                    "properties": {
                        "year": { "type": "integer" }, "batch": { "type": "string" },
                        "jcbhs": { "type": "array", "items": { "type": "string" } },
                        "action": { "type": "object", "required": ["action"], "description": "action 为 submit、pass（opinion）、return（reason）、submit_to_province 或 report" },
                        "based_on": { "type": ["integer", "null"], "description": "单个图斑时：所依据的审核版本" } } })),
                "responses": responses(("200", ok("已办理的图斑及其新状态；多个图斑时另列未办理的图斑及原因")), &["401", "403", "404", "409", "422"])
            } },
            "/api/reviews/queue": { "get": {
                "summary": "等待调用者办理的图斑（所辖范围内）", "parameters": batch_params,
                "responses": responses(("200", ok("待办图斑")), &["401", "422"])
            } },
            "/api/reviews/pass-all": { "post": {
                "summary": "批量审核通过：所辖范围内全部已上报到本级的图斑（市级或省级审核用户）",
                "requestBody": json_body(&json!({
                    "type": "object", "required": ["year", "batch"],
                    "properties": { "year": { "type": "integer" }, "batch": { "type": "string" }, "opinion": { "type": ["string", "null"] } } })),
                "responses": responses(("200", ok("已通过的图斑")), &["401", "403", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/flags": { "get": {
                "summary": "图斑的内业审核疑点：规则、依据、县级复核说明、认定结果",
                "parameters": patch_params,
                "responses": responses(("200", ok("疑点列表")), &["401", "404", "422"])
            } },
            "/api/desk/rules": { "get": {
                "summary": "内业审核规则（代码、名称、说明）",
                "responses": responses(("200", ok("规则列表")), &["401"])
            } },
            "/api/desk/run": { "post": {
                "summary": "运行内业审核规则（技术支撑单位、市级或省级审核用户；所辖范围内全部或指定图斑）",
                "requestBody": json_body(&json!({
                    "type": "object", "required": ["year", "batch"],
                    "properties": { "year": { "type": "integer" }, "batch": { "type": "string" },
                                    "jcbhs": { "type": ["array", "null"], "items": { "type": "string" } } } })),
                "responses": responses(("200", ok("新增、仍待认定、自动关闭的疑点数与疑似问题图斑")), &["401", "403", "404", "422"])
            } },
            "/api/flags/{id}/reply": { "post": {
                "summary": "县级答复疑点（复核说明）",
                "parameters": [path_param("id", "integer", "疑点编号")],
                "requestBody": json_body(&json!({ "type": "object", "required": ["text"], "properties": { "text": { "type": "string" } } })),
                "responses": responses(("200", ok("答复后的疑点")), &["401", "403", "404", "422"])
            } },
            "/api/flags/{id}/decision": { "post": {
                "summary": "认定疑点：属实（upheld=true）或排除（市级或省级审核用户）",
                "parameters": [path_param("id", "integer", "疑点编号")],
                "requestBody": json_body(&json!({ "type": "object", "required": ["upheld"],
                    "properties": { "upheld": { "type": "boolean" }, "note": { "type": ["string", "null"] } } })),
                "responses": responses(("200", ok("认定后的疑点")), &["401", "403", "404", "422"])
            } },
            "/api/flags/decisions": { "post": {
                "summary": "批量认定疑点：属实（upheld=true）或排除（市级或省级审核用户）。给出疑点编号 ids，或图斑 year、batch、jcbhs（这些图斑全部待认定的疑点，给出 rule 时只认定该规则的）；一次最多 5000 个。逐个检查，任何一个不能认定（不在所辖范围内的按未找到处理，已认定的说明疑点与图斑）则全部不认定；每个疑点分别记入审计日志。返回 { decided, status, flags: [{ id, jcbh, rule }], skipped（所选图斑中没有待认定疑点的） }",
                "requestBody": json_body(&json!({ "type": "object", "required": ["upheld"],
                    "properties": { "ids": { "type": ["array", "null"], "items": { "type": "integer" }, "maxItems": 5000 },
                                    "year": { "type": ["integer", "null"] }, "batch": { "type": ["string", "null"] },
                                    "jcbhs": { "type": ["array", "null"], "items": { "type": "string" }, "maxItems": 5000 },
                                    "rule": { "type": ["string", "null"], "description": "规则代码，如 R05" },
                                    "upheld": { "type": "boolean" }, "note": { "type": ["string", "null"] } } })),
                "responses": responses(("200", ok("认定结果")), &["401", "403", "404", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/override": { "put": {
                "summary": "省级直接修改填报（只有省级审核用户，须写明原因；各级可见，记入审计日志）",
                "parameters": patch_params,
                "requestBody": json_body(&json!({
                    "type": "object", "required": ["answer", "reason"],
                    "properties": { "answer": { "type": "object" }, "based_on": { "type": ["integer", "null"] },
                                    "reason": { "type": "string" }, "parcel": { "type": ["integer", "null"], "description": "地块序号" } } })),
                "responses": responses(("200", ok("修改后的填报")), &["401", "403", "404", "409", "422"])
            } },
            "/api/samples": { "post": {
                "summary": "抽查：按判定类型与面积分级分层随机抽样（样本量由允许误差与置信水平确定；同一种子抽出同样的样本）",
                "requestBody": json_body(&json!({
                    "type": "object", "required": ["year", "batch", "seed"],
                    "properties": { "year": { "type": "integer" }, "batch": { "type": "string" },
                                    "region": { "type": ["string", "null"] }, "margin": { "type": ["number", "null"] },
                                    "confidence": { "type": ["number", "null"], "enum": [0.9, 0.95, 0.99, null] },
                                    "seed": { "type": "integer" } } })),
                "responses": responses(("201", ok("样本")), &["401", "403", "404", "422"])
            } },
            "/api/samples/{id}": { "get": {
                "summary": "样本：各层结果与错误率估计（置信区间）；交叉检查的县只看到分给它的图斑",
                "parameters": [path_param("id", "integer", "抽查编号")],
                "responses": responses(("200", ok("样本")), &["401", "404"])
            } },
            "/api/samples/{id}/cross": { "post": {
                "summary": "安排交叉检查：各县检查其他县的样本图斑，不查本县",
                "parameters": [path_param("id", "integer", "抽查编号")],
                "requestBody": json_body(&json!({ "type": "object", "required": ["seed"], "properties": { "seed": { "type": "integer" } } })),
                "responses": responses(("200", ok("样本")), &["401", "403", "404", "422"])
            } },
            "/api/samples/{id}/results": { "post": {
                "summary": "记录样本图斑的检查结果（有误须写明问题）",
                "parameters": [path_param("id", "integer", "抽查编号")],
                "requestBody": json_body(&json!({ "type": "object", "required": ["jcbh", "wrong"],
                    "properties": { "jcbh": { "type": "string" }, "wrong": { "type": "boolean" }, "note": { "type": ["string", "null"] } } })),
                "responses": responses(("200", ok("样本")), &["401", "403", "404", "422"])
            } },
            "/api/schedule": { "get": {
                "summary": "时间节点：各行政区须在何时完成什么、完成情况、是否逾期（过了时点即冻结快照）",
                "parameters": [query_param("year", true, &json!({ "type": "integer" }), "年度")],
                "responses": responses(("200", ok("时间节点列表")), &["401", "422"])
            } },
            "/api/snapshots/{id}": { "get": {
                "summary": "时点快照：冻结的图斑与案件数、时点后整改",
                "parameters": [path_param("id", "integer", "快照编号")],
                "responses": responses(("200", ok("快照")), &["401", "404"])
            } },
            "/api/extensions": {
                "get": { "summary": "延期申请（所辖范围）",
                         "parameters": [query_param("year", true, &json!({ "type": "integer" }), "年度")],
                         "responses": responses(("200", ok("延期申请列表")), &["401", "422"]) },
                "post": { "summary": "申请延期（不可抗力；由该时间节点的办理层级提出）",
                          "requestBody": json_body(&json!({ "type": "object", "required": ["year", "deadline", "reason", "measures", "new_due"],
                              "properties": { "year": { "type": "integer" }, "deadline": { "type": "string" }, "reason": { "type": "string" },
                                              "measures": { "type": "string" }, "new_due": { "type": "string", "format": "date" } } })),
                          "responses": responses(("201", ok("已提交")), &["401", "403", "404", "422"]) }
            },
            "/api/extensions/{id}/decision": { "post": {
                "summary": "批复延期申请（上一级）",
                "parameters": [path_param("id", "integer", "延期申请编号")],
                "requestBody": json_body(&json!({ "type": "object", "required": ["grant"],
                    "properties": { "grant": { "type": "boolean" }, "note": { "type": ["string", "null"] } } })),
                "responses": responses(("200", ok("批复结果")), &["401", "403", "404", "422"])
            } },
            "/api/me/awaiting": { "get": {
                "summary": "我的待办：待填报、被退回、待复核的疑点、待审核、7 日内到期或已逾期的时间节点",
                "parameters": batch_params,
                "responses": responses(("200", ok("待办")), &["401", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/field-checks": { "get": {
                "summary": "图斑的外业核查（与县级填报并列显示）",
                "parameters": patch_params,
                "responses": responses(("200", ok("外业核查列表")), &["401", "404", "422"])
            } },
            "/api/field-checks": { "post": {
                "summary": "安排外业核查（省级或市级审核用户）",
                "requestBody": json_body(&json!({ "type": "object", "required": ["year", "batch", "jcbhs"],
                    "properties": { "year": { "type": "integer" }, "batch": { "type": "string" }, "jcbhs": { "type": "array", "items": { "type": "string" } } } })),
                "responses": responses(("201", ok("已安排的核查")), &["401", "403", "404", "422"])
            } },
            "/api/field-checks/{id}/result": { "post": {
                "summary": "填写外业核查结果（技术支撑单位）：核查情况与实测范围（GeoJSON）",
                "parameters": [path_param("id", "integer", "核查编号")],
                "requestBody": json_body(&json!({ "type": "object", "required": ["findings"],
                    "properties": { "findings": { "type": "string" }, "boundary": { "type": ["object", "null"], "description": "GeoJSON" } } })),
                "responses": responses(("200", ok("核查")), &["401", "403", "404", "422"])
            } },
            "/api/field-checks/{id}/photos": { "post": {
                "summary": "上传外业核查照片（技术支撑单位；请求体为照片本身）",
                "parameters": [path_param("id", "integer", "核查编号"), query_param("name", false, &json!({ "type": "string" }), "文件名")],
                "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                "responses": responses(("201", ok("核查")), &["401", "403", "404", "413", "422"])
            } },
            "/api/stats": { "get": {
                "summary": "统计：按行政区汇总下发、已核实填报、合法/违法/其他（伪变化）的个数与面积（平方米），每个数字列出背后的图斑；可按时点快照统计",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("batch", true, &json!({ "type": "string" }), "批次"),
                    query_param("level", false, &json!({ "type": "string", "enum": ["county", "city", "province", "national"] }), "汇总层级"),
                    query_param("snapshot", false, &json!({ "type": "integer" }), "时点快照编号")
                ],
                "responses": responses(("200", ok("各行政区统计")), &["401", "404", "422"])
            } },
            "/api/stats/cases": { "get": {
                "summary": "违法行为（件）按查处阶段统计：发现、立案、作出处罚（处理）、结案、落实到位、消除违法状态，每个数字列出违法行为编号",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("batch", true, &json!({ "type": "string" }), "批次"),
                    query_param("level", false, &json!({ "type": "string", "enum": ["county", "city", "province", "national"] }), "汇总层级"),
                    query_param("snapshot", false, &json!({ "type": "integer" }), "时点快照编号")
                ],
                "responses": responses(("200", ok("各行政区违法行为统计")), &["401", "404", "422"])
            } },
            "/api/reports/quick": { "get": {
                "summary": "季度卫片执法工作情况快报：按部模板逐句填写；JSON 给出每个空的数字、含义及（explain）背后的图斑或违法行为，也可下载 md、html、docx、xlsx；时点已过按时点快照统计",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("quarter", true, &json!({ "type": "integer", "minimum": 1, "maximum": 4 }), "季度"),
                    query_param("region", true, &json!({ "type": "string" }), "省、市或县的行政区代码"),
                    query_param("format", false, &json!({ "type": "string", "enum": ["json", "md", "html", "docx", "xlsx"] }), "输出格式"),
                    query_param("explain", false, &json!({ "type": "boolean" }), "列出每个数字背后的图斑或违法行为"),
                    query_param("current", false, &json!({ "type": "boolean" }), "时点已过也按当前数据统计")
                ],
                "responses": responses(("200", ok("快报")), &["401", "403", "404", "422"])
            } },
            "/api/gate": {
                "get": {
                    "summary": "审批前核查（按编号）：图斑编号、地块编号（JCBH-n）或已批准用地的批准文号所指范围是否与未依法处理到位的违法用地重叠，与哪些重叠",
                    "parameters": [query_param("code", true, &json!({ "type": "string" }), "图斑编号、地块编号或批准文号")],
                    "responses": responses(("200", ok("核查结果")), &["401", "404", "422"])
                },
                "post": {
                    "summary": "审批前核查（按范围）：上传拟审批范围（Shapefile .zip、GeoJSON、GeoPackage、国土 TXT，须为 CGCS2000），答复是否与未依法处理到位的违法用地重叠及重叠面积",
                    "parameters": [query_param("name", false, &json!({ "type": "string" }), "文件名（按扩展名识别格式）")],
                    "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                    "responses": responses(("200", ok("核查结果")), &["401", "413", "422"])
                }
            },
            "/api/map/patches": { "get": {
                "summary": "地图：批次中外包框与 bbox 相交、调用者可见的图斑（GeoJSON，EPSG:4490 经纬度，坐标全精度；不含军用地）；按面积从大到小最多 limit 个，total 为相交总数，truncated 表示是否有未返回的。属性：JCBH、XZQDM、kind、area_m2、PDLX（当前整斑填报的判定类型，无则为 null）、review_state",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("batch", true, &json!({ "type": "string" }), "批次"),
                    query_param("bbox", true, &json!({ "type": "string" }), "minx,miny,maxx,maxy（经纬度，最大 2°×2°）"),
                    query_param("limit", false, &json!({ "type": "integer", "minimum": 1, "maximum": 5000, "default": 2000 }), "最多返回的要素数")
                ],
                "responses": responses(("200", geojson("FeatureCollection，另有 total、truncated")), &["401", "422"])
            } },
            "/api/map/layers/{kind}": { "get": {
                "summary": "地图：基础数据图层中外包框与 bbox 相交的要素（GeoJSON，EPSG:4490）；全省数据，登录用户均可查看；按面积从大到小最多 limit 个，附 total、truncated。属性：fid、area_m2 及该图层的关键字段（耕地 DLBM，已批准用地 PZWH、PZSJ，自然保护地 MC，矿业权 KZ、XKZH）",
                "parameters": [
                    path_param("kind", "string", "图层：gd 耕地、jbnt 永久基本农田、sthx 生态保护红线、zrbhd 自然保护地、pzyd 已批准用地、cjyx 长江/黄河沿线生态敏感区、kq 矿业权"),
                    query_param("bbox", true, &json!({ "type": "string" }), "minx,miny,maxx,maxy（经纬度，最大 2°×2°）"),
                    query_param("limit", false, &json!({ "type": "integer", "minimum": 1, "maximum": 5000, "default": 2000 }), "最多返回的要素数")
                ],
                "responses": responses(("200", geojson("FeatureCollection，另有 total、truncated")), &["401", "404", "422"])
            } },
            "/api/patches/{year}/{batch}/{jcbh}/geometry": { "get": {
                "summary": "图斑的图形（GeoJSON，EPSG:4490）：图斑本身（role=patch）、拆分的地块（role=parcel，part 为地块序号）、关联案件的违法用地范围（role=case_range，case_id、case_number、no），均附 area_m2；顶层 bbox 为图斑的外包框 [minx,miny,maxx,maxy]",
                "parameters": patch_params,
                "responses": responses(("200", geojson("FeatureCollection，另有 bbox")), &["401", "404", "422"])
            } },
            "/api/reports/results": { "get": {
                "summary": "半年度、年度卫片执法成果报告（省级报部）：年度成果中截止日前已消除违法状态的不再作为违法统计；JSON 或下载 md、html、docx（附各下级行政区主要指标）、xlsx（全部指标）",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("period", true, &json!({ "type": "string", "enum": ["h1", "annual"] }), "上半年或年度"),
                    query_param("region", true, &json!({ "type": "string" }), "省、市或县的行政区代码"),
                    query_param("format", false, &json!({ "type": "string", "enum": ["json", "md", "html", "docx", "xlsx"] }), "输出格式"),
                    query_param("explain", false, &json!({ "type": "boolean" }), "列出每个数字背后的图斑或违法行为"),
                    query_param("current", false, &json!({ "type": "boolean" }), "时点已过也按当前数据统计")
                ],
                "responses": responses(("200", ok("成果报告")), &["401", "403", "404", "422"])
            } },
            "/api/accountability": { "get": {
                "summary": "问责核算：本辖区市、县违法占用耕地比例排名，扣除前后的分子分母、逐项扣除、是否问责及理由、预警、降至问责线以下须再整改的亩数、增违挂钩，每个数额列出背后的图斑（地块）；可导出 xlsx",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("region", false, &json!({ "type": "string" }), "行政区代码（默认本人辖区）"),
                    query_param("current", false, &json!({ "type": "boolean" }), "年度时点已过也按当前数据核算"),
                    query_param("format", false, &json!({ "type": "string", "enum": ["json", "xlsx"] }), "输出格式"),
                    query_param("explain", false, &json!({ "type": "boolean" }), "xlsx 附明细")
                ],
                "responses": responses(("200", ok("排名表")), &["401", "404", "422"])
            } },
            "/api/accountability/signals": { "get": {
                "summary": "其他问责情形（《违反土地管理规定行为处分办法》第三条）：按县列出判定违法未立案、发现后逾期未立案、立案后逾期未作出处理决定（压案不查）、经审核认定隐瞒不报或填报不实的违法行为和图斑",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("region", false, &json!({ "type": "string" }), "行政区代码（默认本人辖区）")
                ],
                "responses": responses(("200", ok("各县情形")), &["401", "422"])
            } },
            "/api/blacklist": { "get": {
                "summary": "违法主体黑名单：案件当事人（单位、个人）中违法用地面积、占用耕地面积、违法行为件数达到标准或处理决定未落实到位的，列出背后的违法行为；可查找、导出 xlsx",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("region", false, &json!({ "type": "string" }), "行政区代码（默认本人辖区）"),
                    query_param("q", false, &json!({ "type": "string" }), "按名称、违法行为编号或行政区代码查找"),
                    query_param("format", false, &json!({ "type": "string", "enum": ["json", "xlsx"] }), "输出格式")
                ],
                "responses": responses(("200", ok("黑名单")), &["401", "422"])
            } },
            "/api/accountability/{document}": { "get": {
                "summary": "问责结果文书（.docx）：interview 约谈名单，proposal 问责建议",
                "parameters": [
                    path_param("document", "string", "interview（约谈名单）或 proposal（问责建议）"),
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("region", false, &json!({ "type": "string" }), "行政区代码（默认本人辖区）"),
                    query_param("current", false, &json!({ "type": "boolean" }), "年度时点已过也按当前数据核算")
                ],
                "responses": responses(("200", ok("文书")), &["401", "404", "422"])
            } },
            "/api/transfers": { "get": {
                "summary": "已移交、尚待接收单位反馈的图斑", "parameters": batch_params,
                "responses": responses(("200", ok("图斑列表")), &["401", "422"])
            } },
            "/api/military": { "get": {
                "summary": "军用土地登记（仅军用地登记角色）", "parameters": batch_params,
                "responses": responses(("200", ok("登记列表")), &["401", "403", "422"])
            } },
            "/api/military/export": { "get": {
                "summary": "导出军用土地登记表（xlsx）", "parameters": batch_params,
                "responses": responses(("200", file("登记表", &[XLSX])), &["401", "403", "422"])
            } },
            "/api/answers/import": { "post": {
                "summary": "表格回填：上传填好的填报表（请求体为文件本身）；有效行即保存，无效行列出全部原因",
                "parameters": table_params,
                "requestBody": { "required": true, "content": {
                    XLSX: { "schema": { "type": "string", "format": "binary" } },
                    "text/csv": { "schema": { "type": "string", "format": "binary" } } } },
                "responses": responses(("200", ok("回填报告：applied、unchanged、rejected（含行号、监测编号与全部原因）")), &["401", "403", "413", "422"])
            } },
            "/api/answers/export": { "get": {
                "summary": "下载填报表（回填格式，只含所辖图斑）", "parameters": table_params,
                "responses": responses(("200", file("填报表", &[XLSX, "text/csv"])), &["401", "422"])
            } },
            "/api/data": { "get": {
                "summary": "数据管理清单（管理员）：图斑批次、基础图层、县界、最近的导入记录、上传上限",
                "responses": responses(("200", ok("batches、layers、boundaries、imports、max_import_mb、layer_kinds")), &["401", "403"])
            } },
            "/api/data/import": { "post": {
                "summary": "上传并导入（后台任务，返回 202 与任务）：图斑批次、基础图层或县级行政区界线；请求体为文件本身（zip 中的 Shapefile、GeoJSON、GeoPackage、国土 TXT）",
                "parameters": [
                    query_param("what", true, &json!({ "type": "string", "enum": ["patches", "layer", "regions"] }), "导入对象"),
                    query_param("name", true, &json!({ "type": "string" }), "文件名（扩展名决定格式：zip、geojson、json、gpkg、txt）"),
                    query_param("year", false, &json!({ "type": "integer" }), "年份（图斑）"),
                    query_param("batch", false, &json!({ "type": "string" }), "批次（图斑）"),
                    query_param("kind", false, &json!({ "type": "string", "enum": ["land", "mineral"] }), "种类（图斑）"),
                    query_param("layer", false, &json!({ "type": "string" }), "图层类型代码（基础图层）"),
                    query_param("encoding", false, &json!({ "type": "string", "enum": ["auto", "gbk", "utf-8"], "default": "auto" }), "属性文字编码"),
                    query_param("analyze", false, &json!({ "type": "boolean", "default": false }), "导入图斑后运行叠加分析"),
                ],
                "requestBody": geometry_body,
                "responses": responses(("202", ok("任务：id、title、state（running/done/failed）、stage、done、total")), &["401", "403", "409", "413", "422"])
            } },
            "/api/data/analysis": {
                "get": {
                    "summary": "批次叠加分析是否最新：patches、stale（待分析图斑数）、missing_layers",
                    "parameters": batch_params.clone(),
                    "responses": responses(("200", ok("分析状态")), &["401", "403", "422"])
                },
                "post": {
                    "summary": "运行批次叠加分析（后台任务，返回 202 与任务）",
                    "requestBody": json_body(&json!({ "type": "object", "required": ["year", "batch"], "properties": {
                        "year": { "type": "integer" }, "batch": { "type": "string" }, "force": { "type": "boolean", "description": "全部重算" } } })),
                    "responses": responses(("202", ok("任务")), &["401", "403", "409", "422"])
                }
            },
            "/api/data/export": { "get": {
                "summary": "下载所辖图斑及叠加分析结果（GeoPackage、zip 中的 Shapefile、GeoJSON、Excel）",
                "parameters": [
                    query_param("year", true, &json!({ "type": "integer" }), "年份"),
                    query_param("batch", true, &json!({ "type": "string" }), "批次"),
                    query_param("format", true, &json!({ "type": "string", "enum": ["gpkg", "shp", "geojson", "xlsx"] }), "格式"),
                    query_param("region", false, &json!({ "type": "string" }), "行政区代码（所辖范围内）"),
                    query_param("kind", false, &json!({ "type": "string", "enum": ["land", "mineral"] }), "种类"),
                ],
                "responses": responses(("200", file("图斑文件", &["application/geopackage+sqlite3", "application/zip", "application/geo+json", XLSX])), &["401", "422"])
            } },
            "/api/jobs": { "get": {
                "summary": "我的数据任务（全国管理员：全部），新的在前",
                "responses": responses(("200", ok("任务列表")), &["401"])
            } },
            "/api/jobs/{id}": { "get": {
                "summary": "一个任务：进度（stage、done、total），结束后的 result 或 error（含逐条 problems）",
                "parameters": [path_param("id", "integer", "任务编号")],
                "responses": responses(("200", ok("任务")), &["401", "404"])
            } },
            "/api/openapi.json": { "get": { "summary": "本文档", "security": [], "responses": { "200": { "description": "OpenAPI 文档" } } } }
        }
    })
}
