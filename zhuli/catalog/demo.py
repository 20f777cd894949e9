"""Demo catalogue (issue 4 part 14): a two-level category tree of services (software, implementation, operations,
training: sold on contracts) and physical goods (hardware, consumables: sold on orders), about 230 products with
codes per category, specifications, units, list prices and costs. The agreements seeder (zhuli.billing.demo)
prices its lines from these."""
from __future__ import annotations

import datetime
from decimal import Decimal

from zhuli.core.demo import DemoContext
from zhuli.core.registry import demo_seeders
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.unscoped import for_tenant

from .models import Product, ProductCategory, ProductKind
from .services import product_search_text

S, P = ProductKind.SERVICE, ProductKind.PHYSICAL
# top category → (kind, tax rate, [(sub category, code prefix, [(name, [specifications], unit, price)])])
CATALOGUE = [
    ("软件产品", S, 6, [
        ("CRM系统", "RJC", [
            ("助理CRM 标准版", ["10用户", "30用户", "50用户", "100用户"], "套", 9800),
            ("助理CRM 专业版", ["10用户", "30用户", "50用户", "100用户", "200用户"], "套", 19800),
            ("助理CRM 旗舰版", ["50用户", "100用户", "300用户", "不限用户"], "套", 49800),
            ("移动销售 App 授权", ["单用户/年", "10用户/年"], "年", 600),
        ]),
        ("ERP系统", "RJE", [
            ("进销存管理系统", ["单仓", "多仓", "连锁版"], "套", 16800),
            ("生产制造管理系统", ["标准版", "离散制造版", "流程制造版"], "套", 68000),
            ("财务核算模块", ["标准版", "集团版"], "套", 12800),
            ("供应链协同平台", ["标准版", "企业版"], "套", 88000),
        ]),
        ("办公协同", "RJO", [
            ("OA 协同办公系统", ["50用户", "200用户", "500用户"], "套", 15800),
            ("电子合同签署服务", ["1000份/年", "5000份/年"], "年", 6800),
            ("企业网盘", ["1TB/年", "5TB/年", "20TB/年"], "年", 3600),
            ("视频会议软件", ["25方/年", "100方/年"], "年", 5800),
        ]),
        ("数据与云服务", "RJY", [
            ("数据分析 BI 平台", ["标准版", "企业版"], "套", 39800),
            ("云服务器租用", ["2核4G/年", "4核8G/年", "8核16G/年", "16核32G/年"], "年", 2800),
            ("对象存储服务", ["500GB/年", "2TB/年"], "年", 1200),
            ("短信通知服务包", ["1万条", "10万条", "50万条"], "项", 450),
        ]),
    ]),
    ("实施服务", S, 6, [
        ("咨询实施", "SS", [
            ("需求调研与方案设计", ["标准", "深度"], "人天", 2500),
            ("系统部署实施", ["标准", "现场"], "人天", 2200),
            ("流程梳理咨询", ["销售流程", "供应链流程", "财务流程"], "人天", 3000),
            ("上线陪跑服务", ["1个月", "3个月"], "月", 8000),
        ]),
        ("数据与开发", "SK", [
            ("历史数据迁移", ["1万条以内", "10万条以内", "百万级"], "项", 6000),
            ("接口对接开发", ["单接口", "ERP对接", "金蝶/用友对接"], "项", 12000),
            ("定制开发", ["报表定制", "功能定制", "移动端定制"], "人天", 1800),
            ("系统集成服务", ["标准", "复杂"], "项", 30000),
        ]),
    ]),
    ("运维服务", S, 6, [
        ("维保服务", "YW", [
            ("年度软件维保", ["标准版", "专业版", "旗舰版"], "年", 3600),
            ("远程技术支持", ["5×8小时", "7×24小时"], "年", 6000),
            ("硬件维保延保", ["1年", "3年"], "年", 1500),
        ]),
        ("驻场与托管", "YZ", [
            ("驻场运维工程师", ["初级", "中级", "高级"], "月", 12000),
            ("IT 外包托管", ["20终端", "50终端", "100终端"], "月", 4800),
            ("网络安全巡检", ["季度", "年度"], "次", 5000),
            ("数据备份恢复服务", ["标准", "异地容灾"], "年", 8800),
        ]),
    ]),
    ("培训服务", S, 6, [
        ("培训课程", "PX", [
            ("管理员培训", ["线上", "现场"], "次", 3000),
            ("最终用户培训", ["线上", "现场", "分批次"], "次", 2000),
            ("报表与数据分析培训", ["线上", "现场"], "次", 3500),
            ("认证顾问培训", ["初级", "高级"], "人", 6800),
            ("销售管理训练营", ["2天", "5天"], "人", 4800),
        ]),
    ]),
    ("硬件设备", P, 13, [
        ("服务器", "YF", [
            ("机架式服务器", ["1U 双路/64G", "2U 双路/128G", "2U 双路/256G", "4U 四路/512G"], "台", 28000),
            ("塔式服务器", ["单路/32G", "双路/64G"], "台", 12800),
            ("存储阵列", ["24TB", "48TB", "96TB"], "台", 46000),
        ]),
        ("网络设备", "YN", [
            ("千兆交换机", ["8口", "24口", "48口", "24口 PoE"], "台", 1280),
            ("万兆核心交换机", ["24口", "48口"], "台", 18600),
            ("企业级路由器", ["双WAN", "四WAN", "多WAN负载均衡"], "台", 3200),
            ("下一代防火墙", ["百兆", "千兆", "万兆"], "台", 16800),
            ("无线 AP", ["吸顶式", "面板式", "室外型"], "台", 680),
        ]),
        ("电脑整机", "YD", [
            ("商用笔记本电脑", ["i5/16G/512G", "i7/16G/1T", "i7/32G/1T"], "台", 5999),
            ("商用台式电脑", ["i3/8G/256G", "i5/16G/512G", "i7/16G/1T"], "台", 4299),
            ("显示器", ["23.8寸", "27寸", "27寸 4K"], "台", 1099),
            ("工作站", ["单路/64G", "双路/128G"], "台", 21800),
        ]),
        ("打印与办公设备", "YB", [
            ("黑白激光打印机", ["A4 单面", "A4 双面", "A4 双面网络"], "台", 1680),
            ("彩色激光多功能一体机", ["A4", "A3"], "台", 6800),
            ("高速扫描仪", ["40页/分钟", "80页/分钟"], "台", 3900),
            ("投影仪", ["3600流明", "5000流明", "激光 6000流明"], "台", 4500),
            ("碎纸机", ["4级保密", "5级保密"], "台", 980),
        ]),
        ("通讯设备", "YT", [
            ("IP 电话机", ["基础型", "彩屏型", "视频型"], "台", 390),
            ("会议室全向麦克风", ["单只", "级联套装"], "套", 1900),
            ("视频会议终端", ["小型会议室", "中型会议室", "大型会议室"], "套", 9800),
            ("呼叫中心语音网关", ["8路", "32路"], "台", 6600),
            ("对讲机", ["民用", "专业数字"], "台", 380),
        ]),
        ("安防监控", "YA", [
            ("网络摄像机", ["200万像素", "400万像素", "800万像素"], "台", 420),
            ("硬盘录像机", ["8路", "16路", "32路"], "台", 1600),
            ("门禁考勤一体机", ["指纹", "人脸识别"], "台", 1280),
            ("监控硬盘", ["4TB", "8TB"], "块", 860),
        ]),
    ]),
    ("耗材配件", P, 13, [
        ("打印耗材", "HD", [
            ("原装硒鼓", ["黑色 标准容量", "黑色 大容量", "彩色 青", "彩色 品红", "彩色 黄"], "只", 480),
            ("兼容墨盒", ["黑色", "彩色"], "只", 120),
            ("A4 复印纸", ["70g 500张/包", "80g 500张/包"], "箱", 160),
            ("标签打印纸", ["40×30mm", "60×40mm"], "箱", 90),
        ]),
        ("网络配件", "HW", [
            ("超六类网线", ["305米/箱"], "箱", 680),
            ("光模块", ["千兆单模", "万兆多模", "万兆单模"], "个", 260),
            ("机柜", ["12U", "22U", "42U"], "台", 1500),
            ("PDU 电源插座", ["8位", "16位"], "个", 320),
        ]),
        ("电脑配件", "HP", [
            ("固态硬盘", ["512G", "1T", "2T"], "块", 399),
            ("内存条", ["16G DDR4", "32G DDR5"], "条", 320),
            ("无线键鼠套装", ["标准", "静音"], "套", 129),
            ("UPS 不间断电源", ["1KVA", "3KVA", "6KVA"], "台", 1350),
            ("USB 扩展坞", ["7合1", "12合1"], "个", 260),
            ("笔记本电脑包", ["14寸", "15.6寸"], "个", 149),
        ]),
        ("办公耗材", "HB", [
            ("碳带", ["110mm×300m", "80mm×300m"], "卷", 45),
            ("装订胶圈", ["10mm 100支", "20mm 100支"], "盒", 35),
            ("白板笔", ["黑色 10支", "红蓝黑 12支"], "盒", 28),
            ("收银小票纸", ["57×50mm 100卷"], "箱", 150),
        ]),
    ]),
]
COST_SHARE = {S: (0.25, 0.55), P: (0.6, 0.82)}


