"""bizroute: business-type classification and routing for service counters.

Load a rule pack, classify requests, read the decision::

    >>> import bizroute
    >>> pack = bizroute.load_pack()          # the built-in pack for Chinese power supply
    >>> decision = pack.classify({"description": "家里没电了", "area": "urban"})
    >>> decision.status
    'decided'
    >>> decision.category.name
    '故障报修'

The public API is what ``__all__`` lists; everything else may change.
"""

from ._version import __version__
from .decision import Decision
from .engine import Pack
from .errors import BizrouteError, InputError, PackError, TrackingError, WorkflowError
from .findings import Finding
from .holder import PackHolder, ReloadResult
from .intake import Request
from .loader import load_pack
from .tracking.status import CaseStatus
from .tracking.tracker import Tracker

__all__ = [
    "BizrouteError",
    "CaseStatus",
    "Decision",
    "Finding",
    "InputError",
    "Pack",
    "PackError",
    "PackHolder",
    "ReloadResult",
    "Request",
    "Tracker",
    "TrackingError",
    "WorkflowError",
    "__version__",
    "load_pack",
]
