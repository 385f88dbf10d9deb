"""A registry of the services an application depends on, checked and shown as a dashboard."""
