"""A Django app for the Celery tests: a task that starts a task, and a view that starts the first."""
