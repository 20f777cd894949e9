from zhuli.access.scoping import register_scope

from .models import ImportJob

# An import job (its file, its error rows) is seen by the person who started it, whatever their scope.
register_scope(ImportJob, module="customers",
               custom=lambda qs, actor: qs if actor.system else qs.filter(created_by_id=actor.user_id))
