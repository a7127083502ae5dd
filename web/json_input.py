"""JSON bodies held to what the API can answer about: nested at most MAX_JSON_DEPTH deep and free of lone
surrogates (an unpaired \\ud800 escape is no character: it cannot be stored or sent back as UTF-8). A body that
breaks either is answered 400/422 naming where, before any view sees it; Python's parser giving up on a deeply
nested body (RecursionError) is a bad body too, never a 500."""

from __future__ import annotations

import json
import re

import orjson
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 32


class TooDeep(ValueError):
    pass


class JSONProvider(DefaultJSONProvider):
    # Keys in the order the answer builds them (scheme, eligible, criteria, amount, …): sorting every key of every
    # answer cost a quarter of the time spent writing the JSON of an evaluation (its explanation is ~10 kB).
    sort_keys = False

    def dumps(self, obj, **kwargs) -> str:
        """The answers' own call (compact, as every response is outside debug mode) through orjson: the same
        bytes as json.dumps with ensure_ascii off and compact separators (but a float's exponent: 1e-7, not
        1e-07), in a seventeenth of the time (tests/web/test_json_answers.py); anything else, or what orjson does not take (an int beyond 64 bits),
        through json as Flask does it."""
        if kwargs == _COMPACT and not self.ensure_ascii and not self.sort_keys:
            try:
                # dates and times through Flask's default (HTTP dates), as json.dumps would give them
                return orjson.dumps(obj, default=self.default, option=_ORJSON_OPTIONS).decode()
            except TypeError:
                pass
        return super().dumps(obj, **kwargs)

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise TooDeep("nested too deeply") from None


_COMPACT = {"separators": (",", ":")}
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


# A parsed body holds a lone surrogate only from a JSON escape (\uD800-\uDFFF) or from bytes that are not strict
# UTF-8 (json decodes bodies with "surrogatepass", and in UTF-16/32 if the bytes say so); it nests no deeper than
# its brackets. A body that is strict UTF-8, has no such escape and fewer than MAX_JSON_DEPTH brackets needs no walk.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _plainly_fine(data: bytes) -> bool:
    if data.count(b"{") + data.count(b"[") >= MAX_JSON_DEPTH or _SURROGATE_ESCAPE.search(data):
        return False
    if json.detect_encoding(data) != "utf-8":
        return False
    try:
        data.decode("utf-8")  # strict: an encoded surrogate (ED A0 80…) is an error here
    except UnicodeDecodeError:
        return False
    return True


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def problems(value) -> tuple[str, list[str]] | None:
    """(where, reasons) of the first place ``value`` breaks the rules, or None. Iterative: no recursion."""
    stack = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return path or "_body", [f"JSON嵌套超过{MAX_JSON_DEPTH}层 / nested deeper than {MAX_JSON_DEPTH} levels"]
        if isinstance(item, str):
            if _has_surrogate(item):
                return path or "_body", ["含有无效的Unicode字符（孤立代理项） / holds a lone surrogate (not a character)"]
        elif isinstance(item, dict):
            for key, inner in item.items():
                name = f"{path}.{key}" if path else str(key)
                if _has_surrogate(key):
                    return path or "_body", ["字段名含有无效的Unicode字符 / a key holds a lone surrogate"]
                stack.append((inner, name, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, f"{path}.{index}" if path else str(index), depth + 1) for index, inner in enumerate(item))
    return None


def _check_body() -> None:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not request.is_json or not request.content_length:
        return
    try:
        body = request.get_json()  # cached: the view's own get_json reads the same
    except BadRequest as error:
        cause = error
        while cause is not None and not isinstance(cause, TooDeep):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise ValidationError({"_body": ["JSON嵌套过深 / the JSON is nested too deeply"]}) from None
        return  # not JSON at all: the view says so in its own words
    if _plainly_fine(request.get_data(cache=True)):
        return
    found = problems(body)
    if found is not None:
        where, reasons = found
        raise ValidationError({where: reasons} if where != "_body" else {"_body": reasons})


def init_app(app: Flask) -> None:
    app.before_request(_check_body)
