"""The one door for reads (DESIGN §4 rule 2): visible(), get_visible_or_404(), require()."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhuli.core.errors import Conflict, Forbidden, NotFound
from zhuli.tenancy.context import require_same_tenant
from zhuli.tenancy.models import TenantKind, read_only_message

from .actor import Actor
from .modules import READ_ONLY_ACTIONS


@dataclass(frozen=True)
class ScopeRule:
    module: str
    owner_field: str | None = None  # records owned by a user
    via: str | None = None  # records visible through a parent (a contact through its customer)
    custom: Callable[[QuerySet, Actor], QuerySet] | None = None
    # Rows without an owner (customers in a pool) follow their own rule: lookups on the model saying which
    # of them the actor sees. Without it, ownerless rows are seen only by whole-tenant scopes.
    ownerless: Callable[[Actor], dict] | None = None


SCOPE_RULES: dict[type[models.Model], ScopeRule] = {}


def register_scope(model, *, module: str, owner_field=None, via=None, custom=None, ownerless=None) -> None:
    SCOPE_RULES[model] = ScopeRule(module, owner_field, via, custom, ownerless)


def _owned_or_ownerless(rule: ScopeRule, actor: Actor, owners, prefix: str = "") -> Q:
    field = f"{prefix}{rule.owner_field}"
    condition = Q(**{f"{field}__in": owners})
    if rule.ownerless is not None:
        lookups = rule.ownerless(actor)
        if lookups is not None:
            condition |= Q(**{f"{field}__isnull": True}, **{f"{prefix}{k}": v for k, v in lookups.items()})
    return condition


def _base(model, actor: Actor) -> QuerySet:
    # Tenant models are filtered by their manager on the *active* tenant, so it must be the actor's;
    # global models (users) by their custom rule.
    require_same_tenant(actor.tenant)
    return model._default_manager.all()


def visible(model, actor: Actor) -> QuerySet:
    """Rows of `model` the actor may see: the tenant first, then the module's data scope."""
    rule = SCOPE_RULES.get(model)
    if rule is None:
        raise LookupError(f"{model.__name__} has no scope rule; register one in its app's rules.py")
    qs = _base(model, actor)
    if not actor.can(rule.module, "view"):
        return qs.none()
    if rule.custom is not None:
        return rule.custom(qs, actor)
    if rule.owner_field:
        owners = actor.owner_ids(actor.grant(rule.module).scope)
        if owners is None:
            return qs
        return qs.filter(_owned_or_ownerless(rule, actor, owners))
    if rule.via:
        parent = model._meta.get_field(rule.via).related_model
        parent_rule = SCOPE_RULES[parent]
        if parent_rule.owner_field and not actor.can(parent_rule.module, "view"):
            return qs.none()
        if parent_rule.owner_field:
            owners = actor.owner_ids(actor.grant(parent_rule.module).scope)
            if owners is None:
                return qs
            return qs.filter(_owned_or_ownerless(parent_rule, actor, owners, prefix=f"{rule.via}__"))
        return qs.filter(**{f"{rule.via}__in": visible(parent, actor).values("pk")})
    return qs


def get_visible_or_404(model, actor: Actor, pk, *, queryset: QuerySet | None = None):
    """The same answer for missing, another tenant's and outside the actor's scope."""
    qs = queryset if queryset is not None else visible(model, actor)
    try:
        return qs.get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("记录不存在或无权查看"))


def require_writable(actor: Actor) -> None:
    """Refuses every write of an expired (read-only) company with 403 and code `read_only`. The door for
    writes: `require()` calls it for every action but view and export, and the services that check the
    admin flag instead of a module action call it themselves, so web, API, imports, tasks and commands
    are refused alike."""
    if actor.tenant.read_only:
        raise Forbidden(read_only_message(actor.tenant), code="read_only")


def require_not_demo(actor: Actor, message: str | None = None) -> None:
    """Refuses with 409 (`demo_locked`) changes to users, permissions and company settings of the shared demo
    company: every visitor logs in as the same admin, so one must not lock others out or squat real logins."""
    if actor.tenant.kind == TenantKind.DEMO and not actor.system:
        raise Conflict(message or _("演示帐户不能修改用户和权限设置"), code="demo_locked")


def require(actor: Actor, permission: str) -> None:
    """`module.action` or refuse with 403. Services call it after fetching the record, so a row
    outside the actor's scope answers 404 first and 403 only ever means "visible, but not allowed"."""
    require_same_tenant(actor.tenant)  # services write into the active tenant: it must be the actor's
    module, _sep, action = permission.partition(".")
    action = action or "view"
    if action not in READ_ONLY_ACTIONS:
        require_writable(actor)
    if not actor.can(module, action):
        raise Forbidden(_("您没有此操作的权限"))
