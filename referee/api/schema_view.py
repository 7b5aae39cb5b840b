"""`/api/schema/`, generated once per process (kept apart from referee.api.schema, which
drf-spectacular's settings import before its views exist)."""

import threading

from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    """`/api/schema/`. The schema is the same for every caller and changes only with the code, so
    each process generates it once, under a lock: drf-spectacular loads its extensions lazily the
    first time, which is not thread-safe (concurrent first requests answered 500)."""

    _lock = threading.Lock()
    _schema = None

    def _get_schema_response(self, request):
        with SchemaView._lock:
            if SchemaView._schema is None:
                generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
                SchemaView._schema = generator.get_schema(request=request, public=self.serve_public)
        return Response(data=SchemaView._schema,
                        headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'})
