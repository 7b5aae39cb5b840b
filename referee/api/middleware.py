"""Refuse oversized bodies before anything reads them (§7: body ≤ 1 MiB → 400)."""

import json

from django.conf import settings
from django.http import HttpResponse


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REFEREE_MAX_BODY_BYTES:
            body = json.dumps({"detail": f"Request body exceeds {settings.REFEREE_MAX_BODY_BYTES} bytes."})
            return HttpResponse(body, status=400, content_type="application/json")
        return self.get_response(request)
