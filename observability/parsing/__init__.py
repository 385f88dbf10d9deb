"""How every app of the project declares, reads and checks its settings: one mechanism.

``values`` holds ``Problem`` and the casts; ``variables`` the declaration of a setting
(``Variable``), the ``Reader`` that looks it up (settings dict, then environment, then the
standard ``OTEL_*`` variables, then the default) and ``Running``, an app's running configuration.
"""

from observability.parsing.values import (
    FALSE_STRINGS,
    SECRET,
    TRUE_STRINGS,
    Invalid,
    Problem,
    as_bool,
    as_choice,
    as_http_url,
    as_number,
    as_rate,
    boolean,
    must,
    setting_dict,
    shown,
)
from observability.parsing.variables import (
    Found,
    Reader,
    Running,
    RunningWhenCalledBare,
    Variable,
    cached_until_changed,
    field_defaults,
    on_setting_change,
)

__all__ = [
    "FALSE_STRINGS", "SECRET", "TRUE_STRINGS", "Found", "Invalid", "Problem", "Reader", "Running",
    "RunningWhenCalledBare", "Variable", "as_bool", "as_choice", "as_http_url", "as_number", "as_rate", "boolean",
    "cached_until_changed", "field_defaults", "must", "on_setting_change", "setting_dict", "shown",
]
