"""The follow-up screens: quick-add on the customer view (htmx, in place), edit / delete rules,
todos completed from the section, and the /followups/ list."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from zhuli.activities.models import FollowUp, Todo
from zhuli.activities.services import followup_create, todo_create
from zhuli.customers.services import customer_create
from zhuli.preferences.models import DictionaryItem, DictionaryKind

HTMX = {"HTTP_HX_REQUEST": "true"}


def make(org, who, name, **data):
    return customer_create(actor=org.actor(who), data={"kind": "enterprise", "name": name, **data}).customer


def followup_type(code):
    return DictionaryItem.objects.get(kind=DictionaryKind.FOLLOWUP_TYPE, code=code)


@pytest.fixture
def as_user(client, org):
    def login(key):
        client.force_login(org[key])
        return client
    return login


def test_quick_add_updates_the_page_in_place_and_plans_a_todo(as_user, org):
    customer = make(org, "sales1", "快速跟进公司")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = as_user("sales1").post(f"/followups/customer/{customer.pk}/add/", {
        "fu-type_id": followup_type("phone").pk, "fu-content": "电话沟通报价，客户考虑中",
        "fu-next_date": tomorrow.isoformat(), "fu-next_time": "10:30", "fu-next_action": "发报价单",
    }, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="followups-section"' in html and "电话沟通报价，客户考虑中" in html and "已记录" in html
    assert 'id="customer-followup-dates" class="zl-figures my-3" hx-swap-oob="true"' in html
    customer.refresh_from_db()
    followup = FollowUp.objects.get(customer=customer)
    assert followup.owner_id == org["sales1"].pk and followup.type.code == "phone"
    assert customer.last_followup_at == followup.occurred_at
    due = timezone.localtime(customer.next_followup_at)
    assert (due.date(), due.hour, due.minute) == (tomorrow, 10, 30)
    todo = Todo.objects.get(customer=customer)
    assert todo.content == "发报价单" and todo.done_at is None and todo.source_id == followup.pk
    assert due.strftime("%Y-%m-%d %H:%M") in html  # the out-of-band figure shows the new next follow-up
    assert "发报价单" in html  # and the open todo is listed


def test_quick_add_with_a_date_only_plans_nine_oclock(as_user, org):
    customer = make(org, "sales1", "只填日期公司")
    day = timezone.localdate() + datetime.timedelta(days=3)
    as_user("sales1").post(f"/followups/customer/{customer.pk}/add/",
                           {"fu-content": "微信聊了", "fu-next_date": day.isoformat()}, **HTMX)
    customer.refresh_from_db()
    assert timezone.localtime(customer.next_followup_at).time() == datetime.time(9, 0)


def test_quick_add_from_a_todo_completes_it(as_user, org):
    customer = make(org, "sales1", "待办来源公司")
    todo = todo_create(actor=org.actor("sales1"), customer_id=customer.pk,
                       due_at=timezone.now() - datetime.timedelta(hours=2), content="回访")
    client = as_user("sales1")
    page = client.get(f"/customers/{customer.pk}/?todo={todo.pk}").content.decode()
    assert f'name="fu-todo_id" value="{todo.pk}"' in page and "记录后将完成" in page and "data-zl-focus" in page
    client.post(f"/followups/customer/{customer.pk}/add/", {"fu-content": "已回访", "fu-todo_id": todo.pk}, **HTMX)
    todo.refresh_from_db()
    customer.refresh_from_db()
    assert todo.done_at is not None and todo.done_by.content == "已回访"
    assert customer.next_followup_at is None


def test_quick_add_errors_stay_in_the_form(as_user, org):
    customer = make(org, "sales1", "错误输入公司")
    past = (timezone.localdate() - datetime.timedelta(days=400)).isoformat()
    response = as_user("sales1").post(f"/followups/customer/{customer.pk}/add/",
                                      {"fu-content": "", "fu-next_date": past}, **HTMX)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    future = (timezone.now() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    later = as_user("sales1").post(f"/followups/customer/{customer.pk}/add/",
                                   {"fu-content": "时间在未来", "fu-occurred_at": future}, **HTMX)
    assert "跟进时间不能晚于现在" in later.content.decode()
    assert not FollowUp.objects.filter(customer=customer).exists()


def test_quick_add_on_an_invisible_customer_is_404(as_user, org):
    theirs = make(org, "sales4", "别人的客户")
    response = as_user("sales1").post(f"/followups/customer/{theirs.pk}/add/", {"fu-content": "偷偷记"}, **HTMX)
    assert response.status_code == 404
    assert not FollowUp.objects.filter(customer=theirs).exists()


def test_edit_and_delete_own_followup(as_user, org):
    customer = make(org, "sales1", "编辑跟进公司")
    actor = org.actor("sales1")
    old = followup_create(actor=actor, customer_id=customer.pk,
                          data={"content": "较早", "occurred_at": timezone.now() - datetime.timedelta(days=2)})
    new = followup_create(actor=actor, customer_id=customer.pk,
                          data={"content": "最新", "next_at": timezone.now() + datetime.timedelta(days=1)})
    client = as_user("sales1")
    form = client.get(f"/followups/{new.pk}/edit/", **HTMX).content.decode()
    assert 'name="edit-content"' in form
    when = timezone.localtime(new.occurred_at).strftime("%Y-%m-%dT%H:%M")
    edited = client.post(f"/followups/{new.pk}/edit/", {"edit-content": "改过的内容", "edit-occurred_at": when,
                                                        "edit-type_id": followup_type("visit").pk}, **HTMX)
    assert "改过的内容" in edited.content.decode()
    new.refresh_from_db()
    assert new.content == "改过的内容" and new.type.code == "visit"
    deleted = client.post(f"/followups/{new.pk}/delete/", **HTMX)
    assert deleted.status_code == 200 and "改过的内容" not in deleted.content.decode()
    customer.refresh_from_db()
    # The last follow-up falls back to the older one; the todo it planned went with it.
    assert customer.last_followup_at == old.occurred_at and customer.next_followup_at is None
    assert not Todo.objects.filter(customer=customer).exists()


def test_sales_cannot_change_a_colleagues_followup(as_user, org):
    customer = make(org, "sales1", "经理也跟进的公司")
    theirs = followup_create(actor=org.actor("manager1"), customer_id=customer.pk, data={"content": "经理拜访"})
    client = as_user("sales1")
    section = client.get(f"/followups/customer/{customer.pk}/section/", **HTMX).content.decode()
    assert "经理拜访" in section and f"/followups/{theirs.pk}/delete/" not in section
    assert client.post(f"/followups/{theirs.pk}/delete/", **HTMX).status_code == 403
    assert client.post(f"/followups/{theirs.pk}/edit/", {"edit-content": "改掉"}, **HTMX).status_code == 403
    theirs.refresh_from_db()
    assert theirs.content == "经理拜访"
    # The manager may correct it.
    assert as_user("manager1").post(f"/followups/{theirs.pk}/delete/", **HTMX).status_code == 200
    assert not FollowUp.objects.filter(pk=theirs.pk).exists()


def test_complete_a_todo_from_the_section(as_user, org):
    customer = make(org, "sales1", "完成待办公司")
    todo = todo_create(actor=org.actor("sales1"), customer_id=customer.pk,
                       due_at=timezone.now() + datetime.timedelta(days=1), content="寄样品")
    response = as_user("sales1").post(f"/followups/todos/{todo.pk}/complete/", {"from": "section"}, **HTMX)
    assert response.status_code == 200 and 'id="followups-section"' in response.content.decode()
    todo.refresh_from_db()
    customer.refresh_from_db()
    assert todo.done_at is not None and customer.next_followup_at is None
    other = todo_create(actor=org.actor("sales4"), customer_id=make(org, "sales4", "乙").pk,
                        due_at=timezone.now(), content="x")
    assert as_user("sales1").post(f"/followups/todos/{other.pk}/complete/", **HTMX).status_code == 404


def test_timeline_is_newest_first_in_the_tenant_zone(as_user, org):
    customer = make(org, "sales1", "时间线公司")
    actor = org.actor("sales1")
    at = datetime.datetime(2024, 5, 1, 1, 30, tzinfo=datetime.UTC)  # 09:30 in Shanghai
    followup_create(actor=actor, customer_id=customer.pk, data={"content": "第一次", "occurred_at": at})
    followup_create(actor=actor, customer_id=customer.pk,
                    data={"content": "第二次", "occurred_at": at + datetime.timedelta(days=1)})
    html = as_user("sales1").get(f"/customers/{customer.pk}/").content.decode()
    assert html.index("第二次") < html.index("第一次")
    assert "2024-05-01 09:30" in html


def test_followup_list_mine_and_the_team(as_user, org):
    a, b = make(org, "sales1", "列表甲"), make(org, "sales2", "列表乙")
    d = make(org, "sales4", "列表丁")
    followup_create(actor=org.actor("sales1"), customer_id=a.pk,
                    data={"content": "甲的电话", "type_id": followup_type("phone").pk})
    followup_create(actor=org.actor("sales2"), customer_id=b.pk,
                    data={"content": "乙的拜访", "type_id": followup_type("visit").pk})
    followup_create(actor=org.actor("sales4"), customer_id=d.pk, data={"content": "丁的微信"})
    sales = as_user("sales1").get("/followups/").content.decode()
    assert "甲的电话" in sales and "乙的拜访" not in sales and "丁的微信" not in sales
    manager = as_user("manager1")
    assert "甲的电话" not in manager.get("/followups/").content.decode()  # mine by default
    team = manager.get("/followups/", {"owner": "all"}).content.decode()
    assert "甲的电话" in team and "乙的拜访" in team and "丁的微信" not in team
    assert f'value="{org["sales2"].pk}"' in team and f'value="{org["sales4"].pk}"' not in team
    visits = manager.get("/followups/", {"owner": "all", "type": followup_type("visit").pk}).content.decode()
    assert "乙的拜访" in visits and "甲的电话" not in visits
    one = manager.get("/followups/", {"owner": str(org["sales2"].pk)}).content.decode()
    assert "乙的拜访" in one and "甲的电话" not in one
    today = timezone.localdate()
    past = manager.get("/followups/", {"owner": "all", "date_to": (today - datetime.timedelta(days=1)).isoformat()})
    assert "甲的电话" not in past.content.decode()
    assert manager.get("/followups/", {"customer": d.pk}).status_code == 404
    for params in ({"date_to": "9999-12-31", "date_from": "0001-01-01"}, {"type": "9" * 30, "customer": "9" * 30,
                                                                            "page": "9" * 30, "owner": "x"}):
        assert manager.get("/followups/", params).status_code == 200
    huge = manager.post(f"/followups/customer/{a.pk}/add/", {"fu-content": "x", "fu-todo_id": "9" * 30,
                                                             "fu-next_date": "9999-12-31"}, **HTMX)
    assert huge.status_code in (200, 404)


def test_followup_list_query_count(as_user, org, django_assert_max_num_queries):
    customer = make(org, "sales1", "计数公司")
    for i in range(25):
        followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"content": f"第{i}次"})
    client = as_user("manager1")
    with django_assert_max_num_queries(12):
        assert client.get("/followups/", {"owner": "all"}).status_code == 200


def test_hostile_customer_name_in_followup_screens(as_user, org):
    customer = make(org, "sales1", "<img src=x onerror=alert(1)>测试客户")
    followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"content": "<script>alert(3)</script>"})
    client = as_user("sales1")
    for html in (client.get("/followups/").content.decode(),
                 client.get(f"/followups/customer/{customer.pk}/section/", **HTMX).content.decode()):
        assert "<img src=x" not in html and "<script>alert(3)" not in html


def test_read_only_roles_see_the_timeline_without_the_quick_add(as_user, org):
    customer = make(org, "sales1", "只读角色公司")
    followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"content": "销售的记录"})
    html = as_user("finance").get(f"/customers/{customer.pk}/").content.decode()
    assert "销售的记录" in html and 'id="quick-add"' not in html and "/edit/" not in html
    assert as_user("keeper").get(f"/customers/{customer.pk}/").status_code == 404
