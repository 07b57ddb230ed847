"""What the demo shop sells and who shops there: pure data, no database and no drawing.

Kept apart from ``seed`` (writes rows) and ``images`` (draws pictures) so the assortment can be edited, or
translated, without touching code. Prices and deltas are integer fen, weights grams. A product's SKUs are
the full cartesian product of its dimensions; an option's ``price_delta`` / ``weight_delta`` are added to
the product's base price / weight for every SKU that has that option.

The brands (星耀、青禾、拓界、小柚 ...) are invented, so the demo never implies a real brand's endorsement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product as cartesian


@dataclass(frozen=True)
class Option:
    """One value of a spec dimension and what it adds to the base price and weight."""

    value: str
    price_delta: int = 0
    weight_delta: int = 0


@dataclass(frozen=True)
class Dimension:
    """A spec dimension such as 颜色 or 尺码, in display order."""

    name: str
    options: tuple[Option, ...]


def dim(name: str, *options: str | tuple[str, int] | tuple[str, int, int]) -> Dimension:
    """``dim("存储", "8GB+256GB", ("12GB+512GB", 50000))``: a bare string adds nothing to the price."""
    parsed = tuple(Option(o) if isinstance(o, str) else Option(*o) for o in options)
    return Dimension(name, parsed)


@dataclass(frozen=True)
class DemoCategory:
    """A top-level category with its children; ``icon`` names a drawing in ``demo.images``."""

    name: str
    icon: str
    colors: tuple[str, str]
    children: tuple[tuple[str, str], ...]
    service_note: str


@dataclass(frozen=True)
class DemoProduct:
    """One SPU of the demo shop. ``key`` is ASCII and stable: image file names and barcodes derive from it."""

    key: str
    category: str
    title: str
    subtitle: str
    short_name: str
    tags: tuple[str, ...]
    price: int
    original_price: int
    weight_grams: int
    dims: tuple[Dimension, ...] = ()
    stock: int = 200
    virtual_sales: int = 0
    sort_weight: int = 0
    on_shelf: bool = True
    sold_out: bool = False
    max_per_order: int = 0
    highlights: tuple[str, ...] = ()
    icon: str = ""


@dataclass(frozen=True)
class SkuSpec:
    """One cell of a product's SKU matrix, before stock and barcode are assigned."""

    spec_values: tuple[str, ...]
    price: int
    original_price: int
    weight_grams: int

    @property
    def spec_key(self) -> str:
        return "/".join(self.spec_values)


def sku_matrix(item: DemoProduct) -> list[SkuSpec]:
    """The full cartesian product of ``item.dims`` (one SKU without specs when it has none)."""
    markup = item.original_price - item.price
    if not item.dims:
        return [SkuSpec((), item.price, item.original_price, item.weight_grams)]
    cells = []
    for combo in cartesian(*(d.options for d in item.dims)):
        price = item.price + sum(o.price_delta for o in combo)
        weight = item.weight_grams + sum(o.weight_delta for o in combo)
        cells.append(SkuSpec(tuple(o.value for o in combo), price, price + markup, weight))
    return cells


def ean13(first_twelve: str) -> str:
    """Append the EAN-13 check digit (weights 1,3,1,3... from the left) to twelve digits."""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError("EAN-13 needs exactly twelve digits before the check digit")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return first_twelve + str((10 - total % 10) % 10)


def is_valid_ean13(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and ean13(code[:12]) == code


DEMO_COMPANY_PREFIX = "692318"  # "69" = GS1 China; the rest is an invented company number


def demo_barcode(batch: int, product_index: int, sku_index: int) -> str:
    """A valid EAN-13: 692318 + batch digit + 3-digit product + 2-digit SKU + check digit.

    Distinct across products, SKUs and up to ten seeds (the batch digit wraps after that).
    """
    return ean13(f"{DEMO_COMPANY_PREFIX}{batch % 10}{product_index % 1000:03d}{sku_index % 100:02d}")


CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory(
        "手机数码", "phone", ("#4f7cff", "#9ad0ff"),
        (("手机", "phone"), ("耳机", "earbuds"), ("充电配件", "charger")),
        "全国联保，支持7天无理由退货；数码产品拆封激活后不影响保修。",
    ),
    DemoCategory(
        "休闲零食", "nut", ("#ff9a3c", "#ffd68a"),
        (("坚果", "nut"), ("饼干糕点", "cookie"), ("果干肉脯", "fruit")),
        "食品类商品一经拆封不支持无理由退货，如有质量问题请联系客服。",
    ),
    DemoCategory(
        "美妆个护", "bottle", ("#ff7eb3", "#ffc6dd"),
        (("护肤", "bottle"), ("彩妆", "lipstick"), ("洗护", "bottle")),
        "正品保障，假一赔十；拆封后非质量问题不支持退货。",
    ),
    DemoCategory(
        "服饰鞋包", "shirt", ("#7b61ff", "#c9b8ff"),
        (("男装", "shirt"), ("女装", "dress"), ("鞋靴", "shoe"), ("箱包", "bag")),
        "支持7天无理由退换，吊牌完好、未经洗涤即可；尺码不合适可免费换一次。",
    ),
    DemoCategory(
        "家居生活", "box", ("#2bb6a3", "#a6ecd9"),
        (("收纳整理", "box"), ("厨房用品", "pot"), ("床上用品", "bed")),
        "大件商品送货上门，破损包赔；7天无理由退货。",
    ),
    DemoCategory(
        "母婴玩具", "toy", ("#ffb347", "#fff1a8"),
        (("喂养用品", "baby"), ("纸尿裤湿巾", "baby"), ("益智玩具", "toy")),
        "母婴用品严格质检；奶粉辅食类拆封后不支持无理由退货。",
    ),
    DemoCategory(
        "运动户外", "ball", ("#22a559", "#b6f0a0"),
        (("健身器材", "dumbbell"), ("户外装备", "tent")),
        "支持7天无理由退货，器材类商品提供一年质保。",
    ),
    DemoCategory(
        "生鲜水果", "fruit", ("#ff5f6d", "#ffc371"),
        (("水果", "fruit"), ("海鲜水产", "fish")),
        "冷链发货，签收后24小时内拍照反馈坏果/死蟹，按比例包赔。",
    ),
    DemoCategory(
        "图书文具", "book", ("#3a7bd5", "#b3e5fc"),
        (("图书", "book"), ("文具", "pen")),
        "正版图书，塑封发货；缺页、印刷问题包换。",
    ),
)


def _p(key: str, category: str, title: str, subtitle: str, short_name: str, tags: tuple[str, ...],
       price: int, original_price: int, weight_grams: int, *dims: Dimension, **extra: object) -> DemoProduct:
    return DemoProduct(key, category, title, subtitle, short_name, tags, price, original_price, weight_grams,
                       tuple(dims), **extra)  # type: ignore[arg-type]


