"""Runs moto's server on a free loopback port for one parent process.

Prints `LETHE_MOTO_PORT=<port>` once listening, then serves until its stdin closes. The parent holds
the other end of that pipe, so when the parent exits for any reason (a failed test, a kill -9) the
pipe closes and this process stops too: no emulator is ever left behind.
"""

import base64
import copy
import json
import logging
import sys
from threading import Lock
from types import SimpleNamespace
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote, urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils
from moto.dynamodb.models import table as ddb_table
from moto.kms import responses as kms_responses
from moto.s3 import models as s3_models
from moto.s3 import responses as s3_responses
from moto.s3.exceptions import MissingKey, PreconditionFailed

from moto.moto_server import threaded_moto_server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer


class AtomicDynamoDbDispatcher(DomainDispatcherApplication):
    """Serves DynamoDB calls one at a time.

    moto applies a conditional write as read item, evaluate condition, write item, with no lock, so two
    concurrent requests can both pass a condition that only one should (e.g. two lock grants). Real
    DynamoDB applies each item write atomically; serialising DynamoDB calls restores that. Other services
    keep the threaded server (an SQS long poll must not block everything else).
    """

    _dynamodb_lock = Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self._dynamodb_lock:
                return list(super().__call__(environ, start_response))
        return super().__call__(environ, start_response)


threaded_moto_server.DomainDispatcherApplication = AtomicDynamoDbDispatcher  # type: ignore[misc]


class _ListedKey(s3_models.FakeKey):  # type: ignore[misc]
    """A listing's copy of a key version: it shares the version's bytes, so it never closes them."""

    __module__ = "moto.s3.models"  # moto's model registry keys models by their service's module

    def __del__(self) -> None:
        pass

    def dispose(self, garbage: bool = False) -> None:
        pass


def _listing_copy(version: Any) -> Any:
    """A version's fields without its bytes: the listing sets is_latest on it and reads metadata."""
    if isinstance(version, s3_models.FakeKey):
        clone = object.__new__(_ListedKey)
        clone.__dict__.update(version.__dict__)
        return clone
    return copy.copy(version)  # a delete marker: its key is shared, not copied


def _deepcopy(value: Any, memo: Any = None) -> Any:
    if isinstance(value, list) and all(
        isinstance(v, (s3_models.FakeKey, s3_models.FakeDeleteMarker)) for v in value
    ):
        return [_listing_copy(v) for v in value]
    return copy.deepcopy(value, memo)


# moto's ListObjectVersions deep-copies every version of every key in the bucket, bytes included, on
# each call (moto/s3/models.py list_object_versions): over a 1 GB lake each listing copied the lake
# into temporary files, so purges slowed to a crawl and the disk filled. A listing copies the versions'
# fields only; that module deep-copies nothing else.
s3_models.copy = SimpleNamespace(copy=copy.copy, deepcopy=_deepcopy)  # type: ignore[attr-defined]



_table_query = ddb_table.Table.query