def _price(base: int, index: int) -> Decimal:
    """Each further specification costs more; rounded the way price lists are."""
    value = base * (1 + 0.6 * index) if base >= 1000 else base * (1 + 0.35 * index)
    step = 100 if value >= 5000 else 10 if value >= 500 else 1
    return Decimal(int(round(value / step) * step))


def seed(ctx: DemoContext) -> None:
    """The category tree and the products in it (bulk; search keys built like the service does)."""
    tenant, rng = ctx.tenant, ctx.rng
    items = for_tenant(DictionaryItem, tenant)
    units = {i.name: i for i in items.filter(kind=DictionaryKind.PRODUCT_UNIT)}
    wanted = dict.fromkeys(unit for *_top, children in CATALOGUE for _s, _p, products in children
                           for *_n, unit, _price in products)
    # Units the catalogue uses beyond the default dictionary (卷, 盒, 块 …) are added, as an admin would.
    added = items.bulk_create([DictionaryItem(tenant=tenant, kind=DictionaryKind.PRODUCT_UNIT, name=u, order=100 + i)
                               for i, u in enumerate(u for u in wanted if u not in units)])
    units.update({i.name: i for i in added})
    categories = for_tenant(ProductCategory, tenant)
    tops = categories.bulk_create([ProductCategory(tenant=tenant, name=name, order=i)
                                   for i, (name, *_rest) in enumerate(CATALOGUE, start=1)])
    for top in tops:
        top.path, top.depth = f"/{top.pk}/", 0
    categories.bulk_update(tops, ["path", "depth"])
    subs = []
    for top, (_name, _kind, _rate, children) in zip(tops, CATALOGUE, strict=True):
        subs += [ProductCategory(tenant=tenant, name=name, parent=top, order=i, depth=1)
                 for i, (name, _prefix, _items) in enumerate(children, start=1)]
    subs = categories.bulk_create(subs)
    for sub in subs:
        sub.path = f"{sub.parent.path}{sub.pk}/"
    categories.bulk_update(subs, ["path"])
    products, codes = [], set()
    sub_iter = iter(subs)
    created_at = ctx.now - datetime.timedelta(days=400)
    for _name, kind, rate, children in CATALOGUE:
        for _sub, prefix, items in children:
            category = next(sub_iter)
            seq = 0
            for name, specs, unit, base in items:
                for index, spec in enumerate(specs):
                    seq += 1
                    code = f"{prefix}-{seq:03d}"
                    while code in codes:
                        seq += 1
                        code = f"{prefix}-{seq:03d}"
                    codes.add(code)
                    price = _price(base, index)
                    low, high = COST_SHARE[kind]
                    product = Product(
                        tenant=tenant, code=code, name=name, specification=spec, category=category,
                        unit=units.get(unit), kind=kind, list_price=price,
                        cost=(price * Decimal(str(round(rng.uniform(low, high), 2)))).quantize(Decimal("0.01")),
                        tax_rate=Decimal(rate), is_active=rng.random() > 0.04, created_by=ctx.users.get("admin"),
                        description="",
                    )
                    product.search_text = product_search_text(product)
                    products.append(product)
    for_tenant(Product, tenant).bulk_create(products, batch_size=500)
    for_tenant(Product, tenant).update(created_at=created_at, updated_at=created_at)
    ctx.shared["products"] = [p for p in products if p.is_active]
    ctx.say(f"  products: {len(products)} in {len(tops) + len(subs)} categories")


demo_seeders.register("products", seed, order=30)
