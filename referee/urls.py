from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from referee.api import exceptions
from referee.api.health import health
from referee.api.routes import router
from referee.api.schema_view import SchemaView
from referee.core.views import obtain_token

urlpatterns = [
    path("api/", include(router.urls)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api-auth/password/", obtain_token, name="obtain-token"),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("referee.web.urls")),
    re_path(r"^api/", exceptions.not_found, name=exceptions.NOT_FOUND_ROUTE),  # last: what nothing above serves
]

handler400 = exceptions.bad_request
handler403 = exceptions.permission_denied
handler404 = exceptions.page_not_found
handler500 = exceptions.server_error
