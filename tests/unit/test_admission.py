from app.api.admission import LimitMemory


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_caller_is_held_for_its_wait_and_then_released():
    clock = Clock()
    memory = LimitMemory(clock)
    memory.remember("user:a", 2.0)
    clock.now += 0.5
    assert memory.wait("user:a") == 1.5
    assert memory.wait("user:b") == 0.0
    clock.now += 1.5
    assert memory.wait("user:a") == 0.0
    assert len(memory) == 0  # an expired caller is not kept


def test_a_newer_wait_replaces_the_older():
    clock = Clock()
    memory = LimitMemory(clock)
    memory.remember("user:a", 5.0)
    memory.remember("user:a", 1.0)
    assert memory.wait("user:a") == 1.0


def test_at_most_size_callers_are_held_the_first_remembered_goes_first():
    memory = LimitMemory(Clock(), size=2)
    for caller in ("a", "b", "c"):
        memory.remember(caller, 10.0)
    assert [memory.wait(c) for c in ("a", "b", "c")] == [0.0, 10.0, 10.0]
