"""The bounded queue and its thread that the journal's writer, the fleet's history and its webhook share."""

from __future__ import annotations

import os
import threading

from observability.background import BackgroundQueue


class Collector(BackgroundQueue[int]):
    thread_name = "test-collector"

    def __init__(self, size: int = 4):
        super().__init__(size)
        self.seen: list[tuple[int, int]] = []  # (pid, item)
        self.gate = threading.Event()

    def put(self, item: int) -> None:
        self._start()
        self.queue.put_nowait(item)

    def _run(self) -> None:
        items = self.queue
        while True:
            item = items.get()
            self.gate.wait(10)
            self.seen.append((os.getpid(), item))
            items.task_done()


def test_items_are_handled_on_one_thread_and_wait_says_when():
    collector = Collector()
    collector.put(1)
    collector.put(2)
    assert not collector.wait(0.05)  # the thread holds them until the gate opens
    collector.gate.set()
    assert collector.wait(5)
    assert collector.seen == [(os.getpid(), 1), (os.getpid(), 2)]
    assert [t.name for t in threading.enumerate()].count("test-collector") == 1


def test_a_forked_child_starts_a_thread_and_a_queue_of_its_own():
    collector = Collector()
    collector.put(1)  # the parent's item stays queued: its thread waits at the gate
    pid = os.fork()
    if pid == 0:  # the child: no thread of the parent's came with the fork, and its queue starts empty
        code = 1
        try:
            collector.gate.set()
            collector.put(2)
            code = 0 if collector.wait(5) and collector.seen == [(os.getpid(), 2)] else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    collector.gate.set()
    assert collector.wait(5) and collector.seen == [(os.getpid(), 1)]
