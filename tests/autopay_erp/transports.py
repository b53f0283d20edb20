"""httpx transports around the real one, between the ERP's client and the simulator over HTTP.

- `RedeliveringTransport` asks the simulator for pages of random size and hands each message over again in a
  later page, mixed in with the new ones (at-least-once delivery, pages cut differently each time).
- `FaultyTransport` answers a share of the requests with a signed 500, a time-out after the simulator has
  answered, or a response whose signature does not verify.

Both re-sign what they change with the company's key, as the simulator signs: the client checks them as it
checks the simulator.
"""

import itertools
import json
import random
from collections.abc import Iterator
from typing import Any

import httpx

from autopay_client import signing


class RedeliveringTransport(httpx.BaseTransport):
    def __init__(self, *, org_no: str, key: bytes, seed: int, max_limit: int = 7) -> None:
        self.inner = httpx.HTTPTransport()
        self.org_no = org_no
        self.key = key
        self.rng = random.Random(seed)
        self.max_limit = max_limit
        self.delivered_once: dict[int, dict[str, Any]] = {}
        self.delivered_twice: set[int] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/messages"):
            return self.inner.handle_request(request)
        limit = self.rng.randint(1, self.max_limit)
        url = request.url.copy_set_param("limit", str(limit))
        # The simulator checks the signature over the URL: sign the changed request again.
        changed = httpx.Request(request.method, url, headers={"accept": "application/json"})
        signing.sign_request(changed, key_id=self.org_no, key=self.key)
        response = self.inner.handle_request(changed)
        response.read()
        page = json.loads(response.content)
        new = page["messages"]
        # Everything seen once and not yet twice comes again, in seq order with the new ones.
        again = [m for seq, m in sorted(self.delivered_once.items()) if seq not in self.delivered_twice]
        self.delivered_twice.update(m["seq"] for m in again)
        for message in new:
            self.delivered_once.setdefault(message["seq"], message)
        merged = {m["seq"]: m for m in again + new}
        messages = [merged[seq] for seq in sorted(merged)]
        next_after = max([page["next_after"], *(m["seq"] for m in messages)])
        return _signed(request, 200, {"messages": messages, "next_after": next_after}, self.org_no, self.key)


class FaultyTransport(httpx.BaseTransport):
    def __init__(
        self, *, org_no: str, key: bytes, seed: int, share: float = 0.2, kinds: Iterator[str] | None = None
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.org_no = org_no
        self.key = key
        self.rng = random.Random(seed)
        self.share = share
        self.faults = {"500": 0, "timeout": 0, "bad_signature": 0}
        # Which fault comes next: in turn by default, so that each kind happens.
        self.kinds = kinds if kinds is not None else itertools.cycle(sorted(self.faults))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.rng.random() >= self.share:
            return self.inner.handle_request(request)
        fault = next(self.kinds)
        self.faults[fault] += 1
        if fault == "500":
            return _signed(request, 500, {"error": "internal", "detail": "injected"}, self.org_no, self.key)
        response = self.inner.handle_request(request)
        response.read()
        if fault == "timeout":
            # The simulator did the work; its answer is lost on the way.
            raise httpx.ReadTimeout("injected time-out", request=request)
        forged = httpx.Response(
            response.status_code, headers=response.headers, content=response.content, request=request
        )
        forged.headers["signature"] = "sig1=:" + "A" * 43 + "=:"
        return forged


def _signed(request: httpx.Request, status: int, data: object, org_no: str, key: bytes) -> httpx.Response:
    response = httpx.Response(status, json=data, request=request)
    signing.sign_response(response, key_id=org_no, key=key)
    return response
