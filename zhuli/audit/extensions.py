"""What this app plugs in: the 操作日志 settings page and its export resource."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, export_resources, settings_pages

from .exports import AuditExport

settings_pages.register("audit", MenuEntry(_("操作日志"), "audit:list", "journal-text", admin_only=True), order=90)
export_resources.register("audit-events", AuditExport(), order=90)
