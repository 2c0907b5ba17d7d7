"""CRM exports in: the lead table's fields, column mappings and the HubSpot and Salesforce
presets, reading CSV, Excel and Parquet, parsing cells, the data-quality report, the lead
table itself, a separate deals export joined to it, and the synthetic sample export.

May import: `funnelkit.core`. Never `plan` (an export knows nothing of a plan) or any layer
above."""

from funnelkit.crm.deals import join_deals
from funnelkit.crm.leads import LeadTable, read_export
from funnelkit.crm.mapping import Mapping
from funnelkit.crm.mapping_file import load_mapping, resolve_mapping
from funnelkit.crm.presets import PRESETS
from funnelkit.crm.quality import QualityReport

__all__ = [
    "PRESETS",
    "LeadTable",
    "Mapping",
    "QualityReport",
    "join_deals",
    "load_mapping",
    "read_export",
    "resolve_mapping",
]
