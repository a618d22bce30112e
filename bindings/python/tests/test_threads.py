"""Several threads on one Context, as the C library allows."""
import threading
import time

import pytest

import container_link as cl


def run_threads(n, target):
    errors, threads = [], []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # reported by the test
            errors.append(e)
    for i in range(n):
        t = threading.Thread(target=wrap, args=(i,))
        threads.append(t)
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive()
    return errors


def test_threads_create_inspect_remove_on_one_context(ctx):
    def work(i):
        for j in range(15):
            c = ctx.create(["sleep", "1000"], name=f"t{i}-{j}", publish=[80])
            assert c.inspect()["Name"] == f"/t{i}-{j}"
            if j % 5 == 0:
                c.start()
                assert c.running and c.ip
            c.remove(force=True)
    assert run_threads(8, work) == []
    assert ctx.list(all=True) == []


def test_each_thread_gets_the_message_of_its_own_failure(ctx):
    ctx.create(["true"], name="taken")

    def work(i):
        for j in range(40):
            if i % 2:
                with pytest.raises(cl.NotFound) as e:
                    ctx.get(f"nosuch-{i}-{j}")
                assert str(e.value) == f"No such container: nosuch-{i}-{j}"
            else:
                with pytest.raises(cl.Conflict) as e:
                    ctx.create(["true"], name="taken")
                assert 'The container name "/taken" is already in use' in str(e.value)
                with pytest.raises(cl.InvalidArgument) as e:
                    ctx.create(["true"], name=f"x{i}-{j}!")
                assert f"Invalid container name (x{i}-{j}!)" in str(e.value)
    assert run_threads(8, work) == []


def test_blocking_calls_release_the_gil(ctx):
    c = ctx.run(["sleep", "1"], name="sleeper")
    ticks = 0
    done = threading.Event()

    def tick():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.01)
    t = threading.Thread(target=tick)
    t.start()
    other = ctx.get("sleeper")  # not started by this object: waits in ctr_wait
    try:
        assert other.wait(timeout=30) == 0
    finally:
        done.set()
        t.join()
    assert ticks > 20  # the other thread ran during the second in C


def test_close_waits_for_calls_in_progress(ctx):
    c = ctx.run(["sleep", "1"], name="sleeper")
    waiter = ctx.get("sleeper")
    result = []
    t = threading.Thread(target=lambda: result.append(waiter.wait(timeout=30)))
    t.start()
    time.sleep(0.2)  # the waiter is inside ctr_wait
    t0 = time.monotonic()
    ctx.close()
    assert time.monotonic() - t0 > 0.3  # close waited for the call in progress
    t.join(30)
    assert result == [0]
    with pytest.raises(cl.ContextClosed):
        c.inspect()


def test_a_wait_that_ends_after_close_keeps_its_result(ctx):
    c = ctx.run(["sleep", "1"], name="sleeper")
    result = []
    t = threading.Thread(target=lambda: result.append(c.wait(timeout=30)))
    t.start()
    time.sleep(0.2)  # waiting on the exit descriptor: no call on the context in progress
    ctx.close()
    t.join(30)
    assert result == [0]  # the read after the wait found the context closed: not an error
    assert c.status == "running"  # the values held before the close
    with pytest.raises(cl.ContextClosed):
        c.reload()


def test_containers_wait_from_several_threads(ctx):
    c = ctx.run(["sleep", "0.5"], name="shared")
    codes = []
    errors = run_threads(6, lambda i: codes.append(c.wait(timeout=30)))
    assert errors == [] and codes == [0] * 6
