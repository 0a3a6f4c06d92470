"""Which failures are a record's (split the batch, dead-letter the record) and which are
the world's (retry the whole batch later, dead-letter nothing)."""

from __future__ import annotations

import psycopg
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from psycopg import errors

from pms_pipelines.consumer.batch import CheckpointMoved, RecordsOutOfOrder
from pms_pipelines.consumer.isolate import is_record_fault

RECORDS = [
    errors.NumericValueOutOfRange(), errors.CharacterNotInRepertoire(),
    errors.UntranslatableCharacter(), errors.UniqueViolation(), errors.CheckViolation(),
    errors.ProgramLimitExceeded(), psycopg.DataError("NUL in text, raised by the driver"),
    ValueError("x"), OverflowError("int too big to convert"), UnicodeEncodeError(
        "utf-8", "\ud800", 0, 1, "surrogates not allowed"), TypeError("x"), KeyError("x"),
    RecursionError(),
]
WORLD = [
    errors.SerializationFailure(), errors.DeadlockDetected(), errors.AdminShutdown(),
    errors.QueryCanceled(), errors.UndefinedTable(), errors.InsufficientPrivilege(),
    errors.DiskFull(), psycopg.OperationalError("connection lost"),
    psycopg.InterfaceError("connection closed"), CheckpointMoved("moved"),
    RecordsOutOfOrder("out of order"), ConnectionResetError(), TimeoutError(),
    EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    ClientError({"Error": {"Code": "ServiceUnavailableException"}}, "PutRecordBatch"),
    MemoryError(),
]


@pytest.mark.parametrize("error", RECORDS, ids=lambda e: type(e).__name__)
def test_a_records_fault_is_isolated(error: Exception) -> None:
    assert is_record_fault(error)


@pytest.mark.parametrize("error", WORLD, ids=lambda e: type(e).__name__)
def test_a_fault_of_the_world_retries_the_batch(error: Exception) -> None:
    assert not is_record_fault(error)
