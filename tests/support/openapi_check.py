"""Checks real HTTP responses against docs/openapi.json.

Usage from a test:

    import openapi_check
    spec = openapi_check.load("docs/openapi.json")
    spec.validate_response("GET", "/api/v1/shows/12", 200, body_bytes, headers)

validate_response() raises AssertionError, with a message that names the
request and what is wrong, when
- the path matches no documented path (templates such as /api/v1/shows/{id}
  match concrete paths such as /api/v1/shows/12; a query string is ignored),
- the status is not documented for that operation,
- the body does not validate against the documented schema (JSON Schema
  2020-12, $ref resolved inside the document, formats date, date-time and uri
  checked), or is not empty when no body is documented,
- object keys are not in the order in which the schema lists its properties
  (clients rely on the key order of docs/api-contract.md),
- headers are given and a documented required header is missing, a
  documented header does not match its schema, or Content-Type is not a
  documented media type.

The common rules of the contract, stated in the document's description rather
than as operations, are applied as follows:
- HEAD uses the GET operation of the path: same statuses and headers, and the
  body must be empty.
- OPTIONS without a documented operation is a CORS preflight: 204, no body.
- Another undocumented method on a documented path: 405 with an Error body
  (and an Allow header when headers are given).
- An undocumented path: 404 with an Error body.

Only the Python standard library and Debian's python3-jsonschema are used.
Run `python3 openapi_check.py SPEC METHOD PATH STATUS [BODY_FILE]` to check one
response from the shell (the body is read from stdin without BODY_FILE).
"""

from __future__ import annotations

import datetime
import gzip
import json
import re
import sys
import urllib.parse
from typing import Any, Iterable, Mapping

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

