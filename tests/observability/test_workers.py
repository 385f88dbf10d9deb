"""The admission of observability.workers: one caller at a time, in order, and a slow one lets the next in.

Real threads; every wait is bounded, and no test asserts how long anything took beyond an order.
"""

from __future__ import annotations

import threading
import time

from gunicorn.workers.gthread import ThreadWorker

from observability.workers import Admission, AdmittingThreadWorker, BodyReadingThreadWorker, admitting_worker

BOUND = 10  # seconds any test waits at most for something that should happen at once


def wait_until(condition, bound: float = BOUND) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def entering(admission: Admission, order: list[str], name: str) -> tuple[threading.Thread, dict]:
    """A thread that enters, notes its name and waits to be told to leave."""
    state = {"leave": threading.Event()}

    def run() -> None:
        token = admission.enter()
        order.append(name)
        state["leave"].wait(BOUND)
        admission.leave(token)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, state


def test_the_second_caller_waits_for_the_first_to_leave():
    admission, order = Admission(lease=BOUND), []
    first, first_state = entering(admission, order, "first")
    wait_until(lambda: order == ["first"])
    second, second_state = entering(admission, order, "second")
    wait_until(lambda: admission.waiting == 1)
    time.sleep(0.05)
    assert order == ["first"]  # inside the lease, the turn is the first's alone
    first_state["leave"].set()
    wait_until(lambda: order == ["first", "second"])
    second_state["leave"].set()
    for thread in (first, second):
        thread.join(BOUND)
    assert admission.waiting == 0


def test_a_caller_past_its_lease_lets_the_next_in_beside_it():
    admission, order = Admission(lease=0.02), []
    slow, slow_state = entering(admission, order, "slow")  # waits on something for a long time
    wait_until(lambda: order == ["slow"])
    fast, fast_state = entering(admission, order, "fast")
    fast_state["leave"].set()
    wait_until(lambda: order == ["slow", "fast"])
    assert slow.is_alive()  # the slow caller is still inside: it held only its own turn
    fast.join(BOUND)
    slow_state["leave"].set()
    slow.join(BOUND)
    # The turn is free again: a newcomer goes straight in.
    token = admission.enter()
    admission.leave(token)
    assert admission.waiting == 0


def test_callers_past_their_lease_let_the_waiters_in_one_by_one_in_the_order_they_came():
    # Nobody leaves: each caller let in outlasts its lease in turn, so the one waiter watching
    # the lease (the newest in line once the first is in) lets in the first in line each time.
    admission, order = Admission(lease=0.02), []
    holder = admission.enter()
    waiting = []
    for name in ("a", "b", "c"):
        waiting.append(entering(admission, order, name))
        wait_until(lambda: admission.waiting + len(order) == len(waiting))  # noqa: B023 - called before the loop moves on
    wait_until(lambda: len(order) == 3)
    assert order == ["a", "b", "c"]
    for thread, state in waiting:
        state["leave"].set()
        thread.join(BOUND)
    admission.leave(holder)
    token = admission.enter()  # every turn given back: a newcomer goes straight in
    admission.leave(token)
    assert admission.waiting == 0


def test_waiters_go_in_the_order_they_came_and_a_leaver_cannot_barge_back_in():
    admission, order = Admission(lease=BOUND), []
    holder = admission.enter()
    threads = []
    for name in ("a", "b", "c"):
        thread, state = entering(admission, order, name)
        state["leave"].set()
        threads.append(thread)
        queued = len(threads)
        wait_until(lambda: admission.waiting == queued)  # noqa: B023 - called before the loop moves on
    admission.leave(holder)
    again = admission.enter()  # the caller that just left comes straight back: it queues behind them
    order.append("again")
    admission.leave(again)
    for thread in threads:
        thread.join(BOUND)
    assert order == ["a", "b", "c", "again"]


def test_many_threads_never_lose_a_wakeup():
    admission, inside, most = Admission(lease=BOUND), [0], [0]
    lock = threading.Lock()

    def run() -> None:
        for _ in range(200):
            token = admission.enter()
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            with lock:
                inside[0] -= 1
            admission.leave(token)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND * 3)
    assert not any(thread.is_alive() for thread in threads)
    assert most[0] == 1  # with a lease nobody outlasts, never two inside at once


def test_the_worker_class_for_a_lease():
    plain = admitting_worker(0)  # gthread's own scheduling, refused bodies still read before a close
    assert issubclass(plain, BodyReadingThreadWorker) and not issubclass(plain, AdmittingThreadWorker)
    assert issubclass(plain, ThreadWorker)
    worker = admitting_worker(7)
    assert issubclass(worker, AdmittingThreadWorker) and worker.lease_seconds == 0.007
