"""The private names of libraries the apps rely on: one module per library, and nowhere else.

A private attribute, a module global read at run time or a class the apps patch may change in
any release. Each module says, for each of its functions, which versions it was written against
and what breaks when the library changes; ``tests/observability/compat/`` pins each internal in
the installed version, so an upgrade fails in the test suite, by name, rather than in
production. OpenTelemetry's are in ``observability.tracing.sdk``, beside the tracing that uses
them. ``tests/test_library_internals.py`` finds any reach into another object's private names
outside these modules.
"""
