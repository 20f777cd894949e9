"""A test client speaking to /api/v1 with a bearer token, for the API tests of every app."""
from __future__ import annotations

import json

from django.test import Client

from zhuli.accounts.services import token_create

BASE = "/api/v1"


class ApiClient:
    """`ApiClient(user).get("/customers", page_size=5)`; bodies are sent as JSON."""

    def __init__(self, user=None, *, token: str | None = None):
        if token is None and user is not None:
            _row, token = token_create(user=user, name="tests")
        self.token = token
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        self.client = Client(**headers)

    def get(self, path: str, **params):
        return self.client.get(BASE + path, params)

    def post(self, path: str, body=None, *, raw: str | bytes | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(BASE + path, data, content_type="application/json")

    def patch(self, path: str, body=None):
        return self.client.patch(BASE + path, json.dumps(body or {}), content_type="application/json")

    def delete(self, path: str):
        return self.client.delete(BASE + path)
