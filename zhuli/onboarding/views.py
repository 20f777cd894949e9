"""First-run setup (/setup/), getting-started checklist, help pages and norms / policies."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.roles import Role
from zhuli.access.scoping import visible
from zhuli.accounts.forms import UserForm
from zhuli.accounts.models import Department, User
from zhuli.accounts.services import user_create
from zhuli.core.errors import AppError, Forbidden
from zhuli.web.decorators import admin_required
from zhuli.web.errors import form_errors_from

from . import services
from .defaults import DEFAULT_DOCUMENTS
from .forms import STEP_FORMS, DocumentForm
from .help import HELP_PAGES, help_page
from .models import STEPS, DocumentKind, SetupStep
from .rules import may_edit_documents
from .selectors import checklist, document_get, document_list, onboarding_state
from .text import render_body

# What each choice means, under its radio button (the guide's explanation of the decision).
CHOICE_HELP = {
    "customers": {
        "enterprise": gettext_lazy("客户是公司、单位，例如：北京沃力森信息技术有限公司；每个客户下可以有多个联系人。"),
        "individual": gettext_lazy("客户是个人消费者，例如：王德生先生；直接记录手机、微信、生日等。"),
        "both": gettext_lazy("两类客户都有：新建客户时先选类型。"),
    },
    "agreements": {
        "contract": gettext_lazy("卖服务或少量产品：一份合同一两个项目，不涉及库存。"),
        "order": gettext_lazy("卖实物产品：一张订单多行产品，与库存、出库和发货关联。"),
        "both": gettext_lazy("两种都用：每份协议要么是合同，要么是订单，不会两者都是。"),
    },
    "tracking": {
        "customer": gettext_lazy("在客户上记录电话、拜访、微信等行动；周期短、客户多时最省事。"),
        "opportunity": gettext_lazy("按销售机会的阶段、赢率、预计金额推进；适合金额大、周期长的项目。"),
        "both": gettext_lazy("两种方式同时使用，随时可以在设置中修改。"),
    },
    "inventory": {
        "off": gettext_lazy("只记录卖了什么，不管理库存数量。以后随时可以启用。"),
        "on": gettext_lazy("订单出库会扣减库存。启用前需要先准备好：产品资料、仓库，以及负责出入库的库管帐号。"),
    },
}
STEP_INTRO = {
    "customers": gettext_lazy("您的客户是公司，还是个人？它决定新建客户时要填写哪些信息。"),
    "agreements": gettext_lazy("成交后用合同还是订单来管理？两者都有回款计划、回款记录和发票。"),
    "tracking": gettext_lazy("售前怎样跟踪客户？它决定菜单、工作台和客户页面显示的内容，不会删除任何数据。"),
    "inventory": gettext_lazy("是否用助理 CRM 管理库存、出库和发货？"),
    "company": gettext_lazy("公司名称和标志显示在每个页面的左上角。"),
    "users": gettext_lazy("为同事开通帐号，他们就可以登录了。也可以稍后在 设置 → 用户 中添加。"),
}


def _require_admin(request):
    if not request.actor.is_admin:
        raise Forbidden(_("只有公司管理员可以进行初始设置"))


def _current(request, step: str) -> str:
    tenant = request.actor.tenant
    if step == "customers":
        return tenant.feature("customer_kinds")
    if step == "agreements":
        return tenant.feature("agreements")
    if step == "tracking":
        return tenant.feature("tracking_style")
    if step == "inventory":
        return "on" if tenant.feature("inventory") else "off"
    return ""


def _progress(state, step: str) -> list[dict]:
    done = set(state.steps_done) if state else set()
    return [{"key": key, "label": label, "done": key in done, "current": key == step, "number": n}
            for n, (key, label) in enumerate(SetupStep.choices, start=1)]


def _initial(request, step: str) -> dict:
    tenant = request.actor.tenant
    if step == "company":
        return {f: getattr(tenant, f) for f in ("name", "phone", "address", "website")}
    field = {"customers": "customer_kinds", "agreements": "agreements", "tracking": "tracking_style",
             "inventory": "inventory"}[step]
    return {field: _current(request, step)}


@require_GET
@admin_required
def setup(request):
    state = onboarding_state(actor=request.actor)
    return redirect("onboarding:setup_step", step=state.step if state else STEPS[0])


def _users_context(request, form):
    actor = request.actor
    users = list(visible(User, actor).filter(is_active=True).order_by("id").only("id", "name", "email", "mobile",
                                                                                "role", "is_admin"))
    bosses = sum(1 for u in users if u.role == Role.BOSS)
    tenant = actor.tenant
    return {"user_form": form, "users": users, "usage": {
        "users": len(users), "max_users": tenant.max_users, "bosses": bosses, "max_bosses": tenant.max_bosses,
        "full": len(users) >= tenant.max_users}}


def _user_form(request, data=None):
    departments = list(visible(Department, request.actor).only("id", "name", "parent_id", "path", "order"))
    form = UserForm(data, departments=departments, creating=True)
    if data is None and departments:
        form.initial["department"] = str(min(departments, key=lambda d: len(d.path)).pk)
    return form


@require_http_methods(["GET", "POST"])
@admin_required
def setup_step(request, step: str):
    if step not in STEPS:
        raise Http404
    actor = request.actor
    form_class = STEP_FORMS.get(step)
    form = None
    user_form = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "skip":
            state = services.setup_step_skip(actor=actor, step=step)
            return _after_step(request, state, step)
        if action == "add_user" and step == SetupStep.USERS:
            user_form = _user_form(request, request.POST)
            if user_form.is_valid():
                try:
                    user = user_create(actor=actor, data=user_form.service_data())
                except AppError as exc:
                    form_errors_from(exc, user_form, field_map={"department_id": "department"})
                else:
                    messages.success(request, _("已添加用户 %(name)s") % {"name": user.name})
                    return redirect("onboarding:setup_step", step=step)
        elif form_class is not None:
            form = form_class(request.POST, request.FILES)
            if form.is_valid():
                data = form.service_data() if hasattr(form, "service_data") else dict(form.cleaned_data)
                logo = data.pop("logo", None)
                try:
                    state = services.setup_step_save(actor=actor, step=step, data=data, logo=logo)
                except AppError as exc:
                    form_errors_from(exc, form)
                else:
                    return _after_step(request, state, step)
        else:
            state = services.setup_step_save(actor=actor, step=step)
            return _after_step(request, state, step)
    state = onboarding_state(actor=actor)
    if form is None and form_class is not None:
        form = form_class(initial=_initial(request, step))
    context = {
        "page_title": _("初始设置"), "step": step, "step_label": SetupStep(step).label,
        "intro": STEP_INTRO[step], "progress": _progress(state, step), "form": form,
        "index": STEPS.index(step) + 1, "total": len(STEPS), "is_last": step == STEPS[-1],
        "previous": STEPS[STEPS.index(step) - 1] if STEPS.index(step) else None,
        "options": _options(form, step) if form is not None and step in CHOICE_HELP else None,
        "current": _current(request, step),
    }
    if step == SetupStep.USERS:
        context.update(_users_context(request, user_form or _user_form(request)))
    return render(request, "onboarding/setup.html", context)


def _options(form, step: str) -> list[dict]:
    field_name = next(iter(form.fields))
    bound = form[field_name]
    chosen = str(bound.value() or "")
    return [{"value": value, "label": label, "help": CHOICE_HELP[step].get(value, ""), "checked": value == chosen,
             "name": field_name} for value, label in form.fields[field_name].choices]


def _after_step(request, state, step: str):
    if step == STEPS[-1] and state.completed_at is not None:
        messages.success(request, _("初始设置已完成。接下来按“上手指引”一步步把系统用起来。"))
        return redirect("onboarding:checklist")
    return redirect("onboarding:setup_step", step=state.step)


@require_POST
@admin_required
def setup_skip(request):
    services.setup_skip(actor=request.actor)
    messages.info(request, _("已跳过初始设置，随时可以在“上手指引”中继续。"))
    return redirect("workbench:home")


# ---- getting-started checklist ---------------------------------------------------------------------

def _require_manager(request):
    if not services.may_manage_onboarding(request.actor):
        raise Forbidden(_("只有老板或公司管理员可以查看上手指引"))


@require_GET
def checklist_page(request):
    _require_manager(request)
    data = checklist(actor=request.actor)
    return render(request, "onboarding/checklist.html", {
        "page_title": _("上手指引"), "checklist": data, "help_pages": HELP_PAGES,
        "can_setup": request.actor.is_admin,
    })


@require_POST
def checklist_tick(request, item: str):
    _require_manager(request)
    try:
        services.checklist_tick(actor=request.actor, item=item, done=request.POST.get("done") == "1")
    except AppError as exc:
        if exc.status != 422:
            raise
        raise Http404 from None
    return redirect("onboarding:checklist")


@require_POST
def checklist_dismiss(request):
    _require_manager(request)
    services.checklist_dismiss(actor=request.actor)
    messages.info(request, _("工作台不再显示上手指引；需要时可从“帮助”菜单打开。"))
    return redirect("onboarding:checklist" if request.POST.get("next") == "checklist" else "workbench:home")


def checklist_card(request, actor) -> str:
    """The workbench card: the next steps, until all are done or the card is dismissed."""
    if not services.may_manage_onboarding(actor):
        return ""
    data = checklist(actor=actor)
    if data.all_done:
        return ""
    return render_to_string("onboarding/partials/checklist_card.html", {"checklist": data}, request=request)


# ---- help ----------------------------------------------------------------------------------------

@require_GET
def help_index(request):
    return render(request, "onboarding/help_index.html", {"page_title": _("帮助中心"), "pages": HELP_PAGES})


@require_GET
def help_detail(request, slug: str):
    page = help_page(slug)
    if page is None:
        raise Http404
    return render(request, page.template, {"page_title": page.title, "page": page, "pages": HELP_PAGES})


# ---- norms and policies ------------------------------------------------------------------------------

@require_GET
def norm_list(request):
    actor = request.actor
    kind = request.GET.get("kind", "")
    kind = kind if kind in DocumentKind.values else ""
    rows = list(document_list(actor=actor, kind=kind))
    return render(request, "onboarding/norm_list.html", {
        "page_title": _("制度规范"), "documents": rows, "kind": kind, "kinds": DocumentKind.choices,
        "can_edit": may_edit_documents(actor),
    })


@require_http_methods(["GET", "POST"])
def norm_create(request):
    actor = request.actor
    if not may_edit_documents(actor):
        raise Forbidden(_("只有老板或公司管理员可以编辑制度规范"))
    kind = request.GET.get("kind") if request.GET.get("kind") in DocumentKind.values else DocumentKind.NORM
    title, body = DEFAULT_DOCUMENTS[kind]
    form = DocumentForm(request.POST or None, initial={"kind": kind, "title": title, "body": body})
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_create(actor=actor, data=form.cleaned_data)
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已保存为草稿，确认无误后点击“发布”"))
            return redirect("onboarding:norm_detail", pk=document.pk)
    return render(request, "onboarding/norm_form.html", {"page_title": _("新建制度规范"), "form": form})


@require_GET
def norm_detail(request, pk: int):
    document = document_get(actor=request.actor, document_id=pk)
    return render(request, "onboarding/norm_detail.html", {
        "page_title": document.title, "document": document, "body_html": render_body(document.body),
        "can_edit": may_edit_documents(request.actor),
    })


@require_http_methods(["GET", "POST"])
def norm_edit(request, pk: int):
    actor = request.actor
    document = document_get(actor=actor, document_id=pk)
    if not may_edit_documents(actor):
        raise Forbidden(_("只有老板或公司管理员可以编辑制度规范"))
    form = DocumentForm(request.POST or None, editing=True, initial={"title": document.title, "body": document.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(actor=actor, document_id=document.pk, data=form.cleaned_data)
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已保存"))
            return redirect("onboarding:norm_detail", pk=document.pk)
    return render(request, "onboarding/norm_form.html", {"page_title": _("编辑制度规范"), "form": form,
                                                         "document": document})


def _norm_action(request, pk: int, action, success: str):
    try:
        action(actor=request.actor, document_id=pk)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
        if action is services.document_delete:
            return redirect("onboarding:norms")
    return redirect(reverse("onboarding:norm_detail", args=[pk]))


@require_POST
def norm_publish(request, pk: int):
    return _norm_action(request, pk, services.document_publish, _("已发布，全公司同事都可以看到"))


@require_POST
def norm_unpublish(request, pk: int):
    return _norm_action(request, pk, services.document_unpublish, _("已撤回为草稿"))


@require_POST
def norm_delete(request, pk: int):
    return _norm_action(request, pk, services.document_delete, _("已删除"))
