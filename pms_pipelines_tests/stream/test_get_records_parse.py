"""Our Kinesis client reads GetRecords' `Records` itself (pms_pipelines/aws.py): the
answer must be the one botocore's own parser gives, and anything unexpected must be left
to botocore."""

from __future__ import annotations

import json

import boto3
import pytest

from pms_pipelines.aws import _parse_records, kinesis_client
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import list_shards
from pms_pipelines.stream.records import OutgoingRecord


@pytest.mark.integration
def test_records_are_what_botocore_parses(kinesis_stream: str) -> None:
    ours, plain = kinesis_client(), boto3.client("kinesis")
    records = [OutgoingRecord(f"ключ-{i % 5}", bytes([i % 256, 0, 255]) + "é".encode() * i)
               for i in range(300)]
    publish_records(ours, kinesis_stream, records)
    compared = 0
    for shard in list_shards(plain, kinesis_stream):
        answers = []
        for client in (ours, plain):
            iterator = client.get_shard_iterator(
                StreamName=kinesis_stream, ShardId=shard["ShardId"],
                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            answer = client.get_records(ShardIterator=iterator, Limit=1000)
            answer.pop("ResponseMetadata")
            answer.pop("NextShardIterator")  # a new iterator each call
            answers.append(answer)
        assert answers[0] == answers[1]
        compared += len(answers[0]["Records"])
    assert compared == 300


def _answer(body: object, status: int = 200) -> tuple[dict, dict]:
    return {"status_code": status, "body": json.dumps(body).encode()}, {}


def test_an_answer_it_does_not_expect_is_left_to_botocore() -> None:
    record = {"SequenceNumber": "1", "PartitionKey": "k", "Data": "AAE=",
              "ApproximateArrivalTimestamp": 1700000000.5}
    unexpected = [
        ({"Records": [{**record, "Unknown": 1}]}, 200),  # a member it does not know
        ({"Records": [{**record, "PartitionKey": 7}]}, 200),  # a wrong type
        ({"Records": [{**record, "Data": "not base64!"}]}, 200),
        ({"Records": None}, 200),
        ({"__type": "ExpiredIteratorException", "message": "expired"}, 400),
        ([1, 2], 200),
    ]
    for body, status in unexpected:
        response, customized = _answer(body, status)
        before = dict(response)
        _parse_records(response_dict=response, customized_response_dict=customized)
        assert (response, customized) == (before, {}), body


def test_the_rest_of_the_answer_goes_to_botocore() -> None:
    response, customized = _answer({
        "Records": [{"SequenceNumber": "1", "PartitionKey": "k", "Data": "AAE="}],
        "NextShardIterator": "it", "MillisBehindLatest": 5})
    _parse_records(response_dict=response, customized_response_dict=customized)
    assert customized == {"Records": [{"SequenceNumber": "1", "PartitionKey": "k",
                                       "Data": b"\x00\x01"}]}
    assert json.loads(response["body"]) == {"NextShardIterator": "it", "MillisBehindLatest": 5}
