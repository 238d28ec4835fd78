"""Errors a source raises for bad settings or a refusing API: one line naming where; the chain
of errors one wraps, to find ours inside what dlt or SQLMesh raised; and whether a retry can
help."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigurationException,
)

from destinations.settings import SettingError


class OneLineError(RuntimeError):
    """An error whose message is already the one line to show a person (no type name needed)."""


class SourceError(OneLineError):
    """Stops a source with a one-line message: `<source>[.<resource>]: what was wrong`.

    `retryable` says whether running the same load again later may succeed: true for a network
    error, a rate limit or a 5xx outlasting the client's own retries; false (the default) for
    what only a person can fix: refused credentials, a bad setting, a request the API rejects.
    """

    def __init__(
        self, source: str, message: str, resource: str | None = None, *, retryable: bool = False
    ) -> None:
        where = f"{source}.{resource}" if resource else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.resource = resource
        self.retryable = retryable


def transient_status(status: int | None) -> bool:
    """An HTTP status a later try may not get again: none (no answer), 408, 429 or a 5xx."""
    return status is None or status in (408, 429) or status >= 500


def error_chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what it wraps, innermost last: dlt's `.exception`, else the cause or the
    error being handled when it was raised."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = getattr(seen, "exception", None) or seen.__cause__ or seen.__context__


def retryable(error: BaseException) -> bool:
    """Whether a retry of the step that raised `error` may succeed.

    No for a setting that is missing or unusable and for a source's own error that says so (see
    SourceError); yes for anything else, as a network error or a bug seen for the first time
    may be transient and a retry costs only time.
    """
    for seen in error_chain(error):
        flag = getattr(seen, "retryable", None)
        if isinstance(flag, bool):
            return flag
        if isinstance(seen, SettingError | ConfigurationException):
            return False
    return True


def _fold_repeats(sections: Sequence[str]) -> list[str]:
    folded: list[str] = []
    for section in sections:
        if not folded or folded[-1] != section:
            folded.append(section)
    return folded


def missing_setting_message(error: ConfigFieldMissingException) -> str:
    """`missing setting sources.stripe.api_key (env SOURCES__STRIPE__API_KEY)` for each field."""
    names = []
    for field, traces in error.traces.items():
        # dlt also looks under `sources.stripe.stripe` (module, then source name); name the
        # place people write it, with the repeated section folded
        sections = max(
            (_fold_repeats(getattr(trace, "sections", [])) for trace in traces),
            key=len,
            default=[],
        )
        key = ".".join([*sections, field])
        names.append(f"{key} (env {key.upper().replace('.', '__')})")
    return "missing setting " + ", ".join(names)


def one_line(error: BaseException) -> str:
    """The innermost error we wrote ourselves, else the error's first line."""
    for seen in error_chain(error):
        if isinstance(seen, OneLineError | SettingError):
            return str(seen)
        if isinstance(seen, ConfigFieldMissingException):
            return missing_setting_message(seen)
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