__all__ = ["Spec", "load"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_REPORTED = 8

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date", raises=ValueError)
    def _date(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATE_RE.match(value):
            return False
        datetime.date.fromisoformat(value)
        return True

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATE_TIME_RE.match(value):
            return False
        datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return True

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if any(c.isspace() for c in value):
            return False
        parts = urllib.parse.urlsplit(value)
        return bool(parts.scheme) and bool(parts.netloc or parts.path)

    return checker


_FORMATS = _format_checker()


class _Headers:
    """Case-insensitive view of response headers (dict, pairs or Message)."""

    def __init__(self, headers: Any):
        self._values: dict[str, str] = {}
        if headers is None:
            return
        items: Iterable[tuple[str, Any]]
        if hasattr(headers, "items"):
            items = headers.items()
        else:
            items = headers
        for name, value in items:
            key = str(name).lower()
            value = str(value)
            # Repeated headers combine as in RFC 9110, section 5.3.
            if key in self._values:
                self._values[key] += ", " + value
            else:
                self._values[key] = value

    def get(self, name: str) -> str | None:
        return self._values.get(name.lower())


def _status_key(status: Any) -> str:
    try:
        return str(int(status))
    except (TypeError, ValueError):
        raise AssertionError(f"status must be an integer, got {status!r}") from None


def _path_regex(template: str) -> re.Pattern[str]:
    out = []
    for piece in re.split(r"(\{[^}/]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            out.append("[^/]+")
        else:
            out.append(re.escape(piece))
    return re.compile("^" + "".join(out) + "$")


def _where(path: Iterable[Any]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class Spec:
    """A loaded OpenAPI 3.1 document."""

    def __init__(self, document: Mapping[str, Any], source: str = "<document>"):
        if not str(document.get("openapi", "")).startswith("3.1"):
            raise ValueError(f"{source}: not an OpenAPI 3.1 document")
        self.document = document
        self.source = source
        self._resolver = jsonschema.RefResolver(base_uri="", referrer=document)
        # Literal paths before templated ones, so /a/b/new would win over /a/b/{id}.
        self._paths = sorted(
            ((template, _path_regex(template)) for template in document.get("paths", {})),
            key=lambda item: (item[0].count("{"), item[0]),
        )

    # -- lookups -------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """Follows $ref (to components of this document) until a real object."""
        seen = set()
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise ValueError(f"{self.source}: $ref cycle at {ref}")
            seen.add(ref)
            _, node = self._resolver.resolve(ref)
        return node

    def match_path(self, path: str) -> str | None:
        """The documented path template that a concrete path matches, or None."""
        path = urllib.parse.urlsplit(path).path or "/"
        for template, regex in self._paths:
            if regex.match(path):
                return template
        return None

    def operation(self, method: str, path: str) -> dict | None:
        """The documented operation for method and concrete path, or None."""
        template = self.match_path(path)
        if template is None:
            return None
        item = self.resolve(self.document["paths"][template])
        return item.get(method.lower())

    def documented_statuses(self, method: str, path: str) -> list[str]:
        op = self.operation(method, path)
        if op is None and method.upper() == "HEAD":
            op = self.operation("GET", path)
        return sorted(op.get("responses", {})) if op else []

    def schema_validator(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(schema, resolver=self._resolver, format_checker=_FORMATS)

    # -- the check -----------------------------------------------------------

    def validate_response(
        self,
        method: str,
        path: str,
        status: int,
        body: bytes | str | Any = None,
        headers: Any = None,
    ) -> dict:
        """Checks one response; returns the documented response object.

        body is the raw body (bytes or str; gzip is undone when headers say
        Content-Encoding: gzip), or the already parsed JSON value. None means
        no body. Raises AssertionError when the response is not as documented.
        """
        method = method.upper()
        code = _status_key(status)
        what = f"{method} {path} -> {code}"
        hdrs = _Headers(headers)
        template = self.match_path(path)

        if template is None:
            # 413: a body sent where none is taken is refused before routing
            if code not in ("404", "413"):
                raise AssertionError(
                    f"{what}: path is not documented in {self.source}; "
                    "an undocumented path may only answer 404 (or 413 to a body)"
                )
            if headers is not None:
                self._check_common_headers(what, hdrs)
            self._check_error_body(what, body, hdrs)
            return {}

        item = self.resolve(self.document["paths"][template])
        op = item.get(method.lower())
        head = False
        if op is None and method == "HEAD" and "get" in item:
            op, head = item["get"], True
        if op is None:
            if method == "OPTIONS":
                if code != "204":
                    raise AssertionError(
                        f"{what}: OPTIONS on {template} is CORS preflight and answers 204, "
                        f"not {code}"
                    )
                if headers is not None:
                    self._check_common_headers(what, hdrs)
                self._check_empty(what, body, hdrs)
                return {}
            allowed = sorted(m.upper() for m in item if m in _METHODS)
            if code not in ("405", "413"):
                raise AssertionError(
                    f"{what}: {method} is not documented for {template} "
                    f"(documented: {', '.join(allowed)}); it may only answer 405 (or 413 to a "
                    f"body)"
                )
            if headers is not None and code == "405":
                if hdrs.get("Allow") is None:
                    raise AssertionError(f"{what}: a 405 response must carry an Allow header")
                self._check_common_headers(what, hdrs)
            self._check_error_body(what, body, hdrs)
            return {}

        responses = op.get("responses", {})
        response = None
        for key in (code, code[0] + "XX", code[0] + "xx", "default"):
            if key in responses:
                response = self.resolve(responses[key])
                break
        if response is None:
            raise AssertionError(
                f"{what}: status {code} is not documented for {method} {template} "
                f"(documented: {', '.join(sorted(responses)) or 'none'})"
            )

        if headers is not None:
            self._check_headers(what, response, hdrs, head)

        content = response.get("content") or {}
        if head or not content:
            self._check_empty(what, body, hdrs, head=head)
            return response

        media = self._media_type(what, content, hdrs)
        schema = content[media].get("schema")
        if schema is None:
            return response
        if media.endswith("json"):
            value = self._parse_body(what, body, hdrs)
        else:  # text (text/calendar): one UTF-8 string
            value = self._parse_text(what, body, hdrs)
        self._check_value(what, schema, value)
        return response

    def validate_value(self, schema: Mapping[str, Any], value: Any, what: str = "value") -> None:
        """Validates a parsed JSON value against a schema of this document
        (e.g. {"$ref": "#/components/schemas/Episode"}), key order included."""
        self._check_value(what, schema, value)

    # -- helpers ---------------------------------------------------------------

    def _check_value(self, what: str, schema: Mapping[str, Any], value: Any) -> None:
        validator = self.schema_validator(schema)
        errors = sorted(validator.iter_errors(value), key=lambda e: (_where(e.absolute_path), e.message))
        if errors:
            lines = []
            for error in errors[:_MAX_REPORTED]:
                # Report the most specific failure inside oneOf/anyOf branches.
                best = jsonschema.exceptions.best_match([error]) if error.context else error
                lines.append(f"  at {_where(best.absolute_path)}: {best.message}")
            more = len(errors) - _MAX_REPORTED
            if more > 0:
                lines.append(f"  ... and {more} more")
            raise AssertionError(
                f"{what}: body does not match {self._schema_name(schema)}:\n" + "\n".join(lines)
            )
        problem = self._key_order_problem(schema, value, [])
        if problem:
            raise AssertionError(f"{what}: {problem}")

    def _schema_name(self, schema: Mapping[str, Any]) -> str:
        ref = schema.get("$ref") if isinstance(schema, Mapping) else None
        return ref if ref else "the documented schema"

    def _key_order_problem(self, schema: Any, value: Any, where: list) -> str | None:
        """Keys must come in the order the schema lists its properties."""
        schema = self.resolve(schema)
        if not isinstance(schema, Mapping):
            return None
        for sub in schema.get("allOf", ()):
            problem = self._key_order_problem(sub, value, where)
            if problem:
                return problem
        for keyword in ("oneOf", "anyOf"):
            for sub in schema.get(keyword, ()):
                if self.schema_validator(sub).is_valid(value):
                    problem = self._key_order_problem(sub, value, where)
                    if problem:
                        return problem
                    break
        if isinstance(value, dict):
            props = schema.get("properties") or {}
            order = [k for k in props if k in value]
            actual = [k for k in value if k in props]
            if order != actual:
                return (
                    f"keys at {_where(where)} are out of order: got {actual}, "
                    f"documented order is {order}"
                )
            for key, sub in props.items():
                if key in value:
                    problem = self._key_order_problem(sub, value[key], where + [key])
                    if problem:
                        return problem
        elif isinstance(value, list) and "items" in schema:
            for i, element in enumerate(value):
                problem = self._key_order_problem(schema["items"], element, where + [i])
                if problem:
                    return problem
        return None

    def _check_headers(self, what: str, response: Mapping[str, Any], hdrs: _Headers, head: bool) -> None:
        problems = []
        for name, header in (response.get("headers") or {}).items():
            header = self.resolve(header)
            value = hdrs.get(name)
            if value is None:
                if header.get("required"):
                    problems.append(f"missing required header {name}")
                continue
            schema = header.get("schema") or {}
            types = schema.get("type")
            types = types if isinstance(types, list) else [types]
            candidate: Any = value
            if "integer" in types and re.fullmatch(r"-?[0-9]+", value.strip()):
                candidate = int(value.strip())
            elif "number" in types:
                try:
                    candidate = float(value.strip())
                except ValueError:
                    pass
            errors = list(self.schema_validator(schema).iter_errors(candidate))
            if errors:
                problems.append(f"header {name}: {value!r}: {errors[0].message}")
        content = response.get("content") or {}
        if content and not head:
            content_type = hdrs.get("Content-Type")
            if content_type is None:
                problems.append("missing Content-Type")
        if problems:
            raise AssertionError(f"{what}: " + "; ".join(problems))

    def _media_type(self, what: str, content: Mapping[str, Any], hdrs: _Headers) -> str:
        content_type = hdrs.get("Content-Type")
        if content_type is None:
            if "application/json" in content:
                return "application/json"
            return next(iter(content))
        media = content_type.split(";", 1)[0].strip().lower()
        if media in content:
            return media
        raise AssertionError(
            f"{what}: Content-Type {content_type!r} is not documented "
            f"(documented: {', '.join(content)})"
        )

    def _raw(self, body: Any, hdrs: _Headers) -> Any:
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body)
            encoding = (hdrs.get("Content-Encoding") or "").strip().lower()
            if encoding == "gzip" or body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
        return body

    def _parse_body(self, what: str, body: Any, hdrs: _Headers) -> Any:
        raw = self._raw(body, hdrs)
        if not isinstance(raw, bytes):
            if raw is None:
                raise AssertionError(f"{what}: a JSON body is documented but the body is empty")
            return raw
        if not raw:
            raise AssertionError(f"{what}: a JSON body is documented but the body is empty")
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AssertionError(f"{what}: body is not UTF-8 JSON: {exc}; body starts {raw[:120]!r}") from None

    def _parse_text(self, what: str, body: Any, hdrs: _Headers) -> Any:
        raw = self._raw(body, hdrs)
        if not isinstance(raw, bytes):
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AssertionError(f"{what}: body is not UTF-8 text: {exc}") from None

    def _check_empty(self, what: str, body: Any, hdrs: _Headers, head: bool = False) -> None:
        raw = self._raw(body, hdrs) if isinstance(body, (bytes, bytearray, str)) else body
        if raw not in (None, b""):
            reason = "a HEAD response has no body" if head else "no body is documented"
            raise AssertionError(f"{what}: {reason}, got {str(raw)[:120]!r}")

    def _check_common_headers(self, what: str, hdrs: _Headers) -> None:
        """For responses that no operation documents: X-Request-Id, if the
        document defines it as a required header component."""
        header = (self.document.get("components", {}).get("headers") or {}).get("X-Request-Id")
        if header and header.get("required"):
            self._check_headers(what, {"headers": {"X-Request-Id": header}}, hdrs, True)

    def _check_error_body(self, what: str, body: Any, hdrs: _Headers) -> None:
        value = self._parse_body(what, body, hdrs)
        self._check_value(what, {"$ref": "#/components/schemas/Error"}, value)


def load(path: str) -> Spec:
    """Reads an OpenAPI 3.1 JSON document."""
    with open(path, "rb") as f:
        document = json.loads(f.read().decode("utf-8"))
    return Spec(document, source=str(path))


def _main(argv: list[str]) -> int:
    if len(argv) not in (5, 6):
        print(f"usage: {argv[0]} SPEC METHOD PATH STATUS [BODY_FILE]", file=sys.stderr)
        return 2
    spec = load(argv[1])
    if len(argv) == 6:
        with open(argv[5], "rb") as f:
            body = f.read()
    else:
        body = sys.stdin.buffer.read()
    try:
        spec.validate_response(argv[2], argv[3], int(argv[4]), body)
    except AssertionError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"ok: {argv[2].upper()} {argv[3]} -> {argv[4]}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