def _query_one_partition(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    """A Query reads only its partition, as DynamoDB does, instead of the whole table sorted.

    moto's Table.query sorts every item of the table, then keeps those of the hash key asked for, so
    each Query costs the whole table: the index metastore's per-subject lookups
    (runtime/erasure/metastore/indexStore.ts) took minutes for a batch of 10,000 subjects, and the
    indexer's byLocation queries slowed as the index grew. A table Query is handed its partition only;
    an index Query the items unsorted (moto sorts what matches by the index's keys itself). The answer
    is the same items in the same order.
    """
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if hash_key is None or "all_items" in self.__dict__:
        return _table_query(self, hash_key, *args, **kwargs)
    if index_name:
        values = list(self.items.values())
        items = [i for p in values for i in p.values()] if self.range_key_attr else values
        self.all_items = lambda: items
    else:
        partition = self.items[hash_key] if hash_key in self.items else {}
        items = list(partition.values()) if self.range_key_attr else [partition] if partition else []
        self.all_items = lambda: sorted(items, key=lambda x: x.range_key if x.range_key else x.hash_key)
    try:
        return _table_query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


ddb_table.Table.query = _query_one_partition  # type: ignore[method-assign]


_kms_sign = kms_responses.KmsResponse.sign


def _sign_digest(self: Any) -> str:
    """Sign with MessageType DIGEST signs the digest it is given, as KMS does.

    moto ignores MessageType and hashes the 32-byte digest again, so a signature of a report's SHA-256
    (runtime/erasure/report/signature.ts: reports exceed KMS's 4,096-byte limit for a RAW message)
    would not verify against the report's bytes with openssl or node:crypto. ECDSA keys only (the
    report signing key is ECC_NIST_P256); anything else is moto's own Sign.
    """
    if self._get_param("MessageType") != "DIGEST":
        return _kms_sign(self)
    key = self.kms_backend.describe_key(self._get_param("KeyId"))
    algorithm = self._get_param("SigningAlgorithm")
    ecdsa = getattr(key.private_key, "private_key", None)
    if not isinstance(ecdsa, ec.EllipticCurvePrivateKey) or algorithm != "ECDSA_SHA_256":
        return _kms_sign(self)
    digest = self._get_param("Message")
    if isinstance(digest, str):
        digest = digest.encode("utf-8")
    signature = ecdsa.sign(digest, ec.ECDSA(asym_utils.Prehashed(hashes.SHA256())))
    return json.dumps(
        {
            "KeyId": key.arn,
            "Signature": base64.b64encode(signature).decode("utf-8"),
            "SigningAlgorithm": algorithm,
        }
    )


kms_responses.KmsResponse.sign = _sign_digest  # type: ignore[method-assign]

_upload_part_copy = s3_responses.S3Response.upload_part_copy


def _upload_part_copy_if_match(self: Any) -> Any:
    """UploadPartCopy honours `x-amz-copy-source-if-match`, as S3 does.

    moto ignores the header, so a part copied from a version whose ETag is no longer the one the purge
    read (runtime/purge/multipartWrite.ts) would be copied anyway instead of failing with 412.
    """
    expected = self.headers.get("x-amz-copy-source-if-match")
    if expected:
        parsed = urlparse(self.headers.get("x-amz-copy-source", ""))
        src_bucket, src_key = unquote(parsed.path).lstrip("/").split("/", 1)
        version_id = parse_qs(parsed.query).get("versionId", [None])[0]
        source = self.backend.get_object(src_bucket, src_key, version_id=version_id)
        if source is not None and source.etag.replace('"', "") != expected.replace('"', ""):
            raise PreconditionFailed("x-amz-copy-source-if-match")
    return _upload_part_copy(self)


s3_responses.S3Response.upload_part_copy = _upload_part_copy_if_match  # type: ignore[method-assign]


def _ranged_part_copy(
    self: Any,
    dest_bucket_name: str,
    multipart_id: str,
    part_id: int,
    src_bucket_name: str,
    src_key_name: str,
    src_version_id: str | None,
    start_byte: int | None,
    end_byte: int | None,
) -> Any:
    """A ranged UploadPartCopy reads only its range of the source version.

    moto reads the whole source version into memory for every part, then slices it: copying the
    untouched row groups of a large object part by part read the object once per part.
    """
    multipart = self.get_bucket(dest_bucket_name).multiparts[multipart_id]
    source = self.get_object(src_bucket_name, src_key_name, version_id=src_version_id)
    if start_byte is None or end_byte is None:
        return multipart.set_part(part_id, source.value)
    with source.lock:
        source._value_buffer.seek(start_byte)
        value = source._value_buffer.read(end_byte + 1 - start_byte)
    return multipart.set_part(part_id, value)


s3_models.S3Backend.upload_part_copy = _ranged_part_copy  # type: ignore[method-assign]


_key_response_post = s3_responses.S3Response._key_response_post
_complete_lock = Lock()


def _conditional_complete(
    self: Any, request: Any, body: bytes, bucket_name: str, query: dict[str, Any], key_name: str
) -> Any:
    """CompleteMultipartUpload honours `If-Match`: the upload becomes the current version only if the
    current version still has that ETag (S3's conditional write), else 412 and nothing is written.

    moto checks only `If-None-Match: *` there. The check and the completion happen under one lock, so
    two conditional completions cannot both pass (a plain PutObject racing it is not serialised).
    """
    if_match = request.headers.get("If-Match")
    if not (query.get("uploadId") and if_match):
        return _key_response_post(self, request, body, bucket_name, query, key_name)
    with _complete_lock:
        existing = self.backend.get_object(bucket_name, key_name)
        if existing is None:
            raise MissingKey(key=key_name)
        if not (existing.multipart and existing.multipart.id == query["uploadId"][0]):
            if existing.etag.replace('"', "") != if_match.replace('"', ""):
                raise PreconditionFailed("If-Match")
        return _key_response_post(self, request, body, bucket_name, query, key_name)


s3_responses.S3Response._key_response_post = _conditional_complete  # type: ignore[method-assign]


def main() -> None:
    # One access-log line per request is noise nobody reads (a test run makes hundreds of thousands);
    # errors and moto's tracebacks are still logged.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"LETHE_MOTO_PORT={port}", flush=True)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    main()
