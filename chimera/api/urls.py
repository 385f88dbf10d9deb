"""URLs of the chimera API, included under /api/."""

from django.urls import path

from chimera.api import fleet_schema  # noqa: F401  registers the fleet views' descriptions
from chimera.api.schema import SchemaView  # also registers the schema extensions
from chimera.api.tasks import TaskView
from chimera.api.views import GenerateView

app_name = "chimera_api"

urlpatterns = [
    path("v1/generate", GenerateView.as_view(), name="generate"),
    path("v1/tasks/<str:task_id>", TaskView.as_view(), name="task"),
    path("schema/", SchemaView.as_view(), name="schema"),
]
