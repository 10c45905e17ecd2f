"""Consumer page wording in zh-CN and en, and the choice from ``Accept-Language``."""

from __future__ import annotations

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"

_T: dict[str, tuple[str, str]] = {  # key -> (zh-CN, en)
    "title": ("产品溯源", "Product trace"),
    "recalled": ("已召回", "Recalled"),
    "recall_do": ("请勿食用或使用，请退回购买处。", "Do not eat or use it. Return it to the shop."),
    "recall_reason": ("召回原因", "Reason"),
    "recall_since": ("召回时间", "Recalled on"),
    "no_recall": ("未发现召回记录。", "No recall on record."),
    "verdict": ("真伪核验", "Authenticity"),
    "verified": ("已验证", "Verified"),
    "verified_why": (
        "该商品的记录存在于防篡改账本中。",
        "This item's records are in the tamper-evident ledger.",
    ),
    "suspicious": ("可疑", "Suspicious"),
    "unverified": ("无法验证，请重新扫码", "Could not verify — rescan"),
    "expired": ("已过期", "Expired"),
    "why.recall": ("该批次已被召回。", "This lot has been recalled."),
    "why.expired": ("已超过保质期。", "The expiry date has passed."),
    "why.unknown_lot": (
        "该批号未在生产商处登记。",
        "The producer never registered this lot number.",
    ),
    "why.expiry_mismatch": (
        "标签上的有效期与生产商记录不一致。",
        "The expiry date on the label differs from the producer's record.",
    ),
    "why.unknown_serial": (
        "该序列号从未被登记。",
        "This serial number was never recorded.",
    ),
    "why.no_lot_or_serial": (
        "码中没有批号或序列号，无法核验单件商品。请扫描包装上的二维码。",
        "The code carries no lot or serial number, so no single item can be checked. "
        "Scan the QR code on the pack.",
    ),
    "why.no_records": ("尚无该商品的流转记录。", "There are no records of this item yet."),
    "identity": ("商品信息", "Product"),
    "name": ("名称", "Name"),
    "brand": ("品牌", "Brand"),
    "owner": ("生产商", "Producer"),
    "gtin": ("商品条码 (GTIN)", "GTIN"),
    "lot": ("批号", "Lot"),
    "serial": ("序列号", "Serial"),
    "expiry": ("有效期至", "Best before / expiry"),
    "produced": ("生产日期", "Produced on"),
    "origin": ("产地", "Origin"),
    "origin_none": ("暂无产地记录。", "No origin on record."),
    "first_seen": ("首次记录", "First recorded"),
    "region": ("地区", "Region"),
    "certs": ("认证", "Certifications"),
    "journey": ("流转旅程", "Journey"),
    "journey_none": ("暂无流转记录。", "No journey on record yet."),
    "ledger_index": ("账本序号", "ledger index"),
    "verify": ("自行验证", "Check it yourself"),
    "verify_text": (
        "下载该商品最新一条流转记录的账本凭证，并用日志公钥离线验证：",
        "Download the ledger receipt of this item's latest custody record and verify it "
        "offline with the log key:",
    ),
    "download": ("下载凭证", "Download the receipt"),
    "log_key": ("日志公钥", "Log key"),
    "verify_pending": (
        "最新记录尚未写入已签名的检查点，请稍后再试。",
        "The latest record is not in a signed checkpoint yet; try again in a minute.",
    ),
    "verify_none": ("暂无可验证的记录。", "No record to verify yet."),
    "not_found": ("未找到该商品", "Product not found"),
    "not_found_help": (
        "本系统中没有登记该商品条码。请核对标签上的编码；该商品可能由其他品牌的解析服务提供。",
        "No product with this GTIN is registered here. Check the code on the label; the "
        "product may be served by another brand's resolver.",
    ),
    "bad_link": ("链接有误", "This link is not valid"),
    "bad_link_help": (
        "扫描到的链接不是有效的 GS1 数字链接。请重新扫码，或手动核对标签上的编码。",
        "The scanned link is not a valid GS1 Digital Link. Rescan, or check the code "
        "printed on the label.",
    ),
    "wrong_part": ("出错部分", "Wrong part"),
    "error": ("出错", "Error"),
    "recall_id": ("召回编号", "Recall"),
    "recall_level": ("召回级别", "Level"),
    "level.CN-I": ("一级召回（可能严重危害健康）", "China level I (serious health hazard)"),
    "level.CN-II": ("二级召回（可能危害健康）", "China level II (possible health hazard)"),
    "level.CN-III": ("三级召回（不太可能危害健康）", "China level III (unlikely to harm health)"),
    "level.FDA-I": ("FDA I 类召回", "FDA Class I"),
    "level.FDA-II": ("FDA II 类召回", "FDA Class II"),
    "level.FDA-III": ("FDA III 类召回", "FDA Class III"),
    "recall_do_long": (
        "停止使用；保留包装与购物凭证，退回购买处或联系生产商办理退换。",
        "Stop using it; keep the pack and receipt, return it to the shop or contact the "
        "producer for a refund or replacement.",
    ),
    "cert_valid": ("有效期", "valid"),
    "cert_expired": ("已过期", "expired"),
    "cert_issuer": ("发证机构", "issued by"),
    "cold": ("冷链", "Cold chain"),
    "cold_kept": (
        "全程保持在 {low}–{high} °C（{n} 次读数）。",
        "Kept {low}–{high} °C ({n} readings).",
    ),
    "cold_excursions": (
        "有 {k} 次读数超出 {low}–{high} °C（共 {n} 次）：",
        "{k} of {n} readings outside {low}–{high} °C:",
    ),
    "cold_none": ("暂无温度记录。", "No temperature records."),
    "equipment": ("特种设备", "Special equipment"),
    "eq_code": ("设备代码", "Equipment code"),
    "eq_last_maint": ("上次维保", "Last maintenance"),
    "eq_next_maint": ("下次维保截止", "Next maintenance due"),
    "eq_last_insp": ("上次定期检验", "Last inspection"),
    "eq_next_insp": ("下次检验截止", "Next inspection due"),
    "eq_result": ("检验结论", "Inspection result"),
    "eq_status": ("状态", "Status"),
    "eq_ok": ("维保与检验均在期限内", "Maintenance and inspection up to date"),
    "eq_overdue": ("已超期：", "Overdue: "),
    "eq_retired": ("已报废停用", "Decommissioned"),
    "eq_company": ("责任维保单位", "Responsible maintenance company"),
    "eq_uscc": ("统一社会信用代码", "Unified social credit code"),
    "why.clone_travel": (
        "该码在相距很远的地点被短时间内连续扫描（{detail}），可能存在仿冒标签。",
        "This code was scanned at places too far apart too quickly ({detail}): copies of the "
        "label may exist.",
    ),
    "why.clone_many": (
        "该码被过多不同的人扫描（{detail}），可能存在仿冒标签。",
        "This code was scanned by too many different people ({detail}): copies of the label "
        "may exist.",
    ),
    "report": ("报告问题", "Report a problem"),
    "report_help": (
        "发现商品异常、疑似假冒或身体不适？请告诉我们（不要填写身份证号等敏感信息）。",
        "Something wrong, a suspected fake, or you fell ill? Tell us (leave out ID numbers "
        "and other sensitive data).",
    ),
    "report_kind": ("问题类型", "What kind of problem"),
    "kind.counterfeit": ("疑似假冒", "Suspected fake"),
    "kind.damaged": ("包装破损或变质", "Damaged or spoiled"),
    "kind.illness": ("食用后不适", "Made me ill"),
    "kind.label": ("标签信息有误", "Wrong label"),
    "kind.other": ("其他", "Other"),
    "report_message": ("描述", "Description"),
    "report_contact": ("联系方式（可选）", "Contact (optional)"),
    "report_send": ("提交", "Send"),
    "report_thanks": ("已收到您的报告，谢谢。", "Thank you: your report is stored."),
    "report_ref": ("报告编号", "Report number"),
    "back": ("返回商品页", "Back to the product"),
    "too_many": ("请求过于频繁", "Too many requests"),
    "too_many_help": ("请稍后再试。", "Please try again in a little while."),
}


def choose_lang(accept_language: str | None) -> str:
    """zh-CN or en, by the highest-weighted match in ``Accept-Language``."""
    best, best_q = DEFAULT_LANG, -1.0
    for pos, part in enumerate((accept_language or "")[:400].split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        tag = tag.strip().lower()
        lang = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang and q > 0 and q > best_q:
            best, best_q = lang, q - pos * 1e-6
    return best


def t(key: str, lang: str) -> str:
    zh, en = _T[key]
    return zh if lang == "zh-CN" else en


def has(key: str) -> bool:
    return key in _T
