"""The funnelkit exception hierarchy: every error funnelkit raises on purpose is one of these."""


class FunnelkitError(Exception):
    """Raised when funnelkit is given something it cannot use; the base of every funnelkit error."""


class InputError(FunnelkitError, ValueError):
    """Raised when an input to a formula or a funnel definition breaks a rule."""


class ParamsError(FunnelkitError, ValueError):
    """Raised when a plan's parameters file is missing, malformed or breaks a rule."""


class CrmExportError(FunnelkitError, ValueError):
    """Raised when a CRM export cannot be read into a lead table (fatal data problems)."""


class RenderError(FunnelkitError, RuntimeError):
    """Raised when a report cannot be produced from checked inputs (e.g. PDF printing fails)."""
