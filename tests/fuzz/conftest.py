"""Counts the requests the fuzzer sends and reports the total at the end of the run."""

from collections import Counter

REQUESTS: Counter = Counter()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not REQUESTS:
        return
    by_role = ", ".join(f"{role}: {count}" for role, count in sorted(REQUESTS.items()))
    terminalreporter.write_line(
        f"schemathesis fuzzing: {sum(REQUESTS.values())} generated requests ({by_role})"
    )