PRODUCTS: tuple[DemoProduct, ...] = (
    # 手机数码 > 手机
    _p("phone-x60-pro", "手机", "星耀 X60 Pro 5G智能手机 6.7英寸OLED曲面屏 2亿像素影像旗舰",
       "骁龙8旗舰芯 | 5000mAh大电池 | 100W超级快充", "X60 Pro", ("手机", "5G手机", "拍照手机", "旗舰手机"),
       399900, 449900, 210,
       dim("颜色", "曜石黑", "冰川白", "远山蓝"),
       dim("存储", "12GB+256GB", ("16GB+512GB", 50000), ("16GB+1TB", 100000)),
       stock=120, virtual_sales=3260, sort_weight=100,
       highlights=("2亿像素主摄，夜景人像更清晰", "5000mAh电池配100W快充，20分钟充满", "IP68防尘防水"),
       icon="phone"),
    _p("phone-note13", "手机", "青禾 Note 13 5G手机 大电量长续航 学生老人千元机",
       "6000mAh大电池 | 120Hz高刷屏 | 5000万像素", "Note 13", ("手机", "5G手机", "千元机", "学生手机"),
       109900, 129900, 198,
       dim("颜色", "星空黑", "薄荷绿", "樱花粉"),
       dim("存储", "8GB+128GB", ("8GB+256GB", 20000), ("12GB+256GB", 40000)),
       stock=300, virtual_sales=12800, sort_weight=90,
       highlights=("6000mAh超大电池，重度使用一天半", "120Hz护眼高刷屏", "双卡双待，支持NFC"), icon="phone"),
    _p("phone-fold", "手机", "拓界 Fold 折叠屏手机 7.8英寸内屏 轻薄铰链 商务旗舰",
       "大屏分屏办公 | 无缝水滴铰链 | 限购2台", "折叠屏", ("手机", "折叠屏手机", "5G手机", "商务手机"),
       799900, 899900, 239,
       dim("颜色", "玄武黑", "月光银"),
       dim("存储", "12GB+512GB", ("16GB+1TB", 100000)),
       stock=30, virtual_sales=860, sort_weight=80, max_per_order=2,
       highlights=("展开即是小平板，分屏办公更高效", "航天级铰链，20万次折叠测试", "每单限购2台"),
       icon="phone"),
    _p("phone-y35", "手机", "星耀 Y35 5G手机 轻薄7.5mm 人像拍照 学生手机",
       "超薄机身 | 柔光自拍 | 66W闪充", "Y35", ("手机", "5G手机", "拍照手机", "轻薄手机"),
       159900, 179900, 175,
       dim("颜色", "晨曦金", "深海蓝", "月影黑"),
       dim("存储", "8GB+256GB", ("12GB+256GB", 20000)),
       stock=200, virtual_sales=5420, sort_weight=70,
       highlights=("7.5mm超薄机身，握持舒适", "前置3200万柔光自拍", "66W闪充"), icon="phone"),
    _p("phone-elder-a5", "手机", "小柚 A5 4G老人手机 大字大声 超长待机 一键求助",
       "老人机 | 大按键 | 亲情号码一键拨", "老人机", ("手机", "老人手机", "功能机"),
       19900, 25900, 120,
       dim("颜色", "中国红", "雅致黑"),
       stock=260, virtual_sales=6400, sort_weight=40,
       highlights=("大字体大音量，看得清听得见", "待机长达30天", "侧键一键SOS求助"), icon="phone"),
    # 手机数码 > 耳机
    _p("earbuds-freebuds3", "耳机", "青禾 FreeBuds 3 无线蓝牙耳机 降噪入耳式 超长续航",
       "主动降噪 | 蓝牙5.3 | 单次8小时 配合充电盒36小时", "蓝牙耳机", ("蓝牙耳机", "降噪耳机", "无线耳机", "入耳式"),
       29900, 39900, 55,
       dim("颜色", "皓月白", "曜石黑", "雾霾蓝"),
       stock=500, virtual_sales=26800, sort_weight=95,
       highlights=("-42dB主动降噪，地铁通勤更安静", "蓝牙5.3低延迟连接", "充电盒支持无线充电"), icon="earbuds"),
    _p("earbuds-air-half", "耳机", "拓界 Air 半入耳式蓝牙耳机 通话降噪 游戏低延迟",
       "半入耳不胀耳 | 60ms低延迟 | 双麦通话降噪", "半入耳", ("蓝牙耳机", "无线耳机", "游戏耳机"),
       12900, 16900, 48,
       dim("颜色", "白色", "黑色"),
       stock=800, virtual_sales=18600, sort_weight=60,
       highlights=("半入耳设计，长时间佩戴不胀痛", "游戏模式60ms低延迟", "双麦克风通话降噪"), icon="earbuds"),
    _p("earbuds-bone", "耳机", "骨传导运动蓝牙耳机 挂耳式 跑步防汗 不入耳",
       "开放双耳 | IP67防水防汗 | 钛合金骨架", "骨传导", ("蓝牙耳机", "运动耳机", "骨传导耳机"),
       19900, 25900, 30,
       dim("颜色", "曜石黑", "灰蓝"),
       stock=300, virtual_sales=7300, sort_weight=50,
       highlights=("不入耳，跑步时也能听见路况", "IP67防汗防水", "仅重30克"), icon="earbuds"),
    _p("headphone-anc", "耳机", "头戴式蓝牙耳机 主动降噪 无线耳麦 电脑游戏网课",
       "40mm大动圈 | 70小时续航 | 可折叠收纳", "头戴耳机", ("蓝牙耳机", "头戴式耳机", "降噪耳机"),
       45900, 59900, 260,
       dim("颜色", "经典黑", "月光银"),
       stock=150, virtual_sales=2400, sort_weight=45,
       highlights=("40mm大动圈，低频饱满", "主动降噪+通透模式一键切换", "有线无线两用"), icon="headphone"),
    _p("earphone-typec", "耳机", "Type-C有线耳机 入耳式 线控带麦 手机电脑通用",
       "即插即用 | 线控通话 | 1.2米线长", "有线耳机", ("有线耳机", "入耳式", "Type-C"),
       3990, 5990, 20,
       dim("颜色", "白色", "黑色"),
       stock=1000, virtual_sales=9100, sort_weight=20,
       highlights=("Type-C数字解码，音质清晰", "线控一键接听", "1.2米线长"), icon="earbuds"),
    # 手机数码 > 充电配件
    _p("charger-gan65", "充电配件", "氮化镓65W快充充电器 三口 Type-C PD快充头 笔记本手机通用",
       "小体积大功率 | 2C1A三口 | 可折叠插脚", "65W快充", ("充电器", "快充", "氮化镓", "充电头"),
       8900, 12900, 110,
       dim("颜色", "白色", "黑色"),
       dim("规格", "单充电器", ("充电器+1.5米C-C线", 2000, 40)),
       stock=600, virtual_sales=15400, sort_weight=55,
       highlights=("65W输出，笔记本也能充", "三口同时充电，智能分配功率", "插脚可折叠，出差好收纳"),
       icon="charger"),
    _p("powerbank-20000", "充电配件", "充电宝 22.5W超级快充 移动电源 大容量 自带线",
       "自带双线 | 数显电量 | 可带上飞机", "充电宝", ("充电宝", "移动电源", "快充"),
       6900, 9900, 230,
       dim("容量", "10000mAh", ("20000mAh", 3000, 150)),
       dim("颜色", "白色", "黑色", "樱花粉"),
       stock=400, virtual_sales=21000, sort_weight=50,
       highlights=("22.5W快充，半小时充到50%", "自带Type-C与苹果双线", "符合民航登机要求"), icon="charger"),
    _p("cable-typec-6a", "充电配件", "Type-C数据线 6A超级快充 编织线 手机充电线",
       "120W快充 | 尼龙编织 | 弯折2万次", "数据线", ("数据线", "充电线", "Type-C", "快充"),
       1990, 2990, 40,
       dim("长度", "1米", ("2米", 500, 20)),
       dim("颜色", "黑色", "白色"),
       stock=1500, virtual_sales=48000, sort_weight=30,
       highlights=("6A大电流，支持120W快充", "尼龙编织耐弯折", "铝合金接头"), icon="charger"),
    _p("wireless-charger-3in1", "充电配件", "三合一无线充电器 磁吸 手机耳机手表同时充 15W",
       "一座三充 | 磁吸对位 | 夜灯可关", "无线充", ("无线充电器", "充电器", "磁吸"),
       15900, 19900, 320,
       dim("颜色", "白色", "黑色"),
       stock=80, virtual_sales=1300, sort_weight=10, on_shelf=False,
       highlights=("手机、耳机、手表一次充好", "15W磁吸快充", "温控保护"), icon="charger"),
    # 休闲零食 > 坚果
    _p("nuts-daily-mix", "坚果", "每日坚果 混合坚果 孕妇儿童零食 独立小包装",
       "6种坚果果干 | 科学配比 | 每天一包", "每日坚果", ("坚果", "每日坚果", "混合坚果", "零食"),
       6900, 8900, 380,
       dim("规格", "15包 375g", ("30包 750g", 5900, 375)),
       stock=800, virtual_sales=36500, sort_weight=98,
       highlights=("腰果、巴旦木、榛子、核桃仁、蔓越莓、蓝莓干科学配比", "独立充氮包装，锁住新鲜", "孕妇儿童都爱吃"),
       icon="nut"),
    _p("nuts-pecan", "坚果", "碧根果 奶油味 长寿果 坚果炒货 手剥不脏手",
       "颗颗饱满 | 附赠开壳器 | 新货", "碧根果", ("坚果", "碧根果", "炒货", "零食"),
       2990, 3990, 260,
       dim("口味", "奶油味", "原味"),
       dim("规格", "250g", ("500g", 2000, 250)),
       stock=500, virtual_sales=15200, sort_weight=75,
       highlights=("大颗粒碧根果，果仁饱满", "奶油香味浓郁", "每袋附赠开壳器"), icon="nut"),
    _p("nuts-macadamia", "坚果", "夏威夷果 奶油味 开口易剥 罐装 坚果零食",
       "开口设计 | 香脆可口 | 罐装防潮", "夏威夷果", ("坚果", "夏威夷果", "零食"),
       3590, 4590, 280,
       dim("规格", "250g袋装", ("500g罐装", 2500, 300)),
       stock=450, virtual_sales=11800, sort_weight=70,
       highlights=("机器开口，徒手轻松剥", "奶油风味，香脆不腻", "罐装密封，吃不完也不怕受潮"), icon="nut"),
    _p("nuts-cashew", "坚果", "越南紫皮腰果 大颗粒 烘焙坚果 500g",
       "W320大颗粒 | 低温烘焙 | 无添加", "腰果", ("坚果", "腰果", "零食"),
       4590, 5990, 520,
       dim("口味", "原味", "盐焗"),
       stock=300, virtual_sales=6800, sort_weight=55,
       highlights=("精选W320大颗粒", "低温慢烘，酥脆不油腻", "原味无添加"), icon="nut"),
    _p("nuts-pistachio", "坚果", "开心果 原色无漂白 自然开口 500g",
       "自然开口 | 原色无漂白 | 盐焗风味", "开心果", ("坚果", "开心果", "零食"),
       4290, 5590, 520,
       stock=350, virtual_sales=9400, sort_weight=50,
       highlights=("自然开口率95%以上", "原色无漂白", "轻盐焗，咸香适口"), icon="nut"),
    # 休闲零食 > 饼干糕点
    _p("snack-soda-cracker", "饼干糕点", "苏打饼干 无蔗糖 早餐代餐 整箱1kg",
       "酥脆咸香 | 独立小包 | 办公室零食", "苏打饼干", ("饼干", "苏打饼干", "早餐", "零食"),
       2590, 3290, 1080,
       dim("口味", "香葱味", "海苔味", "原味"),
       stock=600, virtual_sales=22000, sort_weight=60,
       highlights=("无蔗糖配方", "独立小包装，每包4片", "1kg整箱装更划算"), icon="cookie"),
    _p("snack-butter-cookie", "饼干糕点", "手工黄油曲奇饼干 铁盒礼盒装 送礼佳品",
       "新西兰黄油 | 入口即化 | 精美铁盒", "黄油曲奇", ("饼干", "曲奇", "礼盒", "零食"),
       6800, 8800, 560,
       dim("口味", "原味", "抹茶", "巧克力"),
       stock=200, virtual_sales=4300, sort_weight=45,
       highlights=("新西兰进口黄油", "每日现烤", "铁盒包装，送礼体面"), icon="cookie"),
    _p("snack-egg-yolk-pastry", "饼干糕点", "蛋黄酥 雪媚娘 中式糕点 网红零食",
       "整颗咸蛋黄 | 红豆沙馅 | 酥皮层层", "蛋黄酥", ("糕点", "蛋黄酥", "零食"),
       2990, 3990, 330,
       dim("规格", "6枚装", ("12枚装", 2500, 330)),
       stock=300, virtual_sales=8800, sort_weight=40,
       highlights=("整颗海鸭蛋黄", "红豆沙馅细腻", "酥皮起层，掉渣才正宗"), icon="cookie"),
    _p("snack-whole-wheat-bread", "饼干糕点", "全麦面包 无蔗糖 粗粮吐司 整箱1kg",
       "高膳食纤维 | 饱腹感强 | 早餐必备", "全麦面包", ("面包", "全麦", "早餐"),
       2290, 2990, 1050,
       stock=400, virtual_sales=13400, sort_weight=35,
       highlights=("全麦粉含量超过50%", "无蔗糖添加", "松软有嚼劲"), icon="cookie"),
    # 休闲零食 > 果干肉脯
    _p("snack-dried-mango", "果干肉脯", "芒果干 泰国风味 果肉厚切 100g×5袋",
       "厚切果肉 | 酸甜软糯 | 独立包装", "芒果干", ("果干", "芒果干", "零食"),
       2990, 3990, 530,
       stock=500, virtual_sales=17600, sort_weight=45,
       highlights=("精选熟透芒果厚切", "酸甜软糯", "5袋装方便分享"), icon="fruit"),
    _p("snack-freeze-dried-strawberry", "果干肉脯", "冻干草莓 无添加 酸奶块 儿童零食",
       "真空冻干 | 酥脆 | 0添加", "冻干草莓", ("果干", "冻干", "草莓", "零食"),
       1990, 2590, 60,
       stock=0, virtual_sales=5200, sort_weight=30, sold_out=True,
       highlights=("-40℃真空冻干，保留果香", "入口即化", "无添加糖"), icon="fruit"),
    _p("snack-pork-jerky", "果干肉脯", "靖江猪肉脯 蜜汁肉干 办公室零食 200g",
       "精选猪后腿肉 | 炭火烘烤 | 小片装", "猪肉脯", ("肉脯", "肉干", "零食"),
       2890, 3690, 220,
       dim("口味", "原味", "蜜汁", "香辣"),
       stock=400, virtual_sales=10800, sort_weight=40,
       highlights=("猪后腿肉，肉质紧实", "炭火烘烤，香甜有嚼劲", "独立小片装"), icon="fruit"),
    # 美妆个护 > 护肤
    _p("skin-hyaluronic-cream", "护肤", "玻尿酸补水保湿面霜 敏感肌修护屏障 50g",
       "三重玻尿酸 | 长效保湿 | 无香精", "保湿面霜", ("面霜", "补水", "保湿", "护肤"),
       12900, 16900, 120,
       dim("规格", "50g", ("50g×2瓶", 10900, 120)),
       stock=300, virtual_sales=8600, sort_weight=60,
       highlights=("三重分子玻尿酸，层层补水", "神经酰胺修护屏障", "无香精无酒精，敏感肌可用"),
       icon="bottle"),
    _p("skin-niacinamide-serum", "护肤", "烟酰胺美白精华液 提亮肤色 淡化痘印 30ml",
       "5%烟酰胺 | 清爽不黏 | 早晚可用", "美白精华", ("精华", "美白", "烟酰胺", "护肤"),
       15900, 19900, 90,
       stock=250, virtual_sales=7100, sort_weight=55,
       highlights=("5%高浓度烟酰胺", "水润质地，快速吸收", "建议搭配防晒使用"), icon="bottle"),
    _p("skin-amino-cleanser", "护肤", "氨基酸洗面奶 温和清洁 控油 男女通用 120g",
       "氨基酸表活 | 绵密泡沫 | 洗后不紧绷", "洗面奶", ("洗面奶", "氨基酸", "护肤"),
       4900, 6900, 150,
       dim("规格", "120g", ("120g×2支", 3900, 150)),
       stock=600, virtual_sales=20500, sort_weight=50,
       highlights=("弱酸性氨基酸配方", "绵密泡沫深入毛孔", "洗后清爽不紧绷"), icon="bottle"),
    # 美妆个护 > 彩妆
    _p("makeup-velvet-lipstick", "彩妆", "丝绒哑光口红 显白不易沾杯 3.5g",
       "丝绒雾面 | 持久显色 | 滋润不拔干", "丝绒口红", ("口红", "唇膏", "彩妆", "哑光"),
       8900, 12900, 40,
       dim("色号", "#01 正红", "#02 豆沙", "#03 枫叶红", "#04 奶茶"),
       stock=200, virtual_sales=14200, sort_weight=65,
       highlights=("丝绒雾面质地，一抹显色", "添加植物油脂，不拔干", "四个日常色号，黄皮也显白"),
       icon="lipstick"),
    _p("makeup-foundation", "彩妆", "持妆粉底液 遮瑕控油 干皮油皮 30ml",
       "12小时持妆 | 轻薄服帖 | SPF20", "粉底液", ("粉底液", "底妆", "彩妆", "遮瑕"),
       16900, 21900, 110,
       dim("色号", "象牙白", "自然色", "小麦色"),
       stock=180, virtual_sales=5600, sort_weight=50,
       highlights=("12小时持妆不暗沉", "轻薄如无物", "SPF20日常防护"), icon="bottle"),
    # 美妆个护 > 洗护
    _p("care-amino-shampoo", "洗护", "无硅油氨基酸洗发水 去屑止痒 控油蓬松 500ml",
       "无硅油 | 氨基酸温和 | 清新果香", "洗发水", ("洗发水", "洗护", "去屑", "控油"),
       5900, 7900, 560,
       dim("规格", "500ml", ("500ml×2瓶", 4900, 560)),
       stock=500, virtual_sales=19800, sort_weight=55,
       highlights=("无硅油配方，头发轻盈蓬松", "吡罗克酮乙醇胺盐去屑", "清新果香持久"), icon="bottle"),
    _p("care-sonic-toothbrush", "洗护", "声波电动牙刷 成人软毛 情侣款 IPX7防水",
       "4万次/分钟 | 5种模式 | 续航60天", "电动牙刷", ("电动牙刷", "牙刷", "洗护", "口腔护理"),
       19900, 29900, 180,
       dim("颜色", "珍珠白", "樱花粉", "曜石黑"),
       stock=300, virtual_sales=9300, sort_weight=50,
       highlights=("每分钟4万次声波震动", "杜邦软毛护龈", "充电一次用60天"), icon="brush"),
    _p("care-body-wash", "洗护", "香氛沐浴露 持久留香 滋润保湿 1L大瓶装",
       "香水级香氛 | 氨基酸 | 家庭装", "沐浴露", ("沐浴露", "洗护", "香氛"),
       4990, 6990, 1100,
       dim("香型", "白茶", "樱花", "海盐"),
       stock=400, virtual_sales=12600, sort_weight=45,
       highlights=("调香师调制，留香8小时", "氨基酸温和清洁", "1L大瓶全家用"), icon="bottle"),
    # 服饰鞋包 > 男装
    _p("men-cotton-tee", "男装", "纯棉短袖T恤男 夏季宽松 重磅圆领 打底衫",
       "260g重磅纯棉 | 不易变形 | 多色可选", "纯棉T恤", ("T恤", "短袖", "男装", "纯棉"),
       6900, 9900, 280,
       dim("颜色", "白色", "黑色", "灰色", "藏青"),
       dim("尺码", "M", "L", "XL", ("XXL", 1000, 20)),
       stock=120, virtual_sales=24000, sort_weight=80,
       highlights=("260g重磅新疆棉，厚实不透", "领口罗纹加固，洗后不变形", "宽松版型，男女同款"),
       icon="shirt"),
    _p("men-chino-pants", "男装", "男士休闲裤 直筒弹力 商务免烫 四季款",
       "弹力面料 | 免烫抗皱 | 直筒修身", "休闲裤", ("休闲裤", "长裤", "男装", "商务"),
       12900, 16900, 420,
       dim("颜色", "黑色", "卡其"),
       dim("尺码", "29", "30", "31", "32", "33", "34", ("36", 1000, 20)),
       stock=60, virtual_sales=8900, sort_weight=50,
       highlights=("四面弹面料，蹲起无压力", "免烫处理，出差不起皱", "直筒版型显腿长"), icon="pants"),
    # 服饰鞋包 > 女装
    _p("women-floral-dress", "女装", "法式碎花连衣裙女 夏季收腰显瘦 中长裙",
       "雪纺面料 | 方领收腰 | 度假风", "碎花裙", ("连衣裙", "女装", "碎花", "夏装"),
       15900, 22900, 260,
       dim("颜色", "蓝色碎花", "白色碎花"),
       dim("尺码", "S", "M", "L", "XL"),
       stock=80, virtual_sales=6700, sort_weight=70,
       highlights=("轻盈雪纺，透气不闷", "方领收腰，显瘦显高", "内衬防走光"), icon="dress"),
    _p("women-knit-cardigan", "女装", "女士针织开衫 春秋薄款外搭 百搭上衣",
       "柔软亲肤 | 宽松慵懒 | 不起球", "针织开衫", ("开衫", "针织衫", "女装", "外套"),
       12900, 17900, 300,
       dim("颜色", "米白", "燕麦", "浅粉", "黑色"),
       dim("尺码", "S", "M", "L"),
       stock=0, virtual_sales=4200, sort_weight=40, sold_out=True,
       highlights=("精梳棉混纺，柔软不扎", "宽松版型，百搭外搭", "抗起球处理"), icon="shirt"),
    _p("women-down-jacket", "女装", "白鸭绒羽绒服女 短款 轻薄保暖 冬季外套",
       "90%白鸭绒 | 充绒量150g | 防泼水", "羽绒服", ("羽绒服", "女装", "冬装", "外套"),
       39900, 59900, 650,
       dim("颜色", "奶白", "黑色", "雾霾蓝"),
       dim("尺码", "S", "M", "L", "XL"),
       stock=40, virtual_sales=3100, sort_weight=20, on_shelf=False,
       highlights=("90%白鸭绒，蓬松保暖", "面料防泼水", "轻薄不臃肿"), icon="shirt"),
    # 服饰鞋包 > 鞋靴
    _p("shoe-running", "鞋靴", "轻便跑步鞋 男女款 缓震透气 网面运动鞋",
       "回弹缓震 | 飞织网面 | 耐磨橡胶底", "跑步鞋", ("跑步鞋", "运动鞋", "鞋子", "透气"),
       29900, 39900, 620,
       dim("颜色", "白灰", "黑红", "天空蓝"),
       dim("尺码", "36", "37", "38", "39", "40", "41", "42", "43", "44"),
       stock=40, virtual_sales=11200, sort_weight=75,
       highlights=("超临界发泡中底，回弹有力", "飞织鞋面透气", "防滑耐磨橡胶大底"), icon="shoe"),
    _p("shoe-white-sneaker", "鞋靴", "小白鞋女 百搭厚底板鞋 增高4cm 休闲鞋",
       "头层牛皮 | 厚底增高 | 百搭", "小白鞋", ("板鞋", "小白鞋", "鞋子", "女鞋"),
       15900, 21900, 700,
       dim("颜色", "纯白", "白粉"),
       dim("尺码", "35", "36", "37", "38", "39", "40"),
       stock=50, virtual_sales=16800, sort_weight=60,
       highlights=("头层牛皮鞋面，好打理", "4cm隐形增高", "百搭各种风格"), icon="shoe"),
    # 服饰鞋包 > 箱包
    _p("bag-laptop-backpack", "箱包", "双肩包 男女通勤电脑包 15.6英寸 大容量防泼水",
       "独立电脑仓 | USB充电口 | 防泼水", "双肩包", ("双肩包", "背包", "电脑包", "箱包"),
       12900, 18900, 850,
       dim("颜色", "黑色", "深灰", "藏青"),
       stock=200, virtual_sales=9800, sort_weight=50,
       highlights=("15.6英寸独立电脑仓", "外置USB充电口", "面料防泼水"), icon="bag"),
    _p("bag-trolley-case", "箱包", "铝框拉杆箱 万向轮 行李箱 密码箱",
       "铝框包角 | 静音万向轮 | TSA海关锁", "拉杆箱", ("拉杆箱", "行李箱", "箱包", "旅行"),
       29900, 45900, 3600,
       dim("颜色", "银色", "黑色", "雾蓝"),
       dim("尺寸", "20英寸登机箱", ("24英寸", 10000, 1000), ("28英寸", 20000, 1800)),
       stock=60, virtual_sales=3600, sort_weight=45,
       highlights=("PC材质+铝合金框架", "静音万向轮", "TSA海关密码锁"), icon="suitcase"),
    # 家居生活 > 收纳整理
    _p("home-storage-box", "收纳整理", "透明收纳箱 大号带盖 衣物整理箱 3个装",
       "加厚PP | 可叠放 | 带滑轮", "收纳箱", ("收纳箱", "收纳", "整理箱", "家居"),
       5990, 7990, 3000,
       dim("规格", "35L×3个", ("50L×3个", 2000, 900)),
       stock=300, virtual_sales=14500, sort_weight=50,
       highlights=("加厚PP材质，承重不变形", "透明箱体，一眼找到", "底部滑轮，推拉省力"), icon="box"),
    _p("home-vacuum-bag", "收纳整理", "真空压缩袋 被子衣物收纳袋 11件套 送电泵",
       "节省80%空间 | 加厚 | 送电泵", "压缩袋", ("压缩袋", "收纳", "家居"),
       4990, 6990, 1200,
       stock=200, virtual_sales=7600, sort_weight=20, on_shelf=False,
       highlights=("节省80%衣柜空间", "加厚材质不漏气", "赠电动抽气泵"), icon="box"),
    # 家居生活 > 厨房用品
    _p("kitchen-wok", "厨房用品", "304不锈钢炒锅 不粘锅 少油烟 家用炒菜锅",
       "蜂窝不粘 | 燃气电磁炉通用 | 送锅盖", "不锈钢炒锅", ("炒锅", "不粘锅", "厨具", "锅具"),
       19900, 29900, 2100,
       dim("尺寸", "30cm", ("32cm", 2000, 200), ("34cm", 4000, 400)),
       stock=200, virtual_sales=6500, sort_weight=55,
       highlights=("304不锈钢，健康耐用", "蜂窝纹物理不粘", "燃气灶、电磁炉通用"), icon="pot"),
    _p("kitchen-tableware-set", "厨房用品", "陶瓷餐具套装 碗碟套装 家用北欧风 22件",
       "釉下彩 | 可进微波炉 | 礼盒装", "餐具套装", ("餐具", "碗碟", "厨具", "家居"),
       16900, 25900, 4800,
       stock=120, virtual_sales=2900, sort_weight=40,
       highlights=("釉下彩工艺，健康无铅", "可进微波炉、洗碗机", "22件满足四口之家"), icon="bowl"),
    _p("kitchen-kettle", "厨房用品", "电热水壶 1.7L 304不锈钢 自动断电 家用烧水壶",
       "快速沸腾 | 防干烧 | 一体无缝内胆", "电热水壶", ("电热水壶", "烧水壶", "小家电", "厨具"),
       8900, 12900, 1100,
       dim("颜色", "珍珠白", "太空灰"),
       stock=250, virtual_sales=11700, sort_weight=45,
       highlights=("1800W大功率，5分钟烧开", "沸腾自动断电，防干烧", "304一体内胆"), icon="kettle"),
    # 家居生活 > 床上用品
    _p("bed-cotton-set", "床上用品", "纯棉四件套 全棉床单被套 简约北欧风",
       "A类纯棉 | 40支精梳 | 亲肤透气", "四件套", ("四件套", "床上用品", "纯棉", "床单"),
       19900, 29900, 2200,
       dim("颜色", "灰蓝格", "米白", "豆绿"),
       dim("尺寸", "1.5m床", ("1.8m床", 3000, 300)),
       stock=100, virtual_sales=8300, sort_weight=55,
       highlights=("A类纯棉，婴儿可用", "40支精梳，越洗越软", "活性印染不褪色"), icon="bed"),
    _p("bed-latex-pillow", "床上用品", "天然乳胶枕头 护颈椎 成人单只装",
       "93%天然乳胶 | 波浪曲线 | 透气孔", "乳胶枕", ("枕头", "乳胶枕", "床上用品"),
       9900, 15900, 1300,
       dim("规格", "单只装", ("一对装", 8900, 1300)),
       stock=200, virtual_sales=10200, sort_weight=50,
       highlights=("93%天然乳胶含量", "波浪曲线贴合颈椎", "蜂窝透气孔不闷热"), icon="pillow"),
    # 母婴玩具 > 喂养用品
    _p("baby-rice-cereal", "喂养用品", "婴儿高铁米粉 6个月以上辅食 225g",
       "强化铁锌钙 | 易冲调 | 不添加蔗糖", "婴儿米粉", ("米粉", "辅食", "婴儿", "母婴"),
       5900, 7500, 260,
       dim("口味", "原味", "南瓜", "胡萝卜"),
       stock=300, virtual_sales=9900, sort_weight=50, max_per_order=6,
       highlights=("强化铁锌钙，营养全面", "细腻易冲调不结块", "不添加蔗糖和食盐"), icon="baby"),
    _p("baby-glass-bottle", "喂养用品", "新生儿玻璃奶瓶 宽口径 防胀气 240ml",
       "高硼硅玻璃 | 防胀气阀 | 仿母乳奶嘴", "玻璃奶瓶", ("奶瓶", "喂养", "婴儿", "母婴"),
       8900, 11900, 260,
       dim("规格", "160ml", ("240ml", 1000, 40)),
       stock=200, virtual_sales=5200, sort_weight=40,
       highlights=("高硼硅玻璃，耐高温消毒", "防胀气阀减少吐奶", "宽口径好清洗"), icon="baby"),
    # 母婴玩具 > 纸尿裤湿巾
    _p("baby-diapers", "纸尿裤湿巾", "婴儿纸尿裤 超薄透气 拉拉裤 整箱装",
       "0.1cm超薄 | 瞬吸干爽 | 弹力腰围", "纸尿裤", ("纸尿裤", "尿不湿", "拉拉裤", "母婴"),
       11900, 14900, 2000,
       dim("尺码", "S 84片", "M 72片", "L 60片", "XL 52片", ("XXL 44片", 1000, 0)),
       stock=200, virtual_sales=28000, sort_weight=70,
       highlights=("0.1cm超薄芯体，夏天也干爽", "3D立体护围防侧漏", "弹力腰围不勒肚"), icon="baby"),
    _p("baby-wipes", "纸尿裤湿巾", "婴儿手口湿巾 加厚 无香 80抽×10包",
       "EDI纯水 | 珍珠纹加厚 | 带盖", "婴儿湿巾", ("湿巾", "婴儿", "母婴"),
       4990, 6990, 4200,
       stock=500, virtual_sales=32000, sort_weight=55,
       highlights=("EDI纯水，手口可用", "珍珠纹加厚，不易破", "每包带盖锁水"), icon="baby"),
    # 母婴玩具 > 益智玩具
    _p("toy-blocks", "益智玩具", "儿童大颗粒积木 益智拼装玩具 3-6岁",
       "ABS环保材质 | 兼容大颗粒 | 收纳桶装", "积木", ("积木", "玩具", "益智玩具", "儿童"),
       8900, 12900, 1500,
       dim("规格", "160粒", ("300粒", 3000, 900)),
       stock=250, virtual_sales=12300, sort_weight=60,
       highlights=("ABS环保材质，无毒无味", "大颗粒防误吞", "锻炼动手能力和想象力"), icon="toy"),
    _p("toy-rc-car", "益智玩具", "遥控越野车 四驱攀爬 充电儿童玩具车",
       "2.4G遥控 | 四驱 | 可充电", "遥控车", ("遥控车", "玩具车", "玩具", "儿童"),
       12900, 19900, 1200,
       dim("颜色", "烈焰红", "海洋蓝"),
       stock=150, virtual_sales=6700, sort_weight=45,
       highlights=("2.4G遥控，多车同玩不干扰", "四驱大轮，草地沙地都能跑", "配两块电池，续航翻倍"), icon="car"),
    _p("toy-plush-bear", "益智玩具", "毛绒玩具 小熊公仔 抱枕 生日礼物",
       "PP棉填充 | 可机洗 | 柔软亲肤", "小熊公仔", ("毛绒玩具", "公仔", "玩具", "礼物"),
       6900, 9900, 450,
       dim("颜色", "焦糖棕", "奶油白"),
       dim("尺寸", "40cm", ("60cm", 3000, 300), ("80cm", 6000, 700)),
       stock=120, virtual_sales=5400, sort_weight=40,
       highlights=("高弹PP棉填充，回弹好", "短毛绒面料，柔软亲肤", "可机洗"), icon="bear"),
    # 运动户外 > 健身器材
    _p("fitness-yoga-mat", "健身器材", "瑜伽垫 加厚防滑 健身垫 初学者家用",
       "TPE环保 | 双面防滑 | 送绑带", "瑜伽垫", ("瑜伽垫", "健身", "运动"),
       5900, 8900, 900,
       dim("颜色", "香芋紫", "湖水蓝", "浅灰"),
       dim("厚度", "6mm", ("10mm", 1000, 300)),
       stock=200, virtual_sales=15600, sort_weight=55,
       highlights=("TPE环保材质无异味", "双面纹理防滑", "附赠绑带和网袋"), icon="mat"),
    _p("fitness-dumbbell", "健身器材", "可调节哑铃 家用健身 男士 一对装",
       "快速调重 | 防滑手柄 | 包胶不伤地板", "哑铃", ("哑铃", "健身", "运动", "器材"),
       19900, 29900, 10000,
       dim("规格", "10kg一对", ("20kg一对", 10000, 10000), ("30kg一对", 18000, 20000)),
       stock=80, virtual_sales=4100, sort_weight=45,
       highlights=("旋转调节重量，一副顶多副", "包胶设计不伤地板", "防滑滚花手柄"), icon="dumbbell"),
    _p("fitness-jump-rope", "健身器材", "计数跳绳 钢丝负重 燃脂健身 中考专用",
       "电子计数 | 轴承顺滑 | 长度可调", "跳绳", ("跳绳", "健身", "运动"),
       2990, 3990, 300,
       stock=500, virtual_sales=21000, sort_weight=35,
       highlights=("电子计数，圈数热量一目了然", "双轴承，甩绳顺滑", "长度可调"), icon="rope"),
    # 运动户外 > 户外装备
    _p("outdoor-tent", "户外装备", "户外帐篷 3-4人 全自动速开 防雨露营帐篷",
       "免搭建 | 双层防雨 | 通风纱窗", "露营帐篷", ("帐篷", "露营", "户外"),
       29900, 45900, 3500,
       dim("颜色", "军绿", "卡其"),
       stock=80, virtual_sales=3200, sort_weight=50,
       highlights=("全自动弹簧杆，3秒开帐", "双层设计，防雨防晒", "前后通风纱窗"), icon="tent"),
    _p("outdoor-moon-chair", "户外装备", "折叠露营椅 月亮椅 便携钓鱼椅 户外椅",
       "铝合金支架 | 承重150kg | 收纳袋", "月亮椅", ("露营椅", "折叠椅", "户外", "露营"),
       8900, 12900, 1300,
       dim("颜色", "曜石黑", "卡其", "墨绿"),
       stock=200, virtual_sales=7800, sort_weight=40,
       highlights=("7075铝合金支架", "承重150kg", "收纳后仅40cm长"), icon="chair"),
    _p("outdoor-bottle", "户外装备", "大容量运动水壶 Tritan吸管杯 刻度提醒",
       "Tritan材质 | 弹盖吸管 | 防漏", "运动水壶", ("水杯", "运动水壶", "户外", "吸管杯"),
       3990, 5990, 280,
       dim("颜色", "透明白", "透明粉", "透明绿"),
       dim("容量", "750ml", ("1L", 600, 40), ("1.5L", 1200, 90)),
       stock=300, virtual_sales=16400, sort_weight=40,
       highlights=("Tritan材质，耐摔耐高温", "时间刻度提醒喝水", "弹盖一键开启，防漏设计"),
       icon="bottle"),
    # 生鲜水果 > 水果
    _p("fruit-navel-orange", "水果", "赣南脐橙 新鲜橙子 现摘现发 单果150g+",
       "产地直发 | 果香浓郁 | 坏果包赔", "赣南脐橙", ("水果", "橙子", "脐橙", "生鲜"),
       3990, 4990, 2600,
       dim("规格", "5斤装", ("10斤装", 3000, 2500)),
       stock=500, virtual_sales=42000, sort_weight=85,
       highlights=("赣州信丰果园现摘", "果肉饱满，酸甜多汁", "坏果包赔"), icon="fruit"),
    _p("fruit-blueberry", "水果", "云南高山蓝莓 鲜果 125g/盒 当季现摘",
       "果径15mm+ | 冷链发货 | 破损包赔", "蓝莓", ("水果", "蓝莓", "鲜果", "生鲜"),
       6990, 8990, 700,
       dim("规格", "4盒装", ("8盒装", 5900, 500)),
       stock=200, virtual_sales=15800, sort_weight=70,
       highlights=("云南高原种植，果粉完整", "果径15mm以上", "全程冷链"), icon="fruit"),
    _p("fruit-fuji-apple", "水果", "烟台红富士苹果 脆甜多汁 新鲜水果 5斤",
       "山地果园 | 冰糖心 | 脆甜", "红富士", ("水果", "苹果", "生鲜"),
       3590, 4590, 2600,
       dim("规格", "5斤中果", ("5斤大果", 1000, 0), ("10斤大果", 4500, 2500)),
       stock=400, virtual_sales=26500, sort_weight=65,
       highlights=("烟台山地果园直发", "脆甜多汁", "单果逐个套网防撞"), icon="fruit"),
    _p("fruit-mango", "水果", "海南金煌芒果 大果 5斤装 当季新鲜",
       "单果1斤+ | 香甜少纤维 | 产地直发", "金煌芒", ("水果", "芒果", "生鲜"),
       4590, 5990, 2700,
       stock=300, virtual_sales=18200, sort_weight=55,
       highlights=("单果重1斤以上", "果肉细腻少纤维", "海南产地直发"), icon="fruit"),
    # 生鲜水果 > 海鲜水产
    _p("seafood-crab", "海鲜水产", "阳澄湖大闸蟹 鲜活 公4两母3两 8只礼盒",
       "鲜活到家 | 顺丰冷链 | 死蟹包赔", "大闸蟹", ("大闸蟹", "螃蟹", "海鲜", "生鲜"),
       29900, 39900, 2500,
       dim("规格", "4对8只", ("5对10只", 6000, 600)),
       stock=60, virtual_sales=2300, sort_weight=60,
       highlights=("公蟹4两、母蟹3两", "冷链配送，鲜活到家", "死蟹包赔"), icon="fish"),
    _p("seafood-shrimp", "海鲜水产", "冷冻黑虎虾 超大 1kg 约30只 海鲜水产",
       "急冻锁鲜 | 个大肉厚 | 顺丰冷链", "黑虎虾", ("大虾", "虾", "海鲜", "生鲜"),
       9900, 12900, 1200,
       stock=150, virtual_sales=7400, sort_weight=50,
       highlights=("捕捞后-35℃急冻", "虾肉紧实Q弹", "冷链发货"), icon="fish"),
    # 图书文具 > 图书
    _p("book-python", "图书", "Python编程：从入门到实践（第3版）零基础编程入门教程",
       "畅销编程入门书 | 配套源码 | 项目实战", "Python编程", ("图书", "编程", "Python", "计算机"),
       8980, 10980, 900,
       stock=300, virtual_sales=12500, sort_weight=55,
       highlights=("零基础也能看懂", "三个完整实战项目", "配套源码下载"), icon="book"),
    _p("book-three-body", "图书", "三体全集（全三册）刘慈欣 科幻小说",
       "雨果奖作品 | 典藏版 | 全三册", "三体", ("图书", "小说", "科幻", "三体"),
       9300, 16800, 1300,
       stock=400, virtual_sales=30500, sort_weight=60,
       highlights=("中国科幻里程碑之作", "全三册典藏版", "正版塑封"), icon="book"),
    _p("book-picture-books", "图书", "儿童绘本 睡前故事 3-6岁 全10册",
       "精装硬壳 | 注音 | 情绪管理", "儿童绘本", ("图书", "绘本", "童书", "儿童"),
       4990, 9800, 1800,
       stock=300, virtual_sales=16000, sort_weight=45,
       highlights=("精装硬壳不易撕坏", "全彩插画", "培养情绪管理和好习惯"), icon="book"),
    # 图书文具 > 文具
    _p("stationery-gel-pen", "文具", "按动中性笔 0.5mm 子弹头 学生考试 12支装",
       "顺滑速干 | 按动设计 | 大容量笔芯", "中性笔", ("中性笔", "文具", "签字笔", "学生"),
       1590, 2290, 160,
       dim("颜色", "黑色", "蓝色", "红色"),
       stock=1000, virtual_sales=45000, sort_weight=40,
       highlights=("0.5mm子弹头，书写顺滑", "速干不蹭手", "一盒12支"), icon="pen"),
    _p("stationery-notebook", "文具", "A5笔记本 加厚牛皮纸线圈本 5本装",
       "100g道林纸 | 不洇墨 | 可平摊", "笔记本", ("笔记本", "本子", "文具", "学生"),
       2290, 2990, 900,
       dim("内页", "横线", "方格", "空白"),
       stock=500, virtual_sales=13300, sort_weight=35,
       highlights=("100g道林纸，钢笔不洇", "线圈装订可180°平摊", "每本80页"), icon="book"),
)


