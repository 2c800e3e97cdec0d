import threading
from datetime import UTC, datetime

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


def test_the_writer_loop_survives_failures_and_stops_when_told():
    stop = threading.Event()
    queue = FailingQueue(stop)
    writer = OccurrenceWriter(
        queue=queue, remediation_requests=FakeKubernetes(), clock=lambda: datetime.now(UTC)
    )
    worker = threading.Thread(target=writer.run, args=(stop,), kwargs={"period": 0.001})
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert queue.calls == 3
