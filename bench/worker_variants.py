"""Variants of observability.workers for `bench.load workers`: each part of the default measured alone."""

from observability.workers import AdmittingThreadWorker

__all__ = ["AdmissionOnly", "NextRequestOnly"]


class AdmissionOnly(AdmittingThreadWorker):
    """Admission, but each kept-alive connection goes back to the poller after its answer."""

    next_request_seconds = 0.0


class NextRequestOnly(AdmittingThreadWorker):
    """The connection kept for its next request, but every request runs at once (no admission)."""

    lease_seconds = 0.0
