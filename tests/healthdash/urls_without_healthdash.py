"""A URLconf that routes the admin, with its health page, but forgets healthdash.urls."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