@dataclass(frozen=True)
class DemoShopper:
    """A demo shopper; ``key`` is what the WeChat sandbox login code ``demo-<key>-x`` is built from."""

    key: str
    nickname: str
    recipient: str
    phone: str
    province_code: str
    city_code: str
    district_code: str
    detail: str
    postal_code: str
    tag: str = "家"
    extra_addresses: tuple[tuple[str, str, str, str, str, str], ...] = field(default_factory=tuple)


SHOPPERS: tuple[DemoShopper, ...] = (
    DemoShopper("xiaoming", "小明同学", "王小明", "13800138001", "310000", "310100", "310104",
                "漕溪北路88号 圣爱大厦12楼1203室", "200030",
                extra_addresses=(("310000", "310100", "310115", "张江高科技园区 博云路2号 3号楼", "201203", "公司"),)),
    DemoShopper("lili", "莉莉爱吃", "李莉", "13800138002", "440000", "440300", "440305",
                "科技园南区 高新南七道 数字大厦 A座 1806", "518057"),
    DemoShopper("dawei", "大伟爱跑步", "张大伟", "13800138003", "110000", "110100", "110105",
                "朝阳北路 青年路 华纺易城 6号楼 2单元 1501", "100025",
                extra_addresses=(("110000", "110100", "110108", "中关村大街 27号 中关村大厦 9层", "100080", "公司"),)),
    DemoShopper("xiaoyu", "鱼宝妈妈", "陈小雨", "13800138004", "330000", "330100", "330106",
                "文三路 478号 华星时代广场 1幢 2201", "310012"),
    DemoShopper("ahao", "阿豪数码控", "刘浩", "13800138005", "510000", "510100", "510107",
                "人民南路四段 19号 威斯顿联邦大厦 8楼", "610041"),
    DemoShopper("tingting", "婷婷的小日子", "赵婷", "13800138006", "420000", "420100", "420111",
                "光谷大道 77号 金融港 B18栋", "430205"),
    DemoShopper("laozhou", "周叔叔", "周建国", "13800138007", "650000", "650100", "650102",
                "人民路 168号 天山花园 3号楼 4单元 502", "830002"),
    DemoShopper("nannan", "南南不吃香菜", "孙楠", "13800138008", "320000", "320500", "320508",
                "观前街 88号 平江府小区 12幢 301", "215005"),
)


