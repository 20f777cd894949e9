"""Approvals are read by everyone: who sees which request is the request's own rule (selectors.request_scope:
its submitter, its approvers, whoever sees the document); rules are the company's configuration."""
from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import READ, register_module
from zhuli.access.roles import Role, Scope
from zhuli.access.scoping import register_scope

from .models import ApprovalDecision, ApprovalRequest, ApprovalRule
from .selectors import request_scope

register_module("approvals", _("审批"), {r.value: (Scope.ALL, READ) for r in Role}, order=60)
register_scope(ApprovalRule, module="approvals", custom=lambda qs, actor: qs)
register_scope(ApprovalRequest, module="approvals", custom=request_scope)
register_scope(ApprovalDecision, module="approvals", via="request")


def _register_setup():
    from zhuli.core.registry import tenant_setup

    from .services import approval_rules_install_defaults

    tenant_setup.register("approvals.default_rules", approval_rules_install_defaults, order=40)


_register_setup()
