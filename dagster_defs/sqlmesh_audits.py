"""SQLMesh audits as Dagster asset checks: one `sqlmesh_audits` check per model, per day.

A failing blocking audit already fails SQLMesh's run (and so the step); a failing non-blocking
audit is only a warning in SQLMesh's log. Evaluating every audit again after the run and
reporting it as a check puts both where the rest of the pipeline's health is read
(`dagster asset check` history, run logs), with each audit's name and count of offending rows.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

if TYPE_CHECKING:
    from sqlmesh import Context

CHECK_NAME = "sqlmesh_audits"


@dataclass(frozen=True)
class AuditOutcome:
    audit: str  # the audit's name, with its arguments: not_null(columns := (...))
    failing_rows: int | None  # None when SQLMesh skipped it
    blocking: bool


def audit_check_spec(key: AssetKey) -> AssetCheckSpec:
    return AssetCheckSpec(
        CHECK_NAME,
        asset=key,
        description="The model's SQLMesh audits over the day's interval: none returns a row.",
    )


def audit_models(
    context: "Context", names: Iterable[str], day: date
) -> dict[str, list[AuditOutcome]]:
    """Run each model's audits over `day` (whole table for models not partitioned by time)."""
    # the deployed (prod) versions: a context's own snapshots are unversioned for models
    # that another step's plan applied
    environment = context.state_reader.get_environment("prod")
    if environment is None:
        raise RuntimeError("SQLMesh has no prod environment to audit; apply a plan first")
    deployed = {
        snapshot.name: snapshot
        for snapshot in context.state_reader.get_snapshots(
            [info.snapshot_id for info in environment.snapshots]
        ).values()
    }
    outcomes: dict[str, list[AuditOutcome]] = {}
    for name in names:
        snapshot = deployed[context.get_model(name, raise_if_missing=True).fqn]
        results = context.snapshot_evaluator.audit(
            snapshot=snapshot,
            start=day.isoformat(),
            end=day.isoformat(),
            snapshots=deployed,
        )
        outcomes[name] = [
            AuditOutcome(
                audit=_label(result.audit.name, result.audit_args),
                failing_rows=None if result.skipped else int(result.count or 0),
                blocking=result.blocking,
            )
            for result in results
        ]
    return outcomes


def audit_check_result(key: AssetKey, outcomes: Sequence[AuditOutcome]) -> AssetCheckResult:
    failed = [outcome for outcome in outcomes if outcome.failing_rows]
    return AssetCheckResult(
        asset_key=key,
        check_name=CHECK_NAME,
        passed=not failed,
        # a blocking audit that fails has already failed the run; what reaches here is a warning
        severity=(
            AssetCheckSeverity.ERROR
            if any(outcome.blocking for outcome in failed)
            else AssetCheckSeverity.WARN
        ),
        metadata={
            "audits": len(outcomes),
            "failed": MetadataValue.text(
                "; ".join(f"{o.audit}: {o.failing_rows} rows" for o in failed) or "none"
            ),
            "skipped": sum(outcome.failing_rows is None for outcome in outcomes),
        },
    )


def _label(name: str, arguments: dict[object, object]) -> str:
    rendered = ", ".join(
        f"{key} := {value.sql() if hasattr(value, 'sql') else value}"
        for key, value in arguments.items()
    )
    return f"{name}({rendered})" if rendered else name


class BlockingAuditsFailed(Exception):
    """SQLMesh stopped because blocking audits found bad rows: the same data fails the same way
    on every retry, so the step fails at once (`sources.errors.retryable` reads the flag)."""

    retryable = False


@contextmanager
def blocking_audits_fail_at_once(context: "Context") -> Iterator[None]:
    """Re-raise a SQLMesh failure whose every failed model failed on its audits as one line
    naming them, not retryable; any other failure (a query error, the network) as it was.

    SQLMesh's plan and run report a failure as a bare "Plan application failed." and hand the
    models' errors to the console only, so the console's report is listened to here.
    """
    from sqlmesh.utils.errors import NodeAuditsErrors

    console = context.console
    failed: list[BaseException] = []
    report = console.log_failed_models

    def listen(errors: list[Any]) -> None:
        failed.extend(errors)
        report(errors)

    console.log_failed_models = listen  # type: ignore[method-assign]
    try:
        yield
    except Exception as error:
        audits = [e.__cause__ for e in failed if isinstance(e.__cause__, NodeAuditsErrors)]
        if not failed or len(audits) != len(failed):
            raise
        names = "; ".join(
            f"{_model_of(getattr(e, 'node', None))}: {cause}"
            for e, cause in zip(failed, audits, strict=True)
        )
        raise BlockingAuditsFailed(f"SQLMesh blocking audits failed: {names}") from error
    finally:
        console.log_failed_models = report  # type: ignore[method-assign]


def _model_of(node: Any) -> str:
    """`marts.orders` for SQLMesh's node of `"catalog"."marts"."orders"`."""
    name = str(getattr(node, "snapshot_name", node)).replace('"', "").replace("`", "")
    return ".".join(name.split(".")[-2:])
