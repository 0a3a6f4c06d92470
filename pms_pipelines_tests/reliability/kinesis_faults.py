"""Faults real Kinesis produces and moto never does, injected into a real boto3 client
through botocore's event hooks (no production code path changes):

- throttling: a `ProvisionedThroughputExceededException` answer instead of sending the
  request (on `before-send`, so botocore's own retries see it first, as with AWS);
- partial `PutRecords` failures: some records are taken out of the call before it is
  sent and put back into the answer as failed entries (`ProvisionedThroughputExceeded
  Exception` or `InternalFailure`), so Kinesis really did not store them;
- expired shard iterators: a `GetRecords` answered with `ExpiredIteratorException`.

Decisions come from a seeded RNG, so a failing run can be replayed.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any):
        yield self.data

    def read(self, *_: Any) -> bytes:
        return self.data


def _error_response(url: str, code: str, message: str) -> AWSResponse:
    body = json.dumps({"__type": code, "message": message}).encode()
    return AWSResponse(url, 400, {"x-amzn-ErrorType": code,
                                  "Content-Type": "application/x-amz-json-1.1"}, _Body(body))


@dataclass
class KinesisFaults:
    """Probabilities per call; `injected` counts what was done, by kind."""

    p_throttle: float = 0.0
    p_partial: float = 0.0  # of PutRecords calls; then each record fails with p_record_fail
    p_record_fail: float = 0.2
    p_expired: float = 0.0  # of GetRecords calls
    seed: int = 1
    injected: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def roll(self, p: float) -> bool:
        with self.lock:
            return p > 0 and self.rng.random() < p

    def attach(self, client: Any) -> Any:
        events = client.meta.events
        events.register("before-send.kinesis.*", self._before_send)
        events.register("provide-client-params.kinesis.PutRecords", self._drop_records)
        events.register("after-call.kinesis.PutRecords", self._restore_records)
        return client

    def _before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        operation = target.rsplit(".", 1)[-1]
        if self.roll(self.p_throttle):
            self.injected["throttled"] += 1
            return _error_response(request.url, "ProvisionedThroughputExceededException",
                                   "Rate exceeded for shard")
        if operation == "GetRecords" and self.roll(self.p_expired):
            self.injected["iterator_expired"] += 1
            return _error_response(request.url, "ExpiredIteratorException",
                                   "Iterator expired")
        return None

    def _drop_records(self, params: dict, context: dict, **_: Any) -> None:
        if not self.roll(self.p_partial):
            return
        records = params["Records"]
        failed = {i for i in range(len(records)) if self.roll(self.p_record_fail)}
        if not failed or len(failed) == len(records):
            return
        codes = {i: self.rng.choice(("ProvisionedThroughputExceededException",
                                     "InternalFailure")) for i in failed}
        context["pms_fault_failed"] = (len(records), codes)
        params["Records"] = [r for i, r in enumerate(records) if i not in failed]
        self.injected["putrecords_partial"] += 1
        self.injected["records_refused"] += len(failed)

    def _restore_records(self, parsed: dict, context: dict, **_: Any) -> None:
        planned = context.pop("pms_fault_failed", None)
        if planned is None or "Records" not in parsed:
            return
        size, codes = planned
        sent = iter(parsed["Records"])
        parsed["Records"] = [
            {"ErrorCode": codes[i], "ErrorMessage": "injected"} if i in codes else next(sent)
            for i in range(size)
        ]
        parsed["FailedRecordCount"] = parsed.get("FailedRecordCount", 0) + len(codes)
