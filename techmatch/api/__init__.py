"""HTTP service for platform staff (FastAPI): `create_app` builds it."""

from techmatch.api.app import create_app

__all__ = ["create_app"]
