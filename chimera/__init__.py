"""The chimera project: wires the observability and healthdash apps into a demo service."""

# Celery's Django layout: the app is loaded with Django, so @shared_task binds to it.
from chimera.celery import app as celery_app

__all__ = ("celery_app",)
