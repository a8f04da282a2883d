"""Staff sign-in, sign-out and language choice (public: no guard)."""

from __future__ import annotations

from sotekeskus.web.account.signin import router

__all__ = ["router"]
