"""The one way a test stands between a PMS client and the network: a subclass of
`WireTap` installs itself over `requests.Session.send` and decides, in its own `send`,
what the client gets (`self.forward` sends the request on, as the client would have)."""

from __future__ import annotations

from typing import Any, Self

import pytest
import requests


class WireTap:
    def __init__(self) -> None:
        self.forward = requests.Session.send  # the real send, taken before any tap

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Self:
        tap = self

        def send(session: requests.Session, prepared: requests.PreparedRequest, **kw: Any):
            return tap.send(session, prepared, **kw)

        monkeypatch.setattr(requests.Session, "send", send)
        return self

    def send(self, session: requests.Session, prepared: requests.PreparedRequest,
             **kw: Any) -> requests.Response:
        return self.forward(session, prepared, **kw)
