"""Names that more than one layer must agree on, kept at the bottom so every layer can read them."""

# The built-in CRM mappings (`funnelkit.crm.presets`), which a plan's `actuals.mapping` may name.
PRESET_NAMES = ("hubspot", "salesforce-leads", "salesforce-opportunities")

# Ibis URL schemes whose database is a file on this machine (`duckdb://crm.duckdb`), which a
# plan's `actuals.engine` may name.
FILE_ENGINES = ("duckdb", "sqlite")
