//! Chinese names for synthetic places, projects, mines and documents.
//!
//! Names are drawn from pools of common Sichuan place-name roots; a town or
//! village name depends only on (county, index), so the same 坐落单位 gets
//! the same name wherever it appears.

use crate::rng::{mix, Hashed};

const TOWN_ROOTS: &[&str] = &[
    "太平", "永兴", "龙泉", "石桥", "新民", "长安", "白马", "黄桷", "金龙", "清泉", "双河", "马鞍",
    "柳林", "青龙", "高桥", "天生", "文星", "大兴", "兴隆", "观音", "石板", "三元", "龙凤", "福田",
    "新场", "大石", "安乐", "古城", "金山", "高石", "玉龙", "桂花", "万安", "回龙", "宝林", "花桥",
    "红岩", "玉溪", "东岳", "永安", "仁义", "云峰", "复兴", "双凤", "鹤林", "乐兴", "白果", "新店",
    "石龙", "太和", "中和", "安仁", "新兴", "通济", "两河", "合兴", "福星", "凤鸣", "金桥", "六合",
    "龙门", "天池", "水口", "新桥", "白沙", "普安", "石门", "广福", "长滩", "仙桥", "崇兴", "万福",
    "大坪", "玉泉", "柏树", "三星", "宝山", "清河",
];

const TOWN_SUFFIXES: &[&str] = &["镇", "镇", "镇", "镇", "乡", "街道"];

const VILLAGE_ROOTS: &[&str] = &[
    "团结",
    "光明",
    "胜利",
    "和平",
    "红星",
    "幸福",
    "友谊",
    "前进",
    "建设",
    "新农",
    "杨柳",
    "桃园",
    "竹林",
    "枫树",
    "松林",
    "槐树",
    "茶园",
    "梨花",
    "柑子",
    "荷花",
    "大堰",
    "堰塘",
    "水井",
    "龙井",
    "石笋",
    "土桥",
    "长林",
    "碾盘",
    "铁炉",
    "瓦窑",
    "石碾",
    "新华",
    "永丰",
    "丰收",
    "先锋",
    "红旗",
    "五一",
    "金星",
    "青杠",
    "黄桷树",
    "双龙",
    "凉水",
    "高坎",
    "大湾",
    "小河",
    "沙坝",
    "白鹤",
    "鸡公",
    "狮子",
    "马家",
    "李家",
    "张家",
    "王家",
    "陈家",
    "罗家",
    "何家",
    "刘家",
    "田坝",
    "坪上",
    "老鹰",
    "牛角",
    "飞龙",
    "天星",
    "太阳",
    "月亮",
    "河坝",
];

fn pick<'a>(pool: &[&'a str], key: u64) -> &'a str {
    #[allow(clippy::cast_possible_truncation)]
    let i = (key % pool.len() as u64) as usize;
    pool[i]
}

/// Name of town `t` of a county, e.g. `太平镇`.
pub(crate) fn town(county: u32, t: u32) -> String {
    let k = mix(u64::from(county), u64::from(t));
    // Different towns of one county get different roots.
    #[allow(clippy::cast_possible_truncation)]
    let base = (mix(u64::from(county), 77) % TOWN_ROOTS.len() as u64) as usize;
    let root = TOWN_ROOTS[(base + t as usize * 7) % TOWN_ROOTS.len()];
    format!("{root}{}", pick(TOWN_SUFFIXES, k >> 7))
}

/// Name of village `v` of town `t`, e.g. `石桥村`.
pub(crate) fn village(county: u32, t: u32, v: u32) -> String {
    let k = mix(mix(u64::from(county), u64::from(t)), 1000 + u64::from(v));
    #[allow(clippy::cast_possible_truncation)]
    let base = (k % VILLAGE_ROOTS.len() as u64) as usize;
    let root = VILLAGE_ROOTS[(base + v as usize * 11) % VILLAGE_ROOTS.len()];
    let suffix = if mix(k, 5).is_multiple_of(9) {
        "社区"
    } else {
        "村"
    };
    format!("{root}{suffix}")
}

/// 坐落单位 code (19 digits: village code + seven zeros) and name.
pub(crate) fn zldw(county: u32, t: u32, v: u32) -> (String, String) {
    (
        format!("{county:06}{t:03}{v:03}0000000"),
        format!("{}{}", town(county, t), village(county, t, v)),
    )
}

/// A remark for a land patch of the given 图斑类型.
pub(crate) fn land_remark(tblx: &str, h: &mut Hashed) -> &'static str {
    let pool: &[&str] = match tblx {
        "1A" => &[
            "厂房建设",
            "住宅小区建设",
            "学校建设",
            "物流园区建设",
            "工业园区道路",
        ],
        "1B" => &[
            "疑似农村村民建房",
            "新建房屋",
            "新建彩钢棚",
            "疑似农村建房",
            "房屋扩建",
        ],
        "1C" => &["鱼塘开挖", "水库扩建", "河道整治"],
        "1D" => &["硬化场地", "停车场", "堆场硬化"],
        "1E" => &["公园绿化", "景观工程", "绿道建设"],
        "1F" => &["疑似设施农用地", "简易棚房", "临时建筑", "养殖大棚"],
        "2" => &["推土", "堆土", "开挖地表", "挖土取土"],
        _ => &["推土后建设", "推填土转建设", "平整后新建"],
    };
    pick(pool, h.next_u64())
}

/// A project name for an approval (已批准用地).
pub(crate) fn project(city: &str, county: &str, year: i32, h: &mut Hashed) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let n = 1 + (h.next_u64() % 40) as u32;
    let town_root = pick(TOWN_ROOTS, h.next_u64());
    match h.next_u64() % 8 {
        0 | 1 => format!("{city}{year}年度第{n}批次城镇建设用地"),
        2 => format!("{county}{year}年度第{n}批次村镇建设用地"),
        3 => format!("{county}{town_root}工业集中发展区基础设施建设项目"),
        4 => format!("{county}{town_root}镇安置房建设项目"),
        5 => format!("{county}{town_root}农村集体经营性建设用地入市项目"),
        6 => format!("{county}城乡建设用地增减挂钩项目（第{n}期）"),
        _ => format!("G{}高速公路{county}段", 40 + (n % 60) * 3),
    }
}

/// A 批准文号 and the approving authority.
pub(crate) fn approval_number(year: i32, h: &mut Hashed) -> (String, &'static str) {
    let n = 1 + h.next_u64() % 600;
    match h.next_u64() % 10 {
        0 => (format!("国土资函〔{year}〕{n}号"), "原国土资源部"),
        1 => (format!("国函〔{year}〕{}号", 1 + n % 200), "国务院"),
        _ => (format!("川府土〔{year}〕{n}号"), "四川省人民政府"),
    }
}

/// 矿山 name: county + place root + mineral, e.g. `珙县石碾煤矿`.
pub(crate) fn mine(county: &str, kz: &str, h: &mut Hashed) -> String {
    let place = pick(VILLAGE_ROOTS, h.next_u64());
    let tail = match kz {
        "煤" => "煤矿".to_string(),
        k if k.ends_with('矿') => k.to_string(),
        k => format!("{k}矿"),
    };
    format!("{county}{place}{tail}")
}