DEMO_STAFF: tuple[tuple[str, str, str], ...] = (
    # (username, role, display name); the owner's username is the "already seeded" marker
    ("demo_owner", "owner", "演示店主"),
    ("demo_operator", "operator", "演示运营"),
    ("demo_service", "customer_service", "演示客服"),
    ("demo_warehouse", "warehouse", "演示仓管"),
)

OWNER_USERNAME = DEMO_STAFF[0][0]


@dataclass(frozen=True)
class DemoBanner:
    """A home-page banner: headline, caption, colours and the category it links to."""

    key: str
    headline: str
    caption: str
    colors: tuple[str, str]
    link_category: str


BANNERS: tuple[DemoBanner, ...] = (
    DemoBanner("banner-digital", "数码焕新季", "新款手机 至高直降500元", ("#3450ff", "#8fd3ff"), "手机数码"),
    DemoBanner("banner-snacks", "坚果零食节", "每日坚果 第二件半价", ("#ff7a18", "#ffd36e"), "休闲零食"),
    DemoBanner("banner-fresh", "产地直发 鲜到家", "当季水果 坏果包赔", ("#ff4e50", "#f9d423"), "生鲜水果"),
)


# Review texts by sentiment; {short} is the product's short name.
REVIEW_TEXTS: dict[int, tuple[str, ...]] = {
    5: (
        "{short}收到了，质量很好，和描述的一样，物流也快，第二天就到了，好评！",
        "第二次回购{short}了，一如既往的好，家里人都很喜欢。",
        "包装很用心，没有任何磕碰，{short}做工精细，性价比很高，推荐购买。",
        "客服态度超好，耐心解答问题，{short}用了几天感觉不错，五星好评。",
        "价格实惠，{short}品质在线，比超市便宜不少，下次还来。",
        "送给爸妈的，他们说很好用，{short}值得买！",
    ),
    4: (
        "{short}整体不错，就是快递慢了一天，其他都满意。",
        "东西挺好的，{short}和图片差不多，包装可以再加强一点。",
        "用了一周才来评价，{short}还可以，对得起这个价格。",
    ),
    3: (
        "{short}中规中矩吧，没有想象中那么好，凑合用。",
        "一般般，{short}和描述有点出入，不过也能接受。",
    ),
    2: ("{short}收到的时候外包装有破损，质量一般，有点失望。",),
    1: ("{short}和描述差距太大，联系客服处理得也很慢，不推荐。",),
}

MERCHANT_REPLIES: dict[int, str] = {
    5: "感谢亲的认可与支持！小店会继续用心为您挑选好物，期待您再次光临～",
    4: "谢谢亲的好评，物流和包装的问题我们已经反馈改进，祝您生活愉快！",
    3: "感谢您的反馈，我们会认真改进，如有任何问题请随时联系客服哦。",
    2: "非常抱歉给您带来不好的体验，客服已主动联系您处理，请留意消息。",
    1: "十分抱歉！已安排专人跟进，为您办理退换，给您添麻烦了。",
}


def category_of(item: DemoProduct) -> DemoCategory:
    """The top-level category whose children include ``item.category``."""
    for top in CATEGORIES:
        if any(child == item.category for child, _ in top.children):
            return top
    raise KeyError(item.category)


def icon_of(item: DemoProduct) -> str:
    if item.icon:
        return item.icon
    top = category_of(item)
    return next(icon for child, icon in top.children if child == item.category)
