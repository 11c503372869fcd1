"""Every warehouse table, by qualified name: Search's and each other API family's.

``warehouse.schemas`` defines the table machinery and the Search tables; each family defines its
own in ``warehouse.schemas_<family>``. Publishing, the DDL files and checks use this catalog.
"""

from __future__ import annotations

from warehouse import schemas, schemas_analytics, schemas_legacy, schemas_reporting, schemas_wfo
from warehouse.schemas import Table

TABLES: dict[str, Table] = {
    t.qualified_name: t
    for t in (
        *schemas.TABLES.values(),
        *schemas_reporting.TABLES,
        *schemas_legacy.TABLES,
        *schemas_wfo.TABLES,
        *schemas_analytics.TABLES,
    )
}
