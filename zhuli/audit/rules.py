from zhuli.access.scoping import register_scope

from .models import AuditEvent

# The log is the company admin's (issue 5 part 8): everyone else sees no rows, whatever their role's matrix.
register_scope(AuditEvent, module="organisation",
               custom=lambda qs, actor: qs if actor.is_admin or actor.system else qs.none())
