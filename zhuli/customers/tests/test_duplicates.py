"""查重 (DESIGN §5): the whole tenant whatever the caller's scope; exact normalised name or credit
code blocks, phone / website host / bracket-stripped name warns; ids only for visible records."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhuli.core import text
from zhuli.customers.duplicates import duplicates_find
from zhuli.customers.services import DuplicateCustomer, customer_create
from zhuli.tenancy.context import tenant_context

WOLISEN = "北京沃力森信息技术有限公司"


def create(actor, name, **data):
    return customer_create(actor=actor, data={"kind": "enterprise", "name": name, **data}).customer


# The normalisation cases of the issue: NFKC, whitespace, full/half-width brackets and quotes, case.
SAME_NAME = [
    ("北京沃力森信息技术有限公司", "北京沃力森信息技术有限公司 "),
    ("北京沃力森信息技术有限公司", " 北京 沃力森\u3000信息技术有限公司\t"),
    ("北京沃力森信息技术有限公司", "北京沃力森信息技术\u200b有限公司"),
    ("沃力森（北京）信息技术有限公司", "沃力森(北京)信息技术有限公司"),
    ("沃力森【北京】信息技术有限公司", "沃力森[北京]信息技术有限公司"),
    ("“沃力森”信息技术有限公司", '"沃力森"信息技术有限公司'),
    ("「沃力森」信息技术有限公司", "'沃力森'信息技术有限公司"),
    ("ＡＢＣ科技有限公司", "abc科技有限公司"),
    ("ABC Technology Co., Ltd.", "abc technology co.,ltd."),
    ("Straße GmbH", "STRASSE GMBH"),
    ("沃力森１号有限公司", "沃力森1号有限公司"),
]


@pytest.mark.parametrize("existing, typed", SAME_NAME)
def test_normalised_names_block(org, existing, typed):
    create(org.actor("sales4"), existing)
    with pytest.raises(DuplicateCustomer):
        create(org.actor("sales1"), typed)
    report = duplicates_find(actor=org.actor("sales1"), name=typed)
    assert [r["name"] for r in report.blocking] == [existing]


@pytest.mark.parametrize("existing, typed", [
    ("沃力森(北京)信息技术有限公司", "沃力森信息技术有限公司"),
    ("沃力森信息技术有限公司", "沃力森（上海）信息技术有限公司"),
])
def test_bracket_stripped_names_only_warn(org, existing, typed):
    create(org.actor("sales4"), existing)
    report = duplicates_find(actor=org.actor("sales1"), name=typed)
    assert report.blocking == []
    assert [r["name"] for r in report.warnings] == [existing]


def test_the_whole_tenant_is_searched_but_ids_only_for_visible_rows(org):
    theirs = create(org.actor("sales4"), WOLISEN, phone="13800138000")
    sales1 = duplicates_find(actor=org.actor("sales1"), name=WOLISEN, phones=["138-0013-8000"])
    assert sales1.blocking == [{"name": WOLISEN, "owner": {"id": org["sales4"].pk, "name": "杨静"},
                                "reason": "客户名称相同"}]
    assert sales1.warnings == []  # a blocking row is not repeated as a warning
    manager2 = duplicates_find(actor=org.actor("manager2"), name=WOLISEN)
    assert manager2.blocking[0]["id"] == theirs.pk


def test_a_record_is_no_duplicate_of_itself(org):
    mine = create(org.actor("sales1"), WOLISEN)
    assert duplicates_find(actor=org.actor("sales1"), name=WOLISEN, exclude_id=mine.pk).blocking == []


def test_short_phones_do_not_warn(org):
    create(org.actor("sales1"), "甲公司", phone="110")
    assert duplicates_find(actor=org.actor("sales1"), name="乙公司", phones=["110"]).warnings == []


def test_the_report_is_bounded(org):
    boss = org.actor("boss")
    for i in range(8):
        create(boss, f"同号公司{i}", phone="010-88886666")
    report = duplicates_find(actor=boss, name="新公司", phones=["01088886666"], limit=5)
    assert len(report.warnings) == 5


def test_another_tenants_customers_are_no_duplicates(org, other_org):
    with tenant_context(other_org.tenant):
        create(other_org.actor("boss"), WOLISEN, credit_code="91110108551385082Q")
    report = duplicates_find(actor=org.actor("sales1"), name=WOLISEN, credit_code="91110108551385082Q")
    assert report.blocking == [] and report.warnings == []
    assert create(org.actor("sales1"), WOLISEN).pk


names = st.text(alphabet="北京沃力森信息技术有限公司（）()【】[]“”\"'ＡＢabc １1\u3000\t-·", min_size=1, max_size=30)


@given(names)
def test_name_key_is_idempotent(name):
    key = text.name_key(name)
    assert text.name_key(key) == key
    assert text.name_core(key) == text.name_core(name)


@given(names)
def test_surrounding_whitespace_and_width_never_change_the_key(name):
    assert text.name_key(f" \u3000{name}\t") == text.name_key(name)
    assert text.name_key(name.replace("(", "（").replace(")", "）")) == text.name_key(name)
