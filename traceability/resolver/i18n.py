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
