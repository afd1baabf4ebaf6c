"""The complainant's identity taken out of a complaint's text before the respondent or other staff see it."""

from __future__ import annotations

import pytest

from chalicelib.domain.redaction import MASK, redact

M = MASK

BY_PATTERN = [
    # mobile numbers, every spelling
    ("我的电话13912345678，请尽快回复。", f"我的电话{M}，请尽快回复。"),
    ("联系方式：139-1234-5678，白天可接。", f"联系方式：{M}，白天可接。"),
    ("手机 139 1234 5678 随时可打", f"手机 {M} 随时可打"),
    ("请拨139.1234.5678与我联系", f"请拨{M}与我联系"),
    ("店员让我打(139)12345678退款", f"店员让我打{M}退款"),
    ("我的手机+8613912345678一直没人回电", f"我的手机{M}一直没人回电"),
    ("我的手机+86 13912345678一直没人回电", f"我的手机{M}一直没人回电"),
    ("我的手机+86 139 1234 5678一直没人回电", f"我的手机{M}一直没人回电"),
    ("境外请拨0086 13912345678找我", f"境外请拨{M}找我"),
    ("境外请拨008613912345678找我", f"境外请拨{M}找我"),
    ("号码是86-13912345678。", f"号码是{M}。"),
    ("号码是(+86)139-1234-5678。", f"号码是{M}。"),
    ("电话１３９１２３４５６７８（全角）", f"电话{M}（全角）"),
    ("电话１３９－１２３４－５６７８，谢谢", f"电话{M}，谢谢"),
    ("电话＋８６　１３９　１２３４　５６７８，谢谢", f"电话{M}，谢谢"),
    ("电话139—1234—5678，谢谢", f"电话{M}，谢谢"),
    # fixed-line numbers
    ("门店电话021-12345678一直无人接听", f"门店电话{M}一直无人接听"),
    ("我拨打(021) 1234 5678投诉未果", f"我拨打{M}投诉未果"),
    ("深圳的家里电话0755-1234567", f"深圳的家里电话{M}"),
    ("北京座机010 8888 6666，工作日可接", f"北京座机{M}，工作日可接"),
    ("北京座机01088886666，工作日可接", f"北京座机{M}，工作日可接"),
    ("单位电话+86 21 1234 5678。", f"单位电话{M}。"),
    ("单位电话0086-21-12345678。", f"单位电话{M}。"),
    ("单位电话021-12345678-123，找我本人", f"单位电话{M}，找我本人"),
    ("单位电话021-12345678转123，找我本人", f"单位电话{M}，找我本人"),
    ("单位电话（０２１）１２３４５６７８转１２３，找我本人", f"单位电话{M}，找我本人"),
    # e-mail
    ("请回复到LI.SECRET@Example.COM，谢谢", f"请回复到{M}，谢谢"),
    ("我的邮箱是a_b+c@sub.domain.cn。", f"我的邮箱是{M}。"),
    ("邮箱ｌｉ＠ｅｘａｍｐｌｅ．ｃｏｍ（全角）", f"邮箱{M}（全角）"),
    ("抄送a@b.cn.x@y.cn两个地址", f"抄送{M}.{M}两个地址"),
    # resident ID numbers
    ("本人身份证号110105194912310021，请核实", f"本人身份证号{M}，请核实"),
    ("本人身份证号11010519491231002X，请核实", f"本人身份证号{M}，请核实"),
    ("本人身份证号11010519491231002x，请核实", f"本人身份证号{M}，请核实"),
    ("本人身份证号110105 19491231 002X，请核实", f"本人身份证号{M}，请核实"),
    ("老身份证号110105491231002还在用", f"老身份证号{M}还在用"),
    # bank cards
    ("退款请打到6222021234567890这张卡", f"退款请打到{M}这张卡"),
    ("退款请打到6222021234567890123这张卡", f"退款请打到{M}这张卡"),
    ("退款请打到6222 0212 3456 7890 123这张卡", f"退款请打到{M}这张卡"),
    ("退款请打到6222-0212-3456-7890这张卡", f"退款请打到{M}这张卡"),
    # several in one sentence
    (
        "我叫什么不重要，电话13912345678，邮箱li@qq.com，卡号6222 0212 3456 7890。",
        f"我叫什么不重要，电话{M}，邮箱{M}，卡号{M}。",
    ),
]

