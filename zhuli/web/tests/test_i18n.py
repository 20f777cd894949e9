"""The English switch (DESIGN §3, rule 11): Chinese by default, English for a user (or, before login, a
browser) that chose it, and a committed .mo that says what its .po says.

Untranslated text on an English page fails `test_english_pages_have_no_untranslated_text`: after adding
strings, run makemessages, translate the new entries and compile (see zhuli/locale/README.md).
"""
from __future__ import annotations

import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from zhuli.accounts.models import Department, User
from zhuli.activities.services import followup_create
from zhuli.core.models import Region
from zhuli.customers.models import Customer, Pool
from zhuli.customers.services import (
    customer_cap_set,
    customer_create,
    customer_release,
    pool_create,
    pool_default,
    pool_rule_save,
    pool_update,
)
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.sales.models import Opportunity, Stage
from zhuli.sales.services import (
    opportunity_create,
    opportunity_lose,
    opportunity_move,
    opportunity_win,
    stage_update,
    stages_ensure,
)
from zhuli.tenancy.unscoped import for_tenant

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "zhuli" / "locale" / "en" / "LC_MESSAGES"
CJK = re.compile(r"[\u3400-\u9fff]")
# The shell's Chinese labels: none may be left on an English page.
CHINESE_LABELS = ["工作台", "跟进记录", "设置", "退出", "搜索客户", "助理 CRM", "导入客户", "客户名称"]
LANGUAGE_NAMES = ("简体中文", "中文")  # each language is offered in its own name


def english(user: User) -> User:
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def customer(org):
    result = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "华东测试贸易有限公司"})
    followup_create(actor=org.actor("sales1"), customer_id=result.customer.pk,
                    data={"content": "电话沟通了报价", "next_at": None})
    return result.customer


def page(client, url: str, **kw) -> str:
    response = client.get(url, **kw)
    assert response.status_code == 200, url
    return response.content.decode()


# ---- default and switching ------------------------------------------------------------------------

