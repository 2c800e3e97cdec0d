import threading
from datetime import UTC, datetime

from app.pacing import Backoff
from app.service.errors import StoreUnavailable
from app.service.occurrences import OccurrenceWriter
from tests.support.fakes import FakeKubernetes


class FailingQueue:
    """A queue that fails twice (once as Redis would, once unexpectedly), then stops the loop."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.calls = 0

    def due_occurrences(self, *, now_ms: int, limit: int) -> list[str]:
        self.calls += 1
        if self.calls == 1:
            raise StoreUnavailable("redis down")
        if self.calls == 2:
            raise RuntimeError("surprise")
        self.stop.set()
        return []

    def take_occurrences(self, member, *, now_ms):
        raise AssertionError("nothing is due")

    def requeue(self, member, *, now_ms, due_ms, failed):
        raise AssertionError("nothing is due")

    def flapping_written(self, member, *, flapping):
        raise AssertionError("nothing is due")

    def flapping_now(self):
        return 0


class RecordingStop(threading.Event):
    """Records each wait instead of waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return self.is_set()


def test_the_writer_loop_survives_failures_backs_off_and_stops_when_told():
    stop = RecordingStop()
    queue = FailingQueue(stop)
    writer = OccurrenceWriter(
        queue=queue,
        remediation_requests=FakeKubernetes(),
        clock=lambda: datetime.now(UTC),
        period=0.5,
        backoff=Backoff(rand=lambda: 0.0),
    )
    writer.run(stop)
    assert queue.calls == 3
    # The period; the backoff after each failure (never shorter than the period); the period
    # again after a flush that worked.
    assert stop.waits == [0.5, 0.8, 1.6, 0.5]
