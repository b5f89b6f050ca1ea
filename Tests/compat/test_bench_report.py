"""proxy-bench's live progress line (on a terminal only) and its self-contained HTML report."""

import os
import pty
import re
import subprocess

from conftest import BIN_DIR

SHORT_RUN = ["--duration", "1.5", "--warmup", "0", "--users", "1", "--concurrency-per-user", "2", "--chunks", "2", "--scenario", "mixed"]


def test_the_report_is_one_self_contained_page_with_histograms_rss_and_figures(tmp_path):
    report = tmp_path / "run.html"
    done = subprocess.run(
        [str(BIN_DIR / "proxy-bench"), *SHORT_RUN, "--report", str(report)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout, "no live line when the output is not a terminal"
    html = report.read_text()
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") >= 2, "a latency histogram per scenario and the RSS chart"
    assert 'aria-label="latency histogram"' in html and 'aria-label="gateway RSS"' in html
    assert "<polyline" in html, "the gateway's RSS was sampled over the run"
    assert "<table>" in html and ">direct<" in html and ">proxy<" in html
    assert "<script" not in html and "src=" not in html and "href=" not in html, "nothing is loaded from anywhere"


def test_on_a_terminal_a_live_line_shows_progress(tmp_path):
    main, child = pty.openpty()
    process = subprocess.Popen([str(BIN_DIR / "proxy-bench"), *SHORT_RUN], stdout=child, stderr=child, close_fds=True)
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=300) == 0, output.decode(errors="replace")
    text = output.decode(errors="replace")
    line = re.search(r"\r\x1b\[2K\s*\d+ s\s+\d+ req/s\s+\d+ errors\s+\d+ streams open\s+gateway RSS [\d.]+ MB", text)
    assert line, text[-2000:]