def test_new_user_sees_chinese_even_if_the_browser_asks_for_english(org, client):
    assert org["sales1"].language == ""
    client.force_login(org["sales1"])
    html = page(client, "/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "工作台" in html and "跟进记录" in html and "退出" in html
    assert "Workbench" not in html and "Sign out" not in html
    assert 'lang="zh-hans"' in html


def test_login_page_follows_the_language_cookie(db, client):
    html = page(client, "/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "登录" in html and "Sign in" not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page(client, "/login/")
    assert "Sign in to your account" in html and "Email or mobile number" in html and "Password" in html
    assert "登录" not in html and "密码" not in html


def test_switching_language_is_kept_on_the_user(org, client):
    user = org["sales1"]
    client.force_login(user)
    response = client.post("/language/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    user.refresh_from_db()
    assert user.language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)  # the user's setting alone decides once signed in
    html = page(client, "/customers/")
    assert "New customer" in html and "新建客户" not in html

    client.post("/language/", {"language": "zh-hans", "next": "/"})
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert "新建客户" in page(client, "/customers/")


def test_unknown_language_changes_nothing(org, client):
    user = org["sales1"]
    client.force_login(user)
    client.post("/language/", {"language": "fr", "next": "/"})
    user.refresh_from_db()
    assert user.language == ""
    assert "工作台" in page(client, "/")


# ---- English pages -------------------------------------------------------------------------------

@pytest.mark.parametrize("url, labels", [
    ("/", ["Workbench", "To follow up", "Overdue", "Next 7 days", "My numbers this month", "Recently viewed"]),
    ("/customers/", ["New customer", "Search customers", "Owner", "Next follow-up", "Export to Excel"]),
    ("/followups/", ["Follow-ups", "Follow-up type", "Clear filters"]),
    ("/settings/", ["Company profile", "Users", "Departments", "Permissions", "Dictionaries"]),
    ("/settings/permissions/", ["Permission", "Data scope", "View", "Edit", "Transfer", "Boss", "Warehouse keeper"]),
    ("/imports/", ["Import customers", "Download import template", "Upload and continue", "at most"]),
    ("/opportunities/", ["New opportunity", "Search opportunities", "Expected close", "Amount at least"]),
    ("/opportunities/board/", ["Sales board", "List", "Drag a card to another column"]),
    ("/opportunities/stages/", ["Add stage", "Probability", "Disable"]),
    ("/analytics/funnel/", ["Sales funnel", "This month", "This quarter", "By stage", "Weighted amount"]),
    ("/customers/pool/", ["Customer pool", "Search pool customers", "The pool is empty."]),
    ("/customers/pool/settings/", ["Member departments (none means everyone)", "Customer cap", "No limit"]),
    ("/settings/features/", ["Pre-sales tracking", "Customer-based tracking", "Opportunity-based tracking"]),
])
def test_english_user_gets_english_pages(org, client, url, labels):
    client.force_login(english(org["admin"]))
    html = page(client, url)
    assert 'lang="en"' in html
    for label in ["Workbench", "Customers", "Follow-ups", "Settings", "Sign out", *labels]:
        assert label in html, (url, label)
    for label in CHINESE_LABELS:
        assert label not in html, (url, label)


def test_english_customer_pages_and_plurals(org, client, customer):
    client.force_login(english(org["sales1"]))
    html = page(client, "/customers/")
    assert "1 customer" in html and "1 customers" not in html
    customer_create(actor=org.actor("sales1"), data={"kind": "individual", "name": "王德生"})
    assert "2 customers" in page(client, "/customers/")
    html = page(client, f"/customers/{customer.pk}/")
    assert "Log follow-up" in html and "Contacts" in html and "Follow-ups" in html
    assert "记录跟进" not in html and "联系人" not in html


def test_english_errors_and_messages(org, client):
    client.force_login(english(org["sales1"]))
    response = client.get("/customers/999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    response = client.get("/api/v1/customers/999999")
    assert response.status_code == 404
    assert not CJK.search(response.content.decode())


class _Text(HTMLParser):
    """Text a person reads: text nodes and the attributes browsers show (outside scripts and styles)."""

    SHOWN = {"title", "aria-label", "placeholder", "alt", "data-confirm", "hx-confirm"}

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.chunks += [value for name, value in attrs if name in self.SHOWN and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def _tenant_data(org) -> list[str]:
    """Chinese that is data, not interface: names of people, departments, dictionary items, regions …"""
    tenant = org.tenant
    words = [tenant.name, *LANGUAGE_NAMES]
    words += User.objects.filter(tenant=tenant).values_list("name", flat=True)
    words += for_tenant(Department, tenant).values_list("name", flat=True)
    words += for_tenant(DictionaryItem, tenant).values_list("name", flat=True)
    words += for_tenant(Customer, tenant).values_list("name", flat=True)
    words += for_tenant(Pool, tenant).values_list("name", flat=True)
    words += for_tenant(Stage, tenant).values_list("name", flat=True)
    words += for_tenant(Opportunity, tenant).values_list("title", flat=True)
    words += ["电话沟通了报价"]
    words += Region.objects.values_list("name", flat=True)
    return sorted({w for w in words if w}, key=len, reverse=True)  # longest first: 北京市 before 北京


def _leftovers(html: str, data: list[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    out = []
    for chunk in parser.chunks:
        rest = chunk
        for word in data:
            if not CJK.search(rest):
                break
            rest = rest.replace(word, "")
        if CJK.search(rest):
            out.append(chunk)
    return out


def test_english_import_wizard(org, client):
    """English headers are recognised for an English user, and the wizard speaks English throughout."""
    client.force_login(english(org["boss"]))
    content = "Customer name,Short name,Unified social credit code\n甲公司,甲,\n乙公司,乙,123\n".encode()
    response = client.post("/imports/", {"file": SimpleUploadedFile("customers.csv", content),
                                         "on_duplicate": "skip"})
    assert response.status_code == 302, response.content.decode()[:2000]
    mapping_url = response["Location"]
    html = page(client, mapping_url)
    assert "Column in file" in html and "Preview the import" in html
    assert re.search(r'name="col_0"[^>]*>.*?<option value="name" selected>', html, re.S)
    assert re.search(r'name="col_2"[^>]*>.*?<option value="credit_code" selected>', html, re.S)
    data = _tenant_data(org) + ["甲公司", "乙公司", "甲", "乙"]
    assert _leftovers(html, data) == []

    form = {"col_0": "name", "col_1": "short_name", "col_2": "credit_code", "on_duplicate": "skip"}
    response = client.post(mapping_url, form)
    assert response.status_code == 302
    html = page(client, response["Location"])
    assert "Invalid unified social credit code" in html and "To be created" in html
    assert _leftovers(html, data) == []


@pytest.fixture
def pipeline(org, customer):
    """Opportunities in every state, a customer in the pool, a second pool with rules and customer caps.
    The default names (公海, 赢单, 输单) are tenant data that is also interface text: renamed here, so they
    cannot hide untranslated text on the pages."""
    admin, sales = org.actor("admin"), org.actor("sales1")
    stages_ensure()
    for stage in Stage.objects.all():
        stage_update(actor=admin, stage_id=stage.pk, data={"name": {"won": "签约完成", "lost": "没有签下"}.get(
            stage.kind, stage.name)})
    pool_update(actor=admin, pool_id=pool_default().pk, data={"name": "华东客户池"})
    second = pool_create(actor=admin, data={"name": "华南客户池", "warn_days": 3,
                                            "department_ids": [org.department("销售一部").pk]})
    pool_rule_save(actor=admin, pool_id=second.pk, data={"no_followup_days": 15, "no_deal_days": 90})
    level = for_tenant(DictionaryItem, org.tenant).filter(kind=DictionaryKind.LEVEL).first()
    if level is not None:
        pool_rule_save(actor=admin, pool_id=second.pk, level_id=level.pk, data={"no_followup_days": 7})
    customer_cap_set(actor=admin, limit=200, role=org["sales1"].role)
    customer_cap_set(actor=admin, limit=50, user_id=org["sales2"].pk)

    today = org.tenant.today()
    opens = Stage.objects.filter(kind="open").order_by("order")
    tracked = opportunity_create(actor=sales, data={"customer_id": customer.pk, "title": "华东仓储系统",
                                                    "amount": "120000", "close_date": today.isoformat()})
    opportunity_move(actor=sales, opportunity_id=tracked.pk, stage_id=opens[1].pk, note="客户确认了需求")
    followup_create(actor=sales, customer_id=customer.pk,
                    data={"content": "电话沟通了报价", "next_at": None, "opportunity_id": tracked.pk})
    won = opportunity_create(actor=sales, data={"customer_id": customer.pk, "title": "华东门店系统",
                                                "amount": "30000", "close_date": today.isoformat()})
    opportunity_win(actor=sales, opportunity_id=won.pk)
    lost = opportunity_create(actor=sales, data={"customer_id": customer.pk, "title": "华东物流系统",
                                                 "amount": "8000"})
    reason = for_tenant(DictionaryItem, org.tenant).filter(kind=DictionaryKind.LOST_REASON).first()
    opportunity_lose(actor=sales, opportunity_id=lost.pk, lost_reason_id=getattr(reason, "pk", None),
                     note="" if reason else "价格")
    pooled = customer_create(actor=sales, data={"kind": "enterprise", "name": "华南测试商贸有限公司"}).customer
    customer_release(actor=sales, customer_ids=[pooled.pk], reason="暂无需求")
    return {"opportunity": tracked, "won": won, "pooled": pooled}


def test_english_pages_have_no_untranslated_text(org, client, customer, pipeline):
    client.force_login(english(org["admin"]))
    data = _tenant_data(org) + ["客户确认了需求", "暂无需求", "价格"]
    opportunity, pooled = pipeline["opportunity"], pipeline["pooled"]
    urls = ["/", "/customers/", f"/customers/{customer.pk}/", "/customers/new/", "/followups/", "/settings/",
            "/settings/company/", "/settings/permissions/", "/settings/dictionaries/", "/account/users/",
            "/account/departments/", "/account/password/", "/account/tokens/", "/imports/", "/search/?q=华东",
            "/opportunities/", "/opportunities/board/", "/opportunities/new/",
            f"/opportunities/{opportunity.pk}/", f"/opportunities/{opportunity.pk}/edit/",
            f"/opportunities/{pipeline['won'].pk}/",
            "/opportunities/stages/", "/analytics/funnel/", "/customers/pool/", f"/customers/{pooled.pk}/",
            "/customers/pool/settings/", "/settings/features/", "/imports/?resource=opportunities"]
    leftovers = {url: found for url in urls if (found := _leftovers(page(client, url), data))}
    assert not leftovers, f"Chinese interface text on English pages (translate it, see zhuli/locale/README.md): {leftovers}"


# ---- the catalogue --------------------------------------------------------------------------------

def _po_entries(path: Path) -> list[dict]:
    """A small .po reader (polib is not a dependency): msgctxt, msgid, msgid_plural, msgstr[n], flags."""
    entries, entry, field = [], None, None

    def unquote(text: str) -> str:
        return text.strip()[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape") \
            if "\\" in text else text.strip()[1:-1]

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry is not None and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set()}
        if line.startswith("#,"):
            entry["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += unquote(line)
        else:
            field, _space, value = line.partition(" ")
            entry[field] = unquote(value)
    return [e for e in entries if not e.get("obsolete")]


def test_po_is_complete_and_mo_matches_it():
    po_path, mo_path = LOCALE / "django.po", LOCALE / "django.mo"
    assert po_path.exists() and mo_path.exists(), "compiled translations are committed (DESIGN rule 11)"
    entries = _po_entries(po_path)
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert len(messages) > 500
    with mo_path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|</?\w+[^>]*>")
    problems = []
    for e in messages:
        key = e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}"
        if "fuzzy" in e["flags"]:
            problems.append(("fuzzy", key))
        if "msgid_plural" in e:
            forms = [e.get("msgstr[0]", ""), e.get("msgstr[1]", "")]
            compiled = [catalog._catalog.get((key, 0)), catalog._catalog.get((key, 1))]
        else:
            forms = [e.get("msgstr", "")]
            compiled = [catalog._catalog.get(key)]
        if not all(forms):
            problems.append(("untranslated", key))
        if compiled != forms:
            problems.append(("stale .mo", key))
        for form in forms:
            if sorted(placeholder.findall(form)) != sorted(placeholder.findall(e["msgid"])):
                problems.append(("placeholders differ", key, form))
            if CJK.search(form) and "C 制造业" not in form:
                problems.append(("Chinese left in English", key, form))
    assert not problems, problems[:20]
    # Nothing compiled that the .po no longer has (a .mo built from an older .po).
    compiled_keys = {k if isinstance(k, str) else k[0] for k in catalog._catalog} - {""}
    po_keys = {e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}" for e in messages}
    assert compiled_keys == po_keys


def test_django_uses_the_catalogue():
    with translation.override("en"):
        assert translation.gettext("客户名称") == "Customer name"
        assert translation.pgettext("heading", "部门") == "Departments"
        assert translation.ngettext("共 %(n)s 个客户", "共 %(n)s 个客户", 1) % {"n": 1} == "1 customer"
        assert translation.ngettext("共 %(n)s 个客户", "共 %(n)s 个客户", 3) % {"n": 3} == "3 customers"
    with translation.override("zh-hans"):
        assert translation.gettext("客户名称") == "客户名称"