BY_VALUE = [
    ("我张三在该店买的手机第二天就坏了", ["张三"], f"我{M}在该店买的手机第二天就坏了"),
    ("投诉人张 三，男", ["张 三"], f"投诉人{M}，男"),
    ("Li Wei 于11月1日到店", ["li wei"], f"{M} 于11月1日到店"),
    ("ＬＩ　ＷＥＩ于11月1日到店", ["Li Wei"], f"{M}于11月1日到店"),
    ("Limited公司的店员对Li说不能退", ["Li"], f"Limited公司的店员对{M}说不能退"),
    ("我家住上海市浦东新区幸福路100号，快递送错了", ["上海市 浦东新区幸福路100号"], f"我家住{M}，快递送错了"),
    ("我家住上海市  浦东新区　幸福路100号", ["上海市 浦东新区 幸福路100号"], f"我家住{M}"),
    ("我家住上海市浦东新区幸福路100号", ["上海市 浦东新区 幸福路100号"], f"我家住{M}"),
    ("请打138 0013 8000或138-0013-8000找我", ["+8613800138000"], f"请打{M}或{M}找我"),
    ("请打(138)0013 8000找我", ["138-0013-8000"], f"请打{M}找我"),
    ("家里电话6288-8888，晚上打", ["62888888"], f"家里电话{M}，晚上打"),
    ("单位电话（21）1234-5678", ["+86 21 12345678"], f"单位电话{M}"),
    ("回复到Zhang.San@QQ.COM", ["zhang.san@qq.com"], f"回复到{M}"),
    ("张三，住幸福路100号张三家", ["张三", "幸福路100号张三家"], f"{M}，住{M}"),
    ("张三，住幸福路100号张三家", ["幸福路100号张三家", "张三"], f"{M}，住{M}"),
    ("我是张三", [None, "", "  ", "张三"], f"我是{M}"),
    ("我是张三，价格-1.0元", ["--", "..."], "我是张三，价格-1.0元"),
]

NOT_REDACTED = [
    "手机单价12.5元，另付配件1299元，共计1311.5元。",
    "2026年11月1日购买，2026-11-01发货，2026/11/02签收。",
    "订单日期20261101，订单号1234567890。",
    "买了3件，每件2.5公斤，少发了1件。",
    "商家所在区划代码310115，门牌号88号。",
    "营业时间10:30至21:00，我10:45到店。",
    "单价13.9 12.3 45.6 78.9元不等。",
    "商家统一社会信用代码91310115MA1K4A5B2X。",
    "消费者热线12315已转办。",
    "共有 1 399 元未退，相关编号 0123456789。",
]


@pytest.mark.parametrize(("text", "expected"), BY_PATTERN)
def test_personal_data_is_removed_by_pattern(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(("text", "identity", "expected"), BY_VALUE)
def test_the_complainants_own_data_is_removed_by_value(text: str, identity: list[str | None], expected: str) -> None:
    assert redact(text, identity) == expected


@pytest.mark.parametrize("text", NOT_REDACTED)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert redact(text, ["张三"]) == text


def test_identity_may_be_any_iterable_and_used_once() -> None:
    assert redact("我是张三，电话62888888", (v for v in ["张三", "6288 8888"])) == f"我是{M}，电话{M}"


def test_a_long_order_number_shaped_like_a_phone_or_card_is_masked_too() -> None:
    # The documented trade-off: 11 or more digits shaped like a phone or card cannot be told from one.
    assert redact("订单号13912345678，运单号6222021234567890") == f"订单号{M}，运单号{M}"
    # while a long number with no such shape stays
    assert redact("订单号12345678901") == "订单号12345678901"


@pytest.mark.parametrize(
    ("text", "identity"),
    [(text, []) for text, _ in BY_PATTERN] + [(text, identity) for text, identity, _ in BY_VALUE],
)
def test_redacting_twice_changes_nothing(text: str, identity: list[str | None]) -> None:
    once = redact(text, identity)
    assert redact(once, identity) == once


try:
    from hypothesis import assume, given
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    pass
else:
    # Characters that make up the matches and their edges, so near-misses are common.
    ALPHABET = "0123456789０１３８ -.()+@_xXaLi（）－—＊*　转店张三，。\n"
    texts = st.text(alphabet=ALPHABET, max_size=60)
    identities = st.lists(st.none() | st.text(alphabet=ALPHABET, max_size=12), max_size=3)

    @given(texts, identities)
    def test_property_redaction_is_idempotent(text: str, identity: list[str | None]) -> None:
        once = redact(text, identity)
        assert redact(once, identity) == once

    @given(texts, identities)
    def test_property_only_matches_change(text: str, identity: list[str | None]) -> None:
        # What is left between the masks is the text as it was, in order (a text holding the mask's own
        # character cannot be split back into its pieces, so it says nothing here).
        assume(MASK[0] not in text)
        cursor = 0
        for piece in redact(text, identity).split(MASK):
            found = text.find(piece, cursor)
            assert found >= 0
            cursor = found + len(piece)

    @given(texts, texts)
    def test_property_a_phone_name_or_email_anywhere_is_removed(before: str, after: str) -> None:
        text = f"{before}我王小明电话13912345678，邮箱wxm@example.com。{after}"
        out = redact(text, ["王小明"])
        assert "13912345678" not in out
        assert "王小明" not in out
        assert "wxm@" not in out
