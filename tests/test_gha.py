"""Actions from several threads: registry checks run concurrently and may log and
register tokens at once; every line must arrive whole and every secret be redacted."""

from __future__ import annotations

import io
import threading

from ghbuild.gha import Actions


def test_lines_and_masks_from_many_threads_arrive_whole():
    out = io.StringIO()
    actions = Actions({"GITHUB_ACTIONS": "true"}, stream=out)
    start = threading.Barrier(16)

    def work(n: int) -> None:
        start.wait()
        for i in range(50):
            actions.add_secret(f"token-{n:02d}-{i:03d}-secret")
            actions.info(f"thread {n:02d} line {i:03d} token-{n:02d}-{i:03d}-secret")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = out.getvalue().splitlines()
    masks = [line for line in lines if line.startswith("::add-mask::")]
    infos = [line for line in lines if line.startswith("thread ")]
    assert len(masks) == len(infos) == 16 * 50
    assert all(len(m) == len("::add-mask::token-00-000-secret") for m in masks)
    assert all(line.endswith(" ***") and len(line) == len("thread 00 line 000 ***")
               for line in infos)
    assert "secret" not in "".join(infos)


def test_a_secret_registered_by_one_thread_is_redacted_in_another():
    out = io.StringIO()
    actions = Actions({}, stream=out)
    t = threading.Thread(target=actions.add_secret, args=("hunter2-long-token",))
    t.start()
    t.join()
    actions.warning("saw hunter2-long-token here")
    assert "hunter2" not in out.getvalue()
    assert "***" in out.getvalue()
