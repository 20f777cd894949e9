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
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create
from zhuli.preferences.models import DictionaryItem
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


def test_english_pages_have_no_untranslated_text(org, client, customer):
    client.force_login(english(org["admin"]))
    data = _tenant_data(org)
    urls = ["/", "/customers/", f"/customers/{customer.pk}/", "/customers/new/", "/followups/", "/settings/",
            "/settings/company/", "/settings/permissions/", "/settings/dictionaries/", "/account/users/",
            "/account/departments/", "/account/password/", "/account/tokens/", "/imports/", "/search/?q=华东"]
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
