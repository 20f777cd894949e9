"""What this app plugs in: the customer import/export resources and the 导入客户 menu entry."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, export_resources, import_resources, menu_entries

from .exports import CustomerExport
from .resources import CustomerResource

import_resources.register("customers", CustomerResource(), order=10)
export_resources.register("customers", CustomerExport(), order=10)


def _register_opportunities():
    from .opportunities import OpportunityExport, OpportunityResource

    import_resources.register("opportunities", OpportunityResource(), order=20)
    export_resources.register("opportunities", OpportunityExport(), order=20)


_register_opportunities()


def _register_products():
    from .products import ProductExport, ProductResource

    import_resources.register("products", ProductResource(), order=30)
    export_resources.register("products", ProductExport(), order=30)


_register_products()


def _register_contacts():
    from .contacts import ContactExport, ContactResource

    import_resources.register("contacts", ContactResource(), order=15)
    export_resources.register("contacts", ContactExport(), order=15)


_register_contacts()
menu_entries.register(
    "imports.customers", MenuEntry(label=_("导入客户"), url_name="imports:upload", icon="upload", module="customers"),
    order=90,
)
