"""Publishing a concluded run to CloudWatch once: the last step of ``pipeline.conclude``.

CloudWatch sums every datapoint it is sent, so a run published twice (``chainprobe canary
--publish-metrics``, then ``chainprobe verify --run ID --publish-metrics``) would count its orders twice
in every dashboard, alarm and ``chainprobe budget``. The run's publication is recorded beside the ledger
(``chainprobe.ledger.publications``) and a second publish is skipped with one line saying when and where
the run was published; ``republish`` (``--republish``) publishes anyway and says that CloudWatch then
counts the run twice. Example::

    step = publish_once(publisher, report, Publications.beside(ledger.path))
    step.published, step.error, step.note   # what was sent; why it failed; why it was skipped / doubled

Never raises for CloudWatch's or the record's errors: they are ``error`` (one line, exit 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from chainprobe.ledger.publications import Publications
from chainprobe.report.cloudwatch import MetricPublisher, PublishedMetrics
from chainprobe.report.model import RunReport

__all__ = ["PublishStep", "publish_once"]


@dataclass(frozen=True)
class PublishStep:
    """What publishing did: ``published`` (sent), ``error`` (not sent: why), ``note`` (a line to say:
    skipped as already published, or republished and so counted twice)."""

    published: PublishedMetrics | None = None
    error: str | None = None
    note: str | None = None


def publish_once(
    publisher: MetricPublisher, report: RunReport, publications: Publications, *, republish: bool = False
) -> PublishStep:
    """Publishes ``report`` unless its run was published before (see the module docstring)."""
    run_id = report.run.run_id
    try:
        previous = publications.get(run_id)
        claim = publications.claim(
            run_id, namespace=publisher.namespace, dimensions=publisher.dimensions, again=republish
        )
    except OSError as error:
        return PublishStep(error=f"cannot record the run's publication: {error}")
    if claim is None:
        when = previous.describe() if previous is not None else "by another process just now"
        return PublishStep(
            note=f"run {run_id} was already published {when}: not published again (CloudWatch would "
            "count it twice; --republish to do it anyway)"
        )
    try:
        published = publisher.publish(report)
    except ClientError as e:
        publications.release(claim)
        said = e.response.get("Error", {})
        return PublishStep(error=f"AWS said {said.get('Code')}: {said.get('Message')}")
    except BotoCoreError as e:
        publications.release(claim)
        return PublishStep(error=str(e))
    note = None
    if claim.times > 1:
        note = (
            f"run {run_id} republished: CloudWatch now holds it {claim.times} times and sums every copy "
            f"(its orders count {claim.times}x in dashboards, alarms and the budget)"
        )
    return PublishStep(published=published, note=note)
